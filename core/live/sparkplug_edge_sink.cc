#include "core/live/sparkplug_edge_sink.h"

namespace twin {

std::vector<std::string> SparkplugEdgeSink::plant_alarm_codes() {
  return {"VIBRATION_TRIP", "TOOL_BROKEN", "OVERTEMP_TRIP"};
}

uint32_t SparkplugEdgeSink::add_machine(std::string_view machine, const std::vector<TagSpec>& tags,
                                        const std::map<std::string, std::string>&) {
  const uint32_t device = node_.add_device(std::string(machine), tags, plant_alarm_codes());
  device_of_.emplace(std::string(machine), device);
  return device;
}

bool SparkplugEdgeSink::flush_births(uint64_t log_time_ns) {
  if (!need_births_.exchange(false)) return true;
  ++births_;
  for (const SparkplugMessage& b : node_.births(static_cast<int64_t>(log_time_ns / 1'000'000))) {
    if (!send_(b, log_time_ns)) {
      need_births_.store(true);  // try again before the next message
      return false;
    }
    ++sent_;
  }
  return true;
}

bool SparkplugEdgeSink::send(const SparkplugMessage& m, uint64_t log_time_ns) {
  if (!send_(m, log_time_ns)) return false;
  ++sent_;
  return true;
}

bool SparkplugEdgeSink::write_samples(uint32_t machine, uint64_t log_time_ns,
                                      const telemetry::SampleBatch& batch, uint64_t) {
  // Births first, before the message takes its seq.
  if (!flush_births(log_time_ns)) return false;
  return send(node_.samples(machine, batch), log_time_ns);
}

bool SparkplugEdgeSink::write_mode(uint32_t machine, uint64_t log_time_ns,
                                   const telemetry::ModeChange& change) {
  if (!flush_births(log_time_ns)) return false;
  return send(node_.mode(machine, change.time_ns(), change.mode()), log_time_ns);
}

bool SparkplugEdgeSink::write_part(uint32_t, uint64_t, const telemetry::PartEvent&) {
  return true;  // carried by the part counters
}

bool SparkplugEdgeSink::write_alarm(uint64_t log_time_ns, const telemetry::Alarm& alarm) {
  const auto it = device_of_.find(alarm.machine());
  if (it == device_of_.end()) return true;  // not a machine of this node
  if (!flush_births(log_time_ns)) return false;
  bool ok = true;
  for (const SparkplugMessage& m : node_.alarm(it->second, alarm)) ok = send(m, log_time_ns) && ok;
  return ok;
}

bool SparkplugEdgeSink::write_truth(uint64_t, const telemetry::FaultTruth&) {
  return true;  // the truth stays with the simulator
}

}  // namespace twin
