#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "replay/mcap_reader.h"
#include "replay/mcap_writer.h"

namespace twin::mcap {
namespace {

namespace fs = std::filesystem;

std::string temp_path(const std::string& name) {
  return (fs::temp_directory_path() /
          ("twin_mcap_" + std::to_string(::getpid()) + "_" + name + ".mcap"))
      .string();
}

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes, size_t n) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(n));
}

// The payload of message i: a few bytes derived from i, of varying length.
std::vector<uint8_t> payload(uint32_t i) {
  std::vector<uint8_t> p(8 + i % 40);
  for (size_t k = 0; k < p.size(); ++k) p[k] = static_cast<uint8_t>(i * 31 + k * 7);
  return p;
}

struct Written {
  std::vector<Message> messages;  // in write order (= log-time order)
  std::vector<Schema> schemas;
  std::vector<Channel> channels;
};

// Writes `n` messages over 4 channels (2 schemas), log times 1 ms apart with some repeats.
Written write_file(const std::string& path, Compression compression, uint32_t n,
                   uint64_t chunk_size, bool summary = true) {
  Written w;
  McapWriter writer;
  EXPECT_TRUE(writer.open(path, "twin", compression, chunk_size, summary)) << writer.error();
  const std::vector<uint8_t> json_schema = {'{', '}'};
  const std::vector<uint8_t> proto_schema = {1, 2, 3, 0, 255};
  uint16_t s1 = writer.add_schema("twin.Sample", "jsonschema", json_schema);
  uint16_t s2 = writer.add_schema("twin.State", "protobuf", proto_schema);
  w.schemas.push_back({s1, "twin.Sample", "jsonschema", json_schema});
  w.schemas.push_back({s2, "twin.State", "protobuf", proto_schema});
  const char* topics[] = {"/line1/press", "/line1/oven", "/line1/robot", "/twin/state"};
  for (int c = 0; c < 4; ++c) {
    uint16_t schema = c == 3 ? s2 : s1;
    std::map<std::string, std::string> meta = {{"machine", topics[c]}, {"unit", "s"}};
    if (c == 2) meta.clear();
    std::string encoding = c == 3 ? "protobuf" : "json";
    uint16_t id = writer.add_channel(schema, topics[c], encoding, meta);
    EXPECT_EQ(id, c + 1);
    w.channels.push_back({id, schema, topics[c], encoding, meta});
  }
  for (uint32_t i = 0; i < n; ++i) {
    Message m;
    m.channel_id = static_cast<uint16_t>(1 + i % 4);
    m.sequence = i;
    m.log_time = 1'000'000'000ull + (i / 2) * 1'000'000ull;  // pairs share a log time
    m.publish_time = m.log_time - 500;
    m.data = payload(i);
    EXPECT_TRUE(writer.write_message(m.channel_id, m.sequence, m.log_time, m.publish_time, m.data))
        << writer.error();
    w.messages.push_back(std::move(m));
  }
  EXPECT_TRUE(writer.close()) << writer.error();
  return w;
}

void expect_same(const Message& a, const Message& b) {
  EXPECT_EQ(a.channel_id, b.channel_id);
  EXPECT_EQ(a.sequence, b.sequence);
  EXPECT_EQ(a.log_time, b.log_time);
  EXPECT_EQ(a.publish_time, b.publish_time);
  EXPECT_EQ(a.data, b.data);
}

// True when `got` equals the first got.size() messages of `all`.
bool is_prefix(const std::vector<Message>& got, const std::vector<Message>& all) {
  if (got.size() > all.size()) return false;
  for (size_t i = 0; i < got.size(); ++i) {
    const Message& a = got[i];
    const Message& b = all[i];
    if (a.channel_id != b.channel_id || a.sequence != b.sequence || a.log_time != b.log_time ||
        a.publish_time != b.publish_time || a.data != b.data)
      return false;
  }
  return true;
}

bool mentions(const ReadResult& r, const std::string& word) {
  return describe_damage(r).find(word) != std::string::npos;
}

class McapRoundTrip : public ::testing::TestWithParam<Compression> {};

