// The time range the mode strips and tag plots share, and its pixel mapping. Pure arithmetic so
// tests can check where a time lands.
#pragma once

#include <algorithm>
#include <cmath>

namespace twin::viewer {

// [s of shift time] shown by the strips and plots.
struct TimeRange {
  double t0 = 0.0;  // [s] left edge
  double t1 = 1.0;  // [s] right edge, > t0
};

// The range for a window of `window_s` around `clock_s` (0: the whole shift). The window keeps a
// quarter of its width ahead of the clock so the twin's prediction shows, and stays inside the
// shift when the shift is longer than the window.
inline TimeRange time_range(double clock_s, double duration_s, double window_s) {
  const double d = std::max(duration_s, 1.0);
  if (window_s <= 0.0 || window_s >= d) return {0.0, d};
  double t0 = clock_s - 0.75 * window_s;
  t0 = std::clamp(t0, 0.0, d - window_s);
  return {t0, t0 + window_s};
}

// Shift seconds <-> pixels over [x0, x1].
struct TimeScale {
  TimeRange range;
  double x0 = 0.0, x1 = 1.0;  // [px]

  double to_x(double t_s) const {
    return x0 + (t_s - range.t0) / (range.t1 - range.t0) * (x1 - x0);
  }
  double to_t(double x) const { return range.t0 + (x - x0) / (x1 - x0) * (range.t1 - range.t0); }
};

// A tick spacing [s] that puts ticks at least `min_px` apart: 1, 5, 15, 30 min, 1, 2, 4, 8 h.
inline double tick_step_s(const TimeScale& scale, double min_px) {
  static constexpr double kSteps[] = {60.0, 300.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0, 28800.0};
  const double px_per_s = (scale.x1 - scale.x0) / (scale.range.t1 - scale.range.t0);
  for (double s : kSteps) {
    if (s * px_per_s >= min_px) return s;
  }
  return 86400.0;
}

}  // namespace twin::viewer
