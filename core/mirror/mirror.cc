#include "core/mirror/mirror.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/telemetry/telemetry.h"

namespace twin {

namespace {

constexpr int64_t kNsPerS = 1000000000;
constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

int64_t seconds_to_ns(double s) {
  if (!std::isfinite(s) || s > 9.0e9) return kNever;
  return static_cast<int64_t>(std::llround(s * 1e9));
}

// a + b and a - b clamped to the int64 range: times come from outside and may be anything.
int64_t add_sat(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) return b > 0 ? kNever : std::numeric_limits<int64_t>::min();
  return r;
}
int64_t sub_sat(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_sub_overflow(a, b, &r)) return b > 0 ? std::numeric_limits<int64_t>::min() : kNever;
  return r;
}

bool active(uint8_t mode) {
  return mode == telemetry::MODE_RUNNING || mode == telemetry::MODE_DOWN ||
         mode == telemetry::MODE_SETUP;
}

bool later(const PendingEvent& a, const PendingEvent& b) {
  return a.time_ns != b.time_ns ? a.time_ns > b.time_ns : a.seq > b.seq;
}

template <typename T>
void assign(std::vector<T>& v, size_t n, const T& x) {
  v.assign(n, x);
}

}  // namespace

MirrorModel build_mirror_model(const Model& model, const MirrorOptions& options) {
  MirrorModel mm;
  const uint32_t nm = model.machine_count();
  mm.machine = machine_names(model);
  mm.tag_offset.push_back(0);
  for (uint32_t m = 0; m < nm; ++m) {
    for (const TagSpec& t : sample_tags(model, m)) {
      mm.tag_name.push_back(t.name);
      mm.tag_unit.push_back(t.unit);
      mm.tag_machine.push_back(m);
      mm.tag_signal.push_back(t.signal);
      const Signal signal = static_cast<Signal>(t.signal);
      const bool per_event = signal == Signal::kCycleTime || t.rate_hz <= 0.0;
      mm.stale_after_ns.push_back(
          per_event
              ? kNever
              : seconds_to_ns(std::max(options.stale_periods / t.rate_hz, options.min_stale_s)));
      mm.counter.push_back(signal == Signal::kPartCount || signal == Signal::kScrapCount);
      mm.noisy.push_back(signal == Signal::kMotorCurrent || signal == Signal::kPower ||
                         signal == Signal::kTemperature || signal == Signal::kVibrationRms ||
                         signal == Signal::kCustom);
    }
    mm.tag_offset.push_back(static_cast<uint32_t>(mm.tag_name.size()));
  }
  mm.product = model.products;
  return mm;
}

Mirror::Mirror(const Model& model, MirrorOptions options)
    : options_(options), names_(build_mirror_model(model, options)) {
  for (size_t m = 0; m < names_.machine.size(); ++m)
    machine_index_.emplace(names_.machine[m], static_cast<int32_t>(m));
  reset(0);
}

void Mirror::reset(int64_t origin_ns) {
  MirrorState& s = state_;
  const size_t nt = names_.tag_name.size();
  const size_t nm = names_.machine.size();
  s.origin_ns = origin_ns;
  s.window_end_ns = std::numeric_limits<int64_t>::max();
  s.now_ns = origin_ns;
  s.last_sweep_ns = origin_ns;
  assign(s.value, nt, 0.0f);
  assign(s.time_ns, nt, int64_t{0});
  assign(s.newest_ns, nt, int64_t{0});
  assign(s.recent_ns, nt, std::array<int64_t, kRecentTimes>{});
  assign(s.recent_head, nt, uint8_t{0});
  assign(s.quality, nt, uint8_t{0});
  assign(s.count, nt, uint64_t{0});
  assign(s.stale, nt, uint8_t{0});
  assign(s.same_since_ns, nt, int64_t{0});
  assign(s.stuck, nt, uint8_t{0});
  assign(s.counter_total, nt, 0.0);
  assign(s.mode, nm, static_cast<uint8_t>(telemetry::MODE_UNKNOWN));
  assign(s.mode_since_ns, nm, origin_ns);
  assign(s.mode_seconds, nm, std::array<double, kTelemetryModes>{});
  assign(s.applied_event_ns, nm, std::numeric_limits<int64_t>::min());
  assign(s.started, nm, uint64_t{0});
  assign(s.good, nm, uint64_t{0});
  assign(s.scrap, nm, uint64_t{0});
  assign(s.reworked, nm, uint64_t{0});
  assign(s.cycle_sum_s, nm, 0.0);
  assign(s.cycle_count, nm, uint64_t{0});
  assign(s.clock_offset_s, nm, std::numeric_limits<double>::infinity());
  assign(s.active_since_s, nm, -1.0);
  s.active_periods.clear();
  s.pending.clear();
  s.event_seq = 0;
  s.counters = MirrorCounters{};
}

