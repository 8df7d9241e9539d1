// ConveyorLine against the discrete-event model of the same conveyor.
//
// The scene: a belt of L = 4 m at v = 0.5 m/s (friction 0.6) carrying 0.2 m long parts, so 20
// fit nose to tail; a feeder puts a part on every a seconds; a consumer with cycle c takes them
// off at the stop. The DES counterpart is source(interarrival a) -> feed station (cycle 1 ms) ->
// conveyor(capacity 20, transport_time L / v) -> station(cycle c) -> sink.
//
// Tolerances:
// - Throughput, 2 %: both models are deterministic and periodic in steady state, so over a
//   window of W seconds the counts differ only by where the window cuts the period (at most one
//   part each, 2 / (W rate) = 1.1 % for W = 360 s at 0.5 /s) plus the quantization of put-on
//   and take-off times to the 1/240 s step (which does not accumulate).
// - Transfer time (put on -> at rest at the stop): the centre travels L - size_x (from the
//   entry, rear at x = 0, to the stop, front at x = L), plus the friction lag v / (2 mu g) of a
//   part put on at rest (see belt_world_test.cc): within 4 steps (1 as in BeltTransport; the
//   arrival is taken at the end of the step in which the part has come to rest against the stop,
//   which the contact solver needs 2-3 steps for; 0.2 % of the transfer). The DES transport time L
//   / v is longer by size_x / v minus the lag (0.36 s of 8 s here): the DES conveyor measures entry
//   to end, the part's centre less.
// - Accumulation: the maximum on the belt equals the DES capacity (20) exactly; the time-average
//   is within 1 part of the DES (the physical belt is short of one part while the queue indexes
//   forward after a take-off, size_x / v = 0.4 s of every cycle; the DES refills instantly).
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include "models/physics/conveyor_line.h"
#include "models/process/line_model.h"
#include "tests/support/scenes.h"

