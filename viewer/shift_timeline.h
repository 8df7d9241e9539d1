// Everything the viewer's mode strips and tag plots show over a whole shift, on one time axis:
// the twin's modes (a run of the line model of its own, so the viewer's Playback is untouched),
// the real modes, tag samples and alarms of a recording (fed from its first pass), and the
// twin's estimate of every tag with its uncertainty and residual (a local-level Kalman filter
// per tag: models/estimation/local_level.h). Built once when the viewer opens a source.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/mirror/mirror.h"
#include "core/model/model.h"
#include "models/estimation/local_level.h"
#include "twin/telemetry.pb.h"
#include "viewer/series_store.h"

namespace twin::viewer {

// Per tag the twin's estimate, on the times of the measurements.
struct TagEstimateSeries {
  TagSeries estimate;    // [tag unit] level after each measurement
  TagSeries sd;          // [tag unit] its standard deviation
  TagSeries residual_z;  // measurement minus predicted level, in predicted standard deviations
};

struct ShiftTimelineOptions {
  // [B] for tag samples with their estimates (48 B per sample and tag); decides how many samples
  // each tag keeps (at least an hour's worth at 1 Hz, at most the shift's).
  size_t memory_budget_bytes = size_t{512} << 20;
  double point_s = 1.0;  // [s] between samples taken from a recording's first pass
  // [B] for the mode strips (48 B per mode change and machine, real and twin rows); when a row
  // is full its oldest changes are dropped.
  size_t mode_budget_bytes = size_t{64} << 20;
};

class ShiftTimeline {
 public:
  // `origin_ns`: the axis' time 0 (a recording's shift start; 0 for a simulated run).
  ShiftTimeline(const Model& model, int64_t origin_ns, double duration_s,
                ShiftTimelineOptions options = {});

  // Runs the line model (seed, replication 0) to the end of the shift and keeps every mode
  // change of every machine as the twin's rows of the strips.
  void record_twin_modes(const Model& model, uint64_t seed);
  // A recording's first pass: the mirror after each point (new samples and modes are appended
  // and the estimates updated), and each alarm.
  void add_point(const Mirror& mirror);
  void add_alarm(const telemetry::Alarm& alarm);
  // A live source: one change of the twin's stream (tag values, real modes, alarms). Call
  // update_estimates() after a batch of them (once a frame).
  void add_change(const live::StateChange& change);
  // Folds every sample not yet estimated into the estimates. O(tags + new samples).
  void update_estimates();

  // The shift's length once a recording's first pass has told it (sizes stay as built).
  void set_duration_s(double duration_s) { duration_s_ = duration_s > 0.0 ? duration_s : 0.0; }

  const SeriesStore& store() const { return *store_; }
  const TagEstimateSeries& estimate(uint32_t slot) const { return estimates_[slot]; }
  // Whether the twin estimates this tag (not counters and mode signals, which step by design).
  bool estimated(uint32_t slot) const;
  const MirrorModel& names() const { return names_; }
  int64_t origin_ns() const { return origin_ns_; }
  double duration_s() const { return duration_s_; }
  size_t samples_per_tag() const { return samples_per_tag_; }
  bool has_real() const { return has_real_; }
  // [ns] on the axis of shift time `t_s`, and back.
  int64_t to_ns(double t_s) const { return origin_ns_ + static_cast<int64_t>(t_s * 1e9); }
  double to_s(int64_t t_ns) const { return static_cast<double>(t_ns - origin_ns_) * 1e-9; }

 private:
  MirrorModel names_;
  int64_t origin_ns_ = 0;
  double duration_s_ = 0.0;
  size_t samples_per_tag_ = 0;
  bool has_real_ = false;
  std::unique_ptr<SeriesStore> store_;
  std::vector<LocalLevelFilter> filters_;     // (n_t)
  std::vector<TagEstimateSeries> estimates_;  // (n_t)
  std::vector<int64_t> estimated_until_ns_;   // (n_t) [ns] newest sample folded in
};

}  // namespace twin::viewer
