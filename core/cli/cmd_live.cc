// twin live SCENE --mqtt HOST:PORT: the live twin. A Sparkplug B host application follows the
// plant through a broker (births, aliases, seq and bdSeq, deaths, rebirth requests) into the
// mirror; the twin's state goes out over gRPC (TwinService), the Foxglove WebSocket protocol,
// and, with --republish, as a Sparkplug B edge node of its own.
//
// One network thread does all the twin's work (MQTT handler and tick); the servers read the
// StateHub on their own threads, so a slow client never holds the twin up.
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <memory>
#include <mutex>
#include <thread>

#include <google/protobuf/util/json_util.h>

#include "core/cli/cli_common.h"
#include "core/cli/mqtt_flags.h"
#include "core/net/foxglove_bridge.h"
#include "core/net/foxglove_server.h"
#include "core/net/grpc_service.h"
#include "core/net/live_session.h"
#include "core/net/sparkplug_republisher.h"
#include "core/telemetry/telemetry.h"

namespace twin::cli {

namespace {

struct LiveFlags {
  std::string scene;
  MqttFlags mqtt;
  std::string host_id = "twin";
  std::string subscribe = "spBv1.0/#";
  std::string clock = "wall";
  std::string grpc = "127.0.0.1:50051";
  std::string grpc_token;
  std::string grpc_tls_cert, grpc_tls_key;
  std::string foxglove = "127.0.0.1:8765";
  std::string republish_group;
  bool allow_remote = false;
  uint32_t max_node_rate = 10'000;
  double duration_s = 0.0;
  double status_every_s = 0.0;
  std::string json;
  std::string record;
  std::string fit;
  bool quiet = false;
};

std::atomic<bool> g_stop{false};

void print_status(const live::Snapshot& s, const MqttClient& client) {
  const live::IngestCounters& in = s.ingest();
  std::printf(
      "twin live: %s, %llu msgs, %llu samples applied, %llu rejected, %llu sparkplug "
      "rejected, %llu rebirths, good %llu, line OEE %.3f\n",
      client.connected() ? "connected" : "disconnected",
      static_cast<unsigned long long>(in.messages()),
      static_cast<unsigned long long>(in.samples_applied()),
      static_cast<unsigned long long>(in.samples_rejected()),
      static_cast<unsigned long long>(in.sparkplug_rejected()),
      static_cast<unsigned long long>(in.rebirths_requested()),
      static_cast<unsigned long long>(s.kpis().line_good()), s.kpis().line_oee());
  std::fflush(stdout);
}

int run_live(const LiveFlags& f) {
  SceneLoadResult scene;
  if (!load_scene_or_report(f.scene, scene)) return kExitInvalidInput;
  const Model& model = scene.model;
  MqttOptions mo;
  if (!mqtt_options_from_flags(f.mqtt, "twin-host-" + f.host_id, mo)) return kExitUsage;

  StateHub hub;
  LiveSessionOptions so;
  so.mqtt = mo;
  so.host_id = f.host_id;
  so.subscribe = f.subscribe;
  so.source_clock = f.clock == "source";
  so.ignore_group = f.republish_group;
  so.ignore_node = f.host_id;
  so.twin.sparkplug.max_messages_per_second = f.max_node_rate;
  if (!f.fit.empty()) {
    std::string error;
    if (!load_monitor_fit(f.fit, so.twin.monitor_fit, error)) {
      print_error(error);
      return kExitInvalidInput;
    }
  }
  LiveSession session(model, hub, so);
  if (!f.record.empty()) {
    std::string error;
    if (!session.record_to(f.record, &error)) {
      print_error("cannot write " + f.record + ": " + error);
      return kExitFailure;
    }
  }

  // Servers first: a port in use is reported before anything connects.
  std::unique_ptr<GrpcServer> grpc;
  if (f.grpc != "off") {
    std::string error;
    const auto ep = parse_endpoint(f.grpc, "127.0.0.1", &error, /*allow_port_zero=*/true);
    if (!ep) {
      print_error("--grpc: " + error);
      return kExitUsage;
    }
    GrpcServer::Options go;
    go.listen = *ep;
    go.token = f.grpc_token;
    go.tls.cert_chain_path = f.grpc_tls_cert;
    go.tls.private_key_path = f.grpc_tls_key;
    go.allow_insecure_remote = f.allow_remote;
    grpc = std::make_unique<GrpcServer>(hub, go);
    try {
      grpc->start();
    } catch (const std::exception& e) {
      print_error(std::string("gRPC: ") + e.what());
      return kExitFailure;
    }
  }
  std::unique_ptr<FoxgloveServer> foxglove;
  std::unique_ptr<FoxgloveBridge> bridge;
  if (f.foxglove != "off") {
    std::string error;
    const auto ep = parse_endpoint(f.foxglove, "127.0.0.1", &error, /*allow_port_zero=*/true);
    if (!ep) {
      print_error("--foxglove: " + error);
      return kExitUsage;
    }
    if (!ep->loopback() && !f.allow_remote) {
      // The Foxglove protocol has no authentication of its own.
      std::string message("--foxglove: refusing to serve on non-loopback address ");
      message.append(ep->to_string());
      message.append(
          ": anyone on the network could read the plant's state (the protocol has no "
          "authentication); use --allow-remote to accept that, or put it behind a proxy");
      print_error(message);
      return kExitUsage;
    }
    FoxgloveServer::Options fo;
    fo.listen = *ep;
    fo.name = "twin live: " + model.name;
    foxglove = std::make_unique<FoxgloveServer>(fo);
    if (!foxglove->start(&error)) {
      print_error("Foxglove WebSocket: " + error);
      return kExitFailure;
    }
    std::vector<std::string> machines = machine_names(model);
    bridge = std::make_unique<FoxgloveBridge>(hub, *foxglove, std::move(machines));
  }
  std::unique_ptr<SparkplugRepublisher> republisher;
  if (!f.republish_group.empty()) {
    MqttOptions ro = mo;
    ro.client_id = mo.client_id + "-edge";
    republisher =
        std::make_unique<SparkplugRepublisher>(model, hub, ro, f.republish_group, f.host_id);
    republisher->start();
  }

  session.start();

  if (!f.quiet) {
    std::printf("twin live: %s, Sparkplug host %s on %s (subscribed to %s)\n", model.name.c_str(),
                f.host_id.c_str(), mo.broker.to_string().c_str(), f.subscribe.c_str());
    if (grpc)
      std::printf("  gRPC TwinService on %s:%u\n", f.grpc.substr(0, f.grpc.rfind(':')).c_str(),
                  grpc->port());
    if (foxglove)
      std::printf("  Foxglove WebSocket on ws://%s:%u\n",
                  f.foxglove.substr(0, f.foxglove.rfind(':')).c_str(), foxglove->port());
    if (republisher)
      std::printf("  republishing as Sparkplug B node %s/%s\n", f.republish_group.c_str(),
                  f.host_id.c_str());
    std::fflush(stdout);
  }
  std::signal(SIGINT, [](int) { g_stop.store(true); });
  std::signal(SIGTERM, [](int) { g_stop.store(true); });
  const auto t0 = std::chrono::steady_clock::now();
  auto next_status = t0;
  while (!g_stop.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const auto now = std::chrono::steady_clock::now();
    if (f.duration_s > 0 && now - t0 >= std::chrono::duration<double>(f.duration_s)) break;
    if (f.status_every_s > 0 && now >= next_status) {
      next_status = now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                              std::chrono::duration<double>(f.status_every_s));
      if (const SnapshotPtr s = hub.snapshot(); s && !f.quiet) print_status(*s, session.client());
    }
  }
  // The network thread (and with it the twin) stops here; the recording is closed.
  const bool recorded = session.stop();
  const live::Snapshot final_state = session.final_snapshot();
  if (republisher) republisher->stop();
  if (bridge) bridge->stop();
  if (foxglove) foxglove->stop();
  if (grpc) grpc->stop();
  hub.close_all();
  if (!f.quiet) print_status(final_state, session.client());
  if (!recorded) {
    print_error("writing " + f.record + " failed: " + session.record_error());
    return kExitFailure;
  }
  if (!f.json.empty()) {
    std::string text;
    google::protobuf::util::JsonPrintOptions jo;
    jo.add_whitespace = true;
    jo.preserve_proto_field_names = true;
    (void)google::protobuf::util::MessageToJsonString(final_state, &text, jo);
    std::ofstream out(f.json);
    out << text;
    if (!out) {
      print_error("cannot write " + f.json);
      return kExitFailure;
    }
  }
  return kExitOk;
}

}  // namespace

