// twin record SCENE SOURCE.mcap -o OUT.mcap: captures a telemetry source together with the
// twin's outputs: every message of the source (ground truth included, untouched) plus the
// mirror's snapshots (/twin/snapshot) at each keyframe interval, so later replays can seek
// straight to any time, and a last snapshot at the end.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "core/cli/cli_common.h"
#include "replay/recorder.h"

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

int run_record(const RecordFlags& f) {
  SceneLoadResult scene;
  if (!load_scene_or_report(f.scene, scene)) return kExitInvalidInput;
  RecordOptions ro;
  ro.keyframe_interval_s = f.keyframe_s;
  ro.writer.compression = f.compression == "lz4"    ? mcap::Compression::Lz4
                          : f.compression == "none" ? mcap::Compression::None
                                                    : mcap::Compression::Zstd;
  const RecordResult r = record_mcap(scene.model, f.source, f.output, ro);
  if (!r.ok) {
    print_error(r.error);
    return r.play.ok ? kExitFailure : kExitInvalidInput;
  }
  if (!r.play.read.damage.empty())
    print_error(f.source +
                ": damaged, recorded what was readable: " + mcap::describe_damage(r.play.read));
  if (!f.quiet) {
    std::printf("%s: %llu messages of %s and %llu twin snapshots (every %.0f s)\n",
                f.output.c_str(), static_cast<unsigned long long>(r.copied), f.source.c_str(),
                static_cast<unsigned long long>(r.snapshots), f.keyframe_s);
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
  cmd->add_option("-o,--output", f->output, "MCAP file to write")
      ->required()
      ->type_name("FILE.mcap");
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
