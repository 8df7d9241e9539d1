// The data behind the viewer's plots and mode strips: min-max decimation, ring wrap, range
// edges, mode timelines, and the two ways of feeding the store (the live stream's StateChanges
// and a replayed Mirror) giving the same result without allocating.
#include "viewer/series_store.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "core/mirror/mirror.h"
#include "tests/support/alloc_counter.h"
#include "tests/support/scenes.h"

namespace twin::viewer {
namespace {

constexpr int64_t kT0 = 1767592800LL * 1000000000LL;  // shift start
constexpr int64_t kS = 1000000000LL;

TEST(TagSeriesTest, DecimationKeepsTheMinAndMaxOfEveryBucket) {
  // 8 h at 1 Hz into 600 columns: 48 samples per bucket, one spike up and one down.
  constexpr size_t kN = 28800;
  TagSeries series(kN);
  std::vector<float> values(kN);
  for (size_t i = 0; i < kN; ++i) {
    values[i] = 20.0f + std::sin(static_cast<float>(i) * 0.01f);
  }
  values[12345] = 1000.0f;
  values[20001] = -1000.0f;
  for (size_t i = 0; i < kN; ++i) {
    ASSERT_TRUE(series.append(kT0 + static_cast<int64_t>(i) * kS, values[i]));
  }
  std::vector<SeriesBucket> out;
  EXPECT_EQ(series.query(kT0, kT0 + static_cast<int64_t>(kN) * kS, 600, out), kN);
  ASSERT_EQ(out.size(), 600u);
  EXPECT_EQ(out[12345 / 48].max, 1000.0f);
  EXPECT_EQ(out[20001 / 48].min, -1000.0f);
  for (size_t b = 0; b < out.size(); ++b) {
    const size_t lo = b * 48;
    ASSERT_EQ(out[b].count, 48u) << b;
    float mn = values[lo];
    float mx = values[lo];
    for (size_t i = lo; i < lo + 48; ++i) {
      mn = std::min(mn, values[i]);
      mx = std::max(mx, values[i]);
    }
    EXPECT_EQ(out[b].min, mn) << b;
    EXPECT_EQ(out[b].max, mx) << b;
    EXPECT_EQ(out[b].first, values[lo]) << b;
    EXPECT_EQ(out[b].last, values[lo + 47]) << b;
  }
  // Only the spike's bucket shows it.
  size_t above = 0;
  for (const SeriesBucket& b : out) above += b.max > 100.0f ? 1 : 0;
  EXPECT_EQ(above, 1u);
}

TEST(TagSeriesTest, RingWrapKeepsTheNewestCapacityPointsInOrder) {
  TagSeries series(100);
  for (int i = 0; i < 250; ++i) series.append(kT0 + i * kS, static_cast<float>(i));
  ASSERT_EQ(series.size(), 100u);
  EXPECT_EQ(series.capacity(), 100u);
  for (size_t i = 0; i < 100; ++i) {
    EXPECT_EQ(series.time_at(i), kT0 + static_cast<int64_t>(150 + i) * kS);
    EXPECT_EQ(series.value_at(i), static_cast<float>(150 + i));
  }
  // Binary search across the physical wrap point.
  EXPECT_EQ(series.lower_bound(kT0 + 149 * kS), 0u);
  EXPECT_EQ(series.lower_bound(kT0 + 200 * kS), 50u);
  EXPECT_EQ(series.lower_bound(kT0 + 200 * kS + 1), 51u);
  EXPECT_EQ(series.lower_bound(kT0 + 250 * kS), 100u);
  std::vector<SeriesBucket> out;
  EXPECT_EQ(series.query(kT0, kT0 + 250 * kS, 10, out), 100u);
  EXPECT_EQ(out[5].count, 0u);  // [125, 150) s: overwritten
  EXPECT_TRUE(std::isnan(out[5].min));
  EXPECT_EQ(out[6].count, 25u);
  EXPECT_EQ(out[6].first, 150.0f);
  EXPECT_EQ(out[9].last, 249.0f);
}

TEST(TagSeriesTest, DropsDuplicatesAndOutOfOrderSamples) {
  TagSeries series(10);
  EXPECT_TRUE(series.append(kT0 + 10, 1.0f));
  EXPECT_FALSE(series.append(kT0 + 10, 2.0f));  // duplicate time
  EXPECT_FALSE(series.append(kT0 + 5, 3.0f));   // older
  EXPECT_TRUE(series.append(kT0 + 11, 4.0f));
  EXPECT_EQ(series.size(), 2u);
  EXPECT_EQ(series.dropped(), 2u);
  EXPECT_EQ(series.value_at(0), 1.0f);
  EXPECT_EQ(series.value_at(1), 4.0f);
}

TEST(TagSeriesTest, RangeQueriesAtTheEdges) {
  TagSeries series(64);
  for (int i = 0; i < 10; ++i) series.append(kT0 + i * kS, static_cast<float>(i));
  std::vector<SeriesBucket> out;
  // [2 s, 5 s) in 3 buckets: t0 is in, t1 is out.
  EXPECT_EQ(series.query(kT0 + 2 * kS, kT0 + 5 * kS, 3, out), 3u);
  for (size_t b = 0; b < 3; ++b) {
    EXPECT_EQ(out[b].count, 1u);
    EXPECT_EQ(out[b].min, static_cast<float>(b + 2));
  }
  // One nanosecond past a sample leaves it out; one before the next leaves that out too.
  EXPECT_EQ(series.query(kT0 + 2 * kS + 1, kT0 + 5 * kS - 1, 1, out), 2u);
  EXPECT_EQ(out[0].first, 3.0f);
  EXPECT_EQ(out[0].last, 4.0f);
  // Before all data, after all data, empty and reversed ranges, no buckets.
  EXPECT_EQ(series.query(kT0 - 10 * kS, kT0, 4, out), 0u);
  EXPECT_EQ(out.size(), 4u);
  EXPECT_TRUE(std::isnan(out[0].max));
  EXPECT_EQ(series.query(kT0 + 9 * kS + 1, kT0 + 20 * kS, 4, out), 0u);
  EXPECT_EQ(series.query(kT0 + 5 * kS, kT0 + 5 * kS, 4, out), 0u);
  EXPECT_EQ(series.query(kT0 + 6 * kS, kT0 + 5 * kS, 4, out), 0u);
  EXPECT_EQ(series.query(kT0, kT0 + 10 * kS, 0, out), 0u);
  EXPECT_TRUE(out.empty());
  // The widest range there is (its span does not fit int64): everything, in the right bucket.
  EXPECT_EQ(series.query(std::numeric_limits<int64_t>::min(), kOpenEnd, 4, out), 10u);
  // kT0 is in (0, INT64_MAX / 2): the third quarter.
  EXPECT_EQ(out[2].count, 10u);
  // More buckets than nanoseconds in the range: bucket i starts at t0 + floor(i * 2 / 5), so
  // buckets 0 and 1 are empty ([t0, t0)) and the sample at t0 is in bucket 2 ([t0, t0 + 1)).
  EXPECT_EQ(series.query(kT0 + 3 * kS, kT0 + 3 * kS + 2, 5, out), 1u);
  EXPECT_EQ(out[0].count + out[1].count, 0u);
  EXPECT_EQ(out[2].count, 1u);
}

TEST(ModeTimelineTest, ClipsToTheRangeReplacesAndExtends) {
  ModeTimeline line(16);
  line.change(kT0 + 10 * kS, telemetry::MODE_RUNNING);
  line.change(kT0 + 20 * kS, telemetry::MODE_STARVED);
  line.change(kT0 + 20 * kS, telemetry::MODE_DOWN);  // same start: replaces STARVED
  line.change(kT0 + 30 * kS, telemetry::MODE_DOWN);  // same mode: extends
  line.change(kT0 + 40 * kS, telemetry::MODE_RUNNING);
  ASSERT_EQ(line.size(), 3u);
  EXPECT_EQ(line.at(1).mode, telemetry::MODE_DOWN);
  EXPECT_EQ(line.at(1).start_ns, kT0 + 20 * kS);
  EXPECT_EQ(line.at(1).end_ns, kT0 + 40 * kS);
  EXPECT_EQ(line.at(2).end_ns, kOpenEnd);

  std::vector<ModeSegment> out;
  line.query(kT0 + 15 * kS, kT0 + 35 * kS, out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].mode, telemetry::MODE_RUNNING);
  EXPECT_EQ(out[0].start_ns, kT0 + 15 * kS);
  EXPECT_EQ(out[0].end_ns, kT0 + 20 * kS);
  EXPECT_EQ(out[1].mode, telemetry::MODE_DOWN);
  EXPECT_EQ(out[1].start_ns, kT0 + 20 * kS);
  EXPECT_EQ(out[1].end_ns, kT0 + 35 * kS);
  // The open segment is clipped to the range end; a range ending at a start leaves it out.
  line.query(kT0 + 45 * kS, kT0 + 50 * kS, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].start_ns, kT0 + 45 * kS);
  EXPECT_EQ(out[0].end_ns, kT0 + 50 * kS);
  line.query(kT0, kT0 + 10 * kS, out);
  EXPECT_TRUE(out.empty());
  line.query(kT0 + 20 * kS, kT0 + 20 * kS + 1, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].mode, telemetry::MODE_DOWN);

  // Replacing the newest segment with its predecessor's mode merges the two.
  line.change(kT0 + 35 * kS, telemetry::MODE_DOWN);
  EXPECT_EQ(line.size(), 2u);
  EXPECT_EQ(line.at(1).mode, telemetry::MODE_DOWN);
  EXPECT_EQ(line.at(1).end_ns, kOpenEnd);
}

