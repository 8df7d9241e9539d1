#include "models/condition/motor.h"

#include <algorithm>
#include <cmath>

namespace twin::condition {

std::string validate(const MotorParams& params) {
  // Written as !(x > 0) so NaN is rejected too.
  if (!(params.line_voltage_V > 0.0)) return "line_voltage_V must be > 0";
  if (!(params.idle_current_A >= 0.0)) return "idle_current_A must be >= 0";
  if (!(params.rated_current_A > params.idle_current_A)) {
    return "rated_current_A must be > idle_current_A";
  }
  if (!(params.setup_current_A >= 0.0)) return "setup_current_A must be >= 0";
  if (!(params.standby_current_A >= 0.0)) return "standby_current_A must be >= 0";
  if (!(params.rated_power_factor > 0.0 && params.rated_power_factor <= 1.0)) {
    return "rated_power_factor must be in (0, 1]";
  }
  if (!(params.idle_power_factor >= 0.0 && params.idle_power_factor <= params.rated_power_factor)) {
    return "idle_power_factor must be in [0, rated_power_factor]";
  }
  if (!(params.power_factor_knee > 0.0)) return "power_factor_knee must be > 0";
  return {};
}

double current(const MotorParams& params, Mode mode, double load) {
  switch (mode) {
    case Mode::kBusy:
      return params.idle_current_A + (params.rated_current_A - params.idle_current_A) * load;
    case Mode::kSetup:
      return params.setup_current_A;
    case Mode::kStarved:
    case Mode::kBlocked:
    case Mode::kDown:
      return params.standby_current_A;
    case Mode::kOff:
      return 0.0;
  }
  return 0.0;
}

double power_factor(const MotorParams& params, double current_A) {
  const double x = std::max(
      (current_A - params.idle_current_A) / (params.rated_current_A - params.idle_current_A), 0.0);
  const double a = params.power_factor_knee;
  const double pf =
      params.idle_power_factor +
      (params.rated_power_factor - params.idle_power_factor) * x * (1.0 + a) / (x + a);
  return std::min(pf, 1.0);
}

double power_kw(const MotorParams& params, double current_A) {
  return std::sqrt(3.0) * params.line_voltage_V * current_A * power_factor(params, current_A) /
         1000.0;
}

}  // namespace twin::condition
