// The physics view's follower (viewer/physics_follower.h): its snapshot at a clock is the Bullet
// conveyor advanced straight to that time, bit for bit, however the clock got there (forwards,
// backwards: re-created by replay, after a new setup); the belt runs in working time; the line
// model's counts beside it are its traffic up to that time; a scene element without physics is
// refused with a message and the running setup kept. The same for a robot-loaded station's cell.
#include "viewer/physics_follower.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "models/physics/scene_robot.h"
#include "tests/support/scenes.h"

namespace twin::viewer {
namespace {

constexpr double kHorizonS = 8 * 3600.0;
constexpr uint64_t kSeed = 42;
constexpr double kWaitS = 300.0;  // [s wall] generous: a slow machine under ctest -j

const Model& machining20() {
  return test::sample_model("machining20.yaml");
}

uint32_t c09() {
  const int32_t n = machining20().find_node("C09_HardeningInfeed");
  EXPECT_GE(n, 0);
  return static_cast<uint32_t>(n);
}

// The snapshot's poses and counts against a line stepped directly to `working_s`.
void expect_matches_direct_run(const PhysicsSnapshot& snap, const ConveyorLineSpec& spec,
                               double working_s) {
  ConveyorLine line(spec);
  line.advance_to(working_s);
  EXPECT_EQ(snap.steps, line.steps());
  EXPECT_EQ(snap.time_s, line.time_s());
  EXPECT_EQ(snap.taken, line.parts_taken());
  EXPECT_EQ(snap.cleared, line.parts_cleared());
  EXPECT_EQ(snap.waiting, line.parts_waiting());
  EXPECT_EQ(snap.jams.size(), line.jams().size());
  size_t k = 0;
  int fallen = 0;
  for (size_t r = 0; r < line.records().size(); ++r) {
    const PartRecord& rec = line.records()[r];
    if (rec.body < 0 || line.world().part_removed(rec.body)) continue;
    if (line.world().part_z(rec.body) < -0.5) {  // fell off the belt: counted, not drawn
      ++fallen;
      continue;
    }
    ASSERT_LT(k, snap.parts.size());
    const PhysicsPartPose& p = snap.parts[k++];
    EXPECT_EQ(p.record, static_cast<int32_t>(r));
    EXPECT_EQ(p.part, rec.part);
    EXPECT_EQ(p.x_m, static_cast<float>(line.world().part_x(rec.body)));
    EXPECT_EQ(p.y_m, static_cast<float>(line.world().part_y(rec.body)));
    EXPECT_EQ(p.z_m, static_cast<float>(line.world().part_z(rec.body)));
    EXPECT_EQ(p.yaw_rad, static_cast<float>(line.world().part_yaw(rec.body)));
  }
  EXPECT_EQ(k, snap.parts.size());
  EXPECT_EQ(fallen, snap.fallen);
}

TEST(PhysicsFollower, SnapshotIsTheDirectRunAtTheClockForwardsAndBackwards) {
  const Model& model = machining20();
  PhysicsFollower follower(model, kHorizonS, kSeed);
  std::string why;
  ASSERT_TRUE(follower.configure(PhysicsSetup{.node = c09()}, why)) << why;
  ASSERT_NE(follower.spec(), nullptr);
  EXPECT_EQ(follower.product_name(), "shaft");
  // The stop across the belt's end (no guides asked for).
  ASSERT_EQ(follower.fixtures().size(), 1u);
  EXPECT_GT(follower.fixtures()[0].x, follower.spec()->belt.length_m);

  PhysicsSnapshot snap;
  for (const double t : {1500.0, 600.0, 900.0}) {  // forwards, back (replay), forwards again
    follower.follow(t);
    ASSERT_TRUE(follower.wait(kWaitS)) << t;
    follower.snapshot(snap);
    ASSERT_TRUE(snap.ready);
    EXPECT_FALSE(snap.rebuilding);
    EXPECT_EQ(snap.target_s, t);  // no break before 4 h: working time is calendar time
    SCOPED_TRACE(t);
    expect_matches_direct_run(snap, *follower.spec(), t);
    EXPECT_GT(snap.taken, 0);
    // The line model's counts beside the physics: its traffic up to the clock.
    const ConveyorTraffic traffic = conveyor_traffic(model, c09(), kHorizonS, kSeed);
    const auto upto = [&](const std::vector<double>& v) {
      return static_cast<uint64_t>(std::upper_bound(v.begin(), v.end(), snap.time_s) - v.begin());
    };
    EXPECT_EQ(snap.des_put_on, upto(traffic.put_on_s));
    EXPECT_EQ(snap.des_taken, upto(traffic.taken_s));
    // Everything put on by the physics is the feed the line model made, less what waits.
    EXPECT_EQ(static_cast<uint64_t>(snap.taken) + static_cast<uint64_t>(snap.cleared) +
                  snap.parts.size() + static_cast<uint64_t>(snap.fallen) +
                  static_cast<uint64_t>(snap.waiting),
              snap.des_put_on);
  }
}

// A live source: the parts come as the plant reports them. The belt, fed piece by piece up to
// what is known, is the direct run of the whole feed; asked for a later clock than the plant
// has reported, it waits at the report.
TEST(PhysicsFollower, LiveFeedGrowsAndThePhysicsWaitsForTheReports) {
  const Model& model = machining20();
  // The plant's reports: C09's producer passes parts on when the line model puts them on.
  const std::vector<double> put_on = conveyor_traffic(model, c09(), kHorizonS, kSeed).put_on_s;
  const Station& producer = model.stations[model.nodes[c09()].producers.front()];
  const auto reported = [&](double until_s) {
    auto parts = std::make_shared<RecordedParts>();
    parts->started_s.resize(model.machine_count());
    parts->finished_s.resize(model.machine_count());
    for (double t : put_on) {
      if (t <= until_s) parts->finished_s[producer.first_machine].push_back(t);
    }
    return parts;
  };
  PhysicsFollower follower(model, kHorizonS, kSeed);
  follower.extend_live(reported(0.0), 0.0);
  EXPECT_TRUE(follower.live());
  std::string why;
  ASSERT_TRUE(follower.configure(PhysicsSetup{.node = c09()}, why)) << why;
  PhysicsSnapshot snap;
  for (double known = 300.0; known <= 1500.0; known += 300.0) {
    follower.extend_live(reported(known), known);
    follower.follow(known);
    ASSERT_TRUE(follower.wait(kWaitS)) << known;
  }
  follower.snapshot(snap);
  EXPECT_EQ(snap.target_s, 1500.0);
  ConveyorLineSpec whole = *follower.spec();
  whole.feed.clear();
  for (double t : put_on) {
    if (t <= 1500.0) whole.feed.push_back({t, 0.0});
  }
  ASSERT_GT(whole.feed.size(), 10u);
  expect_matches_direct_run(snap, whole, 1500.0);
  EXPECT_EQ(snap.des_put_on, whole.feed.size());

  // The clock runs ahead of the reports: the physics stops at the last report.
  follower.follow(2400.0);
  ASSERT_TRUE(follower.wait(kWaitS));
  follower.snapshot(snap);
  EXPECT_EQ(snap.target_s, 1500.0);
  EXPECT_NEAR(snap.time_s, 1500.0, BeltWorld::kStepS);
  // Reports without new parts (counters sampled, unchanged) let it run on to them.
  follower.live_reported_until(1800.0);
  ASSERT_TRUE(follower.wait(kWaitS));
  follower.snapshot(snap);
  EXPECT_EQ(snap.target_s, 1800.0);
  EXPECT_EQ(snap.des_put_on, whole.feed.size());
  follower.extend_live(reported(2400.0), 2400.0);
  ASSERT_TRUE(follower.wait(kWaitS));
  follower.snapshot(snap);
  EXPECT_EQ(snap.target_s, 2400.0);
  EXPECT_GT(snap.des_put_on, whole.feed.size());
}

// The belt stands in the meal break (4:00-4:30): a clock in the break asks for the belt at the
// break's start; after it, for calendar time less the break.
TEST(PhysicsFollower, BeltRunsInWorkingTime) {
  const Model& model = machining20();
  ASSERT_FALSE(model.calendar.empty());
  PhysicsFollower follower(model, kHorizonS, kSeed);  // not configured: nothing steps
  follower.follow(4 * 3600.0 + 600.0);
  EXPECT_EQ(follower.target_s(), 4 * 3600.0);
  follower.follow(4.5 * 3600.0 + 60.0);
  EXPECT_EQ(follower.target_s(), 4 * 3600.0 + 60.0);
  follower.follow(1234.5);
  EXPECT_EQ(follower.target_s(), 1234.5);
  follower.follow(1e9);  // clamped to the horizon: 8 h less the break
  EXPECT_EQ(follower.target_s(), 7.5 * 3600.0);
}

// A new setup starts over from the shift start: skewed parts without guides jam, and the same
// skews with guides (which funnel the parts at the entry) do not; a refused setup keeps the
// running one.
TEST(PhysicsFollower, NewSetupStartsOverAndBadOnesAreRefused) {
  const Model& model = machining20();
  PhysicsFollower follower(model, kHorizonS, kSeed);
  std::string why;
  ASSERT_TRUE(follower.configure(PhysicsSetup{.node = c09(), .max_skew_deg = 30.0}, why)) << why;
  PhysicsSnapshot skewed, guided;
  follower.follow(1800.0);
  ASSERT_TRUE(follower.wait(kWaitS));
  follower.snapshot(skewed);
  expect_matches_direct_run(skewed, *follower.spec(), 1800.0);
  EXPECT_FALSE(skewed.jams.empty());

  ASSERT_TRUE(follower.configure(
      PhysicsSetup{.node = c09(), .max_skew_deg = 30.0, .guide_clearance_m = 0.01}, why))
      << why;
  EXPECT_EQ(follower.fixtures().size(), 3u);  // the stop and two guides
  ASSERT_TRUE(follower.wait(kWaitS));
  follower.snapshot(guided);
  expect_matches_direct_run(guided, *follower.spec(), 1800.0);
  EXPECT_TRUE(guided.jams.empty()) << guided.jams.size() << " jams";
  EXPECT_EQ(guided.fallen, 0);
  EXPECT_GE(guided.taken, skewed.taken);
  std::printf(
      "[ figures  ] C09 at 0:30, feed skew up to 30 deg: %zu jams, %d taken off without "
      "guides; %zu jams, %d taken off with 10 mm guides (line model %llu)\n",
      skewed.jams.size(), skewed.taken, guided.jams.size(), guided.taken,
      static_cast<unsigned long long>(guided.des_taken));

  // Not a physics conveyor (a buffer), and a skew out of range: refused, with the reason.
  const int32_t buffer = model.find_node("B01");
  ASSERT_GE(buffer, 0);
  EXPECT_FALSE(follower.configure(PhysicsSetup{.node = static_cast<uint32_t>(buffer)}, why));
  EXPECT_NE(why.find("B01"), std::string::npos) << why;
  EXPECT_FALSE(follower.configure(PhysicsSetup{.node = c09(), .max_skew_deg = 120.0}, why));
  EXPECT_NE(why.find("skew"), std::string::npos) << why;
  EXPECT_FALSE(follower.configure(PhysicsSetup{.node = c09(), .friction = -1.0}, why));
  EXPECT_FALSE(why.empty());
  ASSERT_TRUE(follower.setup().has_value());
  EXPECT_EQ(follower.setup()->guide_clearance_m, 0.01);
  follower.follow(1800.0);
  ASSERT_TRUE(follower.wait(kWaitS));
  PhysicsSnapshot still;
  follower.snapshot(still);
  EXPECT_EQ(still.taken, guided.taken);
}

uint32_t harden() {
  const int32_t s = machining20().find_station("Harden_OP80");
  EXPECT_GE(s, 0);
  return static_cast<uint32_t>(s);
}

// The robot cell's snapshot against a cell stepped directly to `working_s`: the planned joints,
// the parts in the cell (on the nest, held, on the fixture) and the counts.
void expect_matches_direct_cell(const PhysicsSnapshot& snap, const RobotCellSpec& spec,
                                double working_s) {
  RobotCell cell(spec);
  cell.advance_to(working_s);
  EXPECT_EQ(snap.steps, cell.steps());
  EXPECT_EQ(snap.time_s, cell.time_s());
  EXPECT_EQ(snap.phase, cell.phase());
  EXPECT_EQ(snap.placed, cell.parts_placed());
  for (int j = 0; j < kScaraJoints; ++j) EXPECT_EQ(snap.joints[j], cell.joints()[j]) << j;
  int taken = 0, waiting = 0;
  size_t k = 0;
  for (size_t r = 0; r < cell.records().size(); ++r) {
    const RobotRecord& rec = cell.records()[r];
    taken += rec.taken_s >= 0.0;
    waiting += rec.on_nest_s < 0.0 && rec.due_s <= cell.time_s();
    if (rec.on_nest_s < 0.0 || rec.taken_s >= 0.0) continue;
    ASSERT_LT(k, snap.parts.size());
    const PhysicsPartPose& p = snap.parts[k++];
    const ToolPose pose = cell.part_pose(static_cast<int>(r));
    EXPECT_EQ(p.record, static_cast<int32_t>(r));
    EXPECT_EQ(p.x_m, static_cast<float>(pose.x_m));
    EXPECT_EQ(p.y_m, static_cast<float>(pose.y_m));
    EXPECT_EQ(p.z_m, static_cast<float>(pose.z_m));
    EXPECT_EQ(p.yaw_rad, static_cast<float>(pose.yaw_rad));
    EXPECT_EQ(p.state == PhysicsPartState::kHeld, rec.picked_s >= 0.0 && rec.placed_s < 0.0);
  }
  EXPECT_EQ(k, snap.parts.size());
  EXPECT_EQ(snap.taken, taken);
  EXPECT_EQ(snap.waiting, waiting);
}

// A robot-loaded station: the same follower steps its cell, fed with the station's arrivals in
// the viewer's run; forwards, back (replay) and forwards again it is the direct run, and the line
// model's counts beside it are the station's arrivals and finishes up to the clock.
TEST(PhysicsFollower, RobotCellIsTheDirectRunAtTheClock) {
  const Model& model = machining20();
  PhysicsFollower follower(model, kHorizonS, kSeed);
  std::string why;
  ASSERT_TRUE(follower.configure(PhysicsSetup{.station = static_cast<int32_t>(harden())}, why))
      << why;
  ASSERT_NE(follower.robot_spec(), nullptr);
  EXPECT_EQ(follower.spec(), nullptr);
  EXPECT_TRUE(follower.fixtures().empty());
  EXPECT_EQ(follower.product_name(), "shaft");
  EXPECT_GT(follower.robot_cycle_s(), 0.0);
  EXPECT_GT(follower.robot_plan_exchange_s(), 0.0);
  const StationTraffic traffic = station_traffic(model, harden(), kHorizonS, kSeed);
  PhysicsSnapshot snap;
  for (const double t : {1500.0, 600.0, 1836.0}) {
    SCOPED_TRACE(t);
    follower.follow(t);
    ASSERT_TRUE(follower.wait(kWaitS));
    follower.snapshot(snap);
    ASSERT_TRUE(snap.ready);
    expect_matches_direct_cell(snap, *follower.robot_spec(), t);
    const auto upto = [&](const std::vector<double>& v) {
      return static_cast<uint64_t>(std::upper_bound(v.begin(), v.end(), snap.time_s) - v.begin());
    };
    EXPECT_EQ(snap.des_put_on, upto(traffic.arrived_s));
    EXPECT_EQ(snap.des_taken, upto(traffic.finished_s));
    if (t > 1000.0) {  // the first parts reach Harden after the line has filled
      EXPECT_GT(snap.taken, 0);
      EXPECT_FALSE(snap.parts.empty());  // one on the fixture at least (a 70 s cycle)
    }
  }
  // A station without a robot is refused, and the cell keeps running.
  const int32_t saw = model.find_station("Saw");
  EXPECT_FALSE(follower.configure(PhysicsSetup{.station = saw}, why));
  EXPECT_NE(why.find("Saw"), std::string::npos) << why;
  ASSERT_TRUE(follower.setup().has_value());
  EXPECT_EQ(follower.setup()->station, static_cast<int32_t>(harden()));
  // And back to the belt: the same follower steps the conveyor again.
  ASSERT_TRUE(follower.configure(PhysicsSetup{.node = c09()}, why)) << why;
  EXPECT_EQ(follower.robot_spec(), nullptr);
  ASSERT_TRUE(follower.wait(kWaitS));
  follower.snapshot(snap);
  expect_matches_direct_run(snap, *follower.spec(), 1836.0);
}

TEST(PhysicsFollower, WaitBeforeAnySetupFails) {
  PhysicsFollower follower(machining20(), kHorizonS, kSeed);
  follower.follow(100.0);
  EXPECT_FALSE(follower.wait(0.05));
  PhysicsSnapshot snap;
  follower.snapshot(snap);
  EXPECT_FALSE(snap.ready);
}

}  // namespace
}  // namespace twin::viewer
