// The condition monitor's mode from current (models/condition/mode_classifier) on the plant
// simulator's shifts, scored against the PLC modes the plant also reports: agreement of the
// nominal and of the fitted classifier on healthy shifts, a wrong classifier is caught by the
// score, fits round-trip through JSON (old files still load), a machine without a mode tag is
// conditioned on the classified mode, and the same input gives the same answer.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/mirror/condition_monitor.h"
#include "core/mirror/monitor_fit.h"
#include "core/scene/load.h"
#include "replay/player.h"
#include "tests/support/plant_recording.h"
#include "tests/support/scenes.h"

namespace twin {
namespace {

// Unique per process: ctest runs each test in its own process, in parallel, and each process
// sets the suite up (and removes its files) itself.
std::string temp_path(const char* name) {
  return (std::filesystem::temp_directory_path() /
          (std::to_string(::getpid()) + "_" + std::string(name)))
      .string();
}

struct ModeRun {
  std::vector<ModeAgreement> agreement;
  std::vector<std::vector<ClassifiedMode>> classified;  // per machine
  MonitorFit fit;
  MonitorCounters counters;
  std::vector<TwinAlarm> alarms;
};

ModeRun run_modes(const Model& model, const std::string& path, const MonitorFit* fit = nullptr,
                  bool collect = false) {
  Player player(model);
  ConditionMonitorOptions options;
  options.collect_mode_fit = collect;
  ConditionMonitor monitor(model, player.mirror().names(), options, fit);
  player.mirror().set_listener(&monitor);
  const PlayResult r = player.play(path, PlayOptions());
  EXPECT_TRUE(r.ok) << r.error;
  player.mirror().set_listener(nullptr);
  monitor.finish(r.window_end_ns);
  ModeRun out;
  out.agreement = monitor.mode_agreement();
  for (uint32_t m = 0; m < model.machine_station.size(); ++m)
    out.classified.push_back(monitor.classified_modes(m));
  out.fit = monitor.fit();
  out.counters = monitor.counters();
  out.alarms = monitor.alarms();
  return out;
}

ModeAgreement pooled(const std::vector<ModeAgreement>& list) {
  ModeAgreement all;
  for (const ModeAgreement& a : list) {
    if (a.plc_mode) all.add(a);
  }
  return all;
}

class ConditionMonitorMode : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    scene_ = new SceneLoadResult(
        load_scene_file(std::string(TWIN_SOURCE_DIR) + "/scenes/machining20.yaml"));
    PlantOptions po;
    po.seed = 7;  // 8 h, default dirt
    healthy_ = new std::string(temp_path("twin_mode_healthy7.mcap"));
    test::record_plant_shift(scene_->model, po, *healthy_);
    po.seed = 8;  // another shift of the same plant
    other_ = new std::string(temp_path("twin_mode_healthy8.mcap"));
    test::record_plant_shift(scene_->model, po, *other_);
  }
  static void TearDownTestSuite() {
    std::remove(healthy_->c_str());
    std::remove(other_->c_str());
    delete healthy_;
    delete other_;
    delete scene_;
    healthy_ = other_ = nullptr;
    scene_ = nullptr;
  }
  static SceneLoadResult* scene_;
  static std::string* healthy_;
  static std::string* other_;
};
SceneLoadResult* ConditionMonitorMode::scene_ = nullptr;
std::string* ConditionMonitorMode::healthy_ = nullptr;
std::string* ConditionMonitorMode::other_ = nullptr;

