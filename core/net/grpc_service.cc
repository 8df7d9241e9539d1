#include "core/net/grpc_service.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/live/state_hub.h"
#include "twin/live.grpc.pb.h"

namespace twin {
namespace {

// How often a stream with nothing to send checks whether its client has left. The sync API has
// no cancellation callback; an idle stream finds out within this time.
constexpr std::chrono::milliseconds kCancelPoll{50};

// Keepalive pings find clients that vanished without closing (network cut, powered off);
// without them such a stream holds its thread until TCP gives up, hours later.
constexpr int kKeepaliveTimeMs = 20'000;
constexpr int kKeepaliveTimeoutMs = 10'000;

using NameList = google::protobuf::RepeatedPtrField<std::string>;

// The machines and tags a client asked for; an empty list means all. The tag list selects tag
// values only: modes and alarms are selected by machine.
class NameFilter {
 public:
  NameFilter(const NameList& machines, const NameList& tags)
      : machines_(machines.begin(), machines.end()), tags_(tags.begin(), tags.end()) {}

  bool everything() const { return machines_.empty() && tags_.empty(); }
  bool machine(const std::string& name) const {
    return machines_.empty() || machines_.contains(name);
  }
  bool tag(const live::TagValue& value) const {
    return machine(value.machine()) && (tags_.empty() || tags_.contains(value.tag()));
  }

 private:
  std::unordered_set<std::string> machines_;
  std::unordered_set<std::string> tags_;
};

// Appends the elements of `from` that `keep` accepts to `to`.
template <typename T, typename Keep>
void append_matching(const google::protobuf::RepeatedPtrField<T>& from,
                     google::protobuf::RepeatedPtrField<T>& to, Keep keep) {
  for (const T& item : from) {
    if (keep(item)) *to.Add() = item;
  }
}

// The part of `change` the client asked for, in `out` (cleared first). False when nothing of
// it remains and it carries no KPIs: such a change is not sent.
bool filter_change(const live::StateChange& change, const NameFilter& filter,
                   live::StateChange& out) {
  out.Clear();
  append_matching(change.tags(), *out.mutable_tags(), [&](const auto& t) { return filter.tag(t); });
  append_matching(change.modes(), *out.mutable_modes(),
                  [&](const auto& m) { return filter.machine(m.machine()); });
  append_matching(change.alarms(), *out.mutable_alarms(),
                  [&](const auto& a) { return filter.machine(a.machine()); });
  append_matching(change.rul(), *out.mutable_rul(),
                  [&](const auto& r) { return filter.machine(r.machine()); });
  if (out.tags().empty() && out.modes().empty() && out.alarms().empty() && out.rul().empty() &&
      !change.has_kpis()) {
    return false;
  }
  out.set_seq(change.seq());
  out.set_twin_time_ns(change.twin_time_ns());
  out.set_source_time_ns(change.source_time_ns());
  out.set_dropped(change.dropped());
  if (change.has_kpis()) *out.mutable_kpis() = change.kpis();
  return true;
}

void filter_snapshot(const live::Snapshot& snapshot, const NameFilter& filter,
                     live::Snapshot& out) {
  out.Clear();
  out.set_seq(snapshot.seq());
  out.set_twin_time_ns(snapshot.twin_time_ns());
  append_matching(snapshot.modes(), *out.mutable_modes(),
                  [&](const auto& m) { return filter.machine(m.machine()); });
  append_matching(snapshot.tags(), *out.mutable_tags(),
                  [&](const auto& t) { return filter.tag(t); });
  if (snapshot.has_kpis()) *out.mutable_kpis() = snapshot.kpis();
  append_matching(snapshot.active_alarms(), *out.mutable_active_alarms(),
                  [&](const auto& a) { return filter.machine(a.machine()); });
  append_matching(snapshot.rul(), *out.mutable_rul(),
                  [&](const auto& r) { return filter.machine(r.machine()); });
  if (snapshot.has_ingest()) *out.mutable_ingest() = snapshot.ingest();
}

// The snapshot as the first message of a state stream: every current value at once.
live::StateChange snapshot_as_change(const live::Snapshot& snapshot, const NameFilter& filter) {
  live::StateChange out;
  out.set_seq(snapshot.seq());
  out.set_twin_time_ns(snapshot.twin_time_ns());
  append_matching(snapshot.tags(), *out.mutable_tags(),
                  [&](const auto& t) { return filter.tag(t); });
  append_matching(snapshot.modes(), *out.mutable_modes(),
                  [&](const auto& m) { return filter.machine(m.machine()); });
  append_matching(snapshot.active_alarms(), *out.mutable_alarms(),
                  [&](const auto& a) { return filter.machine(a.machine()); });
  append_matching(snapshot.rul(), *out.mutable_rul(),
                  [&](const auto& r) { return filter.machine(r.machine()); });
  if (snapshot.has_kpis()) *out.mutable_kpis() = snapshot.kpis();
  return out;
}

std::string read_pem(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  std::string text;
  if (in) text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (text.empty()) {
    std::string message("gRPC TLS: cannot read the ");
    message.append(what);
    message.append(" file '");
    message.append(path);
    message.append("' (missing, unreadable or empty)");
    throw std::runtime_error(message);
  }
  return text;
}

std::shared_ptr<grpc::ServerCredentials> server_credentials(const GrpcServer::Tls& tls) {
  const bool has_cert = !tls.cert_chain_path.empty();
  const bool has_key = !tls.private_key_path.empty();
  if (!has_cert && !has_key) {
    if (!tls.client_ca_path.empty()) {
      throw std::runtime_error(
          "gRPC TLS: a client CA was given without a server certificate and key");
    }
    return grpc::InsecureServerCredentials();
  }
  if (!has_cert || !has_key) {
    throw std::runtime_error("gRPC TLS needs both a certificate chain and its private key");
  }
  const bool mutual = !tls.client_ca_path.empty();
  grpc::SslServerCredentialsOptions ssl(
      mutual ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
             : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  if (mutual) ssl.pem_root_certs = read_pem(tls.client_ca_path, "client CA");
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  pair.private_key = read_pem(tls.private_key_path, "private key");
  pair.cert_chain = read_pem(tls.cert_chain_path, "certificate chain");
  ssl.pem_key_cert_pairs.push_back(std::move(pair));
  return grpc::SslServerCredentials(ssl);
}

// Equal contents, in time independent of where they differ (a token check must not tell an
// attacker how many leading characters were right).
bool same_secret(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff = static_cast<unsigned char>(diff | (a[i] ^ b[i]));
  }
  return diff == 0;
}

}  // namespace

class TwinServiceHandler final : public live::TwinService::Service {
 public:
  TwinServiceHandler(StateHub& hub, const GrpcServer::Options& options,
                     GrpcServer::LiveCounters& counters)
      : hub_(hub), options_(options), counters_(counters) {
    if (!options.token.empty()) {
      expected_authorization_ = "Bearer ";
      expected_authorization_.append(options.token);
    }
  }

