// The live twin without a network: the plant simulator publishes as a Sparkplug B edge node
// (SparkplugEdgeSink), messages go straight into LiveTwin, and what the hub receives is checked
// against what the plant did.
#include "core/mirror/live_twin.h"

#include <gtest/gtest.h>

#include <unistd.h>
#include <map>

#include <cstdio>
#include <filesystem>

#include "core/live/sparkplug_edge_sink.h"
#include "core/mirror/real_kpis.h"
#include "core/telemetry/telemetry.h"
#include "models/plant/plant_simulator.h"
#include "replay/player.h"
#include "replay/telemetry_writer.h"
#include "tests/support/scenes.h"

namespace twin {
namespace {

std::span<const uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::vector<StateChangePtr> drain(StateSubscription& sub) {
  std::vector<StateChangePtr> out;
  sub.pop(out, std::chrono::milliseconds(0));
  return out;
}

class LiveTwinTest : public ::testing::Test {
 protected:
  void SetUp() override { scene_ = test::load_sample_or_fail("bottling.yaml"); }
  SceneLoadResult scene_;
};

// A clean two-hour shift through Sparkplug: the live twin's KPIs at the end equal the plant's
// own. Parts come from the 1 Hz part counters (Sparkplug carries no part events): a part
// finished in the shift's last second shows only in a sample after the end, so counts may lag
// the truth by one. Time in mode to the millisecond Sparkplug timestamps carry.
TEST_F(LiveTwinTest, CleanShiftThroughSparkplugMirrorsWhatThePlantDid) {
  const Model& model = scene_.model;
  StateHub hub;
  auto sub = hub.subscribe(1u << 20);
  LiveTwin twin(model, hub);
  PlantOptions options;
  options.hours = 2.0;
  options.seed = 3;
  options.dirt = SensorDirt::clean();
  twin.reset(options.start_ns);
  SparkplugEdgeNode node("plant", "line1");
  (void)node.next_death(options.start_ns / 1'000'000);
  uint64_t rebirths = 0;
  SparkplugEdgeSink sink(node, [&](const SparkplugMessage& m, uint64_t log_time_ns) {
    const auto& actions = twin.handle(m.topic, bytes(m.payload), static_cast<int64_t>(log_time_ns));
    rebirths += actions.size();

    return true;
  });
  const PlantReport plant = run_plant(model, options, sink);
  ASSERT_FALSE(plant.write_failed);
  EXPECT_EQ(rebirths, 0u);
  EXPECT_EQ(sink.births_sent(), 1u);

  const int64_t end_ns = options.start_ns + 2LL * 3600 * 1'000'000'000LL;
  const live::Kpis kpis = twin.make_kpis(end_ns);
  EXPECT_LE(kpis.line_good(), plant.truth.line.good_parts);
  EXPECT_GE(kpis.line_good() + 1, plant.truth.line.good_parts);
  EXPECT_GT(kpis.line_good(), 100u);
  ASSERT_EQ(kpis.machines_size(), static_cast<int>(model.machine_count()));
  Mirror closed = twin.mirror();
  closed.finish(end_ns);
  const ReplicationKpis real = compute_real_kpis(model, closed, end_ns);
  for (size_t m = 0; m < real.machines.size(); ++m) {
    const uint64_t good = kpis.machines(static_cast<int>(m)).good();
    EXPECT_LE(good, plant.truth.machines[m].parts_good) << m;
    EXPECT_GE(good + 1, plant.truth.machines[m].parts_good) << m;
    for (int md = 0; md < kModeCount; ++md) {
      // Sparkplug timestamps are milliseconds: at most 1 ms per mode change.
      const double changes = static_cast<double>(plant.mode_changes) + 1.0;
      EXPECT_NEAR(real.machines[m].time_in_mode[md], plant.truth.machines[m].time_in_mode[md],
                  1e-3 * changes)
          << "machine " << m << " mode " << mode_name(static_cast<Mode>(md));
    }
    EXPECT_NEAR(kpis.machines(static_cast<int>(m)).oee(), plant.truth.machines[m].oee, 1e-3) << m;
  }
  // Every sample the plant sent was applied (clean data, ms timestamps still distinct).
  const MirrorCounters& c = twin.mirror().state().counters;
  EXPECT_EQ(c.samples_in, plant.samples);
  EXPECT_EQ(c.applied, plant.samples);
  EXPECT_EQ(twin.feed().counters().unmapped_metrics, 0u);

  // The hub saw one change per data message with the tags the message carried.
  const std::vector<StateChangePtr> changes = drain(*sub);
  ASSERT_FALSE(changes.empty());
  uint64_t tag_values = 0, modes = 0;
  for (size_t i = 0; i < changes.size(); ++i) {
    EXPECT_EQ(changes[i]->seq(), i + 1);
    tag_values += static_cast<uint64_t>(changes[i]->tags_size());
    modes += static_cast<uint64_t>(changes[i]->modes_size());
  }
  EXPECT_GE(tag_values, plant.batches);  // at least one tag per batch
  EXPECT_GT(modes, 0u);
}

// The twin's own alarms live: a tool that breaks 2.5 h into a shift of machining20, sent as
// Sparkplug B into the live twin, whose condition monitor (healthy relations learnt online from
// the first running hour, as without a fit) raises an alarm on the drill before the tool breaks;
// it goes out on the state stream coded TWIN_<code> and is in the snapshot's active alarms.
TEST(LiveTwinMonitor, ForeseenToolBreakageGoesOutAsATwinAlarm) {
  const SceneLoadResult scene = test::load_sample_or_fail("machining20.yaml");
  const Model& model = scene.model;
  StateHub hub;
  auto sub = hub.subscribe(1u << 22);
  LiveTwin twin(model, hub);
  PlantOptions options;
  options.hours = 2.6;
  options.seed = 4;
  FaultSpec fault;
  fault.kind = faults::Fault::TOOL_BREAKAGE;
  fault.target = "Drill_OP50";
  fault.at_s = 2.5 * 3600.0;
  fault.precursor_s = 20 * 60.0;
  fault.repair_s = 15 * 60.0;
  options.faults.push_back(fault);
  twin.reset(options.start_ns);
  SparkplugEdgeNode node("plant", "line1");
  (void)node.next_death(options.start_ns / 1'000'000);
  SparkplugEdgeSink sink(node, [&](const SparkplugMessage& m, uint64_t log_time_ns) {
    (void)twin.handle(m.topic, bytes(m.payload), static_cast<int64_t>(log_time_ns));
    return true;
  });
  const PlantReport plant = run_plant(model, options, sink);
  ASSERT_FALSE(plant.write_failed);
  ASSERT_NE(twin.monitor(), nullptr);

  const int64_t fail_ns = options.start_ns + static_cast<int64_t>(fault.at_s * 1e9);
  const int64_t onset_ns = fail_ns - static_cast<int64_t>(fault.precursor_s * 1e9);
  int64_t first_ns = 0;
  std::string code;
  uint64_t twin_alarms = 0;
  std::vector<live::RulEstimate> rul;
  for (const StateChangePtr& c : drain(*sub)) {
    for (const live::RulEstimate& r : c->rul()) rul.push_back(r);
    for (const telemetry::Alarm& a : c->alarms()) {
      if (a.code().rfind("TWIN_", 0) != 0) continue;
      ++twin_alarms;
      if (a.machine() == "Drill_OP50" && a.active() && first_ns == 0) {
        first_ns = a.time_ns();
        code = a.code();
      }
    }
  }
  ASSERT_NE(first_ns, 0) << twin_alarms << " twin alarms, none raised on Drill_OP50";
  EXPECT_GT(first_ns, onset_ns);  // not before the precursor began
  EXPECT_LT(first_ns, fail_ns);   // before the tool broke
  EXPECT_TRUE(code == "TWIN_CURRENT_RISE" || code == "TWIN_TOOL_WORN") << code;
  // Every monitor alarm went out, once.
  EXPECT_EQ(twin_alarms, twin.monitor()->alarms().size());
  // Every RUL estimate went out, once, in order, as the monitor made it; the snapshot holds the
  // newest per (machine, tag); Drill_OP50's says the tool has less than an hour left before it
  // broke.
  const std::vector<RulPoint>& made = twin.monitor()->rul();
  ASSERT_EQ(rul.size(), made.size());
  const live::RulEstimate* drill = nullptr;
  for (size_t i = 0; i < rul.size(); ++i) {
    EXPECT_EQ(rul[i].time_ns(), made[i].time_ns) << i;
    EXPECT_EQ(rul[i].machine(), made[i].target) << i;
    EXPECT_EQ(rul[i].tag(), made[i].tag) << i;
    EXPECT_EQ(rul[i].suspected(), made[i].suspected) << i;
    EXPECT_EQ(rul[i].median_s(), made[i].median_s) << i;
    EXPECT_EQ(rul[i].lo_s(), made[i].lo_s) << i;
    EXPECT_EQ(rul[i].hi_s(), made[i].hi_s) << i;
    if (rul[i].machine() == "Drill_OP50" && rul[i].time_ns() < fail_ns) drill = &rul[i];
  }
  ASSERT_NE(drill, nullptr) << "no RUL of Drill_OP50 on the stream before the tool broke";
  EXPECT_LT(drill->median_s(), 3600.0);
  const live::Snapshot snap = twin.make_snapshot(fail_ns + static_cast<int64_t>(3600e9));
  std::map<std::pair<std::string, std::string>, int64_t> newest;
  for (const live::RulEstimate& r : rul) newest[{r.machine(), r.tag()}] = r.time_ns();
  ASSERT_EQ(static_cast<size_t>(snap.rul_size()), newest.size());
  for (const live::RulEstimate& r : snap.rul())
    EXPECT_EQ(r.time_ns(), (newest[{r.machine(), r.tag()}])) << r.machine() << " " << r.tag();
  std::printf("[ live     ] %s on Drill_OP50 %.1f min before the tool broke (%llu twin alarms)\n",
              code.c_str(), static_cast<double>(fail_ns - first_ns) / 60e9,
              static_cast<unsigned long long>(twin_alarms));
}

// `twin live --record`: what the live twin received, recorded as telemetry MCAP, replays to the
// same part counts and time in mode.
TEST_F(LiveTwinTest, RecordedLiveSessionReplaysToTheSameKpis) {
  const Model& model = scene_.model;
  StateHub hub;
  LiveTwin twin(model, hub);
  PlantOptions options;
  options.hours = 1.0;
  options.seed = 5;
  twin.reset(options.start_ns);
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("twin_live_record_" + std::to_string(::getpid()) + ".mcap"))
                               .string();
  TelemetryWriter writer;
  ASSERT_TRUE(writer.open(path));
  twin.record_to(&writer);
  SparkplugEdgeNode node("plant", "line1");
  (void)node.next_death(options.start_ns / 1'000'000);
  SparkplugEdgeSink sink(node, [&](const SparkplugMessage& m, uint64_t log_time_ns) {
    twin.handle(m.topic, bytes(m.payload), static_cast<int64_t>(log_time_ns));
    return true;
  });
  const PlantReport plant = run_plant(model, options, sink);
  ASSERT_FALSE(plant.write_failed);
  ASSERT_TRUE(writer.close()) << writer.error();
  EXPECT_GT(writer.samples_written(), 1000u);