TEST_F(ConditionMonitorMode, NominalClassifierAgreesWithThePlcModes) {
  ASSERT_TRUE(scene_->ok());
  const ModeRun run = run_modes(scene_->model, *healthy_);
  // machining20: 11 machines with a motor current tag, all with a mode tag.
  ASSERT_EQ(run.agreement.size(), 11u);
  for (const ModeAgreement& a : run.agreement) {
    EXPECT_TRUE(a.plc_mode) << a.machine;
    EXPECT_FALSE(a.fitted) << a.machine;
    // Scored over most of the 8 h shift (gaps over mode_max_gap_s are left out).
    EXPECT_GT(a.scored_s(), 7.5 * 3600.0) << a.machine;
    EXPECT_LT(a.scored_s(), 8.0 * 3600.0 + 1.0) << a.machine;
    EXPECT_GT(a.agreement(), 0.98) << a.machine;
    const auto running = static_cast<size_t>(condition::CurrentMode::kRunning);
    // (the third grinder runs least: about 20 min)
    EXPECT_GT(a.seconds[running][running], 600.0) << a.machine << " runs";
  }
  const ModeAgreement all = pooled(run.agreement);
  EXPECT_GT(all.agreement(), 0.99);  // measured 0.99978 (seed 7)
  std::printf("mode from current, nominal, seed 7: %.5f agreement over %.1f machine-hours\n",
              all.agreement(), all.scored_s() / 3600.0);
  // Every class the PLC showed was seen, and the timeline is kept per machine.
  for (size_t c = 0; c < all.seconds.size(); ++c) EXPECT_GT(all.seconds[c][c], 0.0) << c;
  size_t with_timeline = 0;
  for (const auto& timeline : run.classified) {
    if (timeline.empty()) continue;
    ++with_timeline;
    for (size_t i = 1; i < timeline.size(); ++i) {
      EXPECT_GE(timeline[i].time_ns, timeline[i - 1].time_ns);
      EXPECT_NE(timeline[i].mode, timeline[i - 1].mode);
    }
  }
  EXPECT_EQ(with_timeline, 11u);
}

TEST_F(ConditionMonitorMode, FittedClassifierCarriesToTheNextShiftThroughJson) {
  ASSERT_TRUE(scene_->ok());
  const ModeRun fit_run = run_modes(scene_->model, *healthy_, nullptr, true);
  uint32_t classifiers = 0;
  for (const MachineFit& m : fit_run.fit.machines) {
    if (!m.has_mode_classifier) continue;
    ++classifiers;
    EXPECT_TRUE(condition::validate(m.mode_classifier).empty()) << m.machine;
    const auto running = static_cast<size_t>(condition::CurrentMode::kRunning);
    const auto idle = static_cast<size_t>(condition::CurrentMode::kIdle);
    EXPECT_GT(m.mode_classifier.mean_A[running], 5.0 * m.mode_classifier.mean_A[idle]);
  }
  EXPECT_EQ(classifiers, 11u);
  // The energy baseline of the one machine with a power tag.
  const MachineFit* harden = fit_run.fit.find("Harden_OP80");
  ASSERT_NE(harden, nullptr);
  EXPECT_GT(harden->energy_kWh_per_part, 0.0);
  EXPECT_GE(harden->energy_hours, 6u);

  const std::string path = temp_path("twin_mode_fit.json");
  std::string error;
  ASSERT_TRUE(save_monitor_fit(fit_run.fit, path, error)) << error;
  MonitorFit loaded;
  ASSERT_TRUE(load_monitor_fit(path, loaded, error)) << error;
  std::remove(path.c_str());
  ASSERT_EQ(loaded.machines.size(), fit_run.fit.machines.size());
  for (size_t i = 0; i < loaded.machines.size(); ++i) {
    const MachineFit& a = fit_run.fit.machines[i];
    const MachineFit& b = loaded.machines[i];
    EXPECT_EQ(a.has_mode_classifier, b.has_mode_classifier);
    EXPECT_DOUBLE_EQ(a.energy_kWh_per_part, b.energy_kWh_per_part);
    for (size_t c = 0; c < 4; ++c) {
      EXPECT_DOUBLE_EQ(a.mode_classifier.mean_A[c], b.mode_classifier.mean_A[c]);
      EXPECT_DOUBLE_EQ(a.mode_classifier.sd_A[c], b.mode_classifier.sd_A[c]);
      for (size_t d = 0; d < 4; ++d)
        EXPECT_DOUBLE_EQ(a.mode_classifier.rate_per_s[c][d], b.mode_classifier.rate_per_s[c][d]);
    }
  }
  const ModeRun next = run_modes(scene_->model, *other_, &loaded);
  for (const ModeAgreement& a : next.agreement) {
    EXPECT_TRUE(a.fitted) << a.machine;
    EXPECT_GT(a.agreement(), 0.98) << a.machine;
  }
  const ModeAgreement all = pooled(next.agreement);
  EXPECT_GT(all.agreement(), 0.99);
  std::printf("mode from current, fitted on seed 7, seed 8: %.5f agreement\n", all.agreement());
}

