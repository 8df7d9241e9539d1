#include "models/condition/bearing.h"

#include <cmath>
#include <limits>

namespace twin::condition {

VibrationZone zone(double rms_mm_s, const ZoneLimits& limits) {
  if (rms_mm_s >= limits.cd) return VibrationZone::kD;
  if (rms_mm_s >= limits.bc) return VibrationZone::kC;
  if (rms_mm_s >= limits.ab) return VibrationZone::kB;
  return VibrationZone::kA;
}

std::string validate(const BearingParams& params) {
  // Written as !(x > 0) so NaN is rejected too.
  if (!(params.floor_mm_s >= 0.0)) return "floor_mm_s must be >= 0";
  if (!(params.running_mm_s > 0.0)) return "running_mm_s must be > 0";
  if (!(params.load_mm_s >= 0.0)) return "load_mm_s must be >= 0";
  if (!(params.initial_damage > 0.0)) return "initial_damage must be > 0";
  if (!(params.damage_rate_per_s >= 0.0)) return "damage_rate_per_s must be >= 0";
  return {};
}

double damage(const BearingParams& params, const BearingState& state) {
  if (!(state.running_s >= state.onset_s)) return 0.0;
  return params.initial_damage *
         std::exp(params.damage_rate_per_s * (state.running_s - state.onset_s));
}

double vibration_rms(const BearingParams& params, const BearingState& state, bool running,
                     double load) {
  if (!running) return params.floor_mm_s;
  const double healthy = params.running_mm_s + params.load_mm_s * load;
  return params.floor_mm_s + healthy * (1.0 + damage(params, state));
}

void advance(const BearingParams& /*params*/, BearingState& state, double dt, bool running) {
  if (running) state.running_s += dt;
}

double time_to_threshold(const BearingParams& params, const BearingState& state,
                         double rms_threshold, double load) {
  if (vibration_rms(params, state, true, load) >= rms_threshold) return 0.0;
  const double inf = std::numeric_limits<double>::infinity();
  if (!std::isfinite(state.onset_s)) return inf;
  // Damage needed to read rms_threshold; above the current damage, since we read less now.
  const double healthy = params.running_mm_s + params.load_mm_s * load;
  const double needed = (rms_threshold - params.floor_mm_s) / healthy - 1.0;
  // Damage jumps from 0 to d0 at onset, so a threshold below that is crossed right at onset.
  if (needed <= params.initial_damage) return state.onset_s - state.running_s;
  if (!(params.damage_rate_per_s > 0.0)) return inf;
  return state.onset_s + std::log(needed / params.initial_damage) / params.damage_rate_per_s -
         state.running_s;
}

}  // namespace twin::condition
