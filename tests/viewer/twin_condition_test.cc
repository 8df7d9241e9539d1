// The twin's condition as the viewer shows it (viewer/twin_condition.h): alarms active at a time,
// per machine in a window, the latest RUL estimates, live "TWIN_<code>" alarms from the stream,
// and the "time left" strings (viewer/ui.h).
#include "viewer/twin_condition.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "viewer/ui.h"

namespace twin::viewer {
namespace {

constexpr int64_t kS = 1'000'000'000;  // [ns]
constexpr int64_t kT0 = 1767592800LL * kS;

MirrorModel names() {
  MirrorModel n;
  n.machine = {"Mill", "Drill", "Grind"};
  return n;
}

TwinAlarm alarm(int64_t t_s, const std::string& target, const std::string& tag,
                const std::string& code, bool active) {
  TwinAlarm a;
  a.time_ns = kT0 + t_s * kS;
  a.target = target;
  a.tag = tag;
  a.code = code;
  a.active = active;
  return a;
}

RulPoint rul(int64_t t_s, const std::string& target, const std::string& tag, double median_s) {
  RulPoint p;
  p.time_ns = kT0 + t_s * kS;
  p.target = target;
  p.tag = tag;
  p.median_s = median_s;
  p.lo_s = median_s / 2.0;
  p.hi_s = median_s * 2.0;
  return p;
}

int64_t at(int64_t t_s) {
  return kT0 + t_s * kS;
}

std::vector<size_t> active_at(const TwinConditionLog& log, int64_t t_s) {
  std::vector<size_t> out;
  log.active_at(at(t_s), out);
  return out;
}

// A shift: Mill's bearing degrades from 100 s on (never cleared), Drill's tool is worn from
// 200 s to 500 s and again from 700 s, Grind's cooling from 300 s to 400 s, and a conveyor jam
// (no machine) from 250 s to 260 s.
TwinConditionLog shift_log() {
  TwinConditionLog log(names());
  log.set(
      {alarm(100, "Mill", "vibration", "BEARING_DEGRADING", true),
       alarm(200, "Drill", "current", "TOOL_WORN", true),
       alarm(250, "C09", "", "CONVEYOR_JAM", true), alarm(260, "C09", "", "CONVEYOR_JAM", false),
       alarm(300, "Grind", "coolant_temp", "COOLING_DEGRADED", true),
       alarm(400, "Grind", "coolant_temp", "COOLING_DEGRADED", false),
       alarm(500, "Drill", "current", "TOOL_WORN", false),
       alarm(700, "Drill", "current", "TOOL_WORN", true)},
      {rul(120, "Mill", "vibration", 9000.0), rul(310, "Grind", "coolant_temp", 2000.0),
       rul(320, "Mill", "vibration", 8000.0), rul(600, "Mill", "vibration", 7000.0),
       rul(610, "Mill", "current", 50000.0)});
  return log;
}

TEST(TwinConditionLog, ActiveAtFollowsRaisesAndClears) {
  const TwinConditionLog log = shift_log();
  EXPECT_FALSE(log.empty());
  EXPECT_EQ(active_at(log, 50), std::vector<size_t>{});
  EXPECT_EQ(active_at(log, 100), (std::vector<size_t>{0}));  // raised at the very time
  EXPECT_EQ(active_at(log, 199), (std::vector<size_t>{0}));
  EXPECT_EQ(active_at(log, 255), (std::vector<size_t>{0, 1, 2}));
  EXPECT_EQ(active_at(log, 260), (std::vector<size_t>{0, 1}));  // cleared at the very time
  EXPECT_EQ(active_at(log, 350), (std::vector<size_t>{0, 1, 4}));
  EXPECT_EQ(active_at(log, 450), (std::vector<size_t>{0, 1}));
  EXPECT_EQ(active_at(log, 600), (std::vector<size_t>{0}));
  EXPECT_EQ(active_at(log, 800), (std::vector<size_t>{0, 7}));  // raised again
  // The clears are never listed as active.
  for (int64_t t = 0; t < 1000; t += 10) {
    for (size_t i : active_at(log, t)) EXPECT_TRUE(log.alarms()[i].active) << t;
  }
}

TEST(TwinConditionLog, AlarmsOfAMachineInAWindow) {
  const TwinConditionLog log = shift_log();
  EXPECT_EQ(log.machine_of_alarm(0), 0);
  EXPECT_EQ(log.machine_of_alarm(1), 1);
  EXPECT_EQ(log.machine_of_alarm(2), -1);  // a conveyor
  EXPECT_EQ(log.machine_of_alarm(4), 2);
  std::vector<size_t> out = {99};
  log.alarms_of(1, at(0), at(1000), out);
  EXPECT_EQ(out, (std::vector<size_t>{1, 6, 7}));
  log.alarms_of(1, at(200), at(700), out);  // [t0, t1): 700 is outside
  EXPECT_EQ(out, (std::vector<size_t>{1, 6}));
  log.alarms_of(1, at(201), at(701), out);
  EXPECT_EQ(out, (std::vector<size_t>{6, 7}));
  log.alarms_of(2, at(0), at(300), out);
  EXPECT_TRUE(out.empty());
  log.alarms_of(2, at(0), at(1000), out);
  EXPECT_EQ(out, (std::vector<size_t>{4, 5}));
  log.alarms_of(0, at(101), at(1000), out);
  EXPECT_TRUE(out.empty());
}

TEST(TwinConditionLog, LatestRul) {
  const TwinConditionLog log = shift_log();
  EXPECT_EQ(log.latest_rul("Mill", "vibration", at(119)), nullptr);
  const RulPoint* p = log.latest_rul("Mill", "vibration", at(120));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->median_s, 9000.0);
  p = log.latest_rul("Mill", "vibration", at(599));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->median_s, 8000.0);
  p = log.latest_rul("Mill", "vibration", at(5000));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->median_s, 7000.0);
  p = log.latest_rul("Grind", "coolant_temp", at(5000));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->median_s, 2000.0);
  EXPECT_EQ(log.latest_rul("Drill", "current", at(5000)), nullptr);
  EXPECT_EQ(log.latest_rul("Grind", "vibration", at(5000)), nullptr);

  std::vector<size_t> each = {99};
  log.latest_rul_each(at(100), each);
  EXPECT_TRUE(each.empty());
  log.latest_rul_each(at(315), each);
  EXPECT_EQ(each, (std::vector<size_t>{0, 1}));
  log.latest_rul_each(at(320), each);
  EXPECT_EQ(each, (std::vector<size_t>{2, 1}));
  log.latest_rul_each(at(5000), each);
  EXPECT_EQ(each, (std::vector<size_t>{3, 1, 4}));  // one per (target, tag)
}

