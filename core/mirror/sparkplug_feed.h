// Sparkplug B into the mirror: MQTT messages (topic, payload, receive time) go through the host
// session (core/live/sparkplug_session.h) and its metric updates become mirror samples and mode
// changes. Each Sparkplug metric is resolved to a scene machine and tag once (on first sight,
// then cached); a metric naming a mode tag ("mode", "state", or a scene tag with signal MODE)
// becomes a ModeChange, anything else a sample of the machine's tag. Death marks the metrics'
// tags stale. Network-free: the MQTT client of `twin live` hands messages to handle().
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/live/sparkplug_session.h"
#include "core/mirror/mirror.h"

namespace twin {

// Metrics named "Alarms/<CODE>" (Boolean: raised/cleared) carry a machine's alarms; `twin edge`
// publishes the plant's alarms this way.
inline constexpr std::string_view kAlarmMetricPrefix = "Alarms/";

// The scene's routes (`sparkplug.routes`), then device id = machine and metric = tag unless
// the scene says `routes_only`.
TagResolver make_tag_resolver(const Model& model);

class SparkplugFeed {
 public:
  struct Counters {
    uint64_t unmapped_metrics = 0;  // updates of metrics no route or rule maps to the scene
    uint64_t bad_modes = 0;         // mode metrics whose value is no mode
    uint64_t samples = 0;           // samples handed to the mirror
    uint64_t mode_changes = 0;      // mode changes handed to the mirror
    uint64_t stale_marks = 0;       // tags marked stale by deaths
  };

  SparkplugFeed(const Model& model, Mirror& mirror, TagResolver resolver = TagResolver{},
                SparkplugHost::Options options = {});

  // One MQTT message. Returns the host's result (updates, and rebirth requests the caller must
  // publish).
  const SparkplugHost::Result& handle(std::string_view topic, std::span<const uint8_t> payload,
                                      int64_t receive_time_ns);

  const SparkplugHost& host() const { return host_; }
  // The machine a Sparkplug id names: the machine of that name, else the machine whose name
  // becomes that id through sparkplug_id() ("Grind_1" for "Grind#1"); -1 if none.
  int32_t machine_of(std::string_view id) const;
  // Mirror tag slots the last handle() gave a sample or marked stale (may repeat a slot).
  const std::vector<uint32_t>& touched_slots() const { return touched_; }
  // What the last handle() handed the mirror (a recorder writes the same): per machine the
  // samples (tag = index in sample_tags), and the mode changes in message order.
  struct ModeUpdate {
    uint32_t machine = 0;
    int64_t time_ns = 0;  // [ns] source time
    telemetry::Mode mode = telemetry::MODE_UNKNOWN;
  };
  const std::vector<DecodedBatch>& last_batches() const { return batches_; }
  const std::vector<ModeUpdate>& last_modes() const { return modes_; }
  const Counters& counters() const { return counters_; }

 private:
  // Where one Sparkplug metric goes: a machine's sample tag, its mode, or nowhere.
  struct Target {
    int32_t machine = -1;
    int32_t tag = -1;  // index in the machine's sample tags; -1 with machine >= 0: mode
  };
  const Target& target_of(const SparkplugHost::Update& u);

  const Model& model_;
  Mirror& mirror_;
  TagResolver resolver_;
  SparkplugHost host_;
  Counters counters_;
  std::map<std::string, Target, std::less<>> targets_;  // "group/node/device/metric" -> target
  std::vector<ChannelBinding> bindings_;                // (n_m) all of a machine's sample tags
  std::vector<DecodedBatch> batches_;                   // (n_m) reused per message
  std::string key_;                                     // reused lookup key
  std::vector<uint32_t> touched_;                       // see touched_slots()
  std::vector<ModeUpdate> modes_;                       // see last_modes()
  std::map<std::string, int32_t, std::less<>> by_id_;   // sparkplug_id(name) -> machine, where
                                                        // it differs from the name
};

}  // namespace twin
