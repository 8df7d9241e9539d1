#include "models/estimation/thermal_filter.h"

#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

namespace twin {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr int kN = 3;                 // state dimension
constexpr double kMaxSubstep = 30.0;  // [s] g is held constant over at most this

// Quantile q of a weighted sample (values may be +inf), with linear interpolation between the
// midpoints of the items' weight cells. `items` is sorted by value; weights sum to 1.
double weighted_quantile(const std::vector<std::pair<double, double>>& items, double q) {
  double cum = 0.0;
  double prev_mid = 0.0, prev_value = items.front().first;
  for (size_t i = 0; i < items.size(); ++i) {
    const double mid = cum + 0.5 * items[i].second;
    if (mid >= q) {
      if (i == 0) return items[i].first;
      if (!std::isfinite(items[i].first)) return kInf;
      const double f = (q - prev_mid) / std::max(mid - prev_mid, 1e-300);
      return prev_value + f * (items[i].first - prev_value);
    }
    cum += items[i].second;
    prev_mid = mid;
    prev_value = items[i].first;
  }
  return items.back().first;
}

}  // namespace

ThermalFilter::ThermalFilter(const condition::ThermalParams& nominal,
                             const ThermalFilterOptions& options)
    : params_(nominal), options_(options) {
  x_ << params_.ambient_C, options_.initial_cooling, 0.0;
  p_.setZero();
  p_(1, 1) = options_.initial_cooling_sd * options_.initial_cooling_sd;
}

double ThermalFilter::temperature_sd_C() const {
  return std::sqrt(std::max(p_(0, 0), 0.0));
}
double ThermalFilter::cooling_sd() const {
  return std::sqrt(std::max(p_(1, 1), 0.0));
}

void ThermalFilter::reset_cooling(double g, double sd) {
  x_(1) = g;
  x_(2) = 0.0;
  const double t_var = p_(0, 0);
  p_.setZero();
  p_(0, 0) = t_var;
  p_(1, 1) = sd * sd;
  clamp_cooling();
}

void ThermalFilter::clamp_cooling() {
  x_(1) = std::clamp(x_(1), options_.min_cooling, options_.max_cooling);
}

Eigen::Vector3d ThermalFilter::transition(const Eigen::Vector3d& x, double load, double dt) const {
  const double lo = options_.min_cooling, hi = options_.max_cooling;
  const int steps = std::max(1, static_cast<int>(std::ceil(dt / kMaxSubstep)));
  const double h = dt / steps;
  condition::ThermalState s{x(0), 0.0};
  for (int k = 0; k < steps; ++k) {
    s.cooling_factor = std::clamp(x(1) + x(2) * (k + 0.5) * h, lo, hi);
    condition::advance(params_, s, load, h);
  }
  return Eigen::Vector3d(s.temperature_C, std::clamp(x(1) + x(2) * dt, lo, hi), x(2));
}

void ThermalFilter::predict_to(double t_s, double load) {
  if (!(t_s > time_s_) || !started_) {
    if (!started_ && t_s > time_s_) time_s_ = t_s;
    load_ = load;
    return;
  }
  const double dt = t_s - time_s_;
  // Scaled sigma points (Van der Merwe): lambda = alpha^2 (n + kappa) - n.
  const double n = kN;
  const double lambda = options_.alpha * options_.alpha * (n + options_.kappa) - n;
  const double wm0 = lambda / (n + lambda);
  const double wc0 = wm0 + (1.0 - options_.alpha * options_.alpha + options_.beta);
  const double wi = 0.5 / (n + lambda);
  const Eigen::Matrix3d scaled = (n + lambda) * p_;
  Eigen::LLT<Eigen::Matrix3d> llt(scaled);
  Eigen::Matrix3d root = Eigen::Matrix3d::Zero();
  if (llt.info() == Eigen::Success) {
    root = llt.matrixL();
  } else {  // not positive definite (a variance collapsed): use its clipped eigen-square-root
    Eigen::SelfAdjointEigenSolver<Eigen::Matrix3d> eig(scaled);
    const Eigen::Vector3d d = eig.eigenvalues().cwiseMax(0.0).cwiseSqrt();
    root = eig.eigenvectors() * d.asDiagonal();
  }
  std::array<Eigen::Vector3d, 2 * kN + 1> y;
  y[0] = transition(x_, load, dt);
  for (int i = 0; i < kN; ++i) {
    y[static_cast<size_t>(1 + i)] = transition(x_ + root.col(i), load, dt);
    y[static_cast<size_t>(1 + kN + i)] = transition(x_ - root.col(i), load, dt);
  }
  Eigen::Vector3d mean = wm0 * y[0];
  for (size_t i = 1; i < y.size(); ++i) mean += wi * y[i];
  Eigen::Matrix3d cov = wc0 * (y[0] - mean) * (y[0] - mean).transpose();
  for (size_t i = 1; i < y.size(); ++i) cov += wi * (y[i] - mean) * (y[i] - mean).transpose();
  // Process noise: white on T and g, and g' a random walk integrated into g.
  const double qr = options_.cooling_rate_drift;
  cov(0, 0) += options_.temperature_drift * dt;
  cov(1, 1) += options_.cooling_drift * dt + qr * dt * dt * dt / 3.0;
  cov(1, 2) += qr * dt * dt / 2.0;
  cov(2, 1) += qr * dt * dt / 2.0;
  cov(2, 2) += qr * dt;
  x_ = mean;
  p_ = 0.5 * (cov + cov.transpose());
  clamp_cooling();
  time_s_ = t_s;
  load_ = load;
}

