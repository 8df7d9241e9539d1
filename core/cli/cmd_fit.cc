// twin fit SCENE HEALTHY.mcap -o FIT.json: fits each machine's healthy condition models (the
// current a cut draws for its tool wear, the vibration its load gives) from a recording the
// user knows to be healthy, for `twin score --fit` and the live monitor.
#include <cstdio>
#include <limits>
#include <memory>
#include <string>

#include "core/cli/cli_common.h"
#include "core/mirror/condition_monitor.h"
#include "replay/player.h"

namespace twin::cli {

namespace {

struct FitFlags {
  std::string scene;
  std::string log;
  std::string out;
  bool quiet = false;
};

int run_fit(const FitFlags& f) {
  SceneLoadResult scene;
  if (!load_scene_or_report(f.scene, scene)) return kExitInvalidInput;
  const Model& model = scene.model;
  Player player(model);
  ConditionMonitorOptions options;
  options.baseline_s = std::numeric_limits<double>::infinity();  // all of it is healthy
  ConditionMonitor monitor(model, player.mirror().names(), options);
  player.mirror().set_listener(&monitor);
  const PlayResult r = player.play(f.log, PlayOptions());
  player.mirror().set_listener(nullptr);
  if (!r.ok) {
    print_error(f.log + ": " + r.error);
    return kExitInvalidInput;
  }
  MonitorFit fit = monitor.fit();
  fit.source = f.log;
  if (fit.machines.empty()) {
    print_error(f.log + ": no machine ran long enough with current or vibration tags to fit");
    return kExitInvalidInput;
  }
  std::string error;
  if (!save_monitor_fit(fit, f.out, error)) {
    print_error(error);
    return kExitFailure;
  }
  if (!f.quiet) {
    std::printf("%-22s %10s %26s %30s\n", "machine", "running", "current = a + b wear",
                "vibration = a + b current");
    for (const MachineFit& m : fit.machines) {
      char cur[64] = "-", vib[64] = "-";
      if (m.current_vs_wear.ok())
        std::snprintf(cur, sizeof cur, "%.2f A + %.2f A/mm (sd %.2f)", m.current_vs_wear.a,
                      m.current_vs_wear.b, m.current_vs_wear.sd);
      if (m.vibration_vs_current.ok())
        std::snprintf(vib, sizeof vib, "%.3f + %.4f /A mm/s (sd %.3f)", m.vibration_vs_current.a,
                      m.vibration_vs_current.b, m.vibration_vs_current.sd);
      std::printf("%-22s %8.1f h %26s %30s\n", m.machine.c_str(), m.running_s / 3600.0, cur, vib);
    }
    std::printf("Wrote %s (%zu machines)\n", f.out.c_str(), fit.machines.size());
  }
  return kExitOk;
}

}  // namespace

void add_fit_command(CLI::App& app, Context& ctx) {
  auto f = std::make_shared<FitFlags>();
  CLI::App* cmd = app.add_subcommand(
      "fit", "Fit each machine's healthy condition models from a recording of a healthy period");
  cmd->add_option("scene", f->scene, "Scene file (YAML)")->required()->type_name("FILE");
  cmd->add_option("log", f->log, "Recording of a healthy period (MCAP)")
      ->required()
      ->type_name("FILE.mcap");
  cmd->add_option("-o,--output", f->out, "Fitted models (JSON)")->required()->type_name("FILE");
  cmd->add_flag("--quiet,-q", f->quiet, "Print nothing");
  cmd->callback([f, &ctx] { ctx.exit_code = run_fit(*f); });
}

}  // namespace twin::cli
