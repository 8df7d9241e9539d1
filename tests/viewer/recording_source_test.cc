// The viewer's recording source: a generated shift opened once, then shown at any time by
// seeking, equal to a replay from the start to that time.
#include "viewer/recording_source.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "core/mirror/mirror_snapshot.h"
#include "models/plant/plant_simulator.h"
#include "tests/support/plant_recording.h"
#include "tests/support/scenes.h"

namespace twin::viewer {
namespace {

class RecordingSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    scene_ = test::load_sample_or_fail("bottling.yaml");
    path_ = (std::filesystem::temp_directory_path() /
             ("twin_recording_source_" + std::to_string(::getpid()) + ".mcap"))
                .string();
    PlantOptions options;
    options.hours = 0.5;
    options.seed = 11;
    test::record_plant_shift(scene_.model, options, path_);
  }
  void TearDown() override { std::remove(path_.c_str()); }
  SceneLoadResult scene_;
  std::string path_;
};

TEST_F(RecordingSourceTest, OpensOnceAndSeeksToTheStateOfAReplayToThatTime) {
  RecordingSource source(scene_.model);
  RecordingOptions options;
  int points = 0;
  double last_t = -1.0;
  options.point_s = 60.0;
  options.on_point = [&](double t_s, const Mirror&) {
    EXPECT_GT(t_s, last_t);
    last_t = t_s;
    ++points;
  };
  std::string error;
  ASSERT_TRUE(source.open(path_, options, &error)) << error;
  EXPECT_NEAR(source.duration_s(), 1800.0, 5.0);
  EXPECT_GE(points, 29);  // a point a minute over 30 minutes (and one at the end)
  EXPECT_EQ(source.clock_s(), 0.0);

  for (const double t : {1234.5, 300.0, 1799.0, 0.0, 901.0}) {
    source.seek(t);
    EXPECT_EQ(source.clock_s(), t);
    Player fresh(scene_.model);
    ASSERT_TRUE(fresh.open(path_));
    ASSERT_TRUE(fresh.seek(path_, t));  // no keyframes: from the file's start
    // Close both windows the same way (as the player's own seek test does), then compare.
    Mirror shown = source.mirror();
    Mirror reference = fresh.mirror();
    const int64_t end = reference.state().now_ns;
    shown.finish(end);
    reference.finish(end);
    EXPECT_TRUE(serialize_mirror_state(shown.state()) == serialize_mirror_state(reference.state()))
        << "state at " << t << " s differs from a replay from the start";
  }
}

TEST_F(RecordingSourceTest, PlayingMovesTheClockWithTheWallClockAndStopsAtTheEnd) {
  RecordingSource source(scene_.model);
  std::string error;
  ASSERT_TRUE(source.open(path_, RecordingOptions(), &error)) << error;
  source.set_speed(100.0);
  source.tick(1.0);
  EXPECT_EQ(source.clock_s(), 0.0);  // paused
  source.set_playing(true);
  source.tick(1.0);
  EXPECT_DOUBLE_EQ(source.clock_s(), 100.0);
  source.tick(100.0);
  EXPECT_EQ(source.clock_s(), source.duration_s());
  EXPECT_FALSE(source.playing());
  source.seek(-5.0);
  EXPECT_EQ(source.clock_s(), 0.0);
}

TEST(RecordingSourceFiles, UnreadableFileIsAnError) {
  const SceneLoadResult scene = test::load_scene_or_fail(test::kSmallLine);
  RecordingSource source(scene.model);
  std::string error;
  EXPECT_FALSE(source.open("/nonexistent/shift.mcap", RecordingOptions(), &error));
  EXPECT_FALSE(error.empty());
}

}  // namespace
}  // namespace twin::viewer
