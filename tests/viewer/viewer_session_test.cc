// A viewer session without a window (EGL): a simulated run, then a recording opened on top of
// it as a drag-and-drop would, a bad file refused without losing what is shown, and a frame of
// each drawn.
#include "viewer/viewer_session.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "models/plant/plant_simulator.h"
#include "replay/telemetry_writer.h"
#include "tests/support/scenes.h"
#include "viewer/headless_gl.h"
#include "viewer/style.h"

namespace twin::viewer {
namespace {

TEST(ViewerSession, OpensARecordingOverASimulatedRunAndKeepsItOnABadFile) {
  HeadlessImGui context;
  std::string error;
  if (!context.create(error)) GTEST_SKIP() << "no OpenGL 3.3 context: " << error;
  const SceneLoadResult scene = test::load_sample_or_fail("machining20.yaml");
  const std::string dir = std::filesystem::temp_directory_path().string();
  const std::string mcap = dir + "/twin_viewer_session_" + std::to_string(::getpid()) + ".mcap";
  {
    TelemetryWriter writer;
    ASSERT_TRUE(writer.open(mcap));
    PlantOptions plant;
    plant.hours = 0.5;
    plant.seed = 4;
    run_plant(scene.model, plant, writer);
    ASSERT_TRUE(writer.close()) << writer.error();
  }

  ViewerOptions options;
  options.hours = 2.0;
  options.seed = scene.model.seed;
  options.scene = &scene.scene;
  const Fonts fonts = load_fonts(1.0f);
  apply_style(1.0f);
  ViewerSession session(scene.model, options, fonts, 1.0f);
  ASSERT_TRUE(session.open(error)) << error;
  ASSERT_NE(session.timeline(), nullptr);
  EXPECT_FALSE(session.timeline()->has_real());
  EXPECT_EQ(session.playback().horizon(), 7200.0);
  EXPECT_EQ(session.ui().real, nullptr);
  HeadlessFrameOptions frame;
  const std::string png = dir + "/twin_viewer_session_" + std::to_string(::getpid()) + ".png";
  ASSERT_TRUE(render_imgui_png(
      frame, [&] { session.draw(1280, 800, false); }, png, error))
      << error;

  // Dropped on the window: the recording's shift replaces the simulated run.
  ASSERT_TRUE(session.open_recording(mcap, error)) << error;
  const ShiftTimeline* shown = session.timeline();
  ASSERT_NE(shown, nullptr);
  EXPECT_TRUE(shown->has_real());
  EXPECT_NEAR(session.playback().horizon(), 1800.0, 5.0);
  EXPECT_EQ(session.playback().clock(), 0.0);
  session.tick(10.0);                                  // playing at 60x: 10 min of shift
  EXPECT_NEAR(session.playback().clock(), 6.0, 1e-9);  // a stalled frame moves at most 0.1 s
  ASSERT_NE(session.ui().real, nullptr);
  EXPECT_TRUE(session.ui().real->present);
  ASSERT_TRUE(render_imgui_png(
      frame, [&] { session.draw(1280, 800, false); }, png, error))
      << error;

  // A file that is no recording: refused with its name, and the shown recording stays.
  EXPECT_FALSE(session.open_recording(dir + "/no_such_file.mcap", error));
  EXPECT_NE(error.find("no_such_file.mcap"), std::string::npos) << error;
  EXPECT_EQ(session.timeline(), shown);
  EXPECT_TRUE(session.timeline()->has_real());
  std::remove(mcap.c_str());
  std::remove(png.c_str());
}

}  // namespace
}  // namespace twin::viewer
