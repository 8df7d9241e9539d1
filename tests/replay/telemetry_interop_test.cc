// Telemetry files decode without our code: `twin generate` writes a shift to MCAP, and
// tests/replay/interop/decode_telemetry.mjs decodes every message with protobufjs from the
// FileDescriptorSets embedded in the file's Schema records alone (as Foxglove Studio does).
// Its per-topic figures must equal those of our own decoding (read_mcap + the generated C++
// classes). Needs node and the npm packages of tests/replay/interop (npm ci --prefix
// tests/replay/interop, run by scripts/test.sh); missing ones fail the tests.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <system_error>
#include <tuple>
#include <vector>

#include "core/scene/load.h"
#include "core/telemetry/telemetry.h"
#include "replay/mcap_reader.h"
#include "tests/support/interop.h"
#include "twin/telemetry.pb.h"

namespace twin {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kInteropDir = fs::path(TWIN_SOURCE_DIR) / "tests" / "replay" / "interop";

using test::shell_quote;

// The figures both decoders compute, per topic.
struct TopicFigures {
  std::string schema;
  uint64_t count = 0;
  // SampleBatch
  std::vector<std::string> tags;
  uint64_t samples = 0;
  double value_sum = 0.0;
  std::optional<int64_t> min_time_ns, max_time_ns;
  std::vector<uint64_t> samples_per_tag;
  std::map<std::string, uint64_t> qualities;
  uint64_t bad_batches = 0;
  // ModeChange, PartEvent, Alarm
  std::map<std::string, uint64_t> modes, kinds, codes;
  // FaultTruth: (machine, kind, failure_ns) in read order
  std::vector<std::tuple<std::string, std::string, int64_t>> faults;
};

using Figures = std::map<std::string, TopicFigures>;

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  if (s.empty()) return out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');) out.push_back(item);
  if (s.back() == ',') out.emplace_back();
  return out;
}

template <typename T>
bool parse(const mcap::Message& m, T& message) {
  return message.ParseFromArray(m.data.data(), static_cast<int>(m.data.size()));
}

// Our own decoding: read_mcap and the generated classes.
Figures decode_ours(const mcap::ReadResult& file) {
  Figures figures;
  std::map<uint16_t, TopicFigures*> by_channel;
  for (const auto& [id, channel] : file.channels) {
    if (channel.message_encoding != "protobuf") continue;
    TopicFigures& t = figures[channel.topic];
    const auto schema = file.schemas.find(channel.schema_id);
    if (schema != file.schemas.end()) t.schema = schema->second.name;
    const auto tags = channel.metadata.find("tags");
    if (t.schema == "twin.telemetry.SampleBatch") {
      if (tags != channel.metadata.end()) t.tags = split_commas(tags->second);
      t.samples_per_tag.assign(t.tags.size(), 0);
    }
    by_channel[id] = &t;
  }
  for (const mcap::Message& m : file.messages) {
    const auto it = by_channel.find(m.channel_id);
    if (it == by_channel.end()) continue;
    TopicFigures& t = *it->second;
    ++t.count;
    if (t.schema == "twin.telemetry.SampleBatch") {
      telemetry::SampleBatch b;
      EXPECT_TRUE(parse(m, b)) << "SampleBatch at " << m.log_time;
      const int n = b.value_size();
      if (b.tag_size() != n || b.time_offset_ns_size() != n ||
          (b.quality_size() != 0 && b.quality_size() != n)) {
        ++t.bad_batches;
      }
      for (int i = 0; i < n; ++i) {
        t.value_sum += static_cast<double>(b.value(i));
        if (i < b.tag_size() && b.tag(i) < t.tags.size()) {
          ++t.samples_per_tag[b.tag(i)];
        } else {
          ++t.bad_batches;
        }
        if (i < b.time_offset_ns_size()) {
          const int64_t time = b.base_time_ns() + b.time_offset_ns(i);
          if (!t.min_time_ns || time < *t.min_time_ns) t.min_time_ns = time;
          if (!t.max_time_ns || time > *t.max_time_ns) t.max_time_ns = time;
        }
        ++t.qualities[telemetry::Quality_Name(b.quality_size() > 0 ? b.quality(i)
                                                                   : telemetry::QUALITY_GOOD)];
      }
      t.samples += static_cast<uint64_t>(n);
    } else if (t.schema == "twin.telemetry.ModeChange") {
      telemetry::ModeChange c;
      EXPECT_TRUE(parse(m, c));
      ++t.modes[telemetry::Mode_Name(c.mode())];
    } else if (t.schema == "twin.telemetry.PartEvent") {
      telemetry::PartEvent e;
      EXPECT_TRUE(parse(m, e));
      ++t.kinds[telemetry::PartEvent::Kind_Name(e.kind())];
    } else if (t.schema == "twin.telemetry.FaultTruth") {
      telemetry::FaultTruth f;
      EXPECT_TRUE(parse(m, f));
      t.faults.emplace_back(f.machine(), telemetry::FaultTruth::Kind_Name(f.kind()),
                            f.failure_ns());
    } else if (t.schema == "twin.telemetry.Alarm") {
      telemetry::Alarm a;
      EXPECT_TRUE(parse(m, a));
      ++t.codes[a.code()];
    }
  }
  return figures;
}

