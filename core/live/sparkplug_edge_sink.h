// Telemetry written as a Sparkplug B edge node would publish it: the plant simulator (or any
// TelemetrySink producer) writes, a SparkplugEdgeNode turns each write into topics and payloads,
// and `send` delivers them (an MQTT client in `twin edge`, the live twin directly in tests).
// Part events are not sent (Sparkplug carries the machines' part counters instead) and the
// fault truth never leaves: the twin must not see it.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "core/live/sparkplug_edge.h"
#include "core/telemetry/telemetry_sink.h"

namespace twin {

class SparkplugEdgeSink : public TelemetrySink {
 public:
  // `log_time_ns`: when the plant's message would reach the broker (the producer's arrival
  // time). Returns false if the message could not be sent.
  using Send = std::function<bool(const SparkplugMessage& message, uint64_t log_time_ns)>;

  // The alarm codes the plant simulator raises, declared in every DBIRTH.
  static std::vector<std::string> plant_alarm_codes();

  SparkplugEdgeSink(SparkplugEdgeNode& node, Send send) : node_(node), send_(std::move(send)) {}

  uint32_t add_machine(std::string_view machine, const std::vector<TagSpec>& tags,
                       const std::map<std::string, std::string>& metadata) override;
  bool write_samples(uint32_t machine, uint64_t log_time_ns, const telemetry::SampleBatch& batch,
                     uint64_t publish_time_ns) override;
  bool write_mode(uint32_t machine, uint64_t log_time_ns,
                  const telemetry::ModeChange& change) override;
  bool write_part(uint32_t machine, uint64_t log_time_ns,
                  const telemetry::PartEvent& event) override;
  bool write_alarm(uint64_t log_time_ns, const telemetry::Alarm& alarm) override;
  bool write_truth(uint64_t log_time_ns, const telemetry::FaultTruth& truth) override;

  // Births (NBIRTH + DBIRTHs) go out before the next message: after a connect or a rebirth
  // request. Thread-safe; the births are sent on the writer's thread, so they keep their place
  // in the node's seq order.
  void request_births() { need_births_.store(true); }
  // Sends pending births now (the writer's thread), e.g. while waiting between messages.
  bool flush_births(uint64_t log_time_ns);

  uint64_t messages_sent() const { return sent_; }
  uint64_t births_sent() const { return births_; }

 private:
  bool send(const SparkplugMessage& m, uint64_t log_time_ns);

  SparkplugEdgeNode& node_;
  Send send_;
  std::map<std::string, uint32_t, std::less<>> device_of_;  // machine name -> device
  uint64_t sent_ = 0;
  uint64_t births_ = 0;                  // birth sequences sent
  std::atomic<bool> need_births_{true};  // the first message is preceded by births
};

}  // namespace twin
