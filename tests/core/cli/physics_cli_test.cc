// `twin physics` end to end: machining20's conveyor as a Bullet belt beside the line model,
// through the built binary; its JSON against the library's comparison of the same run, and the
// errors a user gets for names the scene does not have.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "models/physics/scene_conveyor.h"
#include "tests/support/scenes.h"

namespace twin {
namespace {

namespace fs = std::filesystem;

std::string quote(const std::string& text) {
  std::string q(1, '\'');
  q.append(text).push_back('\'');
  return q;
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
  // Runs `twin <args>`; returns the exit code, stdout in `out`, stderr in `err`.
  int run(const std::string& args, std::string& out, std::string& err) const {
    const fs::path err_file = dir_ / "stderr.txt";
    std::string cmd = quote(std::string(TWIN_BINARY_DIR) + "/twin");
    cmd.append(" ").append(args).append(" 2>").append(quote(err_file.string()));
    FILE* pipe = popen(cmd.c_str(), "r");
    if (pipe == nullptr) return -1;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
    const int status = pclose(pipe);
    std::ifstream in(err_file);
    err.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  fs::path dir_;
};

const std::string kScene = std::string(TWIN_SOURCE_DIR) + "/scenes/machining20.yaml";

TEST_F(PhysicsCli, ComparesTheScenesConveyor) {
  std::string out, err;
  const std::string json = (dir_ / "physics.json").string();
  ASSERT_EQ(run("physics " + quote(kScene) + " --hours 1 --seed 5 --json " + quote(json), out, err),
            0)
      << err;
  EXPECT_NE(out.find("C09_HardeningInfeed, parts as shaft"), std::string::npos) << out;
  std::ifstream in(json);
  const nlohmann::json j = nlohmann::json::parse(in);
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 1u);
  // The binary's figures are the library's for the same run (deterministic physics).
  const SceneLoadResult scene = test::load_sample_or_fail("machining20.yaml");
  std::string why;
  const auto c = compare_conveyor_fidelities(
      scene.model, static_cast<uint32_t>(scene.model.find_node("C09_HardeningInfeed")), 0, 1.0, 5,
      &why);
  ASSERT_TRUE(c.has_value()) << why;
  const nlohmann::json& r = j[0];
  EXPECT_EQ(r["conveyor"], "C09_HardeningInfeed");
  EXPECT_EQ(r["put_on"].get<uint64_t>(), c->put_on);
  EXPECT_EQ(r["taken_second_half"]["physics"].get<uint64_t>(), c->physics_taken);
  EXPECT_EQ(r["taken_second_half"]["line_model"].get<uint64_t>(), c->des_taken);
  EXPECT_EQ(r["transfer_empty_belt_s"]["physics"].get<double>(), c->physics_transfer_s);
  EXPECT_EQ(r["max_on_belt"].get<int>(), c->physics_max_on_belt);
  EXPECT_EQ(r["jams"].size(), c->jams.size());
  EXPECT_GT(c->put_on, 0u);
}

TEST_F(PhysicsCli, NamesWhatTheSceneDoesNotHave) {
  std::string out, err;
  EXPECT_EQ(run("physics " + quote(kScene) + " --conveyor NoSuchBelt", out, err), 2);
  EXPECT_NE(err.find("no conveyor 'NoSuchBelt'"), std::string::npos) << err;
  err.clear();
  EXPECT_EQ(run("physics " + quote(kScene) + " --product bolt", out, err), 2);
  EXPECT_NE(err.find("no product 'bolt'"), std::string::npos) << err;
  err.clear();
  EXPECT_EQ(run("physics " + quote(kScene) + " --hours 0", out, err), 2);
  EXPECT_NE(err.find("--hours"), std::string::npos) << err;
  // A scene without conveyors.
  err.clear();
  const std::string bottling = std::string(TWIN_SOURCE_DIR) + "/scenes/bottling.yaml";
  const int code = run("physics " + quote(bottling), out, err);
  EXPECT_NE(code, 0);
  EXPECT_FALSE(err.empty());
}

}  // namespace
}  // namespace twin
