#include "core/mirror/live_twin.h"

#include <google/protobuf/arena.h>

#include <algorithm>
#include <limits>

#include "core/mirror/real_kpis.h"
#include "core/telemetry/telemetry.h"

namespace twin {

namespace {

// The current value of mirror slot `slot` with its names.
void fill_tag_value(const Mirror& mirror, uint32_t slot, live::TagValue& out) {
  const MirrorModel& n = mirror.names();
  const MirrorState& s = mirror.state();
  out.set_machine(n.machine[n.tag_machine[slot]]);
  out.set_tag(n.tag_name[slot]);
  out.set_unit(n.tag_unit[slot]);
  out.set_time_ns(s.time_ns[slot]);
  out.set_value(s.value[slot]);
  out.set_quality(static_cast<telemetry::Quality>(s.quality[slot]));
  out.set_stale(s.stale[slot] != 0);
  out.set_stuck(s.stuck[slot] != 0);
}

// What a snapshot is made of. make_snapshot() fills a plain message, refresh_snapshot() one on
// an arena: the same contents.
struct SnapshotSource {
  const Mirror& mirror;
  const SparkplugFeed& feed;
  const StateHub& hub;
  const LiveTwin::Counters& counters;
  uint64_t seq = 0;
  uint64_t connects = 0;
  const live::Kpis* kpis = nullptr;  // null before the first KPIs
  const std::map<std::pair<std::string, std::string>, telemetry::Alarm>& active_alarms;
  const std::map<std::pair<std::string, std::string>, live::RulEstimate>& rul;
};

void fill_snapshot(const SnapshotSource& src, int64_t now_ns, live::Snapshot& out) {
  out.set_seq(src.seq);
  out.set_twin_time_ns(now_ns);
  const MirrorState& s = src.mirror.state();
  out.mutable_modes()->Reserve(static_cast<int>(s.mode.size()));
  for (size_t m = 0; m < s.mode.size(); ++m) {
    live::MachineMode* mode = out.add_modes();
    mode->set_machine(src.mirror.names().machine[m]);
    mode->set_mode(static_cast<telemetry::Mode>(s.mode[m]));
    mode->set_since_ns(s.mode_since_ns[m]);
  }
  out.mutable_tags()->Reserve(static_cast<int>(s.value.size()));
  for (uint32_t slot = 0; slot < s.value.size(); ++slot) {
    fill_tag_value(src.mirror, slot, *out.add_tags());
  }
  if (src.kpis) *out.mutable_kpis() = *src.kpis;
  for (const auto& [key, alarm] : src.active_alarms) *out.add_active_alarms() = alarm;
  for (const auto& [key, rul] : src.rul) *out.add_rul() = rul;
  live::IngestCounters* in = out.mutable_ingest();
  const MirrorCounters& mc = s.counters;
  const SparkplugHost::Counters& hc = src.feed.host().counters();
  in->set_messages(src.counters.messages);
  in->set_samples_applied(mc.applied);
  in->set_samples_rejected(mc.samples_in - mc.applied - mc.superseded);
  in->set_sparkplug_rejected(hc.bad_topics + hc.oversize_payloads + hc.malformed_payloads +
                             hc.rate_limited + hc.too_many_nodes + hc.too_many_devices +
                             hc.data_before_birth);
  in->set_rebirths_requested(hc.rebirth_requests + src.counters.rebirths_on_reconnect);
  in->set_unmapped_metrics(src.feed.counters().unmapped_metrics);
  in->set_connects(src.connects);
  in->set_stream_dropped(src.hub.counters().dropped);
}

}  // namespace

LiveTwin::LiveTwin(const Model& model, StateHub& hub, LiveTwinOptions options)
    : model_(model),
      hub_(hub),
      options_(std::move(options)),
      mirror_(model, options_.mirror),
      feed_(model, mirror_, options_.resolver, options_.sparkplug) {
  const size_t nt = mirror_.names().tag_name.size();
  emitted_in_message_.assign(nt, 0);
  last_stale_.assign(nt, 0);
  last_stuck_.assign(nt, 0);
  last_mode_.assign(model.machine_count(), telemetry::MODE_UNKNOWN);
  if (options_.monitor) {
    monitor_ = std::make_unique<ConditionMonitor>(
        model, mirror_.names(), options_.monitor_options,
        options_.monitor_fit.machines.empty() ? nullptr : &options_.monitor_fit);
    mirror_.set_listener(monitor_.get());
  }
}

void LiveTwin::reset(int64_t origin_ns) {
  mirror_.reset(origin_ns);
  last_kpi_ns_ = origin_ns;
  last_snapshot_ns_ = 0;
}

void LiveTwin::collect_mode_changes(live::StateChange& change) {
  const MirrorState& s = mirror_.state();
  for (size_t m = 0; m < last_mode_.size(); ++m) {
    if (s.mode[m] == last_mode_[m]) continue;
    last_mode_[m] = s.mode[m];
    live::MachineMode* mode = change.add_modes();
    mode->set_machine(mirror_.names().machine[m]);
    mode->set_mode(static_cast<telemetry::Mode>(s.mode[m]));
    mode->set_since_ns(s.mode_since_ns[m]);
  }
}

void LiveTwin::collect_twin_alarms(live::StateChange& change) {
  if (!monitor_) return;
  const std::vector<TwinAlarm>& alarms = monitor_->alarms();
  for (; twin_alarms_published_ < alarms.size(); ++twin_alarms_published_) {
    const TwinAlarm& a = alarms[twin_alarms_published_];
    telemetry::Alarm alarm;
    alarm.set_time_ns(a.time_ns);
    alarm.set_machine(a.target);
    std::string code = "TWIN_";
    code += a.code;
    alarm.set_code(code);
    alarm.set_tag(a.tag);
    alarm.set_severity(a.severity);
    alarm.set_active(a.active);
    alarm.set_text(a.evidence);
    auto key = std::make_pair(a.target + "/" + a.tag, code);
    if (a.active) {
      active_alarms_[std::move(key)] = alarm;
    } else {
      active_alarms_.erase(key);
    }
    *change.add_alarms() = std::move(alarm);
    ++counters_.alarms;
  }
}

void LiveTwin::collect_twin_rul(live::StateChange& change) {
  if (!monitor_) return;
  const std::vector<RulPoint>& rul = monitor_->rul();
  for (; twin_rul_published_ < rul.size(); ++twin_rul_published_) {
    const RulPoint& p = rul[twin_rul_published_];
    live::RulEstimate e;
    e.set_time_ns(p.time_ns);
    e.set_machine(p.target);
    e.set_tag(p.tag);
    e.set_suspected(p.suspected);
    e.set_median_s(p.median_s);
    e.set_lo_s(p.lo_s);
    e.set_hi_s(p.hi_s);
    latest_rul_[{p.target, p.tag}] = e;
    *change.add_rul() = std::move(e);
  }
}

void LiveTwin::collect_alarms(const SparkplugHost::Result& r, live::StateChange& change) {
  for (const SparkplugHost::Update& u : r.updates) {
    if (!u.metric.starts_with(kAlarmMetricPrefix) || u.is_null || u.historical) continue;
    const std::string_view source = u.device.empty() ? u.node : u.device;
    const int32_t m = feed_.machine_of(source);
    const std::string machine =
        m >= 0 ? mirror_.names().machine[static_cast<size_t>(m)] : std::string(source);
    const std::string code(u.metric.substr(kAlarmMetricPrefix.size()));
    const bool active = !u.stale && !u.is_text && u.value != 0.0;
    auto key = std::make_pair(machine, code);
    const auto it = active_alarms_.find(key);
    if (active == (it != active_alarms_.end())) continue;  // no transition
    telemetry::Alarm alarm;
    alarm.set_time_ns(u.time_ns);
    alarm.set_machine(machine);
    alarm.set_code(code);
    alarm.set_severity(telemetry::SEVERITY_WARNING);
    alarm.set_active(active);
    if (active) {
      active_alarms_.emplace(std::move(key), alarm);
    } else {
      active_alarms_.erase(it);
    }
    *change.add_alarms() = std::move(alarm);
    ++counters_.alarms;
  }
}

void LiveTwin::publish(std::shared_ptr<live::StateChange> change, int64_t now_ns) {
  change->set_seq(++seq_);
  change->set_twin_time_ns(now_ns);
  ++counters_.changes;
  hub_.publish(std::move(change));
}

const std::vector<SparkplugHost::Action>& LiveTwin::handle(std::string_view topic,
                                                           std::span<const uint8_t> payload,
                                                           int64_t receive_time_ns) {
  const uint64_t message = ++counters_.messages;
  const SparkplugHost::Result& r = feed_.handle(topic, payload, receive_time_ns);
  actions_ = r.actions;
  if (!r.updates.empty()) {
    const SparkplugHost::Update& first = r.updates.front();
    if (nodes_.size() < options_.sparkplug.max_nodes) {
      nodes_.emplace(std::string(first.group), std::string(first.node));
    }
  }
  auto change = std::make_shared<live::StateChange>();
  int64_t newest = 0;
  const MirrorState& s = mirror_.state();
  for (const uint32_t slot : feed_.touched_slots()) {
    if (emitted_in_message_[slot] == message) continue;
    emitted_in_message_[slot] = message;
    last_stale_[slot] = s.stale[slot];
    last_stuck_[slot] = s.stuck[slot];
    fill_tag_value(mirror_, slot, *change->add_tags());
    newest = std::max(newest, s.time_ns[slot]);
  }
  newest_source_ns_ = std::max(newest_source_ns_, newest);
  collect_mode_changes(*change);
  collect_alarms(r, *change);
  if (recorder_) record(*change, receive_time_ns);  // the plant's alarms only
  collect_twin_alarms(*change);
  collect_twin_rul(*change);
  if (change->tags_size() + change->modes_size() + change->alarms_size() + change->rul_size() > 0) {
    change->set_source_time_ns(newest);
    publish(std::move(change), receive_time_ns);
  }
  return actions_;
}

void LiveTwin::record_to(TelemetrySink* sink) {
  recorder_ = sink;
  recorder_machine_.clear();
  if (!sink) return;
  std::map<std::string, std::string> metadata;
  metadata["shift_start_ns"] = std::to_string(mirror_.state().origin_ns);
  metadata["source"] = "twin live (Sparkplug B)";
  for (uint32_t m = 0; m < model_.machine_count(); ++m) {
    recorder_machine_.push_back(
        sink->add_machine(mirror_.names().machine[m], sample_tags(model_, m), metadata));
  }
}

void LiveTwin::record(const live::StateChange& change, int64_t receive_time_ns) {
  const auto log_time = static_cast<uint64_t>(receive_time_ns);
  const std::vector<DecodedBatch>& batches = feed_.last_batches();
  for (size_t m = 0; m < batches.size(); ++m) {
    const DecodedBatch& b = batches[m];
    if (b.size() == 0) continue;
    record_batch_.Clear();
    record_batch_.set_base_time_ns(b.base_time_ns);
    for (size_t i = 0; i < b.size(); ++i) {
      record_batch_.add_tag(b.tag[i]);
      record_batch_.add_time_offset_ns(b.offset_ns[i]);
      record_batch_.add_value(b.value[i]);
    }
    recorder_->write_samples(recorder_machine_[m], log_time, record_batch_, log_time);
  }
  for (const SparkplugFeed::ModeUpdate& u : feed_.last_modes()) {
    telemetry::ModeChange mc;
    mc.set_time_ns(u.time_ns);
    mc.set_mode(u.mode);
    recorder_->write_mode(recorder_machine_[u.machine], log_time, mc);
  }
  for (const telemetry::Alarm& a : change.alarms()) recorder_->write_alarm(log_time, a);
}

void LiveTwin::tick(int64_t now_ns) {
  mirror_.advance_to(now_ns);
  auto change = std::make_shared<live::StateChange>();
  collect_mode_changes(*change);
  collect_twin_alarms(*change);
  collect_twin_rul(*change);
  const MirrorState& s = mirror_.state();
  for (uint32_t slot = 0; slot < last_stale_.size(); ++slot) {
    if (s.stale[slot] == last_stale_[slot] && s.stuck[slot] == last_stuck_[slot]) continue;
    last_stale_[slot] = s.stale[slot];
    last_stuck_[slot] = s.stuck[slot];
    fill_tag_value(mirror_, slot, *change->add_tags());
  }
  const bool kpi_due = now_ns - last_kpi_ns_ >= static_cast<int64_t>(options_.kpi_period_s * 1e9);
  if (kpi_due) {
    last_kpi_ns_ = now_ns;
    kpis_ = std::make_shared<live::Kpis>(make_kpis(now_ns));
    *change->mutable_kpis() = *kpis_;
  }
  if (change->tags_size() + change->modes_size() + change->alarms_size() + change->rul_size() > 0 ||
      change->has_kpis()) {
    publish(std::move(change), now_ns);
  }
  if (kpi_due ||
      now_ns - last_snapshot_ns_ >= static_cast<int64_t>(options_.snapshot_period_s * 1e9)) {
    refresh_snapshot(now_ns);
  }
}

void LiveTwin::flush(int64_t now_ns) {
  mirror_.flush_events(std::numeric_limits<int64_t>::max());
  // The monitor closes what it holds (the last energy hour); what that raises goes out too.
  if (monitor_) monitor_->finish(now_ns);
  auto change = std::make_shared<live::StateChange>();
  collect_mode_changes(*change);
  collect_twin_alarms(*change);
  collect_twin_rul(*change);
  kpis_ = std::make_shared<live::Kpis>(make_kpis(now_ns));
  *change->mutable_kpis() = *kpis_;
  publish(std::move(change), now_ns);
  refresh_snapshot(now_ns);
}

std::vector<SparkplugHost::Action> LiveTwin::rebirth_all(int64_t now_ns) {
  std::vector<SparkplugHost::Action> out;
  const std::string payload = SparkplugHost::rebirth_payload(now_ns / 1'000'000);
  for (const auto& [group, node] : nodes_) {
    SparkplugHost::Action a;
    a.group = group;
    a.node = node;
    a.topic = format_sparkplug_topic(SparkplugType::kNCmd, group, node);
    a.payload = payload;
    out.push_back(std::move(a));
  }
  counters_.rebirths_on_reconnect += out.size();
  return out;
}

live::Kpis LiveTwin::make_kpis(int64_t now_ns) const {
  live::Kpis out;
  const MirrorState& live_state = mirror_.state();
  out.set_time_ns(now_ns);
  out.set_window_start_ns(live_state.origin_ns);
  if (now_ns <= live_state.origin_ns) return out;
  // Close the window on a copy: the live mirror keeps its pending events and open periods.
  Mirror closed = mirror_;
  closed.finish(now_ns);
  const ReplicationKpis k = compute_real_kpis(model_, closed, now_ns);
  const double hours = static_cast<double>(now_ns - live_state.origin_ns) / 3.6e12;
  out.set_line_good(line_good_parts(model_, closed));
  out.set_line_throughput_per_h(k.line.throughput_per_h);
  out.set_line_oee(k.line.oee);
  if (k.line.bottleneck_station >= 0) {
    out.set_bottleneck(model_.stations[static_cast<size_t>(k.line.bottleneck_station)].name);
  }
  const MirrorState& s = closed.state();
  for (size_t m = 0; m < k.machines.size(); ++m) {
    const MachineKpis& mk = k.machines[m];
    live::MachineKpis* o = out.add_machines();
    o->set_machine(closed.names().machine[m]);
    o->set_mode(static_cast<telemetry::Mode>(live_state.mode[m]));
    o->set_good(mk.parts_good);
    o->set_scrap(mk.parts_scrapped);
    o->set_availability(mk.availability);
    o->set_performance(mk.performance);
    o->set_quality_rate(mk.quality);
    o->set_oee(mk.oee);
    o->set_throughput_per_h(hours > 0 ? static_cast<double>(mk.parts_good) / hours : 0.0);
    for (const double seconds : s.mode_seconds[m]) o->add_mode_seconds(seconds);
  }
  return out;
}

live::Snapshot LiveTwin::make_snapshot(int64_t now_ns) const {
  live::Snapshot out;
  fill_snapshot(
      {mirror_, feed_, hub_, counters_, seq_, connects_, kpis_.get(), active_alarms_, latest_rul_},
      now_ns, out);
  return out;
}

void LiveTwin::refresh_snapshot(int64_t now_ns) {
  last_snapshot_ns_ = now_ns;
  // Built on an arena (thousands of tag values with their strings: bump allocation instead of a
  // malloc each, and one release instead of a free each when the hub drops the previous
  // snapshot, both on this thread, which the next MQTT messages wait for). The shared pointer
  // owns the arena and points at the message in it.
  google::protobuf::ArenaOptions arena_options;
  arena_options.start_block_size = 64 << 10;
  arena_options.max_block_size = 1 << 20;
  auto arena = std::make_shared<google::protobuf::Arena>(arena_options);
  auto* snapshot = google::protobuf::Arena::CreateMessage<live::Snapshot>(arena.get());
  fill_snapshot(
      {mirror_, feed_, hub_, counters_, seq_, connects_, kpis_.get(), active_alarms_, latest_rul_},
      now_ns, *snapshot);
  hub_.set_snapshot(SnapshotPtr(std::move(arena), snapshot));
}

}  // namespace twin
