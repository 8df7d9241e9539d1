// The live twin: Sparkplug B messages in, the mirror kept current, and what changed published
// to a StateHub for the outside (gRPC, Foxglove, the Sparkplug republisher). Network-free:
// `twin live` calls handle() from its MQTT client's message handler and tick() periodically,
// both on the client's network thread, so no queue sits between the network and the mirror.
//
// Per message: the touched tags' current values (and any mode change that left the reorder
// window) go out as one StateChange. Per tick: the mirror clock advances to the wall clock,
// stale/stuck flags that changed go out, about once a second the KPIs (computed on a copy of
// the mirror, the window closed at "now"), and a few times a second a new Snapshot.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/live/state_hub.h"
#include "core/mirror/condition_monitor.h"
#include "core/mirror/sparkplug_feed.h"
#include "core/telemetry/telemetry_sink.h"

namespace twin {

struct LiveTwinOptions {
  // The same defaults as replay: a 2 s reorder window, so mode changes delayed by the network
  // (or a gateway's held-up batch) still land in order and live and replayed KPIs agree. Mode
  // changes reach the outside that much later; tag values go out at once.
  MirrorOptions mirror;
  SparkplugHost::Options sparkplug;
  TagResolver resolver{TagResolver::DefaultRule::kDeviceIsMachine};
  double kpi_period_s = 1.0;       // [s] KPIs in the stream and the snapshot
  double snapshot_period_s = 0.2;  // [s] hub snapshot refresh (also on every KPI update)
  // The twin's own condition monitor; its alarms go out with the plant's, coded "TWIN_<code>".
  bool monitor = true;
  ConditionMonitorOptions monitor_options;
  MonitorFit monitor_fit;  // healthy models from `twin fit` (empty: learnt online)
};

class LiveTwin {
 public:
  struct Counters {
    uint64_t messages = 0;  // handle() calls
    uint64_t changes = 0;   // StateChanges published
    uint64_t alarms = 0;    // alarm transitions seen
    uint64_t rebirths_on_reconnect = 0;
  };

  LiveTwin(const Model& model, StateHub& hub, LiveTwinOptions options);
  LiveTwin(const Model& model, StateHub& hub) : LiveTwin(model, hub, LiveTwinOptions()) {}

  // Starts the KPI window at `origin_ns` (the twin's start, or the shift start).
  void reset(int64_t origin_ns);

  // One MQTT message received at `receive_time_ns` [ns since the Unix epoch]. Returns the
  // rebirth requests the caller must publish (QoS 0 or 1, not retained).
  const std::vector<SparkplugHost::Action>& handle(std::string_view topic,
                                                   std::span<const uint8_t> payload,
                                                   int64_t receive_time_ns);
  // Also writes what the mirror receives to `sink` (an MCAP TelemetryWriter for `twin live
  // --record`): per message one SampleBatch per machine with samples, mode changes and alarms,
  // log time = receive time, so `twin replay` plays the live session back. nullptr: stop.
  void record_to(TelemetrySink* sink);

  // Periodic work at wall time `now_ns`.
  void tick(int64_t now_ns);
  // The source has stopped (the session ends): events still held in the reorder window are
  // applied and the KPIs brought up to `now_ns`, so the final snapshot has everything.
  void flush(int64_t now_ns);
  // After a reconnect: a rebirth request for every node seen so far (what the broker did not
  // keep for us is then resent by the nodes).
  std::vector<SparkplugHost::Action> rebirth_all(int64_t now_ns);

  // The full state now (also what the hub's snapshot holds after the next refresh).
  live::Snapshot make_snapshot(int64_t now_ns) const;
  live::Kpis make_kpis(int64_t now_ns) const;

  // [ns] the newest source timestamp of a value the mirror applied (the plant's clock, for a
  // twin that follows a plant simulated faster than real time). Values the mirror rejects (too
  // far ahead of the twin's clock, say) never move it.
  int64_t newest_source_ns() const { return newest_source_ns_; }
  const Mirror& mirror() const { return mirror_; }
  const SparkplugFeed& feed() const { return feed_; }
  // The twin's condition monitor (null when LiveTwinOptions::monitor is off).
  const ConditionMonitor* monitor() const { return monitor_.get(); }
  const Counters& counters() const { return counters_; }
  // Connection facts the snapshot reports (set by the MQTT side).
  void set_connects(uint64_t connects) { connects_ = connects; }

 private:
  void collect_alarms(const SparkplugHost::Result& r, live::StateChange& change);
  void collect_mode_changes(live::StateChange& change);
  void collect_twin_alarms(live::StateChange& change);
  void collect_twin_rul(live::StateChange& change);
  void publish(std::shared_ptr<live::StateChange> change, int64_t now_ns);
  void record(const live::StateChange& change, int64_t receive_time_ns);
  void refresh_snapshot(int64_t now_ns);

  const Model& model_;
  StateHub& hub_;
  LiveTwinOptions options_;
  Mirror mirror_;
  std::unique_ptr<ConditionMonitor> monitor_;
  size_t twin_alarms_published_ = 0;  // monitor alarms already sent
  size_t twin_rul_published_ = 0;     // monitor RUL estimates already sent
  std::map<std::pair<std::string, std::string>, live::RulEstimate> latest_rul_;  // (machine, tag)
  SparkplugFeed feed_;
  Counters counters_;
  uint64_t seq_ = 0;
  uint64_t connects_ = 0;
  std::vector<SparkplugHost::Action> actions_;    // reused: last handle()'s actions
  std::vector<uint64_t> emitted_in_message_;      // (n_t) message number a slot was last emitted in
  std::vector<uint8_t> last_stale_, last_stuck_;  // (n_t) flags as last published
  std::vector<uint8_t> last_mode_;                // (n_m) telemetry::Mode as last published
  std::map<std::pair<std::string, std::string>, telemetry::Alarm>
      active_alarms_;                                    // (machine, code)
  std::set<std::pair<std::string, std::string>> nodes_;  // (group, node) seen
  int64_t newest_source_ns_ = 0;
  int64_t last_kpi_ns_ = 0;
  int64_t last_snapshot_ns_ = 0;
  std::shared_ptr<live::Kpis> kpis_;        // the latest KPIs
  TelemetrySink* recorder_ = nullptr;       // see record_to()
  std::vector<uint32_t> recorder_machine_;  // (n_m) handles in the recorder
  telemetry::SampleBatch record_batch_;     // reused
};

}  // namespace twin
