// The live twin on a Foxglove WebSocket server: subscribes to the StateHub and publishes each
// state change, on a thread of its own, as
//   /twin/state            twin.live.StateChange   every change as the twin published it
//   /twin/kpis             twin.live.Kpis          when a change carries KPIs
//   /twin/alarms           twin.telemetry.Alarm    one message per alarm raised or cleared
//   /twin/machines/<name>  twin.live.StateChange   only that machine's tags and modes, so a
//                          plot path like /twin/machines/M1.tags[:]{tag=="temperature"}.value
//                          follows one tag
// all stamped with the change's twin_time_ns. Messages for channels nobody subscribes to are
// not built. When the bridge falls behind the hub, the next /twin/state message says how many
// changes it missed (StateChange.dropped).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/live/state_hub.h"
#include "core/net/foxglove_server.h"

namespace twin {

class FoxgloveBridge {
 public:
  struct Options {
    size_t queue_capacity = 4096;  // [changes] the bridge's queue in the hub (drop-oldest)
  };

  struct Counters {
    uint64_t changes = 0;          // state changes taken from the hub
    uint64_t hub_dropped = 0;      // changes the hub dropped because the bridge fell behind
    uint64_t messages = 0;         // messages handed to the server (all channels)
    uint64_t server_dropped = 0;   // messages the server refused (stopped or behind)
    uint64_t unknown_machine = 0;  // tags and modes of machines not in the machine list
  };

  // Adds the channels to `server`, subscribes to `hub` and starts the thread. `machines` are
  // the scene's machine names (one channel each). `hub` and `server` must outlive the bridge.
  FoxgloveBridge(StateHub& hub, FoxgloveServer& server, std::vector<std::string> machines,
                 Options options);
  FoxgloveBridge(StateHub& hub, FoxgloveServer& server, std::vector<std::string> machines);
  // Stops (see stop()).
  ~FoxgloveBridge();
  FoxgloveBridge(const FoxgloveBridge&) = delete;
  FoxgloveBridge& operator=(const FoxgloveBridge&) = delete;

  // Leaves the hub, forwards what is still queued and joins the thread. Idempotent.
  void stop();

  Counters counters() const;

  uint32_t state_channel() const { return state_channel_; }
  uint32_t kpis_channel() const { return kpis_channel_; }
  uint32_t alarms_channel() const { return alarms_channel_; }
  uint32_t rul_channel() const { return rul_channel_; }
  // The channel of machines[i] as given to the constructor.
  uint32_t machine_channel(size_t i) const { return machine_channels_[i]; }

 private:
  void run();
  void forward(const live::StateChange& change, uint64_t dropped_before);
  void publish(uint32_t channel, int64_t time_ns, const google::protobuf::Message& message);

  FoxgloveServer& server_;
  const std::vector<std::string> machines_;          // scene machine names (n_machines)
  std::unordered_map<std::string, size_t> machine_;  // machine name -> index in machines_
  uint32_t state_channel_ = 0;
  uint32_t kpis_channel_ = 0;
  uint32_t alarms_channel_ = 0;
  uint32_t rul_channel_ = 0;
  std::vector<uint32_t> machine_channels_;  // channel id per machine (n_machines)
  std::shared_ptr<StateSubscription> subscription_;

  // Bridge thread only: reused per change so steady state allocates little.
  std::vector<live::StateChange> per_machine_;  // the change split by machine (n_machines)
  std::vector<char> machine_wanted_;            // machine channel has subscribers (n_machines)
  std::vector<size_t> touched_;                 // machines present in the current change
  std::string bytes_;                           // serialization buffer

  std::atomic<uint64_t> changes_{0};
  std::atomic<uint64_t> hub_dropped_{0};
  std::atomic<uint64_t> messages_{0};
  std::atomic<uint64_t> server_dropped_{0};
  std::atomic<uint64_t> unknown_machine_{0};
  std::thread thread_;
};

}  // namespace twin
