#include "core/live/sparkplug_topic.h"

#include <array>
#include <cstdint>

namespace twin {
namespace {

struct TypeName {
  std::string_view name;
  SparkplugType type;
};

constexpr std::array<TypeName, 8> kTypes = {{
    {"NBIRTH", SparkplugType::kNBirth},
    {"NDEATH", SparkplugType::kNDeath},
    {"NDATA", SparkplugType::kNData},
    {"NCMD", SparkplugType::kNCmd},
    {"DBIRTH", SparkplugType::kDBirth},
    {"DDEATH", SparkplugType::kDDeath},
    {"DDATA", SparkplugType::kDData},
    {"DCMD", SparkplugType::kDCmd},
}};

bool fail(std::string* error, const char* reason) {
  if (error) *error = reason;
  return false;
}

// Checks one id level; `what` names it in the error.
bool valid_id(std::string_view id, std::string* error, const char* what) {
  if (id.empty()) {
    if (error) (*error = "empty ") += what;
    return false;
  }
  if (id.find_first_of("+#") != std::string_view::npos) {
    if (error) (*error = "MQTT wildcard in ") += what;
    return false;
  }
  return true;
}

}  // namespace

bool is_device_type(SparkplugType type) {
  return type == SparkplugType::kDBirth || type == SparkplugType::kDDeath ||
         type == SparkplugType::kDData || type == SparkplugType::kDCmd;
}

std::string_view sparkplug_type_name(SparkplugType type) {
  if (type == SparkplugType::kState) return "STATE";
  for (const TypeName& t : kTypes) {
    if (t.type == type) return t.name;
  }
  return "?";
}

bool parse_sparkplug_topic(std::string_view topic, SparkplugTopic& out, std::string* error) {
  // Split into at most 6 levels; more than 5 is always an error.
  std::array<std::string_view, 6> level;
  size_t n = 0;
  size_t start = 0;
  while (true) {
    const size_t slash = topic.find('/', start);
    if (n == level.size()) return fail(error, "too many topic levels");
    level[n++] = topic.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (level[0] != kSparkplugNamespace) return fail(error, "not in the spBv1.0 namespace");
  if (n < 3) return fail(error, "missing topic levels");
  out = SparkplugTopic{};
  if (level[1] == "STATE") {
    // STATE is reserved as a group id by the 3.0 spec, so this is always the host form.
    if (n != 3) return fail(error, "STATE topic must be spBv1.0/STATE/<host_id>");
    if (!valid_id(level[2], error, "host id")) return false;
    out.type = SparkplugType::kState;
    out.host_id = level[2];
    return true;
  }
  const TypeName* found = nullptr;
  for (const TypeName& t : kTypes) {
    if (t.name == level[2]) found = &t;
  }
  if (!found) return fail(error, "unknown message type");
  const bool device = is_device_type(found->type);
  const size_t want = device ? 5 : 4;
  if (n < want)
    return fail(error, device ? "device message without device id" : "missing edge node id");
  if (n > want)
    return fail(error, device ? "extra topic levels" : "node message with extra levels");
  if (!valid_id(level[1], error, "group id")) return false;
  if (!valid_id(level[3], error, "edge node id")) return false;
  if (device && !valid_id(level[4], error, "device id")) return false;
  out.type = found->type;
  out.group = level[1];
  out.node = level[3];
  if (device) out.device = level[4];
  return true;
}

std::string format_sparkplug_topic(SparkplugType type, std::string_view group,
                                   std::string_view node, std::string_view device) {
  std::string t(kSparkplugNamespace);
  t += '/';
  t += group;
  t += '/';
  t += sparkplug_type_name(type);
  t += '/';
  t += node;
  if (!device.empty()) {
    t += '/';
    t += device;
  }
  return t;
}

std::string format_state_topic(std::string_view host_id) {
  std::string t(kSparkplugNamespace);
  t += "/STATE/";
  t += host_id;
  return t;
}

std::string format_state_payload(bool online, int64_t timestamp_ms) {
  std::string p(online ? "{\"online\":true,\"timestamp\":" : "{\"online\":false,\"timestamp\":");
  p += std::to_string(timestamp_ms);
  p += '}';
  return p;
}

std::string sparkplug_id(std::string_view name) {
  std::string id(name);
  for (char& c : id) {
    if (c == '+' || c == '#' || c == '/') c = '_';
  }
  return id;
}

}  // namespace twin
