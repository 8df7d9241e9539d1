// The mirror: keeps a State of the real plant consistent with its telemetry. Tag samples update
// each tag's last value; mode changes and part events (through a bounded reorder window) update
// each machine's mode, time in mode and counters, from which the real KPIs follow. Dirty data is
// expected: duplicates, out-of-order and late samples, stale tags and gaps, stuck values, NaN,
// far-off timestamps and unknown machines or tags are each counted, never fatal.
//
// Names are resolved once per channel (bind_samples); the hot path (apply_samples) works on
// slot indices and allocates nothing. MirrorState is plain data: copying it is a keyframe, and
// restoring a copy continues bit-identically (seek).
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/model/model.h"
#include "core/telemetry/sample_decoder.h"
#include "models/process/line_state.h"
#include "twin/telemetry.pb.h"

namespace twin {

inline constexpr int kTelemetryModes = 8;  // telemetry::Mode values 0..7
// Sample times remembered per tag to tell a retransmitted (duplicate) sample from an
// out-of-order one: 16 covers a 10 Hz tag resent with the next one-second batch.
inline constexpr size_t kRecentTimes = 16;

struct MirrorOptions {
  double reorder_window_s = 2.0;  // [s] events are held this long to put them in time order
  double stale_periods = 5.0;     // a tag is stale after this many sample periods without data
  double min_stale_s = 5.0;       // [s] ... but never sooner than this
  double stuck_s = 30.0;          // [s] identical values this long on a noisy signal: stuck
  double max_future_s = 600.0;    // [s] samples further ahead of their arrival are rejected
  double max_past_s = 86400.0;    // [s] samples older than this at arrival are rejected
};

// Why samples and messages were rejected or flagged. Every sample in is counted exactly once as
// applied, superseded (older than the tag's current value but inside the reorder window) or
// under one rejection reason.
struct MirrorCounters {
  uint64_t samples_in = 0;
  uint64_t applied = 0;          // became the tag's current value
  uint64_t superseded = 0;       // out of order inside the window: counted, current value kept
  uint64_t duplicates = 0;       // same tag and time as a recent sample
  uint64_t late = 0;             // older than the reorder window behind the tag's latest sample
  uint64_t future = 0;           // time too far ahead of arrival
  uint64_t past = 0;             // time too far behind arrival
  uint64_t non_finite = 0;       // NaN or infinite values
  uint64_t bad_quality = 0;      // quality BAD: not applied
  uint64_t unknown_tag = 0;      // the machine has no such tag in the scene
  uint64_t unknown_machine = 0;  // samples of machines the scene does not have
  uint64_t bad_tag_index = 0;    // tag index beyond the channel's tag list
  uint64_t events_in = 0;        // mode changes and part events
  uint64_t events_late = 0;      // arrived after their machine's later events were applied
  uint64_t events_unknown_machine = 0;
  uint64_t events_bad = 0;          // unknown mode or kind, far-off times
  uint64_t malformed_messages = 0;  // undecodable payloads
  uint64_t unknown_topics = 0;      // messages on topics the mirror does not read
  uint64_t stale_episodes = 0;      // a tag went silent for longer than its stale limit
  uint64_t gaps = 0;                // a stale tag came back
  uint64_t stuck_episodes = 0;      // a noisy tag repeated one value for stuck_s
};

// A part event's product when the source names none (or one the scene does not have).
inline constexpr uint16_t kNoProduct = 0xFFFF;

// An event waiting in the reorder window.
// No implicit padding (spares are explicit), so serialised states are bit-identical.
struct PendingEvent {
  int64_t time_ns = 0;  // device time
  uint64_t seq = 0;     // arrival order (ties)
  uint32_t machine = 0;
  float cycle_time_s = 0.0f;      // [s] part events
  uint8_t kind = 0;               // 0 mode change, 1 part event
  uint8_t code = 0;               // telemetry::Mode, or PartEvent::Kind
  uint16_t product = kNoProduct;  // part events: index into the scene's products
  uint32_t spare32 = 0;
};
static_assert(sizeof(PendingEvent) == 32);

struct MirrorState {
  int64_t origin_ns = 0;  // [ns] start of the KPI window (shift start)
  // [ns] end of the KPI window when known in advance (a recording's shift end, --to): events
  // after it are held back and time in mode is counted up to it only. INT64_MAX: open.
  int64_t window_end_ns = std::numeric_limits<int64_t>::max();
  int64_t now_ns = 0;         // [ns] replay clock: latest arrival (log time) seen
  int64_t last_sweep_ns = 0;  // [ns] last stale/stuck sweep

