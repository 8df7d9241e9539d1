// RobotCell: a SCARA robot that picks parts off a pick nest and places them on a station's
// fixture, in a deterministic fixed-step Bullet world. Its cycle time (descend, grip, lift, swing,
// descend, release, lift, swing back) is not a parameter: it emerges from the joint speed and
// acceleration limits and the cell's geometry (link lengths, where the nest and the station are,
// how high the arm travels). Where a placed part comes to rest emerges from the drop (contact,
// friction).
//
// Frame: z up, gravity -9.81 z. The pick nest and the drop station are static tables (boxes)
// whose top faces are at pick.top_z_m and drop.top_z_m.
//
// Arm: a SCARA with four joints q = (shoulder [rad], elbow [rad], z [m], wrist [rad]); its tool
// point is at
//   x = base_x + l1 cos q0 + l2 cos(q0 + q1),  y = base_y + l1 sin q0 + l2 sin(q0 + q1),
//   z = q2 (the gripper's bottom face),        yaw = q0 + q1 + q3.
// The gripper is a kinematic box (a vacuum cup) above the tool point; the joints are driven
// kinematically (no arm dynamics). A gripped part is attached kinematically: from the grip on it
// keeps its pose relative to the gripper, and on release it becomes a dynamic body again, at
// rest, and drops release_gap_m onto the station.
//
// Motions are point to point in joint space: every joint follows a trapezoidal velocity profile
// within its own limits and all joints of a move start and stop together, so the slowest joint
// sets the move's time T = max_j trapezoid_time(|dq_j|, limit_j) and the others cruise slower.
//
// The cycle, from the home pose above the nest at travel height (tool yaw = pick.yaw_rad):
//   kWaitPart      until a part rests on the nest;
//   kDescendToPick z down to the grip height (part top + grip_gap_m);
//   kGrip          grip_s of dwell (vacuum builds up); the part is attached at its end;
//   kLiftFromPick  z up to travel height;
//   kSwingToDrop   joint move to above the drop (tool yaw = drop.yaw_rad);
//   kWaitStation   until the station holds no part;
//   kDescendToDrop z down until the part's bottom is release_gap_m above the station;
//   kRelease       release_s of dwell; the part is let go at its end;
//   kLiftFromDrop  z up to travel height;
//   kSwingToPick   joint move back home.
// Phases run on a continuous timeline (a phase starts when the previous one ended, not at the
// next step), so the robot's cycle is exact and not rounded to steps; a wait ends at the later of
// the robot's arrival and the step at which the awaited condition was first seen. The world sees
// the plan at the steps: before each step the gripper (and a held part) are moved to their pose at
// the end of the step, and grips and releases take effect at the first step at or after their
// planned time. A robot never starved or blocked has the cycle time cycle_time_s().
//
// Each step(), in this order, at the time t before the step:
//   1. feeder: the oldest part due (at or before t) is put on the nest, at rest and upright,
//      centred on (pick.x_m, pick.y_m) and turned by pick.yaw_rad, if the nest is empty and the
//      gripper is not down at the nest (not descending, gripping or lifting there);
//   2. station: the part on the station is taken off (removed from the world) once it has been at
//      rest there for station_cycle_s;
//   3. robot: phases that have ended by t are left (attaching or releasing a part), and waits end;
//   4. the gripper and a held part are moved to their planned pose at t + dt; one Bullet step;
//   5. records: a part on the nest at rest is ready (for the robot); a released part touching the
//      station at rest has come to rest there.
//
// Determinism: single-threaded Bullet with a fixed 1/240 s step; every decision is a function of
// the world state and the step count, so the same spec gives bit-identical records and poses.
// Bullet objects cannot be copied, so a fork is re-created by replay, as ConveyorLine::fork.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "models/physics/belt_world.h"

class btBoxShape;
class btRigidBody;
class btTransform;

