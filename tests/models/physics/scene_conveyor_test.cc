// A scene's conveyor at its two fidelities: the line model's (transport time, capacity) and the
// Bullet belt built from the scene's geometry (models/physics/scene_conveyor.h).
//
// machining20's C09_HardeningInfeed: 12 m at 0.2 m/s from Wash_1 to Harden_OP80 (70 s). The DES
// runs the whole line (whose bottleneck is upstream: about 25 parts an hour reach the belt); its
// put-on times (Wash_1 finishing) feed the physical belt, whose consumer takes a part every 70 s
// (the hardening cycle's mean) once one rests at the stop. Tolerances:
// - take-offs over the second and third hour, 3 %: the physical consumer's cycle is the DES
//   cycle's mean (normal, sd 2 s), and the counts differ by where the window cuts a cycle;
// - a part on an empty belt reaches the stop after (L - length) / v + v / (2 mu g), within 4
//   steps (conveyor_line_test.cc); the DES transport time L / v is longer by length / v;
// - the physical belt never holds more than the DES capacity (the feed comes from the DES,
//   which blocks Wash_1 at 10), though 40 shafts would fit on it.
#include "models/physics/scene_conveyor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "models/process/line_model.h"
#include "models/process/line_observer.h"
#include "tests/support/scenes.h"