// The live stream's RUL estimates become the log's RUL points, field for field, and the newest
// per (machine, tag) is what latest_rul finds.
TEST(TwinConditionLog, StreamRulEstimates) {
  TwinConditionLog log(names());
  live::RulEstimate e;
  e.set_time_ns(at(100));
  e.set_machine("Mill");
  e.set_tag("vibration");
  e.set_suspected(telemetry::FaultTruth::KIND_BEARING_WEAR);
  e.set_median_s(5400.0);
  e.set_lo_s(1200.0);
  e.set_hi_s(std::numeric_limits<double>::infinity());
  log.add_stream_rul(e);
  e.set_time_ns(at(400));
  e.set_median_s(4000.0);
  log.add_stream_rul(e);
  ASSERT_EQ(log.rul().size(), 2u);
  EXPECT_FALSE(log.empty());
  const RulPoint& p = log.rul()[0];
  EXPECT_EQ(p.time_ns, at(100));
  EXPECT_EQ(p.target, "Mill");
  EXPECT_EQ(p.tag, "vibration");
  EXPECT_EQ(p.suspected, telemetry::FaultTruth::KIND_BEARING_WEAR);
  EXPECT_EQ(p.median_s, 5400.0);
  EXPECT_EQ(p.lo_s, 1200.0);
  EXPECT_TRUE(std::isinf(p.hi_s));
  const RulPoint* latest = log.latest_rul("Mill", "vibration", at(500));
  ASSERT_NE(latest, nullptr);
  EXPECT_EQ(latest->median_s, 4000.0);
}

