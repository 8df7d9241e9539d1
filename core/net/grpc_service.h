// The live twin's state over gRPC: serves twin.live.TwinService (core/proto/twin/live.proto)
// from a StateHub, so dashboards, MES adapters and notebooks read the twin in any language.
//
// Threading: the synchronous grpc++ API, one grpc thread per running call, so one thread per
// open stream for as long as it is open. That suits tens of clients; hundreds would want the
// callback API. The twin thread's cost stays at StateHub::publish: every stream owns a hub
// subscription (a bounded drop-oldest queue) and filters and serializes on its own thread. A
// slow or stalled client loses its oldest changes (and learns how many through
// StateChange.dropped); it never slows the twin or the other clients.
//
// What clients get: requests name machines and tags (empty lists: all). Tag values must match
// both lists; modes and alarms match by machine; KPIs and ingest counters always pass. A state
// change left with nothing (and no KPIs) is not sent; the `dropped` it would have carried moves
// to the next change sent. GetSnapshot and GetKpis answer UNAVAILABLE until the twin has set its
// first snapshot (StreamState's with_snapshot then sends no first message). Streams end with
// UNAVAILABLE when the server stops or the hub closes them.
//
// Security: a bearer token (metadata "authorization: Bearer <token>") and/or TLS. Listening on
// a non-loopback address with neither is refused unless explicitly allowed.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/net/endpoint.h"

namespace grpc {
class Server;
}  // namespace grpc

namespace twin {

class StateHub;
class TwinServiceHandler;  // the TwinService implementation, in grpc_service.cc

class GrpcServer {
 public:
  // Server-side TLS from PEM files. Both cert_chain_path and private_key_path empty: plaintext.
  struct Tls {
    std::string cert_chain_path;   // PEM certificate chain the server presents
    std::string private_key_path;  // PEM private key of that certificate
    std::string client_ca_path;    // PEM CA certificates; non-empty: clients must present a
                                   // certificate signed by one of them (mutual TLS)
  };

  struct Options {
    // Where to listen; port 0 picks a free port (start() returns it).
    Endpoint listen{"127.0.0.1", 50051};
    // Non-empty: every call must carry metadata "authorization: Bearer <token>", else it ends
    // with UNAUTHENTICATED.
    std::string token;
    Tls tls;
    // Listening on a non-loopback address without token and TLS exposes the plant's state to
    // the network; start() refuses it unless this is set.
    bool allow_insecure_remote = false;
    // Hub queue of each stream [changes]; a client further behind loses the oldest.
    size_t queue_capacity = 4096;
    // stop() lets streams end by themselves this long, then cancels what still runs (a client
    // that stopped reading keeps its writer blocked until then).
    std::chrono::milliseconds shutdown_grace{250};
  };

  // Figures since construction (they survive stop() and start()).
  struct Counters {
    uint64_t calls = 0;                     // calls received, refused ones included
    uint64_t streams_open = 0;              // StreamState and StreamAlarms calls running now
    uint64_t streams_total = 0;             // streams ever opened
    uint64_t changes_sent = 0;              // StateChange messages written (snapshots included)
    uint64_t alarms_sent = 0;               // Alarm messages written
    uint64_t rejected_unauthenticated = 0;  // calls refused for a missing or wrong token
  };

  // `hub` must outlive the server. start(), stop() and the destructor belong to the owning
  // thread; counters() may be called from any.
  GrpcServer(StateHub& hub, Options options);
  ~GrpcServer();  // stop()
  GrpcServer(const GrpcServer&) = delete;
  GrpcServer& operator=(const GrpcServer&) = delete;

  // Listens and serves; returns the bound port. Throws std::runtime_error saying why when the
  // options are unsafe or inconsistent, a TLS file is unreadable, the server is already
  // running, or the address cannot be bound (another process on the port included).
  uint16_t start();
  // Ends every stream (status UNAVAILABLE), cancels those still blocked after shutdown_grace,
  // and returns once every call has finished. The hub and its other consumers are untouched.
  // Does nothing when not running.
  void stop();

  bool running() const { return server_ != nullptr; }
  uint16_t port() const { return port_; }  // the bound port; 0 when not running
  Counters counters() const;

 private:
  friend class TwinServiceHandler;

  // The counters as the call threads update them.
  struct LiveCounters {
    std::atomic<uint64_t> calls{0};
    std::atomic<uint64_t> streams_open{0};
    std::atomic<uint64_t> streams_total{0};
    std::atomic<uint64_t> changes_sent{0};
    std::atomic<uint64_t> alarms_sent{0};
    std::atomic<uint64_t> rejected_unauthenticated{0};
  };

  StateHub& hub_;
  const Options options_;
  LiveCounters counters_;
  // One per start(): grpc registers a service with one server only. Declared before server_
  // so it is destroyed after it.
  std::unique_ptr<TwinServiceHandler> service_;
  std::unique_ptr<grpc::Server> server_;  // null when not running
  uint16_t port_ = 0;                     // bound port; 0 when not running
};

}  // namespace twin
