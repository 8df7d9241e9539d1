// Replays of plant-simulator shifts through the player and the mirror: the real KPIs from
// telemetry against what the plant really did, the ground truth never read, seeking equal to
// replaying, damaged files replayed as far as they are readable.
#include "replay/player.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/mirror/mirror_snapshot.h"
#include "core/mirror/real_kpis.h"
#include "core/telemetry/telemetry.h"
#include "models/plant/plant_simulator.h"
#include "replay/csv_import.h"
#include "replay/telemetry_writer.h"
#include "tests/support/plant_recording.h"
#include "tests/support/scenes.h"

namespace twin {
namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("twin_player_test_" + name)).string();
}

PlantReport generate(const Model& model, const PlantOptions& options, const std::string& path) {
  return test::record_plant_shift(model, options, path);
}

// Copies a recording without its ground-truth channel.
void strip_truth(const std::string& from, const std::string& to) {
  struct Copy final : mcap::MessageSink {
    TelemetryWriter out;
    std::vector<uint16_t> ids;
    void on_channel(const mcap::Channel& c, const mcap::Schema* s) override {
      if (ids.size() <= c.id) ids.resize(size_t{c.id} + 1, 0);
      if (!c.topic.starts_with(kTruthPrefix)) ids[c.id] = out.copy_channel(c, s);
    }
    bool on_message(const mcap::MessageView& m) override {
      if (m.channel_id < ids.size() && ids[m.channel_id] != 0)
        out.write_raw(ids[m.channel_id], m.sequence, m.log_time, m.publish_time, m.data);
      return true;
    }
  } copy;
  ASSERT_TRUE(copy.out.open(to));
  mcap::stream_mcap(from, copy);
  ASSERT_TRUE(copy.out.close());
}

// Names the first field in which two mirror states differ ("" when they are identical), so a
// failure says what diverged instead of printing kilobytes of bytes.
std::string first_difference(const MirrorState& a, const MirrorState& b) {
  auto scalar = [](const char* name, auto x, auto y) {
    return x == y ? std::string()
                  : std::string(name) + ": " + std::to_string(x) + " vs " + std::to_string(y);
  };
  for (const std::string& d :
       {scalar("origin_ns", a.origin_ns, b.origin_ns), scalar("now_ns", a.now_ns, b.now_ns),
        scalar("last_sweep_ns", a.last_sweep_ns, b.last_sweep_ns),
        scalar("event_seq", a.event_seq, b.event_seq),
        scalar("samples_in", a.counters.samples_in, b.counters.samples_in),
        scalar("applied", a.counters.applied, b.counters.applied),
        scalar("events_in", a.counters.events_in, b.counters.events_in),
        scalar("stale_episodes", a.counters.stale_episodes, b.counters.stale_episodes),
        scalar("pending", a.pending.size(), b.pending.size()),
        scalar("active_periods", a.active_periods.size(), b.active_periods.size())}) {
    if (!d.empty()) return d;
  }
  if (a.value != b.value) return "tag values";
  if (a.time_ns != b.time_ns) return "tag times";
  if (a.stale != b.stale) return "stale flags";
  if (a.mode != b.mode) return "modes";
  if (a.mode_seconds != b.mode_seconds) return "mode seconds";
  if (a.good != b.good) return "good counts";
  if (serialize_mirror_state(a) != serialize_mirror_state(b)) return "other fields";
  return "";
}

class PlayerTest : public ::testing::Test {
 protected:
  void SetUp() override { scene_ = test::load_sample_or_fail("bottling.yaml"); }
  SceneLoadResult scene_;
};

TEST_F(PlayerTest, CleanShiftMirrorsWhatThePlantDid) {
  PlantOptions options;
  options.hours = 2.0;
  options.seed = 3;
  options.dirt = SensorDirt::clean();
  const std::string path = temp_path("clean.mcap");
  const PlantReport truth = generate(scene_.model, options, path);
  Player player(scene_.model);
  const PlayResult r = player.play(path, {});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.read.damage.empty());
  EXPECT_EQ(r.window_end_ns - r.window_start_ns, 2LL * 3600 * 1000000000LL);
  const ReplicationKpis real = compute_real_kpis(scene_.model, player.mirror(), r.window_end_ns);
  EXPECT_EQ(real.line.good_parts, truth.truth.line.good_parts);
  EXPECT_GT(real.line.good_parts, 100u);
  for (size_t m = 0; m < real.machines.size(); ++m) {
    EXPECT_EQ(real.machines[m].parts_good, truth.truth.machines[m].parts_good) << m;
    for (int md = 0; md < kModeCount; ++md) {
      // Times travel as integer nanoseconds: equal to a few ns per mode change.
      EXPECT_NEAR(real.machines[m].time_in_mode[md], truth.truth.machines[m].time_in_mode[md], 1e-5)
          << "machine " << m << " mode " << mode_name(static_cast<Mode>(md));
    }
    EXPECT_NEAR(real.machines[m].oee, truth.truth.machines[m].oee, 1e-9) << m;
  }
  EXPECT_EQ(real.line.bottleneck_station, truth.truth.line.bottleneck_station);
  const MirrorCounters& c = player.mirror().state().counters;
  EXPECT_EQ(c.samples_in, truth.samples);
  EXPECT_EQ(c.applied, truth.samples);  // clean: nothing rejected or flagged
  EXPECT_EQ(c.stale_episodes, 0u);
  EXPECT_EQ(c.events_late, 0u);
  std::remove(path.c_str());
}

