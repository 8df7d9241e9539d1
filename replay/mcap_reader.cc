#include "replay/mcap_reader.h"

#include <lz4frame.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <fstream>
#include <limits>
#include <span>
#include <utility>

namespace twin::mcap {

namespace {

// Chunks claiming more than this uncompressed are treated as damaged (no huge allocations
// from a corrupted size field).
constexpr uint64_t kMaxChunkSize = uint64_t{1} << 30;
// Upper bounds on expansion, used before allocating a chunk's claimed size. LZ4 cannot
// exceed 255:1 (plus frame overhead); zstd RLE blocks reach ~43690:1 (only used for frames
// that do not state their content size).
constexpr uint64_t kMaxLz4Ratio = 256;
constexpr uint64_t kMaxZstdRatio = 65536;

uint32_t crc_of(const uint8_t* p, size_t n) {
  return static_cast<uint32_t>(crc32_z(0, p, n));
}

std::string hex_op(uint8_t op) {
  const char* digits = "0123456789abcdef";
  return std::string("0x") + digits[op >> 4] + digits[op & 15];
}

struct Range {
  uint64_t start = 0;
  uint64_t end = std::numeric_limits<uint64_t>::max();
  bool all = true;
  bool contains(uint64_t t) const { return all || (t >= start && t < end); }
  bool overlaps(uint64_t lo, uint64_t hi) const { return all || (hi >= start && lo < end); }
};

// The bytes being read: a file on disk, or a caller's in-memory buffer.
class File {
 public:
  explicit File(const std::string& path) : in_(path, std::ios::binary) {
    if (!in_) return;
    in_.seekg(0, std::ios::end);
    auto end = in_.tellg();
    size_ = end < 0 ? 0 : static_cast<uint64_t>(end);
  }
  explicit File(std::span<const uint8_t> bytes) : bytes_(bytes), in_memory_(true) {
    size_ = bytes.size();
  }
  bool good() const { return in_memory_ || static_cast<bool>(in_); }
  uint64_t size() const { return size_; }
  uint64_t bytes_read = 0;
  bool read(uint64_t offset, uint64_t n, std::vector<uint8_t>& out) {
    if (offset > size_ || n > size_ - offset) return false;
    out.resize(static_cast<size_t>(n));
    bytes_read += n;
    if (in_memory_) {
      if (n > 0) std::memcpy(out.data(), bytes_.data() + offset, static_cast<size_t>(n));
      return true;
    }
    in_.clear();
    in_.seekg(static_cast<std::streamoff>(offset));
    in_.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(n));
    return static_cast<bool>(in_);
  }

 private:
  std::ifstream in_;
  std::span<const uint8_t> bytes_;
  bool in_memory_ = false;
  uint64_t size_ = 0;
};

class Parser {
 public:
  Parser(ReadResult& r, Range range) : r_(r), range_(range) {}

  void damage(uint64_t offset, std::string what) { r_.damage.push_back({offset, std::move(what)}); }

  bool map_ss(ByteReader& in, std::map<std::string, std::string>& m) {
    uint32_t len = in.u32();
    const uint8_t* p = in.take(len);
    if (!p) return false;
    ByteReader mr(p, len);
    while (mr.ok && mr.remaining() > 0) {
      std::string k = mr.str();
      std::string v = mr.str();
      if (mr.ok) m[k] = v;
    }
    return mr.ok;
  }
  template <typename V>
  bool map_16(ByteReader& in, std::map<uint16_t, V>& m) {
    uint32_t len = in.u32();
    const uint8_t* p = in.take(len);
    if (!p || len % 10 != 0) return false;
    ByteReader mr(p, len);
    while (mr.ok && mr.remaining() > 0) {
      uint16_t k = mr.u16();
      m[k] = mr.u64();
    }
    return mr.ok;
  }

