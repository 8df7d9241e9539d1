// RobotCell against the closed form of its motion profile, and the drop against the station.
//
// The cell: a SCARA (links 0.4 m and 0.3 m, shoulder at the origin) picks 0.10 x 0.08 x 0.06 m
// parts of 0.5 kg off a nest whose top is at z = 0.10 m, at (0.45, -0.35) m, and places them on a
// station whose top is at z = 0.20 m, at (0.20, 0.50) m, turned by 90 degrees; it travels at
// z = 0.35 m. Every move is rest to rest with a trapezoidal velocity profile per joint, so a move
// over d with limits v, a takes
//   t = d / v + v / a      when d > v^2 / a (reaches v),
//   t = 2 sqrt(d / a)      otherwise (a triangle);
// a joint-space move takes the longest of its joints' times. The joint distances come from the
// inverse kinematics of the geometry (law of cosines), computed here independently of the cell.
// The geometry is chosen so both branches occur: the descent to the nest (0.189 m at 1 m/s,
// 8 m/s^2) reaches full speed, the descent to the station (0.084 m) does not, and the swing is
// limited by the shoulder at full speed.
//
// Tolerances:
// - Cycle time: the robot's phases run on a continuous timeline (not rounded to steps), so a
//   robot that is never starved or blocked repeats with the closed-form cycle to rounding
//   (1e-9 s over a sum of ~10 terms).
// - Joint limits: sampled joints at the steps; the finite-difference speed and the second
//   difference (the mean acceleration over two steps) stay within the limits (relative 1e-9).
// - Gripper body vs the plan: Bullet stores poses in float: 1e-5 m, 1e-5 rad.
// - Resting pose on the station: the part is let go 5 mm above the station at rest; it falls
//   sqrt(2 * 0.005 / g) = 32 ms and lands flat. Where it comes to rest is within 1 mm and
//   0.01 rad of the target (measured: ~1e-6 m), and it rests within 10 steps of landing.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <numbers>
#include <stdexcept>

#include <gtest/gtest.h>

#include "models/physics/robot_cell.h"

