#include "models/condition/tool_wear.h"

#include <algorithm>
#include <cmath>

namespace twin::condition {

std::string validate(const ToolWearParams& params) {
  // Written as !(x > 0) so NaN is rejected too.
  if (!(params.nominal_life_s > 0.0)) return "nominal_life_s must be > 0";
  if (!(params.taylor_n > 0.0)) return "taylor_n must be > 0";
  if (!(params.wear_limit_mm > 0.0)) return "wear_limit_mm must be > 0";
  if (!(params.wear_exponent > 0.0)) return "wear_exponent must be > 0";
  if (!(params.breakage_shape > 0.0)) return "breakage_shape must be > 0";
  if (!(params.breakage_scale > 0.0)) return "breakage_scale must be > 0";
  return {};
}

double tool_life_s(const ToolWearParams& params, double speed_factor) {
  return params.nominal_life_s * std::pow(speed_factor, -1.0 / params.taylor_n);
}

double flank_wear_mm(const ToolWearParams& params, const ToolWearState& state) {
  return params.wear_limit_mm * std::pow(state.life_used, params.wear_exponent);
}

void advance(const ToolWearParams& params, ToolWearState& state, double cutting_seconds,
             double speed_factor) {
  state.life_used += cutting_seconds / tool_life_s(params, speed_factor);
  state.cutting_s += cutting_seconds;
}

double remaining_life_s(const ToolWearParams& params, const ToolWearState& state,
                        double speed_factor) {
  return std::max(1.0 - state.life_used, 0.0) * tool_life_s(params, speed_factor);
}

void replace(ToolWearState& state) {
  state.life_used = 0.0;
  state.cutting_s = 0.0;
  ++state.replacements;
}

double hazard(const ToolWearParams& params, const ToolWearState& state) {
  const double beta = params.breakage_shape;
  const double eta = params.breakage_scale;
  return beta / eta * std::pow(state.life_used / eta, beta - 1.0);
}

double cumulative_hazard(const ToolWearParams& params, const ToolWearState& state) {
  return std::pow(state.life_used / params.breakage_scale, params.breakage_shape);
}

double breakage_life_used(const ToolWearParams& params, double h_total) {
  return params.breakage_scale * std::pow(h_total, 1.0 / params.breakage_shape);
}

}  // namespace twin::condition
