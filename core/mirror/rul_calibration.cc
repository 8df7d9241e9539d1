#include "core/mirror/rul_calibration.h"

#include <algorithm>
#include <cmath>

#include "core/stats/summary.h"

namespace twin {

const RulCalibrationKind* RulCalibration::find(FaultKind kind) const {
  for (const RulCalibrationKind& k : kinds)
    if (k.kind == kind) return &k;
  return nullptr;
}

void RulCalibrationFitter::add(const std::vector<telemetry::FaultTruth>& truths,
                               const std::vector<RulPoint>& rul) {
  for (const telemetry::FaultTruth& t : truths) {
    const int64_t from = t.precursor_start_ns(), to = t.failure_ns();
    std::vector<double> ratios;
    for (const RulPoint& p : rul) {
      if (p.target != t.machine() || p.suspected != t.kind()) continue;
      if (p.time_ns < from || p.time_ns >= to) continue;
      if (!std::isfinite(p.median_s) || !(p.median_s > 0.0)) continue;
      const double left = static_cast<double>(to - p.time_ns) * 1e-9;
      ratios.push_back(std::log(left / p.median_s));
    }
    if (ratios.empty()) continue;
    auto it = std::find_if(kinds_.begin(), kinds_.end(),
                           [&](const auto& e) { return e.first == t.kind(); });
    if (it == kinds_.end()) {
      kinds_.emplace_back(t.kind(), Samples{});
      it = kinds_.end() - 1;
    }
    ++it->second.faults;
    it->second.log_ratio.insert(it->second.log_ratio.end(), ratios.begin(), ratios.end());
  }
}

RulCalibration RulCalibrationFitter::finish(uint32_t min_faults) const {
  RulCalibration out;
  for (const auto& [kind, s] : kinds_) {
    if (s.faults < min_faults) continue;
    RulCalibrationKind k;
    k.kind = kind;
    k.faults = s.faults;
    k.points = static_cast<uint32_t>(s.log_ratio.size());
    k.q05 = quantile(s.log_ratio, 0.05);
    k.q50 = quantile(s.log_ratio, 0.50);
    k.q95 = quantile(s.log_ratio, 0.95);
    out.kinds.push_back(k);
  }
  std::sort(out.kinds.begin(), out.kinds.end(),
            [](const auto& a, const auto& b) { return a.kind < b.kind; });
  return out;
}

RulPoint calibrate_rul(const RulPoint& p, const RulCalibration& calibration) {
  const RulCalibrationKind* k = calibration.find(p.suspected);
  if (k == nullptr || !std::isfinite(p.median_s) || !(p.median_s > 0.0)) return p;
  RulPoint c = p;
  c.median_s = p.median_s * std::exp(k->q50);
  c.lo_s = std::min(p.median_s * std::exp(k->q05), p.lo_s);
  c.hi_s = std::max(p.median_s * std::exp(k->q95), p.hi_s);
  c.lo_s = std::min(c.lo_s, c.median_s);
  c.hi_s = std::max(c.hi_s, c.median_s);
  return c;
}

}  // namespace twin
