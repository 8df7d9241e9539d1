#include "core/cli/plant_flags.h"

#include <fstream>
#include <sstream>

#include "core/cli/cli_common.h"
#include "core/scene/yaml_to_proto.h"

namespace twin::cli {

bool load_faults(const std::string& path, faults::FaultPlan& plan) {
  std::ifstream in(path);
  if (!in) {
    print_error("cannot read fault file " + path);
    return false;
  }
  std::stringstream text;
  text << in.rdbuf();
  std::vector<SceneError> errors;
  if (!yaml_to_message(text.str(), path, plan, nullptr, errors)) {
    print_errors(errors);
    return false;
  }
  return true;
}

void add_plant_flags(CLI::App& cmd, PlantFlags& f) {
  cmd.add_option("--hours", f.hours, "Shift length")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd.add_option("--seed", f.seed, "Seed of the shift: process and sensors")->capture_default_str();
  cmd.add_option("--plant-seed", f.plant_seed,
                 "Seed of the plant's machines (how each differs from nominal); shifts of one "
                 "plant share it")
      ->capture_default_str();
  cmd.add_option("--faults", f.faults, "Faults to inject (YAML, see scenes/faults/)")
      ->type_name("FILE");
  cmd.add_option("--random-faults", f.random_faults, "Inject N random faults")->type_name("N");
  cmd.add_flag("--clean", f.clean, "Exact sensor values: no noise, dropouts, skew or delays");
}

bool plant_options_from_flags(const Model& model, const PlantFlags& f, PlantOptions& options) {
  options.hours = f.hours;
  options.seed = f.seed;
  options.plant_seed = f.plant_seed;
  if (f.clean) options.dirt = SensorDirt::clean();
  if (!f.faults.empty()) {
    faults::FaultPlan plan;
    if (!load_faults(f.faults, plan)) return false;
    std::vector<std::string> errors;
    options.faults = resolve_faults(model, plan, f.hours, errors);
    for (const std::string& e : errors) print_error(f.faults + ": " + e);
    if (!errors.empty()) return false;
  }
  if (f.random_faults > 0) {
    for (FaultSpec& s : random_faults(model, f.random_faults, f.hours, f.seed)) {
      options.faults.push_back(std::move(s));
    }
  }
  return true;
}

}  // namespace twin::cli
