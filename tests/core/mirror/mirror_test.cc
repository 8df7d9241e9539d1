// The mirror's handling of dirty telemetry, one kind of dirt at a time, with hand-made batches.
#include "core/mirror/mirror.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/mirror/mirror_snapshot.h"
#include "core/mirror/real_kpis.h"
#include "tests/support/alloc_counter.h"
#include "tests/support/scenes.h"

namespace twin {
namespace {

constexpr int64_t kT0 = 1767592800LL * 1000000000LL;  // shift start
constexpr int64_t kS = 1000000000LL;

class MirrorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    scene_ = test::load_scene_or_fail(test::kSmallLine);
    mirror_ = std::make_unique<Mirror>(scene_.model);
    mirror_->reset(kT0);
    // S1's default tags: current, power, temperature, vibration, tool_wear, good_count, ...
    binding_ = mirror_->bind_samples("S1", {"temperature", "good_count", "no_such_tag"});
  }
  // One batch of (tag index, time offset from kT0 [s], value) samples arriving at `arrival_s`.
  void send(double arrival_s, std::vector<std::tuple<uint32_t, double, float>> samples,
            std::vector<uint8_t> quality = {}) {
    DecodedBatch b;
    b.base_time_ns = kT0;
    for (auto [tag, t, v] : samples) {
      b.tag.push_back(tag);
      b.offset_ns.push_back(static_cast<int64_t>(std::llround(t * 1e9)));
      b.value.push_back(v);
    }
    b.quality = std::move(quality);
    mirror_->apply_samples(binding_, kT0 + static_cast<int64_t>(arrival_s * 1e9), b);
  }
  int32_t slot(const char* tag) const {
    const MirrorModel& n = mirror_->names();
    for (uint32_t t = n.tag_offset[0]; t < n.tag_offset[1]; ++t) {
      if (n.tag_name[t] == tag) return static_cast<int32_t>(t);
    }
    return -1;
  }
  const MirrorCounters& counters() const { return mirror_->state().counters; }

  SceneLoadResult scene_;
  std::unique_ptr<Mirror> mirror_;
  ChannelBinding binding_;
};

TEST_F(MirrorTest, BindsNamesOnceAndCountsUnknownTagsAndMachines) {
  EXPECT_EQ(binding_.machine, 0);
  ASSERT_EQ(binding_.slot.size(), 3u);
  EXPECT_EQ(binding_.slot[0], slot("temperature"));
  EXPECT_EQ(binding_.slot[2], -1);
  send(1.0, {{0, 0.5, 30.0f}, {2, 0.5, 1.0f}, {7, 0.5, 1.0f}});
  EXPECT_EQ(counters().applied, 1u);
  EXPECT_EQ(counters().unknown_tag, 1u);
  EXPECT_EQ(counters().bad_tag_index, 1u);
  const ChannelBinding unknown = mirror_->bind_samples("Nowhere", {"temperature"});
  EXPECT_EQ(unknown.machine, -1);
  DecodedBatch b;
  b.base_time_ns = kT0;
  b.tag = {0, 0};
  b.offset_ns = {0, 1};
  b.value = {1.0f, 2.0f};
  mirror_->apply_samples(unknown, kT0 + kS, b);
  EXPECT_EQ(counters().unknown_machine, 2u);
  EXPECT_EQ(counters().samples_in, 5u);
}

TEST_F(MirrorTest, DuplicatesOutOfOrderAndLateSamples) {
  const int32_t temp = slot("temperature");
  send(1.0, {{0, 0.5, 30.0f}, {0, 0.9, 31.0f}});
  send(2.0, {{0, 0.9, 31.0f}});  // retransmission: duplicate
  send(2.0, {{0, 0.7, 30.5f}});  // older than the current value, inside the window
  EXPECT_EQ(counters().duplicates, 1u);
  EXPECT_EQ(counters().superseded, 1u);
  EXPECT_FLOAT_EQ(mirror_->state().value[static_cast<size_t>(temp)], 31.0f);  // kept newest
  send(20.0, {{0, 19.5, 40.0f}});
  send(21.0, {{0, 10.0, 35.0f}});  // 9.5 s behind the newest: beyond the 2 s window
  EXPECT_EQ(counters().late, 1u);
  EXPECT_FLOAT_EQ(mirror_->state().value[static_cast<size_t>(temp)], 40.0f);
  EXPECT_EQ(counters().applied, 3u);
  // Every sample is counted exactly once.
  const MirrorCounters& c = counters();
  EXPECT_EQ(c.samples_in, c.applied + c.superseded + c.duplicates + c.late);
}

