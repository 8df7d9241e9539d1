// Interop with the official MCAP implementation (@mcap/core, the TypeScript library from
// npm): files written by our McapWriter must read back correctly through McapIndexedReader
// and McapStreamReader (CRCs validated), and files written by @mcap/core's McapWriter must
// read back correctly through our reader. The node scripts live in tests/replay/interop/;
// their dependencies are installed by scripts/bootstrap.sh
// (npm ci --prefix tests/replay/interop). Missing node or node_modules fails the tests.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "replay/mcap_reader.h"
#include "replay/mcap_writer.h"
#include "tests/support/interop.h"

namespace twin::mcap {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kInteropDir = fs::path(TWIN_SOURCE_DIR) / "tests" / "replay" / "interop";

std::string temp_path(const std::string& name) {
  return (fs::temp_directory_path() /
          ("twin_mcap_interop_" + std::to_string(::getpid()) + "_" + name + ".mcap"))
      .string();
}

// Runs `node tests/replay/interop/<script> <file>` from the source root; returns its stdout
// parsed as JSON. Fails the current test (and returns null) on any error.
json run_node(const std::string& script, const std::string& file) {
  const std::string missing =
      test::missing_node_packages(kInteropDir, {"@mcap/core", "@mcap/nodejs"});
  if (!missing.empty()) {
    ADD_FAILURE() << missing;
    return nullptr;
  }
  const test::CommandResult r =
      test::run_in_source_dir("node " + test::shell_quote("tests/replay/interop/" + script) + " " +
                              test::shell_quote(file));
  if (r.code != 0) {
    ADD_FAILURE() << script << " failed (exit " << r.code << ") on " << file << ":\n" << r.err;
    return nullptr;
  }
  json j = json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    ADD_FAILURE() << script << " printed no valid JSON:\n" << r.out << "\nstderr:\n" << r.err;
    return nullptr;
  }
  return j;
}

uint64_t u64(const json& j) {
  return std::stoull(j.get<std::string>());
}

using StringMap = std::map<std::string, std::string>;
StringMap metadata_of(const json& channel) {
  return channel.at("metadata").get<StringMap>();
}

struct ChannelTruth {
  Channel channel;
  std::string schema_name;
  std::string schema_encoding;
  uint64_t count = 0;
  uint64_t first = UINT64_MAX;
  uint64_t last = 0;
};

struct WrittenFile {
  std::map<uint16_t, ChannelTruth> channels;
  uint64_t total = 0;
  uint64_t start = UINT64_MAX;
  uint64_t end = 0;
};

// Writes 2 schemas and 4 channels (one without a schema, one with channel metadata), a few
// thousand interleaved messages with some log times earlier than their predecessors (late
// arrivals), some empty payloads, over many small chunks.
WrittenFile write_ours(const std::string& path, Compression compression) {
  WrittenFile w;
  McapWriter writer;
  EXPECT_TRUE(writer.open(path, "twin-interop", compression, 16 * 1024)) << writer.error();
  const std::string pose_schema = R"({"type":"object","properties":{"x":{"type":"number"}}})";
  const std::vector<uint8_t> state_schema = {0x0a, 0x05, 's', 't', 'a', 't', 'e', 0x00, 0xff};
  const uint16_t s_pose = writer.add_schema(
      "twin.Pose", "jsonschema",
      std::span(reinterpret_cast<const uint8_t*>(pose_schema.data()), pose_schema.size()));
  const uint16_t s_state = writer.add_schema("twin.State", "protobuf", state_schema);
  struct Def {
    uint16_t schema;
    const char* schema_name;
    const char* schema_encoding;
    const char* topic;
    const char* encoding;
    std::map<std::string, std::string> metadata;
  };
  const std::vector<Def> defs = {
      {s_pose, "twin.Pose", "jsonschema", "/line1/robot/pose", "json", {{"frame", "world"}}},
      {s_state, "twin.State", "protobuf", "/twin/state", "protobuf", {}},
      {s_pose, "twin.Pose", "jsonschema", "/line1/press/pose", "json", {}},
      {0, "", "", "/log/text", "text/plain", {{"level", "info"}, {"src", "twin"}}},
  };
  std::vector<uint16_t> ids;
  for (const Def& d : defs) {
    const uint16_t id = writer.add_channel(d.schema, d.topic, d.encoding, d.metadata);
    EXPECT_NE(id, 0) << writer.error();
    ids.push_back(id);
    ChannelTruth& t = w.channels[id];
    t.channel = {id, d.schema, d.topic, d.encoding, d.metadata};
    t.schema_name = d.schema_name;
    t.schema_encoding = d.schema_encoding;
  }
  const uint64_t base = 1'700'000'000'000'000'000ULL;
  std::vector<uint32_t> seq(ids.size(), 0);
  for (uint32_t step = 0; step < 1500; ++step) {
    for (size_t k = 0; k < ids.size(); ++k) {
      if (step % (k + 1) != 0) continue;
      uint64_t t = base + uint64_t{step} * 1'000'000 + k * 1000;
      if (step % 89 == 7) t -= 4'000'000;  // late arrival
      std::vector<uint8_t> data((step * 7 + k * 13) % 120);
      for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(step + i * k);
      EXPECT_TRUE(writer.write_message(ids[k], seq[k]++, t, t + 5, data)) << writer.error();
      ChannelTruth& c = w.channels[ids[k]];
      ++c.count;
      c.first = std::min(c.first, t);
      c.last = std::max(c.last, t);
      ++w.total;
      w.start = std::min(w.start, t);
      w.end = std::max(w.end, t);
    }
  }
  EXPECT_TRUE(writer.close()) << writer.error();
  return w;
}

