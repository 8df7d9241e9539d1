// A shift of the plant simulator sent straight into a live twin, as a Sparkplug B edge node
// would through a broker (no network), for tests of what follows the live stream.
#pragma once

#include <cstdint>
#include <functional>

#include "core/mirror/live_twin.h"
#include "models/plant/plant_simulator.h"

namespace twin::test {

// Runs the plant simulator on `model` with `options` as edge node plant/line1 into `twin` (which
// the caller has reset to options.start_ns). `after_message` (if set) runs after each message,
// with the messages so far: a viewer's frames, say. Returns the plant's report.
PlantReport run_plant_into(LiveTwin& twin, const Model& model, const PlantOptions& options,
                           const std::function<void(uint64_t messages)>& after_message = {});

}  // namespace twin::test
