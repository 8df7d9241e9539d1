#include "core/mirror/fault_score.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/stats/summary.h"

namespace twin {

namespace {

int64_t to_ns(double s) {
  return static_cast<int64_t>(std::llround(s * 1e9));
}
double to_s(int64_t ns) {
  return static_cast<double>(ns) * 1e-9;
}

struct Window {
  int64_t from_ns = 0, to_ns = 0;
};

Window window_of(const telemetry::FaultTruth& t, int64_t shift_end_ns, double slack_s) {
  Window w;
  w.from_ns = t.precursor_start_ns() - to_ns(slack_s);
  // A failed sensor stays failed; a fault not repaired in the shift lasts to its end.
  w.to_ns = t.kind() == telemetry::FaultTruth::KIND_SENSOR_FAILURE || t.repaired_ns() <= 0
                ? shift_end_ns
                : t.repaired_ns();
  return w;
}

bool right_kind(const TwinAlarm& a, const telemetry::FaultTruth& t) {
  if (a.suspected != t.kind()) return false;
  return t.kind() != telemetry::FaultTruth::KIND_SENSOR_FAILURE || a.tag == t.tag();
}

bool is_energy(const TwinAlarm& a) {
  return a.code.rfind("ENERGY_", 0) == 0;
}

// Rates from the counts (after scoring one shift or pooling several).
void finish_rates(FaultScore& score) {
  uint32_t detected = 0, diagnosed = 0;
  score.observable = 0;
  std::vector<double> leads;
  for (const FaultOutcome& o : score.faults) {
    if (!o.observable) continue;
    ++score.observable;
    detected += o.detected;
    diagnosed += o.diagnosed;
    if (o.detected) leads.push_back(o.lead_s);
  }
  const double n = static_cast<double>(score.observable);
  score.detection_rate = n > 0 ? detected / n : 0.0;
  score.diagnosis_rate = n > 0 ? diagnosed / n : 0.0;
  score.false_alarms_per_machine_shift =
      score.machine_shifts > 0.0
          ? static_cast<double>(score.false_alarms.size()) / score.machine_shifts
          : 0.0;
  score.median_lead_s =
      leads.empty() ? std::numeric_limits<double>::quiet_NaN() : quantile(leads, 0.5);
  if (score.rul_points > 0) {
    score.rul_mean_abs_error_s = score.rul_abs_error_sum_s / score.rul_points;
    score.rul_coverage = static_cast<double>(score.rul_covered) / score.rul_points;
  }
}

}  // namespace

FaultScore combine_scores(const std::vector<FaultScore>& scores) {
  FaultScore all;
  for (const FaultScore& s : scores) {
    all.faults.insert(all.faults.end(), s.faults.begin(), s.faults.end());
    all.false_alarms.insert(all.false_alarms.end(), s.false_alarms.begin(), s.false_alarms.end());
    all.energy_alarms += s.energy_alarms;
    all.machine_shifts += s.machine_shifts;
    all.rul_points += s.rul_points;
    all.rul_covered += s.rul_covered;
    all.rul_abs_error_sum_s += s.rul_abs_error_sum_s;
  }
  finish_rates(all);
  return all;
}

FaultScore score_faults(const std::vector<telemetry::FaultTruth>& truths,
                        const std::vector<TwinAlarm>& alarms, const std::vector<RulPoint>& rul,
                        uint32_t machines, double shift_s, int64_t shift_end_ns,
                        const ScoreOptions& options) {
  FaultScore score;
  for (const telemetry::FaultTruth& t : truths) {
    FaultOutcome o;
    o.truth = t;
    o.observable = !t.tag().empty() || t.kind() == telemetry::FaultTruth::KIND_CONVEYOR_JAM;
    const Window w = window_of(t, shift_end_ns, options.slack_before_s);
    for (const TwinAlarm& a : alarms) {
      if (!a.active || is_energy(a) || a.target != t.machine()) continue;
      if (a.time_ns < w.from_ns || a.time_ns > w.to_ns) continue;
      const bool kind = right_kind(a, t);
      // The first alarm of the right kind; else the first alarm at all.
      if (!o.detected || (kind && !o.diagnosed)) {
        o.first_alarm_ns = a.time_ns;
        o.first_code = a.code;
      }
      o.detected = true;
      o.diagnosed = o.diagnosed || kind;
      if (o.diagnosed) break;
    }
    if (o.detected) o.lead_s = to_s(t.failure_ns() - o.first_alarm_ns);
    // RUL over the precursor.
    const int64_t from = t.precursor_start_ns(), to = t.failure_ns();
    for (const RulPoint& p : rul) {
      if (p.target != t.machine() || p.suspected != t.kind()) continue;
      if (p.time_ns < from || p.time_ns > to) continue;
      const double left = to_s(to - p.time_ns);
      ++score.rul_points;
      score.rul_abs_error_sum_s +=
          std::abs(std::isfinite(p.median_s) ? p.median_s - left : shift_s);
      score.rul_covered += p.lo_s <= left && left <= p.hi_s;
    }
    for (size_t f = 0; f < kRulFractions.size(); ++f) {
      const int64_t at =
          from + static_cast<int64_t>(static_cast<double>(to - from) * kRulFractions[f]);
      const RulPoint* latest = nullptr;
      for (const RulPoint& p : rul) {
        if (p.target != t.machine() || p.suspected != t.kind()) continue;
        if (p.time_ns < from || p.time_ns > at) continue;
        if (latest == nullptr || p.time_ns >= latest->time_ns) latest = &p;
      }
      if (latest == nullptr) continue;
      const double left = to_s(to - latest->time_ns);
      o.rul_error_s[f] = latest->median_s - left;
      o.rul_covered[f] = latest->lo_s <= left && left <= latest->hi_s ? 1 : 0;
    }
    score.faults.push_back(std::move(o));
  }
  for (const TwinAlarm& a : alarms) {
    if (!a.active) continue;
    if (is_energy(a)) {
      ++score.energy_alarms;
      continue;
    }
    bool explained = false;
    for (const telemetry::FaultTruth& t : truths) {
      const Window w = window_of(t, shift_end_ns, options.slack_before_s);
      explained =
          explained || (a.target == t.machine() && a.time_ns >= w.from_ns && a.time_ns <= w.to_ns);
    }
    if (!explained) score.false_alarms.push_back(a);
  }
  score.machine_shifts = static_cast<double>(machines) * shift_s / (8.0 * 3600.0);
  finish_rates(score);
  return score;
}

}  // namespace twin
