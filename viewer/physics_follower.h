// PhysicsFollower: the physics fidelity of one conveyor (models/physics/scene_conveyor.h) or one
// robot-loaded station (models/physics/scene_robot.h) kept at the viewer's clock. A worker thread
// steps a Bullet ConveyorLine or RobotCell, fed with the put-on times (arrivals) of the viewer's
// own line-model run (same scene, same seed), towards the shown time and publishes snapshots of
// the parts' poses (and the arm's joints); the UI reads the latest snapshot and never waits.
//
// Time: the belt runs in working time (it stops in the shift's breaks, as the line model's
// conveyor does); follow() takes the viewer's calendar clock and converts it.
//
// Going back: Bullet worlds cannot be copied (see ConveyorLine::fork), so a clock moved
// backwards, or a new setup, re-creates the line and replays it from time 0 in the background:
// the snapshot then says it is rebuilding and how far it has got. The replay is deterministic,
// so the poses at a time are bit-identical however the clock got there.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/mirror/part_log.h"
#include "core/model/model.h"
#include "models/physics/conveyor_line.h"
#include "models/physics/robot_cell.h"
#include "models/physics/scene_conveyor.h"

namespace twin::viewer {

// What to run: a conveyor of the scene, and the layout question asked of it; or the robot cell
// of a robot-loaded station (the belt's options then do not apply).
struct PhysicsSetup {
  uint32_t node = 0;              // conveyor node index
  int32_t station = -1;           // >= 0: this station's robot cell instead of the conveyor
  int32_t product = -1;           // product every part is; < 0: each the product it is
  double max_skew_deg = 0.0;      // [deg] parts are put on turned by up to this (0: straight)
  double guide_clearance_m = -1;  // [m] side guides' clearance per side; < 0: no guides
  double friction = 0.6;          // [-] belt-part Coulomb coefficient
  double jam_clear_s = 60.0;      // [s] an operator clears a jam this long after it; < 0: never
  bool operator==(const PhysicsSetup&) const = default;
};

enum class PhysicsPartState : uint8_t {
  kMoving,  // carried by the belt
  kAtRest,  // at rest: queued at the stop or behind another part
  kJammed,  // reported as a jam (skewed or stalled) by the conveyor
  kHeld,    // in the robot's gripper
};

// One part on the belt, in the belt's frame (models/physics/belt_world.h: x along the belt from
// its entry, y across it, z up from its top surface); in a robot cell, in the robot's frame
// (origin at its shoulder axis, z up from the floor).
struct PhysicsPartPose {
  float x_m = 0.0f, y_m = 0.0f, z_m = 0.0f;  // [m] centre of mass
  float yaw_rad = 0.0f;                      // [rad] about z
  PhysicsPartState state = PhysicsPartState::kMoving;
  int32_t record = -1;  // index into the line's records (feed order)
  uint16_t part = 0;    // which part it is: index into the spec's parts
};

struct PhysicsSnapshot {
  bool ready = false;       // a line has been set up (the fields below describe it)
  bool rebuilding = false;  // replaying from time 0 towards the target (clock moved back)
  double time_s = 0.0;      // [s working time] of the poses
  int64_t steps = 0;        // [steps] the line has taken
  double target_s = 0.0;    // [s working time] the clock asks for
  std::vector<PhysicsPartPose> parts;  // on the belt (or in the cell), in records order
  int fallen = 0;                      // [parts] fell off the belt (not in parts)
  int waiting = 0;               // [parts] due at the feeder but not yet put on (entry blocked)
  int taken = 0;                 // [parts] taken off by the consumer so far
  int cleared = 0;               // [parts] taken off by operators clearing jams
  int capacity = 0;              // [parts] that fit on the belt nose to tail
  uint64_t des_put_on = 0;       // [parts] the line model put on (robot: arrived) up to time_s
  uint64_t des_taken = 0;        // [parts] its consumers took (robot: finished) up to time_s
  std::vector<Jam> jams;         // detected up to time_s
  double mean_transfer_s = 0.0;  // [s] mean put-on to at-rest-at-stop of arrived parts; 0: none
  int transfers = 0;             // [parts] in that mean
  double sim_rate = 0.0;         // [sim s / wall s] of the last stepping stretch; 0: idle
  // Robot cell only (waiting: parts due at the pick place not yet on it; taken: parts that left
  // the fixture, the machine's finishes).
  ScaraJoints joints{};                      // planned joints at time_s
  RobotPhase phase = RobotPhase::kWaitPart;  // the robot's phase at time_s
  int placed = 0;                            // [parts] let go over the fixture
  double exchange_s = 0.0;  // [s] mean fixture exchange (robot already waiting above); 0: none
  int exchanges = 0;        // [parts] in that mean
};

class PhysicsFollower {
 public:
  // `model` must outlive the follower. `horizon_s` [s calendar] and `seed` are the viewer's run.
  PhysicsFollower(const Model& model, double horizon_s, uint64_t seed);
  ~PhysicsFollower();  // stops and joins the worker
  PhysicsFollower(const PhysicsFollower&) = delete;
  PhysicsFollower& operator=(const PhysicsFollower&) = delete;

  // What the worker steps: a ConveyorLine or a RobotCell (defined in physics_follower.cc).
  class Stepper;

