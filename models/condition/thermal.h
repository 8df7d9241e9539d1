// Lumped thermal RC model of a spindle or motor: one heat capacity C losing heat to ambient
// through one resistance R,
//   C dT/dt = P_loss(load) - (T - T_ambient) / R_eff,   P_loss = fixed + load_loss * load^2.
// Losses grow with load^2 because the dominant load-dependent loss is copper (I^2 R) loss, and
// current is roughly proportional to torque. For a load held constant over a step the ODE has
// an exact solution: T relaxes exponentially towards the steady state with tau = R_eff C, so
// `advance` is exact for piecewise-constant load whatever the step (one step of 60 s equals
// sixty steps of 1 s), and a Kalman filter can use the same transition.
//
// Degraded cooling (clogged coolant circuit, failed fan) scales the conductance to ambient by
// cooling_factor: R_eff = R / cooling_factor. Lowering cooling_factor raises the steady temperature
// rise and lengthens tau by the same factor, as a real blocked heat path does. cooling_factor 0
// means no heat path at all: the temperature then rises linearly and never settles.
#pragma once

#include <string>

namespace twin::condition {

// Defaults: order-of-magnitude values for the spindle motor of a medium CNC machining centre
// (15 kW), not a measured machine. C: about 200 kg of steel and cast iron (c ~ 460 J/(kg K)).
// R: chosen so full load settles about 36 K above ambient and tau = R C = 30 min, in the
// 20-40 min range typical of spindle warm-up (order of magnitude). Losses: ~10 % of 15 kW at
// full load (a motor of ~90 % efficiency); a few hundred watts of bearing friction, fan and
// iron loss at idle.
struct ThermalParams {
  double capacitance_J_per_K = 90000.0;  // C [J/K] heat capacity of the lumped body
  double resistance_K_per_W = 0.02;      // R [K/W] to ambient with healthy cooling
  double fixed_loss_W = 300.0;           // [W] dissipated whenever powered, load or not
  double load_loss_W = 1500.0;           // [W] extra dissipation at load 1 (scales with load^2)
  double ambient_C = 22.0;               // [degC] shop-floor air or coolant supply
};

struct ThermalState {
  double temperature_C = 22.0;  // [degC] lumped body temperature
  double cooling_factor = 1.0;  // [1] 1 healthy, < 1 degraded (R_eff = R / factor), >= 0
};

// Empty when the parameters are usable, otherwise what is wrong (C and R must be > 0, losses
// >= 0, ambient finite).
std::string validate(const ThermalParams& params);

// [W] heat dissipated at a load ([1] fraction of rated; > 1 is overload).
double loss_W(const ThermalParams& params, double load);

// [s] tau = R_eff C; +inf when cooling_factor is 0.
double time_constant_s(const ThermalParams& params, double cooling_factor);

// [degC] temperature the body settles at under a constant load: T_amb + P_loss R_eff. +inf
// when cooling_factor is 0 and there is any loss.
double steady_state(const ThermalParams& params, double load, double cooling_factor = 1.0);

// Advances state.temperature_C by dt [s] >= 0 with the load held constant; exact.
void advance(const ThermalParams& params, ThermalState& state, double load, double dt);

// [s] until the temperature first equals threshold [degC] under a constant load (0 if it does
// now; works for heating and cooling); +inf if it never does (threshold beyond, or equal to,
// the steady state on the way, or on the other side of the current temperature).
double time_to_reach(const ThermalParams& params, const ThermalState& state, double load,
                     double threshold);

}  // namespace twin::condition
