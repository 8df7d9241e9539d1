// The Bullet objects of one deterministic physics world, set up the same way for every physics
// scene (BeltWorld, RobotCell): single-threaded, gravity -9.81 along z, an absolute contact
// breaking threshold, two friction directions and 20 solver iterations (see bullet_world.cc for
// why each), and boxes whose collision margin fits inside them.
#pragma once

#include <memory>

class btDefaultCollisionConfiguration;
class btCollisionDispatcher;
struct btDbvtBroadphase;
class btSequentialImpulseConstraintSolver;
class btDiscreteDynamicsWorld;
class btBoxShape;

namespace twin {

inline constexpr double kBulletGravity = 9.81;  // [m/s^2] magnitude, along -z

struct BulletWorld {
  // `extra_solver_mode`: more btSolverMode flags on top of SOLVER_USE_2_FRICTION_DIRECTIONS.
  explicit BulletWorld(int extra_solver_mode = 0);
  ~BulletWorld();
  BulletWorld(const BulletWorld&) = delete;
  BulletWorld& operator=(const BulletWorld&) = delete;

  // Declaration order is construction order; destroyed in reverse, the world first. The world
  // owns no objects: remove every body from it before it goes.
  std::unique_ptr<btDefaultCollisionConfiguration> collision_config;  // collision algorithms
  std::unique_ptr<btCollisionDispatcher> dispatcher;                  // narrow phase
  std::unique_ptr<btDbvtBroadphase> broadphase;                       // AABB tree broad phase
  std::unique_ptr<btSequentialImpulseConstraintSolver> solver;        // contact solver
  std::unique_ptr<btDiscreteDynamicsWorld> world;
};

// A box shape of half extents (hx, hy, hz) [m] whose collision margin fits inside it (keeps
// the outer extents).
std::unique_ptr<btBoxShape> make_bullet_box(double hx, double hy, double hz);

}  // namespace twin
