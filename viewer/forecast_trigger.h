// When the viewer re-runs the forecast from "now": not on every frame while the clock moves
// (a forecast takes a tenth of a second or more), but once the shown time has settled (scrubbing
// stopped) or, while it keeps moving (playing, live), every `refresh_s` of shift time. Pure
// logic on the shown time and a wall clock, so tests drive it without threads or a window.
#pragma once

#include <cmath>

namespace twin::viewer {

struct ForecastTriggerOptions {
  double settle_s = 0.3;     // [s wall] the shown time unchanged this long: forecast it
  double refresh_s = 300.0;  // [s shift] moving on by this much: forecast again
};

class ForecastTrigger {
 public:
  explicit ForecastTrigger(ForecastTriggerOptions options = {}) : options_(options) {}

  // The shown time is `t_s` [s] at wall time `wall_s` [s]. True when a forecast of t_s is due
  // (then call requested(t_s)).
  bool due(double t_s, double wall_s) {
    if (t_s != seen_t_s_) {
      seen_t_s_ = t_s;
      changed_wall_s_ = wall_s;
    }
    if (!has_requested_) return true;
    if (t_s == requested_t_s_) return false;
    if (std::abs(t_s - requested_t_s_) >= options_.refresh_s) return true;
    return wall_s - changed_wall_s_ >= options_.settle_s;
  }
  // Also counts as seeing t_s (a forced request need not have asked due() first): a later move
  // away from it waits to settle as any other.
  void requested(double t_s) {
    has_requested_ = true;
    requested_t_s_ = t_s;
    seen_t_s_ = t_s;
  }
  // Forget what was forecast (a new source): the next due() says yes.
  void reset() { *this = ForecastTrigger(options_); }

  bool has_requested() const { return has_requested_; }
  double requested_t_s() const { return requested_t_s_; }

 private:
  ForecastTriggerOptions options_;
  bool has_requested_ = false;
  double requested_t_s_ = 0.0;   // [s] time of the last forecast asked for
  double seen_t_s_ = -1.0;       // [s] shown time at the last due()
  double changed_wall_s_ = 0.0;  // [s wall] when the shown time last changed
};

}  // namespace twin::viewer