TEST(ModeTimelineTest, DropsTheOldestSegmentsWhenFull) {
  ModeTimeline line(3);
  for (int i = 0; i < 5; ++i) {
    line.change(kT0 + i * kS, i % 2 ? telemetry::MODE_RUNNING : telemetry::MODE_IDLE);
  }
  ASSERT_EQ(line.size(), 3u);
  EXPECT_EQ(line.at(0).start_ns, kT0 + 2 * kS);
  EXPECT_EQ(line.at(0).end_ns, kT0 + 3 * kS);
  EXPECT_EQ(line.at(2).start_ns, kT0 + 4 * kS);
  std::vector<ModeSegment> out;
  line.query(kT0, kT0 + 10 * kS, out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].start_ns, kT0 + 2 * kS);
  EXPECT_EQ(out[2].end_ns, kT0 + 10 * kS);
}

TEST(AlarmMarksTest, QueriesByMachineAndRange) {
  AlarmMarks alarms(4);
  alarms.add(kT0 + 1 * kS, 0, "OVERTEMP", true);
  alarms.add(kT0 + 2 * kS, 1, "VIBRATION_HIGH", true);
  alarms.add(kT0 + 3 * kS, 0, "OVERTEMP", false);
  std::vector<AlarmMark> out;
  alarms.query(0, kT0, kT0 + 10 * kS, out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].active, 1);
  EXPECT_EQ(out[1].active, 0);
  EXPECT_EQ(out[0].code, out[1].code);
  EXPECT_EQ(alarms.code_name(out[0].code), "OVERTEMP");
  alarms.query(0, kT0 + 1 * kS, kT0 + 3 * kS, out);  // end excluded
  ASSERT_EQ(out.size(), 1u);
  alarms.query(-1, kT0, kT0 + 10 * kS, out);
  EXPECT_EQ(out.size(), 3u);
  alarms.add(kT0 + 4 * kS, 1, "VIBRATION_HIGH", false);
  alarms.add(kT0 + 5 * kS, 1, "JAM", true);  // full: the first mark goes
  alarms.query(-1, kT0, kT0 + 10 * kS, out);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].time_ns, kT0 + 2 * kS);
  EXPECT_EQ(alarms.code_name(out[3].code), "JAM");
}

