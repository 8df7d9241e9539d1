#include "replay/mcap_reader.h"

#include <lz4frame.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <bit>
#include <bitset>
#include <cstring>
#include <exception>
#include <fstream>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <utility>

namespace twin::mcap {

namespace {

constexpr uint64_t kNoLimit = std::numeric_limits<uint64_t>::max();
// Chunks claiming more than this uncompressed are treated as damaged (no huge allocations
// from a corrupted size field).
constexpr uint64_t kMaxChunkSize = uint64_t{1} << 30;
// Upper bounds on expansion, used before allocating a chunk's claimed size. LZ4 cannot
// exceed 255:1 (plus frame overhead); zstd RLE blocks reach ~43690:1 (only used for frames
// that do not state their content size).
constexpr uint64_t kMaxLz4Ratio = 256;
constexpr uint64_t kMaxZstdRatio = 65536;
// Scans of files on disk read ahead this much at a time, so small records (schemas, message
// indexes) cost no system call each. Larger records are read whole.
constexpr uint64_t kScanBlock = uint64_t{1} << 20;
// channel_id, sequence, log_time, publish_time.
constexpr size_t kMessageHeaderSize = 2 + 4 + 8 + 8;

// Buffers only grow (and keep their size), so that a reused buffer costs no allocation and no
// zero-filling for the next chunk; the caller tracks how much of it is in use.
void grow(std::vector<uint8_t>& buf, uint64_t n) {
  if (buf.size() < n) buf.resize(static_cast<size_t>(n));
}

uint32_t crc_update(uint32_t crc, const uint8_t* p, size_t n) {
  return static_cast<uint32_t>(crc32_z(crc, p, n));
}

// Little-endian loads for the per-message path (ByteReader goes byte by byte, with checks the
// caller has already made once for the whole record).
template <typename T>
T load_le(const uint8_t* p) {
  T v = 0;
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(&v, p, sizeof(T));
  } else {
    for (size_t i = 0; i < sizeof(T); ++i)
      v = static_cast<T>(v | (static_cast<T>(p[i]) << (8 * i)));
  }
  return v;
}

std::string hex_op(uint8_t op) {
  const char* digits = "0123456789abcdef";
  return std::string("0x") + digits[op >> 4] + digits[op & 15];
}

struct Range {
  uint64_t start = 0;
  uint64_t end = kNoLimit;
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
  // Pointers into in-memory input stay valid for the whole read.
  bool in_memory() const { return in_memory_; }
  const uint8_t* memory() const { return bytes_.data(); }
  uint64_t bytes_read = 0;

  // Returns the `n` bytes at `offset`: in place for in-memory input, else read into `buf`.
  // nullptr when they are not all there.
  const uint8_t* get(uint64_t offset, uint64_t n, std::vector<uint8_t>& buf) {
    static constexpr uint8_t kNothing = 0;
    if (offset > size_ || n > size_ - offset) return nullptr;
    bytes_read += n;
    if (n == 0) return &kNothing;
    if (in_memory_) return bytes_.data() + offset;
    grow(buf, n);
    return read_into(offset, n, buf.data()) ? buf.data() : nullptr;
  }
  // Reads from disk (not in-memory input); does not count bytes_read.
  bool read_into(uint64_t offset, uint64_t n, uint8_t* out) {
    in_.clear();
    in_.seekg(static_cast<std::streamoff>(offset));
    in_.read(reinterpret_cast<char*>(out), static_cast<std::streamsize>(n));
    return static_cast<bool>(in_);
  }

 private:
  std::ifstream in_;
  std::span<const uint8_t> bytes_;
  bool in_memory_ = false;
  uint64_t size_ = 0;
};

// Front-to-back access for scans: in-memory input is used in place; files on disk are read
// ahead in blocks into one reused buffer. Offsets must not go backwards.
class Sequential {
 public:
  explicit Sequential(File& f) : f_(f) {}

  // The `n` bytes at `offset`, valid until the next call; nullptr when they are not all there.
  const uint8_t* get(uint64_t offset, uint64_t n) {
    const uint64_t size = f_.size();
    if (offset > size || n > size - offset) return nullptr;
    if (f_.in_memory()) {
      // Count each byte once, as reading the file would.
      if (offset + n > covered_) {
        f_.bytes_read += offset + n - std::max(covered_, offset);
        covered_ = offset + n;
      }
      return f_.memory() + offset;
    }
    if (offset >= start_ && offset + n <= start_ + len_) return buf_.data() + (offset - start_);
    // Keep what is left of the window, then read the rest of the record and beyond.
    uint64_t keep = 0;
    if (offset >= start_ && offset < start_ + len_) {
      keep = start_ + len_ - offset;
      std::memmove(buf_.data(), buf_.data() + (offset - start_), static_cast<size_t>(keep));
    }
    const uint64_t want = std::min(std::max(n, kScanBlock), size - offset);
    if (buf_.size() < want) buf_.resize(static_cast<size_t>(want));
    start_ = offset;
    len_ = 0;
    if (!f_.read_into(offset + keep, want - keep, buf_.data() + keep)) return nullptr;
    f_.bytes_read += want - keep;
    len_ = want;
    return buf_.data();
  }

