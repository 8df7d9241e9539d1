// Two-sided CUSUM (Page 1954) on normalised residuals: detects a sustained shift of the
// residual's mean away from 0 (a sensor or process drifting from what the twin's model
// expects). With reference value k (half the shift to detect, in residual standard deviations)
// and decision interval h, the statistics are
//   up   = max(0, up   + z - k)      down = max(0, down - z - k)
// and an alarm is raised when either exceeds h. It is cleared with hysteresis: only once the
// statistic has fallen back below `clear_h`, so a shift hovering at the threshold does not flap.
// In-control average run length for k = 0.5, h = 5: about 465 samples two-sided (Siegmund's
// approximation; Montgomery, Introduction to Statistical Quality Control, table 9.3).
#pragma once

#include <cstdint>

namespace twin {

struct CusumOptions {
  double k = 0.5;        // reference value [residual sd]: half the mean shift to detect
  double h = 5.0;        // decision interval [residual sd]
  double clear_h = 1.0;  // an active alarm clears when the statistic falls below this
  double cap = 50.0;     // the statistics stop growing here, so a long shift clears in time
};

enum class CusumChange : uint8_t { kNone, kRaised, kCleared };

// What an active (or the last) alarm rests on.
struct CusumEvidence {
  int direction = 0;      // +1 the residual ran high, -1 low, 0 no alarm yet
  int64_t onset_ns = 0;   // [ns] estimated start of the shift: the statistic's last zero
  int64_t raised_ns = 0;  // [ns] when the alarm was raised
  double peak = 0.0;      // [residual sd] largest statistic while active
  uint64_t samples = 0;   // residuals folded in since the onset
};

class CusumDetector {
 public:
  explicit CusumDetector(CusumOptions options = {}) : options_(options) {}

  // Folds in the normalised residual `z` of a sample at `time_ns`. Non-finite residuals are
  // ignored. Returns whether an alarm was raised or cleared by it.
  CusumChange update(int64_t time_ns, double z);

  bool active() const { return active_; }
  double up() const { return up_; }
  double down() const { return down_; }
  const CusumEvidence& evidence() const { return evidence_; }
  // 1 (up to 2 h), 2 (up to 4 h), 3 (beyond): how far past the threshold the peak went.
  int severity() const;
  void reset() { *this = CusumDetector(options_); }

 private:
  CusumOptions options_;
  double up_ = 0.0, down_ = 0.0;  // [residual sd] the two statistics
  int64_t up_zero_ns_ = 0;        // [ns] last sample at which up_ was 0
  int64_t down_zero_ns_ = 0;      // [ns] last sample at which down_ was 0
  uint64_t up_samples_ = 0;       // samples since up_ was last 0
  uint64_t down_samples_ = 0;     // samples since down_ was last 0
  bool active_ = false;
  CusumEvidence evidence_;
};

}  // namespace twin
