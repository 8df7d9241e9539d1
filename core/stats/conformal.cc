#include "core/stats/conformal.h"

#include <algorithm>
#include <cmath>

namespace twin {

namespace {

// The rank k (1-based) of a side's margin among n scores: ceil((n + 1)(1 - alpha / 2)). The
// small tolerance keeps an exact integer product (n = 19, alpha = 0.1: 19.0) from rounding up.
size_t margin_rank(size_t n, double alpha) {
  const double k = std::ceil(static_cast<double>(n + 1) * (1.0 - alpha / 2.0) - 1e-9);
  return static_cast<size_t>(std::max(1.0, k));
}

}  // namespace

uint32_t conformal_min_samples(double alpha) {
  if (!(alpha > 0.0 && alpha < 1.0)) return 0;
  uint32_t n = 1;
  while (margin_rank(n, alpha) > n) ++n;
  return n;
}

bool fit_conformal(const std::vector<ConformalSample>& samples, double alpha,
                   ConformalMargins& margins, std::string& error) {
  if (!(alpha > 0.0 && alpha < 1.0)) {
    error = "miss rate alpha must be in (0, 1)";
    return false;
  }
  const uint32_t need = conformal_min_samples(alpha);
  if (samples.size() < need) {
    error = "calibration needs at least " + std::to_string(need) + " past predictions at " +
            std::to_string(static_cast<int>(std::lround((1.0 - alpha) * 100.0))) + " % (has " +
            std::to_string(samples.size()) + ")";
    return false;
  }
  std::vector<double> below, above;
  below.reserve(samples.size());
  above.reserve(samples.size());
  ConformalMargins m;
  m.alpha = alpha;
  for (size_t i = 0; i < samples.size(); ++i) {
    const ConformalSample& s = samples[i];
    if (!std::isfinite(s.lo) || !std::isfinite(s.hi) || !std::isfinite(s.actual) ||
        !std::isfinite(s.scale) || !(s.scale > 0.0)) {
      error = "prediction " + std::to_string(i) + ": not finite, or scale not > 0";
      return false;
    }
    below.push_back((s.lo - s.actual) / s.scale);
    above.push_back((s.actual - s.hi) / s.scale);
    m.misses_below += s.actual < s.lo ? 1 : 0;
    m.misses_above += s.actual > s.hi ? 1 : 0;
  }
  const size_t k = margin_rank(samples.size(), alpha);
  std::nth_element(below.begin(), below.begin() + static_cast<std::ptrdiff_t>(k - 1), below.end());
  std::nth_element(above.begin(), above.begin() + static_cast<std::ptrdiff_t>(k - 1), above.end());
  m.below = below[k - 1];
  m.above = above[k - 1];
  m.samples = static_cast<uint32_t>(samples.size());
  margins = m;
  return true;
}

ConformalInterval apply_conformal(const ConformalMargins& margins, double lo, double hi,
                                  double scale) {
  if (margins.empty()) return {lo, hi};
  ConformalInterval r{lo - margins.below * scale, hi + margins.above * scale};
  if (r.lo > r.hi) {
    const double mid = 0.5 * (r.lo + r.hi);
    r = {mid, mid};
  }
  return r;
}

}  // namespace twin
