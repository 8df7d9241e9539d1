// The Sparkplug republisher's RUL metrics against a real mosquitto broker: each machine's DBIRTH
// declares "rul/<tag>/median_h", "p05_h" and "p95_h" (engUnit "h": every metric carries its
// unit) for the degradation indicators the twin's condition monitor follows (first vibration, tool
// wear and temperature tag), and a RUL estimate on the state stream arrives as a DDATA with those
// aliases and values (decoded with the Sparkplug B schema, tests/net/interop's official .proto
// compiled). An estimate for a tag the births did not declare is counted as dropped.
#include "core/net/sparkplug_republisher.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/mosquitto_broker.h"
#include "tests/support/scenes.h"
#include "twin/sparkplug_b.pb.h"

namespace twin {
namespace {

namespace spb = org::eclipse::tahu::protobuf;
using namespace std::chrono_literals;

struct Heard {
  std::mutex mutex;
  std::vector<std::pair<std::string, spb::Payload>> messages;
  void add(std::string_view topic, std::span<const uint8_t> payload) {
    spb::Payload p;
    ASSERT_TRUE(p.ParseFromArray(payload.data(), static_cast<int>(payload.size())));
    std::lock_guard lock(mutex);
    messages.emplace_back(std::string(topic), std::move(p));
  }
  // The first message on `topic` that has a metric with alias `alias`, if any.
  std::optional<spb::Payload> find(const std::string& topic, uint64_t alias) {
    std::lock_guard lock(mutex);
    for (const auto& [t, p] : messages) {
      if (t != topic) continue;
      for (const auto& m : p.metrics())
        if (m.alias() == alias) return p;
    }
    return std::nullopt;
  }
  std::optional<spb::Payload> first(const std::string& topic) {
    std::lock_guard lock(mutex);
    for (const auto& [t, p] : messages)
      if (t == topic) return p;
    return std::nullopt;
  }
};

template <typename F>
bool eventually(F f, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (f()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return f();
}

TEST(SparkplugRepublisher, RulMetricsAreBornAndForwardedInHours) {
  const std::string unavailable = test::MosquittoBroker::unavailable();
  if (!unavailable.empty()) GTEST_SKIP() << unavailable;
  const std::string dir = (std::filesystem::temp_directory_path() /
                           ("twin_republisher_test_" + std::to_string(::getpid())))
                              .string();
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  test::MosquittoBroker broker(dir, false);
  ASSERT_TRUE(broker.start()) << broker.log();

  Heard heard;
  MqttClient watcher(test::loopback_client(broker.port(), "republisher-watcher"));
  watcher.subscribe("spBv1.0/twin/#", 1);
  watcher.on_message([&](std::string_view topic, std::span<const uint8_t> payload, bool) {
    heard.add(topic, payload);
  });
  watcher.start();
  ASSERT_TRUE(watcher.wait_connected(5s)) << watcher.last_error();

  const Model& model = test::sample_model("machining20.yaml");
  StateHub hub;
  SparkplugRepublisher republisher(model, hub, test::loopback_client(broker.port(), "republisher"),
                                   "twin", "line");
  republisher.start();

  // Turn_OP10's birth: its rul metrics, with their aliases, after the kpis.
  const std::string birth = "spBv1.0/twin/DBIRTH/line/Turn_OP10";
  ASSERT_TRUE(eventually([&] { return heard.first(birth).has_value(); }, 10s));
  std::map<std::string, uint64_t> alias;
  const spb::Payload born = *heard.first(birth);
  std::map<std::string, std::string> unit;  // the metrics' engUnit property
  for (const spb::Payload::Metric& m : born.metrics()) {
    alias[m.name()] = m.alias();
    for (int k = 0; k < m.properties().keys_size(); ++k) {
      if (m.properties().keys(k) == "engUnit") {
        EXPECT_EQ(m.properties().values(k).type(), static_cast<uint32_t>(spb::String));
        unit[m.name()] = m.properties().values(k).string_value();
      }
    }
    if (m.name().starts_with("rul/")) {
      EXPECT_EQ(m.datatype(), spb::Float) << m.name();
    }
  }
  for (const std::string tag : {"spindle_vibration", "tool_wear", "spindle_temp"})
    for (const std::string q : {"median_h", "p05_h", "p95_h"})
      EXPECT_TRUE(alias.count("rul/" + tag + "/" + q)) << tag << " " << q;
  EXPECT_FALSE(alias.count("rul/spindle_current/median_h"));  // not a degradation indicator
  // Units as the scene gives them, the RUL's in hours.
  EXPECT_EQ(unit["spindle_vibration"], "mm/s");
  EXPECT_EQ(unit["spindle_temp"], "degC");
  EXPECT_EQ(unit["rul/spindle_vibration/median_h"], "h");
  EXPECT_EQ(unit["kpi/good"], "parts");
  EXPECT_FALSE(unit.count("mode"));

  // An estimate on the stream: median 30 h, 5 % 12 h, 95 % unbounded.
  auto change = std::make_shared<live::StateChange>();
  change->set_seq(1);
  live::RulEstimate* r = change->add_rul();
  r->set_time_ns(1'000'000'000);
  r->set_machine("Turn_OP10");
  r->set_tag("spindle_vibration");
  r->set_median_s(30 * 3600.0);
  r->set_lo_s(12 * 3600.0);
  r->set_hi_s(std::numeric_limits<double>::infinity());
  live::RulEstimate* stray = change->add_rul();  // a tag without RUL metrics
  *stray = *r;
  stray->set_tag("spindle_current");
  hub.publish(change);

  const std::string data = "spBv1.0/twin/DDATA/line/Turn_OP10";
  const uint64_t median = alias["rul/spindle_vibration/median_h"];
  ASSERT_TRUE(eventually([&] { return heard.find(data, median).has_value(); }, 10s));
  std::map<uint64_t, float> value;
  const spb::Payload ddata = *heard.find(data, median);
  for (const spb::Payload::Metric& m : ddata.metrics()) value[m.alias()] = m.float_value();
  EXPECT_FLOAT_EQ(value[median], 30.0f);
  EXPECT_FLOAT_EQ(value[alias["rul/spindle_vibration/p05_h"]], 12.0f);
  EXPECT_TRUE(std::isinf(value[alias["rul/spindle_vibration/p95_h"]]));
  EXPECT_EQ(republisher.counters().rul.load(), 1u);
  EXPECT_GE(republisher.counters().dropped.load(), 1u);

  republisher.stop();
  watcher.stop();
  broker.stop(SIGTERM);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace twin
