// The real KPIs of a mirrored shift, computed from telemetry alone (mode changes and part
// events), in the same ReplicationKpis structure and with the same definitions as the line
// model's (models/process/line_kpis.cc), so real and twin compare key by key (flatten_kpis).
// What telemetry does not carry (buffer levels, WIP, lead times, energy) stays zero.
//
// Telemetry modes map onto the model's: running -> busy, idle and starved -> starved, blocked,
// down, setup, off; time with no mode known yet (before a machine's first mode change) counts
// as off (not planned), so it lowers neither availability nor performance.
#pragma once

#include <array>
#include <cstdint>

#include "core/mirror/mirror.h"
#include "models/process/kpi.h"

namespace twin {

struct RealKpiExtras {
  std::vector<double> unknown_s;  // (n_m) [s] with no mode known
};

// KPIs over [state.origin_ns, end_ns]; call Mirror::finish(end_ns) first. Part counts come
// from part events, or for a machine that has none (historian exports), from its counter tags.
ReplicationKpis compute_real_kpis(const Model& model, const MirrorModel& names,
                                  const MirrorState& state, int64_t end_ns,
                                  RealKpiExtras* extras = nullptr);
inline ReplicationKpis compute_real_kpis(const Model& model, const Mirror& mirror, int64_t end_ns,
                                         RealKpiExtras* extras = nullptr) {
  return compute_real_kpis(model, mirror.names(), mirror.state(), end_ns, extras);
}

// Good parts that left the line so far: good parts of stations whose output is a sink.
uint64_t line_good_parts(const Model& model, const MirrorModel& names, const MirrorState& state);
inline uint64_t line_good_parts(const Model& model, const Mirror& mirror) {
  return line_good_parts(model, mirror.names(), mirror.state());
}

}  // namespace twin
