#include "models/estimation/local_level.h"

#include <algorithm>
#include <cmath>

namespace twin {

namespace {

// For Gaussian noise, E|z_k - z_(k-1)| = sqrt(2) sd * sqrt(2/pi) = 2 sd / sqrt(pi).
constexpr double kSdPerMeanAbsDiff = 0.886226925452758;  // sqrt(pi) / 2

}  // namespace

double LocalLevelFilter::noise_sd() const {
  const double floor =
      std::max(options_.min_noise_sd_abs, options_.min_noise_sd_rel * std::abs(level_));
  return std::max(mean_abs_diff_ * kSdPerMeanAbsDiff, floor);
}

double LocalLevelFilter::drift_variance() const {
  const double sd = noise_sd();
  return sd * sd / std::max(options_.tau_s, 1e-9);
}

double LocalLevelFilter::predicted_sd(int64_t time_ns) const {
  if (!started_) return 0.0;
  const double dt = std::max(0.0, static_cast<double>(time_ns - time_ns_) * 1e-9);
  return std::sqrt(variance_ + drift_variance() * dt);
}

LocalLevelUpdate LocalLevelFilter::update(int64_t time_ns, double value) {
  LocalLevelUpdate out;
  if (!std::isfinite(value)) {
    out.estimate = level_;
    out.sd = std::sqrt(variance_);
    return out;
  }
  const double gap_s = static_cast<double>(time_ns - time_ns_) * 1e-9;
  if (!started_ || gap_s > options_.max_gap_s) {
    // The first value (or the first after a long gap) is the level, as uncertain as the noise.
    started_ = true;
    time_ns_ = time_ns;
    level_ = value;
    last_value_ = value;
    const double sd = noise_sd();
    variance_ = sd * sd;
    out.estimate = level_;
    out.sd = sd;
    return out;
  }
  if (gap_s < 0.0) {
    out.estimate = level_;
    out.sd = std::sqrt(variance_);
    return out;
  }
  // Learn the noise from successive differences (before using it for this step).
  const double diff = std::abs(value - last_value_);
  last_value_ = value;
  ++differences_;
  const double w = std::max(options_.noise_learning_rate, 1.0 / static_cast<double>(differences_));
  mean_abs_diff_ += w * (diff - mean_abs_diff_);

  // Predict over the gap, then correct.
  const double r = noise_sd() * noise_sd();
  const double p_pred = variance_ + drift_variance() * gap_s;
  const double s = p_pred + r;
  const double gain = p_pred / s;
  out.residual = value - level_;
  out.residual_z = out.residual / std::sqrt(s);
  level_ += gain * out.residual;
  variance_ = (1.0 - gain) * p_pred;
  time_ns_ = time_ns;
  out.estimate = level_;
  out.sd = std::sqrt(variance_);
  return out;
}

}  // namespace twin
