// The player: streams a recording (MCAP) through the mirror in arrival order, at a chosen speed,
// over a chosen time range, and keeps keyframes of the mirror's State for seeking. Reads the
// telemetry channels (/plant/...) and the twin's snapshots (/twin/snapshot, as keyframes); never
// the ground truth (/truth/...), which is there for scoring only.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/mirror/mirror.h"
#include "replay/mcap_reader.h"
#include "twin/telemetry.pb.h"

namespace twin {

struct PlayOptions {
  double speed = 0.0;  // replay speed (1 = real time); 0 = as fast as possible
  // [s] from the start of the recording's shift: the KPI window. to_s < 0: to the end.
  double from_s = 0.0;
  double to_s = -1.0;
  double series_interval_s = 900.0;  // [s] spacing of the time series points
  double keyframe_interval_s = 0.0;  // [s] in-memory keyframes for seek(); 0 = none
  // Called every `series_interval_s` of replay time and at the end (for JSON time series).
  std::function<void(double t_s, const Mirror& mirror)> on_series;
  // Called about twice a second of wall time with (replayed seconds, total seconds).
  std::function<void(double done_s, double total_s)> on_progress;
  // Sees every channel and message as read, ground truth included (the recorder copies them).
  mcap::MessageSink* tee = nullptr;
  // Called at each keyframe boundary (every keyframe_interval_s of arrival time), before the
  // message that crosses it: the mirror has applied every message that arrived earlier.
  std::function<void(int64_t log_time_ns, const Mirror& mirror)> on_keyframe;
  bool keep_keyframes = true;  // store keyframes in memory for seek()
  // Sees every alarm of the recording (/plant/alarms), in arrival order. The mirror keeps no
  // alarms; the viewer marks them on its time axis.
  std::function<void(const telemetry::Alarm& alarm)> on_alarm;
};

struct PlayResult {
  bool ok = false;              // false: the file could not be read at all
  std::string error;            // why, when !ok
  mcap::ReadResult read;        // damage, statistics, channels of the recording
  int64_t shift_start_ns = 0;   // [ns] t = 0 of the recording
  int64_t window_start_ns = 0;  // [ns] KPI window
  int64_t window_end_ns = 0;    // [ns]
  uint64_t messages = 0;        // messages streamed
  uint64_t truth_messages_skipped = 0;
  uint64_t keyframes_used = 0;  // 1 when the replay started from a keyframe
  double wall_s = 0.0;          // [s] wall time of the replay
};

// A copy of the mirror's State at an instant of a recording.
struct Keyframe {
  int64_t log_time_ns = 0;  // messages before this arrival time have been applied
  MirrorState state;
};

class Player {
 public:
  explicit Player(const Model& model, MirrorOptions options = {});
  ~Player();

  // Replays `path` from its beginning (or the latest keyframe before options.from_s) to
  // options.to_s. The mirror then holds the State at the end of the window (finished).
  PlayResult play(const std::string& path, const PlayOptions& options);
  // Reads where the recording's shift starts (channel metadata, else the first arrival), for
  // seek() on a file not played yet. Returns false when the file cannot be read.
  bool open(const std::string& path);
  // Brings the mirror to `t_s` seconds after the shift start of the last played (or opened)
  // file: from the latest keyframe before it (in memory, or a /twin/snapshot in the file) and
  // then the messages from there to t_s. Returns false when the file cannot be read.
  bool seek(const std::string& path, double t_s, PlayResult* result = nullptr);

  const Mirror& mirror() const { return mirror_; }
  Mirror& mirror() { return mirror_; }
  const std::vector<Keyframe>& keyframes() const { return keyframes_; }

 private:
  class Sink;
  Mirror mirror_;
  std::vector<Keyframe> keyframes_;
  int64_t shift_start_ns_ = 0;
  mcap::McapFile file_;  // the file seek() reads, with its summary parsed once
};

}  // namespace twin
