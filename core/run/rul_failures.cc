#include "core/run/rul_failures.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <tuple>
#include <utility>

namespace twin {

namespace {

double to_s(int64_t ns) {
  return static_cast<double>(ns) * 1e-9;
}

// Whether an alarm of the monitor on `target` suspecting `kind` is active at `at_ns`: the latest
// raise or clear of each of its codes up to then decides.
bool suspected_at(const std::vector<TwinAlarm>& alarms, const std::string& target, FaultKind kind,
                  int64_t at_ns) {
  std::map<std::string, bool> active;  // code -> raised
  for (const TwinAlarm& a : alarms) {
    if (a.time_ns > at_ns || a.target != target || a.suspected != kind) continue;
    active[a.code] = a.active;  // alarms are in the order raised
  }
  return std::any_of(active.begin(), active.end(), [](const auto& e) { return e.second; });
}

}  // namespace

std::vector<PredictedFailure> predicted_failures_at(const Model& model, const MirrorModel& names,
                                                    const std::vector<TwinAlarm>& alarms,
                                                    const std::vector<RulPoint>& rul,
                                                    int64_t shift_start_ns, int64_t at_ns,
                                                    const RulFailureOptions& options) {
  // Newest estimate per (machine, kind) up to the fork.
  std::map<std::pair<std::string, int>, const RulPoint*> newest;
  for (const RulPoint& p : rul) {
    if (p.time_ns > at_ns) continue;
    const RulPoint*& slot = newest[{p.target, static_cast<int>(p.suspected)}];
    if (slot == nullptr || p.time_ns >= slot->time_ns) slot = &p;
  }
  const Calendar& cal = model.calendar;
  const double now_cal = to_s(at_ns - shift_start_ns);
  const double now_work = cal.empty() ? now_cal : cal.working_at(std::max(now_cal, 0.0));
  // Calendar seconds from the fork -> working seconds from the fork.
  auto working_left = [&](double calendar_left) {
    if (!std::isfinite(calendar_left)) return calendar_left;
    if (cal.empty()) return calendar_left;
    return cal.working_at(std::max(now_cal, 0.0) + calendar_left) - now_work;
  };

  std::vector<PredictedFailure> out;
  for (const auto& [key, p] : newest) {
    const double age = to_s(at_ns - p->time_ns);
    if (age > options.max_age_s) continue;
    if (!suspected_at(alarms, p->target, p->suspected, at_ns)) continue;
    uint32_t machine = 0;
    while (machine < names.machine.size() && names.machine[machine] != p->target) ++machine;
    if (machine >= names.machine.size() || machine >= model.machine_station.size()) continue;
    const double lo_cal = std::max(p->lo_s - age, options.min_left_s);
    const double median_cal = std::max(p->median_s - age, lo_cal);
    const double hi_cal = std::max(p->hi_s - age, median_cal);
    PredictedFailure f;
    f.machine = machine;
    // A working-time quantile of zero (the rest of the fork's break) still means "at the end
    // of the break": keep the floor.
    f.lo_s = std::max(working_left(lo_cal), options.min_left_s);
    f.median_s = std::max(working_left(median_cal), f.lo_s);
    f.hi_s = std::max(working_left(hi_cal), f.median_s);
    if (!std::isfinite(f.median_s)) continue;  // no end of life in sight: nothing to inject
    out.push_back(f);
  }
  std::sort(out.begin(), out.end(), [](const PredictedFailure& a, const PredictedFailure& b) {
    return std::tie(a.machine, a.median_s) < std::tie(b.machine, b.median_s);
  });
  return out;
}

}  // namespace twin
