// What the panel's forecast section reads: the real line output so far and the latest forecast
// from "now" (viewer/forecast_job.h) with the job's progress. Filled by the session from the
// source (a recording or a live plant: both have a mirrored state to fork); the simulation
// source has none and leaves it unavailable.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "core/run/forecast_calibration.h"
#include "viewer/forecast_job.h"

namespace twin::viewer {

struct ForecastView {
  bool available = false;  // the source has a mirrored state (recording, live)
  std::string note;        // how the state was obtained, for the tooltip
  // The real line output over the shift, from the mirror: a point every few seconds up to the
  // shown time (a recording's first pass has the whole shift; the panel draws up to the clock).
  std::vector<double> real_t_s;   // (n_p) [s] on the strips' axis
  std::vector<double> real_good;  // (n_p) [parts] good parts that left the line
  // Forecast times are from the KPI window's origin; axis time = forecast time + this [s] (a
  // live view's axis starts at its first data, the live twin's window maybe earlier).
  double axis_offset_s = 0.0;
  bool has_result = false;
  Forecast result;  // the latest finished forecast (valid when has_result)
  // With a forecast calibration in the fit (`twin forecast --calibrate`): the result's 90 %
  // interval and fan band widened by it (core/run/forecast_calibration.h).
  bool calibrated = false;
  ConformalInterval calibrated_end;  // [parts] at the shift end
  CalibratedBand calibrated_band;    // at the fan's steps
  JobState state = JobState::kIdle;
  JobProgress progress;  // of the running job
  std::string error;     // of the last failed job
  size_t replications = 200;
};

}  // namespace twin::viewer
