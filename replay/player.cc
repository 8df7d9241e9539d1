#include "replay/player.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <thread>

#include "core/mirror/mirror_snapshot.h"
#include "core/telemetry/sample_decoder.h"
#include "core/telemetry/telemetry.h"
#include "twin/telemetry.pb.h"

namespace twin {

namespace {

constexpr uint64_t kNoEnd = std::numeric_limits<uint64_t>::max();

// Seconds to ns, clamped to +-30 years so sums with plausible clock times cannot overflow.
int64_t to_ns(double s) {
  constexpr double kLimit = 30 * 365.25 * 86400.0;
  if (!(s > -kLimit)) s = -kLimit;  // also NaN
  if (s > kLimit) s = kLimit;
  return static_cast<int64_t>(std::llround(s * 1e9));
}

// Arrival times beyond 2^62 ns (year 2116) are clamped: they only come from damaged files, and
// keep every sum with a window length in range.
constexpr int64_t kMaxLogNs = int64_t{1} << 62;
int64_t clamp_log(uint64_t log_time) {
  return log_time > static_cast<uint64_t>(kMaxLogNs) ? kMaxLogNs : static_cast<int64_t>(log_time);
}

// A time from channel metadata, if it is a plausible clock time (1990..2100), else 0.
int64_t parse_ns(const std::map<std::string, std::string>& meta, const char* key) {
  auto it = meta.find(key);
  if (it == meta.end()) return 0;
  try {
    const long long v = std::stoll(it->second);
    return v >= 631152000LL * 1000000000LL && v <= 4102444800LL * 1000000000LL ? v : 0;
  } catch (...) {
    return 0;
  }
}

using Clock = std::chrono::steady_clock;

}  // namespace

// Routes the messages of one stream to the mirror.
class Player::Sink final : public mcap::MessageSink {
 public:
  struct ChannelInfo {
    TopicKind kind = TopicKind::kUnknown;
    int32_t machine = -1;
    ChannelBinding binding;
  };

  Sink(Player& player, const PlayOptions& options, bool restored)
      : player_(player), options_(options), started_(restored) {}

  void on_channel(const mcap::Channel& channel, const mcap::Schema* schema) override {
    if (options_.tee != nullptr) options_.tee->on_channel(channel, schema);
    if (channels_.size() <= channel.id) channels_.resize(size_t{channel.id} + 1);
    ChannelInfo& info = channels_[channel.id];
    std::string machine;
    info.kind = classify_topic(channel.topic, &machine);
    if (info.kind == TopicKind::kSamples) {
      auto it = channel.metadata.find("tags");
      info.binding = player_.mirror_.bind_samples(machine, it == channel.metadata.end()
                                                               ? std::vector<std::string>{}
                                                               : split_list(it->second));
      info.machine = info.binding.machine;
    } else if (info.kind == TopicKind::kMode || info.kind == TopicKind::kParts) {
      info.machine = player_.mirror_.find_machine(machine);
    }
    // The shift's times travel with each machine's samples channel, or its mode channel when
    // the machine has no sample tags.
    if (info.kind == TopicKind::kSamples || info.kind == TopicKind::kMode) {
      if (shift_start_ns == 0) shift_start_ns = parse_ns(channel.metadata, "shift_start_ns");
      if (shift_end_ns == 0) shift_end_ns = parse_ns(channel.metadata, "shift_end_ns");
    }
  }

