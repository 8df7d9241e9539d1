// twin physics SCENE [--conveyor NAME]... [--robot STATION]... [--product NAME] [--hours H]
//                    [--seed S] [--set PATH=VALUE]... [--recording SHIFT.mcap] [--json FILE]:
// each conveyor of the scene at its two fidelities, the line model's (transport time, capacity)
// and a Bullet belt built from the scene's geometry (length, speed, width; each product's part
// size and mass) fed with the line model's put-on times: take-offs, transfer times, how many
// parts the belt held and holds, jams, and the physics' speed against real time. And each
// robot-loaded station as a Bullet SCARA cell fed with the line model's arrivals: finishes,
// the fixture's exchange time, where placed parts came to rest. With --recording, the physics is
// fed with a recorded shift's part events and set beside the recording instead.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>
#include <numbers>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/cli/cli_common.h"
#include "core/mirror/part_log.h"
#include "core/run/whatif.h"
#include "models/physics/scene_conveyor.h"
#include "models/physics/scene_robot.h"
#include "replay/player.h"

namespace twin::cli {

namespace {

struct PhysicsFlags {
  std::string scene;
  std::vector<std::string> conveyors;  // neither conveyors nor robots: all of both
  std::vector<std::string> robots;     // stations whose robot to run
  std::string product;                 // empty: the first
  double hours = 2.0;
  double skew_deg = 0.0;      // [deg] feed skew
  double guides_mm = -1.0;    // [mm] side guides' clearance; < 0: none
  double jam_clear_s = 60.0;  // [s] operator clears a jam after; < 0: never
  uint64_t seed = 0;
  bool seed_given = false;
  std::vector<std::string> sets;  // scene changes (as twin whatif --set): a layout question
  std::string recording;  // a recorded shift (MCAP) to feed the physics instead of the line model
  bool hours_given = false;
  std::string json;
  bool quiet = false;
};

// What the physics is fed with and set beside: the line model's run, or a recording.
struct FeedSource {
  const char* label = "line model";  // column heading
  const char* key = "line_model";    // JSON key
  std::string of;                    // "the line model (seed S)" or "recording F"
  std::optional<RecordedParts> parts;
};

using ProductCounts = std::vector<std::pair<std::string, uint64_t>>;

// "  fed: shaft 312 flange 208" when the parts are of more than one product.
void print_by_product(const char* what, const ProductCounts& counts) {
  if (counts.size() < 2) return;
  std::printf("  %s:", what);
  for (const auto& [name, n] : counts)
    std::printf(" %s %llu", name.c_str(), static_cast<unsigned long long>(n));
  std::printf("\n");
}

nlohmann::json by_product_json(const ProductCounts& counts) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, n] : counts) out[name] = n;
  return out;
}

void print_robot(const RobotComparison& c, const FeedSource& feed, double realtime) {
  std::printf("%s loaded by its robot, parts as %s, %.1f h of %s\n", c.station.c_str(),
              c.product.c_str(), c.hours, feed.of.c_str());
  print_by_product("arrived", c.arrived_by_product);
  std::printf("  %-34s %12s %12s\n", "", feed.label, "physics");
  std::printf("  %-34s %12llu %12llu\n", "parts arrived at the pick place",
              static_cast<unsigned long long>(c.arrived),
              static_cast<unsigned long long>(c.arrived));
  std::printf("  %-34s %12llu %12llu\n", "finished, second half",
              static_cast<unsigned long long>(c.des_finished),
              static_cast<unsigned long long>(c.physics_finished));
  std::printf("  %-34s %12llu %12llu\n", "finished, whole run",
              static_cast<unsigned long long>(c.des_finished_total),
              static_cast<unsigned long long>(c.physics_finished_total));
  std::printf("  %-34s %12.2f %12.2f\n", "part to part at the machine [s]", c.des_cycle_s,
              c.des_cycle_s + c.exchange_s);
  std::printf("  %-34s %12s %12.2f\n", "robot cycle, never waiting [s]", "", c.motion_cycle_s);
  std::printf("  %-34s %12s %12.2f  (plan %.2f s, %u parts)\n", "fixture exchange [s]", "",
              c.exchange_s, c.plan_exchange_s, c.exchanges);
  std::printf("  %-34s %12s %9.3f mm  (max %.3f mm, %.3f deg)\n", "placement error, mean", "",
              c.placement_error_mean_mm, c.placement_error_max_mm, c.yaw_error_max_deg);
  std::printf("  physics: %.0f steps of 1/240 s in %.2f s wall (%.1fx real time)\n", c.steps,
              c.wall_s, realtime);
}

