// Sparkplug B births and data through the host session into the mirror: values land on the
// scene machine's tags, a mode metric becomes the machine's mode, deaths make tags stale.
#include "core/mirror/sparkplug_feed.h"

#include <gtest/gtest.h>

#include <string>

#include "core/mirror/real_kpis.h"
#include "tests/support/scenes.h"
#include "twin/sparkplug_b.pb.h"

namespace twin {
namespace {

using org::eclipse::tahu::protobuf::Payload;

constexpr int64_t kT0 = 1767592800LL * 1000000000LL;
constexpr int64_t kS = 1000000000LL;
constexpr uint32_t kUInt64 = 8, kDouble = 10, kString = 12;

std::string bytes(const Payload& p) {
  return p.SerializeAsString();
}
std::span<const uint8_t> span_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
uint64_t ms_of(int64_t ns) {
  return static_cast<uint64_t>(ns / 1000000);
}

class SparkplugFeedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    scene_ = test::load_scene_or_fail(test::kSmallLine);
    mirror_ = std::make_unique<Mirror>(scene_.model);
    mirror_->reset(kT0);
    feed_ = std::make_unique<SparkplugFeed>(scene_.model, *mirror_);
  }
  void send(const std::string& topic, const Payload& p, int64_t at_ns) {
    const std::string b = bytes(p);
    feed_->handle(topic, span_of(b), at_ns);
  }
  static uint64_t ms(int64_t ns) { return static_cast<uint64_t>(ns / 1000000); }
  int32_t slot(uint32_t machine, const char* tag) const {
    const MirrorModel& n = mirror_->names();
    for (uint32_t t = n.tag_offset[machine]; t < n.tag_offset[machine + 1]; ++t) {
      if (n.tag_name[t] == tag) return static_cast<int32_t>(t);
    }
    return -1;
  }
  void births() {
    Payload nb;
    nb.set_timestamp(ms(kT0));
    nb.set_seq(0);
    auto* bd = nb.add_metrics();
    bd->set_name("bdSeq");
    bd->set_datatype(kUInt64);
    bd->set_long_value(3);
    send("spBv1.0/line/NBIRTH/edge1", nb, kT0);
    Payload db;
    db.set_timestamp(ms(kT0));
    db.set_seq(1);
    auto* t = db.add_metrics();
    t->set_name("temperature");
    t->set_alias(1);
    t->set_datatype(kDouble);
    t->set_double_value(25.0);
    auto* m = db.add_metrics();
    m->set_name("mode");
    m->set_alias(2);
    m->set_datatype(kString);
    m->set_string_value("starved");
    auto* x = db.add_metrics();
    x->set_name("not_in_the_scene");
    x->set_alias(3);
    x->set_datatype(kDouble);
    x->set_double_value(1.0);
    send("spBv1.0/line/DBIRTH/edge1/S1", db, kT0);
  }

  SceneLoadResult scene_;
  std::unique_ptr<Mirror> mirror_;
  std::unique_ptr<SparkplugFeed> feed_;
};

TEST_F(SparkplugFeedTest, DataByAliasReachesTheMachinesTagsAndMode) {
  births();
  const int32_t temp = slot(0, "temperature");
  ASSERT_GE(temp, 0);
  EXPECT_FLOAT_EQ(mirror_->state().value[static_cast<size_t>(temp)], 25.0f);  // from the birth
  Payload d;
  d.set_timestamp(ms(kT0 + 10 * kS));
  d.set_seq(2);
  auto* t = d.add_metrics();
  t->set_alias(1);
  t->set_timestamp(ms(kT0 + 10 * kS));
  t->set_double_value(30.5);
  auto* m = d.add_metrics();
  m->set_alias(2);
  m->set_timestamp(ms(kT0 + 10 * kS));
  m->set_string_value("running");
  send("spBv1.0/line/DDATA/edge1/S1", d, kT0 + 10 * kS);
  EXPECT_FLOAT_EQ(mirror_->state().value[static_cast<size_t>(temp)], 30.5f);
  EXPECT_EQ(mirror_->state().time_ns[static_cast<size_t>(temp)], kT0 + 10 * kS);
  // Modes pass the reorder window: applied once the clock has moved past it.
  mirror_->advance_to(kT0 + 20 * kS);
  EXPECT_EQ(mirror_->state().mode[0], telemetry::MODE_RUNNING);
  mirror_->finish(kT0 + 20 * kS);
  const ReplicationKpis k = compute_real_kpis(scene_.model, *mirror_, kT0 + 20 * kS);
  EXPECT_NEAR(k.machines[0].time_in_mode[static_cast<int>(Mode::kStarved)], 10.0, 1e-9);
  EXPECT_NEAR(k.machines[0].time_in_mode[static_cast<int>(Mode::kBusy)], 10.0, 1e-9);
  EXPECT_EQ(feed_->counters().unmapped_metrics, 1u);  // not_in_the_scene, at birth
  EXPECT_EQ(feed_->counters().mode_changes, 2u);
}

