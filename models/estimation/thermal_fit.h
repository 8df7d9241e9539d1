// Fits a machine's thermal RC parameters (models/condition/thermal.h) from a recorded healthy
// period: time-ordered temperature samples and the piecewise-constant motor load that drove
// them. `twin fit` uses it to give each machine its own ThermalParams instead of the nominal
// ones (the plant's units differ by several per cent in R and ambient).
//
// What temperatures can determine. With healthy cooling the model is
//   tau dT/dt = (T_amb + R P_fixed) + R P_load load^2 - T,     tau = R C,
// so only four combinations are identifiable: tau, the idle steady temperature
// base = T_amb + R P_fixed, the load gain k = R P_load, and (a nuisance) the temperature at the
// first sample. They are fitted; ThermalParams are then completed by holding the capacitance C
// and the fixed loss at their nominal values: R = tau / C, P_load = k / R, T_amb = base -
// R P_fixed. (Mass and idle losses are what a unit of a type shares; R and ambient, contact and
// site, are what differs, which is also how the plant simulator drifts them.)
//
// Method: output-error least squares on the exact discretisation. For a given tau the model
// temperature at every sample is linear in (T_0, base, k): each is the response of the exact
// first-order solution to a unit initial state, a unit constant input or the input load^2,
// integrated exactly across every load step and sample time (no resampling). So the fit is a
// one-dimensional search over tau with a linear least-squares solve inside (variable
// projection, Golub and Pereyra 1973): a log-spaced grid, then golden-section refinement.
// Output error (simulating from T_0 rather than regressing T_k+1 on noisy T_k) keeps the
// estimates unbiased under white sensor noise. Samples identical to the previous value (stuck
// sensor) are dropped, then two passes drop residuals beyond `outlier_z` robust sd and refit.
// Standard errors come from the Gauss-Newton covariance s^2 (J^T J)^-1 at the optimum.
#pragma once

#include <cstddef>
#include <span>
#include <string>

#include "models/condition/thermal.h"

namespace twin {

struct TemperatureSample {
  double t_s = 0.0;      // [s] sample time
  double value_C = 0.0;  // [degC] measured temperature
};

struct LoadStep {
  double t_s = 0.0;   // [s] from this time on ...
  double load = 0.0;  // [1] ... the motor load (current / rated current) is this
};

struct ThermalFitOptions {
  size_t min_samples = 300;              // fewer usable samples: refused
  double min_span_s = 1800.0;            // [s] shorter record: refused
  double min_load_sq_sd = 0.02;          // [1] time-weighted sd of load^2 below this: refused
  double min_temperature_range_C = 2.0;  // [degC] 2-98 % range of the samples below: refused
  double min_tau_s = 30.0;               // [s] search range of tau
  double max_tau_s = 86400.0;            // [s]
  double outlier_z = 4.0;                // residuals beyond this many robust sd are dropped
  double max_tau_rel_sd = 0.2;           // tau's standard error above this fraction: refused
};

struct ThermalFit {
  condition::ThermalParams params;  // fitted (C and fixed loss held at nominal)
  double tau_s = 0.0;               // [s] R C
  double tau_sd_s = 0.0;            // [s] standard error
  double base_C = 0.0;              // [degC] T_amb + R P_fixed: steady temperature at load 0
  double base_sd_C = 0.0;           // [degC] standard error
  double load_gain_K = 0.0;         // [K] R P_load: extra steady rise at load 1
  double load_gain_sd_K = 0.0;      // [K] standard error
  double initial_C = 0.0;           // [degC] fitted temperature at the first sample
  double residual_sd_C = 0.0;       // [degC] sd of the residuals of the samples used
  size_t samples = 0;               // samples used in the final fit
  size_t dropped = 0;               // samples dropped (non-finite, stuck, out of order, outliers)
  std::string error;                // empty on success; otherwise why the data cannot tell
};

// `samples` time-ordered; `load` steps time-ordered (the first step's load also holds before
// it). Assumes healthy cooling (cooling_factor 1) throughout.
ThermalFit fit_thermal(std::span<const TemperatureSample> samples, std::span<const LoadStep> load,
                       const condition::ThermalParams& nominal,
                       const ThermalFitOptions& options = {});

}  // namespace twin
