#include "replay/mcap_writer.h"

#include <lz4frame.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <utility>

namespace twin::mcap {

namespace {

uint32_t crc_update(uint32_t crc, const uint8_t* p, size_t n) {
  return static_cast<uint32_t>(crc32_z(crc, p, n));
}

void write_map(ByteWriter& w, const std::map<std::string, std::string>& m) {
  size_t at = w.reserve(4);
  for (const auto& [k, v] : m) {
    w.str(k);
    w.str(v);
  }
  w.patch_u32(at);
}

bool compress(Compression c, const std::vector<uint8_t>& in, std::vector<uint8_t>& out) {
  switch (c) {
    case Compression::None:
      out = in;
      return true;
    case Compression::Zstd: {
      out.resize(ZSTD_compressBound(in.size()));
      size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 3);
      if (ZSTD_isError(n)) return false;
      out.resize(n);
      return true;
    }
    case Compression::Lz4: {
      out.resize(LZ4F_compressFrameBound(in.size(), nullptr));
      size_t n = LZ4F_compressFrame(out.data(), out.size(), in.data(), in.size(), nullptr);
      if (LZ4F_isError(n)) return false;
      out.resize(n);
      return true;
    }
  }
  return false;
}

}  // namespace

McapWriter::~McapWriter() {
  if (file_.is_open()) close();
}

bool McapWriter::fail(std::string message) {
  error_ = std::move(message);
  return false;
}

bool McapWriter::open(const std::string& path, std::string_view profile, Compression compression,
                      uint64_t chunk_size, bool write_summary) {
  if (file_.is_open()) return fail("writer already open");
  // Reset everything a previous (closed) file left behind.
  error_.clear();
  offset_ = 0;
  data_crc_ = 0;
  in_data_section_ = true;
  schemas_.clear();
  channels_.clear();
  chunk_indexes_.clear();
  stats_ = Statistics();
  chunk_.clear();
  chunk_message_index_.clear();
  file_.open(path, std::ios::binary | std::ios::trunc);
  if (!file_) return fail("cannot open " + path + " for writing");
  compression_ = compression;
  chunk_size_ = chunk_size == 0 ? 1 : chunk_size;
  write_summary_ = write_summary;

  std::vector<uint8_t> magic(kMagic, kMagic + kMagicSize);
  write_raw(magic);
  std::vector<uint8_t> body;
  ByteWriter w(body);
  w.str(profile);
  w.str("twin");
  write_record(Op::Header, body);
  return static_cast<bool>(file_) || fail("write failed");
}

void McapWriter::write_raw(const std::vector<uint8_t>& bytes) {
  file_.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
  if (in_data_section_) data_crc_ = crc_update(data_crc_, bytes.data(), bytes.size());
  offset_ += bytes.size();
}

void McapWriter::write_record(Op op, const std::vector<uint8_t>& body) {
  std::vector<uint8_t> rec;
  rec.reserve(kRecordPrefixSize + body.size());
  ByteWriter w(rec);
  w.u8(static_cast<uint8_t>(op));
  w.u64(body.size());
  w.bytes(body.data(), body.size());
  write_raw(rec);
}

uint16_t McapWriter::add_schema(std::string_view name, std::string_view encoding,
                                std::span<const uint8_t> data) {
  if (!file_.is_open() || schemas_.size() >= 0xFFFE) {
    fail("add_schema: writer not open or too many schemas");
    return 0;
  }
  Schema s;
  s.id = static_cast<uint16_t>(schemas_.size() + 1);
  s.name = name;
  s.encoding = encoding;
  s.data.assign(data.begin(), data.end());
  std::vector<uint8_t> body;
  ByteWriter w(body);
  w.u16(s.id);
  w.str(s.name);
  w.str(s.encoding);
  w.u32(static_cast<uint32_t>(s.data.size()));
  w.bytes(s.data.data(), s.data.size());
  // Written straight into the data section (outside chunks) so that a reader recovering a
  // damaged file knows every schema and channel before the first message that uses it.
  write_record(Op::Schema, body);
  schemas_.push_back(std::move(s));
  return schemas_.back().id;
}

