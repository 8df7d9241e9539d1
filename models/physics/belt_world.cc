#include "models/physics/belt_world.h"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <stdexcept>
#include <string>

#include <btBulletCollisionCommon.h>
#include <btBulletDynamicsCommon.h>

namespace twin {

// Contact data of one belt's top surface. Lives as long as the belt body whose user pointer
// refers to it.
struct BeltSurface {
  btVector3 direction;  // [-] unit vector of the surface motion, world frame
  btVector3 up;         // [-] unit outward normal of the top surface, world frame
  btScalar speed;       // [m/s] surface speed along `direction`
  btScalar friction;    // [-] Coulomb friction coefficient belt-part
};

namespace {

// Marks a collision object whose user pointer is a BeltSurface (in its user index 2), so the
// global callback never misreads some other object's user pointer.
constexpr int kBeltSurfaceTag = 0x4265'6c74;  // "Belt"
// A contact is on the top surface when its normal is within ~45 degrees of the surface normal.
constexpr btScalar kTopFaceCos = btScalar(0.7);
// A contact point nearer than this counts as touching for part_on_belt [m].
constexpr btScalar kTouchDistance = btScalar(1e-3);

const BeltSurface* surface_of(const btCollisionObject* object) {
  if (object == nullptr || object->getUserIndex2() != kBeltSurfaceTag) return nullptr;
  return static_cast<const BeltSurface*>(object->getUserPointer());
}

// Callback that was installed before the first BeltWorld; non-belt contacts are passed on to it.
// Written only under g_callback_mutex when no BeltWorld exists (so no belt contact is in flight).
ContactAddedCallback g_previous_callback = nullptr;
std::mutex g_callback_mutex;
int g_callback_users = 0;  // [worlds] live BeltWorlds

// Called by Bullet for every contact point it adds or refreshes in a pair where one object has
// CF_CUSTOM_MATERIAL_CALLBACK. Objects arrive in manifold order (body 0 = A, body 1 = B), the
// order the solver uses: a friction row along d drives d . (v_A - v_B) to m_contactMotion.
bool belt_contact_added(btManifoldPoint& cp, const btCollisionObjectWrapper* wrap0, int part0,
                        int index0, const btCollisionObjectWrapper* wrap1, int part1, int index1) {
  const BeltSurface* belt_b = surface_of(wrap1->getCollisionObject());
  const BeltSurface* belt_a = belt_b ? nullptr : surface_of(wrap0->getCollisionObject());
  if (belt_a == nullptr && belt_b == nullptr) {
    if (g_previous_callback != nullptr) {
      return g_previous_callback(cp, wrap0, part0, index0, wrap1, part1, index1);
    }
    return false;
  }
  const BeltSurface& belt = belt_b ? *belt_b : *belt_a;
  // m_normalWorldOnB points from B towards A; `sign` turns it into the belt's outward normal.
  const btScalar sign = belt_b ? btScalar(1) : btScalar(-1);
  const btVector3& normal = cp.m_normalWorldOnB;
  if (sign * normal.dot(belt.up) < kTopFaceCos) return false;  // side or end face: plain contact

  btVector3 along = belt.direction - normal * normal.dot(belt.direction);
  along.normalize();
  cp.m_lateralFrictionDir1 = along;
  cp.m_lateralFrictionDir2 = along.cross(normal);
  cp.m_lateralFrictionDir2.normalize();
  // The part must slide at +speed relative to the belt body: v_part . d = speed. With the belt
  // as B that is motion +speed; as A, d . (v_belt - v_part) = -speed.
  cp.m_contactMotion1 = sign * belt.speed;
  cp.m_contactMotion2 = btScalar(0);
  cp.m_combinedFriction = belt.friction;
  cp.m_combinedRestitution = btScalar(0);
  cp.m_contactPointFlags |= BT_CONTACT_FLAG_LATERAL_FRICTION_INITIALIZED;
  return true;
}

void require(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument(what);
}

bool positive(double v) {
  return std::isfinite(v) && v > 0.0;
}

}  // namespace

bool valid_part(const PartSpec& part) {
  return positive(part.size_x) && positive(part.size_y) && positive(part.size_z) &&
         positive(part.mass_kg);
}

BeltWorld::CallbackRegistration::CallbackRegistration() {
  std::lock_guard<std::mutex> lock(g_callback_mutex);
  if (g_callback_users++ == 0) {
    g_previous_callback = gContactAddedCallback;
    gContactAddedCallback = belt_contact_added;
  }
}

BeltWorld::CallbackRegistration::~CallbackRegistration() {
  std::lock_guard<std::mutex> lock(g_callback_mutex);
  if (--g_callback_users == 0) {
    // Someone who replaced the callback after us keeps theirs.
    if (gContactAddedCallback == belt_contact_added) gContactAddedCallback = g_previous_callback;
    g_previous_callback = nullptr;
  }
}

BeltWorld::BeltWorld(const BeltSpec& belt)
    // Friction directions and target velocities as the callback sets them on belt contacts (else
    // the solver recomputes them from the relative velocity).
    : belt_(belt),
      bullet_(std::make_unique<BulletWorld>(SOLVER_ENABLE_FRICTION_DIRECTION_CACHING)) {
  require(positive(belt.length_m), "BeltSpec.length_m must be finite and > 0");
  require(positive(belt.width_m), "BeltSpec.width_m must be finite and > 0");
  require(positive(belt.height_m), "BeltSpec.height_m must be finite and > 0");
  require(std::isfinite(belt.speed_mps), "BeltSpec.speed_mps must be finite");
  require(std::isfinite(belt.friction) && belt.friction >= 0.0,
          "BeltSpec.friction must be finite and >= 0");

  surface_ = std::make_unique<BeltSurface>();
  surface_->direction = btVector3(1, 0, 0);
  surface_->up = btVector3(0, 0, 1);
  surface_->speed = static_cast<btScalar>(belt.speed_mps);
  surface_->friction = static_cast<btScalar>(belt.friction);

  belt_shape_ = make_bullet_box(0.5 * belt.length_m, 0.5 * belt.width_m, 0.5 * belt.height_m);
  btTransform at;
  at.setIdentity();
  at.setOrigin(btVector3(static_cast<btScalar>(0.5 * belt.length_m), 0,
                         static_cast<btScalar>(-0.5 * belt.height_m)));
  btRigidBody::btRigidBodyConstructionInfo info(0, nullptr, belt_shape_.get());
  info.m_startWorldTransform = at;
  info.m_friction = surface_->friction;
  info.m_restitution = 0;
  belt_body_ = std::make_unique<btRigidBody>(info);
  belt_body_->setCollisionFlags(belt_body_->getCollisionFlags() |
                                btCollisionObject::CF_CUSTOM_MATERIAL_CALLBACK);
  belt_body_->setUserPointer(surface_.get());
  belt_body_->setUserIndex2(kBeltSurfaceTag);
  bullet_->world->addRigidBody(belt_body_.get());
}

BeltWorld::~BeltWorld() {
  // Bodies leave the world before they (and then the world) are destroyed.
  for (auto it = parts_.rbegin(); it != parts_.rend(); ++it) {
    if (!it->removed) bullet_->world->removeRigidBody(it->body.get());
  }
  for (auto it = fixtures_.rbegin(); it != fixtures_.rend(); ++it)
    bullet_->world->removeRigidBody(it->body.get());
  bullet_->world->removeRigidBody(belt_body_.get());
}

int BeltWorld::add_part(const PartSpec& part, double x_m) {
  return add_part(part, x_m, 0.0, 0.0);
}

int BeltWorld::add_part(const PartSpec& part, double x_m, double y_m, double yaw_rad) {
  require(valid_part(part), "PartSpec sizes and mass must be finite and > 0");
  require(std::isfinite(x_m) && std::isfinite(y_m) && std::isfinite(yaw_rad),
          "add_part: x_m, y_m and yaw_rad must be finite");

  Part p;
  p.shape = make_bullet_box(0.5 * part.size_x, 0.5 * part.size_y, 0.5 * part.size_z);
  const auto mass = static_cast<btScalar>(part.mass_kg);
  btVector3 inertia(0, 0, 0);
  p.shape->calculateLocalInertia(mass, inertia);
  btTransform at;
  at.setIdentity();
  at.setOrigin(btVector3(static_cast<btScalar>(x_m), static_cast<btScalar>(y_m),
                         static_cast<btScalar>(0.5 * part.size_z)));
  if (yaw_rad != 0.0)
    at.setRotation(btQuaternion(btVector3(0, 0, 1), static_cast<btScalar>(yaw_rad)));
  btRigidBody::btRigidBodyConstructionInfo info(mass, nullptr, p.shape.get(), inertia);
  info.m_startWorldTransform = at;
  info.m_friction = surface_->friction;  // part-part contacts; belt contacts are set explicitly
  info.m_restitution = 0;
  p.body = std::make_unique<btRigidBody>(info);
  // Bullet puts bodies slower than 0.8 m/s to sleep after 2 s, which would stop a part riding a
  // slow belt. Parts stay awake.
  p.body->setActivationState(DISABLE_DEACTIVATION);
  // Its index, for touching_parts (the belt and the fixtures keep Bullet's default, -1).
  p.body->setUserIndex(static_cast<int>(parts_.size()));
  bullet_->world->addRigidBody(p.body.get());
  parts_.push_back(std::move(p));
  return static_cast<int>(parts_.size()) - 1;
}

void BeltWorld::remove_part(int part) {
  body_of(part);  // range check
  Part& p = parts_[static_cast<size_t>(part)];
  if (p.removed) return;
  bullet_->world->removeRigidBody(p.body.get());
  p.removed = true;
}

bool BeltWorld::part_removed(int part) const {
  body_of(part);  // range check
  return parts_[static_cast<size_t>(part)].removed;
}

void BeltWorld::add_fixture(const FixtureSpec& f) {
  require(std::isfinite(f.x) && std::isfinite(f.y) && std::isfinite(f.z),
          "FixtureSpec centre must be finite");
  require(positive(f.size_x) && positive(f.size_y) && positive(f.size_z),
          "FixtureSpec sizes must be finite and > 0");
  require(std::isfinite(f.friction) && f.friction >= 0.0,
          "FixtureSpec.friction must be finite and >= 0");
  Part p;
  p.shape = make_bullet_box(0.5 * f.size_x, 0.5 * f.size_y, 0.5 * f.size_z);
  btTransform at;
  at.setIdentity();
  at.setOrigin(btVector3(static_cast<btScalar>(f.x), static_cast<btScalar>(f.y),
                         static_cast<btScalar>(f.z)));
  btRigidBody::btRigidBodyConstructionInfo info(0, nullptr, p.shape.get());
  info.m_startWorldTransform = at;
  info.m_friction = static_cast<btScalar>(f.friction);
  info.m_restitution = 0;
  p.body = std::make_unique<btRigidBody>(info);
  bullet_->world->addRigidBody(p.body.get());
  fixtures_.push_back(std::move(p));
  fixture_specs_.push_back(f);
}

void BeltWorld::step() {
  const auto dt = static_cast<btScalar>(kStepS);
  // One internal step of exactly dt (the accumulator adds dt and takes dt away again).
  const int taken = bullet_->world->stepSimulation(dt, 1, dt);
  if (taken != 1) throw std::logic_error("BeltWorld::step: Bullet did not take exactly one step");
  ++steps_;
}

double BeltWorld::time_s() const {
  return static_cast<double>(steps_) * kStepS;
}

const btRigidBody& BeltWorld::body_of(int part) const {
  if (part < 0 || part >= part_count()) {
    throw std::out_of_range("BeltWorld: no part " + std::to_string(part));
  }
  return *parts_[static_cast<size_t>(part)].body;
}

double BeltWorld::part_x(int part) const {
  return static_cast<double>(body_of(part).getCenterOfMassPosition().x());
}

double BeltWorld::part_y(int part) const {
  return static_cast<double>(body_of(part).getCenterOfMassPosition().y());
}

double BeltWorld::part_z(int part) const {
  return static_cast<double>(body_of(part).getCenterOfMassPosition().z());
}

double BeltWorld::part_speed(int part) const {
  return static_cast<double>(body_of(part).getLinearVelocity().dot(surface_->direction));
}

double BeltWorld::part_yaw(int part) const {
  btScalar yaw = 0, pitch = 0, roll = 0;
  body_of(part).getCenterOfMassTransform().getBasis().getEulerYPR(yaw, pitch, roll);
  return static_cast<double>(yaw);
}

bool BeltWorld::part_on_belt(int part) const {
  const btRigidBody* body = &body_of(part);
  const int n = bullet_->dispatcher->getNumManifolds();
  for (int i = 0; i < n; ++i) {
    const btPersistentManifold* m = bullet_->dispatcher->getManifoldByIndexInternal(i);
    const bool belt_a = m->getBody0() == belt_body_.get() && m->getBody1() == body;
    const bool belt_b = m->getBody1() == belt_body_.get() && m->getBody0() == body;
    if (!belt_a && !belt_b) continue;
    const btScalar sign = belt_b ? btScalar(1) : btScalar(-1);
    for (int j = 0; j < m->getNumContacts(); ++j) {
      const btManifoldPoint& cp = m->getContactPoint(j);
      if (cp.getDistance() <= kTouchDistance &&
          sign * cp.m_normalWorldOnB.dot(surface_->up) >= kTopFaceCos) {
        return true;
      }
    }
  }
  return false;
}

void BeltWorld::touching_parts(std::vector<std::pair<int, int>>& out) const {
  out.clear();
  const int n = bullet_->dispatcher->getNumManifolds();
  for (int i = 0; i < n; ++i) {
    const btPersistentManifold* m = bullet_->dispatcher->getManifoldByIndexInternal(i);
    const int a = m->getBody0()->getUserIndex(), b = m->getBody1()->getUserIndex();
    if (a < 0 || b < 0) continue;  // the belt or a fixture
    for (int j = 0; j < m->getNumContacts(); ++j) {
      if (m->getContactPoint(j).getDistance() <= kTouchDistance) {
        out.emplace_back(std::min(a, b), std::max(a, b));
        break;
      }
    }
  }
}

double simulate_transport_time(const BeltSpec& belt, const PartSpec& part, double max_time_s) {
  BeltWorld world(belt);
  const int id = world.add_part(part, 0.5 * part.size_x);
  const double end = belt.length_m;
  double x_before = world.part_x(id);  // [m] centre before the current step
  if (x_before >= end) return 0.0;
  // Steps that fit in max_time_s (the small slack absorbs rounding of max_time_s / kStepS).
  const double max_steps = std::floor(max_time_s * BeltWorld::kStepsPerSecond + 1e-9);
  for (int64_t n = 0; static_cast<double>(n) < max_steps; ++n) {
    world.step();
    const double x = world.part_x(id);
    if (x >= end) {
      const double fraction = (end - x_before) / (x - x_before);  // in (0, 1]
      return world.time_s() - (1.0 - fraction) * BeltWorld::kStepS;
    }
    // Below the top surface by more than its own height: fell off, will never arrive.
    if (world.part_z(id) < -part.size_z) return -1.0;
    x_before = x;
  }
  return -1.0;
}

}  // namespace twin
