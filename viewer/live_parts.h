// The parts a live plant passes on, from the twin's stream (StateChange tag values), for the
// physics view of a live source. A live mirror has no part events (Sparkplug carries counters,
// not events): each rise of a machine's good-parts counter is that many parts passed on at the
// counter's device time (the counter's sample rate, 1 Hz by default, is the feed's resolution).
// A part's take-in is its finish less the machine's last reported cycle time (its cycle-time
// tag, or the scene's mean without one): what a conveyor's consumer took off, approximately.
// The first value of a counter is its baseline (parts made before the viewer joined count not);
// a counter that falls was reset and is a new baseline.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/mirror/part_log.h"
#include "core/model/model.h"
#include "twin/live.pb.h"

namespace twin::viewer {

class LivePartLog {
 public:
  // Times are working seconds of the model's calendar from `origin_ns` (the live axis' 0).
  LivePartLog(const Model& model, int64_t origin_ns);

  // One change of the stream: its counters' and cycle times' new values.
  void add_change(const live::StateChange& change);

  // Everything so far (ascending per machine), and whether add_change() has added any since
  // the last call of take_changed().
  const RecordedParts& parts() const { return parts_; }
  bool take_changed();
  // Whether known_until_s() has moved on since the last call (counters sampled, maybe unchanged).
  bool take_advanced();
  // [s working time] the newest device time of a counter value seen: the feed is known up to
  // here (a part passed on later has not been reported yet).
  double known_until_s() const { return known_until_s_; }
  uint64_t finishes() const { return finishes_; }  // parts passed on, all machines
  // Whether machine m reports a good-parts counter (a machine without one, an old machine with
  // no PLC counter, gives the live feed nothing).
  bool counted(uint32_t m) const { return m < counted_.size() && counted_[m] != 0; }

 private:
  enum class Role : uint8_t { kGood, kCycle };
  struct Counter {
    bool seen = false;
    double value = 0.0;  // [parts] last value
  };
  double working_s(int64_t time_ns) const;

  const Model& model_;
  int64_t origin_ns_;
  // "machine/tag" of the counters and cycle-time tags, with the machine and role.
  std::unordered_map<std::string, std::pair<uint32_t, Role>> tags_;
  std::vector<uint8_t> counted_;  // (n_m) 1: has a good-parts counter
  std::vector<Counter> good_;     // (n_m)
  std::vector<double> cycle_s_;   // (n_m) [s] last reported cycle time (scene mean before)
  RecordedParts parts_;
  double known_until_s_ = 0.0;
  uint64_t finishes_ = 0;
  bool changed_ = false;
  double reported_until_s_ = 0.0;  // [s] known_until_s() at the last take_advanced()
};

}  // namespace twin::viewer