std::optional<int64_t> time_of(const json& j) {
  if (j.is_null()) return std::nullopt;
  return std::stoll(j.get<std::string>());
}

// The outside decoding, from decode_telemetry.mjs's JSON.
Figures figures_of(const json& j) {
  Figures figures;
  for (const auto& [topic, e] : j.at("topics").items()) {
    TopicFigures& t = figures[topic];
    t.schema = e.at("schema").get<std::string>();
    t.count = e.at("count").get<uint64_t>();
    if (e.contains("samples")) {
      t.tags = e.at("tags").get<std::vector<std::string>>();
      t.samples = e.at("samples").get<uint64_t>();
      t.value_sum = e.at("valueSum").get<double>();
      t.min_time_ns = time_of(e.at("minTimeNs"));
      t.max_time_ns = time_of(e.at("maxTimeNs"));
      t.samples_per_tag = e.at("samplesPerTag").get<std::vector<uint64_t>>();
      t.qualities = e.at("qualities").get<std::map<std::string, uint64_t>>();
      t.bad_batches = e.at("badBatches").get<uint64_t>();
    }
    if (e.contains("modes")) t.modes = e.at("modes").get<std::map<std::string, uint64_t>>();
    if (e.contains("kinds")) t.kinds = e.at("kinds").get<std::map<std::string, uint64_t>>();
    if (e.contains("codes")) t.codes = e.at("codes").get<std::map<std::string, uint64_t>>();
    if (e.contains("faults")) {
      for (const json& f : e.at("faults")) {
        t.faults.emplace_back(f.at("machine").get<std::string>(), f.at("kind").get<std::string>(),
                              std::stoll(f.at("failureNs").get<std::string>()));
      }
    }
  }
  return figures;
}

// A fault as `twin generate` prints it: "    BEARING_WEAR    Filler    fails at 0.15 h ...".
struct PrintedFault {
  std::string kind, target;
  double at_h = 0.0;
};

std::vector<PrintedFault> printed_faults(const std::string& out) {
  std::vector<PrintedFault> faults;
  std::stringstream in(out);
  for (std::string line; std::getline(in, line);) {
    const size_t at = line.find(" fails at ");
    if (at == std::string::npos) continue;
    std::stringstream words(line.substr(0, at));
    PrintedFault f;
    words >> f.kind >> f.target;
    f.at_h = std::stod(line.substr(at + 10));
    faults.push_back(f);
  }
  return faults;
}

struct Case {
  std::string scene;  // under scenes/
  double hours = 0.5;
  int random_faults = 3;
  std::string extra;  // more `twin generate` flags
};