  // Parses one record body. Returns false (and records damage) when the body is malformed.
  // `offset` is the record's file offset (the chunk's, for records inside a chunk).
  bool record(uint8_t op, const uint8_t* body, uint64_t len, uint64_t offset) {
    ByteReader in(body, static_cast<size_t>(len));
    switch (static_cast<Op>(op)) {
      case Op::Header:
        r_.profile = in.str();
        r_.library = in.str();
        break;
      case Op::Schema: {
        Schema s;
        s.id = in.u16();
        s.name = in.str();
        s.encoding = in.str();
        s.data = in.bytes32();
        if (in.ok) r_.schemas[s.id] = std::move(s);
        break;
      }
      case Op::Channel: {
        Channel c;
        c.id = in.u16();
        c.schema_id = in.u16();
        c.topic = in.str();
        c.message_encoding = in.str();
        if (map_ss(in, c.metadata) && in.ok) r_.channels[c.id] = std::move(c);
        break;
      }
      case Op::Message: {
        Message m;
        m.channel_id = in.u16();
        m.sequence = in.u32();
        m.log_time = in.u64();
        m.publish_time = in.u64();
        if (in.ok && range_.contains(m.log_time)) {
          m.data.assign(body + in.pos(), body + len);
          r_.messages.push_back(std::move(m));
        }
        break;
      }
      case Op::Statistics: {
        Statistics s;
        s.message_count = in.u64();
        s.schema_count = in.u16();
        s.channel_count = in.u32();
        s.attachment_count = in.u32();
        s.metadata_count = in.u32();
        s.chunk_count = in.u32();
        s.message_start_time = in.u64();
        s.message_end_time = in.u64();
        if (map_16(in, s.channel_message_counts) && in.ok) r_.statistics = std::move(s);
        break;
      }
      case Op::ChunkIndex: {
        ChunkIndex c;
        c.message_start_time = in.u64();
        c.message_end_time = in.u64();
        c.chunk_start_offset = in.u64();
        c.chunk_length = in.u64();
        map_16(in, c.message_index_offsets);
        c.message_index_length = in.u64();
        c.compression = in.str();
        c.compressed_size = in.u64();
        c.uncompressed_size = in.u64();
        if (in.ok) r_.chunk_indexes.push_back(std::move(c));
        break;
      }
      case Op::Chunk:
        return chunk(body, len, offset);
      default:  // message indexes, attachments, metadata, ...: not needed here
        break;
    }
    if (!in.ok) damage(offset, "malformed record, opcode " + hex_op(op));
    return in.ok;
  }

  // Decodes a Chunk record body; its messages are kept only if the CRC matches. Returns
  // false only when the chunk header itself is malformed (the record framing is suspect).
  bool chunk(const uint8_t* body, uint64_t len, uint64_t offset) {
    ByteReader in(body, static_cast<size_t>(len));
    uint64_t start = in.u64();
    uint64_t end = in.u64();
    uint64_t usize = in.u64();
    uint32_t crc = in.u32();
    std::string compression = in.str();
    uint64_t csize = in.u64();
    const uint8_t* packed = in.take(csize);
    if (!in.ok) {
      damage(offset, "malformed chunk header");
      return false;
    }
    if (!range_.overlaps(start, end)) return true;
    ++r_.chunks_decoded;
    if (usize > kMaxChunkSize) {
      damage(offset, "chunk claims implausible uncompressed size " + std::to_string(usize));
      return true;
    }
    std::vector<uint8_t> raw;
    if (!decompress(compression, packed, csize, usize, raw, offset)) return true;
    if (crc != 0 && crc_of(raw.data(), raw.size()) != crc) {
      damage(offset, "chunk CRC mismatch (messages of this chunk skipped)");
      return true;
    }
    size_t pos = 0;
    while (pos < raw.size()) {
      if (raw.size() - pos < kRecordPrefixSize) {
        damage(offset, "truncated record inside chunk at +" + std::to_string(pos));
        return true;
      }
      ByteReader h(raw.data() + pos, kRecordPrefixSize);
      uint8_t op = h.u8();
      uint64_t rlen = h.u64();
      if (rlen > raw.size() - pos - kRecordPrefixSize) {
        damage(offset, "record inside chunk at +" + std::to_string(pos) + " overruns chunk");
        return true;
      }
      if (op == static_cast<uint8_t>(Op::Chunk)) {
        damage(offset, "nested chunk");
        return true;
      }
      record(op, raw.data() + pos + kRecordPrefixSize, rlen, offset);
      pos += kRecordPrefixSize + static_cast<size_t>(rlen);
    }
    return true;
  }

