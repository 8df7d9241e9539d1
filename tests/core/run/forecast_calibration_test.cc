// The forecast's interval against past shifts (core/run/forecast_calibration.h) and its place in
// the fit file (core/mirror/monitor_fit.h).
#include "core/run/forecast_calibration.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/mirror/monitor_fit.h"
#include "core/run/forecast.h"
#include "tests/support/process.h"

namespace twin {
namespace {

// An 8-hour shift with a 30-minute break at 4 h.
Calendar shift_calendar() {
  Calendar c;
  c.breaks.push_back({4 * 3600.0, 4.5 * 3600.0});
  c.index();
  return c;
}

Forecast forecast_at(double at_s, double p05, double p95, uint64_t so_far) {
  Forecast f;
  f.at_s = at_s;
  f.shift_end_s = 8 * 3600.0;
  f.p05 = p05;
  f.p95 = p95;
  f.good_so_far = so_far;
  return f;
}

// The scale is working time: a break between the fork and the end does not count.
TEST(ForecastCalibration, HoursLeftAreWorkingHours) {
  const Calendar c = shift_calendar();
  EXPECT_DOUBLE_EQ(forecast_hours_left(c, forecast_at(2 * 3600.0, 0, 0, 0)), 5.5);
  EXPECT_DOUBLE_EQ(forecast_hours_left(c, forecast_at(6 * 3600.0, 0, 0, 0)), 2.0);
  EXPECT_DOUBLE_EQ(forecast_hours_left(c, forecast_at(4.2 * 3600.0, 0, 0, 0)), 3.5);  // in it
  // At the very end the scale stays one minute, never 0.
  EXPECT_DOUBLE_EQ(forecast_hours_left(c, forecast_at(8 * 3600.0, 0, 0, 0)), 1.0 / 60.0);
  const ConformalSample s = forecast_sample(c, forecast_at(6 * 3600.0, 250, 270, 200), 240.0);
  EXPECT_DOUBLE_EQ(s.lo, 250.0);
  EXPECT_DOUBLE_EQ(s.hi, 270.0);
  EXPECT_DOUBLE_EQ(s.actual, 240.0);
  EXPECT_DOUBLE_EQ(s.scale, 2.0);
}

// Margins in parts per working hour left: an early fork widens more than a late one; the lower
// end never drops below the parts already made.
TEST(ForecastCalibration, WidensByTheHoursLeftAndKeepsPartsMade) {
  const Calendar c = shift_calendar();
  ForecastCalibration cal;
  cal.margins.samples = 30;
  cal.margins.below = 10.0;
  cal.margins.above = 1.0;
  const ConformalInterval early =
      calibrated_interval(c, forecast_at(2 * 3600.0, 260, 300, 60), cal);
  EXPECT_DOUBLE_EQ(early.lo, 260.0 - 55.0);
  EXPECT_DOUBLE_EQ(early.hi, 300.0 + 5.5);
  const ConformalInterval late =
      calibrated_interval(c, forecast_at(6 * 3600.0, 260, 280, 190), cal);
  EXPECT_DOUBLE_EQ(late.lo, 240.0);
  EXPECT_DOUBLE_EQ(late.hi, 282.0);
  const ConformalInterval made =
      calibrated_interval(c, forecast_at(6 * 3600.0, 250, 255, 245), cal);
  EXPECT_DOUBLE_EQ(made.lo, 245.0);
  // Without a calibration the interval is the model's.
  const ConformalInterval none =
      calibrated_interval(c, forecast_at(2 * 3600.0, 260, 300, 60), ForecastCalibration{});
  EXPECT_DOUBLE_EQ(none.lo, 260.0);
  EXPECT_DOUBLE_EQ(none.hi, 300.0);
}

// The fan's band widens with the working time from the fork: not at all at the fork, by the
// full margin at the end; the break adds nothing.
TEST(ForecastCalibration, BandWidensWithTheWorkingTimeFromTheFork) {
  const Calendar c = shift_calendar();
  Forecast f = forecast_at(2 * 3600.0, 280, 300, 60);
  f.fan.t_s = {2 * 3600.0, 5 * 3600.0, 8 * 3600.0};
  f.fan.p05 = {60, 170, 280};
  f.fan.p95 = {60, 190, 300};
  f.fan.p50 = {60, 180, 290};
  ForecastCalibration cal;
  cal.margins.samples = 30;
  cal.margins.below = 10.0;
  cal.margins.above = 2.0;
  const CalibratedBand band = calibrated_band(c, f, cal);
  ASSERT_EQ(band.lo.size(), 3u);
  EXPECT_DOUBLE_EQ(band.lo[0], 60.0);
  EXPECT_DOUBLE_EQ(band.hi[0], 60.0);
  EXPECT_DOUBLE_EQ(band.lo[1], 170.0 - 25.0);  // 2.5 working hours
  EXPECT_DOUBLE_EQ(band.hi[1], 190.0 + 5.0);
  const ConformalInterval end = calibrated_interval(c, f, cal);
  EXPECT_DOUBLE_EQ(band.lo[2], end.lo);
  EXPECT_DOUBLE_EQ(band.hi[2], end.hi);
}

// The fit file carries it beside the rest; broken entries are rejected naming the field; files
// without one load with none.
TEST(ForecastCalibration, SavedInTheFitFile) {
  MonitorFit fit;
  fit.scene = "s";
  fit.forecast_calibration.margins = {0.1, 108, 17, 3, 10.9, -0.25};
  fit.forecast_calibration.shifts = 36;
  fit.forecast_calibration.rul = true;
  const std::string path = test::fresh_temp_dir("forecast_cal") + "/fit.json";
  std::string error;
  ASSERT_TRUE(save_monitor_fit(fit, path, error)) << error;
  MonitorFit back;
  ASSERT_TRUE(load_monitor_fit(path, back, error)) << error;
  const ForecastCalibration& b = back.forecast_calibration;
  EXPECT_EQ(b.margins.samples, 108u);
  EXPECT_EQ(b.margins.misses_below, 17u);
  EXPECT_EQ(b.margins.misses_above, 3u);
  EXPECT_EQ(b.margins.below, 10.9);
  EXPECT_EQ(b.margins.above, -0.25);
  EXPECT_EQ(b.margins.alpha, 0.1);
  EXPECT_EQ(b.shifts, 36u);
  EXPECT_TRUE(b.rul);
  const auto expect_rejected = [&](const char* text, const char* field) {
    {
      std::ofstream out(path);
      out << text;
    }
    EXPECT_FALSE(load_monitor_fit(path, back, error)) << text;
    EXPECT_NE(error.find(field), std::string::npos) << error;
  };
  expect_rejected(R"({"machines": [], "forecast_calibration": {"alpha": 0.1, "forecasts": 30,
      "below_parts_per_working_h": "wide", "above_parts_per_working_h": 1}})",
                  "forecast_calibration.below_parts_per_working_h");
  expect_rejected(R"({"machines": [], "forecast_calibration": {"alpha": 1.5, "forecasts": 30,
      "below_parts_per_working_h": 1, "above_parts_per_working_h": 1}})",
                  "forecast_calibration.alpha");
  expect_rejected(R"({"machines": [], "forecast_calibration": {"alpha": 0.1, "forecasts": 0,
      "below_parts_per_working_h": 1, "above_parts_per_working_h": 1}})",
                  "forecast_calibration.forecasts");
  expect_rejected(R"({"machines": [], "forecast_calibration": [1, 2]})", "forecast_calibration");
  {
    std::ofstream out(path);
    out << R"({"machines": []})";
  }
  EXPECT_TRUE(load_monitor_fit(path, back, error)) << error;
  EXPECT_TRUE(back.forecast_calibration.empty());
  std::filesystem::remove_all(std::filesystem::path(path).parent_path());
}

}  // namespace
}  // namespace twin
