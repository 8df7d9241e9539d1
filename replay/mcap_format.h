// MCAP container format (https://mcap.dev/spec): opcodes, constants and the little-endian
// primitives shared by the writer and the reader.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace twin::mcap {

inline constexpr uint8_t kMagic[8] = {0x89, 'M', 'C', 'A', 'P', '0', '\r', '\n'};
inline constexpr size_t kMagicSize = sizeof(kMagic);
// opcode (1) + record length (8).
inline constexpr size_t kRecordPrefixSize = 9;
// Footer body: summary_start u64, summary_offset_start u64, summary_crc u32.
inline constexpr size_t kFooterBodySize = 20;
inline constexpr size_t kFooterRecordSize = kRecordPrefixSize + kFooterBodySize;

enum class Op : uint8_t {
  Header = 0x01,
  Footer = 0x02,
  Schema = 0x03,
  Channel = 0x04,
  Message = 0x05,
  Chunk = 0x06,
  MessageIndex = 0x07,
  ChunkIndex = 0x08,
  Attachment = 0x09,
  AttachmentIndex = 0x0A,
  Statistics = 0x0B,
  Metadata = 0x0C,
  MetadataIndex = 0x0D,
  SummaryOffset = 0x0E,
  DataEnd = 0x0F,
};

enum class Compression { None, Zstd, Lz4 };

// The compression string stored in Chunk records: "", "zstd" or "lz4".
inline std::string_view compression_name(Compression c) {
  switch (c) {
    case Compression::Zstd:
      return "zstd";
    case Compression::Lz4:
      return "lz4";
    case Compression::None:
      break;
  }
  return "";
}

struct Schema {
  uint16_t id = 0;
  std::string name;
  std::string encoding;
  std::vector<uint8_t> data;
};

struct Channel {
  uint16_t id = 0;
  uint16_t schema_id = 0;
  std::string topic;
  std::string message_encoding;
  std::map<std::string, std::string> metadata;
};

struct Message {
  uint16_t channel_id = 0;
  uint32_t sequence = 0;
  uint64_t log_time = 0;
  uint64_t publish_time = 0;
  std::vector<uint8_t> data;
};

struct Statistics {
  uint64_t message_count = 0;
  uint16_t schema_count = 0;
  uint32_t channel_count = 0;
  uint32_t attachment_count = 0;
  uint32_t metadata_count = 0;
  uint32_t chunk_count = 0;
  uint64_t message_start_time = 0;
  uint64_t message_end_time = 0;
  std::map<uint16_t, uint64_t> channel_message_counts;
};

struct ChunkIndex {
  uint64_t message_start_time = 0;
  uint64_t message_end_time = 0;
  uint64_t chunk_start_offset = 0;
  uint64_t chunk_length = 0;
  // (channel id, offset of its MessageIndex record), by channel id. A flat vector, not a map:
  // summaries hold one entry per channel per chunk (millions for a large plant), and parsing
  // them into tree nodes dominated the cost of opening a file to seek.
  std::vector<std::pair<uint16_t, uint64_t>> message_index_offsets;
  uint64_t message_index_length = 0;
  std::string compression;
  uint64_t compressed_size = 0;
  uint64_t uncompressed_size = 0;
};

// Appends little-endian primitives to a byte buffer.
class ByteWriter {
 public:
  explicit ByteWriter(std::vector<uint8_t>& out) : out_(out) {}
  void u8(uint8_t v) { out_.push_back(v); }
  void u16(uint16_t v) { le(v, 2); }
  void u32(uint32_t v) { le(v, 4); }
  void u64(uint64_t v) { le(v, 8); }
  void bytes(const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    out_.insert(out_.end(), b, b + n);
  }
  void str(std::string_view s) {
    u32(static_cast<uint32_t>(s.size()));
    bytes(s.data(), s.size());
  }
  // Reserves a u32 or u64 length field; patch_* fills it with the bytes written since.
  size_t reserve(size_t width) {
    size_t at = out_.size();
    out_.resize(at + width, 0);
    return at;
  }
  void patch_u32(size_t at) { put(at, out_.size() - at - 4, 4); }
  void patch_u64(size_t at) { put(at, out_.size() - at - 8, 8); }
  size_t size() const { return out_.size(); }

 private:
  // Grows once, then fills in place (byte-wise push_back from an empty vector trips GCC 12's
  // false -Wstringop-overflow at -O3).
  void le(uint64_t v, int n) {
    const size_t at = out_.size();
    out_.resize(at + static_cast<size_t>(n));
    put(at, v, n);
  }
  void put(size_t at, uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_[at + i] = static_cast<uint8_t>(v >> (8 * i));
  }
  std::vector<uint8_t>& out_;
};

// Bounds-checked little-endian reads over a byte range. Any read past the end sets `ok`
// to false and returns zero/empty values; callers check `ok` once after parsing a record.
class ByteReader {
 public:
  ByteReader(const uint8_t* p, size_t n) : p_(p), n_(n) {}
  bool ok = true;
  size_t pos() const { return pos_; }
  size_t remaining() const { return n_ - pos_; }
  uint8_t u8() { return static_cast<uint8_t>(le(1)); }
  uint16_t u16() { return static_cast<uint16_t>(le(2)); }
  uint32_t u32() { return static_cast<uint32_t>(le(4)); }
  uint64_t u64() { return le(8); }
  // Returns a pointer to `n` bytes and advances, or nullptr when they are not there.
  const uint8_t* take(uint64_t n) {
    if (!ok || n > remaining()) {
      ok = false;
      return nullptr;
    }
    const uint8_t* at = p_ + pos_;
    pos_ += static_cast<size_t>(n);
    return at;
  }
  std::string str() {
    uint32_t n = u32();
    const uint8_t* b = take(n);
    return b ? std::string(reinterpret_cast<const char*>(b), n) : std::string();
  }
  std::vector<uint8_t> bytes32() {
    uint32_t n = u32();
    const uint8_t* b = take(n);
    return b ? std::vector<uint8_t>(b, b + n) : std::vector<uint8_t>();
  }

 private:
  uint64_t le(int n) {
    if (!ok || static_cast<size_t>(n) > remaining()) {
      ok = false;
      return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= static_cast<uint64_t>(p_[pos_ + i]) << (8 * i);
    pos_ += static_cast<size_t>(n);
    return v;
  }
  const uint8_t* p_;
  size_t n_;
  size_t pos_ = 0;
};

}  // namespace twin::mcap
