#include "viewer/series_store.h"

#include <algorithm>
#include <cmath>

namespace twin::viewer {

namespace {

// Appends `v` to the ring (`head` its oldest element, `size` elements held) in `buf`, dropping
// the oldest when full. `buf` must not be empty.
template <typename T>
void ring_push(std::vector<T>& buf, size_t& head, size_t& size, const T& v) {
  const size_t cap = buf.size();
  if (size < cap) {
    const size_t at = head + size;
    buf[at < cap ? at : at - cap] = v;
    ++size;
  } else {  // full: overwrite the oldest
    buf[head] = v;
    head = head + 1 < cap ? head + 1 : 0;
  }
}

}  // namespace

// ---- TagSeries ----------------------------------------------------------------------------

TagSeries::TagSeries(size_t capacity) : time_ns_(capacity, 0), value_(capacity, 0.0f) {}

bool TagSeries::append(int64_t time_ns, float value) {
  const size_t cap = time_ns_.size();
  if (cap == 0 || (size_ > 0 && time_ns <= time_at(size_ - 1))) {
    ++dropped_;
    return false;
  }
  size_t p;
  if (size_ < cap) {
    p = physical(size_);
    ++size_;
  } else {  // full: the newest sample takes the oldest one's place
    p = head_;
    head_ = head_ + 1 < cap ? head_ + 1 : 0;
  }
  time_ns_[p] = time_ns;
  value_[p] = value;
  return true;
}

void TagSeries::clear() {
  head_ = 0;
  size_ = 0;
  dropped_ = 0;
}

size_t TagSeries::lower_bound(int64_t time_ns) const {
  size_t lo = 0;
  size_t hi = size_;
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    if (time_at(mid) < time_ns) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

size_t TagSeries::query(int64_t t0_ns, int64_t t1_ns, size_t buckets,
                        std::vector<SeriesBucket>& out) const {
  constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
  out.assign(buckets, SeriesBucket{kNaN, kNaN, kNaN, kNaN, 0});
  if (buckets == 0 || t1_ns <= t0_ns) return 0;
  // Bucket edges as offsets from t0, in unsigned arithmetic so that any t0 < t1 works (the span
  // of a range reaching kOpenEnd does not fit int64). b * width <= span and b * rem < buckets^2.
  const uint64_t span = static_cast<uint64_t>(t1_ns) - static_cast<uint64_t>(t0_ns);
  const uint64_t n = buckets;
  const uint64_t width = span / n;
  const uint64_t rem = span % n;
  auto edge = [&](uint64_t b) { return b * width + b * rem / n; };
  size_t b = 0;
  uint64_t next = edge(1);
  size_t count = 0;
  for (size_t i = lower_bound(t0_ns); i < size_; ++i) {
    const size_t p = physical(i);
    const int64_t t = time_ns_[p];
    if (t >= t1_ns) break;
    const uint64_t offset = static_cast<uint64_t>(t) - static_cast<uint64_t>(t0_ns);
    while (offset >= next) next = edge(++b + 1);  // offset < span = edge(n): b stays < n
    const float v = value_[p];
    SeriesBucket& o = out[b];
    if (o.count == 0) {
      o.first = o.min = o.max = v;
    } else {
      o.min = std::min(o.min, v);
      o.max = std::max(o.max, v);
    }
    o.last = v;
    ++o.count;
    ++count;
  }
  return count;
}

// ---- ModeTimeline -------------------------------------------------------------------------

ModeTimeline::ModeTimeline(size_t capacity) : segments_(capacity) {}

void ModeTimeline::change(int64_t time_ns, uint8_t mode) {
  if (segments_.empty()) return;
  if (size_ > 0) {
    ModeSegment& cur = back();
    if (cur.mode == mode) return;  // still in it: the open segment extends by itself
    if (time_ns <= cur.start_ns) {
      cur.mode = mode;
      if (size_ >= 2) {
        ModeSegment& prev = segments_[physical(size_ - 2)];
        if (prev.mode == mode) {
          prev.end_ns = kOpenEnd;
          --size_;
        }
      }
      return;
    }
    cur.end_ns = time_ns;
  }
  ModeSegment s;
  s.start_ns = time_ns;
  s.end_ns = kOpenEnd;
  s.mode = mode;
  ring_push(segments_, head_, size_, s);
}

void ModeTimeline::clear() {
  head_ = 0;
  size_ = 0;
}

void ModeTimeline::query(int64_t t0_ns, int64_t t1_ns, std::vector<ModeSegment>& out) const {
  out.clear();
  if (t1_ns <= t0_ns) return;
  // Ends are in time order as well: find the first segment that ends after t0.
  size_t lo = 0;
  size_t hi = size_;
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    if (at(mid).end_ns <= t0_ns) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  for (size_t i = lo; i < size_; ++i) {
    ModeSegment s = at(i);
    if (s.start_ns >= t1_ns) break;
    s.start_ns = std::max(s.start_ns, t0_ns);
    s.end_ns = std::min(s.end_ns, t1_ns);
    out.push_back(s);
  }
}

// ---- AlarmMarks ---------------------------------------------------------------------------

AlarmMarks::AlarmMarks(size_t capacity) : marks_(capacity) {}

uint32_t AlarmMarks::intern(std::string_view code) {
  const auto it = code_index_.find(code);
  if (it != code_index_.end()) return it->second;
  const uint32_t index = static_cast<uint32_t>(codes_.size());
  codes_.emplace_back(code);
  code_index_.emplace(codes_.back(), index);
  return index;
}

void AlarmMarks::add(int64_t time_ns, uint32_t machine, std::string_view code, bool active,
                     uint8_t severity) {
  if (marks_.empty()) return;
  AlarmMark m;
  m.time_ns = time_ns;
  m.machine = machine;
  m.code = intern(code);
  m.active = active ? 1 : 0;
  m.severity = severity;
  ring_push(marks_, head_, size_, m);
}

void AlarmMarks::clear() {
  head_ = 0;
  size_ = 0;
}

void AlarmMarks::query(int32_t machine, int64_t t0_ns, int64_t t1_ns,
                       std::vector<AlarmMark>& out) const {
  out.clear();
  for (size_t i = 0; i < size_; ++i) {
    const AlarmMark& m = at(i);
    if (machine >= 0 && m.machine != static_cast<uint32_t>(machine)) continue;
    if (m.time_ns >= t0_ns && m.time_ns < t1_ns) out.push_back(m);
  }
}

// ---- SeriesStore --------------------------------------------------------------------------

SeriesStore::SeriesStore(const MirrorModel& names, SeriesOptions options)
    : alarms_(options.alarms), tag_offset_(names.tag_offset) {
  const size_t nm = names.machine.size();
  const size_t nt = names.tag_name.size();
  tags_.reserve(nt);
  for (size_t t = 0; t < nt; ++t) tags_.emplace_back(options.samples_per_tag);
  real_.reserve(nm);
  twin_.reserve(nm);
  for (size_t m = 0; m < nm; ++m) {
    real_.emplace_back(options.segments_per_machine);
    twin_.emplace_back(options.segments_per_machine);
    machine_index_.emplace(names.machine[m], static_cast<int32_t>(m));
  }
  tag_index_.reserve(nt);
  for (size_t t = 0; t < nt; ++t)
    tag_index_.emplace_back(names.tag_name[t], static_cast<int32_t>(t));
  for (size_t m = 0; m + 1 < tag_offset_.size(); ++m) {
    std::sort(tag_index_.begin() + tag_offset_[m], tag_index_.begin() + tag_offset_[m + 1]);
  }
  synced_time_ns_.assign(nt, 0);
  synced_mode_.assign(nm, static_cast<uint8_t>(telemetry::MODE_UNKNOWN));
}

int32_t SeriesStore::find_machine(std::string_view machine) const {
  const auto it = machine_index_.find(machine);
  return it == machine_index_.end() ? -1 : it->second;
}

int32_t SeriesStore::find_tag(uint32_t machine, std::string_view tag) const {
  if (machine + 1 >= tag_offset_.size()) return -1;
  const auto begin = tag_index_.begin() + tag_offset_[machine];
  const auto end = tag_index_.begin() + tag_offset_[machine + 1];
  const auto it = std::lower_bound(
      begin, end, tag, [](const auto& entry, std::string_view name) { return entry.first < name; });
  return it != end && it->first == tag ? it->second : -1;
}

void SeriesStore::add(const live::StateChange& change) {
  for (const live::TagValue& v : change.tags()) {
    if (v.time_ns() == 0) continue;  // no value yet
    const int32_t m = find_machine(v.machine());
    if (m < 0) {
      ++counters_.unknown_machine;
      continue;
    }
    const int32_t slot = find_tag(static_cast<uint32_t>(m), v.tag());
    if (slot < 0) {
      ++counters_.unknown_tag;
      continue;
    }
    TagSeries& series = tags_[static_cast<size_t>(slot)];
    // The same value again (a stale or stuck flag changed): nothing new to plot, and not a
    // sample out of order either.
    if (series.size() > 0 && series.time_at(series.size() - 1) == v.time_ns()) continue;
    series.append(v.time_ns(), static_cast<float>(v.value()));
  }
  for (const live::MachineMode& mode : change.modes()) {
    const int32_t m = find_machine(mode.machine());
    if (m < 0) {
      ++counters_.unknown_machine;
      continue;
    }
    if (mode.mode() < 0 || mode.mode() >= kTelemetryModes) {
      ++counters_.bad_mode;
      continue;
    }
    real_[static_cast<size_t>(m)].change(mode.since_ns(), static_cast<uint8_t>(mode.mode()));
  }
  for (const telemetry::Alarm& alarm : change.alarms()) {
    const int32_t m = find_machine(alarm.machine());
    if (m < 0) {
      ++counters_.unknown_machine;
      continue;
    }
    alarms_.add(alarm.time_ns(), static_cast<uint32_t>(m), alarm.code(), alarm.active(),
                static_cast<uint8_t>(alarm.severity()));
  }
}

void SeriesStore::sync_from(const Mirror& mirror) {
  const MirrorState& s = mirror.state();
  const size_t nt = std::min(tags_.size(), s.time_ns.size());
  for (size_t t = 0; t < nt; ++t) {
    const int64_t time = s.time_ns[t];
    if (time == synced_time_ns_[t]) continue;
    synced_time_ns_[t] = time;
    if (time != 0) tags_[t].append(time, s.value[t]);
  }
  // A mode is compared, not its start: a machine that went A -> B -> A between two syncs would
  // only extend A in the timeline anyway.
  const size_t nm = std::min(real_.size(), s.mode.size());
  for (size_t m = 0; m < nm; ++m) {
    if (s.mode[m] == synced_mode_[m]) continue;
    synced_mode_[m] = s.mode[m];
    real_[m].change(s.mode_since_ns[m], s.mode[m]);
  }
}

void SeriesStore::add_alarm(int64_t time_ns, uint32_t machine, std::string_view code, bool active,
                            uint8_t severity) {
  if (machine < real_.size()) alarms_.add(time_ns, machine, code, active, severity);
}

void SeriesStore::add_twin_mode(uint32_t machine, int64_t time_ns, uint8_t mode) {
  if (machine < twin_.size()) twin_[machine].change(time_ns, mode);
}

void SeriesStore::clear() {
  for (TagSeries& t : tags_) t.clear();
  for (ModeTimeline& m : real_) m.clear();
  for (ModeTimeline& m : twin_) m.clear();
  alarms_.clear();
  std::fill(synced_time_ns_.begin(), synced_time_ns_.end(), 0);
  std::fill(synced_mode_.begin(), synced_mode_.end(),
            static_cast<uint8_t>(telemetry::MODE_UNKNOWN));
}

}  // namespace twin::viewer
