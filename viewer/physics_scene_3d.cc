#include "viewer/physics_scene_3d.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace twin::viewer {

namespace {

constexpr double kDeck = 0.12;         // [m] belt thickness drawn
constexpr double kLegSpacing = 2.5;    // [m] at most between legs
constexpr double kFeederLength = 0.6;  // [m] chute before the belt's entry
constexpr double kStationGap = 0.3;    // [m] stop face to the consuming station

Box3D make_box(const Eigen::Vector3d& center, const Eigen::Vector3d& half, double yaw, Rgba color,
               BoxKind kind) {
  Box3D b;
  b.box.center = center;
  b.box.half = half;
  b.box.yaw = yaw;
  b.color = color;
  b.kind = kind;
  return b;
}

// A box given in the belt's frame: centre (x, y, z) and extents along belt x, y, z.
Box3D belt_box(double x, double y, double z, double sx, double sy, double sz, double yaw,
               Rgba color, BoxKind kind) {
  // Belt (x, y, z) -> world (x, z, -y): extents along x, height, across.
  return make_box(belt_to_world(x, y, z), {sx / 2.0, sz / 2.0, sy / 2.0}, yaw, color, kind);
}

}  // namespace

Eigen::Vector3d belt_to_world(double x_m, double y_m, double z_m) {
  return plan_to_world(Vec2{x_m, y_m}, kBeltHeight3D + z_m);
}

Bounds3 physics_bounds(const ConveyorLineSpec& spec) {
  const double length = spec.belt.length_m;
  const double half_w = std::max(spec.belt.width_m, kPhysicsStationSize) / 2.0;
  Bounds3 b;
  b.lo = Eigen::Vector3d(-kFeederLength, 0.0, -half_w);
  b.hi = Eigen::Vector3d(length + kStationGap + kPhysicsStationSize, kMachineHeight3D, half_w);
  return b;
}

void build_physics_boxes(const ConveyorLineSpec& spec, const std::vector<FixtureSpec>& fixtures,
                         const PhysicsSnapshot& snapshot, std::vector<Box3D>& out) {
  out.clear();
  const double length = spec.belt.length_m, width = spec.belt.width_m;
  // Belt body under its top surface (z = 0), and the frame it sits in.
  out.push_back(belt_box(length / 2.0, 0.0, -kDeck / 2.0, length, width, kDeck, 0.0, kNodeBody,
                         BoxKind::kNodeShell));
  // Cleats: thin bars across the belt, where a point of the surface moving at the belt speed
  // since time 0 would be, so the belt is seen to run (and to stand in the breaks).
  const double travel = std::fmod(spec.belt.speed_mps * snapshot.time_s, kPhysicsStripePitch);
  for (double x = travel; x < length; x += kPhysicsStripePitch) {
    if (x < 0.0) continue;
    out.push_back(
        belt_box(x, 0.0, 0.001, 0.03, width * 0.96, 0.004, 0.0, kPhysicsStripe, BoxKind::kRail));
  }
  // Legs at both ends and at most kLegSpacing apart, on both sides.
  const int spans = std::max(1, static_cast<int>(std::ceil(length / kLegSpacing)));
  const double leg_h = kBeltHeight3D - kDeck;
  for (int i = 0; i <= spans; ++i) {
    const double x = std::clamp(static_cast<double>(i) / spans * length, 0.05, length - 0.05);
    for (double side : {-1.0, 1.0}) {
      out.push_back(belt_box(x, side * (width / 2.0 - 0.04), -kDeck - leg_h / 2.0, 0.07, 0.07,
                             leg_h, 0.0, kLeg3D, BoxKind::kLeg));
    }
  }
  // The world's fixtures: the stop (across the belt at its end) and the side guides.
  for (const FixtureSpec& f : fixtures) {
    const bool stop = f.size_y >= f.size_x;
    out.push_back(belt_box(f.x, f.y, f.z, f.size_x, f.size_y, f.size_z, 0.0,
                           stop ? kPhysicsStop : kPhysicsGuide, BoxKind::kRail));
  }
  // Feeder chute before the entry, its top level with the belt.
  out.push_back(belt_box(-kFeederLength / 2.0, 0.0, -kDeck / 2.0, kFeederLength, width * 1.1, kDeck,
                         0.0, kSourceBody, BoxKind::kNodeShell));
  // The consuming station past the stop, standing on the floor.
  const double station_x = length + kStationGap + kPhysicsStationSize / 2.0;
  out.push_back(belt_box(station_x, 0.0, kMachineHeight3D / 2.0 - kBeltHeight3D,
                         kPhysicsStationSize, kPhysicsStationSize, kMachineHeight3D, 0.0,
                         kStationBase3D, BoxKind::kMachine));
  // Parts, with their size and yaw (roll and pitch are not drawn).
  for (const PhysicsPartPose& p : snapshot.parts) {
    const Rgba color = p.state == PhysicsPartState::kJammed   ? kPhysicsJammed
                       : p.state == PhysicsPartState::kAtRest ? kPhysicsAtRest
                                                              : kPhysicsMoving;
    const PartSpec& part = spec.parts[p.part < spec.parts.size() ? p.part : 0];
    Box3D& b = out.emplace_back(belt_box(p.x_m, p.y_m, p.z_m, part.size_x, part.size_y, part.size_z,
                                         p.yaw_rad, color, BoxKind::kPart));
    b.machine = p.record;
    if (p.state == PhysicsPartState::kJammed) b.emissive = 0.35f;
  }
}

