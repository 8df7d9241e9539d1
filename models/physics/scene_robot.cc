#include "models/physics/scene_robot.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numbers>

#include "models/physics/scene_conveyor.h"
#include "models/process/line_model.h"
#include "models/process/line_observer.h"

namespace twin {

namespace {

// The input's put-ons (its producers' finishes) and the station's own finishes.
class StationObserver : public LineObserver {
 public:
  StationObserver(const Model& model, uint32_t station) {
    const Station& s = model.stations[station];
    const std::vector<uint32_t>& producers = model.nodes[s.inputs.front()].producers;
    for (uint32_t m = 0; m < model.machine_count(); ++m) {
      const uint32_t st = model.machine_station[m];
      if (std::find(producers.begin(), producers.end(), st) != producers.end())
        producer_.push_back(m);
      if (st == station) own_.push_back(m);
    }
  }
  void on_mode(double, uint32_t, Mode, Mode) override {}
  void on_part(double t, uint32_t machine, PartEvent event, const Part& part) override {
    if (event != PartEvent::kFinished) return;
    if (has(producer_, machine)) {
      traffic.arrived_s.push_back(t);
      traffic.product.push_back(part.product);
    }
    if (has(own_, machine)) traffic.finished_s.push_back(t);
  }
  StationTraffic traffic;

