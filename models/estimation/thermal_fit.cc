#include "models/estimation/thermal_fit.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

namespace twin {

namespace {

// The three unit responses (columns: initial state, constant input, load^2 input) of
//   tau dx/dt = v(t) - x
// at the sample times `t`, integrated exactly across load steps and samples.
class Responses {
 public:
  Responses(const std::vector<double>& t, std::span<const LoadStep> load) : t_(t), load_(load) {}

  void fill(double tau, Eigen::MatrixXd& phi) const {
    const Eigen::Index n = static_cast<Eigen::Index>(t_.size());
    phi.resize(n, 3);
    double x0 = 1.0, xc = 0.0, x2 = 0.0;
    double now = t_.front();
    size_t step = 0;
    while (step + 1 < load_.size() && load_[step + 1].t_s <= now) ++step;
    for (Eigen::Index i = 0; i < n; ++i) {
      const double target = t_[static_cast<size_t>(i)];
      while (now < target) {
        double end = target;
        if (step + 1 < load_.size()) end = std::min(end, std::max(load_[step + 1].t_s, now));
        const double u = load_[step].load;
        const double keep = std::exp(-(end - now) / tau);
        const double gain = -std::expm1(-(end - now) / tau);
        x0 *= keep;
        xc = xc * keep + gain;
        x2 = x2 * keep + u * u * gain;
        now = end;
        while (step + 1 < load_.size() && load_[step + 1].t_s <= now) ++step;
      }
      phi(i, 0) = x0;
      phi(i, 1) = xc;
      phi(i, 2) = x2;
    }
  }

