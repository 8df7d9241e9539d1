// MqttClient against a real mosquitto broker on a loopback port.
#include "core/net/mqtt_client.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <thread>

#include "tests/support/mosquitto_broker.h"

namespace twin {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

fs::path temp_dir(const std::string& name) {
  return test::fresh_temp_dir("mqtt_" + name);
}

MqttOptions options_for(const test::MosquittoBroker& broker, const std::string& id) {
  MqttOptions o;
  o.broker = Endpoint{"127.0.0.1", static_cast<uint16_t>(broker.port())};
  o.client_id = id;
  o.reconnect_min_s = 0.05;
  o.reconnect_max_s = 0.5;
  o.tick_period = 20ms;
  return o;
}

// Collects the payloads received on a client.
struct Inbox {
  std::mutex mutex;
  std::vector<std::string> payloads;
  void add(std::span<const uint8_t> p) {
    std::lock_guard lock(mutex);
    payloads.emplace_back(reinterpret_cast<const char*>(p.data()), p.size());
  }
  size_t size() {
    std::lock_guard lock(mutex);
    return payloads.size();
  }
  bool wait_for(size_t n, std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (size() < n) {
      if (std::chrono::steady_clock::now() > until) return false;
      std::this_thread::sleep_for(2ms);
    }
    return true;
  }
};

#define SKIP_WITHOUT_BROKER()                                     \
  do {                                                            \
    const std::string why = test::MosquittoBroker::unavailable(); \
    if (!why.empty()) GTEST_SKIP() << why;                        \
  } while (0)

TEST(MqttClient, PublishesAndReceivesQos1InOrder) {
  SKIP_WITHOUT_BROKER();
  test::MosquittoBroker broker(temp_dir("order").string());
  ASSERT_TRUE(broker.start()) << broker.log();
  Inbox inbox;
  MqttClient sub(options_for(broker, "sub-order"));
  sub.subscribe("t/#", 1);
  sub.on_message([&](std::string_view, std::span<const uint8_t> p, bool) { inbox.add(p); });
  sub.start();
  ASSERT_TRUE(sub.wait_connected(5s)) << sub.last_error();
  MqttClient pub(options_for(broker, "pub-order"));
  pub.start();
  ASSERT_TRUE(pub.wait_connected(5s)) << pub.last_error();
  std::this_thread::sleep_for(100ms);  // the subscription is in place
  for (int i = 0; i < 500; ++i) ASSERT_TRUE(pub.publish("t/x", std::to_string(i)));
  ASSERT_TRUE(inbox.wait_for(500, 10s)) << inbox.size();
  for (int i = 0; i < 500; ++i)
    EXPECT_EQ(inbox.payloads[static_cast<size_t>(i)], std::to_string(i));
  EXPECT_EQ(sub.counters().connects.load(), 1u);
  EXPECT_EQ(pub.counters().publishes.load(), 500u);
}

// A persistent session: what is published while the subscriber is away is delivered when a
// client with the same id comes back.
TEST(MqttClient, PersistentSessionKeepsQos1MessagesWhileAway) {
  SKIP_WITHOUT_BROKER();
  test::MosquittoBroker broker(temp_dir("session").string());
  ASSERT_TRUE(broker.start()) << broker.log();
  {
    MqttClient first(options_for(broker, "twin-host"));
    first.subscribe("plant/#", 1);
    first.start();
    ASSERT_TRUE(first.wait_connected(5s)) << first.last_error();
    std::this_thread::sleep_for(100ms);
  }  // DISCONNECT; the session (subscription) stays for session_expiry_s
  MqttClient pub(options_for(broker, "pub-session"));
  pub.start();
  ASSERT_TRUE(pub.wait_connected(5s));
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(pub.publish("plant/a", std::to_string(i)));
  std::this_thread::sleep_for(200ms);

  Inbox inbox;
  std::atomic<int> session_present{-1};
  MqttClient again(options_for(broker, "twin-host"));
  again.subscribe("plant/#", 1);
  again.on_connect([&](bool present) { session_present = present ? 1 : 0; });
  again.on_message([&](std::string_view, std::span<const uint8_t> p, bool) { inbox.add(p); });
  again.start();
  ASSERT_TRUE(inbox.wait_for(50, 10s)) << inbox.size();
  EXPECT_EQ(session_present.load(), 1);
  EXPECT_EQ(inbox.payloads.front(), "0");
  EXPECT_EQ(inbox.payloads.back(), "49");
}

TEST(MqttClient, WillIsPublishedWhenTheConnectionDiesWithoutDisconnect) {
  SKIP_WITHOUT_BROKER();
  test::MosquittoBroker broker(temp_dir("will").string());
  ASSERT_TRUE(broker.start()) << broker.log();
  Inbox inbox;
  MqttClient watcher(options_for(broker, "watcher"));
  watcher.subscribe("state/#", 1);
  watcher.on_message([&](std::string_view, std::span<const uint8_t> p, bool) { inbox.add(p); });
  watcher.start();
  ASSERT_TRUE(watcher.wait_connected(5s));

  MqttOptions o = options_for(broker, "mortal");
  o.keepalive_s = 5;
  MqttClient mortal(o);
  int attempts = 0;
  mortal.on_before_connect([&] {
    ++attempts;
    mortal.set_will(MqttWill{"state/mortal", "offline-" + std::to_string(attempts), 1, false});
  });
  mortal.start();
  ASSERT_TRUE(mortal.wait_connected(5s));
  std::this_thread::sleep_for(100ms);
  mortal.abort_connection();
  ASSERT_TRUE(inbox.wait_for(1, 10s)) << broker.log();
  EXPECT_EQ(inbox.payloads[0], "offline-1");
  // It reconnects by itself, with the will set anew.
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (mortal.counters().connects.load() < 2 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(mortal.counters().connects.load(), 2u);
  EXPECT_EQ(mortal.counters().connection_losses.load(), 1u);
  EXPECT_EQ(attempts, 2);
  mortal.stop();  // a clean DISCONNECT: no will
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(inbox.size(), 1u);
}

TEST(MqttClient, ReconnectsAfterTheBrokerRestarts) {
  SKIP_WITHOUT_BROKER();
  test::MosquittoBroker broker(temp_dir("restart").string());
  ASSERT_TRUE(broker.start()) << broker.log();
  Inbox inbox;
  MqttClient sub(options_for(broker, "sub-restart"));
  sub.subscribe("r/#", 1);
  std::atomic<int> disconnects{0};
  sub.on_disconnect([&](int) { ++disconnects; });
  sub.on_message([&](std::string_view, std::span<const uint8_t> p, bool) { inbox.add(p); });
  sub.start();
  ASSERT_TRUE(sub.wait_connected(5s));
  broker.stop(SIGTERM);
  const auto until = std::chrono::steady_clock::now() + 5s;
  while (disconnects.load() == 0 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_EQ(disconnects.load(), 1);
  std::this_thread::sleep_for(300ms);  // a few refused attempts with backoff
  ASSERT_TRUE(broker.start()) << broker.log();
  ASSERT_TRUE(sub.wait_connected(10s));
  const auto until2 = std::chrono::steady_clock::now() + 10s;
  while (sub.counters().connects.load() < 2 && std::chrono::steady_clock::now() < until2) {
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_EQ(sub.counters().connects.load(), 2u);
  EXPECT_GE(sub.counters().connect_failures.load(), 1u);
  MqttClient pub(options_for(broker, "pub-restart"));
  pub.start();
  ASSERT_TRUE(pub.wait_connected(5s));
  ASSERT_TRUE(pub.publish("r/1", "after"));
  ASSERT_TRUE(inbox.wait_for(1, 5s));
  EXPECT_EQ(inbox.payloads[0], "after");
}

TEST(MqttClient, UnreachableBrokerIsRetriedWithAClearError) {
  const int port = test::free_loopback_port();
  MqttOptions o;
  o.broker = Endpoint{"127.0.0.1", static_cast<uint16_t>(port)};
  o.client_id = "lonely";
  o.reconnect_min_s = 0.02;
  o.reconnect_max_s = 0.05;
  MqttClient c(o);
  c.start();
  EXPECT_FALSE(c.wait_connected(300ms));
  c.stop();
  EXPECT_GE(c.counters().connect_failures.load(), 2u);
  EXPECT_NE(c.last_error().find("cannot connect to 127.0.0.1:"), std::string::npos)
      << c.last_error();
}

TEST(MqttClient, TlsWithoutCaIsRefusedAtStart) {
  MqttOptions o;
  o.client_id = "tls";
  o.tls.enabled = true;
  MqttClient c(o);
  EXPECT_THROW(c.start(), std::runtime_error);
}

}  // namespace
}  // namespace twin