  // Closes the hub subscriptions of the running streams (they end) and refuses new streams.
  void begin_stop() {
    std::lock_guard lock(streams_mutex_);
    stopping_ = true;
    for (const auto& subscription : streams_) subscription->close();
  }

  grpc::Status GetSnapshot(grpc::ServerContext* context, const live::SnapshotRequest* request,
                           live::Snapshot* response) override {
    if (grpc::Status refused = admit(*context); !refused.ok()) return refused;
    const SnapshotPtr snapshot = hub_.snapshot();
    if (!snapshot) return no_snapshot_yet();
    filter_snapshot(*snapshot, NameFilter(request->machines(), request->tags()), *response);
    return grpc::Status::OK;
  }

  grpc::Status GetKpis(grpc::ServerContext* context, const live::KpiRequest* /*request*/,
                       live::Kpis* response) override {
    if (grpc::Status refused = admit(*context); !refused.ok()) return refused;
    const SnapshotPtr snapshot = hub_.snapshot();
    if (!snapshot) return no_snapshot_yet();
    *response = snapshot->kpis();
    return grpc::Status::OK;
  }

  grpc::Status StreamState(grpc::ServerContext* context, const live::StreamRequest* request,
                           grpc::ServerWriter<live::StateChange>* writer) override {
    if (grpc::Status refused = admit(*context); !refused.ok()) return refused;
    const OpenStream stream(*this);
    if (!stream.subscription) return stopping_status();
    const NameFilter filter(request->machines(), request->tags());

    // Subscribed before reading the snapshot, so changes already in it can be skipped. The
    // snapshot may be older than the subscription (the twin refreshes it a few times per
    // second): the changes in between never reach this client, and the first change it gets
    // counts them in `dropped` (seq rises by one per change).
    std::optional<uint64_t> sent_through;
    if (request->with_snapshot()) {
      if (const SnapshotPtr snapshot = hub_.snapshot()) {
        if (!writer->Write(snapshot_as_change(*snapshot, filter))) return client_left();
        ++counters_.changes_sent;
        sent_through = snapshot->seq();
      }
    }

    bool first_after_snapshot = sent_through.has_value();
    const uint64_t snapshot_seq = sent_through.value_or(0);
    live::StateChange filtered;  // reused between changes
    return drain(*context, *stream.subscription, sent_through,
                 [&](const live::StateChange& change, uint64_t& dropped) {
                   if (first_after_snapshot) {  // replaces the hub's count, which it includes
                     dropped = change.seq() - snapshot_seq - 1;
                     first_after_snapshot = false;
                   }
                   const live::StateChange* out = &change;
                   if (!filter.everything() || dropped > 0) {
                     // An empty change keeps `dropped` for the next one that is sent.
                     if (!filter_change(change, filter, filtered)) return true;
                     filtered.set_dropped(change.dropped() + dropped);
                     out = &filtered;
                   }
                   if (!writer->Write(*out)) return false;
                   dropped = 0;
                   ++counters_.changes_sent;
                   return true;
                 });
  }

