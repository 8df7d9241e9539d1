// The boxes of the physics view: one conveyor at true scale as the Bullet world has it (belt,
// stop, guides, the parts with their size and yaw), plus the feeder at the entry and the
// consuming station at the discharge end; or one robot cell (tables, the SCARA's links at its
// joints, the parts). Pure (no GL), like build_boxes, so tests check it.
//
// World frame: the belt's frame (models/physics/belt_world.h) mapped as a plan (plan_to_world):
// belt x -> world x, belt y -> world -z, belt z -> height above the belt's top, which stands
// kBeltHeight3D above the floor.
#pragma once

#include <vector>

#include "models/physics/conveyor_line.h"
#include "models/physics/robot_cell.h"
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

inline constexpr Rgba kPhysicsHeld{245, 170, 60, 255};   // in the robot's gripper
inline constexpr Rgba kPhysicsArm{226, 229, 234, 255};   // the robot's links and quill
inline constexpr Rgba kPhysicsGripper{70, 80, 94, 255};  // its gripper

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

// A robot cell (models/physics/robot_cell.h) at true scale, in the robot's frame mapped as a plan
// (robot x -> world x, robot y -> world -z, robot z -> height above the floor).
//
// The arm's links are horizontal at link_height_m; the quill runs down from the link plane to the
// gripper, whose bottom face is the tool point.
double robot_link_height(const RobotCellSpec& spec);  // [m] above the tool at travel height
Bounds3 robot_bounds(const RobotCellSpec& spec);

// Boxes of one robot snapshot into `out` (cleared first): the pick table and the machine's
// fixture on their pedestals, the robot's column, links, quill and gripper at snapshot.joints,
// then the parts (kind kPart, the record in `machine`), coloured by state (held: kPhysicsHeld).
void build_robot_boxes(const RobotCellSpec& spec, const PhysicsSnapshot& snapshot,
                       std::vector<Box3D>& out);

// World point of robot-frame point (x, y, z) [m].
Eigen::Vector3d robot_to_world(double x_m, double y_m, double z_m);

}  // namespace twin::viewer
