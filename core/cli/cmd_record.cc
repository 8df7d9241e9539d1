// twin record SCENE SOURCE.mcap -o OUT.mcap: captures a telemetry source together with the
// twin's outputs: every message of the source (ground truth included, untouched) plus the
// mirror's snapshots (/twin/snapshot) at each keyframe interval, so later replays can seek
// straight to any time, and a last snapshot at the end.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "core/cli/cli_common.h"
#include "core/mirror/mirror_snapshot.h"
#include "core/telemetry/telemetry.h"
#include "replay/player.h"
#include "replay/telemetry_writer.h"

namespace twin::cli {

namespace {

struct RecordFlags {
  std::string scene;
  std::string source;
  std::string output;
  double keyframe_s = 60.0;
  std::string compression = "zstd";
  bool quiet = false;
};

// Copies the source's channels and messages into the output (old snapshots left out: the
// recording gets fresh ones from this mirror).
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

int run_record(const RecordFlags& f) {
  SceneLoadResult scene;
  if (!load_scene_or_report(f.scene, scene)) return kExitInvalidInput;
  TelemetryWriterOptions wo;
  wo.compression = f.compression == "lz4"    ? mcap::Compression::Lz4
                   : f.compression == "none" ? mcap::Compression::None
                                             : mcap::Compression::Zstd;
  TelemetryWriter writer;
  if (!writer.open(f.output, wo)) {
    print_error("cannot write " + f.output + ": " + writer.error());
    return kExitFailure;
  }
  Copier copier(writer);
  PlayOptions po;
  po.tee = &copier;
  po.keyframe_interval_s = f.keyframe_s;
  po.keep_keyframes = false;
  bool first = true;
  uint64_t snapshots = 0;
  po.on_keyframe = [&](int64_t log, const Mirror& mirror) {
    writer.write_snapshot(static_cast<uint64_t>(log), make_snapshot(mirror, first, true));
    first = false;
    ++snapshots;
  };
  Player player(scene.model);
  const PlayResult r = player.play(f.source, po);
  if (!r.ok) {
    print_error(f.source + ": " + r.error);
    return kExitInvalidInput;
  }
  if (!r.read.damage.empty())
    print_error(f.source + ": damaged, recorded what was readable: " + mcap::describe_damage(r.read));
  // The final state, after the window closed.
  writer.write_snapshot(static_cast<uint64_t>(std::max(r.window_end_ns, player.mirror().state().now_ns)),
                        make_snapshot(player.mirror(), first, false));
  ++snapshots;
  if (!writer.close() || copier.failed) {
    print_error("writing " + f.output + " failed: " + writer.error());
    return kExitFailure;
  }
  if (!f.quiet) {
    std::printf("%s: %llu messages of %s and %llu twin snapshots (every %.0f s)\n", f.output.c_str(),
                static_cast<unsigned long long>(copier.copied), f.source.c_str(),
                static_cast<unsigned long long>(snapshots), f.keyframe_s);
  }
  return kExitOk;
}

}  // namespace

void add_record_command(CLI::App& app, Context& ctx) {
  auto f = std::make_shared<RecordFlags>();
  CLI::App* cmd = app.add_subcommand(
      "record", "Record a telemetry source with the twin's snapshots (keyframes) to MCAP");
  cmd->add_option("scene", f->scene, "Scene file (YAML)")->required()->type_name("FILE");
  cmd->add_option("source", f->source, "Telemetry source: a recording (MCAP)")
      ->required()
      ->type_name("FILE.mcap");
  cmd->add_option("-o,--output", f->output, "MCAP file to write")->required()->type_name("FILE.mcap");
  cmd->add_option("--keyframe", f->keyframe_s, "Seconds between twin snapshots")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--compression", f->compression, "Chunk compression")
      ->check(CLI::IsMember({"zstd", "lz4", "none"}))
      ->capture_default_str();
  cmd->add_flag("--quiet,-q", f->quiet, "Print nothing");
  cmd->callback([f, &ctx] { ctx.exit_code = run_record(*f); });
}

}  // namespace twin::cli
