#include "models/process/observed_line.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace twin {

ForkedMachine resolve_machine(const Model& model, uint32_t machine,
                              const ObservedMachine& observed) {
  const Station& st = model.stations[model.machine_station[machine]];
  const uint64_t completed = observed.good + observed.scrapped + observed.reworked;
  const bool counts_holding =
      observed.holding >= 0 ? observed.holding != 0 : observed.started > completed;
  ForkedMachine r;
  r.mode = observed.mode;
  switch (observed.mode) {
    case Mode::kBusy:
    case Mode::kSetup:
      r.holding = true;
      r.inconsistent = !counts_holding;
      break;
    case Mode::kDown:
      r.holding = counts_holding;
      break;
    case Mode::kBlocked: {
      // After service it holds its finished part, already counted as good; before service it
      // waits for a place to reserve, holding nothing. (A hand-off without a buffer blocks
      // after service whatever the station says.)
      const bool after =
          st.blocking == Blocking::kAfterService || model.nodes[st.output].capacity == 0;
      r.holding = after;
      if (observed.holding >= 0) {
        r.inconsistent = (observed.holding != 0) != after;
      } else {
        r.inconsistent = observed.started > completed;  // a part not finished yet
      }
      break;
    }
    case Mode::kStarved:
      r.holding = false;
      r.inconsistent = counts_holding;
      break;
    case Mode::kOff:
    default:
      r.mode_unknown = true;
      r.holding = counts_holding;
      r.mode = counts_holding ? Mode::kBusy : Mode::kStarved;
      break;
  }
  return r;
}

ObservedLine infer_node_levels(const Model& model, const ObservedLine& observed,
                               ForkReport* report) {
  const size_t nn = model.nodes.size();
  const uint32_t nm = model.machine_count();
  ObservedLine out = observed;
  out.node_level.resize(nn, -1);
  out.machines.resize(nm);
  ForkReport local;
  ForkReport& r = report != nullptr ? *report : local;
  r = ForkReport{};
  std::vector<int64_t> put_in(nn, 0), taken(nn, 0), held(nn, 0), reserved(nn, 0);
  for (uint32_t m = 0; m < nm; ++m) {
    const Station& st = model.stations[model.machine_station[m]];
    const ObservedMachine& om = out.machines[m];
    const ForkedMachine fm = resolve_machine(model, m, om);
    r.machines_inconsistent += fm.inconsistent ? 1u : 0u;
    r.machines_mode_unknown += fm.mode_unknown ? 1u : 0u;
    put_in[st.output] += static_cast<int64_t>(om.good);
    if (st.rework_node >= 0)
      put_in[static_cast<size_t>(st.rework_node)] += static_cast<int64_t>(om.reworked);
    for (uint32_t in : st.inputs) taken[in] += static_cast<int64_t>(om.started);
    if (fm.mode == Mode::kBlocked && fm.holding) ++held[st.output];
    if (fm.holding && fm.mode != Mode::kBlocked && st.blocking == Blocking::kBeforeService &&
        model.nodes[st.output].capacity != 0) {
      ++reserved[st.output];
    }
  }
  const Calendar& cal = model.calendar;
  const double working =
      cal.empty() ? out.calendar_s : cal.working_at(std::max(out.calendar_s, 0.0));
  r.node_level.assign(nn, 0);
  for (size_t n = 0; n < nn; ++n) {
    const Node& node = model.nodes[n];
    int64_t level = out.node_level[n];
    if (node.kind == NodeKind::kSink) {
      level = put_in[n];
    } else if (level < 0) {
      if (node.kind == NodeKind::kSource) {
        if (node.saturated) {
          level = 0;
        } else {
          // Arrivals are not observed: the expected number so far, less the parts taken.
          const double arrivals = node.interarrival.mean > 0.0
                                      ? std::floor(working / node.interarrival.mean) *
                                            static_cast<double>(node.batch_size)
                                      : 0.0;
          level = node.initial + static_cast<int64_t>(arrivals) - taken[n];
          ++r.source_levels_estimated;
        }
      } else {
        level = node.initial + put_in[n] - held[n] - taken[n];
      }
      const int64_t hi = node.capacity == kUnbounded
                             ? std::numeric_limits<int64_t>::max()
                             : std::max<int64_t>(node.capacity - reserved[n], 0);
      const int64_t clamped = std::clamp<int64_t>(level, 0, hi);
      if (clamped != level && !(node.kind == NodeKind::kSource && !node.saturated)) {
        ++r.nodes_clamped;
        r.parts_clamped += std::llabs(clamped - level);
      }
      level = clamped;
    }
    out.node_level[n] = level;
    r.node_level[n] = level;
  }
  return out;
}

ObservedLine observe_state(const Model& model, const LineState& s, bool with_levels) {
  ObservedLine o;
  const uint32_t nm = model.machine_count();
  o.calendar_s = s.now_calendar;
  o.machines.resize(nm);
  for (uint32_t m = 0; m < nm; ++m) {
    ObservedMachine& om = o.machines[m];
    om.mode = s.mode[m];
    om.mode_elapsed_s = s.now - s.mode_since[m];
    const bool operating = s.holding[m] && !s.down[m] &&
                           (s.phase[m] == Phase::kProcess || s.phase[m] == Phase::kSetup);
    // Telemetry knows when the part (or the setup) started, not how long the operation lasts;
    // the running segment's start is the closest the State keeps.
    om.op_elapsed_s = operating ? s.now - s.segment_start[m] : -1.0;
    om.holding = static_cast<int8_t>(s.holding[m]);
    om.started = s.started[m];
    om.good = s.good[m];
    om.scrapped = s.scrapped[m];
    om.reworked = s.reworked[m];
    const double open = s.now - s.mode_since[m];
    const auto& tim = s.time_in_mode[m];
    om.busy_s = tim[static_cast<int>(Mode::kBusy)] + (s.mode[m] == Mode::kBusy ? open : 0.0);
    const double down =
        tim[static_cast<int>(Mode::kDown)] + (s.mode[m] == Mode::kDown ? open : 0.0);
    om.up_s = std::max(s.now - s.warmup_end - down, 0.0);
    om.failed_before = s.failures[m] > 0;
  }
  o.node_level.assign(model.nodes.size(), -1);
  if (with_levels) {
    for (size_t n = 0; n < model.nodes.size(); ++n) {
      if (model.nodes[n].kind != NodeKind::kSink) o.node_level[n] = s.contents[n].count;
    }
  }
  return o;
}

}  // namespace twin
