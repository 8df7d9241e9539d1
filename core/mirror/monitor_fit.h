// The condition monitor's per-machine healthy models, fitted from a recorded healthy period by
// `twin fit` and loaded by the monitor (`--fit FILE`) instead of learning them from the first
// running hour of every shift (which assumes that hour is healthy).
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "core/mirror/rul_calibration.h"
#include "core/run/forecast_calibration.h"
#include "models/condition/mode_classifier.h"

namespace twin {

// y = a + b x with the residual standard deviation, fitted by least squares.
struct LinearFit {
  double a = std::numeric_limits<double>::quiet_NaN();   // [unit of y]
  double b = 0.0;                                        // [unit of y / unit of x]
  double sd = std::numeric_limits<double>::quiet_NaN();  // [unit of y] residual
  uint32_t n = 0;                                        // points behind the fit
  bool ok() const { return n > 0 && a == a && sd == sd; }
  double predict(double x) const { return a + b * x; }
};

// Least squares with a ridge towards b = 0 that only lets a slope in when x spreads by more than
// about 1 % of its mean (a healthy period at one load must not invent one); sd at least
// `sd_floor`. n = 0 (not ok) for fewer than 3 points.
LinearFit fit_line(const std::vector<double>& x, const std::vector<double>& y, double sd_floor);

struct MachineFit {
  std::string machine;
  LinearFit current_vs_wear;         // [A] cutting current per window vs flank wear [mm]
  LinearFit vibration_vs_current;    // [mm/s] vibration per window vs cutting current [A]
  double running_s = 0.0;            // [s] healthy running time the fits saw
  double energy_kWh_per_part = 0.0;  // [kWh/part] healthy energy per good part; 0: not fitted
  uint32_t energy_hours = 0;         // [h] eligible hours behind it
  bool has_mode_classifier = false;  // mode_classifier fitted on current + PLC modes
  condition::ModeClassifierParams mode_classifier;
  std::string mode_fit_note;  // classes the fit lacked (filled from nominal), "" when complete
};

struct MonitorFit {
  std::string scene;   // scene name the fit belongs to
  std::string source;  // the recording it was fitted from
  std::vector<MachineFit> machines;
  // RUL against past failures (`twin score --calibrate`); empty: the models' own RUL.
  RulCalibration rul_calibration;
  // The forecast's interval against past shifts' counts (`twin forecast --calibrate`); empty:
  // the line model's own interval.
  ForecastCalibration forecast_calibration;
  const MachineFit* find(const std::string& machine) const;
};

// JSON. Errors name the file and the field.
bool save_monitor_fit(const MonitorFit& fit, const std::string& path, std::string& error);
bool load_monitor_fit(const std::string& path, MonitorFit& fit, std::string& error);

}  // namespace twin
