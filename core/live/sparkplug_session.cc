#include "core/live/sparkplug_session.h"

#include <limits>
#include <utility>

#include "twin/sparkplug_b.pb.h"

namespace twin {
namespace {

namespace spb = org::eclipse::tahu::protobuf;

constexpr int64_t kNsPerMs = 1'000'000;
constexpr int64_t kNsPerS = 1'000'000'000;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The bdSeq metric of an NBIRTH/NDEATH (spec: UInt64, but accept int_value too).
bool find_bd_seq(const spb::Payload& p, uint64_t& out) {
  for (const spb::Payload_Metric& m : p.metrics()) {
    if (!m.has_name() || m.name() != "bdSeq") continue;
    if (m.value_case() == spb::Payload_Metric::kLongValue) {
      out = m.long_value();
      return true;
    }
    if (m.value_case() == spb::Payload_Metric::kIntValue) {
      out = m.int_value();
      return true;
    }
    return false;
  }
  return false;
}

// |a - b| > bound, exact for all int64 (the difference is taken in uint64).
bool farther_than(int64_t a, int64_t b, int64_t bound) {
  const uint64_t d = a >= b ? static_cast<uint64_t>(a) - static_cast<uint64_t>(b)
                            : static_cast<uint64_t>(b) - static_cast<uint64_t>(a);
  return d > static_cast<uint64_t>(bound);
}

}  // namespace

void SparkplugHost::Scope::clear_defs() {
  born = false;
  by_alias.clear();
  by_name.clear();
  defs.clear();
}

SparkplugHost::SparkplugHost() : SparkplugHost(Options{}) {}

SparkplugHost::SparkplugHost(Options options)
    : options_(options), payload_(std::make_unique<spb::Payload>()) {}

SparkplugHost::~SparkplugHost() = default;

std::string SparkplugHost::rebirth_payload(int64_t time_ms) {
  spb::Payload p;
  const uint64_t ts = time_ms > 0 ? static_cast<uint64_t>(time_ms) : 0;
  p.set_timestamp(ts);
  spb::Payload_Metric* m = p.add_metrics();
  m->set_name("Node Control/Rebirth");
  m->set_timestamp(ts);
  m->set_datatype(spb::Boolean);
  m->set_boolean_value(true);
  return p.SerializeAsString();
}

const SparkplugHost::Result& SparkplugHost::handle(std::string_view topic,
                                                   std::span<const uint8_t> payload,
                                                   int64_t receive_time_ns) {
  result_.accepted = false;
  result_.updates.clear();
  result_.actions.clear();
  ++counters_.messages;
  const int64_t now = receive_time_ns;

  SparkplugTopic t;
  if (!parse_sparkplug_topic(topic, t)) {
    ++counters_.bad_topics;
    return result_;
  }
  // Commands (ours or another host's) and host STATE come back on a spBv1.0/# subscription.
  if (t.type == SparkplugType::kNCmd || t.type == SparkplugType::kDCmd ||
      t.type == SparkplugType::kState) {
    ++counters_.ignored_other;
    return result_;
  }
  if (payload.size() > options_.max_payload_bytes) {
    ++counters_.oversize_payloads;
    return result_;
  }
  Node* node = find_or_add_node(t.group, t.node);
  if (!node) {
    ++counters_.too_many_nodes;
    return result_;
  }
  if (!rate_ok(*node, now)) {
    ++counters_.rate_limited;
    return result_;
  }
  spb::Payload& p = *payload_;
  p.Clear();  // keeps the allocated metrics and strings for reuse
  if (payload.size() > static_cast<size_t>(std::numeric_limits<int>::max()) ||
      !p.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    ++counters_.malformed_payloads;
    return result_;
  }

  switch (t.type) {
    case SparkplugType::kNBirth: {
      uint64_t bd_seq = 0;
      if (!find_bd_seq(p, bd_seq) || !p.has_seq() || p.seq() > 255 ||
          static_cast<size_t>(p.metrics_size()) > options_.max_metrics_per_birth) {
        ++counters_.malformed_payloads;
        return result_;
      }
      // A new session: devices must send their DBIRTHs again.
      for (auto& [id, dev] : node->devices) dev.clear_defs();
      node->bd_seq = bd_seq;
      node->next_seq = static_cast<uint8_t>((p.seq() + 1) & 0xFF);
      node->rebirth_pending = false;
      ++counters_.births;
      handle_birth(*node, node->metrics, now);
      break;
    }
    case SparkplugType::kNDeath: {
      uint64_t bd_seq = 0;
      if (!find_bd_seq(p, bd_seq)) {
        ++counters_.malformed_payloads;
        return result_;
      }
      // A will from an earlier session (delivered late) must not kill the current one.
      if (!node->metrics.born || bd_seq != node->bd_seq) {
        ++counters_.ignored_old_deaths;
        return result_;
      }
      for (auto& [id, dev] : node->devices) {
        if (dev.born) mark_stale(*node, dev, now);
      }
      mark_stale(*node, node->metrics, now);
      node->rebirth_pending = false;  // the NBIRTH will come when it reconnects
      ++counters_.deaths;
      break;
    }
    case SparkplugType::kNData: {
      if (!node->metrics.born) {
        ++counters_.data_before_birth;
        request_rebirth(*node, now);
        return result_;
      }
      if (!check_seq(*node, now)) return result_;
      ++counters_.data_messages;
      handle_data(*node, node->metrics, now);
      break;
    }
    case SparkplugType::kDBirth:
    case SparkplugType::kDDeath:
    case SparkplugType::kDData: {
      if (!node->metrics.born) {
        ++counters_.data_before_birth;
        request_rebirth(*node, now);
        return result_;
      }
      if (!check_seq(*node, now)) return result_;
      auto it = node->devices.find(t.device);
      if (t.type == SparkplugType::kDBirth) {
        if (it == node->devices.end()) {
          if (node->devices.size() >= options_.max_devices_per_node) {
            ++counters_.too_many_devices;
            return result_;
          }
          it = node->devices.emplace(std::string(t.device), Scope{}).first;
          it->second.device = it->first;
        }
        if (static_cast<size_t>(p.metrics_size()) > options_.max_metrics_per_birth) {
          ++counters_.malformed_payloads;
          return result_;
        }
        ++counters_.births;
        handle_birth(*node, it->second, now);
        break;
      }
      if (it == node->devices.end() || !it->second.born) {
        if (t.type == SparkplugType::kDDeath) {
          ++counters_.ignored_old_deaths;
        } else {
          ++counters_.data_before_birth;
          request_rebirth(*node, now);
        }
        return result_;
      }
      if (t.type == SparkplugType::kDDeath) {
        mark_stale(*node, it->second, now);
        ++counters_.deaths;
      } else {
        ++counters_.data_messages;
        handle_data(*node, it->second, now);
      }
      break;
    }
    case SparkplugType::kNCmd:
    case SparkplugType::kDCmd:
    case SparkplugType::kState:
      break;  // handled above
  }
  result_.accepted = true;
  return result_;
}

bool SparkplugHost::node_online(std::string_view group, std::string_view node) const {
  std::string key(group);
  key += '/';
  key += node;
  auto it = nodes_.find(key);
  return it != nodes_.end() && it->second->metrics.born;
}

bool SparkplugHost::device_online(std::string_view group, std::string_view node,
                                  std::string_view device) const {
  std::string key(group);
  key += '/';
  key += node;
  auto it = nodes_.find(key);
  if (it == nodes_.end() || !it->second->metrics.born) return false;
  auto d = it->second->devices.find(device);
  return d != it->second->devices.end() && d->second.born;
}

SparkplugHost::Node* SparkplugHost::find_or_add_node(std::string_view group,
                                                     std::string_view node) {
  // Ids cannot contain '/', so "group/node" is unambiguous.
  key_.assign(group);
  key_ += '/';
  key_ += node;
  auto it = nodes_.find(key_);
  if (it != nodes_.end()) return it->second.get();
  if (nodes_.size() >= options_.max_nodes) return nullptr;
  auto n = std::make_unique<Node>();
  n->group.assign(group);
  n->id.assign(node);
  Node* raw = n.get();
  nodes_.emplace(key_, std::move(n));
  return raw;
}

bool SparkplugHost::rate_ok(Node& node, int64_t now_ns) {
  if (options_.max_messages_per_second == 0) return true;
  if (now_ns < node.window_start_ns || farther_than(now_ns, node.window_start_ns, kNsPerS - 1) ||
      node.window_messages == 0) {
    node.window_start_ns = now_ns;
    node.window_messages = 0;
  }
  if (node.window_messages >= options_.max_messages_per_second) return false;
  ++node.window_messages;
  return true;
}

void SparkplugHost::request_rebirth(Node& node, int64_t now_ns) {
  // One outstanding request per node: a flood of bad messages must not become a flood of
  // commands. Re-sent only after rebirth_retry_ns, in case the NCMD was lost.
  if (node.rebirth_pending &&
      (options_.rebirth_retry_ns <= 0 || now_ns < node.rebirth_requested_ns ||
       !farther_than(now_ns, node.rebirth_requested_ns, options_.rebirth_retry_ns - 1))) {
    ++counters_.rebirths_suppressed;
    return;
  }
  node.rebirth_pending = true;
  node.rebirth_requested_ns = now_ns;
  Action& a = result_.actions.emplace_back();
  a.kind = Action::kRebirthRequest;
  a.group = node.group;
  a.node = node.id;
  a.topic = format_sparkplug_topic(SparkplugType::kNCmd, node.group, node.id);
  a.payload = rebirth_payload(now_ns / kNsPerMs);
  ++counters_.rebirth_requests;
}

bool SparkplugHost::check_seq(Node& node, int64_t now_ns) {
  const spb::Payload& p = *payload_;
  if (!p.has_seq() || p.seq() > 255) {
    ++counters_.malformed_payloads;
    return false;
  }
  const auto seq = static_cast<uint8_t>(p.seq());
  if (seq != node.next_seq) {
    // Messages were lost (or reordered): values in this one are still good, but births or
    // deaths may have been missed, so ask for the full state again.
    ++counters_.seq_gaps;
    request_rebirth(node, now_ns);
  }
  node.next_seq = static_cast<uint8_t>(seq + 1);  // wraps 255 -> 0
  return true;
}

void SparkplugHost::handle_birth(Node& node, Scope& scope, int64_t now_ns) {
  scope.clear_defs();
  for (const spb::Payload_Metric& m : payload_->metrics()) {
    if (!m.has_name() || m.name().empty() || !m.has_datatype() ||
        scope.by_name.find(m.name()) != scope.by_name.end()) {
      ++counters_.bad_birth_metrics;
      continue;
    }
    MetricDef& def = scope.defs.emplace_back();
    def.name = m.name();
    def.datatype = m.datatype();
    scope.by_name.emplace(def.name, &def);
    if (m.has_alias() && !scope.by_alias.emplace(m.alias(), &def).second) {
      // Duplicate alias: the metric stays reachable by name only.
      ++counters_.bad_birth_metrics;
    }
    apply_metric(node, scope, def, m, now_ns);
  }
  scope.born = true;
}

void SparkplugHost::handle_data(Node& node, Scope& scope, int64_t now_ns) {
  for (const spb::Payload_Metric& m : payload_->metrics()) {
    const MetricDef* def = nullptr;
    if (m.has_alias()) {
      auto it = scope.by_alias.find(m.alias());
      if (it != scope.by_alias.end()) def = it->second;
    }
    if (!def && m.has_name()) {
      auto it = scope.by_name.find(m.name());
      if (it != scope.by_name.end()) def = it->second;
    }
    if (!def) {
      ++(m.has_alias() ? counters_.unknown_aliases : counters_.never_born_metrics);
      continue;
    }
    apply_metric(node, scope, *def, m, now_ns);
  }
}

void SparkplugHost::mark_stale(const Node& node, Scope& scope, int64_t now_ns) {
  // The definitions stay (the updates point at their names) until the next birth replaces them.
  for (const MetricDef& def : scope.defs) {
    Update& u = result_.updates.emplace_back();
    u.group = node.group;
    u.node = node.id;
    u.device = scope.device;
    u.metric = def.name;
    u.time_ns = now_ns;
    u.datatype = def.datatype;
    u.value = kNaN;
    u.stale = true;
    ++counters_.stale_updates;
  }
  scope.born = false;
}

bool SparkplugHost::timestamp_ok(uint64_t ms, int64_t now_ns, int64_t& out_ns) const {
  // 0 is "not set" by careless publishers; huge values are often negative times sent unsigned.
  if (ms == 0 || ms > static_cast<uint64_t>(std::numeric_limits<int64_t>::max() / kNsPerMs)) {
    return false;
  }
  out_ns = static_cast<int64_t>(ms) * kNsPerMs;
  return !farther_than(out_ns, now_ns, options_.max_clock_skew_ns);
}

void SparkplugHost::apply_metric(const Node& node, const Scope& scope, const MetricDef& def,
                                 const spb::Payload_Metric& m, int64_t now_ns) {
  using M = spb::Payload_Metric;
  if (m.has_datatype() && m.datatype() != def.datatype) {
    ++counters_.type_mismatches;
    return;
  }
  int64_t time_ns = now_ns;
  const bool has_ts = m.has_timestamp() || payload_->has_timestamp();
  if (has_ts &&
      !timestamp_ok(m.has_timestamp() ? m.timestamp() : payload_->timestamp(), now_ns, time_ns)) {
    ++counters_.bad_timestamps;
    return;
  }
  Update u;
  u.group = node.group;
  u.node = node.id;
  u.device = scope.device;
  u.metric = def.name;
  u.time_ns = time_ns;
  u.datatype = def.datatype;
  u.historical = m.is_historical();
  if (m.is_null()) {
    u.is_null = true;
    u.value = kNaN;
  } else {
    const M::ValueCase vc = m.value_case();
    const bool is_int = vc == M::kIntValue || vc == M::kLongValue;
    // Integers may come in int_value or long_value (Tahu Java puts UInt32 in long_value); signed
    // ones are two's complement, possibly sign-extended to 32/64 bits, so the low bits decide.
    const uint64_t raw = vc == M::kIntValue ? m.int_value() : m.long_value();
    bool ok = is_int;
    switch (def.datatype) {
      case spb::Int8:
        u.value = static_cast<int8_t>(static_cast<uint8_t>(raw & 0xFF));
        break;
      case spb::Int16:
        u.value = static_cast<int16_t>(static_cast<uint16_t>(raw & 0xFFFF));
        break;
      case spb::Int32:
        u.value = static_cast<int32_t>(static_cast<uint32_t>(raw & 0xFFFFFFFF));
        break;
      case spb::Int64:
        u.value = vc == M::kIntValue
                      ? static_cast<double>(static_cast<int32_t>(static_cast<uint32_t>(raw)))
                      : static_cast<double>(static_cast<int64_t>(raw));
        break;
      case spb::UInt8:
        u.value = static_cast<double>(raw & 0xFF);
        break;
      case spb::UInt16:
        u.value = static_cast<double>(raw & 0xFFFF);
        break;
      case spb::UInt32:
        u.value = static_cast<double>(raw & 0xFFFFFFFF);
        break;
      case spb::UInt64:
      case spb::DateTime:  // [ms since the Unix epoch]
        u.value = static_cast<double>(raw);
        break;
      case spb::Float:
        ok = vc == M::kFloatValue;
        if (ok) u.value = static_cast<double>(m.float_value());
        break;
      case spb::Double:
        ok = vc == M::kDoubleValue;
        if (ok) u.value = m.double_value();
        break;
      case spb::Boolean:
        ok = vc == M::kBooleanValue;
        if (ok) u.value = m.boolean_value() ? 1.0 : 0.0;
        break;
      case spb::String:
      case spb::Text:
      case spb::UUID:
        ok = vc == M::kStringValue;
        if (ok) {
          u.text = m.string_value();
          u.is_text = true;
        }
        break;
      default:
        ++counters_.unsupported_types;
        return;
    }
    if (!ok) {
      ++counters_.type_mismatches;
      return;
    }
  }
  result_.updates.push_back(u);
  ++counters_.metrics_applied;
}

void TagResolver::add(TagRoute route) {
  std::string k = key(route.group, route.node, route.device, route.metric);
  routes_.insert_or_assign(std::move(k), std::move(route));
}

bool TagResolver::resolve(std::string_view group, std::string_view node, std::string_view device,
                          std::string_view metric, std::string_view& machine,
                          std::string_view& tag) const {
  auto it = routes_.find(key(group, node, device, metric));
  if (it != routes_.end()) {
    machine = it->second.machine;
    tag = it->second.tag;
    return true;
  }
  if (rule_ == DefaultRule::kDeviceIsMachine) {
    machine = device.empty() ? node : device;
    tag = metric;
    return !machine.empty() && !tag.empty();
  }
  return false;
}

std::string TagResolver::key(std::string_view group, std::string_view node, std::string_view device,
                             std::string_view metric) {
  // group, node and device cannot contain '/', so the metric (which may) goes last.
  std::string k(group);
  k += '/';
  k += node;
  k += '/';
  k += device;
  k += '/';
  k += metric;
  return k;
}

}  // namespace twin
