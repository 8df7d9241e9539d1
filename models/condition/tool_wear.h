// Cutting-tool flank wear and life.
//
// Tool life follows Taylor's equation v T^n = C (Taylor 1907): relative to the life T_nom at the
// nominal cutting speed, running at speed_factor = v / v_nom gives
//   T_life = T_nom * speed_factor^(-1/n).
// Flank wear grows as a power of the consumed life fraction,
//   VB = VB_limit * life_used^k,   life_used = integral of dt / T_life(v),
// so at constant speed VB(t) = VB_limit (t / T_life)^k and VB reaches the limit exactly at
// T_life. k < 1 gives the fast break-in wear of a fresh edge; the accelerating wear at the end
// of life is left to the breakage hazard below. Accumulating life fractions (as Miner's rule
// does for fatigue) makes `advance` exact for piecewise-constant speed and independent of step.
//
// Breakage is a random event drawn by the caller from a Weibull-type hazard in the life
// fraction, rising steeply near the end of life:
//   h(w) = (beta / eta) (w / eta)^(beta - 1),   H(w) = (w / eta)^beta   (w = life_used).
// A caller draws E ~ Exp(1) when the edge is fitted; the edge breaks when life_used reaches
// breakage_life_used(params, E). Per second of cutting the hazard is h(w) / T_life(v).
#pragma once

#include <cstdint>
#include <string>

namespace twin::condition {

// Defaults: order-of-magnitude values for a coated carbide end mill on steel, not a measured
// tool. n = 0.25 is mid-range for carbide (0.2-0.3; high-speed steel 0.1-0.15, ceramics
// 0.5-0.7, per machining textbooks). VB_limit = 0.3 mm is the tool-life criterion for uniform
// flank wear in ISO 3685. Tens of minutes of cutting per edge at the recommended speed is
// typical; 30 min taken. k = 0.8 is a choice within 0.6-1 (some break-in wear), not a fit. The
// Weibull shape and scale make about 5 % of edges break before reaching the wear limit:
// 1 - exp(-(1 / 1.8)^5) = 0.052.
struct ToolWearParams {
  double nominal_life_s = 1800.0;  // T_nom [s] cutting time to VB_limit at speed_factor 1
  double taylor_n = 0.25;          // n [1] Taylor exponent
  double wear_limit_mm = 0.3;      // VB_limit [mm] flank wear at which the edge is worn out
  double wear_exponent = 0.8;      // k [1] of VB = VB_limit life_used^k
  double breakage_shape = 5.0;     // beta [1] Weibull shape of the breakage hazard
  double breakage_scale = 1.8;     // eta [1] Weibull scale, in life fractions
};

struct ToolWearState {
  double life_used = 0.0;     // [1] consumed fraction of tool life; 1 at VB_limit
  double cutting_s = 0.0;     // [s] cutting time on this edge
  uint32_t replacements = 0;  // [count] edges replaced so far
};

// Empty when the parameters are usable, otherwise what is wrong (all must be > 0).
std::string validate(const ToolWearParams& params);

// [s] Taylor tool life at speed_factor [1] = v / v_nom > 0.
double tool_life_s(const ToolWearParams& params, double speed_factor);

// VB [mm] flank wear now.
double flank_wear_mm(const ToolWearParams& params, const ToolWearState& state);

// Adds cutting_seconds [s] >= 0 of cutting at a constant speed_factor [1].
void advance(const ToolWearParams& params, ToolWearState& state, double cutting_seconds,
             double speed_factor);

// [s] of cutting at speed_factor until VB_limit; 0 once reached.
double remaining_life_s(const ToolWearParams& params, const ToolWearState& state,
                        double speed_factor);

// Fits a new edge: wear and cutting time back to 0, one more replacement.
void replace(ToolWearState& state);

// h [1/life fraction] breakage hazard now; divide by tool_life_s for [1/s of cutting].
double hazard(const ToolWearParams& params, const ToolWearState& state);

// H [1] cumulative breakage hazard now, the integral of h over life_used.
double cumulative_hazard(const ToolWearParams& params, const ToolWearState& state);

// [1] life_used at which the cumulative hazard reaches h_total (inverse of cumulative_hazard).
double breakage_life_used(const ToolWearParams& params, double h_total);

}  // namespace twin::condition
