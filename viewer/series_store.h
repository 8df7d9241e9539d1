// What the viewer's time plots and mode strips read (issue 5): per tag a bounded ring of
// (time, value) samples, per machine a timeline of mode segments for the real plant and for the
// twin, and the alarms raised and cleared. Plain data with no GUI: the plots are drawn by hand
// with ImDrawList (Debian has no ImPlot) from what query() returns.
//
// Fed either from a live source (add(StateChange), the twin's stream) or from a replay
// (sync_from(Mirror) after each step). A seek calls clear(); the replay then re-fills the store
// from the keyframe on. Every buffer is sized at construction, so feeding allocates nothing
// (alarm codes aside: a code never seen before is interned once).
//
// Memory: 12 bytes per sample (time and value in separate arrays, no padding). 250 machines x
// 20 tags x 8 h at 1 Hz = 5,000 tags x 28,800 samples = 144 M samples = 1.73 GB (1.61 GiB),
// which is too much to reserve up front for a big line: pass a smaller
// SeriesOptions::samples_per_tag (1 h: 216 MB). Mode timelines: 24 bytes per segment, 4,096 per
// machine and side = 49 MB for 250 machines; alarms: 24 bytes each.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/mirror/mirror.h"
#include "twin/live.pb.h"

namespace twin::viewer {

inline constexpr int64_t kOpenEnd = std::numeric_limits<int64_t>::max();

// One pixel column (bucket) of a plot. Min and max, not an average, so a one-sample spike among
// 28,800 points drawn into 600 columns still shows; first and last join the columns into a line.
// Empty buckets have count 0 and NaN values.
struct SeriesBucket {
  float first = 0.0f;  // value of the oldest sample in the bucket
  float min = 0.0f;    // smallest value in the bucket
  float max = 0.0f;    // largest value in the bucket
  float last = 0.0f;   // value of the newest sample in the bucket
  uint32_t count = 0;  // [samples] in the bucket
};

// A bounded ring of one tag's samples in time order. When full, the oldest sample is overwritten.
class TagSeries {
 public:
  TagSeries() = default;
  explicit TagSeries(size_t capacity);

  // Appends a sample newer than the newest one. A sample at or before the newest time (a
  // duplicate or out of order: the mirror already ordered them) is dropped, counted, and false
  // is returned.
  bool append(int64_t time_ns, float value);
  void clear();

  size_t size() const { return size_; }
  size_t capacity() const { return time_ns_.size(); }
  uint64_t dropped() const { return dropped_; }
  // The i-th oldest sample (i < size()).
  int64_t time_at(size_t i) const { return time_ns_[physical(i)]; }
  float value_at(size_t i) const { return value_[physical(i)]; }
  // Index of the first sample at or after `time_ns` (size() when none): binary search.
  size_t lower_bound(int64_t time_ns) const;

  // Min-max decimation of the samples in [t0_ns, t1_ns) into `buckets` equal time buckets
  // (bucket i covers [t0 + i*(t1-t0)/buckets, t0 + (i+1)*(t1-t0)/buckets)). `out` is resized to
  // `buckets` (no allocation once it has the capacity). O(log size + samples in range +
  // buckets). Returns the number of samples in the range. t1_ns <= t0_ns or 0 buckets: all empty.
  size_t query(int64_t t0_ns, int64_t t1_ns, size_t buckets, std::vector<SeriesBucket>& out) const;

 private:
  size_t physical(size_t i) const {
    const size_t p = head_ + i;
    return p < time_ns_.size() ? p : p - time_ns_.size();
  }

  std::vector<int64_t> time_ns_;  // [ns] sample times (capacity), ring
  std::vector<float> value_;      // sample values in the tag's unit (capacity), ring
  size_t head_ = 0;               // physical index of the oldest sample
  size_t size_ = 0;               // [samples] held
  uint64_t dropped_ = 0;          // [samples] refused by append (not newer than the newest)
};

// A span of time a machine spent in one mode. No implicit padding.
struct ModeSegment {
  int64_t start_ns = 0;       // [ns] device time the mode began
  int64_t end_ns = kOpenEnd;  // [ns] when the next mode began; kOpenEnd: still in it
  uint8_t mode = 0;           // telemetry::Mode
  uint8_t spare8[7] = {};
};
static_assert(sizeof(ModeSegment) == 24);

// One machine's modes over time (one row of the Gantt strip), bounded: the oldest segment is
// dropped when full.
class ModeTimeline {
 public:
  ModeTimeline() = default;
  explicit ModeTimeline(size_t capacity);

  // The machine entered `mode` at `time_ns`. The same mode as the current one extends it (no new
  // segment). A different mode at or before the current segment's start replaces the current
  // segment's mode (it keeps its start; if that makes it equal to the previous segment's mode
  // the two merge). Otherwise the current segment ends at `time_ns` and a new one opens.
  void change(int64_t time_ns, uint8_t mode);
  void clear();

  size_t size() const { return size_; }
  size_t capacity() const { return segments_.size(); }
  const ModeSegment& at(size_t i) const { return segments_[physical(i)]; }  // i-th oldest

  // The segments overlapping [t0_ns, t1_ns), oldest first, clipped to the range; `out` is
  // cleared first (no allocation once it has the capacity). O(log size + segments in range).
  void query(int64_t t0_ns, int64_t t1_ns, std::vector<ModeSegment>& out) const;

 private:
  size_t physical(size_t i) const {
    const size_t p = head_ + i;
    return p < segments_.size() ? p : p - segments_.size();
  }
  ModeSegment& back() { return segments_[physical(size_ - 1)]; }