  // Tags (n_t; machine m owns [tag_offset[m], tag_offset[m + 1]) of MirrorModel).
  std::vector<float> value;        // last applied value
  std::vector<int64_t> time_ns;    // [ns] device time of that value, 0 = none yet
  std::vector<int64_t> newest_ns;  // [ns] newest sample time seen (applied or not)
  std::vector<std::array<int64_t, kRecentTimes>> recent_ns;  // [ns] last sample times
  std::vector<uint8_t> recent_head;                          // next slot of recent_ns
  std::vector<uint8_t> quality;                              // telemetry::Quality of the value
  std::vector<uint64_t> count;                               // [samples] applied
  std::vector<uint8_t> stale;                                // 1 while stale
  std::vector<int64_t> same_since_ns;  // [ns] arrival of the first of a run of equal values
  std::vector<uint8_t> stuck;          // 1 while stuck
  // Counter tags (part and scrap counts): increments inside the window, counter resets (a
  // value below the previous one) counted as a restart from 0.
  std::vector<double> counter_total;  // [count]

  // Machines (n_m).
  std::vector<uint8_t> mode;           // telemetry::Mode, MODE_UNKNOWN before the first change
  std::vector<int64_t> mode_since_ns;  // [ns] device time the current mode began
  std::vector<std::array<double, kTelemetryModes>> mode_seconds;  // [s] inside the window
  std::vector<int64_t> applied_event_ns;                 // [ns] time of the latest applied event
  std::vector<uint64_t> started, good, scrap, reworked;  // [parts] inside the window
  std::vector<double> cycle_sum_s;                       // [s] sum of reported cycle times
  std::vector<uint64_t> cycle_count;
  std::vector<double> clock_offset_s;        // [s] min over messages of (arrival - device time)
  std::vector<double> active_since_s;        // [s from origin] open active period, or -1
  std::vector<ActivePeriod> active_periods;  // closed, [s from origin]

  std::vector<PendingEvent> pending;  // min-heap by (time_ns, seq)
  uint64_t event_seq = 0;
  MirrorCounters counters;
};

// What a samples channel's tag list means for this scene: the slot of each of its tags.
struct ChannelBinding {
  int32_t machine = -1;       // -1: unknown machine
  std::vector<int32_t> slot;  // per channel tag index: tag slot, or -1 (unknown tag)
};

// Names and fixed per-tag facts of the mirrored scene (immutable once built).
struct MirrorModel {
  std::vector<std::string> machine;     // (n_m) names
  std::vector<uint32_t> tag_offset;     // (n_m + 1)
  std::vector<std::string> tag_name;    // (n_t) "<tag>"
  std::vector<std::string> tag_unit;    // (n_t)
  std::vector<uint32_t> tag_machine;    // (n_t)
  std::vector<int> tag_signal;          // (n_t) twin::Signal
  std::vector<int64_t> stale_after_ns;  // (n_t) [ns]
  std::vector<uint8_t> noisy;           // (n_t) 1: an analog signal that never repeats exactly
  std::vector<uint8_t> counter;         // (n_t) 1: a part or scrap counter
  std::vector<std::string> product;     // (n_p) the scene's product names
};

MirrorModel build_mirror_model(const Model& model, const MirrorOptions& options);

// Sees what the mirror accepts, in the order it accepts it: estimators and detectors that need
// every sample (not just the current value) listen here. Samples come as applied (each tag's in
// increasing time; superseded, duplicate and rejected ones never); modes and part events as
// released from the reorder window, so a listener that conditions samples on the mode buffers
// them until `on_released` says every event before that time has been applied. Not part of
// the State: keyframes and copies carry no listener.
class MirrorListener {
 public:
  virtual ~MirrorListener() = default;
  virtual void on_sample(uint32_t slot, int64_t time_ns, float value, uint8_t quality) = 0;
  virtual void on_mode(uint32_t machine, int64_t time_ns, uint8_t mode) = 0;
  // `product`: index into the scene's products, kNoProduct when the event names none.
  virtual void on_part(uint32_t machine, int64_t time_ns, uint8_t kind, uint16_t product) = 0;
  // Every event stamped up to `until_ns` [ns] has been applied.
  virtual void on_released(int64_t until_ns) = 0;
};

class Mirror {
 public:
  Mirror(const Model& model, MirrorOptions options = {});