void check_interop(const Case& c, const std::string& name) {
  const std::string missing =
      test::missing_node_packages(kInteropDir, {"@mcap/core", "@mcap/nodejs", "protobufjs"});
  ASSERT_TRUE(missing.empty()) << missing;

  const fs::path dir =
      fs::temp_directory_path() / ("twin_telemetry_interop_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const struct Cleanup {
    fs::path dir;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } cleanup{dir};
  const fs::path file = dir / (name + ".mcap");
  std::ostringstream hours;
  hours << c.hours;

  // 1. Generate.
  const test::CommandResult gen = test::run_in_source_dir(
      shell_quote(std::string(TWIN_BINARY_DIR) + "/twin") + " generate " +
      shell_quote("scenes/" + c.scene) + " --hours " + hours.str() + " --random-faults " +
      std::to_string(c.random_faults) + " " + c.extra + " -o " + shell_quote(file.string()));
  ASSERT_EQ(gen.code, 0) << gen.err;

  // 2. The outside decoder.
  const test::CommandResult node = test::run_in_source_dir(
      "node tests/replay/interop/decode_telemetry.mjs " + shell_quote(file.string()));
  // 3. Ours.
  const mcap::ReadResult read = mcap::read_mcap(file.string());
  ASSERT_EQ(node.code, 0) << "decode_telemetry.mjs failed:\n" << node.err;
  const json j = json::parse(node.out, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(j.is_discarded()) << "decode_telemetry.mjs printed no valid JSON:\n"
                                 << node.out << "\nstderr:\n"
                                 << node.err;
  ASSERT_TRUE(read.ok()) << mcap::describe_damage(read);

  const Figures theirs = figures_of(j);
  const Figures ours = decode_ours(read);
  EXPECT_EQ(j.at("messageCount").get<uint64_t>(), read.messages.size());

  // Same topics, same figures.
  ASSERT_EQ(theirs.size(), ours.size());
  for (const auto& [topic, o] : ours) {
    SCOPED_TRACE(topic);
    const auto it = theirs.find(topic);
    ASSERT_NE(it, theirs.end()) << "the outside decoder has no topic " << topic;
    const TopicFigures& t = it->second;
    EXPECT_EQ(j.at("topics").at(topic).at("reencodeMismatches").get<uint64_t>(), 0u)
        << "protobufjs re-encodes some messages differently: fields missing from the schema?";
    EXPECT_EQ(t.schema, o.schema);
    EXPECT_EQ(t.count, o.count);
    EXPECT_EQ(t.tags, o.tags);
    EXPECT_EQ(t.samples, o.samples);
    EXPECT_NEAR(t.value_sum, o.value_sum, 1e-9 * std::max(1.0, std::abs(o.value_sum)));
    EXPECT_EQ(t.min_time_ns, o.min_time_ns);
    EXPECT_EQ(t.max_time_ns, o.max_time_ns);
    EXPECT_EQ(t.samples_per_tag, o.samples_per_tag);
    EXPECT_EQ(t.qualities, o.qualities);
    EXPECT_EQ(t.bad_batches, 0u);
    EXPECT_EQ(o.bad_batches, 0u);
    EXPECT_EQ(t.modes, o.modes);
    EXPECT_EQ(t.kinds, o.kinds);
    EXPECT_EQ(t.codes, o.codes);
    EXPECT_EQ(t.faults, o.faults);
  }

  // Sanity: every machine of the scene has a samples channel listing the machine's sample tags
  // (those of the scene; a machine whose only tag is its mode has none, and no samples), and
  // its mode changes.
  const SceneLoadResult scene =
      load_scene_file(std::string(TWIN_SOURCE_DIR) + "/scenes/" + c.scene);
  ASSERT_TRUE(scene.ok());
  std::optional<int64_t> shift_start;
  uint64_t total_samples = 0;
  for (uint32_t m = 0; m < scene.model.machine_count(); ++m) {
    const std::string machine = machine_name(scene.model, m);
    SCOPED_TRACE(machine);
    std::vector<std::string> tags, units;
    for (const TagSpec& tag : sample_tags(scene.model, m)) {
      tags.push_back(tag.name);
      units.push_back(tag.unit);
    }
    const auto samples = theirs.find("/plant/" + machine + "/samples");
    if (tags.empty()) {  // no sample tags: no samples channel at all
      EXPECT_EQ(samples, theirs.end());
      continue;
    }
    ASSERT_NE(samples, theirs.end());
    EXPECT_EQ(samples->second.schema, "twin.telemetry.SampleBatch");
    EXPECT_EQ(samples->second.tags, tags);
    EXPECT_EQ(samples->second.samples > 0, !tags.empty()) << samples->second.samples;
    total_samples += samples->second.samples;
    const auto modes = theirs.find("/plant/" + machine + "/mode");
    ASSERT_NE(modes, theirs.end());
    EXPECT_FALSE(modes->second.modes.empty());
    for (const auto& [id, channel] : read.channels) {
      if (channel.topic != samples->first) continue;
      EXPECT_EQ(channel.metadata.at("machine"), machine);
      EXPECT_EQ(split_commas(channel.metadata.at("units")), units);
      EXPECT_EQ(split_commas(channel.metadata.at("rates_hz")).size(), tags.size());
      shift_start = std::stoll(channel.metadata.at("shift_start_ns"));
    }
  }
  EXPECT_GT(total_samples, 0u);

  // The ground truth is what `twin generate` said it injected.
  const std::vector<PrintedFault> printed = printed_faults(gen.out);
  EXPECT_EQ(printed.size(), static_cast<size_t>(c.random_faults)) << gen.out;
  const auto truth = theirs.find("/truth/faults");
  ASSERT_NE(truth, theirs.end());
  const auto& faults = truth->second.faults;
  ASSERT_EQ(faults.size(), printed.size());
  ASSERT_TRUE(shift_start.has_value());
  for (size_t i = 0; i < faults.size(); ++i) {
    EXPECT_EQ(std::get<0>(faults[i]), printed[i].target);
    EXPECT_EQ(std::get<1>(faults[i]), "KIND_" + printed[i].kind);
    const double at_h = static_cast<double>(std::get<2>(faults[i]) - *shift_start) / 3.6e12;
    EXPECT_NEAR(at_h, printed[i].at_h, 0.0051) << printed[i].target;
  }
}

TEST(TelemetryInterop, BottlingDecodesFromEmbeddedSchemas) {
  check_interop({"bottling.yaml", 0.5, 3, ""}, "bottling");
}

TEST(TelemetryInterop, Machining20DecodesFromEmbeddedSchemas) {
  check_interop({"machining20.yaml", 0.5, 3, ""}, "machining20");
}

TEST(TelemetryInterop, Lz4FileDecodesFromEmbeddedSchemas) {
  check_interop({"bottling.yaml", 0.25, 3, "--compression lz4 --seed 7"}, "bottling_lz4");
}

}  // namespace
}  // namespace twin
