// The steps behind `twin generate` and `twin replay`, on an already loaded scene, so that
// `twin demo` runs them exactly as those commands do (same output, same exit codes).
#pragma once

#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

#include "core/model/model.h"
#include "models/plant/plant_simulator.h"
#include "replay/telemetry_writer.h"

namespace twin::cli {

// Runs the plant simulator on `model` and records its telemetry to `output` (cmd_generate.cc).
// Prints the summary of the recording unless `quiet`. Returns an exit code.
int write_plant_recording(const Model& model, const PlantOptions& options,
                          const TelemetryWriterOptions& writer_options, const std::string& output,
                          bool quiet);

struct ReplayFlags {
  std::string scene;
  std::string log;
  std::string speed = "max";
  std::string from, to;
  std::string json;
  size_t reps = 30;
  uint64_t seed = 0;
  CLI::Option* seed_option = nullptr;  // set when --seed was given; else the scene's seed
  std::string series = "15min";
  double reorder_window_s = 2.0;
  bool quiet = false;
};

// Replays `f.log` through the mirror and prints the real KPIs beside the twin's prediction
// (cmd_replay.cc); `f.scene` is not read, `model` is its scene. Returns an exit code.
int replay_shift(const Model& model, const ReplayFlags& f);

}  // namespace twin::cli
