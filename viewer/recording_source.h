// A recording as the viewer's source: an MCAP shift (from `twin generate`, `twin record`,
// `twin import` or `twin live --record`) replayed through the mirror. Opening plays the whole
// file once, keeping keyframes of the mirror every `keyframe_s` and calling `on_point` every
// `point_s` of shift time (the viewer fills its plots and mode strips from there: a recording
// has its whole timeline up front). Showing time t is then a seek: the latest keyframe before
// t plus at most `keyframe_s` of messages, so scrubbing back and forth costs the same as
// playing forward. Play, pause and speed move the shown time with the wall clock.
#pragma once

#include <functional>
#include <string>

#include "core/model/model.h"
#include "replay/player.h"

namespace twin::viewer {

struct RecordingOptions {
  double keyframe_s = 10.0;  // [s] of shift time between in-memory keyframes
  double point_s = 1.0;      // [s] of shift time between on_point calls in the first pass
  // Called in the first pass with the shift time [s] and the mirror at that time.
  std::function<void(double t_s, const Mirror& mirror)> on_point;
  // Called in the first pass with every alarm of the recording.
  std::function<void(const telemetry::Alarm& alarm)> on_alarm;
  // Listens to the mirror during the first pass only (a ConditionMonitor sees the whole shift
  // once, in order); seeks replay from keyframes and must not feed it again. Not owned.
  MirrorListener* listener = nullptr;
};

class RecordingSource {
 public:
  explicit RecordingSource(const Model& model);

  // Plays the file once (keyframes, on_point) and shows its start. False with `error` set when
  // the file cannot be read at all; a damaged tail is played up to the damage.
  bool open(const std::string& path, const RecordingOptions& options, std::string* error);

  // Moves the shown time to `t_s` [s from the shift start], clamped to [0, duration].
  void seek(double t_s);
  // Advances the shown time by wall_dt x speed while playing; stops at the end.
  void tick(double wall_dt_s);

  bool playing() const { return playing_; }
  void set_playing(bool on) { playing_ = on && clock_s_ < duration_s_; }
  double speed() const { return speed_; }
  void set_speed(double speed) { speed_ = speed > 0 ? speed : 1.0; }

  double clock_s() const { return clock_s_; }        // [s] shown, from the shift start
  double duration_s() const { return duration_s_; }  // [s] of the recording's window
  int64_t shift_start_ns() const { return shift_start_ns_; }
  // The mirror at the shown time (valid after open()).
  const Mirror& mirror() const { return player_.mirror(); }
  const PlayResult& first_pass() const { return first_pass_; }
  const std::string& path() const { return path_; }

 private:
  Player player_;
  std::string path_;
  PlayResult first_pass_;
  int64_t shift_start_ns_ = 0;
  double duration_s_ = 0.0;
  double clock_s_ = 0.0;
  double shown_s_ = -1.0;  // time the mirror was last brought to
  double speed_ = 60.0;    // [shift s / wall s]
  bool playing_ = false;
};

}  // namespace twin::viewer
