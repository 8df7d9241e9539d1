// Throughput from now: forks the mirrored state of a running line into the line model and runs
// replications of the rest of the shift, for the expected good parts at its end with their
// spread. Replication r always draws from the streams of (seed, r), so results are bit-identical
// for the same inputs on any number of threads.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/mirror/mirror.h"
#include "core/model/model.h"
#include "core/stats/summary.h"
#include "models/process/line_state.h"
#include "models/process/observed_line.h"

namespace twin {

// A failure the condition models expect (remaining useful life): `machine` fails after a time
// from now drawn from a lognormal with this median and this 5 % .. 95 % interval, and is
// repaired in `repair_s`. Times are working seconds (the line's clock; breaks do not count).
struct PredictedFailure {
  uint32_t machine = 0;   // machine index
  double median_s = 0.0;  // [s] from now
  double lo_s = 0.0;      // [s] 5 % quantile (0 < lo_s <= median_s)
  double hi_s = 0.0;      // [s] 95 % quantile (>= median_s)
  double repair_s = 0.0;  // [s] working time down; <= 0: the mean repair time of the
                          // station's failure modes (0 when it has none)
};

struct ForecastOptions {
  size_t replications = 200;
  double shift_end_s = 8 * 3600.0;  // [s] calendar time from the shift start: end of the forecast
  uint64_t seed = 0;                // scenario seed
  unsigned threads = 0;             // worker threads; 0 = hardware concurrency
  // Failure clocks at the fork: conditional on the machine's busy (operation-based) or up
  // (time-based) time since the shift start when it has not failed since; else fresh.
  bool aged_failure_clocks = true;
  std::vector<PredictedFailure> predicted_failures;
  bool machine_downtime = false;  // fill Forecast::downtime_s
  // Fill Forecast::fan at this many equal steps from the fork to the shift end (0: no fan).
  // Advancing in steps processes the same events as in one go: the numbers at the end are the
  // same with or without a fan.
  size_t fan_steps = 0;
  // Checked before each replication: once set, forecast() throws Cancelled (core/run/
  // replications.h). For a UI that forecasts in the background and moves on.
  const std::atomic<bool>* cancel = nullptr;
  std::atomic<size_t>* done = nullptr;  // counts finished replications (progress)
};

// The line output over the rest of the shift: per step the spread of the replications.
struct ForecastFan {
  std::vector<double> t_s;  // (n_c) [s] calendar time from the shift start; first = the fork
  std::vector<double> p05;  // (n_c) [parts] line output: 5 % quantile over replications
  std::vector<double> p50;  // (n_c) [parts] median
  std::vector<double> p95;  // (n_c) [parts] 95 % quantile
};

struct Forecast {
  double at_s = 0.0;                // [s] calendar time of the fork from the shift start
  double shift_end_s = 0.0;         // [s] calendar
  uint64_t good_so_far = 0;         // [parts] line output (sinks) at the fork
  std::vector<double> good_at_end;  // [parts] line output at the shift end per replication
  Interval mean;                    // [parts] mean of good_at_end with its 95 % confidence interval
  double p05 = 0.0, p95 = 0.0;      // [parts] 90 % interval: where 90 % of the replications end
  std::vector<double> downtime_s;   // (n_m) [s] mean working time down from now to the end
  ForkReport fork;                  // what the fork inferred or corrected
  ForecastFan fan;                  // when options.fan_steps > 0
  double wall_s = 0.0;              // [s] wall time of the forecast
};

// Per-thread States kept between forecasts (no allocation per replication, and none at all for
// repeated forecasts of one model once warm). One per thread; not shared between calls running
// at the same time.
struct ForecastWorkspace {
  std::vector<LineState> states;
};

// N replications from `observed` to options.shift_end_s.
Forecast forecast(const Model& model, const ObservedLine& observed, const ForecastOptions& options,
                  ForecastWorkspace* workspace = nullptr);

// The calendar time to observe for a fork at `t_s` [s from the shift start]: inside a break the
// line is frozen, so the state just before the break began (1 s before: device clocks are skewed
// by less) is the state at t, and its modes are not "off" yet.
double observation_time(const Calendar& calendar, double t_s);

// What the mirror knows at device time `at_ns` (call Mirror::flush_events(at_ns) first to apply
// the events still in the reorder window): modes and their elapsed working time (the latest
// event of a busy or setup machine marks its operation's start), part counts since the
// window's origin (the shift start), busy and up time. Node levels are left to inference.
ObservedLine observe_mirror(const Model& model, const MirrorModel& names, const MirrorState& state,
                            int64_t at_ns);
inline ObservedLine observe_mirror(const Model& model, const Mirror& mirror, int64_t at_ns) {
  return observe_mirror(model, mirror.names(), mirror.state(), at_ns);
}

}  // namespace twin
