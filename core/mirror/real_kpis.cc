#include "core/mirror/real_kpis.h"

#include <algorithm>

#include "core/telemetry/telemetry.h"
#include "models/process/bottleneck.h"

#include <cmath>
#include <utility>

namespace twin {

namespace {

double ratio(double a, double b, double if_zero) {
  return b > 0.0 ? a / b : if_zero;
}

// Telemetry mode -> model mode (unknown maps to off: not planned).
Mode model_mode(int telemetry_mode) {
  switch (telemetry_mode) {
    case telemetry::MODE_RUNNING:
      return Mode::kBusy;
    case telemetry::MODE_IDLE:
    case telemetry::MODE_STARVED:
      return Mode::kStarved;
    case telemetry::MODE_BLOCKED:
      return Mode::kBlocked;
    case telemetry::MODE_DOWN:
      return Mode::kDown;
    case telemetry::MODE_SETUP:
      return Mode::kSetup;
    default:
      return Mode::kOff;
  }
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
    const auto& t = mk.time_in_mode;
    const double off = t[static_cast<int>(Mode::kOff)];
    off_sum += off;
    const double working = window - off;
    const double down = t[static_cast<int>(Mode::kDown)];
    const double setup = t[static_cast<int>(Mode::kSetup)];
    const double operating = working - down - setup;
    mk.utilization = ratio(t[static_cast<int>(Mode::kBusy)], working, 0.0);
    mk.availability = ratio(operating, working, 0.0);
    mk.performance =
        ratio(st.ideal_cycle_time * static_cast<double>(mk.parts_completed), operating, 0.0);
    mk.quality =
        ratio(static_cast<double>(mk.parts_good), static_cast<double>(mk.parts_completed), 1.0);
    mk.oee = mk.availability * mk.performance * mk.quality;
    mk.bottleneck_sole = ratio(shares[m].sole, working, 0.0);
    mk.bottleneck_shifting = ratio(shares[m].shifting, working, 0.0);
  }

  k.stations.resize(model.stations.size());
  double best_share = -1.0;
  for (size_t i = 0; i < model.stations.size(); ++i) {
    const Station& st = model.stations[i];
    StationKpis& sk = k.stations[i];
    double operating = 0.0;
    for (uint32_t j = 0; j < st.machine_count; ++j) {
      const MachineKpis& mk = k.machines[st.first_machine + j];
      for (int md = 0; md < kModeCount; ++md) sk.time_in_mode[md] += mk.time_in_mode[md];
      sk.parts_completed += mk.parts_completed;
      sk.parts_good += mk.parts_good;
      sk.parts_scrapped += mk.parts_scrapped;
      sk.parts_reworked += mk.parts_reworked;
      sk.utilization += mk.utilization;
      sk.availability += mk.availability;
      sk.bottleneck_sole += mk.bottleneck_sole;
      sk.bottleneck_shifting += mk.bottleneck_shifting;
      operating += window - mk.time_in_mode[static_cast<int>(Mode::kOff)] -
                   mk.time_in_mode[static_cast<int>(Mode::kDown)] -
                   mk.time_in_mode[static_cast<int>(Mode::kSetup)];
    }
    const double c = static_cast<double>(st.machine_count);
    for (int md = 0; md < kModeCount; ++md) sk.time_in_mode[md] /= c;
    sk.utilization /= c;
    sk.availability /= c;
    sk.performance =
        ratio(st.ideal_cycle_time * static_cast<double>(sk.parts_completed), operating, 0.0);
    sk.quality =
        ratio(static_cast<double>(sk.parts_good), static_cast<double>(sk.parts_completed), 1.0);
    sk.oee = sk.availability * sk.performance * sk.quality;
    sk.throughput_per_h = ratio(static_cast<double>(sk.parts_good), hours, 0.0);
    const double share = sk.bottleneck_sole + sk.bottleneck_shifting;
    if (share > best_share) {
      best_share = share;
      k.line.bottleneck_station = static_cast<int32_t>(i);
    }
  }
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
