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

// When the suspicion of `kind` on `target` that is active at `at_ns` began: the earliest raise
// among its codes still active then (the latest raise or clear of each code up to then decides).
// INT64_MAX: none active.
int64_t suspected_since(const std::vector<TwinAlarm>& alarms, const std::string& target,
                        FaultKind kind, int64_t at_ns) {
  std::map<std::string, int64_t> raised;  // code -> raised at, or INT64_MAX when cleared
  for (const TwinAlarm& a : alarms) {
    if (a.time_ns > at_ns || a.target != target || a.suspected != kind) continue;
    // Alarms are in the order raised; a repeated raise keeps the first.
    int64_t& since = raised.try_emplace(a.code, std::numeric_limits<int64_t>::max()).first->second;
    if (!a.active) {
      since = std::numeric_limits<int64_t>::max();
    } else if (since == std::numeric_limits<int64_t>::max()) {
      since = a.time_ns;
    }
  }
  int64_t since = std::numeric_limits<int64_t>::max();
  for (const auto& [code, t] : raised) since = std::min(since, t);
  return since;
}

}  // namespace

void DownLog::on_mode(uint32_t machine, int64_t time_ns, uint8_t mode) {
  if (mode == telemetry::MODE_DOWN && machine < down_starts_.size()) {
    std::vector<int64_t>& d = down_starts_[machine];
    d.insert(std::upper_bound(d.begin(), d.end(), time_ns), time_ns);
  }
  if (next_ != nullptr) next_->on_mode(machine, time_ns, mode);
}

std::vector<PredictedFailure> predicted_failures_at(
    const Model& model, const MirrorModel& names, const std::vector<TwinAlarm>& alarms,
    const std::vector<RulPoint>& rul, int64_t shift_start_ns, int64_t at_ns,
    const RulFailureOptions& options, const std::vector<std::vector<int64_t>>* down_starts) {
  // Newest estimate per (machine, kind) up to the fork.
  std::map<std::pair<std::string, int>, const RulPoint*> newest;
  for (const RulPoint& p : rul) {
    if (p.time_ns > at_ns) continue;
    const RulPoint*& slot = newest[{p.target, static_cast<int>(p.suspected)}];
    if (slot == nullptr || p.time_ns >= slot->time_ns) slot = &p;
  }
  // The monitor extrapolates degradation over the time it watched the machine work and knows
  // nothing of breaks, so its times left are working times; an estimate ages by the working
  // time since it was made (a break between the estimate and the fork does not use it up).
  const Calendar& cal = model.calendar;
  auto working_at = [&](int64_t t_ns) {
    const double t = std::max(to_s(t_ns - shift_start_ns), 0.0);
    return cal.empty() ? t : cal.working_at(t);
  };
  const double now_work = working_at(at_ns);

  std::vector<PredictedFailure> out;
  for (const auto& [key, p] : newest) {
    const double worked = now_work - working_at(p->time_ns);
    if (worked > options.max_age_s) continue;  // no renewal while the line worked: stale
    const int64_t since = suspected_since(alarms, p->target, p->suspected, at_ns);
    if (since == std::numeric_limits<int64_t>::max()) continue;
    uint32_t machine = 0;
    while (machine < names.machine.size() && names.machine[machine] != p->target) ++machine;
    if (machine >= names.machine.size() || machine >= model.machine_station.size()) continue;
    if (down_starts != nullptr && machine < down_starts->size()) {
      // Down at or after the suspicion began (and by the fork): the failure has come.
      const std::vector<int64_t>& d = (*down_starts)[machine];
      const auto it = std::lower_bound(d.begin(), d.end(), since);
      if (it != d.end() && *it <= at_ns) continue;
    }
    PredictedFailure f;
    f.machine = machine;
    f.lo_s = std::max(p->lo_s - worked, options.min_left_s);
    f.median_s = std::max(p->median_s - worked, f.lo_s);
    f.hi_s = std::max(p->hi_s - worked, f.median_s);
    if (!std::isfinite(f.median_s)) continue;  // no end of life in sight: nothing to inject
    out.push_back(f);
  }
  std::sort(out.begin(), out.end(), [](const PredictedFailure& a, const PredictedFailure& b) {
    return std::tie(a.machine, a.median_s) < std::tie(b.machine, b.median_s);
  });
  return out;
}

}  // namespace twin