namespace twin {
namespace {

constexpr double kL = 4.0;   // [m]
constexpr double kV = 0.5;   // [m/s]
constexpr double kMu = 0.6;  // [-]
constexpr double kG = BeltWorld::kGravity;
constexpr double kDt = BeltWorld::kStepS;
constexpr PartSpec kPart{.size_x = 0.2, .size_y = 0.15, .size_z = 0.1, .mass_kg = 1.0};

ConveyorLineSpec line_spec(double every_s, double cycle_s, int parts) {
  ConveyorLineSpec s;
  s.belt = BeltSpec{.length_m = kL, .width_m = 0.4, .speed_mps = kV, .friction = kMu};
  s.parts = {kPart};
  s.consumer_cycle_s = cycle_s;
  for (int i = 0; i < parts; ++i) s.feed.push_back(FeedItem{.time_s = i * every_s});
  return s;
}

// Takes off in [from, to) per second.
double takeoff_rate(const ConveyorLine& line, double from, double to) {
  int n = 0;
  for (const PartRecord& r : line.records()) n += r.taken_off_s >= from && r.taken_off_s < to;
  return n / (to - from);
}

struct DesResult {
  double throughput_per_s = 0.0;  // [parts/s] after the warm-up
  double belt_mean = 0.0;         // [parts] time-average on the conveyor after the warm-up
  int64_t belt_max = 0;           // [parts]
};

DesResult run_des(double every_s, double cycle_s, double warmup_s, double horizon_s) {
  std::string yaml = "name: conveyor agreement\nseed: 1\nsources:\n  - name: In\n";
  yaml.append("    interarrival: {constant: ").append(std::to_string(every_s)).append("}\n");
  yaml.append("conveyors:\n  - {name: belt, capacity: ")
      .append(std::to_string(static_cast<int>(kL / kPart.size_x + 1e-9)))
      .append(", transport_time: {constant: ")
      .append(std::to_string(kL / kV))
      .append("}}\n");
  yaml.append(
      "stations:\n  - {name: feed, input: [In], output: belt, cycle_time: {constant: 0.001}}\n");
  yaml.append("  - {name: take, input: [belt], output: Out, cycle_time: {constant: ")
      .append(std::to_string(cycle_s))
      .append("}}\nsinks:\n  - name: Out\n");
  const SceneLoadResult scene = test::load_scene_or_fail(yaml);
  RunOptions o;
  o.horizon_s = horizon_s;
  o.warmup_s = warmup_s;
  const ReplicationKpis k = run_replication(scene.model, o);
  DesResult r;
  r.throughput_per_s = k.line.throughput_per_h / 3600.0;
  for (size_t i = 0; i < scene.model.nodes.size(); ++i) {
    if (scene.model.nodes[i].name == "belt") {
      r.belt_mean = k.nodes[i].mean_level;
      r.belt_max = k.nodes[i].max_level;
    }
  }
  return r;
}

uint64_t bits(double v) {
  return std::bit_cast<uint64_t>(v);
}

TEST(ConveyorLine, FreeFlowMatchesDesThroughputAndTransferTime) {
  const double a = 2.0, c = 1.5;  // feed slower than the consumer: throughput 1 / a
  ConveyorLine line(line_spec(a, c, 200));
  line.advance_to(400.0);
  const double t0 = 30.0, t1 = 390.0;
  const double physics = takeoff_rate(line, t0, t1);
  const DesResult des = run_des(a, c, t0, t1);
  EXPECT_NEAR(physics, 1.0 / a, 0.02 / a);
  EXPECT_NEAR(physics, des.throughput_per_s, 0.02 * des.throughput_per_s);

  const double expected = (kL - kPart.size_x) / kV + kV / (2.0 * kMu * kG);
  double worst = 0.0, sum = 0.0;
  int n = 0;
  for (const PartRecord& r : line.records()) {
    if (r.arrived_s < 0.0) continue;
    const double transfer = r.arrived_s - r.put_on_s;
    worst = std::max(worst, std::abs(transfer - expected));
    sum += transfer;
    ++n;
  }
  ASSERT_GT(n, 150);
  EXPECT_LT(worst, 4 * kDt);
  EXPECT_TRUE(line.jams().empty())
      << line.jams().size() << " jams, first at " << line.jams()[0].time_s;
  std::printf(
      "[ figures  ] free flow a=%.1f c=%.1f: physics %.5f /s, DES %.5f /s, 1/a %.5f /s; "
      "transfer mean %.4f s (closed form %.4f s, worst diff %.2e s), DES L/v %.3f s\n",
      a, c, physics, des.throughput_per_s, 1.0 / a, sum / n, expected, worst, kL / kV);
}

TEST(ConveyorLine, AccumulatesToCapacityLikeDes) {
  const double a = 1.0, c = 2.0;  // consumer slower: the belt fills, throughput 1 / c
  ConveyorLine line(line_spec(a, c, 300));
  ASSERT_EQ(line.capacity(), 20);
  const double t0 = 100.0, t1 = 300.0;
  line.advance_to(t0);
  int max_on = 0;
  double area = 0.0;  // [parts s]
  while (line.time_s() < t1 - 1e-9) {
    line.step();
    max_on = std::max(max_on, line.parts_on_belt());
    area += line.parts_on_belt() * kDt;
  }
  const double mean_on = area / (t1 - t0);
  const double physics = takeoff_rate(line, t0, t1);
  const DesResult des = run_des(a, c, t0, t1);
  EXPECT_NEAR(physics, 1.0 / c, 0.02 / c);
  EXPECT_NEAR(physics, des.throughput_per_s, 0.02 * des.throughput_per_s);
  EXPECT_EQ(max_on, line.capacity());
  EXPECT_EQ(des.belt_max, line.capacity());
  EXPECT_NEAR(mean_on, des.belt_mean, 1.0);
  EXPECT_GT(line.parts_waiting(), 50);  // the feeder is blocked, as the DES source queue
  EXPECT_TRUE(line.jams().empty()) << line.jams().size() << " jams, first part "
                                   << line.jams()[0].part << " at " << line.jams()[0].time_s;
  std::printf(
      "[ figures  ] accumulation a=%.1f c=%.1f: physics %.5f /s, DES %.5f /s; on belt max %d "
      "(DES %lld, capacity %d), mean %.3f (DES %.3f)\n",
      a, c, physics, des.throughput_per_s, max_on, static_cast<long long>(des.belt_max),
      line.capacity(), mean_on, des.belt_mean);
}

TEST(ConveyorLine, SkewedPartIsAJam) {
  ConveyorLineSpec s = line_spec(3.0, 1.0, 3);
  s.feed[1].yaw_rad = 0.6;  // [rad] ~34 degrees, no guides
  ConveyorLine line(std::move(s));
  line.advance_to(20.0);
  // The skewed part is reported; it then blocks the stop (its centre cannot reach the stop
  // position), and the part behind it waits in its queue.
  ASSERT_GE(line.jams().size(), 1u);
  EXPECT_EQ(line.jams()[0].part, 1);
  EXPECT_EQ(line.jams()[0].reason, JamReason::kSkewed);
  for (const Jam& j : line.jams()) {
    std::printf("[ figures  ] jam: part %d reason %d at %.3f s, x %.3f m, yaw %.3f rad\n", j.part,
                static_cast<int>(j.reason), j.time_s, j.x_m, j.yaw_rad);
  }
  EXPECT_EQ(line.jams().size(), 1u);
  EXPECT_EQ(line.records()[0].taken_off_s >= 0.0, true);  // the straight part before it flowed
  EXPECT_GT(std::abs(line.jams()[0].yaw_rad), 0.26);
}

// The same skewed part with an operator who comes 15 s after each jam: the skewed part is still
// skewed then and is taken off (cleared); the parts behind it waited in its queue (not jams of
// their own) and are taken off by the consumer.
TEST(ConveyorLine, OperatorClearsAJamAndTheLineFlowsAgain) {
  ConveyorLineSpec s = line_spec(3.0, 1.0, 4);
  s.feed[1].yaw_rad = 0.6;
  s.jam_clear_s = 15.0;
  ConveyorLine line(std::move(s));
  line.advance_to(80.0);
  ASSERT_EQ(line.jams().size(), 1u);
  const Jam& skewed = line.jams()[0];
  EXPECT_EQ(skewed.part, 1);
  EXPECT_EQ(skewed.reason, JamReason::kSkewed);
  EXPECT_TRUE(skewed.removed);
  EXPECT_NEAR(skewed.cleared_s, skewed.time_s + 15.0, kDt + 1e-9);
  EXPECT_EQ(line.records()[1].cleared_s, skewed.cleared_s);
  EXPECT_LT(line.records()[1].taken_off_s, 0.0);
  EXPECT_EQ(line.parts_cleared(), 1);
  EXPECT_EQ(line.parts_taken(), 3);
  for (int r : {0, 2, 3}) EXPECT_GE(line.records()[static_cast<size_t>(r)].taken_off_s, 0.0) << r;
}

// The same skewed feed with side guides: the guides funnel the part at the entry (it is put on
// turned by at most the angle at which it fits between them), so it rides straight enough and
// every part flows.
TEST(ConveyorLine, GuidesFunnelASkewedPart) {
  ConveyorLineSpec s = line_spec(3.0, 1.0, 3);
  s.feed[1].yaw_rad = 0.6;  // [rad] ~34 degrees
  s.guide_clearance_m = 0.01;
  const double a = 0.5 * s.parts[0].size_x, b = 0.5 * s.parts[0].size_y, inner = b + 0.01;
  ConveyorLine line(std::move(s));
  while (line.records()[1].put_on_s < 0.0) line.step();
  const double yaw = line.world().part_yaw(line.records()[1].body);
  // Put on turned the same way, and as far as fits: a|sin| + b|cos| = inner, to the bisection's
  // precision and one step of motion.
  EXPECT_GT(yaw, 0.0);
  EXPECT_NEAR(a * std::sin(yaw) + b * std::cos(yaw), inner, 1e-4);
  line.advance_to(20.0);
  EXPECT_TRUE(line.jams().empty()) << line.jams().size() << " jams";
  for (const PartRecord& r : line.records()) EXPECT_GE(r.taken_off_s, 0.0);
  std::printf("[ figures  ] guided entry yaw %.4f rad (fed 0.6)\n", yaw);
}

// Without guides a part is put on as fed, whatever its yaw.
TEST(ConveyorLine, NoGuidesKeepTheFedYaw) {
  ConveyorLineSpec s = line_spec(3.0, 1.0, 1);
  s.feed[0].yaw_rad = 0.6;
  ConveyorLine line(std::move(s));
  line.step();
  EXPECT_NEAR(line.world().part_yaw(line.records()[0].body), 0.6, 1e-6);
}

TEST(ConveyorLine, PartThatDoesNotMoveIsAStall) {
  ConveyorLineSpec s = line_spec(1.0, 1.0, 1);
  s.belt.friction = 0.0;  // the belt slides under the part: it never moves
  ConveyorLine line(std::move(s));
  line.advance_to(1.9);
  EXPECT_TRUE(line.jams().empty());  // not before stall_time_s
  line.advance_to(3.0);
  ASSERT_EQ(line.jams().size(), 1u);
  EXPECT_EQ(line.jams()[0].reason, JamReason::kStalled);
  EXPECT_NEAR(line.jams()[0].time_s, 2.0, 2 * kDt);
}

// A head pushed turned by the queue behind it, under the skew limit, rests with its corner on the
// stop, short of the pick position: one jam, "turned at the stop"; the parts queued behind it
// wait in its queue and are not jams of their own (before, each was reported as stalled). The
// operator takes it off.
TEST(ConveyorLine, HeadTurnedAtTheStopIsOneJamNotAQueueOfStalls) {
  // Shafts (300 x 80 mm, 11.8 kg) on a 12 m belt at 0.2 m/s, one a second, taken every 70 s: the
  // queue's push turns parts at the stop (as on machining20's C09).
  ConveyorLineSpec s = line_spec(1.0, 70.0, 12);
  s.belt.length_m = 12.0;
  s.belt.speed_mps = 0.2;
  s.parts = {PartSpec{.size_x = 0.3, .size_y = 0.08, .size_z = 0.08, .mass_kg = 11.8}};
  s.jam_clear_s = 60.0;
  ConveyorLine line(s);
  line.advance_to(900.0);
  const auto turned = std::find_if(line.jams().begin(), line.jams().end(), [](const Jam& j) {
    return j.reason == JamReason::kTurnedAtStop;
  });
  ASSERT_NE(turned, line.jams().end());
  std::printf("[ figures  ] part %d turned at the stop at %.1f s: x %.3f m, yaw %.3f rad\n",
              turned->part, turned->time_s, turned->x_m, turned->yaw_rad);
  for (const Jam& j : line.jams()) {
    std::printf("[ figures  ]   jam: part %d %s at %.1f s, x %.3f m, yaw %.3f rad\n", j.part,
                jam_reason_name(j.reason), j.time_s, j.x_m, j.yaw_rad);
  }
  EXPECT_LT(std::abs(turned->yaw_rad), s.skew_limit_rad);  // not a skewed part
  EXPECT_GT(std::abs(turned->yaw_rad), 0.1);
  EXPECT_LT(turned->x_m, s.belt.length_m - 0.5 * s.parts[0].size_x - s.stop_tolerance_m);
  EXPECT_TRUE(turned->removed);  // still turned when the operator came
  // The parts queued behind it wait, and so do parts that rolled against the part ahead of them
  // (they touch it, though their upright extents do not meet): no stall is reported in the whole
  // run (before contacts counted, parts 5-11 were listed as stalled at 189 s).
  for (const Jam& j : line.jams())
    EXPECT_NE(j.reason, JamReason::kStalled) << "part " << j.part << " at " << j.time_s;
}

void expect_same(const ConveyorLine& x, const ConveyorLine& y) {
  ASSERT_EQ(x.steps(), y.steps());
  ASSERT_EQ(x.records().size(), y.records().size());
  for (size_t i = 0; i < x.records().size(); ++i) {
    const PartRecord& p = x.records()[i];
    const PartRecord& q = y.records()[i];
    EXPECT_EQ(bits(p.put_on_s), bits(q.put_on_s)) << i;
    EXPECT_EQ(bits(p.arrived_s), bits(q.arrived_s)) << i;
    EXPECT_EQ(bits(p.taken_off_s), bits(q.taken_off_s)) << i;
    EXPECT_EQ(p.body, q.body) << i;
  }
  ASSERT_EQ(x.world().part_count(), y.world().part_count());
  for (int b = 0; b < x.world().part_count(); ++b) {
    EXPECT_EQ(bits(x.world().part_x(b)), bits(y.world().part_x(b))) << b;
    EXPECT_EQ(bits(x.world().part_y(b)), bits(y.world().part_y(b))) << b;
    EXPECT_EQ(bits(x.world().part_yaw(b)), bits(y.world().part_yaw(b))) << b;
    EXPECT_EQ(bits(x.world().part_speed(b)), bits(y.world().part_speed(b))) << b;
  }
  EXPECT_EQ(x.jams().size(), y.jams().size());
}

TEST(ConveyorLine, DeterministicAndForksContinueIdentically) {
  const ConveyorLineSpec s = line_spec(1.0, 2.0, 60);  // accumulating: many contacts
  ConveyorLine a(s), b(s);
  a.advance_to(40.0);
  b.advance_to(40.0);
  expect_same(a, b);
  std::unique_ptr<ConveyorLine> fork = a.fork();
  expect_same(a, *fork);
  a.advance_to(70.0);
  fork->advance_to(70.0);
  expect_same(a, *fork);
  EXPECT_GT(a.parts_taken(), 15);  // the run did something
  // A different spec gives different records (the comparison can fail).
  ConveyorLineSpec other = s;
  other.consumer_cycle_s = 2.1;
  ConveyorLine c(other);
  c.advance_to(70.0);
  EXPECT_NE(bits(c.records()[20].taken_off_s), bits(a.records()[20].taken_off_s));
}

// A live feed: parts appended one by one, each a little before it is due, give the same run bit
// for bit as the whole feed at construction; an item whose time has passed goes on at once.
TEST(ConveyorLine, FeedAppendedAsItComesRunsAsTheWholeFeed) {
  const ConveyorLineSpec s = line_spec(1.0, 2.0, 60);
  ConveyorLine whole(s);
  ConveyorLineSpec empty = s;
  empty.feed.clear();
  ConveyorLine live(empty);
  for (const FeedItem& item : s.feed) {
    live.advance_to(std::max(item.time_s - 0.5, live.time_s()));
    live.append_feed(item);
  }
  EXPECT_EQ(live.feed_size(), s.feed.size());
  whole.advance_to(70.0);
  live.advance_to(70.0);
  expect_same(whole, live);
  EXPECT_GT(live.parts_taken(), 15);

  // Late: due 5 s ago, put on within the next step; earlier than the last item: raised to it.
  ConveyorLine late(empty);
  late.advance_to(10.0);
  late.append_feed({5.0, 0.0});
  late.append_feed({4.0, 0.0});
  late.advance_to(10.1);
  ASSERT_EQ(late.records().size(), 2u);
  EXPECT_NEAR(late.records()[0].put_on_s, 10.0, 0.02);
  EXPECT_EQ(late.spec().feed[1].time_s, 5.0);
  EXPECT_THROW(late.append_feed({std::nan(""), 0.0}), std::invalid_argument);
}

// machining20's two parts, shaft and flange, on the same belt.
constexpr PartSpec kShaft{.size_x = 0.30, .size_y = 0.08, .size_z = 0.08, .mass_kg = 11.8};
constexpr PartSpec kFlange{.size_x = 0.20, .size_y = 0.20, .size_z = 0.05, .mass_kg = 12.3};

// A mixed feed: shafts and flanges alternating, one a second, faster than the consumer (one every
// 3 s), so the belt fills. Each part is taken off at its own pick position (its centre half its
// own length before the stop), the queue lies nose to tail with each part's own length, and the
// belt holds as many as their lengths allow; the throughput is the consumer's.
TEST(ConveyorLine, MixedPartsQueueAndArePickedWithTheirOwnSizes) {
  ConveyorLineSpec s;
  s.belt = BeltSpec{.length_m = kL, .width_m = 0.4, .speed_mps = kV, .friction = kMu};
  s.parts = {kShaft, kFlange};
  s.consumer_cycle_s = 3.0;
  for (int i = 0; i < 120; ++i)
    s.feed.push_back(FeedItem{.time_s = i * 1.0, .part = static_cast<uint16_t>(i % 2)});
  ConveyorLine line(s);
  EXPECT_EQ(line.capacity(), 13);  // floor(4 / 0.3): of the longest part
  for (size_t r = 0; r < line.records().size(); ++r) EXPECT_EQ(line.records()[r].part, r % 2);

  double worst_pick = 0.0, worst_gap = 0.0;  // [m]
  int taken = 0, queues_checked = 0;
  while (line.time_s() < 200.0) {
    line.step();
    if (line.parts_taken() > taken) {  // the head just taken off: where it was then
      const PartRecord& head = line.records()[static_cast<size_t>(taken)];
      ASSERT_GE(head.taken_off_s, 0.0);
      const double pick_x = kL - 0.5 * line.part_of(taken).size_x;
      worst_pick = std::max(worst_pick, std::abs(line.world().part_x(head.body) - pick_x));
      taken = line.parts_taken();
    }
    // Once a second, the queue behind the head: each part's front against the rear of the one
    // ahead, whatever their kinds.
    if (line.steps() % BeltWorld::kStepsPerSecond != 0 || line.time_s() < 60.0) continue;
    ++queues_checked;
    double ahead_rear = -1.0;
    for (size_t r = 0; r < line.records().size(); ++r) {
      const PartRecord& rec = line.records()[r];
      if (rec.body < 0 || line.world().part_removed(rec.body)) continue;
      const double x = line.world().part_x(rec.body),
                   half = 0.5 * line.part_of(static_cast<int>(r)).size_x;
      // Only the queue at the stop (parts at rest), not the parts still riding towards it.
      if (std::abs(line.world().part_speed(rec.body)) >= 0.02) break;
      if (ahead_rear >= 0.0) worst_gap = std::max(worst_gap, std::abs(ahead_rear - (x + half)));
      ahead_rear = x - half;
    }
  }
  EXPECT_GT(taken, 60);
  EXPECT_LT(worst_pick, s.stop_tolerance_m + 1e-9);
  EXPECT_LT(worst_gap, 0.01);
  EXPECT_GT(queues_checked, 100);
  EXPECT_NEAR(takeoff_rate(line, 60.0, 195.0), 1.0 / 3.0, 0.02 / 3.0);
  EXPECT_TRUE(line.jams().empty()) << line.jams().size() << " jams, first part "
                                   << line.jams()[0].part << " at " << line.jams()[0].time_s;
  std::printf(
      "[ figures  ] mixed belt: %d taken, worst pick position %.2e m, worst gap in the queue "
      "%.2e m, %d on the belt at 200 s (capacity %d)\n",
      taken, worst_pick, worst_gap, line.parts_on_belt(), line.capacity());
}

// Guides are set for the widest part: a flange fits with the clearance, a shaft has play. A shaft
// fed turned 0.6 rad is funnelled only to the angle at which it spans the flange's width, still
// past the skew limit, and is reported skewed: guides set for flanges do not square shafts up.
TEST(ConveyorLine, GuidesAreSetForTheWidestPart) {
  ConveyorLineSpec s;
  s.belt = BeltSpec{.length_m = kL, .width_m = 0.4, .speed_mps = kV, .friction = kMu};
  s.parts = {kShaft, kFlange};
  s.consumer_cycle_s = 1.0;
  s.guide_clearance_m = 0.01;
  s.feed = {FeedItem{.time_s = 0.0, .yaw_rad = 0.0, .part = 1},
            FeedItem{.time_s = 3.0, .yaw_rad = 0.6, .part = 0}};
  ConveyorLine line(s);
  const double inner = 0.5 * kFlange.size_y + 0.01;  // [m]
  const FixtureSpec& guide = line.world().fixtures()[2];
  EXPECT_NEAR(guide.y - 0.5 * guide.size_y, inner, 1e-12);
  while (line.records()[1].put_on_s < 0.0) line.step();
  const double yaw = line.world().part_yaw(line.records()[1].body);
  const double a = 0.5 * kShaft.size_x, b = 0.5 * kShaft.size_y;
  EXPECT_NEAR(a * std::sin(yaw) + b * std::cos(yaw), inner, 1e-4);
  EXPECT_GT(yaw, s.skew_limit_rad);
  line.advance_to(15.0);
  ASSERT_FALSE(line.jams().empty());
  EXPECT_EQ(line.jams()[0].part, 1);
  EXPECT_EQ(line.jams()[0].reason, JamReason::kSkewed);
  EXPECT_GE(line.records()[0].taken_off_s, 0.0);  // the flange flowed
  std::printf("[ figures  ] shaft between flange guides: put on at %.4f rad (fed 0.6)\n", yaw);
}

TEST(ConveyorLine, RejectsBadSpecs) {
  ConveyorLineSpec s = line_spec(1.0, 0.0, 1);
  EXPECT_THROW(ConveyorLine{s}, std::invalid_argument);
  s = line_spec(1.0, 1.0, 2);
  s.feed[1].time_s = -1.0;
  EXPECT_THROW(ConveyorLine{s}, std::invalid_argument);
  s = line_spec(1.0, 1.0, 2);
  s.parts.clear();
  EXPECT_THROW(ConveyorLine{s}, std::invalid_argument);
  s = line_spec(1.0, 1.0, 2);
  s.feed[1].part = 1;  // there is one part
  EXPECT_THROW(ConveyorLine{s}, std::invalid_argument);
  s = line_spec(1.0, 1.0, 2);
  s.parts[0].size_y = 0.0;
  EXPECT_THROW(ConveyorLine{s}, std::invalid_argument);
  ConveyorLine line(line_spec(1.0, 1.0, 1));
  EXPECT_THROW(line.append_feed({.time_s = 2.0, .yaw_rad = 0.0, .part = 1}), std::invalid_argument);
}

}  // namespace
}  // namespace twin
