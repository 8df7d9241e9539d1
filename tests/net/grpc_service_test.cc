// The gRPC TwinService server (core/net/grpc_service.h) seen by its clients: the generated C++
// stub over loopback (Grpc*), and an outside client, grpc-js loading live.proto at run time
// (GrpcInterop: tests/net/interop/grpc_client.mjs; skipped when node or its npm packages are
// missing: npm ci --prefix tests/net/interop).
//
// What a client must receive is worked out here from the published changes by a reference
// filter of the test's own, not by the server's code.
#include "core/net/grpc_service.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "core/live/state_hub.h"
#include "tests/support/interop.h"
#include "twin/live.grpc.pb.h"

namespace twin {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Names = std::set<std::string>;

// Every client call gets this deadline: a server that stops answering fails a test instead of
// hanging it.
constexpr auto kCallDeadline = 5s;
constexpr int64_t kT0 = 1'700'000'000'000'000'000;  // [ns] device time of the first change

const std::vector<std::string> kMachines = {"Filler", "Capper", "Labeler"};
const std::vector<std::string> kTags = {"temperature", "current"};

// Polls `condition` until it holds or `timeout` passes.
template <typename Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout = 3000ms) {
  const auto end = Clock::now() + timeout;
  while (!condition()) {
    if (Clock::now() > end) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

bool same(const google::protobuf::Message& a, const google::protobuf::Message& b) {
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

// --- Test data ---------------------------------------------------------------------------

live::TagValue tag_value(const std::string& machine, const std::string& tag, double value,
                         int64_t time_ns, size_t padding = 0) {
  live::TagValue t;
  t.set_machine(machine);
  t.set_tag(tag);
  t.set_time_ns(time_ns);
  t.set_value(value);
  t.set_quality(value < 0 ? telemetry::QUALITY_UNCERTAIN : telemetry::QUALITY_GOOD);
  std::string unit = tag == "temperature" ? "degC" : "A";
  unit.append(padding, ' ');  // makes the message larger (flow-control tests)
  t.set_unit(unit);
  return t;
}

telemetry::Alarm alarm(const std::string& machine, const std::string& code, bool active,
                       int64_t time_ns) {
  telemetry::Alarm a;
  a.set_time_ns(time_ns);
  a.set_machine(machine);
  a.set_code(code);
  a.set_severity(telemetry::SEVERITY_WARNING);
  a.set_active(active);
  a.set_tag("temperature");
  a.set_value(81.5);
  a.set_text(code + " on " + machine);
  return a;
}

live::Kpis kpis(int64_t time_ns) {
  live::Kpis k;
  k.set_time_ns(time_ns);
  k.set_window_start_ns(kT0);
  k.set_line_good(1234);
  k.set_line_throughput_per_h(3600.5);
  k.set_line_oee(0.8125);
  k.set_bottleneck("Capper");
  for (const std::string& machine : kMachines) {
    live::MachineKpis& m = *k.add_machines();
    m.set_machine(machine);
    m.set_mode(telemetry::MODE_RUNNING);
    m.set_good(1234);
    m.set_scrap(7);
    m.set_availability(0.9);
    m.set_performance(0.95);
    m.set_quality_rate(0.99);
    m.set_oee(0.84645);
    m.set_throughput_per_h(1200.25);
    for (int mode = 0; mode < 8; ++mode) m.add_mode_seconds(1.5 * mode);
  }
  return k;
}

// Change `seq`: both tags of `machine` (by default one of the three in turn), every 4th a mode
// of the next machine, every 7th an alarm of `machine`, every 5th the KPIs. `padding` [bytes]
// makes every tag value that much larger.
live::StateChange make_change(uint64_t seq, const std::string& machine, size_t padding = 0) {
  const int64_t time_ns = kT0 + static_cast<int64_t>(seq) * 1'000'000;
  live::StateChange c;
  c.set_seq(seq);
  c.set_twin_time_ns(time_ns + 500);
  c.set_source_time_ns(time_ns);
  for (size_t i = 0; i < kTags.size(); ++i) {
    const double value = static_cast<double>(seq) * 10.0 + static_cast<double>(i) + 0.25;
    *c.add_tags() = tag_value(machine, kTags[i], seq % 6 == 0 ? -value : value, time_ns, padding);
  }
  if (seq % 4 == 0) {
    live::MachineMode& m = *c.add_modes();
    m.set_machine(kMachines[(seq + 1) % kMachines.size()]);
    m.set_mode(telemetry::MODE_STARVED);
    m.set_since_ns(time_ns);
  }
  if (seq % 7 == 0) *c.add_alarms() = alarm(machine, "OVERTEMP", true, time_ns);
  if (seq % 5 == 0) *c.mutable_kpis() = kpis(time_ns);
  return c;
}

live::StateChange make_change(uint64_t seq) {
  return make_change(seq, kMachines[seq % kMachines.size()]);
}

StateChangePtr shared(live::StateChange change) {
  return std::make_shared<const live::StateChange>(std::move(change));
}

live::Snapshot make_snapshot(uint64_t seq) {
  live::Snapshot s;
  s.set_seq(seq);
  s.set_twin_time_ns(kT0 + 42);
  for (size_t m = 0; m < kMachines.size(); ++m) {
    live::MachineMode& mode = *s.add_modes();
    mode.set_machine(kMachines[m]);
    mode.set_mode(m == 1 ? telemetry::MODE_DOWN : telemetry::MODE_RUNNING);
    mode.set_since_ns(kT0 - 1000);
    for (size_t t = 0; t < kTags.size(); ++t) {
      *s.add_tags() = tag_value(kMachines[m], kTags[t], 20.5 + static_cast<double>(m * 2 + t),
                                kT0 - static_cast<int64_t>(t));
    }
  }
  s.mutable_tags(3)->set_stale(true);
  s.mutable_tags(4)->set_stuck(true);
  *s.mutable_kpis() = kpis(kT0);
  *s.add_active_alarms() = alarm("Filler", "VIBRATION_HIGH", true, kT0 - 5);
  *s.add_active_alarms() = alarm("Capper", "OVERTEMP", true, kT0 - 3);
  for (const char* machine : {"Filler", "Capper"}) {
    live::RulEstimate& rul = *s.add_rul();
    rul.set_time_ns(kT0 - 7);
    rul.set_machine(machine);
    rul.set_tag("vibration");
    rul.set_suspected(telemetry::FaultTruth::KIND_BEARING_WEAR);
    rul.set_median_s(3600.0);
    rul.set_lo_s(900.0);
    rul.set_hi_s(7200.0);
  }
  s.mutable_ingest()->set_messages(99);
  s.mutable_ingest()->set_samples_applied(12345);
  s.mutable_ingest()->set_stream_dropped(2);
  return s;
}

// --- The reference filter: what a client asking for `machines` and `tags` must get ----------

bool wanted_machine(const Names& machines, const std::string& machine) {
  return machines.empty() || machines.count(machine) > 0;
}
bool wanted_tag(const Names& machines, const Names& tags, const live::TagValue& t) {
  return wanted_machine(machines, t.machine()) && (tags.empty() || tags.count(t.tag()) > 0);
}

// Nothing when the change has nothing the client asked for and no KPIs.
std::optional<live::StateChange> expected_part(const live::StateChange& change,
                                               const Names& machines, const Names& tags) {
  live::StateChange out = change;
  out.clear_tags();
  out.clear_modes();
  out.clear_alarms();
  for (const auto& t : change.tags()) {
    if (wanted_tag(machines, tags, t)) *out.add_tags() = t;
  }
  for (const auto& m : change.modes()) {
    if (wanted_machine(machines, m.machine())) *out.add_modes() = m;
  }
  for (const auto& a : change.alarms()) {
    if (wanted_machine(machines, a.machine())) *out.add_alarms() = a;
  }
  out.clear_rul();
  for (const auto& r : change.rul()) {
    if (wanted_machine(machines, r.machine())) *out.add_rul() = r;
  }
  if (out.tags_size() + out.modes_size() + out.alarms_size() + out.rul_size() == 0 &&
      !out.has_kpis()) {
    return std::nullopt;
  }
  return out;
}

live::Snapshot expected_snapshot(const live::Snapshot& snapshot, const Names& machines,
                                 const Names& tags) {
  live::Snapshot out = snapshot;
  out.clear_tags();
  out.clear_modes();
  out.clear_active_alarms();
  for (const auto& t : snapshot.tags()) {
    if (wanted_tag(machines, tags, t)) *out.add_tags() = t;
  }
  for (const auto& m : snapshot.modes()) {
    if (wanted_machine(machines, m.machine())) *out.add_modes() = m;
  }
  for (const auto& a : snapshot.active_alarms()) {
    if (wanted_machine(machines, a.machine())) *out.add_active_alarms() = a;
  }
  out.clear_rul();
  for (const auto& r : snapshot.rul()) {
    if (wanted_machine(machines, r.machine())) *out.add_rul() = r;
  }
  return out;
}

// --- Clients -----------------------------------------------------------------------------

GrpcServer::Options loopback_options() {
  GrpcServer::Options options;
  options.listen.host = "127.0.0.1";
  options.listen.port = 0;
  return options;
}

// A channel of its own (its own connection: one stalled stream must not hold up the
// connection-level flow control of another client). No HTTP proxy from the environment.
std::shared_ptr<grpc::Channel> channel_to(
    uint16_t port, grpc::ChannelArguments args = {},
    std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials()) {
  args.SetInt(GRPC_ARG_ENABLE_HTTP_PROXY, 0);
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  std::string target("127.0.0.1:");
  target.append(std::to_string(port));
  return grpc::CreateCustomChannel(target, std::move(credentials), args);
}

// A client that reads nothing: a small receive window that never grows, so the server's
// writer blocks after a few tens of kilobytes.
std::shared_ptr<grpc::Channel> stalled_channel_to(uint16_t port) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 1024);
  return channel_to(port, args);
}

std::unique_ptr<live::TwinService::Stub> stub_for(std::shared_ptr<grpc::Channel> channel) {
  return live::TwinService::NewStub(std::move(channel));
}

void prepare(grpc::ClientContext& context, const std::string& authorization = "") {
  context.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
  if (!authorization.empty()) context.AddMetadata("authorization", authorization);
}

// Up to `n` messages (fewer when the stream ends first).
template <typename Message>
std::vector<Message> read_n(grpc::ClientReader<Message>& reader, size_t n) {
  std::vector<Message> out;
  Message message;
  while (out.size() < n && reader.Read(&message)) out.push_back(message);
  return out;
}

// Reads what is left and returns the final status.
template <typename Message>
grpc::Status finish(grpc::ClientReader<Message>& reader) {
  Message message;
  while (reader.Read(&message)) {
  }
  return reader.Finish();
}

bool open_streams_become(const GrpcServer& server, uint64_t n) {
  return eventually([&] { return server.counters().streams_open == n; });
}

// --- Unary calls -------------------------------------------------------------------------

TEST(GrpcSnapshot, RoundTripsAndFilters) {
  StateHub hub;
  GrpcServer server(hub, loopback_options());
  auto stub = stub_for(channel_to(server.start()));

  {  // Nothing to tell before the twin's first snapshot.
    grpc::ClientContext context;
    prepare(context);
    live::Snapshot got;
    EXPECT_EQ(stub->GetSnapshot(&context, {}, &got).error_code(), grpc::StatusCode::UNAVAILABLE);
  }

  const live::Snapshot snapshot = make_snapshot(17);
  hub.set_snapshot(std::make_shared<const live::Snapshot>(snapshot));
  {
    grpc::ClientContext context;
    prepare(context);
    live::Snapshot got;
    ASSERT_TRUE(stub->GetSnapshot(&context, {}, &got).ok());
    EXPECT_TRUE(same(got, snapshot)) << got.ShortDebugString();
  }
  {
    grpc::ClientContext context;
    prepare(context);
    live::SnapshotRequest request;
    request.add_machines("Capper");
    request.add_machines("NoSuchMachine");
    request.add_tags("temperature");
    live::Snapshot got;
    ASSERT_TRUE(stub->GetSnapshot(&context, request, &got).ok());
    EXPECT_TRUE(
        same(got, expected_snapshot(snapshot, {"Capper", "NoSuchMachine"}, {"temperature"})))
        << got.ShortDebugString();
    ASSERT_EQ(got.tags_size(), 1);
    EXPECT_EQ(got.tags(0).machine(), "Capper");
    EXPECT_EQ(got.tags(0).tag(), "temperature");
    ASSERT_EQ(got.active_alarms_size(), 1);
    EXPECT_EQ(got.active_alarms(0).machine(), "Capper");
    ASSERT_EQ(got.rul_size(), 1);
    EXPECT_EQ(got.rul(0).machine(), "Capper");
  }
  EXPECT_EQ(server.counters().calls, 3u);
}

TEST(GrpcKpis, ComeFromTheSnapshot) {
  StateHub hub;
  GrpcServer server(hub, loopback_options());
  auto stub = stub_for(channel_to(server.start()));
  {
    grpc::ClientContext context;
    prepare(context);
    live::Kpis got;
    EXPECT_EQ(stub->GetKpis(&context, {}, &got).error_code(), grpc::StatusCode::UNAVAILABLE);
  }
  const live::Snapshot snapshot = make_snapshot(3);
  hub.set_snapshot(std::make_shared<const live::Snapshot>(snapshot));
  grpc::ClientContext context;
  prepare(context);
  live::Kpis got;
  ASSERT_TRUE(stub->GetKpis(&context, {}, &got).ok());
  EXPECT_TRUE(same(got, snapshot.kpis())) << got.ShortDebugString();
}

// --- Streams -----------------------------------------------------------------------------

TEST(GrpcStream, FilteredStreamGetsExactlyTheMatchingTagsInOrder) {
  StateHub hub;
  GrpcServer server(hub, loopback_options());
  auto stub = stub_for(channel_to(server.start()));
  const Names machines = {"Filler", "Labeler"}, tags = {"temperature"};

  grpc::ClientContext context;
  prepare(context);
  live::StreamRequest request;
  for (const auto& m : machines) request.add_machines(m);
  for (const auto& t : tags) request.add_tags(t);
  auto reader = stub->StreamState(&context, request);
  ASSERT_TRUE(open_streams_become(server, 1));

  std::vector<live::StateChange> expected;
  const uint64_t published = 60;
  for (uint64_t seq = 1; seq <= published; ++seq) {
    const live::StateChange change = make_change(seq);
    hub.publish(shared(change));
    if (auto part = expected_part(change, machines, tags)) expected.push_back(*part);
  }
  // Some changes are skipped entirely (Capper's without modes or KPIs), some partly.
  ASSERT_GT(expected.size(), 10u);
  ASSERT_LT(expected.size(), published);

  const auto got = read_n(*reader, expected.size());
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_TRUE(same(got[i], expected[i]))
        << "message " << i << "\n got:  " << got[i].ShortDebugString()
        << "\n want: " << expected[i].ShortDebugString();
    for (const auto& t : got[i].tags()) {
      EXPECT_TRUE(machines.count(t.machine()) && t.tag() == "temperature") << t.ShortDebugString();
    }
  }
  // Nothing else came in between: the next message is the next matching change.
  hub.publish(shared(make_change(published + 1, "Labeler")));
  const auto next = read_n(*reader, 1);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].seq(), published + 1);

  context.TryCancel();
  EXPECT_EQ(finish(*reader).error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(open_streams_become(server, 0));
  EXPECT_EQ(server.counters().changes_sent, expected.size() + 1);
}

