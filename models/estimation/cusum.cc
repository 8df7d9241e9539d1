#include "models/estimation/cusum.h"

#include <algorithm>
#include <cmath>

namespace twin {

int CusumDetector::severity() const {
  if (evidence_.direction == 0) return 0;
  if (evidence_.peak < 2.0 * options_.h) return 1;
  if (evidence_.peak < 4.0 * options_.h) return 2;
  return 3;
}

CusumChange CusumDetector::update(int64_t time_ns, double z) {
  if (!std::isfinite(z)) return CusumChange::kNone;
  up_ = std::min(std::max(0.0, up_ + z - options_.k), options_.cap);
  down_ = std::min(std::max(0.0, down_ - z - options_.k), options_.cap);
  if (up_ == 0.0) {
    up_zero_ns_ = time_ns;
    up_samples_ = 0;
  } else {
    ++up_samples_;
  }
  if (down_ == 0.0) {
    down_zero_ns_ = time_ns;
    down_samples_ = 0;
  } else {
    ++down_samples_;
  }
  if (!active_) {
    if (up_ <= options_.h && down_ <= options_.h) return CusumChange::kNone;
    active_ = true;
    const bool high = up_ >= down_;
    evidence_.direction = high ? 1 : -1;
    evidence_.onset_ns = high ? up_zero_ns_ : down_zero_ns_;
    evidence_.raised_ns = time_ns;
    evidence_.peak = std::max(up_, down_);
    evidence_.samples = high ? up_samples_ : down_samples_;
    return CusumChange::kRaised;
  }
  const double statistic = evidence_.direction > 0 ? up_ : down_;
  evidence_.peak = std::max(evidence_.peak, statistic);
  ++evidence_.samples;
  if (statistic >= options_.clear_h) return CusumChange::kNone;
  active_ = false;
  return CusumChange::kCleared;
}

}  // namespace twin