  bool decompress(const std::string& compression, const uint8_t* p, uint64_t n, uint64_t usize,
                  std::vector<uint8_t>& out, uint64_t offset) {
    if (compression.empty()) {
      if (n != usize) {
        damage(offset, "uncompressed chunk size mismatch");
        return false;
      }
      out.assign(p, p + n);
      return true;
    }
    // Check the claimed size against what the compressed bytes can expand to before
    // allocating it: a few damaged bytes must not cost a gigabyte of memory.
    if (compression == "zstd") {
      const unsigned long long frame_size = ZSTD_getFrameContentSize(p, static_cast<size_t>(n));
      if (frame_size == ZSTD_CONTENTSIZE_ERROR ||
          (frame_size != ZSTD_CONTENTSIZE_UNKNOWN && frame_size != usize) ||
          (frame_size == ZSTD_CONTENTSIZE_UNKNOWN && usize / kMaxZstdRatio > n)) {
        damage(offset,
               "zstd frame does not match the chunk's uncompressed size " + std::to_string(usize));
        return false;
      }
    } else if (compression == "lz4" && usize / kMaxLz4Ratio > n) {
      damage(offset, "lz4 chunk of " + std::to_string(n) + " bytes cannot hold " +
                         std::to_string(usize) + " uncompressed bytes");
      return false;
    }
    out.resize(static_cast<size_t>(usize));
    if (compression == "zstd") {
      size_t got = ZSTD_decompress(out.data(), out.size(), p, static_cast<size_t>(n));
      if (ZSTD_isError(got) || got != usize) {
        damage(offset, std::string("zstd decompression failed: ") +
                           (ZSTD_isError(got) ? ZSTD_getErrorName(got) : "size mismatch"));
        return false;
      }
      return true;
    }
    if (compression == "lz4") {
      LZ4F_dctx* ctx = nullptr;
      if (LZ4F_isError(LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION))) {
        damage(offset, "lz4: cannot create context");
        return false;
      }
      size_t in_pos = 0, out_pos = 0, hint = 1;
      bool failed = false;
      while (hint != 0) {
        size_t src = static_cast<size_t>(n) - in_pos;
        size_t dst = out.size() - out_pos;
        hint = LZ4F_decompress(ctx, out.data() + out_pos, &dst, p + in_pos, &src, nullptr);
        if (LZ4F_isError(hint)) {
          failed = true;
          break;
        }
        in_pos += src;
        out_pos += dst;
        if (hint != 0 && src == 0 && dst == 0) {  // no progress: input exhausted or out full
          failed = true;
          break;
        }
      }
      LZ4F_freeDecompressionContext(ctx);
      if (failed || out_pos != usize) {
        damage(offset, "lz4 decompression failed");
        return false;
      }
      return true;
    }
    damage(offset, "unsupported chunk compression \"" + compression + "\"");
    return false;
  }

 private:
  ReadResult& r_;
  Range range_;
};

bool check_magic(const uint8_t* p) {
  return std::equal(kMagic, kMagic + kMagicSize, p);
}

void scan(File& f, ReadResult& r, Range range) {
  std::vector<uint8_t> buf;
  if (!f.read(0, f.size(), buf)) {
    r.damage.push_back({0, "cannot read file"});
    return;
  }
  Parser parser(r, range);
  const uint64_t size = buf.size();
  uint64_t pos = kMagicSize;
  while (true) {
    if (size - pos < kRecordPrefixSize) {
      r.damage.push_back({pos, pos == size ? "file ends without footer (truncated)"
                                           : "file cut off inside a record header"});
      return;
    }
    ByteReader h(buf.data() + pos, kRecordPrefixSize);
    uint8_t op = h.u8();
    uint64_t len = h.u64();
    if (len > size - pos - kRecordPrefixSize) {
      r.damage.push_back({pos, "record " + hex_op(op) + " of " + std::to_string(len) +
                                   " bytes runs past end of file (" +
                                   std::to_string(size - pos - kRecordPrefixSize) +
                                   " bytes left): file cut off"});
      return;
    }
    const uint8_t* body = buf.data() + pos + kRecordPrefixSize;
    if (op == static_cast<uint8_t>(Op::Footer)) {
      uint64_t end = pos + kRecordPrefixSize + len;
      if (size - end < kMagicSize)
        r.damage.push_back({end, "file cut off inside the closing magic"});
      else if (!check_magic(buf.data() + end))
        r.damage.push_back({end, "bad closing magic after footer"});
      return;
    }
    if (op == static_cast<uint8_t>(Op::DataEnd)) {
      ByteReader in(body, static_cast<size_t>(len));
      uint32_t crc = in.u32();
      if (in.ok && crc != 0 && crc_of(buf.data(), static_cast<size_t>(pos)) != crc)
        r.damage.push_back({pos, "data section CRC mismatch"});
    } else if (!parser.record(op, body, len, pos)) {
      // A record whose body does not parse means its length cannot be trusted either:
      // stop rather than read garbage as records.
      r.damage.push_back({pos, "reading stopped at malformed record"});
      return;
    }
    pos += kRecordPrefixSize + len;
  }
}

