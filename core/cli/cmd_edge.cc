// twin edge SCENE --mqtt HOST:PORT: the plant simulator as a Sparkplug B edge node. The scene
// runs as the real plant would (faults and dirt as in `twin generate`) and its telemetry is
// published to a broker at the pace of a real plant (--speed 1) or faster, one device per
// machine under one edge node, so `twin live` can follow it on the same machine.
//
// Timestamps are the plant's time, starting now: at --speed S the plant's clock runs S times
// faster than the wall clock (run `twin live --clock source` to follow it).
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <thread>

#include "core/cli/cli_common.h"
#include "core/cli/mqtt_flags.h"
#include "core/cli/plant_flags.h"
#include "core/live/sparkplug_edge_sink.h"
#include "core/live/wall_clock.h"
#include "core/net/mqtt_client.h"

namespace twin::cli {

namespace {

struct EdgeFlags {
  std::string scene;
  PlantFlags plant;
  MqttFlags mqtt;
  std::string group = "plant";
  std::string node = "line1";
  double speed = 1.0;
  double connect_timeout_s = 30.0;
  bool quiet = false;
};

std::atomic<bool> g_stop{false};

int run_edge(const EdgeFlags& f) {
  SceneLoadResult scene;
  if (!load_scene_or_report(f.scene, scene)) return kExitInvalidInput;
  PlantOptions options;
  if (!plant_options_from_flags(scene.model, f.plant, options)) return kExitInvalidInput;
  MqttOptions mo;
  if (!mqtt_options_from_flags(f.mqtt, "twin-edge-" + f.group + "-" + f.node, mo)) {
    return kExitUsage;
  }
  // The plant starts now (whole seconds), so its timestamps are current ones.
  const int64_t start_wall_ns = wall_clock_ns();
  options.start_ns = start_wall_ns / 1'000'000'000 * 1'000'000'000;

  SparkplugEdgeNode node(f.group, f.node);
  MqttClient client(mo);
  std::atomic<uint64_t> dropped_offline{0}, rebirths{0};
  SparkplugEdgeSink* sink_ptr = nullptr;
  client.on_before_connect([&] {
    const SparkplugMessage death = node.next_death(wall_clock_ms());
    client.set_will(MqttWill{death.topic, death.payload, 1, false});
  });
  client.on_connect([&](bool) {
    if (sink_ptr) sink_ptr->request_births();
  });
  client.subscribe(node.command_topic(), 1);
  client.on_message([&](std::string_view topic, std::span<const uint8_t> payload, bool) {
    if (node.is_rebirth_request(topic, payload) && sink_ptr) {
      ++rebirths;
      sink_ptr->request_births();
    }
  });

  const auto steady0 = std::chrono::steady_clock::now();
  SparkplugEdgeSink sink(node, [&](const SparkplugMessage& m, uint64_t log_time_ns) {
    // Pace: the message leaves when the plant's clock, running `speed` times the wall clock,
    // reaches its arrival time.
    const double plant_s =
        static_cast<double>(static_cast<int64_t>(log_time_ns) - options.start_ns) / 1e9;
    const auto due = steady0 + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                   std::chrono::duration<double>(plant_s / f.speed));
    while (!g_stop.load() && std::chrono::steady_clock::now() < due) {
      std::this_thread::sleep_until(
          std::min(due, std::chrono::steady_clock::now() + std::chrono::milliseconds(50)));
    }
    if (g_stop.load()) return false;
    if (!client.connected() || !client.publish(m.topic, m.payload, 1, false)) {
      ++dropped_offline;  // births after the reconnect bring the current state
      return true;
    }
    return true;
  });
  sink_ptr = &sink;
  client.start();
  if (!client.wait_connected(
          std::chrono::milliseconds(static_cast<int64_t>(f.connect_timeout_s * 1000)))) {
    // A connection that broke before the CONNACK (a failed TLS handshake, say) may leave no
    // error behind: say at least where and for how long.
    std::string error("cannot reach the broker: ");
    if (const std::string why = client.last_error(); !why.empty()) {
      error.append(why);
    } else {
      char text[64];
      std::snprintf(text, sizeof text, " within %g s", f.connect_timeout_s);
      error.append("no connection to ").append(mo.broker.to_string()).append(text);
    }
    print_error(error);
    return kExitFailure;
  }
  if (!f.quiet) {
    std::printf("twin edge: %s as Sparkplug B node %s/%s (%u devices) on %s, %.1f h at %gx\n",
                scene.model.name.c_str(), f.group.c_str(), f.node.c_str(),
                scene.model.machine_count(), mo.broker.to_string().c_str(), f.plant.hours, f.speed);
    std::fflush(stdout);
  }
  std::signal(SIGINT, [](int) { g_stop.store(true); });
  std::signal(SIGTERM, [](int) { g_stop.store(true); });
  const PlantReport r = run_plant(scene.model, options, sink);
  // Give the last QoS 1 messages a moment to be acknowledged before the DISCONNECT.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  client.stop();
  if (!f.quiet) {
    std::printf(
        "twin edge: %s; %llu messages published, %llu dropped while offline, "
        "%llu births, %llu rebirth requests, %llu connects\n",
        g_stop.load() ? "stopped" : "shift done",
        static_cast<unsigned long long>(client.counters().publishes.load()),
        static_cast<unsigned long long>(dropped_offline.load()),
        static_cast<unsigned long long>(sink.births_sent()),
        static_cast<unsigned long long>(rebirths.load()),
        static_cast<unsigned long long>(client.counters().connects.load()));
    std::printf("  truth: %llu good parts, %.1f parts/h\n",
                static_cast<unsigned long long>(r.truth.line.good_parts),
                r.truth.line.throughput_per_h);
  }
  return kExitOk;
}

}  // namespace

void add_edge_command(CLI::App& app, Context& ctx) {
  auto f = std::make_shared<EdgeFlags>();
  CLI::App* cmd = app.add_subcommand(
      "edge", "Plant simulator as a Sparkplug B edge node publishing to an MQTT broker");
  cmd->add_option("scene", f->scene, "Scene file (YAML)")->required()->type_name("FILE");
  add_plant_flags(*cmd, f->plant);
  add_mqtt_flags(*cmd, f->mqtt);
  cmd->add_option("--group", f->group, "Sparkplug group id")->capture_default_str();
  cmd->add_option("--node", f->node, "Sparkplug edge node id")->capture_default_str();
  cmd->add_option("--speed", f->speed, "Plant time per wall time (1: real time)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--connect-timeout", f->connect_timeout_s,
                  "Give up if the broker is not reachable within this many seconds")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--quiet,-q", f->quiet, "Print nothing");
  cmd->callback([f, &ctx] { ctx.exit_code = run_edge(*f); });
}

}  // namespace twin::cli