  // From now on (the next configure()), feed the physics with what `recorded` says the machines
  // did (a recording's part events) instead of the viewer's line-model run; the snapshot's
  // des_put_on and des_taken then count the recording's. Null: back to the line model.
  void set_recorded(std::shared_ptr<const RecordedParts> recorded);
  bool follows_recording() const { return recorded_ != nullptr; }

  // A live source: the recorded parts grow as the plant reports them (viewer/live_parts.h).
  // After a configure(), each call hands the worker everything so far and the time up to which
  // it is known; the worker appends the new parts to its belt or cell (a part reported after
  // its time has passed goes on at once) and never steps past `known_until_s` [s working time],
  // so the physics waits for the plant instead of running ahead of its reports.
  void extend_live(std::shared_ptr<const RecordedParts> parts, double known_until_s);
  // Live: the plant has reported up to `known_until_s` [s working time] with no new parts (its
  // counters sampled, unchanged): the physics may run on to there.
  void live_reported_until(double known_until_s);
  bool live() const { return live_; }

  // Runs `setup` from time 0 (the line model's traffic of the conveyor is computed here, once
  // per conveyor). False with `why` when the scene lacks what the physics needs; the previous
  // setup then keeps running.
  bool configure(const PhysicsSetup& setup, std::string& why);
  const std::optional<PhysicsSetup>& setup() const { return setup_; }
  // The belt, part and feed being run; null before a successful configure() or for a robot.
  const ConveyorLineSpec* spec() const { return spec_.get(); }
  // The robot cell being run (robot frame); null unless the setup is a robot cell.
  const RobotCellSpec* robot_spec() const { return robot_spec_.get(); }
  // The robot's cycle never starved or blocked, and its fixture exchange (descent + release) [s]
  // by its plan; 0 unless the setup is a robot cell.
  double robot_cycle_s() const { return robot_cycle_s_; }
  double robot_plan_exchange_s() const { return robot_plan_exchange_s_; }
  // The products whose parts ride the belt (or the cell): "shaft, flange".
  const std::string& product_name() const { return product_name_; }
  // The same as product indices: the spec's parts[i] is products()[i]'s part.
  const std::vector<uint16_t>& products() const { return products_; }
  // The belt's static boxes (stop, guides) in the belt's frame; empty before a configure().
  const std::vector<FixtureSpec>& fixtures() const { return fixtures_; }

  // Asks the worker to show calendar time `clock_s` (clamped to [0, horizon]). Never waits.
  void follow(double clock_s);
  // [s working time] the clock last asked for.
  double target_s() const;
  // Copies the latest snapshot into `out` (reusing its storage).
  void snapshot(PhysicsSnapshot& out) const;
  // Blocks until the snapshot is at the target (live: or at what the plant has reported, if
  // earlier), up to `timeout_s` of wall time. False on time out or before a configure().
  bool wait(double timeout_s) const;

 private:
  using StepperFactory = std::function<std::unique_ptr<Stepper>()>;

  bool configure_robot(const PhysicsSetup& setup, std::string& why);
  void start_job(StepperFactory make);
  // The feed items of traffic_ for the current setup (belt: skewed put-ons; cell: arrivals).
  std::shared_ptr<const std::vector<FeedItem>> feed_of(const ConveyorTraffic& traffic) const;
  void run();  // worker loop
  // Stores the snapshot of `sim` unless a newer setup than `generation` has come in.
  void publish(const Stepper& sim, uint64_t generation, double target_s, bool rebuilding,
               double rate);

  const Model& model_;
  const double horizon_s_;
  const uint64_t seed_;
  std::optional<PhysicsSetup> setup_;
  std::shared_ptr<const ConveyorLineSpec> spec_;     // shared with the worker; null for a robot
  std::shared_ptr<const RobotCellSpec> robot_spec_;  // shared with the worker; null for a belt
  double robot_cycle_s_ = 0.0, robot_plan_exchange_s_ = 0.0;  // [s]
  std::shared_ptr<const RecordedParts> recorded_;  // null: the feed is the line model's run
  bool live_ = false;                              // recorded_ grows (extend_live)
  // The feed's traffic of the setup (robot: arrivals as put_on_s, finishes as taken_s).
  std::shared_ptr<const ConveyorTraffic> traffic_;
  int64_t traffic_key_ = -1;              // node, or -1 - station, traffic_ is of
  std::vector<uint16_t> products_ = {0};  // the setup's parts: spec parts[i] is products_[i]'s
  std::string product_name_;              // their names, "shaft, flange"
  std::vector<FixtureSpec> fixtures_;

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;  // target, setup or snapshot changed
  // Guarded by mutex_.
  StepperFactory job_make_;  // what the worker should run (null: nothing yet)
  std::shared_ptr<const ConveyorTraffic> job_traffic_;
  std::shared_ptr<const std::vector<FeedItem>> job_feed_;  // live: every item so far (else null)
  double known_until_s_ = 1e300;  // [s working time] live: the worker stops here
  uint64_t generation_ = 0;       // bumped by configure(): the worker starts over
  double target_s_ = 0.0;         // [s working time]
  bool stop_ = false;
  PhysicsSnapshot published_;
  std::atomic<uint64_t> target_version_{0};  // bumped by follow(): the worker re-reads the target
  std::thread worker_;
};

}  // namespace twin::viewer