namespace twin {

// Speed and acceleration limits of one joint: rad/s and rad/s^2 for a revolute joint, m/s and
// m/s^2 for the z axis.
struct JointLimit {
  double max_speed = 0.0;  // [rad/s or m/s] (> 0)
  double max_accel = 0.0;  // [rad/s^2 or m/s^2] (> 0)
};

// Time of a rest-to-rest move over `distance` (>= 0) with a trapezoidal velocity profile:
//   distance / max_speed + max_speed / max_accel   when distance > max_speed^2 / max_accel,
//   2 sqrt(distance / max_accel)                   otherwise (a triangle, never at full speed).
double trapezoid_time(double distance, const JointLimit& limit);

// Position [same unit as distance] at time t in [0, duration] of a rest-to-rest move over
// `distance` (may be negative) that takes `duration` (>= trapezoid_time(|distance|, limit)): the
// trapezoid with the joint's full acceleration and the cruise speed that makes it last duration.
double trapezoid_position(double distance, double duration, double max_accel, double t);

// The same angle in (-pi, pi] [rad].
double wrap_angle(double rad);

inline constexpr int kScaraJoints = 4;
using ScaraJoints = std::array<double, kScaraJoints>;  // shoulder, elbow [rad]; z [m]; wrist [rad]

struct ScaraSpec {
  double base_x_m = 0.0;    // [m] shoulder axis, world x
  double base_y_m = 0.0;    // [m] shoulder axis, world y
  double link1_m = 0.0;     // [m] shoulder to elbow axis (> 0)
  double link2_m = 0.0;     // [m] elbow to tool axis (> 0)
  double elbow_sign = 1.0;  // [-] +1: elbow angle in [0, pi]; -1: in [-pi, 0]
  // Limits of shoulder, elbow [rad/s, rad/s^2], z [m/s, m/s^2], wrist [rad/s, rad/s^2].
  std::array<JointLimit, kScaraJoints> limits{};
  double travel_z_m = 0.0;         // [m] tool height for the swings between the stations
  double gripper_size_x_m = 0.08;  // [m] gripper box extent, tool x (> 0)
  double gripper_size_y_m = 0.08;  // [m] gripper box extent, tool y (> 0)
  double gripper_size_z_m = 0.05;  // [m] gripper box height above the tool point (> 0)
};

// A pose of the tool point: where the gripper's bottom face is centred and how it is turned.
struct ToolPose {
  double x_m = 0.0;      // [m]
  double y_m = 0.0;      // [m]
  double z_m = 0.0;      // [m]
  double yaw_rad = 0.0;  // [rad] about z
};

// Joints that put the tool at `pose`, in the spec's elbow configuration, every angle in
// (-pi, pi]; nullopt when (x, y) is out of reach (farther than l1 + l2 or nearer than |l1 - l2|).
std::optional<ScaraJoints> scara_inverse(const ScaraSpec& arm, const ToolPose& pose);
ToolPose scara_forward(const ScaraSpec& arm, const ScaraJoints& q);

// A station table of the cell: parts are centred on (x, y) and turned by yaw.
struct CellStation {
  double x_m = 0.0;           // [m] where a part's centre is picked from / placed at
  double y_m = 0.0;           // [m]
  double yaw_rad = 0.0;       // [rad] part's yaw there
  double top_z_m = 0.0;       // [m] height of the table's top face
  double size_x_m = 0.4;      // [m] table extent along world x (> 0)
  double size_y_m = 0.4;      // [m] table extent along world y (> 0)
  double thickness_m = 0.05;  // [m] table box below its top face (> 0)
};

struct RobotCellSpec {
  ScaraSpec arm;
  // The parts the cell handles (n_kinds >= 1), one per product of a mixed line: the grip and
  // release heights, and so the descents, follow the part's height.
  std::vector<PartSpec> parts;
  CellStation pick;                // the nest parts arrive on
  CellStation drop;                // the station parts are placed on
  double grip_s = 0.2;             // [s] dwell at the nest before the part is held (>= 0)
  double release_s = 0.1;          // [s] dwell at the station before the part is let go (>= 0)
  double grip_gap_m = 0.001;       // [m] gripper's bottom above the part's top when gripping (>= 0)
  double release_gap_m = 0.005;    // [m] part's bottom above the station's top on release (>= 0)
  double station_cycle_s = 0.5;    // [s] a part rests on the station this long, then leaves (>= 0)
  double friction = 0.6;           // [-] Coulomb coefficient of parts with tables and parts (>= 0)
  double rest_speed_mps = 0.01;    // [m/s] centre slower than this counts as at rest
  double rest_spin_radps = 0.05;   // [rad/s] and turning slower than this
  std::vector<double> arrivals_s;  // [s] when parts are due at the nest, ascending (n_parts)
  // Which part each arrival is: index into parts (n_parts); empty: every arrival is parts[0].
  std::vector<uint16_t> arrival_part;
};

enum class RobotPhase : uint8_t {
  kWaitPart,
  kDescendToPick,
  kGrip,
  kLiftFromPick,
  kSwingToDrop,
  kWaitStation,
  kDescendToDrop,
  kRelease,
  kLiftFromDrop,
  kSwingToPick,
};
inline constexpr int kRobotPhases = 10;

struct RobotRecord {
  double due_s = 0.0;       // [s] due at the nest (spec)
  double on_nest_s = -1.0;  // [s] put on the nest; -1 while waiting for the nest
  double picked_s = -1.0;   // [s] held by the gripper (end of the grip dwell); -1 not yet
  double placed_s = -1.0;   // [s] let go over the station (end of the release dwell); -1 not yet
  double rest_s = -1.0;     // [s] first at rest on the station; -1 not yet
  double taken_s = -1.0;    // [s] taken off the station; -1 not yet
  // Pose when taken off the station (where it came to rest); valid once taken_s >= 0.
  double rest_x_m = 0.0;      // [m]
  double rest_y_m = 0.0;      // [m]
  double rest_z_m = 0.0;      // [m] centre height
  double rest_yaw_rad = 0.0;  // [rad]
  int body = -1;              // index into the cell's part bodies; -1 before it is on the nest
  uint16_t part = 0;          // which part it is: index into RobotCellSpec::parts
};

class RobotCell {
 public:
  static constexpr int kStepsPerSecond = BeltWorld::kStepsPerSecond;  // [1/s]
  static constexpr double kStepS = BeltWorld::kStepS;                 // [s] fixed step