// Loads the summary through the footer. Returns false when there is no usable summary.
bool load_summary(File& f, ReadResult& r, uint64_t& summary_start) {
  const uint64_t size = f.size();
  if (size < 2 * kMagicSize + kFooterRecordSize) return false;
  const uint64_t footer_pos = size - kMagicSize - kFooterRecordSize;
  std::vector<uint8_t> tail;
  if (!f.read(footer_pos, kFooterRecordSize + kMagicSize, tail)) return false;
  if (!check_magic(tail.data() + kFooterRecordSize)) return false;
  ByteReader in(tail.data(), tail.size());
  if (in.u8() != static_cast<uint8_t>(Op::Footer) || in.u64() != kFooterBodySize) return false;
  summary_start = in.u64();
  in.u64();  // summary_offset_start: the groups are not needed, the summary is read whole
  uint32_t crc = in.u32();
  if (summary_start == 0) return false;
  if (summary_start < kMagicSize || summary_start > footer_pos) {
    r.damage.push_back({footer_pos, "footer summary_start out of range"});
    return false;
  }
  std::vector<uint8_t> summary;
  // The summary CRC covers the footer up to and including summary_offset_start.
  if (!f.read(summary_start, footer_pos + kRecordPrefixSize + 16 - summary_start, summary))
    return false;
  if (crc != 0 && crc_of(summary.data(), summary.size()) != crc) {
    r.damage.push_back({summary_start, "summary CRC mismatch (summary ignored)"});
    return false;
  }
  ReadResult parsed;
  Parser parser(parsed, Range{});
  const uint64_t n = footer_pos - summary_start;
  uint64_t pos = 0;
  while (pos < n) {
    ByteReader h(summary.data() + pos, static_cast<size_t>(n - pos));
    uint8_t op = h.u8();
    uint64_t len = h.u64();
    if (!h.ok || len > n - pos - kRecordPrefixSize || op == static_cast<uint8_t>(Op::Chunk) ||
        op == static_cast<uint8_t>(Op::Message) ||
        !parser.record(op, summary.data() + pos + kRecordPrefixSize, len, summary_start + pos)) {
      r.damage.push_back({summary_start + pos, "malformed summary (summary ignored)"});
      return false;
    }
    pos += kRecordPrefixSize + len;
  }
  r.schemas = std::move(parsed.schemas);
  r.channels = std::move(parsed.channels);
  r.statistics = std::move(parsed.statistics);
  r.chunk_indexes = std::move(parsed.chunk_indexes);
  return true;
}

// Reads the chunks the chunk indexes point at. Returns false if the indexed read cannot be
// trusted (then the caller scans instead).
bool read_indexed(File& f, ReadResult& r, Range range, uint64_t summary_start) {
  std::vector<ChunkIndex> order = r.chunk_indexes;
  std::sort(order.begin(), order.end(), [](const ChunkIndex& a, const ChunkIndex& b) {
    return a.chunk_start_offset < b.chunk_start_offset;
  });
  Parser parser(r, range);
  std::vector<uint8_t> buf;
  for (const ChunkIndex& ci : order) {
    if (!range.overlaps(ci.message_start_time, ci.message_end_time)) continue;
    if (ci.chunk_start_offset < kMagicSize || ci.chunk_start_offset > summary_start ||
        ci.chunk_length > summary_start - ci.chunk_start_offset ||
        ci.chunk_length < kRecordPrefixSize || !f.read(ci.chunk_start_offset, ci.chunk_length, buf))
      return false;
    ByteReader h(buf.data(), buf.size());
    uint8_t op = h.u8();
    uint64_t len = h.u64();
    if (op != static_cast<uint8_t>(Op::Chunk) || len != buf.size() - kRecordPrefixSize)
      return false;
    if (!parser.chunk(buf.data() + kRecordPrefixSize, len, ci.chunk_start_offset)) return false;
  }
  return true;
}