int32_t Mirror::find_machine(std::string_view machine) const {
  const auto it = machine_index_.find(machine);
  return it == machine_index_.end() ? -1 : it->second;
}

uint16_t Mirror::find_product(std::string_view product) const {
  // A handful of products: a linear scan beats a map.
  for (size_t p = 0; p < names_.product.size() && p < kNoProduct; ++p)
    if (names_.product[p] == product) return static_cast<uint16_t>(p);
  return kNoProduct;
}

ChannelBinding Mirror::bind_samples(std::string_view machine,
                                    const std::vector<std::string>& tags) const {
  ChannelBinding b;
  b.machine = find_machine(machine);
  b.slot.assign(tags.size(), -1);
  if (b.machine < 0) return b;
  const uint32_t m = static_cast<uint32_t>(b.machine);
  for (size_t i = 0; i < tags.size(); ++i) {
    for (uint32_t t = names_.tag_offset[m]; t < names_.tag_offset[m + 1]; ++t) {
      if (names_.tag_name[t] == tags[i]) b.slot[i] = static_cast<int32_t>(t);
    }
  }
  return b;
}

void Mirror::apply_samples(const ChannelBinding& binding, int64_t log_time_ns,
                           const DecodedBatch& batch) {
  MirrorState& s = state_;
  MirrorCounters& c = s.counters;
  const size_t n = batch.size();
  c.samples_in += n;
  if (binding.machine < 0 || static_cast<size_t>(binding.machine) >= state_.mode.size()) {
    c.unknown_machine += n;
    return;
  }
  if (log_time_ns > s.now_ns) advance_to(log_time_ns);
  const uint32_t machine = static_cast<uint32_t>(binding.machine);
  const double offset = static_cast<double>(sub_sat(log_time_ns, batch.base_time_ns)) * 1e-9;
  if (offset < s.clock_offset_s[machine] && std::abs(offset) < options_.max_past_s)
    s.clock_offset_s[machine] = offset;
  const int64_t future_limit = add_sat(log_time_ns, seconds_to_ns(options_.max_future_s));
  const int64_t past_limit = sub_sat(log_time_ns, seconds_to_ns(options_.max_past_s));
  const int64_t window = seconds_to_ns(options_.reorder_window_s);
  const int64_t stuck_ns = seconds_to_ns(options_.stuck_s);
  const size_t nslots = binding.slot.size();
  const bool has_quality = !batch.quality.empty();
  for (size_t i = 0; i < n; ++i) {
    const uint32_t index = batch.tag[i];
    if (index >= nslots) {
      ++c.bad_tag_index;
      continue;
    }
    const int32_t slot_or_none = binding.slot[index];
    if (slot_or_none < 0) {
      ++c.unknown_tag;
      continue;
    }
    const size_t slot = static_cast<size_t>(slot_or_none);
    const float v = batch.value[i];
    if (!std::isfinite(v)) {
      ++c.non_finite;
      continue;
    }
    // Overflow-safe: offsets beyond +-2^62 ns are far-off times anyway.
    const int64_t off = batch.offset_ns[i];
    if (off > (int64_t{1} << 62) || off < -(int64_t{1} << 62)) {
      ++c.future;
      continue;
    }
    const int64_t t = add_sat(batch.base_time_ns, off);
    if (t > future_limit) {
      ++c.future;
      continue;
    }
    if (t < past_limit) {
      ++c.past;
      continue;
    }
    const uint8_t q = has_quality ? batch.quality[i] : 0;
    if (q >= telemetry::QUALITY_BAD) {
      ++c.bad_quality;
      continue;
    }
    // Duplicate: the time of the current value, or (for an older sample, rare) of a recent one.
    std::array<int64_t, kRecentTimes>& recent = s.recent_ns[slot];
    if (s.count[slot] > 0 && t <= s.time_ns[slot] &&
        (t == s.time_ns[slot] || std::find(recent.begin(), recent.end(), t) != recent.end())) {
      ++c.duplicates;
      continue;
    }
    recent[s.recent_head[slot]] = t;
    s.recent_head[slot] = static_cast<uint8_t>((s.recent_head[slot] + 1) % kRecentTimes);
    if (t >= s.time_ns[slot] || s.count[slot] == 0) {
      if (s.stale[slot]) {
        s.stale[slot] = 0;
        ++c.gaps;
      }
      if (names_.noisy[slot]) {
        if (s.count[slot] == 0 || v != s.value[slot]) {
          s.same_since_ns[slot] = t;
          s.stuck[slot] = 0;
        } else if (!s.stuck[slot] && t - s.same_since_ns[slot] >= stuck_ns) {
          s.stuck[slot] = 1;
          ++c.stuck_episodes;
        }
      }
      if (names_.counter[slot] && s.count[slot] > 0 && t >= s.origin_ns) {
        const double delta = static_cast<double>(v) - static_cast<double>(s.value[slot]);
        s.counter_total[slot] += delta >= 0.0 ? delta : static_cast<double>(v);
      }
      s.value[slot] = v;
      s.time_ns[slot] = t;
      s.quality[slot] = q;
      ++s.count[slot];
      ++c.applied;
      if (listener_ != nullptr) listener_->on_sample(static_cast<uint32_t>(slot), t, v, q);
    } else if (t >= sub_sat(s.newest_ns[slot], window)) {
      ++c.superseded;
    } else {
      ++c.late;
      continue;
    }
    if (t > s.newest_ns[slot]) s.newest_ns[slot] = t;
  }
}

