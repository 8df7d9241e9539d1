// twin whatif SCENE: compare variants of a scene with the base, replication by replication.
#include <exception>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/cli/cli_common.h"
#include "core/report/html.h"
#include "core/report/json.h"
#include "core/report/table.h"
#include "core/run/whatif.h"

namespace twin::cli {

namespace {

struct WhatIfFlags {
  RunFlags run;
  std::vector<std::string> sets;  // --set, together one variant
  std::string name;               // name of the --set variant
  std::string scenario;           // --scenario FILE
};

int run_whatif_command(const WhatIfFlags& flags) {
  if (flags.sets.empty() && flags.scenario.empty()) {
    print_error("whatif needs at least one --set PATH=VALUE or a --scenario FILE");
    return kExitUsage;
  }
  SceneLoadResult scene;
  if (!load_scene_or_report(flags.run.scene, scene)) return kExitInvalidInput;

  std::vector<Variant> variants;
  std::vector<SceneError> errors;
  if (!flags.sets.empty()) {
    Variant v;
    v.name = !flags.name.empty()      ? flags.name
             : flags.sets.size() == 1 ? flags.sets.front()
                                      : std::string("custom");
    for (const std::string& s : flags.sets) v.assignments.push_back({s, "--set", 0, 0});
    variants.push_back(std::move(v));
  }
  if (!flags.scenario.empty()) load_scenario_file(flags.scenario, variants, errors);
  std::set<std::string> names;
  for (const Variant& v : variants) {
    if (!names.insert(v.name).second) {
      errors.push_back({flags.scenario, 0, 0, "variants", "duplicate variant name " + v.name});
    }
  }
  std::vector<PreparedVariant> prepared(variants.size());
  if (errors.empty()) {
    for (size_t i = 0; i < variants.size(); ++i) {
      prepare_variant(scene.scene, flags.run.scene, variants[i], prepared[i], errors);
    }
  }
  if (!errors.empty()) {
    print_errors(errors);
    return kExitInvalidInput;
  }

  ReplicationOptions options = replication_options(flags.run, scene.model);
  WhatIfResults results;
  {
    ProgressBar progress(!flags.run.quiet);
    options.progress = progress.callback();
    try {
      results = run_whatif(scene.model, prepared, options);
    } catch (const std::exception& e) {
      progress.finish();
      print_error(flags.run.scene + ": simulation failed: " + e.what());
      return kExitFailure;
    }
  }
  if (!flags.run.quiet) print_whatif_table(std::cout, scene.model, results);
  std::cout.flush();
  std::string error;
  if (!flags.run.json.empty()) {
    JsonOptions json_options;
    json_options.per_replication = flags.run.json_values;
    if (!write_json_file(flags.run.json, whatif_json(scene.model, results, json_options), error)) {
      print_error(error);
      return kExitFailure;
    }
  }
  if (!flags.run.report.empty() &&
      !write_text_file(flags.run.report, whatif_html(scene.model, results), error)) {
    print_error(error);
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace

void add_whatif_command(CLI::App& app, Context& ctx) {
  auto flags = std::make_shared<WhatIfFlags>();
  CLI::App* cmd = app.add_subcommand(
      "whatif",
      "Compare variants of a scene with the base, using common random numbers and paired "
      "differences");
  add_run_flags(*cmd, flags->run);
  cmd->add_option("--set", flags->sets,
                  "Change a field, e.g. buffers[B3].capacity=10 or "
                  "stations[Filler].cycle_time=35s; all --set together form one variant")
      ->type_name("PATH=VALUE")
      ->allow_extra_args(false);
  cmd->add_option("--name", flags->name, "Name of the --set variant");
  cmd->add_option("--scenario", flags->scenario,
                  "YAML file with named variants: variants: [{name: ..., set: [PATH=VALUE, "
                  "...]}]")
      ->type_name("FILE");
  cmd->callback([flags, &ctx] { ctx.exit_code = run_whatif_command(*flags); });
}

}  // namespace twin::cli
