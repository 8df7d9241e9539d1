// What the viewer draws in one frame, real beside twin: the "State snapshot" the UI reads (it
// never owns a simulation or a mirror). Sources fill it: the twin side from the viewer's run of
// the line model (Playback), the real side from a mirror (a recording's RecordingSource, later a
// live session's hub). A side that has no source is marked absent and drawn as such.
#pragma once

#include <cstdint>
#include <vector>

#include "core/mirror/mirror.h"
#include "models/process/kpi.h"
#include "models/process/line_state.h"
#include "twin/live.pb.h"
#include "twin/telemetry.pb.h"

namespace twin::viewer {

// One side (real or twin) of the frame.
struct SideFrame {
  bool present = false;                // this side has a source
  std::vector<telemetry::Mode> mode;   // (n_m) MODE_UNKNOWN where not known (real, before data)
  std::vector<int64_t> mode_since_ns;  // (n_m) [ns since epoch] real; [ns from t0] twin
  ReplicationKpis kpis;                // over the window up to the frame's clock
  uint64_t good_parts = 0;             // [parts] that left the line
};

struct ViewFrame {
  double clock_s = 0.0;     // [s] from the shift start
  double duration_s = 0.0;  // [s] of the shift (recordings) or the run (simulation)
  bool can_seek = false;    // scrubbing is possible (not for live sources)
  SideFrame real, twin;
  std::vector<double> node_level;  // (n_nodes) [parts] the twin's buffers and conveyors
  // Where the parts on the twin's conveyors are: node n's parts are part_position[
  // part_offset[n] .. part_offset[n + 1]), each a fraction of the belt (0 at the entry, 1 at
  // the discharge end), the part nearest the end first. Empty ranges for other nodes.
  std::vector<float> part_position;   // (parts on belts) [1]
  std::vector<uint32_t> part_offset;  // (n_nodes + 1)
};

// The twin side from the line model's state at calendar time `clock_s` (breaks shown as off).
void fill_twin_side(const Model& model, const LineState& state, double clock_s,
                    const ReplicationKpis& kpis, ViewFrame& frame);
// The real side from a mirror whose clock is at `now_ns` (KPIs over its window up to now,
// computed on a copy so the mirror itself keeps going).
void fill_real_side(const Model& model, const Mirror& mirror, int64_t now_ns, ViewFrame& frame);
// The same with a scratch mirror (of the same scene) for the closed copy, so that a viewer that
// refills every frame while playing allocates nothing once the scratch has grown.
void fill_real_side(const Model& model, const Mirror& mirror, int64_t now_ns, Mirror& scratch,
                    ViewFrame& frame);
// The real side from a live twin's snapshot (modes by machine name; the line's good parts,
// throughput and OEE, and each station's time in mode (mean over its machines) from its KPIs;
// other KPIs stay zero: a snapshot does not carry them).
void fill_real_side(const Model& model, const MirrorModel& names, const live::Snapshot& snapshot,
                    ViewFrame& frame);

}  // namespace twin::viewer
