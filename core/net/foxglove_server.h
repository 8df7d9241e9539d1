// A Foxglove WebSocket protocol server (subprotocol foxglove.websocket.v1): Foxglove and any
// other client of the protocol see the channels added here and receive the messages published
// on the ones they subscribe to. Generic: it knows channels, schemas and bytes, not the twin
// (core/net/foxglove_bridge.h feeds it the live twin's state).
//
// Threads: the server runs websocketpp on standalone Asio in a thread of its own, which alone
// touches connections and per-client state. add_channel() and publish() may be called from any
// thread; they hand their work over to the server thread and return at once, so a slow client
// never slows the caller. Each client's outgoing backlog is bounded; above the bound, messages
// for that client are dropped (the newest: websocketpp cannot take back what it has queued) and
// counted, and the client gets a warning status once per episode of drops.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/net/endpoint.h"

namespace twin {

class FoxgloveServer {
 public:
  struct Options {
    Endpoint listen{"127.0.0.1", 8765};  // port 0: any free port, see port()
    std::string name = "twin";           // serverInfo name, shown by clients
    // [bytes] a client's messages queued in the server and not yet handed to its socket; a
    // message that would go above this is dropped for that client
    size_t max_client_backlog_bytes = size_t{4} << 20;
    // [messages] publish() calls handed to the server thread and not yet processed by it; above
    // this the server thread is behind (not one client) and publish() drops the message
    size_t max_pending_publishes = 8192;
    // [ms] how long stop() waits for clients to acknowledge the close before cutting them off
    std::chrono::milliseconds close_timeout{250};
  };

  struct Counters {
    uint64_t clients = 0;        // clients connected now
    uint64_t clients_total = 0;  // clients ever connected (handshake completed)
    uint64_t messages_sent = 0;  // MessageData frames handed to clients' connections
    uint64_t dropped = 0;       // MessageData frames not sent: client backlog full or server behind
    uint64_t bad_requests = 0;  // requests answered with an error or warning status
  };

  explicit FoxgloveServer(Options options);
  // Stops the server (see stop()).
  ~FoxgloveServer();
  FoxgloveServer(const FoxgloveServer&) = delete;
  FoxgloveServer& operator=(const FoxgloveServer&) = delete;

  // Binds the listen endpoint and starts the server thread. Returns false and says why in
  // `error` when the endpoint cannot be bound or the server was started before.
  bool start(std::string* error);
  // The bound port (the one picked when Options::listen.port is 0); 0 before start().
  uint16_t port() const;

  // A channel with protobuf messages of type `schema_name` (full name, e.g. "twin.live.Kpis"),
  // `descriptor_set` being the serialized FileDescriptorSet that defines it and its imports.
  // Advertised to the clients connected now and to those that connect later. Returns the
  // channel's id (1, 2, ...). May be called before start().
  uint32_t add_channel(std::string topic, std::string schema_name, std::string_view descriptor_set);

  // Sends `payload` (a serialized message of the channel's type) to every client subscribed to
  // `channel` with timestamp `log_time_ns` [ns since the Unix epoch]. Never waits on a client.
  // Returns false when the message was dropped before reaching the server thread (stopped or
  // behind).
  bool publish(uint32_t channel, int64_t log_time_ns, std::string_view payload);

  // True while at least one client is subscribed to `channel`: lets a publisher skip building
  // messages nobody receives. Read from any thread.
  bool has_subscribers(uint32_t channel) const;

  // Stops accepting, closes every client (waiting at most Options::close_timeout for their
  // acknowledgement, then cutting them off) and joins the server thread. Idempotent.
  void stop();

  Counters counters() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace twin
