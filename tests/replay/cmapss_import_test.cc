// C-MAPSS import (replay/cmapss_import.h): text -> MCAP -> per-engine trajectories must give the
// text reader's doubles bit for bit (the real FD001 files, and a small fixture), the truth
// records must say when each engine fails, bad input must name file and line, and the official
// MCAP library (@mcap/core, through tests/replay/interop/decode_telemetry.mjs) must decode the
// file from its embedded schemas alone. The FD001 files are looked for in $TWIN_CMAPSS_DIR,
// <source>/../shared/data/cmapss and /work/shared/data/cmapss; the FD001 tests are skipped with
// a message when they are not there.
#include "replay/cmapss_import.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <system_error>
#include <vector>

#include "core/telemetry/telemetry.h"
#include "replay/mcap_reader.h"
#include "tests/support/interop.h"
#include "tests/support/process.h"
#include "twin/telemetry.pb.h"

namespace twin {
namespace {

namespace fs = std::filesystem;

std::string cmapss_dir() {
  if (const char* env = std::getenv("TWIN_CMAPSS_DIR")) return env;
  const std::string rel = std::string(TWIN_SOURCE_DIR) + "/../shared/data/cmapss";
  if (fs::exists(rel + "/train_FD001.txt")) return rel;
  return "/work/shared/data/cmapss";
}

bool have_fd001() {
  const std::string d = cmapss_dir();
  return fs::exists(d + "/train_FD001.txt") && fs::exists(d + "/test_FD001.txt") &&
         fs::exists(d + "/RUL_FD001.txt");
}

// A row of 26 columns as in cmapss_reader_test: settings cycle/1000, sensors 500 + c + cycle/100.
std::string row(int unit, int cycle) {
  std::string s(std::to_string(unit));
  s.append(" ").append(std::to_string(cycle));
  for (int c = 0; c < kCmapssChannels; ++c) {
    const double v = c < kCmapssSettings ? cycle / 1000.0 : 500.0 + c + cycle / 100.0;
    char buf[32];
    std::snprintf(buf, sizeof buf, " %.4f", v);
    s.append(buf);
  }
  return s;
}

// A fresh temporary folder, removed with everything in it at the end of the test.
struct TempDir {
  explicit TempDir(const std::string& name) : path(test::fresh_temp_dir(name)) {}
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string path;
};

std::string write_text(const std::string& dir, const std::string& name, const std::string& text) {
  const std::string path = dir + "/" + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

// Imports `source` into `mcap`; fails the test (and returns a !ok report) on error.
CmapssImportReport import_to(const CmapssSource& source, const std::string& mcap,
                             const CmapssImportOptions& options = {}) {
  EXPECT_TRUE(source.ok()) << source.error->to_string();
  TelemetryWriter w;
  EXPECT_TRUE(w.open(mcap)) << w.error();
  const CmapssImportReport r = write_cmapss_telemetry(source, options, w);
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(w.close()) << w.error();
  return r;
}

// The dataset equals the reader's units bit for bit.
void expect_same(const CmapssDataset& d, const CmapssTrajectories& t) {
  ASSERT_TRUE(d.ok()) << d.error;
  ASSERT_EQ(d.units.size(), t.units.size());
  for (size_t k = 0; k < t.units.size(); ++k) {
    SCOPED_TRACE(d.machines[k]);
    EXPECT_EQ(d.machines[k], cmapss_engine_name(t.units[k].unit));
    EXPECT_EQ(d.units[k].unit, t.units[k].unit);
    EXPECT_EQ(d.units[k].cycle, t.units[k].cycle);
    ASSERT_EQ(d.units[k].x.rows(), t.units[k].x.rows());
    ASSERT_EQ(d.units[k].x.cols(), kCmapssChannels);
    // Bit for bit, not merely ==: same bytes of the column-major matrices.
    EXPECT_EQ(std::memcmp(d.units[k].x.data(), t.units[k].x.data(),
                          sizeof(double) * static_cast<size_t>(t.units[k].x.size())),
              0);
  }
}

TEST(CmapssImport, TagNamesAndEngineNames) {
  const std::vector<std::string>& n = cmapss_tag_names();
  ASSERT_EQ(n.size(), static_cast<size_t>(kCmapssChannels));
  EXPECT_EQ(n[0], "op_setting_1");
  EXPECT_EQ(n[2], "op_setting_3");
  EXPECT_EQ(n[3], "sensor_01");
  EXPECT_EQ(n[23], "sensor_21");
  EXPECT_EQ(cmapss_tag_labels().size(), n.size());
  EXPECT_EQ(cmapss_tag_labels()[3], "T2");
  EXPECT_EQ(cmapss_tag_labels()[23], "W32");
  EXPECT_EQ(cmapss_tag_units().size(), n.size());
  EXPECT_EQ(cmapss_engine_name(1), "engine_001");
  EXPECT_EQ(cmapss_engine_name(100), "engine_100");
  EXPECT_EQ(cmapss_engine_name(1234), "engine_1234");
  // Widening is decimal-faithful for <= 6 significant digits, unlike a plain cast.
  EXPECT_EQ(cmapss_widen(static_cast<float>(9046.19)), 9046.19);
  EXPECT_EQ(cmapss_widen(static_cast<float>(-0.0007)), -0.0007);
  EXPECT_NE(static_cast<double>(static_cast<float>(9046.19)), 9046.19);
}

TEST(CmapssImport, FD001RoundTripsBitForBit) {
  if (!have_fd001()) GTEST_SKIP() << "C-MAPSS FD001 files not found (set TWIN_CMAPSS_DIR)";
  const TempDir tmp("cmapss_import");
  const std::string& dir = tmp.path;
  const std::string data = cmapss_dir();
  for (const char* name : {"train_FD001.txt", "test_FD001.txt"}) {
    SCOPED_TRACE(name);
    const CmapssSource src = read_cmapss_source(data + "/" + name);
    ASSERT_TRUE(src.ok()) << src.error->to_string();
    const std::string mcap = dir + "/" + name + ".mcap";
    const CmapssImportReport r = import_to(src, mcap);
    ASSERT_TRUE(r.ok);
    EXPECT_EQ(r.units, 100u);
    EXPECT_EQ(r.cycles, std::string(name) == "train_FD001.txt" ? 20631u : 13096u);
    EXPECT_EQ(r.samples, r.cycles * 24u);
    EXPECT_EQ(r.inexact_values, 0u) << r.first_inexact;
    const CmapssDataset d = read_cmapss_dataset(mcap);
    expect_same(d, src.data);
    EXPECT_EQ(d.start_ns, kCmapssDefaultStartNs);
    EXPECT_EQ(d.cycle_ns, 3600LL * 1000000000LL);
    EXPECT_EQ(d.source, std::string("cmapss:") + name);

    // Channel metadata: tags, units, the source and the time axis.
    const mcap::ReadResult read = mcap::read_mcap(mcap);
    ASSERT_TRUE(read.ok()) << mcap::describe_damage(read);
    int engines = 0;
    for (const auto& [id, ch] : read.channels) {
      if (ch.topic != "/plant/engine_007/samples") continue;
      ++engines;
      EXPECT_EQ(ch.metadata.at("machine"), "engine_007");
      EXPECT_EQ(split_list(ch.metadata.at("tags")), cmapss_tag_names());
      EXPECT_EQ(split_list(ch.metadata.at("units")), cmapss_tag_units());
      EXPECT_EQ(ch.metadata.at("source"), std::string("cmapss:") + name);
      EXPECT_EQ(ch.metadata.at("cycle_s"), "3600");
      EXPECT_EQ(ch.metadata.at("cmapss_unit"), "7");
      EXPECT_EQ(ch.metadata.at("shift_start_ns"), std::to_string(kCmapssDefaultStartNs));
    }
    EXPECT_EQ(engines, 1);
  }
}

TEST(CmapssImport, SmallFixtureWithGapsAndOtherCycleLength) {
  const TempDir tmp("cmapss_import_small");
  const std::string& dir = tmp.path;
  // Unit 5 before unit 2 (file order kept), a gap in unit 2's cycles.
  const std::string path = write_text(
      dir, "train_x.txt",
      row(5, 1) + "\n" + row(5, 2) + "\n" + row(2, 1) + "\n" + row(2, 4) + "\n" + row(2, 5) + "\n");
  const CmapssSource src = read_cmapss_source(path);
  ASSERT_TRUE(src.ok());
  CmapssImportOptions options;
  options.cycle_s = 0.25;
  options.start_ns = 1700000000LL * 1000000000LL;
  const CmapssImportReport r = import_to(src, dir + "/x.mcap", options);
  EXPECT_EQ(r.machines, (std::vector<std::string>{"engine_005", "engine_002"}));
  EXPECT_EQ(r.first_ns, options.start_ns + 250000000);
  EXPECT_EQ(r.last_ns, options.start_ns + 5 * 250000000LL);
  const CmapssDataset d = read_cmapss_dataset(dir + "/x.mcap");
  ASSERT_TRUE(d.ok()) << d.error;
  EXPECT_EQ(d.cycle_ns, 250000000);
  // Read back in unit order (2 before 5): compare engine by engine.
  ASSERT_EQ(d.units.size(), 2u);
  EXPECT_EQ(d.machines, (std::vector<std::string>{"engine_002", "engine_005"}));
  EXPECT_EQ(d.units[0].cycle, (std::vector<int>{1, 4, 5}));
  EXPECT_TRUE(d.units[0].x == src.data.units[1].x);
  EXPECT_TRUE(d.units[1].x == src.data.units[0].x);
}

TEST(CmapssImport, ValuesBeyondSingleFloatDigitsAreCounted) {
  const TempDir tmp("cmapss_import_inexact");
  const std::string& dir = tmp.path;
  std::string bad = row(1, 2);
  bad.replace(bad.rfind(' ') + 1, std::string::npos, "1234.5678");  // 8 significant digits
  const CmapssSource src =
      read_cmapss_source(write_text(dir, "train_y.txt", row(1, 1) + "\n" + bad + "\n"));
  const CmapssImportReport r = import_to(src, dir + "/y.mcap");
  EXPECT_EQ(r.inexact_values, 1u);
  EXPECT_NE(r.first_inexact.find("unit 1 cycle 2 sensor_21"), std::string::npos) << r.first_inexact;
}

TEST(CmapssImport, TruthRecords) {
  if (!have_fd001()) GTEST_SKIP() << "C-MAPSS FD001 files not found (set TWIN_CMAPSS_DIR)";
  const TempDir tmp("cmapss_import_truth");
  const std::string& dir = tmp.path;
  const std::string data = cmapss_dir();
  const CmapssRul rul = read_cmapss_rul(data + "/RUL_FD001.txt");
  ASSERT_TRUE(rul.ok());

  // Training: every engine fails at its last cycle (RUL 0 there).
  const CmapssSource train = read_cmapss_source(data + "/train_FD001.txt");
  EXPECT_EQ(train.split, CmapssSplit::kTrain);
  EXPECT_EQ(import_to(train, dir + "/train.mcap").truths, 100u);
  const CmapssDataset dtrain = read_cmapss_dataset(dir + "/train.mcap");
  const CmapssTruth ttrain = read_cmapss_truth(dir + "/train.mcap", dtrain);
  ASSERT_TRUE(ttrain.ok()) << ttrain.error;
  ASSERT_EQ(ttrain.rul_at_end.size(), 100u);
  for (const std::optional<double>& r : ttrain.rul_at_end) {
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(*r, 0.0);
  }

  // Test with its RUL file: each engine fails RUL cycles after its last one.
  const CmapssSource test_rul =
      read_cmapss_source(data + "/test_FD001.txt", data + "/RUL_FD001.txt");
  EXPECT_EQ(test_rul.split, CmapssSplit::kTest);
  EXPECT_EQ(import_to(test_rul, dir + "/test.mcap").truths, 100u);
  const CmapssDataset dtest = read_cmapss_dataset(dir + "/test.mcap");
  const CmapssTruth ttest = read_cmapss_truth(dir + "/test.mcap", dtest);
  ASSERT_TRUE(ttest.ok()) << ttest.error;
  for (size_t k = 0; k < 100; ++k) {
    ASSERT_TRUE(ttest.rul_at_end[k].has_value());
    EXPECT_EQ(*ttest.rul_at_end[k], rul.rul[k]) << dtest.machines[k];
  }
  // The records themselves: machine, failure time on the cycle axis, read with read_mcap.
  const mcap::ReadResult read = mcap::read_mcap(dir + "/test.mcap");
  ASSERT_TRUE(read.ok());
  std::map<std::string, int64_t> failure;
  for (const mcap::Message& m : read.messages) {
    if (read.channels.at(m.channel_id).topic != kTruthTopic) continue;
    telemetry::FaultTruth t;
    ASSERT_TRUE(t.ParseFromArray(m.data.data(), static_cast<int>(m.data.size())));
    failure[t.machine()] = t.failure_ns();
    EXPECT_EQ(m.log_time, static_cast<uint64_t>(kCmapssDefaultStartNs));
  }
  ASSERT_EQ(failure.size(), 100u);
  const int64_t hour = 3600LL * 1000000000LL;
  // Engine 1 of FD001's test set: last cycle 31, RUL 112 -> fails at cycle 143.
  EXPECT_EQ(dtest.units[0].cycle.back(), 31);
  EXPECT_EQ(failure.at("engine_001"), kCmapssDefaultStartNs + 143 * hour);

  // Without the RUL file: no truth at all, and the same samples.
  const CmapssSource test_plain = read_cmapss_source(data + "/test_FD001.txt");
  EXPECT_EQ(test_plain.split, CmapssSplit::kTest);
  EXPECT_EQ(import_to(test_plain, dir + "/test_plain.mcap").truths, 0u);
  const CmapssDataset dplain = read_cmapss_dataset(dir + "/test_plain.mcap");
  expect_same(dplain, test_rul.data);
  const CmapssTruth tplain = read_cmapss_truth(dir + "/test_plain.mcap", dplain);
  ASSERT_TRUE(tplain.ok()) << tplain.error;
  for (const std::optional<double>& r : tplain.rul_at_end) EXPECT_FALSE(r.has_value());
}

TEST(CmapssImport, BadInputNamesFileAndLine) {
  const TempDir tmp("cmapss_import_bad");
  const std::string& dir = tmp.path;
  std::string bad = row(1, 3);
  bad.replace(bad.rfind(' ') + 1, std::string::npos, "12.3x");
  const std::string path =
      write_text(dir, "train_bad.txt", row(1, 1) + "\n" + row(1, 2) + "\n" + bad + "\n");
  const CmapssSource src = read_cmapss_source(path);
  ASSERT_FALSE(src.ok());
  EXPECT_EQ(src.error->to_string(),
            path + ":3: column 26 (sensor 21): '12.3x' is not a finite number");
  TelemetryWriter w;
  ASSERT_TRUE(w.open(dir + "/bad.mcap"));
  const CmapssImportReport r = write_cmapss_telemetry(src, {}, w);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, src.error->to_string());
  w.close();

  // A RUL file with a bad line, one with too many lines, and one with too few.
  const std::string test = write_text(dir, "test_x.txt", row(1, 1) + "\n" + row(2, 1) + "\n");
  const CmapssSource r1 = read_cmapss_source(test, write_text(dir, "rul1.txt", "5\nfive\n"));
  ASSERT_FALSE(r1.ok());
  EXPECT_EQ(r1.error->to_string(),
            dir + "/rul1.txt:2: 'five' is not a non-negative number of cycles");
  const CmapssSource r2 = read_cmapss_source(test, write_text(dir, "rul2.txt", "5\n6\n7\n"));
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error->line, 3);
  EXPECT_NE(r2.error->what.find("has 3 values but test_x.txt has 2 units"), std::string::npos)
      << r2.error->to_string();
  const CmapssSource r3 = read_cmapss_source(test, write_text(dir, "rul3.txt", "5\n"));
  ASSERT_FALSE(r3.ok());
  EXPECT_EQ(r3.error->line, 0);

