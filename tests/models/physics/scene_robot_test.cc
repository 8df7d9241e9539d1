// A scene's robot-loaded station at its two fidelities: the line model's (a part-to-part cycle)
// and the Bullet SCARA cell built from the station's `robot` block (models/physics/scene_robot.h).
//
// machining20's Harden_OP80: a SCARA (0.8 + 0.6 m links, shoulder at (45.8, 0.8) m) lifts shafts
// off the end of C09 and puts them into the inductor's fixture, where each stays for the
// hardening cycle's mean (70 s). Tolerances:
// - the fixture's exchange when the robot already waits above it is the descent and release of
//   the plan (closed form, robot_cell_test.cc), plus the part's fall of release_gap (5 mm):
//   sqrt(2 * 0.005 / g) = 32 ms, plus the steps until it is seen at rest (< 0.1 s);
// - finishes over the second hour: the line model's and the physics' within 2 parts. Harden is
//   not the line's bottleneck (Hone_OP100, 75 s), so both follow the arrivals; the physics' extra
//   exchange (~1 % of the cycle) costs less than a part an hour;
// - the part comes to rest on the fixture within 1 mm and 0.5 degrees of the target (it is let
//   go at rest, level, 5 mm above the fixture).
#include "models/physics/scene_robot.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include "tests/support/scenes.h"

