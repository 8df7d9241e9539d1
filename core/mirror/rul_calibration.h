// Calibration of the condition monitor's remaining useful life against failures that happened.
//
// The monitor's RUL comes from its own degradation models and failure thresholds (the ISO trip
// level, the tool's breakage wear, the 80 degC limit), and their intervals hold only the filters'
// parameter uncertainty; a plant's machines fail elsewhere. With past failures known (a
// maintenance log; here the /truth/faults of past generated shifts, read by `twin score`, never
// by the monitor), each estimate made during a precursor gives the ratio of the true time left
// to the estimate's median. Per fault kind, the empirical 5 / 50 / 95 % quantiles of its log
// become a multiplicative correction: median' = median x exp(q50), interval' = median x
// exp(q05 .. q95), widened to hold the monitor's own interval. A kind seen in fewer than
// min_faults failures is left as it is. Estimates of one failure are correlated, so the
// quantiles are of all points but the count that matters is failures: calibrate on shifts, score
// on others.
#pragma once

#include <cstdint>
#include <vector>

#include "core/mirror/twin_alarm.h"
#include "twin/telemetry.pb.h"

namespace twin {

struct RulCalibrationKind {
  FaultKind kind = telemetry::FaultTruth::KIND_UNKNOWN;
  uint32_t faults = 0;  // failures behind it
  uint32_t points = 0;  // estimates behind it
  double q05 = 0.0;     // [1] quantiles of log(true time left / median)
  double q50 = 0.0;
  double q95 = 0.0;
};

struct RulCalibration {
  std::vector<RulCalibrationKind> kinds;
  const RulCalibrationKind* find(FaultKind kind) const;
  bool empty() const { return kinds.empty(); }
};

class RulCalibrationFitter {
 public:
  // One shift: its failures and the monitor's estimates. Points inside a failure's precursor,
  // for its machine and kind, with a finite median > 0, count.
  void add(const std::vector<telemetry::FaultTruth>& truths, const std::vector<RulPoint>& rul);
  RulCalibration finish(uint32_t min_faults = 3) const;

 private:
  struct Samples {
    uint32_t faults = 0;
    std::vector<double> log_ratio;
  };
  std::vector<std::pair<FaultKind, Samples>> kinds_;
};

// `p` corrected by the calibration of its kind (unchanged without one).
RulPoint calibrate_rul(const RulPoint& p, const RulCalibration& calibration);

}  // namespace twin
