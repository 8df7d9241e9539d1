// A scene's conveyor at its two fidelities: the line model's (transport time, capacity) and the
// Bullet belt built from the scene's geometry (models/physics/scene_conveyor.h).
//
// machining20's C09_HardeningInfeed: 12 m at 0.2 m/s from Wash_1 to Harden_OP80 (70 s). The DES
// runs the whole line (whose bottleneck is upstream: about 25 parts an hour reach the belt); its
// put-on times (Wash_1 finishing) feed the physical belt, whose consumer takes a part every 70 s
// (the hardening cycle's mean) once one rests at the stop. Tolerances:
// - take-offs over the second half (1.5-3 h), 3 %: the physical consumer's cycle is the DES
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
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/support/scenes.h"

namespace twin {
namespace {

constexpr double kDt = BeltWorld::kStepS;

const Model& machining20() {
  return test::sample_model("machining20.yaml");
}

uint32_t conveyor(const Model& model) {
  const int32_t n = model.find_node("C09_HardeningInfeed");
  EXPECT_GE(n, 0);
  return static_cast<uint32_t>(n);
}

TEST(SceneConveyor, BuiltFromTheSceneGeometry) {
  const Model& model = machining20();
  std::string why;
  const auto spec = scene_conveyor_spec(model, conveyor(model), {0}, {}, 70.0, {}, &why);
  ASSERT_TRUE(spec.has_value()) << why;
  EXPECT_EQ(spec->belt.length_m, 12.0);
  EXPECT_EQ(spec->belt.speed_mps, 0.2);
  EXPECT_EQ(spec->belt.width_m, 0.4);
  ASSERT_EQ(spec->parts.size(), 1u);
  EXPECT_EQ(spec->parts[0].size_x, 0.30);  // the shaft
  EXPECT_EQ(spec->parts[0].mass_kg, 11.8);
  EXPECT_NEAR(des_transport_time(model, conveyor(model)), 60.0, 1e-12);
  // Both products: parts[i] is products[i]'s; a feed naming a part not listed is refused.
  const auto both = scene_conveyor_spec(model, conveyor(model), {0, 1}, {}, 70.0, {}, &why);
  ASSERT_TRUE(both.has_value()) << why;
  ASSERT_EQ(both->parts.size(), 2u);
  EXPECT_EQ(both->parts[1].size_y, 0.20);  // the flange
  EXPECT_EQ(both->parts[1].size_z, 0.05);
  EXPECT_EQ(both->parts[1].mass_kg, 12.3);
  EXPECT_FALSE(scene_conveyor_spec(model, conveyor(model), {0},
                                   {FeedItem{.time_s = 0.0, .yaw_rad = 0.0, .part = 1}}, 70.0, {},
                                   &why));
  EXPECT_NE(why.find("names no product"), std::string::npos) << why;
}

// The products of a feed and each part's index into them.
TEST(SceneConveyor, FeedPartsIndexTheDistinctProducts) {
  const std::vector<uint16_t> product = {3, 1, 3, 3, 1};
  const std::vector<uint16_t> products = distinct_products(product);
  EXPECT_EQ(products, (std::vector<uint16_t>{1, 3}));
  EXPECT_EQ(part_indices(product, products), (std::vector<uint16_t>{1, 0, 1, 1, 0}));
  EXPECT_THROW(part_indices({2}, products), std::invalid_argument);
  EXPECT_EQ(product_names(machining20(), {0, 1}), "shaft, flange");
  const FeedParts fed = feed_parts(product);
  EXPECT_EQ(fed.products, products);
  EXPECT_EQ(fed.part, part_indices(product, products));
  const FeedParts forced = feed_parts(product, 2);  // every part product 2
  EXPECT_EQ(forced.products, std::vector<uint16_t>{2});
  EXPECT_EQ(forced.part, std::vector<uint16_t>(product.size(), 0));
  EXPECT_EQ(feed_parts({}).products, std::vector<uint16_t>{0});  // an empty feed: part 0
  const auto counts = product_counts(machining20(), feed_parts({1, 0, 1}));
  ASSERT_EQ(counts.size(), 2u);
  EXPECT_EQ(counts[0], std::make_pair(std::string("shaft"), uint64_t{1}));
  EXPECT_EQ(counts[1], std::make_pair(std::string("flange"), uint64_t{2}));
}

TEST(SceneConveyor, SaysWhatTheSceneLacks) {
  std::string why;
  // The small line has no conveyor: a buffer is not one.
  const Model small = test::load_scene_or_fail(test::kSmallLine, "small.yaml").model;
  EXPECT_FALSE(scene_conveyor_spec(small, static_cast<uint32_t>(small.find_node("B1")), {0}, {},
                                   10.0, {}, &why));
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
      scene_conveyor_spec(m, static_cast<uint32_t>(m.find_node("belt")), {0}, {}, 10.0, {}, &why));
  EXPECT_NE(why.find("no length and speed"), std::string::npos) << why;
  EXPECT_FALSE(
      scene_conveyor_spec(m, static_cast<uint32_t>(m.find_node("belt2")), {0}, {}, 10.0, {}, &why));
  EXPECT_NE(why.find("no part size"), std::string::npos) << why;
}

TEST(SceneConveyor, Machining20HardeningInfeedAgreesWithTheLineModel) {
  const Model& model = machining20();
  const uint32_t node = conveyor(model);
  std::string why;
  const auto c = compare_conveyor_fidelities(model, node, 0, 3.0, 5, &why);
  ASSERT_TRUE(c.has_value()) << why;
  ASSERT_GT(c->put_on, 50u);
  EXPECT_DOUBLE_EQ(c->consumer_cycle_s, 70.0);  // Harden_OP80: one machine, mean 70 s
  EXPECT_TRUE(c->jams.empty());
  EXPECT_NEAR(static_cast<double>(c->physics_taken), static_cast<double>(c->des_taken),
              0.03 * static_cast<double>(c->des_taken));
  ASSERT_GT(c->free_parts, 10u);
  const double closed = (12.0 - 0.30) / 0.2 + 0.2 / (2 * 0.6 * BeltWorld::kGravity);
  EXPECT_NEAR(c->physics_transfer_s, closed, 4 * kDt);
  EXPECT_DOUBLE_EQ(c->des_transport_s, 60.0);
  EXPECT_LE(c->physics_max_on_belt, c->des_capacity);
  EXPECT_EQ(c->physics_fit, 40);
  std::printf(
      "[ figures  ] C09: take-offs in hours 1.5-3: physics %llu, line model %llu; transfer on an "
      "empty belt %.3f s over %u parts (closed form %.3f s, line model %.1f s); at most %d parts "
      "on the belt (scene capacity %d, %d shafts fit); %.0f steps in %.2f s\n",
      static_cast<unsigned long long>(c->physics_taken),
      static_cast<unsigned long long>(c->des_taken), c->physics_transfer_s, c->free_parts, closed,
      c->des_transport_s, c->physics_max_on_belt, c->des_capacity, c->physics_fit, c->steps,
      c->wall_s);
}

// machining20 with lots of 6 instead of 60, so both products reach C09 within three hours: each
// part rides the belt as the product it is (flanges 200 mm square, shafts 300 x 80 mm), and the
// belt still agrees with the line model on take-offs within the same 3 % where nothing jams.
TEST(SceneConveyor, MixedProductsRideAsTheyAreAndAgreeWithTheLineModel) {
  const Model& model = test::machining20_lots_of_6();
  const uint32_t node = conveyor(model);
  std::string why;
  const auto c = compare_conveyor_fidelities(model, node, -1, 3.0, 5, &why);
  ASSERT_TRUE(c.has_value()) << why;
  EXPECT_EQ(c->product, "shaft, flange");
  ASSERT_EQ(c->products_put_on.size(), 2u);
  EXPECT_GT(c->products_put_on[0].second, 5u);
  EXPECT_GT(c->products_put_on[1].second, 5u);
  EXPECT_EQ(c->products_put_on[0].second + c->products_put_on[1].second, c->put_on);
  EXPECT_TRUE(c->jams.empty()) << c->jams.size() << " jams";
  EXPECT_NEAR(static_cast<double>(c->physics_taken), static_cast<double>(c->des_taken),
              0.03 * static_cast<double>(c->des_taken));
  EXPECT_EQ(c->physics_fit, 40);  // of the longer part, the shaft
  // Every part as the first product instead: the same feed, all shafts.
  const auto shafts = compare_conveyor_fidelities(model, node, 0, 3.0, 5, &why);
  ASSERT_TRUE(shafts.has_value()) << why;
  EXPECT_EQ(shafts->product, "shaft");
  EXPECT_EQ(shafts->put_on, c->put_on);
  std::printf(
      "[ figures  ] C09, lots of 6, 3 h: %llu shafts and %llu flanges put on; take-offs in "
      "hours 1.5-3: physics %llu, line model %llu; transfer on an empty belt %.3f s; %zu jams\n",
      static_cast<unsigned long long>(c->products_put_on[0].second),
      static_cast<unsigned long long>(c->products_put_on[1].second),
      static_cast<unsigned long long>(c->physics_taken),
      static_cast<unsigned long long>(c->des_taken), c->physics_transfer_s, c->jams.size());
}

}  // namespace
// The traffic the viewer's physics view feeds the belt with: the line model's put-ons and
// take-offs of the node, ascending, as many take-offs as put-ons give or take what is on the
// belt, and the same for the same seed.
TEST(SceneConveyor, TrafficIsTheLineModelsPutOnsAndTakeOffs) {
  const Model& model = machining20();
  const uint32_t node = conveyor(model);
  const ConveyorTraffic t = conveyor_traffic(model, node, 2 * 3600.0, 7);
  ASSERT_GT(t.put_on_s.size(), 20u);
  EXPECT_EQ(t.product.size(), t.put_on_s.size());
  EXPECT_TRUE(std::is_sorted(t.put_on_s.begin(), t.put_on_s.end()));
  EXPECT_TRUE(std::is_sorted(t.taken_s.begin(), t.taken_s.end()));
  EXPECT_LE(t.taken_s.size(), t.put_on_s.size());
  EXPECT_GE(t.taken_s.size() + static_cast<size_t>(model.nodes[node].capacity), t.put_on_s.size());
  // A part is taken off no sooner than the line model's transport time after its put-on.
  for (size_t i = 0; i < t.taken_s.size(); ++i)
    EXPECT_GE(t.taken_s[i] + 1e-9, t.put_on_s[i] + model.nodes[node].transport_time.mean);
  const ConveyorTraffic again = conveyor_traffic(model, node, 2 * 3600.0, 7);
  EXPECT_EQ(again.put_on_s, t.put_on_s);
  EXPECT_EQ(again.taken_s, t.taken_s);
  EXPECT_EQ(main_product(t), 0);  // machining20 makes shafts only
  EXPECT_EQ(physics_conveyors(model), std::vector<uint32_t>{node});
  // Harden_OP80 (one machine, mean cycle 70 s) is the only consumer.
  EXPECT_DOUBLE_EQ(consumer_cycle_time(model, node), 70.0);
}