TEST_F(MirrorTest, RejectsNonFiniteFarOffAndBadQualityKeepingWhatWasValid) {
  const int32_t temp = slot("temperature");
  send(1.0, {{0, 0.5, 30.0f}});
  send(2.0,
       {{0, 1.5, std::numeric_limits<float>::quiet_NaN()},
        {0, 1.6, std::numeric_limits<float>::infinity()},
        {0, 1.0 + 86400.0 * 365, 99.0f},  // a year ahead of its arrival
        {0, -86400.0 * 30, 98.0f},        // a month behind
        {0, 1.7, 97.0f}},
       {0, 0, 0, 0, telemetry::QUALITY_BAD});
  EXPECT_EQ(counters().non_finite, 2u);
  EXPECT_EQ(counters().future, 1u);
  EXPECT_EQ(counters().past, 1u);
  EXPECT_EQ(counters().bad_quality, 1u);
  EXPECT_FLOAT_EQ(mirror_->state().value[static_cast<size_t>(temp)], 30.0f);
}

TEST_F(MirrorTest, FlagsStaleTagsGapsAndStuckValues) {
  const size_t temp = static_cast<size_t>(slot("temperature"));
  // Temperature is 1 Hz: stale after max(5 periods, 5 s) = 5 s without data.
  for (int i = 0; i < 5; ++i) send(i + 1.0, {{0, i + 0.5, 30.0f + static_cast<float>(i)}});
  mirror_->advance_to(kT0 + 8 * kS);
  EXPECT_EQ(mirror_->state().stale[temp], 0);
  mirror_->advance_to(kT0 + 11 * kS);
  EXPECT_EQ(mirror_->state().stale[temp], 1);
  EXPECT_EQ(counters().stale_episodes, 1u);
  send(12.0, {{0, 11.5, 35.0f}});
  EXPECT_EQ(mirror_->state().stale[temp], 0);
  EXPECT_EQ(counters().gaps, 1u);
  // A noisy signal repeating one value for 30 s is stuck.
  for (int i = 0; i <= 31; ++i) send(13.0 + i, {{0, 12.5 + i, 36.0f}});
  EXPECT_EQ(mirror_->state().stuck[temp], 1);
  EXPECT_EQ(counters().stuck_episodes, 1u);
  send(46.0, {{0, 45.5, 36.5f}});
  EXPECT_EQ(mirror_->state().stuck[temp], 0);
  // Counters repeat legitimately: never stuck.
  for (int i = 0; i <= 40; ++i) send(47.0 + i, {{1, 46.5 + i, 3.0f}});
  EXPECT_EQ(counters().stuck_episodes, 1u);
}

TEST_F(MirrorTest, ReorderWindowSortsEventsAndCountsLateOnes) {
  // Mode changes of S1 arriving out of order within the window are applied in time order.
  mirror_->add_mode_change(0, kT0 + 1 * kS, kT0 + 0, telemetry::MODE_STARVED);
  mirror_->add_mode_change(0, kT0 + 12 * kS, kT0 + 11 * kS, telemetry::MODE_BLOCKED);
  mirror_->add_mode_change(0, kT0 + 12 * kS, kT0 + 10 * kS, telemetry::MODE_RUNNING);
  mirror_->advance_to(kT0 + 20 * kS);
  // This one is 15 s behind what was applied: beyond the window.
  mirror_->add_mode_change(0, kT0 + 20 * kS, kT0 + 5 * kS, telemetry::MODE_DOWN);
  mirror_->add_part_event(0, kT0 + 20 * kS, kT0 + 19 * kS, telemetry::PartEvent::KIND_FINISHED,
                          9.0);
  mirror_->add_mode_change(5, kT0 + 20 * kS, kT0 + 19 * kS, telemetry::MODE_DOWN);  // unknown
  mirror_->add_mode_change(-1, kT0 + 20 * kS, kT0 + 19 * kS, telemetry::MODE_DOWN);
  mirror_->finish(kT0 + 30 * kS);
  const MirrorState& s = mirror_->state();
  EXPECT_EQ(counters().events_late, 1u);
  EXPECT_EQ(counters().events_unknown_machine, 2u);  // index 5 of a 2-machine scene, and -1
  EXPECT_DOUBLE_EQ(s.mode_seconds[0][telemetry::MODE_STARVED], 10.0);
  EXPECT_DOUBLE_EQ(s.mode_seconds[0][telemetry::MODE_RUNNING], 1.0);
  EXPECT_DOUBLE_EQ(s.mode_seconds[0][telemetry::MODE_BLOCKED], 19.0);
  EXPECT_EQ(s.good[0], 1u);
  const ReplicationKpis k = compute_real_kpis(scene_.model, *mirror_, kT0 + 30 * kS);
  EXPECT_DOUBLE_EQ(k.machines[0].time_in_mode[static_cast<int>(Mode::kBusy)], 1.0);
  EXPECT_EQ(k.machines[0].parts_good, 1u);
}