void read_header(File& f, ReadResult& r) {
  std::vector<uint8_t> prefix;
  if (!f.read(kMagicSize, kRecordPrefixSize, prefix)) return;
  ByteReader h(prefix.data(), prefix.size());
  if (h.u8() != static_cast<uint8_t>(Op::Header)) return;
  uint64_t len = h.u64();
  std::vector<uint8_t> body;
  if (len > (1u << 20) || !f.read(kMagicSize + kRecordPrefixSize, len, body)) return;
  Parser(r, Range{}).record(static_cast<uint8_t>(Op::Header), body.data(), len, kMagicSize);
}

ReadResult read_source(File& f, Range range, bool use_summary) {
  ReadResult r;
  try {
    std::vector<uint8_t> magic;
    if (!f.read(0, kMagicSize, magic) || !check_magic(magic.data())) {
      r.damage.push_back({0, "not an MCAP file (bad magic)"});
      r.bytes_read = f.bytes_read;
      return r;
    }
    r.valid_magic = true;
    uint64_t summary_start = 0;
    bool indexed = false;
    if (use_summary && load_summary(f, r, summary_start) &&
        (!r.chunk_indexes.empty() || (r.statistics && r.statistics->message_count == 0))) {
      size_t damage_before = r.damage.size();
      indexed = read_indexed(f, r, range, summary_start);
      // A full read must account for every message the statistics count; if it does not
      // (messages outside chunks, say) and nothing was damaged, scan instead.
      if (indexed && range.all && r.statistics && r.damage.size() == damage_before &&
          r.messages.size() != r.statistics->message_count)
        indexed = false;
      if (!indexed) {
        r.damage.resize(damage_before);
        r.messages.clear();
        r.chunks_decoded = 0;
      }
    }
    if (indexed) {
      r.used_summary = true;
      read_header(f, r);
    } else {
      r.schemas.clear();
      r.channels.clear();
      r.statistics.reset();
      r.chunk_indexes.clear();
      scan(f, r, range);
    }
    std::stable_sort(r.messages.begin(), r.messages.end(),
                     [](const Message& a, const Message& b) { return a.log_time < b.log_time; });
    r.bytes_read = f.bytes_read;
  } catch (const std::exception& e) {
    r.damage.push_back({0, std::string("reader error: ") + e.what()});
  } catch (...) {
    r.damage.push_back({0, "reader error"});
  }
  return r;
}

ReadResult read_impl(const std::string& path, Range range, bool use_summary) {
  try {
    File f(path);
    if (!f.good()) {
      ReadResult r;
      r.damage.push_back({0, "cannot open " + path});
      return r;
    }
    return read_source(f, range, use_summary);
  } catch (...) {
    ReadResult r;
    r.damage.push_back({0, "reader error opening " + path});
    return r;
  }
}

ReadResult read_bytes_impl(std::span<const uint8_t> bytes, Range range, bool use_summary) {
  File f(bytes);
  return read_source(f, range, use_summary);
}

}  // namespace

ReadResult read_mcap(const std::string& path) {
  return read_impl(path, Range{}, true);
}

ReadResult read_mcap_range(const std::string& path, uint64_t start_ns, uint64_t end_ns) {
  return read_impl(path, Range{start_ns, end_ns, false}, true);
}

ReadResult scan_mcap(const std::string& path) {
  return read_impl(path, Range{}, false);
}

ReadResult read_mcap_bytes(std::span<const uint8_t> bytes) {
  return read_bytes_impl(bytes, Range{}, true);
}

ReadResult read_mcap_range_bytes(std::span<const uint8_t> bytes, uint64_t start_ns,
                                 uint64_t end_ns) {
  return read_bytes_impl(bytes, Range{start_ns, end_ns, false}, true);
}

ReadResult scan_mcap_bytes(std::span<const uint8_t> bytes) {
  return read_bytes_impl(bytes, Range{}, false);
}

std::string describe_damage(const ReadResult& r) {
  std::string out;
  for (const Damage& d : r.damage) {
    if (!out.empty()) out += "; ";
    out += "at byte " + std::to_string(d.offset) + ": " + d.what;
  }
  return out;
}

}  // namespace twin::mcap
