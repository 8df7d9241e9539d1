// The live twin against an edge node that is not ours: Eclipse Tahu's JavaScript Sparkplug B
// client (npm sparkplug-client) publishing through a real mosquitto broker.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "core/net/live_session.h"
#include "tests/support/mosquitto_broker.h"
#include "tests/support/scenes.h"

namespace twin {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace std::chrono_literals;

const fs::path kInterop = fs::path(TWIN_SOURCE_DIR) / "tests" / "net" / "interop";

std::string unavailable() {
  std::string why = test::MosquittoBroker::unavailable();
  if (!why.empty()) return why;
  if (!test::have_program("node")) return "node is not installed; the interop tests need Node.js";
  if (!fs::exists(kInterop / "node_modules" / "sparkplug-client")) {
    return "npm packages missing: npm ci --prefix tests/net/interop";
  }
  return "";
}

fs::path temp_dir(const std::string& name) {
  return test::fresh_temp_dir("spb_" + name);
}

// What the Tahu node printed: the last value of each (device, metric), and its events.
struct EdgeLog {
  std::map<std::pair<std::string, std::string>, json> last;
  uint64_t values = 0;  // data values of metrics the scene has (humidity and mode excluded)
  uint64_t humidity = 0;
  json done;
  int rebirths = 0;
  int births = 0;
};

EdgeLog parse_edge_log(const std::string& text) {
  EdgeLog log;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const json j = json::parse(line, nullptr, false);
    if (j.is_discarded()) continue;
    if (j.contains("event")) {
      if (j["event"] == "done") log.done = j;
      if (j["event"] == "rebirth") ++log.rebirths;
      if (j["event"] == "birth") ++log.births;
      continue;
    }
    const std::string metric = j["metric"];
    log.last[{j["device"], metric}] = j["value"];
    if (metric == "humidity") {
      ++log.humidity;
    } else if (metric != "mode") {
      ++log.values;
    }
  }
  return log;
}

const live::TagValue* find_tag(const live::Snapshot& s, const std::string& machine,
                               const std::string& tag) {
  for (const live::TagValue& t : s.tags()) {
    if (t.machine() == machine && t.tag() == tag) return &t;
  }
  return nullptr;
}

telemetry::Mode mode_of(const live::Snapshot& s, const std::string& machine) {
  for (const live::MachineMode& m : s.modes()) {
    if (m.machine() == machine) return m.mode();
  }
  return telemetry::MODE_UNKNOWN;
}

// Waits until the hub's snapshot has applied `samples` samples.
bool wait_applied(StateHub& hub, uint64_t samples, std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (const SnapshotPtr s = hub.snapshot(); s && s->ingest().samples_applied() >= samples) {
      return true;
    }
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

class SparkplugInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string why = unavailable();
    if (!why.empty()) GTEST_SKIP() << why;
    scene_ = test::load_sample_or_fail("bottling.yaml");
  }
  LiveSessionOptions session_options(const test::MosquittoBroker& broker) {
    LiveSessionOptions o;
    o.mqtt.broker = Endpoint{"127.0.0.1", static_cast<uint16_t>(broker.port())};
    o.mqtt.client_id = "twin-host-test";
    o.mqtt.reconnect_min_s = 0.05;
    o.mqtt.reconnect_max_s = 0.4;
    o.mqtt.tick_period = 20ms;
    o.twin.mirror.reorder_window_s = 0.25;  // modes settle quickly (the node keeps its order)
    return o;
  }
  void check_values(const live::Snapshot& s, const EdgeLog& log) {
    for (const auto& [key, value] : log.last) {
      const auto& [device, metric] = key;
      if (metric == "humidity" || metric == "mode") continue;
      const live::TagValue* t = find_tag(s, device, metric);
      ASSERT_TRUE(t != nullptr) << device << "/" << metric;
      EXPECT_NEAR(t->value(), value.get<double>(), 1e-6 * std::abs(value.get<double>()))
          << device << "/" << metric;
    }
  }
  SceneLoadResult scene_;
};

