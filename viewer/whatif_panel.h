// The what-if tab of the viewer's side panel: pick scene parameters, give them new values, run
// the base and the variant in the background (WhatIfJob) and compare them, with the same figures
// and the same formatting as `twin whatif` prints.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/model/model.h"
#include "core/run/whatif.h"
#include "core/scene/load.h"
#include "twin/scene.pb.h"
#include "viewer/whatif_job.h"
#include "viewer/whatif_params.h"

namespace twin::viewer {

struct Fonts;  // viewer/ui.h

// What the panel reads from the viewer; everything must outlive the draw call.
struct WhatIfContext {
  const scene::Scene* scene = nullptr;  // the base scene as loaded; null: the panel says why
  std::string_view scene_path;          // its file, for error messages and the CLI command
  const Model* model = nullptr;         // compiled from *scene
  uint64_t seed = 0;                    // default scenario seed (the viewer's)
  const Fonts* fonts = nullptr;         // null: the current font only
  float scale = 1.0f;                   // UI scale (HiDPI), for widths
};

// One parameter change the user has queued.
struct PendingChange {
  size_t param = 0;        // index into WhatIfPanelState::params
  double value = 0.0;      // [base unit of the param] new value
  std::string assignment;  // param_assignment(param, value)
};

// The panel's state between frames: the user's edits and the job. Not copyable (owns a thread).
struct WhatIfPanelState {
  const scene::Scene* params_for = nullptr;  // scene `params` was derived from
  std::vector<WhatIfParam> params;           // editable parameters of that scene
  int selected = -1;                         // index into params, -1 = none picked
  char filter[64] = {};                      // text filter of the parameter picker
  double input = 0.0;                        // [display unit of the selected param] new value
  std::string input_error;                   // why `input` was not added
  std::vector<PendingChange> changes;        // in the order added; one per parameter
  int replications = 10;                     // [runs] per scenario
  double hours = 8.0;                        // [h] observed per replication
  double warmup_hours = 0.0;                 // [h]
  uint64_t seed = 0;                         // scenario seed
  bool seed_set = false;                     // seed taken from the context once
  std::vector<SceneError> start_errors;      // from the last Run press that failed to start
  WhatIfJob job;
};

// One line of the comparison: the figures `twin whatif` prints (line_figures()), with good parts
// after throughput, formatted by the same functions.
struct WhatIfRow {
  std::string label;             // "throughput [parts/h]"
  std::string base;              // "412.3 ± 3.1"
  std::string variant;           // "425.0 ± 2.9"
  std::string difference;        // "+12.7 ± 1.2" (paired, 95% CI)
  std::string change;            // "+3.1%"
  bool significant = false;      // the difference interval excludes 0
  int better = 0;                // +1: higher is better, -1: lower is better
  double difference_mean = 0.0;  // [raw unit of the metric] sign decides better or worse
};
std::vector<WhatIfRow> whatif_rows(const WhatIfResults& results);

// `twin whatif` with the flags that give the same results, e.g.
//   twin whatif scenes/machining20.yaml --reps 10 --hours 8 --seed 42 --set
//   'buffers[B11].capacity=12'
std::string whatif_command(std::string_view scene_path, const WhatIfSettings& settings,
                           const std::vector<std::string>& assignments);

// Draws the panel into the current ImGui window or child.
void draw_whatif_panel(WhatIfPanelState& state, const WhatIfContext& ctx);

}  // namespace twin::viewer
