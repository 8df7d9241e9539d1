// Compiled as C++17 (core/net/CMakeLists.txt): websocketpp 0.8.2's headers do not compile as
// C++20 with GCC 12. Only this file includes them; the header hides them behind Impl.
#include "core/net/foxglove_server.h"

#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <atomic>
#include <exception>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>
#include <websocketpp/base64/base64.hpp>
#include <websocketpp/config/asio_no_tls.hpp>
#include <websocketpp/server.hpp>

#include "core/live/wall_clock.h"

namespace twin {
namespace {

using WsServer = websocketpp::server<websocketpp::config::asio>;
using Hdl = websocketpp::connection_hdl;
using json = nlohmann::json;

constexpr const char* kSubprotocol = "foxglove.websocket.v1";

// Binary opcode of a MessageData frame: u8 op, u32 LE subscription id, u64 LE timestamp [ns],
// payload.
constexpr char kOpMessageData = 0x01;
constexpr size_t kSubscriptionIdOffset = 1;  // [bytes] into a MessageData frame
constexpr size_t kMessageDataHeader = 13;    // [bytes] op + subscription id + timestamp

// Status levels of the protocol's "status" message.
enum class Level : int { kInfo = 0, kWarning = 1, kError = 2 };

// [bytes] largest request a client may send: subscribe lists are small; anything bigger is not
// a client of this protocol and only costs memory.
constexpr size_t kMaxRequestBytes = size_t{1} << 20;

// [ms] how long a connection may take to complete the WebSocket handshake.
constexpr long kOpenHandshakeTimeoutMs = 5000;

// [ms] how long stop() waits beyond Options::close_timeout before stopping the Asio loop with
// connections still open (a client that does not read cannot even be told the close happened).
constexpr long kStopCutoffExtraMs = 100;

void put_le(std::string& out, size_t at, uint64_t value, size_t bytes) {
  for (size_t i = 0; i < bytes; ++i) {
    out[at + i] = static_cast<char>(static_cast<uint8_t>(value >> (8 * i)));
  }
}

// The unsigned 32-bit number at `key` of `object`, or nothing when absent or of another type.
std::optional<uint32_t> u32_field(const json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_number_unsigned()) return std::nullopt;
  const uint64_t value = it->get<uint64_t>();
  if (value > UINT32_MAX) return std::nullopt;
  return static_cast<uint32_t>(value);
}

}  // namespace

struct FoxgloveServer::Impl {
  // What the server knows of one connected client. Server thread only.
  struct Client {
    std::unordered_map<uint32_t, uint32_t> channel_of;       // subscription id -> channel id
    std::unordered_map<uint32_t, uint32_t> subscription_of;  // channel id -> subscription id
    bool dropping = false;  // the last message for this client was dropped (warned once)
  };

  explicit Impl(Options opts) : options(std::move(opts)) {}

  const Options options;
  WsServer server;
  std::thread thread;

  // Server thread only.
  std::map<uint32_t, json> channels;                    // channel id -> its advertise entry
  std::map<Hdl, Client, std::owner_less<Hdl>> clients;  // open connections
  bool stopping = false;                                // stop() has begun closing clients
  std::unique_ptr<asio::steady_timer> cutoff;           // stops the loop if clients hang on
  std::string server_info;                              // the serverInfo message, built once

  // Any thread.
  std::mutex lifecycle_mutex;                          // start() and stop()
  bool started = false;                                // guarded by lifecycle_mutex
  bool stopped = false;                                // guarded by lifecycle_mutex
  std::atomic<bool> accepting{true};                   // publish() hands messages over
  std::atomic<uint16_t> bound_port{0};                 // the port listened on
  std::atomic<uint32_t> next_channel{1};               // id of the next channel
  std::atomic<size_t> pending_publishes{0};            // [messages] posted, not yet delivered
  mutable std::mutex subscribers_mutex;                // guards subscribers
  std::unordered_map<uint32_t, uint32_t> subscribers;  // channel id -> clients subscribed

