// The twin's condition monitor on the plant simulator's shifts: the sample faults are found
// before they fail, a healthy shift raises (almost) nothing, and samples wait for their mode.
#include "core/mirror/condition_monitor.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "core/mirror/fault_score.h"
#include "core/scene/load.h"
#include "core/scene/yaml_to_proto.h"
#include "replay/player.h"
#include "tests/support/plant_recording.h"
#include "tests/support/scenes.h"

namespace twin {
namespace {

struct MonitoredShift {
  std::vector<TwinAlarm> alarms;
  std::vector<RulPoint> rul;
  int64_t start_ns = 0, end_ns = 0;
  MonitorCounters counters;
};

MonitoredShift monitor_shift(const Model& model, const std::string& path,
                             const MonitorFit* fit = nullptr) {
  Player player(model);
  ConditionMonitor monitor(model, player.mirror().names(), ConditionMonitorOptions(), fit);
  player.mirror().set_listener(&monitor);
  const PlayResult r = player.play(path, PlayOptions());
  EXPECT_TRUE(r.ok) << r.error;
  MonitoredShift out;
  out.alarms = monitor.alarms();
  out.rul = monitor.rul();
  out.start_ns = r.shift_start_ns;
  out.end_ns = r.window_end_ns;
  out.counters = monitor.counters();
  return out;
}

std::string temp_path(const char* name) {
  return (std::filesystem::temp_directory_path() / name).string();
}

class ConditionMonitorShift : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    scene_ = new SceneLoadResult(
        load_scene_file(std::string(TWIN_SOURCE_DIR) + "/scenes/machining20.yaml"));
  }
  static void TearDownTestSuite() {
    delete scene_;
    scene_ = nullptr;
  }
  static SceneLoadResult* scene_;
};
SceneLoadResult* ConditionMonitorShift::scene_ = nullptr;

// The faults of scenes/faults/machining20.yaml.
std::vector<FaultSpec> sample_faults(const Model& model) {
  const std::string path = std::string(TWIN_SOURCE_DIR) + "/scenes/faults/machining20.yaml";
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  faults::FaultPlan plan;
  std::vector<SceneError> scene_errors;
  EXPECT_TRUE(yaml_to_message(text.str(), path, plan, nullptr, scene_errors));
  std::vector<std::string> errors;
  std::vector<FaultSpec> specs = resolve_faults(model, plan, 8.0, errors);
  EXPECT_TRUE(errors.empty());
  return specs;
}

FaultKind truth_kind(faults::Fault::Kind kind) {
  return static_cast<FaultKind>(static_cast<int>(kind));  // the two enums share their values
}

// Raised alarms on the fault's target of its kind inside [precursor start - 10 min, repair].
const TwinAlarm* first_alarm_for(const FaultSpec& f, const MonitoredShift& shift) {
  const double from = f.at_s - f.precursor_s - 600.0;
  const double to = f.at_s + std::max(f.repair_s, 600.0);
  for (const TwinAlarm& a : shift.alarms) {
    const double t = static_cast<double>(a.time_ns - shift.start_ns) * 1e-9;
    if (a.active && a.target == f.target && a.suspected == truth_kind(f.kind) && t >= from &&
        t <= to)
      return &a;
  }
  return nullptr;
}