TEST_F(SparkplugInterop, TahuEdgeNodeIsMirrored) {
  const fs::path dir = temp_dir("basic");
  test::MosquittoBroker broker((dir / "broker").string());
  ASSERT_TRUE(broker.start()) << broker.log();
  StateHub hub;
  LiveSession session(scene_.model, hub, session_options(broker));
  session.start();
  ASSERT_TRUE(session.client().wait_connected(5s)) << session.client().last_error();

  const int count = 50;
  test::ChildProcess edge;
  ASSERT_TRUE(edge.start({"node", (kInterop / "sparkplug_edge.mjs").string(),
                          "mqtt://127.0.0.1:" + std::to_string(broker.port()), "plant", "tahu1",
                          std::to_string(count)},
                         TWIN_SOURCE_DIR, (dir / "edge.out").string(),
                         (dir / "edge.err").string()));
  ASSERT_EQ(edge.wait(30s), 0) << test::read_file((dir / "edge.err").string());
  const EdgeLog log = parse_edge_log(test::read_file((dir / "edge.out").string()));
  ASSERT_FALSE(log.done.is_null()) << test::read_file((dir / "edge.out").string());
  EXPECT_EQ(log.values, 5u * count);
  ASSERT_TRUE(wait_applied(hub, log.values, 10s));
  std::this_thread::sleep_for(600ms);  // the last mode change leaves the reorder window
  session.stop();
  const live::Snapshot s = session.final_snapshot();

  check_values(s, log);
  EXPECT_EQ(s.ingest().samples_applied(), log.values);
  EXPECT_EQ(s.ingest().samples_rejected(), 0u);
  EXPECT_EQ(s.ingest().sparkplug_rejected(), 0u);
  EXPECT_EQ(s.ingest().rebirths_requested(), 0u);
  EXPECT_GE(s.ingest().unmapped_metrics(), log.humidity);  // humidity is not in the scene
  EXPECT_EQ(mode_of(s, "Filler"), telemetry::MODE_DOWN);
  EXPECT_EQ(mode_of(s, "Capper"), telemetry::MODE_RUNNING);
  // DDEATH of Capper, then NDEATH: every tag of both devices is stale.
  EXPECT_TRUE(find_tag(s, "Capper", "head_motor_temp")->stale());
  EXPECT_TRUE(find_tag(s, "Filler", "product_temp")->stale());
}

// The broker goes away (SIGTERM: it saves the persistent sessions) and comes back: the twin
// reconnects on its own, asks the node for a rebirth, and every value the broker delivered
// before and after is mirrored. (Whether the node hears that rebirth request depends on which
// of the two reconnects first; the node sends its births on reconnect anyway.)
TEST_F(SparkplugInterop, BrokerRestartReconnectsRequestsRebirthAndLosesNothing) {
  const fs::path dir = temp_dir("restart");
  test::MosquittoBroker broker((dir / "broker").string(), /*persistence=*/true);
  ASSERT_TRUE(broker.start()) << broker.log();
  StateHub hub;
  LiveSession session(scene_.model, hub, session_options(broker));
  session.start();
  ASSERT_TRUE(session.client().wait_connected(5s)) << session.client().last_error();

  const int count = 40;
  test::ChildProcess edge;
  ASSERT_TRUE(edge.start({"node", (kInterop / "sparkplug_edge.mjs").string(),
                          "mqtt://127.0.0.1:" + std::to_string(broker.port()), "plant", "tahu2",
                          std::to_string(count), "restart", (dir / "go").string()},
                         TWIN_SOURCE_DIR, (dir / "edge.out").string(),
                         (dir / "edge.err").string()));
  ASSERT_TRUE(wait_applied(hub, 5u * count, 15s)) << test::read_file((dir / "edge.err").string());
  broker.stop(SIGTERM);
  std::this_thread::sleep_for(400ms);
  ASSERT_TRUE(broker.start()) << broker.log();
  // Both sides back: the twin connected a second time, the node sent its births again.
  const auto until = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < until &&
         (session.client().counters().connects.load() < 2 ||
          parse_edge_log(test::read_file((dir / "edge.out").string())).births < 2)) {
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_EQ(session.client().counters().connects.load(), 2u);
  std::this_thread::sleep_for(200ms);  // the births reach the twin
  { std::ofstream go(dir / "go"); }

  ASSERT_EQ(edge.wait(40s), 0) << test::read_file((dir / "edge.err").string());
  const EdgeLog log = parse_edge_log(test::read_file((dir / "edge.out").string()));
  ASSERT_FALSE(log.done.is_null()) << test::read_file((dir / "edge.out").string());
  EXPECT_EQ(log.values, 10u * count);
  ASSERT_TRUE(wait_applied(hub, log.values, 10s));
  std::this_thread::sleep_for(600ms);
  session.stop();
  const live::Snapshot s = session.final_snapshot();
  check_values(s, log);
  EXPECT_EQ(s.ingest().samples_applied(), log.values);
  EXPECT_EQ(s.ingest().connects(), 2u);
  EXPECT_GE(s.ingest().rebirths_requested(), 1u);
  EXPECT_EQ(mode_of(s, "Filler"), telemetry::MODE_DOWN);
}

}  // namespace
}  // namespace twin
