#include "viewer/view_frame.h"

#include <algorithm>
#include <cstdint>

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
  // Parts ride the belt: a part put on at time r - T reaches the end at its ready time r (T the
  // mean transport time), and queues behind the parts ahead of it once they stop at the end.
  const double working = model.calendar.empty() ? clock_s : model.calendar.working_at(clock_s);
  frame.part_position.clear();
  frame.part_offset.assign(model.nodes.size() + 1, 0);
  for (size_t n = 0; n < model.nodes.size(); ++n) {
    frame.part_offset[n] = static_cast<uint32_t>(frame.part_position.size());
    const Node& node = model.nodes[n];
    if (node.kind != NodeKind::kConveyor || n >= state.contents.size()) continue;
    const PartRing& ring = state.contents[n];
    const double travel = std::max(node.transport_time.mean, 1e-9);
    const double pitch =
        1.0 / std::max<double>(node.capacity > 0 ? node.capacity : ring.count, 1.0);
    double limit = 1.0 - pitch / 2.0;  // the first part stops half a place before the end
    for (uint32_t k = 0; k < ring.count; ++k) {
      const Part& part = ring.slots[(ring.head + k) & (ring.slots.size() - 1)];
      const double along = std::clamp(1.0 - (part.ready - working) / travel, 0.0, 1.0);
      const double at = std::max(std::min(along, limit), 0.0);
      frame.part_position.push_back(static_cast<float>(at));
      limit = at - pitch;
    }
  }
  frame.part_offset[model.nodes.size()] = static_cast<uint32_t>(frame.part_position.size());
}

void fill_real_side(const Model& model, const Mirror& mirror, int64_t now_ns, ViewFrame& frame) {
  Mirror scratch = mirror;
  fill_real_side(model, mirror, now_ns, scratch, frame);
}

void fill_real_side(const Model& model, const Mirror& mirror, int64_t now_ns, Mirror& scratch,
                    ViewFrame& frame) {
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
  scratch = mirror;  // copy-assignment reuses the scratch's storage
  scratch.finish(now_ns);
  real.kpis = compute_real_kpis(model, scratch, now_ns);
  real.good_parts = line_good_parts(model, scratch);
}

void fill_real_side(const Model& model, const MirrorModel& names, const live::Snapshot& snapshot,
                    ViewFrame& frame) {
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
  real.kpis.stations.assign(model.stations.size(), StationKpis());
  for (const live::MachineKpis& mk : k.machines()) {
    const auto it = std::find(names.machine.begin(), names.machine.end(), mk.machine());
    const auto m = static_cast<size_t>(it - names.machine.begin());
    if (m >= nm || m >= model.machine_station.size()) continue;
    const Station& station = model.stations[model.machine_station[m]];
    StationKpis& sk = real.kpis.stations[model.machine_station[m]];
    const double share = 1.0 / std::max<uint32_t>(station.machine_count, 1);
    for (int tm = 0; tm < mk.mode_seconds_size(); ++tm) {
      // Unknown (no data yet) counts as off, as the mirror's own KPIs count it.
      const Mode mode = from_telemetry(static_cast<telemetry::Mode>(tm)).value_or(Mode::kOff);
      sk.time_in_mode[static_cast<size_t>(mode)] += mk.mode_seconds(tm) * share;
    }
  }
}

}  // namespace twin::viewer