 private:
  const std::vector<double>& t_;
  std::span<const LoadStep> load_;
};

struct Solve {
  double sse = 0.0;
  Eigen::Vector3d coef = Eigen::Vector3d::Zero();  // T_0 [degC], base [degC], k [K]
};

Solve solve_at(const Responses& responses, const Eigen::VectorXd& y, double tau,
               Eigen::MatrixXd& phi) {
  responses.fill(tau, phi);
  Solve s;
  s.coef = phi.colPivHouseholderQr().solve(y);
  s.sse = (y - phi * s.coef).squaredNorm();
  return s;
}

// Time-weighted standard deviation of load^2 over [t0, t1].
double load_sq_sd(std::span<const LoadStep> load, double t0, double t1) {
  double sum = 0.0, sum2 = 0.0, total = 0.0;
  for (size_t i = 0; i < load.size(); ++i) {
    const double a = i == 0 ? t0 : std::max(load[i].t_s, t0);
    const double b = i + 1 < load.size() ? std::min(load[i + 1].t_s, t1) : t1;
    if (!(b > a)) continue;
    const double v = load[i].load * load[i].load;
    sum += v * (b - a);
    sum2 += v * v * (b - a);
    total += b - a;
  }
  if (!(total > 0.0)) return 0.0;
  const double mean = sum / total;
  return std::sqrt(std::max(sum2 / total - mean * mean, 0.0));
}

}  // namespace

ThermalFit fit_thermal(std::span<const TemperatureSample> samples, std::span<const LoadStep> load,
                       const condition::ThermalParams& nominal, const ThermalFitOptions& options) {
  ThermalFit fit;
  fit.params = nominal;
  // Usable samples: finite, strictly increasing in time, not a bit-identical repeat.
  std::vector<double> t, y;
  t.reserve(samples.size());
  y.reserve(samples.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    const TemperatureSample& s = samples[i];
    const bool repeat = i > 0 && s.value_C == samples[i - 1].value_C;
    if (!std::isfinite(s.value_C) || !std::isfinite(s.t_s) || repeat ||
        (!t.empty() && !(s.t_s > t.back()))) {
      ++fit.dropped;
      continue;
    }
    t.push_back(s.t_s);
    y.push_back(s.value_C);
  }
  if (load.empty()) {
    fit.error = "no load input";
    return fit;
  }
  if (t.size() < options.min_samples) {
    fit.error = "too few usable samples (" + std::to_string(t.size()) + ", need " +
                std::to_string(options.min_samples) + ")";
    return fit;
  }
  const double span = t.back() - t.front();
  if (span < options.min_span_s) {
    fit.error = "record too short (" + std::to_string(span) + " s, need " +
                std::to_string(options.min_span_s) + " s)";
    return fit;
  }
  const double load_sd = load_sq_sd(load, t.front(), t.back());
  if (load_sd < options.min_load_sq_sd) {
    fit.error = "no load variation (sd of load^2 " + std::to_string(load_sd) +
                "): the idle temperature and the load gain cannot be told apart";
    return fit;
  }
  {
    std::vector<double> sorted = y;
    std::sort(sorted.begin(), sorted.end());
    const auto at = [&](double q) {
      return sorted[static_cast<size_t>(q * static_cast<double>(sorted.size() - 1))];
    };
    const double range = at(0.98) - at(0.02);
    if (range < options.min_temperature_range_C) {
      fit.error = "temperature barely varies (2-98 % range " + std::to_string(range) +
                  " degC, need " + std::to_string(options.min_temperature_range_C) +
                  "): the time constant cannot be determined";
      return fit;
    }
  }

  Eigen::MatrixXd phi;
  Solve best;
  double tau = 0.0;
  for (int pass = 0; pass < 3; ++pass) {
    const Responses responses(t, load);
    const Eigen::VectorXd yv =
        Eigen::Map<const Eigen::VectorXd>(y.data(), static_cast<Eigen::Index>(y.size()));
    // Grid over log tau, then golden section between the best point's neighbours.
    constexpr int kGrid = 61;
    const double lo = std::log(options.min_tau_s), hi = std::log(options.max_tau_s);
    int best_i = 0;
    double best_sse = std::numeric_limits<double>::infinity();
    for (int i = 0; i < kGrid; ++i) {
      const double sse =
          solve_at(responses, yv, std::exp(lo + (hi - lo) * i / (kGrid - 1)), phi).sse;
      if (sse < best_sse) {
        best_sse = sse;
        best_i = i;
      }
    }
    if (best_i == 0 || best_i == kGrid - 1) {
      fit.error = "time constant not determined (best at the search bound " +
                  std::to_string(std::exp(lo + (hi - lo) * best_i / (kGrid - 1))) + " s)";
      return fit;
    }
    double a = lo + (hi - lo) * (best_i - 1) / (kGrid - 1);
    double b = lo + (hi - lo) * (best_i + 1) / (kGrid - 1);
    const double ratio = 0.5 * (std::sqrt(5.0) - 1.0);
    double c = b - ratio * (b - a), d = a + ratio * (b - a);
    double fc = solve_at(responses, yv, std::exp(c), phi).sse;
    double fd = solve_at(responses, yv, std::exp(d), phi).sse;
    for (int it = 0; it < 60 && b - a > 1e-7; ++it) {
      if (fc < fd) {
        b = d;
        d = c;
        fd = fc;
        c = b - ratio * (b - a);
        fc = solve_at(responses, yv, std::exp(c), phi).sse;
      } else {
        a = c;
        c = d;
        fc = fd;
        d = a + ratio * (b - a);
        fd = solve_at(responses, yv, std::exp(d), phi).sse;
      }
    }
    tau = std::exp(0.5 * (a + b));
    best = solve_at(responses, yv, tau, phi);
    if (pass == 2) break;
    // Drop outliers (beyond outlier_z robust sd, from the median absolute residual) and refit.
    const Eigen::VectorXd res = yv - phi * best.coef;
    std::vector<double> abs_res(static_cast<size_t>(res.size()));
    for (Eigen::Index i = 0; i < res.size(); ++i)
      abs_res[static_cast<size_t>(i)] = std::abs(res(i));
    std::vector<double> sorted = abs_res;
    std::nth_element(sorted.begin(),
                     sorted.begin() + static_cast<std::ptrdiff_t>(sorted.size() / 2), sorted.end());
    const double robust_sd = 1.4826 * sorted[sorted.size() / 2];
    std::vector<double> t2, y2;
    for (size_t i = 0; i < t.size(); ++i) {
      if (abs_res[i] <= options.outlier_z * robust_sd) {
        t2.push_back(t[i]);
        y2.push_back(y[i]);
      }
    }
    if (t2.size() == t.size()) break;
    fit.dropped += t.size() - t2.size();
    t.swap(t2);
    y.swap(y2);
  }

  // Standard errors from the Gauss-Newton covariance over (tau, T_0, base, k).
  const Responses responses(t, load);
  const Eigen::VectorXd yv =
      Eigen::Map<const Eigen::VectorXd>(y.data(), static_cast<Eigen::Index>(y.size()));
  const Eigen::Index n = yv.size();
  Eigen::MatrixXd phi_hi, phi_lo;
  constexpr double kStep = 1e-4;
  responses.fill(tau * (1.0 + kStep), phi_hi);
  responses.fill(tau * (1.0 - kStep), phi_lo);
  responses.fill(tau, phi);
  Eigen::MatrixXd jac(n, 4);
  jac.col(0) = (phi_hi - phi_lo) * best.coef / (2.0 * kStep * tau);
  jac.rightCols(3) = phi;
  const double dof = static_cast<double>(n - 4);
  const double s2 = best.sse / dof;
  const Eigen::Matrix4d cov =
      s2 * (jac.transpose() * jac).ldlt().solve(Eigen::Matrix4d::Identity());

  fit.samples = t.size();
  fit.tau_s = tau;
  fit.tau_sd_s = std::sqrt(std::max(cov(0, 0), 0.0));
  fit.initial_C = best.coef(0);
  fit.base_C = best.coef(1);
  fit.base_sd_C = std::sqrt(std::max(cov(2, 2), 0.0));
  fit.load_gain_K = best.coef(2);
  fit.load_gain_sd_K = std::sqrt(std::max(cov(3, 3), 0.0));
  fit.residual_sd_C = std::sqrt(s2);
  if (!(fit.tau_sd_s <= options.max_tau_rel_sd * tau)) {
    fit.error = "time constant poorly determined (" + std::to_string(tau) + " +- " +
                std::to_string(fit.tau_sd_s) + " s)";
    return fit;
  }
  if (!(fit.load_gain_K > 0.0)) {
    fit.error = "load does not heat the machine (load gain " + std::to_string(fit.load_gain_K) +
                " K): not the RC model's behaviour";
    return fit;
  }
  condition::ThermalParams& p = fit.params;
  p.resistance_K_per_W = tau / p.capacitance_J_per_K;
  p.load_loss_W = fit.load_gain_K / p.resistance_K_per_W;
  p.ambient_C = fit.base_C - p.resistance_K_per_W * p.fixed_loss_W;
  return fit;
}

}  // namespace twin
