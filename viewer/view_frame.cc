#include "viewer/view_frame.h"

#include <algorithm>

#include "core/mirror/real_kpis.h"
#include "core/telemetry/telemetry.h"

namespace twin::viewer {

void fill_twin_side(const Model& model, const LineState& state, double clock_s,
                    const ReplicationKpis& kpis, ViewFrame& frame) {
  SideFrame& twin = frame.twin;
  const uint32_t nm = model.machine_count();
  twin.present = true;
  twin.mode.resize(nm);
  twin.mode_since_ns.resize(nm);
  const bool off = !model.calendar.empty() && model.calendar.is_off(clock_s);
  for (uint32_t m = 0; m < nm; ++m) {
    twin.mode[m] = off ? telemetry::MODE_OFF : to_telemetry(state.mode[m]);
    twin.mode_since_ns[m] = static_cast<int64_t>(state.mode_since[m] * 1e9);
  }
  twin.kpis = kpis;
  twin.good_parts = kpis.line.good_parts;
  frame.node_level.resize(model.nodes.size());
  for (size_t n = 0; n < model.nodes.size(); ++n) {
    frame.node_level[n] = n < state.contents.size() ? state.contents[n].count : 0.0;
  }
}

void fill_real_side(const Model& model, const Mirror& mirror, int64_t now_ns, ViewFrame& frame) {
  SideFrame& real = frame.real;
  const MirrorState& s = mirror.state();
  const uint32_t nm = model.machine_count();
  real.present = true;
  real.mode.resize(nm);
  real.mode_since_ns.resize(nm);
  for (uint32_t m = 0; m < nm && m < s.mode.size(); ++m) {
    real.mode[m] = static_cast<telemetry::Mode>(s.mode[m]);
    real.mode_since_ns[m] = s.mode_since_ns[m];
  }
  Mirror closed = mirror;
  closed.finish(now_ns);
  real.kpis = compute_real_kpis(model, closed, now_ns);
  real.good_parts = line_good_parts(model, closed);
}

void fill_real_side(const MirrorModel& names, const live::Snapshot& snapshot, ViewFrame& frame) {
  SideFrame& real = frame.real;
  const size_t nm = names.machine.size();
  real.present = true;
  real.mode.assign(nm, telemetry::MODE_UNKNOWN);
  real.mode_since_ns.assign(nm, 0);
  // Names in the snapshot come in the mirror's machine order; look there first.
  for (int i = 0; i < snapshot.modes_size(); ++i) {
    const live::MachineMode& mm = snapshot.modes(i);
    size_t m = static_cast<size_t>(i);
    if (m >= nm || names.machine[m] != mm.machine()) {
      m = static_cast<size_t>(std::find(names.machine.begin(), names.machine.end(), mm.machine()) -
                              names.machine.begin());
    }
    if (m >= nm) continue;
    real.mode[m] = mm.mode();
    real.mode_since_ns[m] = mm.since_ns();
  }
  const live::Kpis& k = snapshot.kpis();
  real.kpis = ReplicationKpis();
  real.kpis.line.good_parts = k.line_good();
  real.kpis.line.throughput_per_h = k.line_throughput_per_h();
  real.kpis.line.oee = k.line_oee();
  real.good_parts = k.line_good();
}

}  // namespace twin::viewer