TEST_F(ConditionMonitorMode, AWrongClassifierScoresLow) {
  // The score is not a formality: running and idle swapped on one machine.
  ASSERT_TRUE(scene_->ok());
  MonitorFit fit;
  MachineFit wrong;
  wrong.machine = "Mill_OP30";
  wrong.has_mode_classifier = true;
  wrong.mode_classifier = condition::nominal_mode_classifier(condition::MotorParams{});
  auto& mean = wrong.mode_classifier.mean_A;
  std::swap(mean[static_cast<size_t>(condition::CurrentMode::kRunning)],
            mean[static_cast<size_t>(condition::CurrentMode::kIdle)]);
  wrong.mode_classifier.adapt_time_s = 0.0;
  fit.machines.push_back(wrong);
  const ModeRun run = run_modes(scene_->model, *healthy_, &fit);
  bool seen = false;
  for (const ModeAgreement& a : run.agreement) {
    if (a.machine != "Mill_OP30") continue;
    seen = true;
    EXPECT_TRUE(a.fitted);
    EXPECT_LT(a.agreement(), 0.5);
  }
  EXPECT_TRUE(seen);
}

TEST_F(ConditionMonitorMode, SameInputGivesIdenticalModesAndAlarms) {
  ASSERT_TRUE(scene_->ok());
  const ModeRun a = run_modes(scene_->model, *healthy_);
  const ModeRun b = run_modes(scene_->model, *healthy_);
  ASSERT_EQ(a.agreement.size(), b.agreement.size());
  for (size_t i = 0; i < a.agreement.size(); ++i) {
    EXPECT_EQ(a.agreement[i].seconds, b.agreement[i].seconds);  // bit-identical
  }
  ASSERT_EQ(a.classified.size(), b.classified.size());
  for (size_t m = 0; m < a.classified.size(); ++m) {
    ASSERT_EQ(a.classified[m].size(), b.classified[m].size());
    for (size_t i = 0; i < a.classified[m].size(); ++i) {
      EXPECT_EQ(a.classified[m][i].time_ns, b.classified[m][i].time_ns);
      EXPECT_EQ(a.classified[m][i].mode, b.classified[m][i].mode);
    }
  }
  ASSERT_EQ(a.alarms.size(), b.alarms.size());
  for (size_t i = 0; i < a.alarms.size(); ++i) {
    EXPECT_EQ(a.alarms[i].time_ns, b.alarms[i].time_ns);
    EXPECT_EQ(a.alarms[i].code, b.alarms[i].code);
    EXPECT_EQ(a.alarms[i].target, b.alarms[i].target);
  }
}

TEST(ConditionMonitorModeFile, OldFitFilesStillLoad) {
  const std::string path = temp_path("twin_mode_old_fit.json");
  {
    std::ofstream out(path);
    out << R"({"scene": "machining20", "source": "h.mcap", "machines": [
      {"machine": "Mill_OP30", "running_s": 20000,
       "current_vs_wear": {"a": 20.0, "b": 8.0, "sd": 0.25, "n": 300},
       "vibration_vs_current": null}]})";
  }
  MonitorFit fit;
  std::string error;
  ASSERT_TRUE(load_monitor_fit(path, fit, error)) << error;
  std::remove(path.c_str());
  ASSERT_EQ(fit.machines.size(), 1u);
  EXPECT_FALSE(fit.machines[0].has_mode_classifier);
  EXPECT_EQ(fit.machines[0].energy_kWh_per_part, 0.0);
  EXPECT_TRUE(fit.machines[0].current_vs_wear.ok());
}