  // The Counters of the header, one atomic each.
  std::atomic<uint64_t> n_clients{0};
  std::atomic<uint64_t> n_clients_total{0};
  std::atomic<uint64_t> n_sent{0};
  std::atomic<uint64_t> n_dropped{0};
  std::atomic<uint64_t> n_bad{0};

  void init();
  void run();
  void begin_stop();

  bool on_validate(Hdl hdl);
  void on_open(Hdl hdl);
  void on_close(Hdl hdl);
  void on_message(Hdl hdl, const WsServer::message_ptr& message);
  void handle_request(Hdl hdl, Client& client, const std::string& text);
  void subscribe(Hdl hdl, Client& client, const json& request);
  void unsubscribe(Hdl hdl, Client& client, const json& request);

  void add_channel(uint32_t id, json advertisement);
  void deliver(uint32_t channel, std::string& frame);

  void send_text(Hdl hdl, const std::string& text);
  // A status message to the client; warnings and errors answer bad requests and are counted.
  void send_status(Hdl hdl, Level level, const std::string& message);
  void count_subscribers(uint32_t channel, int delta);
};

void FoxgloveServer::Impl::init() {
  // websocketpp logs to stdout by default; the counters say what went wrong instead.
  server.clear_access_channels(websocketpp::log::alevel::all);
  server.clear_error_channels(websocketpp::log::elevel::all);
  server.init_asio();
  server.set_reuse_addr(true);
  server.set_max_message_size(kMaxRequestBytes);
  server.set_open_handshake_timeout(kOpenHandshakeTimeoutMs);
  server.set_close_handshake_timeout(static_cast<long>(options.close_timeout.count()));
  server.set_validate_handler([this](Hdl hdl) { return on_validate(hdl); });
  server.set_open_handler([this](Hdl hdl) { on_open(hdl); });
  server.set_close_handler([this](Hdl hdl) { on_close(hdl); });
  server.set_message_handler(
      [this](Hdl hdl, WsServer::message_ptr message) { on_message(hdl, message); });

  const int64_t session = wall_clock_ns();
  server_info = json{{"op", "serverInfo"},
                     {"name", options.name},
                     {"capabilities", json::array()},
                     {"sessionId", std::to_string(session)}}
                    .dump();
}

void FoxgloveServer::Impl::run() {
  // Our handlers catch what they throw; should websocketpp throw out of run() anyway, serving
  // the other clients beats ending the thread.
  for (;;) {
    try {
      server.run();
      return;
    } catch (const std::exception&) {
      continue;
    }
  }
}

void FoxgloveServer::Impl::begin_stop() {
  stopping = true;
  websocketpp::lib::error_code ec;
  server.stop_listening(ec);
  if (clients.empty()) {
    // Connections still in their handshake would keep the loop alive for up to the handshake
    // timeout; they are no clients yet, so stop at once (the io_context frees them).
    server.stop();
    return;
  }
  for (auto& [hdl, client] : clients) {
    server.close(hdl, websocketpp::close::status::going_away, "server stopping", ec);
  }
  cutoff = std::make_unique<asio::steady_timer>(server.get_io_service());
  cutoff->expires_after(options.close_timeout + std::chrono::milliseconds(kStopCutoffExtraMs));
  cutoff->async_wait([this](const std::error_code& error) {
    if (!error) server.stop();
  });
}

bool FoxgloveServer::Impl::on_validate(Hdl hdl) {
  websocketpp::lib::error_code ec;
  const auto con = server.get_con_from_hdl(hdl, ec);
  if (ec) return false;
  for (const std::string& protocol : con->get_requested_subprotocols()) {
    if (protocol == kSubprotocol) {
      con->select_subprotocol(protocol, ec);
      return !ec;
    }
  }
  // The spec requires the subprotocol; a client without it speaks something else.
  ++n_bad;
  return false;
}

