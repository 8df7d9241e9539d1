#include "core/net/sparkplug_republisher.h"

#include <chrono>

#include "core/live/sparkplug_edge_sink.h"
#include "core/live/wall_clock.h"
#include "core/telemetry/telemetry.h"

namespace twin {

SparkplugRepublisher::SparkplugRepublisher(const Model& model, StateHub& hub, MqttOptions mqtt,
                                           std::string group, std::string node,
                                           size_t queue_capacity)
    : hub_(hub), node_(std::move(group), std::move(node)), client_(std::move(mqtt)) {
  subscription_ = hub_.subscribe(queue_capacity);
  for (uint32_t m = 0; m < model.machine_count(); ++m) {
    std::vector<TagSpec> tags = sample_tags(model, m);
    std::map<std::string, uint32_t, std::less<>> index;
    for (size_t i = 0; i < tags.size(); ++i) index.emplace(tags[i].name, static_cast<uint32_t>(i));
    kpi_tag_.push_back(tags.size());
    tags.push_back(TagSpec{"kpi/oee", "1", 1.0, 0});
    tags.push_back(TagSpec{"kpi/good", "parts", 1.0, 0});
    // The twin's RUL of the degradation indicators its condition monitor follows: the first
    // vibration, tool wear and temperature tag of the machine (ConditionMonitor's roles).
    std::map<std::string, uint32_t, std::less<>> rul;
    for (const Signal signal : {Signal::kVibrationRms, Signal::kToolWear, Signal::kTemperature}) {
      for (size_t i = 0; i < kpi_tag_.back(); ++i) {
        if (tags[i].signal != static_cast<int>(signal)) continue;
        const std::string name = tags[i].name;
        rul.emplace(name, static_cast<uint32_t>(tags.size()));
        for (const char* q : {"median_h", "p05_h", "p95_h"})
          tags.push_back(TagSpec{"rul/" + name + "/" + q, "h", 1.0, 0});
        break;
      }
    }
    rul_tag_.push_back(std::move(rul));
    tag_of_.push_back(std::move(index));
    device_of_.emplace(machine_name(model, m),
                       node_.add_device(machine_name(model, m), std::move(tags),
                                        SparkplugEdgeSink::plant_alarm_codes()));
  }
  client_.on_before_connect([this] {
    const SparkplugMessage death = node_.next_death(wall_clock_ms());
    client_.set_will(MqttWill{death.topic, death.payload, 1, false});
  });
  client_.on_connect([this](bool) { need_births_.store(true); });
  client_.subscribe(node_.command_topic(), 1);
  client_.on_message([this](std::string_view topic, std::span<const uint8_t> payload, bool) {
    if (node_.is_rebirth_request(topic, payload)) need_births_.store(true);
  });
}

SparkplugRepublisher::~SparkplugRepublisher() {
  stop();
}

void SparkplugRepublisher::start() {
  if (running_.exchange(true)) return;
  client_.start();
  thread_ = std::thread([this] { run(); });
}

void SparkplugRepublisher::stop() {
  if (!running_.exchange(false)) return;
  subscription_->close();
  if (thread_.joinable()) thread_.join();
  client_.stop();
}

void SparkplugRepublisher::publish_births() {
  if (!client_.connected() || !need_births_.exchange(false)) return;
  for (const SparkplugMessage& m : node_.births(wall_clock_ms())) {
    if (client_.publish(m.topic, m.payload, 1, false)) ++counters_.messages;
  }
  ++counters_.births;
}

void SparkplugRepublisher::run() {
  std::vector<StateChangePtr> changes;
  while (running_.load()) {
    changes.clear();
    uint64_t dropped = 0;
    const bool open = subscription_->pop(changes, std::chrono::milliseconds(100), &dropped);
    counters_.dropped += dropped;
    publish_births();
    for (const StateChangePtr& c : changes) {
      ++counters_.changes;
      if (!client_.connected()) {
        ++counters_.dropped;  // the births after the reconnect carry the state again
        continue;
      }
      forward(*c);
    }
    if (!open) break;
  }
}

void SparkplugRepublisher::forward(const live::StateChange& change) {
  // Tags grouped per machine into one DDATA each.
  std::map<uint32_t, telemetry::SampleBatch> batches;
  auto add = [&](uint32_t device, uint32_t tag, int64_t time_ns, double value) {
    telemetry::SampleBatch& b = batches[device];
    if (b.tag_size() == 0) b.set_base_time_ns(time_ns);
    b.add_tag(tag);
    b.add_time_offset_ns(time_ns - b.base_time_ns());
    b.add_value(static_cast<float>(value));
  };
  for (const live::TagValue& t : change.tags()) {
    const auto d = device_of_.find(t.machine());
    if (d == device_of_.end() || t.time_ns() == 0 || t.stale()) continue;
    const auto& index = tag_of_[d->second];
    const auto it = index.find(t.tag());
    if (it != index.end()) add(d->second, it->second, t.time_ns(), t.value());
  }
  if (change.has_kpis()) {
    for (const live::MachineKpis& k : change.kpis().machines()) {
      const auto d = device_of_.find(k.machine());
      if (d == device_of_.end()) continue;
      const auto oee = static_cast<uint32_t>(kpi_tag_[d->second]);
      add(d->second, oee, change.kpis().time_ns(), k.oee());
      add(d->second, oee + 1, change.kpis().time_ns(), static_cast<double>(k.good()));
    }
  }
  for (const live::RulEstimate& r : change.rul()) {
    const auto d = device_of_.find(r.machine());
    if (d == device_of_.end()) continue;
    const auto it = rul_tag_[d->second].find(r.tag());
    if (it == rul_tag_[d->second].end()) {
      ++counters_.dropped;  // an indicator the births did not declare
      continue;
    }
    constexpr double kHour = 3600.0;
    add(d->second, it->second, r.time_ns(), r.median_s() / kHour);
    add(d->second, it->second + 1, r.time_ns(), r.lo_s() / kHour);
    add(d->second, it->second + 2, r.time_ns(), r.hi_s() / kHour);
    ++counters_.rul;
  }
  auto send = [&](const SparkplugMessage& m) {
    if (client_.publish(m.topic, m.payload, 1, false)) {
      ++counters_.messages;
    } else {
      ++counters_.dropped;
    }
  };
  for (const auto& [device, batch] : batches) send(node_.samples(device, batch));
  for (const live::MachineMode& m : change.modes()) {
    const auto d = device_of_.find(m.machine());
    if (d != device_of_.end()) send(node_.mode(d->second, m.since_ns(), m.mode()));
  }
  for (const telemetry::Alarm& a : change.alarms()) {
    const auto d = device_of_.find(a.machine());
    if (d == device_of_.end()) continue;
    for (const SparkplugMessage& m : node_.alarm(d->second, a)) send(m);
  }
}

}  // namespace twin
