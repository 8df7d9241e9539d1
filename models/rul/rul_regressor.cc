#include "models/rul/rul_regressor.h"

#include "core/stats/summary.h"

#include <Eigen/Cholesky>
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace twin {
namespace {

// Capped RUL of each row of `u`, appended to `y`.
void append_targets(const RulUnit& u, double cap, std::vector<double>& y) {
  const Eigen::Index n = u.x.rows();
  for (Eigen::Index t = 0; t < n; ++t) {
    y.push_back(std::min(cap, u.rul_at_end + static_cast<double>(n - 1 - t)));
  }
}

// Kept channels and their statistics from the rows of units[idx] (two-pass: the one-pass
// formula cancels badly on channels like 518.67 that never move).
void fit_channels(const std::vector<RulUnit>& units, const std::vector<size_t>& idx, RulModel& m) {
  const int c = m.channels;
  Eigen::VectorXd sum = Eigen::VectorXd::Zero(c);
  double rows = 0.0;
  for (size_t k : idx) {
    sum += units[k].x.colwise().sum().transpose();
    rows += static_cast<double>(units[k].x.rows());
  }
  const Eigen::VectorXd mean = sum / rows;
  Eigen::VectorXd ss = Eigen::VectorXd::Zero(c);
  for (size_t k : idx) {
    ss += (units[k].x.rowwise() - mean.transpose())
              .array()
              .square()
              .colwise()
              .sum()
              .matrix()
              .transpose();
  }
  const Eigen::VectorXd sd = (ss / rows).cwiseSqrt();
  m.kept.clear();
  for (int j = 0; j < c; ++j) {
    if (sd(j) > m.options.constant_sd_rel * std::max(std::abs(mean(j)), 1.0)) m.kept.push_back(j);
  }
  const Eigen::Index k = static_cast<Eigen::Index>(m.kept.size());
  m.channel_mean.resize(k);
  m.channel_sd.resize(k);
  for (Eigen::Index j = 0; j < k; ++j) {
    m.channel_mean(j) = mean(m.kept[static_cast<size_t>(j)]);
    m.channel_sd(j) = sd(m.kept[static_cast<size_t>(j)]);
  }
}

// Stacked raw features and targets of units[idx].
void design(const RulModel& m, const std::vector<RulUnit>& units, const std::vector<size_t>& idx,
            Eigen::MatrixXd& x, Eigen::VectorXd& y) {
  Eigen::Index rows = 0;
  for (size_t k : idx) rows += units[k].x.rows();
  x.resize(rows, 3 * static_cast<Eigen::Index>(m.kept.size()) + 1);
  std::vector<double> targets;
  targets.reserve(static_cast<size_t>(rows));
  Eigen::Index r = 0;
  for (size_t k : idx) {
    const Eigen::MatrixXd f = rul_features(m, units[k].x);
    x.middleRows(r, f.rows()) = f;
    r += f.rows();
    append_targets(units[k], m.options.cap, targets);
  }
  y = Eigen::Map<const Eigen::VectorXd>(targets.data(), rows);
}

void fit_feature_scaling(const Eigen::MatrixXd& x, RulModel& m) {
  m.feature_mean = x.colwise().mean().transpose();
  m.feature_sd =
      ((x.rowwise() - m.feature_mean.transpose()).array().square().colwise().mean().sqrt())
          .matrix()
          .transpose();
  for (Eigen::Index j = 0; j < m.feature_sd.size(); ++j) {
    if (!(m.feature_sd(j) > 1e-12)) m.feature_sd(j) = 1.0;  // constant feature: weight ends ~0
  }
}

Eigen::MatrixXd standardise(const RulModel& m, const Eigen::MatrixXd& x) {
  return (x.rowwise() - m.feature_mean.transpose()).array().rowwise() /
         m.feature_sd.transpose().array();
}

// Normal equations of the ridge problem: gram = Xs'Xs / N, rhs = Xs'(y - mean y) / N.
struct Normal {
  Eigen::MatrixXd gram;
  Eigen::VectorXd rhs;
  double y_mean = 0.0;
};

Normal normal_equations(const Eigen::MatrixXd& xs, const Eigen::VectorXd& y) {
  const double n = static_cast<double>(xs.rows());
  Normal ne;
  ne.y_mean = y.mean();
  ne.gram = (xs.transpose() * xs) / n;
  ne.rhs = xs.transpose() * (y.array() - ne.y_mean).matrix() / n;
  return ne;
}

Eigen::VectorXd solve_ridge(const Normal& ne, double lambda) {
  Eigen::MatrixXd a = ne.gram;
  a.diagonal().array() += lambda;
  return a.ldlt().solve(ne.rhs);
}

}  // namespace

Eigen::MatrixXd rul_features(const RulModel& m, const Eigen::MatrixXd& x) {
  if (x.cols() != m.channels) {
    std::string what("rul_features: expected ");
    what.append(std::to_string(m.channels)).append(" channels, got ");
    what.append(std::to_string(x.cols()));
    throw std::invalid_argument(what);
  }
  const Eigen::Index n = x.rows();
  const Eigen::Index k = static_cast<Eigen::Index>(m.kept.size());
  const Eigen::Index w = std::max(1, m.options.window);
  Eigen::MatrixXd f(n, 3 * k + 1);
  for (Eigen::Index j = 0; j < k; ++j) {
    const Eigen::Index col = m.kept[static_cast<size_t>(j)];
    const double mu = m.channel_mean(j), sd = m.channel_sd(j);
    for (Eigen::Index t = 0; t < n; ++t) {
      const Eigen::Index start = std::max<Eigen::Index>(0, t - w + 1);
      const Eigen::Index len = t - start + 1;
      const double centre = 0.5 * static_cast<double>(len - 1);
      double sum = 0.0, sxz = 0.0;
      for (Eigen::Index i = 0; i < len; ++i) {
        const double z = (x(start + i, col) - mu) / sd;
        sum += z;
        sxz += (static_cast<double>(i) - centre) * z;
      }
      const double l = static_cast<double>(len);
      const double sxx = l * (l * l - 1.0) / 12.0;  // sum of (i - centre)^2
      f(t, 3 * j) = (x(t, col) - mu) / sd;
      f(t, 3 * j + 1) = sum / l;
      f(t, 3 * j + 2) = len > 1 ? sxz / sxx : 0.0;
    }
  }
  for (Eigen::Index t = 0; t < n; ++t) f(t, 3 * k) = static_cast<double>(t + 1);
  return f;
}

namespace {

// Bins of equally many out-of-fold rows by prediction, each with its error quantiles.
void set_error_bins(std::vector<std::pair<double, double>> rows, int bins, RulModel& m) {
  std::sort(rows.begin(), rows.end());
  m.bin_upper.clear();
  m.bin_quantiles.clear();
  if (rows.empty()) return;
  const size_t per = std::max<size_t>(1, rows.size() / static_cast<size_t>(bins));
  for (size_t start = 0; start < rows.size();) {
    size_t end = std::min(rows.size(), start + per);
    if (rows.size() - end < per / 2) end = rows.size();  // a short last bin joins this one
    std::vector<double> errors;
    for (size_t i = start; i < end; ++i) errors.push_back(rows[i].second);
    m.bin_upper.push_back(end == rows.size() ? m.options.cap : rows[end - 1].first);
    m.bin_quantiles.push_back(
        {quantile(errors, 0.05), quantile(errors, 0.5), quantile(errors, 0.95)});
    start = end;
  }
}

}  // namespace

RulModel fit_rul_regressor(const std::vector<RulUnit>& training, const RulOptions& options) {
  if (training.size() < 2) throw std::invalid_argument("fit_rul_regressor: needs >= 2 units");
  if (options.lambdas.empty()) throw std::invalid_argument("fit_rul_regressor: no lambdas");
  const Eigen::Index channels = training[0].x.cols();
  for (const RulUnit& u : training) {
    if (u.x.cols() != channels || u.x.rows() < 1 || !u.x.allFinite() || u.rul_at_end < 0.0) {
      throw std::invalid_argument(
          "fit_rul_regressor: every unit needs >= 1 finite row of the same channels and "
          "rul_at_end >= 0");
    }
  }
  RulModel m;
  m.options = options;
  m.channels = static_cast<int>(channels);

  // Cross-validation: folds by unit; each fold's statistics come from its training units.
  const size_t folds = std::min(training.size(), static_cast<size_t>(std::max(2, options.folds)));
  std::vector<double> sse(options.lambdas.size(), 0.0);
  double validated_rows = 0.0;
  // Out-of-fold (prediction, error) per penalty, for the chosen one's intervals.
  std::vector<std::vector<std::pair<double, double>>> oof(options.lambdas.size());
  for (size_t fold = 0; fold < folds; ++fold) {
    std::vector<size_t> fit_idx, val_idx;
    for (size_t k = 0; k < training.size(); ++k)
      (k % folds == fold ? val_idx : fit_idx).push_back(k);
    RulModel f;
    f.options = options;
    f.channels = m.channels;
    fit_channels(training, fit_idx, f);
    Eigen::MatrixXd x_fit, x_val;
    Eigen::VectorXd y_fit, y_val;
    design(f, training, fit_idx, x_fit, y_fit);
    design(f, training, val_idx, x_val, y_val);
    fit_feature_scaling(x_fit, f);
    const Normal ne = normal_equations(standardise(f, x_fit), y_fit);
    const Eigen::MatrixXd xs_val = standardise(f, x_val);
    for (size_t l = 0; l < options.lambdas.size(); ++l) {
      const Eigen::VectorXd w = solve_ridge(ne, options.lambdas[l]);
      const Eigen::VectorXd p =
          ((xs_val * w).array() + ne.y_mean).cwiseMax(0.0).cwiseMin(options.cap).matrix();
      sse[l] += (p - y_val).squaredNorm();
      for (Eigen::Index r = 0; r < p.size(); ++r) oof[l].emplace_back(p(r), y_val(r) - p(r));
    }
    validated_rows += static_cast<double>(y_val.size());
  }
  size_t best = 0;
  for (size_t l = 0; l < sse.size(); ++l) {
    m.cv_rmse.push_back(std::sqrt(sse[l] / validated_rows));
    if (sse[l] < sse[best]) best = l;  // first (smallest) penalty wins ties
  }
  m.lambda = options.lambdas[best];
  set_error_bins(oof[best], std::max(1, options.interval_bins), m);

  // Final fit on all training units.
  std::vector<size_t> all(training.size());
  for (size_t k = 0; k < all.size(); ++k) all[k] = k;
  fit_channels(training, all, m);
  Eigen::MatrixXd x;
  Eigen::VectorXd y;
  design(m, training, all, x, y);
  fit_feature_scaling(x, m);
  const Normal ne = normal_equations(standardise(m, x), y);
  m.weights = solve_ridge(ne, m.lambda);
  m.intercept = ne.y_mean;
  m.training_rows = x.rows();
  return m;
}

double predict_rul(const RulModel& m, const Eigen::MatrixXd& x) {
  if (x.rows() < 1) throw std::invalid_argument("predict_rul: empty trajectory");
  // Only the last row is needed, but the features of a row depend on the window before it.
  const Eigen::Index w = std::max(1, m.options.window);
  const Eigen::Index start = std::max<Eigen::Index>(0, x.rows() - w);
  Eigen::MatrixXd f = rul_features(m, x.bottomRows(x.rows() - start));
  Eigen::RowVectorXd last = f.bottomRows(1);
  last(last.size() - 1) = static_cast<double>(x.rows());  // cycle count of the whole trajectory
  const double p =
      m.intercept + ((last - m.feature_mean.transpose()).array() / m.feature_sd.transpose().array())
                        .matrix()
                        .dot(m.weights);
  return std::clamp(p, 0.0, m.options.cap);
}

RulInterval predict_rul_interval(const RulModel& m, const Eigen::MatrixXd& x) {
  const double p = predict_rul(m, x);
  RulInterval out{p, p, p};
  if (m.bin_upper.empty()) return out;
  size_t b = 0;
  while (b + 1 < m.bin_upper.size() && p > m.bin_upper[b]) ++b;
  const double cap = m.options.cap;
  out.low = std::clamp(p + m.bin_quantiles[b][0], 0.0, cap);
  out.median = std::clamp(p + m.bin_quantiles[b][1], 0.0, cap);
  out.high = std::clamp(p + m.bin_quantiles[b][2], 0.0, cap);
  return out;
}

namespace {
void check_scores(std::span<const double> predicted, std::span<const double> truth) {
  if (predicted.empty() || predicted.size() != truth.size()) {
    throw std::invalid_argument("RUL scores need equally many predictions and truths (> 0)");
  }
}
}  // namespace

double rmse(std::span<const double> predicted, std::span<const double> truth) {
  check_scores(predicted, truth);
  double s = 0.0;
  for (size_t i = 0; i < predicted.size(); ++i) {
    s += (predicted[i] - truth[i]) * (predicted[i] - truth[i]);
  }
  return std::sqrt(s / static_cast<double>(predicted.size()));
}

double phm08_score(std::span<const double> predicted, std::span<const double> truth) {
  check_scores(predicted, truth);
  double s = 0.0;
  for (size_t i = 0; i < predicted.size(); ++i) {
    const double d = predicted[i] - truth[i];
    s += d < 0.0 ? std::exp(-d / 13.0) - 1.0 : std::exp(d / 10.0) - 1.0;
  }
  return s;
}

}  // namespace twin
