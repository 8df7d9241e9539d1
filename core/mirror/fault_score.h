// Scores the twin's alarms and RUL estimates against the plant simulator's ground truth
// (/truth/faults), which only scoring may read: detection and diagnosis per fault, lead time
// before the failure, false alarms per machine-shift, and RUL error over the precursor.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "core/mirror/twin_alarm.h"

namespace twin {

struct ScoreOptions {
  // [s] an alarm this long before a fault's precursor starts still counts for it (the twin may
  // see a trend the truth's precursor start does not mark exactly).
  double slack_before_s = 600.0;
};

// Fractions of the precursor at which the RUL is scored.
inline constexpr std::array<double, 3> kRulFractions{0.25, 0.5, 0.75};

struct FaultOutcome {
  telemetry::FaultTruth truth;
  // The plant has a sensor that shows the precursor (the truth names its tag), or the fault shows
  // in part flow (jams). A machine without one fails without visible warning.
  bool observable = true;
  bool detected = false;       // a twin alarm on the fault's machine (or conveyor) in its window
  bool diagnosed = false;      // one of the right kind (and tag, for a sensor)
  int64_t first_alarm_ns = 0;  // [ns] the first such alarm (diagnosed one if any)
  std::string first_code;
  double lead_s = std::numeric_limits<double>::quiet_NaN();  // [s] failure - alarm
  // RUL at 25/50/75 % of the precursor: estimate minus the true time left [s] (NaN: none yet),
  // and whether the 90 % interval held the truth.
  std::array<double, 3> rul_error_s{std::numeric_limits<double>::quiet_NaN(),
                                    std::numeric_limits<double>::quiet_NaN(),
                                    std::numeric_limits<double>::quiet_NaN()};
  std::array<int, 3> rul_covered{-1, -1, -1};  // 1 held, 0 missed, -1 no estimate
};

struct FaultScore {
  std::vector<FaultOutcome> faults;
  std::vector<TwinAlarm> false_alarms;  // raised outside every fault window of their target
  uint32_t energy_alarms = 0;           // ENERGY_* alarms (not fault detections; not scored)
  double machine_shifts = 0.0;          // machines x shift length / 8 h
  uint32_t observable = 0;              // faults a sensor (or the part flow) could show
  double detection_rate = 0.0;          // [1] observable faults detected / observable faults
  double diagnosis_rate = 0.0;          // [1] observable faults diagnosed / observable faults
  double false_alarms_per_machine_shift = 0.0;
  double median_lead_s = std::numeric_limits<double>::quiet_NaN();  // over detected faults
  uint32_t rul_points = 0;            // RUL estimates inside precursors of their kind
  uint32_t rul_covered = 0;           // those whose 90 % interval held the true time left
  double rul_abs_error_sum_s = 0.0;   // [s] sum of |median - true time left| over them
  double rul_mean_abs_error_s = 0.0;  // [s] over those
  double rul_coverage = 0.0;          // [1] share whose 90 % interval held the true time left
};

// `machines` and `shift_s` give the exposure for the false-alarm rate; alarms and RUL points
// from the monitor; `shift_end_ns` closes the windows of faults not repaired within the shift.
FaultScore score_faults(const std::vector<telemetry::FaultTruth>& truths,
                        const std::vector<TwinAlarm>& alarms, const std::vector<RulPoint>& rul,
                        uint32_t machines, double shift_s, int64_t shift_end_ns,
                        const ScoreOptions& options = {});

// Several shifts' scores as one: outcomes and false alarms pooled, rates recomputed.
FaultScore combine_scores(const std::vector<FaultScore>& scores);

}  // namespace twin