TEST(GrpcStream, WithSnapshotSendsTheCurrentStateFirst) {
  StateHub hub;
  const live::Snapshot snapshot = make_snapshot(7);
  hub.set_snapshot(std::make_shared<const live::Snapshot>(snapshot));
  GrpcServer server(hub, loopback_options());
  auto stub = stub_for(channel_to(server.start()));

  grpc::ClientContext context;
  prepare(context);
  live::StreamRequest request;
  request.add_machines("Capper");
  request.set_with_snapshot(true);
  auto reader = stub->StreamState(&context, request);

  live::StateChange want;
  want.set_seq(snapshot.seq());
  want.set_twin_time_ns(snapshot.twin_time_ns());
  for (const auto& t : snapshot.tags()) {
    if (t.machine() == "Capper") *want.add_tags() = t;
  }
  for (const auto& m : snapshot.modes()) {
    if (m.machine() == "Capper") *want.add_modes() = m;
  }
  for (const auto& a : snapshot.active_alarms()) {
    if (a.machine() == "Capper") *want.add_alarms() = a;
  }
  for (const auto& r : snapshot.rul()) {
    if (r.machine() == "Capper") *want.add_rul() = r;
  }
  *want.mutable_kpis() = snapshot.kpis();
  const auto first = read_n(*reader, 1);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_TRUE(same(first[0], want)) << first[0].ShortDebugString();
  EXPECT_EQ(want.tags_size(), 2);

  // A change the snapshot already holds (published between the stream's subscription and its
  // reading of the snapshot) is not sent again; the next one is.
  hub.publish(shared(make_change(6, "Capper")));
  hub.publish(shared(make_change(8, "Capper")));
  const auto next = read_n(*reader, 1);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].seq(), 8u);
  EXPECT_EQ(next[0].dropped(), 0u);
  context.TryCancel();
  finish(*reader);
}

