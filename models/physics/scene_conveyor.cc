#include "models/physics/scene_conveyor.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>
#include <utility>

#include "core/sim/rng.h"
#include "models/process/line_model.h"
#include "models/process/line_observer.h"

namespace twin {

namespace {

// Put-on (a producer finishes a part) and take-off (a consumer starts one) times of one node.
class NodeTraffic : public LineObserver {
 public:
  NodeTraffic(const Model& model, uint32_t node) {
    for (uint32_t m = 0; m < model.machine_count(); ++m) {
      const uint32_t st = model.machine_station[m];
      const auto& pr = model.nodes[node].producers;
      const auto& co = model.nodes[node].consumers;
      if (std::find(pr.begin(), pr.end(), st) != pr.end()) producer_.push_back(m);
      if (std::find(co.begin(), co.end(), st) != co.end()) consumer_.push_back(m);
    }
  }
  void on_mode(double, uint32_t, Mode, Mode) override {}
  void on_part(double t, uint32_t machine, PartEvent event, const Part& part) override {
    if (event == PartEvent::kFinished && has(producer_, machine)) {
      traffic.put_on_s.push_back(t);
      traffic.product.push_back(part.product);
    }
    if (event == PartEvent::kStarted && has(consumer_, machine)) traffic.taken_s.push_back(t);
  }
  ConveyorTraffic traffic;

