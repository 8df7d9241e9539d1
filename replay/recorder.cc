#include "replay/recorder.h"

#include <algorithm>
#include <vector>

#include "core/mirror/mirror_snapshot.h"
#include "core/telemetry/telemetry.h"

namespace twin {

namespace {

// Copies the source's channels and messages (old snapshots left out: the recording gets fresh
// ones from this mirror).
class Copier final : public mcap::MessageSink {
 public:
  explicit Copier(TelemetryWriter& out) : out_(out) {}
  void on_channel(const mcap::Channel& channel, const mcap::Schema* schema) override {
    if (ids_.size() <= channel.id) ids_.resize(size_t{channel.id} + 1, 0);
    if (channel.topic == kSnapshotTopic) return;
    ids_[channel.id] = out_.copy_channel(channel, schema);
  }
  bool on_message(const mcap::MessageView& m) override {
    const uint16_t id = m.channel_id < ids_.size() ? ids_[m.channel_id] : 0;
    if (id == 0) return true;
    if (!out_.write_raw(id, m.sequence, m.log_time, m.publish_time, m.data)) failed = true;
    ++copied;
    return !failed;
  }
  bool failed = false;
  uint64_t copied = 0;

 private:
  TelemetryWriter& out_;
  std::vector<uint16_t> ids_;
};

}  // namespace

RecordResult record_mcap(const Model& model, const std::string& source, const std::string& output,
                         const RecordOptions& options) {
  RecordResult result;
  TelemetryWriter writer;
  if (!writer.open(output, options.writer)) {
    result.error = "cannot write " + output + ": " + writer.error();
    return result;
  }
  Copier copier(writer);
  PlayOptions po;
  po.tee = &copier;
  po.keyframe_interval_s = options.keyframe_interval_s;
  po.keep_keyframes = false;
  bool first = true;
  po.on_keyframe = [&](int64_t log, const Mirror& mirror) {
    writer.write_snapshot(static_cast<uint64_t>(log), make_snapshot(mirror, first, true));
    first = false;
    ++result.snapshots;
  };
  Player player(model);
  result.play = player.play(source, po);
  if (!result.play.ok) {
    writer.close();
    result.error = source + ": " + result.play.error;
    return result;
  }
  // The final state, after the window closed (no mirror_state: it is not a keyframe).
  const int64_t end = std::max(result.play.window_end_ns, player.mirror().state().now_ns);
  writer.write_snapshot(static_cast<uint64_t>(end), make_snapshot(player.mirror(), first, false));
  ++result.snapshots;
  result.copied = copier.copied;
  if (!writer.close() || copier.failed) {
    result.error = "writing " + output + " failed: " + writer.error();
    return result;
  }
  result.ok = true;
  return result;
}

}  // namespace twin