TEST_P(McapRoundTrip, TenThousandMessagesOverFourChannels) {
  const std::string path = temp_path("roundtrip_" + std::string(compression_name(GetParam())));
  Written w = write_file(path, GetParam(), 10'000, 32 * 1024);

  ReadResult r = read_mcap(path);
  ASSERT_TRUE(r.ok()) << describe_damage(r);
  EXPECT_TRUE(r.used_summary);
  EXPECT_EQ(r.profile, "twin");
  EXPECT_EQ(r.library, "twin");
  ASSERT_EQ(r.messages.size(), w.messages.size());
  for (size_t i = 0; i < w.messages.size(); ++i) expect_same(r.messages[i], w.messages[i]);

  ASSERT_EQ(r.schemas.size(), 2u);
  for (const Schema& s : w.schemas) {
    EXPECT_EQ(r.schemas[s.id].name, s.name);
    EXPECT_EQ(r.schemas[s.id].encoding, s.encoding);
    EXPECT_EQ(r.schemas[s.id].data, s.data);
  }
  ASSERT_EQ(r.channels.size(), 4u);
  for (const Channel& c : w.channels) {
    EXPECT_EQ(r.channels[c.id].schema_id, c.schema_id);
    EXPECT_EQ(r.channels[c.id].topic, c.topic);
    EXPECT_EQ(r.channels[c.id].message_encoding, c.message_encoding);
    EXPECT_EQ(r.channels[c.id].metadata, c.metadata);
  }

  ASSERT_TRUE(r.statistics.has_value());
  EXPECT_EQ(r.statistics->message_count, 10'000u);
  EXPECT_EQ(r.statistics->schema_count, 2u);
  EXPECT_EQ(r.statistics->channel_count, 4u);
  EXPECT_EQ(r.statistics->message_start_time, w.messages.front().log_time);
  EXPECT_EQ(r.statistics->message_end_time, w.messages.back().log_time);
  for (uint16_t c = 1; c <= 4; ++c) EXPECT_EQ(r.statistics->channel_message_counts[c], 2500u);
  EXPECT_GT(r.chunk_indexes.size(), 3u);
  EXPECT_EQ(r.statistics->chunk_count, r.chunk_indexes.size());
  EXPECT_EQ(r.chunks_decoded, r.chunk_indexes.size());
  for (const ChunkIndex& ci : r.chunk_indexes) {
    EXPECT_EQ(ci.compression, compression_name(GetParam()));
    EXPECT_EQ(ci.message_index_offsets.size(), 4u);
  }

  // Scanning the data section without the summary gives the same answer.
  ReadResult s = scan_mcap(path);
  ASSERT_TRUE(s.ok()) << describe_damage(s);
  EXPECT_FALSE(s.used_summary);
  ASSERT_EQ(s.messages.size(), w.messages.size());
  EXPECT_TRUE(is_prefix(s.messages, w.messages));
  EXPECT_EQ(s.channels.size(), 4u);
  fs::remove(path);
}

INSTANTIATE_TEST_SUITE_P(Compressions, McapRoundTrip,
                         ::testing::Values(Compression::None, Compression::Zstd, Compression::Lz4),
                         [](const auto& param_info) {
                           std::string n(compression_name(param_info.param));
                           return n.empty() ? std::string("none") : n;
                         });

TEST(Mcap, FileLayoutOffsetsAreConsistent) {
  const std::string path = temp_path("layout");
  write_file(path, Compression::Zstd, 2000, 4096);
  const std::vector<uint8_t> bytes = read_bytes(path);
  ReadResult r = read_mcap(path);
  ASSERT_TRUE(r.ok()) << describe_damage(r);
  for (const ChunkIndex& ci : r.chunk_indexes) {
    ASSERT_LT(ci.chunk_start_offset + ci.chunk_length, bytes.size());
    EXPECT_EQ(bytes[ci.chunk_start_offset], static_cast<uint8_t>(Op::Chunk));
    uint64_t sum = 0;
    for (const auto& [channel, off] : ci.message_index_offsets) {
      ASSERT_LT(off, bytes.size());
      EXPECT_EQ(bytes[off], static_cast<uint8_t>(Op::MessageIndex));
      EXPECT_EQ(bytes[off + 9] | (bytes[off + 10] << 8), channel);
      uint64_t len = 0;
      for (int k = 0; k < 8; ++k) len |= static_cast<uint64_t>(bytes[off + 1 + k]) << (8 * k);
      sum += 9 + len;
    }
    EXPECT_EQ(sum, ci.message_index_length);
    // Message indexes follow the chunk directly.
    EXPECT_EQ(ci.message_index_offsets.begin()->second, ci.chunk_start_offset + ci.chunk_length);
  }
  fs::remove(path);
}

TEST(Mcap, TimeRangeReadsOnlyOverlappingChunks) {
  const std::string path = temp_path("range");
  Written w = write_file(path, Compression::Zstd, 10'000, 8 * 1024);
  const uint64_t t0 = w.messages[4000].log_time;
  const uint64_t t1 = w.messages[4600].log_time;

  ReadResult all = read_mcap(path);
  ASSERT_TRUE(all.ok());
  size_t overlapping = 0;
  for (const ChunkIndex& ci : all.chunk_indexes)
    if (ci.message_end_time >= t0 && ci.message_start_time < t1) ++overlapping;
  ASSERT_GT(all.chunk_indexes.size(), 10u);
  ASSERT_LT(overlapping, all.chunk_indexes.size() / 4);

  ReadResult r = read_mcap_range(path, t0, t1);
  ASSERT_TRUE(r.ok()) << describe_damage(r);
  EXPECT_TRUE(r.used_summary);
  EXPECT_EQ(r.chunks_decoded, overlapping);
  EXPECT_LT(r.bytes_read, read_bytes(path).size() / 2);
  std::vector<Message> expected;
  for (const Message& m : w.messages)
    if (m.log_time >= t0 && m.log_time < t1) expected.push_back(m);
  ASSERT_EQ(r.messages.size(), expected.size());
  EXPECT_EQ(r.messages.size(), 600u);
  for (size_t i = 0; i < expected.size(); ++i) expect_same(r.messages[i], expected[i]);
  fs::remove(path);
}

TEST(Mcap, TruncatedAtEvery97thByteRecoversAPrefix) {
  const std::string path = temp_path("full");
  const std::string cut_path = temp_path("cut");
  Written w = write_file(path, Compression::Zstd, 1500, 2048);
  const std::vector<uint8_t> bytes = read_bytes(path);
  size_t last_count = 0;
  std::vector<size_t> cuts;
  for (size_t cut = 0; cut < bytes.size(); cut += 97) cuts.push_back(cut);
  cuts.push_back(bytes.size() - 1);
  for (size_t cut : cuts) {
    write_bytes(cut_path, bytes, cut);
    ReadResult r;
    ASSERT_NO_THROW(r = read_mcap(cut_path)) << "cut at " << cut;
    EXPECT_FALSE(r.ok()) << "cut at " << cut;
    ASSERT_FALSE(r.damage.empty()) << "cut at " << cut;
    EXPECT_LE(r.damage.back().offset, cut);
    ASSERT_TRUE(is_prefix(r.messages, w.messages)) << "cut at " << cut;
    EXPECT_GE(r.messages.size(), last_count) << "cut at " << cut;
    last_count = r.messages.size();
    if (cut >= 8) {
      EXPECT_TRUE(r.valid_magic);
      EXPECT_TRUE(mentions(r, "cut off") || mentions(r, "truncated")) << describe_damage(r);
    }
  }
  // Cut inside the summary: every message is still there.
  EXPECT_EQ(last_count, w.messages.size());
  fs::remove(path);
  fs::remove(cut_path);
}

TEST(Mcap, FlippedByteInsideChunkIsACrcErrorAndOnlyThatChunkIsLost) {
  const std::string path = temp_path("flip");
  Written w = write_file(path, Compression::None, 3000, 4096);
  ReadResult clean = read_mcap(path);
  ASSERT_TRUE(clean.ok());
  ASSERT_GT(clean.chunk_indexes.size(), 4u);
  const ChunkIndex& victim = clean.chunk_indexes[2];
  std::vector<uint8_t> bytes = read_bytes(path);
  bytes[victim.chunk_start_offset + victim.chunk_length / 2] ^= 0x5A;
  write_bytes(path, bytes, bytes.size());

  size_t lost = 0;
  for (const Message& m : w.messages)
    if (m.log_time >= victim.message_start_time && m.log_time <= victim.message_end_time) ++lost;

  for (const ReadResult& r : {read_mcap(path), scan_mcap(path)}) {
    ASSERT_FALSE(r.ok());
    ASSERT_FALSE(r.damage.empty());
    EXPECT_EQ(r.damage.front().offset, victim.chunk_start_offset);
    EXPECT_TRUE(mentions(r, "chunk CRC mismatch")) << describe_damage(r);
    // Neighbouring chunks may share a boundary log time, so count by sequence instead.
    EXPECT_LT(r.messages.size(), w.messages.size());
    EXPECT_GE(r.messages.size(), w.messages.size() - lost);
    EXPECT_EQ(r.chunks_decoded, clean.chunk_indexes.size());
    for (const Message& m : r.messages) expect_same(m, w.messages[m.sequence]);
  }
  fs::remove(path);
}

TEST(Mcap, FlippedByteInsideCompressedChunkIsReported) {
  for (Compression c : {Compression::Zstd, Compression::Lz4}) {
    const std::string path = temp_path("flipz");
    Written w = write_file(path, c, 3000, 4096);
    ReadResult clean = read_mcap(path);
    ASSERT_TRUE(clean.ok());
    const ChunkIndex& victim = clean.chunk_indexes[1];
    std::vector<uint8_t> bytes = read_bytes(path);
    bytes[victim.chunk_start_offset + victim.chunk_length / 2] ^= 0x5A;
    write_bytes(path, bytes, bytes.size());
    ReadResult r = read_mcap(path);
    ASSERT_FALSE(r.damage.empty());
    EXPECT_EQ(r.damage.front().offset, victim.chunk_start_offset) << describe_damage(r);
    EXPECT_LT(r.messages.size(), w.messages.size());
    EXPECT_GT(r.messages.size(), w.messages.size() / 2);
    for (const Message& m : r.messages) expect_same(m, w.messages[m.sequence]);
    fs::remove(path);
  }
}

TEST(Mcap, RandomByteFlipsNeverCrashAndHealthyReadsAreExact) {
  for (Compression c : {Compression::None, Compression::Zstd, Compression::Lz4}) {
    const std::string path = temp_path("fuzz_src");
    const std::string bad_path = temp_path("fuzz");
    Written w = write_file(path, c, 800, 1024);
    const std::vector<uint8_t> bytes = read_bytes(path);
    const ReadResult clean = read_mcap(path);
    ASSERT_TRUE(clean.ok());
    const uint64_t data_bound = clean.chunk_indexes.back().chunk_start_offset;
    uint64_t state = 0x9E3779B97F4A7C15ull;
    for (int iter = 0; iter < 150; ++iter) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      std::vector<uint8_t> bad = bytes;
      const size_t at = static_cast<size_t>((state >> 33) % bad.size());
      bad[at] ^= static_cast<uint8_t>(1u << ((state >> 20) & 7));
      write_bytes(bad_path, bad, bad.size());
      for (int mode = 0; mode < 2; ++mode) {
        ReadResult r;
        ASSERT_NO_THROW(r = mode == 0 ? read_mcap(bad_path) : scan_mcap(bad_path))
            << "flip at " << at;
        if (r.ok()) {
          // Undetected flips may only hit bytes no message depends on.
          ASSERT_EQ(r.messages.size(), w.messages.size()) << "flip at " << at;
          EXPECT_TRUE(is_prefix(r.messages, w.messages)) << "flip at " << at;
        }
      }
      // The scan checks the data-section CRC, so a flip there is always reported.
      if (at < data_bound) {
        EXPECT_FALSE(scan_mcap(bad_path).ok()) << "flip at " << at;
      }
    }
    fs::remove(path);
    fs::remove(bad_path);
  }
}

TEST(Mcap, FileWithoutSummaryReadsFully) {
  const std::string path = temp_path("nosummary");
  Written w = write_file(path, Compression::Lz4, 5000, 16 * 1024, /*summary=*/false);
  ReadResult r = read_mcap(path);
  ASSERT_TRUE(r.ok()) << describe_damage(r);
  EXPECT_FALSE(r.used_summary);
  EXPECT_FALSE(r.statistics.has_value());
  EXPECT_EQ(r.channels.size(), 4u);
  EXPECT_EQ(r.schemas.size(), 2u);
  ASSERT_EQ(r.messages.size(), w.messages.size());
  EXPECT_TRUE(is_prefix(r.messages, w.messages));

  // A time range on a file without a summary scans but still filters.
  ReadResult part = read_mcap_range(path, w.messages[100].log_time, w.messages[200].log_time);
  ASSERT_TRUE(part.ok());
  EXPECT_EQ(part.messages.size(), 100u);
  fs::remove(path);
}

TEST(Mcap, EmptyFileAndGarbageAreRejectedWithoutThrowing) {
  const std::string path = temp_path("garbage");
  write_bytes(path, {}, 0);
  ReadResult empty = read_mcap(path);
  EXPECT_FALSE(empty.valid_magic);
  EXPECT_FALSE(empty.damage.empty());

  std::vector<uint8_t> junk(1000);
  for (size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<uint8_t>(i * 131 + 7);
  write_bytes(path, junk, junk.size());
  EXPECT_FALSE(read_mcap(path).valid_magic);

  // Valid magic followed by junk: a damaged but MCAP-looking file.
  for (size_t i = 0; i < kMagicSize; ++i) junk[i] = kMagic[i];
  write_bytes(path, junk, junk.size());
  ReadResult r = read_mcap(path);
  EXPECT_TRUE(r.valid_magic);
  EXPECT_FALSE(r.damage.empty());
  EXPECT_FALSE(read_mcap(temp_path("does_not_exist")).valid_magic);
  fs::remove(path);
}

TEST(Mcap, InMemoryReadMatchesFileRead) {
  const std::string path = temp_path("memory");
  const Written w = write_file(path, Compression::Lz4, 300, 2048);
  const std::vector<uint8_t> bytes = read_bytes(path);
  const ReadResult from_file = read_mcap(path);
  const ReadResult from_memory = read_mcap_bytes(bytes);
  ASSERT_TRUE(from_memory.ok()) << describe_damage(from_memory);
  EXPECT_TRUE(from_memory.used_summary);
  ASSERT_EQ(from_memory.messages.size(), from_file.messages.size());
  EXPECT_EQ(from_memory.messages.size(), w.messages.size());
  EXPECT_EQ(from_memory.bytes_read, from_file.bytes_read);
  const ReadResult scanned = scan_mcap_bytes(bytes);
  ASSERT_TRUE(scanned.ok()) << describe_damage(scanned);
  EXPECT_EQ(scanned.messages.size(), w.messages.size());
  EXPECT_LT(read_mcap_range_bytes(bytes, 0, 50'000'000).messages.size(), w.messages.size());
  fs::remove(path);
}

// Found by fuzz_mcap: a chunk of a few bytes claiming ~1 GB uncompressed made the reader
// allocate (and zero) the whole claimed size before decompression failed.
TEST(Mcap, TinyChunkClaimingHugeSizeIsRejectedBeforeAllocating) {
  auto put = [](std::vector<uint8_t>& b, uint64_t v, int n) {
    for (int i = 0; i < n; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
  };
  for (const std::string compression : {"lz4", "zstd"}) {
    std::vector<uint8_t> body;
    put(body, 0, 8);                   // message_start_time
    put(body, 10, 8);                  // message_end_time
    put(body, uint64_t{1} << 29, 8);   // uncompressed_size: 512 MiB
    put(body, 0, 4);                   // uncompressed_crc (none)
    put(body, compression.size(), 4);  // compression
    body.insert(body.end(), compression.begin(), compression.end());
    put(body, 6, 8);  // records: 6 bytes of junk
    put(body, 0x123456789aULL, 6);
    std::vector<uint8_t> file(kMagic, kMagic + kMagicSize);
    file.push_back(static_cast<uint8_t>(Op::Chunk));
    put(file, body.size(), 8);
    file.insert(file.end(), body.begin(), body.end());
    const ReadResult r = scan_mcap_bytes(file);
    EXPECT_TRUE(r.valid_magic);
    EXPECT_TRUE(r.messages.empty());
    EXPECT_NE(describe_damage(r).find(compression == "lz4" ? "cannot hold" : "zstd frame"),
              std::string::npos)
        << describe_damage(r);
  }
}

TEST(Mcap, EmptyRecordingRoundTrips) {
  const std::string path = temp_path("empty");
  McapWriter writer;
  ASSERT_TRUE(writer.open(path, "twin", Compression::Zstd, 1024));
  ASSERT_TRUE(writer.close());
  ReadResult r = read_mcap(path);
  ASSERT_TRUE(r.ok()) << describe_damage(r);
  EXPECT_TRUE(r.messages.empty());
  ASSERT_TRUE(r.statistics.has_value());
  EXPECT_EQ(r.statistics->message_count, 0u);
  fs::remove(path);
}

TEST(Mcap, WriterRejectsUnknownChannel) {
  const std::string path = temp_path("reject");
  McapWriter writer;
  ASSERT_TRUE(writer.open(path, "twin", Compression::None, 1024));
  const std::vector<uint8_t> data = {1};
  EXPECT_FALSE(writer.write_message(7, 0, 0, 0, data));
  EXPECT_EQ(writer.add_channel(3, "/x", "json"), 0);  // schema 3 does not exist
  ASSERT_TRUE(writer.close());
  fs::remove(path);
}

}  // namespace
}  // namespace twin::mcap