uint16_t McapWriter::add_channel(uint16_t schema_id, std::string_view topic,
                                 std::string_view message_encoding,
                                 const std::map<std::string, std::string>& metadata) {
  if (!file_.is_open() || channels_.size() >= 0xFFFE || schema_id > schemas_.size()) {
    fail("add_channel: writer not open, unknown schema or too many channels");
    return 0;
  }
  Channel c;
  c.id = static_cast<uint16_t>(channels_.size() + 1);
  c.schema_id = schema_id;
  c.topic = topic;
  c.message_encoding = message_encoding;
  c.metadata = metadata;
  std::vector<uint8_t> body;
  ByteWriter w(body);
  w.u16(c.id);
  w.u16(c.schema_id);
  w.str(c.topic);
  w.str(c.message_encoding);
  write_map(w, c.metadata);
  write_record(Op::Channel, body);
  channels_.push_back(std::move(c));
  return channels_.back().id;
}

bool McapWriter::write_message(uint16_t channel_id, uint32_t sequence, uint64_t log_time_ns,
                               uint64_t publish_time_ns, std::span<const uint8_t> data) {
  if (!file_.is_open()) return fail("write_message: writer not open");
  if (channel_id == 0 || channel_id > channels_.size())
    return fail("write_message: unknown channel " + std::to_string(channel_id));
  if (chunk_.empty()) {
    chunk_start_time_ = log_time_ns;
    chunk_end_time_ = log_time_ns;
  }
  chunk_start_time_ = std::min(chunk_start_time_, log_time_ns);
  chunk_end_time_ = std::max(chunk_end_time_, log_time_ns);
  chunk_message_index_[channel_id].emplace_back(log_time_ns, chunk_.size());

  ByteWriter w(chunk_);
  w.u8(static_cast<uint8_t>(Op::Message));
  w.u64(2 + 4 + 8 + 8 + data.size());
  w.u16(channel_id);
  w.u32(sequence);
  w.u64(log_time_ns);
  w.u64(publish_time_ns);
  w.bytes(data.data(), data.size());

  if (stats_.message_count == 0) {
    stats_.message_start_time = log_time_ns;
    stats_.message_end_time = log_time_ns;
  }
  stats_.message_start_time = std::min(stats_.message_start_time, log_time_ns);
  stats_.message_end_time = std::max(stats_.message_end_time, log_time_ns);
  ++stats_.message_count;
  ++stats_.channel_message_counts[channel_id];

  if (chunk_.size() >= chunk_size_) return flush_chunk();
  return static_cast<bool>(file_) || fail("write failed");
}