TEST(ConditionMonitorModeFile, ABrokenClassifierIsRejectedWithItsField) {
  const std::string path = temp_path("twin_mode_bad_fit.json");
  {
    std::ofstream out(path);
    out << R"({"machines": [{"machine": "M", "mode_classifier": {"mean_A": [20, 1, 4, 0],
      "sd_A": [1, 0.25, -1, 0.25], "prior": [0.7, 0.2, 0.05, 0.05],
      "rate_per_s": [[0, 0.01, 0, 0], [0.05, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]}}]})";
  }
  MonitorFit fit;
  std::string error;
  EXPECT_FALSE(load_monitor_fit(path, fit, error));
  std::remove(path.c_str());
  EXPECT_NE(error.find("machines[0].mode_classifier"), std::string::npos) << error;
  EXPECT_NE(error.find("sd_A"), std::string::npos) << error;
}

// S1 of kSmallLine with its tags listed, with or without a mode tag.
SceneLoadResult small_line_with_tags(bool mode_tag) {
  std::string tags =
      "    cycle_time: {exponential: {mean: 10}}\n"
      "    tags:\n"
      "      - {name: current, signal: motor_current, unit: A, rate_hz: 10}\n"
      "      - {name: vibration, signal: vibration_rms, unit: mm/s, rate_hz: 10}\n"
      "      - {name: power, signal: power, unit: kW, rate_hz: 1}\n";
  if (mode_tag) tags += "      - {name: mode, signal: mode}\n";
  return test::load_scene_or_fail(
      test::substitute(test::kSmallLine, "    cycle_time: {exponential: {mean: 10}}\n", tags));
}

// A station that lists tags without a mode tag: the machine has no PLC mode signal, so the
// classified mode conditions its samples (the plant simulator still sends modes; they are only
// scored against). Its running windows come out as with the PLC modes.
TEST(ConditionMonitorModeNoPlc, ClassifiedModeConditionsTheSamples) {
  const SceneLoadResult with_mode = small_line_with_tags(true);
  const SceneLoadResult without_mode = small_line_with_tags(false);
  ASSERT_TRUE(with_mode.ok());
  ASSERT_TRUE(without_mode.ok());
  PlantOptions po;
  po.hours = 2.0;
  po.seed = 5;
  const std::string path = temp_path("twin_mode_noplc.mcap");
  test::record_plant_shift(without_mode.model, po, path);  // the same telemetry for both
  const ModeRun plc = run_modes(with_mode.model, path);
  const ModeRun own = run_modes(without_mode.model, path);
  std::remove(path.c_str());
  ASSERT_EQ(own.agreement.size(), 2u);  // S1 (listed tags) and S2 (default tags)
  EXPECT_FALSE(own.agreement[0].plc_mode);
  EXPECT_TRUE(own.agreement[1].plc_mode);
  EXPECT_TRUE(plc.agreement[0].plc_mode);
  EXPECT_GT(own.agreement[0].agreement(), 0.95);  // scored against the modes that still arrive
  EXPECT_FALSE(own.classified[0].empty());
  // S1's current and vibration windows form on the classified running mode as on the PLC's.
  ASSERT_GT(plc.counters.windows, 200u);
  const double ratio =
      static_cast<double>(own.counters.windows) / static_cast<double>(plc.counters.windows);
  EXPECT_NEAR(ratio, 1.0, 0.05);
  std::printf("running windows: %llu on PLC modes, %llu on classified modes for S1\n",
              static_cast<unsigned long long>(plc.counters.windows),
              static_cast<unsigned long long>(own.counters.windows));
}

}  // namespace
}  // namespace twin
