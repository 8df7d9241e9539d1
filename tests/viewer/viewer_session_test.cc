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
#include "tests/support/plant_recording.h"
#include "tests/support/scenes.h"
#include "viewer/headless_gl.h"
#include "viewer/layout.h"
#include "viewer/line_view_3d.h"
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
  PlantOptions plant;
  plant.hours = 0.5;
  plant.seed = 4;
  test::record_plant_shift(scene.model, plant, mcap);

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

// Clicks, fed to ImGui as a person would make them (move, press, release on later frames):
// one on a machine of the plan selects it, one on a station in the 3D view selects that
// station's first machine, and the tag plots follow the selection.
TEST(ViewerSession, ClicksSelectMachinesInThePlanAndInThe3dView) {
  HeadlessImGui context;
  std::string error;
  if (!context.create(error)) GTEST_SKIP() << "no OpenGL 3.3 context: " << error;
  const SceneLoadResult scene = test::load_sample_or_fail("machining20.yaml");
  ViewerOptions options;
  options.hours = 1.0;
  const Fonts fonts = load_fonts(1.0f);
  apply_style(1.0f);
  ViewerSession session(scene.model, options, fonts, 1.0f);
  ASSERT_TRUE(session.open(error)) << error;
  constexpr int kW = 1280, kH = 800;
  const std::string png = std::filesystem::temp_directory_path().string() + "/twin_viewer_click_" +
                          std::to_string(::getpid()) + ".png";

  // Frame i's draw sets the mouse the next frame's NewFrame reads.
  auto click_at = [&](auto where) {
    HeadlessFrameOptions frame;
    frame.frames = 6;
    int i = 0;
    return render_imgui_png(
        frame,
        [&] {
          session.draw(kW, kH, false);
          ImGuiIO& io = ImGui::GetIO();
          const ImVec2 p = where();
          io.MousePos = p;
          io.MouseDown[0] = i == 2;  // pressed on one frame, released on the next
          ++i;
        },
        png, error);
  };

  // The plan: machine 0 of station 4 (Drill_OP50).
  const Rect target = machine_screen_rect(scene.model, 4, 0, kW, kH);
  ASSERT_TRUE(click_at([&] {
    return ImVec2{static_cast<float>(target.center().x), static_cast<float>(target.center().y)};
  })) << error;
  EXPECT_EQ(session.ui().selected_machine,
            static_cast<int32_t>(scene.model.stations[4].first_machine));

  // The 3D view: the top of station 9's machine where the camera shows it.
  session.ui().view_3d = true;
  const Panes panes = pane_layout(kW, kH);
  ASSERT_TRUE(click_at([&] {
    const LineView3D& view = *session.ui().line_view_3d;
    for (const Box3D& b : view.boxes()) {
      if (b.kind != BoxKind::kMachine || b.station != 9) continue;
      const Eigen::Vector3d top = b.box.center + Eigen::Vector3d(0.0, b.box.half.y(), 0.0);
      const Projected p = session.ui().camera_3d.project(top);
      return ImVec2{static_cast<float>(panes.plan.x0 + p.x),
                    static_cast<float>(panes.plan.y0 + p.y)};
    }
    return ImVec2{-1.0f, -1.0f};  // not rendered yet: nowhere
  })) << error;
  EXPECT_EQ(session.ui().selected_machine,
            static_cast<int32_t>(scene.model.stations[9].first_machine));
  std::remove(png.c_str());
}

}  // namespace
}  // namespace twin::viewer
