#include "core/net/mqtt_client.h"

#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace twin {

namespace {

void init_library_once() {
  static const int rc = mosquitto_lib_init();
  if (rc != MOSQ_ERR_SUCCESS) throw std::runtime_error("mosquitto_lib_init failed");
}

std::string describe(int rc) {
  if (rc == MOSQ_ERR_ERRNO) return std::strerror(errno);
  return mosquitto_strerror(rc);
}

// Jitter for the backoff, so a plant full of clients does not reconnect in lockstep. Not part
// of any simulation: a wall-clock-seeded generator is fine here.
double jitter(uint64_t& state) {
  state += 0x9E3779B97F4A7C15ull;
  uint64_t z = state;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return 0.5 + 0.5 * static_cast<double>(z >> 11) * 0x1.0p-53;  // [0.5, 1)
}

}  // namespace

MqttClient::MqttClient(MqttOptions options) : options_(std::move(options)) {
  init_library_once();
  if (options_.client_id.empty()) throw std::invalid_argument("MQTT client id is empty");
  mosq_ = mosquitto_new(options_.client_id.c_str(), options_.clean_start, this);
  if (!mosq_) throw std::runtime_error("mosquitto_new failed");
  mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
  mosquitto_int_option(mosq_, MOSQ_OPT_TCP_NODELAY, 1);
  mosquitto_connect_v5_callback_set(
      mosq_, [](mosquitto* m, void* self, int rc, int flags, const mosquitto_property*) {
        handle_connect(m, self, rc, flags);
      });
  // libmosquitto says why a TLS handshake failed ("certificate verify failed") only in its log.
  mosquitto_log_callback_set(mosq_, [](mosquitto*, void* self, int level, const char* text) {
    if (level == MOSQ_LOG_ERR && text != nullptr) {
      auto* client = static_cast<MqttClient*>(self);
      std::lock_guard lock(client->error_mutex_);
      client->last_log_error_.assign(text);
    }
  });
  mosquitto_message_v5_callback_set(
      mosq_, [](mosquitto*, void* self, const mosquitto_message* msg, const mosquitto_property*) {
        auto* client = static_cast<MqttClient*>(self);
        client->counters_.messages_in.fetch_add(1, std::memory_order_relaxed);
        client->counters_.bytes_in.fetch_add(static_cast<uint64_t>(msg->payloadlen),
                                             std::memory_order_relaxed);
        if (client->on_message_) {
          client->on_message_(msg->topic,
                              std::span<const uint8_t>(static_cast<const uint8_t*>(msg->payload),
                                                       static_cast<size_t>(msg->payloadlen)),
                              msg->retain);
        }
      });
}

MqttClient::~MqttClient() {
  stop();
  if (mosq_) mosquitto_destroy(mosq_);
}

void MqttClient::handle_connect(mosquitto*, void* self, int rc, int flags) {
  auto* client = static_cast<MqttClient*>(self);
  client->connack_seen_ = true;
  if (rc != 0) {
    client->counters_.connect_failures.fetch_add(1);
    std::string error("broker refused the connection: ");
    error.append(mosquitto_reason_string(rc));
    client->set_error(std::move(error));
    return;
  }
  for (const auto& [filter, qos] : client->subscriptions_) {
    mosquitto_subscribe_v5(client->mosq_, nullptr, filter.c_str(), qos, 0, nullptr);
  }
  client->counters_.connects.fetch_add(1);
  client->connected_.store(true);
  if (client->on_connect_) client->on_connect_((flags & 1) != 0);
}

void MqttClient::subscribe(std::string topic_filter, int qos) {
  subscriptions_.emplace_back(std::move(topic_filter), qos);
}

void MqttClient::set_will(const MqttWill& will) {
  const int rc =
      mosquitto_will_set_v5(mosq_, will.topic.c_str(), static_cast<int>(will.payload.size()),
                            will.payload.data(), will.qos, will.retain, nullptr);
  if (rc != MOSQ_ERR_SUCCESS) throw std::runtime_error("MQTT will refused: " + describe(rc));
}

void MqttClient::start() {
  if (running_.load()) return;
  if (!options_.username.empty()) {
    mosquitto_username_pw_set(mosq_, options_.username.c_str(),
                              options_.password.empty() ? nullptr : options_.password.c_str());
  }
  if (options_.tls.enabled) {
    auto or_null = [](const std::string& s) { return s.empty() ? nullptr : s.c_str(); };
    if (options_.tls.ca_file.empty() && options_.tls.ca_path.empty()) {
      throw std::runtime_error("TLS needs a CA file or directory to check the broker");
    }
    int rc =
        mosquitto_tls_set(mosq_, or_null(options_.tls.ca_file), or_null(options_.tls.ca_path),
                          or_null(options_.tls.cert_file), or_null(options_.tls.key_file), nullptr);
    if (rc != MOSQ_ERR_SUCCESS) throw std::runtime_error("TLS settings refused: " + describe(rc));
    rc = mosquitto_tls_opts_set(mosq_, 1 /* SSL_VERIFY_PEER */, nullptr, nullptr);
    if (rc != MOSQ_ERR_SUCCESS) throw std::runtime_error("TLS options refused: " + describe(rc));
    mosquitto_tls_insecure_set(mosq_, options_.tls.insecure_hostname);
  }
  running_.store(true);
  thread_ = std::thread([this] { loop(); });
}

