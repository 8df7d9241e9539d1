// Key performance indicators of one replication of the line model, per machine, station, node
// and line, over the observation window [warm-up end, horizon] in calendar time.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace twin {

// What a machine is doing. Starved: waiting for input. Blocked: holding a finished part with
// no room downstream, or (blocking before service) waiting for room to start.
enum class Mode : uint8_t { kBusy, kStarved, kBlocked, kDown, kSetup, kOff };
inline constexpr int kModeCount = 6;
const char* mode_name(Mode mode);

struct MachineKpis {
  std::array<double, kModeCount> time_in_mode{};  // [s] per Mode, sums to the window length
  uint64_t parts_started = 0;                     // [parts] operations begun
  uint64_t parts_completed = 0;      // [parts] operations finished (good + scrap + rework)
  uint64_t parts_good = 0;           // [parts] finished and passed on
  uint64_t parts_scrapped = 0;       // [parts]
  uint64_t parts_reworked = 0;       // [parts] sent back to rework
  uint64_t failures = 0;             // [count] failures begun in the window
  double utilization = 0.0;          // [1] busy / window
  double availability = 0.0;         // [1] (planned - down - setup) / planned; planned excludes off
  double performance = 0.0;          // [1] ideal cycle x completed / operating time
  double quality = 0.0;              // [1] good / completed
  double oee = 0.0;                  // [1] availability x performance x quality
  double energy_kwh = 0.0;           // [kWh]
  double bottleneck_sole = 0.0;      // [1] share of the window this machine is the sole bottleneck
  double bottleneck_shifting = 0.0;  // [1] share of the window it shares a shifting bottleneck
};

struct StationKpis {
  std::array<double, kModeCount> time_in_mode{};  // [s] mean over the station's machines
  uint64_t parts_completed = 0;
  uint64_t parts_good = 0;
  uint64_t parts_scrapped = 0;
  uint64_t parts_reworked = 0;
  uint64_t failures = 0;
  double throughput_per_h = 0.0;  // [parts/h] good parts passed on
  double utilization = 0.0;       // [1] mean over machines
  double availability = 0.0, performance = 0.0, quality = 0.0, oee = 0.0;  // [1]
  double energy_kwh = 0.0;           // [kWh] sum over machines
  double bottleneck_sole = 0.0;      // [1] sum over machines
  double bottleneck_shifting = 0.0;  // [1] sum over machines
};

struct NodeKpis {
  double mean_level = 0.0;        // [parts] time-average content
  int64_t max_level = 0;          // [parts]
  uint64_t parts_in = 0;          // [parts] entered in the window
  uint64_t arrivals_lost = 0;     // [parts] sources with when_full: lose
  double mean_lead_time_s = 0.0;  // sinks: [s] calendar time from creation to the sink
};

struct LineKpis {
  double window_s = 0.0;          // [s] calendar length of the observation window
  double off_s = 0.0;             // [s] break time inside the window
  uint64_t parts_created = 0;     // [parts] entered the line in the window
  uint64_t good_parts = 0;        // [parts] reached a sink in the window
  uint64_t scrapped_parts = 0;    // [parts]
  double throughput_per_h = 0.0;  // [parts/h] good parts per calendar hour
  double wip_mean = 0.0;          // [parts] time-average parts in the line (sources excluded)
  double lead_time_mean_s = 0.0;  // [s] calendar, creation to sink, over parts finished
  double oee = 0.0;               // [1] OEE of the average bottleneck station
  double energy_kwh = 0.0;        // [kWh]
  double energy_per_good_part_kwh = 0.0;  // [kWh/part]
  int32_t bottleneck_station = -1;        // average: largest sole + shifting share
  // Momentary bottleneck at the end of the window: the station of the machine whose current
  // active period is the longest (Roser et al. 2002), or -1 when no machine is active.
  int32_t momentary_bottleneck_station = -1;
  // Circular blocking at the end of the window: stations whose machines wait for room in a
  // node whose consumers all wait too, round a loop (a rework loop into full buffers). Empty
  // when the line is not deadlocked. Station indices, in loop order.
  std::vector<uint32_t> deadlock_stations;
};

struct ReplicationKpis {
  LineKpis line;
  std::vector<StationKpis> stations;  // (n_stations)
  std::vector<MachineKpis> machines;  // (n_machines)
  std::vector<NodeKpis> nodes;        // (n_nodes)
  uint64_t events = 0;                // events processed in the whole run, warm-up included
  uint64_t trace_hash = 0;            // hash of the event trace (determinism guard)
};

// One named figure, e.g. {"line.throughput_per_h", 412.3} or
// {"station.Filler.utilization", 0.93}. The order is stable for a given model.
struct Metric {
  std::string key;
  double value = 0.0;
};

}  // namespace twin
