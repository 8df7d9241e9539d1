// The physics view's live feed (viewer/live_parts.h): a shift of machining20 sent by the plant
// simulator as a Sparkplug B edge node into the live twin; the parts read off its stream's
// good-parts counters are the plant's own part finishes (from the same shift recorded to MCAP
// and read by the mirror's part events), each reported within the counter's sample period.
// Machines without a counter tag (machining20 has several) give nothing.
#include "viewer/live_parts.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "core/mirror/live_twin.h"
#include "core/mirror/part_log.h"
#include "core/telemetry/telemetry.h"
#include "models/plant/plant_simulator.h"
#include "replay/player.h"
#include "tests/support/live_plant.h"
#include "tests/support/plant_recording.h"
#include "tests/support/scenes.h"

namespace twin::viewer {
namespace {

TEST(LivePartLog, CountersGiveThePlantsFinishesWithinASamplePeriod) {
  const SceneLoadResult scene = test::load_sample_or_fail("machining20.yaml");
  const Model& model = scene.model;
  PlantOptions plant;
  plant.hours = 1.0;
  plant.seed = 5;
  plant.dirt = SensorDirt::clean();

  // The shift recorded: the mirror's part events are the reference.
  const std::string mcap = std::filesystem::temp_directory_path().string() + "/twin_live_parts_" +
                           std::to_string(::getpid()) + ".mcap";
  test::record_plant_shift(model, plant, mcap);
  Player player(model);
  PartLog log(nullptr, model.machine_count());
  player.mirror().set_listener(&log);
  const PlayResult played = player.play(mcap, PlayOptions());
  ASSERT_TRUE(played.ok) << played.error;
  const RecordedParts recorded = log.parts(model, played.shift_start_ns);
  std::remove(mcap.c_str());

  // The same shift live.
  StateHub hub;
  auto sub = hub.subscribe(size_t{1} << 20);
  LiveTwin twin(model, hub);
  twin.reset(plant.start_ns);
  ASSERT_FALSE(test::run_plant_into(twin, model, plant).write_failed);
  std::vector<StateChangePtr> changes;
  sub->pop(changes, std::chrono::milliseconds(0));
  ASSERT_FALSE(changes.empty());

  LivePartLog live(model, plant.start_ns);
  EXPECT_FALSE(live.take_changed());
  for (const StateChangePtr& c : changes) live.add_change(*c);
  EXPECT_TRUE(live.take_changed());
  EXPECT_FALSE(live.take_changed());
  const RecordedParts& got = live.parts();
  uint64_t compared = 0;
  for (uint32_t m = 0; m < model.machine_count(); ++m) {
    const std::vector<double>& want = recorded.finished_s[m];
    const std::vector<double>& have = got.finished_s[m];
    if (!live.counted(m)) {  // no good-parts counter among its tags: nothing to read
      EXPECT_TRUE(have.empty()) << m;
      continue;
    }
    // The first counter value is the baseline: a finish inside the first sample period may be
    // in it (the plant's counter starts at 0 here, so at most one part is missed).
    ASSERT_LE(have.size(), want.size()) << m;
    ASSERT_GE(have.size() + 1, want.size()) << m;
    const size_t skip = want.size() - have.size();
    for (size_t i = 0; i < have.size(); ++i) {
      const double lag = have[i] - want[i + skip];
      EXPECT_GE(lag, -1e-3) << "machine " << m << " part " << i;
      EXPECT_LE(lag, 1.0 + 1e-3) << "machine " << m << " part " << i;  // 1 Hz counters
      ++compared;
    }
    ASSERT_EQ(got.started_s[m].size(), have.size());
    for (size_t i = 0; i < have.size(); ++i) EXPECT_LE(got.started_s[m][i], have[i]);
  }
  EXPECT_GT(compared, 500u);
  EXPECT_EQ(live.finishes(), compared);
  EXPECT_GT(live.known_until_s(), 3500.0);
  EXPECT_LE(live.known_until_s(), 3600.0);
}

// A counter that falls was reset: a new baseline, no parts; a stale value is ignored.
TEST(LivePartLog, ResetCounterIsANewBaseline) {
  const Model& model = test::sample_model("machining20.yaml");
  const std::string machine = machine_name(model, 0);
  std::string counter;
  for (const TagSpec& t : sample_tags(model, 0)) {
    if (static_cast<Signal>(t.signal) == Signal::kPartCount) counter = t.name;
  }
  ASSERT_FALSE(counter.empty());
  LivePartLog live(model, 0);
  const auto send = [&](double value, double t_s, bool stale = false) {
    live::StateChange c;
    live::TagValue* v = c.add_tags();
    v->set_machine(machine);
    v->set_tag(counter);
    v->set_value(value);
    v->set_time_ns(static_cast<int64_t>(t_s * 1e9));
    v->set_stale(stale);
    live.add_change(c);
  };
  EXPECT_FALSE(live.take_advanced());
  send(100, 10);                      // baseline
  EXPECT_FALSE(live.take_changed());  // no parts yet
  EXPECT_TRUE(live.take_advanced());  // but reported up to 10 s
  EXPECT_EQ(live.known_until_s(), 10.0);
  send(102, 20);  // two parts at 20 s
  send(3, 30);    // reset
  send(4, 40);    // one part
  send(9, 50, /*stale=*/true);
  ASSERT_EQ(live.parts().finished_s[0].size(), 3u);
  EXPECT_EQ(live.parts().finished_s[0][0], 20.0);
  EXPECT_EQ(live.parts().finished_s[0][1], 20.0);
  EXPECT_EQ(live.parts().finished_s[0][2], 40.0);
  EXPECT_EQ(live.finishes(), 3u);
}

}  // namespace
}  // namespace twin::viewer
