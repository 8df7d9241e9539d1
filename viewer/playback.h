// Playback: the viewer's own run of the line model. It owns a LineState that it moves forward
// with advance_to() by wall-clock time x speed, and reads modes, contents and KPIs from it. The
// simulation logic is the model's (models/process/line_model.h); nothing here changes it.
#pragma once

#include <cstdint>

#include "core/model/model.h"
#include "models/process/kpi.h"
#include "models/process/line_model.h"
#include "models/process/line_state.h"

namespace twin::viewer {

inline constexpr double kMinSpeed = 1.0;     // [sim s / wall s]
inline constexpr double kMaxSpeed = 1000.0;  // [sim s / wall s]; faster is "max"

class Playback {
 public:
  // A run of `horizon_s` calendar seconds with the given scenario seed, paused at time 0.
  Playback(const Model& model, double horizon_s, uint64_t seed);

  // Back to time 0 with the same seed.
  void restart();
  // Moves the run forward to calendar time `t` (clamped to the horizon; never backwards).
  void seek(double t);
  // Shows calendar time `t`, backwards too (scrubbing): going back re-runs from time 0 with the
  // same seed, which gives the same state (the model is deterministic). Keeps playing.
  void jump(double t);
  // Advances by `wall_dt` seconds of wall-clock time at the current speed when playing. At max
  // speed it runs as much simulated time as fits in about `budget_s` of wall time.
  void tick(double wall_dt, double budget_s = 0.012);

  bool playing() const { return playing_; }
  void set_playing(bool on) { playing_ = on && !finished(); }
  double speed() const { return speed_; }
  void set_speed(double speed);
  bool max_speed() const { return max_speed_; }
  void set_max_speed(bool on) { max_speed_ = on; }

  double clock() const { return clock_; }  // [s] calendar time shown
  double horizon() const { return horizon_; }
  bool finished() const { return clock_ >= horizon_; }
  const LineState& state() const { return state_; }
  const Model& model() const { return model_; }
  // KPIs of the run so far; recomputed when the clock has moved since the last call.
  const ReplicationKpis& kpis();

 private:
  const Model& model_;
  RunOptions options_;
  LineState state_;
  double horizon_ = 0.0;     // [s] calendar
  double clock_ = 0.0;       // [s] calendar
  double speed_ = 60.0;      // [sim s / wall s]
  double max_chunk_ = 60.0;  // [s] simulated per frame at max speed, adapted to the budget
  bool playing_ = false;
  bool max_speed_ = false;
  ReplicationKpis kpis_;
  double kpis_clock_ = -1.0;  // clock at which kpis_ was computed
};

}  // namespace twin::viewer