// A small line replayed twice: through a Mirror synced after every step, and as the
// StateChanges a live twin would stream for the same data.
class SeriesStoreTest : public ::testing::Test {
 protected:
  static constexpr int kSteps = 120;
  struct Feed {
    std::string machine;
    std::vector<std::string> tags;
  };

  void SetUp() override {
    scene_ = test::load_scene_or_fail(test::kSmallLine);
    mirror_ = std::make_unique<Mirror>(scene_.model);
    mirror_->reset(kT0);
    feeds_ = {{"S1", {"temperature", "power"}}, {"S2", {"temperature", "vibration"}}};
    for (const Feed& f : feeds_) bindings_.push_back(mirror_->bind_samples(f.machine, f.tags));
    for (const ChannelBinding& b : bindings_) {
      ASSERT_GE(b.machine, 0);
      for (int32_t slot : b.slot) ASSERT_GE(slot, 0);
    }
  }

  static float value(size_t feed, size_t tag, int step) {
    return static_cast<float>(feed * 100 + tag * 10) + static_cast<float>(step % 17) * 0.25f;
  }
  static int64_t sample_ns(int step) { return kT0 + step * kS + kS / 2; }
  static int64_t arrival_ns(int step) { return kT0 + (step + 1) * kS; }
  // Machine `m` changes mode every 7 s (S1) or 11 s (S2), at the step's sample time.
  static bool mode_change(size_t m, int step, telemetry::Mode* mode) {
    const int every = m == 0 ? 7 : 11;
    if (step % every != 0) return false;
    static constexpr telemetry::Mode kCycle[] = {telemetry::MODE_RUNNING, telemetry::MODE_STARVED,
                                                 telemetry::MODE_RUNNING, telemetry::MODE_DOWN};
    *mode = kCycle[(step / every) % 4];
    return true;
  }

