// PhysicsFollower: the physics fidelity of one conveyor (models/physics/scene_conveyor.h) kept at
// the viewer's clock. A worker thread steps a Bullet ConveyorLine, fed with the put-on times of
// the viewer's own line-model run (same scene, same seed), towards the shown time and publishes
// snapshots of the parts' poses; the UI reads the latest snapshot and never waits.
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
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/model/model.h"
#include "models/physics/conveyor_line.h"
#include "models/physics/scene_conveyor.h"

namespace twin::viewer {

// What to run: a conveyor of the scene, and the layout question asked of it.
struct PhysicsSetup {
  uint32_t node = 0;              // conveyor node index
  int32_t product = -1;           // product whose part rides the belt; < 0: the one most fed
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
};

// One part on the belt, in the belt's frame (models/physics/belt_world.h: x along the belt from
// its entry, y across it, z up from its top surface).
struct PhysicsPartPose {
  float x_m = 0.0f, y_m = 0.0f, z_m = 0.0f;  // [m] centre of mass
  float yaw_rad = 0.0f;                      // [rad] about z
  PhysicsPartState state = PhysicsPartState::kMoving;
  int32_t record = -1;  // index into the line's records (feed order)
};

struct PhysicsSnapshot {
  bool ready = false;       // a line has been set up (the fields below describe it)
  bool rebuilding = false;  // replaying from time 0 towards the target (clock moved back)
  double time_s = 0.0;      // [s working time] of the poses
  int64_t steps = 0;        // [steps] the line has taken
  double target_s = 0.0;    // [s working time] the clock asks for
  std::vector<PhysicsPartPose> parts;  // on the belt, in records order (n_on_belt)
  int fallen = 0;                      // [parts] fell off the belt (not in parts)
  int waiting = 0;               // [parts] due at the feeder but not yet put on (entry blocked)
  int taken = 0;                 // [parts] taken off by the consumer so far
  int cleared = 0;               // [parts] taken off by operators clearing jams
  int capacity = 0;              // [parts] that fit on the belt nose to tail
  uint64_t des_put_on = 0;       // [parts] the line model put on up to time_s
  uint64_t des_taken = 0;        // [parts] the line model's consumers took up to time_s
  std::vector<Jam> jams;         // detected up to time_s
  double mean_transfer_s = 0.0;  // [s] mean put-on to at-rest-at-stop of arrived parts; 0: none
  int transfers = 0;             // [parts] in that mean
  double sim_rate = 0.0;         // [sim s / wall s] of the last stepping stretch; 0: idle
};

class PhysicsFollower {
 public:
  // `model` must outlive the follower. `horizon_s` [s calendar] and `seed` are the viewer's run.
  PhysicsFollower(const Model& model, double horizon_s, uint64_t seed);
  ~PhysicsFollower();  // stops and joins the worker
  PhysicsFollower(const PhysicsFollower&) = delete;
  PhysicsFollower& operator=(const PhysicsFollower&) = delete;

  // Runs `setup` from time 0 (the line model's traffic of the conveyor is computed here, once
  // per conveyor). False with `why` when the scene lacks what the physics needs; the previous
  // setup then keeps running.
  bool configure(const PhysicsSetup& setup, std::string& why);
  const std::optional<PhysicsSetup>& setup() const { return setup_; }
  // The belt, part and feed being run; null before a successful configure().
  const ConveyorLineSpec* spec() const { return spec_.get(); }
  const std::string& product_name() const { return product_name_; }
  // The belt's static boxes (stop, guides) in the belt's frame; empty before a configure().
  const std::vector<FixtureSpec>& fixtures() const { return fixtures_; }

  // Asks the worker to show calendar time `clock_s` (clamped to [0, horizon]). Never waits.
  void follow(double clock_s);
  // [s working time] the clock last asked for.
  double target_s() const;
  // Copies the latest snapshot into `out` (reusing its storage).
  void snapshot(PhysicsSnapshot& out) const;
  // Blocks until the snapshot is at the target, up to `timeout_s` of wall time. False on time
  // out or before a configure().
  bool wait(double timeout_s) const;

 private:
  void run();  // worker loop
  // Stores the snapshot of `line` unless a newer setup than `generation` has come in.
  void publish(const ConveyorLine& line, uint64_t generation, double target_s, bool rebuilding,
               double rate);

  const Model& model_;
  const double horizon_s_;
  const uint64_t seed_;
  std::optional<PhysicsSetup> setup_;
  std::shared_ptr<const ConveyorLineSpec> spec_;  // shared with the worker
  std::shared_ptr<const ConveyorTraffic> traffic_;
  uint32_t traffic_node_ = UINT32_MAX;  // node traffic_ is of
  std::string product_name_;
  std::vector<FixtureSpec> fixtures_;

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;  // target, setup or snapshot changed
  // Guarded by mutex_.
  std::shared_ptr<const ConveyorLineSpec> job_spec_;  // what the worker should run
  std::shared_ptr<const ConveyorTraffic> job_traffic_;
  uint64_t generation_ = 0;  // bumped by configure(): the worker starts over
  double target_s_ = 0.0;    // [s working time]
  bool stop_ = false;
  PhysicsSnapshot published_;
  std::atomic<uint64_t> target_version_{0};  // bumped by follow(): the worker re-reads the target
  std::thread worker_;
};

}  // namespace twin::viewer
