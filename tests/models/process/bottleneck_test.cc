// The active period method on hand-made periods (the example shape of Roser et al. 2002) and on
// a line whose slowest station is known.
#include "models/process/bottleneck.h"

#include <vector>

#include <gtest/gtest.h>

#include "models/process/line_model.h"
#include "tests/support/scenes.h"

namespace twin {
namespace {

TEST(Bottleneck, OverlapOfSuccessiveBottleneckPeriodsIsShifting) {
  // Machine 0 active [0, 10], machine 1 active [5, 20]: machine 0 is the bottleneck until
  // machine 1's longer period takes over; they overlap on [5, 10].
  const std::vector<ActivePeriod> periods = {{0, 10, 0}, {5, 20, 1}};
  const auto shares = analyze_bottlenecks(periods, 2, 0, 20);
  EXPECT_DOUBLE_EQ(shares[0].sole, 5.0);
  EXPECT_DOUBLE_EQ(shares[0].shifting, 5.0);
  EXPECT_DOUBLE_EQ(shares[1].sole, 10.0);
  EXPECT_DOUBLE_EQ(shares[1].shifting, 5.0);
  EXPECT_EQ(momentary_bottleneck(periods, 7.0), 1);
  EXPECT_EQ(momentary_bottleneck(periods, 2.0), 0);
  EXPECT_EQ(momentary_bottleneck(periods, 25.0), -1);
}

TEST(Bottleneck, ShortPeriodInsideALongerOneIsNeverTheBottleneck) {
  const std::vector<ActivePeriod> periods = {{0, 30, 0}, {10, 12, 1}, {40, 45, 1}};
  const auto shares = analyze_bottlenecks(periods, 2, 0, 50);
  EXPECT_DOUBLE_EQ(shares[0].sole, 30.0);
  EXPECT_DOUBLE_EQ(shares[0].shifting, 0.0);
  EXPECT_DOUBLE_EQ(shares[1].sole, 5.0);  // only [40, 45], alone
}

TEST(Bottleneck, PeriodsAreClippedToTheWindow) {
  const std::vector<ActivePeriod> periods = {{0, 100, 0}};
  const auto shares = analyze_bottlenecks(periods, 1, 20, 50);
  EXPECT_DOUBLE_EQ(shares[0].sole, 30.0);
}

// Three deterministic stations of 10, 14 and 8 s with small buffers: the 14 s station is busy
// all the time, the others wait on it, so it is the bottleneck nearly all the time.
TEST(Bottleneck, SlowestStationOfASerialLine) {
  const Model model = test::load_scene_or_fail(R"(
name: serial
sources: [{name: raw}]
buffers: [{name: b1, capacity: 2}, {name: b2, capacity: 2}]
stations:
  - {name: a, input: raw, output: b1, cycle_time: {normal: {mean: 10, stddev: 1}}}
  - {name: b, input: b1, output: b2, cycle_time: {normal: {mean: 14, stddev: 1}}}
  - {name: c, input: b2, output: done, cycle_time: {normal: {mean: 8, stddev: 1}}}
sinks: [{name: done}]
)")
                          .model;
  RunOptions o;
  o.horizon_s = 36000;
  o.warmup_s = 600;
  const ReplicationKpis k = run_replication(model, o);
  EXPECT_EQ(k.line.bottleneck_station, 1);
  EXPECT_GT(k.stations[1].bottleneck_sole + k.stations[1].bottleneck_shifting, 0.95);
  EXPECT_LT(k.stations[0].bottleneck_sole, 0.05);
  EXPECT_LT(k.stations[2].bottleneck_sole, 0.05);
  EXPECT_EQ(k.line.momentary_bottleneck_station, 1);
}

}  // namespace
}  // namespace twin
