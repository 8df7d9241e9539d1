// ConveyorLine: an accumulating conveyor in Bullet. A feeder puts parts on the belt's entry at
// given times, the belt carries them to a stop at its discharge end where they queue, and a
// downstream consumer with a fixed cycle time takes them off one at a time. The physical
// counterpart of the discrete-event conveyor (capacity, transport time) feeding a station: here
// the capacity is the number of parts that fit on the belt and the transport time emerges from
// friction and contact.
//
// Frame and belt as in BeltWorld (x along the belt, stop face at x = length). The belt may carry
// parts of several sizes (a mixed-product line): each fed part names its PartSpec. Every part is
// fed centred across the belt (y = 0).
//
// Each step(), in this order, at the time t before the step:
//   1. feeder: the oldest waiting part whose time has come (due at or before t) is put on if the
//      entry is clear: centred at x = size_x / 2, or just behind the last part on the belt if that
//      part's rear is less than the new part's length in (allowed down to entry_overhang_m off the
//      belt's start). At most one part per step.
//   2. consumer: if free (its last take-off was at least cycle_s ago) and the head part rests at
//      the stop (centre within stop_tolerance_m of length - its size_x / 2, |speed| <
//      rest_speed_mps),
//      the head part is taken off (removed from the world) at t.
//   3. one BeltWorld step of 1/240 s;
//   4. records: a part first at rest at the stop gets its arrival time (t + dt); jams are checked.
// Jams, reported once per part: kSkewed when |yaw| exceeds skew_limit_rad; kTurnedAtStop when
// the head has rested against the stop for longer than stall_time_s without being at the pick
// position (turned, its corner touches the stop); kStalled when the part has not advanced by
// advance_m for longer than stall_time_s while not queued (queued = at the stop or resting
// against it, or its front within queue_gap_m of the rear of a queued part ahead, or touching a
// queued part ahead of it (Bullet's contacts: a part rolled or tilted against the one ahead
// waits in the queue though their upright extents do not meet): the parts behind a turned head
// wait in its queue and are not jams of their own).
//
// Clearing (jam_clear_s >= 0): jam_clear_s after a jam was reported, before step 1, an operator
// looks at the part. If it is still jammed (skewed beyond the limit, not advancing for
// stall_time_s while not queued, or fallen below the belt's top) it is taken off the belt and
// counted as cleared (it leaves the flow: the consumer never gets it); otherwise the jam resolved
// itself (the part may be reported again later). Without clearing, a part jammed at the head
// blocks the consumer for good, as a real jam nobody clears would.
//
// Determinism: the Bullet world is deterministic (see BeltWorld) and every decision above is a
// function of its state and the step count, so the same spec gives bit-identical records and
// poses. Bullet objects cannot be copied and their contact caches (warm-started impulses, pair
// order) are part of the state, so a fork is re-created: fork() builds a new line from the same
// spec and replays it to the same step, which continues bit-identically (cost: the replay).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "models/physics/belt_world.h"

namespace twin {

struct FeedItem {
  double time_s = 0.0;   // [s] when the part is due at the entry (>= 0)
  double yaw_rad = 0.0;  // [rad] its rotation about z when put on (0: straight)
  uint16_t part = 0;     // which part it is: index into ConveyorLineSpec::parts
};

struct ConveyorLineSpec {
  BeltSpec belt;  // the belt; the stop's face is at x = belt.length_m
  // The parts the belt carries (n_parts >= 1): a FeedItem names one; the initial parts are
  // parts[0]. One per product of a mixed line.
  std::vector<PartSpec> parts;
  double consumer_cycle_s = 0.0;    // [s] time between take-offs (> 0)
  std::vector<FeedItem> feed;       // parts to put on, ascending time_s (n_feed)
  std::vector<double> initial_x_m;  // [m] centres of parts on the belt at t = 0, ascending x
  // Side guides: clearance [m] between the widest part, straight, and each guide; < 0 for no
  // guides (guides are set for the widest part: a narrower one has more play between them).
  // With guides, a part fed turned is put on turned by at most the angle at which it fits
  // between them (the guides funnel it at the entry).
  double guide_clearance_m = -1.0;
  double stop_tolerance_m = 0.005;  // [m] centre this close to its stop position counts as there
  double rest_speed_mps = 0.02;     // [m/s] slower than this counts as at rest
  double entry_overhang_m = 0.01;   // [m] how far a part may stick out behind the belt's start
  double skew_limit_rad = 0.26;     // [rad] |yaw| above this is a skewed part (~15 degrees)
  double stall_time_s = 2.0;        // [s] not advancing this long while not queued: stalled
  double advance_m = 0.002;         // [m] movement that counts as advancing
  double queue_gap_m = 0.01;        // [m] front this close to the part ahead counts as queued
  // An operator comes to each jam this long after it was reported [s]; < 0: nobody comes, a jam
  // stays. See "Clearing" above.
  double jam_clear_s = -1.0;
};

struct PartRecord {
  double put_on_s = -1.0;     // [s] put on the belt; -1 while waiting at the feeder
  double arrived_s = -1.0;    // [s] first at rest against the stop; -1 not yet
  double taken_off_s = -1.0;  // [s] taken off by the consumer; -1 not yet
  double cleared_s = -1.0;    // [s] taken off by an operator clearing its jam; -1 not
  int body = -1;              // BeltWorld part index; -1 while waiting at the feeder
  uint16_t part = 0;          // which part it is: index into ConveyorLineSpec::parts
};

// kTurnedAtStop: the head rests against the stop turned (under the skew limit, but its corner
// keeps its centre short of the pick position), so the consumer cannot take it.
enum class JamReason : uint8_t { kSkewed, kStalled, kTurnedAtStop };
const char* jam_reason_name(JamReason reason);  // "skewed", "stalled", "turned at the stop"

struct Jam {
  int part = -1;  // index into records()
  JamReason reason = JamReason::kSkewed;
  double time_s = 0.0;      // [s] when detected
  double x_m = 0.0;         // [m] centre along the belt then
  double yaw_rad = 0.0;     // [rad] yaw then
  double cleared_s = -1.0;  // [s] when the operator came; -1: not (yet)
  bool removed = false;     // the operator took the part off (it was still jammed)
};

class ConveyorLine {
 public:
  static constexpr double kStepS = BeltWorld::kStepS;  // [s] fixed step