  // Throws std::invalid_argument on a bad spec (a station out of reach, travel height below a
  // grip or release height or too low for a held part to pass over one resting on the station,
  // a non-positive limit or size, unsorted arrivals).
  explicit RobotCell(RobotCellSpec spec);
  ~RobotCell();
  RobotCell(const RobotCell&) = delete;
  RobotCell& operator=(const RobotCell&) = delete;

  void step();
  // Steps until time_s() >= t_s (up to rounding of t_s to whole steps).
  void advance_to(double t_s);
  // A new cell in the same state, re-created by replay.
  std::unique_ptr<RobotCell> fork() const;
  // One more part due at the nest, after those of the spec (a live feed learns its parts as they
  // come); a time earlier than the last arrival's is raised to it. Appended before it is due,
  // the cell runs bit for bit as one given the whole list at construction.
  void append_arrival(double time_s, uint16_t part = 0);
  size_t arrivals() const { return spec_.arrivals_s.size(); }

  double time_s() const { return static_cast<double>(steps_) * kStepS; }  // [s]
  int64_t steps() const { return steps_; }                                // [steps] taken
  const std::vector<RobotRecord>& records() const { return records_; }    // (n_parts)
  int parts_placed() const { return placed_; }                            // [parts] let go
  RobotPhase phase() const { return phase_; }
  // Planned joints at time_s() (the gripper body is at scara_forward of these).
  ScaraJoints joints() const { return joints_at(time_s()); }
  // Gripper body's pose in the world (tool point), read back from Bullet.
  ToolPose gripper_pose() const;
  // Pose of a record's part (centre of mass); throws std::out_of_range before it is on the nest.
  ToolPose part_pose(int record) const;
  // Duration of a phase [s] handling part `part` (index into the spec's parts), from the
  // geometry and limits (0 for the waits). Throws std::out_of_range on a bad part.
  double phase_duration(RobotPhase p, uint16_t part = 0) const {
    return plans_.at(part).duration[static_cast<size_t>(p)];
  }
  // Sum of the phase durations [s]: the cycle of a robot never starved or blocked, handling
  // part `part` only.
  double cycle_time_s(uint16_t part = 0) const;
  const RobotCellSpec& spec() const { return spec_; }

