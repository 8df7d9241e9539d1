// `twin physics` end to end: machining20's conveyor as a Bullet belt and its robot-loaded
// station as a SCARA cell beside the line model, through the built binary; its JSON against the
// library's comparison of the same run, and the errors a user gets for names the scene does not
// have.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <numbers>
#include <string>

#include <nlohmann/json.hpp>

#include "models/physics/scene_conveyor.h"
#include "models/physics/scene_robot.h"
#include "tests/support/interop.h"
#include "tests/support/plant_recording.h"
#include "tests/support/scenes.h"

namespace twin {
namespace {

namespace fs = std::filesystem;

// Runs `twin <args>` (stdout, stderr and the exit code).
test::CommandResult twin(const std::string& args) {
  return test::run_in_source_dir(test::shell_quote(std::string(TWIN_BINARY_DIR) + "/twin") + " " +
                                 args);
}

class PhysicsCli : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("twin_physics_cli_test_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  fs::path dir_;
};

const std::string kScene = std::string(TWIN_SOURCE_DIR) + "/scenes/machining20.yaml";

TEST_F(PhysicsCli, ComparesTheScenesConveyor) {
  const std::string json = (dir_ / "physics.json").string();
  const test::CommandResult r = twin("physics " + test::shell_quote(kScene) +
                                     " --hours 1 --seed 5 --json " + test::shell_quote(json));
  ASSERT_EQ(r.code, 0) << r.err;
  std::ifstream in(json);
  const nlohmann::json j = nlohmann::json::parse(in);
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 2u);  // the scene's conveyor, then its robot-loaded station
  // The binary's figures are the library's for the same run (deterministic physics).
  const SceneLoadResult scene = test::load_sample_or_fail("machining20.yaml");
  std::string why;
  const auto c = compare_conveyor_fidelities(
      scene.model, static_cast<uint32_t>(scene.model.find_node("C09_HardeningInfeed")), -1, 1.0, 5,
      &why);
  ASSERT_TRUE(c.has_value()) << why;
  // The first hour of seed 5 brings a lot of flanges: the parts ride as the product they are.
  EXPECT_EQ(c->product, "flange");
  EXPECT_NE(r.out.find("C09_HardeningInfeed, parts as flange"), std::string::npos) << r.out;
  const nlohmann::json& row = j[0];
  EXPECT_EQ(row["product"], "flange");
  EXPECT_EQ(row["put_on_by_product"]["flange"].get<uint64_t>(), c->put_on);
  EXPECT_EQ(row["conveyor"], "C09_HardeningInfeed");
  EXPECT_EQ(row["put_on"].get<uint64_t>(), c->put_on);
  EXPECT_EQ(row["taken_second_half"]["physics"].get<uint64_t>(), c->physics_taken);
  EXPECT_EQ(row["taken_second_half"]["line_model"].get<uint64_t>(), c->des_taken);
  EXPECT_EQ(row["transfer_empty_belt_s"]["physics"].get<double>(), c->physics_transfer_s);
  EXPECT_EQ(row["max_on_belt"].get<int>(), c->physics_max_on_belt);
  EXPECT_EQ(row["jams"].size(), c->jams.size());
  EXPECT_GT(c->put_on, 0u);

