// The discrete-event line model: runs a compiled Model (sources, stations with parallel
// machines, buffers, conveyors, assembly, scrap and rework, failures, setups, breaks) forward.
// Free functions over (const Model&, LineState&), MuJoCo style.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/model/model.h"
#include "models/process/kpi.h"
#include "models/process/line_state.h"
#include "models/process/observed_line.h"

namespace twin {

struct RunOptions {
  double horizon_s = 8 * 3600.0;  // [s] calendar time at which the run ends
  double warmup_s = 0.0;          // [s] calendar time at which statistics restart
  uint64_t seed = 0;              // scenario seed
  uint64_t replication = 0;       // replication index (keys the random streams)
};

// Prepares `state` for a run from time 0: initial buffer contents, first arrivals and
// failures. Reuses the state's storage when it already fits this model (no allocation).
void init_state(const Model& model, const RunOptions& options, LineState& state);
// Prepares `state` to continue a running line from what is known about it at calendar time
// `observed.calendar_s` (the mirror's telemetry, or another run): the clock, breaks already
// taken, node contents (levels left at -1 are inferred, which allocates: pass an observation
// from infer_node_levels to avoid it), each machine's mode with its part, operation and repair
// (drawn per replication where unknown: residual operation times conditional on the elapsed
// time, residual repair times likewise), part counts so far (sinks: parts received) and fresh
// failure clocks, or with `aged_failure_clocks` clocks conditional on the machine's busy (or
// up) time since the shift start when it has not failed since. Statistics other than the part
// counts start at the fork. From an empty observation at time 0 it is init_state exactly (same
// events, same draws). Reuses the state's storage (no allocation once it fits the model).
void init_state_from(const Model& model, const RunOptions& options, const ObservedLine& observed,
                     LineState& state, bool aged_failure_clocks = true);
// Processes the next event. Returns false when no event is left before the horizon.
bool step(const Model& model, LineState& state);
// Processes events up to calendar time `t` (clamped to the horizon); the clock ends at t.
void advance_to(const Model& model, LineState& state, double calendar_time);
// KPIs of the observation window so far (closes open intervals at the current time).
ReplicationKpis compute_kpis(const Model& model, const LineState& state);

// Disturbances from outside the scene (the plant simulator's injected faults), scheduled after
// init_state. inject_failure takes `machine` down at calendar time `at_calendar` for `repair_s`
// working seconds (a machine already down then fails as soon as it is repaired; its own failure
// clocks pause meanwhile, as for any failure). inject_jam stops conveyor node `conveyor` from
// releasing parts for `duration_s`; parts put on keep accumulating.
void inject_failure(const Model& model, LineState& state, uint32_t machine, double at_calendar,
                    double repair_s);
void inject_jam(const Model& model, LineState& state, uint32_t conveyor, double at_calendar,
                double duration_s);

// The formulas compute_kpis uses, shared with KPIs computed from telemetry (the mirror):
// a machine's utilization, availability, performance, quality, OEE and bottleneck shares from
// its time in mode and part counts, over `working` [s] of planned time; and station KPIs from
// their machines' (`working` per machine, n_m), which also sets line.bottleneck_station.
void set_machine_ratios(const Station& station, double working, double bottleneck_sole_s,
                        double bottleneck_shifting_s, MachineKpis& machine);
void summarize_stations(const Model& model, std::span<const double> working, double hours,
                        ReplicationKpis& kpis);

// init_state + advance_to(horizon) + compute_kpis.
ReplicationKpis run_replication(const Model& model, const RunOptions& options);
// init_state, then advance_to(horizon) with `observer` seeing every mode change and part event
// (not the initial modes: init_state runs before it is attached). `state` is left at the
// horizon, its observer detached.
void run_observed(const Model& model, const RunOptions& options, LineObserver& observer,
                  LineState& state);

// The KPIs as named figures, in a stable order, for summaries, JSON and what-if differences:
// "line.<field>", "station.<name>.<field>", "station.<name>.share.<mode>",
// "machine.<station>#<k>.<field>" (parallel stations only), "node.<name>.<field>".
std::vector<Metric> flatten_kpis(const Model& model, const ReplicationKpis& kpis);

}  // namespace twin
