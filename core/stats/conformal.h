// Split conformal calibration of a model's prediction interval against outcomes that happened
// (conformalized quantile regression: Romano, Patterson and Candes, "Conformalized Quantile
// Regression", NeurIPS 2019), one side at a time and scaled.
//
// A model's 90 % interval [lo, hi] holds only what the model knows; the plant also does what it
// does not (unmodelled faults, drift). On past predictions with their outcomes y, each side gets
// a score per unit of scale: how far y fell below lo, (lo - y) / scale, and above hi,
// (y - hi) / scale (negative when inside). With n past predictions, the k-th smallest score of a
// side, k = ceil((n + 1)(1 - alpha / 2)), is its margin: a new interval
// [lo - margin_below x scale, hi + margin_above x scale] then misses on each side with
// probability at most alpha / 2 when the past and the new prediction are exchangeable, whatever
// the model. A margin may be negative: a model that is too cautious gets narrower intervals.
// The scale says how the error grows (for a forecast to a shift's end: the working hours left).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace twin {

struct ConformalSample {
  double lo = 0.0;      // [unit] the model's interval
  double hi = 0.0;      // [unit]
  double actual = 0.0;  // [unit] what happened
  double scale = 1.0;   // [scale unit] > 0: how large an error this prediction may have
};

struct ConformalMargins {
  double alpha = 0.1;         // [1] the widened interval's nominal miss rate, both sides together
  uint32_t samples = 0;       // predictions behind the margins (0: not calibrated)
  uint32_t misses_below = 0;  // of them, outcomes below the model's interval
  uint32_t misses_above = 0;  // above it
  double below = 0.0;         // [unit / scale unit] lo moves down by below x scale
  double above = 0.0;         // [unit / scale unit] hi moves up by above x scale
  bool empty() const { return samples == 0; }
};

// The fewest samples for which margins at miss rate alpha exist (k <= n on both sides).
uint32_t conformal_min_samples(double alpha);

// Margins from past predictions. Fails (false, `error` says why) with fewer than
// conformal_min_samples(alpha) samples, alpha outside (0, 1), or a sample with a non-finite
// value or scale <= 0.
bool fit_conformal(const std::vector<ConformalSample>& samples, double alpha,
                   ConformalMargins& margins, std::string& error);

struct ConformalInterval {
  double lo = 0.0;  // [unit]
  double hi = 0.0;  // [unit]
};

// [lo, hi] widened (or narrowed) by the margins at this scale; never inverted (an interval that
// would cross collapses to the midpoint of its ends).
ConformalInterval apply_conformal(const ConformalMargins& margins, double lo, double hi,
                                  double scale);

}  // namespace twin
