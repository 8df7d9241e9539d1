// Where telemetry goes: an MCAP file (replay/telemetry_writer.h), later a broker or the mirror
// itself. Producers (the plant simulator, the CSV importer) write through this interface and do
// not know which.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/model/model.h"
#include "twin/telemetry.pb.h"

namespace twin {

class TelemetrySink {
 public:
  virtual ~TelemetrySink() = default;
  // Declares a machine and its sample tags (index i of `tags` is tag index i in SampleBatch);
  // `metadata` travels with the machine's samples channel. Returns the machine's handle.
  virtual uint32_t add_machine(std::string_view machine, const std::vector<TagSpec>& tags,
                               const std::map<std::string, std::string>& metadata) = 0;
  // log_time_ns: when the message reached the recorder (arrival), in ns since the Unix epoch.
  virtual bool write_samples(uint32_t machine, uint64_t log_time_ns,
                             const telemetry::SampleBatch& batch, uint64_t publish_time_ns) = 0;
  virtual bool write_mode(uint32_t machine, uint64_t log_time_ns,
                          const telemetry::ModeChange& change) = 0;
  virtual bool write_part(uint32_t machine, uint64_t log_time_ns,
                          const telemetry::PartEvent& event) = 0;
  virtual bool write_alarm(uint64_t log_time_ns, const telemetry::Alarm& alarm) = 0;
  virtual bool write_truth(uint64_t log_time_ns, const telemetry::FaultTruth& truth) = 0;
};

}  // namespace twin