  bool on_message(const mcap::MessageView& m) override {
    const int64_t log = clamp_log(m.log_time);
    const ChannelInfo* info = m.channel_id < channels_.size() ? &channels_[m.channel_id] : nullptr;
    const TopicKind kind = info != nullptr ? info->kind : TopicKind::kUnknown;
    if (kind == TopicKind::kTruth) {
      // For scoring only: the mirror never reads it (a recorder still copies it).
      if (options_.tee != nullptr && !options_.tee->on_message(m)) return false;
      ++truth_skipped;
      return true;
    }
    if (!started_) start(log);
    if (static_cast<uint64_t>(log) >= end_ns) return false;
    ++messages;
    if ((messages & 1023) == 0) pace(log);
    // Points inside the window only; play() adds the one at the window end after the last
    // late message has been applied.
    while (log >= next_series_ns && next_series_ns < series_limit_ns()) {
      skip_empty_series(log);
      emit_series(next_series_ns);
    }
    if (keyframe_ns > 0 && log >= next_keyframe_ns && log > last_log_ns) {
      if (options_.keep_keyframes) player_.keyframes_.push_back({log, player_.mirror_.state()});
      if (options_.on_keyframe) options_.on_keyframe(log, player_.mirror_);
      next_keyframe_ns += ((log - next_keyframe_ns) / keyframe_ns + 1) * keyframe_ns;
    }
    if (options_.tee != nullptr && !options_.tee->on_message(m)) return false;
    Mirror& mirror = player_.mirror_;
    mirror.advance_to(log);
    switch (kind) {
      case TopicKind::kSamples:
        if (decode_sample_batch(m.data, batch_)) {
          mirror.apply_samples(info->binding, log, batch_);
        } else {
          mirror.count_malformed();
        }
        break;
      case TopicKind::kMode:
        if (mode_.ParseFromArray(m.data.data(), static_cast<int>(m.data.size()))) {
          mirror.add_mode_change(info->machine, log, mode_.time_ns(), mode_.mode());
        } else {
          mirror.count_malformed();
        }
        break;
      case TopicKind::kParts:
        if (part_.ParseFromArray(m.data.data(), static_cast<int>(m.data.size()))) {
          mirror.add_part_event(info->machine, log, part_.time_ns(), part_.kind(),
                                part_.cycle_time_s(), mirror.find_product(part_.product()));
        } else {
          mirror.count_malformed();
        }
        break;
      case TopicKind::kAlarms:
        ++alarms;
        // Parsed whether or not anyone listens, so the damage counts do not depend on it.
        if (alarm_.ParseFromArray(m.data.data(), static_cast<int>(m.data.size()))) {
          if (options_.on_alarm) options_.on_alarm(alarm_);
        } else {
          mirror.count_malformed();
        }
        break;
      case TopicKind::kSnapshot:
        break;  // keyframes: used by seek()
      default:
        mirror.count_unknown_topic();
        break;
    }
    last_log_ns = std::max(last_log_ns, log);
    return true;
  }

  // Fixes the time origin at the first message: the shift start from the channel metadata when
  // the recording has it, else the first arrival.
  void start(int64_t first_log) {
    started_ = true;
    if (shift_start_ns == 0) shift_start_ns = first_log;
    player_.shift_start_ns_ = shift_start_ns;
    window_start_ns = shift_start_ns + to_ns(options_.from_s);
    player_.mirror_.reset(window_start_ns);
    if (series_limit_ns() < std::numeric_limits<int64_t>::max())
      player_.mirror_.set_window_end(std::max(series_limit_ns(), window_start_ns));
    init_clocks(first_log);
  }
  void init_clocks(int64_t first_log) {
    end_ns = options_.to_s >= 0.0 ? static_cast<uint64_t>(shift_start_ns + to_ns(options_.to_s))
                                  : kNoEnd;
    const int64_t series = to_ns(options_.series_interval_s);
    next_series_ns = options_.on_series && series > 0 ? window_start_ns + series
                                                      : std::numeric_limits<int64_t>::max();
    keyframe_ns = to_ns(options_.keyframe_interval_s);
    next_keyframe_ns = first_log;
    wall_start = Clock::now();
    first_log_ns = first_log;
    last_progress = wall_start;
  }

  // The last time a series point may be emitted while streaming (exclusive).
  int64_t series_limit_ns() const {
    int64_t limit = std::numeric_limits<int64_t>::max();
    if (shift_end_ns > shift_start_ns) limit = shift_end_ns;
    if (options_.to_s >= 0.0) limit = std::min(limit, shift_start_ns + to_ns(options_.to_s));
    return limit;
  }

  // A jump of the clock (a gap in the recording, or a damaged arrival time far ahead) skips
  // the series points in between but the last, instead of emitting millions of them.
  void skip_empty_series(int64_t until_ns) {
    const int64_t step = to_ns(options_.series_interval_s);
    if (step > 0 && until_ns - next_series_ns > 64 * step)
      next_series_ns += (until_ns - next_series_ns) / step * step;
  }

  void emit_series(int64_t t_ns) {
    options_.on_series(static_cast<double>(t_ns - window_start_ns) * 1e-9, player_.mirror_);
    next_series_ns += to_ns(options_.series_interval_s);
  }

