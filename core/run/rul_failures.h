// Remaining useful life into the forecast: the condition monitor's RUL estimates (time left, made
// at some instant) become the forecast's predicted failures (working time from now), so a
// throughput forecast counts the downtime of a failure the twin sees coming.
#pragma once

#include <cstdint>
#include <vector>

#include "core/mirror/mirror.h"
#include "core/mirror/twin_alarm.h"
#include "core/model/model.h"
#include "core/run/forecast.h"

namespace twin {

struct RulFailureOptions {
  // [s working] an estimate older than this at the fork is stale (the monitor renews a suspect
  // component's estimate every few minutes of work; none newer means it stopped suspecting it)
  double max_age_s = 1800.0;
  // [s] floor of an aged quantile: an estimate whose time has passed means "any moment now"
  double min_left_s = 60.0;
};

// Forwards everything to `next` (the condition monitor) and keeps, per machine, the device
// times at which it went down: a failure the monitor foresaw has come once its machine went
// down after the alarm, and must not be injected again (the fork has the repair).
class DownLog : public MirrorListener {
 public:
  DownLog(MirrorListener* next, size_t machines) : next_(next), down_starts_(machines) {}
  void on_sample(uint32_t slot, int64_t time_ns, float value, uint8_t quality) override {
    if (next_ != nullptr) next_->on_sample(slot, time_ns, value, quality);
  }
  void on_mode(uint32_t machine, int64_t time_ns, uint8_t mode) override;
  void on_part(uint32_t machine, int64_t time_ns, uint8_t kind, uint16_t product) override {
    if (next_ != nullptr) next_->on_part(machine, time_ns, kind, product);
  }
  void on_released(int64_t until_ns) override {
    if (next_ != nullptr) next_->on_released(until_ns);
  }
  // (n_m) [ns] device times each machine went down, in time order.
  const std::vector<std::vector<int64_t>>& down_starts() const { return down_starts_; }

 private:
  MirrorListener* next_;
  std::vector<std::vector<int64_t>> down_starts_;
};

// The failures expected at device time `at_ns`: for each machine and suspected fault kind, the
// newest RulPoint made at or before `at_ns`, provided an alarm of the monitor for that machine
// and kind is active at `at_ns` (a cleared alarm means the part was repaired or the suspicion
// dropped). Its quantiles are aged by the working time since the estimate (the scene's calendar:
// the monitor extrapolates over the time it watched the machine work and knows nothing of
// breaks, so its times left are working times, and a break does not use them up).
// `shift_start_ns` is t = 0 of the calendar. With `down_starts` (DownLog), a machine that went
// down after the alarm was raised has had its failure: skipped. Machines the model does not know
// are skipped. Sorted by machine, then median.
std::vector<PredictedFailure> predicted_failures_at(
    const Model& model, const MirrorModel& names, const std::vector<TwinAlarm>& alarms,
    const std::vector<RulPoint>& rul, int64_t shift_start_ns, int64_t at_ns,
    const RulFailureOptions& options = {},
    const std::vector<std::vector<int64_t>>* down_starts = nullptr);

}  // namespace twin