 private:
  static bool has(const std::vector<uint32_t>& v, uint32_t m) {
    return std::find(v.begin(), v.end(), m) != v.end();
  }
  std::vector<uint32_t> producer_, own_;
};

std::optional<RobotCellSpec> fail(std::string* why, std::string text) {
  if (why != nullptr) *why = std::move(text);
  return std::nullopt;
}

}  // namespace

std::vector<uint32_t> physics_robots(const Model& model) {
  bool any_part = false;
  for (const PartGeometry& part : model.product_part)
    any_part = any_part || has_part_geometry(part);
  std::vector<uint32_t> out;
  if (!any_part) return out;
  for (uint32_t s = 0; s < model.stations.size(); ++s)
    if (model.stations[s].robot) out.push_back(s);
  return out;
}

StationTraffic station_traffic(const Model& model, uint32_t station, double horizon_s,
                               uint64_t seed) {
  StationObserver observer(model, station);
  LineState state;
  run_observed(model, RunOptions{.horizon_s = horizon_s, .seed = seed}, observer, state);
  StationTraffic out = std::move(observer.traffic);
  const Node& input = model.nodes[model.stations[station].inputs.front()];
  if (input.kind == NodeKind::kConveyor) {
    for (double& t : out.arrived_s) t += input.transport_time.mean;
  }
  return out;
}

StationTraffic recorded_station_traffic(const Model& model, const RecordedParts& parts,
                                        uint32_t station) {
  const Node& input = model.nodes[model.stations[station].inputs.front()];
  StationTraffic out;
  out.arrived_s = recorded_finishes(model, input.producers, parts, out.product);
  if (input.kind == NodeKind::kConveyor) {
    for (double& t : out.arrived_s) t += input.transport_time.mean;
  }
  out.finished_s = recorded_times(model, {station}, parts.finished_s);
  return out;
}

FixtureExchange fixture_exchange(const RobotCell& cell) {
  const std::vector<RobotRecord>& records = cell.records();
  FixtureExchange out;
  double sum = 0.0;
  for (size_t k = 0; k + 1 < records.size(); ++k) {
    const RobotRecord &left = records[k], &next = records[k + 1];
    const double to_above_drop = cell.phase_duration(RobotPhase::kLiftFromPick, next.part) +
                                 cell.phase_duration(RobotPhase::kSwingToDrop, next.part);
    if (left.taken_s >= 0.0 && next.picked_s >= 0.0 && next.rest_s >= 0.0 &&
        next.picked_s + to_above_drop <= left.taken_s) {
      sum += next.rest_s - left.taken_s;
      ++out.parts;
    }
  }
  if (out.parts > 0) out.mean_s = sum / out.parts;
  return out;
}

double planned_exchange_s(const RobotCell& cell, uint16_t part) {
  return cell.phase_duration(RobotPhase::kDescendToDrop, part) +
         cell.phase_duration(RobotPhase::kRelease, part);
}

RobotBase robot_base(const Model& model, uint32_t station) {
  const auto& robot = model.stations[station].robot;
  return robot ? RobotBase{robot->base_x_m, robot->base_y_m} : RobotBase{};
}

std::optional<RobotCellSpec> scene_robot_spec(const Model& model, uint32_t station,
                                              const std::vector<uint16_t>& products,
                                              const std::vector<double>& arrivals_s,
                                              std::string* why,
                                              const std::vector<uint16_t>& arrival_part) {
  if (station >= model.stations.size()) return fail(why, "no station " + std::to_string(station));
  const Station& s = model.stations[station];
  if (!s.robot) return fail(why, "station '" + s.name + "' has no robot in the scene");
  if (s.machine_count != 1)
    return fail(why, "station '" + s.name + "': its robot loads one machine; the station has " +
                         std::to_string(s.machine_count));
  if (s.inputs.size() != 1 || (model.nodes[s.inputs.front()].kind != NodeKind::kBuffer &&
                               model.nodes[s.inputs.front()].kind != NodeKind::kConveyor))
    return fail(why, "station '" + s.name +
                         "': a robot picks from one buffer or conveyor; the station's input is "
                         "not one");
  if (products.empty()) return fail(why, "station '" + s.name + "': no product to handle");
  RobotCellSpec spec;
  double largest = 0.0;  // [m] the longest side of any part
  for (uint16_t product : products) {
    if (product >= model.product_part.size() || product >= model.products.size())
      return fail(why, "no product " + std::to_string(product));
    const PartGeometry& part = model.product_part[product];
    if (!has_part_geometry(part))
      return fail(why, "product '" + model.products[product] +
                           "' has no part size (length, width, height) and mass in the scene");
    largest = std::max({largest, part.length_m, part.width_m});
    spec.parts.push_back(PartSpec{.size_x = part.length_m,
                                  .size_y = part.width_m,
                                  .size_z = part.height_m,
                                  .mass_kg = part.mass_kg});
  }
  if (!(s.cycle_time.mean > 0.0)) return fail(why, "station '" + s.name + "' has no cycle time");
  const StationRobot& r = *s.robot;
  spec.arm.link1_m = r.link1_m;
  spec.arm.link2_m = r.link2_m;
  spec.arm.elbow_sign = r.elbow_sign;
  spec.arm.limits = {JointLimit{r.shoulder.speed, r.shoulder.accel},
                     JointLimit{r.elbow.speed, r.elbow.accel}, JointLimit{r.z.speed, r.z.accel},
                     JointLimit{r.wrist.speed, r.wrist.accel}};
  spec.arm.travel_z_m = r.travel_z_m;
  // Tables a little larger than the largest part, so each rests wholly on them.
  const double table = std::max(0.4, largest + 0.1);
  auto place = [&](const RobotPlace& p) {
    return CellStation{.x_m = p.x_m - r.base_x_m,
                       .y_m = p.y_m - r.base_y_m,
                       .yaw_rad = p.yaw_rad,
                       .top_z_m = p.z_m,
                       .size_x_m = table,
                       .size_y_m = table};
  };
  spec.pick = place(r.pick);
  spec.drop = place(r.drop);
  spec.grip_s = r.grip_s;
  spec.release_s = r.release_s;
  spec.station_cycle_s = s.cycle_time.mean;
  spec.arrivals_s = arrivals_s;
  spec.arrival_part = arrival_part;
  try {
    RobotCell check(spec);  // the cell's own checks: reach, heights
  } catch (const std::invalid_argument& e) {
    return fail(why, "station '" + s.name + "': robot: " + e.what());
  }
  return spec;
}

std::optional<RobotComparison> compare_robot_fidelities(const Model& model, uint32_t station,
                                                        int32_t product, double hours,
                                                        uint64_t seed, std::string* why,
                                                        const StationTraffic* recorded) {
  if (product >= static_cast<int32_t>(model.products.size())) {
    fail(why, "no product " + std::to_string(product));
    return std::nullopt;
  }
  // The station's own checks before the line model runs (a bad cell fails fast), with the
  // first product the scene gives a part for; the parts fed are checked below.
  uint16_t first = 0;
  while (first + 1u < model.product_part.size() && !has_part_geometry(model.product_part[first]))
    ++first;
  const uint16_t check = product >= 0 ? static_cast<uint16_t>(product) : first;
  if (!scene_robot_spec(model, station, {check}, {}, why)) return std::nullopt;
  const Station& s = model.stations[station];
  RobotComparison out;
  out.station = s.name;
  out.hours = hours;
  out.des_cycle_s = s.cycle_time.mean;

  const double horizon_s = hours * 3600.0;
  StationTraffic traffic =
      recorded != nullptr ? *recorded : station_traffic(model, station, horizon_s, seed);
  if (product >= 0) {
    traffic.product.assign(traffic.arrived_s.size(), static_cast<uint16_t>(product));
  } else if (traffic.product.size() != traffic.arrived_s.size()) {  // a source without products
    ConveyorTraffic by_product;
    by_product.product = station_traffic(model, station, horizon_s, seed).product;
    traffic.product.assign(traffic.arrived_s.size(), main_product(by_product));
  }
  const double end_s = model.calendar.empty() ? horizon_s : model.calendar.working_at(horizon_s);
  std::vector<double> arrivals;
  std::vector<uint16_t> arrival_product;
  for (size_t i = 0; i < traffic.arrived_s.size(); ++i) {
    if (traffic.arrived_s[i] >= end_s) continue;
    arrivals.push_back(traffic.arrived_s[i]);
    arrival_product.push_back(traffic.product[i]);
  }
  out.arrived = arrivals.size();
  const FeedParts fed = feed_parts(arrival_product, product);
  out.product = product_names(model, fed.products);
  out.arrived_by_product = product_counts(model, fed);
  // Arrivals are appended below, before the cell steps (as the whole list at construction, bit
  // for bit).
  const auto spec = scene_robot_spec(model, station, fed.products, {}, why);
  if (!spec) return std::nullopt;

  const auto wall = std::chrono::steady_clock::now();
  RobotCell cell(*spec);
  for (size_t i = 0; i < arrivals.size(); ++i) cell.append_arrival(arrivals[i], fed.part[i]);
  cell.advance_to(end_s);
  out.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall).count();
  out.steps = static_cast<double>(cell.steps());
  // The plan's figures, averaged over the parts that arrived (one kind: that kind's).
  for (size_t k = 0; k < fed.products.size(); ++k) {
    const double share = arrivals.empty() ? (k == 0 ? 1.0 : 0.0)
                                          : static_cast<double>(out.arrived_by_product[k].second) /
                                                static_cast<double>(arrivals.size());
    out.motion_cycle_s += share * cell.cycle_time_s(static_cast<uint16_t>(k));
    out.plan_exchange_s += share * planned_exchange_s(cell, static_cast<uint16_t>(k));
  }
  const FixtureExchange exchange = fixture_exchange(cell);
  out.exchange_s = exchange.mean_s;
  out.exchanges = exchange.parts;

  const double half = 0.5 * end_s;
  for (double t : traffic.finished_s) {
    out.des_finished += (t >= half && t < end_s) ? 1u : 0u;
    out.des_finished_total += t < end_s ? 1u : 0u;
  }
  double error_sum = 0.0;
  uint32_t placed = 0;
  for (const RobotRecord& r : cell.records()) {
    if (r.taken_s < 0.0) continue;
    if (r.taken_s >= half) ++out.physics_finished;
    ++out.physics_finished_total;
    const double error_m = std::hypot(r.rest_x_m - spec->drop.x_m, r.rest_y_m - spec->drop.y_m);
    error_sum += error_m;
    ++placed;
    out.placement_error_max_mm = std::max(out.placement_error_max_mm, 1000.0 * error_m);
    out.yaw_error_max_deg =
        std::max(out.yaw_error_max_deg, std::abs(wrap_angle(r.rest_yaw_rad - spec->drop.yaw_rad)) *
                                            180.0 / std::numbers::pi);
  }
  if (placed > 0) out.placement_error_mean_mm = 1000.0 * error_sum / placed;
  return out;
}

}  // namespace twin
