// The physics fidelity of a scene's conveyor: its length, speed and width, and a product's part
// size and mass, from the scene (core/model), as a ConveyorLine (models/physics/conveyor_line.h)
// fed like the discrete-event conveyor of the same scene. The same scene then runs at two
// fidelities: the line model's conveyor (a transport time and a capacity, for forecasts) and this
// one (parts on a belt, accumulating at the stop, possibly jamming; for layout questions).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/model/model.h"
#include "models/physics/conveyor_line.h"

namespace twin {

struct SceneConveyorOptions {
  double friction = 0.6;          // [-] belt-part Coulomb coefficient (steel on rubber belt)
  double guide_clearance_m = -1;  // [m] side guides' clearance; < 0: none
};

// The ConveyorLine of conveyor node `node` carrying parts of product `product`, fed at `feed`
// and emptied by a consumer of cycle `consumer_cycle_s`. Nothing (and `why` says what the scene
// lacks) when the node is not a conveyor, or the scene gives no length and speed for it, or no
// size and mass for the product's part. A belt width not given is the part's width + 20 %.
std::optional<ConveyorLineSpec> scene_conveyor_spec(
    const Model& model, uint32_t node, uint16_t product, const std::vector<FeedItem>& feed,
    double consumer_cycle_s, const SceneConveyorOptions& options, std::string* why);

// What the discrete-event conveyor says of the same belt: transport time length / speed [s]
// for a part put on at the entry (its centre reaches the stop (L - length)/v + the belt's
// acceleration of the part later in the physics; tests/models/physics).
double des_transport_time(const Model& model, uint32_t node);

}  // namespace twin
