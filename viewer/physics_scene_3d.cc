#include "viewer/physics_scene_3d.h"

#include <algorithm>
#include <cmath>

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
    Box3D& b = out.emplace_back(belt_box(p.x_m, p.y_m, p.z_m, spec.part.size_x, spec.part.size_y,
                                         spec.part.size_z, p.yaw_rad, color, BoxKind::kPart));
    b.machine = p.record;
    if (p.state == PhysicsPartState::kJammed) b.emissive = 0.35f;
  }
}

}  // namespace twin::viewer