  const auto robot = compare_robot_fidelities(
      scene.model, static_cast<uint32_t>(scene.model.find_station("Harden_OP80")), -1, 1.0, 5,
      &why);
  ASSERT_TRUE(robot.has_value()) << why;
  EXPECT_NE(r.out.find("Harden_OP80 loaded by its robot, parts as flange"), std::string::npos)
      << r.out;
  const nlohmann::json& cell = j[1];
  EXPECT_EQ(cell["robot_station"], "Harden_OP80");
  EXPECT_EQ(cell["arrived"].get<uint64_t>(), robot->arrived);
  EXPECT_EQ(cell["finished_second_half"]["line_model"].get<uint64_t>(), robot->des_finished);
  EXPECT_EQ(cell["finished_second_half"]["physics"].get<uint64_t>(), robot->physics_finished);
  EXPECT_EQ(cell["robot_cycle_s"].get<double>(), robot->motion_cycle_s);
  EXPECT_EQ(cell["exchange_s"]["measured"].get<double>(), robot->exchange_s);
  EXPECT_EQ(cell["placement_error_mm"]["max"].get<double>(), robot->placement_error_max_mm);
  EXPECT_GT(robot->arrived, 0u);
}

// The layout options reach the physics: a skewed feed without guides jams and the operator
// takes jammed parts off; the JSON says what was asked and equals the library's run with the same
// options.
TEST_F(PhysicsCli, SkewGuidesAndJamClearing) {
  const std::string json = (dir_ / "skew.json").string();
  const test::CommandResult r =
      twin("physics " + test::shell_quote(kScene) +
           " --conveyor C09_HardeningInfeed --hours 1 --seed 5 --skew 30 --jam-clear 30 --json " +
           test::shell_quote(json));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("cleared by an operator"), std::string::npos) << r.out;
  std::ifstream in(json);
  const nlohmann::json row = nlohmann::json::parse(in).at(0);
  EXPECT_EQ(row["feed_skew_deg"].get<double>(), 30.0);
  EXPECT_EQ(row["guides_mm"].get<double>(), -1.0);
  EXPECT_EQ(row["jam_clear_s"].get<double>(), 30.0);
  const SceneLoadResult scene = test::load_sample_or_fail("machining20.yaml");
  SceneConveyorOptions options;
  options.max_skew_rad = 30.0 * std::numbers::pi / 180.0;
  options.jam_clear_s = 30.0;
  std::string why;
  const auto c = compare_conveyor_fidelities(
      scene.model, static_cast<uint32_t>(scene.model.find_node("C09_HardeningInfeed")), -1, 1.0, 5,
      &why, options);
  ASSERT_TRUE(c.has_value()) << why;
  ASSERT_FALSE(c->jams.empty());
  EXPECT_EQ(row["jams"].size(), c->jams.size());
  EXPECT_EQ(row["cleared"].get<int>(), c->physics_cleared);
  EXPECT_GT(c->physics_cleared, 0);
  size_t removed = 0;
  for (const nlohmann::json& jam : row["jams"]) {
    // The operator comes 30 s after the jam (-1: the run ended before that).
    const double cleared = jam["cleared_s"].get<double>();
    if (cleared >= 0.0) {
      EXPECT_NEAR(cleared, jam["time_s"].get<double>() + 30.0, 1.0 / 240 + 1e-9);
    }
    removed += jam["taken_off"].get<bool>();
  }
  EXPECT_EQ(removed, static_cast<size_t>(c->physics_cleared));
}

// A layout question: the scene changed first, as `twin whatif --set` does. A lower travel height
// shortens the robot's descent to the fixture, so the fixture's exchange and the robot's cycle
// shrink, and parts still land where asked; the JSON names the change. A change that puts the
// fixture out of reach is refused, and so is a travel height at which the held shaft would
// strike the shaft resting in the fixture (at 1.15 m it did: parts were knocked metres away).
TEST_F(PhysicsCli, SetChangesTheSceneFirst) {
  const std::string scene = test::shell_quote(kScene);
  const std::string base_json = (dir_ / "base.json").string();
  const std::string low_json = (dir_ / "low.json").string();
  test::CommandResult r = twin("physics " + scene + " --robot Harden_OP80 --hours 1 --seed 5 -q " +
                               "--json " + test::shell_quote(base_json));
  ASSERT_EQ(r.code, 0) << r.err;
  const test::CommandResult too_low =
      twin("physics " + scene + " --robot Harden_OP80 --hours 1 --seed 5 --set " +
           test::shell_quote("stations[Harden_OP80].robot.travel_z=1.15"));
  EXPECT_NE(too_low.code, 0);
  EXPECT_NE(too_low.err.find("a held part would strike the part resting on the station"),
            std::string::npos)
      << too_low.err;
  const std::string set = "stations[Harden_OP80].robot.travel_z=1.2";
  r = twin("physics " + scene + " --robot Harden_OP80 --hours 1 --seed 5 --set " +
           test::shell_quote(set) + " --json " + test::shell_quote(low_json));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("scene changed: " + set), std::string::npos) << r.out;
  std::ifstream base_in(base_json), low_in(low_json);
  const nlohmann::json base = nlohmann::json::parse(base_in).at(0);
  const nlohmann::json low = nlohmann::json::parse(low_in).at(0);
  EXPECT_EQ(low["set"], nlohmann::json::array({set}));
  EXPECT_TRUE(base["set"].empty());
  EXPECT_LT(low["robot_cycle_s"].get<double>(), base["robot_cycle_s"].get<double>());
  EXPECT_LT(low["exchange_s"]["plan"].get<double>(), base["exchange_s"]["plan"].get<double>());
  EXPECT_LT(low["exchange_s"]["measured"].get<double>(),
            base["exchange_s"]["measured"].get<double>());
  EXPECT_GT(low["exchange_s"]["measured"].get<double>(), 0.0);
  EXPECT_LT(low["placement_error_mm"]["max"].get<double>(), 1.0);

  r = twin("physics " + scene + " --robot Harden_OP80 --set " +
           test::shell_quote("stations[Harden_OP80].robot.drop.y=2.5"));
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find("drop point is 1.83848 m from the robot's base, out of its reach"),
            std::string::npos)
      << r.err;
}