  // Real-time pacing (speed > 0) and progress reports, checked every 1024 messages.
  void pace(int64_t log) {
    const auto now = Clock::now();
    if (options_.speed > 0.0) {
      const double replayed = static_cast<double>(log - first_log_ns) * 1e-9 / options_.speed;
      const auto due = wall_start + std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(replayed));
      if (due > now + std::chrono::milliseconds(2)) std::this_thread::sleep_until(due);
    }
    if (options_.on_progress && now - last_progress > std::chrono::milliseconds(500)) {
      last_progress = now;
      const double total = shift_end_ns > shift_start_ns
                               ? static_cast<double>(shift_end_ns - window_start_ns) * 1e-9
                               : 0.0;
      options_.on_progress(static_cast<double>(log - window_start_ns) * 1e-9, total);
    }
  }

  int64_t shift_start_ns = 0, shift_end_ns = 0, window_start_ns = 0;
  int64_t last_log_ns = std::numeric_limits<int64_t>::min();
  uint64_t end_ns = kNoEnd;
  int64_t next_series_ns = std::numeric_limits<int64_t>::max();
  int64_t keyframe_ns = 0, next_keyframe_ns = 0, first_log_ns = 0;
  uint64_t messages = 0, truth_skipped = 0, alarms = 0;
  Clock::time_point wall_start, last_progress;

 private:
  Player& player_;
  const PlayOptions& options_;
  bool started_ = false;
  std::vector<ChannelInfo> channels_;
  DecodedBatch batch_;
  telemetry::ModeChange mode_;
  telemetry::PartEvent part_;
  telemetry::Alarm alarm_;
};

Player::Player(const Model& model, MirrorOptions options) : mirror_(model, options) {}
Player::~Player() = default;

PlayResult Player::play(const std::string& path, const PlayOptions& options) {
  PlayResult result;
  keyframes_.clear();
  Sink sink(*this, options, false);
  const auto wall = Clock::now();
  result.read = mcap::stream_mcap(path, sink);
  result.wall_s = std::chrono::duration<double>(Clock::now() - wall).count();
  if (!result.read.valid_magic) {
    result.error = mcap::describe_damage(result.read);
    return result;
  }
  if (sink.messages == 0 && sink.window_start_ns == 0) {
    result.error = "no telemetry in " + path;
    if (!result.read.damage.empty())
      result.error += " (" + mcap::describe_damage(result.read) + ")";
    return result;
  }
  result.ok = true;
  result.messages = sink.messages;
  result.truth_messages_skipped = sink.truth_skipped;
  result.shift_start_ns = sink.shift_start_ns;
  result.window_start_ns = sink.window_start_ns;
  // The window ends at the requested time, else the shift end the recording states, else the
  // last arrival.
  int64_t end = sink.last_log_ns;
  if (sink.shift_end_ns > sink.shift_start_ns) end = sink.shift_end_ns;
  if (options.to_s >= 0.0) end = sink.shift_start_ns + to_ns(options.to_s);
  end = std::max(end, sink.window_start_ns);
  if (options.on_series) {
    while (sink.next_series_ns < end) {
      sink.skip_empty_series(end - 1);
      sink.emit_series(sink.next_series_ns);
    }
  }
  mirror_.advance_to(end);  // the clock reaches the window end, as after seek()
  mirror_.finish(end);
  result.window_end_ns = end;
  // The last point, at the window end (once, with every message applied).
  if (options.on_series)
    options.on_series(static_cast<double>(end - sink.window_start_ns) * 1e-9, mirror_);
  return result;
}

namespace {

// Finds the last /twin/snapshot at or before `target` among messages in a range.
class SnapshotFinder final : public mcap::MessageSink {
 public:
  explicit SnapshotFinder(int64_t target) : target_(target) {}
  void on_channel(const mcap::Channel& channel, const mcap::Schema*) override {
    if (channel.topic == kSnapshotTopic) channel_ = static_cast<int32_t>(channel.id);
  }
  bool on_message(const mcap::MessageView& m) override {
    if (clamp_log(m.log_time) > target_) return false;
    if (static_cast<int32_t>(m.channel_id) == channel_) {
      data.assign(m.data.begin(), m.data.end());
      log_time = clamp_log(m.log_time);
    }
    return true;
  }
  std::string data;
  int64_t log_time = 0;

 private:
  int64_t target_;
  int32_t channel_ = -1;
};

}  // namespace