void Mirror::add_mode_change(int32_t machine, int64_t log_time_ns, int64_t time_ns,
                             telemetry::Mode mode) {
  MirrorCounters& c = state_.counters;
  ++c.events_in;
  if (machine < 0 || static_cast<size_t>(machine) >= state_.mode.size()) {
    ++c.events_unknown_machine;
    return;
  }
  if (mode <= telemetry::MODE_UNKNOWN || mode >= kTelemetryModes ||
      time_ns > add_sat(log_time_ns, seconds_to_ns(options_.max_future_s)) ||
      time_ns < sub_sat(log_time_ns, seconds_to_ns(options_.max_past_s))) {
    ++c.events_bad;
    return;
  }
  if (log_time_ns > state_.now_ns) advance_to(log_time_ns);
  PendingEvent e;
  e.time_ns = time_ns;
  e.seq = state_.event_seq++;
  e.machine = static_cast<uint32_t>(machine);
  e.kind = 0;
  e.code = static_cast<uint8_t>(mode);
  state_.pending.push_back(e);
  std::push_heap(state_.pending.begin(), state_.pending.end(), later);
}

void Mirror::add_part_event(int32_t machine, int64_t log_time_ns, int64_t time_ns,
                            telemetry::PartEvent::Kind kind, double cycle_time_s,
                            uint16_t product) {
  MirrorCounters& c = state_.counters;
  ++c.events_in;
  if (machine < 0 || static_cast<size_t>(machine) >= state_.mode.size()) {
    ++c.events_unknown_machine;
    return;
  }
  if (kind <= telemetry::PartEvent::KIND_UNKNOWN || kind > telemetry::PartEvent::KIND_REWORKED ||
      !std::isfinite(cycle_time_s) ||
      time_ns > add_sat(log_time_ns, seconds_to_ns(options_.max_future_s)) ||
      time_ns < sub_sat(log_time_ns, seconds_to_ns(options_.max_past_s))) {
    ++c.events_bad;
    return;
  }
  if (log_time_ns > state_.now_ns) advance_to(log_time_ns);
  PendingEvent e;
  e.time_ns = time_ns;
  e.seq = state_.event_seq++;
  e.machine = static_cast<uint32_t>(machine);
  e.kind = 1;
  e.code = static_cast<uint8_t>(kind);
  e.cycle_time_s = static_cast<float>(cycle_time_s);
  e.product = product;
  state_.pending.push_back(e);
  std::push_heap(state_.pending.begin(), state_.pending.end(), later);
}

void Mirror::set_mode(uint32_t machine, int64_t time_ns, uint8_t mode) {
  MirrorState& s = state_;
  const uint8_t old = s.mode[machine];
  if (old == mode) return;
  const int64_t from = std::max(s.mode_since_ns[machine], s.origin_ns);
  if (time_ns > from)
    s.mode_seconds[machine][old] += static_cast<double>(sub_sat(time_ns, from)) * 1e-9;
  const double t = static_cast<double>(sub_sat(time_ns, s.origin_ns)) * 1e-9;
  if (active(old) && !active(mode) && s.active_since_s[machine] >= 0.0) {
    if (t > 0.0) {
      s.active_periods.push_back({std::max(s.active_since_s[machine], 0.0), t, machine});
    }
    s.active_since_s[machine] = -1.0;
  } else if (!active(old) && active(mode)) {
    s.active_since_s[machine] = t;
  }
  s.mode[machine] = mode;
  s.mode_since_ns[machine] = time_ns;
}

