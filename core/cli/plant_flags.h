// Flags of the plant simulator, shared by `twin generate` (to MCAP) and `twin edge` (to a
// broker): shift length, seed, faults, clean data.
#pragma once

#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

#include "core/scene/load.h"
#include "models/plant/plant_simulator.h"

namespace twin::cli {

struct PlantFlags {
  double hours = 8.0;
  uint64_t seed = 1;
  uint64_t plant_seed = 1;
  std::string faults;  // fault plan (YAML)
  uint32_t random_faults = 0;
  bool clean = false;
};

void add_plant_flags(CLI::App& cmd, PlantFlags& f);
// Reads a fault plan (YAML). Prints the problem (file, line, field) and returns false on bad
// input.
bool load_faults(const std::string& path, faults::FaultPlan& plan);
// Fills `options` from the flags (faults loaded and checked). Prints the errors and returns
// false on a bad fault plan.
bool plant_options_from_flags(const Model& model, const PlantFlags& f, PlantOptions& options);

}  // namespace twin::cli