namespace twin {
namespace {

constexpr double kDt = RobotCell::kStepS;
constexpr double kPi = std::numbers::pi;

constexpr JointLimit kShoulder{.max_speed = 3.0, .max_accel = 12.0};  // [rad/s, rad/s^2]
constexpr JointLimit kElbow{.max_speed = 4.0, .max_accel = 16.0};     // [rad/s, rad/s^2]
constexpr JointLimit kZ{.max_speed = 1.0, .max_accel = 8.0};          // [m/s, m/s^2]
constexpr JointLimit kWrist{.max_speed = 8.0, .max_accel = 40.0};     // [rad/s, rad/s^2]

RobotCellSpec cell_spec(int parts, double every_s) {
  RobotCellSpec s;
  s.arm.link1_m = 0.4;
  s.arm.link2_m = 0.3;
  s.arm.limits = {kShoulder, kElbow, kZ, kWrist};
  s.arm.travel_z_m = 0.35;
  s.parts = {PartSpec{.size_x = 0.10, .size_y = 0.08, .size_z = 0.06, .mass_kg = 0.5}};
  s.pick = CellStation{.x_m = 0.45, .y_m = -0.35, .yaw_rad = 0.0, .top_z_m = 0.10};
  s.drop = CellStation{.x_m = 0.20, .y_m = 0.50, .yaw_rad = 0.5 * kPi, .top_z_m = 0.20};
  s.grip_s = 0.2;
  s.release_s = 0.1;
  s.station_cycle_s = 0.5;
  for (int i = 0; i < parts; ++i) s.arrivals_s.push_back(i * every_s);
  return s;
}

// Rest-to-rest trapezoid time, written out here as the ground truth.
double closed_form_move(double d, const JointLimit& l) {
  const double v = l.max_speed, a = l.max_accel;
  return d > v * v / a ? d / v + v / a : 2.0 * std::sqrt(d / a);
}

double wrap(double a) {
  while (a > kPi) a -= 2.0 * kPi;
  while (a <= -kPi) a += 2.0 * kPi;
  return a;
}

// Shoulder, elbow and wrist angles that put the tool over (x, y) turned by yaw (elbow angle > 0).
struct Angles {
  double shoulder, elbow, wrist;
};
Angles law_of_cosines(double l1, double l2, double x, double y, double yaw) {
  const double elbow = std::acos((x * x + y * y - l1 * l1 - l2 * l2) / (2.0 * l1 * l2));
  const double shoulder =
      std::atan2(y, x) - std::atan2(l2 * std::sin(elbow), l1 + l2 * std::cos(elbow));
  return {shoulder, elbow, wrap(yaw - shoulder - elbow)};
}

struct ClosedForm {
  double descend_pick, descend_drop, swing, cycle;  // [s]
  double pick_drop_m, drop_drop_m, shoulder_rad;    // distances, for the branch checks
};

// Of a cycle handling part `part` (index into s.parts).
ClosedForm closed_form(const RobotCellSpec& s, size_t part = 0) {
  ClosedForm c{};
  const double height = s.parts[part].size_z;
  c.pick_drop_m = s.arm.travel_z_m - (s.pick.top_z_m + height + s.grip_gap_m);
  c.drop_drop_m = s.arm.travel_z_m - (s.drop.top_z_m + s.release_gap_m + height + s.grip_gap_m);
  const Angles p =
      law_of_cosines(s.arm.link1_m, s.arm.link2_m, s.pick.x_m, s.pick.y_m, s.pick.yaw_rad);
  const Angles d =
      law_of_cosines(s.arm.link1_m, s.arm.link2_m, s.drop.x_m, s.drop.y_m, s.drop.yaw_rad);
  c.shoulder_rad = std::abs(d.shoulder - p.shoulder);
  c.descend_pick = closed_form_move(c.pick_drop_m, kZ);
  c.descend_drop = closed_form_move(c.drop_drop_m, kZ);
  c.swing = std::max({closed_form_move(c.shoulder_rad, kShoulder),
                      closed_form_move(std::abs(d.elbow - p.elbow), kElbow),
                      closed_form_move(std::abs(d.wrist - p.wrist), kWrist)});
  // Down, grip, up, swing, down, release, up, swing back.
  c.cycle =
      2.0 * c.descend_pick + s.grip_s + c.swing + 2.0 * c.descend_drop + s.release_s + c.swing;
  return c;
}

uint64_t bits(double v) {
  return std::bit_cast<uint64_t>(v);
}

TEST(RobotCell, CycleTimeIsTheTrapezoidalMoveTimesOfTheGeometry) {
  const RobotCellSpec s = cell_spec(12, 0.0);  // all due at once: the robot is never starved
  const ClosedForm c = closed_form(s);
  // Both branches of the profile occur (see the top of the file).
  EXPECT_GT(c.pick_drop_m, kZ.max_speed * kZ.max_speed / kZ.max_accel);
  EXPECT_LT(c.drop_drop_m, kZ.max_speed * kZ.max_speed / kZ.max_accel);
  EXPECT_GT(c.shoulder_rad, kShoulder.max_speed * kShoulder.max_speed / kShoulder.max_accel);
  EXPECT_DOUBLE_EQ(c.swing, closed_form_move(c.shoulder_rad, kShoulder));  // shoulder-limited

  RobotCell cell(s);
  EXPECT_NEAR(cell.cycle_time_s(), c.cycle, 1e-12);
  EXPECT_NEAR(cell.phase_duration(RobotPhase::kSwingToDrop), c.swing, 1e-12);
  cell.advance_to(12 * c.cycle + 2.0);
  ASSERT_EQ(cell.parts_placed(), 12);
  const auto& r = cell.records();
  // The first part is on the nest at t = 0 and at rest after one step; the robot waits above.
  EXPECT_NEAR(r[0].picked_s, kDt + c.descend_pick + s.grip_s, 1e-9);
  double worst = 0.0;
  for (size_t k = 0; k + 1 < r.size(); ++k) {
    worst = std::max(worst, std::abs(r[k + 1].picked_s - r[k].picked_s - c.cycle));
    worst = std::max(worst, std::abs(r[k + 1].placed_s - r[k].placed_s - c.cycle));
  }
  EXPECT_LT(worst, 1e-9);
  // Pick to place: up, swing, down, release.
  EXPECT_NEAR(r[3].placed_s - r[3].picked_s,
              c.descend_pick + c.swing + c.descend_drop + s.release_s, 1e-9);
  std::printf(
      "[ figures  ] robot cycle %.6f s (closed form %.6f s, worst interval diff %.2e s): "
      "descend nest %.4f s (trapezoid), descend station %.4f s (triangle), swing %.4f s "
      "(shoulder %.4f rad); %.1f parts/min\n",
      cell.cycle_time_s(), c.cycle, worst, c.descend_pick, c.descend_drop, c.swing, c.shoulder_rad,
      60.0 / c.cycle);
}

// A mixed line: a tall part and a flat one, alternating, all due at once. Each is gripped and
// released at its own height, so the descents differ: every interval between two releases is
// the closed-form moves of the part before (its lift off the station) and of the part after
// (down to it on the nest, up, and down to the station), and each part rests on the station at
// its own height.
TEST(RobotCell, MixedPartsAreGrippedAndPlacedAtTheirOwnHeight) {
  RobotCellSpec s = cell_spec(10, 0.0);
  s.parts.push_back(PartSpec{.size_x = 0.12, .size_y = 0.12, .size_z = 0.02, .mass_kg = 0.8});
  for (size_t i = 0; i < s.arrivals_s.size(); ++i)
    s.arrival_part.push_back(static_cast<uint16_t>(i % 2));
  const ClosedForm tall = closed_form(s, 0), flat = closed_form(s, 1);
  ASSERT_GT(flat.pick_drop_m, tall.pick_drop_m + 0.039);  // 4 cm further down to the flat part
  RobotCell cell(s);
  EXPECT_NEAR(cell.cycle_time_s(0), tall.cycle, 1e-12);
  EXPECT_NEAR(cell.cycle_time_s(1), flat.cycle, 1e-12);
  EXPECT_GT(cell.cycle_time_s(1), cell.cycle_time_s(0));
  cell.advance_to(10 * flat.cycle + 2.0);
  ASSERT_EQ(cell.parts_placed(), 10);
  const auto& r = cell.records();
  double worst = 0.0, worst_z = 0.0;
  for (size_t k = 0; k < r.size(); ++k) {
    const ClosedForm& own = r[k].part == 1 ? flat : tall;
    EXPECT_EQ(r[k].part, k % 2);
    worst_z = std::max(
        worst_z, std::abs(r[k].rest_z_m - (s.drop.top_z_m + 0.5 * s.parts[r[k].part].size_z)));
    if (k == 0) continue;
    const ClosedForm& before = r[k - 1].part == 1 ? flat : tall;
    const double expected = before.descend_drop + own.swing + 2.0 * own.descend_pick + s.grip_s +
                            own.swing + own.descend_drop + s.release_s;
    worst = std::max(worst, std::abs(r[k].placed_s - r[k - 1].placed_s - expected));
  }
  EXPECT_LT(worst, 1e-9);
  EXPECT_LT(worst_z, 1e-3);
  // Fed arrival by arrival with their parts, the same run bit for bit.
  RobotCellSpec empty = s;
  empty.arrivals_s.clear();
  empty.arrival_part.clear();
  RobotCell live(empty);
  for (size_t i = 0; i < s.arrivals_s.size(); ++i)
    live.append_arrival(s.arrivals_s[i], s.arrival_part[i]);
  live.advance_to(cell.time_s());
  for (size_t k = 0; k < r.size(); ++k) {
    EXPECT_EQ(bits(live.records()[k].placed_s), bits(r[k].placed_s)) << k;
    EXPECT_EQ(bits(live.records()[k].rest_z_m), bits(r[k].rest_z_m)) << k;
  }
  std::printf(
      "[ figures  ] mixed cell: cycle %.4f s tall, %.4f s flat; worst release interval diff "
      "%.2e s; worst rest height diff %.2e m\n",
      tall.cycle, flat.cycle, worst, worst_z);
}

TEST(RobotCell, JointsStayWithinLimitsAndTheGripperAndPartFollowThePlan) {
  const RobotCellSpec s = cell_spec(3, 0.0);
  RobotCell cell(s);
  ScaraJoints q0 = cell.joints(), q1 = q0;
  std::array<double, kScaraJoints> peak_speed{};
  double worst_pose = 0.0, worst_held = 0.0;
  int held_steps = 0;
  while (cell.parts_placed() < 2) {
    cell.step();
    const ScaraJoints q2 = cell.joints();
    for (size_t j = 0; j < kScaraJoints; ++j) {
      const double speed = std::abs(q2[j] - q1[j]) / kDt;
      const double accel = std::abs(q2[j] - 2.0 * q1[j] + q0[j]) / (kDt * kDt);
      EXPECT_LE(speed, s.arm.limits[j].max_speed * (1.0 + 1e-9)) << "joint " << j;
      EXPECT_LE(accel, s.arm.limits[j].max_accel * (1.0 + 1e-9))
          << "joint " << j << " at " << cell.time_s() << " s";
      peak_speed[j] = std::max(peak_speed[j], speed);
    }
    // The gripper body stands where the plan puts it.
    const ToolPose plan = scara_forward(s.arm, q2);
    const ToolPose body = cell.gripper_pose();
    worst_pose =
        std::max({worst_pose, std::abs(plan.x_m - body.x_m), std::abs(plan.y_m - body.y_m),
                  std::abs(plan.z_m - body.z_m), std::abs(wrap(plan.yaw_rad - body.yaw_rad))});
    // A held part hangs centred under the gripper, turned with it.
    const RobotPhase p = cell.phase();
    if (p >= RobotPhase::kLiftFromPick && p <= RobotPhase::kRelease) {
      for (size_t i = 0; i < cell.records().size(); ++i) {
        const RobotRecord& r = cell.records()[i];
        if (r.picked_s < 0.0 || r.placed_s >= 0.0) continue;
        const ToolPose part = cell.part_pose(static_cast<int>(i));
        const double below = body.z_m - s.grip_gap_m - 0.5 * s.parts[0].size_z;
        worst_held =
            std::max({worst_held, std::abs(part.x_m - body.x_m), std::abs(part.y_m - body.y_m),
                      std::abs(part.z_m - below), std::abs(wrap(part.yaw_rad - body.yaw_rad))});
        ++held_steps;
      }
    }
    q0 = q1;
    q1 = q2;
  }
  EXPECT_LT(worst_pose, 1e-5);
  EXPECT_LT(worst_held, 1e-4);
  EXPECT_GT(held_steps, 200);
  // The shoulder and the z axis reach their speed limits (their moves are trapezoids).
  EXPECT_GT(peak_speed[0], 0.99 * kShoulder.max_speed);
  EXPECT_GT(peak_speed[2], 0.99 * kZ.max_speed);
  std::printf(
      "[ figures  ] peak joint speeds %.4f %.4f %.4f %.4f (limits %.1f %.1f %.1f %.1f); gripper "
      "vs plan %.2e; held part vs gripper %.2e over %d steps\n",
      peak_speed[0], peak_speed[1], peak_speed[2], peak_speed[3], kShoulder.max_speed,
      kElbow.max_speed, kZ.max_speed, kWrist.max_speed, worst_pose, worst_held, held_steps);
}

TEST(RobotCell, PlacedPartRestsAtTheDropPosition) {
  const RobotCellSpec s = cell_spec(6, 0.0);
  RobotCell cell(s);
  cell.advance_to(30.0);
  const double fall_s = std::sqrt(2.0 * s.release_gap_m / BeltWorld::kGravity);
  const double rest_z = s.drop.top_z_m + 0.5 * s.parts[0].size_z;
  double worst_xy = 0.0, worst_z = 0.0, worst_yaw = 0.0, worst_settle = 0.0;
  int taken = 0;
  for (const RobotRecord& r : cell.records()) {
    ASSERT_GE(r.taken_s, 0.0);
    ++taken;
    worst_xy =
        std::max({worst_xy, std::abs(r.rest_x_m - s.drop.x_m), std::abs(r.rest_y_m - s.drop.y_m)});
    worst_z = std::max(worst_z, std::abs(r.rest_z_m - rest_z));
    worst_yaw = std::max(worst_yaw, std::abs(wrap(r.rest_yaw_rad - s.drop.yaw_rad)));
    const double settle = r.rest_s - r.placed_s;  // fall, land, come to rest
    EXPECT_GE(settle, fall_s - 2 * kDt);
    worst_settle = std::max(worst_settle, settle);
    EXPECT_NEAR(r.taken_s, r.rest_s + s.station_cycle_s, kDt);
  }
  EXPECT_EQ(taken, 6);
  EXPECT_LT(worst_xy, 1e-3);
  EXPECT_LT(worst_z, 1e-3);
  EXPECT_LT(worst_yaw, 0.01);
  EXPECT_LT(worst_settle, fall_s + 10 * kDt);
  std::printf(
      "[ figures  ] resting pose vs target: xy %.2e m, z %.2e m, yaw %.2e rad; release to rest "
      "%.4f s (free fall %.4f s)\n",
      worst_xy, worst_z, worst_yaw, worst_settle, fall_s);
}

TEST(RobotCell, WaitsForLatePartsAndForABusyStation) {
  {
    // Parts every 5 s, slower than the robot: each is picked as soon as it rests on the nest.
    const RobotCellSpec s = cell_spec(5, 5.0);
    const ClosedForm c = closed_form(s);
    ASSERT_LT(c.cycle, 5.0);
    RobotCell cell(s);
    cell.advance_to(30.0);
    for (const RobotRecord& r : cell.records()) {
      EXPECT_EQ(bits(r.on_nest_s), bits(r.due_s));
      EXPECT_NEAR(r.picked_s, r.due_s + kDt + c.descend_pick + s.grip_s, 1e-9);
    }
  }
  {
    // A station slower than the robot: it waits above the station until the part there leaves,
    // and never places onto an occupied station.
    RobotCellSpec s = cell_spec(5, 0.0);
    s.station_cycle_s = 6.0;
    const ClosedForm c = closed_form(s);
    RobotCell cell(s);
    cell.advance_to(60.0);
    const auto& r = cell.records();
    ASSERT_EQ(cell.parts_placed(), 5);
    for (size_t k = 0; k + 1 < r.size(); ++k) {
      ASSERT_GE(r[k].taken_s, 0.0);
      EXPECT_GT(r[k + 1].placed_s, r[k].taken_s);
      EXPECT_NEAR(r[k + 1].placed_s, r[k].taken_s + c.descend_drop + s.release_s, 1e-9);
    }
  }
}

void expect_same(const RobotCell& x, const RobotCell& y) {
  ASSERT_EQ(x.steps(), y.steps());
  ASSERT_EQ(x.records().size(), y.records().size());
  EXPECT_EQ(x.phase(), y.phase());
  for (size_t i = 0; i < x.records().size(); ++i) {
    const RobotRecord& p = x.records()[i];
    const RobotRecord& q = y.records()[i];
    EXPECT_EQ(bits(p.on_nest_s), bits(q.on_nest_s)) << i;
    EXPECT_EQ(bits(p.picked_s), bits(q.picked_s)) << i;
    EXPECT_EQ(bits(p.placed_s), bits(q.placed_s)) << i;
    EXPECT_EQ(bits(p.rest_s), bits(q.rest_s)) << i;
    EXPECT_EQ(bits(p.taken_s), bits(q.taken_s)) << i;
    EXPECT_EQ(bits(p.rest_x_m), bits(q.rest_x_m)) << i;
    EXPECT_EQ(bits(p.rest_y_m), bits(q.rest_y_m)) << i;
    EXPECT_EQ(bits(p.rest_z_m), bits(q.rest_z_m)) << i;
    EXPECT_EQ(bits(p.rest_yaw_rad), bits(q.rest_yaw_rad)) << i;
    ASSERT_EQ(p.body, q.body) << i;
    if (p.body >= 0) {
      const ToolPose a = x.part_pose(static_cast<int>(i)), b = y.part_pose(static_cast<int>(i));
      EXPECT_EQ(bits(a.x_m), bits(b.x_m)) << i;
      EXPECT_EQ(bits(a.y_m), bits(b.y_m)) << i;
      EXPECT_EQ(bits(a.z_m), bits(b.z_m)) << i;
      EXPECT_EQ(bits(a.yaw_rad), bits(b.yaw_rad)) << i;
    }
  }
  const ToolPose g = x.gripper_pose(), h = y.gripper_pose();
  EXPECT_EQ(bits(g.x_m), bits(h.x_m));
  EXPECT_EQ(bits(g.z_m), bits(h.z_m));
}

TEST(RobotCell, DeterministicAndForksContinueIdentically) {
  RobotCellSpec s = cell_spec(20, 1.7);  // some waits for parts, some back to back
  s.station_cycle_s = 2.0;               // and some waits for the station
  RobotCell a(s), b(s);
  a.advance_to(21.3);
  b.advance_to(21.3);
  expect_same(a, b);
  std::unique_ptr<RobotCell> fork = a.fork();
  expect_same(a, *fork);
  a.advance_to(45.0);
  fork->advance_to(45.0);
  expect_same(a, *fork);
  EXPECT_GT(a.parts_placed(), 10);
}

// A live feed: arrivals appended one by one before they are due give the same run bit for bit
// as the whole list at construction.
TEST(RobotCell, ArrivalsAppendedAsTheyComeRunAsTheWholeList) {
  RobotCellSpec s = cell_spec(20, 1.7);
  s.station_cycle_s = 2.0;
  RobotCell whole(s);
  RobotCellSpec empty = s;
  empty.arrivals_s.clear();
  RobotCell live(empty);
  for (double t : s.arrivals_s) {
    live.advance_to(std::max(t - 0.3, live.time_s()));
    live.append_arrival(t);
  }
  EXPECT_EQ(live.arrivals(), s.arrivals_s.size());
  whole.advance_to(45.0);
  live.advance_to(45.0);
  expect_same(whole, live);
  EXPECT_GT(live.parts_placed(), 10);
  live.append_arrival(1.0);  // earlier than the last: raised to it
  EXPECT_EQ(live.records().back().due_s, s.arrivals_s.back());
}

TEST(RobotCell, RejectsBadSpecs) {
  const auto throws = [](const RobotCellSpec& s) {
    EXPECT_THROW(RobotCell cell(s), std::invalid_argument);
  };
  RobotCellSpec s = cell_spec(2, 1.0);
  s.drop.x_m = 1.0;  // 1.12 m from the shoulder, the arm reaches 0.7 m
  throws(s);
  s = cell_spec(2, 1.0);
  s.pick.x_m = 0.05;  // 0.35 m from the shoulder: fine; at (0.05, 0) it is 0.05 m, inside |l1 - l2|
  s.pick.y_m = 0.0;
  throws(s);
  s = cell_spec(2, 1.0);
  s.arm.travel_z_m = 0.2;  // below the release height over the station
  throws(s);
  s = cell_spec(2, 1.0);
  // Above the release height (0.266 m), but a held part (0.06 m) waiting over the station would
  // strike the part resting on it (top at 0.26 m): its bottom must clear it by the release gap.
  s.arm.travel_z_m = 0.32;
  throws(s);
  s.arm.travel_z_m = 0.33;  // 0.27 m clears 0.265 m
  EXPECT_NO_THROW(RobotCell{s});
  s = cell_spec(2, 1.0);
  s.arm.limits[1].max_accel = 0.0;
  throws(s);
  s = cell_spec(2, 1.0);
  s.arrivals_s = {1.0, 0.5};
  throws(s);
  s = cell_spec(2, 1.0);
  s.parts[0].mass_kg = 0.0;
  throws(s);
  s = cell_spec(2, 1.0);
  s.parts.clear();
  throws(s);
  s = cell_spec(2, 1.0);
  s.arrival_part = {0, 1};  // there is no part 1
  throws(s);
  s = cell_spec(2, 1.0);
  s.arrival_part = {0};  // one per arrival, or none
  throws(s);
  s = cell_spec(2, 1.0);
  s.parts.push_back(PartSpec{.size_x = 0.1, .size_y = 0.1, .size_z = 0.2, .mass_kg = 1.0});
  throws(s);  // the second part is too tall to be released under the travel height
  RobotCell cell(cell_spec(1, 0.0));
  EXPECT_THROW(cell.append_arrival(1.0, 1), std::invalid_argument);
}

TEST(RobotCell, InverseKinematicsRoundTrips) {
  ScaraSpec arm;
  arm.base_x_m = 0.1;
  arm.base_y_m = -0.2;
  arm.link1_m = 0.4;
  arm.link2_m = 0.3;
  for (double sign : {1.0, -1.0}) {
    arm.elbow_sign = sign;
    for (const ToolPose& want : {ToolPose{0.6, 0.1, 0.3, 0.4}, ToolPose{-0.3, 0.2, 0.1, -2.9},
                                 ToolPose{0.2, -0.7, 0.0, 3.1}}) {
      const auto q = scara_inverse(arm, want);
      ASSERT_TRUE(q.has_value());
      EXPECT_GE(sign * (*q)[1], 0.0);
      const ToolPose got = scara_forward(arm, *q);
      EXPECT_NEAR(got.x_m, want.x_m, 1e-12);
      EXPECT_NEAR(got.y_m, want.y_m, 1e-12);
      EXPECT_NEAR(got.z_m, want.z_m, 1e-12);
      EXPECT_NEAR(wrap(got.yaw_rad - want.yaw_rad), 0.0, 1e-12);
    }
  }
  EXPECT_FALSE(scara_inverse(arm, ToolPose{1.0, 0.5, 0.0, 0.0}).has_value());
}

TEST(RobotCell, TrapezoidProfileEndsOnTimeWithinItsLimits) {
  const JointLimit l{.max_speed = 2.0, .max_accel = 5.0};
  for (double d : {0.1, 0.8, 3.0}) {  // triangle, the boundary region, trapezoid
    const double t_min = trapezoid_time(d, l);
    EXPECT_DOUBLE_EQ(t_min, closed_form_move(d, l));
    for (double stretch : {1.0, 1.5}) {  // at its own time and slowed down for a slower joint
      const double T = stretch * t_min;
      EXPECT_DOUBLE_EQ(trapezoid_position(-d, T, l.max_accel, T), -d);
      EXPECT_EQ(trapezoid_position(d, T, l.max_accel, 0.0), 0.0);
      double before = 0.0, peak = 0.0;
      for (int i = 1; i <= 1000; ++i) {
        const double x = trapezoid_position(d, T, l.max_accel, T * i / 1000.0);
        peak = std::max(peak, (x - before) / (T / 1000.0));
        before = x;
      }
      EXPECT_LE(peak, l.max_speed * (1.0 + 1e-9)) << d << " " << stretch;
    }
  }
}

}  // namespace
}  // namespace twin
