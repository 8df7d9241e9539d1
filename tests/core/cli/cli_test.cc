// Runs the built `twin` binary on small scenes written to a temporary folder.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/support/scenes.h"

namespace {

namespace fs = std::filesystem;

// Station S2 writes to a sink that does not exist.
constexpr const char* kBadScene = R"yaml(
name: bad line
sources:
  - name: In
stations:
  - name: S1
    input: [In]
    output: Nowhere
    cycle_time: 10
sinks:
  - name: Out
)yaml";

struct Result {
  int code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("twin_cli_test_" + std::to_string(::getpid()) + "_" + info->name());
    fs::create_directories(dir_);
    write("scene.yaml", twin::test::kSmallLine);
    write("bad.yaml", kBadScene);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  fs::path path(const std::string& name) const { return dir_ / name; }
  std::string quoted(const std::string& name) const {
    // Appending (not "'" + s + "'") avoids GCC 12's false -Wrestrict warning at -O3.
    std::string q(1, '\'');
    q.append(path(name).string()).push_back('\'');
    return q;
  }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path(name), std::ios::binary) << text;
  }

  // Runs `twin <args>`, stdout and stderr captured separately.
  Result twin(const std::string& args) const {
    const std::string cmd =
        std::string("'") + TWIN_BINARY_DIR + "/twin' " + args + " 2>" + quoted("stderr.txt");
    Result r;
    FILE* pipe = popen(cmd.c_str(), "r");
    if (pipe == nullptr) return r;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) r.out.append(buf, n);
    const int status = pclose(pipe);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.err = read_file(path("stderr.txt"));
    return r;
  }

  fs::path dir_;
};

TEST_F(Cli, SimulatePrintsTables) {
  const Result r = twin("simulate " + quoted("scene.yaml") + " --reps 3 --hours 1 --threads 2");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("Line KPIs"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Stations"), std::string::npos);
  EXPECT_NE(r.out.find("throughput [parts/h]"), std::string::npos);
  EXPECT_NE(r.out.find("S2"), std::string::npos);
  EXPECT_EQ(r.err, "");  // no progress bar when stderr is not a terminal
}

// --events writes replication 0's event log, the same as the golden-file writer makes.
TEST_F(Cli, SimulateWritesTheEventLog) {
  const Result r = twin("simulate " + quoted("scene.yaml") +
                        " --reps 2 --hours 1 --quiet --events " + quoted("events.csv"));
  EXPECT_EQ(r.code, 0) << r.err;
  const std::string log = read_file(path("events.csv"));
  EXPECT_EQ(log.rfind("time_s,calendar_s,station,machine,event,from,to,product\n", 0), 0u);
  EXPECT_NE(log.find(",S2,1,mode,"), std::string::npos);
  EXPECT_NE(log.find(",S1,1,finished,,,default"), std::string::npos);
}

TEST_F(Cli, JsonIndependentOfThreadsAndReport) {
  const std::string base = "simulate " + quoted("scene.yaml") + " --reps 4 --hours 1 --quiet";
  const Result one = twin(base + " --threads 1 --json " + quoted("one.json"));
  const Result two =
      twin(base + " --threads 2 --json " + quoted("two.json") + " --report " + quoted("r.html"));
  ASSERT_EQ(one.code, 0) << one.err;
  ASSERT_EQ(two.code, 0) << two.err;
  EXPECT_EQ(one.out, "");  // --quiet
  const std::string j1 = read_file(path("one.json")), j2 = read_file(path("two.json"));
  EXPECT_FALSE(j1.empty());
  EXPECT_EQ(j1, j2);
  const nlohmann::json j = nlohmann::json::parse(j1);
  EXPECT_EQ(j["scene"], "small line");
  EXPECT_EQ(j["seed"], 7);  // the scene's seed by default
  EXPECT_EQ(j["replications"], 4);
  EXPECT_DOUBLE_EQ(j["horizon_s"].get<double>(), 3600.0);
  const std::string html = read_file(path("r.html"));
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_EQ(html.find("http"), std::string::npos);
}

TEST_F(Cli, SeedAndWarmup) {
  const Result r =
      twin("simulate " + quoted("scene.yaml") +
           " --reps 2 --hours 1 --warmup 0.5 --seed 99 --quiet --json " + quoted("s.json"));
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(read_file(path("s.json")));
  EXPECT_EQ(j["seed"], 99);
  EXPECT_DOUBLE_EQ(j["warmup_s"].get<double>(), 1800.0);
  EXPECT_DOUBLE_EQ(j["horizon_s"].get<double>(), 5400.0);
}

TEST_F(Cli, UsageErrorsExitTwo) {
  EXPECT_EQ(twin("").code, 2);
  EXPECT_EQ(twin("simulate").code, 2);
  EXPECT_EQ(twin("simulate " + quoted("scene.yaml") + " --reps 0").code, 2);
  EXPECT_EQ(twin("simulate " + quoted("scene.yaml") + " --hours abc").code, 2);
  EXPECT_EQ(twin("frobnicate").code, 2);
  EXPECT_EQ(twin("frobnicate --help").code, 2);
  const Result r = twin("simulate " + quoted("scene.yaml") + " --bogus");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err.rfind("twin: ", 0), 0u) << r.err;
  EXPECT_EQ(twin("whatif " + quoted("scene.yaml")).code, 2);  // no variant
}

