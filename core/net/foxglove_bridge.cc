#include "core/net/foxglove_bridge.h"

#include <chrono>
#include <utility>

#include "replay/telemetry_writer.h"
#include "twin/telemetry.pb.h"

namespace twin {
namespace {

// [ms] how long the bridge thread waits for a change before checking whether it should end;
// stop() closes the subscription, which wakes the wait at once, so this only bounds a lost wake.
constexpr std::chrono::milliseconds kPopWait{200};

}  // namespace

FoxgloveBridge::FoxgloveBridge(StateHub& hub, FoxgloveServer& server,
                               std::vector<std::string> machines)
    : FoxgloveBridge(hub, server, std::move(machines), Options{}) {}

FoxgloveBridge::FoxgloveBridge(StateHub& hub, FoxgloveServer& server,
                               std::vector<std::string> machines, Options options)
    : server_(server), machines_(std::move(machines)) {
  const std::string change_schema = descriptor_set_of(live::StateChange::descriptor());
  state_channel_ = server_.add_channel("/twin/state", live::StateChange::descriptor()->full_name(),
                                       change_schema);
  kpis_channel_ = server_.add_channel("/twin/kpis", live::Kpis::descriptor()->full_name(),
                                      descriptor_set_of(live::Kpis::descriptor()));
  alarms_channel_ = server_.add_channel("/twin/alarms", telemetry::Alarm::descriptor()->full_name(),
                                        descriptor_set_of(telemetry::Alarm::descriptor()));
  rul_channel_ = server_.add_channel("/twin/rul", live::RulEstimate::descriptor()->full_name(),
                                     descriptor_set_of(live::RulEstimate::descriptor()));
  machine_channels_.reserve(machines_.size());
  for (size_t i = 0; i < machines_.size(); ++i) {
    machine_.emplace(machines_[i], i);
    std::string topic = "/twin/machines/";
    topic.append(machines_[i]);
    machine_channels_.push_back(server_.add_channel(
        std::move(topic), live::StateChange::descriptor()->full_name(), change_schema));
  }
  per_machine_.resize(machines_.size());
  machine_wanted_.resize(machines_.size());
  subscription_ = hub.subscribe(options.queue_capacity);
  thread_ = std::thread([this] { run(); });
}

FoxgloveBridge::~FoxgloveBridge() {
  stop();
}

void FoxgloveBridge::stop() {
  if (subscription_) subscription_->close();
  if (thread_.joinable()) thread_.join();
}

FoxgloveBridge::Counters FoxgloveBridge::counters() const {
  Counters c;
  c.changes = changes_;
  c.hub_dropped = hub_dropped_;
  c.messages = messages_;
  c.server_dropped = server_dropped_;
  c.unknown_machine = unknown_machine_;
  return c;
}

void FoxgloveBridge::run() {
  std::vector<StateChangePtr> batch;
  uint64_t dropped = 0;
  while (subscription_->pop(batch, kPopWait, &dropped)) {
    hub_dropped_ += dropped;
    for (const StateChangePtr& change : batch) {
      forward(*change, dropped);
      dropped = 0;  // the hub's count is of changes lost before the first of this batch
    }
    changes_ += batch.size();
    batch.clear();
  }
}

void FoxgloveBridge::publish(uint32_t channel, int64_t time_ns,
                             const google::protobuf::Message& message) {
  bytes_.clear();
  message.SerializeToString(&bytes_);
  if (server_.publish(channel, time_ns, bytes_)) {
    ++messages_;
  } else {
    ++server_dropped_;
  }
}

void FoxgloveBridge::forward(const live::StateChange& change, uint64_t dropped_before) {
  const int64_t t = change.twin_time_ns();

  if (server_.has_subscribers(state_channel_)) {
    if (dropped_before == 0) {
      publish(state_channel_, t, change);
    } else {
      // The change is shared with other consumers: tell this channel's clients what the bridge
      // missed on a copy.
      live::StateChange copy = change;
      copy.set_dropped(change.dropped() + dropped_before);
      publish(state_channel_, t, copy);
    }
  }

  if (change.has_kpis() && server_.has_subscribers(kpis_channel_)) {
    publish(kpis_channel_, t, change.kpis());
  }

  if (change.alarms_size() > 0 && server_.has_subscribers(alarms_channel_)) {
    for (const telemetry::Alarm& alarm : change.alarms()) publish(alarms_channel_, t, alarm);
  }

  if (change.rul_size() > 0 && server_.has_subscribers(rul_channel_)) {
    for (const live::RulEstimate& rul : change.rul()) publish(rul_channel_, t, rul);
  }

  if (change.tags_size() == 0 && change.modes_size() == 0) return;
  for (size_t i = 0; i < machines_.size(); ++i) {
    machine_wanted_[i] = server_.has_subscribers(machine_channels_[i]) ? 1 : 0;
  }
  // Index of a machine's message, marking it touched on first use; nullptr for machines not
  // listed or nobody watches.
  auto slot = [&](const std::string& machine) -> live::StateChange* {
    const auto it = machine_.find(machine);
    if (it == machine_.end()) {
      ++unknown_machine_;
      return nullptr;
    }
    const size_t i = it->second;
    if (!machine_wanted_[i]) return nullptr;
    live::StateChange& out = per_machine_[i];
    if (out.tags_size() == 0 && out.modes_size() == 0) touched_.push_back(i);
    return &out;
  };
  for (const live::TagValue& tag : change.tags()) {
    if (live::StateChange* out = slot(tag.machine())) *out->add_tags() = tag;
  }
  for (const live::MachineMode& mode : change.modes()) {
    if (live::StateChange* out = slot(mode.machine())) *out->add_modes() = mode;
  }
  for (const size_t i : touched_) {
    live::StateChange& out = per_machine_[i];
    out.set_seq(change.seq());
    out.set_twin_time_ns(t);
    out.set_source_time_ns(change.source_time_ns());
    out.set_dropped(change.dropped() + dropped_before);
    publish(machine_channels_[i], t, out);
    out.Clear();
  }
  touched_.clear();
}

}  // namespace twin