namespace twin {
namespace {

constexpr double kDt = BeltWorld::kStepS;

const Model& machining20() {
  static const Model model = test::load_sample_or_fail("machining20.yaml").model;
  return model;
}

uint32_t conveyor(const Model& model) {
  const int32_t n = model.find_node("C09_HardeningInfeed");
  EXPECT_GE(n, 0);
  return static_cast<uint32_t>(n);
}

// Put-on (the producers finish a part) and take-off (a consumer starts one) times of a node.
struct NodeTraffic : LineObserver {
  std::vector<uint32_t> producer_machine, consumer_machine;
  std::vector<double> put_on_s, taken_s;
  void on_mode(double, uint32_t, Mode, Mode) override {}
  void on_part(double t, uint32_t machine, PartEvent event, const Part&) override {
    const auto is = [&](const std::vector<uint32_t>& v) {
      return std::find(v.begin(), v.end(), machine) != v.end();
    };
    if (event == PartEvent::kFinished && is(producer_machine)) put_on_s.push_back(t);
    if (event == PartEvent::kStarted && is(consumer_machine)) taken_s.push_back(t);
  }
};

std::vector<uint32_t> machines_of(const Model& model, const std::vector<uint32_t>& stations) {
  std::vector<uint32_t> out;
  for (uint32_t st : stations) {
    for (uint32_t m = 0; m < model.machine_count(); ++m)
      if (model.machine_station[m] == st) out.push_back(m);
  }
  return out;
}

int count_in(const std::vector<double>& times, double from, double to) {
  return static_cast<int>(
      std::count_if(times.begin(), times.end(), [&](double t) { return t >= from && t < to; }));
}

TEST(SceneConveyor, BuiltFromTheSceneGeometry) {
  const Model& model = machining20();
  std::string why;
  const auto spec = scene_conveyor_spec(model, conveyor(model), 0, {}, 70.0, {}, &why);
  ASSERT_TRUE(spec.has_value()) << why;
  EXPECT_EQ(spec->belt.length_m, 12.0);
  EXPECT_EQ(spec->belt.speed_mps, 0.2);
  EXPECT_EQ(spec->belt.width_m, 0.4);
  EXPECT_EQ(spec->part.size_x, 0.30);  // the shaft
  EXPECT_EQ(spec->part.mass_kg, 11.8);
  EXPECT_NEAR(des_transport_time(model, conveyor(model)), 60.0, 1e-12);
}

TEST(SceneConveyor, SaysWhatTheSceneLacks) {
  std::string why;
  // The small line has no conveyor: a buffer is not one.
  const Model small = test::load_scene_or_fail(test::kSmallLine, "small.yaml").model;
  EXPECT_FALSE(scene_conveyor_spec(small, static_cast<uint32_t>(small.find_node("B1")), 0, {}, 10.0,
                                   {}, &why));
  EXPECT_NE(why.find("not a conveyor"), std::string::npos) << why;
  // A conveyor given by transport time only, and a product without a part size.
  const std::string yaml = R"yaml(
name: no geometry
products:
  - name: p
sources:
  - name: In
conveyors:
  - {name: belt, transport_time: {constant: 30}, capacity: 5}
  - {name: belt2, length: 3, speed: 0.5, capacity: 5}
stations:
  - {name: A, input: [In], output: belt, cycle_time: 10}
  - {name: B, input: [belt], output: belt2, cycle_time: 10}
  - {name: C, input: [belt2], output: Out, cycle_time: 10}
sinks:
  - name: Out
)yaml";
  const Model m = test::load_scene_or_fail(yaml, "nogeo.yaml").model;
  EXPECT_FALSE(
      scene_conveyor_spec(m, static_cast<uint32_t>(m.find_node("belt")), 0, {}, 10.0, {}, &why));
  EXPECT_NE(why.find("no length and speed"), std::string::npos) << why;
  EXPECT_FALSE(
      scene_conveyor_spec(m, static_cast<uint32_t>(m.find_node("belt2")), 0, {}, 10.0, {}, &why));
  EXPECT_NE(why.find("no part size"), std::string::npos) << why;
}

TEST(SceneConveyor, Machining20HardeningInfeedAgreesWithTheLineModel) {
  const Model& model = machining20();
  const uint32_t node = conveyor(model);
  NodeTraffic traffic;
  traffic.producer_machine = machines_of(model, model.nodes[node].producers);
  traffic.consumer_machine = machines_of(model, model.nodes[node].consumers);
  const double horizon = 3 * 3600.0;  // before the meal break: working time = calendar time
  LineState s;
  RunOptions run;
  run.horizon_s = horizon;
  run.seed = 5;
  init_state(model, run, s);
  s.observer = &traffic;
  advance_to(model, s, horizon);
  ASSERT_GT(traffic.put_on_s.size(), 50u);

  std::vector<FeedItem> feed;
  for (double t : traffic.put_on_s) feed.push_back(FeedItem{.time_s = t});
  std::string why;
  const auto spec = scene_conveyor_spec(model, node, 0, feed, 70.0, {}, &why);
  ASSERT_TRUE(spec.has_value()) << why;
  ConveyorLine line(*spec);
  int max_on_belt = 0;
  while (line.time_s() < horizon) {
    line.step();
    max_on_belt = std::max(max_on_belt, line.parts_on_belt());
  }
  EXPECT_TRUE(line.jams().empty());

  std::vector<double> physics_taken;
  for (const PartRecord& r : line.records())
    if (r.taken_off_s >= 0.0) physics_taken.push_back(r.taken_off_s);
  const int des_n = count_in(traffic.taken_s, 3600.0, horizon);
  const int phys_n = count_in(physics_taken, 3600.0, horizon);
  EXPECT_NEAR(phys_n, des_n, 0.03 * des_n);

  // The first part rides an empty belt.
  const PartRecord& first = line.records().front();
  const double closed = (12.0 - 0.30) / 0.2 + 0.2 / (2 * 0.6 * BeltWorld::kGravity);
  EXPECT_NEAR(first.arrived_s - first.put_on_s, closed, 4 * kDt);
  EXPECT_LE(max_on_belt, model.nodes[node].capacity);
  EXPECT_EQ(line.capacity(), 40);
  std::printf(
      "[ figures  ] C09: take-offs in hours 1-3: physics %d, line model %d; transfer on an empty "
      "belt %.3f s (closed form %.3f s, line model %.1f s); at most %d parts on the belt "
      "(scene capacity %d, %d shafts fit)\n",
      phys_n, des_n, first.arrived_s - first.put_on_s, closed, des_transport_time(model, node),
      max_on_belt, model.nodes[node].capacity, line.capacity());
}

}  // namespace
}  // namespace twin
