#include "replay/telemetry_writer.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>

#include <set>
#include <span>

#include "core/telemetry/telemetry.h"

namespace twin {

namespace {

void add_file(const google::protobuf::FileDescriptor* file, std::set<std::string>& seen,
              google::protobuf::FileDescriptorSet& set) {
  if (!seen.insert(file->name()).second) return;
  for (int i = 0; i < file->dependency_count(); ++i) add_file(file->dependency(i), seen, set);
  file->CopyTo(set.add_file());  // dependencies first, as protoc --include_imports does
}

std::span<const uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace

std::string descriptor_set_of(const google::protobuf::Descriptor* descriptor) {
  google::protobuf::FileDescriptorSet set;
  std::set<std::string> seen;
  add_file(descriptor->file(), seen, set);
  return set.SerializeAsString();
}

bool TelemetryWriter::open(const std::string& path, const TelemetryWriterOptions& options) {
  return writer_.open(path, "protobuf", options.compression, options.chunk_size,
                      options.write_summary);
}

uint16_t TelemetryWriter::schema_for(const google::protobuf::Descriptor* descriptor) {
  auto it = schema_ids_.find(descriptor->full_name());
  if (it != schema_ids_.end()) return it->second;
  const std::string data = descriptor_set_of(descriptor);
  const uint16_t id = writer_.add_schema(descriptor->full_name(), "protobuf", bytes_of(data));
  schema_ids_[descriptor->full_name()] = id;
  return id;
}

uint32_t TelemetryWriter::add_machine(std::string_view machine, const std::vector<TagSpec>& tags,
                                      const std::map<std::string, std::string>& metadata) {
  std::map<std::string, std::string> meta = metadata;
  std::vector<std::string> names, units, rates;
  for (const TagSpec& t : tags) {
    names.push_back(t.name);
    units.push_back(t.unit);
    rates.push_back(std::to_string(t.rate_hz));
  }
  meta["machine"] = std::string(machine);
  meta["tags"] = join_list(names);
  meta["units"] = join_list(units);
  meta["rates_hz"] = join_list(rates);
  MachineChannels c;
  // A machine without sample tags gets no (forever empty) samples channel; its mode channel
  // then carries the metadata.
  if (!tags.empty()) {
    c.samples = writer_.add_channel(schema_for(telemetry::SampleBatch::descriptor()),
                                    samples_topic(machine), "protobuf", meta);
  }
  std::map<std::string, std::string> mode_meta{{"machine", std::string(machine)}};
  if (tags.empty()) mode_meta = meta;
  c.mode = writer_.add_channel(schema_for(telemetry::ModeChange::descriptor()), mode_topic(machine),
                               "protobuf", mode_meta);
  c.parts =
      writer_.add_channel(schema_for(telemetry::PartEvent::descriptor()), parts_topic(machine),
                          "protobuf", {{"machine", std::string(machine)}});
  machines_.push_back(c);
  return static_cast<uint32_t>(machines_.size() - 1);
}

uint16_t TelemetryWriter::lazy_channel(uint16_t& id, const google::protobuf::Descriptor* d,
                                       std::string_view topic) {
  if (id == 0) id = writer_.add_channel(schema_for(d), topic, "protobuf");
  return id;
}

bool TelemetryWriter::write(uint16_t channel, uint32_t& sequence, uint64_t log_time,
                            uint64_t publish_time, const google::protobuf::MessageLite& message) {
  if (channel == 0) return false;
  buffer_.clear();
  if (!message.SerializeToString(&buffer_)) return false;
  return writer_.write_message(channel, sequence++, log_time,
                               publish_time == 0 ? log_time : publish_time, bytes_of(buffer_));
}

bool TelemetryWriter::write_samples(uint32_t machine, uint64_t log_time_ns,
                                    const telemetry::SampleBatch& batch, uint64_t publish_time_ns) {
  if (machine >= machines_.size()) return false;
  samples_written_ += static_cast<uint64_t>(batch.tag_size());
  MachineChannels& c = machines_[machine];
  return write(c.samples, c.samples_seq, log_time_ns, publish_time_ns, batch);
}

bool TelemetryWriter::write_mode(uint32_t machine, uint64_t log_time_ns,
                                 const telemetry::ModeChange& change) {
  if (machine >= machines_.size()) return false;
  MachineChannels& c = machines_[machine];
  return write(c.mode, c.mode_seq, log_time_ns, static_cast<uint64_t>(change.time_ns()), change);
}

bool TelemetryWriter::write_part(uint32_t machine, uint64_t log_time_ns,
                                 const telemetry::PartEvent& event) {
  if (machine >= machines_.size()) return false;
  MachineChannels& c = machines_[machine];
  return write(c.parts, c.parts_seq, log_time_ns, static_cast<uint64_t>(event.time_ns()), event);
}

bool TelemetryWriter::write_alarm(uint64_t log_time_ns, const telemetry::Alarm& alarm) {
  return write(lazy_channel(alarms_, telemetry::Alarm::descriptor(), kAlarmsTopic), alarms_seq_,
               log_time_ns, 0, alarm);
}

bool TelemetryWriter::write_truth(uint64_t log_time_ns, const telemetry::FaultTruth& truth) {
  return write(lazy_channel(truth_, telemetry::FaultTruth::descriptor(), kTruthTopic), truth_seq_,
               log_time_ns, 0, truth);
}

bool TelemetryWriter::write_snapshot(uint64_t log_time_ns,
                                     const telemetry::TwinSnapshot& snapshot) {
  // In a chunk of its own, so a seek reads the snapshot without the telemetry around it.
  const uint16_t channel =
      lazy_channel(snapshot_, telemetry::TwinSnapshot::descriptor(), kSnapshotTopic);
  return writer_.end_chunk() && write(channel, snapshot_seq_, log_time_ns, 0, snapshot) &&
         writer_.end_chunk();
}

uint16_t TelemetryWriter::copy_channel(const mcap::Channel& channel, const mcap::Schema* schema) {
  uint16_t schema_id = 0;
  if (schema != nullptr) {
    const std::string data(schema->data.begin(), schema->data.end());
    auto key = std::make_pair(schema->name, data);
    auto it = copied_schemas_.find(key);
    if (it != copied_schemas_.end()) {
      schema_id = it->second;
    } else {
      schema_id = writer_.add_schema(schema->name, schema->encoding, schema->data);
      copied_schemas_.emplace(std::move(key), schema_id);
    }
  }
  return writer_.add_channel(schema_id, channel.topic, channel.message_encoding, channel.metadata);
}

bool TelemetryWriter::write_raw(uint16_t channel, uint32_t sequence, uint64_t log_time_ns,
                                uint64_t publish_time_ns, std::span<const uint8_t> data) {
  return writer_.write_message(channel, sequence, log_time_ns, publish_time_ns, data);
}

bool TelemetryWriter::close() {
  return writer_.close();
}

}  // namespace twin
