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

// The KPIs as named figures, in a stable order, for summaries, JSON and what-if differences:
// "line.<field>", "station.<name>.<field>", "station.<name>.share.<mode>",
// "machine.<station>#<k>.<field>" (parallel stations only), "node.<name>.<field>".
std::vector<Metric> flatten_kpis(const Model& model, const ReplicationKpis& kpis);

}  // namespace twin