void add_live_command(CLI::App& app, Context& ctx) {
  auto f = std::make_shared<LiveFlags>();
  CLI::App* cmd = app.add_subcommand(
      "live", "Live twin: follow a plant over MQTT Sparkplug B, serve its state (gRPC, Foxglove)");
  cmd->add_option("scene", f->scene, "Scene file (YAML)")->required()->type_name("FILE");
  add_mqtt_flags(*cmd, f->mqtt);
  cmd->add_option("--host-id", f->host_id, "Sparkplug host application id (STATE topic)")
      ->capture_default_str();
  cmd->add_option("--subscribe", f->subscribe, "Topic filter of the plant's Sparkplug messages")
      ->capture_default_str();
  cmd->add_option("--clock", f->clock,
                  "wall: the twin's clock is the wall clock; source: it follows the newest "
                  "timestamps (a plant simulated faster than real time)")
      ->check(CLI::IsMember({"wall", "source"}))
      ->capture_default_str();
  cmd->add_option("--grpc", f->grpc, "gRPC TwinService address, or off")
      ->type_name("HOST:PORT")
      ->capture_default_str();
  cmd->add_option("--grpc-token", f->grpc_token, "Bearer token gRPC clients must send")
      ->envname("TWIN_GRPC_TOKEN");
  cmd->add_option("--grpc-tls-cert", f->grpc_tls_cert, "gRPC server certificate chain (PEM)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--grpc-tls-key", f->grpc_tls_key, "gRPC server private key (PEM)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--foxglove", f->foxglove, "Foxglove WebSocket address, or off")
      ->type_name("HOST:PORT")
      ->capture_default_str();
  cmd->add_option("--max-node-rate", f->max_node_rate,
                  "Messages per second one edge node may send before the rest are dropped and "
                  "counted (0: no limit)")
      ->capture_default_str();
  cmd->add_flag("--allow-remote", f->allow_remote,
                "Serve gRPC without token or TLS, and Foxglove, on a non-loopback address");
  cmd->add_option("--republish", f->republish_group,
                  "Republish the twin's state as a Sparkplug B edge node in this group")
      ->type_name("GROUP");
  cmd->add_option("--duration", f->duration_s, "Stop after this many seconds (0: until Ctrl-C)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--status-every", f->status_every_s, "Print a status line every N seconds")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--json", f->json, "Write the final snapshot (JSON) here at exit")
      ->type_name("FILE");
  cmd->add_option("--fit", f->fit,
                  "Healthy condition models from `twin fit` for the twin's alarms (default: "
                  "learnt from each machine's first running hour)")
      ->type_name("FILE.json");
  cmd->add_option("--record", f->record,
                  "Record what the twin receives (MCAP; play it back with twin replay)")
      ->type_name("FILE.mcap");
  cmd->add_flag("--quiet,-q", f->quiet, "Print nothing");
  cmd->callback([f, &ctx] { ctx.exit_code = run_live(*f); });
}

}  // namespace twin::cli
