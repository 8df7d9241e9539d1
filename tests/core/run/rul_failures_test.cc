// RUL estimates of the condition monitor into forecast failures (core/run/rul_failures.h).
#include "core/run/rul_failures.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "tests/support/scenes.h"

namespace twin {
namespace {

constexpr int64_t kSecond = 1'000'000'000;
constexpr FaultKind kBearing = telemetry::FaultTruth::KIND_BEARING_WEAR;
constexpr FaultKind kTool = telemetry::FaultTruth::KIND_TOOL_BREAKAGE;

struct Fixture {
  Model model = test::load_scene_or_fail(test::kSmallLine, "small.yaml").model;
  MirrorModel names = build_mirror_model(model, MirrorOptions{});
};

TwinAlarm alarm(double t_s, const std::string& target, FaultKind kind, bool active) {
  TwinAlarm a;
  a.time_ns = static_cast<int64_t>(t_s * 1e9);
  a.target = target;
  a.code = "BEARING_DEGRADING";
  a.suspected = kind;
  a.active = active;
  return a;
}

RulPoint estimate(double t_s, const std::string& target, FaultKind kind, double lo, double median,
                  double hi) {
  RulPoint p;
  p.time_ns = static_cast<int64_t>(t_s * 1e9);
  p.target = target;
  p.suspected = kind;
  p.lo_s = lo;
  p.median_s = median;
  p.hi_s = hi;
  return p;
}

uint32_t machine_index(const MirrorModel& names, const std::string& name) {
  for (uint32_t m = 0; m < names.machine.size(); ++m)
    if (names.machine[m] == name) return m;
  ADD_FAILURE() << "no machine " << name;
  return 0;
}

// The newest estimate before the fork is used and aged by the time since it was made; a later
// estimate (after the fork) is not seen.
TEST(RulFailures, NewestEstimateAgedToTheFork) {
  Fixture f;
  const std::vector<TwinAlarm> alarms = {alarm(100, "S2", kBearing, true)};
  const std::vector<RulPoint> rul = {estimate(200, "S2", kBearing, 1000, 2000, 4000),
                                     estimate(500, "S2", kBearing, 900, 1500, 3000),
                                     estimate(900, "S2", kBearing, 10, 20, 30)};
  const auto out = predicted_failures_at(f.model, f.names, alarms, rul, 0, 800 * kSecond);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].machine, machine_index(f.names, "S2"));
  EXPECT_DOUBLE_EQ(out[0].lo_s, 600.0);  // 900 - 300 s of age
  EXPECT_DOUBLE_EQ(out[0].median_s, 1200.0);
  EXPECT_DOUBLE_EQ(out[0].hi_s, 2700.0);
}

// No active alarm for that machine and kind: a cleared alarm (repair) or an alarm of another
// kind or machine injects nothing.
TEST(RulFailures, OnlyWhileTheMatchingAlarmIsActive) {
  Fixture f;
  const std::vector<RulPoint> rul = {estimate(200, "S2", kBearing, 1000, 2000, 4000)};
  const std::vector<TwinAlarm> cleared = {alarm(100, "S2", kBearing, true),
                                          alarm(300, "S2", kBearing, false)};
  EXPECT_TRUE(predicted_failures_at(f.model, f.names, cleared, rul, 0, 400 * kSecond).empty());
  // ...but before the clear it counted.
  EXPECT_EQ(predicted_failures_at(f.model, f.names, cleared, rul, 0, 250 * kSecond).size(), 1u);
  const std::vector<TwinAlarm> other_kind = {alarm(100, "S2", kTool, true)};
  EXPECT_TRUE(predicted_failures_at(f.model, f.names, other_kind, rul, 0, 400 * kSecond).empty());
  const std::vector<TwinAlarm> other_machine = {alarm(100, "S1", kBearing, true)};
  EXPECT_TRUE(
      predicted_failures_at(f.model, f.names, other_machine, rul, 0, 400 * kSecond).empty());
  // An alarm raised after the fork is not known at the fork.
  const std::vector<TwinAlarm> later = {alarm(500, "S2", kBearing, true)};
  EXPECT_TRUE(predicted_failures_at(f.model, f.names, later, rul, 0, 400 * kSecond).empty());
}

// An estimate older than max_age_s is stale; quantiles that have passed floor at min_left_s.
TEST(RulFailures, StaleEstimatesDroppedAndPassedQuantilesFloored) {
  Fixture f;
  const std::vector<TwinAlarm> alarms = {alarm(0, "S2", kBearing, true)};
  const std::vector<RulPoint> rul = {estimate(100, "S2", kBearing, 50, 400, 5000)};
  RulFailureOptions o;
  o.max_age_s = 1000;
  o.min_left_s = 60;
  EXPECT_TRUE(predicted_failures_at(f.model, f.names, alarms, rul, 0, 1200 * kSecond, o).empty());
  const auto out = predicted_failures_at(f.model, f.names, alarms, rul, 0, 600 * kSecond, o);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_DOUBLE_EQ(out[0].lo_s, 60.0);      // 50 - 500 < 0: any moment now
  EXPECT_DOUBLE_EQ(out[0].median_s, 60.0);  // 400 - 500 < 0
  EXPECT_DOUBLE_EQ(out[0].hi_s, 4500.0);
}