TEST_F(Cli, InvalidSceneExitsThree) {
  const Result r = twin("simulate " + quoted("bad.yaml") + " --reps 2 --hours 1");
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find("twin: "), std::string::npos);
  EXPECT_NE(r.err.find("bad.yaml"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(twin("simulate " + quoted("missing.yaml")).code, 3);
}

TEST_F(Cli, UnwritableOutputExitsOne) {
  const Result r = twin("simulate " + quoted("scene.yaml") +
                        " --reps 2 --hours 1 --quiet --json /nonexistent-dir/out.json");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("twin: "), std::string::npos);
}

TEST_F(Cli, Validate) {
  const Result ok = twin("validate " + quoted("scene.yaml"));
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_NE(ok.out.find("ok: 2 stations, 2 machines"), std::string::npos) << ok.out;
  const Result bad = twin("validate " + quoted("scene.yaml") + " " + quoted("bad.yaml"));
  EXPECT_EQ(bad.code, 3);
  EXPECT_NE(bad.out.find("ok:"), std::string::npos);
  EXPECT_NE(bad.err.find("bad.yaml:"), std::string::npos) << bad.err;
}

TEST_F(Cli, WhatIf) {
  const Result r = twin("whatif " + quoted("scene.yaml") +
                        " --reps 4 --hours 1 --set 'stations[S2].cycle_time.exponential.mean=14'"
                        " --json " +
                        quoted("w.json") + " --report " + quoted("w.html"));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("What-if"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("throughput [parts/h]"), std::string::npos);
  const nlohmann::json j = nlohmann::json::parse(read_file(path("w.json")));
  EXPECT_EQ(j["variants"].size(), 1u);
  EXPECT_NE(read_file(path("w.html")).find("<svg"), std::string::npos);
}

TEST_F(Cli, WhatIfScenarioFile) {
  write("scenario.yaml",
        "variants:\n"
        "  - name: bigger buffer\n"
        "    set: [\"buffers[B1].capacity=10\"]\n"
        "  - name: slower S2\n"
        "    set: [\"stations[S2].cycle_time.exponential.mean=12\"]\n");
  const Result r = twin("whatif " + quoted("scene.yaml") + " --reps 3 --hours 1 --scenario " +
                        quoted("scenario.yaml"));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("bigger buffer"), std::string::npos);
  EXPECT_NE(r.out.find("slower S2"), std::string::npos);

  write("bad_scenario.yaml",
        "variants:\n"
        "  - name: nope\n"
        "    set: [\"buffers[B7].capacity=10\"]\n");
  const Result bad = twin("whatif " + quoted("scene.yaml") + " --reps 3 --hours 1 --scenario " +
                          quoted("bad_scenario.yaml"));
  EXPECT_EQ(bad.code, 3);
  EXPECT_NE(bad.err.find("bad_scenario.yaml:3:"), std::string::npos) << bad.err;

  const Result bad_set =
      twin("whatif " + quoted("scene.yaml") + " --set 'buffers[B7].capacity=10'");
  EXPECT_EQ(bad_set.code, 3);
  EXPECT_NE(bad_set.err.find("twin: "), std::string::npos);
}

TEST_F(Cli, VersionAndHelp) {
  const Result v = twin("--version");
  EXPECT_EQ(v.code, 0);
  EXPECT_NE(v.out.find("twin"), std::string::npos);
  for (const char* sub : {"simulate", "whatif", "validate"}) {
    const Result h = twin(std::string(sub) + " --help");
    EXPECT_EQ(h.code, 0) << sub;
    EXPECT_NE(h.out.find("--"), std::string::npos) << sub;
  }
  const Result top = twin("--help");
  EXPECT_EQ(top.code, 0);
  EXPECT_NE(top.out.find("simulate"), std::string::npos);
}

}  // namespace
