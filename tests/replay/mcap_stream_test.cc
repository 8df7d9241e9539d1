#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "replay/mcap_reader.h"
#include "replay/mcap_writer.h"
#include "tests/support/alloc_counter.h"

namespace twin::mcap {
namespace {

StreamOptions options_for(bool use_summary, uint64_t start = 0,
                          uint64_t end = std::numeric_limits<uint64_t>::max()) {
  StreamOptions o;
  o.start_ns = start;
  o.end_ns = end;
  o.use_summary = use_summary;
  return o;
}

namespace fs = std::filesystem;

std::string temp_path(const std::string& name) {
  return (fs::temp_directory_path() /
          ("twin_mcap_stream_" + std::to_string(::getpid()) + "_" + name + ".mcap"))
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

std::vector<uint8_t> payload(uint32_t i) {
  std::vector<uint8_t> p(4 + i % 29);
  for (size_t k = 0; k < p.size(); ++k) p[k] = static_cast<uint8_t>(i * 17 + k * 5);
  return p;
}

// Log time of message i: 1 ms apart with pairs sharing a time, so chunk boundaries often
// split a log time. With `late`, every 7th message arrives 3.5 ms late, so neighbouring
// chunks overlap in time.
uint64_t log_time_of(uint32_t i, bool late) {
  uint64_t t = 5'000'000'000ull + (i / 2) * 1'000'000ull;
  if (late && i % 7 == 3 && i > 10) t -= 3'500'000;
  return t;
}

// Writes `n` messages over 3 channels (the third without a schema).
void write_file(const std::string& path, Compression compression, uint32_t n, uint64_t chunk_size,
                bool summary = true, bool late = false) {
  McapWriter writer;
  ASSERT_TRUE(writer.open(path, "twin", compression, chunk_size, summary)) << writer.error();
  const std::vector<uint8_t> schema = {'{', '}'};
  const uint16_t s = writer.add_schema("twin.Sample", "jsonschema", schema);
  ASSERT_EQ(writer.add_channel(s, "/press", "json", {{"unit", "s"}}), 1);
  ASSERT_EQ(writer.add_channel(s, "/oven", "json"), 2);
  ASSERT_EQ(writer.add_channel(0, "/raw", "bytes"), 3);
  for (uint32_t i = 0; i < n; ++i) {
    const uint64_t t = log_time_of(i, late);
    ASSERT_TRUE(writer.write_message(static_cast<uint16_t>(1 + i % 3), i, t, t + 7, payload(i)))
        << writer.error();
  }
  ASSERT_TRUE(writer.close()) << writer.error();
}

// Copies what it is given and checks the channel contract.
class Recorder : public MessageSink {
 public:
  std::vector<Message> messages;
  std::map<uint16_t, int> channel_calls;
  std::map<uint16_t, std::string> schema_names;  // "" for no schema
  size_t undeclared = 0;                         // messages before their channel
  size_t stop_after = std::numeric_limits<size_t>::max();

  void on_channel(const Channel& channel, const Schema* schema) override {
    ++channel_calls[channel.id];
    schema_names[channel.id] = schema ? schema->name : "";
  }
  bool on_message(const MessageView& v) override {
    if (!channel_calls.count(v.channel_id)) ++undeclared;
    Message& m = messages.emplace_back();
    m.channel_id = v.channel_id;
    m.sequence = v.sequence;
    m.log_time = v.log_time;
    m.publish_time = v.publish_time;
    m.data.assign(v.data.begin(), v.data.end());
    return messages.size() < stop_after;
  }
};

// Counts and checks order without allocating.
class Counter : public MessageSink {
 public:
  uint64_t count = 0;
  uint64_t bytes = 0;
  uint64_t last_time = 0;
  uint64_t out_of_order = 0;
  void on_channel(const Channel&, const Schema*) override {}
  bool on_message(const MessageView& v) override {
    ++count;
    bytes += v.data.size();
    if (v.log_time < last_time) ++out_of_order;
    last_time = v.log_time;
    return true;
  }
};

// Returns the index of the first difference, or -1 when `a` and `b` are equal.
long first_difference(const std::vector<Message>& a, const std::vector<Message>& b) {
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    const Message& x = a[i];
    const Message& y = b[i];
    if (x.channel_id != y.channel_id || x.sequence != y.sequence || x.log_time != y.log_time ||
        x.publish_time != y.publish_time || x.data != y.data)
      return static_cast<long>(i);
  }
  return a.size() == b.size() ? -1 : static_cast<long>(n);
}

bool sorted_ties_in_file_order(const std::vector<Message>& m) {
  for (size_t i = 1; i < m.size(); ++i) {
    if (m[i].log_time < m[i - 1].log_time) return false;
    if (m[i].log_time == m[i - 1].log_time && m[i].sequence < m[i - 1].sequence) return false;
  }
  return true;
}

using Param = std::tuple<Compression, bool>;  // compression, summary written
class McapStreamRoundTrip : public ::testing::TestWithParam<Param> {};

TEST_P(McapStreamRoundTrip, SeesExactlyWhatReadMcapSees) {
  const auto [compression, summary] = GetParam();
  const std::string path = temp_path("roundtrip");
  write_file(path, compression, 6000, 8 * 1024, summary);
  const ReadResult full = read_mcap(path);
  ASSERT_TRUE(full.ok()) << describe_damage(full);
  ASSERT_EQ(full.messages.size(), 6000u);

  for (bool use_summary : {true, false}) {
    SCOPED_TRACE(use_summary ? "use_summary" : "scan");
    Recorder sink;
    const ReadResult r = stream_mcap(path, sink, options_for(use_summary));
    ASSERT_TRUE(r.ok()) << describe_damage(r);
    EXPECT_TRUE(r.messages.empty());
    EXPECT_EQ(r.used_summary, use_summary && summary);
    EXPECT_EQ(first_difference(sink.messages, full.messages), -1);
    EXPECT_EQ(r.channels.size(), 3u);
    EXPECT_EQ(r.schemas.size(), 1u);
    EXPECT_EQ(r.statistics.has_value(), summary);
    EXPECT_EQ(r.chunks_decoded, full.chunks_decoded);
    EXPECT_EQ(r.out_of_order_chunks, 0u);
    // Every channel announced exactly once, before its first message, with its schema.
    EXPECT_EQ(sink.undeclared, 0u);
    ASSERT_EQ(sink.channel_calls.size(), 3u);
    for (const auto& [id, calls] : sink.channel_calls) EXPECT_EQ(calls, 1) << "channel " << id;
    EXPECT_EQ(sink.schema_names[1], "twin.Sample");
    EXPECT_EQ(sink.schema_names[3], "");

    // The in-memory variant agrees.
    const std::vector<uint8_t> bytes = read_bytes(path);
    Recorder memory_sink;
    const ReadResult m = stream_mcap_bytes(bytes, memory_sink, options_for(use_summary));
    ASSERT_TRUE(m.ok()) << describe_damage(m);
    EXPECT_EQ(first_difference(memory_sink.messages, full.messages), -1);
  }
  fs::remove(path);
}

INSTANTIATE_TEST_SUITE_P(McapStream, McapStreamRoundTrip,
                         ::testing::Combine(::testing::Values(Compression::None, Compression::Zstd,
                                                              Compression::Lz4),
                                            ::testing::Bool()),
                         [](const auto& param_info) {
                           std::string n(compression_name(std::get<0>(param_info.param)));
                           if (n.empty()) n = "none";
                           return n + (std::get<1>(param_info.param) ? "_summary" : "_no_summary");
                         });

TEST(McapStream, RangesMatchReadMcapRange) {
  const std::string path = temp_path("ranges");
  write_file(path, Compression::Zstd, 8000, 4096);
  const ReadResult full = read_mcap(path);
  ASSERT_TRUE(full.ok());
  const uint64_t first = full.messages.front().log_time;
  const uint64_t last = full.messages.back().log_time;
  const std::vector<std::pair<uint64_t, uint64_t>> ranges = {
      {first + 1'000'000'000, first + 1'300'000'000},  // inside
      {0, first + 5'000'000},                          // the start
      {last - 2'000'000, last + 1},                    // the end, last message included
      {last, last},                                    // empty
      {first + 7'000'000, first + 7'000'001},          // one log time (two messages)
      {last + 1, std::numeric_limits<uint64_t>::max()},
  };
  for (const auto& [t0, t1] : ranges) {
    SCOPED_TRACE(std::to_string(t0 - std::min(t0, first)) + " .. " +
                 std::to_string(t1 - std::min(t1, first)));
    const ReadResult expected = read_mcap_range(path, t0, t1);
    ASSERT_TRUE(expected.ok());
    for (bool use_summary : {true, false}) {
      Recorder sink;
      const ReadResult r = stream_mcap(path, sink, options_for(use_summary, t0, t1));
      ASSERT_TRUE(r.ok()) << describe_damage(r);
      EXPECT_EQ(first_difference(sink.messages, expected.messages), -1) << use_summary;
      for (const Message& m : sink.messages) {
        EXPECT_GE(m.log_time, t0);
        EXPECT_LT(m.log_time, t1);
      }
      if (use_summary) {
        EXPECT_EQ(r.chunks_decoded, expected.chunks_decoded);
      }
    }
  }
  const ReadResult pair = read_mcap_range(path, first + 7'000'000, first + 7'000'001);
  EXPECT_EQ(pair.messages.size(), 2u);
  fs::remove(path);
}

TEST(McapStream, OverlappingChunksComeOutSorted) {
  const std::string path = temp_path("overlap");
  write_file(path, Compression::Lz4, 5000, 512, /*summary=*/true, /*late=*/true);
  const ReadResult full = read_mcap(path);
  ASSERT_TRUE(full.ok()) << describe_damage(full);
  // The late messages make chunks overlap their predecessors.
  size_t overlapping = 0;
  std::vector<ChunkIndex> by_offset = full.chunk_indexes;
  std::sort(by_offset.begin(), by_offset.end(), [](const ChunkIndex& a, const ChunkIndex& b) {
    return a.chunk_start_offset < b.chunk_start_offset;
  });
  for (size_t i = 1; i < by_offset.size(); ++i)
    overlapping += by_offset[i].message_start_time < by_offset[i - 1].message_end_time;
  ASSERT_GT(overlapping, by_offset.size() / 4);

  ASSERT_EQ(full.messages.size(), 5000u);
  EXPECT_TRUE(sorted_ties_in_file_order(full.messages));
  for (bool use_summary : {true, false}) {
    SCOPED_TRACE(use_summary ? "use_summary" : "scan");
    Recorder sink;
    const ReadResult r = stream_mcap(path, sink, options_for(use_summary));
    ASSERT_TRUE(r.ok()) << describe_damage(r);
    EXPECT_TRUE(sorted_ties_in_file_order(sink.messages));
    EXPECT_EQ(first_difference(sink.messages, full.messages), -1);
    EXPECT_EQ(r.out_of_order_chunks, 0u);
  }
  // A range through the overlapping chunks.
  const uint64_t t0 = log_time_of(1000, false);
  const uint64_t t1 = log_time_of(1400, false);
  Recorder part;
  ASSERT_TRUE(stream_mcap(path, part, options_for(true, t0, t1)).ok());
  EXPECT_EQ(first_difference(part.messages, read_mcap_range(path, t0, t1).messages), -1);
  EXPECT_TRUE(sorted_ties_in_file_order(part.messages));
  fs::remove(path);
}

TEST(McapStream, ScanOfChunksGoingBackInTimeDeliversThemLateAndCountsThem) {
  // Two runs of log times written one after the other: the second run's chunks start before
  // everything the first delivered. The index knows; a scan can only deliver them late.
  const std::string path = temp_path("back_in_time");
  McapWriter writer;
  ASSERT_TRUE(writer.open(path, "twin", Compression::Zstd, 1024));
  ASSERT_EQ(writer.add_channel(0, "/a", "bytes"), 1);
  for (uint32_t i = 0; i < 2000; ++i) {
    const uint64_t t = (i < 1000 ? 2'000'000 + i : 1'000'000 + (i - 1000) * 2) * 1000;
    ASSERT_TRUE(writer.write_message(1, i, t, t, payload(i)));
  }
  ASSERT_TRUE(writer.close());

  Recorder indexed;
  const ReadResult ri = stream_mcap(path, indexed);
  ASSERT_TRUE(ri.ok()) << describe_damage(ri);
  EXPECT_EQ(ri.out_of_order_chunks, 0u);
  EXPECT_TRUE(sorted_ties_in_file_order(indexed.messages));
  ASSERT_EQ(indexed.messages.size(), 2000u);

  Recorder scanned;
  const ReadResult rs = stream_mcap(path, scanned, options_for(false));
  ASSERT_TRUE(rs.ok()) << describe_damage(rs);
  EXPECT_GT(rs.out_of_order_chunks, 0u);
  ASSERT_EQ(scanned.messages.size(), 2000u);
  EXPECT_FALSE(sorted_ties_in_file_order(scanned.messages));
  // Each chunk still comes out in order.
  EXPECT_EQ(scanned.messages.front().sequence, 0u);

  // The materialising scan puts them back in place.
  const ReadResult s = scan_mcap(path);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(first_difference(s.messages, indexed.messages), -1);
  fs::remove(path);
}

TEST(McapStream, StopsWhenTheSinkSaysSo) {
  const std::string path = temp_path("stop");
  write_file(path, Compression::Zstd, 20'000, 4096);
  const ReadResult full = read_mcap(path);
  ASSERT_TRUE(full.ok());
  for (bool use_summary : {true, false}) {
    SCOPED_TRACE(use_summary ? "use_summary" : "scan");
    Recorder sink;
    sink.stop_after = 150;
    const ReadResult r = stream_mcap(path, sink, options_for(use_summary));
    EXPECT_TRUE(r.ok()) << describe_damage(r);  // stopping is not damage
    ASSERT_EQ(sink.messages.size(), 150u);
    EXPECT_EQ(first_difference(sink.messages, std::vector<Message>(full.messages.begin(),
                                                                   full.messages.begin() + 150)),
              -1);
    EXPECT_LT(r.chunks_decoded, full.chunks_decoded / 4);
    if (use_summary) {
      EXPECT_LT(r.bytes_read, full.bytes_read / 4);
    }
  }
  fs::remove(path);
}

TEST(McapStream, TruncatedFileStreamsEverythingBeforeTheDamage) {
  const std::string path = temp_path("whole");
  const std::string cut_path = temp_path("cut");
  write_file(path, Compression::Zstd, 5000, 4096);
  const ReadResult full = read_mcap(path);
  ASSERT_TRUE(full.ok());
  const std::vector<uint8_t> bytes = read_bytes(path);
  // Cut in the middle of the chunk holding the middle of the recording.
  std::vector<ChunkIndex> chunks = full.chunk_indexes;
  std::sort(chunks.begin(), chunks.end(), [](const ChunkIndex& a, const ChunkIndex& b) {
    return a.chunk_start_offset < b.chunk_start_offset;
  });
  const ChunkIndex& victim = chunks[chunks.size() / 2];
  const size_t cut = static_cast<size_t>(victim.chunk_start_offset + victim.chunk_length / 2);
  write_bytes(cut_path, bytes, cut);

  Recorder sink;
  const ReadResult r = stream_mcap(cut_path, sink);
  EXPECT_TRUE(r.valid_magic);
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(r.used_summary);
  ASSERT_FALSE(r.damage.empty());
  EXPECT_NE(describe_damage(r).find("cut off"), std::string::npos) << describe_damage(r);
  EXPECT_EQ(r.damage.back().offset, victim.chunk_start_offset);
  // Every message of the chunks before the cut, and nothing else.
  size_t before = 0;
  for (const Message& m : full.messages) before += m.log_time < victim.message_start_time;
  EXPECT_GE(sink.messages.size(), before);
  EXPECT_LT(sink.messages.size(), full.messages.size() / 2 + 200);
  EXPECT_EQ(first_difference(sink.messages,
                             std::vector<Message>(
                                 full.messages.begin(),
                                 full.messages.begin() + static_cast<long>(sink.messages.size()))),
            -1);
  // The same as the materialising read of the cut file.
  const ReadResult m = read_mcap(cut_path);
  EXPECT_EQ(first_difference(sink.messages, m.messages), -1);
  EXPECT_EQ(describe_damage(r), describe_damage(m));
  fs::remove(path);
  fs::remove(cut_path);
}

TEST(McapStream, IndexedRangeReadsLittleAndFullReadsReadTheFile) {
  const std::string path = temp_path("bytes");
  write_file(path, Compression::Zstd, 50'000, 16 * 1024);
  const uint64_t size = fs::file_size(path);
  Counter all;
  const ReadResult full = stream_mcap(path, all);
  ASSERT_TRUE(full.ok()) << describe_damage(full);
  ASSERT_EQ(all.count, 50'000u);
  ASSERT_GT(full.chunk_indexes.size(), 20u);
  // A full indexed read reads every chunk, the summary and the header; not the message indexes.
  uint64_t chunk_bytes = 0;
  for (const ChunkIndex& ci : full.chunk_indexes) chunk_bytes += ci.chunk_length;
  EXPECT_GE(full.bytes_read, chunk_bytes);
  EXPECT_LE(full.bytes_read, size);
  // A scan reads the whole file once (plus the magic, read first to recognise the file).
  Counter scanned;
  const ReadResult scan = stream_mcap(path, scanned, options_for(false));
  ASSERT_TRUE(scan.ok());
  EXPECT_EQ(scanned.count, 50'000u);
  EXPECT_GE(scan.bytes_read, size);
  EXPECT_LE(scan.bytes_read, size + kMagicSize);
  // A range of 1% of the recording reads a small part of the file.
  const uint64_t t0 = log_time_of(20'000, false);
  const uint64_t t1 = log_time_of(20'500, false);
  Counter some;
  const ReadResult range = stream_mcap(path, some, options_for(true, t0, t1));
  ASSERT_TRUE(range.ok());
  EXPECT_EQ(some.count, 500u);
  EXPECT_LT(range.chunks_decoded, 5u);
  EXPECT_LT(range.bytes_read, size / 20);
  fs::remove(path);
}

uint64_t get_u64(const std::vector<uint8_t>& b, size_t at) {
  uint64_t v = 0;
  for (size_t k = 0; k < 8; ++k) v |= static_cast<uint64_t>(b[at + k]) << (8 * k);
  return v;
}

void put_u64(std::vector<uint8_t>& b, size_t at, uint64_t v) {
  for (size_t k = 0; k < 8; ++k) b[at + k] = static_cast<uint8_t>(v >> (8 * k));
}

// Offset of the body of the first summary record with opcode `op`, after zeroing the summary
// CRC so that an edit there goes unnoticed (as with a writer that writes no CRCs).
size_t summary_record_body(std::vector<uint8_t>& b, Op op) {
  const size_t footer = b.size() - kMagicSize - kFooterRecordSize;
  for (size_t k = 0; k < 4; ++k) b[footer + kRecordPrefixSize + 16 + k] = 0;
  size_t pos = static_cast<size_t>(get_u64(b, footer + kRecordPrefixSize));
  while (pos < footer) {
    if (b[pos] == static_cast<uint8_t>(op)) return pos + kRecordPrefixSize;
    pos += kRecordPrefixSize + static_cast<size_t>(get_u64(b, pos + 1));
  }
  ADD_FAILURE() << "no summary record " << static_cast<int>(op);
  return 0;
}

// Where the stream cannot fall back to a scan as read_mcap does, it reports what it found.
TEST(McapStream, ChunkIndexPointingAtNoChunkIsDamageAndTheChunkIsSkipped) {
  const std::string path = temp_path("bad_index");
  write_file(path, Compression::Zstd, 3000, 4096);
  std::vector<uint8_t> bytes = read_bytes(path);
  const size_t body = summary_record_body(bytes, Op::ChunkIndex);
  const uint64_t chunk_offset = get_u64(bytes, body + 16);
  put_u64(bytes, body + 16, chunk_offset + 1);
  write_bytes(path, bytes, bytes.size());

  const ReadResult full = read_mcap(path);  // scans instead: everything is there
  ASSERT_TRUE(full.ok()) << describe_damage(full);
  EXPECT_FALSE(full.used_summary);
  ASSERT_EQ(full.messages.size(), 3000u);

  Recorder sink;
  const ReadResult r = stream_mcap(path, sink);
  EXPECT_TRUE(r.used_summary);
  ASSERT_EQ(r.damage.size(), 1u) << describe_damage(r);
  EXPECT_EQ(r.damage[0].offset, chunk_offset + 1);
  EXPECT_NE(r.damage[0].what.find("no chunk record"), std::string::npos);
  // The first chunk is missing; the rest is there, in order.
  ASSERT_GT(sink.messages.size(), 2500u);
  ASSERT_LT(sink.messages.size(), 3000u);
  EXPECT_EQ(first_difference(
                sink.messages,
                std::vector<Message>(full.messages.end() - static_cast<long>(sink.messages.size()),
                                     full.messages.end())),
            -1);
  fs::remove(path);
}

TEST(McapStream, StatisticsCountingOtherMessagesIsDamage) {
  const std::string path = temp_path("bad_count");
  write_file(path, Compression::Lz4, 1000, 4096);
  std::vector<uint8_t> bytes = read_bytes(path);
  const size_t body = summary_record_body(bytes, Op::Statistics);
  ASSERT_EQ(get_u64(bytes, body), 1000u);
  put_u64(bytes, body, 1001);
  write_bytes(path, bytes, bytes.size());

  const ReadResult full = read_mcap(path);
  EXPECT_TRUE(full.ok()) << describe_damage(full);
  EXPECT_FALSE(full.used_summary);
  Counter sink;
  const ReadResult r = stream_mcap(path, sink);
  EXPECT_TRUE(r.used_summary);
  EXPECT_EQ(sink.count, 1000u);
  EXPECT_NE(describe_damage(r).find("statistics count 1001"), std::string::npos)
      << describe_damage(r);
  // A range read, or one the sink stopped, cannot tell.
  Counter part;
  EXPECT_TRUE(stream_mcap(path, part, options_for(true, 0, log_time_of(500, false))).ok());
  fs::remove(path);
}

TEST(McapStream, LargeStreamDoesNotAllocatePerMessage) {
  const std::string path = temp_path("large");
  constexpr uint32_t kMessages = 200'000;
  write_file(path, Compression::Zstd, kMessages, 256 * 1024);
  for (bool use_summary : {true, false}) {
    SCOPED_TRACE(use_summary ? "use_summary" : "scan");
    Counter sink;
    test::start_counting_allocations();
    const ReadResult r = stream_mcap(path, sink, options_for(use_summary));
    const uint64_t allocations = test::stop_counting_allocations();
    ASSERT_TRUE(r.ok()) << describe_damage(r);
    EXPECT_EQ(sink.count, kMessages);
    EXPECT_EQ(sink.out_of_order, 0u);
    EXPECT_LT(allocations, kMessages / 100) << r.chunks_decoded << " chunks";
  }
  fs::remove(path);
}

}  // namespace
}  // namespace twin::mcap
