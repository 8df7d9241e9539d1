// The physics view's boxes (viewer/physics_scene_3d.h): the parts as the Bullet world has them
// (size, place, yaw, state colour), the world's own fixtures, cleats that travel with the belt,
// everything inside the bounds the camera is fitted to; a robot cell's arm at its joints.
#include "viewer/physics_scene_3d.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "models/physics/scene_conveyor.h"
#include "models/physics/scene_robot.h"
#include "tests/support/scenes.h"

namespace twin::viewer {
namespace {

ConveyorLineSpec c09_spec(double guides_m) {
  const Model& model = test::sample_model("machining20.yaml");
  const int32_t node = model.find_node("C09_HardeningInfeed");
  EXPECT_GE(node, 0);
  SceneConveyorOptions options;
  options.guide_clearance_m = guides_m;
  std::string why;
  const auto spec =
      scene_conveyor_spec(model, static_cast<uint32_t>(node), {0}, {}, 70.0, options, &why);
  EXPECT_TRUE(spec.has_value()) << why;
  return spec.value_or(ConveyorLineSpec{});
}

std::vector<const Box3D*> of_kind(const std::vector<Box3D>& boxes, BoxKind kind) {
  std::vector<const Box3D*> out;
  for (const Box3D& b : boxes)
    if (b.kind == kind) out.push_back(&b);
  return out;
}

bool same(Rgba a, Rgba b) {
  return a.r == b.r && a.g == b.g && a.b == b.b && a.a == b.a;
}

TEST(PhysicsScene3D, PartsAreTheWorldsPosesAtTrueSize) {
  const ConveyorLineSpec spec = c09_spec(-1.0);
  const ConveyorLine line(spec);
  PhysicsSnapshot snap;
  snap.ready = true;
  snap.time_s = 1.3;
  snap.parts = {
      {.x_m = 2.0f,
       .y_m = 0.01f,
       .z_m = 0.04f,
       .yaw_rad = 0.1f,
       .state = PhysicsPartState::kMoving,
       .record = 7},
      {.x_m = 11.85f,
       .y_m = 0.0f,
       .z_m = 0.04f,
       .yaw_rad = 0.0f,
       .state = PhysicsPartState::kAtRest,
       .record = 5},
      {.x_m = 11.5f,
       .y_m = -0.05f,
       .z_m = 0.04f,
       .yaw_rad = -0.5f,
       .state = PhysicsPartState::kJammed,
       .record = 6},
  };
  std::vector<Box3D> boxes;
  build_physics_boxes(spec, line.world().fixtures(), snap, boxes);

  const auto parts = of_kind(boxes, BoxKind::kPart);
  ASSERT_EQ(parts.size(), 3u);
  const Rgba colors[] = {kPhysicsMoving, kPhysicsAtRest, kPhysicsJammed};
  for (size_t i = 0; i < 3; ++i) {
    const PhysicsPartPose& p = snap.parts[i];
    const Box3D& b = *parts[i];
    EXPECT_EQ(b.machine, p.record);
    EXPECT_TRUE(same(b.color, colors[i])) << i;
    // Belt x, y, z -> world x, -z, height above the floor (belt top at kBeltHeight3D).
    EXPECT_NEAR(b.box.center.x(), p.x_m, 1e-6);
    EXPECT_NEAR(b.box.center.z(), -p.y_m, 1e-6);
    EXPECT_NEAR(b.box.center.y(), kBeltHeight3D + p.z_m, 1e-6);
    EXPECT_NEAR(b.box.yaw, p.yaw_rad, 1e-6);
    EXPECT_DOUBLE_EQ(b.box.half.x(), spec.parts[0].size_x / 2.0);  // 300 mm shaft along the belt
    EXPECT_DOUBLE_EQ(b.box.half.z(), spec.parts[0].size_y / 2.0);
    EXPECT_DOUBLE_EQ(b.box.half.y(), spec.parts[0].size_z / 2.0);
  }
  EXPECT_GT(parts[2]->emissive, 0.0f);  // a jam stands out
  EXPECT_EQ(parts[0]->emissive, 0.0f);

  // The stop: the world's fixture across the belt, its face at the belt's end.
  size_t stops = 0;
  for (const Box3D& b : boxes) {
    if (!same(b.color, kPhysicsStop)) continue;
    ++stops;
    EXPECT_NEAR(b.box.center.x() - b.box.half.x(), spec.belt.length_m, 1e-9);
    EXPECT_NEAR(2.0 * b.box.half.z(), spec.belt.width_m, 1e-9);
  }
  EXPECT_EQ(stops, 1u);

  // Cleats where a point of the surface is after 1.3 s at 0.2 m/s: 0.26 m, then every pitch.
  std::vector<double> cleats;
  for (const Box3D& b : boxes)
    if (same(b.color, kPhysicsStripe)) cleats.push_back(b.box.center.x());
  ASSERT_FALSE(cleats.empty());
  EXPECT_NEAR(cleats[0], 0.26, 1e-9);
  for (size_t i = 1; i < cleats.size(); ++i)
    EXPECT_NEAR(cleats[i] - cleats[i - 1], kPhysicsStripePitch, 1e-9);
  EXPECT_LT(cleats.back(), spec.belt.length_m);
  EXPECT_GE(cleats.back(), spec.belt.length_m - kPhysicsStripePitch);

  // Everything within the bounds the camera is fitted to.
  const Bounds3 bounds = physics_bounds(spec);
  for (const Box3D& b : boxes) {
    const double c = std::abs(std::cos(b.box.yaw)), s = std::abs(std::sin(b.box.yaw));
    const Eigen::Vector3d extent(c * b.box.half.x() + s * b.box.half.z(), b.box.half.y(),
                                 s * b.box.half.x() + c * b.box.half.z());
    for (int axis = 0; axis < 3; ++axis) {
      EXPECT_GE(b.box.center[axis] - extent[axis], bounds.lo[axis] - 1e-9) << axis;
      EXPECT_LE(b.box.center[axis] + extent[axis], bounds.hi[axis] + 1e-9) << axis;
    }
  }
}

TEST(PhysicsScene3D, GuidesAreDrawnWhereTheWorldHasThem) {
  const ConveyorLineSpec spec = c09_spec(0.01);
  const ConveyorLine line(spec);
  ASSERT_EQ(line.world().fixtures().size(), 3u);
  std::vector<Box3D> boxes;
  build_physics_boxes(spec, line.world().fixtures(), PhysicsSnapshot{}, boxes);
  std::vector<double> sides;
  for (const Box3D& b : boxes) {
    if (!same(b.color, kPhysicsGuide)) continue;
    EXPECT_NEAR(2.0 * b.box.half.x(), spec.belt.length_m, 1e-9);
    sides.push_back(-b.box.center.z());  // belt y
  }
  ASSERT_EQ(sides.size(), 2u);
  // Inner faces at the part's half width + the clearance (guide 50 mm thick).
  const double inner = spec.parts[0].size_y / 2.0 + 0.01;
  EXPECT_NEAR(std::abs(sides[0]), inner + 0.025, 1e-9);
  EXPECT_NEAR(sides[0], -sides[1], 1e-12);
}

}  // namespace
}  // namespace twin::viewer

