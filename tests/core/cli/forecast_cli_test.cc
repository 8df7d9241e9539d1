// `twin forecast` end to end: a generated 8-hour shift of the 20-station sample line (the plant
// simulator, default sensor dirt), forecast at 25, 50 and 75 % of the shift through the built
// binary, scored against the shift's actual count.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "models/plant/plant_simulator.h"
#include "tests/support/plant_recording.h"
#include "tests/support/scenes.h"

namespace twin {
namespace {

namespace fs = std::filesystem;

std::string quote(const std::string& text) {
  std::string q(1, '\'');
  q.append(text).push_back('\'');
  return q;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class ForecastCli : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("twin_forecast_cli_test_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Runs `twin <args>`; returns the exit code, stdout in `out`.
  int run(const std::string& args, std::string& out) const {
    std::string cmd = quote(std::string(TWIN_BINARY_DIR) + "/twin");
    cmd.append(" ").append(args).append(" 2>").append(quote((dir_ / "stderr.txt").string()));
    FILE* pipe = popen(cmd.c_str(), "r");
    if (pipe == nullptr) return -1;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
    const int status = pclose(pipe);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  fs::path dir_;
};

// s1.mcap, s2.mcap, ...
std::string shift_file(uint64_t seed) {
  std::string name(1, 's');
  name.append(std::to_string(seed)).append(".mcap");
  return name;
}

std::string sample_scene(const std::string& name) {
  return std::string(TWIN_SOURCE_DIR) + "/scenes/" + name;
}

// (e) At most of the three times the actual end-of-shift count lies inside the 90 % interval.
TEST_F(ForecastCli, ScoresAGeneratedShift) {
  const SceneLoadResult scene = test::load_sample_or_fail("machining20.yaml");
  PlantOptions plant;
  plant.hours = 8.0;
  plant.seed = 3;
  const std::string mcap = (dir_ / "shift.mcap").string();
  const PlantReport report = test::record_plant_shift(scene.model, plant, mcap);
  const std::string json = (dir_ / "forecast.json").string();
  std::string out;
  const int code = run("forecast " + quote(sample_scene("machining20.yaml")) + " " + quote(mcap) +
                           " --score --reps 200 --json " + quote(json),
                       out);
  ASSERT_EQ(code, 0) << slurp(dir_ / "stderr.txt");
  std::printf("%s", out.c_str());
  const nlohmann::json j = nlohmann::json::parse(slurp(json), nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  ASSERT_TRUE(j.value("complete", false));
  // Clean part events: the mirror's count at the end is the plant's own.
  EXPECT_EQ(j["actual_good_parts"].get<uint64_t>(), report.truth.line.good_parts);
  ASSERT_EQ(j["forecasts"].size(), 3u);
  double previous_so_far = -1.0;
  for (const nlohmann::json& f : j["forecasts"]) {
    const double so_far = f["good_so_far"].get<double>();
    EXPECT_GT(so_far, previous_so_far);
    previous_so_far = so_far;
    EXPECT_LE(f["p05"].get<double>(), f["mean"].get<double>());
    EXPECT_GE(f["p95"].get<double>(), f["mean"].get<double>());
    EXPECT_GE(f["p05"].get<double>(), so_far);  // parts made stay made
    EXPECT_LT(f["wall_s"].get<double>(), 5.0);
  }
  EXPECT_GE(j["inside_count"].get<int>(), 2) << out;
}

TEST_F(ForecastCli, RejectsBadTimes) {
  const SceneLoadResult scene = test::load_scene_or_fail(test::kSmallLine);
  PlantOptions plant;
  plant.hours = 0.5;
  plant.seed = 1;
  const std::string mcap = (dir_ / "short.mcap").string();
  const std::string yaml = (dir_ / "small.yaml").string();
  std::ofstream(yaml) << test::kSmallLine;
  test::record_plant_shift(scene.model, plant, mcap);
  std::string out;
  EXPECT_EQ(run("forecast " + quote(yaml) + " " + quote(mcap), out), 2);
  EXPECT_EQ(run("forecast " + quote(yaml) + " " + quote(mcap) + " --at soon", out), 2);
  EXPECT_EQ(run("forecast " + quote(yaml) + " " + quote(mcap) + " --at 2h", out), 2);
  out.clear();
  EXPECT_EQ(run("forecast " + quote(yaml) + " " + quote(mcap) + " --at 10min,50% --reps 20", out),
            0);
  EXPECT_NE(out.find("0.17 h (10min)"), std::string::npos) << out;
  EXPECT_NE(out.find("0.25 h (50%)"), std::string::npos) << out;
}

// --calibrate over several recordings writes the fit with margins; a forecast with that fit
// prints and writes the calibrated interval beside the model's. Too few forecasts: a clear error.
TEST_F(ForecastCli, CalibratesTheIntervalFromPastShifts) {
  const SceneLoadResult scene = test::load_scene_or_fail(test::kSmallLine);
  const std::string yaml = (dir_ / "small.yaml").string();
  std::ofstream(yaml) << test::kSmallLine;
  std::string logs;
  for (uint64_t seed : {1, 2, 3}) {
    PlantOptions plant;
    plant.hours = 0.5;
    plant.seed = seed;
    const std::string mcap = (dir_ / shift_file(seed)).string();
    test::record_plant_shift(scene.model, plant, mcap);
    if (seed < 3) logs.append(" ").append(quote(mcap));
  }
  const std::string times = " --at 5%,10%,15%,20%,30%,35%,40%,45%,55%,60%,65%,70%,80%,85%,90%";
  const std::string cal = (dir_ / "cal.json").string();
  std::string out;
  ASSERT_EQ(
      run("forecast " + quote(yaml) + logs + times + " --score --reps 20 --threads 2 --calibrate " +
              quote(cal) + " --json " + quote((dir_ / "past.json").string()),
          out),
      0)
      << slurp(dir_ / "stderr.txt");
  EXPECT_NE(out.find("forecast calibration from 36 forecasts of 2 shifts"), std::string::npos)
      << out;
  const nlohmann::json past = nlohmann::json::parse(slurp(dir_ / "past.json"), nullptr, false);
  ASSERT_FALSE(past.is_discarded());
  ASSERT_EQ(past["shifts"].size(), 2u);
  EXPECT_EQ(past["forecasts_scored"].get<int>(), 36);
  const nlohmann::json fit = nlohmann::json::parse(slurp(cal), nullptr, false);
  ASSERT_FALSE(fit.is_discarded());
  const nlohmann::json& fc = fit["forecast_calibration"];
  EXPECT_EQ(fc["forecasts"].get<int>(), 36);
  EXPECT_EQ(fc["shifts"].get<int>(), 2);
  EXPECT_FALSE(fc["rul"].get<bool>());
  const double below = fc["below_parts_per_working_h"].get<double>();
  const double above = fc["above_parts_per_working_h"].get<double>();

  // Applied to the third shift: each end moves by its margin times the working hours left.
  const std::string next = (dir_ / "next.json").string();
  out.clear();
  ASSERT_EQ(run("forecast " + quote(yaml) + " " + quote((dir_ / "s3.mcap").string()) +
                    " --score --reps 20 --threads 2 --fit " + quote(cal) + " --json " + quote(next),
                out),
            0)
      << slurp(dir_ / "stderr.txt");
  EXPECT_NE(out.find("calibrated"), std::string::npos) << out;
  const nlohmann::json j = nlohmann::json::parse(slurp(next), nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_TRUE(j["calibrated"].get<bool>());
  ASSERT_EQ(j["forecasts"].size(), 3u);
  for (const nlohmann::json& f : j["forecasts"]) {
    const double left_h = (j["shift_end_s"].get<double>() - f["at_s"].get<double>()) / 3600.0;
    const double lo = f["calibrated"]["p05"].get<double>();
    const double hi = f["calibrated"]["p95"].get<double>();
    EXPECT_NEAR(lo,
                std::max(f["p05"].get<double>() - below * left_h, f["good_so_far"].get<double>()),
                1e-9);
    EXPECT_NEAR(hi, std::max(f["p95"].get<double>() + above * left_h, lo), 1e-9);
    EXPECT_TRUE(f.contains("inside_calibrated"));
  }

  // One shift scored at three times cannot calibrate a 90 % interval.
  out.clear();
  EXPECT_EQ(run("forecast " + quote(yaml) + " " + quote((dir_ / "s3.mcap").string()) +
                    " --score --reps 20 --calibrate " + quote((dir_ / "few.json").string()),
                out),
            3);
  EXPECT_NE(slurp(dir_ / "stderr.txt").find("at least 19"), std::string::npos)
      << slurp(dir_ / "stderr.txt");
  EXPECT_FALSE(fs::exists(dir_ / "few.json"));
}

}  // namespace
}  // namespace twin
