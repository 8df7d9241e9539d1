// Remaining useful life into the forecast: the condition monitor's RUL estimates (calendar time
// left, made at some instant) become the forecast's predicted failures (working time from now),
// so a throughput forecast counts the downtime of a failure the twin sees coming.
#pragma once

#include <cstdint>
#include <vector>

#include "core/mirror/mirror.h"
#include "core/mirror/twin_alarm.h"
#include "core/model/model.h"
#include "core/run/forecast.h"

namespace twin {

struct RulFailureOptions {
  // [s] an estimate older than this at the fork is stale (the monitor renews a suspect
  // component's estimate every few minutes; none newer means it stopped suspecting it)
  double max_age_s = 1800.0;
  // [s] floor of an aged quantile: an estimate whose time has passed means "any moment now"
  double min_left_s = 60.0;
};

// The failures expected at device time `at_ns`: for each machine and suspected fault kind, the
// newest RulPoint made at or before `at_ns`, provided an alarm of the monitor for that machine
// and kind is active at `at_ns` (a cleared alarm means the part was repaired or the suspicion
// dropped). Its quantiles are aged by the time since the estimate and turned from calendar time
// into the line's working time with the scene's calendar (breaks do not wear machines).
// `shift_start_ns` is t = 0 of the calendar. Machines the model does not know are skipped.
// Sorted by machine, then median.
std::vector<PredictedFailure> predicted_failures_at(const Model& model, const MirrorModel& names,
                                                    const std::vector<TwinAlarm>& alarms,
                                                    const std::vector<RulPoint>& rul,
                                                    int64_t shift_start_ns, int64_t at_ns,
                                                    const RulFailureOptions& options = {});

}  // namespace twin