TEST(SceneConveyor, MainProductIsTheMostFedOne) {
  ConveyorTraffic t;
  t.product = {1, 2, 2, 1, 2};
  EXPECT_EQ(main_product(t), 2);
  t.product = {3, 1};
  EXPECT_EQ(main_product(t), 1);  // a tie: the lower index
  t.product.clear();
  EXPECT_EQ(main_product(t), 0);
}

// Skews come from the conveyor's named stream: the same for the same seed, others for another
// seed, within the limit, straight at a limit of 0, and drawn for every part (so a part's skew
// does not depend on the limit but scales with it).
TEST(SceneConveyor, SkewedFeedIsSeededAndBounded) {
  const Model& model = machining20();
  const uint32_t node = conveyor(model);
  std::vector<double> times;
  for (int i = 0; i < 500; ++i) times.push_back(10.0 * i);
  const auto a = skewed_feed(model, node, times, 0.5, 42);
  const auto b = skewed_feed(model, node, times, 0.5, 42);
  const auto c = skewed_feed(model, node, times, 0.5, 43);
  const auto half = skewed_feed(model, node, times, 0.25, 42);
  const auto straight = skewed_feed(model, node, times, 0.0, 42);
  ASSERT_EQ(a.size(), times.size());
  double lo = 1.0, hi = -1.0, sum = 0.0;
  int differs = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].time_s, times[i]);
    EXPECT_EQ(a[i].yaw_rad, b[i].yaw_rad);
    differs += a[i].yaw_rad != c[i].yaw_rad;
    EXPECT_DOUBLE_EQ(half[i].yaw_rad, 0.5 * a[i].yaw_rad);
    EXPECT_EQ(straight[i].yaw_rad, 0.0);
    lo = std::min(lo, a[i].yaw_rad);
    hi = std::max(hi, a[i].yaw_rad);
    sum += a[i].yaw_rad;
  }
  EXPECT_EQ(differs, 500);
  EXPECT_GE(lo, -0.5);
  EXPECT_LE(hi, 0.5);
  // Uniform on [-0.5, 0.5]: spans most of it, mean near 0 (sd of the mean 0.29 / sqrt(500)).
  EXPECT_LT(lo, -0.45);
  EXPECT_GT(hi, 0.45);
  EXPECT_NEAR(sum / 500.0, 0.0, 4 * 0.289 / std::sqrt(500.0));
}

}  // namespace twin