void FoxgloveServer::Impl::on_open(Hdl hdl) {
  if (stopping) {
    websocketpp::lib::error_code ec;
    server.close(hdl, websocketpp::close::status::going_away, "server stopping", ec);
    return;
  }
  websocketpp::lib::error_code ec;
  if (const auto con = server.get_con_from_hdl(hdl, ec); !ec) {
    // A live view wants each small message on the wire at once, not held back by Nagle's
    // algorithm waiting for the previous one's acknowledgement.
    std::error_code ignored;
    con->get_socket().set_option(asio::ip::tcp::no_delay(true), ignored);
  }
  clients.emplace(hdl, Client{});
  ++n_clients;
  ++n_clients_total;
  send_text(hdl, server_info);
  // The spec promises at least one advertise on connection, even with no channels yet.
  json list = json::array();
  for (const auto& [id, advertisement] : channels) list.push_back(advertisement);
  send_text(hdl, json{{"op", "advertise"}, {"channels", std::move(list)}}.dump());
}

void FoxgloveServer::Impl::on_close(Hdl hdl) {
  const auto it = clients.find(hdl);
  if (it == clients.end()) return;
  for (const auto& [channel, subscription] : it->second.subscription_of) {
    count_subscribers(channel, -1);
  }
  clients.erase(it);
  --n_clients;
  if (stopping && clients.empty()) server.stop();
}

void FoxgloveServer::Impl::on_message(Hdl hdl, const WsServer::message_ptr& message) {
  const auto it = clients.find(hdl);
  if (it == clients.end()) return;
  if (message->get_opcode() != websocketpp::frame::opcode::text) {
    send_status(hdl, Level::kError,
                "binary client messages are not supported (no clientPublish capability)");
    return;
  }
  try {
    handle_request(hdl, it->second, message->get_payload());
  } catch (const std::exception& e) {
    // nlohmann::json throws on type mismatches the checks below missed: answer, never crash.
    std::string text = "request not understood: ";
    text.append(e.what());
    send_status(hdl, Level::kError, text);
  }
}

void FoxgloveServer::Impl::handle_request(Hdl hdl, Client& client, const std::string& text) {
  const json request = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (request.is_discarded() || !request.is_object()) {
    send_status(hdl, Level::kError, "request is not a JSON object");
    return;
  }
  const auto op = request.find("op");
  if (op == request.end() || !op->is_string()) {
    send_status(hdl, Level::kError, "request has no string field \"op\"");
    return;
  }
  const std::string& name = op->get_ref<const std::string&>();
  if (name == "subscribe") {
    subscribe(hdl, client, request);
  } else if (name == "unsubscribe") {
    unsubscribe(hdl, client, request);
  } else {
    std::string message = "unsupported op \"";
    message.append(name).append("\" (capabilities: none)");
    send_status(hdl, Level::kWarning, message);
  }
}

void FoxgloveServer::Impl::subscribe(Hdl hdl, Client& client, const json& request) {
  const auto list = request.find("subscriptions");
  if (list == request.end() || !list->is_array()) {
    send_status(hdl, Level::kError, "subscribe: \"subscriptions\" is not an array");
    return;
  }
  for (const json& entry : *list) {
    const auto id = entry.is_object() ? u32_field(entry, "id") : std::nullopt;
    const auto channel = entry.is_object() ? u32_field(entry, "channelId") : std::nullopt;
    if (!id || !channel) {
      send_status(hdl, Level::kError,
                  "subscribe: each subscription needs unsigned 32-bit \"id\" and \"channelId\"");
      continue;
    }
    if (channels.count(*channel) == 0) {
      std::string message = "subscribe: channel ";
      message.append(std::to_string(*channel)).append(" is not advertised");
      send_status(hdl, Level::kError, message);
      continue;
    }
    if (client.channel_of.count(*id) != 0) {
      std::string message = "subscribe: subscription id ";
      message.append(std::to_string(*id)).append(" is in use");
      send_status(hdl, Level::kError, message);
      continue;
    }
    if (const auto existing = client.subscription_of.find(*channel);
        existing != client.subscription_of.end()) {
      std::string message = "subscribe: channel ";
      message.append(std::to_string(*channel))
          .append(" is already subscribed as ")
          .append(std::to_string(existing->second));
      send_status(hdl, Level::kError, message);
      continue;
    }
    client.channel_of.emplace(*id, *channel);
    client.subscription_of.emplace(*channel, *id);
    count_subscribers(*channel, +1);
  }
}