TEST_F(MirrorTest, CountsPartsFromCounterTagsWhenThereAreNoPartEvents) {
  // A historian export: no part events, a good-parts counter that restarts at 0 once.
  for (const auto& [t, v] : std::vector<std::pair<double, float>>{
           {1.0, 10.0f}, {2.0, 11.0f}, {3.0, 12.0f}, {4.0, 0.0f}, {5.0, 1.0f}}) {
    send(t + 0.5, {{1, t, v}});
  }
  mirror_->add_mode_change(0, kT0 + kS, kT0, telemetry::MODE_RUNNING);
  mirror_->finish(kT0 + 10 * kS);
  const ReplicationKpis k = compute_real_kpis(scene_.model, *mirror_, kT0 + 10 * kS);
  EXPECT_EQ(k.machines[0].parts_good, 3u);  // +1 +1, restart, +1
  // With part events, those count and the counter is ignored.
  mirror_->add_part_event(0, kT0 + 10 * kS, kT0 + 9 * kS, telemetry::PartEvent::KIND_FINISHED, 5.0);
  mirror_->finish(kT0 + 12 * kS);
  EXPECT_EQ(compute_real_kpis(scene_.model, *mirror_, kT0 + 12 * kS).machines[0].parts_good, 1u);
}

TEST_F(MirrorTest, SnapshotRoundTripsExactlyAndRejectsDamage) {
  send(1.0, {{0, 0.5, 30.0f}, {1, 0.5, 2.0f}});
  mirror_->add_mode_change(0, kT0 + kS, kT0, telemetry::MODE_RUNNING);
  mirror_->advance_to(kT0 + 5 * kS);
  const std::string bytes = serialize_mirror_state(mirror_->state());
  MirrorState copy;
  std::string error;
  ASSERT_TRUE(deserialize_mirror_state(bytes, mirror_->names(), copy, &error)) << error;
  EXPECT_EQ(serialize_mirror_state(copy), bytes);
  for (size_t cut : {size_t{0}, size_t{3}, bytes.size() / 2, bytes.size() - 1}) {
    EXPECT_FALSE(deserialize_mirror_state(bytes.substr(0, cut), mirror_->names(), copy));
  }
  // A field that indexes an array, out of range (a crafted snapshot): refused.
  MirrorState bad = mirror_->state();
  bad.recent_head[0] = 200;
  EXPECT_FALSE(deserialize_mirror_state(serialize_mirror_state(bad), mirror_->names(), copy));
  std::string longer = bytes + "x";
  EXPECT_FALSE(deserialize_mirror_state(longer, mirror_->names(), copy));
  // A state of another scene (other tag count) does not load.
  SceneLoadResult other = test::load_sample_or_fail("bottling.yaml");
  Mirror other_mirror(other.model);
  EXPECT_FALSE(deserialize_mirror_state(bytes, other_mirror.names(), copy, &error));
}

TEST_F(MirrorTest, HotPathDoesNotAllocate) {
  // Warm up, then a long run of batches must not grow anything.
  DecodedBatch b;
  b.base_time_ns = kT0;
  for (uint32_t i = 0; i < 64; ++i) {
    b.tag.push_back(i % 2);
    b.offset_ns.push_back(static_cast<int64_t>(i) * 10000000);
    b.value.push_back(static_cast<float>(i));
  }
  mirror_->apply_samples(binding_, kT0 + kS, b);
  // Samples: nothing at all.
  test::start_counting_allocations();
  for (int k = 1; k < 1000; ++k) {
    b.base_time_ns = kT0 + k * kS;
    mirror_->apply_samples(binding_, kT0 + (k + 1) * kS, b);
  }
  EXPECT_EQ(test::stop_counting_allocations(), 0u);
  // Events: only the amortised growth of the record of active periods (bottleneck analysis),
  // logarithmic in the number of periods.
  test::start_counting_allocations();
  for (int k = 1000; k < 2000; ++k) {
    mirror_->add_mode_change(0, kT0 + (k + 1) * kS, kT0 + k * kS,
                             k % 2 ? telemetry::MODE_RUNNING : telemetry::MODE_STARVED);
  }
  EXPECT_LE(test::stop_counting_allocations(), 12u);
  EXPECT_GE(mirror_->state().active_periods.size(), 400u);
  EXPECT_EQ(counters().applied, 64u * 1000u);
}

}  // namespace
}  // namespace twin
