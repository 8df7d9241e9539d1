// twin validate SCENE...: load and check scenes, print a one-line summary or the errors.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "core/cli/cli_common.h"

namespace twin::cli {

namespace {

std::string count(size_t n, const char* one, const char* many) {
  return std::to_string(n) + ' ' + (n == 1 ? one : many);
}

std::string summary(const Model& m) {
  size_t sources = 0, buffers = 0, conveyors = 0, sinks = 0;
  for (const Node& n : m.nodes) {
    switch (n.kind) {
      case NodeKind::kSource:
        ++sources;
        break;
      case NodeKind::kBuffer:
        ++buffers;
        break;
      case NodeKind::kConveyor:
        ++conveyors;
        break;
      case NodeKind::kSink:
        ++sinks;
        break;
    }
  }
  return count(m.stations.size(), "station", "stations") + ", " +
         count(m.machine_count(), "machine", "machines") + ", " +
         count(buffers, "buffer", "buffers") + ", " + count(conveyors, "conveyor", "conveyors") +
         ", " + count(sources, "source", "sources") + ", " + count(sinks, "sink", "sinks") + ", " +
         count(m.products.size(), "product", "products") + ", " +
         count(m.calendar.breaks.size(), "break", "breaks");
}

int run_validate(const std::vector<std::string>& files) {
  int code = kExitOk;
  for (const std::string& file : files) {
    SceneLoadResult scene;
    if (load_scene_or_report(file, scene)) {
      std::cout << file << ": ok: " << summary(scene.model) << '\n';
    } else {
      code = kExitInvalidInput;
    }
  }
  return code;
}

}  // namespace

void add_validate_command(CLI::App& app, Context& ctx) {
  auto files = std::make_shared<std::vector<std::string>>();
  CLI::App* cmd = app.add_subcommand(
      "validate", "Load and check scenes; print a summary of each, or its errors one per line");
  cmd->add_option("scenes", *files, "Scene files (YAML)")->required()->type_name("FILE");
  cmd->callback([files, &ctx] { ctx.exit_code = run_validate(*files); });
}

}  // namespace twin::cli