// A recording's part events name their products: the physics carries them as recorded. The
// plant's first hour of seed 5 is a lot of flanges, while the line model's run of the scene's
// seed (42), which a recording without products would fall back to, feeds shafts.
TEST_F(PhysicsCli, RecordedPartsRideAsTheirRecordedProducts) {
  const SceneLoadResult scene = test::load_sample_or_fail("machining20.yaml");
  const std::string mcap = (dir_ / "flanges.mcap").string();
  PlantOptions plant;
  plant.hours = 1.0;
  plant.seed = 5;
  const PlantReport report = test::record_plant_shift(scene.model, plant, mcap);
  const Station& wash =
      scene.model.stations[static_cast<size_t>(scene.model.find_station("Wash_1"))];
  const std::string json = (dir_ / "flanges.json").string();
  const test::CommandResult r =
      twin("physics " + test::shell_quote(kScene) + " --recording " + test::shell_quote(mcap) +
           " --conveyor C09_HardeningInfeed --robot Harden_OP80 --json " + test::shell_quote(json));
  ASSERT_EQ(r.code, 0) << r.err;
  std::ifstream in(json);
  const nlohmann::json j = nlohmann::json::parse(in);
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["product"], "flange");
  EXPECT_EQ(j[0]["put_on_by_product"]["flange"].get<uint64_t>(),
            report.truth.machines[wash.first_machine].parts_good);
  EXPECT_EQ(j[1]["product"], "flange");
  // The line model's run of seed 42 over the same hour: shafts (what the fallback would give).
  const ConveyorTraffic model_run = conveyor_traffic(
      scene.model, static_cast<uint32_t>(scene.model.find_node("C09_HardeningInfeed")), 3600.0, 42);
  EXPECT_EQ(main_product(model_run), 0);
}

