// A Sparkplug B edge node (Eclipse Sparkplug 3.0) that publishes a plant's telemetry: one node
// per line, one device per machine. Births define every metric with an alias (the machine's
// sample tags as Float, "mode" as String, "Alarms/<CODE>" as Boolean); data messages carry
// values by alias with their own timestamps. Pure: it builds topics and payloads, the caller
// sends them (`twin edge` through MqttClient).
//
// Sequence: NBIRTH has seq 0, every later message of the node or its devices the next value
// mod 256. bdSeq goes up by one per MQTT connection: call next_death() before each connect and
// register what it returns as the will, then publish births() once connected. Apart from
// next_death(), calls must come from one thread (the one that publishes, to keep seq order).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/model/model.h"
#include "twin/telemetry.pb.h"

namespace twin {

struct SparkplugMessage {
  std::string topic;
  std::string payload;  // serialized org.eclipse.tahu.protobuf.Payload
};

class SparkplugEdgeNode {
 public:
  SparkplugEdgeNode(std::string group, std::string node);

  // A device (machine) with its sample tags. `alarm_codes` are declared in its DBIRTH; an
  // alarm with a code not declared there triggers a new DBIRTH of the device first. The id
  // goes through sparkplug_id() (a machine "Grind#1" is device "Grind_1").
  uint32_t add_device(std::string id, std::vector<TagSpec> tags,
                      std::vector<std::string> alarm_codes);

  // The NDEATH for the next connection (bdSeq incremented): the will to register.
  SparkplugMessage next_death(int64_t now_ms);
  // NBIRTH then one DBIRTH per device, seq restarting at 0. After every connect and on a
  // rebirth request.
  std::vector<SparkplugMessage> births(int64_t now_ms);

  // DDATA with the batch's samples (bad-quality samples are sent as null values).
  SparkplugMessage samples(uint32_t device, const telemetry::SampleBatch& batch);
  SparkplugMessage mode(uint32_t device, int64_t time_ns, telemetry::Mode mode);
  // One or two messages: a DBIRTH first if the code is new to the device, then the DDATA.
  std::vector<SparkplugMessage> alarm(uint32_t device, const telemetry::Alarm& alarm);

  // An NCMD for this node: true if it asks for a rebirth ("Node Control/Rebirth" = true).
  bool is_rebirth_request(std::string_view topic, std::span<const uint8_t> payload) const;
  std::string command_topic() const;  // spBv1.0/<group>/NCMD/<node>

  uint64_t bd_seq() const { return bd_seq_.load(); }
  size_t device_count() const { return devices_.size(); }
  const std::string& group() const { return group_; }
  const std::string& node() const { return node_; }

 private:
  struct Device {
    std::string id;
    std::vector<TagSpec> tags;             // alias 1.. in order
    std::vector<std::string> alarm_codes;  // aliases after the tags and "mode"
    std::string data_topic, birth_topic;
  };
  uint64_t next_seq();
  SparkplugMessage device_birth(const Device& d, int64_t now_ms);
  // Alias of tag i of a device: device-local, unique within the node as Sparkplug requires.
  uint64_t tag_alias(uint32_t device, size_t tag) const;
  uint64_t mode_alias(uint32_t device) const;
  uint64_t alarm_alias(uint32_t device, size_t code) const;

  std::string group_, node_;
  std::vector<Device> devices_;
  // bdSeq of the current connection. Atomic: next_death() runs on the MQTT thread before a
  // connect while births() may run on the publishing thread.
  std::atomic<uint64_t> bd_seq_{0};
  bool first_death_ = true;  // bdSeq starts at 0
  uint8_t seq_ = 0;          // last seq used
};

}  // namespace twin
