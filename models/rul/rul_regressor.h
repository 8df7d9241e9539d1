// Remaining-useful-life (RUL) regression from multichannel condition trajectories (e.g. the
// NASA C-MAPSS turbofan data, replay/cmapss_reader.h), a transparent linear baseline for the
// prognostics work to come.
//
// Target: the piecewise-linear RUL of the prognostics literature (Heimes 2008, and the CNN and
// LSTM FD001 results): min(true RUL, cap) with cap = 125 cycles, because early in life a
// healthy engine shows no degradation and its RUL cannot be told from the sensors.
// Inputs: channels that are constant over the training rows (sd below 1e-6 of their magnitude,
// i.e. below the files' print resolution) are dropped; the rest are z-scored with training
// statistics. Features per cycle, from the trailing window of the last `window` cycles (fewer
// at the start of a trajectory): each channel's last value, window mean and least-squares
// slope per cycle, plus the cycle count. Features are standardised with training statistics.
// Model: ridge regression (normal equations solved by Eigen LDLT) with an unpenalised
// intercept; its penalty is chosen by K-fold cross-validation over training units (unit k goes
// to fold k mod K, so no unit's rows are split between fitting and validation), by the RMSE of
// the clamped predictions on the held-out units' rows. Every statistic, including the dropped
// channels, is recomputed inside each fold from the fold's training units.
// Only the units passed to fit_rul_regressor are used. Deterministic: no randomness at all.
#pragma once

#include <Eigen/Core>
#include <array>
#include <span>
#include <vector>

namespace twin {

struct RulOptions {
  double cap = 125.0;  // [cycles] RUL target cap (piecewise-linear target)
  int window = 30;     // [cycles] trailing window for mean and slope
  int folds = 5;       // cross-validation folds over units (>= 2; fewer units -> one per fold)
  // Ridge penalties tried, per training row on standardised features (the objective is
  // mean squared error + lambda * |w|^2).
  std::vector<double> lambdas = {1e-6, 1e-5, 1e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0};
  double constant_sd_rel = 1e-6;  // a channel with sd <= this * max(|mean|, 1) is dropped
  int interval_bins = 5;          // bins of predicted RUL for the error quantiles (>= 1)
};

// One trajectory: rows are consecutive cycles, the first row being cycle 1.
struct RulUnit {
  Eigen::MatrixXd x;        // channels per cycle [channel units] (n x channels)
  double rul_at_end = 0.0;  // [cycles] true RUL at the last row (0: run to failure)
};

struct RulModel {
  RulOptions options;
  int channels = 0;                // input channels expected
  std::vector<int> kept;           // input channels used, ascending (k)
  Eigen::VectorXd channel_mean;    // [channel units] training mean of kept channels (k)
  Eigen::VectorXd channel_sd;      // [channel units] training sd of kept channels (k)
  Eigen::VectorXd feature_mean;    // training mean of each feature (3k + 1)
  Eigen::VectorXd feature_sd;      // training sd of each feature, 1 when constant (3k + 1)
  Eigen::VectorXd weights;         // [cycles] per standardised feature (3k + 1)
  double intercept = 0.0;          // [cycles] mean capped training target
  double lambda = 0.0;             // penalty chosen by cross-validation
  std::vector<double> cv_rmse;     // [cycles] per options.lambdas entry
  Eigen::Index training_rows = 0;  // rows fitted
  // The prediction's uncertainty, from the cross-validation's out-of-fold errors at the chosen
  // penalty (capped truth - clamped prediction), in bins of equally many rows by prediction:
  // bin b covers predictions up to bin_upper[b]; its 5 %, 50 % and 95 % error quantiles.
  std::vector<double> bin_upper;                     // [cycles] (bins), ascending
  std::vector<std::array<double, 3>> bin_quantiles;  // [cycles] (bins) q05, q50, q95
};

// RUL as a distribution: the median and a 90 % interval [cycles], all in [0, cap].
struct RulInterval {
  double median = 0.0;
  double low = 0.0;   // 5 % quantile
  double high = 0.0;  // 95 % quantile
};

// Fits on `training` (at least 2 units, all with the same channel count and >= 1 row).
// Throws std::invalid_argument otherwise.
RulModel fit_rul_regressor(const std::vector<RulUnit>& training, const RulOptions& options = {});

// Feature rows of a trajectory (n x (3k + 1)), before standardisation; row t uses rows <= t.
Eigen::MatrixXd rul_features(const RulModel& model, const Eigen::MatrixXd& x);

// Predicted RUL [cycles] at the last row of `x` (channels as in training), in [0, cap].
double predict_rul(const RulModel& model, const Eigen::MatrixXd& x);

// The RUL at the last row of `x` as a median and 90 % interval: the point prediction plus the
// out-of-fold error quantiles of its bin.
RulInterval predict_rul_interval(const RulModel& model, const Eigen::MatrixXd& x);

// Scores over units (same sizes, non-empty; else std::invalid_argument), d = predicted - true:
// root-mean-square of d, and the PHM08 score sum(exp(-d/13) - 1 if d < 0 else exp(d/10) - 1),
// which penalises late predictions (d > 0) more than early ones.
double rmse(std::span<const double> predicted, std::span<const double> truth);
double phm08_score(std::span<const double> predicted, std::span<const double> truth);

}  // namespace twin
