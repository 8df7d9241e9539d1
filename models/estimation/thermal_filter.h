// An unscented Kalman filter for the lumped thermal RC model (models/condition/thermal.h): from
// noisy temperature samples and the known motor load it estimates the body temperature T and
// the cooling factor g (1 healthy, < 1 a clogged coolant circuit or a failed fan), and predicts
// how long until T reaches a limit.
//
// State x = [T degC, g 1, g' 1/s]. Transition over dt with the load held constant: the exact
// solution of
//   C dT/dt = P_loss(load) - g (T - T_amb) / R,
// i.e. T relaxes towards T_amb + P_loss R / g with tau = R C / g (condition::advance; over
// steps longer than 30 s g is held at each sub-step's midpoint value), while g moves at the
// rate g', which follows a random walk (q_g' [1/s^3]): a local linear trend, so a cooling
// circuit clogging at a steady pace is followed without the lag a random walk on g alone has
// (0.1-0.2 in g on the plant-like data of the tests, where g fell from 1 to 0.15 in 50 min).
// g' starts at 0 with no uncertainty; its variance grows with q_g'. g also gets a little noise of
// its own (q_g [1/s]) and T some for model error (q_T [degC^2/s]: load known only approximately,
// the sensor's sample-and-hold, parameters a few per cent off). The transition is nonlinear in g,
// so the prediction propagates Van der Merwe's scaled sigma points (2n + 1 = 7 points) through
// it (Wan and Van der Merwe, "The unscented Kalman filter for nonlinear estimation", 2000).
// The measurement is T itself, linear, so the correction is the ordinary Kalman update (what
// the unscented transform gives exactly for a linear measurement).
//
// Only g / R is identifiable from temperatures: with R off by a factor (the plant drifts it by
// up to 10 % per machine) the g estimate is off by the same factor, but predictions (residuals,
// time to a limit) are not, as they depend on g / R only. Fitting R first (thermal_fit.h) puts
// g on the machine's own scale.
//
// Dirty data: a gap is bridged by prediction (the uncertainty grows with it); a value equal to
// the previous one to the last bit is taken for a stuck sensor and not used (a live sensor with
// noise never repeats a float exactly); an innovation beyond `gate_z` is rejected as an outlier,
// unless `max_rejected` in a row are, in which case the filter re-anchors T on the measurement
// (the model, not the sensor, is then what is off).
#pragma once

#include <Eigen/Core>
#include <cstdint>

#include "models/condition/thermal.h"

namespace twin {

struct ThermalFilterOptions {
  double measurement_sd_C = 0.15;     // [degC] sensor noise standard deviation
  double temperature_drift = 1e-5;    // q_T [degC^2/s] process noise on T (model error)
  double cooling_drift = 2e-6;        // q_g [1/s] random-walk variance rate of g
  double cooling_rate_drift = 1e-10;  // q_g' [1/s^3] random-walk variance rate of g'
  double initial_cooling = 1.0;       // [1] g before any data
  double initial_cooling_sd = 0.1;    // [1] its standard deviation
  double min_cooling = 0.02;          // [1] g is clamped to [min_cooling, max_cooling]
  double max_cooling = 2.0;           // [1]
  double gate_z = 6.0;                // |innovation| / sqrt(S) beyond which a sample is rejected
  uint32_t max_rejected = 20;         // consecutive rejections after which T is re-anchored
  bool reject_repeats = true;         // a bit-identical repeat of the last value is "stuck"
  // Van der Merwe's sigma-point scaling. alpha 1, kappa 0 (= 3 - n) is Julier's symmetric set
  // for n = 3: points at +-sqrt(3) sd, the central point with mean weight 0.
  double alpha = 1.0;
  double beta = 2.0;
  double kappa = 0.0;
};

// The filter's answer to one measurement.
struct ThermalUpdate {
  double estimate_C = 0.0;    // [degC] T after the measurement
  double sd_C = 0.0;          // [degC] its standard deviation
  double residual_C = 0.0;    // [degC] measurement minus the predicted T
  double residual_z = 0.0;    // residual / sqrt(predicted variance of the measurement) [1]
  double cooling = 0.0;       // [1] g after the measurement
  double cooling_sd = 0.0;    // [1] its standard deviation
  double cooling_rate = 0.0;  // [1/s] g'
  bool used = false;          // false: not folded in (first sample, stuck, outlier, out of order)
};

// Time until T first reaches an upper limit, under a constant load, with g frozen at its
// present (uncertain) value (g' is not extrapolated). +inf when it never gets there.
struct TimeToLimit {
  double median_s = 0.0;  // [s]
  double p05_s = 0.0;     // [s] 5 % quantile
  double p95_s = 0.0;     // [s] 95 % quantile
};

class ThermalFilter {
 public:
  explicit ThermalFilter(const condition::ThermalParams& nominal,
                         const ThermalFilterOptions& options = {});

  // Advances the state to t_s [s] with `load` [1] (motor current / rated current) held since
  // the filter's current time. Earlier times are ignored. Before the first measurement it only
  // moves the clock.
  void predict_to(double t_s, double load);

  // Folds in the temperature `measured_C` taken at t_s [s]; if t_s is later than the filter's
  // time it first predicts there with the last load passed to predict_to. The first usable
  // sample initialises T. Non-finite values and times earlier than the filter's are ignored.
  ThermalUpdate update(double t_s, double measured_C);

  // Quantiles of the time [s] from now until T >= limit_C at a constant `load`, with g frozen:
  // the Gaussian marginal posterior of (T, g) is mapped through condition::time_to_reach on a 41 x
  // 41 tensor grid over +-4 sd in whitened coordinates, weighted by the normal density, and the
  // quantiles read from the weighted distribution (deterministic; +inf mass is kept, so a
  // quantile is +inf when that much of the posterior never gets there). 0 when T is already
  // at or above the limit.
  TimeToLimit time_to_limit(double limit_C, double load) const;

  bool started() const { return started_; }
  double time_s() const { return time_s_; }
  double temperature_C() const { return x_(0); }
  double temperature_sd_C() const;
  double cooling() const { return x_(1); }
  double cooling_sd() const;
  double cooling_rate() const { return x_(2); }  // [1/s] g'
  // [degC, 1, 1/s] (T, g, g') and its covariance.
  const Eigen::Vector3d& mean() const { return x_; }
  const Eigen::Matrix3d& covariance() const { return p_; }
  uint64_t rejected() const { return rejected_total_; }

  // Sets g (e.g. 1 after the cooling circuit was serviced) with standard deviation sd, g' to
  // 0, and forgets their correlation with T.
  void reset_cooling(double g, double sd);
  const condition::ThermalParams& params() const { return params_; }

 private:
  Eigen::Vector3d transition(const Eigen::Vector3d& x, double load, double dt) const;
  void clamp_cooling();

  condition::ThermalParams params_;
  ThermalFilterOptions options_;
  bool started_ = false;
  double time_s_ = 0.0;          // [s] time of the state
  double load_ = 0.0;            // [1] last load passed to predict_to
  Eigen::Vector3d x_;            // [degC, 1, 1/s] state mean (T, g, g')
  Eigen::Matrix3d p_;            // state covariance (units the products of those)
  double last_measured_ = 0.0;   // [degC] last measurement seen (for stuck detection)
  bool have_last_ = false;       // whether last_measured_ is set
  uint32_t rejected_run_ = 0;    // consecutive rejected outliers
  uint64_t rejected_total_ = 0;  // samples not used, all reasons
};

}  // namespace twin
