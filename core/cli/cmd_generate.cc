// twin generate SCENE -o shift.mcap: the plant simulator. Runs the scene as if it were the real
// plant and records what its sensors would report, dirt and injected faults included, to MCAP.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "core/cli/cli_common.h"
#include "core/cli/plant_flags.h"
#include "core/cli/shift_steps.h"
#include "models/plant/plant_simulator.h"
#include "replay/telemetry_writer.h"

namespace twin::cli {

namespace {

struct GenerateFlags {
  std::string scene;
  std::string output;
  PlantFlags plant;
  std::string compression = "zstd";
  double uniform_rate_hz = 0.0;
  uint32_t extra_tags = 0;
  bool no_summary = false;
  bool quiet = false;
};

int run_generate(const GenerateFlags& f) {
  SceneLoadResult scene;
  if (!load_scene_or_report(f.scene, scene)) return kExitInvalidInput;
  PlantOptions options;
  if (!plant_options_from_flags(scene.model, f.plant, options)) return kExitInvalidInput;
  options.uniform_rate_hz = f.uniform_rate_hz;
  options.extra_tags = f.extra_tags;

  TelemetryWriterOptions wo;
  wo.compression = f.compression == "lz4"    ? mcap::Compression::Lz4
                   : f.compression == "none" ? mcap::Compression::None
                                             : mcap::Compression::Zstd;
  wo.write_summary = !f.no_summary;
  return write_plant_recording(scene.model, options, wo, f.output, f.quiet);
}

}  // namespace

int write_plant_recording(const Model& model, const PlantOptions& options,
                          const TelemetryWriterOptions& writer_options, const std::string& output,
                          bool quiet) {
  TelemetryWriter writer;
  if (!writer.open(output, writer_options)) {
    print_error("cannot write " + output + ": " + writer.error());
    return kExitFailure;
  }
  const auto start = std::chrono::steady_clock::now();
  const PlantReport r = run_plant(model, options, writer);
  if (!writer.close() || r.write_failed) {
    print_error("writing " + output + " failed: " + writer.error());
    return kExitFailure;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!quiet) {
    std::printf("%s: %.1f h of %s, seed %llu, %u machines\n", output.c_str(), options.hours,
                model.name.c_str(), static_cast<unsigned long long>(options.seed),
                model.machine_count());
    std::printf(
        "  %llu samples in %llu batches, %llu mode changes, %llu part events, %llu alarms\n",
        static_cast<unsigned long long>(r.samples), static_cast<unsigned long long>(r.batches),
        static_cast<unsigned long long>(r.mode_changes),
        static_cast<unsigned long long>(r.part_events), static_cast<unsigned long long>(r.alarms));
    std::printf(
        "  dirt: %llu dropped, %llu stuck, %llu out of order, %llu duplicated, %llu late batches\n",
        static_cast<unsigned long long>(r.dropped), static_cast<unsigned long long>(r.stuck),
        static_cast<unsigned long long>(r.reordered), static_cast<unsigned long long>(r.duplicated),
        static_cast<unsigned long long>(r.late_batches));
    std::printf("  faults: %zu%s\n", options.faults.size(),
                options.faults.empty() ? "" : " (ground truth in /truth/faults)");
    for (const FaultSpec& s : options.faults) {
      std::printf("    %-15s %-16s fails at %.2f h (precursor from %.2f h)\n",
                  faults::Fault::Kind_Name(s.kind).c_str(), s.target.c_str(), s.at_s / 3600.0,
                  (s.at_s - s.precursor_s) / 3600.0);
    }
    std::printf("  truth: %llu good parts, %.1f parts/h; generated in %.2f s\n",
                static_cast<unsigned long long>(r.truth.line.good_parts),
                r.truth.line.throughput_per_h, seconds);
  }
  return kExitOk;
}

void add_generate_command(CLI::App& app, Context& ctx) {
  auto f = std::make_shared<GenerateFlags>();
  CLI::App* cmd = app.add_subcommand(
      "generate",
      "Plant simulator: run a scene as the real plant and record its telemetry to MCAP");
  cmd->add_option("scene", f->scene, "Scene file (YAML)")->required()->type_name("FILE");
  cmd->add_option("-o,--output", f->output, "MCAP file to write")
      ->required()
      ->type_name("FILE.mcap");
  add_plant_flags(*cmd, f->plant);
  cmd->add_option("--compression", f->compression, "Chunk compression")
      ->check(CLI::IsMember({"zstd", "lz4", "none"}))
      ->capture_default_str();
  cmd->add_option("--uniform-rate", f->uniform_rate_hz,
                  "Sample every tag at this rate [Hz] (benchmark files)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--extra-tags", f->extra_tags,
                  "Add N generic process tags per machine (benchmark files)");
  cmd->add_flag("--no-summary", f->no_summary,
                "Leave out the MCAP summary, as a recorder that was killed would");
  cmd->add_flag("--quiet,-q", f->quiet, "Print nothing");
  cmd->callback([f, &ctx] { ctx.exit_code = run_generate(*f); });
}

}  // namespace twin::cli