TEST_F(PlayerTest, DirtyShiftKeepsCountsAndFlagsTheDirt) {
  PlantOptions options;
  options.hours = 2.0;
  options.seed = 4;
  options.dirt.dropouts_per_hour = 4.0;
  options.dirt.duplicate = 0.01;
  options.dirt.out_of_order = 0.01;
  options.dirt.late_batches = 0.005;
  const std::string path = temp_path("dirty.mcap");
  const PlantReport truth = generate(scene_.model, options, path);
  Player player(scene_.model);
  const PlayResult r = player.play(path, {});
  ASSERT_TRUE(r.ok) << r.error;
  const ReplicationKpis real = compute_real_kpis(scene_.model, player.mirror(), r.window_end_ns);
  // Part events are lossless (only delayed): counts stay exact; mode durations move by the
  // machine's clock skew only at the window's edges.
  EXPECT_EQ(real.line.good_parts, truth.truth.line.good_parts);
  for (size_t m = 0; m < real.machines.size(); ++m) {
    for (int md = 0; md < kModeCount; ++md) {
      EXPECT_NEAR(real.machines[m].time_in_mode[md], truth.truth.machines[m].time_in_mode[md], 1.0);
    }
  }
  const MirrorCounters& c = player.mirror().state().counters;
  EXPECT_EQ(c.samples_in, truth.samples);
  EXPECT_EQ(c.samples_in, c.applied + c.superseded + c.duplicates + c.late);
  // Every retransmission is caught as a duplicate or, when newer samples of the tag came in
  // between, as superseded; none is applied twice.
  EXPECT_GE(c.duplicates + c.superseded + c.late, truth.duplicated);
  // Retransmissions arrive with the next batch: the mirror still remembers their times.
  EXPECT_GE(static_cast<double>(c.duplicates), 0.95 * static_cast<double>(truth.duplicated));
  EXPECT_LE(c.duplicates, truth.duplicated);
  EXPECT_GT(c.duplicates, 0u);
  EXPECT_GT(c.superseded, 0u);
  EXPECT_GT(c.stale_episodes, 0u);  // dropouts of a few seconds on 10 Hz tags
  // Every stale episode ends with a gap, except those still open at the end.
  uint64_t still_stale = 0;
  for (uint8_t s : player.mirror().state().stale) still_stale += s;
  EXPECT_EQ(c.gaps + still_stale, c.stale_episodes);
  std::remove(path.c_str());
}

TEST_F(PlayerTest, GroundTruthIsNeverRead) {
  PlantOptions options;
  options.hours = 1.0;
  options.seed = 5;
  options.faults = random_faults(scene_.model, 3, options.hours, 5);
  ASSERT_FALSE(options.faults.empty());
  const std::string with = temp_path("with_truth.mcap");
  const std::string without = temp_path("without_truth.mcap");
  generate(scene_.model, options, with);
  strip_truth(with, without);
  Player a(scene_.model), b(scene_.model);
  const PlayResult ra = a.play(with, {});
  const PlayResult rb = b.play(without, {});
  ASSERT_TRUE(ra.ok && rb.ok);
  EXPECT_EQ(ra.truth_messages_skipped, options.faults.size());
  EXPECT_EQ(rb.truth_messages_skipped, 0u);
  EXPECT_EQ(first_difference(a.mirror().state(), b.mirror().state()), "");
  std::remove(with.c_str());
  std::remove(without.c_str());
}

