#include "core/mirror/real_kpis.h"

#include <algorithm>

#include "core/telemetry/telemetry.h"
#include "models/process/bottleneck.h"
#include "models/process/line_model.h"

#include <cmath>
#include <utility>

namespace twin {

namespace {

double ratio(double a, double b, double if_zero) {
  return b > 0.0 ? a / b : if_zero;
}

// Telemetry mode -> model mode; unknown (no mode known yet) maps to off: not planned.
Mode model_mode(int telemetry_mode) {
  return from_telemetry(static_cast<telemetry::Mode>(telemetry_mode)).value_or(Mode::kOff);
}

bool feeds_sink(const Model& model, const Station& st) {
  return model.nodes[st.output].kind == NodeKind::kSink;
}

}  // namespace

namespace {

// Good and scrapped parts of a machine: from its part events, or, for sources without them
// (historian exports), from the increments of its part and scrap counter tags.
std::pair<uint64_t, uint64_t> machine_counts(const MirrorModel& names, const MirrorState& s,
                                             uint32_t m) {
  if (s.good[m] + s.scrap[m] + s.reworked[m] + s.started[m] > 0) return {s.good[m], s.scrap[m]};
  double good = 0.0, scrap = 0.0;
  for (uint32_t t = names.tag_offset[m]; t < names.tag_offset[m + 1]; ++t) {
    if (!names.counter[t]) continue;
    if (static_cast<Signal>(names.tag_signal[t]) == Signal::kScrapCount) {
      scrap += s.counter_total[t];
    } else {
      good += s.counter_total[t];
    }
  }
  return {static_cast<uint64_t>(std::llround(good)), static_cast<uint64_t>(std::llround(scrap))};
}

}  // namespace

uint64_t line_good_parts(const Model& model, const MirrorModel& names, const MirrorState& s) {
  uint64_t good = 0;
  for (const Station& st : model.stations) {
    if (!feeds_sink(model, st)) continue;
    for (uint32_t j = 0; j < st.machine_count; ++j)
      good += machine_counts(names, s, st.first_machine + j).first;
  }
  return good;
}

ReplicationKpis compute_real_kpis(const Model& model, const MirrorModel& names,
                                  const MirrorState& s, int64_t end_ns, RealKpiExtras* extras) {
  ReplicationKpis k;
  const uint32_t nm = model.machine_count();
  // Saturating: the origin comes from a recording and may be anything.
  int64_t span = 0;
  if (__builtin_sub_overflow(std::min(end_ns, s.window_end_ns), s.origin_ns, &span)) span = 0;
  const double window = std::max(static_cast<double>(span) * 1e-9, 0.0);
  const double hours = window / 3600.0;
  const std::vector<BottleneckShare> shares =
      analyze_bottlenecks(s.active_periods, nm, 0.0, window);
  if (extras != nullptr) extras->unknown_s.assign(nm, 0.0);

  k.machines.resize(nm);
  std::vector<double> working(nm, 0.0);  // [s] planned time per machine (window - off)
  double off_sum = 0.0;
  for (uint32_t m = 0; m < nm; ++m) {
    const Station& st = model.stations[model.machine_station[m]];
    MachineKpis& mk = k.machines[m];
    for (int tm = 0; tm < kTelemetryModes; ++tm)
      mk.time_in_mode[static_cast<int>(model_mode(tm))] +=
          s.mode_seconds[m][static_cast<size_t>(tm)];
    if (extras != nullptr) extras->unknown_s[m] = s.mode_seconds[m][telemetry::MODE_UNKNOWN];
    const auto [good, scrap] = machine_counts(names, s, m);
    mk.parts_started = s.started[m];
    mk.parts_good = good;
    mk.parts_scrapped = scrap;
    mk.parts_reworked = s.reworked[m];
    mk.parts_completed = good + scrap + s.reworked[m];
    const double off = mk.time_in_mode[static_cast<int>(Mode::kOff)];
    off_sum += off;
    working[m] = window - off;
    set_machine_ratios(st, working[m], shares[m].sole, shares[m].shifting, mk);
  }
  summarize_stations(model, working, hours, k);
  k.nodes.resize(model.nodes.size());

  LineKpis& line = k.line;
  line.window_s = window;
  line.off_s = nm > 0 ? off_sum / nm : 0.0;
  line.good_parts = line_good_parts(model, names, s);
  for (const MachineKpis& mk : k.machines) line.scrapped_parts += mk.parts_scrapped;
  line.throughput_per_h = ratio(static_cast<double>(line.good_parts), hours, 0.0);
  if (line.bottleneck_station >= 0)
    line.oee = k.stations[static_cast<size_t>(line.bottleneck_station)].oee;
  // finish() closes open active periods at the end of the window, so the momentary
  // bottleneck is the machine whose period ending there is longest.
  const int32_t momentary = momentary_bottleneck(s.active_periods, window);
  const int32_t best =
      momentary >= 0 ? static_cast<int32_t>(model.machine_station[static_cast<uint32_t>(momentary)])
                     : -1;
  line.momentary_bottleneck_station = best;
  return k;
}

}  // namespace twin
