// The 3D view's orbit camera: projection and rays agree, fitting frames the bounds, the mouse
// controls move what they should, and ray picking finds the nearest box.
#include "viewer/camera_3d.h"

#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "viewer/line_view_3d.h"

namespace twin::viewer {
namespace {

Camera3D some_camera() {
  Camera3D c;
  c.target = {12.0, 0.5, -4.0};
  c.yaw = -0.7;
  c.pitch = 0.6;
  c.distance = 25.0;
  c.set_viewport(1000, 600);
  return c;
}

double ray_distance(const Ray3& r, const Eigen::Vector3d& p) {
  const Eigen::Vector3d v = p - r.origin;
  return (v - r.dir * v.dot(r.dir)).norm();
}

TEST(Camera3D, TargetProjectsToTheImageCentre) {
  const Camera3D c = some_camera();
  const Projected p = c.project(c.target);
  ASSERT_TRUE(p.in_front);
  EXPECT_NEAR(p.x, 500.0, 1e-9);
  EXPECT_NEAR(p.y, 300.0, 1e-9);
  EXPECT_NEAR(p.depth, 25.0, 1e-9);
  // The eye is behind itself; a point behind the eye is not in front.
  EXPECT_FALSE(c.project(c.eye() + c.back()).in_front);
}

TEST(Camera3D, ProjectAndRayAreInverse) {
  const Camera3D c = some_camera();
  for (double px : {0.0, 123.5, 500.0, 999.0}) {
    for (double py : {0.0, 77.25, 300.0, 600.0}) {
      const Ray3 r = c.ray(px, py);
      EXPECT_NEAR(r.dir.norm(), 1.0, 1e-12);
      for (double t : {1.0, 10.0, 60.0}) {
        const Projected p = c.project(r.origin + r.dir * t);
        ASSERT_TRUE(p.in_front);
        EXPECT_NEAR(p.x, px, 1e-6) << "t " << t;
        EXPECT_NEAR(p.y, py, 1e-6) << "t " << t;
      }
    }
  }
  // And a world point lies on the ray through its own pixel.
  const Eigen::Vector3d w{3.0, 1.2, -7.5};
  const Projected p = c.project(w);
  EXPECT_NEAR(ray_distance(c.ray(p.x, p.y), w), 0.0, 1e-9);
}

TEST(Camera3D, ScreenAxesFollowTheWorld) {
  // From the default front-left view, +x goes right on the image and +y goes up.
  Camera3D c;
  c.set_viewport(800, 600);
  const Projected o = c.project({0, 0, 0}), x = c.project({1, 0, 0}), y = c.project({0, 1, 0});
  EXPECT_GT(x.x, o.x);
  EXPECT_LT(y.y, o.y);
  // The eye is to the left (-x), in front (+z) and above.
  EXPECT_LT(c.eye().x(), 0.0);
  EXPECT_GT(c.eye().z(), 0.0);
  EXPECT_GT(c.eye().y(), 0.0);
}

TEST(Camera3D, FitShowsEveryCornerAndFillsTheImage) {
  Bounds3 line;  // a long, shallow line like machining20
  line.lo = {-5.0, 0.0, -10.0};
  line.hi = {50.0, 1.8, 1.0};
  Bounds3 cube;
  cube.lo = {-1.0, -1.0, -1.0};
  cube.hi = {1.0, 1.0, 1.0};
  for (const Bounds3& b : {line, cube}) {
    for (double yaw : {-0.6, 0.0, 1.3, 3.0}) {
      for (double pitch : {0.2, 0.61, 1.4}) {
        for (double width : {400.0, 1280.0}) {
          Camera3D c;
          c.yaw = yaw;
          c.pitch = pitch;
          c.set_viewport(width, 700.0);
          c.fit(b);
          double x0 = 1e9, x1 = -1e9, y0 = 1e9, y1 = -1e9;
          for (int i = 0; i < 8; ++i) {
            const Projected p = c.project(Camera3D::corner(b, i));
            EXPECT_TRUE(p.inside(c.width_px, c.height_px))
                << "corner " << i << " at " << p.x << ", " << p.y << " yaw " << yaw << " pitch "
                << pitch << " width " << width;
            x0 = std::min(x0, p.x), x1 = std::max(x1, p.x);
            y0 = std::min(y0, p.y), y1 = std::max(y1, p.y);
          }
          // Tight: the bounds reach nearly across the image one way, and are centred.
          const double fill = std::max((x1 - x0) / c.width_px, (y1 - y0) / c.height_px);
          EXPECT_GT(fill, 0.8) << "yaw " << yaw << " pitch " << pitch << " width " << width;
          EXPECT_NEAR((x0 + x1) / 2.0, c.width_px / 2.0, c.width_px * 0.02);
          EXPECT_NEAR((y0 + y1) / 2.0, c.height_px / 2.0, c.height_px * 0.02);
          EXPECT_TRUE(c.fitted);
        }
      }
    }
  }
}

TEST(Camera3D, OrbitKeepsTargetAndDistance) {
  Camera3D c = some_camera();
  const Eigen::Vector3d target = c.target;
  const double yaw = c.yaw, pitch = c.pitch;
  c.orbit(50.0, -20.0);
  EXPECT_EQ(c.target, target);
  EXPECT_NEAR((c.eye() - c.target).norm(), 25.0, 1e-9);
  EXPECT_LT(c.yaw, yaw);      // dragged right: the eye moves left round the target
  EXPECT_LT(c.pitch, pitch);  // dragged up: lower
  // The pitch stops short of the floor and of straight down.
  c.orbit(0.0, -1e6);
  EXPECT_DOUBLE_EQ(c.pitch, Camera3D::kMinPitch);
  c.orbit(0.0, 1e6);
  EXPECT_DOUBLE_EQ(c.pitch, Camera3D::kMaxPitch);
  EXPECT_GT(c.eye().y(), c.target.y());
}

TEST(Camera3D, PanMovesTheTargetWithTheMouse) {
  Camera3D c = some_camera();
  const Eigen::Vector3d old_target = c.target;
  c.pan(40.0, -25.0);
  const Projected p = c.project(old_target);
  EXPECT_NEAR(p.x, 500.0 + 40.0, 1e-6);
  EXPECT_NEAR(p.y, 300.0 - 25.0, 1e-6);
  EXPECT_DOUBLE_EQ(c.distance, 25.0);
}

TEST(Camera3D, ZoomKeepsThePointUnderTheCursor) {
  Camera3D c = some_camera();
  const double px = 820.0, py = 140.0;
  // The point under the cursor on the plane through the target facing the camera.
  const Ray3 r = c.ray(px, py);
  const Eigen::Vector3d under = r.origin + r.dir * (c.distance / r.dir.dot(c.forward()));
  c.zoom(2.0, px, py);
  EXPECT_NEAR(c.distance, 25.0 / (Camera3D::kZoomStep * Camera3D::kZoomStep), 1e-9);
  const Projected p = c.project(under);
  EXPECT_NEAR(p.x, px, 1e-6);
  EXPECT_NEAR(p.y, py, 1e-6);
  // Zooming out at the centre keeps the target, and the distance stays within its limits.
  const Eigen::Vector3d target = c.target;
  c.zoom(-3.0);
  EXPECT_NEAR((c.target - target).norm(), 0.0, 1e-9);
  EXPECT_GT(c.distance, 25.0);
  c.zoom(-1000.0);
  EXPECT_DOUBLE_EQ(c.distance, Camera3D::kMaxDistance);
}

TEST(Camera3D, RayHitsTheRightBox) {
  const Camera3D c = some_camera();
  std::vector<Box3D> boxes(3);
  for (int i = 0; i < 3; ++i) {
    boxes[i].box.center = {4.0 * i + 8.0, 0.8, -4.0};
    boxes[i].box.half = {1.0, 0.8, 0.8};
    boxes[i].station = 10 + i;
  }
  for (int i = 0; i < 3; ++i) {
    const Projected top = c.project(boxes[i].box.center + Eigen::Vector3d{0.0, 0.8, 0.0});
    EXPECT_EQ(pick_station(boxes, c, top.x, top.y), 10 + i);
  }
  // The sky above them hits nothing.
  EXPECT_EQ(pick_station(boxes, c, 500.0, 2.0), -1);
}

TEST(Camera3D, RayAgainstATurnedBox) {
  OrientedBox bar;  // 4 m long along x, turned 90 degrees: long along z
  bar.center = {0.0, 0.5, 0.0};
  bar.half = {2.0, 0.5, 0.2};
  bar.yaw = kPi / 2.0;
  Ray3 down;
  down.dir = {0.0, -1.0, 0.0};
  down.origin = {0.0, 10.0, 1.5};
  const std::optional<double> t = intersect(down, bar);
  ASSERT_TRUE(t.has_value());
  EXPECT_NEAR(*t, 9.0, 1e-9);
  down.origin = {1.5, 10.0, 0.0};  // inside the unturned bar, outside the turned one
  EXPECT_FALSE(intersect(down, bar).has_value());
  // A ray starting inside hits at 0; one pointing away misses.
  Ray3 inside;
  inside.origin = bar.center;
  inside.dir = {1.0, 0.0, 0.0};
  EXPECT_EQ(intersect(inside, bar), 0.0);
  Ray3 away;
  away.origin = {0.0, 3.0, 0.0};
  away.dir = {0.0, 1.0, 0.0};
  EXPECT_FALSE(intersect(away, bar).has_value());
}

TEST(Camera3D, PickTakesTheNearestHitWhateverTheOrder) {
  Ray3 r;
  r.origin = {0.0, 0.5, 20.0};
  r.dir = {0.0, 0.0, -1.0};
  std::vector<Box3D> boxes(3);
  boxes[0].box.center = {0.0, 0.5, -5.0};  // far
  boxes[1].box.center = {0.0, 0.5, 5.0};   // near
  boxes[2].box.center = {3.0, 0.5, 10.0};  // off the ray
  for (Box3D& b : boxes) b.box.half = {1.0, 1.0, 1.0};
  EXPECT_EQ(pick_box(boxes, r), 1);
  std::swap(boxes[0], boxes[1]);
  EXPECT_EQ(pick_box(boxes, r), 0);
  EXPECT_EQ(pick_box({}, r), -1);
}

}  // namespace
}  // namespace twin::viewer