namespace {

constexpr double kColumnSize = 0.3;      // [m] the robot's column, square
constexpr double kLinkWidth = 0.16;      // [m] links, across
constexpr double kLinkHeight = 0.12;     // [m] links, thickness
constexpr double kQuillSize = 0.05;      // [m] the z axis' quill, square
constexpr double kLinkClearance = 0.25;  // [m] link plane above the gripper's top at travel

// A box in the robot's frame: centre, extents along its own x, y (turned by yaw) and z.
Box3D robot_box(double x, double y, double z, double sx, double sy, double sz, double yaw,
                Rgba color, BoxKind kind) {
  return make_box(robot_to_world(x, y, z), {sx / 2.0, sz / 2.0, sy / 2.0}, yaw, color, kind);
}

// A horizontal bar from (x0, y0) to (x1, y1) at height z.
Box3D link_box(double x0, double y0, double x1, double y1, double z, Rgba color) {
  const double length = std::hypot(x1 - x0, y1 - y0);
  return robot_box((x0 + x1) / 2.0, (y0 + y1) / 2.0, z, length + kLinkWidth, kLinkWidth,
                   kLinkHeight, std::atan2(y1 - y0, x1 - x0), color, BoxKind::kMachine);
}

}  // namespace

Eigen::Vector3d robot_to_world(double x_m, double y_m, double z_m) {
  return plan_to_world(Vec2{x_m, y_m}, z_m);
}

double robot_link_height(const RobotCellSpec& spec) {
  return spec.arm.travel_z_m + spec.arm.gripper_size_z_m + kLinkClearance;
}

Bounds3 robot_bounds(const RobotCellSpec& spec) {
  const double reach = spec.arm.link1_m + spec.arm.link2_m;
  const double bx = spec.arm.base_x_m, by = spec.arm.base_y_m;
  double x0 = bx - reach, x1 = bx + reach, y0 = by - reach, y1 = by + reach;
  for (const CellStation* st : {&spec.pick, &spec.drop}) {
    x0 = std::min(x0, st->x_m - st->size_x_m);
    x1 = std::max(x1, st->x_m + st->size_x_m);
    y0 = std::min(y0, st->y_m - st->size_y_m);
    y1 = std::max(y1, st->y_m + st->size_y_m);
  }
  Bounds3 b;
  // Plan y maps to world -z.
  b.lo = Eigen::Vector3d(x0, 0.0, -y1);
  b.hi = Eigen::Vector3d(x1, robot_link_height(spec) + kLinkHeight, -y0);
  return b;
}

void build_robot_boxes(const RobotCellSpec& spec, const PhysicsSnapshot& snapshot,
                       std::vector<Box3D>& out) {
  out.clear();
  // The pick table (where the input hands parts over) and the machine's fixture, each on a
  // pedestal from the floor to its top face.
  const std::pair<const CellStation*, Rgba> tables[] = {{&spec.pick, kSourceBody},
                                                        {&spec.drop, kStationBase3D}};
  for (const auto& [st, color] : tables) {
    out.push_back(robot_box(st->x_m, st->y_m, st->top_z_m / 2.0, st->size_x_m, st->size_y_m,
                            st->top_z_m, 0.0, color, BoxKind::kNodeShell));
  }
  // The column up to the link plane, the links at the joints, the quill down to the gripper.
  const double link_z = robot_link_height(spec);
  const double bx = spec.arm.base_x_m, by = spec.arm.base_y_m;
  out.push_back(robot_box(bx, by, link_z / 2.0, kColumnSize, kColumnSize, link_z, 0.0, kLeg3D,
                          BoxKind::kLeg));
  const ScaraJoints& q = snapshot.joints;
  const double ex = bx + spec.arm.link1_m * std::cos(q[0]);
  const double ey = by + spec.arm.link1_m * std::sin(q[0]);
  const ToolPose tool = scara_forward(spec.arm, q);
  const double tx = tool.x_m, ty = tool.y_m;
  out.push_back(link_box(bx, by, ex, ey, link_z, kPhysicsArm));
  out.push_back(link_box(ex, ey, tx, ty, link_z + kLinkHeight, kPhysicsArm));
  const double grip_top = tool.z_m + spec.arm.gripper_size_z_m;
  const double quill = link_z + kLinkHeight * 1.5 - grip_top;
  out.push_back(robot_box(tx, ty, grip_top + quill / 2.0, kQuillSize, kQuillSize, quill, 0.0,
                          kPhysicsArm, BoxKind::kRail));
  out.push_back(robot_box(tx, ty, tool.z_m + spec.arm.gripper_size_z_m / 2.0,
                          spec.arm.gripper_size_x_m, spec.arm.gripper_size_y_m,
                          spec.arm.gripper_size_z_m, tool.yaw_rad, kPhysicsGripper,
                          BoxKind::kRail));
  // Parts (roll and pitch are not drawn).
  for (const PhysicsPartPose& p : snapshot.parts) {
    const Rgba color = p.state == PhysicsPartState::kHeld     ? kPhysicsHeld
                       : p.state == PhysicsPartState::kAtRest ? kPhysicsAtRest
                                                              : kPhysicsMoving;
    const PartSpec& part = spec.parts[p.part < spec.parts.size() ? p.part : 0];
    Box3D& b = out.emplace_back(robot_box(p.x_m, p.y_m, p.z_m, part.size_x, part.size_y,
                                          part.size_z, p.yaw_rad, color, BoxKind::kPart));
    b.machine = p.record;
  }
}

}  // namespace twin::viewer