  // Adds the `n` bytes at `offset` to `crc`, a block at a time.
  bool checksum(uint64_t offset, uint64_t n, uint32_t& crc) {
    for (uint64_t done = 0; done < n;) {
      const uint64_t step = std::min(n - done, kScanBlock);
      const uint8_t* p = get(offset + done, step);
      if (p == nullptr) return false;
      crc = crc_update(crc, p, static_cast<size_t>(step));
      done += step;
    }
    return true;
  }

 private:
  File& f_;
  std::vector<uint8_t> buf_;
  uint64_t start_ = 0;  // file offset of buf_[0]
  uint64_t len_ = 0;    // valid bytes in buf_
  uint64_t covered_ = 0;
};

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

// The same into a flat vector (chunk index offsets; kept in file order, which writers emit
// sorted by channel id).
bool vector_16(ByteReader& in, std::vector<std::pair<uint16_t, uint64_t>>& v) {
  uint32_t len = in.u32();
  const uint8_t* p = in.take(len);
  if (!p || len % 10 != 0) return false;
  ByteReader mr(p, len);
  v.reserve(len / 10);
  while (mr.ok && mr.remaining() > 0) {
    const uint16_t k = mr.u16();
    v.emplace_back(k, mr.u64());
  }
  return mr.ok;
}

// Parses a record that carries no messages into `r` (unknown opcodes are ignored). Returns
// false when the body is malformed. `channel` is set to the channel a Channel record stored.
bool parse_meta(uint8_t op, const uint8_t* body, uint64_t len, ReadResult& r,
                const Channel** channel) {
  ByteReader in(body, static_cast<size_t>(len));
  switch (static_cast<Op>(op)) {
    case Op::Header:
      r.profile = in.str();
      r.library = in.str();
      break;
    case Op::Schema: {
      Schema s;
      s.id = in.u16();
      s.name = in.str();
      s.encoding = in.str();
      s.data = in.bytes32();
      if (in.ok) r.schemas[s.id] = std::move(s);
      break;
    }
    case Op::Channel: {
      Channel c;
      c.id = in.u16();
      c.schema_id = in.u16();
      c.topic = in.str();
      c.message_encoding = in.str();
      if (map_ss(in, c.metadata) && in.ok) {
        Channel& stored = r.channels[c.id];
        stored = std::move(c);
        *channel = &stored;
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
      if (map_16(in, s.channel_message_counts) && in.ok) r.statistics = std::move(s);
      break;
    }
    case Op::ChunkIndex: {
      ChunkIndex c;
      c.message_start_time = in.u64();
      c.message_end_time = in.u64();
      c.chunk_start_offset = in.u64();
      c.chunk_length = in.u64();
      vector_16(in, c.message_index_offsets);
      c.message_index_length = in.u64();
      c.compression = in.str();
      c.compressed_size = in.u64();
      c.uncompressed_size = in.u64();
      if (in.ok) r.chunk_indexes.push_back(std::move(c));
      break;
    }
    default:  // message indexes, attachments, metadata, ...: not needed here
      break;
  }
  return in.ok;
}

struct ChunkHeader {
  uint64_t start = 0;
  uint64_t end = 0;
  uint64_t usize = 0;
  uint32_t crc = 0;
  std::string_view compression;
  uint64_t csize = 0;
  const uint8_t* packed = nullptr;
};

bool parse_chunk_header(const uint8_t* body, uint64_t len, ChunkHeader& h) {
  ByteReader in(body, static_cast<size_t>(len));
  h.start = in.u64();
  h.end = in.u64();
  h.usize = in.u64();
  h.crc = in.u32();
  // A view, not ByteReader::str(): no string per chunk.
  const uint32_t clen = in.u32();
  const uint8_t* c = in.take(clen);
  h.csize = in.u64();
  h.packed = in.take(h.csize);
  if (!in.ok) return false;
  h.compression = std::string_view(reinterpret_cast<const char*>(c), clen);
  return true;
}

// A decoded chunk whose messages are being delivered. Kept in a pool and reused, so a steady
// stream of chunks allocates nothing once the buffers have grown.
struct DecodedChunk {
  std::vector<uint8_t> raw;        // decompressed records (unless used in place)
  std::vector<MessageView> views;  // in-range messages, sorted by log time
  size_t next = 0;                 // first view not yet delivered
  uint64_t rank = 0;               // file offset: breaks log-time ties between chunks
};

// Delivers the messages of the decoded chunks in log-time order, ties in file order. A chunk
// is merged with those still held, and a message is delivered once no chunk still to come can
// hold an earlier one. Chunks are released as soon as they are drained, so only the chunks
// overlapping the current time are in memory (two for a chain of chunks that each overlap the
// next, e.g. because a chunk boundary fell between messages of the same log time).
class Merger {
 public:
  Merger(MessageSink& sink, ReadResult& r) : sink_(sink), r_(r) {}

  DecodedChunk* acquire() {
    if (free_.empty()) {
      owned_.push_back(std::make_unique<DecodedChunk>());
      return owned_.back().get();
    }
    DecodedChunk* c = free_.back();
    free_.pop_back();
    return c;
  }
  void release(DecodedChunk* c) {
    c->views.clear();
    free_.push_back(c);
  }

  // Takes a decoded chunk (views sorted by log time).
  void add(DecodedChunk* c, uint64_t rank) {
    if (c->views.empty()) {
      release(c);
      return;
    }
    // Messages earlier than one delivered cannot be put in place any more: they go out as
    // soon as possible, in order among themselves, and are counted.
    if (delivered_ > 0 && c->views.front().log_time < max_time_) ++r_.out_of_order_chunks;
    c->next = 0;
    c->rank = rank;
    heap_.push_back(c);
    std::push_heap(heap_.begin(), heap_.end(), later);
  }

  // Delivers every held message with log_time < t: no chunk still to come starts before t.
  void deliver_before(uint64_t t) { deliver(t, false); }
  void deliver_all() { deliver(kNoLimit, true); }

  // Delivers a message met outside chunks, in file order: what is held up to its time first.
  void deliver_loose(const MessageView& m, uint64_t rank) {
    deliver(m.log_time, true);
    if (stopped_) return;
    if (delivered_ > 0 && m.log_time < max_time_) ++r_.out_of_order_chunks;
    rank_ = rank;
    one(m);
  }

  bool stopped() const { return stopped_; }
  uint64_t delivered() const { return delivered_; }
  // The file offset of the chunk (or loose message record) being delivered.
  const uint64_t* delivery_rank() const { return &rank_; }

 private:
  // Heap order: the chunk whose next message comes first is at the front.
  static bool later(const DecodedChunk* a, const DecodedChunk* b) {
    const uint64_t ta = a->views[a->next].log_time;
    const uint64_t tb = b->views[b->next].log_time;
    return ta != tb ? ta > tb : a->rank > b->rank;
  }

  void one(const MessageView& m) {
    ++delivered_;
    max_time_ = std::max(max_time_, m.log_time);
    if (!sink_.on_message(m)) stopped_ = true;
  }

  // Delivers held messages with log_time < limit (<= limit when `inclusive`).
  void deliver(uint64_t limit, bool inclusive) {
    while (!heap_.empty() && !stopped_) {
      std::pop_heap(heap_.begin(), heap_.end(), later);
      DecodedChunk* c = heap_.back();
      heap_.pop_back();
      // This chunk delivers a run while its messages come before both the limit and the next
      // chunk's head (which it precedes on a tie when it is earlier in the file).
      uint64_t bound = limit;
      bool bound_inclusive = inclusive;
      if (!heap_.empty()) {
        const DecodedChunk* n = heap_.front();
        const uint64_t nt = n->views[n->next].log_time;
        const bool before_n = c->rank < n->rank;
        if (nt < bound) {
          bound = nt;
          bound_inclusive = before_n;
        } else if (nt == bound) {
          bound_inclusive = bound_inclusive && before_n;
        }
      }
      const bool unlimited = bound_inclusive && bound == kNoLimit;
      const uint64_t below = bound_inclusive && !unlimited ? bound + 1 : bound;
      const MessageView* v = c->views.data();
      const size_t end = c->views.size();
      size_t i = c->next;
      const size_t first = i;
      rank_ = c->rank;
      while (i < end && (unlimited || v[i].log_time < below)) {
        const bool more = sink_.on_message(v[i]);
        ++i;
        if (!more) {
          stopped_ = true;
          break;
        }
      }
      if (i > first) {
        delivered_ += i - first;
        max_time_ = std::max(max_time_, v[i - 1].log_time);
      }
      c->next = i;
      if (i == end) {
        release(c);
      } else {
        heap_.push_back(c);
        std::push_heap(heap_.begin(), heap_.end(), later);
        // The front chunk could deliver nothing: nothing held is below the limit.
        if (i == first) break;
      }
    }
  }

  MessageSink& sink_;
  ReadResult& r_;
  std::vector<std::unique_ptr<DecodedChunk>> owned_;
  std::vector<DecodedChunk*> free_;
  std::vector<DecodedChunk*> heap_;
  uint64_t delivered_ = 0;
  uint64_t max_time_ = 0;
  uint64_t rank_ = 0;
  bool stopped_ = false;
};

// Where a chunk index says a chunk is (copied: reading may add chunk indexes to the result).
struct PlannedChunk {
  uint64_t start = 0;
  uint64_t end = 0;
  uint64_t offset = 0;
  uint64_t length = 0;
};

class Reader {
 public:
  Reader(File& f, ReadResult& r, MessageSink& sink, Range range)
      : f_(f), r_(r), sink_(sink), range_(range), merger_(sink, r) {}
  ~Reader() {
    ZSTD_freeDCtx(zstd_);
    if (lz4_ != nullptr) LZ4F_freeDecompressionContext(lz4_);
  }
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  bool stopped() const { return merger_.stopped(); }
  uint64_t delivered() const { return merger_.delivered(); }
  const uint64_t* delivery_rank() const { return merger_.delivery_rank(); }

  void announce(const Channel& c) {
    if (announced_.test(c.id)) return;
    announced_.set(c.id);
    const Schema* schema = nullptr;
    if (c.schema_id != 0) {
      auto it = r_.schemas.find(c.schema_id);
      if (it != r_.schemas.end()) schema = &it->second;
    }
    sink_.on_channel(c, schema);
  }
  void announce_all() {
    for (const auto& [id, c] : r_.channels) announce(c);
  }

  // Reads the planned chunks (in start-time order). A chunk record that is not where its index
  // says makes the whole indexed read untrusted when `strict` (returns false at once, the
  // caller rescans); otherwise it is reported and skipped.
  bool read_chunks(const std::vector<PlannedChunk>& plan, bool strict) {
    for (const PlannedChunk& p : plan) {
      // Later chunks start at or after p.start, so everything held before it can go.
      merger_.deliver_before(p.start);
      if (stopped()) return true;
      const uint8_t* rec = f_.get(p.offset, p.length, record_);
      ChunkHeader h;
      const char* problem = nullptr;
      if (rec == nullptr) {
        problem = "cannot read the chunk a chunk index points at (chunk skipped)";
      } else if (rec[0] != static_cast<uint8_t>(Op::Chunk) ||
                 load_le<uint64_t>(rec + 1) != p.length - kRecordPrefixSize) {
        problem = "chunk index points at no chunk record (chunk skipped)";
      } else if (!parse_chunk_header(rec + kRecordPrefixSize, p.length - kRecordPrefixSize, h)) {
        problem = "malformed chunk header (chunk skipped)";
      }
      if (problem != nullptr) {
        if (strict) return false;
        damage(p.offset, problem);
        continue;
      }
      if (!range_.overlaps(h.start, h.end)) continue;
      decode(h, p.offset);
    }
    merger_.deliver_all();
    return true;
  }

  // Reads the file front to back, record by record.
  void scan() {
    Sequential in(f_);
    const uint64_t size = f_.size();
    // Running CRC of everything before the current record, for DataEnd's data-section CRC.
    const uint8_t* magic = in.get(0, kMagicSize);
    if (magic == nullptr) {
      damage(0, "cannot read file");
      return;
    }
    uint32_t crc = crc_update(0, magic, kMagicSize);
    uint64_t pos = kMagicSize;
    while (!stopped()) {
      if (size - pos < kRecordPrefixSize) {
        damage(pos, pos == size ? "file ends without footer (truncated)"
                                : "file cut off inside a record header");
        break;
      }
      const uint8_t* prefix = in.get(pos, kRecordPrefixSize);
      if (prefix == nullptr) {
        damage(pos, "cannot read file");
        break;
      }
      const uint8_t op = prefix[0];
      const uint64_t len = load_le<uint64_t>(prefix + 1);
      if (len > size - pos - kRecordPrefixSize) {
        damage(pos, std::string("record ") + hex_op(op) + " of " + std::to_string(len) +
                        " bytes runs past end of file (" +
                        std::to_string(size - pos - kRecordPrefixSize) +
                        " bytes left): file cut off");
        break;
      }
      if (op == static_cast<uint8_t>(Op::Footer)) {
        const uint64_t end = pos + kRecordPrefixSize + len;
        const uint8_t* closing = size - end < kMagicSize ? nullptr : in.get(end, kMagicSize);
        if (size - end < kMagicSize)
          damage(end, "file cut off inside the closing magic");
        else if (closing == nullptr || !std::equal(kMagic, kMagic + kMagicSize, closing))
          damage(end, "bad closing magic after footer");
        break;
      }
      if (!parsed(op)) {
        // Only checksummed: read through in blocks, so a large attachment (or a damaged
        // length) does not have to fit in memory.
        if (!in.checksum(pos, kRecordPrefixSize + len, crc)) {
          damage(pos, "cannot read file");
          break;
        }
        pos += kRecordPrefixSize + len;
        continue;
      }
      const uint8_t* rec = in.get(pos, kRecordPrefixSize + len);
      if (rec == nullptr) {
        damage(pos, "cannot read file");
        break;
      }
      const uint8_t* body = rec + kRecordPrefixSize;
      bool good = true;
      if (op == static_cast<uint8_t>(Op::DataEnd)) {
        ByteReader d(body, static_cast<size_t>(len));
        const uint32_t want = d.u32();
        if (d.ok && want != 0 && crc != want) damage(pos, "data section CRC mismatch");
      } else if (op == static_cast<uint8_t>(Op::Chunk)) {
        ChunkHeader h;
        if (!parse_chunk_header(body, len, h)) {
          damage(pos, "malformed chunk header");
          good = false;
        } else if (range_.overlaps(h.start, h.end)) {
          // The scan assumes chunks come in time order: nothing held before this chunk's start
          // waits any longer. A later chunk starting earlier is delivered late (and counted).
          merger_.deliver_before(h.start);
          if (!stopped()) decode(h, pos);
        }
      } else {
        good = record(op, body, len, pos);
      }
      if (!good) {
        // A record whose body does not parse means its length cannot be trusted either:
        // stop rather than read garbage as records.
        damage(pos, "reading stopped at malformed record");
        break;
      }
      crc = crc_update(crc, rec, static_cast<size_t>(kRecordPrefixSize + len));
      pos += kRecordPrefixSize + len;
    }
    merger_.deliver_all();
  }

  // Records the reader looks into; the others (message indexes, attachments, metadata, summary
  // offsets, unknown opcodes) are skipped.
  static bool parsed(uint8_t op) {
    switch (static_cast<Op>(op)) {
      case Op::Header:
      case Op::Schema:
      case Op::Channel:
      case Op::Message:
      case Op::Chunk:
      case Op::ChunkIndex:
      case Op::Statistics:
      case Op::DataEnd:
        return true;
      default:
        return false;
    }
  }

  // Parses a record other than a chunk; messages outside chunks are delivered as met. Returns
  // false (and records damage) when the body is malformed. `offset` is the record's file
  // offset (the chunk's, for records inside a chunk).
  bool record(uint8_t op, const uint8_t* body, uint64_t len, uint64_t offset) {
    bool ok = true;
    if (op == static_cast<uint8_t>(Op::Message)) {
      ok = len >= kMessageHeaderSize;
      if (ok) {
        const MessageView m = view(body, len);
        if (range_.contains(m.log_time)) merger_.deliver_loose(m, offset);
      }
    } else {
      const Channel* channel = nullptr;
      ok = parse_meta(op, body, len, r_, &channel);
      if (channel != nullptr) announce(*channel);
    }
    if (!ok) damage(offset, std::string("malformed record, opcode ") + hex_op(op));
    return ok;
  }

 private:
  void damage(uint64_t offset, std::string what) { r_.damage.push_back({offset, std::move(what)}); }

  static MessageView view(const uint8_t* body, uint64_t len) {
    MessageView m;
    m.channel_id = load_le<uint16_t>(body);
    m.sequence = load_le<uint32_t>(body + 2);
    m.log_time = load_le<uint64_t>(body + 6);
    m.publish_time = load_le<uint64_t>(body + 14);
    m.data = {body + kMessageHeaderSize, static_cast<size_t>(len - kMessageHeaderSize)};
    return m;
  }

  // Decompresses and checks a chunk and hands its in-range messages to the merger. Damage
  // costs the messages of this chunk only.
  void decode(const ChunkHeader& h, uint64_t offset) {
    ++r_.chunks_decoded;
    if (h.usize > kMaxChunkSize) {
      damage(offset, "chunk claims implausible uncompressed size " + std::to_string(h.usize));
      return;
    }
    DecodedChunk* c = merger_.acquire();
    const uint8_t* raw = decompress(h, *c, offset);
    if (raw == nullptr) {
      merger_.release(c);
      return;
    }
    const size_t size = static_cast<size_t>(h.usize);
    if (h.crc != 0 && crc_update(0, raw, size) != h.crc) {
      damage(offset, "chunk CRC mismatch (messages of this chunk skipped)");
      merger_.release(c);
      return;
    }
    size_t pos = 0;
    while (pos < size) {
      if (size - pos < kRecordPrefixSize) {
        damage(offset, "truncated record inside chunk at +" + std::to_string(pos));
        break;
      }
      const uint8_t op = raw[pos];
      const uint64_t rlen = load_le<uint64_t>(raw + pos + 1);
      if (rlen > size - pos - kRecordPrefixSize) {
        damage(offset, "record inside chunk at +" + std::to_string(pos) + " overruns chunk");
        break;
      }
      const uint8_t* body = raw + pos + kRecordPrefixSize;
      if (op == static_cast<uint8_t>(Op::Message) && rlen >= kMessageHeaderSize) {
        const MessageView m = view(body, rlen);
        if (range_.contains(m.log_time)) c->views.push_back(m);
      } else if (op == static_cast<uint8_t>(Op::Chunk)) {
        damage(offset, "nested chunk");
        break;
      } else {
        record(op, body, rlen, offset);  // schemas, channels; a short message is damage
      }
      pos += kRecordPrefixSize + static_cast<size_t>(rlen);
    }
    // Writers usually store messages in log-time order; sort only when they did not. The data
    // pointers increase in file order, so they make std::sort stable without a buffer.
    auto by_time = [](const MessageView& a, const MessageView& b) {
      return a.log_time != b.log_time ? a.log_time < b.log_time : a.data.data() < b.data.data();
    };
    if (!std::is_sorted(c->views.begin(), c->views.end(), by_time))
      std::sort(c->views.begin(), c->views.end(), by_time);
    merger_.add(c, offset);
  }

  // Returns the chunk's records: the packed bytes themselves for an uncompressed chunk of
  // in-memory input, else `c.raw`. nullptr (with damage recorded) on failure.
  const uint8_t* decompress(const ChunkHeader& h, DecodedChunk& c, uint64_t offset) {
    const uint8_t* p = h.packed;
    const uint64_t n = h.csize;
    const uint64_t usize = h.usize;
    if (h.compression.empty()) {
      if (n != usize) {
        damage(offset, "uncompressed chunk size mismatch");
        return nullptr;
      }
      // Views must outlive the read buffer, which the next chunk reuses; in-memory input
      // stays put.
      if (f_.in_memory()) return p;
      grow(c.raw, n);
      if (n > 0) std::memcpy(c.raw.data(), p, static_cast<size_t>(n));
      return c.raw.data();
    }
    const bool zstd = h.compression == "zstd";
    const bool lz4 = h.compression == "lz4";
    // Check the claimed size against what the compressed bytes can expand to before
    // allocating it: a few damaged bytes must not cost a gigabyte of memory.
    if (zstd) {
      const unsigned long long frame_size = ZSTD_getFrameContentSize(p, static_cast<size_t>(n));
      if (frame_size == ZSTD_CONTENTSIZE_ERROR ||
          (frame_size != ZSTD_CONTENTSIZE_UNKNOWN && frame_size != usize) ||
          (frame_size == ZSTD_CONTENTSIZE_UNKNOWN && usize / kMaxZstdRatio > n)) {
        damage(offset,
               "zstd frame does not match the chunk's uncompressed size " + std::to_string(usize));
        return nullptr;
      }
    } else if (lz4 && usize / kMaxLz4Ratio > n) {
      damage(offset, "lz4 chunk of " + std::to_string(n) + " bytes cannot hold " +
                         std::to_string(usize) + " uncompressed bytes");
      return nullptr;
    } else if (!lz4) {
      damage(offset,
             std::string("unsupported chunk compression \"").append(h.compression).append("\""));
      return nullptr;
    }
    grow(c.raw, usize);
    const size_t cap = static_cast<size_t>(usize);
    if (zstd) {
      if (zstd_ == nullptr) zstd_ = ZSTD_createDCtx();
      const size_t got =
          zstd_ == nullptr
              ? ZSTD_decompress(c.raw.data(), cap, p, static_cast<size_t>(n))
              : ZSTD_decompressDCtx(zstd_, c.raw.data(), cap, p, static_cast<size_t>(n));
      if (ZSTD_isError(got) || got != usize) {
        damage(offset, std::string("zstd decompression failed: ") +
                           (ZSTD_isError(got) ? ZSTD_getErrorName(got) : "size mismatch"));
        return nullptr;
      }
      return c.raw.data();
    }
    if (lz4_ == nullptr) {
      if (LZ4F_isError(LZ4F_createDecompressionContext(&lz4_, LZ4F_VERSION))) {
        lz4_ = nullptr;
        damage(offset, "lz4: cannot create context");
        return nullptr;
      }
    } else {
      LZ4F_resetDecompressionContext(lz4_);  // a failed frame may have left it mid-frame
    }
    size_t in_pos = 0, out_pos = 0, hint = 1;
    bool failed = false;
    while (hint != 0) {
      size_t src = static_cast<size_t>(n) - in_pos;
      size_t dst = cap - out_pos;
      hint = LZ4F_decompress(lz4_, c.raw.data() + out_pos, &dst, p + in_pos, &src, nullptr);
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
    if (failed || out_pos != usize) {
      damage(offset, "lz4 decompression failed");
      return nullptr;
    }
    return c.raw.data();
  }

  File& f_;
  ReadResult& r_;
  MessageSink& sink_;
  Range range_;
  Merger merger_;
  std::bitset<65536> announced_;
  std::vector<uint8_t> record_;  // the chunk record being read (indexed reads)
  ZSTD_DCtx* zstd_ = nullptr;
  LZ4F_dctx* lz4_ = nullptr;
};

bool check_magic(const uint8_t* p) {
  return std::equal(kMagic, kMagic + kMagicSize, p);
}

// Loads the summary through the footer. Returns false when there is no usable summary.
bool load_summary(File& f, ReadResult& r, uint64_t& summary_start) {
  const uint64_t size = f.size();
  if (size < 2 * kMagicSize + kFooterRecordSize) return false;
  const uint64_t footer_pos = size - kMagicSize - kFooterRecordSize;
  std::vector<uint8_t> buf;
  const uint8_t* tail = f.get(footer_pos, kFooterRecordSize + kMagicSize, buf);
  if (tail == nullptr || !check_magic(tail + kFooterRecordSize)) return false;
  ByteReader in(tail, kFooterRecordSize + kMagicSize);
  if (in.u8() != static_cast<uint8_t>(Op::Footer) || in.u64() != kFooterBodySize) return false;
  summary_start = in.u64();
  in.u64();  // summary_offset_start: the groups are not needed, the summary is read whole
  uint32_t crc = in.u32();
  if (summary_start == 0) return false;
  if (summary_start < kMagicSize || summary_start > footer_pos) {
    r.damage.push_back({footer_pos, "footer summary_start out of range"});
    return false;
  }
  // The summary CRC covers the footer up to and including summary_offset_start.
  const uint64_t covered = footer_pos + kRecordPrefixSize + 16 - summary_start;
  const uint8_t* summary = f.get(summary_start, covered, buf);
  if (summary == nullptr) return false;
  if (crc != 0 && crc_update(0, summary, static_cast<size_t>(covered)) != crc) {
    r.damage.push_back({summary_start, "summary CRC mismatch (summary ignored)"});
    return false;
  }
  ReadResult parsed;
  const uint64_t n = footer_pos - summary_start;
  uint64_t pos = 0;
  while (pos < n) {
    ByteReader h(summary + pos, static_cast<size_t>(n - pos));
    uint8_t op = h.u8();
    uint64_t len = h.u64();
    const Channel* channel = nullptr;
    if (!h.ok || len > n - pos - kRecordPrefixSize || op == static_cast<uint8_t>(Op::Chunk) ||
        op == static_cast<uint8_t>(Op::Message) ||
        !parse_meta(op, summary + pos + kRecordPrefixSize, len, parsed, &channel)) {
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

// The chunks an indexed read visits: those overlapping the range, in start-time order (file
// order among equal starts). Empty optional when an index points outside the data section.
std::optional<std::vector<PlannedChunk>> plan_chunks(const ReadResult& r, Range range,
                                                     uint64_t summary_start,
                                                     const std::vector<bool>* wanted) {
  std::vector<PlannedChunk> plan;
  plan.reserve(r.chunk_indexes.size());
  for (const ChunkIndex& ci : r.chunk_indexes) {
    if (!range.overlaps(ci.message_start_time, ci.message_end_time)) continue;
    if (wanted != nullptr) {
      bool any = false;
      for (const auto& [channel, offset] : ci.message_index_offsets) {
        if (channel < wanted->size() && (*wanted)[channel]) {
          any = true;
          break;
        }
      }
      if (!any) continue;
    }
    if (ci.chunk_start_offset < kMagicSize || ci.chunk_start_offset > summary_start ||
        ci.chunk_length > summary_start - ci.chunk_start_offset ||
        ci.chunk_length < kRecordPrefixSize)
      return std::nullopt;
    plan.push_back(
        {ci.message_start_time, ci.message_end_time, ci.chunk_start_offset, ci.chunk_length});
  }
  std::sort(plan.begin(), plan.end(), [](const PlannedChunk& a, const PlannedChunk& b) {
    return a.start != b.start ? a.start < b.start : a.offset < b.offset;
  });
  return plan;
}

void read_header(File& f, ReadResult& r) {
  std::vector<uint8_t> buf;
  const uint8_t* prefix = f.get(kMagicSize, kRecordPrefixSize, buf);
  if (prefix == nullptr || prefix[0] != static_cast<uint8_t>(Op::Header)) return;
  const uint64_t len = load_le<uint64_t>(prefix + 1);
  if (len > (1u << 20)) return;
  const uint8_t* body = f.get(kMagicSize + kRecordPrefixSize, len, buf);
  const Channel* unused = nullptr;
  if (body != nullptr && !parse_meta(static_cast<uint8_t>(Op::Header), body, len, r, &unused))
    r.damage.push_back({kMagicSize, std::string("malformed record, opcode ") +
                                        hex_op(static_cast<uint8_t>(Op::Header))});
}

// Copies every message: the materialising reads. Also notes where in the file each message
// came from, so that messages delivered late can be put back exactly where a sort of the whole
// file puts them.
class Collector final : public MessageSink {
 public:
  std::vector<Message> messages;
  std::vector<uint64_t> ranks;
  const uint64_t* rank = nullptr;  // the reader's delivery_rank()

  void clear() {
    messages.clear();
    ranks.clear();
  }
  void on_channel(const Channel&, const Schema*) override {}
  bool on_message(const MessageView& v) override {
    Message m;
    m.channel_id = v.channel_id;
    m.sequence = v.sequence;
    m.log_time = v.log_time;
    m.publish_time = v.publish_time;
    m.data.assign(v.data.begin(), v.data.end());
    // In this order, running out of memory leaves at most a spare rank, never a message
    // without one.
    ranks.push_back(*rank);
    messages.push_back(std::move(m));
    return true;
  }
};

// The one reading path. With a `collector` (the materialising reads), an indexed read that
// turns out untrusted, or a full one that misses messages the statistics count, is dropped and
// the file scanned instead, as read_mcap always did; the collector can forget what it got.
// Without one, messages already delivered cannot be taken back, so both are reported as damage.
// Passes on the messages of wanted topics only (StreamOptions::topics).
class TopicFilter final : public MessageSink {
 public:
  TopicFilter(MessageSink& inner, const std::vector<std::string>& topics)
      : inner_(inner), topics_(topics) {}
  void on_channel(const Channel& channel, const Schema* schema) override {
    if (wanted.size() <= channel.id) wanted.resize(size_t{channel.id} + 1, false);
    wanted[channel.id] = std::find(topics_.begin(), topics_.end(), channel.topic) != topics_.end();
    inner_.on_channel(channel, schema);
  }
  bool on_message(const MessageView& m) override {
    if (m.channel_id >= wanted.size() || !wanted[m.channel_id]) return true;
    return inner_.on_message(m);
  }
  // Marks the channels of a loaded summary before any chunk is planned.
  void mark(const std::map<uint16_t, Channel>& channels) {
    for (const auto& [id, channel] : channels) {
      if (wanted.size() <= id) wanted.resize(size_t{id} + 1, false);
      wanted[id] = std::find(topics_.begin(), topics_.end(), channel.topic) != topics_.end();
    }
  }
  std::vector<bool> wanted;  // by channel id

 private:
  MessageSink& inner_;
  const std::vector<std::string>& topics_;
};

// A summary parsed earlier (McapFile): `summary` holds its schemas, channels, statistics and
// chunk indexes.
struct CachedSummary {
  const ReadResult* summary = nullptr;
  uint64_t summary_start = 0;
};

ReadResult stream_source(File& f, MessageSink& outer_sink, Range range, bool use_summary,
                         Collector* collector, const std::vector<std::string>* topics = nullptr,
                         const CachedSummary* cached = nullptr) {
  std::optional<TopicFilter> filter;
  if (topics != nullptr && !topics->empty()) filter.emplace(outer_sink, *topics);
  MessageSink& sink = filter ? static_cast<MessageSink&>(*filter) : outer_sink;
  ReadResult r;
  try {
    std::vector<uint8_t> buf;
    const uint8_t* magic = f.get(0, kMagicSize, buf);
    if (magic == nullptr || !check_magic(magic)) {
      r.damage.push_back({0, "not an MCAP file (bad magic)"});
      r.bytes_read = f.bytes_read;
      return r;
    }
    r.valid_magic = true;
    uint64_t summary_start = 0;
    bool indexed = false;
    bool have_summary = false;
    if (cached != nullptr) {
      r.schemas = cached->summary->schemas;
      r.channels = cached->summary->channels;
      r.statistics = cached->summary->statistics;
      summary_start = cached->summary_start;
      have_summary = true;
    } else if (use_summary) {
      have_summary = load_summary(f, r, summary_start);
    }
    const ReadResult& index = cached != nullptr ? *cached->summary : r;
    if (have_summary &&
        (!index.chunk_indexes.empty() || (r.statistics && r.statistics->message_count == 0))) {
      // Checked before anything is delivered, so a bad index still leaves the scan possible.
      if (filter) filter->mark(r.channels);
      if (auto plan =
              plan_chunks(index, range, summary_start, filter ? &filter->wanted : nullptr)) {
        const size_t damage_before = r.damage.size();
        Reader reader(f, r, sink, range);
        if (collector != nullptr) collector->rank = reader.delivery_rank();
        reader.announce_all();
        indexed = reader.read_chunks(*plan, collector != nullptr);
        // Chunks were read in time order; list their damage in file order, as a scan would.
        std::stable_sort(r.damage.begin() + static_cast<std::ptrdiff_t>(damage_before),
                         r.damage.end(),
                         [](const Damage& a, const Damage& b) { return a.offset < b.offset; });
        // A full read must account for every message the statistics count (messages outside
        // chunks, say, are not in any chunk index).
        if (indexed && range.all && !filter && r.statistics && !reader.stopped() &&
            r.damage.size() == damage_before && reader.delivered() != r.statistics->message_count) {
          if (collector != nullptr) {
            indexed = false;
          } else {
            r.damage.push_back({summary_start, "the chunk indexes hold " +
                                                   std::to_string(reader.delivered()) +
                                                   " messages but the statistics count " +
                                                   std::to_string(r.statistics->message_count)});
          }
        }
        if (!indexed) {
          r.damage.resize(damage_before);
          r.chunks_decoded = 0;
          r.out_of_order_chunks = 0;
          if (collector != nullptr) collector->clear();
        }
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
      Reader reader(f, r, sink, range);
      if (collector != nullptr) collector->rank = reader.delivery_rank();
      reader.scan();
    }
  } catch (const std::exception& e) {
    r.damage.push_back({0, std::string("reader error: ") + e.what()});
  } catch (...) {
    r.damage.push_back({0, "reader error"});
  }
  r.bytes_read = f.bytes_read;
  return r;
}

ReadResult read_source(File& f, Range range, bool use_summary) {
  Collector collector;
  ReadResult r = stream_source(f, collector, range, use_summary, &collector);
  std::vector<Message>& got = collector.messages;
  const std::vector<uint64_t>& rank = collector.ranks;
  // Delivery is in order (log time, then file position) unless chunks came late: a scan met
  // chunks going back in time, or chunk indexes gave wrong times. Then sort as if the whole
  // file had been read in file order and sorted stably by log time.
  auto before = [&](size_t a, size_t b) {
    return got[a].log_time != got[b].log_time ? got[a].log_time < got[b].log_time
                                              : rank[a] < rank[b];
  };
  bool ordered = true;
  for (size_t i = 1; i < got.size() && ordered; ++i) ordered = !before(i, i - 1);
  if (ordered) {
    r.messages = std::move(got);
    return r;
  }
  std::vector<size_t> order(got.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), before);
  r.messages.reserve(got.size());
  for (size_t i : order) r.messages.push_back(std::move(got[i]));
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

Range range_of(const StreamOptions& o) {
  if (o.start_ns == 0 && o.end_ns == kNoLimit) return Range{};
  return Range{o.start_ns, o.end_ns, false};
}

}  // namespace

ReadResult stream_mcap(const std::string& path, MessageSink& sink, const StreamOptions& options) {
  try {
    File f(path);
    if (!f.good()) {
      ReadResult r;
      r.damage.push_back({0, "cannot open " + path});
      return r;
    }
    return stream_source(f, sink, range_of(options), options.use_summary, nullptr, &options.topics);
  } catch (...) {
    ReadResult r;
    r.damage.push_back({0, "reader error opening " + path});
    return r;
  }
}

ReadResult stream_mcap_bytes(std::span<const uint8_t> bytes, MessageSink& sink,
                             const StreamOptions& options) {
  File f(bytes);
  return stream_source(f, sink, range_of(options), options.use_summary, nullptr, &options.topics);
}

bool McapFile::open(const std::string& path) {
  open_ = false;
  path_ = path;
  summary_ = ReadResult{};
  try {
    File f(path);
    if (!f.good()) return false;
    std::vector<uint8_t> buf;
    const uint8_t* magic = f.get(0, kMagicSize, buf);
    if (magic == nullptr || !check_magic(magic)) return false;
    summary_.valid_magic = true;
    if (!load_summary(f, summary_, summary_start_) || summary_.chunk_indexes.empty()) return false;
    // The same checks an indexed read makes before trusting the indexes.
    if (!plan_chunks(summary_, Range{}, summary_start_, nullptr)) return false;
  } catch (...) {
    return false;
  }
  open_ = true;
  return true;
}

ReadResult McapFile::stream(MessageSink& sink, const StreamOptions& options) const {
  if (!open_) return stream_mcap(path_, sink, options);
  try {
    File f(path_);
    if (!f.good()) {
      ReadResult r;
      r.damage.push_back({0, "cannot open " + path_});
      return r;
    }
    const CachedSummary cached{&summary_, summary_start_};
    return stream_source(f, sink, range_of(options), true, nullptr, &options.topics, &cached);
  } catch (...) {
    ReadResult r;
    r.damage.push_back({0, "reader error opening " + path_});
    return r;
  }
}

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
