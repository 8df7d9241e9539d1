#include "core/net/live_session.h"

#include <algorithm>
#include <chrono>

#include "core/live/sparkplug_topic.h"
#include "core/live/wall_clock.h"

namespace twin {

namespace {

LiveSessionOptions with_scene_routes(const Model& model, LiveSessionOptions options) {
  options.twin.resolver = make_tag_resolver(model);
  return options;
}

}  // namespace

LiveSession::LiveSession(const Model& model, StateHub& hub, LiveSessionOptions options)
    : options_(with_scene_routes(model, std::move(options))),
      twin_(model, hub, options_.twin),
      client_(options_.mqtt),
      state_topic_(format_state_topic(options_.host_id)) {
  clock_ns_ = wall_clock_ns();
  clock_wall_ns_ = clock_ns_;
  twin_.reset(clock_ns_);
  client_.on_before_connect([this] {
    state_ms_ = wall_clock_ms();
    client_.set_will(MqttWill{state_topic_, format_state_payload(false, state_ms_), 1, true});
  });
  client_.subscribe(options_.subscribe, 1);
  client_.on_connect([this](bool) {
    client_.publish(state_topic_, format_state_payload(true, state_ms_), 1, true);
    const uint64_t connects = client_.counters().connects.load();
    twin_.set_connects(connects);
    if (connects > 1) {
      // Back after a loss: ask every node for its full state again.
      for (const auto& a : twin_.rebirth_all(now_ns())) {
        client_.publish(a.topic, a.payload, 1, false);
      }
    }
  });
  client_.on_message([this](std::string_view topic, std::span<const uint8_t> payload, bool) {
    if (!options_.ignore_group.empty()) {
      SparkplugTopic t;
      if (parse_sparkplug_topic(topic, t) && t.group == options_.ignore_group &&
          t.node == options_.ignore_node) {
        return;  // our own echo
      }
    }
    if (topic.starts_with("spBv1.0/STATE/")) return;  // host applications, ours included
    for (const auto& a : twin_.handle(topic, payload, now_ns())) {
      client_.publish(a.topic, a.payload, 1, false);
    }
  });
  client_.on_tick([this] { twin_.tick(now_ns()); });
}

LiveSession::~LiveSession() {
  stop();
}

int64_t LiveSession::now_ns() {
  const int64_t wall = wall_clock_ns();
  if (!options_.source_clock) {
    clock_ns_ = std::max(clock_ns_, wall);
    return clock_ns_;
  }
  // Follow the plant's newest applied timestamp, but no faster than max_source_speed times the
  // wall clock (plus a second of slack for a batch of late-stamped values).
  const double elapsed = static_cast<double>(std::max<int64_t>(wall - clock_wall_ns_, 0));
  const auto cap = clock_ns_ + static_cast<int64_t>(elapsed * options_.max_source_speed) +
                   int64_t{1'000'000'000};
  clock_wall_ns_ = wall;
  clock_ns_ = std::max(clock_ns_, std::min(twin_.newest_source_ns(), cap));
  return clock_ns_;
}

bool LiveSession::record_to(const std::string& path, std::string* error) {
  auto writer = std::make_unique<TelemetryWriter>();
  if (!writer->open(path)) {
    if (error) *error = writer->error();
    return false;
  }
  recorder_ = std::move(writer);
  twin_.record_to(recorder_.get());
  return true;
}

void LiveSession::start() {
  client_.start();
}

bool LiveSession::stop() {
  if (client_.running()) {
    client_.stop();
    twin_.flush(clock_ns_);
  }
  if (!recorder_) return true;
  twin_.record_to(nullptr);
  const bool ok = recorder_->close();
  if (!ok) record_error_ = recorder_->error();
  recorder_.reset();
  return ok;
}

live::Snapshot LiveSession::final_snapshot() const {
  return twin_.make_snapshot(clock_ns_);
}

}  // namespace twin