void FoxgloveServer::Impl::unsubscribe(Hdl hdl, Client& client, const json& request) {
  const auto list = request.find("subscriptionIds");
  if (list == request.end() || !list->is_array()) {
    send_status(hdl, Level::kError, "unsubscribe: \"subscriptionIds\" is not an array");
    return;
  }
  for (const json& entry : *list) {
    const uint64_t id = entry.is_number_unsigned() ? entry.get<uint64_t>() : UINT64_MAX;
    const auto it = id <= UINT32_MAX ? client.channel_of.find(static_cast<uint32_t>(id))
                                     : client.channel_of.end();
    if (it == client.channel_of.end()) {
      std::string message = "unsubscribe: no subscription ";
      message.append(entry.dump());
      send_status(hdl, Level::kWarning, message);
      continue;
    }
    count_subscribers(it->second, -1);
    client.subscription_of.erase(it->second);
    client.channel_of.erase(it);
  }
}

void FoxgloveServer::Impl::add_channel(uint32_t id, json advertisement) {
  const auto [it, inserted] = channels.emplace(id, std::move(advertisement));
  if (!inserted) return;
  const std::string message =
      json{{"op", "advertise"}, {"channels", json::array({it->second})}}.dump();
  for (auto& [hdl, client] : clients) send_text(hdl, message);
}

void FoxgloveServer::Impl::deliver(uint32_t channel, std::string& frame) {
  for (auto& [hdl, client] : clients) {
    const auto subscription = client.subscription_of.find(channel);
    if (subscription == client.subscription_of.end()) continue;
    websocketpp::lib::error_code ec;
    const auto con = server.get_con_from_hdl(hdl, ec);
    if (ec) continue;
    // What websocketpp holds for this client beyond the write in flight: it grows while the
    // client does not read, and is all we may bound (queued frames cannot be taken back).
    if (con->get_buffered_amount() + frame.size() > options.max_client_backlog_bytes) {
      ++n_dropped;
      if (!client.dropping) {
        client.dropping = true;
        // Outside the bound on purpose: once, small, and it tells the user why data is missing.
        const std::string status = json{{"op", "status"},
                                        {"level", static_cast<int>(Level::kWarning)},
                                        {"message", "client too slow: messages are being dropped"}}
                                       .dump();
        con->send(status, websocketpp::frame::opcode::text);
      }
      continue;
    }
    client.dropping = false;
    put_le(frame, kSubscriptionIdOffset, subscription->second, 4);
    if (!con->send(frame.data(), frame.size(), websocketpp::frame::opcode::binary)) ++n_sent;
  }
}

void FoxgloveServer::Impl::send_text(Hdl hdl, const std::string& text) {
  websocketpp::lib::error_code ec;
  server.send(hdl, text, websocketpp::frame::opcode::text, ec);
}

void FoxgloveServer::Impl::send_status(Hdl hdl, Level level, const std::string& message) {
  if (level != Level::kInfo) ++n_bad;
  send_text(
      hdl, json{{"op", "status"}, {"level", static_cast<int>(level)}, {"message", message}}.dump());
}

void FoxgloveServer::Impl::count_subscribers(uint32_t channel, int delta) {
  std::lock_guard lock(subscribers_mutex);
  uint32_t& n = subscribers[channel];
  n = delta > 0 ? n + 1 : (n > 0 ? n - 1 : 0);
}

FoxgloveServer::FoxgloveServer(Options options)
    : impl_(std::make_unique<Impl>(std::move(options))) {
  impl_->init();
}

FoxgloveServer::~FoxgloveServer() {
  stop();
}