TEST(GrpcStream, WithSnapshotCountsTheChangesBetweenSnapshotAndStream) {
  StateHub hub;
  hub.set_snapshot(std::make_shared<const live::Snapshot>(make_snapshot(7)));
  GrpcServer server(hub, loopback_options());
  auto stub = stub_for(channel_to(server.start()));
  grpc::ClientContext context;
  prepare(context);
  live::StreamRequest request;
  request.set_with_snapshot(true);
  auto reader = stub->StreamState(&context, request);
  ASSERT_EQ(read_n(*reader, 1).size(), 1u);

  // 8 and 9 were published before this stream subscribed and after the snapshot was taken.
  hub.publish(shared(make_change(10)));
  hub.publish(shared(make_change(11)));
  const auto got = read_n(*reader, 2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].seq(), 10u);
  EXPECT_EQ(got[0].dropped(), 2u);
  EXPECT_EQ(got[1].seq(), 11u);
  EXPECT_EQ(got[1].dropped(), 0u);
  context.TryCancel();
  finish(*reader);
}

TEST(GrpcStream, StalledClientLosesTheOldestFastClientGetsAll) {
  StateHub hub;
  GrpcServer::Options options = loopback_options();
  options.queue_capacity = 8;
  GrpcServer server(hub, options);
  const uint16_t port = server.start();

  auto stalled_stub = stub_for(stalled_channel_to(port));
  grpc::ClientContext stalled_context;
  prepare(stalled_context);
  auto stalled = stalled_stub->StreamState(&stalled_context, {});

  const uint64_t published = 400;
  auto fast_stub = stub_for(channel_to(port));
  grpc::ClientContext fast_context;
  prepare(fast_context);
  auto fast = fast_stub->StreamState(&fast_context, {});
  std::vector<live::StateChange> fast_got;
  std::atomic<uint64_t> fast_count{0};
  std::thread fast_reader([&] {
    live::StateChange change;
    while (fast_count < published && fast->Read(&change)) {
      fast_got.push_back(change);
      ++fast_count;
    }
  });
  ASSERT_TRUE(open_streams_become(server, 2));

  // In steps of 4 (half the queue), each once the fast client has everything before it: the
  // fast client never falls 8 behind, the stalled one does as soon as its window is full.
  const size_t padding = 1000;  // [bytes] per tag value: ~2 kB per change
  bool in_step = true;
  for (uint64_t seq = 1; seq <= published && in_step; ++seq) {
    hub.publish(shared(make_change(seq, kMachines[seq % 3], padding)));
    if (seq % 4 == 0) in_step = eventually([&] { return fast_count >= seq; });
  }
  fast_reader.join();
  ASSERT_TRUE(in_step) << "the fast client got " << fast_count << " of " << published;

  ASSERT_EQ(fast_got.size(), published);
  for (uint64_t i = 0; i < published; ++i) {
    EXPECT_EQ(fast_got[i].seq(), i + 1);
    EXPECT_EQ(fast_got[i].dropped(), 0u);
  }
  EXPECT_TRUE(same(fast_got.back(), make_change(published, kMachines[published % 3], padding)));

  // The stalled client now reads: every change is either received or counted as dropped.
  uint64_t received = 0, dropped = 0, last_seq = 0;
  live::StateChange change;
  while (last_seq < published && stalled->Read(&change)) {
    EXPECT_GT(change.seq(), last_seq);
    EXPECT_EQ(change.seq(), last_seq + change.dropped() + 1) << "dropped counts the gap";
    last_seq = change.seq();
    dropped += change.dropped();
    ++received;
  }
  EXPECT_EQ(last_seq, published);
  EXPECT_EQ(received + dropped, published);
  EXPECT_GT(dropped, 0u);
  EXPECT_EQ(hub.counters().dropped, dropped);

  fast_context.TryCancel();
  stalled_context.TryCancel();
  finish(*fast);
  finish(*stalled);
}