  // Throws std::invalid_argument on a bad spec (also from BeltWorld).
  explicit ConveyorLine(ConveyorLineSpec spec);
  ConveyorLine(const ConveyorLine&) = delete;
  ConveyorLine& operator=(const ConveyorLine&) = delete;

  void step();
  // Steps until time_s() >= t_s (up to rounding of t_s to whole steps).
  void advance_to(double t_s);
  // A new line in the same state, re-created by replay (see above).
  std::unique_ptr<ConveyorLine> fork() const;
  // One more part to feed, after those of the spec (a live feed learns its parts as they come).
  // Its time is raised to the last fed part's if earlier (the feed stays ascending); a time
  // already past puts it on at the next step with room. A line fed item by item, each before
  // it is due, runs bit for bit as one given the whole feed at construction.
  void append_feed(FeedItem item);
  size_t feed_size() const { return spec_.feed.size(); }

  double time_s() const { return world_->time_s(); }
  int64_t steps() const { return world_->steps(); }
  // Records of the initial parts (first), then of the fed parts in feed order
  // (n_initial + n_feed).
  const std::vector<PartRecord>& records() const { return records_; }
  const std::vector<Jam>& jams() const { return jams_; }
  int parts_on_belt() const { return static_cast<int>(on_belt_.size()); }  // [parts]
  int parts_waiting() const;                      // [parts] due at the feeder but not yet put on
  int parts_taken() const { return taken_; }      // [parts] taken off so far
  int parts_cleared() const { return cleared_; }  // [parts] taken off by operators (jams)
  // Parts of the longest kind that fit on the belt queued nose to tail: floor(length / size_x).
  int capacity() const;
  // The part a record is (its PartSpec).
  const PartSpec& part_of(int record) const;
  const BeltWorld& world() const { return *world_; }
  const ConveyorLineSpec& spec() const { return spec_; }

 private:
  struct Track {              // a part on the belt, for jam detection
    int record = -1;          // index into records_
    double mark_x = 0.0;      // [m] centre when it last advanced by advance_m
    double mark_s = 0.0;      // [s] time of that
    double against_s = -1.0;  // [s] since when it rests against the stop short of the pick
                              // position; -1 when it does not
  };

  // The yaw a part fed turned by yaw_rad is put on with: as fed without guides; with guides, at
  // most the angle at which it fits between them (the guides funnel it at the entry).
  double entry_yaw(const PartSpec& part, double yaw_rad) const;
  // At rest at the pick position: centre within stop_tolerance_m of length - size_x / 2.
  bool at_stop(const PartRecord& record) const;
  // At rest with its front (its corner, when turned) at the stop's face.
  bool against_stop(const PartRecord& record) const;
  void clear_jams(double t_s);  // the operators' visits due by t_s (see "Clearing")
  void put_on(int record, double x_m, double yaw_rad, double t_s);

  ConveyorLineSpec spec_;
  std::unique_ptr<BeltWorld> world_;
  std::vector<PartRecord> records_;  // (n_initial + n_feed)
  std::vector<int64_t> due_step_;    // [steps] first step at which each fed part is due (n_feed)
  std::vector<uint8_t> jammed_;      // 1 once a part has been reported (n_initial + n_feed)
  std::deque<Track> on_belt_;        // parts on the belt, head (nearest the stop) first
  struct Placed {                    // a part on the belt in this step's jam check
    Track* track = nullptr;
    int body = -1;                       // BeltWorld part index
    double x = 0.0, y = 0.0, yaw = 0.0;  // [m], [m], [rad]
    double half_x = 0.0, half_y = 0.0;   // [m] half extents along and across the belt
    bool queued = false;
  };
  std::vector<Placed> order_;  // scratch: this step's parts, front first (reused, no allocation)
  std::vector<std::pair<int, int>> touching_;  // scratch: parts touching (BeltWorld indices)
  std::vector<int> slot_;  // scratch: index into order_ of each BeltWorld part; -1 off the belt
  std::vector<Jam> jams_;  // in order of detection
  double guide_inner_m_ = -1.0;   // [m] |y| of the guides' inner faces; < 0: no guides
  size_t next_feed_ = 0;          // index into spec_.feed of the next part to put on
  double consumer_free_s_ = 0.0;  // [s] when the consumer can take the next part
  int taken_ = 0;                 // [parts] taken off
  int cleared_ = 0;               // [parts] taken off by operators
  size_t next_clear_ = 0;         // index into jams_ of the next jam an operator comes to
};

}  // namespace twin