  grpc::Status StreamAlarms(grpc::ServerContext* context, const live::AlarmRequest* request,
                            grpc::ServerWriter<telemetry::Alarm>* writer) override {
    if (grpc::Status refused = admit(*context); !refused.ok()) return refused;
    const OpenStream stream(*this);
    if (!stream.subscription) return stopping_status();
    const NameFilter filter(request->machines(), {});

    auto send = [&](const telemetry::Alarm& alarm) {
      if (!filter.machine(alarm.machine())) return true;
      if (!writer->Write(alarm)) return false;
      ++counters_.alarms_sent;
      return true;
    };
    std::optional<uint64_t> sent_through;
    if (const SnapshotPtr snapshot = hub_.snapshot()) {
      for (const telemetry::Alarm& alarm : snapshot->active_alarms()) {
        if (!send(alarm)) return client_left();
      }
      sent_through = snapshot->seq();
    }
    // Alarm has no `dropped` field: a client that falls behind misses alarms silently.
    return drain(*context, *stream.subscription, sent_through,
                 [&](const live::StateChange& change, uint64_t& dropped) {
                   dropped = 0;
                   for (const telemetry::Alarm& alarm : change.alarms()) {
                     if (!send(alarm)) return false;
                   }
                   return true;
                 });
  }

 private:
  // A stream's hub subscription, registered so begin_stop() can close it. `subscription` is
  // null when the server is stopping.
  struct OpenStream {
    explicit OpenStream(TwinServiceHandler& handler) : owner(handler) {
      subscription = owner.open_subscription();
    }
    ~OpenStream() {
      if (subscription) owner.close_subscription(subscription);
    }
    OpenStream(const OpenStream&) = delete;
    OpenStream& operator=(const OpenStream&) = delete;

    TwinServiceHandler& owner;
    std::shared_ptr<StateSubscription> subscription;
  };

  std::shared_ptr<StateSubscription> open_subscription() {
    std::lock_guard lock(streams_mutex_);
    if (stopping_) return nullptr;
    auto subscription = hub_.subscribe(options_.queue_capacity);
    streams_.push_back(subscription);
    ++counters_.streams_open;
    ++counters_.streams_total;
    return subscription;
  }

  void close_subscription(const std::shared_ptr<StateSubscription>& subscription) {
    subscription->close();  // the hub forgets it at its next publish
    std::lock_guard lock(streams_mutex_);
    streams_.erase(std::find(streams_.begin(), streams_.end(), subscription));
    --counters_.streams_open;
  }

  // Hands the subscription's changes to `write(change, dropped)` until the client leaves, a
  // write fails or the subscription closes. `dropped` counts changes the hub dropped for this
  // client and not yet reported; `write` zeroes it once it has told the client. Changes with
  // seq <= `sent_through` were in the snapshot already sent.
  template <typename Write>
  grpc::Status drain(grpc::ServerContext& context, StateSubscription& subscription,
                     std::optional<uint64_t> sent_through, Write&& write) {
    std::vector<StateChangePtr> batch;
    uint64_t dropped = 0;
    while (!context.IsCancelled()) {
      batch.clear();
      uint64_t dropped_now = 0;
      if (!subscription.pop(batch, kCancelPoll, &dropped_now)) return stopping_status();
      dropped += dropped_now;
      for (const StateChangePtr& change : batch) {
        if (sent_through && change->seq() <= *sent_through) continue;
        if (!write(*change, dropped)) return client_left();
      }
    }
    return client_left();
  }

