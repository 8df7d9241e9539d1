// twin simulate SCENE: independent replications of a scene, summarized with intervals.
#include <exception>
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "core/cli/cli_common.h"
#include "core/report/html.h"
#include "core/report/json.h"
#include "core/report/table.h"
#include "core/run/replications.h"

namespace twin::cli {

namespace {

int run_simulate(const RunFlags& flags) {
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
  return kExitOk;
}

}  // namespace

void add_simulate_command(CLI::App& app, Context& ctx) {
  auto flags = std::make_shared<RunFlags>();
  CLI::App* cmd = app.add_subcommand(
      "simulate", "Run independent replications of a scene and summarize the KPIs");
  add_run_flags(*cmd, *flags);
  cmd->callback([flags, &ctx] { ctx.exit_code = run_simulate(*flags); });
}

}  // namespace twin::cli
