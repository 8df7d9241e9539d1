#include "models/condition/mode_classifier.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

namespace twin::condition {
namespace {

constexpr int kN = kCurrentModeCount;
using Matrix = std::array<ClassArray, kN>;

size_t idx(CurrentMode mode) {
  return static_cast<size_t>(mode);
}

Matrix multiply(const Matrix& a, const Matrix& b) {
  Matrix c{};
  for (size_t i = 0; i < kN; ++i)
    for (size_t k = 0; k < kN; ++k)
      for (size_t j = 0; j < kN; ++j) c[i][j] += a[i][k] * b[k][j];
  return c;
}

// expm(Q dt) by scaling and squaring with a Taylor series: Q dt is halved until its norm is
// below 1/2, where 12 terms are exact to rounding, then the result is squared back. Each row is
// renormalised to sum 1 at the end (a probability matrix; rounding only).
Matrix transition_matrix(const Matrix& rate_per_s, double dt_s) {
  Matrix q{};
  double norm = 0.0;
  for (size_t i = 0; i < kN; ++i) {
    double out = 0.0;
    for (size_t j = 0; j < kN; ++j) {
      if (i == j) continue;
      q[i][j] = rate_per_s[i][j] * dt_s;
      out += q[i][j];
    }
    q[i][i] = -out;
    norm = std::max(norm, 2.0 * out);  // infinity norm of the row
  }
  int squarings = 0;
  while (norm > 0.5 && squarings < 60) {
    norm *= 0.5;
    ++squarings;
  }
  const double scale = std::ldexp(1.0, -squarings);
  for (auto& row : q)
    for (double& x : row) x *= scale;
  Matrix result{}, term{};
  for (size_t i = 0; i < kN; ++i) result[i][i] = term[i][i] = 1.0;
  for (int k = 1; k <= 12; ++k) {
    term = multiply(term, q);
    for (auto& row : term)
      for (double& x : row) x /= k;
    for (size_t i = 0; i < kN; ++i)
      for (size_t j = 0; j < kN; ++j) result[i][j] += term[i][j];
  }
  for (int s = 0; s < squarings; ++s) result = multiply(result, result);
  for (auto& row : result) {
    double sum = 0.0;
    for (double& x : row) {
      x = std::max(x, 0.0);
      sum += x;
    }
    for (double& x : row) x /= sum;
  }
  return result;
}

double median(std::vector<double>& values) {
  const size_t n = values.size();
  const auto mid = values.begin() + static_cast<std::ptrdiff_t>(n / 2);
  std::nth_element(values.begin(), mid, values.end());
  const double upper = *mid;
  if (n % 2 == 1) return upper;
  const double lower = *std::max_element(values.begin(), mid);
  return 0.5 * (lower + upper);
}

// Nominal rates [1/s] for a machining cell: a busy cycle of about a minute with idle gaps of
// tens of seconds, a setup every few hours lasting about 10 min, the drive switched off for
// breaks (30 min, every few hours).
Matrix nominal_rates() {
  Matrix r{};
  const size_t run = idx(CurrentMode::kRunning), idle = idx(CurrentMode::kIdle),
               setup = idx(CurrentMode::kSetup), off = idx(CurrentMode::kOff);
  r[run][idle] = 1.0 / 90.0;
  r[run][setup] = 1.0 / (4.0 * 3600.0);
  r[run][off] = 1.0 / (8.0 * 3600.0);
  r[idle][run] = 1.0 / 20.0;
  r[idle][setup] = 1.0 / 3600.0;
  r[idle][off] = 1.0 / 3600.0;
  r[setup][run] = 1.0 / 600.0;
  r[setup][idle] = 1.0 / 1800.0;
  r[setup][off] = 1.0 / 7200.0;
  r[off][run] = 1.0 / 3600.0;
  r[off][idle] = 1.0 / 1800.0;
  r[off][setup] = 1.0 / 7200.0;
  return r;
}

ClassArray nominal_means(const MotorParams& motor, double load) {
  ClassArray mean{};
  mean[idx(CurrentMode::kRunning)] = current(motor, Mode::kBusy, load);
  mean[idx(CurrentMode::kIdle)] = current(motor, Mode::kStarved, load);
  mean[idx(CurrentMode::kSetup)] = current(motor, Mode::kSetup, load);
  mean[idx(CurrentMode::kOff)] = current(motor, Mode::kOff, load);
  return mean;
}

}  // namespace

CurrentMode current_mode_of(Mode mode) {
  switch (mode) {
    case Mode::kBusy:
      return CurrentMode::kRunning;
    case Mode::kStarved:
    case Mode::kBlocked:
    case Mode::kDown:
      return CurrentMode::kIdle;
    case Mode::kSetup:
      return CurrentMode::kSetup;
    case Mode::kOff:
      return CurrentMode::kOff;
  }
  return CurrentMode::kOff;
}

const char* current_mode_name(CurrentMode mode) {
  switch (mode) {
    case CurrentMode::kRunning:
      return "running";
    case CurrentMode::kIdle:
      return "idle";
    case CurrentMode::kSetup:
      return "setup";
    case CurrentMode::kOff:
      return "off";
  }
  return "?";
}

std::string validate(const ModeClassifierParams& params) {
  double prior_sum = 0.0;
  for (size_t i = 0; i < kN; ++i) {
    if (!std::isfinite(params.mean_A[i])) return "mean_A must be finite";
    if (!(params.sd_A[i] > 0.0) || !std::isfinite(params.sd_A[i])) return "sd_A must be > 0";
    if (!(params.prior[i] >= 0.0) || !std::isfinite(params.prior[i])) {
      return "prior must be >= 0";
    }
    prior_sum += params.prior[i];
    for (size_t j = 0; j < kN; ++j) {
      if (i != j && (!(params.rate_per_s[i][j] >= 0.0) || !std::isfinite(params.rate_per_s[i][j])))
        return "rate_per_s must be >= 0";
    }
  }
  if (!(prior_sum > 0.0)) return "prior must not be all 0";
  if (!(params.outlier_fraction >= 0.0 && params.outlier_fraction < 1.0)) {
    return "outlier_fraction must be in [0, 1)";
  }
  if (!(params.outlier_span_A > 0.0) || !std::isfinite(params.outlier_span_A)) {
    return "outlier_span_A must be > 0";
  }
  if (!(params.adapt_time_s >= 0.0)) return "adapt_time_s must be >= 0";
  if (!(params.adapt_min_probability >= 0.0 && params.adapt_min_probability <= 1.0)) {
    return "adapt_min_probability must be in [0, 1]";
  }
  return {};
}

ModeClassifierParams nominal_mode_classifier(const MotorParams& motor, double noise_sd_A,
                                             double load) {
  ModeClassifierParams p;
  p.mean_A = nominal_means(motor, load);
  const double load_spread_A = 0.15 * load * (motor.rated_current_A - motor.idle_current_A);
  p.sd_A.fill(noise_sd_A);
  p.sd_A[idx(CurrentMode::kRunning)] = std::hypot(noise_sd_A, load_spread_A);
  p.prior = {0.7, 0.2, 0.05, 0.05};
  p.rate_per_s = nominal_rates();
  p.outlier_span_A = 1.5 * motor.rated_current_A + 5.0;
  return p;
}

ModeClassifierParams fit_mode_classifier(std::span<const CurrentSample> samples,
                                         std::span<const ModeSegment> modes, std::string& error,
                                         const ModeFitOptions& options) {
  error.clear();
  ModeClassifierParams p = nominal_mode_classifier(MotorParams{});
  if (modes.empty() || samples.empty()) {
    error = "no labelled samples";
    return p;
  }

  // Class samples, away from label changes (the labels and the current may come from clocks a
  // little apart). Sample times are sorted, so one cursor walks the segments.
  std::array<std::vector<double>, kN> values;
  size_t seg = 0;
  for (const CurrentSample& s : samples) {
    if (!std::isfinite(s.current_A) || s.t_s < modes.front().t_s) continue;
    while (seg + 1 < modes.size() && modes[seg + 1].t_s <= s.t_s) ++seg;
    const bool near_previous =
        seg > 0 && current_mode_of(modes[seg - 1].mode) != current_mode_of(modes[seg].mode) &&
        s.t_s - modes[seg].t_s < options.guard_s;
    const bool near_next =
        seg + 1 < modes.size() &&
        current_mode_of(modes[seg + 1].mode) != current_mode_of(modes[seg].mode) &&
        modes[seg + 1].t_s - s.t_s < options.guard_s;
    if (near_previous || near_next) continue;
    values[idx(current_mode_of(modes[seg].mode))].push_back(s.current_A);
  }

  // Time in each class and changes between classes, over the labelled period.
  const double end_s = std::max(samples.back().t_s, modes.back().t_s);
  ClassArray time_s{};
  Matrix changes{};
  for (size_t k = 0; k < modes.size(); ++k) {
    const double until = k + 1 < modes.size() ? modes[k + 1].t_s : end_s;
    const size_t from = idx(current_mode_of(modes[k].mode));
    time_s[from] += std::max(until - modes[k].t_s, 0.0);
    if (k + 1 < modes.size()) {
      const size_t to = idx(current_mode_of(modes[k + 1].mode));
      if (to != from) changes[from][to] += 1.0;
    }
  }

  std::string missing;
  std::vector<double> fitted_sd;
  std::array<bool, kN> fitted{};
  for (size_t c = 0; c < kN; ++c) {
    if (values[c].size() < options.min_class_samples) continue;
    fitted[c] = true;
    const double m = median(values[c]);
    for (double& v : values[c]) v = std::abs(v - m);
    const double mad = median(values[c]);
    p.mean_A[c] = m;
    p.sd_A[c] = std::max(1.4826 * mad, options.min_sd_A);
    fitted_sd.push_back(p.sd_A[c]);
  }
  double fill_sd = 0.25;
  if (!fitted_sd.empty()) fill_sd = median(fitted_sd);
  for (size_t c = 0; c < kN; ++c) {
    if (fitted[c]) continue;
    p.sd_A[c] = fill_sd;
    if (!missing.empty()) missing += ", ";
    missing += current_mode_name(static_cast<CurrentMode>(c));
  }
  if (!missing.empty()) error = "missing classes: " + missing;

  double total_s = 0.0;
  for (double t : time_s) total_s += t;
  for (size_t i = 0; i < kN; ++i) {
    p.prior[i] = std::max(total_s > 0.0 ? time_s[i] / total_s : 0.0, 1e-3);
    for (size_t j = 0; j < kN; ++j) {
      if (i == j) continue;
      const double rate = time_s[i] > 0.0 ? changes[i][j] / time_s[i] : 0.0;
      p.rate_per_s[i][j] = std::max(rate, options.min_rate_per_s);
    }
  }
  double prior_sum = 0.0;
  for (double x : p.prior) prior_sum += x;
  for (double& x : p.prior) x /= prior_sum;
  p.outlier_span_A = 1.5 * *std::max_element(p.mean_A.begin(), p.mean_A.end()) + 5.0;
  return p;
}

ModeClassifier::ModeClassifier(const ModeClassifierParams& params) : params_(params) {
  reset();
}

void ModeClassifier::reset() {
  double sum = 0.0;
  for (double x : params_.prior) sum += x;
  for (size_t i = 0; i < kN; ++i) posterior_[i] = sum > 0.0 ? params_.prior[i] / sum : 0.25;
  running_mean_A_ = params_.mean_A[idx(CurrentMode::kRunning)];
  last_t_s_ = 0.0;
  started_ = false;
  transition_dt_s_ = -1.0;
}

void ModeClassifier::set_transition(double dt_s) {
  // Reuse the matrix while dt stays within 1 % (steady sampling with jitter).
  if (transition_dt_s_ >= 0.0 && std::abs(dt_s - transition_dt_s_) <= 0.01 * transition_dt_s_)
    return;
  transition_ = transition_matrix(params_.rate_per_s, dt_s);
  transition_dt_s_ = dt_s;
}

ModeDecision ModeClassifier::decision() const {
  const auto best = std::max_element(posterior_.begin(), posterior_.end());
  return {static_cast<CurrentMode>(best - posterior_.begin()), *best};
}

ModeDecision ModeClassifier::update(double t_s, double current_A) {
  if (!std::isfinite(current_A) || !std::isfinite(t_s)) return decision();
  double dt = 0.0;
  if (started_ && t_s > last_t_s_) dt = t_s - last_t_s_;
  if (!started_ || t_s > last_t_s_) last_t_s_ = t_s;
  started_ = true;

  // Predict over dt.
  ClassArray predicted = posterior_;
  if (dt > 0.0) {
    set_transition(dt);
    predicted.fill(0.0);
    for (size_t i = 0; i < kN; ++i)
      for (size_t j = 0; j < kN; ++j) predicted[j] += posterior_[i] * transition_[i][j];
  }

  // Weight by the likelihood: Gaussian per class plus the flat outlier density.
  const double flat = params_.outlier_fraction / params_.outlier_span_A;
  const double inv_sqrt_2pi = 1.0 / std::sqrt(2.0 * std::numbers::pi);
  double sum = 0.0;
  for (size_t c = 0; c < kN; ++c) {
    const double mean = c == idx(CurrentMode::kRunning) ? running_mean_A_ : params_.mean_A[c];
    const double z = (current_A - mean) / params_.sd_A[c];
    const double gauss = inv_sqrt_2pi / params_.sd_A[c] * std::exp(-0.5 * z * z);
    posterior_[c] = predicted[c] * ((1.0 - params_.outlier_fraction) * gauss + flat);
    sum += posterior_[c];
  }
  if (sum > 0.0 && std::isfinite(sum)) {
    for (double& x : posterior_) x /= sum;
  } else {
    posterior_ = predicted;  // numerically impossible sample: keep the prediction
  }

  // Follow a drifting busy current while confidently running; a step is capped at 3 sd so an
  // outlier barely moves the mean.
  const size_t run = idx(CurrentMode::kRunning);
  if (params_.adapt_time_s > 0.0 && dt > 0.0 && posterior_[run] >= params_.adapt_min_probability) {
    const double sd = params_.sd_A[run];
    const double residual = std::clamp(current_A - running_mean_A_, -3.0 * sd, 3.0 * sd);
    running_mean_A_ += residual * std::min(dt / params_.adapt_time_s, 1.0);
  }
  return decision();
}

}  // namespace twin::condition