  // One replay step: the step's samples of every feed and its mode changes, then the clock.
  void mirror_step(int step, DecodedBatch& batch) {
    for (size_t f = 0; f < feeds_.size(); ++f) {
      batch.clear();
      batch.base_time_ns = sample_ns(step);
      for (size_t t = 0; t < feeds_[f].tags.size(); ++t) {
        batch.tag.push_back(static_cast<uint32_t>(t));
        batch.offset_ns.push_back(0);
        batch.value.push_back(value(f, t, step));
      }
      mirror_->apply_samples(bindings_[f], arrival_ns(step), batch);
      telemetry::Mode mode;
      if (mode_change(f, step, &mode)) {
        mirror_->add_mode_change(bindings_[f].machine, arrival_ns(step), sample_ns(step), mode);
      }
    }
    mirror_->advance_to(arrival_ns(step));
  }

  live::StateChange live_change(int step) const {
    live::StateChange c;
    c.set_twin_time_ns(arrival_ns(step));
    for (size_t f = 0; f < feeds_.size(); ++f) {
      for (size_t t = 0; t < feeds_[f].tags.size(); ++t) {
        live::TagValue* v = c.add_tags();
        v->set_machine(feeds_[f].machine);
        v->set_tag(feeds_[f].tags[t]);
        v->set_time_ns(sample_ns(step));
        v->set_value(value(f, t, step));
      }
      telemetry::Mode mode;
      if (mode_change(f, step, &mode)) {
        live::MachineMode* m = c.add_modes();
        m->set_machine(feeds_[f].machine);
        m->set_mode(mode);
        m->set_since_ns(sample_ns(step));
      }
    }
    return c;
  }

  static void expect_same(const SeriesStore& a, const SeriesStore& b) {
    ASSERT_EQ(a.n_tags(), b.n_tags());
    for (uint32_t t = 0; t < a.n_tags(); ++t) {
      ASSERT_EQ(a.tag(t).size(), b.tag(t).size()) << "slot " << t;
      for (size_t i = 0; i < a.tag(t).size(); ++i) {
        EXPECT_EQ(a.tag(t).time_at(i), b.tag(t).time_at(i));
        EXPECT_EQ(a.tag(t).value_at(i), b.tag(t).value_at(i));
      }
    }
    ASSERT_EQ(a.n_machines(), b.n_machines());
    for (uint32_t m = 0; m < a.n_machines(); ++m) {
      const ModeTimeline& x = a.real_modes(m);
      const ModeTimeline& y = b.real_modes(m);
      ASSERT_EQ(x.size(), y.size()) << "machine " << m;
      for (size_t i = 0; i < x.size(); ++i) {
        EXPECT_EQ(x.at(i).start_ns, y.at(i).start_ns);
        EXPECT_EQ(x.at(i).end_ns, y.at(i).end_ns);
        EXPECT_EQ(x.at(i).mode, y.at(i).mode);
      }
    }
  }

  SceneLoadResult scene_;
  std::unique_ptr<Mirror> mirror_;
  std::vector<Feed> feeds_;
  std::vector<ChannelBinding> bindings_;
};