 private:
  struct Body {
    std::unique_ptr<btBoxShape> shape;
    std::unique_ptr<btRigidBody> body;
    bool in_world = false;
  };

  // The poses and phase durations of a cycle handling one kind of part.
  struct PartPlan {
    ScaraJoints q_pick{};                         // at the grip height over the nest
    ScaraJoints q_drop{};                         // at the release height over the station
    std::array<double, kRobotPhases> duration{};  // [s] per phase
  };

  void start(RobotPhase p, double t_s);
  // Joints a phase of a cycle handling part `part` moves from and to (the same for a dwell or a
  // wait).
  std::array<const ScaraJoints*, 2> segment(RobotPhase p, uint16_t part) const;
  // Leaves the phases that have ended by t_s and the waits whose condition holds.
  void run_robot(double t_s);
  ScaraJoints joints_at(double t_s) const;
  // Moves the gripper and a held part to their planned pose at t_s.
  void set_kinematic_poses(double t_s);
  void attach(int record, double t_s);   // grip at planned time t_s
  void release(int record, double t_s);  // let go at planned time t_s
  bool touching(const btRigidBody& a, const btRigidBody& b) const;
  bool at_rest(const btRigidBody& body) const;

  RobotCellSpec spec_;
  // Joints at the poses the cycle visits (computed once from the geometry).
  ScaraJoints q_home_{};         // above the nest at travel height
  ScaraJoints q_above_drop_{};   // above the station at travel height
  std::vector<PartPlan> plans_;  // per kind of part (n_kinds)

  int64_t steps_ = 0;  // [steps] taken
  RobotPhase phase_ = RobotPhase::kWaitPart;
  double phase_start_s_ = 0.0;                // [s] planned start of the current phase
  uint16_t cycle_part_ = 0;                   // kind of part the current cycle handles
  size_t next_arrival_ = 0;                   // index of the next part to put on the nest
  int nest_record_ = -1;                      // part on the nest (not yet held); -1 none
  double nest_ready_s_ = -1.0;                // [s] first seen at rest on the nest; -1 not yet
  int held_record_ = -1;                      // part in the gripper; -1 none
  int station_record_ = -1;                   // part released onto the station, not taken; -1 none
  double station_free_s_ = 0.0;               // [s] when the station last became free
  int placed_ = 0;                            // [parts] released
  std::vector<RobotRecord> records_;          // (n_parts)
  std::unique_ptr<btTransform> held_offset_;  // held part's pose in the gripper frame

  // Bullet objects; declaration order is destruction order reversed (the world outlives the
  // bodies, which ~RobotCell removes from it first; shapes outlive their bodies).
  std::unique_ptr<BulletWorld> bullet_;  // the Bullet world; owns no objects
  Body pick_table_;                      // static
  Body drop_table_;                      // static
  Body gripper_;                         // kinematic
  std::vector<Body> parts_;              // in order of arrival on the nest (n_parts at most)
};

}  // namespace twin