// An infinite median (no end of life in sight) injects nothing; an infinite upper quantile
// with a finite median is kept as infinite (the forecast ignores it).
TEST(RulFailures, InfiniteQuantiles) {
  Fixture f;
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<TwinAlarm> alarms = {alarm(0, "S1", kTool, true),
                                         alarm(0, "S2", kBearing, true)};
  const std::vector<RulPoint> rul = {estimate(10, "S1", kTool, 100, inf, inf),
                                     estimate(10, "S2", kBearing, 100, 300, inf)};
  const auto out = predicted_failures_at(f.model, f.names, alarms, rul, 0, 10 * kSecond);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].machine, machine_index(f.names, "S2"));
  EXPECT_DOUBLE_EQ(out[0].median_s, 300.0);
  EXPECT_TRUE(std::isinf(out[0].hi_s));
}

// The monitor's times left are working times: an estimate ages by the working time since it was
// made, so a break between the estimate and the fork neither ages it nor makes it stale; the
// shift start is t = 0 of the calendar.
TEST(RulFailures, BreaksDoNotAgeEstimates) {
  Fixture f;
  f.model.calendar.breaks = {{1000.0, 1600.0}};  // a 10-minute break
  f.model.calendar.index();
  const int64_t shift_start = 5000 * kSecond;
  const std::vector<TwinAlarm> alarms = {alarm(5000, "S2", kBearing, true)};
  const std::vector<RulPoint> rul = {estimate(5500, "S2", kBearing, 200, 1000, 2000)};
  RulFailureOptions o;
  o.max_age_s = 1000;
  // Fork at calendar 1800 s (device 6800 s): 1300 s of calendar, 700 s of work since.
  const auto out =
      predicted_failures_at(f.model, f.names, alarms, rul, shift_start, 6800 * kSecond, o);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_DOUBLE_EQ(out[0].lo_s, 60.0);  // 200 - 700 < 0
  EXPECT_DOUBLE_EQ(out[0].median_s, 300.0);
  EXPECT_DOUBLE_EQ(out[0].hi_s, 1300.0);
  // A fork inside the break (calendar 1200 s): 500 s of work since the estimate.
  const auto in_break =
      predicted_failures_at(f.model, f.names, alarms, rul, shift_start, 6200 * kSecond, o);
  ASSERT_EQ(in_break.size(), 1u);
  EXPECT_DOUBLE_EQ(in_break[0].median_s, 500.0);
  // 1100 s of work since (calendar 2200 s): stale.
  EXPECT_TRUE(
      predicted_failures_at(f.model, f.names, alarms, rul, shift_start, 7200 * kSecond, o).empty());
}

// A machine that went down after the alarm was raised has had the failure the alarm foresaw (the
// fork has its repair): nothing is injected, though the alarm is still active. A down period
// before the alarm does not count. The DownLog records downs and forwards every call.
TEST(RulFailures, FailureThatHasComeIsNotInjectedAgain) {
  Fixture f;
  const uint32_t s2 = machine_index(f.names, "S2");
  struct Count : MirrorListener {
    int modes = 0, samples = 0;
    void on_sample(uint32_t, int64_t, float, uint8_t) override { ++samples; }
    void on_mode(uint32_t, int64_t, uint8_t) override { ++modes; }
    void on_part(uint32_t, int64_t, uint8_t, uint16_t) override {}
    void on_released(int64_t) override {}
  } next;
  DownLog log(&next, f.names.machine.size());
  log.on_mode(s2, 50 * kSecond, telemetry::MODE_DOWN);  // before the alarm
  log.on_mode(s2, 60 * kSecond, telemetry::MODE_RUNNING);
  log.on_sample(0, 70 * kSecond, 1.0f, 0);
  log.on_mode(s2, 600 * kSecond, telemetry::MODE_DOWN);
  EXPECT_EQ(next.modes, 3);
  EXPECT_EQ(next.samples, 1);
  ASSERT_EQ(log.down_starts()[s2].size(), 2u);
  const std::vector<TwinAlarm> alarms = {alarm(100, "S2", kBearing, true)};
  const std::vector<RulPoint> rul = {estimate(200, "S2", kBearing, 1000, 2000, 4000)};
  // Before the failure (the earlier down is older than the alarm): injected.
  EXPECT_EQ(
      predicted_failures_at(f.model, f.names, alarms, rul, 0, 500 * kSecond, {}, &log.down_starts())
          .size(),
      1u);
  // After it went down: not.
  EXPECT_TRUE(
      predicted_failures_at(f.model, f.names, alarms, rul, 0, 700 * kSecond, {}, &log.down_starts())
          .empty());
  // Without the log the monitor's alarm alone decides.
  EXPECT_EQ(predicted_failures_at(f.model, f.names, alarms, rul, 0, 700 * kSecond).size(), 1u);
}

// Machines the model does not know are skipped, and the output is sorted by machine.
TEST(RulFailures, UnknownMachinesSkippedAndSorted) {
  Fixture f;
  const std::vector<TwinAlarm> alarms = {
      alarm(0, "S2", kBearing, true), alarm(0, "S1", kTool, true), alarm(0, "Ghost", kTool, true)};
  const std::vector<RulPoint> rul = {estimate(1, "S2", kBearing, 10, 20, 30),
                                     estimate(1, "Ghost", kTool, 10, 20, 30),
                                     estimate(1, "S1", kTool, 100, 200, 300)};
  const auto out = predicted_failures_at(f.model, f.names, alarms, rul, 0, 1 * kSecond);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_LT(out[0].machine, out[1].machine);
}

}  // namespace
}  // namespace twin
