// End-to-end tests of the telemetry commands (`twin generate`, `twin replay`, `twin record`)
// through the built `twin` binary: short bottling shifts written to a temporary folder.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <regex>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "replay/mcap_reader.h"

namespace {

namespace fs = std::filesystem;

struct Result {
  int code = -1;    // exit code; -1 when the process did not exit normally
  int signal = 0;   // the signal that ended it (0: it exited)
  std::string out;  // stdout
  std::string err;  // stderr
};

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string scene(const std::string& name) {
  return std::string(TWIN_SOURCE_DIR) + "/scenes/" + name;
}

// The "truth: N good parts" line `twin generate` prints; -1 when it is missing.
long long truth_good_parts(const std::string& generate_stdout) {
  static const std::regex kTruth(R"(truth: (\d+) good parts)");
  std::smatch m;
  if (!std::regex_search(generate_stdout, m, kTruth)) return -1;
  return std::stoll(m[1].str());
}

// The real value of a KPI row of a replay's JSON; NaN (and a failure) when the row is missing.
double real_kpi(const nlohmann::json& j, const std::string& key) {
  if (j.contains("kpis")) {
    for (const nlohmann::json& row : j["kpis"]) {
      if (row.value("key", "") == key) return row["real"].get<double>();
    }
  }
  ADD_FAILURE() << "no KPI row '" << key << "' in the replay JSON";
  return std::numeric_limits<double>::quiet_NaN();
}

uint64_t quality(const nlohmann::json& j, const std::string& key) {
  if (!j.contains("data_quality") || !j["data_quality"].contains(key)) {
    ADD_FAILURE() << "no data_quality." << key << " in the replay JSON";
    return 0;
  }
  return j["data_quality"][key].get<uint64_t>();
}

class TelemetryCli : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("twin_telemetry_cli_test_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  fs::path path(const std::string& name) const { return dir_ / name; }
  // A file in the test folder, quoted for the shell.
  std::string quoted(const std::string& name) const { return quote(path(name).string()); }
  static std::string quote(const std::string& text) {
    // Appending (not "'" + s + "'") avoids GCC 12's false -Wrestrict warning at -O3.
    std::string q(1, '\'');
    q.append(text).push_back('\'');
    return q;
  }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path(name), std::ios::binary) << text;
  }

  // Runs `twin <args>`, stdout and stderr captured separately.
  Result run(const std::string& args) const {
    std::string cmd = quote(std::string(TWIN_BINARY_DIR) + "/twin");
    cmd.append(" ").append(args).append(" 2>").append(quoted("stderr.txt"));
    Result r;
    FILE* pipe = popen(cmd.c_str(), "r");
    if (pipe == nullptr) return r;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) r.out.append(buf, n);
    const int status = pclose(pipe);
    if (WIFEXITED(status)) {
      r.code = WEXITSTATUS(status);
      // The shell reports a child killed by a signal as 128 + the signal.
      if (r.code > 128) r.signal = r.code - 128;
    } else if (WIFSIGNALED(status)) {
      r.signal = WTERMSIG(status);
    }
    r.err = read_file(path("stderr.txt"));
    return r;
  }

  // `twin generate` of a bottling shift (0.5 h unless `extra` says otherwise) to `mcap`.
  Result generate(const std::string& mcap, const std::string& extra = "--seed 3") const {
    return run("generate " + quote(scene("bottling.yaml")) + " --hours 0.5 -o " + quoted(mcap) +
               " " + extra);
  }

  // `twin replay` of `mcap` against `scene_file` with --json; the parsed JSON (null on failure).
  nlohmann::json replay_json(const std::string& mcap, const std::string& json,
                             const std::string& extra = "",
                             const std::string& scene_file = scene("bottling.yaml")) const {
    const Result r = run("replay " + quote(scene_file) + " " + quoted(mcap) +
                         " --reps 5 -q --json " + quoted(json) + " " + extra);
    EXPECT_EQ(r.code, 0) << "replay " << mcap << " " << extra << ": " << r.err;
    EXPECT_EQ(r.signal, 0);
    if (r.code != 0) return nullptr;
    nlohmann::json j = nlohmann::json::parse(read_file(path(json)), nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << json << " is not valid JSON";
    return j.is_discarded() ? nlohmann::json() : j;
  }

  fs::path dir_;
};