void check_official_reading(Compression compression, const std::string& name) {
  const std::string path = temp_path(name);
  const WrittenFile w = write_ours(path, compression);
  const json j = run_node("read_mcap.mjs", path);
  fs::remove(path);
  ASSERT_FALSE(j.is_null());

  EXPECT_EQ(j.at("profile"), "twin-interop");
  EXPECT_EQ(j.at("library"), "twin");
  EXPECT_EQ(j.at("messageCount").get<uint64_t>(), w.total);
  ASSERT_EQ(j.at("channels").size(), w.channels.size());
  for (const json& c : j.at("channels")) {
    const auto id = c.at("id").get<uint16_t>();
    ASSERT_TRUE(w.channels.count(id)) << "unexpected channel id " << id;
    const ChannelTruth& t = w.channels.at(id);
    SCOPED_TRACE(t.channel.topic);
    EXPECT_EQ(c.at("topic"), t.channel.topic);
    EXPECT_EQ(c.at("messageEncoding"), t.channel.message_encoding);
    EXPECT_EQ(c.at("schemaId").get<uint16_t>(), t.channel.schema_id);
    EXPECT_EQ(c.at("schemaName"), t.schema_name);
    EXPECT_EQ(c.at("schemaEncoding"), t.schema_encoding);
    EXPECT_EQ(metadata_of(c), t.channel.metadata);
    EXPECT_EQ(c.at("messageCount").get<uint64_t>(), t.count);
    EXPECT_EQ(u64(c.at("firstLogTime")), t.first);
    EXPECT_EQ(u64(c.at("lastLogTime")), t.last);
  }
  const json& st = j.at("statistics");
  ASSERT_TRUE(st.is_object()) << "official reader found no Statistics record";
  EXPECT_EQ(u64(st.at("messageCount")), w.total);
  EXPECT_EQ(st.at("schemaCount").get<uint32_t>(), 2u);
  EXPECT_EQ(st.at("channelCount").get<uint32_t>(), w.channels.size());
  EXPECT_EQ(u64(st.at("messageStartTime")), w.start);
  EXPECT_EQ(u64(st.at("messageEndTime")), w.end);
  EXPECT_EQ(st.at("chunkCount").get<uint32_t>(), j.at("chunkCount").get<uint32_t>());
  for (const auto& [id, t] : w.channels) {
    EXPECT_EQ(u64(st.at("channelMessageCounts").at(std::to_string(id))), t.count);
  }
  EXPECT_GT(j.at("chunkCount").get<uint32_t>(), 5u);
  EXPECT_EQ(j.at("chunkCompressions"), json::array({std::string(compression_name(compression))}));
  EXPECT_NE(j.at("summaryCrc").get<uint32_t>(), 0u);
  EXPECT_EQ(j.at("dataSectionCrcOk"), true);
}

TEST(McapInterop, OfficialReaderReadsOurUncompressedFile) {
  check_official_reading(Compression::None, "none");
}
TEST(McapInterop, OfficialReaderReadsOurZstdFile) {
  check_official_reading(Compression::Zstd, "zstd");
}
TEST(McapInterop, OfficialReaderReadsOurLz4File) {
  check_official_reading(Compression::Lz4, "lz4");
}

