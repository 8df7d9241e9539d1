// ObservedLine: what is known about a running line at one instant from outside the line model
// (the mirror's telemetry, or another run's State): each machine's mode, how long it has been in
// it and its part counts, and, where known, the contents of the nodes. init_state_from
// (line_model.h) turns it into a LineState that continues from that instant ("fork the
// mirrored State"). Plain data; times are working seconds (the clock stops during breaks)
// unless a field says calendar.
#pragma once

#include <cstdint>
#include <vector>

#include "core/model/model.h"
#include "models/process/kpi.h"
#include "models/process/line_state.h"

namespace twin {

struct ObservedMachine {
  Mode mode = Mode::kStarved;   // current mode (kOff: unknown, e.g. inside a break)
  double mode_elapsed_s = 0.0;  // [s] working time since the current mode began
  // [s] working time since the running operation (part start, or end of the setup) began;
  // < 0: unknown (the residual operation time is then drawn as a fraction of a full one).
  double op_elapsed_s = -1.0;
  double repair_remaining_s = -1.0;  // [s] down: repair time left if known; < 0: drawn
  int8_t holding = -1;               // 1 holds a part, 0 holds none, -1 infer (started > completed)
  uint64_t started = 0;              // [parts] since the shift start
  uint64_t good = 0;                 // [parts] finished good since the shift start
  uint64_t scrapped = 0;             // [parts]
  uint64_t reworked = 0;             // [parts]
  double busy_s = 0.0;  // [s] working time busy since the shift start (operation clocks' age)
  double up_s = 0.0;    // [s] working time not down since the shift start (time clocks' age)
  bool failed_before = false;  // down at least once since the shift start (clocks then fresh)
};

struct ObservedLine {
  double calendar_s = 0.0;                // [s] calendar time since the shift start
  std::vector<ObservedMachine> machines;  // (n_m)
  // [parts] content per node when known, -1 to infer it from the part counts (n_n, or empty:
  // infer all). Sinks: ignored (their count is the good parts of the stations feeding them).
  std::vector<int64_t> node_level;
};

// What had to be made up or corrected to turn an observation into a consistent State.
struct ForkReport {
  std::vector<int64_t> node_level;       // (n_n) [parts] contents used (sinks: parts received)
  uint32_t nodes_clamped = 0;            // inferred levels outside [0, capacity], clamped
  int64_t parts_clamped = 0;             // [parts] total correction of those levels (absolute)
  uint32_t source_levels_estimated = 0;  // arrival-source queues estimated from the clock
  uint32_t machines_inconsistent = 0;    // mode and part counts disagree (e.g. busy, no part)
  uint32_t machines_mode_unknown = 0;    // mode off or unknown: taken from the part counts
};

// How a machine continues after a fork, from its observed mode and part counts.
struct ForkedMachine {
  Mode mode = Mode::kStarved;  // busy, setup, down, blocked or starved
  bool holding = false;        // holds a part (blocked after service: a finished one)
  bool inconsistent = false;   // mode and part counts disagree (the mode wins)
  bool mode_unknown = false;   // off or unknown: busy if the counts say it holds a part
};
// Busy and setup hold a part; blocked holds a finished one when the station blocks after
// service (or hands off without a buffer); starved holds none; down holds one if the counts
// say so (started > good + scrapped + reworked, or `holding` when given).
ForkedMachine resolve_machine(const Model& model, uint32_t machine,
                              const ObservedMachine& observed);

// Fills the node levels an observation leaves open (-1) from the part counts and the model's
// routing: initial + parts put in (good parts of producers whose output it is, reworked parts
// of stations reworking into it) - parts taken (started by consumers) - finished parts still
// held by blocked producers; clamped to [0, capacity - places reserved by busy machines that
// block before service]. Arrival-source queues: expected arrivals so far - parts taken. Returns
// the observation with every level filled; `report` (optional) says what was corrected.
ObservedLine infer_node_levels(const Model& model, const ObservedLine& observed,
                               ForkReport* report = nullptr);

// What telemetry would say about a running State: modes, counts, elapsed times (for tests and
// for forking the viewer's own run). Node levels are left to inference unless `with_levels`.
ObservedLine observe_state(const Model& model, const LineState& state, bool with_levels = false);

}  // namespace twin
