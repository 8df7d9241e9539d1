// The orbit camera of the 3D line view: where it looks from, the view and projection matrices,
// world -> pixel projection and pixel -> world rays, and ray-box intersection for picking.
//
// World frame: metres, x right (the plan's x), y up, z towards the viewer (the plan's -y), so a
// plan point (x, y) lies on the floor at (x, 0, -y). Pixels: origin at the top left of the image,
// y down, the image spans [0, width] x [0, height].
//
// Pure math (Eigen), no OpenGL, header-only: tests ask where something lands on the image.
#pragma once

#include <algorithm>
#include <cmath>
#include <optional>

#include <Eigen/Core>
#include <Eigen/Geometry>

namespace twin::viewer {

inline constexpr double kPi = 3.14159265358979323846;

// Axis-aligned box in world metres.
struct Bounds3 {
  Eigen::Vector3d lo = Eigen::Vector3d::Zero();  // [m] minimum corner
  Eigen::Vector3d hi = Eigen::Vector3d::Zero();  // [m] maximum corner
};

// A box turned about the world up axis: world = center + Ry(yaw) * local, local in
// [-half, half].
struct OrientedBox {
  Eigen::Vector3d center = Eigen::Vector3d::Zero();  // [m] world
  Eigen::Vector3d half = Eigen::Vector3d::Zero();    // [m] half extents along its own axes
  double yaw = 0.0;                                  // [rad] about +y; local +x -> (cos, 0, -sin)
};

// A ray in world metres: origin + t * dir, t >= 0.
struct Ray3 {
  Eigen::Vector3d origin = Eigen::Vector3d::Zero();  // [m]
  Eigen::Vector3d dir = Eigen::Vector3d::UnitZ();    // unit length
};

// Where a world point lands on the image.
struct Projected {
  double x = 0.0, y = 0.0;  // [px] from the image's top left, y down
  double depth = 0.0;       // [m] along the viewing direction (> 0 in front of the camera)
  bool in_front = false;    // depth beyond the near plane; x and y mean nothing otherwise
  bool inside(double width, double height) const {
    return in_front && x >= 0.0 && y >= 0.0 && x <= width && y <= height;
  }
};

// Rotation about the world up axis by `yaw`, the same matrix the shader applies.
inline Eigen::Matrix3d yaw_rotation(double yaw) {
  const double c = std::cos(yaw), s = std::sin(yaw);
  Eigen::Matrix3d r;
  r << c, 0.0, s, 0.0, 1.0, 0.0, -s, 0.0, c;
  return r;
}

// Distance t >= 0 along `ray` where it enters `box` (0 when it starts inside), or nothing.
inline std::optional<double> intersect(const Ray3& ray, const OrientedBox& box) {
  // In the box's frame the box is axis-aligned: slab test.
  const Eigen::Matrix3d to_local = yaw_rotation(box.yaw).transpose();
  const Eigen::Vector3d o = to_local * (ray.origin - box.center);
  const Eigen::Vector3d d = to_local * ray.dir;
  double t0 = 0.0, t1 = 1e300;
  for (int i = 0; i < 3; ++i) {
    if (std::abs(d[i]) < 1e-15) {
      if (o[i] < -box.half[i] || o[i] > box.half[i]) return std::nullopt;
      continue;
    }
    double a = (-box.half[i] - o[i]) / d[i], b = (box.half[i] - o[i]) / d[i];
    if (a > b) std::swap(a, b);
    t0 = std::max(t0, a);
    t1 = std::min(t1, b);
    if (t0 > t1) return std::nullopt;
  }
  return t0;
}

// Orbit camera: it circles `target` at `distance`, `yaw` around the up axis and `pitch` above
// the floor. The image size is part of the camera so that it can answer in pixels.
struct Camera3D {
  Eigen::Vector3d target = Eigen::Vector3d::Zero();  // [m] point looked at and orbited
  double yaw = -0.4;  // [rad] about +y; 0 looks from +z (the plan's front), < 0 from the left
  double pitch = 35.0 * kPi / 180.0;       // [rad] above the horizon, in [kMinPitch, kMaxPitch]
  double distance = 30.0;                  // [m] from the target to the eye
  double fov_y = 40.0 * kPi / 180.0;       // [rad] vertical field of view
  double width_px = 1.0, height_px = 1.0;  // [px] image size
  bool fitted = false;                     // fit() has run (the pane fits once on first show)

