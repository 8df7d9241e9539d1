#include "models/physics/robot_cell.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>
#include <string>
#include <utility>

#include <btBulletCollisionCommon.h>
#include <btBulletDynamicsCommon.h>

namespace twin {
namespace {

constexpr double kPi = std::numbers::pi;
// A contact point nearer than this counts as touching [m].
constexpr btScalar kTouchDistance = btScalar(1e-3);

void require(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument(what);
}

bool positive(double v) {
  return std::isfinite(v) && v > 0.0;
}

bool non_negative(double v) {
  return std::isfinite(v) && v >= 0.0;
}

btScalar f(double v) {
  return static_cast<btScalar>(v);
}

btTransform pose_at(double x, double y, double z, double yaw) {
  btTransform t;
  t.setIdentity();
  t.setOrigin(btVector3(f(x), f(y), f(z)));
  t.setRotation(btQuaternion(btVector3(0, 0, 1), f(yaw)));
  return t;
}

// Index of the phase that follows p in the cycle.
RobotPhase next_phase(RobotPhase p) {
  return static_cast<RobotPhase>((static_cast<int>(p) + 1) % kRobotPhases);
}

bool is_wait(RobotPhase p) {
  return p == RobotPhase::kWaitPart || p == RobotPhase::kWaitStation;
}

// Time of a synchronized joint move from a to b: the slowest joint's trapezoid.
double move_time(const ScaraSpec& arm, const ScaraJoints& a, const ScaraJoints& b) {
  double t = 0.0;
  for (size_t j = 0; j < kScaraJoints; ++j) {
    t = std::max(t, trapezoid_time(std::abs(b[j] - a[j]), arm.limits[j]));
  }
  return t;
}

}  // namespace

double wrap_angle(double rad) {
  rad = std::remainder(rad, 2.0 * kPi);
  return rad <= -kPi ? rad + 2.0 * kPi : rad;
}

double trapezoid_time(double distance, const JointLimit& limit) {
  const double v = limit.max_speed, a = limit.max_accel;
  if (distance <= 0.0) return 0.0;
  if (distance > v * v / a) return distance / v + v / a;
  return 2.0 * std::sqrt(distance / a);
}

double trapezoid_position(double distance, double duration, double max_accel, double t) {
  const double d = std::abs(distance);
  if (d == 0.0 || duration <= 0.0) return t > 0.0 ? distance : 0.0;
  t = std::clamp(t, 0.0, duration);
  // Cruise speed vc of the trapezoid with acceleration a lasting T: d = vc (T - vc / a), the
  // smaller root. The discriminant is >= 0 when T >= 2 sqrt(d / a), the triangle's time; rounding
  // can take it a hair below zero at exactly that time.
  const double a = max_accel, T = duration;
  const double vc = 0.5 * (a * T - std::sqrt(std::max(0.0, a * a * T * T - 4.0 * a * d)));
  const double ta = vc / a;  // [s] acceleration time
  double s = 0.0;
  if (t < ta) {
    s = 0.5 * a * t * t;
  } else if (t <= T - ta) {
    s = 0.5 * a * ta * ta + vc * (t - ta);
  } else {
    const double left = T - t;
    s = d - 0.5 * a * left * left;
  }
  return std::copysign(std::clamp(s, 0.0, d), distance);
}

std::optional<ScaraJoints> scara_inverse(const ScaraSpec& arm, const ToolPose& pose) {
  const double dx = pose.x_m - arm.base_x_m, dy = pose.y_m - arm.base_y_m;
  const double l1 = arm.link1_m, l2 = arm.link2_m;
  const double r2 = dx * dx + dy * dy;
  // Law of cosines for the elbow angle.
  const double c = (r2 - l1 * l1 - l2 * l2) / (2.0 * l1 * l2);
  if (!(c >= -1.0 - 1e-12 && c <= 1.0 + 1e-12)) return std::nullopt;
  const double elbow = (arm.elbow_sign < 0.0 ? -1.0 : 1.0) * std::acos(std::clamp(c, -1.0, 1.0));
  const double shoulder =
      std::atan2(dy, dx) - std::atan2(l2 * std::sin(elbow), l1 + l2 * std::cos(elbow));
  ScaraJoints q{};
  q[0] = wrap_angle(shoulder);
  q[1] = wrap_angle(elbow);
  q[2] = pose.z_m;
  q[3] = wrap_angle(pose.yaw_rad - q[0] - q[1]);
  return q;
}

ToolPose scara_forward(const ScaraSpec& arm, const ScaraJoints& q) {
  ToolPose p;
  p.x_m = arm.base_x_m + arm.link1_m * std::cos(q[0]) + arm.link2_m * std::cos(q[0] + q[1]);
  p.y_m = arm.base_y_m + arm.link1_m * std::sin(q[0]) + arm.link2_m * std::sin(q[0] + q[1]);
  p.z_m = q[2];
  p.yaw_rad = wrap_angle(q[0] + q[1] + q[3]);
  return p;
}

void RobotCell::append_arrival(double time_s, uint16_t part) {
  require(std::isfinite(time_s), "RobotCell::append_arrival: time must be finite");
  require(part < spec_.parts.size(), "RobotCell::append_arrival: part must index parts");
  if (!spec_.arrivals_s.empty()) time_s = std::max(time_s, spec_.arrivals_s.back());
  time_s = std::max(time_s, 0.0);
  if (part != 0 || !spec_.arrival_part.empty()) {
    spec_.arrival_part.resize(spec_.arrivals_s.size(), 0);
    spec_.arrival_part.push_back(part);
  }
  spec_.arrivals_s.push_back(time_s);
  RobotRecord r;
  r.due_s = time_s;
  r.part = part;
  records_.push_back(r);
}

RobotCell::RobotCell(RobotCellSpec spec) : spec_(std::move(spec)) {
  const RobotCellSpec& s = spec_;
  const ScaraSpec& arm = s.arm;
  require(std::isfinite(arm.base_x_m) && std::isfinite(arm.base_y_m),
          "ScaraSpec base must be finite");
  require(positive(arm.link1_m) && positive(arm.link2_m),
          "ScaraSpec link lengths must be finite and > 0");
  for (const JointLimit& l : arm.limits) {
    require(positive(l.max_speed) && positive(l.max_accel),
            "ScaraSpec joint limits must be finite and > 0");
  }
  require(std::isfinite(arm.travel_z_m), "ScaraSpec.travel_z_m must be finite");
  require(positive(arm.gripper_size_x_m) && positive(arm.gripper_size_y_m) &&
              positive(arm.gripper_size_z_m),
          "ScaraSpec gripper sizes must be finite and > 0");
  require(!s.parts.empty(), "RobotCellSpec.parts must hold at least one part");
  for (const PartSpec& part : s.parts)
    require(valid_part(part), "RobotCellSpec.parts sizes and mass must be finite and > 0");
  require(s.arrival_part.empty() || s.arrival_part.size() == s.arrivals_s.size(),
          "RobotCellSpec.arrival_part must be empty or hold one index per arrival");
  for (uint16_t part : s.arrival_part)
    require(part < s.parts.size(), "RobotCellSpec.arrival_part must index parts");
  for (const CellStation* st : {&s.pick, &s.drop}) {
    require(std::isfinite(st->x_m) && std::isfinite(st->y_m) && std::isfinite(st->yaw_rad) &&
                std::isfinite(st->top_z_m),
            "CellStation pose must be finite");
    require(positive(st->size_x_m) && positive(st->size_y_m) && positive(st->thickness_m),
            "CellStation sizes must be finite and > 0");
  }
  require(non_negative(s.grip_s) && non_negative(s.release_s) && non_negative(s.grip_gap_m) &&
              non_negative(s.release_gap_m) && non_negative(s.station_cycle_s) &&
              non_negative(s.friction) && non_negative(s.rest_speed_mps) &&
              non_negative(s.rest_spin_radps),
          "RobotCellSpec dwell times, gaps and tolerances must be finite and >= 0");
  double last = 0.0;
  for (double t : s.arrivals_s) {
    require(std::isfinite(t) && t >= last,
            "RobotCellSpec.arrivals_s must be finite, >= 0 and ascending");
    last = t;
  }

  // The poses of the cycle: above the nest and the station, and per part the grip and release
  // heights.
  const auto home = scara_inverse(arm, {s.pick.x_m, s.pick.y_m, arm.travel_z_m, s.pick.yaw_rad});
  const auto above_drop =
      scara_inverse(arm, {s.drop.x_m, s.drop.y_m, arm.travel_z_m, s.drop.yaw_rad});
  require(home.has_value(), "RobotCellSpec.pick is out of the arm's reach");
  require(above_drop.has_value(), "RobotCellSpec.drop is out of the arm's reach");
  q_home_ = *home;
  q_above_drop_ = *above_drop;
  auto at = [](RobotPhase p) { return static_cast<size_t>(p); };
  for (const PartSpec& part : s.parts) {
    const double pick_z = s.pick.top_z_m + part.size_z + s.grip_gap_m;
    const double drop_z = s.drop.top_z_m + s.release_gap_m + part.size_z + s.grip_gap_m;
    require(arm.travel_z_m >= pick_z && arm.travel_z_m >= drop_z,
            "ScaraSpec.travel_z_m must be at or above the grip and release heights");
    PartPlan& plan = plans_.emplace_back();
    plan.q_pick = q_home_;
    plan.q_pick[2] = pick_z;
    plan.q_drop = q_above_drop_;
    plan.q_drop[2] = drop_z;
    std::array<double, kRobotPhases>& d = plan.duration;
    d[at(RobotPhase::kDescendToPick)] = move_time(arm, q_home_, plan.q_pick);
    d[at(RobotPhase::kGrip)] = s.grip_s;
    d[at(RobotPhase::kLiftFromPick)] = move_time(arm, plan.q_pick, q_home_);
    d[at(RobotPhase::kSwingToDrop)] = move_time(arm, q_home_, q_above_drop_);
    d[at(RobotPhase::kDescendToDrop)] = move_time(arm, q_above_drop_, plan.q_drop);
    d[at(RobotPhase::kRelease)] = s.release_s;
    d[at(RobotPhase::kLiftFromDrop)] = move_time(arm, plan.q_drop, q_above_drop_);
    d[at(RobotPhase::kSwingToPick)] = move_time(arm, q_above_drop_, q_home_);
  }
  // The robot waits above the station with a part in the gripper while the last one is still on
  // it: the held part must pass over the resting one (tallest over tallest), by the release gap.
  double tallest = 0.0;  // [m]
  for (const PartSpec& part : s.parts) tallest = std::max(tallest, part.size_z);
  require(arm.travel_z_m - tallest >= s.drop.top_z_m + tallest + s.release_gap_m - 1e-9,
          "ScaraSpec.travel_z_m is too low: a held part would strike the part resting on the "
          "station (its bottom must clear that part's top by release_gap_m)");

  records_.resize(s.arrivals_s.size());
  for (size_t i = 0; i < records_.size(); ++i) {
    records_[i].due_s = s.arrivals_s[i];
    if (!s.arrival_part.empty()) records_[i].part = s.arrival_part[i];
  }
  parts_.reserve(records_.size());
  held_offset_ = std::make_unique<btTransform>();
  held_offset_->setIdentity();

  bullet_ = std::make_unique<BulletWorld>();

  auto add_table = [&](Body& table, const CellStation& st) {
    table.shape = make_bullet_box(0.5 * st.size_x_m, 0.5 * st.size_y_m, 0.5 * st.thickness_m);
    btRigidBody::btRigidBodyConstructionInfo info(0, nullptr, table.shape.get());
    info.m_startWorldTransform = pose_at(st.x_m, st.y_m, st.top_z_m - 0.5 * st.thickness_m, 0.0);
    info.m_friction = f(s.friction);
    info.m_restitution = 0;
    table.body = std::make_unique<btRigidBody>(info);
    bullet_->world->addRigidBody(table.body.get());
    table.in_world = true;
  };
  add_table(pick_table_, s.pick);
  add_table(drop_table_, s.drop);

  // The gripper: a kinematic box standing on the tool point.
  gripper_.shape = make_bullet_box(0.5 * arm.gripper_size_x_m, 0.5 * arm.gripper_size_y_m,
                                   0.5 * arm.gripper_size_z_m);
  btRigidBody::btRigidBodyConstructionInfo info(0, nullptr, gripper_.shape.get());
  const ToolPose tool = scara_forward(arm, q_home_);
  info.m_startWorldTransform =
      pose_at(tool.x_m, tool.y_m, tool.z_m + 0.5 * arm.gripper_size_z_m, tool.yaw_rad);
  info.m_friction = f(s.friction);
  info.m_restitution = 0;
  gripper_.body = std::make_unique<btRigidBody>(info);
  gripper_.body->setCollisionFlags(
      (gripper_.body->getCollisionFlags() & ~btCollisionObject::CF_STATIC_OBJECT) |
      btCollisionObject::CF_KINEMATIC_OBJECT);
  // Kinematic bodies are moved only while active.
  gripper_.body->setActivationState(DISABLE_DEACTIVATION);
  bullet_->world->addRigidBody(gripper_.body.get());
  gripper_.in_world = true;
}

RobotCell::~RobotCell() {
  for (auto it = parts_.rbegin(); it != parts_.rend(); ++it) {
    if (it->in_world) bullet_->world->removeRigidBody(it->body.get());
  }
  bullet_->world->removeRigidBody(gripper_.body.get());
  bullet_->world->removeRigidBody(drop_table_.body.get());
  bullet_->world->removeRigidBody(pick_table_.body.get());
}

double RobotCell::cycle_time_s(uint16_t part) const {
  double t = 0.0;
  for (double d : plans_.at(part).duration) t += d;
  return t;
}

void RobotCell::start(RobotPhase p, double t_s) {
  phase_ = p;
  phase_start_s_ = t_s;
}

std::array<const ScaraJoints*, 2> RobotCell::segment(RobotPhase p, uint16_t part) const {
  const ScaraJoints& q_pick = plans_[part].q_pick;
  const ScaraJoints& q_drop = plans_[part].q_drop;
  switch (p) {
    case RobotPhase::kWaitPart:
      return {&q_home_, &q_home_};
    case RobotPhase::kDescendToPick:
      return {&q_home_, &q_pick};
    case RobotPhase::kGrip:
      return {&q_pick, &q_pick};
    case RobotPhase::kLiftFromPick:
      return {&q_pick, &q_home_};
    case RobotPhase::kSwingToDrop:
      return {&q_home_, &q_above_drop_};
    case RobotPhase::kWaitStation:
      return {&q_above_drop_, &q_above_drop_};
    case RobotPhase::kDescendToDrop:
      return {&q_above_drop_, &q_drop};
    case RobotPhase::kRelease:
      return {&q_drop, &q_drop};
    case RobotPhase::kLiftFromDrop:
      return {&q_drop, &q_above_drop_};
    case RobotPhase::kSwingToPick:
      return {&q_above_drop_, &q_home_};
  }
  return {&q_home_, &q_home_};
}

ScaraJoints RobotCell::joints_at(double t_s) const {
  // Walk the plan from the current phase through the phases that follow it, and through a wait
  // whose condition already holds: run_robot ends such a wait retroactively at the later of the
  // arrival and the moment the condition came true, so stopping there would show the arm at
  // rest for a step and then jump (a condition that comes true later ends the wait later than
  // the pose asked for now, so the pose stays consistent).
  RobotPhase p = phase_;
  double begin = phase_start_s_;
  uint16_t part = cycle_part_;
  for (int guard = 0; guard < kRobotPhases; ++guard) {
    if (p == RobotPhase::kWaitPart) {
      if (nest_record_ < 0 || nest_ready_s_ < 0.0) break;
      begin = std::max(begin, nest_ready_s_);
      part = records_[static_cast<size_t>(nest_record_)].part;  // the next cycle's part
    } else if (p == RobotPhase::kWaitStation) {
      if (station_record_ >= 0) break;
      begin = std::max(begin, station_free_s_);
    }
    const double d = is_wait(p) ? 0.0 : phase_duration(p, part);
    if (t_s < begin + d) break;
    begin += d;
    p = next_phase(p);
  }
  const auto [from, to] = segment(p, part);
  const double d = phase_duration(p, part);
  ScaraJoints q = *from;
  for (size_t j = 0; j < kScaraJoints; ++j) {
    q[j] +=
        trapezoid_position((*to)[j] - (*from)[j], d, spec_.arm.limits[j].max_accel, t_s - begin);
  }
  return q;
}

void RobotCell::set_kinematic_poses(double t_s) {
  const ToolPose tool = scara_forward(spec_.arm, joints_at(t_s));
  const btTransform grip =
      pose_at(tool.x_m, tool.y_m, tool.z_m + 0.5 * spec_.arm.gripper_size_z_m, tool.yaw_rad);
  // Without a motion state Bullet takes a kinematic body's velocity for the step from the move
  // between its last and this world transform.
  gripper_.body->setWorldTransform(grip);
  if (held_record_ >= 0) {
    const Body& part =
        parts_[static_cast<size_t>(records_[static_cast<size_t>(held_record_)].body)];
    part.body->setWorldTransform(grip * *held_offset_);
  }
}

void RobotCell::attach(int record, double t_s) {
  RobotRecord& r = records_[static_cast<size_t>(record)];
  btRigidBody& body = *parts_[static_cast<size_t>(r.body)].body;
  // The vacuum holds the part where it is now, relative to the gripper.
  *held_offset_ = gripper_.body->getWorldTransform().inverse() * body.getWorldTransform();
  // A body changes type only outside the world (its broadphase filter depends on the type).
  bullet_->world->removeRigidBody(&body);
  body.setMassProps(0, btVector3(0, 0, 0));  // infinite mass; this sets CF_STATIC_OBJECT
  body.setCollisionFlags((body.getCollisionFlags() & ~btCollisionObject::CF_STATIC_OBJECT) |
                         btCollisionObject::CF_KINEMATIC_OBJECT);
  body.setLinearVelocity(btVector3(0, 0, 0));
  body.setAngularVelocity(btVector3(0, 0, 0));
  body.setInterpolationWorldTransform(body.getWorldTransform());
  bullet_->world->addRigidBody(&body);
  r.picked_s = t_s;
  held_record_ = record;
  nest_record_ = -1;
  nest_ready_s_ = -1.0;
}

void RobotCell::release(int record, double t_s) {
  RobotRecord& r = records_[static_cast<size_t>(record)];
  btRigidBody& body = *parts_[static_cast<size_t>(r.body)].body;
  bullet_->world->removeRigidBody(&body);
  body.setCollisionFlags(body.getCollisionFlags() & ~btCollisionObject::CF_KINEMATIC_OBJECT);
  const auto mass = f(spec_.parts[r.part].mass_kg);
  btVector3 inertia(0, 0, 0);
  body.getCollisionShape()->calculateLocalInertia(mass, inertia);
  body.setMassProps(mass, inertia);
  body.updateInertiaTensor();
  // Let go at rest: the gripper has stood still over the station for the release dwell.
  body.setLinearVelocity(btVector3(0, 0, 0));
  body.setAngularVelocity(btVector3(0, 0, 0));
  body.clearForces();
  body.setInterpolationWorldTransform(body.getWorldTransform());
  bullet_->world->addRigidBody(&body);  // gives it the world's gravity again
  r.placed_s = t_s;
  ++placed_;
  station_record_ = record;
  held_record_ = -1;
}

void RobotCell::run_robot(double t_s) {
  // Each pass leaves one phase; a cycle has kRobotPhases, so this bound is never reached unless
  // every phase lasts 0 s (then the robot waits for the next step).
  for (int guard = 0; guard < 2 * kRobotPhases; ++guard) {
    if (phase_ == RobotPhase::kWaitPart) {
      if (nest_record_ < 0 || nest_ready_s_ < 0.0) return;
      cycle_part_ = records_[static_cast<size_t>(nest_record_)].part;
      start(RobotPhase::kDescendToPick, std::max(phase_start_s_, nest_ready_s_));
      continue;
    }
    if (phase_ == RobotPhase::kWaitStation) {
      if (station_record_ >= 0) return;
      start(RobotPhase::kDescendToDrop, std::max(phase_start_s_, station_free_s_));
      continue;
    }
    const double end = phase_start_s_ + phase_duration(phase_, cycle_part_);
    if (end > t_s) return;
    if (phase_ == RobotPhase::kGrip) attach(nest_record_, end);
    if (phase_ == RobotPhase::kRelease) release(held_record_, end);
    start(next_phase(phase_), end);
  }
}

bool RobotCell::touching(const btRigidBody& a, const btRigidBody& b) const {
  const int n = bullet_->dispatcher->getNumManifolds();
  for (int i = 0; i < n; ++i) {
    const btPersistentManifold* m = bullet_->dispatcher->getManifoldByIndexInternal(i);
    const bool pair = (m->getBody0() == &a && m->getBody1() == &b) ||
                      (m->getBody0() == &b && m->getBody1() == &a);
    if (!pair) continue;
    for (int j = 0; j < m->getNumContacts(); ++j) {
      if (m->getContactPoint(j).getDistance() <= kTouchDistance) return true;
    }
  }
  return false;
}

bool RobotCell::at_rest(const btRigidBody& body) const {
  return static_cast<double>(body.getLinearVelocity().length()) < spec_.rest_speed_mps &&
         static_cast<double>(body.getAngularVelocity().length()) < spec_.rest_spin_radps;
}

void RobotCell::step() {
  const double t = time_s();
  const RobotCellSpec& s = spec_;

  // 1. Feeder.
  const bool gripper_at_nest = phase_ == RobotPhase::kDescendToPick ||
                               phase_ == RobotPhase::kGrip || phase_ == RobotPhase::kLiftFromPick;
  if (next_arrival_ < records_.size() && nest_record_ < 0 && !gripper_at_nest) {
    RobotRecord& r = records_[next_arrival_];
    // Due at the first step whose start reaches due_s (the slack absorbs rounding).
    const double due_step = std::ceil(r.due_s * kStepsPerSecond - 1e-9);
    if (due_step <= static_cast<double>(steps_)) {
      const PartSpec& kind = s.parts[r.part];
      Body part;
      part.shape = make_bullet_box(0.5 * kind.size_x, 0.5 * kind.size_y, 0.5 * kind.size_z);
      const auto mass = f(kind.mass_kg);
      btVector3 inertia(0, 0, 0);
      part.shape->calculateLocalInertia(mass, inertia);
      btRigidBody::btRigidBodyConstructionInfo info(mass, nullptr, part.shape.get(), inertia);
      info.m_startWorldTransform =
          pose_at(s.pick.x_m, s.pick.y_m, s.pick.top_z_m + 0.5 * kind.size_z, s.pick.yaw_rad);
      info.m_friction = f(s.friction);
      info.m_restitution = 0;
      part.body = std::make_unique<btRigidBody>(info);
      part.body->setActivationState(DISABLE_DEACTIVATION);  // held parts are moved kinematically
      bullet_->world->addRigidBody(part.body.get());
      part.in_world = true;
      r.body = static_cast<int>(parts_.size());
      r.on_nest_s = t;
      parts_.push_back(std::move(part));
      nest_record_ = static_cast<int>(next_arrival_);
      nest_ready_s_ = -1.0;
      ++next_arrival_;
    }
  }

  // 2. Station. The slack absorbs the rounding of rest_s + station_cycle_s.
  if (station_record_ >= 0) {
    RobotRecord& r = records_[static_cast<size_t>(station_record_)];
    if (r.rest_s >= 0.0 && t >= r.rest_s + s.station_cycle_s - 1e-9) {
      const ToolPose at = part_pose(station_record_);
      r.rest_x_m = at.x_m;
      r.rest_y_m = at.y_m;
      r.rest_z_m = at.z_m;
      r.rest_yaw_rad = at.yaw_rad;
      Body& part = parts_[static_cast<size_t>(r.body)];
      bullet_->world->removeRigidBody(part.body.get());
      part.in_world = false;
      r.taken_s = t;
      station_record_ = -1;
      station_free_s_ = t;
    }
  }

  // 3. Robot.
  run_robot(t);

  // 4. Physics.
  set_kinematic_poses(t + kStepS);
  const auto dt = f(kStepS);
  // One internal step of exactly dt (as BeltWorld::step).
  if (bullet_->world->stepSimulation(dt, 1, dt) != 1) {
    throw std::logic_error("RobotCell::step: Bullet did not take exactly one step");
  }
  ++steps_;
  const double now = time_s();

  // 5. Records.
  if (nest_record_ >= 0 && nest_ready_s_ < 0.0) {
    const btRigidBody& part =
        *parts_[static_cast<size_t>(records_[static_cast<size_t>(nest_record_)].body)].body;
    if (at_rest(part)) nest_ready_s_ = now;
  }
  if (station_record_ >= 0) {
    RobotRecord& r = records_[static_cast<size_t>(station_record_)];
    const btRigidBody& part = *parts_[static_cast<size_t>(r.body)].body;
    if (r.rest_s < 0.0 && touching(part, *drop_table_.body) && at_rest(part)) r.rest_s = now;
  }
}

void RobotCell::advance_to(double t_s) {
  const auto target = static_cast<int64_t>(std::ceil(t_s * kStepsPerSecond - 1e-9));
  while (steps_ < target) step();
}

std::unique_ptr<RobotCell> RobotCell::fork() const {
  auto copy = std::make_unique<RobotCell>(spec_);
  while (copy->steps() < steps()) copy->step();
  return copy;
}

ToolPose RobotCell::gripper_pose() const {
  const btTransform& t = gripper_.body->getWorldTransform();
  btScalar yaw = 0, pitch = 0, roll = 0;
  t.getBasis().getEulerYPR(yaw, pitch, roll);
  return ToolPose{.x_m = static_cast<double>(t.getOrigin().x()),
                  .y_m = static_cast<double>(t.getOrigin().y()),
                  .z_m = static_cast<double>(t.getOrigin().z()) - 0.5 * spec_.arm.gripper_size_z_m,
                  .yaw_rad = static_cast<double>(yaw)};
}

ToolPose RobotCell::part_pose(int record) const {
  if (record < 0 || static_cast<size_t>(record) >= records_.size() ||
      records_[static_cast<size_t>(record)].body < 0) {
    throw std::out_of_range("RobotCell: part " + std::to_string(record) + " is not in the cell");
  }
  const btRigidBody& body =
      *parts_[static_cast<size_t>(records_[static_cast<size_t>(record)].body)].body;
  const btTransform& t = body.getCenterOfMassTransform();
  btScalar yaw = 0, pitch = 0, roll = 0;
  t.getBasis().getEulerYPR(yaw, pitch, roll);
  return ToolPose{.x_m = static_cast<double>(t.getOrigin().x()),
                  .y_m = static_cast<double>(t.getOrigin().y()),
                  .z_m = static_cast<double>(t.getOrigin().z()),
                  .yaw_rad = static_cast<double>(yaw)};
}

}  // namespace twin
