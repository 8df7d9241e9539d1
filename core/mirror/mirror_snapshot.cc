#include "core/mirror/mirror_snapshot.h"

#include <cstring>
#include <type_traits>

namespace twin {

namespace {

constexpr uint32_t kMagic = 0x544d5334;  // "TMS4": twin mirror state, version 4 (part products)

class Out {
 public:
  explicit Out(std::string& s) : s_(s) {}
  template <typename T>
  void pod(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    s_.append(reinterpret_cast<const char*>(&v), sizeof(T));
  }
  template <typename T>
  void vec(const std::vector<T>& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    pod(static_cast<uint64_t>(v.size()));
    if (!v.empty()) s_.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
  }

 private:
  std::string& s_;
};

class In {
 public:
  explicit In(std::string_view s) : s_(s) {}
  bool ok = true;
  template <typename T>
  void pod(T& v) {
    if (!ok || s_.size() - pos_ < sizeof(T)) {
      ok = false;
      return;
    }
    std::memcpy(&v, s_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
  }
  // `expected` = required length, or SIZE_MAX for any length.
  template <typename T>
  void vec(std::vector<T>& v, size_t expected) {
    uint64_t n = 0;
    pod(n);
    if (!ok || (expected != SIZE_MAX && n != expected) || n > (s_.size() - pos_) / sizeof(T)) {
      ok = false;
      return;
    }
    v.resize(static_cast<size_t>(n));
    if (n > 0) std::memcpy(v.data(), s_.data() + pos_, static_cast<size_t>(n) * sizeof(T));
    pos_ += static_cast<size_t>(n) * sizeof(T);
  }
  bool at_end() const { return pos_ == s_.size(); }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

template <typename Visitor, typename State>
void visit_arrays(Visitor&& f, State& s, size_t nt, size_t nm) {
  f(s.value, nt);
  f(s.time_ns, nt);
  f(s.newest_ns, nt);
  f(s.recent_ns, nt);
  f(s.recent_head, nt);
  f(s.quality, nt);
  f(s.count, nt);
  f(s.stale, nt);
  f(s.same_since_ns, nt);
  f(s.stuck, nt);
  f(s.counter_total, nt);
  f(s.mode, nm);
  f(s.mode_since_ns, nm);
  f(s.mode_seconds, nm);
  f(s.applied_event_ns, nm);
  f(s.started, nm);
  f(s.good, nm);
  f(s.scrap, nm);
  f(s.reworked, nm);
  f(s.cycle_sum_s, nm);
  f(s.cycle_count, nm);
  f(s.clock_offset_s, nm);
  f(s.active_since_s, nm);
  f(s.active_periods, SIZE_MAX);
  f(s.pending, SIZE_MAX);
}

}  // namespace

std::string serialize_mirror_state(const MirrorState& s) {
  std::string bytes;
  Out out(bytes);
  out.pod(kMagic);
  out.pod(s.origin_ns);
  out.pod(s.window_end_ns);
  out.pod(s.now_ns);
  out.pod(s.last_sweep_ns);
  out.pod(s.event_seq);
  out.pod(s.counters);
  visit_arrays([&](const auto& v, size_t) { out.vec(v); }, s, 0, 0);
  return bytes;
}

bool deserialize_mirror_state(std::string_view bytes, const MirrorModel& model, MirrorState& s,
                              std::string* error) {
  In in(bytes);
  uint32_t magic = 0;
  in.pod(magic);
  if (!in.ok || magic != kMagic) {
    if (error != nullptr) *error = "not a twin mirror state (or another version)";
    return false;
  }
  in.pod(s.origin_ns);
  in.pod(s.window_end_ns);
  in.pod(s.now_ns);
  in.pod(s.last_sweep_ns);
  in.pod(s.event_seq);
  in.pod(s.counters);
  const size_t nt = model.tag_name.size();
  const size_t nm = model.machine.size();
  visit_arrays([&](auto& v, size_t n) { in.vec(v, n); }, s, nt, nm);
  if (in.ok) {
    for (const PendingEvent& e : s.pending) in.ok = in.ok && e.machine < nm;
    for (const ActivePeriod& p : s.active_periods) in.ok = in.ok && p.machine < nm;
    for (uint8_t m : s.mode) in.ok = in.ok && m < kTelemetryModes;
    for (uint8_t h : s.recent_head) in.ok = in.ok && h < kRecentTimes;  // indexes recent_ns
  }
  if (!in.ok || !in.at_end()) {
    if (error != nullptr) *error = "mirror state does not match this scene, or is damaged";
    return false;
  }
  return true;
}

telemetry::TwinSnapshot make_snapshot(const Mirror& mirror, bool with_names, bool with_state) {
  const MirrorState& s = mirror.state();
  const MirrorModel& names = mirror.names();
  telemetry::TwinSnapshot snap;
  snap.set_time_ns(s.now_ns);
  for (size_t m = 0; m < s.mode.size(); ++m) {
    if (with_names) snap.add_machine(names.machine[m]);
    snap.add_mode(static_cast<telemetry::Mode>(s.mode[m]));
    snap.add_mode_since_ns(s.mode_since_ns[m]);
    snap.add_good(s.good[m]);
    snap.add_scrap(s.scrap[m]);
    for (double v : s.mode_seconds[m]) snap.add_mode_seconds(v);
  }
  for (size_t t = 0; t < s.value.size(); ++t) {
    if (with_names) {
      std::string name = names.machine[names.tag_machine[t]];
      name += '/';
      name += names.tag_name[t];
      snap.add_tag_name(name);
    }
    snap.add_tag_value(s.value[t]);
    snap.add_tag_time_ns(s.time_ns[t]);
  }
  if (with_state) snap.set_mirror_state(serialize_mirror_state(s));
  return snap;
}

}  // namespace twin
