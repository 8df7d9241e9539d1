// The plant simulator: runs a scene as if it were the real plant and reports what its sensors
// would: mode changes, part events and tag samples per machine (motor current, power,
// temperature, vibration, tool wear, counters, cycle times), with the dirt of real data (noise,
// dropouts, stuck values, out-of-order and duplicate samples, clock skew, late arrivals) and
// injected faults whose precursors show before the failure. The truth about each fault goes to
// its own channel so predictions can be scored later; the mirror never reads it.
//
// Two phases: the line model runs the shift with the faults' failures injected (an observer
// records every mode change and part event), then the sensors are synthesised window by window
// (one gateway batch per machine and window) and sent in arrival order. Deterministic: every
// random draw comes from a stream named after the machine and its purpose.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/model/model.h"
#include "core/telemetry/telemetry_sink.h"
#include "models/process/kpi.h"
#include "twin/faults.pb.h"

namespace twin {

// How dirty the data is. Rates are per tag unless said otherwise.
struct SensorDirt {
  double noise_scale = 1.0;        // [1] multiplies each signal's noise (0: exact values)
  double dropouts_per_hour = 1.0;  // [1/h] episodes during which a tag sends nothing
  double dropout_mean_s = 6.0;     // [s] mean episode length (exponential)
  double stuck_per_hour = 0.05;    // [1/h] episodes during which a tag repeats one value
  double stuck_mean_s = 90.0;      // [s]
  double out_of_order = 0.002;     // [1] share of samples held back to the next batch
  double duplicate = 0.001;        // [1] share of samples sent twice
  double max_skew_s = 0.4;         // [s] each machine's clock offset, uniform in +-
  double max_drift_ppm = 20.0;     // [1e-6] each machine's clock rate error, uniform in +-
  double latency_mean_s = 0.03;    // [s] network latency of each message (exponential)
  double late_batches = 0.0005;    // [1] share of batches held up in the network
  double late_mean_s = 20.0;       // [s] mean extra delay of a held-up batch (exponential)

  static SensorDirt clean();  // exact values, no dirt at all
};

struct FaultSpec {
  faults::Fault::Kind kind = faults::Fault::UNKNOWN;
  std::string target;        // machine name, or conveyor node name for jams
  std::string tag;           // sensor failure: the tag; others: filled with the precursor tag
  double at_s = 0.0;         // [s] failure time from the start of the shift (calendar)
  double precursor_s = 0.0;  // [s] precursor length
  double repair_s = 0.0;     // [s] repair time or jam length
};

struct PlantOptions {
  double hours = 8.0;  // [h] shift length
  uint64_t seed = 1;   // scenario seed of the shift (process and sensors)
  // Seed of the plant's machines: how each unit differs from its type's nominal parameters
  // (load, motor, thermal, bearing, tool life). A plant keeps its machines from shift to shift,
  // so shifts of one plant share it while their `seed`s differ; what `twin fit` learns on one
  // shift holds on the next.
  uint64_t plant_seed = 1;
  // [ns since the Unix epoch] start of the shift: 2026-01-05 06:00:00 UTC, a Monday.
  int64_t start_ns = 1767592800LL * 1000000000LL;
  SensorDirt dirt;
  std::vector<FaultSpec> faults;
  double batch_s = 1.0;          // [s] gateway batching window
  double uniform_rate_hz = 0.0;  // > 0: every tag at this rate (benchmark files)
  uint32_t extra_tags = 0;       // generic process tags added per machine (benchmark files)
};

struct PlantReport {
  uint64_t samples = 0;       // tag samples sent (duplicates included)
  uint64_t batches = 0;       // SampleBatch messages
  uint64_t mode_changes = 0;  // ModeChange messages
  uint64_t part_events = 0;   // PartEvent messages
  uint64_t alarms = 0;
  uint64_t dropped = 0;       // samples lost in dropouts
  uint64_t stuck = 0;         // samples that repeated a stuck value
  uint64_t reordered = 0;     // samples sent a batch late (out of order)
  uint64_t duplicated = 0;    // samples sent twice
  uint64_t late_batches = 0;  // batches held up in the network
  ReplicationKpis truth;      // the plant's own KPIs for the shift (what really happened)
  bool write_failed = false;
};

// Faults with defaults filled in (precursor, repair, tag) and checked against the model.
// Problems ("unknown machine 'X'", "at 9h is after the end of the 8 h shift") go to `errors`.
std::vector<FaultSpec> resolve_faults(const Model& model, const faults::FaultPlan& plan,
                                      double hours, std::vector<std::string>& errors);
// `count` faults of random kinds on random machines (conveyor jams only where there are
// conveyors), failing between 25 % and 90 % of the shift; drawn from `seed`.
std::vector<FaultSpec> random_faults(const Model& model, uint32_t count, double hours,
                                     uint64_t seed);

PlantReport run_plant(const Model& model, const PlantOptions& options, TelemetrySink& sink);

}  // namespace twin
