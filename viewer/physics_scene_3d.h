// The boxes of the physics view: one conveyor at true scale as the Bullet world has it (belt,
// stop, guides, the parts with their size and yaw), plus the feeder at the entry and the
// consuming station at the discharge end. Pure (no GL), like build_boxes, so tests check it.
//
// World frame: the belt's frame (models/physics/belt_world.h) mapped as a plan (plan_to_world):
// belt x -> world x, belt y -> world -z, belt z -> height above the belt's top, which stands
// kBeltHeight3D above the floor.
#pragma once

#include <vector>

#include "models/physics/conveyor_line.h"
#include "viewer/camera_3d.h"
#include "viewer/line_view_3d.h"
#include "viewer/physics_follower.h"

namespace twin::viewer {

// Colours of the physics view's parts.
inline constexpr Rgba kPhysicsMoving{200, 206, 214, 255};  // carried by the belt
inline constexpr Rgba kPhysicsAtRest{95, 170, 235, 255};   // queued at the stop
inline constexpr Rgba kPhysicsJammed{255, 70, 70, 255};    // reported jam
inline constexpr Rgba kPhysicsStop{210, 150, 60, 255};     // the stop at the discharge end
inline constexpr Rgba kPhysicsGuide{120, 132, 148, 255};   // side guides
inline constexpr Rgba kPhysicsStripe{34, 39, 47, 255};     // cleats on the belt (show motion)

inline constexpr double kPhysicsStationSize = 1.2;  // [m] footprint of the consuming station
inline constexpr double kPhysicsStripePitch = 0.5;  // [m] between belt cleats

// Where things are drawn: everything from the feeder to the consuming station [m, world].
Bounds3 physics_bounds(const ConveyorLineSpec& spec);

// Boxes of one snapshot into `out` (cleared first): belt, cleats at the belt's travel by
// snapshot.time_s, legs, fixtures (stop, guides), feeder, consuming station, then the parts
// (kind kPart, node -1; the part's record in `machine` so tests can find it).
void build_physics_boxes(const ConveyorLineSpec& spec, const std::vector<FixtureSpec>& fixtures,
                         const PhysicsSnapshot& snapshot, std::vector<Box3D>& out);

// World point of belt-frame point (x, y, z) [m].
Eigen::Vector3d belt_to_world(double x_m, double y_m, double z_m);

}  // namespace twin::viewer