TEST_F(ConditionMonitorShift, FindsTheSampleFaultsBeforeTheyFailAndRaisesNothingElse) {
  ASSERT_TRUE(scene_->ok());
  const Model& model = scene_->model;
  PlantOptions po;
  po.seed = 1;
  po.faults = sample_faults(model);
  ASSERT_EQ(po.faults.size(), 5u);
  const std::string path = temp_path("twin_monitor_faults.mcap");
  test::record_plant_shift(model, po, path);
  const MonitoredShift shift = monitor_shift(model, path);
  // With an RUL calibration (core/mirror/rul_calibration.h) in the fit the alarms are the same
  // and every estimate is the calibrated uncalibrated one.
  MonitorFit calibrated;
  calibrated.rul_calibration.kinds.push_back(
      {telemetry::FaultTruth::KIND_BEARING_WEAR, 5, 50, -1.0, 0.3, 1.2});
  const MonitoredShift with = monitor_shift(model, path, &calibrated);
  std::remove(path.c_str());
  ASSERT_EQ(with.alarms.size(), shift.alarms.size());
  ASSERT_EQ(with.rul.size(), shift.rul.size());
  size_t changed = 0;
  for (size_t i = 0; i < shift.rul.size(); ++i) {
    const RulPoint expected = calibrate_rul(shift.rul[i], calibrated.rul_calibration);
    EXPECT_EQ(with.rul[i].median_s, expected.median_s) << i;
    EXPECT_EQ(with.rul[i].lo_s, expected.lo_s) << i;
    EXPECT_EQ(with.rul[i].hi_s, expected.hi_s) << i;
    changed += with.rul[i].median_s != shift.rul[i].median_s;
  }
  EXPECT_GT(changed, 0u);  // the bearing's estimates
  for (const FaultSpec& f : po.faults) {
    const TwinAlarm* a = first_alarm_for(f, shift);
    ASSERT_NE(a, nullptr) << f.target << " " << static_cast<int>(f.kind) << " not found";
    const double t = static_cast<double>(a->time_ns - shift.start_ns) * 1e-9;
    if (f.kind == faults::Fault::CONVEYOR_JAM) {
      EXPECT_LT(t, f.at_s + 300.0) << "a jam is seen within 5 min";  // not predictable
    } else {
      EXPECT_LT(t, f.at_s) << f.target << ": the alarm comes before the failure";
      EXPECT_FALSE(a->evidence.empty());
    }
  }
  // Every raised alarm belongs to one of the faults.
  for (const TwinAlarm& a : shift.alarms) {
    if (!a.active) continue;
    bool explained = false;
    for (const FaultSpec& f : po.faults) explained = explained || a.target == f.target;
    EXPECT_TRUE(explained) << "false alarm: " << a.target << " " << a.code << " " << a.evidence;
  }
  // The bearing and the cooling get RUL estimates once suspected.
  bool bearing_rul = false, thermal_rul = false;
  for (const RulPoint& p : shift.rul) {
    bearing_rul = bearing_rul || p.suspected == telemetry::FaultTruth::KIND_BEARING_WEAR;
    thermal_rul = thermal_rul || p.suspected == telemetry::FaultTruth::KIND_OVERHEATING;
    EXPECT_GE(p.hi_s, p.median_s);
    EXPECT_LE(p.lo_s, p.median_s);
  }
  EXPECT_TRUE(bearing_rul);
  EXPECT_TRUE(thermal_rul);
}

TEST_F(ConditionMonitorShift, AHealthyShiftRaisesNoAlarm) {
  ASSERT_TRUE(scene_->ok());
  const Model& model = scene_->model;
  PlantOptions po;
  po.seed = 7;
  const std::string path = temp_path("twin_monitor_healthy.mcap");
  test::record_plant_shift(model, po, path);
  const MonitoredShift shift = monitor_shift(model, path);
  std::remove(path.c_str());
  EXPECT_GT(shift.counters.windows, 1000u);
  for (const TwinAlarm& a : shift.alarms) {
    EXPECT_FALSE(a.active) << a.target << " " << a.code << " " << a.evidence;
  }
}

TEST(ConditionMonitor, SamplesWaitUntilTheirModeIsKnown) {
  const SceneLoadResult scene = test::load_scene_or_fail(test::kSmallLine);
  const MirrorModel names = build_mirror_model(scene.model, MirrorOptions());
  ConditionMonitor monitor(scene.model, names);
  const int64_t s = 1000000000LL;
  monitor.on_sample(names.tag_offset[0], 10 * s, 1.0f, 0);
  monitor.on_released(10 * s);  // within settle_s of the sample: not yet
  EXPECT_EQ(monitor.counters().samples, 0u);
  monitor.on_mode(0, 5 * s, telemetry::MODE_RUNNING);
  monitor.on_released(12 * s);
  EXPECT_EQ(monitor.counters().samples, 1u);
}

}  // namespace
}  // namespace twin
