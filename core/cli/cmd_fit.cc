// twin fit SCENE HEALTHY.mcap -o FIT.json: fits each machine's healthy condition models (the
// current a cut draws for its tool wear, the vibration its load gives, the energy per good part,
// and the mode-from-current classifier on the current and the PLC modes) from a recording the
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
  options.collect_mode_fit = true;
  ConditionMonitor monitor(model, player.mirror().names(), options);
  player.mirror().set_listener(&monitor);
  const PlayResult r = player.play(f.log, PlayOptions());
  player.mirror().set_listener(nullptr);
  if (!r.ok) {
    print_error(f.log + ": " + r.error);
    return kExitInvalidInput;
  }
  monitor.finish(r.window_end_ns);
  MonitorFit fit = monitor.fit();
  fit.source = f.log;
  if (fit.machines.empty()) {
    print_error(f.log +
                ": no machine ran long enough with current, vibration or power tags to fit");
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
    bool header = false;
    for (const MachineFit& m : fit.machines) {
      if (m.energy_kWh_per_part <= 0.0 && !m.has_mode_classifier) continue;
      if (!header) {
        std::printf("\n%-22s %18s   %s\n", "machine", "energy per part",
                    "mode from current: running / idle / setup / off mean [A]");
        header = true;
      }
      char energy[48] = "-", mode[160] = "-";
      if (m.energy_kWh_per_part > 0.0)
        std::snprintf(energy, sizeof energy, "%.4f kWh (%u h)", m.energy_kWh_per_part,
                      m.energy_hours);
      if (m.has_mode_classifier) {
        const auto& a = m.mode_classifier.mean_A;
        std::snprintf(mode, sizeof mode, "%.2f / %.2f / %.2f / %.2f%s%s", a[0], a[1], a[2], a[3],
                      m.mode_fit_note.empty() ? "" : "  ", m.mode_fit_note.c_str());
      }
      std::printf("%-22s %18s   %s\n", m.machine.c_str(), energy, mode);
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
