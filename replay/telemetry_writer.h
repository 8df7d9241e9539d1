// Writes telemetry (core/proto/twin/telemetry.proto) to an MCAP file: one samples (when the
// machine has sample tags), mode and parts channel per machine, with the tag names and units in the
// samples channel's metadata, plus the alarms, ground-truth and snapshot channels when used. The
// protobuf schemas are embedded as FileDescriptorSets, so any MCAP tool decodes the file.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/model/model.h"
#include "core/telemetry/telemetry_sink.h"
#include "replay/mcap_reader.h"
#include "replay/mcap_writer.h"
#include "twin/telemetry.pb.h"

namespace twin {

struct TelemetryWriterOptions {
  mcap::Compression compression = mcap::Compression::Zstd;
  // 1 MiB: seeking decompresses about one chunk, ~15 s of a 250-machine plant at 1 Hz.
  uint64_t chunk_size = 1u << 20;  // [bytes] uncompressed records per chunk
  bool write_summary = true;
};

class TelemetryWriter final : public TelemetrySink {
 public:
  bool open(const std::string& path, const TelemetryWriterOptions& options = {});
  // Declares a machine and its sample tags (index i of `tags` is tag index i in SampleBatch).
  // `metadata` is added to the samples channel's metadata (e.g. shift_start_ns, skew).
  // Returns the machine's handle for the write_* calls.
  uint32_t add_machine(std::string_view machine, const std::vector<TagSpec>& tags,
                       const std::map<std::string, std::string>& metadata = {}) override;

  // log_time_ns: when the message arrived at the recorder; publish_time_ns: when it was sent
  // (0: same as log time).
  bool write_samples(uint32_t machine, uint64_t log_time_ns, const telemetry::SampleBatch& batch,
                     uint64_t publish_time_ns = 0) override;
  bool write_mode(uint32_t machine, uint64_t log_time_ns,
                  const telemetry::ModeChange& change) override;
  bool write_part(uint32_t machine, uint64_t log_time_ns,
                  const telemetry::PartEvent& event) override;
  bool write_alarm(uint64_t log_time_ns, const telemetry::Alarm& alarm) override;
  bool write_truth(uint64_t log_time_ns, const telemetry::FaultTruth& truth) override;
  bool write_snapshot(uint64_t log_time_ns, const telemetry::TwinSnapshot& snapshot);

  // Copies a channel (and its schema, once) from another recording; returns the new channel id.
  uint16_t copy_channel(const mcap::Channel& channel, const mcap::Schema* schema);
  bool write_raw(uint16_t channel, uint32_t sequence, uint64_t log_time_ns,
                 uint64_t publish_time_ns, std::span<const uint8_t> data);

  bool close();
  const std::string& error() const { return writer_.error(); }
  uint64_t samples_written() const { return samples_written_; }
  uint64_t messages_written() const { return writer_.statistics().message_count; }

 private:
  struct MachineChannels {
    uint16_t samples = 0, mode = 0, parts = 0;
    uint32_t samples_seq = 0, mode_seq = 0, parts_seq = 0;
  };
  uint16_t schema_for(const google::protobuf::Descriptor* descriptor);
  uint16_t lazy_channel(uint16_t& id, const google::protobuf::Descriptor* descriptor,
                        std::string_view topic);
  bool write(uint16_t channel, uint32_t& sequence, uint64_t log_time, uint64_t publish_time,
             const google::protobuf::MessageLite& message);

  mcap::McapWriter writer_;
  std::map<std::string, uint16_t> schema_ids_;                              // by full message name
  std::map<std::pair<std::string, std::string>, uint16_t> copied_schemas_;  // (name, data)
  std::vector<MachineChannels> machines_;
  uint16_t alarms_ = 0, truth_ = 0, snapshot_ = 0;
  uint32_t alarms_seq_ = 0, truth_seq_ = 0, snapshot_seq_ = 0;
  std::string buffer_;  // reused serialisation buffer
  uint64_t samples_written_ = 0;
};

// The serialized FileDescriptorSet of a message's .proto file and its imports, as MCAP's
// protobuf profile expects in Schema.data.
std::string descriptor_set_of(const google::protobuf::Descriptor* descriptor);

}  // namespace twin