  // OK when the call may proceed; counts the call either way.
  grpc::Status admit(const grpc::ServerContext& context) {
    ++counters_.calls;
    if (expected_authorization_.empty()) return grpc::Status::OK;
    const auto& metadata = context.client_metadata();
    const auto found = metadata.find("authorization");
    if (found != metadata.end() &&
        same_secret(std::string_view(found->second.data(), found->second.size()),
                    expected_authorization_)) {
      return grpc::Status::OK;
    }
    ++counters_.rejected_unauthenticated;
    return {grpc::StatusCode::UNAUTHENTICATED,
            "missing or wrong token: send metadata 'authorization: Bearer <token>'"};
  }

  static grpc::Status no_snapshot_yet() {
    return {grpc::StatusCode::UNAVAILABLE, "the twin has no snapshot yet; retry shortly"};
  }
  static grpc::Status stopping_status() {
    return {grpc::StatusCode::UNAVAILABLE, "the twin's gRPC service is shutting down"};
  }
  static grpc::Status client_left() { return {grpc::StatusCode::CANCELLED, "the client left"}; }

  StateHub& hub_;
  const GrpcServer::Options& options_;  // the owning GrpcServer's
  GrpcServer::LiveCounters& counters_;  // the owning GrpcServer's
  std::string expected_authorization_;  // "Bearer <token>"; empty: no token required
  std::mutex streams_mutex_;            // guards streams_ and stopping_
  std::vector<std::shared_ptr<StateSubscription>> streams_;  // of the running streams
  bool stopping_ = false;                                    // begin_stop() was called
};

GrpcServer::GrpcServer(StateHub& hub, Options options) : hub_(hub), options_(std::move(options)) {}

GrpcServer::~GrpcServer() {
  stop();
}

uint16_t GrpcServer::start() {
  if (server_) {
    std::string message("gRPC server already running on port ");
    message.append(std::to_string(port_));
    throw std::runtime_error(message);
  }
  const std::string address = options_.listen.to_string();
  const bool tls = !options_.tls.cert_chain_path.empty() || !options_.tls.private_key_path.empty();
  if (!options_.listen.loopback() && options_.token.empty() && !tls &&
      !options_.allow_insecure_remote) {
    std::string message("refusing to serve gRPC on non-loopback address ");
    message.append(address);
    message.append(
        " without a token or TLS: anyone on the network could read the plant's state. Set a "
        "token and/or TLS, or allow_insecure_remote (twin live --allow-remote) to accept that");
    throw std::runtime_error(message);
  }

  auto service = std::make_unique<TwinServiceHandler>(hub_, options_, counters_);
  grpc::ServerBuilder builder;
  int bound_port = 0;
  builder.AddListeningPort(address, server_credentials(options_.tls), &bound_port);
  builder.RegisterService(service.get());
  // grpc sets SO_REUSEPORT by default on Linux: a second server on a busy port would then start
  // and share the connections silently. A busy port must be an error.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, kKeepaliveTimeMs);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, kKeepaliveTimeoutMs);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || bound_port <= 0 || bound_port > 65535) {
    if (server) server->Shutdown();
    std::string message("gRPC server cannot listen on ");
    message.append(address);
    message.append(" (port in use, or the address is not one of this host's?)");
    throw std::runtime_error(message);
  }
  service_ = std::move(service);
  server_ = std::move(server);
  port_ = static_cast<uint16_t>(bound_port);
  return port_;
}

void GrpcServer::stop() {
  if (!server_) return;
  service_->begin_stop();  // idle streams end now
  // Streams blocked writing to a client that stopped reading are cancelled at the deadline.
  server_->Shutdown(std::chrono::system_clock::now() + options_.shutdown_grace);
  server_->Wait();
  server_.reset();
  service_.reset();
  port_ = 0;
}

GrpcServer::Counters GrpcServer::counters() const {
  Counters out;
  out.calls = counters_.calls.load();
  out.streams_open = counters_.streams_open.load();
  out.streams_total = counters_.streams_total.load();
  out.changes_sent = counters_.changes_sent.load();
  out.alarms_sent = counters_.alarms_sent.load();
  out.rejected_unauthenticated = counters_.rejected_unauthenticated.load();
  return out;
}

}  // namespace twin