  static constexpr double kMinPitch = 2.0 * kPi / 180.0;   // [rad] stay above the floor
  static constexpr double kMaxPitch = 89.0 * kPi / 180.0;  // [rad] straight down is singular
  static constexpr double kMinDistance = 0.5;              // [m]
  static constexpr double kMaxDistance = 5000.0;           // [m]
  static constexpr double kOrbitRate = 0.006;              // [rad/px] mouse drag
  static constexpr double kZoomStep = 1.15;                // distance ratio per wheel notch

  void set_viewport(double width, double height) {
    width_px = std::max(width, 1.0);
    height_px = std::max(height, 1.0);
  }
  double aspect() const { return width_px / height_px; }

  // Unit vector from the target to the eye.
  Eigen::Vector3d back() const {
    return {std::cos(pitch) * std::sin(yaw), std::sin(pitch), std::cos(pitch) * std::cos(yaw)};
  }
  Eigen::Vector3d eye() const { return target + distance * back(); }
  Eigen::Vector3d forward() const { return -back(); }
  // Image right and up in the world (right stays horizontal).
  Eigen::Vector3d right() const { return {std::cos(yaw), 0.0, -std::sin(yaw)}; }
  Eigen::Vector3d up() const { return right().cross(forward()).normalized(); }

  // Clip planes follow the distance so the depth buffer keeps its precision at any zoom.
  double near_m() const { return std::clamp(distance / 200.0, 0.02, 5.0); }
  double far_m() const { return distance * 20.0 + 200.0; }

  // World -> eye space (OpenGL convention: the camera looks along -z).
  Eigen::Matrix4d view() const {
    const Eigen::Vector3d r = right(), u = up(), b = back(), e = eye();
    Eigen::Matrix4d m = Eigen::Matrix4d::Identity();
    m.block<1, 3>(0, 0) = r.transpose();
    m.block<1, 3>(1, 0) = u.transpose();
    m.block<1, 3>(2, 0) = b.transpose();
    m(0, 3) = -r.dot(e);
    m(1, 3) = -u.dot(e);
    m(2, 3) = -b.dot(e);
    return m;
  }
  // Eye -> clip space (OpenGL, depth in [-1, 1]).
  Eigen::Matrix4d projection() const {
    const double f = 1.0 / std::tan(fov_y / 2.0), n = near_m(), fa = far_m();
    Eigen::Matrix4d p = Eigen::Matrix4d::Zero();
    p(0, 0) = f / aspect();
    p(1, 1) = f;
    p(2, 2) = (fa + n) / (n - fa);
    p(2, 3) = 2.0 * fa * n / (n - fa);
    p(3, 2) = -1.0;
    return p;
  }
  Eigen::Matrix4d view_projection() const { return projection() * view(); }

  Projected project(const Eigen::Vector3d& world) const {
    const Eigen::Vector4d clip = view_projection() * world.homogeneous();
    Projected out;
    out.depth = clip.w();
    out.in_front = clip.w() > near_m();
    if (!out.in_front) return out;
    out.x = (clip.x() / clip.w() + 1.0) / 2.0 * width_px;
    out.y = (1.0 - clip.y() / clip.w()) / 2.0 * height_px;
    return out;
  }

  // The ray from the eye through pixel (px, py).
  Ray3 ray(double px, double py) const {
    const double t = std::tan(fov_y / 2.0);
    const double nx = 2.0 * px / width_px - 1.0, ny = 1.0 - 2.0 * py / height_px;
    Ray3 r;
    r.origin = eye();
    r.dir = (forward() + right() * (nx * t * aspect()) + up() * (ny * t)).normalized();
    return r;
  }

