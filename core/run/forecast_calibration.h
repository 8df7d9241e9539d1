// The forecast's interval calibrated against shifts that happened. The line model's 90 % interval
// holds the spread of the failures it has modes for; a plant also stops for what it has none for
// (a jam, a sensor, a cooling fault), so on faulty shifts the actual count falls below the
// interval more often than 5 % of the time. Split conformal calibration (core/stats/conformal.h)
// over past forecasts with their actual end-of-shift counts gives each side a margin in parts
// per working hour left, so a forecast at 75 % of a shift widens less than one at 25 %.
// Forecasts of one shift are correlated: the count that matters is shifts; calibrate on shifts,
// score on others.
#pragma once

#include <cstdint>
#include <vector>

#include "core/model/calendar.h"
#include "core/stats/conformal.h"

namespace twin {

struct Forecast;

struct ForecastCalibration {
  ConformalMargins margins;  // [parts per working hour left] per side
  uint32_t shifts = 0;       // shifts behind the margins
  bool rul = false;          // the forecasts included predicted failures (`--rul`)
  bool empty() const { return margins.empty(); }
};

// [h] working time from the forecast's fork to its shift end (at least one minute: the scale of
// a fork at the very end must stay > 0).
double forecast_hours_left(const Calendar& calendar, const Forecast& forecast);

// One past forecast with the count that came: the sample a calibration learns from.
ConformalSample forecast_sample(const Calendar& calendar, const Forecast& forecast,
                                double actual_good_parts);

// The forecast's 90 % interval widened by the calibration (as it is without one). Parts made
// stay made: the lower end is never below the count at the fork.
ConformalInterval calibrated_interval(const Calendar& calendar, const Forecast& forecast,
                                      const ForecastCalibration& calibration);

// The forecast's fan band (5 % .. 95 % at each step) widened as the interval is, by the
// working hours from the fork to each step (nothing at the fork, the full margin at the end):
// the unmodelled stops the margins stand for add up with the working time. Empty without a fan.
struct CalibratedBand {
  std::vector<double> lo;  // (n_c) [parts] at the fan's steps
  std::vector<double> hi;  // (n_c) [parts]
};
CalibratedBand calibrated_band(const Calendar& calendar, const Forecast& forecast,
                               const ForecastCalibration& calibration);

}  // namespace twin
