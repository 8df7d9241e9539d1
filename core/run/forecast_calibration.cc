#include "core/run/forecast_calibration.h"

#include <algorithm>

#include "core/run/forecast.h"

namespace twin {

namespace {

// Parts made stay made: the lower end at least the count at the fork, the upper at least that.
ConformalInterval keep_parts_made(ConformalInterval r, const Forecast& forecast) {
  r.lo = std::max(r.lo, static_cast<double>(forecast.good_so_far));
  r.hi = std::max(r.hi, r.lo);
  return r;
}

}  // namespace

double forecast_hours_left(const Calendar& calendar, const Forecast& forecast) {
  const double left_s =
      calendar.working_at(forecast.shift_end_s) - calendar.working_at(forecast.at_s);
  return std::max(left_s, 60.0) / 3600.0;
}

ConformalSample forecast_sample(const Calendar& calendar, const Forecast& forecast,
                                double actual_good_parts) {
  return {forecast.p05, forecast.p95, actual_good_parts, forecast_hours_left(calendar, forecast)};
}

ConformalInterval calibrated_interval(const Calendar& calendar, const Forecast& forecast,
                                      const ForecastCalibration& calibration) {
  return keep_parts_made(apply_conformal(calibration.margins, forecast.p05, forecast.p95,
                                         forecast_hours_left(calendar, forecast)),
                         forecast);
}

CalibratedBand calibrated_band(const Calendar& calendar, const Forecast& forecast,
                               const ForecastCalibration& calibration) {
  const ForecastFan& fan = forecast.fan;
  CalibratedBand band;
  band.lo.reserve(fan.t_s.size());
  band.hi.reserve(fan.t_s.size());
  const double fork_working_s = calendar.working_at(forecast.at_s);
  for (size_t c = 0; c < fan.t_s.size(); ++c) {
    const double hours = std::max(calendar.working_at(fan.t_s[c]) - fork_working_s, 0.0) / 3600.0;
    const ConformalInterval r = keep_parts_made(
        apply_conformal(calibration.margins, fan.p05[c], fan.p95[c], hours), forecast);
    band.lo.push_back(r.lo);
    band.hi.push_back(r.hi);
  }
  return band;
}

}  // namespace twin
