// `twin live` and `twin edge` end to end, as processes: the built binary against a real
// mosquitto broker, with outside clients of what the twin serves (grpc-js, @foxglove/ws-protocol,
// Eclipse Tahu's Sparkplug client; tests/net/interop, npm ci --prefix tests/net/interop) and
// MqttClients of ours publishing garbage or watching what the twin republishes. What the twin
// knew at exit comes from its --json snapshot.
//
// Skipped only when mosquitto, node or the npm packages are missing (the TLS test also needs the
// openssl command line); LiveCli.RefusesBadFlags needs none of them.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/net/mqtt_client.h"
#include "tests/support/mosquitto_broker.h"
#include "tests/support/process.h"
#include "twin/sparkplug_b.pb.h"

namespace twin {
namespace {

namespace fs = std::filesystem;
namespace spb = org::eclipse::tahu::protobuf;
using json = nlohmann::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

const fs::path kSource = TWIN_SOURCE_DIR;
const fs::path kInterop = kSource / "tests" / "net" / "interop";
const std::string kTwin = (fs::path(TWIN_BINARY_DIR) / "twin").string();
const std::vector<std::string> kMachines = {"Depalletizer", "Filler", "Capper", "Labeler",
                                            "Packer"};

// Concatenation by append (GCC 12 warns about "literal" + std::string under -Werror).
template <typename... Parts>
std::string cat(const Parts&... parts) {
  std::string s;
  (s.append(parts), ...);
  return s;
}

std::string port_text(int port) {
  return std::to_string(port);
}

fs::path temp_dir(const std::string& name) {
  return test::fresh_temp_dir("livecli_" + name);
}

// Removes a test's directory unless the test failed (then it is kept for a look).
void remove_if_passed(const fs::path& dir) {
  if (!::testing::Test::HasFailure()) {
    std::error_code ignored;
    fs::remove_all(dir, ignored);
  }
}

// "" or why the broker tests cannot run here.
std::string missing_broker() {
  return test::MosquittoBroker::unavailable();
}

// "" or what is missing for the node scripts using `packages`.
std::string missing_node(const std::vector<std::string>& packages) {
  if (!test::have_program("node")) return "node is not installed; the interop clients need it";
  for (const std::string& p : packages) {
    if (!fs::exists(kInterop / "node_modules" / p / "package.json")) {
      return cat(std::string("npm package "), p,
                 " missing: npm ci --prefix tests/net/interop --no-audit --no-fund");
    }
  }
  return "";
}

// Polls `condition` until it holds or `timeout` passes.
template <typename Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout) {
  const auto until = Clock::now() + timeout;
  while (!condition()) {
    if (Clock::now() >= until) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

// A process with its stdout and stderr in files of `dir` named after it.
struct Proc {
  Proc(const fs::path& dir, const std::string& name)
      : out(dir / cat(name, ".out")), err(dir / cat(name, ".err")) {}
  bool start(const std::vector<std::string>& argv) {
    return process.start(argv, kSource.string(), out.string(), err.string());
  }
  std::string stdout_text() const { return test::read_file(out.string()); }
  std::string stderr_text() const { return test::read_file(err.string()); }
  // The first 2000 characters of stderr, for failure messages.
  std::string why() const { return stderr_text().substr(0, 2000); }
  test::ChildProcess process;
  fs::path out, err;
};

// JSON lines (a node client's output); lines that do not parse are kept as discarded values.
std::vector<json> json_lines(const std::string& text) {
  std::vector<json> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(json::parse(line, nullptr, /*allow_exceptions=*/false));
  }
  return lines;
}

// A proto3-JSON uint64 field: a decimal string, absent when 0.
uint64_t u64(const json& object, const char* key) {
  if (!object.is_object() || !object.contains(key)) return 0;
  const json& v = object.at(key);
  if (v.is_string()) return std::stoull(v.get<std::string>());
  return v.get<uint64_t>();
}

json read_json(const fs::path& path) {
  return json::parse(test::read_file(path.string()), nullptr, /*allow_exceptions=*/false);
}

// Messages received by one of our MqttClients, by topic.
struct Inbox {
  std::mutex mutex;
  std::map<std::string, std::vector<std::string>> by_topic;
  void add(std::string_view topic, std::span<const uint8_t> payload) {
    std::lock_guard lock(mutex);
    by_topic[std::string(topic)].emplace_back(reinterpret_cast<const char*>(payload.data()),
                                              payload.size());
  }
  size_t count(const std::string& topic) {
    std::lock_guard lock(mutex);
    auto it = by_topic.find(topic);
    return it == by_topic.end() ? 0 : it->second.size();
  }
  std::map<std::string, size_t> counts() {
    std::lock_guard lock(mutex);
    std::map<std::string, size_t> out;
    for (const auto& [topic, payloads] : by_topic) out[topic] = payloads.size();
    return out;
  }
  std::string last(const std::string& topic) {
    std::lock_guard lock(mutex);
    auto it = by_topic.find(topic);
    return it == by_topic.end() || it->second.empty() ? "" : it->second.back();
  }
};

// The twin's Sparkplug host announced itself (STATE online): it is connected and subscribed.
bool wait_host_online(Inbox& inbox, std::chrono::milliseconds timeout) {
  return eventually(
      [&] { return inbox.last("spBv1.0/STATE/twin").find("\"online\":true") != std::string::npos; },
      timeout);
}

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// ---- 1. twin edge -> twin live -> gRPC, Foxglove and Sparkplug out ---------------------------

TEST(LiveCli, EdgeToLiveEndToEnd) {
  if (std::string why = missing_broker(); !why.empty()) GTEST_SKIP() << why;
  if (std::string why = missing_node(
          {"@grpc/grpc-js", "@grpc/proto-loader", "@foxglove/ws-protocol", "ws", "protobufjs"});
      !why.empty()) {
    GTEST_SKIP() << why;
  }
  const fs::path dir = temp_dir("e2e");
  test::MosquittoBroker broker((dir / "broker").string(), /*persistence=*/false);
  ASSERT_TRUE(broker.start()) << broker.log();
  const std::string mqtt = cat(std::string("127.0.0.1:"), port_text(broker.port()));

  // Ours: what the twin republishes as Sparkplug node twin/twin, and its host STATE.
  Inbox republished;
  MqttClient watcher(test::loopback_client(broker.port(), "livecli-watcher"));
  watcher.subscribe("spBv1.0/twin/#", 1);
  watcher.subscribe("spBv1.0/STATE/#", 1);
  watcher.on_message([&](std::string_view topic, std::span<const uint8_t> payload, bool) {
    republished.add(topic, payload);
  });
  watcher.start();
  ASSERT_TRUE(watcher.wait_connected(5s)) << watcher.last_error();

  const int grpc_port = test::free_loopback_port();
  const int fox_port = test::free_loopback_port();
  ASSERT_NE(grpc_port, fox_port);
  Proc live(dir, "live");
  ASSERT_TRUE(
      live.start({kTwin, "live", "scenes/bottling.yaml", "--mqtt", mqtt, "--clock", "source",
                  "--grpc", cat(std::string("127.0.0.1:"), port_text(grpc_port)), "--foxglove",
                  cat(std::string("127.0.0.1:"), port_text(fox_port)), "--republish", "twin",
                  "--duration", "60", "--json", (dir / "live.json").string(), "-q"}));
  ASSERT_TRUE(test::wait_for_port(grpc_port, 10s)) << live.why();
  ASSERT_TRUE(test::wait_for_port(fox_port, 10s)) << live.why();
  ASSERT_TRUE(wait_host_online(republished, 10s)) << live.why();

  // Outside clients: changes of one machine over gRPC; KPIs and that machine over Foxglove.
  const int grpc_count = 150, fox_count = 400;
  Proc grpc(dir, "grpc");
  ASSERT_TRUE(
      grpc.start({"node", (kInterop / "grpc_client.mjs").string(), "--address",
                  cat(std::string("127.0.0.1:"), port_text(grpc_port)), "--machines", "Filler",
                  "--count", std::to_string(grpc_count), "--timeout-ms", "40000"}));
  Proc fox(dir, "foxglove");
  ASSERT_TRUE(fox.start({"node", (kInterop / "foxglove_client.mjs").string(),
                         cat(std::string("ws://127.0.0.1:"), port_text(fox_port)),
                         "/twin/kpis,/twin/machines/Filler", std::to_string(fox_count), "40000"}));
  // Both are listening before the plant starts: the snapshot came (the stream is opened right
  // after) and both channels are subscribed.
  auto occurrences = [](const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  };
  ASSERT_TRUE(eventually(
      [&] { return grpc.stdout_text().find("\"kind\":\"snapshot\"") != std::string::npos; }, 15s))
      << grpc.why();
  ASSERT_TRUE(eventually(
      [&] { return occurrences(fox.stdout_text(), "\"event\":\"subscribed\"") == 2; }, 15s))
      << fox.why();
  std::this_thread::sleep_for(200ms);  // the gRPC stream call reaches the server

  Proc edge(dir, "edge");
  ASSERT_TRUE(edge.start({kTwin, "edge", "scenes/bottling.yaml", "--mqtt", mqtt, "--hours", "0.25",
                          "--speed", "200", "--clean"}));
  ASSERT_EQ(edge.process.wait(40s), 0) << edge.why();
  std::smatch match;
  const std::string edge_out = edge.stdout_text();
  ASSERT_TRUE(std::regex_search(edge_out, match, std::regex(R"(truth: (\d+) good parts)")))
      << edge_out;
  const uint64_t truth = std::stoull(match[1].str());
  ASSERT_GT(truth, 100u);

  ASSERT_EQ(grpc.process.wait(20s), 0) << grpc.why();
  ASSERT_EQ(fox.process.wait(20s), 0) << fox.why();
  std::this_thread::sleep_for(1s);  // the last messages reach the twin and the republisher
  ASSERT_TRUE(live.process.running()) << live.why();
  ASSERT_EQ(live.process.stop(SIGINT, 15s), 0) << live.why();
  watcher.stop();

  // The twin's final state against the plant's truth.
  const json snap = read_json(dir / "live.json");
  ASSERT_FALSE(snap.is_discarded()) << test::read_file((dir / "live.json").string());
  const json& in = snap["ingest"];
  const uint64_t line_good = u64(snap["kpis"], "line_good");
  EXPECT_LE(line_good, truth + 1);
  EXPECT_GE(line_good + 1, truth);
  EXPECT_GT(u64(in, "messages"), 1000u);
  EXPECT_GT(u64(in, "samples_applied"), 10000u);
  EXPECT_EQ(u64(in, "samples_rejected"), 0u);
  EXPECT_EQ(u64(in, "sparkplug_rejected"), 0u);
  EXPECT_EQ(u64(in, "rebirths_requested"), 0u);
  EXPECT_EQ(u64(in, "connects"), 1u);

  // gRPC: the snapshot, then `grpc_count` changes, all of Filler only, seq increasing.
  const std::vector<json> g = json_lines(grpc.stdout_text());
  ASSERT_EQ(g.size(), static_cast<size_t>(grpc_count) + 2);
  ASSERT_EQ(g.front().value("kind", ""), "snapshot");
  uint64_t last_seq = 0;
  size_t filler_tags = 0;
  for (size_t i = 1; i + 1 < g.size(); ++i) {
    ASSERT_FALSE(g[i].is_discarded());
    ASSERT_EQ(g[i].value("kind", ""), "change");
    const json& change = g[i]["message"];
    const uint64_t seq = u64(change, "seq");
    EXPECT_GT(seq, last_seq) << "change " << i;
    last_seq = seq;
    for (const json& t : change["tags"]) {
      EXPECT_EQ(t.value("machine", ""), "Filler") << t.dump();
      ++filler_tags;
    }
    for (const json& m : change["modes"]) EXPECT_EQ(m.value("machine", ""), "Filler");
    for (const json& a : change["alarms"]) EXPECT_EQ(a.value("machine", ""), "Filler");
  }
  EXPECT_GT(filler_tags, static_cast<size_t>(grpc_count) / 2);
  EXPECT_EQ(g.back().value("kind", ""), "end");

  // Foxglove: KPIs with line_good going up; Filler's channel carries Filler only.
  std::vector<uint64_t> kpi_good;
  size_t machine_messages = 0, machine_tags = 0;
  for (const json& line : json_lines(fox.stdout_text())) {
    ASSERT_FALSE(line.is_discarded());
    if (line.value("event", "") != "message") continue;
    const json& m = line["message"];
    if (line["topic"] == "/twin/kpis") {
      ASSERT_EQ(line.value("schemaName", ""), "twin.live.Kpis");
      kpi_good.push_back(u64(m, "line_good"));
    } else {
      ASSERT_EQ(line["topic"], "/twin/machines/Filler");
      ++machine_messages;
      for (const json& t : m["tags"]) {
        EXPECT_EQ(t.value("machine", ""), "Filler") << t.dump();
        ++machine_tags;
      }
      for (const json& mode : m["modes"]) EXPECT_EQ(mode.value("machine", ""), "Filler");
    }
  }
  ASSERT_GE(kpi_good.size(), 3u);
  for (size_t i = 1; i < kpi_good.size(); ++i) EXPECT_GE(kpi_good[i], kpi_good[i - 1]);
  EXPECT_GT(kpi_good.back(), kpi_good.front());
  EXPECT_GT(machine_messages, 0u);
  EXPECT_GE(machine_tags, machine_messages);

  // Republished Sparkplug: one NBIRTH, one DBIRTH per machine (one connection, no rebirth
  // request), and data.
  const std::map<std::string, size_t> counts = republished.counts();
  auto count_of = [&](const std::string& topic) {
    auto it = counts.find(topic);
    return it == counts.end() ? size_t{0} : it->second;
  };
  EXPECT_EQ(count_of("spBv1.0/twin/NBIRTH/twin"), 1u);
  size_t ddata = 0;
  for (const std::string& m : kMachines) {
    EXPECT_EQ(count_of(cat(std::string("spBv1.0/twin/DBIRTH/twin/"), m)), 1u) << m;
    ddata += count_of(cat(std::string("spBv1.0/twin/DDATA/twin/"), m));
  }
  EXPECT_GT(ddata, 100u);
  remove_if_passed(dir);
}

// ---- 2. garbage on the broker -----------------------------------------------------------------

// What the Tahu node (sparkplug_edge.mjs) published: the last value of each (device, metric).
struct TahuLog {
  std::map<std::pair<std::string, std::string>, double> last;
  uint64_t values = 0;  // values of metrics the scene has (humidity and mode excluded)
  int rebirths = 0;
  bool phase1 = false, done = false;
};

TahuLog parse_tahu(const std::string& text) {
  TahuLog log;
  for (const json& j : json_lines(text)) {
    if (j.is_discarded()) continue;
    if (j.contains("event")) {
      if (j["event"] == "phase") log.phase1 = true;
      if (j["event"] == "done") log.done = true;
      if (j["event"] == "rebirth") ++log.rebirths;
      continue;
    }
    const std::string metric = j.value("metric", "");
    if (metric == "humidity" || metric == "mode") continue;
    log.last[{j.value("device", ""), metric}] = j["value"].get<double>();
    ++log.values;
  }
  return log;
}

// Sparkplug payloads of the made-up nodes: an NBIRTH with its bdSeq.
std::string nbirth_payload(uint64_t bd_seq) {
  spb::Payload p;
  p.set_timestamp(static_cast<uint64_t>(wall_ms()));
  p.set_seq(0);
  spb::Payload_Metric* m = p.add_metrics();
  m->set_name("bdSeq");
  m->set_datatype(spb::UInt64);
  m->set_long_value(bd_seq);
  return p.SerializeAsString();
}

// One Float metric "product_temp" (alias 1; named too in a birth) with a metric timestamp.
std::string float_payload(uint64_t seq, bool birth, float value, uint64_t metric_ts_ms) {
  spb::Payload p;
  p.set_seq(seq);
  spb::Payload_Metric* m = p.add_metrics();
  if (birth) m->set_name("product_temp");
  m->set_alias(1);
  m->set_datatype(spb::Float);
  m->set_timestamp(metric_ts_ms);
  m->set_float_value(value);
  return p.SerializeAsString();
}

TEST(LiveCli, BadInputIsCountedAndOtherNodesUnaffected) {
  if (std::string why = missing_broker(); !why.empty()) GTEST_SKIP() << why;
  if (std::string why = missing_node({"sparkplug-client"}); !why.empty()) GTEST_SKIP() << why;
  const fs::path dir = temp_dir("garbage");
  test::MosquittoBroker broker((dir / "broker").string(), /*persistence=*/false);
  ASSERT_TRUE(broker.start()) << broker.log();
  const std::string mqtt = cat(std::string("127.0.0.1:"), port_text(broker.port()));

  // Ours: publishes the garbage, hears the twin's rebirth requests for the made-up nodes.
  Inbox heard;
  MqttClient vandal(test::loopback_client(broker.port(), "livecli-vandal"));
  vandal.subscribe("spBv1.0/garbage/NCMD/#", 1);
  vandal.subscribe("spBv1.0/STATE/#", 1);
  vandal.on_message([&](std::string_view topic, std::span<const uint8_t> payload, bool) {
    heard.add(topic, payload);
  });
  vandal.start();
  ASSERT_TRUE(vandal.wait_connected(5s)) << vandal.last_error();

  Proc live(dir, "live");
  ASSERT_TRUE(live.start({kTwin, "live", "scenes/bottling.yaml", "--mqtt", mqtt, "--grpc", "off",
                          "--foxglove", "off", "--duration", "60", "--json",
                          (dir / "live.json").string(), "-q"}));
  ASSERT_TRUE(wait_host_online(heard, 10s)) << live.why();

  // The good node: births, 50 data messages per device, then it waits for the go file.
  const int count = 50;
  Proc tahu(dir, "tahu");
  ASSERT_TRUE(tahu.start({"node", (kInterop / "sparkplug_edge.mjs").string(),
                          cat(std::string("mqtt://"), mqtt), "plant", "tahu3",
                          std::to_string(count), "restart", (dir / "go").string()}));
  ASSERT_TRUE(eventually([&] { return parse_tahu(tahu.stdout_text()).phase1; }, 20s)) << tahu.why();

  // The garbage. Every message counted in `rejected` must be refused whole by the twin.
  uint64_t rejected = 0;
  std::vector<std::string> not_sent;
  auto send = [&](const std::string& topic, const std::string& payload, bool refused) {
    if (!vandal.publish(topic, payload, 1, false)) {
      not_sent.push_back(topic);
    } else if (refused) {
      ++rejected;
    }
  };
  const std::string valid = float_payload(1, false, -1.0f, static_cast<uint64_t>(wall_ms()));
  // Not Sparkplug topics.
  for (const char* topic :
       {"spBv1.0/x", "spBv1.0/garbage/NDATA", "spBv1.0/garbage/DDATA/n1",
        "spBv1.0/garbage/NDATA/n1/extra", "spBv1.0/garbage/BOGUS/n1", "spBv1.0//NDATA/n1",
        "spBv1.0/garbage/NDATA/", "spBv1.0/garbage/DDATA/n1/Filler/extra", "spBv1.0/STATE",
        "spBv1.0/garbage/DDATA/n1/Filler/a/b/c/d/e"}) {
    send(topic, valid, true);
  }
  // Wildcards cannot even be published (MQTT forbids them in topic names): refused locally.
  EXPECT_FALSE(vandal.publish("spBv1.0/garbage/NDATA/+", valid, 1, false));
  EXPECT_FALSE(vandal.publish("spBv1.0/garbage/DDATA/n1/#", valid, 1, false));
  // Malformed payloads (truncated varint, bad wire type, overlong length, text), an NBIRTH
  // without bdSeq, and a payload over the 4 MiB limit.
  for (const std::string& bad :
       {std::string("\x08", 1), std::string("\x0f\x01", 2), std::string("\x12\x50\x01\x02", 4),
        std::string("hello garbage")}) {
    spb::Payload check;
    ASSERT_FALSE(check.ParseFromString(bad));
    send("spBv1.0/garbage/NBIRTH/m1", bad, true);
    send("spBv1.0/garbage/DDATA/m2/Filler", bad, true);
  }
  {
    spb::Payload no_bd_seq;
    no_bd_seq.set_seq(0);
    no_bd_seq.set_timestamp(static_cast<uint64_t>(wall_ms()));
    send("spBv1.0/garbage/NBIRTH/m3", no_bd_seq.SerializeAsString(), true);
  }
  send("spBv1.0/garbage/DDATA/m2/Filler", std::string(5u << 20, '\x08'), true);
  // A node never born: its data is refused and it is asked, once, for a rebirth.
  send("spBv1.0/garbage/DDATA/ghost/Filler", valid, true);
  send("spBv1.0/garbage/DDATA/ghost/Filler", valid, true);
  send("spBv1.0/garbage/NDATA/ghost", valid, true);
  send("spBv1.0/garbage/DDATA/ghost/Capper", "", true);
  // A node born properly whose device claims to be Filler, with timestamps no clock has: the
  // messages are accepted, every metric in them refused (none may reach Filler's values).
  const uint64_t now_ms = static_cast<uint64_t>(wall_ms());
  send("spBv1.0/garbage/NBIRTH/skew", nbirth_payload(0), false);
  send("spBv1.0/garbage/DBIRTH/skew/Filler",
       float_payload(1, true, 999.0f, now_ms + 100ull * 365 * 86'400'000ull), false);
  uint64_t seq = 2;
  const uint64_t day_ms = 86'400'000;
  for (const uint64_t ts :
       std::vector<uint64_t>{uint64_t{0} - 1000, 1, now_ms + 2 * day_ms, 0, ~uint64_t{0},
                             now_ms - 3 * day_ms, uint64_t{1} << 62}) {
    send("spBv1.0/garbage/DDATA/skew/Filler", float_payload(seq++, false, 998.0f, ts), false);
  }
  {  // Its data without a seq, with a good timestamp: malformed, the value must not arrive.
    spb::Payload no_seq;
    no_seq.ParseFromString(float_payload(0, false, 997.0f, now_ms));
    no_seq.clear_seq();
    send("spBv1.0/garbage/DDATA/skew/Filler", no_seq.SerializeAsString(), true);
  }
  // A flood from one made-up node: never born, and beyond the per-node rate limit.
  const int flood = 20'500;
  for (int i = 0; i < flood; ++i) {
    send("spBv1.0/garbage/DDATA/flood/Filler", float_payload(i % 256, false, -5.0f, now_ms), true);
  }
  // The last one: when its rebirth request comes back, the twin has handled everything above.
  send("spBv1.0/garbage/DDATA/last/Filler", valid, true);
  ASSERT_TRUE(not_sent.empty()) << not_sent.size() << " not sent, first " << not_sent.front();
  ASSERT_TRUE(eventually([&] { return heard.count("spBv1.0/garbage/NCMD/last") > 0; }, 30s))
      << live.why();
  ASSERT_TRUE(live.process.running()) << live.why();

  // The good node goes on: 50 more data messages per device, a mode change, deaths.
  { std::ofstream go(dir / "go"); }
  ASSERT_EQ(tahu.process.wait(30s), 0) << tahu.why();
  const TahuLog log = parse_tahu(tahu.stdout_text());
  ASSERT_TRUE(log.done) << tahu.stdout_text().substr(0, 2000);
  ASSERT_EQ(log.values, 10u * count);
  // The last mode change leaves the mirror's 2 s reorder window (the wall clock moves on).
  std::this_thread::sleep_for(2500ms);
  ASSERT_TRUE(live.process.running()) << live.why();
  ASSERT_EQ(live.process.stop(SIGINT, 15s), 0) << live.why();
  vandal.stop();

  // One rebirth request per never-born node that sent data, not one per message; none for the
  // good node.
  const std::map<std::string, size_t> ncmd = heard.counts();
  for (const char* node : {"ghost", "flood", "last"}) {
    auto it = ncmd.find(cat(std::string("spBv1.0/garbage/NCMD/"), node));
    EXPECT_TRUE(it != ncmd.end() && it->second == 1) << node;
  }
  size_t ncmd_total = 0;
  for (const auto& [topic, n] : ncmd) {
    if (topic.starts_with("spBv1.0/garbage/NCMD/")) ncmd_total += n;
  }
  EXPECT_EQ(ncmd_total, 3u);
  EXPECT_EQ(log.rebirths, 0);

  const json snap = read_json(dir / "live.json");
  ASSERT_FALSE(snap.is_discarded()) << test::read_file((dir / "live.json").string());
  const json& in = snap["ingest"];
  EXPECT_EQ(u64(in, "sparkplug_rejected"), rejected);
  EXPECT_EQ(u64(in, "rebirths_requested"), 3u);
  EXPECT_EQ(u64(in, "samples_rejected"), 0u);
  EXPECT_EQ(u64(in, "samples_applied"), log.values);  // the good node's, and nothing else
  EXPECT_EQ(u64(in, "connects"), 1u);
  EXPECT_GE(u64(in, "messages"), rejected + 4u * count);

  // Every value of the good node is mirrored, none of the garbage's.
  std::map<std::pair<std::string, std::string>, const json*> tags;
  for (const json& t : snap["tags"]) tags[{t.value("machine", ""), t.value("tag", "")}] = &t;
  for (const auto& [key, value] : log.last) {
    const auto it = tags.find(key);
    ASSERT_TRUE(it != tags.end()) << key.first << "/" << key.second;
    EXPECT_NEAR(it->second->value("value", 0.0), value, 1e-6 * std::abs(value))
        << key.first << "/" << key.second;
    // Capper's DDEATH and the node's NDEATH at the end.
    EXPECT_TRUE(it->second->value("stale", false)) << key.first << "/" << key.second;
  }
  std::map<std::string, std::string> modes;
  for (const json& m : snap["modes"]) modes[m.value("machine", "")] = m.value("mode", "");
  EXPECT_EQ(modes["Filler"], "MODE_DOWN");
  remove_if_passed(dir);
}

// ---- 3. bad flags ------------------------------------------------------------------------------

struct Ran {
  int code = -1;
  std::string err;
  double seconds = 0;
};

Ran run_twin(const fs::path& dir, const std::string& name, std::vector<std::string> args) {
  args.insert(args.begin(), kTwin);
  Proc p(dir, name);
  Ran r;
  const auto t0 = Clock::now();
  if (!p.start(args)) return r;
  r.code = p.process.wait(20s);
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  r.err = p.stderr_text();
  return r;
}

TEST(LiveCli, RefusesBadFlags) {
  const fs::path dir = temp_dir("flags");
  const std::string nobody = cat(std::string("127.0.0.1:"), port_text(test::free_loopback_port()));
  const std::vector<std::string> quiet_live = {"live", "scenes/bottling.yaml", "-q", "--duration",
                                               "2"};
  auto live_with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = quiet_live;
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  struct Case {
    std::string name;
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"mqtt_no_port", live_with({"--mqtt", "nohostport"}), "--mqtt: bad endpoint 'nohostport'"},
      {"mqtt_port_zero", live_with({"--mqtt", "127.0.0.1:0"}), "--mqtt: bad endpoint"},
      {"grpc_remote", live_with({"--mqtt", nobody, "--grpc", "1.2.3.4:50051", "--foxglove", "off"}),
       "refusing to serve gRPC on non-loopback address 1.2.3.4:50051 without a token or TLS"},
      {"grpc_bad_port", live_with({"--mqtt", nobody, "--grpc", "127.0.0.1:99999"}),
       "--grpc: bad endpoint"},
      {"tls_without_ca", live_with({"--mqtt", nobody, "--tls"}),
       "--tls needs --tls-ca or --tls-capath"},
      {"tls_ca_missing", live_with({"--mqtt", nobody, "--tls", "--tls-ca", "/nonexistent/ca.pem"}),
       "--tls-ca"},
      {"live_unknown_scene",
       {"live", "scenes/no_such_scene.yaml", "-q", "--duration", "2"},
       "scenes/no_such_scene.yaml: cannot open scene file"},
      {"edge_unknown_scene",
       {"edge", "scenes/no_such_scene.yaml", "-q"},
       "scenes/no_such_scene.yaml: cannot open scene file"},
      {"edge_tls_without_ca",
       {"edge", "scenes/bottling.yaml", "-q", "--mqtt", nobody, "--tls"},
       "--tls needs --tls-ca or --tls-capath"},
  };
  for (const Case& c : cases) {
    const Ran r = run_twin(dir, c.name, c.args);
    EXPECT_NE(r.code, 0) << c.name;
    EXPECT_NE(r.code, -1) << c.name << ": did not end";
    EXPECT_LT(r.seconds, 5.0) << c.name;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.name << ": " << r.err;
  }
  // An unreachable broker: `twin edge` gives up after --connect-timeout.
  const Ran r = run_twin(dir, "edge_no_broker",
                         {"edge", "scenes/bottling.yaml", "-q", "--mqtt", nobody, "--hours", "0.1",
                          "--connect-timeout", "1"});
  EXPECT_EQ(r.code, 1);
  EXPECT_GE(r.seconds, 0.9);
  EXPECT_LT(r.seconds, 5.0);
  EXPECT_NE(r.err.find("cannot reach the broker"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(nobody), std::string::npos) << r.err;
  remove_if_passed(dir);
}

// ---- 4. TLS
// --------------------------------------------------------------------------------------

// Runs a shell command in `dir`; false (and the output in `log`) on failure.
bool shell(const fs::path& dir, const std::string& command, std::string& log) {
  const std::string cmd =
      cat(std::string("cd '"), dir.string(), "' && ", command, " >>openssl.log 2>&1");
  if (std::system(cmd.c_str()) == 0) return true;
  log = test::read_file((dir / "openssl.log").string());
  return false;
}

// A CA, and a certificate it signs for `names` (subjectAltName entries, e.g. "DNS:localhost").
bool make_ca(const fs::path& dir, const std::string& name, std::string& log) {
  return shell(dir,
               cat(std::string("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
                               "-nodes -days 2 -keyout "),
                   name, ".key -out ", name, ".crt -subj '/CN=twin test ", name,
                   "' -addext basicConstraints=critical,CA:TRUE -addext "
                   "keyUsage=critical,keyCertSign,cRLSign"),
               log);
}

bool make_cert(const fs::path& dir, const std::string& ca, const std::string& name,
               const std::string& cn, const std::string& names, std::string& log) {
  {
    std::ofstream ext(dir / cat(name, ".ext"));
    ext << "subjectAltName=" << names << "\nextendedKeyUsage=serverAuth\n";
  }
  return shell(dir,
               cat(std::string("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
                               "-nodes -keyout "),
                   name, ".key -out ", name, ".csr -subj '/CN=", cn, "'"),
               log) &&
         shell(dir,
               cat(std::string("openssl x509 -req -in "), name, ".csr -CA ", ca, ".crt -CAkey ", ca,
                   ".key -CAcreateserial -days 2 -out ", name, ".crt -extfile ", name, ".ext"),
               log);
}

std::string mosquitto_binary() {
  for (const char* p : {"/usr/sbin/mosquitto", "/usr/bin/mosquitto"}) {
    if (fs::exists(p)) return p;
  }
  return "mosquitto";
}

TEST(LiveCli, TlsBrokerCertificateIsChecked) {
  if (std::string why = missing_broker(); !why.empty()) GTEST_SKIP() << why;
  if (!test::have_program("openssl")) GTEST_SKIP() << "the openssl command line is missing";
  const fs::path dir = temp_dir("tls");
  std::string log;
  ASSERT_TRUE(make_ca(dir, "ca", log)) << log;
  ASSERT_TRUE(make_ca(dir, "other_ca", log)) << log;
  ASSERT_TRUE(make_cert(dir, "ca", "server", "localhost", "DNS:localhost,IP:127.0.0.1", log))
      << log;
  ASSERT_TRUE(
      make_cert(dir, "ca", "elsewhere", "broker.example.com", "DNS:broker.example.com", log))
      << log;

  // mosquitto started as root runs as user mosquitto: it must be able to read the keys.
  for (const char* key : {"server.key", "elsewhere.key"}) {
    fs::permissions(dir / key, fs::perms::group_read | fs::perms::others_read,
                    fs::perm_options::add);
  }
  // One broker, two TLS listeners: the right certificate, and one for another host name.
  const int port = test::free_loopback_port();
  int other_port = test::free_loopback_port();
  while (other_port == port) other_port = test::free_loopback_port();
  {
    std::ofstream conf(dir / "mosquitto.conf");
    const std::string d = dir.string();
    conf << "allow_anonymous true\npersistence false\n"
         << "log_dest stderr\n"
         << "listener " << port << " 127.0.0.1\n"
         << "cafile " << d << "/ca.crt\ncertfile " << d << "/server.crt\nkeyfile " << d
         << "/server.key\n"
         << "listener " << other_port << " 127.0.0.1\n"
         << "cafile " << d << "/ca.crt\ncertfile " << d << "/elsewhere.crt\nkeyfile " << d
         << "/elsewhere.key\n";
  }
  test::ChildProcess broker;
  ASSERT_TRUE(broker.start({mosquitto_binary(), "-c", (dir / "mosquitto.conf").string()},
                           dir.string(), (dir / "broker.out").string(),
                           (dir / "broker.err").string()));
  ASSERT_TRUE(test::wait_for_port(port, 10s) && test::wait_for_port(other_port, 10s))
      << test::read_file((dir / "broker.err").string());

  auto tls_options = [&](int p, const std::string& id, const std::string& ca) {
    MqttOptions o = test::loopback_client(p, id);
    o.tls.enabled = true;
    o.tls.ca_file = (dir / ca).string();
    return o;
  };
  {  // The right CA: connects, and messages go through.
    MqttClient c(tls_options(port, "tls-right", "ca.crt"));
    Inbox inbox;
    c.subscribe("tls/echo", 1);
    c.on_message([&](std::string_view t, std::span<const uint8_t> p, bool) { inbox.add(t, p); });
    c.start();
    ASSERT_TRUE(c.wait_connected(5s)) << c.last_error();
    EXPECT_TRUE(c.publish("tls/echo", std::string_view("hello"), 1, false));
    EXPECT_TRUE(eventually([&] { return inbox.count("tls/echo") == 1; }, 5s));
    c.stop();
  }
  {  // The same broker through "localhost" (the certificate's DNS name).
    MqttOptions o = tls_options(port, "tls-localhost", "ca.crt");
    o.broker.host = "localhost";
    MqttClient c(o);
    c.start();
    EXPECT_TRUE(c.wait_connected(5s)) << c.last_error();
    c.stop();
  }
  {  // The host name check off: a certificate for another name is accepted...
    MqttOptions o = tls_options(other_port, "tls-insecure-host", "ca.crt");
    o.tls.insecure_hostname = true;
    MqttClient c(o);
    c.start();
    EXPECT_TRUE(c.wait_connected(5s)) << c.last_error();
    c.stop();
  }
  {  // Refused, all trying at once: another CA; the right CA but a certificate for another
     // host name; and without the host name check, another CA still.
    MqttClient other_ca(tls_options(port, "tls-other-ca", "other_ca.crt"));
    MqttClient other_host(tls_options(other_port, "tls-other-host", "ca.crt"));
    MqttOptions o = tls_options(other_port, "tls-insecure-host-other-ca", "other_ca.crt");
    o.tls.insecure_hostname = true;
    MqttClient insecure_other_ca(o);
    const std::vector<MqttClient*> clients = {&other_ca, &other_host, &insecure_other_ca};
    for (MqttClient* c : clients) c->start();
    std::this_thread::sleep_for(1500ms);  // several attempts each (backoff 0.05 .. 0.3 s)
    for (MqttClient* c : clients) {
      c->stop();
      EXPECT_EQ(c->counters().connects.load(), 0u) << c->options().client_id;
      // MqttClient counts and describes the failures libmosquitto reports from the connect
      // call; a handshake it finishes later in its loop fails without a count or an error.
      if (c->counters().connect_failures.load() > 0) {
        EXPECT_NE(c->last_error().find("TLS"), std::string::npos)
            << c->options().client_id << ": " << c->last_error();
      }
    }
  }

  // The commands: `twin live --tls --tls-ca` connects once; with the wrong CA it never does,
  // and `twin edge` says why it cannot reach the broker.
  const std::string mqtt = cat(std::string("127.0.0.1:"), port_text(port));
  Ran r = run_twin(dir, "live_tls",
                   {"live", "scenes/bottling.yaml", "--mqtt", mqtt, "--tls", "--tls-ca",
                    (dir / "ca.crt").string(), "--grpc", "off", "--foxglove", "off", "--duration",
                    "1.5", "--json", (dir / "live.json").string(), "-q"});
  ASSERT_EQ(r.code, 0) << r.err;
  json snap = read_json(dir / "live.json");
  EXPECT_EQ(u64(snap["ingest"], "connects"), 1u) << snap.dump().substr(0, 2000);

  r = run_twin(dir, "live_tls_other_ca",
               {"live", "scenes/bottling.yaml", "--mqtt", mqtt, "--tls", "--tls-ca",
                (dir / "other_ca.crt").string(), "--grpc", "off", "--foxglove", "off", "--duration",
                "1.5", "--json", (dir / "live_other.json").string(), "-q"});
  ASSERT_EQ(r.code, 0) << r.err;
  snap = read_json(dir / "live_other.json");
  EXPECT_EQ(u64(snap["ingest"], "connects"), 0u) << snap.dump().substr(0, 2000);

  r = run_twin(dir, "edge_tls_other_ca",
               {"edge", "scenes/bottling.yaml", "-q", "--mqtt", mqtt, "--tls", "--tls-ca",
                (dir / "other_ca.crt").string(), "--hours", "0.01", "--connect-timeout", "1"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("cannot reach the broker"), std::string::npos) << r.err;
  EXPECT_TRUE(r.err.find("TLS error") != std::string::npos ||
              r.err.find(cat(std::string("no connection to "), mqtt, " within 1 s")) !=
                  std::string::npos)
      << r.err;

  r = run_twin(dir, "edge_tls",
               {"edge", "scenes/bottling.yaml", "-q", "--mqtt", mqtt, "--tls", "--tls-ca",
                (dir / "ca.crt").string(), "--hours", "0.01", "--speed", "1000", "--clean",
                "--connect-timeout", "5"});
  EXPECT_EQ(r.code, 0) << r.err;
  broker.stop(SIGTERM);
  remove_if_passed(dir);
}

}  // namespace
}  // namespace twin
