#include "viewer/live_parts.h"

#include <algorithm>
#include <cmath>

#include "core/telemetry/telemetry.h"

namespace twin::viewer {

LivePartLog::LivePartLog(const Model& model, int64_t origin_ns)
    : model_(model), origin_ns_(origin_ns) {
  const uint32_t nm = model.machine_count();
  good_.resize(nm);
  counted_.resize(nm, 0);
  cycle_s_.resize(nm, 0.0);
  parts_.started_s.resize(nm);
  parts_.finished_s.resize(nm);
  for (uint32_t m = 0; m < nm; ++m) {
    const std::string name = machine_name(model, m);
    for (const TagSpec& tag : sample_tags(model, m)) {
      const auto signal = static_cast<Signal>(tag.signal);
      if (signal != Signal::kPartCount && signal != Signal::kCycleTime) continue;
      tags_[name + "/" + tag.name] = {m, signal == Signal::kPartCount ? Role::kGood : Role::kCycle};
      if (signal == Signal::kPartCount) counted_[m] = 1;
    }
  }
  for (const Station& st : model.stations) {
    for (uint32_t k = 0; k < st.machine_count; ++k)
      cycle_s_[st.first_machine + k] = st.cycle_time.mean;
  }
}

double LivePartLog::working_s(int64_t time_ns) const {
  const double calendar_s = std::max(static_cast<double>(time_ns - origin_ns_) * 1e-9, 0.0);
  return model_.calendar.empty() ? calendar_s : model_.calendar.working_at(calendar_s);
}

void LivePartLog::add_change(const live::StateChange& change) {
  std::string key;
  for (const live::TagValue& v : change.tags()) {
    key.assign(v.machine()).append("/").append(v.tag());
    const auto it = tags_.find(key);
    if (it == tags_.end() || v.stale() || !std::isfinite(v.value())) continue;
    const uint32_t m = it->second.first;
    if (it->second.second == Role::kCycle) {
      if (v.value() > 0.0) cycle_s_[m] = v.value();
      continue;
    }
    const double t = working_s(v.time_ns());
    known_until_s_ = std::max(known_until_s_, t);
    Counter& c = good_[m];
    const double rise = c.seen ? v.value() - c.value : 0.0;
    c.seen = true;
    c.value = v.value();
    if (!(rise > 0.0)) continue;  // the baseline, no change, or a reset
    const auto n = static_cast<uint64_t>(std::llround(rise));
    std::vector<double>& done = parts_.finished_s[m];
    std::vector<double>& in = parts_.started_s[m];
    for (uint64_t i = 0; i < n; ++i) {
      // Samples of different machines may come out of order: keep each list ascending.
      done.insert(std::upper_bound(done.begin(), done.end(), t), t);
      const double start = std::max(t - cycle_s_[m], 0.0);
      in.insert(std::upper_bound(in.begin(), in.end(), start), start);
    }
    finishes_ += n;
    changed_ = true;
  }
}

bool LivePartLog::take_changed() {
  const bool was = changed_;
  changed_ = false;
  return was;
}

bool LivePartLog::take_advanced() {
  const bool moved = known_until_s_ > reported_until_s_;
  reported_until_s_ = known_until_s_;
  return moved;
}

}  // namespace twin::viewer