TEST(GrpcStream, ClientCancelLeavesServerAndOtherStreamsFine) {
  StateHub hub;
  hub.set_snapshot(std::make_shared<const live::Snapshot>(make_snapshot(0)));
  GrpcServer server(hub, loopback_options());
  auto stub = stub_for(channel_to(server.start()));

  grpc::ClientContext leaving_context, staying_context;
  prepare(leaving_context);
  prepare(staying_context);
  auto leaving = stub->StreamState(&leaving_context, {});
  auto staying = stub->StreamState(&staying_context, {});
  ASSERT_TRUE(open_streams_become(server, 2));

  for (uint64_t seq = 1; seq <= 5; ++seq) hub.publish(shared(make_change(seq)));
  EXPECT_EQ(read_n(*leaving, 5).size(), 5u);
  EXPECT_EQ(read_n(*staying, 5).size(), 5u);

  leaving_context.TryCancel();  // mid-stream, the server unaware
  EXPECT_EQ(finish(*leaving).error_code(), grpc::StatusCode::CANCELLED);
  ASSERT_TRUE(open_streams_become(server, 1));

  for (uint64_t seq = 6; seq <= 10; ++seq) hub.publish(shared(make_change(seq)));
  const auto got = read_n(*staying, 5);
  ASSERT_EQ(got.size(), 5u);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_TRUE(same(got[i], make_change(6 + i))) << got[i].ShortDebugString();
  }
  EXPECT_EQ(hub.counters().subscribers, 1u);  // the hub forgot the one that left
  EXPECT_EQ(hub.counters().dropped, 0u);

  grpc::ClientContext context;  // unary calls still fine
  prepare(context);
  live::Kpis kpis_got;
  EXPECT_TRUE(stub->GetKpis(&context, {}, &kpis_got).ok());

  staying_context.TryCancel();
  finish(*staying);
  EXPECT_EQ(server.counters().streams_total, 2u);
}