ThermalUpdate ThermalFilter::update(double t_s, double measured_C) {
  ThermalUpdate out;
  const auto fill = [&]() {
    out.estimate_C = x_(0);
    out.sd_C = temperature_sd_C();
    out.cooling = x_(1);
    out.cooling_sd = cooling_sd();
    out.cooling_rate = x_(2);
  };
  if (!std::isfinite(measured_C) || (started_ && t_s < time_s_)) {
    ++rejected_total_;
    fill();
    return out;
  }
  const double r = options_.measurement_sd_C * options_.measurement_sd_C;
  if (!started_) {
    started_ = true;
    time_s_ = std::max(time_s_, t_s);
    x_(0) = measured_C;
    p_.row(0).setZero();
    p_.col(0).setZero();
    p_(0, 0) = r;
    last_measured_ = measured_C;
    have_last_ = true;
    fill();
    return out;
  }
  predict_to(t_s, load_);
  const double s = p_(0, 0) + r;
  out.residual_C = measured_C - x_(0);
  out.residual_z = out.residual_C / std::sqrt(s);
  const bool stuck = options_.reject_repeats && have_last_ && measured_C == last_measured_;
  last_measured_ = measured_C;
  have_last_ = true;
  if (stuck) {
    ++rejected_total_;
    fill();
    return out;
  }
  if (std::abs(out.residual_z) > options_.gate_z) {
    ++rejected_total_;
    if (++rejected_run_ < options_.max_rejected) {
      fill();
      return out;
    }
    // The model has lost the measurement: re-anchor T on it, keep g with its uncertainty.
    rejected_run_ = 0;
    x_(0) = measured_C;
    p_.row(0).setZero();
    p_.col(0).setZero();
    p_(0, 0) = r;
    fill();
    return out;
  }
  rejected_run_ = 0;
  const Eigen::Vector3d gain = p_.col(0) / s;
  x_ += gain * out.residual_C;
  p_ -= gain * gain.transpose() * s;
  p_ = 0.5 * (p_ + p_.transpose());
  p_(0, 0) = std::max(p_(0, 0), 0.0);
  p_(1, 1) = std::max(p_(1, 1), 0.0);
  p_(2, 2) = std::max(p_(2, 2), 0.0);
  clamp_cooling();
  out.used = true;
  fill();
  return out;
}

TimeToLimit ThermalFilter::time_to_limit(double limit_C, double load) const {
  TimeToLimit out;
  if (x_(0) >= limit_C && p_(0, 0) == 0.0) return out;
  constexpr int kGrid = 41;
  constexpr double kSpan = 4.0;  // [sd] half width of the grid
  const Eigen::Matrix2d marginal = p_.topLeftCorner<2, 2>();
  const Eigen::Vector2d center = x_.head<2>();
  Eigen::SelfAdjointEigenSolver<Eigen::Matrix2d> eig(marginal);
  const Eigen::Matrix2d root =
      eig.eigenvectors() * eig.eigenvalues().cwiseMax(0.0).cwiseSqrt().asDiagonal();
  std::vector<std::pair<double, double>> items;  // (time [s], weight)
  items.reserve(kGrid * kGrid);
  double total = 0.0;
  for (int i = 0; i < kGrid; ++i) {
    const double zi = -kSpan + 2.0 * kSpan * i / (kGrid - 1);
    for (int j = 0; j < kGrid; ++j) {
      const double zj = -kSpan + 2.0 * kSpan * j / (kGrid - 1);
      const double w = std::exp(-0.5 * (zi * zi + zj * zj));
      const Eigen::Vector2d x = center + root * Eigen::Vector2d(zi, zj);
      const condition::ThermalState s{x(0),
                                      std::clamp(x(1), options_.min_cooling, options_.max_cooling)};
      const double t =
          s.temperature_C >= limit_C ? 0.0 : condition::time_to_reach(params_, s, load, limit_C);
      items.emplace_back(t, w);
      total += w;
    }
  }
  for (auto& item : items) item.second /= total;
  std::sort(items.begin(), items.end());
  out.p05_s = weighted_quantile(items, 0.05);
  out.median_s = weighted_quantile(items, 0.5);
  out.p95_s = weighted_quantile(items, 0.95);
  return out;
}

}  // namespace twin
