// BeltWorld: a deterministic, fixed-step Bullet rigid-body world holding one straight conveyor
// belt and the box-shaped parts it carries. The seed of the physics models: transfer times that
// emerge from contact and friction instead of being a parameter.
//
// Frame: x along the belt (the surface moves towards +x), y across it, z up; gravity -9.81 z.
// The belt is a static box spanning x in [0, length], y in [-width/2, width/2] and
// z in [-height, 0], so its top surface is the plane z = 0. The moving surface is the standard
// Bullet conveyor: contacts on the belt's top face get a friction direction along +x and a target
// relative velocity equal to the belt speed (see belt_world.cc).
//
// Determinism: single-threaded Bullet with a fixed 1/240 s step; the same belt, the same parts
// added in the same order and the same number of steps give bit-identical results.
#pragma once

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

class btBoxShape;
class btRigidBody;

#include "models/physics/bullet_world.h"

namespace twin {

struct BeltSpec {
  double length_m = 0.0;   // [m] belt length along x (> 0)
  double width_m = 0.0;    // [m] belt width along y (> 0)
  double speed_mps = 0.0;  // [m/s] surface speed along +x (may be 0 or negative)
  double friction = 0.6;   // [-] Coulomb friction coefficient between belt and parts (>= 0)
  double height_m = 0.1;   // [m] thickness of the belt box below its top surface (> 0)
};

struct PartSpec {
  double size_x = 0.0;   // [m] extent along the belt (> 0)
  double size_y = 0.0;   // [m] extent across the belt (> 0)
  double size_z = 0.0;   // [m] height (> 0)
  double mass_kg = 0.0;  // [kg] (> 0)
};

// Sizes and mass finite and > 0 (what every physics world asks of a part).
bool valid_part(const PartSpec& part);

// A static box beside or over the belt: a stop at the discharge end, a side guide. Contacts with
// it are plain (no belt motion).
struct FixtureSpec {
  double x = 0.0, y = 0.0, z = 0.0;                 // [m] centre
  double size_x = 0.0, size_y = 0.0, size_z = 0.0;  // [m] extents (> 0)
  double friction = 0.0;                            // [-] Coulomb coefficient with parts (>= 0)
};

// Contact data of one belt surface, reached from the contact-added callback through the belt
// body's user pointer (Bullet's callback is a global function, so per-belt data cannot live in
// globals). Defined in belt_world.cc.
struct BeltSurface;

class BeltWorld {
 public:
  static constexpr int kStepsPerSecond = 240;              // [1/s] fixed step rate
  static constexpr double kStepS = 1.0 / kStepsPerSecond;  // [s] fixed step
  static constexpr double kGravity = kBulletGravity;       // [m/s^2] magnitude, along -z

  // Throws std::invalid_argument on a non-finite or out-of-range field.
  explicit BeltWorld(const BeltSpec& belt);
  ~BeltWorld();
  // Bullet keeps raw pointers between its objects (and the callback keeps one to the surface):
  // neither copyable nor movable. Hold it in a std::unique_ptr to pass it around.
  BeltWorld(const BeltWorld&) = delete;
  BeltWorld& operator=(const BeltWorld&) = delete;
  BeltWorld(BeltWorld&&) = delete;
  BeltWorld& operator=(BeltWorld&&) = delete;

  // Adds a part at rest, upright, centred across the belt (y = 0) with its centre at x = x_m and
  // its bottom face on the plane of the belt's top surface (z = size_z / 2). x_m outside
  // [0, length] puts it beside the belt, where it falls. Returns the part's index (0, 1, ...).
  // Throws std::invalid_argument on a bad spec.
  int add_part(const PartSpec& part, double x_m);
  // The same, with the centre at y = y_m across the belt and turned by yaw_rad about z.
  int add_part(const PartSpec& part, double x_m, double y_m, double yaw_rad);
  // Takes a part out of the world (a consumer picked it up). Its index stays valid; its accessors
  // return the pose it had when removed. Removing a part twice is a no-op.
  void remove_part(int part);
  bool part_removed(int part) const;
  // Adds a static box. Fixtures are not parts and have no index.
  void add_fixture(const FixtureSpec& fixture);

