// Writes standard MCAP files (https://mcap.dev/spec): chunked, optionally zstd or lz4
// (frame format) compressed, with message indexes after each chunk and an indexed summary
// (schemas, channels, statistics, chunk indexes, summary offsets) before the footer.
#pragma once

#include <cstdint>
#include <fstream>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "replay/mcap_format.h"

namespace twin::mcap {

class McapWriter {
 public:
  McapWriter() = default;
  McapWriter(const McapWriter&) = delete;
  McapWriter& operator=(const McapWriter&) = delete;
  ~McapWriter();  // closes the file if still open

  // Starts a file. A chunk is closed once its uncompressed records reach `chunk_size`
  // bytes. `write_summary = false` leaves out the summary section (the footer then has
  // summary_start = 0), as a recorder killed before close() would, minus the truncation.
  bool open(const std::string& path, std::string_view profile,
            Compression compression = Compression::Zstd, uint64_t chunk_size = 1 << 20,
            bool write_summary = true);

  // Ids start at 1 (schema id 0 means "no schema" in MCAP). Returns 0 on failure.
  uint16_t add_schema(std::string_view name, std::string_view encoding,
                      std::span<const uint8_t> data);
  uint16_t add_channel(uint16_t schema_id, std::string_view topic,
                       std::string_view message_encoding,
                       const std::map<std::string, std::string>& metadata = {});

  bool write_message(uint16_t channel_id, uint32_t sequence, uint64_t log_time_ns,
                     uint64_t publish_time_ns, std::span<const uint8_t> data);

  // Closes the open chunk now (no-op when empty), e.g. to keep a large message in a chunk of
  // its own that readers filtering by topic can fetch alone.
  bool end_chunk() { return flush_chunk(); }

  // Flushes the last chunk, writes DataEnd, summary, footer and the closing magic.
  bool close();

  bool is_open() const { return file_.is_open(); }
  const std::string& error() const { return error_; }
  const Statistics& statistics() const { return stats_; }

 private:
  void write_raw(const std::vector<uint8_t>& bytes);
  void write_record(Op op, const std::vector<uint8_t>& body);
  bool flush_chunk();
  bool fail(std::string message);

  std::ofstream file_;
  std::string error_;
  Compression compression_ = Compression::Zstd;
  uint64_t chunk_size_ = 1 << 20;
  bool write_summary_ = true;
  uint64_t offset_ = 0;    // bytes written to the file so far
  uint32_t data_crc_ = 0;  // running CRC32 of the data section
  bool in_data_section_ = true;

  std::vector<Schema> schemas_;
  std::vector<Channel> channels_;
  std::vector<ChunkIndex> chunk_indexes_;
  Statistics stats_;

  // The open chunk: uncompressed records and per-channel (log_time, offset) entries.
  std::vector<uint8_t> chunk_;
  std::map<uint16_t, std::vector<std::pair<uint64_t, uint64_t>>> chunk_message_index_;
  uint64_t chunk_start_time_ = 0;
  uint64_t chunk_end_time_ = 0;
};

}  // namespace twin::mcap
