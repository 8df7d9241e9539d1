// The scene parameters a what-if in the viewer can change, each with its current value and the
// set_scene_field assignment (as `twin whatif --set` takes it) that gives it a new value.
//
// Times (cycle, setup, time to failure, time to repair) are edited as the mean of their
// distribution. A constant becomes the new constant; any other distribution is scaled as a whole
// (every time-valued parameter times new mean / current mean), which multiplies the random
// variable by that factor: its shape and coefficient of variation stay, and the mean (truncated
// or not) becomes exactly the new value. Setting only a `mean` field would instead change a
// normal's CV, and a Weibull or gamma has no mean field at all.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/model/model.h"
#include "twin/scene.pb.h"

namespace twin::viewer {

enum class ParamKind : uint8_t {
  kCycleTime,         // station cycle time, mean [s]
  kMachines,          // parallel machines of a station [machines]
  kSetupTime,         // station setup (changeover) time, mean [s]
  kMtbf,              // a failure's time to failure, mean [s]
  kMttr,              // a failure's time to repair, mean [s]
  kBufferCapacity,    // [parts]
  kConveyorCapacity,  // [parts]
};

// Group heading of a kind in the parameter picker: "Cycle times", "Failures", "Buffers", ...
const char* param_group(ParamKind kind);

struct WhatIfParam {
  ParamKind kind = ParamKind::kCycleTime;
  std::string label;  // e.g. "Turn_OP10 cycle time", "Saw / blade_break MTBF"
  std::string path;   // assigned field, e.g. "stations[Turn_OP10].cycle_time"
  // Current value in base units ([s] for times, [parts] or [machines] for counts); for an
  // unbounded capacity, -1 (kUnbounded).
  double current = 0.0;
  bool integer = false;        // counts: the new value must be a whole number
  double min_value = 0.0;      // smallest accepted new value [base unit]
  bool min_exclusive = false;  // times must be > 0, counts may equal min_value
  // How the UI shows and reads values: display value = base value / display_scale.
  const char* unit = "";             // display unit: "s", "min", "h", "parts", "machines"
  double display_scale = 1.0;        // [base unit per display unit], e.g. 60 for "min"
  scene::Distribution distribution;  // times only: the scene's distribution (scaled on change)
};

// Every editable parameter of the scene, in scene order grouped by kind (cycle times, machines,
// setup times, failures, buffers, conveyors). Current values of times are the compiled means
// from `model` (which must be compiled from `scene`); elements the model lacks are skipped.
std::vector<WhatIfParam> whatif_params(const scene::Scene& scene, const Model& model);

// Empty when `value` [base unit] is acceptable for `param`, else why not ("must be > 0 s").
std::string check_param_value(const WhatIfParam& param, double value);

// The assignment that sets `param` to `value` [base unit], e.g.
//   "stations[Saw].cycle_time=40s", "buffers[B03].capacity=8",
//   "stations[Turn_OP20].failures[brush_wear].time_to_repair={lognormal: {mean: 300, ...}}"
// Numbers are written in the shortest form that reads back to the same double.
std::string param_assignment(const WhatIfParam& param, double value);

// The value in display units for reading, 6 significant digits, without the unit ("1.5",
// "unbounded" for a negative count).
std::string format_param_value(const WhatIfParam& param, double value);

// Shortest text that reads back to exactly `value` ("0.1", "3600", "1e-07").
std::string shortest_number(double value);

}  // namespace twin::viewer