namespace twin::viewer {
namespace {

// A mixed line: each part is drawn at its own product's size, on the belt and in the cell
// (machining20's shaft 300 x 80 x 80 mm, flange 200 x 200 x 50 mm).
TEST(PhysicsScene3D, MixedPartsAreDrawnAtTheirOwnSize) {
  const Model& model = test::sample_model("machining20.yaml");
  std::string why;
  const auto belt =
      scene_conveyor_spec(model, static_cast<uint32_t>(model.find_node("C09_HardeningInfeed")),
                          {0, 1}, {}, 70.0, {}, &why);
  const auto cell = scene_robot_spec(
      model, static_cast<uint32_t>(model.find_station("Harden_OP80")), {0, 1}, {}, &why);
  ASSERT_TRUE(belt.has_value() && cell.has_value()) << why;
  PhysicsSnapshot snap;
  snap.parts = {{.x_m = 5.0f, .z_m = 0.04f, .record = 0, .part = 0},
                {.x_m = 4.0f, .z_m = 0.025f, .record = 1, .part = 1}};
  const auto expect_sizes = [&](const std::vector<Box3D>& boxes,
                                const std::vector<PartSpec>& parts) {
    const auto drawn = of_kind(boxes, BoxKind::kPart);
    ASSERT_EQ(drawn.size(), 2u);
    for (size_t i = 0; i < 2; ++i) {
      const PartSpec& part = parts[snap.parts[i].part];
      EXPECT_DOUBLE_EQ(drawn[i]->box.half.x(), part.size_x / 2.0) << i;
      EXPECT_DOUBLE_EQ(drawn[i]->box.half.z(), part.size_y / 2.0) << i;
      EXPECT_DOUBLE_EQ(drawn[i]->box.half.y(), part.size_z / 2.0) << i;
    }
    EXPECT_DOUBLE_EQ(drawn[1]->box.half.z(), 0.10);  // the flange, 200 mm across
    EXPECT_DOUBLE_EQ(drawn[0]->box.half.z(), 0.04);  // the shaft, 80 mm
  };
  std::vector<Box3D> boxes;
  build_physics_boxes(*belt, {}, snap, boxes);
  expect_sizes(boxes, belt->parts);
  boxes.clear();
  build_robot_boxes(*cell, snap, boxes);
  expect_sizes(boxes, cell->parts);
}

// The robot cell's boxes: the gripper where forward kinematics puts the tool at the snapshot's
// joints, the first link from the shoulder to the elbow, the tables at their places, the parts at
// their poses and true size (held in orange), all inside the bounds the camera is fitted to.
TEST(PhysicsScene3D, RobotArmIsAtTheJointsAndPartsAtTheirPoses) {
  const Model& model = test::sample_model("machining20.yaml");
  std::string why;
  const auto spec = scene_robot_spec(
      model, static_cast<uint32_t>(model.find_station("Harden_OP80")), {0}, {0.0, 0.0}, &why);
  ASSERT_TRUE(spec.has_value()) << why;
  PhysicsSnapshot snap;
  snap.joints = {0.4, 1.1, 1.1, -0.3};  // somewhere mid-swing
  snap.parts = {
      {.x_m = static_cast<float>(spec->pick.x_m),
       .y_m = static_cast<float>(spec->pick.y_m),
       .z_m = static_cast<float>(spec->pick.top_z_m + spec->parts[0].size_z / 2),
       .yaw_rad = 0.0f,
       .state = PhysicsPartState::kAtRest,
       .record = 1},
      {.x_m = 0.3f,
       .y_m = 0.2f,
       .z_m = 1.05f,
       .yaw_rad = 0.8f,
       .state = PhysicsPartState::kHeld,
       .record = 0},
  };
  std::vector<Box3D> boxes;
  build_robot_boxes(*spec, snap, boxes);

  // The gripper: its bottom face on the tool point, turned by the tool's yaw.
  const ToolPose tool = scara_forward(spec->arm, snap.joints);
  size_t grippers = 0;
  for (const Box3D& b : boxes) {
    if (!same(b.color, kPhysicsGripper)) continue;
    ++grippers;
    EXPECT_NEAR(b.box.center.x(), tool.x_m, 1e-9);
    EXPECT_NEAR(-b.box.center.z(), tool.y_m, 1e-9);
    EXPECT_NEAR(b.box.center.y() - b.box.half.y(), tool.z_m, 1e-9);
    EXPECT_NEAR(b.box.yaw, tool.yaw_rad, 1e-12);
  }
  EXPECT_EQ(grippers, 1u);
  // The links: the first one's axis from the shoulder (origin) along the shoulder angle.
  std::vector<const Box3D*> links;
  for (const Box3D& b : boxes)
    if (same(b.color, kPhysicsArm) && b.kind == BoxKind::kMachine) links.push_back(&b);
  ASSERT_EQ(links.size(), 2u);
  const double l1 = spec->arm.link1_m;
  EXPECT_NEAR(links[0]->box.center.x(), l1 / 2 * std::cos(snap.joints[0]), 1e-9);
  EXPECT_NEAR(-links[0]->box.center.z(), l1 / 2 * std::sin(snap.joints[0]), 1e-9);
  EXPECT_NEAR(links[0]->box.yaw, snap.joints[0], 1e-12);
  // The second from the elbow to the tool.
  const double ex = l1 * std::cos(snap.joints[0]), ey = l1 * std::sin(snap.joints[0]);
  EXPECT_NEAR(links[1]->box.center.x(), (ex + tool.x_m) / 2, 1e-9);
  EXPECT_NEAR(-links[1]->box.center.z(), (ey + tool.y_m) / 2, 1e-9);

  // The pick table's top face at its height.
  size_t tables = 0;
  for (const Box3D& b : boxes) {
    if (b.kind != BoxKind::kNodeShell) continue;
    ++tables;
    const CellStation& st = tables == 1 ? spec->pick : spec->drop;
    EXPECT_NEAR(b.box.center.x(), st.x_m, 1e-9);
    EXPECT_NEAR(b.box.center.y() + b.box.half.y(), st.top_z_m, 1e-9);
  }
  EXPECT_EQ(tables, 2u);

  const auto parts = of_kind(boxes, BoxKind::kPart);
  ASSERT_EQ(parts.size(), 2u);
  const Rgba colors[] = {kPhysicsAtRest, kPhysicsHeld};
  for (size_t i = 0; i < 2; ++i) {
    const PhysicsPartPose& p = snap.parts[i];
    EXPECT_EQ(parts[i]->machine, p.record);
    EXPECT_TRUE(same(parts[i]->color, colors[i])) << i;
    // Robot x, y, z -> world x, -z, height above the floor.
    EXPECT_NEAR(parts[i]->box.center.x(), p.x_m, 1e-6);
    EXPECT_NEAR(parts[i]->box.center.z(), -p.y_m, 1e-6);
    EXPECT_NEAR(parts[i]->box.center.y(), p.z_m, 1e-6);
    EXPECT_NEAR(parts[i]->box.yaw, p.yaw_rad, 1e-6);
    EXPECT_DOUBLE_EQ(parts[i]->box.half.x(), spec->parts[0].size_x / 2.0);
    EXPECT_DOUBLE_EQ(parts[i]->box.half.y(), spec->parts[0].size_z / 2.0);
  }

  // Everything within the bounds (the arm anywhere in its reach).
  const Bounds3 bounds = robot_bounds(*spec);
  for (const Box3D& b : boxes) {
    const double c = std::abs(std::cos(b.box.yaw)), s = std::abs(std::sin(b.box.yaw));
    const Eigen::Vector3d extent(c * b.box.half.x() + s * b.box.half.z(), b.box.half.y(),
                                 s * b.box.half.x() + c * b.box.half.z());
    for (int axis = 0; axis < 3; ++axis) {
      EXPECT_GE(b.box.center[axis] - extent[axis], bounds.lo[axis] - 0.2) << axis;
      EXPECT_LE(b.box.center[axis] + extent[axis], bounds.hi[axis] + 0.2) << axis;
    }
  }
}

}  // namespace
}  // namespace twin::viewer