bool FoxgloveServer::start(std::string* error) {
  std::lock_guard lock(impl_->lifecycle_mutex);
  auto fail = [&](std::string why) {
    if (error) *error = std::move(why);
    return false;
  };
  if (impl_->started || impl_->stopped) return fail("the Foxglove server was started before");
  const Endpoint& at = impl_->options.listen;
  websocketpp::lib::error_code ec;
  impl_->server.listen(at.host, std::to_string(at.port), ec);
  if (!ec) impl_->server.start_accept(ec);
  asio::error_code local_ec;
  const auto local = ec ? asio::ip::tcp::endpoint{} : impl_->server.get_local_endpoint(local_ec);
  if (ec || local_ec) {
    std::string why = "cannot listen on ";
    why.append(at.to_string()).append(": ").append(ec ? ec.message() : local_ec.message());
    websocketpp::lib::error_code ignored;
    impl_->server.stop_listening(ignored);
    return fail(why);
  }
  impl_->bound_port = local.port();
  impl_->started = true;
  impl_->thread = std::thread([impl = impl_.get()] { impl->run(); });
  return true;
}

uint16_t FoxgloveServer::port() const {
  return impl_->bound_port;
}

uint32_t FoxgloveServer::add_channel(std::string topic, std::string schema_name,
                                     std::string_view descriptor_set) {
  const uint32_t id = impl_->next_channel++;
  json advertisement{
      {"id", id},
      {"topic", std::move(topic)},
      {"encoding", "protobuf"},
      {"schemaName", std::move(schema_name)},
      {"schemaEncoding", "protobuf"},
      {"schema",
       websocketpp::base64_encode(reinterpret_cast<const unsigned char*>(descriptor_set.data()),
                                  descriptor_set.size())},
  };
  // The channel table belongs to the server thread: there it is advertised to the clients of
  // that moment, in order with connections opening, so no client misses it or sees it twice.
  asio::post(impl_->server.get_io_service(),
             [impl = impl_.get(), id, advertisement = std::move(advertisement)]() mutable {
               impl->add_channel(id, std::move(advertisement));
             });
  return id;
}

bool FoxgloveServer::publish(uint32_t channel, int64_t log_time_ns, std::string_view payload) {
  Impl& impl = *impl_;
  if (!impl.accepting) {
    ++impl.n_dropped;
    return false;
  }
  if (impl.pending_publishes.fetch_add(1) >= impl.options.max_pending_publishes) {
    --impl.pending_publishes;
    ++impl.n_dropped;
    return false;
  }
  // One frame per message; the server thread writes each client's subscription id into it
  // before handing it to that client's connection (which copies it).
  std::string frame(kMessageDataHeader, '\0');
  frame[0] = kOpMessageData;
  put_le(frame, kSubscriptionIdOffset + 4, static_cast<uint64_t>(log_time_ns < 0 ? 0 : log_time_ns),
         8);
  frame.append(payload);
  asio::post(impl.server.get_io_service(), [&impl, channel, frame = std::move(frame)]() mutable {
    --impl.pending_publishes;
    impl.deliver(channel, frame);
  });
  return true;
}

bool FoxgloveServer::has_subscribers(uint32_t channel) const {
  std::lock_guard lock(impl_->subscribers_mutex);
  const auto it = impl_->subscribers.find(channel);
  return it != impl_->subscribers.end() && it->second > 0;
}

void FoxgloveServer::stop() {
  std::lock_guard lock(impl_->lifecycle_mutex);
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->accepting = false;
  if (impl_->thread.joinable()) {
    asio::post(impl_->server.get_io_service(), [impl = impl_.get()] { impl->begin_stop(); });
    impl_->thread.join();
  }
  // Connections the loop did not finish closing are freed with the io_context (their handlers
  // hold them); the table holds only weak handles.
  impl_->clients.clear();
  impl_->n_clients = 0;
  std::lock_guard subscribers_lock(impl_->subscribers_mutex);
  impl_->subscribers.clear();
}

FoxgloveServer::Counters FoxgloveServer::counters() const {
  Counters c;
  c.clients = impl_->n_clients;
  c.clients_total = impl_->n_clients_total;
  c.messages_sent = impl_->n_sent;
  c.dropped = impl_->n_dropped;
  c.bad_requests = impl_->n_bad;
  return c;
}

}  // namespace twin
