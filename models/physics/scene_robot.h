// The physics fidelity of a scene's robot-loaded station: the station's `robot` block (a SCARA's
// geometry, joint limits, pick and drop places; core/model StationRobot) and a product's part, as
// a RobotCell (models/physics/robot_cell.h) fed like the line model feeds the station. The robot
// picks each part where the station's input hands it over and places it on the machine's fixture,
// where it stays for the station's mean cycle and then leaves. The line model counts the whole
// part-to-part time as the cycle; the physics adds the fixture's exchange (the robot's descent
// and release while the machine stands empty), which is what the comparison shows.
//
// Frame: the cell is built in the robot's frame (origin at its shoulder axis, axes as the line's)
// so Bullet's float poses keep sub-micrometre resolution far from the line's origin; add the
// base (robot_base) to get line coordinates.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/mirror/part_log.h"
#include "core/model/model.h"
#include "models/physics/robot_cell.h"

namespace twin {

// Stations whose robot the scene describes, if some product's part has a size and mass.
// Ascending station index.
std::vector<uint32_t> physics_robots(const Model& model);

// When the line model hands parts to station `station` and when the station finishes them,
// over one run (replication 0, scenario seed `seed`, `horizon_s` calendar seconds).
struct StationTraffic {
  std::vector<double> arrived_s;   // [s working time] parts reach the pick place, ascending
  std::vector<uint16_t> product;   // product of each arrival (n_arrived)
  std::vector<double> finished_s;  // [s working time] the station passed a part on, ascending
};

// Arrivals are the put-on times of the station's input (its producers' finishes), plus the
// input's mean transport time when it is a conveyor (the part then waits at its end).
StationTraffic station_traffic(const Model& model, uint32_t station, double horizon_s,
                               uint64_t seed);

// The same from a recording (core/mirror/part_log.h): its producers' good parts (plus the input
// conveyor's mean transport time) and the station's own, with products as
// recorded_conveyor_traffic has them.
StationTraffic recorded_station_traffic(const Model& model, const RecordedParts& parts,
                                        uint32_t station);

// The RobotCell of station `station` handling the parts of `products` (spec.parts[i] is
// products[i]'s, at least one), due at the pick place at `arrivals_s` (each arrival part
// `arrival_part[i]`; empty: all parts[0]), each staying on the fixture for the station's mean
// cycle. Nothing (and `why` says what is missing) when the station has no robot, has more than
// one machine (the robot loads one; a what-if may add machines to the line model), has no single
// buffer or conveyor input, a product's part has no size and mass, or the cell cannot be built
// (a place out of reach, the travel height below a grip or release height).
std::optional<RobotCellSpec> scene_robot_spec(const Model& model, uint32_t station,
                                              const std::vector<uint16_t>& products,
                                              const std::vector<double>& arrivals_s,
                                              std::string* why,
                                              const std::vector<uint16_t>& arrival_part = {});

// Line coordinates [m] of the robot's frame origin (its shoulder axis).
struct RobotBase {
  double x_m = 0.0, y_m = 0.0;
};
RobotBase robot_base(const Model& model, uint32_t station);

// The fixture's exchange in `cell` so far: how long the fixture stood empty between a part
// leaving it and the next coming to rest on it, over the parts whose successor was already held
// above the fixture (the robot waiting for the machine), so that robot travel does not count.
struct FixtureExchange {
  double mean_s = 0.0;  // [s] 0: none yet
  uint32_t parts = 0;   // [parts] in the mean
};
FixtureExchange fixture_exchange(const RobotCell& cell);
// The plan's part of it for part `part` (index into the cell's parts): the descent to the
// fixture and the release dwell [s].
double planned_exchange_s(const RobotCell& cell, uint16_t part = 0);

// One robot-loaded station at both fidelities over the same arrivals: the line model runs the
// whole line for `hours` (seed `seed`); the times it hands parts to the station feed the cell.
struct RobotComparison {
  std::string station;
  std::string product;   // the products whose parts the robot handles ("shaft, flange")
  double hours = 0.0;    // [h] compared
  uint64_t arrived = 0;  // [parts] due at the pick place (both)
  // [parts] of them by product, in the order of `product` (name, count)
  std::vector<std::pair<std::string, uint64_t>> arrived_by_product;
  uint64_t des_finished = 0;        // [parts] the station passed on in the second half (warm-up)
  uint64_t physics_finished = 0;    // [parts] left the fixture in the same window
  uint64_t des_finished_total = 0;  // [parts] finished over the whole run
  uint64_t physics_finished_total = 0;  // [parts] same
  double des_cycle_s = 0.0;      // [s] the scene's mean cycle (the line model's part-to-part)
  double motion_cycle_s = 0.0;   // [s] the robot's cycle never starved or blocked (its plan;
                                 // mixed parts: the mean over the arrivals)
  double plan_exchange_s = 0.0;  // [s] descent to the fixture + release (the plan; the same)
  double exchange_s = 0.0;       // [s] mean fixture empty between parts when the robot was
                                 // already waiting above it (measured); 0: none
  uint32_t exchanges = 0;        // [parts] in that mean
  double placement_error_mean_mm = 0.0;  // [mm] rest pose on the fixture against the target
  double placement_error_max_mm = 0.0;   // [mm]
  double yaw_error_max_deg = 0.0;        // [deg]
  double wall_s = 0.0;                   // [s] wall time of the physics run
  double steps = 0.0;                    // physics steps taken
};

// With `recorded`, the arrivals and the finishes beside the physics are a recording's instead of
// the line model's run. Each part is the product the traffic says; `product` >= 0 makes every
// part that product; a traffic without products (a live plant's counters) is all the product the
// line model's run brings most.
std::optional<RobotComparison> compare_robot_fidelities(const Model& model, uint32_t station,
                                                        int32_t product, double hours,
                                                        uint64_t seed, std::string* why,
                                                        const StationTraffic* recorded = nullptr);

}  // namespace twin
