// What the mode strips and tag plots read: the twin's modes over the shift agree with the
// viewer's own run at every instant, and a recording's first pass brings its modes, samples
// (each with an estimate) and alarms.
#include "viewer/shift_timeline.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "core/telemetry/telemetry.h"
#include "models/plant/plant_simulator.h"
#include "tests/support/plant_recording.h"
#include "tests/support/scenes.h"
#include "viewer/playback.h"
#include "viewer/recording_source.h"

namespace twin::viewer {
namespace {

uint8_t mode_at(const ModeTimeline& timeline, int64_t t_ns) {
  std::vector<ModeSegment> one;
  timeline.query(t_ns, t_ns + 1, one);
  return one.empty() ? static_cast<uint8_t>(telemetry::MODE_UNKNOWN) : one.front().mode;
}

TEST(ShiftTimeline, TwinModesAreThoseOfThePlaybackAtEveryInstant) {
  const SceneLoadResult scene = test::load_sample_or_fail("machining20.yaml");
  const double horizon = 2 * 3600.0;
  ShiftTimeline timeline(scene.model, 0, horizon);
  timeline.record_twin_modes(scene.model, 5);
  Playback playback(scene.model, horizon, 5);
  size_t changes = 0;
  for (uint32_t m = 0; m < scene.model.machine_count(); ++m)
    changes += timeline.store().twin_modes(m).size();
  EXPECT_GT(changes, scene.model.machine_count());  // machines do change mode in two hours
  for (double t = 7.0; t < horizon; t += 97.0) {
    playback.seek(t);
    for (uint32_t m = 0; m < scene.model.machine_count(); ++m) {
      ASSERT_EQ(mode_at(timeline.store().twin_modes(m), timeline.to_ns(t)),
                static_cast<uint8_t>(to_telemetry(playback.state().mode[m])))
          << "machine " << m << " at " << t << " s";
    }
  }
}

class ShiftTimelineRecordingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    scene_ = test::load_sample_or_fail("machining20.yaml");
    path_ = (std::filesystem::temp_directory_path() /
             ("twin_shift_timeline_" + std::to_string(::getpid()) + ".mcap"))
                .string();
    PlantOptions options;
    options.hours = 1.0;
    options.seed = 3;
    // One overheating trip at 30 min (the plant's protection raises an alarm, cleared later).
    const Station& station = scene_.model.stations[3];
    const std::string machine =
        station.machine_count > 1 ? station.name + "#1" : std::string(station.name);
    std::vector<std::string> errors;
    faults::FaultPlan plan;
    faults::Fault* f = plan.add_faults();
    f->set_kind(faults::Fault::OVERHEATING);
    f->set_machine(machine);
    f->set_at(1800.0);
    options.faults = resolve_faults(scene_.model, plan, options.hours, errors);
    ASSERT_TRUE(errors.empty()) << errors.front();
    report_ = test::record_plant_shift(scene_.model, options, path_);
  }
  void TearDown() override { std::remove(path_.c_str()); }
  SceneLoadResult scene_;
  std::string path_;
  PlantReport report_;
};

TEST_F(ShiftTimelineRecordingTest, FirstPassFillsModesSamplesEstimatesAndAlarms) {
  std::unique_ptr<ShiftTimeline> timeline;
  RecordingSource source(scene_.model);
  RecordingOptions options;
  options.on_point = [&](double, const Mirror& mirror) {
    if (!timeline)
      timeline = std::make_unique<ShiftTimeline>(scene_.model, mirror.state().origin_ns, 3600.0);
    timeline->add_point(mirror);
  };
  std::vector<telemetry::Alarm> alarms;
  options.on_alarm = [&](const telemetry::Alarm& a) { alarms.push_back(a); };
  std::string error;
  ASSERT_TRUE(source.open(path_, options, &error)) << error;
  ASSERT_NE(timeline, nullptr);
  EXPECT_EQ(timeline->origin_ns(), source.shift_start_ns());
  ASSERT_EQ(alarms.size(), report_.alarms);
  ASSERT_GE(alarms.size(), 1u);  // raised (and cleared after the repair)
  for (const telemetry::Alarm& a : alarms) timeline->add_alarm(a);
  EXPECT_EQ(timeline->store().alarms().size(), alarms.size());

  // Every estimated tag that has samples has an estimate, sd and residual for each of them;
  // counters have none.
  size_t tags_with_samples = 0, counters = 0;
  for (uint32_t slot = 0; slot < timeline->names().tag_name.size(); ++slot) {
    const TagSeries& samples = timeline->store().tag(slot);
    if (samples.size() == 0) continue;
    ++tags_with_samples;
    const TagEstimateSeries& e = timeline->estimate(slot);
    if (!timeline->estimated(slot)) {
      ++counters;
      EXPECT_EQ(e.estimate.size(), 0u) << timeline->names().tag_name[slot];
      continue;
    }
    ASSERT_EQ(e.estimate.size(), samples.size()) << timeline->names().tag_name[slot];
    ASSERT_EQ(e.sd.size(), samples.size());
    EXPECT_EQ(e.estimate.time_at(e.estimate.size() - 1), samples.time_at(samples.size() - 1));
  }
  EXPECT_GT(tags_with_samples, timeline->names().tag_name.size() / 2);
  EXPECT_GE(counters, 1u);                     // the part counters
  EXPECT_LT(counters, tags_with_samples / 2);  // most tags are estimated

  // The real rows hold the mirror's modes: at several times, the mode the recording shows
  // begins in the strip where the mirror says it began. (The strip may know more than the
  // mirror did at that time: changes that arrive late are placed at their device time.)
  size_t compared = 0;
  for (const double t : {600.0, 1900.0, 2500.0, 3500.0}) {
    source.seek(t);
    const MirrorState& ms = source.mirror().state();
    for (uint32_t m = 0; m < ms.mode.size(); ++m) {
      if (ms.mode[m] == telemetry::MODE_UNKNOWN) continue;
      EXPECT_EQ(mode_at(timeline->store().real_modes(m), ms.mode_since_ns[m]), ms.mode[m])
          << timeline->names().machine[m] << " at " << t << " s";
      ++compared;
    }
  }
  EXPECT_GT(compared, 4 * scene_.model.machine_count() / 2);
}

}  // namespace
}  // namespace twin::viewer