TEST(GrpcAlarms, ActiveOnesFirstThenAsTheyHappenFilteredByMachine) {
  StateHub hub;
  hub.set_snapshot(std::make_shared<const live::Snapshot>(make_snapshot(0)));
  GrpcServer server(hub, loopback_options());
  auto stub = stub_for(channel_to(server.start()));

  grpc::ClientContext context;
  prepare(context);
  live::AlarmRequest request;
  request.add_machines("Filler");
  auto reader = stub->StreamAlarms(&context, request);
  const auto active = read_n(*reader, 1);
  ASSERT_EQ(active.size(), 1u);
  EXPECT_TRUE(same(active[0], alarm("Filler", "VIBRATION_HIGH", true, kT0 - 5)));

  live::StateChange change = make_change(1, "Capper");
  *change.add_alarms() = alarm("Capper", "OVERTEMP", false, kT0 + 10);
  *change.add_alarms() = alarm("Filler", "VIBRATION_HIGH", false, kT0 + 11);
  *change.add_alarms() = alarm("Filler", "OVERTEMP", true, kT0 + 12);
  hub.publish(shared(change));
  const auto later = read_n(*reader, 2);
  ASSERT_EQ(later.size(), 2u);
  EXPECT_TRUE(same(later[0], change.alarms(1)));
  EXPECT_TRUE(same(later[1], change.alarms(2)));
  context.TryCancel();
  finish(*reader);
  ASSERT_TRUE(open_streams_become(server, 0));  // the handler has returned: counters final
  EXPECT_EQ(server.counters().alarms_sent, 3u);
}

