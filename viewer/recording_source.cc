#include "viewer/recording_source.h"

#include <algorithm>

namespace twin::viewer {

RecordingSource::RecordingSource(const Model& model) : player_(model) {}

bool RecordingSource::open(const std::string& path, const RecordingOptions& options,
                           std::string* error) {
  PlayOptions po;
  po.keyframe_interval_s = options.keyframe_s;
  po.series_interval_s = options.point_s;
  if (options.on_point) {
    po.on_series = [&](double t_s, const Mirror& mirror) { options.on_point(t_s, mirror); };
  }
  po.on_alarm = options.on_alarm;
  player_.mirror().set_listener(options.listener);
  first_pass_ = player_.play(path, po);
  player_.mirror().set_listener(nullptr);
  if (!first_pass_.ok) {
    if (error) *error = first_pass_.error;
    return false;
  }
  path_ = path;
  shift_start_ns_ = first_pass_.shift_start_ns;
  duration_s_ = std::max(
      0.0, static_cast<double>(first_pass_.window_end_ns - first_pass_.shift_start_ns) * 1e-9);
  clock_s_ = 0.0;
  shown_s_ = -1.0;
  playing_ = false;
  seek(0.0);
  return true;
}

void RecordingSource::seek(double t_s) {
  clock_s_ = std::clamp(t_s, 0.0, duration_s_);
  if (clock_s_ == shown_s_ || path_.empty()) return;
  player_.seek(path_, clock_s_);
  shown_s_ = clock_s_;
}

void RecordingSource::tick(double wall_dt_s) {
  if (!playing_) return;
  seek(clock_s_ + wall_dt_s * speed_);
  if (clock_s_ >= duration_s_) playing_ = false;
}

}  // namespace twin::viewer