  // Advances the world by one fixed step of kStepS.
  void step();

  double time_s() const;                    // [s] simulated time: steps taken * kStepS
  int64_t steps() const { return steps_; }  // [steps] taken since construction
  int part_count() const { return static_cast<int>(parts_.size()); }
  double part_x(int part) const;      // [m] centre of mass, along the belt
  double part_y(int part) const;      // [m] centre of mass, across the belt
  double part_z(int part) const;      // [m] centre of mass, height above the belt's top surface
  double part_speed(int part) const;  // [m/s] velocity of the centre of mass along +x
  double part_yaw(int part) const;    // [rad] rotation about z, in (-pi, pi]
  // True if the part touched the belt's top surface in the last step (false before the first).
  bool part_on_belt(int part) const;
  // The pairs of parts touching after the last step (a contact point within 1 mm), each as
  // (lower index, higher index), in Bullet's manifold order, into `out` (cleared first; its
  // storage is reused).
  void touching_parts(std::vector<std::pair<int, int>>& out) const;

  const BeltSpec& belt() const { return belt_; }
  // The static boxes, in order of add_fixture (to draw them).
  const std::vector<FixtureSpec>& fixtures() const { return fixture_specs_; }

 private:
  // Keeps Bullet's global gContactAddedCallback pointing at the belt callback while at least one
  // BeltWorld exists, and restores the previous callback after the last one is gone. Contacts
  // that involve no belt are passed on to the previous callback. The count is mutex-protected,
  // but Bullet reads the global unsynchronized: do not create the first or destroy the last
  // BeltWorld while another thread steps a Bullet world.
  class CallbackRegistration {
   public:
    CallbackRegistration();
    ~CallbackRegistration();
    CallbackRegistration(const CallbackRegistration&) = delete;
    CallbackRegistration& operator=(const CallbackRegistration&) = delete;
  };

  struct Part {
    std::unique_ptr<btBoxShape> shape;  // box with the part's half extents [m]
    std::unique_ptr<btRigidBody> body;  // dynamic body, never deactivated
    bool removed = false;               // taken out of the world by remove_part
  };

  const btRigidBody& body_of(int part) const;  // throws std::out_of_range on a bad index

  // Declaration order is destruction order reversed: the callback registration outlives every
  // Bullet object, the world outlives its bodies (which ~BeltWorld removes from it first), and
  // the shapes outlive the bodies that use them.
  CallbackRegistration registration_;
  BeltSpec belt_;                           // belt as given
  int64_t steps_ = 0;                       // [steps] taken
  std::unique_ptr<BulletWorld> bullet_;     // the Bullet world; owns no objects
  std::unique_ptr<BeltSurface> surface_;    // belt's contact data (its user pointer)
  std::unique_ptr<btBoxShape> belt_shape_;  // belt box, half extents [m]
  std::unique_ptr<btRigidBody> belt_body_;  // static belt body, custom material callback
  std::vector<Part> parts_;                 // parts in order of add_part (n_parts)
  std::vector<Part> fixtures_;              // static boxes in order of add_fixture (n_fixtures)
  std::vector<FixtureSpec> fixture_specs_;  // the same, as given (n_fixtures)
};

// Puts one part of `part` at rest on an otherwise empty belt, its rear face at the belt's start
// (centre at x = size_x / 2), and steps until its centre passes the belt's end (x = length).
// Returns the crossing time [s], interpolated linearly within the step, or -1 if the part has not
// arrived by max_time_s (or has fallen off the belt). Expect
//   t ~ (length - size_x / 2) / speed + speed / (2 friction g),
// the second term being the lag of a part that starts at rest and is accelerated by friction.
double simulate_transport_time(const BeltSpec& belt, const PartSpec& part, double max_time_s);

}  // namespace twin
