#include "viewer/twin_condition.h"

#include <algorithm>
#include <utility>

namespace twin::viewer {

FaultKind suspected_fault_of(std::string_view code) {
  if (code.starts_with(kTwinAlarmPrefix)) code.remove_prefix(kTwinAlarmPrefix.size());
  if (code.starts_with("BEARING")) return telemetry::FaultTruth::KIND_BEARING_WEAR;
  if (code.starts_with("TOOL") || code.starts_with("CURRENT"))
    return telemetry::FaultTruth::KIND_TOOL_BREAKAGE;
  if (code.starts_with("COOLING") || code.starts_with("THERMAL"))
    return telemetry::FaultTruth::KIND_OVERHEATING;
  if (code.starts_with("SENSOR")) return telemetry::FaultTruth::KIND_SENSOR_FAILURE;
  if (code.starts_with("CONVEYOR")) return telemetry::FaultTruth::KIND_CONVEYOR_JAM;
  return telemetry::FaultTruth::KIND_UNKNOWN;
}

const char* severity_name(telemetry::Severity severity) {
  switch (severity) {
    case telemetry::SEVERITY_INFO:
      return "info";
    case telemetry::SEVERITY_WARNING:
      return "warning";
    case telemetry::SEVERITY_CRITICAL:
      return "critical";
    default:
      return "unspecified";
  }
}

TwinConditionLog::TwinConditionLog(const MirrorModel& names) : names_(names) {}

void TwinConditionLog::index_alarm(const TwinAlarm& alarm) {
  const auto it = std::find(names_.machine.begin(), names_.machine.end(), alarm.target);
  alarm_machine_.push_back(
      it == names_.machine.end() ? -1 : static_cast<int32_t>(it - names_.machine.begin()));
}

void TwinConditionLog::set_from(const ConditionMonitor& monitor) {
  set(monitor.alarms(), monitor.rul());
}

void TwinConditionLog::set(std::vector<TwinAlarm> alarms, std::vector<RulPoint> rul) {
  alarms_ = std::move(alarms);
  alarm_machine_.clear();
  for (const TwinAlarm& a : alarms_) index_alarm(a);
  rul_ = std::move(rul);
}

bool TwinConditionLog::add_stream_alarm(const telemetry::Alarm& alarm) {
  if (!is_twin_alarm_code(alarm.code())) return false;
  TwinAlarm a;
  a.time_ns = alarm.time_ns();
  a.target = alarm.machine();
  a.tag = alarm.tag();
  a.code = alarm.code().substr(kTwinAlarmPrefix.size());
  a.suspected = suspected_fault_of(a.code);
  a.severity = alarm.severity();
  a.active = alarm.active();
  a.value = alarm.value();
  a.evidence = alarm.text();
  index_alarm(a);
  alarms_.push_back(std::move(a));
  return true;
}

void TwinConditionLog::add_stream_rul(const live::RulEstimate& estimate) {
  RulPoint p;
  p.time_ns = estimate.time_ns();
  p.target = estimate.machine();
  p.tag = estimate.tag();
  p.suspected = estimate.suspected();
  p.median_s = estimate.median_s();
  p.lo_s = estimate.lo_s();
  p.hi_s = estimate.hi_s();
  rul_.push_back(std::move(p));
}

void TwinConditionLog::alarms_of(int32_t machine, int64_t t0_ns, int64_t t1_ns,
                                 std::vector<size_t>& out) const {
  out.clear();
  for (size_t i = 0; i < alarms_.size(); ++i) {
    if (alarm_machine_[i] == machine && alarms_[i].time_ns >= t0_ns && alarms_[i].time_ns < t1_ns)
      out.push_back(i);
  }
}

void TwinConditionLog::active_at(int64_t t_ns, std::vector<size_t>& out) const {
  out.clear();
  // Alarms are few: for each raise, look for a later clear of the same (target, tag, code).
  for (size_t i = 0; i < alarms_.size(); ++i) {
    const TwinAlarm& a = alarms_[i];
    if (!a.active || a.time_ns > t_ns) continue;
    bool cleared = false;
    for (size_t j = i + 1; j < alarms_.size() && !cleared; ++j) {
      const TwinAlarm& c = alarms_[j];
      cleared = c.time_ns <= t_ns && c.target == a.target && c.tag == a.tag && c.code == a.code;
    }
    if (!cleared) out.push_back(i);
  }
}

const RulPoint* TwinConditionLog::latest_rul(std::string_view target, std::string_view tag,
                                             int64_t t_ns) const {
  const RulPoint* best = nullptr;
  for (const RulPoint& p : rul_) {
    if (p.time_ns > t_ns) break;
    if (p.target == target && p.tag == tag) best = &p;
  }
  return best;
}

void TwinConditionLog::latest_rul_each(int64_t t_ns, std::vector<size_t>& out) const {
  out.clear();
  for (size_t i = 0; i < rul_.size() && rul_[i].time_ns <= t_ns; ++i) {
    bool replaced = false;
    for (size_t& k : out) {
      if (rul_[k].target == rul_[i].target && rul_[k].tag == rul_[i].tag) {
        k = i;
        replaced = true;
      }
    }
    if (!replaced) out.push_back(i);
  }
}

}  // namespace twin::viewer
