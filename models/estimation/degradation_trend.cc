#include "models/estimation/degradation_trend.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace twin {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// E|e| = sd sqrt(2 / pi) for a normal e: sd = E|e| sqrt(pi / 2).
constexpr double kSdPerMeanAbs = 1.2533141373155003;
constexpr double kMinNoiseSd = 1e-12;  // [y unit] floor of the learned noise

double normal_cdf(double z) {
  return 0.5 * std::erfc(-z / std::sqrt(2.0));
}

}  // namespace

DegradationTrend::DegradationTrend(const DegradationTrendOptions& options) : options_(options) {
  x_.setZero();
  p_.setZero();
  last_[0].setZero();
  last_[1].setZero();
}

double DegradationTrend::noise_sd() const {
  if (options_.measurement_sd > 0.0) return options_.measurement_sd;
  return std::max(mean_abs_dev_ * kSdPerMeanAbs, kMinNoiseSd);
}

double DegradationTrend::level_sd() const {
  return std::sqrt(std::max(p_(0, 0), 0.0));
}
double DegradationTrend::slope_sd() const {
  return std::sqrt(std::max(p_(1, 1), 0.0));
}

double DegradationTrend::slope_z() const {
  if (!initialised_) return 0.0;
  const double sd = slope_sd();
  return sd > 0.0 ? x_(1) / sd : (x_(1) > 0.0 ? kInf : 0.0);
}

void DegradationTrend::learn_noise(double age_s, double y) {
  // Deviation of the middle one of the last three observations from the chord through its
  // neighbours: e = y1 - (w0 y0 + w2 y2), w0 = (a2 - a1) / (a2 - a0), w2 = 1 - w0; with white
  // noise var(e) = sd^2 (1 + w0^2 + w2^2), and a straight line gives e = 0 whatever the slope.
  if (seen_ >= 2) {
    const double a0 = last_[0](0), y0 = last_[0](1), a1 = last_[1](0), y1 = last_[1](1);
    const double span = age_s - a0;
    if (span > 0.0) {
      const double w0 = (age_s - a1) / span, w2 = 1.0 - w0;
      const double e = (y1 - (w0 * y0 + w2 * y)) / std::sqrt(1.0 + w0 * w0 + w2 * w2);
      ++deviations_;
      const double w =
          std::max(options_.noise_learning_rate, 1.0 / static_cast<double>(deviations_));
      mean_abs_dev_ += w * (std::abs(e) - mean_abs_dev_);
    }
  }
  last_[0] = last_[1];
  last_[1] = Eigen::Vector2d(age_s, y);
  ++seen_;
}

TrendUpdate DegradationTrend::update(double age_s, double y) {
  TrendUpdate out;
  const bool older = seen_ > 0 && age_s < last_[1](0);
  if (!std::isfinite(y) || !std::isfinite(age_s) || older) {
    out.level = x_(0);
    out.slope = x_(1);
    out.initialised = initialised_;
    return out;
  }
  learn_noise(age_s, y);
  if (!initialised_) {
    pending_.emplace_back(age_s, y);
    const size_t need = std::max<size_t>(options_.init_samples, 3);
    out.level = y;
    if (pending_.size() < need) return out;
    // Ordinary least squares on the pending points, expressed at the last age, with the OLS
    // covariance: var(b) = r / Sxx, var(L) = r (1 / n + (a_n - mean a)^2 / Sxx).
    const double n = static_cast<double>(pending_.size());
    double mean_a = 0.0, mean_y = 0.0;
    for (const Eigen::Vector2d& p : pending_) {
      mean_a += p(0) / n;
      mean_y += p(1) / n;
    }
    double sxx = 0.0, sxy = 0.0;
    for (const Eigen::Vector2d& p : pending_) {
      sxx += (p(0) - mean_a) * (p(0) - mean_a);
      sxy += (p(0) - mean_a) * (p(1) - mean_y);
    }
    if (!(sxx > 0.0)) return out;  // all at one age: wait for spread
    const double d = age_s - mean_a;
    x_(1) = sxy / sxx;
    x_(0) = mean_y + x_(1) * d;
    p_ << 1.0 / n + d * d / sxx, d / sxx, d / sxx, 1.0 / sxx;
    p_ *= noise_variance();
    age_s_ = age_s;
    initialised_ = true;
    pending_.clear();
    pending_.shrink_to_fit();
    out.level = x_(0);
    out.slope = x_(1);
    out.initialised = true;
    return out;
  }
  // Predict to age_s.
  const double da = age_s - age_s_;
  if (da > 0.0) {
    Eigen::Matrix2d f;
    f << 1.0, da, 0.0, 1.0;
    const double q = options_.slope_drift;
    Eigen::Matrix2d qm;
    qm << q * da * da * da / 3.0, q * da * da / 2.0, q * da * da / 2.0, q * da;
    x_ = f * x_;
    p_ = f * p_ * f.transpose() + qm;
    age_s_ = age_s;
  }
  // Correct.
  const double s = p_(0, 0) + noise_variance();
  out.residual = y - x_(0);
  out.residual_z = out.residual / std::sqrt(s);
  const Eigen::Vector2d gain = p_.col(0) / s;
  x_ += gain * out.residual;
  p_ -= gain * gain.transpose() * s;
  p_ = 0.5 * (p_ + p_.transpose());
  out.level = x_(0);
  out.slope = x_(1);
  out.initialised = true;
  return out;
}

double DegradationTrend::probability_by(double y_threshold, double t_s) const {
  if (!initialised_) return 0.0;
  const double t = std::max(t_s, 0.0);
  const double mean = x_(0) + x_(1) * t;
  double var = p_(0, 0) + 2.0 * t * p_(0, 1) + t * t * p_(1, 1);
  if (options_.include_future_drift) var += options_.slope_drift * t * t * t / 3.0;
  if (!(var > 0.0)) return mean >= y_threshold ? 1.0 : 0.0;
  return normal_cdf((mean - y_threshold) / std::sqrt(var));
}

RulEstimate DegradationTrend::time_to_threshold(double y_threshold) const {
  RulEstimate out{kInf, kInf, kInf};
  if (!initialised_) return out;
  if (!degrading()) {
    // Not degrading: no finite estimate, unless the level is already at the threshold.
    if (probability_by(y_threshold, 0.0) >= 0.5) out.median_s = out.p05_s = 0.0;
    if (probability_by(y_threshold, 0.0) >= 0.95) out.p95_s = 0.0;
    return out;
  }
  const auto quantile = [&](double q) {
    if (probability_by(y_threshold, 0.0) >= q) return 0.0;
    // Doubling from 1 s to find a bracket, then bisection on log t.
    double lo = 0.0, hi = 1.0;
    while (probability_by(y_threshold, hi) < q) {
      lo = hi;
      hi *= 2.0;
      if (hi > 1e15) return kInf;
    }
    for (int it = 0; it < 100 && hi - lo > 1e-9 * hi; ++it) {
      const double mid = lo > 0.0 ? std::sqrt(lo * hi) : 0.5 * hi;
      if (probability_by(y_threshold, mid) >= q) {
        hi = mid;
      } else {
        lo = mid;
      }
    }
    return hi;
  };
  out.p05_s = quantile(0.05);
  // The median solves m(t) = h exactly.
  out.median_s = x_(0) >= y_threshold ? 0.0 : (y_threshold - x_(0)) / x_(1);
  out.p95_s = quantile(0.95);
  return out;
}

}  // namespace twin
