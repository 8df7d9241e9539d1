// Rolling-bearing health and the vibration velocity RMS it shows at the housing.
//
// Damage follows the exponential degradation model used in prognostics (after Gebraeel, Lawley,
// Li and Ryan, "Residual-life distributions from component degradation signals: a Bayesian
// approach", IIE Transactions 37, 2005): nothing measurable until a defect initiates, then
//   d(t) = d0 exp(rate (t - onset))   for t >= onset, 0 before,
// with t the bearing's running time. Damage grows only while the spindle turns: rolling-contact
// fatigue advances with load cycles, and a stopped bearing accumulates none. The onset is a
// random event, so it lives in the state and is drawn by the caller (as are d0 and rate, if
// unit-to-unit variation is wanted); nothing in here is random.
//
// Vibration RMS [mm/s]:
//   running: floor + (running + load_term * load) * (1 + d)
//   idle:    floor
// The floor is what the sensor sees on a stopped spindle (neighbouring machines, electronics);
// a stopped bearing does not excite its defect frequencies, so damage shows only while running.
#pragma once

#include <limits>
#include <string>

namespace twin::condition {

// Evaluation zones of broad-band vibration velocity RMS (10-1000 Hz above 600 r/min) measured
// on the bearing housings, from ISO 10816-3:2009 Annex A (since revised as ISO 20816-3).
// Zone A: newly commissioned; B: unrestricted long-term operation; C: restricted, plan a
// repair; D: severe enough to cause damage. ISO 10816-3 covers machines above 15 kW; group 2 is
// 15-300 kW (a machining-centre spindle), group 1 is 300 kW-50 MW.
struct ZoneLimits {
  double ab = 0.0;  // [mm/s] A/B boundary
  double bc = 0.0;  // [mm/s] B/C boundary (typical alarm)
  double cd = 0.0;  // [mm/s] C/D boundary (typical trip)
};
inline constexpr ZoneLimits kIso10816Group2Rigid{1.4, 2.8, 4.5};
inline constexpr ZoneLimits kIso10816Group2Flexible{2.3, 4.5, 7.1};
inline constexpr ZoneLimits kIso10816Group1Rigid{2.3, 4.5, 7.1};
inline constexpr ZoneLimits kIso10816Group1Flexible{3.5, 7.1, 11.0};

enum class VibrationZone { kA, kB, kC, kD };
// Zone of an RMS value; a value on a boundary belongs to the worse zone.
VibrationZone zone(double rms_mm_s, const ZoneLimits& limits);

// Defaults: order-of-magnitude values, not a measured machine. A healthy spindle bearing at full
// load reads 1.3 mm/s (zone A of group 2, rigid foundation); a fresh defect adds 10 %; with the
// rate below (e-folding time ~140 running hours) it takes ~460 running hours from onset to the
// C/D boundary (4.5 mm/s), i.e. weeks to months of production: a plausible scale, to be tuned
// per machine (a simulation that must show a fault within a shift raises the rate).
struct BearingParams {
  double floor_mm_s = 0.1;            // [mm/s] reading with the spindle stopped
  double running_mm_s = 0.8;          // [mm/s] healthy, running unloaded (unbalance, meshing)
  double load_mm_s = 0.4;             // [mm/s] healthy, added per unit load (cutting forces)
  double initial_damage = 0.1;        // d0 [1] relative vibration increase at defect onset
  double damage_rate_per_s = 2.0e-6;  // rate [1/s] of running time
};

struct BearingState {
  double running_s = 0.0;  // [s] running time since the bearing was fitted
  // [s] running time at which a defect initiates (drawn by the caller); +inf: none.
  double onset_s = std::numeric_limits<double>::infinity();
};

// Empty when the parameters are usable, otherwise what is wrong (running_mm_s and
// initial_damage must be > 0; floor, load term and rate >= 0).
std::string validate(const BearingParams& params);

// d [1] at the current running time (0 before onset).
double damage(const BearingParams& params, const BearingState& state);

// [mm/s] velocity RMS. load [1] fraction of rated (ignored when not running).
double vibration_rms(const BearingParams& params, const BearingState& state, bool running,
                     double load = 1.0);

// Adds dt [s] >= 0 of wall time; damage advances only if running.
void advance(const BearingParams& params, BearingState& state, double dt, bool running);

// [s] of running time until vibration while running at `load` first reaches rms_threshold
// [mm/s]: 0 if it already does, +inf if it never will (no defect, or rate 0 and below).
double time_to_threshold(const BearingParams& params, const BearingState& state,
                         double rms_threshold, double load = 1.0);

}  // namespace twin::condition
