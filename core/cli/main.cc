// twin: the command line. One CLI11 app with a subcommand per job; each subcommand lives in
// cmd_<name>.cc and registers itself through add_<name>_command (see cli_common.h).
// Exit codes: 0 ok, 1 runtime failure, 2 usage error, 3 invalid scene or scenario.
#include <exception>
#include <string>

#include <CLI/CLI.hpp>

#include "core/cli/cli_common.h"

#ifndef TWIN_VERSION
#define TWIN_VERSION "0.1.0"
#endif

int main(int argc, char** argv) {
  using namespace twin::cli;
  CLI::App app{"twin: a digital twin engine for factory lines", "twin"};
  app.set_version_flag("--version", std::string("twin ") + TWIN_VERSION);
  app.require_subcommand(1);
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return std::string("twin: ") + e.what() + "\nRun with --help for more information.\n";
  });

  Context ctx;
  // ---- Subcommands -------------------------------------------------------------------------
  // Register new subcommands here, one add_<name>_command(app, ctx) per cmd_<name>.cc.
  add_simulate_command(app, ctx);
  add_whatif_command(app, ctx);
  add_forecast_command(app, ctx);
  add_validate_command(app, ctx);
  add_import_command(app, ctx);
  add_generate_command(app, ctx);
  add_replay_command(app, ctx);
  add_record_command(app, ctx);
  add_demo_command(app, ctx);
  add_rul_command(app, ctx);
  add_score_command(app, ctx);
  add_fit_command(app, ctx);
  add_physics_command(app, ctx);
#ifdef TWIN_WITH_NETWORK
  add_live_command(app, ctx);
  add_edge_command(app, ctx);
#endif
#ifdef TWIN_WITH_VIEWER
  add_view_command(app, ctx);
#endif
  // ------------------------------------------------------------------------------------------

  // CLI11 would take an unknown command for a positional and still honour a later --help
  // (`twin nosuch --help` exits 0); refuse it first.
  if (argc > 1 && argv[1][0] != '-') {
    bool known = false;
    for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
      known = known || sub->check_name(argv[1]);
    }
    if (!known) {
      print_error(std::string("unknown command '") + argv[1] +
                  "'\nRun with --help for more information.");
      return kExitUsage;
    }
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  } catch (const std::exception& e) {
    print_error(e.what());
    return kExitFailure;
  }
  return ctx.exit_code;
}