void check_our_reading(const ReadResult& r, const json& j, const char* how) {
  SCOPED_TRACE(how);
  ASSERT_TRUE(r.valid_magic);
  EXPECT_TRUE(r.damage.empty()) << describe_damage(r);
  EXPECT_EQ(r.profile, j.at("profile"));
  EXPECT_EQ(r.messages.size(), j.at("messageCount").get<size_t>());
  ASSERT_EQ(r.channels.size(), j.at("channels").size());
  std::map<uint16_t, ChannelTruth> seen;
  for (const Message& m : r.messages) {
    ChannelTruth& t = seen[m.channel_id];
    ++t.count;
    t.first = std::min(t.first, m.log_time);
    t.last = std::max(t.last, m.log_time);
  }
  for (size_t i = 1; i < r.messages.size(); ++i) {
    ASSERT_LE(r.messages[i - 1].log_time, r.messages[i].log_time) << "at message " << i;
  }
  for (const json& c : j.at("channels")) {
    const auto id = c.at("id").get<uint16_t>();
    SCOPED_TRACE(c.at("topic").get<std::string>());
    ASSERT_TRUE(r.channels.count(id)) << "channel id " << id << " missing";
    const Channel& ch = r.channels.at(id);
    EXPECT_EQ(ch.topic, c.at("topic"));
    EXPECT_EQ(ch.message_encoding, c.at("messageEncoding"));
    EXPECT_EQ(ch.schema_id, c.at("schemaId").get<uint16_t>());
    EXPECT_EQ(ch.metadata, metadata_of(c));
    ASSERT_TRUE(r.schemas.count(ch.schema_id)) << "schema " << ch.schema_id << " missing";
    const Schema& s = r.schemas.at(ch.schema_id);
    EXPECT_EQ(s.name, c.at("schemaName"));
    EXPECT_EQ(s.encoding, c.at("schemaEncoding"));
    EXPECT_EQ(s.data.size(), c.at("schemaDataSize").get<size_t>());
    EXPECT_EQ(seen[id].count, c.at("messageCount").get<uint64_t>());
    EXPECT_EQ(seen[id].first, u64(c.at("firstLogTime")));
    EXPECT_EQ(seen[id].last, u64(c.at("lastLogTime")));
  }
}

TEST(McapInterop, OurReaderReadsOfficialFile) {
  const std::string path = temp_path("official");
  const json j = run_node("write_mcap.mjs", path);
  ASSERT_FALSE(j.is_null());
  ASSERT_GT(j.at("messageCount").get<size_t>(), 1000u);

  const ReadResult indexed = read_mcap(path);
  check_our_reading(indexed, j, "read_mcap");
  EXPECT_TRUE(indexed.used_summary);
  ASSERT_TRUE(indexed.statistics.has_value());
  EXPECT_EQ(indexed.statistics->message_count, j.at("messageCount").get<uint64_t>());
  EXPECT_EQ(indexed.statistics->channel_count, j.at("channels").size());
  EXPECT_GT(indexed.chunk_indexes.size(), 1u);
  if (j.at("compression") == "zstd") {
    for (const ChunkIndex& ci : indexed.chunk_indexes) EXPECT_EQ(ci.compression, "zstd");
  }

  check_our_reading(scan_mcap(path), j, "scan_mcap");

  // A time range through the chunk indexes: the first half of the recording.
  const uint64_t t0 = u64(j.at("channels")[0].at("firstLogTime"));
  const uint64_t t1 = t0 + 1'000'000'000ULL;
  const ReadResult range = read_mcap_range(path, t0, t1);
  EXPECT_TRUE(range.damage.empty()) << describe_damage(range);
  size_t expected = 0;
  for (const Message& m : indexed.messages) expected += (m.log_time >= t0 && m.log_time < t1);
  EXPECT_EQ(range.messages.size(), expected);
  EXPECT_GT(expected, 0u);
  EXPECT_LT(expected, indexed.messages.size());
  fs::remove(path);
}

TEST(McapInterop, HarnessRoundTripsOfficialFile) {
  // Sanity check of the harness itself: read_mcap.mjs on a file @mcap/core wrote reports what
  // write_mcap.mjs says it wrote.
  const std::string path = temp_path("official_roundtrip");
  const json written = run_node("write_mcap.mjs", path);
  ASSERT_FALSE(written.is_null());
  const json read = run_node("read_mcap.mjs", path);
  fs::remove(path);
  ASSERT_FALSE(read.is_null());
  EXPECT_EQ(read.at("channels"), written.at("channels"));
  EXPECT_EQ(read.at("messageCount"), written.at("messageCount"));
  EXPECT_EQ(read.at("dataSectionCrcOk"), true);
}

}  // namespace
}  // namespace twin::mcap
