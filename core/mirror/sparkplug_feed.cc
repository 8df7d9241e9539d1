#include "core/mirror/sparkplug_feed.h"

#include <cmath>
#include <optional>
#include <utility>

#include "core/live/sparkplug_topic.h"
#include "core/telemetry/telemetry.h"

namespace twin {

namespace {

// Sparkplug's own session metrics, and alarms (the live twin reads those from the host's
// result itself): not tag samples.
bool is_control_metric(std::string_view metric) {
  return metric == "bdSeq" || metric.starts_with("Node Control/") ||
         metric.starts_with(kAlarmMetricPrefix) || metric.starts_with("Device Control/") ||
         metric.starts_with("Node Info/");
}

bool is_mode_name(std::string_view tag) {
  return tag == "mode" || tag == "state" || tag == "status";
}

}  // namespace

TagResolver make_tag_resolver(const Model& model) {
  TagResolver resolver(model.sparkplug_routes_only ? TagResolver::DefaultRule::kNone
                                                   : TagResolver::DefaultRule::kDeviceIsMachine);
  for (const SparkplugRouteSpec& r : model.sparkplug_routes) {
    TagRoute route;
    route.group = r.group;
    route.node = r.node;
    route.device = r.device;
    route.metric = r.metric;
    route.machine = r.machine;
    route.tag = r.tag;
    resolver.add(std::move(route));
  }
  return resolver;
}

SparkplugFeed::SparkplugFeed(const Model& model, Mirror& mirror, TagResolver resolver,
                             SparkplugHost::Options options)
    : model_(model), mirror_(mirror), resolver_(std::move(resolver)), host_(options) {
  const uint32_t nm = model.machine_count();
  bindings_.resize(nm);
  batches_.resize(nm);
  for (uint32_t m = 0; m < nm; ++m) {
    std::vector<std::string> names;
    for (const TagSpec& t : sample_tags(model, m)) names.push_back(t.name);
    bindings_[m] = mirror.bind_samples(mirror.names().machine[m], names);
    const std::string& name = mirror.names().machine[m];
    if (std::string id = sparkplug_id(name); id != name)
      by_id_.emplace(std::move(id), static_cast<int32_t>(m));
  }
}

int32_t SparkplugFeed::machine_of(std::string_view id) const {
  const int32_t m = mirror_.find_machine(id);
  if (m >= 0) return m;
  const auto it = by_id_.find(id);
  return it == by_id_.end() ? -1 : it->second;
}

const SparkplugFeed::Target& SparkplugFeed::target_of(const SparkplugHost::Update& u) {
  key_.assign(u.group);
  key_ += '/';
  key_.append(u.node);
  key_ += '/';
  key_.append(u.device);
  key_ += '/';
  key_.append(u.metric);
  auto it = targets_.find(key_);
  if (it != targets_.end()) return it->second;
  Target t;
  std::string_view machine, tag;
  if (resolver_.resolve(u.group, u.node, u.device, u.metric, machine, tag)) {
    t.machine = machine_of(machine);
    if (t.machine >= 0) {
      const uint32_t m = static_cast<uint32_t>(t.machine);
      const std::vector<TagSpec> tags = sample_tags(model_, m);
      for (size_t i = 0; i < tags.size(); ++i) {
        if (tags[i].name == tag) t.tag = static_cast<int32_t>(i);
      }
      bool mode = is_mode_name(tag);
      for (const TagSpec& spec : model_.stations[model_.machine_station[m]].tags) {
        mode = mode || (spec.name == tag && static_cast<Signal>(spec.signal) == Signal::kMode);
      }
      if (t.tag < 0 && !mode) t.machine = -1;  // neither a sample tag nor the mode
    }
  }
  return targets_.emplace(key_, t).first->second;
}

const SparkplugHost::Result& SparkplugFeed::handle(std::string_view topic,
                                                   std::span<const uint8_t> payload,
                                                   int64_t receive_time_ns) {
  const SparkplugHost::Result& r = host_.handle(topic, payload, receive_time_ns);
  mirror_.advance_to(receive_time_ns);
  for (DecodedBatch& b : batches_) b.clear();
  touched_.clear();
  modes_.clear();
  for (const SparkplugHost::Update& u : r.updates) {
    if (is_control_metric(u.metric)) continue;
    const Target& t = target_of(u);
    if (t.machine < 0) {
      ++counters_.unmapped_metrics;
      continue;
    }
    const uint32_t m = static_cast<uint32_t>(t.machine);
    if (u.stale) {
      if (t.tag >= 0) {
        const int32_t slot = bindings_[m].slot[static_cast<size_t>(t.tag)];
        if (slot >= 0) {
          mirror_.mark_stale(static_cast<uint32_t>(slot));
          touched_.push_back(static_cast<uint32_t>(slot));
        }
        ++counters_.stale_marks;
      }
      continue;
    }
    if (u.is_null || u.historical) continue;  // no current value to mirror
    if (t.tag < 0) {
      // A mode: its name ("running", "down") or the telemetry::Mode code.
      std::optional<telemetry::Mode> mode;
      if (u.is_text) {
        mode = parse_mode(u.text);
      } else if (std::isfinite(u.value) && u.value >= 1 && u.value <= 7) {
        mode = static_cast<telemetry::Mode>(static_cast<int>(u.value));
      }
      if (!mode) {
        ++counters_.bad_modes;
        continue;
      }
      mirror_.add_mode_change(t.machine, receive_time_ns, u.time_ns, *mode);
      modes_.push_back(ModeUpdate{m, u.time_ns, *mode});
      ++counters_.mode_changes;
      continue;
    }
    if (u.is_text) {
      ++counters_.unmapped_metrics;  // text on a numeric tag
      continue;
    }
    const int32_t slot = bindings_[m].slot[static_cast<size_t>(t.tag)];
    if (slot >= 0) touched_.push_back(static_cast<uint32_t>(slot));
    DecodedBatch& b = batches_[m];
    if (b.size() == 0) b.base_time_ns = u.time_ns;
    b.tag.push_back(static_cast<uint32_t>(t.tag));
    b.offset_ns.push_back(u.time_ns - b.base_time_ns);
    b.value.push_back(static_cast<float>(u.value));
  }
  for (size_t m = 0; m < batches_.size(); ++m) {
    if (batches_[m].size() == 0) continue;
    counters_.samples += batches_[m].size();
    mirror_.apply_samples(bindings_[m], receive_time_ns, batches_[m]);
  }
  return r;
}

}  // namespace twin
