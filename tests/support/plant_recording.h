// A shift of the plant simulator written to an MCAP file, for tests that need a recording.
#pragma once

#include <string>

#include "core/model/model.h"
#include "models/plant/plant_simulator.h"

namespace twin::test {

// Runs the plant simulator on `model` with `options` into the telemetry MCAP at `path`. Writing
// problems are test failures (EXPECT); the plant's report is returned.
PlantReport record_plant_shift(const Model& model, const PlantOptions& options,
                               const std::string& path);

}  // namespace twin::test
