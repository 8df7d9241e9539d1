// The Sparkplug B host application's view of edge nodes and devices (Eclipse Sparkplug 3.0):
// births define metrics (name, alias, datatype), data messages update them by alias or name,
// deaths make them stale. Pure and deterministic: no clock reads, no I/O; the caller passes each
// MQTT message with its receive time and publishes the returned actions (rebirth requests).
//
// Bad input (malformed payloads, wrong topics, metrics never born, bad timestamps, floods) is
// rejected and counted; state is kept per edge node so one node's garbage never touches another.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/live/sparkplug_topic.h"

namespace org::eclipse::tahu::protobuf {
class Payload;
class Payload_Metric;
}  // namespace org::eclipse::tahu::protobuf

namespace twin {

class SparkplugHost {
 public:
  struct Options {
    // Metric timestamps further than this from the receive time are rejected [ns].
    int64_t max_clock_skew_ns = 86'400'000'000'000;
    // A rebirth request not answered by an NBIRTH within this time may be sent again [ns];
    // <= 0: never again until the next NBIRTH.
    int64_t rebirth_retry_ns = 30'000'000'000;
    // Messages per edge node per one-second window of receive time before the rest are dropped
    // unparsed [messages]; 0: unlimited.
    uint32_t max_messages_per_second = 10'000;
    // Larger payloads are rejected unparsed [bytes].
    size_t max_payload_bytes = 4u << 20;
    // Edge nodes tracked at most; messages naming further nodes are dropped [nodes]. Bounds the
    // memory a flood of made-up node ids can take.
    size_t max_nodes = 10'000;
    // Devices tracked at most per edge node; DBIRTHs of further devices are dropped [devices].
    size_t max_devices_per_node = 10'000;
    // Metrics one birth may define at most [metrics].
    size_t max_metrics_per_birth = 100'000;
  };

  // One metric value (or staleness) produced by a message. The string views point into the
  // host's state and the last payload: valid until the next handle() call.
  struct Update {
    std::string_view group, node, device;  // device empty for node metrics
    std::string_view metric;               // metric name from the birth
    int64_t time_ns = 0;                   // [ns since the Unix epoch] source time of the value
    uint32_t datatype = 0;                 // Sparkplug DataType from the birth
    double value = 0;                      // numbers, DateTime [ms since epoch], bool as 0/1
    std::string_view text;                 // String/Text/UUID values
    bool is_text = false;                  // the value is in `text`
    bool is_null = false;                  // the metric was sent with is_null
    bool historical = false;               // is_historical: a past value, not the current one
    bool stale = false;                    // death: the last value is no longer known to be true
  };

  // Something the caller must publish.
  struct Action {
    enum Kind { kRebirthRequest } kind = kRebirthRequest;
    std::string group, node;
    std::string topic;    // spBv1.0/<group>/NCMD/<node>
    std::string payload;  // serialized Payload: metric "Node Control/Rebirth" Boolean true
  };

  // What one message produced. Reused between calls.
  struct Result {
    bool accepted = false;  // false: the whole message was rejected (see counters)
    std::vector<Update> updates;
    std::vector<Action> actions;
  };

  // Each rejected message increments exactly one message-level counter; each rejected metric of
  // an accepted message exactly one metric-level counter. [counts since construction]
  struct Counters {
    // Message level.
    uint64_t messages = 0;            // handle() calls
    uint64_t bad_topics = 0;          // not a Sparkplug topic
    uint64_t oversize_payloads = 0;   // larger than max_payload_bytes
    uint64_t malformed_payloads = 0;  // not a Payload, or missing a required part (bdSeq, seq)
    uint64_t rate_limited = 0;        // over max_messages_per_second for the node
    uint64_t too_many_nodes = 0;      // new node beyond max_nodes
    uint64_t too_many_devices = 0;    // DBIRTH of a new device beyond max_devices_per_node
    uint64_t data_before_birth = 0;   // data/DBIRTH/DDEATH of a node or device not born
    uint64_t ignored_old_deaths = 0;  // NDEATH with another bdSeq, or of a node not born
    uint64_t ignored_other = 0;       // NCMD/DCMD/STATE seen on the subscription
    uint64_t births = 0;              // NBIRTH + DBIRTH accepted
    uint64_t deaths = 0;              // NDEATH + DDEATH accepted
    uint64_t data_messages = 0;       // NDATA + DDATA accepted
    // Sequence (the message is still applied: the values in it are good).
    uint64_t seq_gaps = 0;  // seq not the previous + 1 (mod 256)
    // Rebirth requests.
    uint64_t rebirth_requests = 0;     // actions produced
    uint64_t rebirths_suppressed = 0;  // wanted, but one is already pending for the node
    // Metric level.
    uint64_t metrics_applied = 0;     // updates with a value
    uint64_t stale_updates = 0;       // updates marking a metric stale (deaths)
    uint64_t unknown_aliases = 0;     // alias not defined by the birth
    uint64_t never_born_metrics = 0;  // name not defined by the birth, or neither name nor alias
    uint64_t bad_timestamps = 0;      // 0, or more than max_clock_skew_ns from receive time
    uint64_t type_mismatches = 0;     // value kind does not match the born datatype
    uint64_t unsupported_types = 0;   // DataSet, Template, Bytes, File, arrays: not mapped yet
    uint64_t bad_birth_metrics = 0;   // birth metric without name/datatype, or duplicate
  };

