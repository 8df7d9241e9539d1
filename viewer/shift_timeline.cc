#include "viewer/shift_timeline.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/telemetry/telemetry.h"
#include "models/process/line_model.h"
#include "models/process/line_observer.h"
#include "models/process/line_state.h"

namespace twin::viewer {

namespace {

constexpr size_t kBytesPerSample = 12 * 4;  // a sample, its estimate, sd and residual

// Mode changes of the line model as the twin's strip rows.
class TwinModeRecorder final : public LineObserver {
 public:
  TwinModeRecorder(const Model& model, const ShiftTimeline& axis, SeriesStore& store)
      : model_(model), axis_(axis), store_(store) {}
  void on_mode(double time, uint32_t machine, Mode /*from*/, Mode to) override {
    const double calendar = model_.calendar.empty() ? time : model_.calendar.calendar_at(time);
    store_.add_twin_mode(machine, axis_.to_ns(calendar), static_cast<uint8_t>(to_telemetry(to)));
  }
  void on_part(double, uint32_t, PartEvent, const Part&) override {}

 private:
  const Model& model_;
  const ShiftTimeline& axis_;
  SeriesStore& store_;
};

}  // namespace

ShiftTimeline::ShiftTimeline(const Model& model, int64_t origin_ns, double duration_s,
                             ShiftTimelineOptions options)
    : names_(build_mirror_model(model, MirrorOptions())),
      origin_ns_(origin_ns),
      duration_s_(std::max(duration_s, 0.0)) {
  const size_t n_tags = std::max<size_t>(names_.tag_name.size(), 1);
  const auto shift_points =
      static_cast<size_t>(std::ceil(duration_s_ / std::max(options.point_s, 1e-3))) + 16;
  const size_t by_budget = options.memory_budget_bytes / (n_tags * kBytesPerSample);
  samples_per_tag_ = std::min(shift_points, std::max<size_t>(by_budget, 3600));
  SeriesOptions series;
  series.samples_per_tag = samples_per_tag_;
  // Mode segments (24 B, real and twin rows): a fast line changes mode with every part, so give
  // each machine what the budget allows (at least the store's default).
  const size_t n_machines = std::max<size_t>(names_.machine.size(), 1);
  series.segments_per_machine = std::max<size_t>(
      series.segments_per_machine,
      std::min<size_t>(options.mode_budget_bytes / (n_machines * 2 * sizeof(ModeSegment)),
                       size_t{1} << 18));
  store_ = std::make_unique<SeriesStore>(names_, series);
  const size_t nt = names_.tag_name.size();
  filters_.assign(nt, LocalLevelFilter());
  estimates_.resize(nt);
  for (TagEstimateSeries& e : estimates_) {
    e.estimate = TagSeries(samples_per_tag_);
    e.sd = TagSeries(samples_per_tag_);
    e.residual_z = TagSeries(samples_per_tag_);
  }
  estimated_until_ns_.assign(nt, std::numeric_limits<int64_t>::min());
}

void ShiftTimeline::record_twin_modes(const Model& model, uint64_t seed) {
  RunOptions options;
  options.horizon_s = duration_s_;
  options.seed = seed;
  LineState state;
  init_state(model, options, state);
  for (uint32_t m = 0; m < state.mode.size(); ++m) {
    store_->add_twin_mode(m, origin_ns_, static_cast<uint8_t>(to_telemetry(state.mode[m])));
  }
  TwinModeRecorder recorder(model, *this, *store_);
  state.observer = &recorder;
  advance_to(model, state, duration_s_);
  state.observer = nullptr;
}

void ShiftTimeline::add_point(const Mirror& mirror) {
  has_real_ = true;
  store_->sync_from(mirror);
  update_estimates();
}

void ShiftTimeline::add_alarm(const telemetry::Alarm& alarm) {
  const int32_t m = store_->find_machine(alarm.machine());
  if (m < 0) return;
  store_->add_alarm(alarm.time_ns(), static_cast<uint32_t>(m), alarm.code(), alarm.active(),
                    static_cast<uint8_t>(alarm.severity()));
}

void ShiftTimeline::add_change(const live::StateChange& change) {
  has_real_ = true;
  store_->add(change);
}

bool ShiftTimeline::estimated(uint32_t slot) const {
  // Counters and mode signals step by design: a level with noise does not describe them.
  const auto signal = static_cast<Signal>(names_.tag_signal[slot]);
  return names_.counter[slot] == 0 && signal != Signal::kPartCount && signal != Signal::kMode;
}

void ShiftTimeline::update_estimates() {
  for (uint32_t slot = 0; slot < filters_.size(); ++slot) {
    if (!estimated(slot)) continue;
    const TagSeries& series = store_->tag(slot);
    if (series.size() == 0 || series.time_at(series.size() - 1) <= estimated_until_ns_[slot])
      continue;
    size_t i = estimated_until_ns_[slot] == std::numeric_limits<int64_t>::min()
                   ? 0
                   : series.lower_bound(estimated_until_ns_[slot] + 1);
    TagEstimateSeries& e = estimates_[slot];
    for (; i < series.size(); ++i) {
      const int64_t t = series.time_at(i);
      const LocalLevelUpdate u = filters_[slot].update(t, series.value_at(i));
      e.estimate.append(t, static_cast<float>(u.estimate));
      e.sd.append(t, static_cast<float>(u.sd));
      e.residual_z.append(t, static_cast<float>(u.residual_z));
      estimated_until_ns_[slot] = t;
    }
  }
}

}  // namespace twin::viewer