  std::vector<ModeSegment> segments_;  // (capacity) ring, in time order
  size_t head_ = 0;                    // physical index of the oldest segment
  size_t size_ = 0;                    // segments held
};

// One alarm raised or cleared. No implicit padding.
struct AlarmMark {
  int64_t time_ns = 0;   // [ns] when raised or cleared
  uint32_t machine = 0;  // machine index (MirrorModel::machine)
  uint32_t code = 0;     // index into AlarmMarks::code_name()
  uint8_t active = 0;    // 1 raised, 0 cleared
  uint8_t severity = 0;  // telemetry::Severity
  uint8_t spare8[6] = {};
};
static_assert(sizeof(AlarmMark) == 24);

// Alarms in arrival order, bounded: the oldest are dropped when full.
class AlarmMarks {
 public:
  AlarmMarks() = default;
  explicit AlarmMarks(size_t capacity);

  void add(int64_t time_ns, uint32_t machine, std::string_view code, bool active,
           uint8_t severity = 0);
  void clear();  // keeps the interned codes (their indices stay valid)

  size_t size() const { return size_; }
  size_t capacity() const { return marks_.size(); }
  const AlarmMark& at(size_t i) const { return marks_[(head_ + i) % marks_.size()]; }
  const std::string& code_name(uint32_t code) const { return codes_[code]; }

  // Marks of `machine` (-1: all machines) with time in [t0_ns, t1_ns), in arrival order; `out` is
  // cleared first. A linear scan of the (bounded) list: alarms are few.
  void query(int32_t machine, int64_t t0_ns, int64_t t1_ns, std::vector<AlarmMark>& out) const;

 private:
  uint32_t intern(std::string_view code);

  std::vector<AlarmMark> marks_;                             // (capacity) ring
  size_t head_ = 0;                                          // physical index of the oldest
  size_t size_ = 0;                                          // marks held
  std::vector<std::string> codes_;                           // (n_codes) alarm code names
  std::map<std::string, uint32_t, std::less<>> code_index_;  // name -> index in codes_
};

struct SeriesOptions {
  size_t samples_per_tag = 28800;      // [samples] per tag: 8 h at 1 Hz
  size_t segments_per_machine = 4096;  // [segments] per machine, real and twin each
  size_t alarms = 4096;                // [marks] all machines together
};

// What add(StateChange) could not place (samples a series refused: TagSeries::dropped()).
struct SeriesCounters {
  uint64_t unknown_machine = 0;  // tag values, modes and alarms of machines not in the scene
  uint64_t unknown_tag = 0;      // tag values of tags the machine does not have
  uint64_t bad_mode = 0;         // modes outside telemetry::Mode
};

// Everything the plots read, for every tag slot and machine of a mirrored scene.
class SeriesStore {
 public:
  explicit SeriesStore(const MirrorModel& names, SeriesOptions options = {});

  // Live: folds one change of the twin's stream in (tag values, the real modes and alarms).
  // Names are looked up in maps built once; nothing is allocated (new alarm codes aside).
  void add(const live::StateChange& change);
  // Replay: after a step of `mirror` (a mirror of the same scene), appends each tag whose value
  // time moved since the last sync and each machine whose mode changed. Only the newest value
  // per tag since the previous call is seen, so call it after every replay step. O(tags +
  // machines), no allocation. Mirror::finish() moves mode_since_ns to the window end: a sync
  // after it would start the last mode change there (use flush_events() to drain the window).
  void sync_from(const Mirror& mirror);
  // An alarm of a recording (live alarms come with add(StateChange)).
  void add_alarm(int64_t time_ns, uint32_t machine, std::string_view code, bool active,
                 uint8_t severity);
  // The twin's own mode for the lower row of a machine's strip.
  void add_twin_mode(uint32_t machine, int64_t time_ns, uint8_t mode);
  // Forgets all samples, segments and marks (a seek), keeping the buffers.
  void clear();

  size_t n_tags() const { return tags_.size(); }
  size_t n_machines() const { return real_.size(); }
  const TagSeries& tag(uint32_t slot) const { return tags_[slot]; }
  const ModeTimeline& real_modes(uint32_t machine) const { return real_[machine]; }
  const ModeTimeline& twin_modes(uint32_t machine) const { return twin_[machine]; }
  const AlarmMarks& alarms() const { return alarms_; }
  const SeriesCounters& counters() const { return counters_; }

  int32_t find_machine(std::string_view machine) const;            // -1: unknown
  int32_t find_tag(uint32_t machine, std::string_view tag) const;  // slot, -1: unknown

 private:
  std::vector<TagSeries> tags_;     // (n_t) by mirror tag slot
  std::vector<ModeTimeline> real_;  // (n_m) modes the plant reported
  std::vector<ModeTimeline> twin_;  // (n_m) modes the twin computed
  AlarmMarks alarms_;
  SeriesCounters counters_;

  std::vector<uint32_t> tag_offset_;                           // (n_m + 1) as MirrorModel
  std::map<std::string, int32_t, std::less<>> machine_index_;  // name -> machine
  // (n_t) (tag name, slot) sorted by name within each machine's range [tag_offset_[m],
  // tag_offset_[m + 1]), for binary search by name.
  std::vector<std::pair<std::string, int32_t>> tag_index_;

  // What sync_from has seen, to tell what moved.
  std::vector<int64_t> synced_time_ns_;  // [ns] (n_t) MirrorState::time_ns at the last sync
  std::vector<uint8_t> synced_mode_;     // (n_m) MirrorState::mode at the last sync
};

}  // namespace twin::viewer
