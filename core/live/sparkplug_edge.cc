#include "core/live/sparkplug_edge.h"

#include <algorithm>

#include "core/live/sparkplug_topic.h"
#include "core/telemetry/telemetry.h"
#include "twin/sparkplug_b.pb.h"

namespace twin {

namespace spb = org::eclipse::tahu::protobuf;

namespace {

// Aliases: device d owns [(d + 1) * kAliasStride, (d + 2) * kAliasStride); node metrics below.
constexpr uint64_t kAliasStride = 1u << 16;
constexpr uint64_t kBdSeqAlias = 1;
constexpr uint64_t kRebirthAlias = 2;

uint64_t to_ms(int64_t ns) {
  return static_cast<uint64_t>(std::max<int64_t>(ns, 0) / 1'000'000);
}

SparkplugMessage finish(std::string topic, const spb::Payload& payload) {
  SparkplugMessage m;
  m.topic = std::move(topic);
  payload.SerializeToString(&m.payload);
  return m;
}

}  // namespace

SparkplugEdgeNode::SparkplugEdgeNode(std::string group, std::string node)
    : group_(std::move(group)), node_(std::move(node)) {}

uint32_t SparkplugEdgeNode::add_device(std::string id, std::vector<TagSpec> tags,
                                       std::vector<std::string> alarm_codes) {
  Device d;
  d.id = sparkplug_id(id);
  d.data_topic = format_sparkplug_topic(SparkplugType::kDData, group_, node_, d.id);
  d.birth_topic = format_sparkplug_topic(SparkplugType::kDBirth, group_, node_, d.id);
  d.tags = std::move(tags);
  d.alarm_codes = std::move(alarm_codes);
  devices_.push_back(std::move(d));
  return static_cast<uint32_t>(devices_.size() - 1);
}

uint64_t SparkplugEdgeNode::next_seq() {
  seq_ = static_cast<uint8_t>(seq_ + 1);
  return seq_;
}

uint64_t SparkplugEdgeNode::tag_alias(uint32_t device, size_t tag) const {
  return (device + 1) * kAliasStride + tag;
}
uint64_t SparkplugEdgeNode::mode_alias(uint32_t device) const {
  return tag_alias(device, devices_[device].tags.size());
}
uint64_t SparkplugEdgeNode::alarm_alias(uint32_t device, size_t code) const {
  return mode_alias(device) + 1 + code;
}

SparkplugMessage SparkplugEdgeNode::next_death(int64_t now_ms) {
  if (first_death_) {
    first_death_ = false;
  } else {
    bd_seq_.store((bd_seq_.load() + 1) % 256);
  }
  spb::Payload p;
  p.set_timestamp(static_cast<uint64_t>(now_ms));
  spb::Payload_Metric* m = p.add_metrics();
  m->set_name("bdSeq");
  m->set_timestamp(static_cast<uint64_t>(now_ms));
  m->set_datatype(spb::Int64);
  m->set_long_value(bd_seq_.load());
  return finish(format_sparkplug_topic(SparkplugType::kNDeath, group_, node_), p);
}

SparkplugMessage SparkplugEdgeNode::device_birth(const Device& d, int64_t now_ms) {
  const uint32_t index = static_cast<uint32_t>(&d - devices_.data());
  spb::Payload p;
  p.set_timestamp(static_cast<uint64_t>(now_ms));
  p.set_seq(next_seq());
  for (size_t i = 0; i < d.tags.size(); ++i) {
    spb::Payload_Metric* m = p.add_metrics();
    m->set_name(d.tags[i].name);
    m->set_alias(tag_alias(index, i));
    m->set_timestamp(static_cast<uint64_t>(now_ms));
    m->set_datatype(spb::Float);
    m->set_is_null(true);  // no value yet; the next DDATA brings it
    if (!d.tags[i].unit.empty()) {
      // The engineering unit, as SCADA tools (Ignition) read it from a metric's properties.
      spb::Payload_PropertySet* props = m->mutable_properties();
      props->add_keys("engUnit");
      spb::Payload_PropertyValue* unit = props->add_values();
      unit->set_type(spb::String);
      unit->set_string_value(d.tags[i].unit);
    }
  }
  spb::Payload_Metric* mode = p.add_metrics();
  mode->set_name("mode");
  mode->set_alias(mode_alias(index));
  mode->set_timestamp(static_cast<uint64_t>(now_ms));
  mode->set_datatype(spb::String);
  mode->set_is_null(true);
  for (size_t c = 0; c < d.alarm_codes.size(); ++c) {
    spb::Payload_Metric* m = p.add_metrics();
    std::string name("Alarms/");
    name.append(d.alarm_codes[c]);
    m->set_name(std::move(name));
    m->set_alias(alarm_alias(index, c));
    m->set_timestamp(static_cast<uint64_t>(now_ms));
    m->set_datatype(spb::Boolean);
    m->set_boolean_value(false);
  }
  return finish(d.birth_topic, p);
}

std::vector<SparkplugMessage> SparkplugEdgeNode::births(int64_t now_ms) {
  std::vector<SparkplugMessage> out;
  spb::Payload p;
  p.set_timestamp(static_cast<uint64_t>(now_ms));
  p.set_seq(0);
  seq_ = 0;
  spb::Payload_Metric* bd = p.add_metrics();
  bd->set_name("bdSeq");
  bd->set_alias(kBdSeqAlias);
  bd->set_timestamp(static_cast<uint64_t>(now_ms));
  bd->set_datatype(spb::Int64);
  bd->set_long_value(bd_seq_.load());
  spb::Payload_Metric* rebirth = p.add_metrics();
  rebirth->set_name("Node Control/Rebirth");
  rebirth->set_alias(kRebirthAlias);
  rebirth->set_timestamp(static_cast<uint64_t>(now_ms));
  rebirth->set_datatype(spb::Boolean);
  rebirth->set_boolean_value(false);
  out.push_back(finish(format_sparkplug_topic(SparkplugType::kNBirth, group_, node_), p));
  for (const Device& d : devices_) out.push_back(device_birth(d, now_ms));
  return out;
}

SparkplugMessage SparkplugEdgeNode::samples(uint32_t device, const telemetry::SampleBatch& batch) {
  const Device& d = devices_[device];
  spb::Payload p;
  p.set_seq(next_seq());
  uint64_t newest = 0;
  const int n = std::min({batch.tag_size(), batch.time_offset_ns_size(), batch.value_size()});
  for (int i = 0; i < n; ++i) {
    const uint32_t tag = batch.tag(i);
    if (tag >= d.tags.size()) continue;
    spb::Payload_Metric* m = p.add_metrics();
    m->set_alias(tag_alias(device, tag));
    const uint64_t ms = to_ms(batch.base_time_ns() + batch.time_offset_ns(i));
    newest = std::max(newest, ms);
    m->set_timestamp(ms);
    const bool bad = i < batch.quality_size() && batch.quality(i) == telemetry::QUALITY_BAD;
    if (bad) {
      m->set_is_null(true);
    } else {
      m->set_float_value(batch.value(i));
    }
  }
  p.set_timestamp(newest);
  return finish(d.data_topic, p);
}

SparkplugMessage SparkplugEdgeNode::mode(uint32_t device, int64_t time_ns, telemetry::Mode mode) {
  spb::Payload p;
  p.set_seq(next_seq());
  p.set_timestamp(to_ms(time_ns));
  spb::Payload_Metric* m = p.add_metrics();
  m->set_alias(mode_alias(device));
  m->set_timestamp(to_ms(time_ns));
  m->set_string_value(telemetry_mode_name(mode));
  return finish(devices_[device].data_topic, p);
}

std::vector<SparkplugMessage> SparkplugEdgeNode::alarm(uint32_t device,
                                                       const telemetry::Alarm& alarm) {
  std::vector<SparkplugMessage> out;
  Device& d = devices_[device];
  auto it = std::find(d.alarm_codes.begin(), d.alarm_codes.end(), alarm.code());
  if (it == d.alarm_codes.end()) {
    d.alarm_codes.push_back(alarm.code());
    out.push_back(device_birth(d, static_cast<int64_t>(to_ms(alarm.time_ns()))));
    it = d.alarm_codes.end() - 1;
  }
  spb::Payload p;
  p.set_seq(next_seq());
  p.set_timestamp(to_ms(alarm.time_ns()));
  spb::Payload_Metric* m = p.add_metrics();
  m->set_alias(alarm_alias(device, static_cast<size_t>(it - d.alarm_codes.begin())));
  m->set_timestamp(to_ms(alarm.time_ns()));
  m->set_boolean_value(alarm.active());
  out.push_back(finish(d.data_topic, p));
  return out;
}

std::string SparkplugEdgeNode::command_topic() const {
  return format_sparkplug_topic(SparkplugType::kNCmd, group_, node_);
}

bool SparkplugEdgeNode::is_rebirth_request(std::string_view topic,
                                           std::span<const uint8_t> payload) const {
  if (topic != command_topic()) return false;
  spb::Payload p;
  if (!p.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) return false;
  for (const spb::Payload_Metric& m : p.metrics()) {
    const bool named = m.has_name() && m.name() == "Node Control/Rebirth";
    const bool aliased = !m.has_name() && m.has_alias() && m.alias() == kRebirthAlias;
    if ((named || aliased) && m.has_boolean_value() && m.boolean_value()) return true;
  }
  return false;
}

}  // namespace twin