  // The player closes the window at the last arrival; the live mirror is closed there too.
  Player player(model);
  const PlayResult r = player.play(path, PlayOptions());
  ASSERT_TRUE(r.ok) << r.error;
  const int64_t end_ns = r.window_end_ns;
  EXPECT_GE(end_ns, options.start_ns + 3600LL * 1'000'000'000LL);
  Mirror live = twin.mirror();
  live.finish(end_ns);
  const ReplicationKpis live_kpis = compute_real_kpis(model, live, end_ns);
  const ReplicationKpis replay_kpis = compute_real_kpis(model, player.mirror(), end_ns);
  EXPECT_EQ(replay_kpis.line.good_parts, live_kpis.line.good_parts);
  EXPECT_GT(live_kpis.line.good_parts, 100u);
  for (size_t m = 0; m < live_kpis.machines.size(); ++m) {
    EXPECT_EQ(replay_kpis.machines[m].parts_good, live_kpis.machines[m].parts_good) << m;
    for (int md = 0; md < kModeCount; ++md) {
      EXPECT_NEAR(replay_kpis.machines[m].time_in_mode[md], live_kpis.machines[m].time_in_mode[md],
                  1e-6)
          << m << " " << md;
    }
  }
  EXPECT_EQ(player.mirror().state().counters.applied, twin.mirror().state().counters.applied);
  EXPECT_EQ(twin.mirror().state().counters.events_late, 0u);
  std::remove(path.c_str());
}

// Machine names that are no valid Sparkplug ids ("Grind#1": '#' is an MQTT wildcard) travel
// as "Grind_1" and come back to their machine.
TEST(LiveTwinIds, MachinesWithWildcardsInTheirNamesAreMirrored) {
  const SceneLoadResult scene = test::load_sample_or_fail("machining20.yaml");
  const Model& model = scene.model;
  bool has_hash = false;
  for (uint32_t m = 0; m < model.machine_count(); ++m) {
    has_hash = has_hash || machine_name(model, m).find('#') != std::string::npos;
  }
  ASSERT_TRUE(has_hash) << "the sample no longer has a machine name with '#'";
  StateHub hub;
  LiveTwin twin(model, hub);
  PlantOptions options;
  options.hours = 0.1;
  options.dirt = SensorDirt::clean();
  twin.reset(options.start_ns);
  SparkplugEdgeNode node("plant", "line1");
  (void)node.next_death(options.start_ns / 1'000'000);
  std::vector<std::string> topics;
  SparkplugEdgeSink sink(node, [&](const SparkplugMessage& m, uint64_t log_time_ns) {
    EXPECT_EQ(m.topic.find_first_of("#+"), std::string::npos) << m.topic;
    twin.handle(m.topic, bytes(m.payload), static_cast<int64_t>(log_time_ns));
    return true;
  });
  const PlantReport plant = run_plant(model, options, sink);
  EXPECT_EQ(twin.mirror().state().counters.applied, plant.samples);
  EXPECT_EQ(twin.feed().counters().unmapped_metrics, 0u);
  const MirrorState& s = twin.mirror().state();
  for (uint32_t m = 0; m < model.machine_count(); ++m) {
    if (machine_name(model, m).find('#') == std::string::npos) continue;
    uint64_t applied = 0;
    const MirrorModel& n = twin.mirror().names();
    for (uint32_t t = n.tag_offset[m]; t < n.tag_offset[m + 1]; ++t) applied += s.count[t];
    EXPECT_GT(applied, 0u) << machine_name(model, m);
  }
}

TEST_F(LiveTwinTest, ValuesModesAndAlarmsReachTheHubAndTheSnapshot) {
  const Model& model = scene_.model;
  StateHub hub;
  auto sub = hub.subscribe(1024);
  LiveTwin twin(model, hub);
  const int64_t t0 = 1'767'592'800'000'000'000;
  twin.reset(t0);
  SparkplugEdgeNode node("plant", "line1");
  const std::string machine = twin.mirror().names().machine[0];
  const std::vector<TagSpec> tags = sample_tags(model, 0);
  node.add_device(machine, tags, {"OVERTEMP_TRIP"});
  node.next_death(t0 / 1'000'000);
  int64_t now = t0;
  for (const SparkplugMessage& b : node.births(t0 / 1'000'000)) {
    twin.handle(b.topic, bytes(b.payload), now);
  }
  drain(*sub);  // births carry nulls only

  telemetry::SampleBatch batch;
  batch.set_base_time_ns(t0 + 1'000'000'000);
  batch.add_tag(2);  // temperature in the default tag list
  batch.add_time_offset_ns(0);
  batch.add_value(61.5f);
  now = t0 + 1'010'000'000;
  SparkplugMessage data = node.samples(0, batch);
  twin.handle(data.topic, bytes(data.payload), now);
  auto changes = drain(*sub);
  ASSERT_EQ(changes.size(), 1u);
  ASSERT_EQ(changes[0]->tags_size(), 1);
  EXPECT_EQ(changes[0]->tags(0).machine(), machine);
  EXPECT_EQ(changes[0]->tags(0).tag(), tags[2].name);
  EXPECT_EQ(changes[0]->tags(0).value(), 61.5);
  EXPECT_EQ(changes[0]->tags(0).time_ns(), t0 + 1'000'000'000);
  EXPECT_EQ(changes[0]->source_time_ns(), t0 + 1'000'000'000);

  // A mode change leaves the reorder window (2 s) at the next tick after it.
  SparkplugMessage mode = node.mode(0, t0 + 2'000'000'000, telemetry::MODE_DOWN);
  twin.handle(mode.topic, bytes(mode.payload), t0 + 2'001'000'000);
  twin.tick(t0 + 4'500'000'000);
  changes = drain(*sub);
  bool saw_mode = false;
  for (const auto& c : changes) {
    for (const auto& md : c->modes()) {
      saw_mode = saw_mode || (md.machine() == machine && md.mode() == telemetry::MODE_DOWN &&
                              md.since_ns() == t0 + 2'000'000'000);
    }
  }
  EXPECT_TRUE(saw_mode);

  telemetry::Alarm alarm;
  alarm.set_machine(machine);
  alarm.set_code("OVERTEMP_TRIP");
  alarm.set_active(true);
  alarm.set_time_ns(t0 + 4'000'000'000);
  for (const SparkplugMessage& m : node.alarm(0, alarm)) {
    twin.handle(m.topic, bytes(m.payload), t0 + 4'001'000'000);
  }
  changes = drain(*sub);
  ASSERT_EQ(changes.size(), 1u);
  ASSERT_EQ(changes[0]->alarms_size(), 1);
  EXPECT_EQ(changes[0]->alarms(0).code(), "OVERTEMP_TRIP");
  EXPECT_TRUE(changes[0]->alarms(0).active());

  twin.tick(t0 + 5'000'000'000);
  const SnapshotPtr snap = hub.snapshot();
  ASSERT_TRUE(snap != nullptr);
  ASSERT_EQ(snap->active_alarms_size(), 1);
  EXPECT_EQ(snap->modes(0).mode(), telemetry::MODE_DOWN);
  bool found = false;
  for (const auto& t : snap->tags()) {
    if (t.machine() == machine && t.tag() == tags[2].name) found = t.value() == 61.5;
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(snap->ingest().messages(), twin.counters().messages);
  EXPECT_EQ(snap->ingest().samples_applied(), 1u);
  EXPECT_TRUE(snap->has_kpis());
}

TEST_F(LiveTwinTest, DeathMarksTagsStaleAndAGapAsksForARebirthTheEdgeUnderstands) {
  const Model& model = scene_.model;
  StateHub hub;
  auto sub = hub.subscribe(1024);
  LiveTwin twin(model, hub);
  const int64_t t0 = 1'767'592'800'000'000'000;
  twin.reset(t0);
  SparkplugEdgeNode node("plant", "line1");
  const std::string machine = twin.mirror().names().machine[0];
  node.add_device(machine, sample_tags(model, 0), {});
  const SparkplugMessage will = node.next_death(t0 / 1'000'000);
  for (const SparkplugMessage& b : node.births(t0 / 1'000'000))
    twin.handle(b.topic, bytes(b.payload), t0);
  telemetry::SampleBatch batch;
  batch.set_base_time_ns(t0 + 1'000'000'000);
  batch.add_tag(0);
  batch.add_time_offset_ns(0);
  batch.add_value(3.0f);
  SparkplugMessage d1 = node.samples(0, batch);
  twin.handle(d1.topic, bytes(d1.payload), t0 + 1'000'000'000);
  (void)node.samples(0, batch);  // lost on the way: a seq gap
  SparkplugMessage d3 = node.samples(0, batch);
  const auto actions = twin.handle(d3.topic, bytes(d3.payload), t0 + 2'000'000'000);
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_TRUE(node.is_rebirth_request(actions[0].topic, bytes(actions[0].payload)));
  EXPECT_FALSE(node.is_rebirth_request(d1.topic, bytes(d1.payload)));

  drain(*sub);
  twin.handle(will.topic, bytes(will.payload), t0 + 3'000'000'000);  // the broker sends the will
  const auto changes = drain(*sub);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0]->tags_size(), static_cast<int>(sample_tags(model, 0).size()));
  for (const auto& t : changes[0]->tags()) EXPECT_TRUE(t.stale()) << t.tag();
  // A value stamped two hours ahead passes the Sparkplug session (within its clock skew) but
  // the mirror refuses it (too far in the future), and it does not move the source clock.
  const int64_t before = twin.newest_source_ns();
  EXPECT_EQ(before, t0 + 1'000'000'000);
  for (SparkplugMessage& b : node.births(t0 / 1'000'000)) {
    twin.handle(b.topic, bytes(b.payload), t0 + 3'500'000'000);
  }
  batch.set_base_time_ns(t0 + 7'200'000'000'000);
  const uint64_t future_before = twin.mirror().state().counters.future;
  SparkplugMessage far = node.samples(0, batch);
  twin.handle(far.topic, bytes(far.payload), t0 + 3'600'000'000);
  EXPECT_EQ(twin.mirror().state().counters.future, future_before + 1);
  EXPECT_EQ(twin.newest_source_ns(), before);
  // After a reconnect, every node seen is asked for a rebirth.
  const auto all = twin.rebirth_all(t0 + 4'000'000'000);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_TRUE(node.is_rebirth_request(all[0].topic, bytes(all[0].payload)));
}

}  // namespace
}  // namespace twin