// The mirror fed with the plant's telemetry reproduces what the plant did: the real good parts
// of the replay equal the ground truth generate printed.
TEST_F(TelemetryCli, GenerateThenReplayReproducesTheTruth) {
  const Result g = generate("x.mcap");
  ASSERT_EQ(g.code, 0) << g.err;
  EXPECT_EQ(g.err, "");
  EXPECT_NE(g.out.find("0.5 h of bottling, seed 3, 5 machines"), std::string::npos) << g.out;
  EXPECT_NE(g.out.find("samples in"), std::string::npos) << g.out;
  EXPECT_NE(g.out.find("faults: 0"), std::string::npos) << g.out;
  const long long truth = truth_good_parts(g.out);
  ASSERT_GT(truth, 0) << "no 'truth: N good parts' in:\n" << g.out;

  const Result r = run("replay " + quote(scene("bottling.yaml")) + " " + quoted("x.mcap") +
                       " --json " + quoted("r.json") + " --reps 5");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("real vs twin"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(std::to_string(truth) + ".0"), std::string::npos)
      << "the real good parts (" << truth << ") are not in the table:\n"
      << r.out;
  EXPECT_NE(r.out.find("bottleneck: real "), std::string::npos) << r.out;
  EXPECT_EQ(r.err.find("damaged"), std::string::npos) << r.err;

  const nlohmann::json j = nlohmann::json::parse(read_file(path("r.json")), nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << "r.json does not parse";
  EXPECT_EQ(j["scene"], "bottling");
  EXPECT_EQ(j["replications"], 5);
  EXPECT_EQ(j["damage"], "");
  EXPECT_GT(quality(j, "samples_in"), 0u);
  EXPECT_GT(quality(j, "applied"), 0u);
  EXPECT_GT(quality(j, "events_in"), 0u);
  EXPECT_EQ(quality(j, "unknown_machine"), 0u);
  EXPECT_EQ(quality(j, "malformed_messages"), 0u);
  EXPECT_DOUBLE_EQ(j["window"]["from_s"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(j["window"]["to_s"].get<double>(), 1800.0);
  for (const char* key :
       {"line.good_parts", "line.throughput_per_h", "line.scrapped_parts", "line.oee"}) {
    EXPECT_TRUE(std::isfinite(real_kpi(j, key))) << key;
  }
  for (const nlohmann::json& row : j["kpis"]) {
    for (const char* field : {"key", "real", "twin_mean", "twin_p05", "twin_p95", "error"})
      EXPECT_TRUE(row.contains(field)) << field << " missing in " << row.dump();
  }
  EXPECT_EQ(real_kpi(j, "line.good_parts"), static_cast<double>(truth))
      << "the mirror's real good parts differ from the plant's ground truth";
  EXPECT_NEAR(real_kpi(j, "line.throughput_per_h"), 2.0 * static_cast<double>(truth), 1e-6);

  ASSERT_TRUE(j["series"].is_array());
  ASSERT_GE(j["series"].size(), 2u);  // every 15 min of a 30 min shift
  uint64_t last_good = 0;
  double last_t = 0.0;
  for (const nlohmann::json& p : j["series"]) {
    const uint64_t good = p["real_good_parts"].get<uint64_t>();
    const double t = p["t_s"].get<double>();
    EXPECT_GE(good, last_good) << "real good parts go down at t = " << t << " s";
    EXPECT_GE(t, last_t) << "series time goes back";
    last_good = good;
    last_t = t;
  }
  EXPECT_DOUBLE_EQ(last_t, 1800.0);
  EXPECT_EQ(static_cast<double>(last_good), static_cast<double>(truth));
  EXPECT_EQ(j["machines"].size(), 5u);
}

// One point per instant: the time series of the JSON has strictly increasing times, every
// 15 min and at the window end.
TEST_F(TelemetryCli, ReplaySeriesHasOnePointPerTime) {
  ASSERT_EQ(generate("x.mcap").code, 0);
  const nlohmann::json j = replay_json("x.mcap", "r.json");
  ASSERT_TRUE(j.contains("series"));
  std::string times;
  for (const nlohmann::json& p : j["series"]) times.append(p["t_s"].dump()).append(" ");
  double last_t = -1.0;
  for (const nlohmann::json& p : j["series"]) {
    const double t = p["t_s"].get<double>();
    EXPECT_GT(t, last_t) << "series has two points at t = " << t << " s; times: " << times;
    last_t = t;
  }
  EXPECT_EQ(j["series"].size(), 2u) << "expected points at 900 and 1800 s; times: " << times;
}

TEST_F(TelemetryCli, SameSeedSameBytesOtherSeedDiffers) {
  ASSERT_EQ(generate("a.mcap", "--seed 3 -q").code, 0);
  ASSERT_EQ(generate("b.mcap", "--seed 3 -q").code, 0);
  ASSERT_EQ(generate("c.mcap", "--seed 4 -q").code, 0);
  const std::string a = read_file(path("a.mcap"));
  ASSERT_GT(a.size(), 1000u);
  EXPECT_TRUE(a == read_file(path("b.mcap"))) << "same seed, different files";
  EXPECT_FALSE(a == read_file(path("c.mcap"))) << "seeds 3 and 4 give the same file";
}

TEST_F(TelemetryCli, FromToGivesTheWindow) {
  ASSERT_EQ(generate("x.mcap").code, 0);
  const nlohmann::json full = replay_json("x.mcap", "full.json");
  const nlohmann::json w = replay_json("x.mcap", "w.json", "--from 10min --to 20min");
  ASSERT_TRUE(w.contains("window"));
  EXPECT_DOUBLE_EQ(w["window"]["from_s"].get<double>(), 600.0);
  EXPECT_DOUBLE_EQ(w["window"]["to_s"].get<double>(), 1200.0);
  EXPECT_DOUBLE_EQ(w["window"]["to_s"].get<double>() - w["window"]["from_s"].get<double>(), 600.0);
  const double window_good = real_kpi(w, "line.good_parts");
  const double full_good = real_kpi(full, "line.good_parts");
  EXPECT_GT(window_good, 0.0);
  EXPECT_LE(window_good, full_good);
  EXPECT_LT(window_good, full_good);  // a third of the shift cannot make all of its parts
  // Other spellings of the same window.
  const nlohmann::json w2 = replay_json("x.mcap", "w2.json", "--from 600 --to 1200s");
  EXPECT_EQ(real_kpi(w2, "line.good_parts"), window_good);
  // --from alone runs to the shift end.
  const nlohmann::json tail = replay_json("x.mcap", "tail.json", "--from 0.25h");
  EXPECT_DOUBLE_EQ(tail["window"]["from_s"].get<double>(), 900.0);
  EXPECT_DOUBLE_EQ(tail["window"]["to_s"].get<double>(), 1800.0);
  EXPECT_LE(real_kpi(tail, "line.good_parts"), full_good);
}

TEST_F(TelemetryCli, BadWindowAndSpeedAreUsageErrors) {
  ASSERT_EQ(generate("x.mcap", "--seed 3 -q").code, 0);
  const std::string base = "replay " + quote(scene("bottling.yaml")) + " " + quoted("x.mcap") + " ";
  struct Case {
    const char* args;
    const char* option;  // what the message must name
  };
  for (const Case& c : {Case{"--from abc", "--from"}, Case{"--to 5min --from 10min", "--to"},
                        Case{"--from 10min --to 10min", "--to"}, Case{"--to xyz", "--to"},
                        Case{"--from -5min", "--from"}, Case{"--speed 0", "--speed"},
                        Case{"--speed fast", "--speed"}, Case{"--speed -2", "--speed"}}) {
    const Result r = run(base + c.args);
    EXPECT_EQ(r.code, 2) << c.args << ": " << r.err;
    EXPECT_NE(r.err.find(c.option), std::string::npos) << c.args << ": " << r.err;
    EXPECT_NE(r.err.find("twin: "), std::string::npos) << c.args << ": " << r.err;
    EXPECT_EQ(r.out, "") << c.args;
  }
}

// A fault on a real machine: generate lists it and writes its ground truth, which the replay
// skips (and counts).
TEST_F(TelemetryCli, FaultsFileWritesGroundTruth) {
  write("faults.yaml",
        "faults:\n"
        "  - {machine: Filler, kind: bearing_wear, at: 20min, precursor: 10min, repair: 5min}\n");
  const Result g = generate("f.mcap", "--seed 3 --faults " + quoted("faults.yaml"));
  ASSERT_EQ(g.code, 0) << g.err;
  EXPECT_NE(g.out.find("faults: 1"), std::string::npos) << g.out;
  EXPECT_NE(g.out.find("BEARING_WEAR"), std::string::npos) << g.out;
  EXPECT_NE(g.out.find("Filler"), std::string::npos) << g.out;
  EXPECT_NE(g.out.find("fails at 0.33 h"), std::string::npos) << g.out;
  const long long truth = truth_good_parts(g.out);
  ASSERT_GT(truth, 0) << g.out;
  const nlohmann::json j = replay_json("f.mcap", "f.json");
  EXPECT_EQ(quality(j, "truth_messages_skipped"), 1u);
  EXPECT_EQ(real_kpi(j, "line.good_parts"), static_cast<double>(truth));
  // Without faults the same seed has no ground truth messages.
  ASSERT_EQ(generate("x.mcap", "--seed 3 -q").code, 0);
  EXPECT_EQ(quality(replay_json("x.mcap", "x.json"), "truth_messages_skipped"), 0u);
}

TEST_F(TelemetryCli, FaultsFileWithUnknownMachineIsInvalidInput) {
  write("faults.yaml", "faults:\n  - {machine: Nope, kind: bearing_wear, at: 20min}\n");
  const Result r = generate("f.mcap", "--faults " + quoted("faults.yaml"));
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_EQ(r.signal, 0);
  EXPECT_NE(r.err.find("faults.yaml"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("unknown machine"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Nope"), std::string::npos) << r.err;

  write("late.yaml", "faults:\n  - {machine: Filler, kind: bearing_wear, at: 2h}\n");
  const Result late = generate("l.mcap", "--faults " + quoted("late.yaml"));
  EXPECT_EQ(late.code, 3) << late.err;
  EXPECT_NE(late.err.find("late.yaml"), std::string::npos) << late.err;

  const Result missing = generate("m.mcap", "--faults " + quoted("missing.yaml"));
  EXPECT_EQ(missing.code, 3) << missing.err;
  EXPECT_NE(missing.err.find("missing.yaml"), std::string::npos) << missing.err;
}

// The faults file is read by the scene loader's YAML reader, which reports file:line.
TEST_F(TelemetryCli, BadFaultsFileNamesFileAndLine) {
  struct Case {
    const char* file;
    const char* text;
    const char* problem;  // a word the message must contain
  };
  const Case cases[] = {
      {"syntax.yaml", "faults:\n  - {machine: Filler, kind: bearing_wear, at: 20min\n  - x\n",
       "syntax"},
      {"field.yaml", "faults:\n  - machine: Filler\n    kind: bearing_wear\n    when: 20min\n",
       "when"},
      {"kind.yaml", "faults:\n  - machine: Filler\n    kind: bearing_whatever\n    at: 20min\n",
       "bearing_whatever"},
  };
  for (const Case& c : cases) {
    write(c.file, c.text);
    const Result r = generate("f.mcap", std::string("--faults ") + quoted(c.file));
    EXPECT_EQ(r.code, 3) << c.file << ": " << r.err;
    EXPECT_EQ(r.signal, 0) << c.file;
    const std::regex file_line(std::string(c.file) + ":[0-9]+");
    EXPECT_TRUE(std::regex_search(r.err, file_line)) << c.file << ": no file:line in " << r.err;
    EXPECT_NE(r.err.find(c.problem), std::string::npos) << c.file << ": " << r.err;
  }
  // The unknown field is on line 4.
  write("field.yaml", cases[1].text);
  const Result r = generate("f.mcap", "--faults " + quoted("field.yaml"));
  EXPECT_NE(r.err.find("field.yaml:4"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(path("f.mcap"))) << "a rejected run left an output file";
}

// record copies the source and adds the twin's snapshots; replays of the copy give the same.
TEST_F(TelemetryCli, RecordAddsSnapshotsAndReplaysTheSame) {
  write("faults.yaml", "faults:\n  - {machine: Capper, kind: overheating, at: 25min}\n");
  ASSERT_EQ(generate("x.mcap", "--seed 3 -q --faults " + quoted("faults.yaml")).code, 0);
  const Result rec = run("record " + quote(scene("bottling.yaml")) + " " + quoted("x.mcap") +
                         " -o " + quoted("y.mcap") + " --keyframe 60");
  ASSERT_EQ(rec.code, 0) << rec.err;
  EXPECT_EQ(rec.err, "");
  EXPECT_NE(rec.out.find("twin snapshots (every 60 s)"), std::string::npos) << rec.out;

  const nlohmann::json jx = replay_json("x.mcap", "x.json");
  const nlohmann::json jy = replay_json("y.mcap", "y.json");
  EXPECT_EQ(real_kpi(jy, "line.good_parts"), real_kpi(jx, "line.good_parts"));
  EXPECT_EQ(real_kpi(jy, "line.oee"), real_kpi(jx, "line.oee"));
  EXPECT_EQ(quality(jy, "samples_in"), quality(jx, "samples_in"));
  EXPECT_EQ(quality(jy, "truth_messages_skipped"), 1u);  // the ground truth is copied
  EXPECT_EQ(jy["damage"], "");
  // A window in the middle (the player may start from a snapshot) gives the same as well.
  const nlohmann::json wx = replay_json("x.mcap", "wx.json", "--from 10min --to 20min");
  const nlohmann::json wy = replay_json("y.mcap", "wy.json", "--from 10min --to 20min");
  EXPECT_EQ(real_kpi(wy, "line.good_parts"), real_kpi(wx, "line.good_parts"));

  const twin::mcap::ReadResult x = twin::mcap::read_mcap(path("x.mcap").string());
  const twin::mcap::ReadResult y = twin::mcap::read_mcap(path("y.mcap").string());
  ASSERT_TRUE(y.valid_magic) << "y.mcap is not an MCAP file";
  EXPECT_TRUE(y.ok()) << twin::mcap::describe_damage(y);
  int snapshot_channel = -1;
  for (const auto& [id, channel] : y.channels) {
    if (channel.topic == "/twin/snapshot") snapshot_channel = id;
  }
  ASSERT_GE(snapshot_channel, 0) << "no /twin/snapshot channel in y.mcap";
  size_t snapshots = 0;
  uint64_t last_time = 0;
  for (const twin::mcap::Message& m : y.messages) {
    if (m.channel_id != snapshot_channel) continue;
    ++snapshots;
    EXPECT_GE(m.log_time, last_time);
    EXPECT_FALSE(m.data.empty());
    last_time = m.log_time;
  }
  // Every 60 s of a 30 min shift and one at the end: 1800 / 60 + 1, give or take one for
  // messages arriving after the shift end.
  EXPECT_GE(snapshots, 30u);
  EXPECT_LE(snapshots, 33u);
  EXPECT_NE(rec.out.find(" and " + std::to_string(snapshots) + " twin snapshots"),
            std::string::npos)
      << rec.out;
  EXPECT_EQ(y.messages.size(), x.messages.size() + snapshots)
      << "record should copy every message of the source";
}

TEST_F(TelemetryCli, UnreadableRecordingsAreInvalidInput) {
  write("table.mcap", "time,machine,tag,value\n0,Filler,mode,1\n1,Filler,mode,2\n");
  write("empty.mcap", "");
  for (const char* name : {"missing.mcap", "table.mcap", "empty.mcap"}) {
    const Result r = run("replay " + quote(scene("bottling.yaml")) + " " + quoted(name) +
                         " --reps 2 --json " + quoted("r.json"));
    EXPECT_EQ(r.signal, 0) << name << " crashed the replay";
    EXPECT_EQ(r.code, 3) << name << ": " << r.err;
    EXPECT_NE(r.err.find("twin: "), std::string::npos) << name << ": " << r.err;
    EXPECT_NE(r.err.find(name), std::string::npos) << name << ": " << r.err;
    EXPECT_EQ(r.out, "") << name;
  }
  EXPECT_FALSE(fs::exists(path("r.json")));
  // record refuses them the same way.
  const Result rec = run("record " + quote(scene("bottling.yaml")) + " " + quoted("table.mcap") +
                         " -o " + quoted("y.mcap"));
  EXPECT_EQ(rec.signal, 0);
  EXPECT_EQ(rec.code, 3) << rec.err;
}

TEST_F(TelemetryCli, TruncatedRecordingReplaysWithDamageMessage) {
  ASSERT_EQ(generate("x.mcap", "--seed 3 -q").code, 0);
  const nlohmann::json full = replay_json("x.mcap", "full.json");
  const std::string bytes = read_file(path("x.mcap"));
  write("cut.mcap", bytes.substr(0, bytes.size() * 6 / 10));
  const Result r = run("replay " + quote(scene("bottling.yaml")) + " " + quoted("cut.mcap") +
                       " --reps 2 --json " + quoted("cut.json"));
  ASSERT_EQ(r.signal, 0) << "the replay of a cut file crashed";
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("damaged"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("cut.mcap"), std::string::npos) << r.err;
  const nlohmann::json j = nlohmann::json::parse(read_file(path("cut.json")), nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_NE(j["damage"], "");
  const double good = real_kpi(j, "line.good_parts");
  EXPECT_GT(good, 0.0);
  EXPECT_LT(good, real_kpi(full, "line.good_parts"));
  EXPECT_LT(quality(j, "samples_in"), quality(full, "samples_in"));
}

// A recording of another line: nothing matches, everything is counted as unknown.
TEST_F(TelemetryCli, MismatchedSceneCountsUnknownMachines) {
  ASSERT_EQ(generate("x.mcap", "--seed 3 -q").code, 0);
  const nlohmann::json j = replay_json("x.mcap", "m.json", "", scene("machining20.yaml"));
  EXPECT_EQ(j["scene"], "machining20");
  EXPECT_GT(quality(j, "unknown_machine"), 0u);
  EXPECT_GT(quality(j, "events_unknown_machine"), 0u);
  EXPECT_EQ(quality(j, "applied"), 0u);
  EXPECT_EQ(real_kpi(j, "line.good_parts"), 0.0);
}

TEST_F(TelemetryCli, CleanRecordingHasNoDirt) {
  const Result g = generate("clean.mcap", "--seed 3 --clean");
  ASSERT_EQ(g.code, 0) << g.err;
  EXPECT_NE(g.out.find("dirt: 0 dropped, 0 stuck, 0 out of order, 0 duplicated, 0 late batches"),
            std::string::npos)
      << g.out;
  const nlohmann::json j = replay_json("clean.mcap", "c.json");
  for (const char* key : {"duplicates", "superseded", "late", "stale_episodes", "gaps"})
    EXPECT_EQ(quality(j, key), 0u) << key;
  EXPECT_GT(quality(j, "samples_in"), 0u);
  EXPECT_EQ(quality(j, "applied"), quality(j, "samples_in"));
  EXPECT_EQ(real_kpi(j, "line.good_parts"), static_cast<double>(truth_good_parts(g.out)));
  // Dirt is in the sensors only: the plant makes the same parts with the same seed.
  const Result dirty = generate("dirty.mcap", "--seed 3");
  ASSERT_EQ(dirty.code, 0) << dirty.err;
  EXPECT_EQ(truth_good_parts(dirty.out), truth_good_parts(g.out));
}

}  // namespace
