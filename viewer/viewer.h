// The twin viewer: a window with a top-down plan of the line coloured by machine mode, fill
// levels of buffers and conveyors, and a control panel (play/pause, speed, clock, KPIs), over
// a run of the line model that the viewer advances itself. Also renders headless screenshots.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/live/state_hub.h"
#include "core/mirror/monitor_fit.h"
#include "core/model/model.h"
#include "twin/scene.pb.h"

namespace twin {

struct ViewerOptions {
  double hours = 8.0;              // [h] length of the run shown
  uint64_t seed = 0;               // scenario seed
  double speed = 60.0;             // [sim s / wall s] initial playback speed, 1..1000
  std::string screenshot_png;      // when set: render headless, write this PNG and return
  double screenshot_at_s = 0.0;    // [s] calendar time of the screenshot
  int width = 1280, height = 800;  // [px] window (and screenshot) size
  // UI scale (fonts and sizes; 2 for a 4K screen); 0: the monitor's content scale (window) or 1
  // (screenshot).
  double ui_scale = 0.0;
  // A recorded shift (MCAP) shown beside the twin: each machine's real mode (from the mirror)
  // above the twin's (the line model's run of the same scene), on one clock.
  std::string recording;
  // Machine selected at the start (its tags are plotted): a machine name as the scene's
  // telemetry names it (e.g. "Grind_OP90#2"), or empty.
  std::string select_machine;
  bool view_3d = false;  // start with the 3D view of the line instead of the plan
  // Start with the physics view of this conveyor (a scene node name) or of this station's robot
  // cell (a station with a robot); empty: the plan or 3D. A conveyor's parts are put on turned
  // by up to physics_skew_deg, with side guides physics_guides_mm from the parts on each side
  // (< 0: none).
  std::string physics_conveyor;
  double physics_skew_deg = 0.0;
  double physics_guides_mm = -1.0;
  double physics_jam_clear_s = 60.0;  // [s] an operator clears a jam this long after; < 0: never
  // The scene as loaded (for the what-if panel: its changes are scene edits); null: no panel.
  const scene::Scene* scene = nullptr;
  // What-if changes (PATH=VALUE, as for `twin whatif --set`) run at the start and shown in the
  // what-if tab; a screenshot waits for their results.
  std::vector<std::string> whatif;
  size_t whatif_replications = 10;
  // A live source: the hub a running LiveSession publishes to (owned by the caller, which starts
  // the session before and stops it after run_viewer). Screenshots wait up to live_wait_s of
  // wall time for the live clock to reach screenshot_at_s (from the first data).
  StateHub* live = nullptr;
  std::string live_label;     // shown in the panel, e.g. the broker's address
  double live_wait_s = 30.0;  // [s]
  // Healthy models and RUL calibration for the twin's condition monitor on a recording (`twin
  // fit`, `twin score --calibrate`); null: learnt from each machine's first running hour.
  const MonitorFit* monitor_fit = nullptr;
};

// Exit codes of run_viewer (beside 0 = ok and 1 = runtime failure, as for the CLI).
inline constexpr int kViewerExitFailure = 1;
inline constexpr int kViewerExitNoDisplay = 4;  // no display, or no OpenGL 3.3 core context

// Opens the window and runs until it is closed, or, with screenshot_png set, renders the state
// at screenshot_at_s into the PNG and returns (no window or display needed: EGL). Errors go to
// stderr as "twin view: ...".
int run_viewer(const Model& model, const ViewerOptions& options);

}  // namespace twin