// A recorded shift feeds the physics instead of the line model: the belt gets Wash_1's good
// parts, the robot cell the same after the belt's transport, and beside the physics stand the
// recording's counts, which are the plant simulator's own (its report: parts started and good).
// Over the whole hour the cell finishes what the recording's Harden_OP80 did, within a part (the
// physics' fixture never fails and adds its exchange).
TEST_F(PhysicsCli, RecordingFeedsThePhysics) {
  const SceneLoadResult scene = test::load_sample_or_fail("machining20.yaml");
  const std::string mcap = (dir_ / "shift.mcap").string();
  PlantOptions plant;
  plant.hours = 1.0;
  plant.seed = 4;
  const PlantReport report = test::record_plant_shift(scene.model, plant, mcap);
  const auto truth = [&](const char* station) {
    const Station& s = scene.model.stations[static_cast<size_t>(scene.model.find_station(station))];
    return report.truth.machines[s.first_machine];
  };
  const auto good = [&](const char* station) { return truth(station).parts_good; };
  const std::string json = (dir_ / "recorded.json").string();
  const test::CommandResult r =
      twin("physics " + test::shell_quote(kScene) + " --recording " + test::shell_quote(mcap) +
           " --conveyor C09_HardeningInfeed --robot Harden_OP80 --json " + test::shell_quote(json));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("1.0 h of recording"), std::string::npos) << r.out;
  std::ifstream in(json);
  const nlohmann::json j = nlohmann::json::parse(in);
  ASSERT_EQ(j.size(), 2u);
  const nlohmann::json& belt = j[0];
  EXPECT_EQ(belt["fed_by"], "recording");
  EXPECT_EQ(belt["put_on"].get<uint64_t>(), good("Wash_1"));
  // Taken off the belt: Harden_OP80 took the part in (started it).
  EXPECT_EQ(belt["taken_whole_run"]["recording"].get<uint64_t>(),
            truth("Harden_OP80").parts_started);
  const nlohmann::json& cell = j[1];
  EXPECT_EQ(cell["fed_by"], "recording");
  EXPECT_LE(cell["arrived"].get<uint64_t>(), good("Wash_1"));
  EXPECT_GE(cell["arrived"].get<uint64_t>() + 2, good("Wash_1"));  // the last within 60 s
  const uint64_t recorded = cell["finished_whole_run"]["recording"].get<uint64_t>();
  EXPECT_EQ(recorded, good("Harden_OP80"));
  const uint64_t physics = cell["finished_whole_run"]["physics"].get<uint64_t>();
  EXPECT_LE(physics, recorded + 1);
  EXPECT_GE(physics + 1, recorded);

  const test::CommandResult bad = twin("physics " + test::shell_quote(kScene) + " --recording " +
                                       test::shell_quote((dir_ / "missing.mcap").string()));
  EXPECT_EQ(bad.code, 3);
  EXPECT_NE(bad.err.find("missing.mcap"), std::string::npos) << bad.err;
}

// --product makes every part that product: the same hour's flanges ride as shafts, as the
// library's run with the product forced.
TEST_F(PhysicsCli, ProductForcesEveryPart) {
  const std::string json = (dir_ / "shafts.json").string();
  const test::CommandResult r =
      twin("physics " + test::shell_quote(kScene) +
           " --conveyor C09_HardeningInfeed --product shaft --hours 1 --seed 5 --json " +
           test::shell_quote(json));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("C09_HardeningInfeed, parts as shaft,"), std::string::npos) << r.out;
  std::ifstream in(json);
  const nlohmann::json row = nlohmann::json::parse(in).at(0);
  const SceneLoadResult scene = test::load_sample_or_fail("machining20.yaml");
  std::string why;
  const auto c = compare_conveyor_fidelities(
      scene.model, static_cast<uint32_t>(scene.model.find_node("C09_HardeningInfeed")), 0, 1.0, 5,
      &why);
  ASSERT_TRUE(c.has_value()) << why;
  EXPECT_EQ(row["product"], "shaft");
  EXPECT_EQ(row["put_on_by_product"]["shaft"].get<uint64_t>(), c->put_on);
  EXPECT_EQ(row["taken_whole_run"]["physics"].get<uint64_t>(), c->physics_taken_total);
  EXPECT_EQ(row["transfer_empty_belt_s"]["physics"].get<double>(), c->physics_transfer_s);
}

TEST_F(PhysicsCli, NamesWhatTheSceneDoesNotHave) {
  const std::string scene = test::shell_quote(kScene);
  test::CommandResult r = twin("physics " + scene + " --conveyor NoSuchBelt");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("no conveyor 'NoSuchBelt'"), std::string::npos) << r.err;
  r = twin("physics " + scene + " --robot Saw");  // a station, but without a robot
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("no station 'Saw' with a robot"), std::string::npos) << r.err;
  r = twin("physics " + scene + " --product bolt");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("no product 'bolt'"), std::string::npos) << r.err;
  r = twin("physics " + scene + " --hours 0");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--hours"), std::string::npos) << r.err;
  // A scene without what the physics needs (a conveyor given by its transport time only).
  r = twin("physics " + test::shell_quote(std::string(TWIN_SOURCE_DIR) + "/scenes/bottling.yaml"));
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("no length and speed"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace twin
