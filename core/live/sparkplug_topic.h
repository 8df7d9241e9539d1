// Sparkplug B (3.0) MQTT topic names: parsing what a host application receives and formatting
// what it publishes. Network-free; the MQTT client lives elsewhere.
//   spBv1.0/<group_id>/<NBIRTH|NDEATH|NDATA|NCMD>/<edge_node_id>
//   spBv1.0/<group_id>/<DBIRTH|DDEATH|DDATA|DCMD>/<edge_node_id>/<device_id>
//   spBv1.0/STATE/<host_id>                                  (host application state, 3.0)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace twin {

enum class SparkplugType {
  kNBirth,
  kNDeath,
  kNData,
  kNCmd,
  kDBirth,
  kDDeath,
  kDData,
  kDCmd,
  kState,
};

// Views into the parsed topic string: valid while that string is.
struct SparkplugTopic {
  SparkplugType type = SparkplugType::kNData;
  std::string_view group;    // group_id (empty for kState)
  std::string_view node;     // edge_node_id (empty for kState)
  std::string_view device;   // device_id: only and always for D* types
  std::string_view host_id;  // only for kState
};

inline constexpr std::string_view kSparkplugNamespace = "spBv1.0";

// True for DBIRTH/DDEATH/DDATA/DCMD.
bool is_device_type(SparkplugType type);
// "NBIRTH", ..., "STATE".
std::string_view sparkplug_type_name(SparkplugType type);

// Returns false, with the reason in `error` when given, for anything but the forms above: other
// namespace, unknown message type, missing or extra levels, empty ids, ids with the MQTT
// wildcards + or # (the spec forbids them; they would make the topic unusable for publishing).
// Does not allocate on success.
bool parse_sparkplug_topic(std::string_view topic, SparkplugTopic& out,
                           std::string* error = nullptr);

// Formats a node (device empty) or device topic; the ids are not validated here.
std::string format_sparkplug_topic(SparkplugType type, std::string_view group,
                                   std::string_view node, std::string_view device = {});
// A name made usable as a Sparkplug id (group, node or device): the MQTT wildcards '+' and '#'
// and the level separator '/' become '_' ("Grind#1" -> "Grind_1").
std::string sparkplug_id(std::string_view name);

// spBv1.0/STATE/<host_id>.
std::string format_state_topic(std::string_view host_id);
// The 3.0 STATE payload (JSON, spec 7.3): {"online":true,"timestamp":<ms>}. The host publishes
// online=true retained on connect and registers online=false as its will.
std::string format_state_payload(bool online, int64_t timestamp_ms);

}  // namespace twin