TEST(TwinConditionLog, StreamAlarmsAreTwinCodesOnly) {
  TwinConditionLog log(names());
  EXPECT_TRUE(log.empty());
  telemetry::Alarm plant;
  plant.set_time_ns(at(10));
  plant.set_machine("Mill");
  plant.set_code("OVERTEMP");
  plant.set_active(true);
  EXPECT_FALSE(log.add_stream_alarm(plant));
  plant.set_code("TWIN");  // no underscore: not the prefix
  EXPECT_FALSE(log.add_stream_alarm(plant));
  plant.set_code("twin_BEARING_DEGRADING");  // case matters
  EXPECT_FALSE(log.add_stream_alarm(plant));
  EXPECT_TRUE(log.empty());

  struct Case {
    const char* code;
    FaultKind kind;
  };
  const Case cases[] = {
      {"TWIN_BEARING_DEGRADING", telemetry::FaultTruth::KIND_BEARING_WEAR},
      {"TWIN_TOOL_WORN", telemetry::FaultTruth::KIND_TOOL_BREAKAGE},
      {"TWIN_CURRENT_RISE", telemetry::FaultTruth::KIND_TOOL_BREAKAGE},
      {"TWIN_COOLING_DEGRADED", telemetry::FaultTruth::KIND_OVERHEATING},
      {"TWIN_SENSOR_STUCK", telemetry::FaultTruth::KIND_SENSOR_FAILURE},
      {"TWIN_SENSOR_ERRATIC", telemetry::FaultTruth::KIND_SENSOR_FAILURE},
      {"TWIN_CONVEYOR_JAM", telemetry::FaultTruth::KIND_CONVEYOR_JAM},
      {"TWIN_SOMETHING_NEW", telemetry::FaultTruth::KIND_UNKNOWN},
  };
  int64_t t = 20;
  for (const Case& c : cases) {
    telemetry::Alarm a;
    a.set_time_ns(at(t));
    a.set_machine(c.kind == telemetry::FaultTruth::KIND_CONVEYOR_JAM ? "C09" : "Drill");
    a.set_tag("current");
    a.set_code(c.code);
    a.set_severity(telemetry::SEVERITY_CRITICAL);
    a.set_active(true);
    a.set_value(12.5);
    a.set_text("what was seen");
    ASSERT_TRUE(log.add_stream_alarm(a)) << c.code;
    const TwinAlarm& got = log.alarms().back();
    EXPECT_EQ(got.code, std::string(c.code).substr(5));  // without "TWIN_"
    EXPECT_EQ(got.suspected, c.kind) << c.code;
    EXPECT_EQ(got.time_ns, at(t));
    EXPECT_EQ(got.target, a.machine());
    EXPECT_EQ(got.tag, "current");
    EXPECT_EQ(got.severity, telemetry::SEVERITY_CRITICAL);
    EXPECT_TRUE(got.active);
    EXPECT_EQ(got.value, 12.5);
    EXPECT_EQ(got.evidence, "what was seen");
    EXPECT_EQ(log.machine_of_alarm(log.alarms().size() - 1),
              c.kind == telemetry::FaultTruth::KIND_CONVEYOR_JAM ? -1 : 1);
    t += 10;
  }
  EXPECT_EQ(log.alarms().size(), std::size(cases));
  // suspected_fault_of takes codes with or without the prefix.
  EXPECT_EQ(suspected_fault_of("BEARING_DEGRADING"), telemetry::FaultTruth::KIND_BEARING_WEAR);
  EXPECT_EQ(suspected_fault_of("TWIN_BEARING_DEGRADING"), telemetry::FaultTruth::KIND_BEARING_WEAR);
  EXPECT_EQ(suspected_fault_of(""), telemetry::FaultTruth::KIND_UNKNOWN);

  // A stream clear ends the raise of the same (target, tag, code).
  telemetry::Alarm clear;
  clear.set_time_ns(at(500));
  clear.set_machine("Drill");
  clear.set_tag("current");
  clear.set_code("TWIN_TOOL_WORN");
  clear.set_active(false);
  ASSERT_TRUE(log.add_stream_alarm(clear));
  std::vector<size_t> active;
  log.active_at(at(499), active);
  EXPECT_EQ(active.size(), std::size(cases));
  log.active_at(at(500), active);
  EXPECT_EQ(active.size(), std::size(cases) - 1);
  for (size_t i : active) EXPECT_NE(log.alarms()[i].code, "TOOL_WORN");
}

TEST(TwinConditionLog, SeverityNames) {
  EXPECT_STREQ(severity_name(telemetry::SEVERITY_INFO), "info");
  EXPECT_STREQ(severity_name(telemetry::SEVERITY_WARNING), "warning");
  EXPECT_STREQ(severity_name(telemetry::SEVERITY_CRITICAL), "critical");
}

TEST(FormatTimeLeft, MinutesHoursAndBeyondAWeek) {
  EXPECT_EQ(format_time_left(35 * 60.0), "35 min");
  EXPECT_EQ(format_time_left(0.0), "0 min");
  EXPECT_EQ(format_time_left(-120.0), "0 min");  // overdue: any moment now
  EXPECT_EQ(format_time_left(89.0), "1 min");
  EXPECT_EQ(format_time_left(3540.0), "59 min");
  // Just under an hour rounds to the hour, not to "60 min".
  EXPECT_EQ(format_time_left(3599.0), "1.0 h");
  EXPECT_EQ(format_time_left(3600.0), "1.0 h");
  EXPECT_EQ(format_time_left(2.4 * 3600.0), "2.4 h");
  EXPECT_EQ(format_time_left(30 * 3600.0), "30.0 h");
  EXPECT_EQ(format_time_left(7 * 86400.0), "168.0 h");
  EXPECT_EQ(format_time_left(7 * 86400.0 + 1.0), "> 1 week");
  EXPECT_EQ(format_time_left(std::numeric_limits<double>::infinity()), "> 1 week");
}

}  // namespace
}  // namespace twin::viewer