bool McapWriter::flush_chunk() {
  if (chunk_.empty()) return true;
  std::vector<uint8_t> packed;
  if (!compress(compression_, chunk_, packed)) return fail("chunk compression failed");

  ChunkIndex ci;
  ci.message_start_time = chunk_start_time_;
  ci.message_end_time = chunk_end_time_;
  ci.chunk_start_offset = offset_;
  ci.compression = compression_name(compression_);
  ci.compressed_size = packed.size();
  ci.uncompressed_size = chunk_.size();

  std::vector<uint8_t> body;
  body.reserve(packed.size() + 64);
  ByteWriter w(body);
  w.u64(chunk_start_time_);
  w.u64(chunk_end_time_);
  w.u64(chunk_.size());
  w.u32(crc_update(0, chunk_.data(), chunk_.size()));
  w.str(ci.compression);
  w.u64(packed.size());
  w.bytes(packed.data(), packed.size());
  write_record(Op::Chunk, body);
  ci.chunk_length = offset_ - ci.chunk_start_offset;

  uint64_t index_start = offset_;
  for (auto& [channel, entries] : chunk_message_index_) {
    std::stable_sort(entries.begin(), entries.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<uint8_t> ib;
    ByteWriter iw(ib);
    iw.u16(channel);
    iw.u32(static_cast<uint32_t>(entries.size() * 16));
    for (const auto& [t, off] : entries) {
      iw.u64(t);
      iw.u64(off);
    }
    ci.message_index_offsets.emplace_back(channel, offset_);  // channels in id order (map)
    write_record(Op::MessageIndex, ib);
  }
  ci.message_index_length = offset_ - index_start;

  chunk_indexes_.push_back(std::move(ci));
  ++stats_.chunk_count;
  chunk_.clear();
  chunk_message_index_.clear();
  return static_cast<bool>(file_) || fail("write failed");
}

bool McapWriter::close() {
  if (!file_.is_open()) return fail("close: writer not open");
  bool ok = flush_chunk();

  std::vector<uint8_t> body;
  ByteWriter dw(body);
  dw.u32(data_crc_);
  write_record(Op::DataEnd, body);
  in_data_section_ = false;

  stats_.schema_count = static_cast<uint16_t>(schemas_.size());
  stats_.channel_count = static_cast<uint32_t>(channels_.size());

  // Summary and summary-offset sections plus the footer, built in memory so the summary
  // CRC can cover them exactly (up to and including the footer's summary_offset_start).
  std::vector<uint8_t> tail;
  ByteWriter t(tail);
  const uint64_t summary_start = offset_;
  auto record = [&](Op op, auto&& fill) {
    t.u8(static_cast<uint8_t>(op));
    size_t at = t.reserve(8);
    fill();
    t.patch_u64(at);
  };
  struct Group {
    Op op;
    uint64_t start, length;
  };
  std::vector<Group> groups;
  auto group = [&](Op op, auto&& fill_all) {
    uint64_t start = summary_start + tail.size();
    fill_all();
    uint64_t end = summary_start + tail.size();
    if (end > start) groups.push_back({op, start, end - start});
  };

  if (write_summary_) {
    group(Op::Schema, [&] {
      for (const Schema& s : schemas_)
        record(Op::Schema, [&] {
          t.u16(s.id);
          t.str(s.name);
          t.str(s.encoding);
          t.u32(static_cast<uint32_t>(s.data.size()));
          t.bytes(s.data.data(), s.data.size());
        });
    });
    group(Op::Channel, [&] {
      for (const Channel& c : channels_)
        record(Op::Channel, [&] {
          t.u16(c.id);
          t.u16(c.schema_id);
          t.str(c.topic);
          t.str(c.message_encoding);
          write_map(t, c.metadata);
        });
    });
    group(Op::Statistics, [&] {
      record(Op::Statistics, [&] {
        t.u64(stats_.message_count);
        t.u16(stats_.schema_count);
        t.u32(stats_.channel_count);
        t.u32(stats_.attachment_count);
        t.u32(stats_.metadata_count);
        t.u32(stats_.chunk_count);
        t.u64(stats_.message_start_time);
        t.u64(stats_.message_end_time);
        t.u32(static_cast<uint32_t>(stats_.channel_message_counts.size() * 10));
        for (const auto& [id, n] : stats_.channel_message_counts) {
          t.u16(id);
          t.u64(n);
        }
      });
    });
    group(Op::ChunkIndex, [&] {
      for (const ChunkIndex& ci : chunk_indexes_)
        record(Op::ChunkIndex, [&] {
          t.u64(ci.message_start_time);
          t.u64(ci.message_end_time);
          t.u64(ci.chunk_start_offset);
          t.u64(ci.chunk_length);
          t.u32(static_cast<uint32_t>(ci.message_index_offsets.size() * 10));
          for (const auto& [id, off] : ci.message_index_offsets) {
            t.u16(id);
            t.u64(off);
          }
          t.u64(ci.message_index_length);
          t.str(ci.compression);
          t.u64(ci.compressed_size);
          t.u64(ci.uncompressed_size);
        });
    });
  }
  const uint64_t summary_offset_start = summary_start + tail.size();
  for (const Group& g : groups)
    record(Op::SummaryOffset, [&] {
      t.u8(static_cast<uint8_t>(g.op));
      t.u64(g.start);
      t.u64(g.length);
    });

  t.u8(static_cast<uint8_t>(Op::Footer));
  t.u64(kFooterBodySize);
  t.u64(write_summary_ ? summary_start : 0);
  t.u64(write_summary_ && !groups.empty() ? summary_offset_start : 0);
  t.u32(write_summary_ ? crc_update(0, tail.data(), tail.size()) : 0);
  t.bytes(kMagic, kMagicSize);
  write_raw(tail);

  file_.close();
  if (!file_) ok = fail("write failed");
  return ok;
}

}  // namespace twin::mcap