  // The split: by name, or said; a RUL file does not go with a training file.
  const std::string odd = write_text(dir, "engines.txt", row(1, 1) + "\n");
  EXPECT_FALSE(read_cmapss_source(odd).ok());
  EXPECT_TRUE(read_cmapss_source(odd, "", CmapssSplit::kTrain).ok());
  EXPECT_FALSE(read_cmapss_source(odd, dir + "/rul3.txt", CmapssSplit::kTrain).ok());

  // A file that is no C-MAPSS import reads as an error, not as an empty data set.
  TelemetryWriter empty;
  ASSERT_TRUE(empty.open(dir + "/empty.mcap"));
  empty.add_machine("Mill", {TagSpec{"temperature", "degC", 1.0, 6}});
  ASSERT_TRUE(empty.close());
  const CmapssDataset none = read_cmapss_dataset(dir + "/empty.mcap");
  EXPECT_FALSE(none.ok());
  EXPECT_NE(none.error.find("no C-MAPSS engine channels"), std::string::npos) << none.error;
  EXPECT_FALSE(read_cmapss_dataset(dir + "/nonexistent.mcap").ok());
}

TEST(CmapssImport, OfficialReaderDecodesTheFile) {
  if (!have_fd001()) GTEST_SKIP() << "C-MAPSS FD001 files not found (set TWIN_CMAPSS_DIR)";
  const fs::path interop = fs::path(TWIN_SOURCE_DIR) / "tests" / "replay" / "interop";
  const std::string missing =
      test::missing_node_packages(interop, {"@mcap/core", "@mcap/nodejs", "protobufjs"});
  ASSERT_TRUE(missing.empty()) << missing;
  const TempDir tmp("cmapss_import_interop");
  const std::string& dir = tmp.path;
  const std::string data = cmapss_dir();
  const CmapssSource src = read_cmapss_source(data + "/test_FD001.txt", data + "/RUL_FD001.txt");
  const std::string mcap = dir + "/test.mcap";
  ASSERT_TRUE(import_to(src, mcap).ok);

  const test::CommandResult node = test::run_in_source_dir(
      "node tests/replay/interop/decode_telemetry.mjs " + test::shell_quote(mcap));
  ASSERT_EQ(node.code, 0) << node.err;
  const nlohmann::json j = nlohmann::json::parse(node.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << node.out;
  const nlohmann::json& topics = j.at("topics");
  const int64_t hour = 3600LL * 1000000000LL;
  for (const CmapssUnit& u : src.data.units) {
    const std::string topic = "/plant/" + cmapss_engine_name(u.unit) + "/samples";
    SCOPED_TRACE(topic);
    ASSERT_TRUE(topics.contains(topic));
    const nlohmann::json& t = topics.at(topic);
    const uint64_t rows = static_cast<uint64_t>(u.x.rows());
    EXPECT_EQ(t.at("schema"), "twin.telemetry.SampleBatch");
    EXPECT_EQ(t.at("count").get<uint64_t>(), rows);
    EXPECT_EQ(t.at("samples").get<uint64_t>(), rows * 24);
    EXPECT_EQ(t.at("tags").get<std::vector<std::string>>(), cmapss_tag_names());
    EXPECT_EQ(t.at("samplesPerTag").get<std::vector<uint64_t>>(), std::vector<uint64_t>(24, rows));
    EXPECT_EQ(t.at("badBatches").get<uint64_t>(), 0u);
    EXPECT_EQ(t.at("reencodeMismatches").get<uint64_t>(), 0u);
    EXPECT_EQ(std::stoll(t.at("minTimeNs").get<std::string>()),
              kCmapssDefaultStartNs + u.cycle.front() * hour);
    EXPECT_EQ(std::stoll(t.at("maxTimeNs").get<std::string>()),
              kCmapssDefaultStartNs + u.cycle.back() * hour);
    // The float values summed in read order (cycle by cycle, channel by channel).
    double sum = 0.0;
    for (Eigen::Index i = 0; i < u.x.rows(); ++i) {
      for (Eigen::Index c = 0; c < u.x.cols(); ++c)
        sum += static_cast<double>(static_cast<float>(u.x(i, c)));
    }
    EXPECT_DOUBLE_EQ(t.at("valueSum").get<double>(), sum);
  }
  const nlohmann::json& faults = topics.at(std::string(kTruthTopic)).at("faults");
  ASSERT_EQ(faults.size(), src.data.units.size());
  for (size_t k = 0; k < faults.size(); ++k) {
    const CmapssUnit& u = src.data.units[k];
    EXPECT_EQ(faults[k].at("machine"), cmapss_engine_name(u.unit));
    EXPECT_EQ(
        std::stoll(faults[k].at("failureNs").get<std::string>()),
        kCmapssDefaultStartNs + (u.cycle.back() + static_cast<int64_t>(src.rul->rul[k])) * hour);
  }
}

}  // namespace
}  // namespace twin