  const MirrorModel& names() const { return names_; }
  const MirrorState& state() const { return state_; }
  MirrorState& mutable_state() { return state_; }
  const MirrorOptions& options() const { return options_; }
  // Not owned; nullptr stops the calls. Set before the data starts.
  void set_listener(MirrorListener* listener) { listener_ = listener; }

  // Starts the KPI window at `origin_ns` (usually the shift start).
  void reset(int64_t origin_ns);
  // Ends the window at `end_ns` before the data gets there (see MirrorState::window_end_ns).
  void set_window_end(int64_t end_ns) { state_.window_end_ns = end_ns; }

  // Resolves a samples channel's machine and tag names. Unknown ones bind to -1 (their samples
  // are counted as rejected when they come).
  ChannelBinding bind_samples(std::string_view machine, const std::vector<std::string>& tags) const;
  int32_t find_machine(std::string_view machine) const;
  // A product's index in the scene; kNoProduct for "" or a name the scene does not have.
  uint16_t find_product(std::string_view product) const;

  // The hot path: one decoded batch that arrived at `log_time_ns`.
  void apply_samples(const ChannelBinding& binding, int64_t log_time_ns, const DecodedBatch& batch);
  // Events go through the reorder window; machine -1 counts an unknown machine.
  void add_mode_change(int32_t machine, int64_t log_time_ns, int64_t time_ns, telemetry::Mode mode);
  void add_part_event(int32_t machine, int64_t log_time_ns, int64_t time_ns,
                      telemetry::PartEvent::Kind kind, double cycle_time_s,
                      uint16_t product = kNoProduct);
  void count_malformed() { ++state_.counters.malformed_messages; }
  // The source says a tag's value is no longer known (a Sparkplug death): stale until it speaks.
  void mark_stale(uint32_t slot) {
    if (slot < state_.stale.size() && !state_.stale[slot]) {
      state_.stale[slot] = 1;
      ++state_.counters.stale_episodes;
    }
  }
  void count_unknown_topic() { ++state_.counters.unknown_topics; }

  // Moves the replay clock to `log_time_ns`: releases events older than the reorder window and
  // sweeps for stale and stuck tags (once per replay second).
  void advance_to(int64_t log_time_ns);
  // Releases every pending event and closes the window at `end_ns` (time in mode up to it).
  void finish(int64_t end_ns);
  // Applies the pending events stamped up to `until_ns` now, without waiting for the reorder
  // window and without closing the window (a live source that has stopped sending).
  void flush_events(int64_t until_ns) { release(until_ns); }

 private:
  void release(int64_t until_ns);
  void apply_event(const PendingEvent& e);
  void set_mode(uint32_t machine, int64_t time_ns, uint8_t mode);
  void sweep(int64_t now_ns);

  MirrorOptions options_;
  MirrorModel names_;
  std::map<std::string, int32_t, std::less<>> machine_index_;  // name -> machine
  MirrorState state_;
  MirrorListener* listener_ = nullptr;
};

}  // namespace twin