nlohmann::json robot_json(const RobotComparison& c, const FeedSource& feed, uint64_t seed,
                          double realtime) {
  nlohmann::json j;
  j["robot_station"] = c.station;
  j["product"] = c.product;
  j["arrived_by_product"] = by_product_json(c.arrived_by_product);
  j["hours"] = c.hours;
  j["seed"] = seed;
  j["arrived"] = c.arrived;
  j["fed_by"] = feed.key;
  j["finished_second_half"] = {{feed.key, c.des_finished}, {"physics", c.physics_finished}};
  j["finished_whole_run"] = {{feed.key, c.des_finished_total},
                             {"physics", c.physics_finished_total}};
  j["cycle_s"] = c.des_cycle_s;
  j["robot_cycle_s"] = c.motion_cycle_s;
  j["exchange_s"] = {
      {"measured", c.exchange_s}, {"plan", c.plan_exchange_s}, {"parts", c.exchanges}};
  j["placement_error_mm"] = {{"mean", c.placement_error_mean_mm},
                             {"max", c.placement_error_max_mm}};
  j["yaw_error_max_deg"] = c.yaw_error_max_deg;
  j["wall_s"] = c.wall_s;
  j["real_time_factor"] = realtime;
  return j;
}

int run_physics(const PhysicsFlags& f) {
  SceneLoadResult scene;
  if (!load_scene_or_report(f.scene, scene)) return kExitInvalidInput;
  PreparedVariant changed;
  if (!f.sets.empty()) {
    Variant variant;
    variant.name = "physics";
    for (const std::string& text : f.sets) variant.assignments.push_back({text, "--set", 0, 0});
    std::vector<SceneError> errors;
    if (!prepare_variant(scene.scene, f.scene, variant, changed, errors)) {
      print_errors(errors);
      return kExitInvalidInput;
    }
    if (!f.quiet) {
      std::printf("scene changed:");
      for (const std::string& text : f.sets) std::printf(" %s", text.c_str());
      std::printf("\n");
    }
  }
  const Model& model = f.sets.empty() ? scene.model : changed.model;
  int32_t product = -1;  // each part as the product it is
  if (!f.product.empty()) {
    size_t p = 0;
    while (p < model.products.size() && model.products[p] != f.product) ++p;
    if (p == model.products.size()) {
      print_error(f.scene + ": no product '" + f.product + "'");
      return kExitUsage;
    }
    product = static_cast<int32_t>(p);
  }
  if (!(f.hours > 0.0) || f.hours > 24.0) {
    print_error("--hours must be in (0, 24], got " + std::to_string(f.hours));
    return kExitUsage;
  }
  std::vector<uint32_t> nodes, robots;
  const bool all = f.conveyors.empty() && f.robots.empty();
  if (all) {
    for (uint32_t n = 0; n < model.nodes.size(); ++n)
      if (model.nodes[n].kind == NodeKind::kConveyor) nodes.push_back(n);
    for (uint32_t st = 0; st < model.stations.size(); ++st)
      if (model.stations[st].robot) robots.push_back(st);
  } else {
    for (const std::string& name : f.conveyors) {
      const int32_t n = model.find_node(name);
      if (n < 0 || model.nodes[static_cast<size_t>(n)].kind != NodeKind::kConveyor) {
        print_error(f.scene + ": no conveyor '" + name + "'");
        return kExitUsage;
      }
      nodes.push_back(static_cast<uint32_t>(n));
    }
    for (const std::string& name : f.robots) {
      const int32_t st = model.find_station(name);
      if (st < 0 || !model.stations[static_cast<size_t>(st)].robot) {
        print_error(f.scene + ": no station '" + name + "' with a robot");
        return kExitUsage;
      }
      robots.push_back(static_cast<uint32_t>(st));
    }
  }
  if (nodes.empty() && robots.empty()) {
    print_error(f.scene + ": the scene has no conveyors and no robots");
    return kExitInvalidInput;
  }
  const uint64_t seed = f.seed_given ? f.seed : model.seed;
  FeedSource feed;
  feed.of = "the line model (seed " + std::to_string(seed) + ")";
  double hours = f.hours;
  if (!f.recording.empty()) {
    // One pass over the recording: each machine's part starts and good finishes.
    Player player(model);
    PartLog log(nullptr, player.mirror().names().machine.size());
    player.mirror().set_listener(&log);
    const PlayResult played = player.play(f.recording, PlayOptions{});
    player.mirror().set_listener(nullptr);
    if (!played.ok) {
      print_error(f.recording + ": " + played.error);
      return kExitInvalidInput;
    }
    const double recorded_h =
        static_cast<double>(played.window_end_ns - played.shift_start_ns) * 1e-9 / 3600.0;
    hours = f.hours_given ? std::min(f.hours, recorded_h) : std::min(recorded_h, 24.0);
    feed.label = "recording";
    feed.key = "recording";
    feed.of = "recording " + f.recording;
    feed.parts = log.parts(model, played.shift_start_ns);
  }
  nlohmann::json out = nlohmann::json::array();
  int compared = 0;
  for (uint32_t node : nodes) {
    std::string why;
    SceneConveyorOptions options;
    options.max_skew_rad = f.skew_deg * std::numbers::pi / 180.0;
    options.guide_clearance_m = f.guides_mm >= 0.0 ? f.guides_mm / 1000.0 : -1.0;
    options.jam_clear_s = f.jam_clear_s;
    std::optional<ConveyorTraffic> recorded;
    if (feed.parts) recorded = recorded_conveyor_traffic(model, *feed.parts, node);
    const auto c = compare_conveyor_fidelities(model, node, product, hours, seed, &why, options,
                                               recorded ? &*recorded : nullptr);
    if (!c) {
      print_error(f.scene + ": " + why);
      continue;
    }
    ++compared;
    const double realtime = c->wall_s > 0.0 ? c->steps * BeltWorld::kStepS / c->wall_s : 0.0;
    if (!f.quiet) {
      std::printf("%s, parts as %s, %.1f h of %s, consumer every %.1f s\n", c->conveyor.c_str(),
                  c->product.c_str(), c->hours, feed.of.c_str(), c->consumer_cycle_s);
      print_by_product("put on", c->products_put_on);
      std::printf("  %-34s %12s %12s\n", "", feed.label, "physics");
      std::printf("  %-34s %12llu %12llu\n", "parts put on",
                  static_cast<unsigned long long>(c->put_on),
                  static_cast<unsigned long long>(c->put_on));
      std::printf("  %-34s %12llu %12llu\n", "taken off, second half",
                  static_cast<unsigned long long>(c->des_taken),
                  static_cast<unsigned long long>(c->physics_taken));
      std::printf("  %-34s %12llu %12llu\n", "taken off, whole run",
                  static_cast<unsigned long long>(c->des_taken_total),
                  static_cast<unsigned long long>(c->physics_taken_total));
      std::printf("  %-34s %12.2f %12.2f\n", "transfer on an empty belt [s]", c->des_transport_s,
                  c->physics_transfer_s);
      std::printf("  %-34s %12d %12d\n", "capacity / fit nose to tail [parts]", c->des_capacity,
                  c->physics_fit);
      std::printf("  %-34s %12s %12d\n", "most on the belt [parts]", "", c->physics_max_on_belt);
      std::printf("  %-34s %12s %12d\n", "cleared by an operator [parts]", "", c->physics_cleared);
      std::printf("  jams: %zu", c->jams.size());
      constexpr size_t kListed = 8;
      for (size_t k = 0; k < std::min(c->jams.size(), kListed); ++k) {
        const Jam& j = c->jams[k];
        std::printf("  [%s part %d at %.1f s, x %.2f m%s]", jam_reason_name(j.reason), j.part,
                    j.time_s, j.x_m, j.removed ? ", taken off" : "");
      }
      if (c->jams.size() > kListed) std::printf("  ... %zu more", c->jams.size() - kListed);
      std::printf("\n  physics: %.0f steps of 1/240 s in %.2f s wall (%.1fx real time)\n", c->steps,
                  c->wall_s, realtime);
    }
    nlohmann::json j;
    j["conveyor"] = c->conveyor;
    j["product"] = c->product;
    j["put_on_by_product"] = by_product_json(c->products_put_on);
    j["hours"] = c->hours;
    j["seed"] = seed;
    j["consumer_cycle_s"] = c->consumer_cycle_s;
    j["put_on"] = c->put_on;
    j["fed_by"] = feed.key;
    j["taken_second_half"] = {{feed.key, c->des_taken}, {"physics", c->physics_taken}};
    j["taken_whole_run"] = {{feed.key, c->des_taken_total}, {"physics", c->physics_taken_total}};
    j["transfer_empty_belt_s"] = {{"line_model", c->des_transport_s},
                                  {"physics", c->physics_transfer_s},
                                  {"parts", c->free_parts}};
    j["capacity"] = c->des_capacity;
    j["fit_nose_to_tail"] = c->physics_fit;
    j["max_on_belt"] = c->physics_max_on_belt;
    j["cleared"] = c->physics_cleared;
    j["feed_skew_deg"] = f.skew_deg;
    j["guides_mm"] = f.guides_mm;
    j["jam_clear_s"] = f.jam_clear_s;
    j["set"] = f.sets;
    nlohmann::json jams = nlohmann::json::array();
    for (const Jam& jam : c->jams)
      jams.push_back({{"reason", jam_reason_name(jam.reason)},
                      {"part", jam.part},
                      {"time_s", jam.time_s},
                      {"x_m", jam.x_m},
                      {"yaw_rad", jam.yaw_rad},
                      {"cleared_s", jam.cleared_s},
                      {"taken_off", jam.removed}});
    j["jams"] = jams;
    j["wall_s"] = c->wall_s;
    j["real_time_factor"] = realtime;
    out.push_back(j);
  }
  for (uint32_t station : robots) {
    std::string why;
    std::optional<StationTraffic> recorded;
    if (feed.parts) recorded = recorded_station_traffic(model, *feed.parts, station);
    const auto c = compare_robot_fidelities(model, station, product, hours, seed, &why,
                                            recorded ? &*recorded : nullptr);
    if (!c) {
      print_error(f.scene + ": " + why);
      continue;
    }
    ++compared;
    const double realtime = c->wall_s > 0.0 ? c->steps * RobotCell::kStepS / c->wall_s : 0.0;
    if (!f.quiet) print_robot(*c, feed, realtime);
    nlohmann::json j = robot_json(*c, feed, seed, realtime);
    j["set"] = f.sets;
    out.push_back(std::move(j));
  }
  if (!f.json.empty()) {
    std::ofstream file(f.json);
    file << out.dump(2) << "\n";
    if (!file) {
      print_error("cannot write " + f.json);
      return kExitFailure;
    }
  }
  return compared > 0 ? kExitOk : kExitInvalidInput;
}

}  // namespace