TEST_F(SparkplugFeedTest, DeathMakesTheTagsStaleAndBadModesAreCounted) {
  births();
  Payload d;
  d.set_timestamp(ms(kT0 + kS));
  d.set_seq(2);
  auto* m = d.add_metrics();
  m->set_alias(2);
  m->set_string_value("dancing");
  send("spBv1.0/line/DDATA/edge1/S1", d, kT0 + kS);
  EXPECT_EQ(feed_->counters().bad_modes, 1u);
  const int32_t temp = slot(0, "temperature");
  EXPECT_EQ(mirror_->state().stale[static_cast<size_t>(temp)], 0);
  Payload death;
  death.set_timestamp(ms(kT0 + 2 * kS));
  auto* bd = death.add_metrics();
  bd->set_name("bdSeq");
  bd->set_datatype(kUInt64);
  bd->set_long_value(3);
  send("spBv1.0/line/NDEATH/edge1", death, kT0 + 2 * kS);
  EXPECT_EQ(mirror_->state().stale[static_cast<size_t>(temp)], 1);
  EXPECT_GE(feed_->counters().stale_marks, 1u);
  // Garbage on the wire changes nothing in the mirror.
  const std::string junk = "\xff\xff\xff";
  const auto before = mirror_->state().counters.applied;
  feed_->handle("spBv1.0/line/DDATA/edge1/S1", span_of(junk), kT0 + 3 * kS);
  EXPECT_EQ(mirror_->state().counters.applied, before);
  EXPECT_GE(
      feed_->host().counters().malformed_payloads + feed_->host().counters().data_before_birth, 1u);
}

}  // namespace
}  // namespace twin

namespace twin {
namespace {

// The scene's sparkplug.routes send a metric with any name to a machine tag; with routes_only
// nothing else maps.
TEST(SparkplugRoutes, SceneRoutesMapMetricsAndRoutesOnlyDropsTheRest) {
  const std::string yaml = std::string(test::kSmallLine) + R"yaml(
sparkplug:
  routes_only: true
  routes:
    - {group: line, node: edge1, device: PLC7, metric: "Motor/Temp", machine: S1, tag: temperature}
    - {group: line, node: edge1, device: PLC7, metric: "Status", machine: S1, tag: mode}
)yaml";
  const SceneLoadResult scene = test::load_scene_or_fail(yaml.c_str());
  ASSERT_EQ(scene.model.sparkplug_routes.size(), 2u);
  Mirror mirror(scene.model);
  mirror.reset(kT0);
  SparkplugFeed feed(scene.model, mirror, make_tag_resolver(scene.model));
  Payload nb;
  nb.set_timestamp(ms_of(kT0));
  nb.set_seq(0);
  auto* bd = nb.add_metrics();
  bd->set_name("bdSeq");
  bd->set_datatype(kUInt64);
  bd->set_long_value(0);
  const std::string nb_bytes = bytes(nb);
  feed.handle("spBv1.0/line/NBIRTH/edge1", span_of(nb_bytes), kT0);
  Payload db;
  db.set_timestamp(ms_of(kT0));
  db.set_seq(1);
  auto add = [&](const char* name, uint32_t type) {
    auto* m = db.add_metrics();
    m->set_name(name);
    m->set_datatype(type);
    m->set_timestamp(ms_of(kT0 + kS));
    return m;
  };
  add("Motor/Temp", kDouble)->set_double_value(71.5);
  add("Status", kString)->set_string_value("down");
  add("temperature", kDouble)->set_double_value(1.0);  // would map by name; routes_only: not
  const std::string b = bytes(db);
  feed.handle("spBv1.0/line/DBIRTH/edge1/PLC7", span_of(b), kT0 + kS);
  mirror.advance_to(kT0 + 10 * kS);
  const MirrorModel& n = mirror.names();
  int32_t temp = -1;
  for (uint32_t t = n.tag_offset[0]; t < n.tag_offset[1]; ++t) {
    if (n.tag_name[t] == "temperature") temp = static_cast<int32_t>(t);
  }
  ASSERT_GE(temp, 0);
  EXPECT_FLOAT_EQ(mirror.state().value[static_cast<size_t>(temp)], 71.5f);
  EXPECT_EQ(mirror.state().mode[0], telemetry::MODE_DOWN);
  EXPECT_EQ(feed.counters().unmapped_metrics, 1u);
}

TEST(SparkplugRoutes, BadRoutesAreSceneErrorsWithLines) {
  const std::string yaml = std::string(test::kSmallLine) + R"yaml(
sparkplug:
  routes:
    - {group: line, node: edge1, metric: a, machine: Nowhere, tag: temperature}
    - {group: line, node: edge1, metric: b, machine: S1, tag: no_such_tag}
    - {group: line, metric: c, machine: S1, tag: temperature}
)yaml";
  const SceneLoadResult r = load_scene_text(yaml, "routes.yaml");
  ASSERT_EQ(r.errors.size(), 3u);
  EXPECT_NE(r.errors[0].to_string().find("sparkplug.routes[0].machine: unknown machine 'Nowhere'"),
            std::string::npos)
      << r.errors[0].to_string();
  EXPECT_GT(r.errors[0].line, 0);
  EXPECT_NE(r.errors[1].to_string().find("has no tag 'no_such_tag'"), std::string::npos);
  EXPECT_NE(r.errors[2].to_string().find("sparkplug.routes[2].node: node is required"),
            std::string::npos)
      << r.errors[2].to_string();
}

}  // namespace
}  // namespace twin