TEST_F(PlayerTest, SeekEqualsReplayingFromTheStart) {
  PlantOptions options;
  options.hours = 1.0;
  options.seed = 6;
  const std::string path = temp_path("seek.mcap");
  generate(scene_.model, options, path);
  Player with_keyframes(scene_.model);
  PlayOptions po;
  po.keyframe_interval_s = 300.0;
  ASSERT_TRUE(with_keyframes.play(path, po).ok);
  ASSERT_GE(with_keyframes.keyframes().size(), 10u);
  for (double t : {1.0, 299.9, 300.0, 1234.5, 3000.0, 3599.0}) {
    // Reference: a replay that stops at t.
    Player reference(scene_.model);
    PlayOptions to;
    to.to_s = t;
    ASSERT_TRUE(reference.play(path, to).ok);
    // Seek from the start (no keyframes) and from a keyframe, then close the window the same way.
    Player cold(scene_.model);
    PlayResult r_cold, r_warm;
    ASSERT_TRUE(cold.seek(path, t, &r_cold));
    ASSERT_TRUE(with_keyframes.seek(path, t, &r_warm));
    EXPECT_EQ(r_cold.keyframes_used, 0u);
    EXPECT_EQ(r_warm.keyframes_used, 1u) << t;  // the first keyframe is at the first message
    const int64_t end = reference.mirror().state().now_ns;
    cold.mirror().finish(end);
    with_keyframes.mirror().finish(end);
    EXPECT_EQ(first_difference(cold.mirror().state(), reference.mirror().state()), "")
        << "t = " << t;
    EXPECT_EQ(first_difference(with_keyframes.mirror().state(), reference.mirror().state()), "")
        << "t = " << t;
  }
  std::remove(path.c_str());
}

TEST_F(PlayerTest, HistorianExportReplaysWithCountersAndModeTags) {
  // A historian export of the small line: mode as a tag (names, as MES exports write them) and
  // a good-parts counter, no part events. One hour: S1 runs 40 min, is down 20 min, making a
  // part a minute while running.
  const SceneLoadResult small = test::load_scene_or_fail(test::kSmallLine);
  std::string csv = "timestamp,machine,tag,value\n";
  auto row = [&csv](int minute, int second, const char* machine, const char* tag,
                    const std::string& value) {
    char t[64];
    std::snprintf(t, sizeof t, "2026-01-05T06:%02d:%02dZ", minute, second);
    csv += t;
    csv += ',';
    csv += machine;
    csv += ',';
    csv += tag;
    csv += ',';
    csv += value;
    csv += '\n';
  };
  row(0, 0, "S1", "mode", "running");
  row(0, 0, "S2", "mode", "starved");
  for (int m = 0; m < 60; ++m) {
    if (m == 40) row(40, 0, "S1", "mode", "down");
    row(m, 30, "S1", "good_count", std::to_string(std::min(m, 40)));
  }
  row(59, 59, "S2", "mode", "starved");
  const std::string path = temp_path("historian.mcap");
  {
    TelemetryWriter writer;
    ASSERT_TRUE(writer.open(path));
    const CsvImportReport report =
        import_csv_text(csv, "historian.csv", &small.model, CsvImportOptions{}, writer);
    ASSERT_TRUE(writer.close());
    ASSERT_FALSE(report.first_error.has_value()) << report.first_error->to_string();
  }
  Player player(small.model);
  PlayOptions po;
  po.to_s = 3600.0;
  const PlayResult r = player.play(path, po);
  ASSERT_TRUE(r.ok) << r.error;
  const ReplicationKpis real = compute_real_kpis(small.model, player.mirror(), r.window_end_ns);
  EXPECT_NEAR(real.machines[0].time_in_mode[static_cast<int>(Mode::kBusy)], 2400.0, 1e-6);
  EXPECT_NEAR(real.machines[0].time_in_mode[static_cast<int>(Mode::kDown)], 1200.0, 1e-6);
  EXPECT_EQ(real.machines[0].parts_good, 40u);  // counter from 0 to 40
  EXPECT_NEAR(real.machines[0].availability, 40.0 / 60.0, 1e-9);
  std::remove(path.c_str());
}

TEST_F(PlayerTest, DamagedRecordingReplaysWhatIsReadable) {
  PlantOptions options;
  options.hours = 1.0;
  options.seed = 7;
  const std::string path = temp_path("cut.mcap");
  const PlantReport truth = generate(scene_.model, options, path);
  const auto size = std::filesystem::file_size(path);
  std::filesystem::resize_file(path, size * 6 / 10);  // killed mid-chunk
  Player player(scene_.model);
  const PlayResult r = player.play(path, {});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_FALSE(r.read.damage.empty());
  const ReplicationKpis real = compute_real_kpis(scene_.model, player.mirror(), r.window_end_ns);
  EXPECT_GT(real.line.good_parts, truth.truth.line.good_parts / 4);
  EXPECT_LT(real.line.good_parts, truth.truth.line.good_parts);
  // Not an MCAP file at all: a clear error, no crash.
  {
    std::ofstream junk(path, std::ios::trunc);
    junk << "timestamp,machine,tag,value\n";
  }
  const PlayResult bad = player.play(path, {});
  EXPECT_FALSE(bad.ok);
  EXPECT_NE(bad.error.find("not an MCAP file"), std::string::npos) << bad.error;
  std::remove(path.c_str());
}

}  // namespace
}  // namespace twin
