// A local-level Kalman filter for one tag: the tag's true value is modelled as a random walk
// (it drifts by q [unit^2/s]) seen through white sensor noise (r [unit^2]). It gives every
// mirrored value an estimate and an uncertainty, bridges gaps in telemetry with an uncertainty
// that grows with the gap, and yields normalised residuals for detectors.
//
// It is the generic estimate for tags no condition model explains (issue 6 adds thermal,
// bearing, tool-wear and motor models for the tags they do explain). Nothing about the signal is
// given to it: the sensor noise is learned online from the first differences of the
// measurements (robustly: the mean absolute difference, so a rare spike barely moves it), and
// the drift rate follows from the noise and a time constant (`tau_s`): a level that moves by one
// noise standard deviation in tau_s is followed; faster changes show up as residuals.
#pragma once

#include <cstdint>

namespace twin {

struct LocalLevelOptions {
  double tau_s = 30.0;                // [s] time over which the level may move by one noise sd
  double noise_learning_rate = 0.02;  // weight of one new difference in the noise estimate
  double min_noise_sd_rel = 1e-6;     // noise sd floor, relative to |value| (a stuck sensor)
  double min_noise_sd_abs = 1e-9;     // [unit] noise sd floor
  double max_gap_s = 3600.0;          // [s] a longer gap restarts the filter from the next value
};

// The filter's answer after one measurement.
struct LocalLevelUpdate {
  double estimate = 0.0;    // [unit] level after the measurement
  double sd = 0.0;          // [unit] standard deviation of the level after the measurement
  double residual = 0.0;    // [unit] measurement minus the level predicted before it
  double residual_z = 0.0;  // residual / its predicted standard deviation (dimensionless)
};

class LocalLevelFilter {
 public:
  explicit LocalLevelFilter(LocalLevelOptions options = {}) : options_(options) {}

  // Folds in a measurement `value` taken at `time_ns` (non-decreasing; an older one is ignored
  // and returns the current state).
  LocalLevelUpdate update(int64_t time_ns, double value);

  // The level and its standard deviation predicted at `time_ns` (a gap widens it).
  double estimate() const { return level_; }
  double predicted_sd(int64_t time_ns) const;

  bool started() const { return started_; }
  double noise_sd() const;        // [unit] learned sensor noise standard deviation
  double drift_variance() const;  // [unit^2/s] q
  void reset() { *this = LocalLevelFilter(options_); }

 private:
  LocalLevelOptions options_;
  bool started_ = false;
  int64_t time_ns_ = 0;         // [ns] of the last measurement
  double level_ = 0.0;          // [unit] estimated level
  double variance_ = 0.0;       // [unit^2] of the level
  double last_value_ = 0.0;     // [unit] last measurement (for the differences)
  double mean_abs_diff_ = 0.0;  // [unit] running mean |z_k - z_(k-1)|
  uint64_t differences_ = 0;    // differences seen so far
};

}  // namespace twin