void add_physics_command(CLI::App& app, Context& ctx) {
  auto f = std::make_shared<PhysicsFlags>();
  CLI::App* cmd = app.add_subcommand(
      "physics",
      "Run a scene's conveyors and robot cells in Bullet beside the line model and compare them");
  cmd->add_option("scene", f->scene, "Scene file (YAML)")->required()->type_name("FILE");
  cmd->add_option("--conveyor", f->conveyors, "Conveyor to run (repeatable; default: all)")
      ->type_name("NAME");
  cmd->add_option("--robot", f->robots,
                  "Station whose robot to run (repeatable; default: all conveyors and robots)")
      ->type_name("STATION");
  cmd->add_option("--product", f->product,
                  "Make every part this product (default: each part is the product the line "
                  "model, or the recording, says it is)")
      ->type_name("NAME");
  cmd->add_option("--hours", f->hours,
                  "Hours to compare (default 2; with --recording: the recording's)")
      ->each([f](const std::string&) { f->hours_given = true; });
  cmd->add_option("--recording", f->recording,
                  "Feed the physics with a recorded shift's part events instead of the line "
                  "model, and compare with it")
      ->type_name("SHIFT.mcap");
  cmd->add_option("--seed", f->seed, "Scenario seed (default: the scene's)")
      ->each([f](const std::string&) { f->seed_given = true; });
  cmd->add_option("--json", f->json, "Write the comparison as JSON")->type_name("FILE");
  cmd->add_option("--skew", f->skew_deg,
                  "Parts are put on turned by a random angle up to this (seeded)")
      ->type_name("DEG")
      ->check(CLI::Range(0.0, 90.0));
  cmd->add_option("--guides", f->guides_mm, "Side guides this far from the parts on each side")
      ->type_name("MM")
      ->check(CLI::Range(0.0, 1000.0));
  cmd->add_option("--jam-clear", f->jam_clear_s,
                  "An operator clears a jam this long after it (< 0: never)")
      ->type_name("S")
      ->capture_default_str();
  cmd->add_option("--set", f->sets,
                  "Change the scene first, as twin whatif --set (repeatable), e.g. "
                  "stations[Harden_OP80].robot.drop.x=46.8")
      ->type_name("PATH=VALUE");
  cmd->add_flag("--quiet,-q", f->quiet, "Print nothing but errors");
  cmd->callback([f, &ctx] { ctx.exit_code = run_physics(*f); });
}

}  // namespace twin::cli
