// KPIs of the line model's State: closes the open intervals at the current time without
// changing State, so KPIs can be read mid-run (viewer, forecasts) as well as at the end.
#include <algorithm>
#include <string>

#include "models/process/bottleneck.h"
#include "models/process/line_model.h"

namespace twin {

const char* mode_name(Mode mode) {
  switch (mode) {
    case Mode::kBusy:
      return "busy";
    case Mode::kStarved:
      return "starved";
    case Mode::kBlocked:
      return "blocked";
    case Mode::kDown:
      return "down";
    case Mode::kSetup:
      return "setup";
    case Mode::kOff:
      return "off";
  }
  return "?";
}

namespace {

constexpr double kSecondsPerHour = 3600.0;

// A machine is stuck when it waits for room in a node all of whose consumers are stuck too.
// Follows "waits for room in node n" -> "a consumer of n" edges and returns the machines of the
// first loop found in which every node's consumers all wait; empty when there is none.
std::vector<uint32_t> find_deadlock(const Model& model, const LineState& s) {
  const uint32_t nm = model.machine_count();
  std::vector<int32_t> waits_on(nm, -1);  // node a machine waits for room in
  for (uint32_t n = 0; n < model.nodes.size(); ++n) {
    const uint32_t size = s.waiter_offset[n + 1] - s.waiter_offset[n];
    for (uint32_t i = 0; i < s.waiter_count[n]; ++i) {
      waits_on[s.waiter_slots[s.waiter_offset[n] + (s.waiter_head[n] + i) % size]] =
          static_cast<int32_t>(n);
    }
  }
  auto all_consumers_wait = [&](uint32_t node) {
    for (uint32_t st : model.nodes[node].consumers) {
      const Station& station = model.stations[st];
      for (uint32_t k = 0; k < station.machine_count; ++k) {
        if (waits_on[station.first_machine + k] < 0) return false;
      }
    }
    return !model.nodes[node].consumers.empty();
  };
  // From each waiting machine, walk to the first consumer machine of its node; a walk that comes
  // back to a machine it visited has found a loop.
  std::vector<int32_t> visit(nm, -1);
  for (uint32_t start = 0; start < nm; ++start) {
    if (waits_on[start] < 0 || visit[start] >= 0) continue;
    std::vector<uint32_t> path;
    uint32_t m = start;
    while (waits_on[m] >= 0 && visit[m] < 0) {
      visit[m] = static_cast<int32_t>(start);
      path.push_back(m);
      const uint32_t node = static_cast<uint32_t>(waits_on[m]);
      if (!all_consumers_wait(node)) break;
      m = model.stations[model.nodes[node].consumers.front()].first_machine;
    }
    if (visit[m] == static_cast<int32_t>(start) && waits_on[m] >= 0 &&
        all_consumers_wait(static_cast<uint32_t>(waits_on[m]))) {
      const auto loop_start = std::find(path.begin(), path.end(), m);
      return std::vector<uint32_t>(loop_start, path.end());
    }
  }
  return {};
}
constexpr double kSecondsPerHourKw = 3600.0;  // kW x s -> kWh

double ratio(double num, double den, double if_empty) {
  return den > 0.0 ? num / den : if_empty;
}

}  // namespace

void set_machine_ratios(const Station& station, double working, double bottleneck_sole_s,
                        double bottleneck_shifting_s, MachineKpis& mk) {
  const auto& t = mk.time_in_mode;
  const double operating =
      working - t[static_cast<int>(Mode::kDown)] - t[static_cast<int>(Mode::kSetup)];
  mk.utilization = ratio(t[static_cast<int>(Mode::kBusy)], working, 0.0);
  mk.availability = ratio(operating, working, 0.0);
  mk.performance =
      ratio(station.ideal_cycle_time * static_cast<double>(mk.parts_completed), operating, 0.0);
  mk.quality =
      ratio(static_cast<double>(mk.parts_good), static_cast<double>(mk.parts_completed), 1.0);
  mk.oee = mk.availability * mk.performance * mk.quality;
  mk.bottleneck_sole = ratio(bottleneck_sole_s, working, 0.0);
  mk.bottleneck_shifting = ratio(bottleneck_shifting_s, working, 0.0);
}

void summarize_stations(const Model& model, std::span<const double> working, double hours,
                        ReplicationKpis& k) {
  k.stations.assign(model.stations.size(), StationKpis{});
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
      sk.failures += mk.failures;
      sk.utilization += mk.utilization;
      sk.availability += mk.availability;
      sk.energy_kwh += mk.energy_kwh;
      sk.bottleneck_sole += mk.bottleneck_sole;
      sk.bottleneck_shifting += mk.bottleneck_shifting;
      operating += working[st.first_machine + j] - mk.time_in_mode[static_cast<int>(Mode::kDown)] -
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
}

ReplicationKpis compute_kpis(const Model& model, const LineState& s) {
  ReplicationKpis k;
  const uint32_t nm = model.machine_count();
  const double working = s.now - s.warmup_end;  // [s] working time in the window
  const double t0_cal = s.warmup_calendar;
  // advance_to() sets now_calendar (it may lie inside a break); after bare step() calls the
  // calendar time of the last event is the later one.
  const double now_cal =
      model.calendar.empty() ? s.now : std::max(s.now_calendar, model.calendar.calendar_at(s.now));
  const double t1_cal = std::max(now_cal, t0_cal);
  const double window = t1_cal - t0_cal;
  const double off = model.calendar.empty() ? 0.0 : model.calendar.off_between(t0_cal, t1_cal);
  const double hours = window / kSecondsPerHour;
  k.events = s.events_processed;
  k.trace_hash = s.trace_hash;

  // Bottleneck shares from closed and still-open active periods.
  std::vector<ActivePeriod> periods(s.active_periods);
  for (uint32_t m = 0; m < nm; ++m) {
    if (s.active_since[m] >= 0.0 && s.now > s.active_since[m]) {
      periods.push_back({s.active_since[m], s.now, m});
    }
  }
  const std::vector<BottleneckShare> shares = analyze_bottlenecks(periods, nm, s.warmup_end, s.now);

  const int32_t momentary = momentary_bottleneck(periods, s.now);
  if (momentary >= 0 && s.active_since[static_cast<uint32_t>(momentary)] >= 0.0) {
    k.line.momentary_bottleneck_station =
        static_cast<int32_t>(model.machine_station[static_cast<uint32_t>(momentary)]);
  }

  for (uint32_t m : find_deadlock(model, s)) {
    k.line.deadlock_stations.push_back(model.machine_station[m]);
  }

  k.machines.resize(nm);
  for (uint32_t m = 0; m < nm; ++m) {
    const Station& st = model.stations[model.machine_station[m]];
    MachineKpis& mk = k.machines[m];
    mk.time_in_mode = s.time_in_mode[m];
    mk.time_in_mode[static_cast<int>(s.mode[m])] += s.now - s.mode_since[m];
    mk.time_in_mode[static_cast<int>(Mode::kOff)] += off;
    mk.parts_started = s.started[m];
    mk.parts_completed = s.completed[m];
    mk.parts_good = s.good[m];
    mk.parts_scrapped = s.scrapped[m];
    mk.parts_reworked = s.reworked[m];
    mk.failures = s.failures[m];
    set_machine_ratios(st, working, shares[m].sole, shares[m].shifting, mk);
    const auto& t = mk.time_in_mode;
    const double down = t[static_cast<int>(Mode::kDown)];
    const double setup = t[static_cast<int>(Mode::kSetup)];
    const double busy = t[static_cast<int>(Mode::kBusy)];
    const double idle = t[static_cast<int>(Mode::kStarved)] + t[static_cast<int>(Mode::kBlocked)];
    mk.energy_kwh = (st.power_busy * busy + st.power_idle * idle + st.power_setup * setup +
                     st.power_down * down + st.power_off * t[static_cast<int>(Mode::kOff)]) /
                    kSecondsPerHourKw;
  }

  summarize_stations(model, std::vector<double>(nm, working), hours, k);

  k.nodes.resize(model.nodes.size());
  double lead_sum = 0.0;
  uint64_t finished = 0;
  for (size_t n = 0; n < model.nodes.size(); ++n) {
    NodeKpis& nk = k.nodes[n];
    const double area =
        s.level_area[n] + static_cast<double>(s.contents[n].count) * (s.now - s.level_since[n]);
    nk.mean_level = ratio(area, window, 0.0);
    nk.max_level = s.level_max[n];
    nk.parts_in = s.parts_in[n];
    nk.arrivals_lost = s.arrivals_lost[n];
    nk.mean_lead_time_s = ratio(s.lead_time_sum[n], static_cast<double>(s.sink_count[n]), 0.0);
    lead_sum += s.lead_time_sum[n];
    finished += s.sink_count[n];
  }

  LineKpis& line = k.line;
  line.window_s = window;
  line.off_s = off;
  line.parts_created = s.parts_created;
  line.good_parts = finished;
  for (const MachineKpis& mk : k.machines) line.scrapped_parts += mk.parts_scrapped;
  line.throughput_per_h = ratio(static_cast<double>(finished), hours, 0.0);
  const double wip_area =
      s.wip_area + s.wip_break_area + static_cast<double>(s.wip) * (s.now - s.wip_since);
  line.wip_mean = ratio(wip_area, window, 0.0);
  line.lead_time_mean_s = ratio(lead_sum, static_cast<double>(finished), 0.0);
  for (const MachineKpis& mk : k.machines) line.energy_kwh += mk.energy_kwh;
  line.energy_per_good_part_kwh = ratio(line.energy_kwh, static_cast<double>(finished), 0.0);
  if (line.bottleneck_station >= 0) {
    line.oee = k.stations[static_cast<size_t>(line.bottleneck_station)].oee;
  }
  return k;
}

std::vector<Metric> flatten_kpis(const Model& model, const ReplicationKpis& k) {
  std::vector<Metric> out;
  auto add = [&out](std::string key, double value) { out.push_back({std::move(key), value}); };
  const LineKpis& l = k.line;
  add("line.throughput_per_h", l.throughput_per_h);
  add("line.good_parts", static_cast<double>(l.good_parts));
  add("line.scrapped_parts", static_cast<double>(l.scrapped_parts));
  add("line.parts_created", static_cast<double>(l.parts_created));
  add("line.wip_mean", l.wip_mean);
  add("line.lead_time_mean_s", l.lead_time_mean_s);
  add("line.oee", l.oee);
  add("line.energy_kwh", l.energy_kwh);
  add("line.energy_per_good_part_kwh", l.energy_per_good_part_kwh);
  add("line.deadlocked", l.deadlock_stations.empty() ? 0.0 : 1.0);
  for (size_t i = 0; i < model.stations.size(); ++i) {
    const StationKpis& s = k.stations[i];
    const std::string p = "station." + model.stations[i].name + ".";
    add(p + "throughput_per_h", s.throughput_per_h);
    add(p + "utilization", s.utilization);
    add(p + "availability", s.availability);
    add(p + "performance", s.performance);
    add(p + "quality", s.quality);
    add(p + "oee", s.oee);
    add(p + "parts_good", static_cast<double>(s.parts_good));
    add(p + "parts_scrapped", static_cast<double>(s.parts_scrapped));
    add(p + "parts_reworked", static_cast<double>(s.parts_reworked));
    add(p + "failures", static_cast<double>(s.failures));
    add(p + "energy_kwh", s.energy_kwh);
    add(p + "bottleneck_sole", s.bottleneck_sole);
    add(p + "bottleneck_shifting", s.bottleneck_shifting);
    for (int md = 0; md < kModeCount; ++md) {
      add(p + "share." + mode_name(static_cast<Mode>(md)),
          ratio(s.time_in_mode[md], l.window_s, 0.0));
    }
  }
  // Machines of parallel stations, one by one ("machine.<station>#<k>.<field>", k from 1).
  for (const Station& st : model.stations) {
    if (st.machine_count < 2) continue;
    for (uint32_t j = 0; j < st.machine_count; ++j) {
      const MachineKpis& mk = k.machines[st.first_machine + j];
      const std::string p = "machine." + st.name + "#" + std::to_string(j + 1) + ".";
      add(p + "utilization", mk.utilization);
      add(p + "availability", mk.availability);
      add(p + "oee", mk.oee);
      add(p + "parts_good", static_cast<double>(mk.parts_good));
      add(p + "failures", static_cast<double>(mk.failures));
      add(p + "energy_kwh", mk.energy_kwh);
      for (int md = 0; md < kModeCount; ++md) {
        add(p + "share." + mode_name(static_cast<Mode>(md)),
            ratio(mk.time_in_mode[md], l.window_s, 0.0));
      }
    }
  }
  for (size_t n = 0; n < model.nodes.size(); ++n) {
    const Node& node = model.nodes[n];
    const NodeKpis& nk = k.nodes[n];
    const std::string p = "node." + node.name + ".";
    if (node.kind == NodeKind::kSink) {
      add(p + "parts_in", static_cast<double>(nk.parts_in));
      add(p + "mean_lead_time_s", nk.mean_lead_time_s);
      continue;
    }
    add(p + "mean_level", nk.mean_level);
    add(p + "max_level", static_cast<double>(nk.max_level));
    add(p + "parts_in", static_cast<double>(nk.parts_in));
    if (node.kind == NodeKind::kSource && !node.saturated) {
      add(p + "arrivals_lost", static_cast<double>(nk.arrivals_lost));
    }
  }
  return out;
}

}  // namespace twin