void Mirror::apply_event(const PendingEvent& e) {
  MirrorState& s = state_;
  if (e.time_ns < s.applied_event_ns[e.machine]) {
    ++s.counters.events_late;
    return;
  }
  s.applied_event_ns[e.machine] = e.time_ns;
  if (e.kind == 0) {
    set_mode(e.machine, e.time_ns, e.code);
    if (listener_ != nullptr) listener_->on_mode(e.machine, e.time_ns, e.code);
    return;
  }
  if (listener_ != nullptr) listener_->on_part(e.machine, e.time_ns, e.code, e.product);
  if (e.time_ns < s.origin_ns) return;
  switch (e.code) {
    case telemetry::PartEvent::KIND_STARTED:
      ++s.started[e.machine];
      break;
    case telemetry::PartEvent::KIND_FINISHED:
      ++s.good[e.machine];
      break;
    case telemetry::PartEvent::KIND_SCRAPPED:
      ++s.scrap[e.machine];
      break;
    case telemetry::PartEvent::KIND_REWORKED:
      ++s.reworked[e.machine];
      break;
    default:
      break;
  }
  if (e.code != telemetry::PartEvent::KIND_STARTED && e.cycle_time_s > 0.0f) {
    s.cycle_sum_s[e.machine] += e.cycle_time_s;
    ++s.cycle_count[e.machine];
  }
}

void Mirror::release(int64_t until_ns) {
  until_ns = std::min(until_ns, state_.window_end_ns);  // later events belong to no window
  std::vector<PendingEvent>& heap = state_.pending;
  while (!heap.empty() && heap.front().time_ns <= until_ns) {
    std::pop_heap(heap.begin(), heap.end(), later);
    const PendingEvent e = heap.back();
    heap.pop_back();
    apply_event(e);
  }
}

void Mirror::sweep(int64_t now_ns) {
  MirrorState& s = state_;
  const size_t nt = s.value.size();
  for (size_t t = 0; t < nt; ++t) {
    if (s.count[t] == 0 || s.stale[t]) continue;
    if (sub_sat(now_ns, s.newest_ns[t]) > names_.stale_after_ns[t]) {
      s.stale[t] = 1;
      ++s.counters.stale_episodes;
    }
  }
  s.last_sweep_ns = now_ns;
}

void Mirror::advance_to(int64_t log_time_ns) {
  MirrorState& s = state_;
  if (log_time_ns <= s.now_ns) return;
  s.now_ns = log_time_ns;
  const int64_t released = log_time_ns - seconds_to_ns(options_.reorder_window_s);
  if (!s.pending.empty()) release(released);
  if (listener_ != nullptr) listener_->on_released(std::min(released, s.window_end_ns));
  if (sub_sat(log_time_ns, s.last_sweep_ns) >= kNsPerS) sweep(log_time_ns);
}

void Mirror::finish(int64_t end_ns) {
  state_.window_end_ns = std::min(state_.window_end_ns, end_ns);
  end_ns = std::max(state_.window_end_ns, state_.origin_ns);
  // Events inside the window are applied; any stamped after its end stay pending (they belong
  // to a later window).
  release(end_ns);
  if (listener_ != nullptr) listener_->on_released(end_ns);
  MirrorState& s = state_;
  // Close the open modes (and active periods) at the end of the window.
  for (uint32_t m = 0; m < s.mode.size(); ++m) {
    const int64_t from = std::max(s.mode_since_ns[m], s.origin_ns);
    if (end_ns > from)
      s.mode_seconds[m][s.mode[m]] += static_cast<double>(sub_sat(end_ns, from)) * 1e-9;
    s.mode_since_ns[m] = std::max(end_ns, s.mode_since_ns[m]);
    if (s.active_since_s[m] >= 0.0) {
      const double t = static_cast<double>(sub_sat(end_ns, s.origin_ns)) * 1e-9;
      if (t > s.active_since_s[m]) s.active_periods.push_back({s.active_since_s[m], t, m});
      s.active_since_s[m] = t;
    }
  }
  if (end_ns > s.now_ns) s.now_ns = end_ns;
}

}  // namespace twin
