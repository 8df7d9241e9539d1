#include "models/physics/scene_conveyor.h"

namespace twin {

std::optional<ConveyorLineSpec> scene_conveyor_spec(
    const Model& model, uint32_t node, uint16_t product, const std::vector<FeedItem>& feed,
    double consumer_cycle_s, const SceneConveyorOptions& options, std::string* why) {
  auto fail = [&](std::string text) -> std::optional<ConveyorLineSpec> {
    if (why != nullptr) *why = std::move(text);
    return std::nullopt;
  };
  if (node >= model.nodes.size() || model.nodes[node].kind != NodeKind::kConveyor)
    return fail("node " + std::to_string(node) + " is not a conveyor");
  const Node& n = model.nodes[node];
  if (!(n.length_m > 0.0) || !(n.speed_mps > 0.0))
    return fail("conveyor '" + n.name + "' has no length and speed in the scene");
  if (product >= model.products.size() || product >= model.product_part.size())
    return fail("no product " + std::to_string(product));
  const PartGeometry& part = model.product_part[product];
  if (!(part.length_m > 0.0) || !(part.width_m > 0.0) || !(part.height_m > 0.0) ||
      !(part.mass_kg > 0.0))
    return fail("product '" + model.products[product] +
                "' has no part size (length, width, height) and mass in the scene");
  if (part.length_m > n.length_m)
    return fail("product '" + model.products[product] + "' is longer than conveyor '" + n.name +
                "'");
  ConveyorLineSpec spec;
  spec.belt.length_m = n.length_m;
  spec.belt.speed_mps = n.speed_mps;
  spec.belt.width_m = n.width_m > 0.0 ? n.width_m : 1.2 * part.width_m;
  spec.belt.friction = options.friction;
  if (part.width_m > spec.belt.width_m)
    return fail("product '" + model.products[product] + "' is wider than conveyor '" + n.name +
                "'");
  spec.part.size_x = part.length_m;
  spec.part.size_y = part.width_m;
  spec.part.size_z = part.height_m;
  spec.part.mass_kg = part.mass_kg;
  spec.consumer_cycle_s = consumer_cycle_s;
  spec.feed = feed;
  spec.guide_clearance_m = options.guide_clearance_m;
  return spec;
}

double des_transport_time(const Model& model, uint32_t node) {
  const Node& n = model.nodes[node];
  return n.length_m > 0.0 && n.speed_mps > 0.0 ? n.length_m / n.speed_mps : 0.0;
}

}  // namespace twin
