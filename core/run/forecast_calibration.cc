#include "core/run/forecast_calibration.h"

#include <algorithm>

#include "core/run/forecast.h"

namespace twin {

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
  ConformalInterval r = apply_conformal(calibration.margins, forecast.p05, forecast.p95,
                                        forecast_hours_left(calendar, forecast));
  const double made = static_cast<double>(forecast.good_so_far);
  r.lo = std::max(r.lo, made);
  r.hi = std::max(r.hi, r.lo);
  return r;
}

CalibratedBand calibrated_band(const Calendar& calendar, const Forecast& forecast,
                               const ForecastCalibration& calibration) {
  const ForecastFan& fan = forecast.fan;
  CalibratedBand band;
  band.lo.reserve(fan.t_s.size());
  band.hi.reserve(fan.t_s.size());
  const double fork_working_s = calendar.working_at(forecast.at_s);
  const double made = static_cast<double>(forecast.good_so_far);
  for (size_t c = 0; c < fan.t_s.size(); ++c) {
    const double hours = std::max(calendar.working_at(fan.t_s[c]) - fork_working_s, 0.0) / 3600.0;
    ConformalInterval r = apply_conformal(calibration.margins, fan.p05[c], fan.p95[c], hours);
    r.lo = std::max(r.lo, made);
    band.lo.push_back(r.lo);
    band.hi.push_back(std::max(r.hi, r.lo));
  }
  return band;
}

}  // namespace twin
