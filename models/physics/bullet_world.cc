#include "models/physics/bullet_world.h"

#include <algorithm>

#include <btBulletCollisionCommon.h>
#include <btBulletDynamicsCommon.h>

namespace twin {

namespace {

// Largest collision margin; shrunk for small boxes so the margin never exceeds the box [m].
constexpr double kMaxMargin = 0.04;
// Solver iterations per step: Bullet's default 10 leaves a resting box's four corner impulses
// unconverged (speed ripple ~1e-3); 20 brings the ripple to float rounding (~2e-7).
constexpr int kSolverIterations = 20;

}  // namespace

BulletWorld::BulletWorld(int extra_solver_mode) {
  collision_config = std::make_unique<btDefaultCollisionConfiguration>();
  dispatcher = std::make_unique<btCollisionDispatcher>(collision_config.get());
  // Contact points break (and new ones merge with cached ones) within a fixed distance, Bullet's
  // gContactBreakingThreshold (2 cm), instead of one relative to the shape size: about 2 mm for
  // a 10 cm box, less than a part slides over a static body in one step (4 mm at 1 m/s). With
  // the relative threshold every step's contact points were new ones, not warm-started, and a
  // part rocked on a changing set of 1 to 3 corners with a speed ripple of +-3 %. With 2 cm the
  // four corners persist for belts up to ~4 m/s and the ripple is gone.
  dispatcher->setDispatcherFlags(
      dispatcher->getDispatcherFlags() &
      ~btCollisionDispatcher::CD_USE_RELATIVE_CONTACT_BREAKING_THRESHOLD);
  broadphase = std::make_unique<btDbvtBroadphase>();
  solver = std::make_unique<btSequentialImpulseConstraintSolver>();
  world = std::make_unique<btDiscreteDynamicsWorld>(dispatcher.get(), broadphase.get(),
                                                    solver.get(), collision_config.get());
  world->setGravity(btVector3(0, 0, static_cast<btScalar>(-kBulletGravity)));
  // A second friction direction, across the first, so parts do not drift sideways.
  world->getSolverInfo().m_solverMode |= SOLVER_USE_2_FRICTION_DIRECTIONS | extra_solver_mode;
  world->getSolverInfo().m_numIterations = kSolverIterations;
}

BulletWorld::~BulletWorld() = default;

std::unique_ptr<btBoxShape> make_bullet_box(double hx, double hy, double hz) {
  auto box = std::make_unique<btBoxShape>(
      btVector3(static_cast<btScalar>(hx), static_cast<btScalar>(hy), static_cast<btScalar>(hz)));
  const double margin = std::min(kMaxMargin, 0.25 * std::min({hx, hy, hz}));
  box->setMargin(static_cast<btScalar>(margin));  // keeps the outer extents
  return box;
}

}  // namespace twin
