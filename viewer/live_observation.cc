#include "viewer/live_observation.h"

#include <algorithm>
#include <string>
#include <unordered_map>

#include "core/run/forecast.h"

namespace twin::viewer {

bool observe_snapshot(const Model& model, const MirrorModel& names, const live::Snapshot& snapshot,
                      ObservedLine& out, int64_t* at_ns) {
  if (!snapshot.has_kpis() || snapshot.kpis().window_start_ns() <= 0) return false;
  const live::Kpis& kpis = snapshot.kpis();
  const int64_t now_ns = std::max(snapshot.twin_time_ns(), kpis.time_ns());
  const size_t nm = names.machine.size();
  std::unordered_map<std::string, size_t> index;
  for (size_t m = 0; m < nm; ++m) index.emplace(names.machine[m], m);

  // A MirrorState holding what observe_mirror reads.
  MirrorState s;
  s.origin_ns = kpis.window_start_ns();
  s.now_ns = now_ns;
  s.mode.assign(nm, static_cast<uint8_t>(telemetry::MODE_UNKNOWN));
  s.mode_since_ns.assign(nm, s.origin_ns);
  s.mode_seconds.assign(nm, {});
  s.applied_event_ns.assign(nm, s.origin_ns);
  s.started.assign(nm, 0);
  s.good.assign(nm, 0);
  s.scrap.assign(nm, 0);
  s.reworked.assign(nm, 0);
  for (const live::MachineMode& mm : snapshot.modes()) {
    const auto it = index.find(mm.machine());
    if (it == index.end()) continue;
    s.mode[it->second] = static_cast<uint8_t>(mm.mode());
    s.mode_since_ns[it->second] = std::max(mm.since_ns(), s.origin_ns);
    s.applied_event_ns[it->second] = s.mode_since_ns[it->second];
  }
  for (const live::MachineKpis& mk : kpis.machines()) {
    const auto it = index.find(mk.machine());
    if (it == index.end()) continue;
    const size_t m = it->second;
    s.good[m] = mk.good();
    s.scrap[m] = mk.scrap();
    const bool holds = s.mode[m] == telemetry::MODE_RUNNING || s.mode[m] == telemetry::MODE_SETUP;
    s.started[m] = mk.good() + mk.scrap() + (holds ? 1 : 0);
    for (int k = 0; k < mk.mode_seconds_size() && k < kTelemetryModes; ++k)
      s.mode_seconds[m][static_cast<size_t>(k)] = mk.mode_seconds(k);
    // The KPIs closed the window at their time, so the current mode's open period up to then
    // is in mode_seconds already; observe_mirror adds it again from mode_since_ns.
    if (s.mode[m] < kTelemetryModes) {
      const double open =
          static_cast<double>(kpis.time_ns() - std::max(s.mode_since_ns[m], s.origin_ns)) * 1e-9;
      double& sec = s.mode_seconds[m][s.mode[m]];
      sec = std::max(sec - std::max(open, 0.0), 0.0);
    }
  }
  out = observe_mirror(model, names, s, now_ns);
  for (ObservedMachine& om : out.machines) {
    if (om.mode == Mode::kBusy || om.mode == Mode::kSetup) om.op_elapsed_s = -1.0;
  }
  if (at_ns != nullptr) *at_ns = now_ns;
  return true;
}

}  // namespace twin::viewer
