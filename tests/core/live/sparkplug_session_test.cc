// The Sparkplug B host session: births, aliases, seq, deaths, rebirth requests, bad input.
#include "core/live/sparkplug_session.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "twin/sparkplug_b.pb.h"

namespace twin {
namespace {

namespace spb = org::eclipse::tahu::protobuf;
using Host = SparkplugHost;

constexpr int64_t kT0 = 1'767'592'800'000'000'000;  // [ns] receive time of the first message
constexpr uint64_t kT0Ms = static_cast<uint64_t>(kT0 / 1'000'000);
constexpr int64_t kSecond = 1'000'000'000;  // [ns]

std::span<const uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

spb::Payload_Metric* add(spb::Payload& p, const char* name, uint64_t alias, spb::DataType type) {
  spb::Payload_Metric* m = p.add_metrics();
  if (name) m->set_name(name);
  m->set_alias(alias);
  m->set_datatype(type);
  return m;
}

// NBIRTH of a node with four metrics plus bdSeq, as the npm sparkplug-client sends it.
spb::Payload node_birth(uint64_t bd_seq, uint64_t seq = 0) {
  spb::Payload p;
  p.set_timestamp(kT0Ms);
  p.set_seq(seq);
  spb::Payload_Metric* bd = p.add_metrics();
  bd->set_name("bdSeq");
  bd->set_datatype(spb::UInt64);
  bd->set_long_value(bd_seq);
  add(p, "Temperature", 1, spb::Double)->set_double_value(20.5);
  add(p, "Running", 2, spb::Boolean)->set_boolean_value(true);
  add(p, "Count", 3, spb::Int32)->set_int_value(7);
  add(p, "Mode", 4, spb::String)->set_string_value("auto");
  return p;
}

spb::Payload node_death(uint64_t bd_seq) {
  spb::Payload p;
  spb::Payload_Metric* bd = p.add_metrics();
  bd->set_name("bdSeq");
  bd->set_datatype(spb::UInt64);
  bd->set_long_value(bd_seq);
  return p;
}

// NDATA/DDATA with one Double metric by alias (no datatype, no name: the usual compact form).
spb::Payload data(uint64_t seq, uint64_t alias = 1, double value = 1.0) {
  spb::Payload p;
  p.set_timestamp(kT0Ms);
  p.set_seq(seq);
  spb::Payload_Metric* m = p.add_metrics();
  m->set_alias(alias);
  m->set_double_value(value);
  return p;
}

class SparkplugSession : public ::testing::Test {
 protected:
  const Host::Result& send(const std::string& topic, const spb::Payload& p, int64_t t = kT0) {
    wire_ = p.SerializeAsString();
    return host_.handle(topic, bytes_of(wire_), t);
  }
  // Births node g/n with bdSeq 1 (and seq 0).
  void birth(const std::string& node = "n", uint64_t bd_seq = 1) {
    const Host::Result& r = send("spBv1.0/g/NBIRTH/" + node, node_birth(bd_seq));
    ASSERT_TRUE(r.accepted);
  }

