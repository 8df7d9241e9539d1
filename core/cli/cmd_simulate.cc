// twin simulate SCENE: independent replications of a scene, summarized with intervals.
#include <exception>
#include <fstream>
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "core/cli/cli_common.h"
#include "core/report/html.h"
#include "core/report/json.h"
#include "core/report/table.h"
#include "core/run/replications.h"
#include "models/process/event_log.h"
#include "models/process/line_model.h"

namespace twin::cli {

namespace {

// Replication 0 again, with every mode change and part event written to `path` as CSV (the
// run is deterministic, so it is the same replication the tables summarize).
bool write_event_log(const std::string& path, const Model& model, const ReplicationOptions& o,
                     std::string& error) {
  std::ofstream out(path, std::ios::binary);
  if (!out) {
    error = "cannot write " + path;
    return false;
  }
  EventLogWriter writer(model, out);
  RunOptions run;
  run.horizon_s = o.horizon_s;
  run.warmup_s = o.warmup_s;
  run.seed = o.seed;
  run.replication = 0;
  LineState state;
  state.observer = &writer;
  init_state(model, run, state);
  advance_to(model, state, run.horizon_s);
  out.flush();
  if (!out) {
    error = "write failed: " + path;
    return false;
  }
  return true;
}

int run_simulate(const RunFlags& flags, const std::string& events_path) {
  SceneLoadResult scene;
  if (!load_scene_or_report(flags.scene, scene)) return kExitInvalidInput;
  ReplicationOptions options = replication_options(flags, scene.model);
  ReplicationResults results;
  {
    ProgressBar progress(!flags.quiet);
    options.progress = progress.callback();
    try {
      results = run_replications(scene.model, options);
    } catch (const std::exception& e) {
      progress.finish();
      print_error(flags.scene + ": simulation failed: " + e.what());
      return kExitFailure;
    }
  }
  if (!flags.quiet) print_simulation_tables(std::cout, scene.model, results);
  std::cout.flush();
  std::string error;
  if (!flags.json.empty()) {
    JsonOptions json_options;
    json_options.per_replication = flags.json_values;
    if (!write_json_file(flags.json, simulation_json(scene.model, results, json_options), error)) {
      print_error(error);
      return kExitFailure;
    }
  }
  if (!flags.report.empty() &&
      !write_text_file(flags.report, simulation_html(scene.model, results), error)) {
    print_error(error);
    return kExitFailure;
  }
  if (!events_path.empty() && !write_event_log(events_path, scene.model, options, error)) {
    print_error(error);
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace

void add_simulate_command(CLI::App& app, Context& ctx) {
  auto flags = std::make_shared<RunFlags>();
  CLI::App* cmd = app.add_subcommand(
      "simulate", "Run independent replications of a scene and summarize the KPIs");
  add_run_flags(*cmd, *flags);
  auto events = std::make_shared<std::string>();
  cmd->add_option("--events", *events,
                  "Write every mode change and part event of replication 0 to FILE.csv")
      ->type_name("FILE.csv");
  cmd->callback([flags, events, &ctx] { ctx.exit_code = run_simulate(*flags, *events); });
}

}  // namespace twin::cli