  SparkplugHost();
  explicit SparkplugHost(Options options);
  ~SparkplugHost();
  SparkplugHost(const SparkplugHost&) = delete;
  SparkplugHost& operator=(const SparkplugHost&) = delete;

  // Handles one MQTT message received at `receive_time_ns` [ns since the Unix epoch].
  const Result& handle(std::string_view topic, std::span<const uint8_t> payload,
                       int64_t receive_time_ns);

  const Counters& counters() const { return counters_; }
  // The node has a current NBIRTH (not dead since).
  bool node_online(std::string_view group, std::string_view node) const;
  // The device has a current DBIRTH under a current NBIRTH.
  bool device_online(std::string_view group, std::string_view node, std::string_view device) const;

  // The NCMD rebirth request payload (metric "Node Control/Rebirth", Boolean true), serialized.
  static std::string rebirth_payload(int64_t time_ms);

 private:
  struct MetricDef {
    std::string name;       // as born
    uint32_t datatype = 0;  // Sparkplug DataType
  };
  // The metrics of a node or of one device, as defined by its last birth.
  struct Scope {
    std::string device;          // device id; empty for the node's own metrics
    bool born = false;           // a birth defines the metrics and no death followed
    std::deque<MetricDef> defs;  // stable addresses: updates point at the names
    std::unordered_map<uint64_t, const MetricDef*> by_alias;       // alias -> definition
    std::map<std::string, const MetricDef*, std::less<>> by_name;  // name -> definition
    void clear_defs();
  };
  struct Node {
    std::string group, id;                              // group_id, edge_node_id
    Scope metrics;                                      // the node's own metrics
    std::map<std::string, Scope, std::less<>> devices;  // device id -> its metrics
    uint64_t bd_seq = 0;                                // bdSeq of the current NBIRTH
    uint8_t next_seq = 0;              // seq expected in the next N*/D* message (mod 256)
    bool rebirth_pending = false;      // a rebirth was requested and no NBIRTH came yet
    int64_t rebirth_requested_ns = 0;  // [ns] receive time of that request
    int64_t window_start_ns = 0;       // [ns] start of the current rate-limit window
    uint32_t window_messages = 0;      // [messages] seen in that window
  };

  Node* find_or_add_node(std::string_view group, std::string_view node);
  bool rate_ok(Node& node, int64_t now_ns);
  void request_rebirth(Node& node, int64_t now_ns);
  // Checks and advances the node's seq; requests a rebirth on a gap. False: missing/bad seq.
  bool check_seq(Node& node, int64_t now_ns);
  void handle_birth(Node& node, Scope& scope, int64_t now_ns);
  void handle_data(Node& node, Scope& scope, int64_t now_ns);
  void mark_stale(const Node& node, Scope& scope, int64_t now_ns);
  // Appends the update for `m` defined by `def`, or counts why not.
  void apply_metric(const Node& node, const Scope& scope, const MetricDef& def,
                    const org::eclipse::tahu::protobuf::Payload_Metric& m, int64_t now_ns);
  // Metric/payload timestamp [ms] to ns; false if 0 or too far from now.
  bool timestamp_ok(uint64_t ms, int64_t now_ns, int64_t& out_ns) const;

  Options options_;
  Counters counters_;
  Result result_;
  std::unique_ptr<org::eclipse::tahu::protobuf::Payload> payload_;  // reused parse target
  std::string key_;                                               // reused "group/node" lookup key
  std::unordered_map<std::string, std::unique_ptr<Node>> nodes_;  // "group/node" -> node
};

// Where a Sparkplug metric goes in the scene.
struct TagRoute {
  std::string group, node, device, metric;  // Sparkplug side (device empty: node metric)
  std::string machine, tag;                 // scene side
};

// Resolves (group, node, device, metric) to (machine, tag): exact routes first, then the default
// rule. Meant to be called once per metric at birth and the answer cached by the caller.
class TagResolver {
 public:
  enum class DefaultRule {
    kNone,             // only exact routes
    kDeviceIsMachine,  // machine = device id (node id for node metrics), tag = metric name
  };
  explicit TagResolver(DefaultRule rule = DefaultRule::kDeviceIsMachine) : rule_(rule) {}
  // A later route for the same Sparkplug metric replaces the earlier one.
  void add(TagRoute route);
  // False if neither a route nor the rule applies. Views valid while the resolver and the
  // arguments are.
  bool resolve(std::string_view group, std::string_view node, std::string_view device,
               std::string_view metric, std::string_view& machine, std::string_view& tag) const;

 private:
  static std::string key(std::string_view group, std::string_view node, std::string_view device,
                         std::string_view metric);
  DefaultRule rule_;                                  // applied when no exact route
  std::unordered_map<std::string, TagRoute> routes_;  // key() -> route
};

}  // namespace twin
