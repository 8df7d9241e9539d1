// Reads MCAP files (https://mcap.dev/spec) written by McapWriter or any conforming writer.
//
// With an intact summary, only the chunks the chunk indexes point at (and, for a time range,
// only those overlapping it) are read from disk. Without one (recorder killed, file cut off)
// the data section is scanned record by record. Bad input never throws or crashes: whatever
// precedes the damage is returned and every problem is listed in `damage`.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "replay/mcap_format.h"

namespace twin::mcap {

struct Damage {
  uint64_t offset = 0;  // file offset of the record (or byte) where the problem was found
  std::string what;
};

struct ReadResult {
  bool valid_magic = false;  // false: not an MCAP file (nothing else is filled in)
  std::string profile;
  std::string library;
  std::map<uint16_t, Schema> schemas;
  std::map<uint16_t, Channel> channels;
  std::vector<Message> messages;  // in log-time order (file order among equal times)
  std::vector<Damage> damage;     // empty for a healthy file

  bool used_summary = false;  // chunks were located through the summary's chunk indexes
  std::optional<Statistics> statistics;
  std::vector<ChunkIndex> chunk_indexes;
  size_t chunks_decoded = 0;  // chunk records read and decompressed
  uint64_t bytes_read = 0;    // bytes read from the file

  bool ok() const { return valid_magic && damage.empty(); }
};

// Every message in the file.
ReadResult read_mcap(const std::string& path);
// Messages with start_ns <= log_time < end_ns.
ReadResult read_mcap_range(const std::string& path, uint64_t start_ns, uint64_t end_ns);
// Ignores the summary and scans the data section (used for recovery and by tests).
ReadResult scan_mcap(const std::string& path);
// The same over bytes already in memory (the span must outlive the call only).
ReadResult read_mcap_bytes(std::span<const uint8_t> bytes);
ReadResult read_mcap_range_bytes(std::span<const uint8_t> bytes, uint64_t start_ns,
                                 uint64_t end_ns);
ReadResult scan_mcap_bytes(std::span<const uint8_t> bytes);

// A one-line description of the damage list, e.g. for logs ("" when there is none).
std::string describe_damage(const ReadResult& r);

}  // namespace twin::mcap
