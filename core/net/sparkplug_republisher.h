// The twin as a Sparkplug B edge node: SCADA and MES tools that speak Sparkplug see the twin's
// state (one device per machine: its tags, mode, alarms, KPIs "kpi/oee" and "kpi/good", and
// the twin's remaining useful life "rul/<tag>/median_h", "p05_h", "p95_h" for the machine's
// degradation indicators: +inf when no failure is in sight) under a group of its own. Reads the
// StateHub on its own thread with its own MQTT client, so a slow broker never holds up the twin;
// births after every connect and on rebirth requests.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/live/sparkplug_edge.h"
#include "core/live/state_hub.h"
#include "core/model/model.h"
#include "core/net/mqtt_client.h"

namespace twin {

class SparkplugRepublisher {
 public:
  struct Counters {
    std::atomic<uint64_t> changes{0};   // state changes taken from the hub
    std::atomic<uint64_t> messages{0};  // Sparkplug messages published
    std::atomic<uint64_t> dropped{0};   // not published: offline, or the hub dropped them
    std::atomic<uint64_t> births{0};    // birth sequences published
    std::atomic<uint64_t> rul{0};       // RUL estimates forwarded
  };

  SparkplugRepublisher(const Model& model, StateHub& hub, MqttOptions mqtt, std::string group,
                       std::string node, size_t queue_capacity = 4096);
  ~SparkplugRepublisher();

  void start();
  void stop();
  const Counters& counters() const { return counters_; }
  const MqttClient& client() const { return client_; }

 private:
  void run();
  void publish_births();
  void forward(const live::StateChange& change);

  StateHub& hub_;
  SparkplugEdgeNode node_;
  MqttClient client_;
  std::shared_ptr<StateSubscription> subscription_;
  std::map<std::string, uint32_t, std::less<>> device_of_;            // machine -> device
  std::vector<std::map<std::string, uint32_t, std::less<>>> tag_of_;  // per device: tag -> index
  std::vector<size_t> kpi_tag_;  // per device: index of "kpi/oee" ("kpi/good" follows)
  // Per device: indicator tag -> index of "rul/<tag>/median_h" ("p05_h", "p95_h" follow).
  std::vector<std::map<std::string, uint32_t, std::less<>>> rul_tag_;
  std::atomic<bool> need_births_{true};
  std::atomic<bool> running_{false};
  std::thread thread_;
  Counters counters_;
};

}  // namespace twin
