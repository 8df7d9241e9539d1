#include "models/condition/thermal.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace twin::condition {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// [W/K] conductance to ambient, cooling_factor / R. A negative factor means nothing physical;
// it is treated as 0 (no heat path) rather than letting heat flow in from nowhere.
double conductance(const ThermalParams& params, double cooling_factor) {
  return std::max(cooling_factor, 0.0) / params.resistance_K_per_W;
}

}  // namespace

std::string validate(const ThermalParams& params) {
  // Written as !(x > 0) so NaN is rejected too.
  if (!(params.capacitance_J_per_K > 0.0)) return "capacitance_J_per_K must be > 0";
  if (!(params.resistance_K_per_W > 0.0)) return "resistance_K_per_W must be > 0";
  if (!(params.fixed_loss_W >= 0.0)) return "fixed_loss_W must be >= 0";
  if (!(params.load_loss_W >= 0.0)) return "load_loss_W must be >= 0";
  if (!std::isfinite(params.ambient_C)) return "ambient_C must be finite";
  return {};
}

double loss_W(const ThermalParams& params, double load) {
  return params.fixed_loss_W + params.load_loss_W * load * load;
}

double time_constant_s(const ThermalParams& params, double cooling_factor) {
  const double g = conductance(params, cooling_factor);
  return g > 0.0 ? params.capacitance_J_per_K / g : kInf;
}

double steady_state(const ThermalParams& params, double load, double cooling_factor) {
  const double g = conductance(params, cooling_factor);
  const double p = loss_W(params, load);
  if (g > 0.0) return params.ambient_C + p / g;
  return p > 0.0 ? kInf : params.ambient_C;  // no heat path: any loss heats without bound
}

void advance(const ThermalParams& params, ThermalState& state, double load, double dt) {
  // T(dt) = T0 + slope0 * tau * (1 - exp(-dt / tau)), slope0 = dT/dt at the start. Written with
  // expm1 it stays accurate for dt << tau, and tau (1 - exp(-dt / tau)) -> dt as tau -> inf
  // covers the no-cooling case with the same line.
  const double c = params.capacitance_J_per_K;
  const double g = conductance(params, state.cooling_factor);
  const double slope0 = (loss_W(params, load) - g * (state.temperature_C - params.ambient_C)) / c;
  const double span = g > 0.0 ? -std::expm1(-dt * g / c) * (c / g) : dt;  // [s]
  state.temperature_C += slope0 * span;
}

double time_to_reach(const ThermalParams& params, const ThermalState& state, double load,
                     double threshold) {
  const double t0 = state.temperature_C;
  if (t0 == threshold) return 0.0;
  const double c = params.capacitance_J_per_K;
  const double g = conductance(params, state.cooling_factor);
  const double p = loss_W(params, load);
  if (g == 0.0) {  // linear rise at p / c
    return threshold > t0 && p > 0.0 ? (threshold - t0) * c / p : kInf;
  }
  // T moves monotonically from t0 towards t_ss and only approaches it, so the threshold is
  // reached iff it lies strictly between them: t = tau ln((t0 - t_ss) / (threshold - t_ss)).
  const double t_ss = params.ambient_C + p / g;
  if (!((threshold - t0) * (t_ss - threshold) > 0.0)) return kInf;
  return (c / g) * std::log1p((t0 - threshold) / (threshold - t_ss));
}

}  // namespace twin::condition
