// Model: a scene compiled into flat, immutable arrays with every name interned to an index.
// Built once by compile_scene(); never changed while the twin runs. Everything that changes
// lives in State (models/process/line_state.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/model/calendar.h"
#include "core/model/distribution.h"

namespace twin {

inline constexpr int32_t kUnbounded = -1;  // capacity of an unbounded node

struct Position {
  double x = 0.0, y = 0.0, z = 0.0;                 // [m]
  double yaw_deg = 0.0;                             // [deg]
  double size_x = 0.0, size_y = 0.0, size_z = 0.0;  // [m]; 0 = viewer default
};

struct TagSpec {
  std::string name;
  std::string unit;
  double rate_hz = 1.0;  // [Hz]
  int signal = 0;        // twin::scene::Tag::Signal
};

// A place that holds parts: source queue, buffer, conveyor or sink.
enum class NodeKind : uint8_t { kSource, kBuffer, kConveyor, kSink };

struct Node {
  std::string name;
  NodeKind kind = NodeKind::kBuffer;
  int32_t capacity = kUnbounded;  // [parts]; kUnbounded, or >= 0 (0 = direct hand-off)
  int32_t initial = 0;            // [parts] present at time 0 (buffers)
  // Conveyor: time from put-on to available at the end.
  Distribution transport_time;
  // Source: saturated (infinite supply), or arrivals.
  bool saturated = false;
  Distribution interarrival;          // [s]
  bool lose_when_full = false;        // arrivals finding the queue full are lost (else wait)
  uint32_t batch_size = 1;            // [parts] per arrival
  uint32_t lot_size = 1;              // [parts] consecutive parts of one product
  std::vector<uint16_t> mix_product;  // product index per mix entry
  std::vector<double> mix_cdf;        // cumulative share per mix entry, last = 1
  // Stations that take parts from this node, in scene order (index into Model::stations).
  std::vector<uint32_t> consumers;
  // Stations that may put parts here (as output or rework target), in scene order.
  std::vector<uint32_t> producers;
  uint64_t name_key = 0;  // hash_name(name): keys this node's random streams
  Position placement;
  Position end;  // conveyor end
  // Conveyor geometry when the scene gives it (the physics scene needs it; 0: not given).
  double length_m = 0.0;   // [m]
  double speed_mps = 0.0;  // [m/s]
  double width_m = 0.0;    // [m]
};

// A product's part, for the physics scenes; zeros: not given.
struct PartGeometry {
  double length_m = 0.0, width_m = 0.0, height_m = 0.0;  // [m]
  double mass_kg = 0.0;                                  // [kg]
};

// A SCARA robot that loads a station's machine (scene `robot`), for the physics scene; SI units.
struct RobotJointLimit {
  double speed = 0.0;  // [rad/s or m/s] (> 0)
  double accel = 0.0;  // [rad/s^2 or m/s^2] (> 0)
};

// A place a robot picks from or places on: the part's centre over (x, y), the table top at z.
struct RobotPlace {
  double x_m = 0.0, y_m = 0.0, z_m = 0.0;  // [m] line frame
  double yaw_rad = 0.0;                    // [rad] the part's yaw there
};

struct StationRobot {
  double base_x_m = 0.0, base_y_m = 0.0;      // [m] shoulder axis, line frame
  double link1_m = 0.0, link2_m = 0.0;        // [m] shoulder-elbow, elbow-tool
  double elbow_sign = 1.0;                    // [-] +1: elbow angle in [0, pi]; -1: in [-pi, 0]
  RobotJointLimit shoulder, elbow, z, wrist;  // rad for shoulder, elbow, wrist; m for z
  double travel_z_m = 0.0;                    // [m] tool height for the swings
  RobotPlace pick;                            // where the input hands parts over
  RobotPlace drop;                            // the machine's fixture
  double grip_s = 0.2;                        // [s] dwell before a part is held
  double release_s = 0.1;                     // [s] dwell before a part is let go
};

struct FailureSpec {
  std::string name;
  bool operation_based = false;  // clock runs only while processing (else whenever not down)
  Distribution time_to_failure;  // [s]
  Distribution time_to_repair;   // [s]
  uint64_t name_key = 0;         // hash_name(name)
};

enum class Blocking : uint8_t { kAfterService, kBeforeService };

struct Station {
  std::string name;
  uint32_t first_machine = 0;  // machines of this station are [first_machine, +machine_count)
  uint32_t machine_count = 1;
  std::vector<uint32_t> inputs;   // node indices; size >= 2 means assembly (one part from each)
  uint32_t output = 0;            // node index
  Distribution cycle_time;        // [s]
  double ideal_cycle_time = 0.0;  // [s] cycle_time.mean: the OEE performance reference
  bool has_setup = false;
  Distribution setup_time;  // [s]
  bool setup_on_product_change = false;
  uint32_t setup_every_parts = 0;  // 0 = never by count
  std::vector<FailureSpec> failures;
  Blocking blocking = Blocking::kAfterService;
  double scrap_probability = 0.0;   // [1]
  double rework_probability = 0.0;  // [1]
  int32_t rework_node = -1;         // node index, or -1
  // Power draw per mode [kW].
  double power_busy = 0.0, power_idle = 0.0, power_setup = 0.0, power_down = 0.0, power_off = 0.0;
  double energy_hour_limit_kWh = 0.0;  // [kWh] per machine and hour (twin's alarm); 0: none
  Position placement;
  std::vector<TagSpec> tags;
  std::optional<StationRobot> robot;  // a robot loads the machine (physics scene only)
  uint64_t name_key = 0;              // hash_name(name)
};

// A Sparkplug B metric routed to a machine tag (scene `sparkplug.routes`), checked at load.
struct SparkplugRouteSpec {
  std::string group, node, device, metric;  // Sparkplug side; device empty: a node metric
  std::string machine, tag;                 // scene side; tag "mode" (or a MODE tag): the mode
};

struct Model {
  std::string name;
  std::string source_file;                 // where the scene came from, for messages
  uint64_t seed = 0;                       // default scenario seed
  std::vector<std::string> products;       // at least one ("default" when the scene names none)
  std::vector<PartGeometry> product_part;  // (products) the part of each product
  std::vector<Node> nodes;  // sources, buffers, conveyors, sinks (scene order per kind)
  std::vector<Station> stations;
  std::vector<uint32_t> machine_station;  // station index per machine (n_machines)
  std::vector<uint32_t> sources;          // node indices of sources
  std::vector<uint32_t> sinks;            // node indices of sinks
  Calendar calendar;
  std::vector<SparkplugRouteSpec> sparkplug_routes;  // scene order
  bool sparkplug_routes_only = false;  // false: device id = machine, metric = tag otherwise

  uint32_t machine_count() const { return static_cast<uint32_t>(machine_station.size()); }
  // Index of a node or station by name, or -1.
  int32_t find_node(const std::string& name) const;
  int32_t find_station(const std::string& name) const;
};

}  // namespace twin