TEST_F(SeriesStoreTest, StateChangesAndAMirrorGiveTheSameStore) {
  SeriesStore replayed(mirror_->names());
  SeriesStore live(mirror_->names());
  DecodedBatch batch;
  for (int step = 0; step < kSteps; ++step) {
    mirror_step(step, batch);
    replayed.sync_from(*mirror_);
    live.add(live_change(step));
  }
  // The last mode changes are still in the mirror's reorder window. Not finish(): it moves
  // mode_since_ns to the window end, which is no longer when the mode began.
  mirror_->flush_events(arrival_ns(kSteps));
  replayed.sync_from(*mirror_);

  const int32_t s1_temp = live.find_tag(0, "temperature");
  ASSERT_GE(s1_temp, 0);
  EXPECT_EQ(s1_temp, bindings_[0].slot[0]);
  EXPECT_EQ(live.tag(static_cast<uint32_t>(s1_temp)).size(), static_cast<size_t>(kSteps));
  EXPECT_EQ(live.real_modes(0).size(), static_cast<size_t>((kSteps + 6) / 7));
  EXPECT_EQ(live.real_modes(1).size(), static_cast<size_t>((kSteps + 10) / 11));
  const int32_t s1_current = live.find_tag(0, "current");  // a tag nobody sent
  ASSERT_GE(s1_current, 0);
  EXPECT_EQ(live.tag(static_cast<uint32_t>(s1_current)).size(), 0u);
  expect_same(replayed, live);

  // Unknown names are counted, not fatal; a repeated value (a stale flag) adds nothing.
  live::StateChange odd = live_change(kSteps - 1);
  odd.mutable_tags(0)->set_stale(true);
  odd.mutable_tags(1)->set_machine("Nowhere");
  odd.mutable_tags(2)->set_tag("no_such_tag");
  odd.clear_modes();
  telemetry::Alarm* alarm = odd.add_alarms();
  alarm->set_machine("S2");
  alarm->set_code("OVERTEMP");
  alarm->set_active(true);
  alarm->set_time_ns(sample_ns(kSteps - 1));
  live.add(odd);
  EXPECT_EQ(live.counters().unknown_machine, 1u);
  EXPECT_EQ(live.counters().unknown_tag, 1u);
  EXPECT_EQ(live.tag(static_cast<uint32_t>(s1_temp)).dropped(), 0u);
  std::vector<AlarmMark> marks;
  live.alarms().query(1, kT0, kOpenEnd, marks);
  ASSERT_EQ(marks.size(), 1u);
  live.alarms().query(0, kT0, kOpenEnd, marks);
  EXPECT_TRUE(marks.empty());

  // A seek: cleared, then re-filled from the mirror's current values (the keyframe).
  replayed.clear();
  EXPECT_EQ(replayed.tag(static_cast<uint32_t>(s1_temp)).size(), 0u);
  EXPECT_EQ(replayed.real_modes(0).size(), 0u);
  replayed.sync_from(*mirror_);
  ASSERT_EQ(replayed.tag(static_cast<uint32_t>(s1_temp)).size(), 1u);
  EXPECT_EQ(replayed.tag(static_cast<uint32_t>(s1_temp)).time_at(0), sample_ns(kSteps - 1));
  EXPECT_EQ(replayed.real_modes(0).size(), 1u);
}

TEST_F(SeriesStoreTest, TwinModesHaveTheirOwnRow) {
  SeriesStore store(mirror_->names());
  store.add_twin_mode(1, kT0, telemetry::MODE_RUNNING);
  store.add_twin_mode(1, kT0 + 5 * kS, telemetry::MODE_BLOCKED);
  store.add_twin_mode(99, kT0, telemetry::MODE_RUNNING);  // no such machine: ignored
  EXPECT_EQ(store.twin_modes(1).size(), 2u);
  EXPECT_EQ(store.real_modes(1).size(), 0u);
  EXPECT_EQ(store.twin_modes(0).size(), 0u);
}

TEST_F(SeriesStoreTest, SyncFromAMirrorDoesNotAllocate) {
  SeriesStore store(mirror_->names());
  DecodedBatch batch;
  mirror_step(0, batch);  // warm up the mirror's and the batch's buffers
  store.sync_from(*mirror_);
  uint64_t allocations = 0;
  for (int step = 1; step < 1000; ++step) {
    mirror_step(step, batch);
    test::start_counting_allocations();
    store.sync_from(*mirror_);
    allocations += test::stop_counting_allocations();
  }
  EXPECT_EQ(allocations, 0u);
  EXPECT_EQ(store.tag(static_cast<uint32_t>(bindings_[1].slot[1])).size(), 1000u);
  EXPECT_GT(store.real_modes(0).size(), 100u);
  // And the live path, once its alarm codes are known.
  live::StateChange change = live_change(1000);
  telemetry::Alarm* alarm = change.add_alarms();
  alarm->set_machine("S1");
  alarm->set_code("OVERTEMP");
  store.add(change);
  test::start_counting_allocations();
  for (int step = 1001; step < 1100; ++step) {
    for (live::TagValue& v : *change.mutable_tags()) v.set_time_ns(sample_ns(step));
    store.add(change);
  }
  EXPECT_EQ(test::stop_counting_allocations(), 0u);
  EXPECT_EQ(store.tag(static_cast<uint32_t>(bindings_[1].slot[1])).size(), 1100u);
}

}  // namespace
}  // namespace twin::viewer