namespace twin {
namespace {

constexpr double kDt = RobotCell::kStepS;
constexpr double kDeg = std::numbers::pi / 180.0;

const Model& machining20() {
  return test::sample_model("machining20.yaml");
}

uint32_t harden(const Model& model) {
  const int32_t s = model.find_station("Harden_OP80");
  EXPECT_GE(s, 0);
  return static_cast<uint32_t>(s);
}

TEST(SceneRobot, BuiltFromTheStationsRobot) {
  const Model& model = machining20();
  EXPECT_EQ(physics_robots(model), std::vector<uint32_t>{harden(model)});
  std::string why;
  const auto spec = scene_robot_spec(model, harden(model), {0}, {}, &why);
  ASSERT_TRUE(spec.has_value()) << why;
  EXPECT_EQ(spec->arm.link1_m, 0.8);
  EXPECT_EQ(spec->arm.link2_m, 0.6);
  EXPECT_DOUBLE_EQ(spec->arm.limits[0].max_speed, 180 * kDeg);
  EXPECT_DOUBLE_EQ(spec->arm.limits[2].max_accel, 4.0);
  // Places in the robot's frame: line coordinates less the base.
  const RobotBase base = robot_base(model, harden(model));
  EXPECT_EQ(base.x_m, 45.8);
  EXPECT_EQ(base.y_m, 0.8);
  EXPECT_NEAR(spec->pick.x_m, 44.85 - 45.8, 1e-12);
  EXPECT_NEAR(spec->pick.y_m, -0.8, 1e-12);
  EXPECT_NEAR(spec->drop.x_m, 0.7, 1e-12);
  EXPECT_DOUBLE_EQ(spec->drop.yaw_rad, 90 * kDeg);
  EXPECT_EQ(spec->pick.top_z_m, 0.9);
  EXPECT_EQ(spec->parts[0].size_x, 0.30);  // the shaft
  EXPECT_EQ(spec->parts[0].mass_kg, 11.8);
  EXPECT_NEAR(spec->station_cycle_s, 70.0, 1e-12);  // the hardening cycle's mean
  EXPECT_EQ(spec->grip_s, 0.3);
  EXPECT_EQ(spec->release_s, 0.2);
}

// The small line with a robot on S2: what the scene must add before the physics can run it.
std::string small_line_with_robot(const std::string& products, const std::string& travel_z) {
  return test::substitute(test::kSmallLine, "  - name: S2\n",
                          "  - name: S2\n"
                          "    robot:\n"
                          "      {base_x: 0, base_y: 0, link1: 0.4, link2: 0.3,\n"
                          "       shoulder: {speed: 180, accel: 600}, elbow: {speed: 240, accel: "
                          "800},\n"
                          "       z: {speed: 1, accel: 4}, wrist: {speed: 400, accel: 2000},\n"
                          "       travel_z: " +
                              travel_z +
                              ", pick: {x: 0.5, y: 0, z: 0.1}, drop: {x: 0, y: 0.5, z: 0.1}}\n") +
         products;
}

TEST(SceneRobot, SaysWhatTheSceneLacks) {
  std::string why;
  const Model& model = machining20();
  EXPECT_FALSE(
      scene_robot_spec(model, static_cast<uint32_t>(model.find_station("Saw")), {0}, {}, &why));
  EXPECT_NE(why.find("station 'Saw' has no robot"), std::string::npos) << why;

  const Model no_part =
      test::load_scene_or_fail(small_line_with_robot("", "0.5"), "robot.yaml").model;
  EXPECT_TRUE(physics_robots(no_part).empty());  // nothing to carry
  EXPECT_FALSE(scene_robot_spec(no_part, 1, {0}, {}, &why));
  EXPECT_NE(why.find("has no part size"), std::string::npos) << why;

  // Travel 5 cm above the tables: above them (the scene accepts it) but below the height at
  // which the gripper holds an 8 cm part over them.
  const std::string part =
      "products: [{name: p, length: 0.1, width: 0.1, height: 0.08, mass: 1}]\n";
  const Model low = test::load_scene_or_fail(small_line_with_robot(part, "0.15"), "low.yaml").model;
  EXPECT_FALSE(scene_robot_spec(low, 1, {0}, {}, &why));
  EXPECT_NE(why.find("station 'S2': robot: ScaraSpec.travel_z_m must be at or above"),
            std::string::npos)
      << why;
  const Model ok = test::load_scene_or_fail(small_line_with_robot(part, "0.5"), "ok.yaml").model;
  EXPECT_TRUE(scene_robot_spec(ok, 1, {0}, {}, &why).has_value()) << why;
  // A second machine (a what-if of the line model): the scene stays valid, the cell is refused.
  const Model two = test::load_scene_or_fail(
                        test::substitute(small_line_with_robot(part, "0.5"), "  - name: S2\n",
                                         "  - name: S2\n    machines: 2\n"),
                        "two.yaml")
                        .model;
  EXPECT_FALSE(scene_robot_spec(two, 1, {0}, {}, &why));
  EXPECT_NE(why.find("its robot loads one machine; the station has 2"), std::string::npos) << why;
}

// Parts always waiting at the pick place: the machine's part to part is its cycle plus the
// exchange, and the exchange is the plan's descent and release plus the part's 5 mm fall.
TEST(SceneRobot, SaturatedExchangeIsThePlansDescentReleaseAndFall) {
  const Model& model = machining20();
  std::string why;
  const auto spec = scene_robot_spec(model, harden(model), {0}, std::vector<double>(8, 0.0), &why);
  ASSERT_TRUE(spec.has_value()) << why;
  RobotCell cell(*spec);
  cell.advance_to(8 * 75.0);
  const std::vector<RobotRecord>& r = cell.records();
  const double plan =
      cell.phase_duration(RobotPhase::kDescendToDrop) + cell.phase_duration(RobotPhase::kRelease);
  const double fall = std::sqrt(2.0 * spec->release_gap_m / 9.81);
  int checked = 0;
  for (size_t k = 1; k + 1 < r.size(); ++k) {
    if (r[k + 1].rest_s < 0.0) break;
    const double exchange = r[k + 1].rest_s - r[k].taken_s;
    EXPECT_GE(exchange, plan + fall - 2 * kDt) << k;
    EXPECT_LE(exchange, plan + fall + 0.1) << k;
    // The fixture holds each part for the station's cycle (to a step).
    EXPECT_NEAR(r[k].taken_s - r[k].rest_s, spec->station_cycle_s, kDt + 1e-9) << k;
    ++checked;
  }
  EXPECT_GE(checked, 5);
}

TEST(SceneRobot, AgreesWithTheLineModelAndPlacesWhereAsked) {
  const Model& model = machining20();
  std::string why;
  const auto c = compare_robot_fidelities(model, harden(model), 0, 2.0, 5, &why);
  ASSERT_TRUE(c.has_value()) << why;
  std::printf(
      "[ measured ] Harden_OP80 2 h seed 5: arrived %llu, finished 2nd hour: line model "
      "%llu, physics %llu; exchange %.3f s (plan %.3f s, %u parts); robot cycle %.2f s; "
      "placement error max %.4f mm, %.4f deg; %.0fx real time\n",
      static_cast<unsigned long long>(c->arrived), static_cast<unsigned long long>(c->des_finished),
      static_cast<unsigned long long>(c->physics_finished), c->exchange_s, c->plan_exchange_s,
      c->exchanges, c->motion_cycle_s, c->placement_error_max_mm, c->yaw_error_max_deg,
      c->steps * kDt / c->wall_s);
  EXPECT_GT(c->arrived, 40u);
  EXPECT_GT(c->des_finished, 15u);
  EXPECT_LE(
      std::abs(static_cast<double>(c->physics_finished) - static_cast<double>(c->des_finished)),
      2.0);
  EXPECT_GT(c->exchanges, 10u);
  EXPECT_GT(c->exchange_s, c->plan_exchange_s);
  EXPECT_LT(c->exchange_s, c->plan_exchange_s + 0.15);
  EXPECT_LT(c->motion_cycle_s, c->des_cycle_s);  // the robot keeps up with the machine
  EXPECT_LT(c->placement_error_max_mm, 1.0);
  EXPECT_LT(c->yaw_error_max_deg, 0.5);
}

// machining20 with lots of 6: shafts and flanges both reach Harden_OP80 within two hours. The
// robot grips each at its own height (the flange is 30 mm flatter: a longer descent) and places
// it where asked; the station keeps up with the line model as with shafts alone.
TEST(SceneRobot, MixedProductsAreHandledAsTheyAre) {
  const Model& model = test::machining20_lots_of_6();
  std::string why;
  const auto c = compare_robot_fidelities(model, harden(model), -1, 2.0, 5, &why);
  ASSERT_TRUE(c.has_value()) << why;
  EXPECT_EQ(c->product, "shaft, flange");
  ASSERT_EQ(c->arrived_by_product.size(), 2u);
  EXPECT_GT(c->arrived_by_product[0].second, 5u);
  EXPECT_GT(c->arrived_by_product[1].second, 5u);
  EXPECT_EQ(c->arrived_by_product[0].second + c->arrived_by_product[1].second, c->arrived);
  EXPECT_LE(
      std::abs(static_cast<double>(c->physics_finished) - static_cast<double>(c->des_finished)),
      2.0);
  EXPECT_LT(c->placement_error_max_mm, 1.0);
  EXPECT_LT(c->yaw_error_max_deg, 0.5);
  // The plan's cycle is the arrivals' mean of the two parts' cycles, between the two.
  const auto shafts = compare_robot_fidelities(model, harden(model), 0, 2.0, 5, &why);
  const auto flanges = compare_robot_fidelities(model, harden(model), 1, 2.0, 5, &why);
  ASSERT_TRUE(shafts.has_value() && flanges.has_value()) << why;
  EXPECT_GT(flanges->motion_cycle_s, shafts->motion_cycle_s);
  EXPECT_GT(c->motion_cycle_s, shafts->motion_cycle_s);
  EXPECT_LT(c->motion_cycle_s, flanges->motion_cycle_s);
  std::printf(
      "[ figures  ] Harden_OP80, lots of 6, 2 h: %llu shafts and %llu flanges arrived; finished "
      "in the 2nd hour: line model %llu, physics %llu; robot cycle %.3f s (shafts %.3f s, "
      "flanges %.3f s); placement error max %.4f mm\n",
      static_cast<unsigned long long>(c->arrived_by_product[0].second),
      static_cast<unsigned long long>(c->arrived_by_product[1].second),
      static_cast<unsigned long long>(c->des_finished),
      static_cast<unsigned long long>(c->physics_finished), c->motion_cycle_s,
      shafts->motion_cycle_s, flanges->motion_cycle_s, c->placement_error_max_mm);
}

// Same scene, seed and hours: bit-identical records.
TEST(SceneRobot, Deterministic) {
  const Model& model = machining20();
  const StationTraffic traffic = station_traffic(model, harden(model), 1800.0, 5);
  ASSERT_FALSE(traffic.arrived_s.empty());
  std::string why;
  const auto spec = scene_robot_spec(model, harden(model), {0}, traffic.arrived_s, &why);
  ASSERT_TRUE(spec.has_value()) << why;
  RobotCell a(*spec), b(*spec);
  a.advance_to(1800.0);
  b.advance_to(1800.0);
  ASSERT_EQ(a.records().size(), b.records().size());
  for (size_t k = 0; k < a.records().size(); ++k) {
    const RobotRecord &x = a.records()[k], &y = b.records()[k];
    EXPECT_EQ(std::bit_cast<uint64_t>(x.taken_s), std::bit_cast<uint64_t>(y.taken_s)) << k;
    EXPECT_EQ(std::bit_cast<uint64_t>(x.rest_x_m), std::bit_cast<uint64_t>(y.rest_x_m)) << k;
    EXPECT_EQ(std::bit_cast<uint64_t>(x.rest_yaw_rad), std::bit_cast<uint64_t>(y.rest_yaw_rad))
        << k;
  }
}

}  // namespace
}  // namespace twin
