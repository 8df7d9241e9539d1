// A local linear trend Kalman filter for a health indicator y observed over an age axis a (the
// component's running time: the caller advances it only while the machine runs), and the
// remaining useful life it implies: the age left until y reaches a failure threshold.
//
// Typical indicators: for a bearing, y = log(vibration RMS / healthy baseline - 1) = log d, the
// log of the damage of models/condition/bearing.h, whose exponential growth d0 exp(rate (a -
// onset)) becomes the straight line log d0 + rate (a - onset); for a cutting tool, the flank
// wear in mm (models/condition/tool_wear.h).
//
// State [level L, slope b]. Between observations L moves by b da and b follows a random walk
// (integrated random walk: Q = q [[da^3/3, da^2/2], [da^2/2, da]]), so a slope that changes
// slowly (the concave wear curve of a tool, a defect spreading faster) is followed. Everything
// is in absolute units; the measurement variance r is either given or learned as data arrive,
// and each observation is weighted by the r in force when it arrives, so an indicator whose
// noise changes over life (the log of a growing damage gets less noisy as the damage grows) is
// weighted correctly. Learning is robust and blind to the trend: the mean absolute deviation of
// each observation from the straight line through its two neighbours (exact for any spacing of
// the ages, zero for a linear trend), in the spirit of local_level.h's first differences.
// The first `init_samples` observations are fitted by ordinary least squares (the exact
// posterior under a flat prior), so no prior on the slope's scale is needed; the noise learned
// by then sizes the initial covariance, which is why 20 and not fewer (with 10, the 90 %
// intervals of the bearing test covered 83 % instead of 92 % at a quarter of life).
// The log of the bearing's damage exists only once a defect shows: before that, watch the
// linear indicator (vibration / baseline - 1) with a second trend for `degrading()`.
//
// Remaining life (after Gebraeel et al., IIE Transactions 37, 2005): with the posterior of
// (L, b) Gaussian, the level t from now is Gaussian with mean m(t) = L + b t and variance
//   s(t)^2 = P_LL + 2 t P_Lb + t^2 P_bb + q t^3 / 3   (the last term: future slope drift),
// and P(life left <= t) is taken as P(level at t >= threshold) = Phi((m(t) - h) / s(t)).
// A quantile is the first t at which this reaches it (found deterministically by doubling
// then bisection); the median is exactly (h - L) / b. Since the CDF tends to Phi(b / sd_b)
// (or 1/2 with future drift) as t grows, upper quantiles are +inf when the slope is not clearly
// positive. RUL is only reported once the trend is `degrading()` (slope z-score above
// `degrading_z`): before that all three quantiles are +inf (no degradation detected; 0 if the
// level is already at the threshold), as in two-phase prognostics where a healthy phase is
// followed by a degradation phase.
#pragma once

#include <Eigen/Core>
#include <cstddef>
#include <vector>

namespace twin {

struct DegradationTrendOptions {
  double measurement_sd = 0.0;        // [y unit] sensor noise sd; 0: learned from the data
  double slope_drift = 0.0;           // q [y unit^2/s^3] random-walk rate of the slope; 0: fixed
  double noise_learning_rate = 0.02;  // weight of one new difference in the learned noise
  size_t init_samples = 20;           // observations fitted by least squares to start (>= 3)
  double degrading_z = 3.0;           // slope / sd(slope) above this: degrading
  bool include_future_drift = true;   // add q t^3 / 3 to the variance of the extrapolation
};

// Age left [s] until the level reaches the threshold.
struct RulEstimate {
  double median_s = 0.0;  // [s]
  double p05_s = 0.0;     // [s] 5 % quantile
  double p95_s = 0.0;     // [s] 95 % quantile
};

// The filter's answer to one observation.
struct TrendUpdate {
  double level = 0.0;        // [y unit] after the observation
  double slope = 0.0;        // [y unit / s]
  double residual = 0.0;     // [y unit] observation minus the predicted level
  double residual_z = 0.0;   // residual / its predicted sd [1]
  bool initialised = false;  // false while the first init_samples are being collected
};

class DegradationTrend {
 public:
  explicit DegradationTrend(const DegradationTrendOptions& options = {});

  // Folds in indicator y at age_s [s] (non-decreasing; an older one or a non-finite y is
  // ignored).
  TrendUpdate update(double age_s, double y);

  bool initialised() const { return initialised_; }
  double age_s() const { return age_s_; }
  double level() const { return x_(0); }
  double slope() const { return x_(1); }
  // [y unit^2, y unit^2/s, y unit^2/s^2] covariance of (level, slope).
  const Eigen::Matrix2d& covariance() const { return p_; }
  double level_sd() const;
  double slope_sd() const;
  double slope_z() const;  // slope / slope_sd (0 before initialisation)
  bool degrading() const { return initialised_ && slope_z() > options_.degrading_z; }
  double noise_sd() const;  // [y unit] given or learned measurement noise

  // Quantiles of the age left until the level reaches y_threshold from below (see above): 0
  // when that is already likely, +inf when never (or not degrading).
  RulEstimate time_to_threshold(double y_threshold) const;

  // Probability [1] that the level has reached y_threshold within t_s [s] from now.
  double probability_by(double y_threshold, double t_s) const;

  void reset() { *this = DegradationTrend(options_); }

 private:
  double noise_variance() const { return noise_sd() * noise_sd(); }
  void learn_noise(double age_s, double y);

  DegradationTrendOptions options_;
  bool initialised_ = false;
  double age_s_ = 0.0;                    // [s] age of the state
  Eigen::Vector2d x_;                     // [y unit, y unit/s] level and slope
  Eigen::Matrix2d p_;                     // covariance of x_ divided by r (see above)
  std::vector<Eigen::Vector2d> pending_;  // (age [s], y) until initialisation
  Eigen::Vector2d last_[2];               // (age [s], y) of the last two observations
  size_t seen_ = 0;                       // observations seen (for the noise learning)
  double mean_abs_dev_ = 0.0;             // [y unit] running mean |deviation| / its sd factor
  size_t deviations_ = 0;                 // deviations seen so far
};

}  // namespace twin
