// What the twin's condition monitor said over the shift, as the viewer shows it: its own alarms
// (TwinAlarm: drawn on the twin's row of the mode strips, apart from the plant's alarms) and the
// remaining-useful-life estimates (RulPoint: drawn under the tag they come from). A recording's
// first pass fills it from a ConditionMonitor listening to the mirror; a live source from the
// stream, where LiveTwin sends the monitor's alarms as plant-style alarms coded "TWIN_<code>"
// (the stream carries no RUL yet).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/mirror/condition_monitor.h"
#include "core/mirror/mirror.h"
#include "core/mirror/twin_alarm.h"
#include "twin/live.pb.h"
#include "twin/telemetry.pb.h"

namespace twin::viewer {

// Alarm codes LiveTwin gives the monitor's alarms on the state stream.
inline constexpr std::string_view kTwinAlarmPrefix = "TWIN_";
inline bool is_twin_alarm_code(std::string_view code) {
  return code.starts_with(kTwinAlarmPrefix);
}

// The fault kind a monitor alarm code points at (the stream drops TwinAlarm::suspected).
FaultKind suspected_fault_of(std::string_view code);
const char* severity_name(telemetry::Severity severity);  // "info", "warning", ...

class TwinConditionLog {
 public:
  TwinConditionLog() = default;
  explicit TwinConditionLog(const MirrorModel& names);

  // Everything a monitor said (a recording's first pass).
  void set_from(const ConditionMonitor& monitor);
  // The same from lists (alarms in the order raised, RUL in time order).
  void set(std::vector<TwinAlarm> alarms, std::vector<RulPoint> rul);
  // One alarm of the live stream; false (ignored) unless it is a twin alarm ("TWIN_...").
  bool add_stream_alarm(const telemetry::Alarm& alarm);
  // A RUL estimate from the live stream (StateChange.rul), appended: estimates arrive in time
  // order.
  void add_stream_rul(const live::RulEstimate& estimate);

  const std::vector<TwinAlarm>& alarms() const { return alarms_; }  // in the order raised
  const std::vector<RulPoint>& rul() const { return rul_; }         // in time order
  // (alarms) machine index of each alarm's target, -1 for conveyors and unknown names.
  int32_t machine_of_alarm(size_t i) const { return alarm_machine_[i]; }

  // Indices of machine m's alarms (raised and cleared) with time in [t0_ns, t1_ns).
  void alarms_of(int32_t machine, int64_t t0_ns, int64_t t1_ns, std::vector<size_t>& out) const;
  // Alarms active at `t_ns` (raised at or before it, not cleared by then): indices of the raises.
  void active_at(int64_t t_ns, std::vector<size_t>& out) const;
  // The latest RUL estimate of (target, tag) at or before `t_ns`, or null.
  const RulPoint* latest_rul(std::string_view target, std::string_view tag, int64_t t_ns) const;
  // The latest estimate per (target, tag) at or before `t_ns` (indices into rul()).
  void latest_rul_each(int64_t t_ns, std::vector<size_t>& out) const;
  bool empty() const { return alarms_.empty() && rul_.empty(); }

 private:
  void index_alarm(const TwinAlarm& alarm);

  MirrorModel names_;
  std::vector<TwinAlarm> alarms_;
  std::vector<int32_t> alarm_machine_;  // (alarms)
  std::vector<RulPoint> rul_;
};

}  // namespace twin::viewer
