// `twin live` without the command line: a Sparkplug B host application on an MQTT client
// feeding a LiveTwin. STATE online (retained) after each connect and offline as the will,
// rebirth requests published, every node asked for a rebirth after a reconnect. All twin work
// runs on the client's network thread; read the state through the hub.
#pragma once

#include <memory>
#include <string>

#include "core/live/state_hub.h"
#include "core/mirror/live_twin.h"
#include "core/net/mqtt_client.h"
#include "replay/telemetry_writer.h"

namespace twin {

struct LiveSessionOptions {
  MqttOptions mqtt;
  std::string host_id = "twin";         // STATE topic spBv1.0/STATE/<host_id>
  std::string subscribe = "spBv1.0/#";  // the plant's messages
  bool source_clock = false;            // true: the twin's clock follows the newest timestamps
  // With source_clock: the twin's clock runs at most this many times faster than the wall
  // clock, so one bad timestamp cannot throw it hours ahead.
  double max_source_speed = 10000.0;
  // An edge node not to mirror: the twin's own republishing (group/node), so it does not read
  // its echo. Other nodes of that group are mirrored.
  std::string ignore_group, ignore_node;
  LiveTwinOptions twin;  // its resolver is replaced by the scene's (make_tag_resolver)
};

class LiveSession {
 public:
  LiveSession(const Model& model, StateHub& hub, LiveSessionOptions options);
  ~LiveSession();

  // Records what the twin receives to an MCAP file (`twin replay` plays it back). Call before
  // start(); false (with the writer's error) if the file cannot be written.
  bool record_to(const std::string& path, std::string* error);

  void start();
  // Stops the network thread (the twin keeps its state: final_snapshot()) and closes the
  // recording. False if closing the recording failed (see record_error()).
  bool stop();
  const std::string& record_error() const { return record_error_; }
  // The full state; call after stop() (the twin is then no longer running).
  live::Snapshot final_snapshot() const;

  const MqttClient& client() const { return client_; }
  MqttClient& client() { return client_; }

 private:
  int64_t now_ns();

  LiveSessionOptions options_;
  std::unique_ptr<TelemetryWriter> recorder_;  // --record
  std::string record_error_;
  LiveTwin twin_;
  MqttClient client_;
  std::string state_topic_;
  int64_t state_ms_ = 0;       // STATE timestamp of the current connection
  int64_t clock_ns_ = 0;       // the twin's clock (network thread)
  int64_t clock_wall_ns_ = 0;  // wall time of the last clock update (source clock)
};

}  // namespace twin