 private:
  static bool has(const std::vector<uint32_t>& v, uint32_t m) {
    return std::find(v.begin(), v.end(), m) != v.end();
  }
  std::vector<uint32_t> producer_, consumer_;
};

// What node `node` lacks to be a physical belt ("" when nothing).
std::string belt_lacks(const Model& model, uint32_t node) {
  if (node >= model.nodes.size() || model.nodes[node].kind != NodeKind::kConveyor)
    return "node " + std::to_string(node) + " is not a conveyor";
  const Node& n = model.nodes[node];
  if (!(n.length_m > 0.0) || !(n.speed_mps > 0.0))
    return "conveyor '" + n.name + "' has no length and speed in the scene";
  return {};
}

uint64_t count_in(const std::vector<double>& times, double from, double to) {
  return static_cast<uint64_t>(
      std::count_if(times.begin(), times.end(), [&](double t) { return t >= from && t < to; }));
}

}  // namespace

bool has_part_geometry(const PartGeometry& part) {
  return part.length_m > 0.0 && part.width_m > 0.0 && part.height_m > 0.0 && part.mass_kg > 0.0;
}

ConveyorTraffic conveyor_traffic(const Model& model, uint32_t node, double horizon_s,
                                 uint64_t seed) {
  NodeTraffic observer(model, node);
  LineState state;
  run_observed(model, RunOptions{.horizon_s = horizon_s, .seed = seed}, observer, state);
  return std::move(observer.traffic);
}

std::vector<double> recorded_times(const Model& model, const std::vector<uint32_t>& stations,
                                   const std::vector<std::vector<double>>& per_machine) {
  std::vector<double> out;
  for (uint32_t st : stations) {
    const Station& s = model.stations[st];
    for (uint32_t m = s.first_machine; m < s.first_machine + s.machine_count; ++m)
      if (m < per_machine.size())
        out.insert(out.end(), per_machine[m].begin(), per_machine[m].end());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<double> recorded_finishes(const Model& model, const std::vector<uint32_t>& stations,
                                      const RecordedParts& parts, std::vector<uint16_t>& product) {
  std::vector<std::pair<double, uint16_t>> events;
  bool known = true;  // every finish named its product
  for (uint32_t st : stations) {
    const Station& s = model.stations[st];
    for (uint32_t m = s.first_machine; m < s.first_machine + s.machine_count; ++m) {
      if (m >= parts.finished_s.size()) continue;
      const std::vector<double>& times = parts.finished_s[m];
      const bool named =
          m < parts.finished_product.size() && parts.finished_product[m].size() == times.size();
      for (size_t k = 0; k < times.size(); ++k) {
        const uint16_t p = named ? parts.finished_product[m][k] : kNoProduct;
        known = known && p != kNoProduct && p < model.products.size();
        events.emplace_back(times[k], p);
      }
    }
  }
  std::stable_sort(events.begin(), events.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<double> out;
  out.reserve(events.size());
  product.clear();
  for (const auto& [t, p] : events) {
    out.push_back(t);
    if (known) product.push_back(p);
  }
  return out;
}

ConveyorTraffic recorded_conveyor_traffic(const Model& model, const RecordedParts& parts,
                                          uint32_t node) {
  ConveyorTraffic out;
  out.put_on_s = recorded_finishes(model, model.nodes[node].producers, parts, out.product);
  out.taken_s = recorded_times(model, model.nodes[node].consumers, parts.started_s);
  return out;
}

double consumer_cycle_time(const Model& model, uint32_t node) {
  double rate = 0.0;  // [parts/s]
  for (uint32_t st : model.nodes[node].consumers) {
    const Station& s = model.stations[st];
    if (s.cycle_time.mean > 0.0) rate += static_cast<double>(s.machine_count) / s.cycle_time.mean;
  }
  return rate > 0.0 ? 1.0 / rate : 0.0;
}

uint16_t main_product(const ConveyorTraffic& traffic) {
  std::vector<uint64_t> count;
  for (uint16_t p : traffic.product) {
    if (p >= count.size()) count.resize(p + 1u, 0);
    ++count[p];
  }
  uint16_t best = 0;
  for (size_t p = 1; p < count.size(); ++p)
    if (count[p] > count[best]) best = static_cast<uint16_t>(p);
  return best;
}

std::vector<uint16_t> distinct_products(const std::vector<uint16_t>& product) {
  std::vector<uint16_t> out = product;
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<uint16_t> part_indices(const std::vector<uint16_t>& product,
                                   const std::vector<uint16_t>& products) {
  std::vector<uint16_t> out;
  out.reserve(product.size());
  for (uint16_t p : product) {
    const auto at = std::lower_bound(products.begin(), products.end(), p);
    if (at == products.end() || *at != p)
      throw std::invalid_argument("part_indices: product " + std::to_string(p) + " not listed");
    out.push_back(static_cast<uint16_t>(at - products.begin()));
  }
  return out;
}

std::string product_names(const Model& model, const std::vector<uint16_t>& products) {
  std::string out;
  for (uint16_t p : products) {
    if (!out.empty()) out += ", ";
    out += p < model.products.size() ? model.products[p] : std::to_string(p);
  }
  return out;
}

FeedParts feed_parts(const std::vector<uint16_t>& product, int32_t forced) {
  FeedParts out;
  if (forced >= 0) {
    out.products = {static_cast<uint16_t>(forced)};
    out.part.assign(product.size(), 0);
    return out;
  }
  out.products = distinct_products(product);
  if (out.products.empty()) out.products.push_back(0);
  out.part = part_indices(product, out.products);
  return out;
}

std::vector<std::pair<std::string, uint64_t>> product_counts(const Model& model,
                                                             const FeedParts& parts) {
  std::vector<std::pair<std::string, uint64_t>> out;
  for (uint16_t p : parts.products)
    out.emplace_back(p < model.products.size() ? model.products[p] : std::to_string(p), 0);
  for (uint16_t i : parts.part) ++out[i].second;
  return out;
}

std::vector<uint32_t> physics_conveyors(const Model& model) {
  bool any_part = false;
  for (const PartGeometry& part : model.product_part)
    any_part = any_part || has_part_geometry(part);
  std::vector<uint32_t> out;
  if (!any_part) return out;
  for (uint32_t n = 0; n < model.nodes.size(); ++n) {
    const Node& node = model.nodes[n];
    if (node.kind == NodeKind::kConveyor && node.length_m > 0.0 && node.speed_mps > 0.0)
      out.push_back(n);
  }
  return out;
}

std::vector<FeedItem> skewed_feed(const Model& model, uint32_t node,
                                  const std::vector<double>& put_on_s, double max_skew_rad,
                                  uint64_t seed, const std::vector<uint16_t>& part) {
  if (!part.empty() && part.size() != put_on_s.size())
    throw std::invalid_argument("skewed_feed: one part index per put-on");
  std::vector<FeedItem> feed;
  feed.reserve(put_on_s.size());
  Rng rng(
      Rng::stream_seed(seed, 0, hash_name(model.nodes[node].name), hash_name("physics.feed_skew")));
  for (size_t i = 0; i < put_on_s.size(); ++i) {
    // Drawn for every part, straight or not, so the skews do not depend on the limit's sign.
    const double u = rng.uniform01();
    feed.push_back(FeedItem{.time_s = put_on_s[i],
                            .yaw_rad = max_skew_rad * (2.0 * u - 1.0),
                            .part = part.empty() ? uint16_t{0} : part[i]});
  }
  return feed;
}

std::optional<ConveyorLineSpec> scene_conveyor_spec(const Model& model, uint32_t node,
                                                    const std::vector<uint16_t>& products,
                                                    const std::vector<FeedItem>& feed,
                                                    double consumer_cycle_s,
                                                    const SceneConveyorOptions& options,
                                                    std::string* why) {
  auto fail = [&](std::string text) -> std::optional<ConveyorLineSpec> {
    if (why != nullptr) *why = std::move(text);
    return std::nullopt;
  };
  if (std::string lacks = belt_lacks(model, node); !lacks.empty()) return fail(std::move(lacks));
  const Node& n = model.nodes[node];
  if (products.empty()) return fail("conveyor '" + n.name + "': no product to carry");
  ConveyorLineSpec spec;
  double widest = 0.0;  // [m]
  for (uint16_t product : products) {
    if (product >= model.products.size() || product >= model.product_part.size())
      return fail("no product " + std::to_string(product));
    const PartGeometry& part = model.product_part[product];
    const std::string& name = model.products[product];
    if (!has_part_geometry(part))
      return fail("product '" + name +
                  "' has no part size (length, width, height) and mass in the scene");
    if (part.length_m > n.length_m)
      return fail("product '" + name + "' is longer than conveyor '" + n.name + "'");
    if (n.width_m > 0.0 && part.width_m > n.width_m)
      return fail("product '" + name + "' is wider than conveyor '" + n.name + "'");
    widest = std::max(widest, part.width_m);
    spec.parts.push_back(PartSpec{.size_x = part.length_m,
                                  .size_y = part.width_m,
                                  .size_z = part.height_m,
                                  .mass_kg = part.mass_kg});
  }
  for (const FeedItem& item : feed)
    if (item.part >= products.size())
      return fail("conveyor '" + n.name + "': a fed part names no product");
  spec.belt.length_m = n.length_m;
  spec.belt.speed_mps = n.speed_mps;
  spec.belt.width_m = n.width_m > 0.0 ? n.width_m : 1.2 * widest;
  spec.belt.friction = options.friction;
  spec.consumer_cycle_s = consumer_cycle_s;
  spec.feed = feed;
  spec.guide_clearance_m = options.guide_clearance_m;
  spec.jam_clear_s = options.jam_clear_s;
  return spec;
}

std::optional<FidelityComparison> compare_conveyor_fidelities(const Model& model, uint32_t node,
                                                              int32_t product, double hours,
                                                              uint64_t seed, std::string* why,
                                                              const SceneConveyorOptions& options,
                                                              const ConveyorTraffic* recorded) {
  if (product >= 0 && static_cast<size_t>(product) >= model.products.size()) {
    if (why != nullptr) *why = "no product " + std::to_string(product);
    return std::nullopt;
  }
  // The belt's checks before the line model runs (a scene without the geometry fails fast); the
  // parts' fit is checked with the products fed, below.
  if (const std::string lacks = belt_lacks(model, node); !lacks.empty()) {
    if (why != nullptr) *why = lacks;
    return std::nullopt;
  }
  const Node& n = model.nodes[node];
  FidelityComparison out;
  out.conveyor = n.name;
  out.hours = hours;
  out.consumer_cycle_s = consumer_cycle_time(model, node);
  if (!(out.consumer_cycle_s > 0.0)) {
    if (why != nullptr) *why = "conveyor '" + n.name + "' has no consumer with a cycle time";
    return std::nullopt;
  }

  // The line model. Working time is the physics' time (the belt stops in breaks too).
  const double horizon_s = hours * 3600.0;
  ConveyorTraffic traffic =
      recorded != nullptr ? *recorded : conveyor_traffic(model, node, horizon_s, seed);
  if (product >= 0) {
    traffic.product.assign(traffic.put_on_s.size(), static_cast<uint16_t>(product));
  } else if (traffic.product.size() != traffic.put_on_s.size()) {  // a source without products
    const uint16_t most = main_product(conveyor_traffic(model, node, horizon_s, seed));
    traffic.product.assign(traffic.put_on_s.size(), most);
  }
  const FeedParts fed = feed_parts(traffic.product, product);
  out.product = product_names(model, fed.products);
  out.products_put_on = product_counts(model, fed);
  const double end_s = model.calendar.empty() ? horizon_s : model.calendar.working_at(horizon_s);
  const std::vector<FeedItem> feed =
      skewed_feed(model, node, traffic.put_on_s, options.max_skew_rad, seed, fed.part);
  out.put_on = feed.size();
  out.des_transport_s = n.transport_time.mean;
  out.des_capacity = n.capacity;

  const auto spec =
      scene_conveyor_spec(model, node, fed.products, feed, out.consumer_cycle_s, options, why);
  if (!spec) return std::nullopt;
  const auto wall = std::chrono::steady_clock::now();
  ConveyorLine line(*spec);
  out.physics_fit = line.capacity();
  while (line.time_s() < end_s) {
    line.step();
    out.physics_max_on_belt = std::max(out.physics_max_on_belt, line.parts_on_belt());
  }
  out.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall).count();
  out.steps = static_cast<double>(line.steps());
  out.jams = line.jams();
  out.physics_cleared = line.parts_cleared();

  // Take-offs in the second half (the first is the line's warm-up), and the transfer of parts
  // that found the belt empty: put on after the previous part had been taken off.
  std::vector<double> taken;
  double previous_off = 0.0, transfer_sum = 0.0;
  for (const PartRecord& r : line.records()) {
    if (r.taken_off_s >= 0.0) taken.push_back(r.taken_off_s);
    if (r.put_on_s >= 0.0 && r.arrived_s >= 0.0 && r.put_on_s >= previous_off) {
      transfer_sum += r.arrived_s - r.put_on_s;
      ++out.free_parts;
    }
    previous_off = r.taken_off_s >= 0.0 ? r.taken_off_s : 1e300;
  }
  if (out.free_parts > 0) out.physics_transfer_s = transfer_sum / out.free_parts;
  out.des_taken = count_in(traffic.taken_s, 0.5 * end_s, end_s);
  out.physics_taken = count_in(taken, 0.5 * end_s, end_s);
  out.des_taken_total = count_in(traffic.taken_s, 0.0, end_s);
  out.physics_taken_total = count_in(taken, 0.0, end_s);
  return out;
}

double des_transport_time(const Model& model, uint32_t node) {
  const Node& n = model.nodes[node];
  return n.length_m > 0.0 && n.speed_mps > 0.0 ? n.length_m / n.speed_mps : 0.0;
}

}  // namespace twin