namespace {

// Learns the shift start: from samples channel metadata, else the first telemetry arrival.
class StartFinder final : public mcap::MessageSink {
 public:
  void on_channel(const mcap::Channel& channel, const mcap::Schema*) override {
    const TopicKind kind = classify_topic(channel.topic);
    if (start_ns == 0 && (kind == TopicKind::kSamples || kind == TopicKind::kMode))
      start_ns = parse_ns(channel.metadata, "shift_start_ns");
  }
  bool on_message(const mcap::MessageView& m) override {
    // The first message decides (ground truth is written at the shift start too).
    if (start_ns == 0) start_ns = clamp_log(m.log_time);
    return false;
  }
  int64_t start_ns = 0;
};

}  // namespace

bool Player::open(const std::string& path) {
  if (!file_.is_open() || file_.path() != path) file_.open(path);
  StartFinder finder;
  const mcap::ReadResult r = file_.stream(finder);
  if (!r.valid_magic || finder.start_ns == 0) return false;
  shift_start_ns_ = finder.start_ns;
  keyframes_.clear();
  return true;
}

bool Player::seek(const std::string& path, double t_s, PlayResult* result) {
  if (!file_.is_open() || file_.path() != path) file_.open(path);  // falls back to scans
  if (shift_start_ns_ == 0 && !open(path)) {
    if (result != nullptr) result->error = "cannot read " + path;
    return false;
  }
  PlayResult local;
  PlayResult& r = result != nullptr ? *result : local;
  r = PlayResult{};
  const auto wall = Clock::now();
  const int64_t target = shift_start_ns_ + to_ns(t_s);
  // 1. The latest keyframe at or before the target: in memory, else in the file (snapshots are
  // written every keyframe interval, so a window of a few minutes before the target has one).
  const Keyframe* best = nullptr;
  for (const Keyframe& k : keyframes_) {
    if (k.log_time_ns <= target && (best == nullptr || k.log_time_ns > best->log_time_ns))
      best = &k;
  }
  int64_t resume_ns = 0;
  bool restored = false;
  if (best != nullptr) {
    mirror_.mutable_state() = best->state;
    resume_ns = best->log_time_ns;
    restored = true;
  } else if (shift_start_ns_ != 0) {
    for (int64_t lookback : {to_ns(60.0), to_ns(300.0), to_ns(3600.0)}) {
      SnapshotFinder finder(target);
      mcap::StreamOptions so;
      so.start_ns = static_cast<uint64_t>(std::max<int64_t>(target - lookback, 0));
      so.end_ns = static_cast<uint64_t>(target) + 1;
      so.topics = {std::string(kSnapshotTopic)};
      file_.stream(finder, so);
      telemetry::TwinSnapshot snap;
      if (!finder.data.empty() && snap.ParseFromString(finder.data) &&
          deserialize_mirror_state(snap.mirror_state(), mirror_.names(), mirror_.mutable_state())) {
        resume_ns = finder.log_time;
        restored = true;
        break;
      }
    }
  }
  // 2. Replay from there to the target. Without a keyframe it starts from an empty mirror (even
  // when no message comes before the target: seeking back to the start must not keep the state
  // of an earlier seek).
  if (!restored) mirror_.reset(shift_start_ns_);
  PlayOptions options;
  options.to_s = t_s;
  Sink sink(*this, options, restored);
  mcap::StreamOptions so;
  if (restored) {
    sink.shift_start_ns = shift_start_ns_;
    sink.window_start_ns = mirror_.state().origin_ns;
    sink.init_clocks(resume_ns);
    so.start_ns = static_cast<uint64_t>(resume_ns);
    r.keyframes_used = 1;
  }
  so.end_ns = static_cast<uint64_t>(target);
  r.read = file_.stream(sink, so);
  if (!r.read.valid_magic) {
    r.error = mcap::describe_damage(r.read);
    return false;
  }
  mirror_.advance_to(target);
  r.ok = true;
  r.messages = sink.messages;
  r.shift_start_ns = shift_start_ns_ != 0 ? shift_start_ns_ : sink.shift_start_ns;
  r.window_start_ns = mirror_.state().origin_ns;
  r.window_end_ns = target;
  r.wall_s = std::chrono::duration<double>(Clock::now() - wall).count();
  return true;
}

}  // namespace twin
