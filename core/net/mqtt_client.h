// An MQTT 5 client on libmosquitto for the live twin (host application) and the simulated edge
// nodes: QoS 1, a persistent session (clean start off, session expiry), TCP_NODELAY, TLS with
// certificate and host name checks, a will, and reconnection with capped exponential backoff
// and jitter.
//
// One network thread per client runs mosquitto_loop() and calls the handlers; it also calls a
// periodic tick, so a consumer that does all its work in the handlers (the live twin) needs no
// thread of its own and no queue between network and mirror. We drive the loop ourselves
// instead of mosquitto_loop_start() so the will and the before-connect hook run on every
// reconnect (Sparkplug needs a new bdSeq / STATE timestamp per connection).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/net/endpoint.h"

struct mosquitto;

namespace twin {

struct MqttTls {
  bool enabled = false;
  std::string ca_file;    // PEM bundle of CAs that may sign the broker's certificate
  std::string ca_path;    // or a directory of hashed CA certificates
  std::string cert_file;  // client certificate (PEM), for brokers that require one
  std::string key_file;   // its private key
  // Skips the host name check (the chain is still verified). For test brokers only.
  bool insecure_hostname = false;
};

struct MqttOptions {
  Endpoint broker{"127.0.0.1", 1883};
  std::string client_id;  // must be unique per broker; the persistent session's key
  std::string username, password;
  int keepalive_s = 30;              // [s]
  bool clean_start = false;          // false: resume the broker-side session (QoS 1 messages kept)
  uint32_t session_expiry_s = 3600;  // [s] how long the broker keeps the session after a loss
  MqttTls tls;
  double reconnect_min_s = 0.1;   // [s] first backoff after a lost or refused connection
  double reconnect_max_s = 10.0;  // [s] backoff cap
  std::chrono::milliseconds tick_period{100};  // how often the tick handler runs
};

struct MqttWill {
  std::string topic;
  std::string payload;
  int qos = 1;
  bool retain = false;
};

class MqttClient {
 public:
  // Called on the network thread. `payload` is valid during the call only.
  using MessageHandler =
      std::function<void(std::string_view topic, std::span<const uint8_t> payload, bool retain)>;
  // After each CONNACK that accepted the connection; `session_present`: the broker resumed the
  // session (subscriptions and queued QoS 1 messages survived).
  using ConnectHandler = std::function<void(bool session_present)>;
  // Before each connect attempt: the place to set a new will.
  using BeforeConnectHandler = std::function<void()>;
  using DisconnectHandler = std::function<void(int reason)>;
  using TickHandler = std::function<void()>;

  struct Counters {
    std::atomic<uint64_t> connects{0};           // CONNACKs accepted
    std::atomic<uint64_t> connect_failures{0};   // TCP/TLS failures and refused CONNACKs
    std::atomic<uint64_t> connection_losses{0};  // an established connection broke
    std::atomic<uint64_t> messages_in{0};
    std::atomic<uint64_t> bytes_in{0};
    std::atomic<uint64_t> publishes{0};         // accepted by the library
    std::atomic<uint64_t> publish_failures{0};  // refused (not connected, too large, ...)
  };

  explicit MqttClient(MqttOptions options);
  ~MqttClient();
  MqttClient(const MqttClient&) = delete;
  MqttClient& operator=(const MqttClient&) = delete;

  // Handlers must be set before start().
  void on_message(MessageHandler handler) { on_message_ = std::move(handler); }
  void on_connect(ConnectHandler handler) { on_connect_ = std::move(handler); }
  void on_before_connect(BeforeConnectHandler handler) { before_connect_ = std::move(handler); }
  void on_disconnect(DisconnectHandler handler) { on_disconnect_ = std::move(handler); }
  void on_tick(TickHandler handler) { on_tick_ = std::move(handler); }

  // Subscriptions are renewed on every connect. Call before start().
  void subscribe(std::string topic_filter, int qos = 1);
  // Sets the will sent with the next CONNECT (call from the before-connect hook to change it).
  void set_will(const MqttWill& will);

  // Starts the network thread; it connects (and reconnects) on its own. Throws on bad TLS
  // settings (unreadable files) or options the library refuses.
  void start();
  // Sends DISCONNECT (the will is not published) and joins the thread.
  void stop();
  // Drops the connection without DISCONNECT, as a crash would: the broker publishes the will.
  // For tests.
  void abort_connection();

  // Thread-safe. False if the library refused (counted).
  bool publish(std::string_view topic, std::span<const uint8_t> payload, int qos = 1,
               bool retain = false);
  bool publish(std::string_view topic, std::string_view payload, int qos = 1, bool retain = false);

  bool connected() const { return connected_.load(); }
  bool running() const { return running_.load(); }
  // Waits until connected or the timeout passes.
  bool wait_connected(std::chrono::milliseconds timeout) const;
  const Counters& counters() const { return counters_; }
  const MqttOptions& options() const { return options_; }
  // The last connection error, for messages ("connection refused", "certificate verify failed").
  std::string last_error() const;

 private:
  static void handle_connect(mosquitto* mosq, void* self, int rc, int flags);
  void loop();
  bool try_connect();
  void set_error(std::string error);
  void append_log_error(std::string& error) const;

  MqttOptions options_;
  mosquitto* mosq_ = nullptr;
  MessageHandler on_message_;
  ConnectHandler on_connect_;
  BeforeConnectHandler before_connect_;
  DisconnectHandler on_disconnect_;
  TickHandler on_tick_;
  std::vector<std::pair<std::string, int>> subscriptions_;
  std::thread thread_;
  std::atomic<bool> running_{false};
  std::atomic<bool> connected_{false};
  std::atomic<bool> abort_requested_{false};
  bool connack_seen_ = false;   // network thread only
  std::string last_log_error_;  // libmosquitto's last error log line (under error_mutex_)
  Counters counters_;
  mutable std::mutex error_mutex_;
  std::string last_error_;
};

}  // namespace twin