void MqttClient::stop() {
  if (!running_.exchange(false)) return;
  if (thread_.joinable()) thread_.join();
}

void MqttClient::abort_connection() {
  abort_requested_.store(true);
}

bool MqttClient::try_connect() {
  if (before_connect_) before_connect_();
  mosquitto_property* props = nullptr;
  if (!options_.clean_start) {
    mosquitto_property_add_int32(&props, MQTT_PROP_SESSION_EXPIRY_INTERVAL,
                                 options_.session_expiry_s);
  }
  connack_seen_ = false;
  const int rc =
      mosquitto_connect_bind_v5(mosq_, options_.broker.host.c_str(), options_.broker.port,
                                options_.keepalive_s, nullptr, props);
  mosquitto_property_free_all(&props);
  if (rc != MOSQ_ERR_SUCCESS) {
    counters_.connect_failures.fetch_add(1);
    std::string error("cannot connect to ");
    error.append(options_.broker.to_string());
    error.append(": ");
    error.append(describe(rc));
    append_log_error(error);
    set_error(std::move(error));
    return false;
  }
  // Wait for the CONNACK (the callback sets connected_ or records the refusal). The TLS
  // handshake happens in here too, so a bad certificate shows up as a loop error.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  int loop_rc = MOSQ_ERR_SUCCESS;
  while (running_.load() && !connack_seen_ && std::chrono::steady_clock::now() < deadline) {
    loop_rc = mosquitto_loop(mosq_, 50, 1);
    if (loop_rc != MOSQ_ERR_SUCCESS) break;
  }
  if (!connack_seen_ && running_.load()) {
    counters_.connect_failures.fetch_add(1);
    std::string error("no CONNACK from ");
    error.append(options_.broker.to_string());
    error.append(": ");
    error.append(loop_rc != MOSQ_ERR_SUCCESS ? describe(loop_rc) : std::string("timed out"));
    append_log_error(error);
    set_error(std::move(error));
  }
  return connected_.load();
}

void MqttClient::loop() {
  using clock = std::chrono::steady_clock;
  uint64_t rng = static_cast<uint64_t>(clock::now().time_since_epoch().count());
  double backoff_s = options_.reconnect_min_s;
  auto next_tick = clock::now() + options_.tick_period;
  auto run_tick = [&] {
    if (clock::now() >= next_tick) {
      next_tick = clock::now() + options_.tick_period;
      if (on_tick_) on_tick_();
    }
  };
  auto wait_backoff = [&] {
    const auto until = clock::now() + std::chrono::duration<double>(backoff_s * jitter(rng));
    while (running_.load() && clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      run_tick();
    }
    backoff_s = std::min(backoff_s * 2.0, options_.reconnect_max_s);
  };
  while (running_.load()) {
    if (!connected_.load()) {
      if (try_connect()) {
        backoff_s = options_.reconnect_min_s;
      } else {
        mosquitto_disconnect(mosq_);  // close a socket left half-open by a refused CONNACK
        wait_backoff();
        continue;
      }
    }
    const auto wait =
        std::chrono::duration_cast<std::chrono::milliseconds>(next_tick - clock::now());
    const int rc =
        mosquitto_loop(mosq_, static_cast<int>(std::clamp<int64_t>(wait.count(), 0, 50)), 1);
    run_tick();
    if (abort_requested_.exchange(false)) {
      // Close the socket under libmosquitto's feet: no DISCONNECT, so the broker sends the will.
      const int fd = mosquitto_socket(mosq_);
      if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
    }
    if (rc != MOSQ_ERR_SUCCESS && connected_.load()) {
      connected_.store(false);
      counters_.connection_losses.fetch_add(1);
      set_error("connection lost: " + describe(rc));
      if (on_disconnect_) on_disconnect_(rc);
      wait_backoff();
    }
  }
  if (connected_.exchange(false)) {
    mosquitto_disconnect_v5(mosq_, 0, nullptr);
    for (int i = 0; i < 10 && mosquitto_want_write(mosq_); ++i) mosquitto_loop(mosq_, 10, 1);
  }
}

bool MqttClient::publish(std::string_view topic, std::span<const uint8_t> payload, int qos,
                         bool retain) {
  const std::string topic_z(topic);
  const int rc =
      mosquitto_publish_v5(mosq_, nullptr, topic_z.c_str(), static_cast<int>(payload.size()),
                           payload.data(), qos, retain, nullptr);
  if (rc != MOSQ_ERR_SUCCESS) {
    counters_.publish_failures.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  counters_.publishes.fetch_add(1, std::memory_order_relaxed);
  return true;
}

bool MqttClient::publish(std::string_view topic, std::string_view payload, int qos, bool retain) {
  return publish(
      topic,
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(payload.data()), payload.size()),
      qos, retain);
}

bool MqttClient::wait_connected(std::chrono::milliseconds timeout) const {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!connected_.load()) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

std::string MqttClient::last_error() const {
  std::lock_guard lock(error_mutex_);
  return last_error_;
}

void MqttClient::append_log_error(std::string& error) const {
  std::lock_guard lock(error_mutex_);
  if (last_log_error_.empty()) return;
  error.append(" (");
  error.append(last_log_error_);
  error.append(")");
}

void MqttClient::set_error(std::string error) {
  std::lock_guard lock(error_mutex_);
  last_error_ = std::move(error);
}

}  // namespace twin
