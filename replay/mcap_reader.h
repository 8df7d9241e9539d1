// Reads MCAP files (https://mcap.dev/spec) written by McapWriter or any conforming writer.
//
// With an intact summary, only the chunks the chunk indexes point at (and, for a time range,
// only those overlapping it) are read from disk. Without one (recorder killed, file cut off)
// the data section is scanned record by record. Bad input never throws or crashes: whatever
// precedes the damage is returned and every problem is listed in `damage`.
//
// stream_mcap is the one parser: it hands messages to a MessageSink chunk by chunk, holding only
// the chunks whose time ranges overlap the current read position. read_mcap and friends are a
// sink that copies every message into ReadResult::messages, so they need memory for them all.
#pragma once

#include <cstdint>
#include <limits>
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
  // In log-time order (file order among equal times). Not filled by stream_mcap.
  std::vector<Message> messages;
  std::vector<Damage> damage;  // empty for a healthy file

  bool used_summary = false;  // chunks were located through the summary's chunk indexes
  std::optional<Statistics> statistics;
  std::vector<ChunkIndex> chunk_indexes;
  size_t chunks_decoded = 0;  // chunk records read and decompressed
  uint64_t bytes_read = 0;    // bytes read from the file
  // Chunks (or messages outside chunks) that started before a log time already delivered, so
  // were delivered late, in their own order. Only a scan of a file whose chunks go back in time
  // (or whose chunk times are wrong) has these; the materialising reads sort them back in place.
  size_t out_of_order_chunks = 0;

  bool ok() const { return valid_magic && damage.empty(); }
};

// A message inside a decoded chunk; `data` is valid only during the callback.
struct MessageView {
  uint16_t channel_id = 0;
  uint32_t sequence = 0;
  uint64_t log_time = 0;
  uint64_t publish_time = 0;
  std::span<const uint8_t> data;
};

class MessageSink {
 public:
  virtual ~MessageSink() = default;
  // Called once per channel before its first message: all channels of the summary up front when
  // the summary is used, otherwise when the Channel record is met while scanning. `schema` is
  // null for schema id 0 or a schema not (yet) known. Both are valid during the call only.
  // Messages on a channel that was never declared are still delivered.
  virtual void on_channel(const Channel& channel, const Schema* schema) = 0;
  // Messages in log-time order (file order among equal times; see out_of_order_chunks).
  // Return false to stop reading.
  virtual bool on_message(const MessageView& message) = 0;
};

struct StreamOptions {
  // Messages with start_ns <= log_time < end_ns; end_ns = UINT64_MAX means no upper bound.
  uint64_t start_ns = 0;
  uint64_t end_ns = std::numeric_limits<uint64_t>::max();
  bool use_summary = true;  // false: scan the data section
  // Only messages on these topics (empty: all). With a summary, chunks holding none of them
  // are not even read (their chunk index lists the channels they hold).
  std::vector<std::string> topics;
};

// Streams the messages of a file through `sink`, chunk by chunk, without holding the whole file
// or all messages in memory: an indexed read reads one chunk record at a time, a scan reads
// the file front to back in blocks. Returns the same ReadResult as read_mcap except that
// `messages` stays empty; a sink stopping the read is not damage.
//
// Where it differs from read_mcap (damaged or unusual files only), because delivered messages
// cannot be taken back: a chunk record that is not where its chunk index says is reported as damage
// and skipped (read_mcap drops the indexed read and scans the file instead), and a full indexed
// read delivering a different number of messages than the statistics count (messages outside
// chunks, say) is reported as damage (read_mcap scans instead). An exception thrown by the sink
// ends the read and is reported as damage ("reader error: ...").
ReadResult stream_mcap(const std::string& path, MessageSink& sink,
                       const StreamOptions& options = {});
ReadResult stream_mcap_bytes(std::span<const uint8_t> bytes, MessageSink& sink,
                             const StreamOptions& options = {});

// A file opened once for many reads (seeking back and forth): its summary is parsed on open and
// reused, where stream_mcap parses it on every call (megabytes for a large plant: one entry per
// channel per chunk).
class McapFile {
 public:
  // False when the file has no usable summary (then use stream_mcap, which scans).
  bool open(const std::string& path);
  bool is_open() const { return open_; }
  const std::string& path() const { return path_; }
  const ReadResult& summary() const { return summary_; }
  // As stream_mcap with the summary, without reading it again.
  ReadResult stream(MessageSink& sink, const StreamOptions& options = {}) const;

 private:
  std::string path_;
  ReadResult summary_;  // schemas, channels, statistics, chunk indexes
  uint64_t summary_start_ = 0;
  bool open_ = false;
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