// --- Security ----------------------------------------------------------------------------

TEST(GrpcAuth, TokenRequiredWrongOrMissingRefused) {
  StateHub hub;
  hub.set_snapshot(std::make_shared<const live::Snapshot>(make_snapshot(1)));
  GrpcServer::Options options = loopback_options();
  options.token = "s3cret-token";
  GrpcServer server(hub, options);
  auto stub = stub_for(channel_to(server.start()));

  for (const std::string authorization :
       {"", "Bearer wrong-token!", "Bearer s3cret-toke", "s3cret-token", "Bearer s3cret-token"}) {
    SCOPED_TRACE(authorization);
    grpc::ClientContext context;
    prepare(context, authorization);
    live::Kpis got;
    const grpc::Status status = stub->GetKpis(&context, {}, &got);
    EXPECT_EQ(status.error_code(), authorization == "Bearer s3cret-token"
                                       ? grpc::StatusCode::OK
                                       : grpc::StatusCode::UNAUTHENTICATED)
        << status.error_message();
  }
  {  // Streams too.
    grpc::ClientContext context;
    prepare(context, "Bearer nope");
    auto reader = stub->StreamState(&context, {});
    EXPECT_EQ(finish(*reader).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  EXPECT_EQ(server.counters().calls, 6u);
  EXPECT_EQ(server.counters().rejected_unauthenticated, 5u);
  EXPECT_EQ(server.counters().streams_total, 0u);
}

TEST(GrpcAuth, NonLoopbackWithoutTokenOrTlsRefused) {
  StateHub hub;
  GrpcServer::Options options = loopback_options();
  options.listen.host = "0.0.0.0";
  GrpcServer server(hub, options);
  try {
    server.start();
    ADD_FAILURE() << "an open server on all interfaces was started";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("allow_insecure_remote"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(server.running());
}

// A self-signed certificate for localhost and 127.0.0.1, written as PEM files.
struct SelfSigned {
  fs::path cert, key;
};

SelfSigned make_self_signed(const fs::path& dir) {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  X509* cert = X509_new();
  if (key == nullptr || cert == nullptr) throw std::runtime_error("OpenSSL: out of memory");
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  for (const auto& [nid, value] : {std::pair{NID_basic_constraints, "critical,CA:TRUE"},
                                   std::pair{NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1"}}) {
    X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    if (extension == nullptr) throw std::runtime_error("OpenSSL: bad extension");
    X509_add_ext(cert, extension, -1);
    X509_EXTENSION_free(extension);
  }
  if (X509_sign(cert, key, EVP_sha256()) == 0) throw std::runtime_error("OpenSSL: sign failed");
  SelfSigned out{dir / "server.crt", dir / "server.key"};
  FILE* cert_file = std::fopen(out.cert.c_str(), "w");
  FILE* key_file = std::fopen(out.key.c_str(), "w");
  const bool written =
      cert_file && key_file && PEM_write_X509(cert_file, cert) == 1 &&
      PEM_write_PrivateKey(key_file, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  if (cert_file) std::fclose(cert_file);
  if (key_file) std::fclose(key_file);
  X509_free(cert);
  EVP_PKEY_free(key);
  if (!written) throw std::runtime_error("cannot write the test certificate");
  return out;
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A scratch directory, removed at the end of the scope.
struct TempDir {
  explicit TempDir(const std::string& name)
      : path(fs::temp_directory_path() / (name + "_" + std::to_string(::getpid()))) {
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path path;
};

TEST(GrpcAuth, TlsServesTlsClientsOnly) {
  const TempDir dir("twin_grpc_tls");
  const SelfSigned pem = make_self_signed(dir.path);
  StateHub hub;
  hub.set_snapshot(std::make_shared<const live::Snapshot>(make_snapshot(1)));
  GrpcServer::Options options = loopback_options();
  options.tls.cert_chain_path = pem.cert.string();
  options.tls.private_key_path = pem.key.string();
  GrpcServer server(hub, options);
  const uint16_t port = server.start();

  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = slurp(pem.cert);
  auto tls_stub = stub_for(channel_to(port, {}, grpc::SslCredentials(ssl)));
  grpc::ClientContext context;
  prepare(context);
  live::Kpis got;
  const grpc::Status status = tls_stub->GetKpis(&context, {}, &got);
  EXPECT_TRUE(status.ok()) << status.error_message();

  auto plain_stub = stub_for(channel_to(port));
  grpc::ClientContext plain_context;
  prepare(plain_context);
  plain_context.set_deadline(std::chrono::system_clock::now() + 1s);
  EXPECT_FALSE(plain_stub->GetKpis(&plain_context, {}, &got).ok());
}

TEST(GrpcAuth, MutualTlsNeedsAClientCertificate) {
  const TempDir dir("twin_grpc_mtls");
  const SelfSigned pem = make_self_signed(dir.path);  // server, client and CA at once
  StateHub hub;
  hub.set_snapshot(std::make_shared<const live::Snapshot>(make_snapshot(1)));
  GrpcServer::Options options = loopback_options();
  options.tls.cert_chain_path = pem.cert.string();
  options.tls.private_key_path = pem.key.string();
  options.tls.client_ca_path = pem.cert.string();
  GrpcServer server(hub, options);
  const uint16_t port = server.start();

  for (const bool with_certificate : {false, true}) {
    SCOPED_TRACE(with_certificate);
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = slurp(pem.cert);
    if (with_certificate) {
      ssl.pem_cert_chain = slurp(pem.cert);
      ssl.pem_private_key = slurp(pem.key);
    }
    auto stub = stub_for(channel_to(port, {}, grpc::SslCredentials(ssl)));
    grpc::ClientContext context;
    prepare(context);
    context.set_deadline(std::chrono::system_clock::now() + 1s);
    live::Kpis got;
    const grpc::Status status = stub->GetKpis(&context, {}, &got);
    EXPECT_EQ(status.ok(), with_certificate) << status.error_message();
  }
}

TEST(GrpcAuth, UnreadableTlsFilesSayWhich) {
  StateHub hub;
  GrpcServer::Options options = loopback_options();
  options.tls.cert_chain_path = "/nonexistent/server.crt";
  options.tls.private_key_path = "/nonexistent/server.key";
  GrpcServer server(hub, options);
  try {
    server.start();
    ADD_FAILURE() << "started without its certificate";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/server."), std::string::npos) << e.what();
  }
  options.tls.cert_chain_path.clear();
  GrpcServer half(hub, options);
  EXPECT_THROW(half.start(), std::runtime_error);
}

// --- Lifecycle ---------------------------------------------------------------------------

TEST(GrpcServerLifecycle, BusyPortRefused) {
  StateHub hub;
  GrpcServer first(hub, loopback_options());
  GrpcServer::Options options = loopback_options();
  options.listen.port = first.start();
  GrpcServer second(hub, options);
  EXPECT_THROW(second.start(), std::runtime_error);
  EXPECT_THROW(first.start(), std::runtime_error);  // already running
  EXPECT_TRUE(first.running());
}

TEST(GrpcServerLifecycle, StopEndsOpenStreamsAtOnce) {
  StateHub hub;
  auto other_consumer = hub.subscribe(4);  // say, the Foxglove server
  GrpcServer::Options options = loopback_options();
  options.shutdown_grace = 10s;  // streams must end by themselves, not at the deadline
  GrpcServer server(hub, options);
  auto stub = stub_for(channel_to(server.start()));
  grpc::ClientContext state_context, alarms_context;
  prepare(state_context);
  prepare(alarms_context);
  auto state = stub->StreamState(&state_context, {});
  auto alarms = stub->StreamAlarms(&alarms_context, {});
  ASSERT_TRUE(open_streams_become(server, 2));

  const auto start = Clock::now();
  server.stop();
  const auto took = Clock::now() - start;
  EXPECT_LT(took, 1s) << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                      << " ms";
  EXPECT_FALSE(server.running());
  EXPECT_EQ(server.counters().streams_open, 0u);
  for (grpc::Status status : {finish(*state), finish(*alarms)}) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
    EXPECT_NE(status.error_message().find("shutting down"), std::string::npos)
        << status.error_message();
  }

  // The hub goes on for its other consumers.
  hub.publish(shared(make_change(1)));
  std::vector<StateChangePtr> got;
  EXPECT_TRUE(other_consumer->pop(got, 0ms));
  EXPECT_EQ(got.size(), 1u);
}

TEST(GrpcServerLifecycle, StopCancelsAStalledStreamAfterTheGrace) {
  StateHub hub;
  GrpcServer::Options options = loopback_options();
  options.queue_capacity = 8;
  options.shutdown_grace = 200ms;
  GrpcServer server(hub, options);
  auto stub = stub_for(stalled_channel_to(server.start()));
  grpc::ClientContext context;
  prepare(context);
  auto stalled = stub->StreamState(&context, {});
  ASSERT_TRUE(open_streams_become(server, 1));

  // Until the stream's writer blocks on the full window and its queue overflows.
  uint64_t seq = 0;
  while (hub.counters().dropped == 0 && seq < 100'000) {
    hub.publish(shared(make_change(++seq, "Filler", 1000)));
    if (seq % 64 == 0) std::this_thread::sleep_for(1ms);  // let the writer run into the window
  }
  ASSERT_GT(hub.counters().dropped, 0u);

  const auto start = Clock::now();
  server.stop();
  const auto took = Clock::now() - start;
  EXPECT_LT(took, options.shutdown_grace + 800ms)
      << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
  EXPECT_EQ(server.counters().streams_open, 0u);
  EXPECT_FALSE(finish(*stalled).ok());
}

// --- Interop: grpc-js -------------------------------------------------------------------

const fs::path kInteropDir = fs::path(TWIN_SOURCE_DIR) / "tests" / "net" / "interop";

template <typename Message>
Message from_json(const nlohmann::json& j) {
  Message message;
  const auto status = google::protobuf::util::JsonStringToMessage(j.dump(), &message);
  EXPECT_TRUE(status.ok()) << status.ToString() << "\n" << j.dump();
  return message;
}

TEST(GrpcInterop, GrpcJsClientDecodesWhatWasPublished) {
  if (const std::string missing =
          test::missing_node_packages(kInteropDir, {"@grpc/grpc-js", "@grpc/proto-loader"});
      !missing.empty()) {
    GTEST_SKIP() << missing;
  }
  const TempDir dir("twin_grpc_interop");

  StateHub hub;
  const live::Snapshot snapshot = make_snapshot(0);
  hub.set_snapshot(std::make_shared<const live::Snapshot>(snapshot));
  GrpcServer::Options options = loopback_options();
  options.token = "interop-token";
  GrpcServer server(hub, options);
  const uint16_t port = server.start();

  const Names machines = {"Filler", "Labeler"}, tags = {"temperature"};
  std::vector<live::StateChange> published, expected;
  for (uint64_t seq = 1; seq <= 30; ++seq) {
    published.push_back(make_change(seq));
    if (auto part = expected_part(published.back(), machines, tags)) expected.push_back(*part);
  }

  // Publishes once the client's stream is open (or the client is gone).
  std::atomic<bool> client_done{false};
  std::thread twin([&] {
    if (!eventually([&] { return server.counters().streams_open > 0 || client_done; }, 10s)) {
      return;
    }
    for (const auto& change : published) hub.publish(shared(change));
  });
  std::string command("node tests/net/interop/grpc_client.mjs --address 127.0.0.1:");
  command.append(std::to_string(port));
  command.append(" --token interop-token --machines Filler,Labeler --tags temperature --count ");
  command.append(std::to_string(expected.size()));
  const test::CommandResult node = test::run_in_source_dir(command);
  client_done = true;
  twin.join();
  ASSERT_EQ(node.code, 0) << "grpc_client.mjs failed:\n" << node.err;

  std::vector<nlohmann::json> lines;
  std::istringstream out(node.out);
  for (std::string line; std::getline(out, line);) {
    lines.push_back(nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false));
    ASSERT_FALSE(lines.back().is_discarded()) << "not JSON: " << line;
  }
  ASSERT_EQ(lines.size(), expected.size() + 2) << node.out;

  ASSERT_EQ(lines.front().at("kind"), "snapshot");
  const auto got_snapshot = from_json<live::Snapshot>(lines.front().at("message"));
  EXPECT_TRUE(same(got_snapshot, expected_snapshot(snapshot, machines, tags)))
      << got_snapshot.ShortDebugString();
  for (size_t i = 0; i < expected.size(); ++i) {
    const nlohmann::json& line = lines[i + 1];
    ASSERT_EQ(line.at("kind"), "change") << line.dump();
    const auto got = from_json<live::StateChange>(line.at("message"));
    EXPECT_TRUE(same(got, expected[i])) << "change " << i << "\n got:  " << got.ShortDebugString()
                                        << "\n want: " << expected[i].ShortDebugString();
  }
  EXPECT_EQ(lines.back().at("kind"), "end");
  EXPECT_EQ(lines.back().at("received"), expected.size());
  EXPECT_EQ(server.counters().rejected_unauthenticated, 0u);
}

}  // namespace
}  // namespace twin
