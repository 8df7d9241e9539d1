// What the twin's condition monitor says about the plant: alarms it raises itself (not the
// plant's own protection alarms, which arrive as telemetry) and remaining-useful-life estimates.
// Both carry the fault kind the twin suspects, so they can be scored against the plant
// simulator's ground truth (`twin score`).
#pragma once

#include <cstdint>
#include <limits>
#include <string>

#include "twin/telemetry.pb.h"

namespace twin {

using FaultKind = telemetry::FaultTruth::Kind;

struct TwinAlarm {
  int64_t time_ns = 0;  // [ns] device time of the evidence that raised (or cleared) it
  std::string target;   // machine name, or conveyor node name
  std::string tag;      // tag the evidence comes from ("" for mode-based alarms)
  std::string code;     // e.g. "BEARING_DEGRADING"
  FaultKind suspected = telemetry::FaultTruth::KIND_UNKNOWN;  // what the twin thinks is coming
  telemetry::Severity severity = telemetry::SEVERITY_WARNING;
  bool active = true;    // false: the alarm cleared at time_ns
  double value = 0.0;    // the monitored quantity when raised (unit of `tag` or of the code)
  double limit = 0.0;    // the limit it crossed
  std::string evidence;  // one line for people: what was seen, against what
};

// Remaining useful life of one machine's degrading component at one instant, as a
// distribution of the calendar time left until the failure threshold is reached.
struct RulPoint {
  int64_t time_ns = 0;  // [ns] when the estimate was made
  std::string target;   // machine name
  std::string tag;      // the degradation indicator's tag
  FaultKind suspected = telemetry::FaultTruth::KIND_UNKNOWN;
  double median_s = std::numeric_limits<double>::infinity();  // [s] calendar time to failure
  double lo_s = 0.0;                                          // [s] 5 % quantile
  double hi_s = std::numeric_limits<double>::infinity();      // [s] 95 % quantile
};

// "bearing_wear", "tool_breakage", ... as in fault files; "unknown" for KIND_UNKNOWN.
const char* fault_kind_name(FaultKind kind);

}  // namespace twin