  // Looks at `b` from the current yaw and pitch, from where every corner of `b` lies inside the
  // image with `margin` [1] of its half-size to spare, centred; the target is on the view axis
  // at the depth of the box's centre.
  void fit(const Bounds3& b, double margin = 0.08) {
    // In the camera's basis (r, u, f) a point (a, b, c) is inside when |a - ea| <= tx (c - ec)
    // and |b - eb| <= ty (c - ec) for the eye (ea, eb, ec). The tightest eye for each image axis
    // touches the extreme corners on both sides; the farther back of the two wins.
    const double ty = std::tan(fov_y / 2.0) * (1.0 - margin);
    const double tx = std::tan(fov_y / 2.0) * aspect() * (1.0 - margin);
    const Eigen::Vector3d r = right(), u = up(), f = forward();
    double left = 1e300, right_side = 1e300, bottom = 1e300, top = 1e300;
    for (int i = 0; i < 8; ++i) {
      const Eigen::Vector3d p = corner(b, i);
      const double a = p.dot(r), v = p.dot(u), c = p.dot(f);
      left = std::min(left, a + tx * c);
      right_side = std::min(right_side, -a + tx * c);
      bottom = std::min(bottom, v + ty * c);
      top = std::min(top, -v + ty * c);
    }
    const double ec = std::min((left + right_side) / (2.0 * tx), (bottom + top) / (2.0 * ty));
    // The axis that did not set ec has room to spare: centre it (the highest and lowest
    // slopes seen from the eye cancel; both fall as the eye moves that way, so bisect).
    const auto centred = [&](const Eigen::Vector3d& axis, double guess) {
      const auto balance = [&](double e) {
        double lo = 1e300, hi = -1e300;
        for (int i = 0; i < 8; ++i) {
          const Eigen::Vector3d p = corner(b, i);
          const double slope = (p.dot(axis) - e) / std::max(p.dot(f) - ec, 1e-9);
          lo = std::min(lo, slope);
          hi = std::max(hi, slope);
        }
        return lo + hi;
      };
      double a = guess - 1.0, z = guess + 1.0;
      while (balance(a) < 0.0) a -= 2.0 * (z - a);
      while (balance(z) > 0.0) z += 2.0 * (z - a);
      for (int k = 0; k < 60; ++k) {
        const double mid = (a + z) / 2.0;
        (balance(mid) > 0.0 ? a : z) = mid;
      }
      return (a + z) / 2.0;
    };
    const double ea = centred(r, (left - right_side) / 2.0);
    const double eb = centred(u, (bottom - top) / 2.0);
    const Eigen::Vector3d eye_at = r * ea + u * eb + f * ec;
    const Eigen::Vector3d center = (b.lo + b.hi) / 2.0;
    distance = std::clamp((center - eye_at).dot(f), kMinDistance, kMaxDistance);
    target = eye_at + f * distance;
    fitted = true;
  }

  // Turns around the target by a mouse drag of (dx, dy) pixels: dragging right turns the scene
  // to the right, dragging down looks more from above.
  void orbit(double dx, double dy) {
    yaw -= dx * kOrbitRate;
    yaw = std::remainder(yaw, 2.0 * kPi);
    pitch = std::clamp(pitch + dy * kOrbitRate, kMinPitch, kMaxPitch);
  }

  // Moves the target so that a point at the target's depth follows a drag of (dx, dy) pixels.
  void pan(double dx, double dy) {
    const double m_per_px = 2.0 * distance * std::tan(fov_y / 2.0) / height_px;
    target += (-right() * dx + up() * dy) * m_per_px;
  }

  // Zooms by `wheel` notches (> 0 closer) about pixel (px, py): a point on the plane through the
  // target facing the camera stays under that pixel.
  void zoom(double wheel, double px, double py) {
    const Ray3 r = ray(px, py);
    const double along = r.dir.dot(forward());
    const Eigen::Vector3d hit = r.origin + r.dir * (distance / std::max(along, 1e-9));
    const double old = distance;
    distance = std::clamp(distance * std::pow(kZoomStep, -wheel), kMinDistance, kMaxDistance);
    target += (hit - target) * (1.0 - distance / old);
  }
  void zoom(double wheel) { zoom(wheel, width_px / 2.0, height_px / 2.0); }

  static Eigen::Vector3d corner(const Bounds3& b, int i) {
    return {(i & 1) != 0 ? b.hi.x() : b.lo.x(), (i & 2) != 0 ? b.hi.y() : b.lo.y(),
            (i & 4) != 0 ? b.hi.z() : b.lo.z()};
  }
};

}  // namespace twin::viewer