  Host host_;
  std::string wire_;
};

TEST_F(SparkplugSession, BirthDataDeathWithAliases) {
  const Host::Result& b = send("spBv1.0/g/NBIRTH/n", node_birth(1));
  ASSERT_TRUE(b.accepted);
  ASSERT_EQ(b.updates.size(), 5u);  // bdSeq + 4
  EXPECT_EQ(b.updates[1].metric, "Temperature");
  EXPECT_EQ(b.updates[1].value, 20.5);
  EXPECT_EQ(b.updates[1].time_ns, kT0);
  EXPECT_EQ(b.updates[2].value, 1.0);
  EXPECT_EQ(b.updates[3].value, 7.0);
  EXPECT_TRUE(b.updates[4].is_text);
  EXPECT_EQ(b.updates[4].text, "auto");
  EXPECT_TRUE(host_.node_online("g", "n"));

  spb::Payload d = data(1, 1, 22.25);
  spb::Payload_Metric* count = d.add_metrics();
  count->set_alias(3);
  count->set_int_value(static_cast<uint32_t>(-5));  // Int32 two's complement in a uint32
  spb::Payload_Metric* mode = d.add_metrics();
  mode->set_alias(4);
  mode->set_string_value("manual");
  spb::Payload_Metric* by_name = d.add_metrics();
  by_name->set_name("Running");  // by name works too
  by_name->set_boolean_value(false);
  const Host::Result& r = send("spBv1.0/g/NDATA/n", d, kT0 + kSecond);
  ASSERT_TRUE(r.accepted);
  ASSERT_EQ(r.updates.size(), 4u);
  EXPECT_EQ(r.updates[0].group, "g");
  EXPECT_EQ(r.updates[0].node, "n");
  EXPECT_EQ(r.updates[0].device, "");
  EXPECT_EQ(r.updates[0].metric, "Temperature");
  EXPECT_EQ(r.updates[0].value, 22.25);
  EXPECT_EQ(r.updates[0].datatype, static_cast<uint32_t>(spb::Double));
  EXPECT_EQ(r.updates[1].metric, "Count");
  EXPECT_EQ(r.updates[1].value, -5.0);
  EXPECT_EQ(r.updates[2].text, "manual");
  EXPECT_EQ(r.updates[3].metric, "Running");
  EXPECT_EQ(r.updates[3].value, 0.0);
  EXPECT_FALSE(r.updates[0].stale);
  EXPECT_TRUE(r.actions.empty());

  const Host::Result& death = send("spBv1.0/g/NDEATH/n", node_death(1), kT0 + 2 * kSecond);
  ASSERT_TRUE(death.accepted);
  ASSERT_EQ(death.updates.size(), 5u);
  for (const Host::Update& u : death.updates) {
    EXPECT_TRUE(u.stale) << u.metric;
    EXPECT_TRUE(std::isnan(u.value));
    EXPECT_EQ(u.time_ns, kT0 + 2 * kSecond);
  }
  EXPECT_FALSE(host_.node_online("g", "n"));
  EXPECT_EQ(host_.counters().births, 1u);
  EXPECT_EQ(host_.counters().deaths, 1u);
  EXPECT_EQ(host_.counters().metrics_applied, 9u);
  EXPECT_EQ(host_.counters().stale_updates, 5u);
}

TEST_F(SparkplugSession, SeqWrapsWithoutGap) {
  birth();
  for (int i = 1; i <= 600; ++i) {
    const Host::Result& r =
        send("spBv1.0/g/NDATA/n", data(static_cast<uint64_t>(i % 256)), kT0 + i * kSecond / 100);
    ASSERT_TRUE(r.accepted) << i;
    ASSERT_TRUE(r.actions.empty()) << i;
  }
  EXPECT_EQ(host_.counters().seq_gaps, 0u);
  EXPECT_EQ(host_.counters().rebirth_requests, 0u);
}

TEST_F(SparkplugSession, DeviceMessagesShareTheNodeSeq) {
  birth();
  spb::Payload db;
  db.set_seq(1);
  add(db, "Speed", 10, spb::Float)->set_float_value(1.5f);
  ASSERT_TRUE(send("spBv1.0/g/DBIRTH/n/press", db).accepted);
  EXPECT_TRUE(host_.device_online("g", "n", "press"));
  const Host::Result& r = send("spBv1.0/g/DDATA/n/press", data(2, 10, 0));
  ASSERT_TRUE(r.accepted);
  EXPECT_EQ(host_.counters().type_mismatches, 1u);  // Float born, double sent
  spb::Payload dd;
  dd.set_seq(3);
  add(dd, nullptr, 10, spb::Float)->set_float_value(2.5f);
  const Host::Result& r2 = send("spBv1.0/g/DDATA/n/press", dd);
  ASSERT_EQ(r2.updates.size(), 1u);
  EXPECT_EQ(r2.updates[0].device, "press");
  EXPECT_EQ(r2.updates[0].metric, "Speed");
  EXPECT_EQ(r2.updates[0].value, 2.5);
  ASSERT_TRUE(send("spBv1.0/g/NDATA/n", data(4)).accepted);
  EXPECT_EQ(host_.counters().seq_gaps, 0u);

  spb::Payload death;
  death.set_seq(5);
  const Host::Result& d = send("spBv1.0/g/DDEATH/n/press", death);
  ASSERT_EQ(d.updates.size(), 1u);
  EXPECT_TRUE(d.updates[0].stale);
  EXPECT_EQ(d.updates[0].device, "press");
  EXPECT_FALSE(host_.device_online("g", "n", "press"));
  EXPECT_TRUE(host_.node_online("g", "n"));
  // Data of the dead device: before (its next) birth.
  dd.set_seq(6);
  const Host::Result& late = send("spBv1.0/g/DDATA/n/press", dd);
  EXPECT_FALSE(late.accepted);
  EXPECT_EQ(late.actions.size(), 1u);
  EXPECT_EQ(host_.counters().data_before_birth, 1u);
}

TEST_F(SparkplugSession, GapRequestsExactlyOneRebirth) {
  birth("edge1");
  ASSERT_TRUE(send("spBv1.0/g/NDATA/edge1", data(1)).accepted);
  const Host::Result& gap = send("spBv1.0/g/NDATA/edge1", data(5, 1, 3.0));
  EXPECT_TRUE(gap.accepted);  // the values in it are still good
  ASSERT_EQ(gap.updates.size(), 1u);
  ASSERT_EQ(gap.actions.size(), 1u);
  const Host::Action& a = gap.actions[0];
  EXPECT_EQ(a.kind, Host::Action::kRebirthRequest);
  EXPECT_EQ(a.group, "g");
  EXPECT_EQ(a.node, "edge1");
  EXPECT_EQ(a.topic, "spBv1.0/g/NCMD/edge1");
  spb::Payload cmd;
  ASSERT_TRUE(cmd.ParseFromString(a.payload));
  ASSERT_EQ(cmd.metrics_size(), 1);
  EXPECT_EQ(cmd.metrics(0).name(), "Node Control/Rebirth");
  EXPECT_EQ(cmd.metrics(0).datatype(), static_cast<uint32_t>(spb::Boolean));
  ASSERT_EQ(cmd.metrics(0).value_case(), spb::Payload_Metric::kBooleanValue);
  EXPECT_TRUE(cmd.metrics(0).boolean_value());
  EXPECT_EQ(cmd.timestamp(), kT0Ms);

  // Further gaps while the request is pending: counted, not requested again.
  EXPECT_TRUE(send("spBv1.0/g/NDATA/edge1", data(9)).actions.empty());
  EXPECT_TRUE(send("spBv1.0/g/NDATA/edge1", data(10)).actions.empty());
  EXPECT_EQ(host_.counters().seq_gaps, 2u);
  EXPECT_EQ(host_.counters().rebirth_requests, 1u);
  EXPECT_EQ(host_.counters().rebirths_suppressed, 1u);

  // The NBIRTH answers it; a later gap asks again.
  birth("edge1", 2);
  ASSERT_TRUE(send("spBv1.0/g/NDATA/edge1", data(1)).actions.empty());
  EXPECT_EQ(send("spBv1.0/g/NDATA/edge1", data(3)).actions.size(), 1u);
  EXPECT_EQ(host_.counters().rebirth_requests, 2u);
}

TEST_F(SparkplugSession, DataBeforeBirthRequestsRebirthOnce) {
  size_t actions = 0;
  for (int i = 0; i < 1000; ++i) {
    const Host::Result& r =
        send("spBv1.0/g/NDATA/n", data(static_cast<uint64_t>(i % 256)), kT0 + i * 1000);
    EXPECT_FALSE(r.accepted);
    actions += r.actions.size();
  }
  EXPECT_EQ(actions, 1u);
  EXPECT_EQ(host_.counters().data_before_birth, 1000u);
  EXPECT_EQ(host_.counters().rebirth_requests, 1u);
  // DBIRTH before NBIRTH is data before birth too.
  spb::Payload db;
  db.set_seq(0);
  add(db, "x", 1, spb::Double)->set_double_value(1);
  EXPECT_TRUE(send("spBv1.0/g/DBIRTH/n/d", db).actions.empty());
  EXPECT_EQ(host_.counters().data_before_birth, 1001u);
  // Unanswered for longer than rebirth_retry_ns: asked once more (the NCMD may have been lost).
  EXPECT_EQ(send("spBv1.0/g/NDATA/n", data(0), kT0 + 31 * kSecond).actions.size(), 1u);
  EXPECT_EQ(host_.counters().rebirth_requests, 2u);
}

TEST_F(SparkplugSession, DeathWithOldBdSeqIsIgnored) {
  birth("n", 3);
  spb::Payload db;
  db.set_seq(1);
  add(db, "Speed", 10, spb::Double)->set_double_value(1);
  ASSERT_TRUE(send("spBv1.0/g/DBIRTH/n/press", db).accepted);

  const Host::Result& old = send("spBv1.0/g/NDEATH/n", node_death(2));
  EXPECT_FALSE(old.accepted);
  EXPECT_TRUE(old.updates.empty());
  EXPECT_EQ(host_.counters().ignored_old_deaths, 1u);
  EXPECT_TRUE(host_.node_online("g", "n"));
  ASSERT_TRUE(send("spBv1.0/g/NDATA/n", data(2)).accepted);

  const Host::Result& death = send("spBv1.0/g/NDEATH/n", node_death(3));
  ASSERT_TRUE(death.accepted);
  EXPECT_EQ(death.updates.size(), 6u);  // 1 device metric + 5 node metrics
  size_t device_stale = 0;
  for (const Host::Update& u : death.updates) {
    EXPECT_TRUE(u.stale);
    if (u.device == "press") ++device_stale;
  }
  EXPECT_EQ(device_stale, 1u);
  EXPECT_FALSE(host_.device_online("g", "n", "press"));
  // A second death with the same bdSeq: the session is already gone.
  EXPECT_FALSE(send("spBv1.0/g/NDEATH/n", node_death(3)).accepted);
  EXPECT_EQ(host_.counters().ignored_old_deaths, 2u);
  EXPECT_EQ(host_.counters().deaths, 1u);
}

TEST_F(SparkplugSession, UnknownAliasesAndNeverBornMetricsAreCounted) {
  birth();
  spb::Payload d = data(1, 99);  // alias never born
  spb::Payload_Metric* nope = d.add_metrics();
  nope->set_name("Pressure");  // name never born
  nope->set_double_value(1);
  d.add_metrics()->set_double_value(2);  // neither name nor alias
  spb::Payload_Metric* good = d.add_metrics();
  good->set_alias(1);
  good->set_double_value(4);
  const Host::Result& r = send("spBv1.0/g/NDATA/n", d);
  EXPECT_TRUE(r.accepted);
  ASSERT_EQ(r.updates.size(), 1u);
  EXPECT_EQ(r.updates[0].value, 4.0);
  EXPECT_EQ(host_.counters().unknown_aliases, 1u);
  EXPECT_EQ(host_.counters().never_born_metrics, 2u);
}

TEST_F(SparkplugSession, MalformedPayloadsAreCounted) {
  birth();
  const std::string garbage("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 11);
  EXPECT_FALSE(host_.handle("spBv1.0/g/NDATA/n", bytes_of(garbage), kT0).accepted);
  std::string truncated = data(1).SerializeAsString();
  truncated.resize(truncated.size() - 3);
  EXPECT_FALSE(host_.handle("spBv1.0/g/NDATA/n", bytes_of(truncated), kT0).accepted);
  spb::Payload no_seq = data(1);
  no_seq.clear_seq();
  EXPECT_FALSE(send("spBv1.0/g/NDATA/n", no_seq).accepted);
  spb::Payload no_bd = node_birth(1);
  no_bd.mutable_metrics()->DeleteSubrange(0, 1);  // drop bdSeq
  EXPECT_FALSE(send("spBv1.0/g/NBIRTH/n", no_bd).accepted);
  EXPECT_EQ(host_.counters().malformed_payloads, 4u);
  // The session survived: seq 1 is still the next one.
  EXPECT_TRUE(send("spBv1.0/g/NDATA/n", data(1)).accepted);
  EXPECT_EQ(host_.counters().seq_gaps, 0u);
}

TEST_F(SparkplugSession, BadTopicsAreCounted) {
  birth();
  for (const char* topic : {"spBv1.0/g/NDATA", "spAv1.0/g/NDATA/n", "spBv1.0/g/XDATA/n",
                            "spBv1.0/g/DDATA/n", "spBv1.0/g/NDATA/+", "random/topic"}) {
    EXPECT_FALSE(send(topic, data(1)).accepted) << topic;
  }
  EXPECT_EQ(host_.counters().bad_topics, 6u);
  // Commands and host state are seen on spBv1.0/# but are not ours to apply.
  EXPECT_FALSE(send("spBv1.0/g/NCMD/n", data(1)).accepted);
  EXPECT_FALSE(send("spBv1.0/STATE/other-host", data(1)).accepted);
  EXPECT_EQ(host_.counters().ignored_other, 2u);
  EXPECT_TRUE(send("spBv1.0/g/NDATA/n", data(1)).accepted);
  EXPECT_EQ(host_.counters().seq_gaps, 0u);
}

TEST_F(SparkplugSession, BadTimestampsAreRejected) {
  birth();
  spb::Payload d = data(1);
  d.mutable_metrics(0)->set_timestamp(0);
  spb::Payload_Metric* neg = d.add_metrics();
  neg->set_alias(1);
  neg->set_double_value(2);
  neg->set_timestamp(static_cast<uint64_t>(int64_t{-1000}));  // negative sent unsigned
  spb::Payload_Metric* future = d.add_metrics();
  future->set_alias(1);
  future->set_double_value(3);
  future->set_timestamp(kT0Ms + 2 * 86'400'000);  // two days ahead
  spb::Payload_Metric* past = d.add_metrics();
  past->set_alias(1);
  past->set_double_value(4);
  past->set_timestamp(kT0Ms - 2 * 86'400'000);
  spb::Payload_Metric* ok = d.add_metrics();
  ok->set_alias(1);
  ok->set_double_value(5);
  ok->set_timestamp(kT0Ms - 3'600'000);                 // an hour old: fine
  spb::Payload_Metric* payload_time = d.add_metrics();  // no own timestamp: the payload's
  payload_time->set_alias(1);
  payload_time->set_double_value(6);
  const Host::Result& r = send("spBv1.0/g/NDATA/n", d);
  EXPECT_TRUE(r.accepted);
  ASSERT_EQ(r.updates.size(), 2u);
  EXPECT_EQ(r.updates[0].value, 5.0);
  EXPECT_EQ(r.updates[0].time_ns, kT0 - 3'600'000'000'000);
  EXPECT_EQ(r.updates[1].value, 6.0);
  EXPECT_EQ(r.updates[1].time_ns, kT0);
  EXPECT_EQ(host_.counters().bad_timestamps, 4u);

  // A huge payload timestamp rejects the metrics relying on it; none at all means receive time.
  spb::Payload huge = data(2);
  huge.set_timestamp(UINT64_MAX);
  EXPECT_TRUE(send("spBv1.0/g/NDATA/n", huge).updates.empty());
  EXPECT_EQ(host_.counters().bad_timestamps, 5u);
  spb::Payload none = data(3);
  none.clear_timestamp();
  const Host::Result& rn = send("spBv1.0/g/NDATA/n", none, kT0 + 7);
  ASSERT_EQ(rn.updates.size(), 1u);
  EXPECT_EQ(rn.updates[0].time_ns, kT0 + 7);
}

TEST_F(SparkplugSession, ValueMustMatchBornDatatype) {
  birth();
  spb::Payload d;
  d.set_seq(1);
  d.add_metrics()->set_alias(1);
  d.mutable_metrics(0)->set_string_value("hot");     // Double born
  add(d, nullptr, 2, spb::Int32)->set_int_value(1);  // Boolean born, Int32 declared
  d.add_metrics()->set_alias(3);                     // Int32 born, no value and not null
  spb::Payload_Metric* null_metric = d.add_metrics();
  null_metric->set_alias(4);
  null_metric->set_is_null(true);
  const Host::Result& r = send("spBv1.0/g/NDATA/n", d);
  ASSERT_EQ(r.updates.size(), 1u);
  EXPECT_TRUE(r.updates[0].is_null);
  EXPECT_EQ(r.updates[0].metric, "Mode");
  EXPECT_EQ(host_.counters().type_mismatches, 3u);
}

TEST_F(SparkplugSession, IntegerTypesDecodeTwosComplement) {
  spb::Payload b;
  b.set_seq(0);
  spb::Payload_Metric* bd = b.add_metrics();
  bd->set_name("bdSeq");
  bd->set_datatype(spb::Int64);
  bd->set_long_value(0);
  add(b, "i8", 1, spb::Int8)->set_int_value(0xFFFFFFFE);  // -2 sign-extended
  add(b, "i16", 2, spb::Int16)->set_int_value(0x8000);    // -32768
  add(b, "i64", 3, spb::Int64)->set_long_value(static_cast<uint64_t>(int64_t{-9}));
  add(b, "u32", 4, spb::UInt32)->set_long_value(4'000'000'000);  // Tahu Java: long_value
  add(b, "u8", 5, spb::UInt8)->set_int_value(200);
  const Host::Result& r = send("spBv1.0/g/NBIRTH/n", b);
  ASSERT_EQ(r.updates.size(), 6u);
  EXPECT_EQ(r.updates[1].value, -2.0);
  EXPECT_EQ(r.updates[2].value, -32768.0);
  EXPECT_EQ(r.updates[3].value, -9.0);
  EXPECT_EQ(r.updates[4].value, 4e9);
  EXPECT_EQ(r.updates[5].value, 200.0);
}

TEST_F(SparkplugSession, OtherNodesAreUnaffectedByGarbage) {
  birth("a");
  birth("b");
  const std::string garbage("\x0a\xff\x01", 3);
  uint64_t b_seq = 1;
  for (int i = 0; i < 200; ++i) {
    const int64_t t = kT0 + i * kSecond / 1000;
    // Node A: garbage, gaps, unknown aliases, bad timestamps, old deaths.
    host_.handle("spBv1.0/g/NDATA/a", bytes_of(garbage), t);
    send("spBv1.0/g/NDATA/a", data(static_cast<uint64_t>((i * 7) % 256), 42), t);
    spb::Payload bad_time = data(static_cast<uint64_t>(i % 256));
    bad_time.set_timestamp(0);
    send("spBv1.0/g/NDATA/a", bad_time, t);
    send("spBv1.0/g/NDEATH/a", node_death(99), t);
    send("spBv1.0/g/DDATA/a/ghost", data(0), t);
    // Node B: clean.
    const Host::Result& r = send("spBv1.0/g/NDATA/b", data(b_seq++ % 256, 1, i), t);
    ASSERT_TRUE(r.accepted) << i;
    ASSERT_TRUE(r.actions.empty()) << i;
    ASSERT_EQ(r.updates.size(), 1u);
    EXPECT_EQ(r.updates[0].node, "b");
    EXPECT_EQ(r.updates[0].value, i);
  }
  EXPECT_TRUE(host_.node_online("g", "a"));  // old deaths did not kill it
  EXPECT_TRUE(host_.node_online("g", "b"));
  EXPECT_EQ(host_.counters().rebirth_requests, 1u);  // node A's, once
  EXPECT_GT(host_.counters().malformed_payloads, 0u);
  EXPECT_GT(host_.counters().unknown_aliases, 0u);
}

TEST(SparkplugSessionLimits, FloodFromOneNodeIsRateLimited) {
  Host::Options options;
  options.max_messages_per_second = 100;
  Host host(options);
  std::string wire = node_birth(1).SerializeAsString();
  ASSERT_TRUE(host.handle("spBv1.0/g/NBIRTH/a", bytes_of(wire), kT0).accepted);
  ASSERT_TRUE(host.handle("spBv1.0/g/NBIRTH/b", bytes_of(wire), kT0).accepted);
  for (int i = 1; i <= 500; ++i) {
    wire = data(static_cast<uint64_t>(i % 256)).SerializeAsString();
    host.handle("spBv1.0/g/NDATA/a", bytes_of(wire), kT0 + i);
  }
  EXPECT_EQ(host.counters().rate_limited, 401u);  // the birth took one of the 100
  wire = data(1).SerializeAsString();
  EXPECT_TRUE(host.handle("spBv1.0/g/NDATA/b", bytes_of(wire), kT0 + 1000).accepted);
  // Next window: A is heard again; the dropped messages show as one gap, one rebirth request.
  wire = data(200).SerializeAsString();
  const Host::Result& r = host.handle("spBv1.0/g/NDATA/a", bytes_of(wire), kT0 + kSecond);
  EXPECT_TRUE(r.accepted);
  EXPECT_EQ(r.actions.size(), 1u);
}

TEST(SparkplugSessionLimits, NodeCountIsBounded) {
  Host::Options options;
  options.max_nodes = 2;
  Host host(options);
  const std::string wire = node_birth(1).SerializeAsString();
  EXPECT_TRUE(host.handle("spBv1.0/g/NBIRTH/a", bytes_of(wire), kT0).accepted);
  EXPECT_TRUE(host.handle("spBv1.0/g/NBIRTH/b", bytes_of(wire), kT0).accepted);
  EXPECT_FALSE(host.handle("spBv1.0/g/NBIRTH/c", bytes_of(wire), kT0).accepted);
  EXPECT_EQ(host.counters().too_many_nodes, 1u);
  EXPECT_TRUE(host.handle("spBv1.0/g/NBIRTH/a", bytes_of(wire), kT0).accepted);
}

TEST(SparkplugTagResolver, ExactRoutesThenDefaultRule) {
  TagResolver resolver;
  resolver.add({"g", "n", "press", "Temp/Oil", "press_2", "oil_temp"});
  std::string_view machine, tag;
  ASSERT_TRUE(resolver.resolve("g", "n", "press", "Temp/Oil", machine, tag));
  EXPECT_EQ(machine, "press_2");
  EXPECT_EQ(tag, "oil_temp");
  ASSERT_TRUE(resolver.resolve("g", "n", "press", "Speed", machine, tag));
  EXPECT_EQ(machine, "press");
  EXPECT_EQ(tag, "Speed");
  ASSERT_TRUE(resolver.resolve("g", "n", "", "Speed", machine, tag));
  EXPECT_EQ(machine, "n");  // node metric: the node is the machine
  // Another node's metric of the same name does not match the exact route.
  ASSERT_TRUE(resolver.resolve("g", "m", "press", "Temp/Oil", machine, tag));
  EXPECT_EQ(machine, "press");

  TagResolver strict(TagResolver::DefaultRule::kNone);
  strict.add({"g", "n", "", "Speed", "conveyor", "speed"});
  EXPECT_FALSE(strict.resolve("g", "n", "press", "Speed", machine, tag));
  ASSERT_TRUE(strict.resolve("g", "n", "", "Speed", machine, tag));
  EXPECT_EQ(machine, "conveyor");
  EXPECT_EQ(tag, "speed");
}

}  // namespace
}  // namespace twin
