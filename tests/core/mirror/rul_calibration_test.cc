// RUL calibration against past failures (core/mirror/rul_calibration.h) and its place in the fit
// file (core/mirror/monitor_fit.h).
#include "core/mirror/rul_calibration.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/mirror/monitor_fit.h"

namespace twin {
namespace {

constexpr int64_t kSecond = 1'000'000'000;
constexpr FaultKind kBearing = telemetry::FaultTruth::KIND_BEARING_WEAR;
constexpr FaultKind kTool = telemetry::FaultTruth::KIND_TOOL_BREAKAGE;

telemetry::FaultTruth failure(const std::string& machine, FaultKind kind, double from_s,
                              double at_s) {
  telemetry::FaultTruth t;
  t.set_machine(machine);
  t.set_kind(kind);
  t.set_precursor_start_ns(static_cast<int64_t>(from_s) * kSecond);
  t.set_failure_ns(static_cast<int64_t>(at_s) * kSecond);
  return t;
}

// An estimate at `t_s` whose median is the true time left divided by `factor`.
RulPoint estimate(const std::string& machine, FaultKind kind, double t_s, double fail_s,
                  double factor) {
  RulPoint p;
  p.time_ns = static_cast<int64_t>(t_s) * kSecond;
  p.target = machine;
  p.suspected = kind;
  p.median_s = (fail_s - t_s) / factor;
  p.lo_s = 0.9 * p.median_s;
  p.hi_s = 1.1 * p.median_s;
  return p;
}

// Estimates that are all early by the same factor give that factor back, for the kind with
// enough failures only; points outside the precursor, of another machine or kind, do not count.
TEST(RulCalibration, LearnsTheRatioPerKindFromFailures) {
  RulCalibrationFitter fitter;
  for (int shift = 0; shift < 3; ++shift) {
    const std::vector<telemetry::FaultTruth> truths = {failure("M1", kBearing, 1000, 5000),
                                                       failure("M2", kTool, 1000, 2000)};
    std::vector<RulPoint> rul;
    for (double t = 1500; t < 5000; t += 500) rul.push_back(estimate("M1", kBearing, t, 5000, 2.0));
    rul.push_back(estimate("M1", kBearing, 500, 5000, 50.0));               // before the precursor
    rul.push_back(estimate("M3", kBearing, 2000, 5000, 50.0));              // another machine
    rul.push_back(estimate("M1", kTool, 2000, 5000, 50.0));                 // another kind
    if (shift == 0) rul.push_back(estimate("M2", kTool, 1500, 2000, 4.0));  // one tool failure
    fitter.add(truths, rul);
  }
  const RulCalibration cal = fitter.finish(3);
  ASSERT_EQ(cal.kinds.size(), 1u);  // the tool: one failure with estimates
  const RulCalibrationKind* b = cal.find(kBearing);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->faults, 3u);
  EXPECT_EQ(b->points, 21u);
  EXPECT_NEAR(b->q50, std::log(2.0), 1e-9);
  EXPECT_NEAR(b->q05, std::log(2.0), 1e-9);
  EXPECT_NEAR(b->q95, std::log(2.0), 1e-9);
  EXPECT_EQ(cal.find(kTool), nullptr);
  EXPECT_EQ(fitter.finish(1).kinds.size(), 2u);
}

// The correction scales the median and replaces the interval by the ratios' quantiles, widened
// to keep the model's own; other kinds and infinite medians pass unchanged.
TEST(RulCalibration, CorrectsMedianAndInterval) {
  RulCalibration cal;
  cal.kinds.push_back({kBearing, 5, 50, std::log(0.5), std::log(1.5), std::log(4.0)});
  RulPoint p;
  p.suspected = kBearing;
  p.median_s = 1000;
  p.lo_s = 800;
  p.hi_s = 1200;
  const RulPoint c = calibrate_rul(p, cal);
  EXPECT_NEAR(c.median_s, 1500, 1e-9);
  EXPECT_NEAR(c.lo_s, 500, 1e-9);
  EXPECT_NEAR(c.hi_s, 4000, 1e-9);
  p.lo_s = 100;  // a wider model interval is kept
  EXPECT_NEAR(calibrate_rul(p, cal).lo_s, 100, 1e-9);
  p.suspected = kTool;
  EXPECT_EQ(calibrate_rul(p, cal).median_s, 1000);
  p.suspected = kBearing;
  p.median_s = std::numeric_limits<double>::infinity();
  EXPECT_TRUE(std::isinf(calibrate_rul(p, cal).median_s));
}

std::string temp_path(const char* name) {
  return (std::filesystem::temp_directory_path() /
          (std::to_string(::getpid()) + "_" + std::string(name)))
      .string();
}

// The fit file carries it; a broken entry is rejected naming its field; files without one load.
TEST(RulCalibration, SavedInTheFitFile) {
  MonitorFit fit;
  fit.scene = "s";
  fit.rul_calibration.kinds.push_back({kBearing, 6, 90, -1.5, 0.01, 0.9});
  fit.rul_calibration.kinds.push_back({kTool, 7, 19, -4.0, -2.1, -0.1});
  const std::string path = temp_path("twin_rul_cal_fit.json");
  std::string error;
  ASSERT_TRUE(save_monitor_fit(fit, path, error)) << error;
  MonitorFit back;
  ASSERT_TRUE(load_monitor_fit(path, back, error)) << error;
  ASSERT_EQ(back.rul_calibration.kinds.size(), 2u);
  EXPECT_EQ(back.rul_calibration.kinds[1].kind, kTool);
  EXPECT_EQ(back.rul_calibration.kinds[1].q50, -2.1);
  EXPECT_EQ(back.rul_calibration.kinds[0].faults, 6u);
  {
    std::ofstream out(path);
    out << R"({"machines": [], "rul_calibration": [{"kind": "bearing_wear",
          "log_ratio_q05": 0.5, "log_ratio_q50": 0.1, "log_ratio_q95": 0.9}]})";
  }
  EXPECT_FALSE(load_monitor_fit(path, back, error));
  EXPECT_NE(error.find("rul_calibration[0]"), std::string::npos) << error;
  {
    std::ofstream out(path);
    out << R"({"machines": [], "rul_calibration": [{"kind": "gremlins",
          "log_ratio_q05": 0, "log_ratio_q50": 0, "log_ratio_q95": 0}]})";
  }
  EXPECT_FALSE(load_monitor_fit(path, back, error));
  EXPECT_NE(error.find("rul_calibration[0].kind"), std::string::npos) << error;
  {
    std::ofstream out(path);
    out << R"({"machines": []})";
  }
  EXPECT_TRUE(load_monitor_fit(path, back, error)) << error;
  EXPECT_TRUE(back.rul_calibration.empty());
  std::remove(path.c_str());
}

}  // namespace
}  // namespace twin
