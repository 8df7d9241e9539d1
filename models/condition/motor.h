// Spindle motor current and electrical power from the machine's mode and load.
//
// Current is linear in load between the no-load (magnetising) current and the rated current,
// as for an induction motor between no load and full load:
//   busy:                     I = I_idle + (I_rated - I_idle) * load
//   setup:                    I = I_setup (jogging, tool changes, spindle orientation)
//   starved, blocked, down:   I = I_standby (spindle stopped, drive enabled)
//   off:                      I = 0
// A failed machine is normally left powered for diagnosis, hence standby rather than 0.
// Power is that of a balanced three-phase load, P = sqrt(3) V_line I pf. The power factor
// falls at light load because the magnetising current stays while the active current shrinks;
// we use a saturating curve in the load fraction x = (I - I_idle) / (I_rated - I_idle), x >= 0:
//   pf(x) = pf_idle + (pf_rated - pf_idle) * x (1 + a) / (x + a),   capped at 1,
// which is pf_idle at no load and pf_rated at rated current. With the defaults it gives about
// 0.57, 0.73 and 0.80 at quarter, half and three-quarter load, close to the shape of typical
// datasheets for 15 kW four-pole motors (roughly 0.7 at half load, 0.8 at three quarters). Below
// I_idle (setup, standby) pf stays at pf_idle. The motor is treated as fed at rated line voltage
// (direct on line, or a drive at base speed).
#pragma once

#include <string>

#include "models/process/kpi.h"  // Mode

namespace twin::condition {

// Defaults: order-of-magnitude values for a 15 kW, 400 V, four-pole induction spindle motor,
// not a specific product. Rated current from 15 kW out at ~91 % efficiency and pf 0.85:
// 15000 / 0.91 / (sqrt(3) 400 0.85) = 28 A. No-load current ~40 % of rated, usual at this size.
struct MotorParams {
  double line_voltage_V = 400.0;     // [V] line-to-line RMS
  double rated_current_A = 28.0;     // [A] at load 1
  double idle_current_A = 11.0;      // [A] running unloaded (load 0)
  double setup_current_A = 4.0;      // [A] in setup
  double standby_current_A = 1.0;    // [A] starved, blocked or down
  double rated_power_factor = 0.85;  // [1] at rated current
  double idle_power_factor = 0.10;   // [1] at or below the no-load current
  double power_factor_knee = 0.25;   // a [1] at load fraction a, pf is (1 + a) / 2 of the way up
};

// Empty when the parameters are usable, otherwise what is wrong (voltage > 0, rated current >
// idle current >= 0, setup and standby >= 0, 0 <= pf_idle <= pf_rated <= 1, pf_rated > 0,
// knee > 0).
std::string validate(const MotorParams& params);

// [A] phase current in a mode; load [1] fraction of rated (> 1 overload), used only when busy.
double current(const MotorParams& params, Mode mode, double load);

// [1] power factor at a current [A].
double power_factor(const MotorParams& params, double current_A);

// [kW] electrical input power at a current [A]: sqrt(3) V I pf(I) / 1000.
double power_kw(const MotorParams& params, double current_A);

}  // namespace twin::condition
