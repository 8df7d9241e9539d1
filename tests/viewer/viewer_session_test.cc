// A viewer session without a window (EGL): a simulated run, then a recording opened on top of
// it as a drag-and-drop would, a bad file refused without losing what is shown, and a frame of
// each drawn.
#include "viewer/viewer_session.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "core/mirror/condition_monitor.h"
#include "core/mirror/live_twin.h"
#include "core/mirror/real_kpis.h"
#include "core/run/forecast.h"
#include "core/run/forecast_calibration.h"
#include "core/run/rul_failures.h"
#include "core/scene/yaml_to_proto.h"
#include "models/plant/plant_simulator.h"
#include "replay/player.h"
#include "tests/support/live_plant.h"
#include "tests/support/plant_recording.h"
#include "tests/support/png_image.h"
#include "tests/support/scenes.h"
#include "viewer/colors.h"
#include "viewer/headless_gl.h"
#include "viewer/layout.h"
#include "viewer/line_view_3d.h"
#include "viewer/physics_scene_3d.h"
#include "viewer/recording_source.h"
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

// Seeks `session` to `at_s` and draws it into `png` once its physics view has reached that time
// (the first frame asks the follower for it; the second shows it).
void render_physics_at(ViewerSession& session, double at_s, int width, int height,
                       const std::string& png) {
  session.playback().seek(at_s);
  std::string error;
  HeadlessFrameOptions frame;
  ASSERT_TRUE(render_imgui_png(
      frame, [&] { session.draw(width, height, false); }, png, error))
      << error;
  ASSERT_NE(session.physics(), nullptr);
  ASSERT_TRUE(session.physics()->follower->wait(300.0));
  ASSERT_TRUE(render_imgui_png(
      frame, [&] { session.draw(width, height, false); }, png, error))
      << error;
}

// `twin view --physics C09_HardeningInfeed --physics-skew 30`: the line pane shows the belt
// stepping in Bullet at the clock. After a seek the follower catches up; the picture shows the
// parts where the physics has them (a jammed part in red where the camera puts it); unknown
// conveyors and scenes without physics are refused with a message.
TEST(ViewerSession, PhysicsViewShowsTheBeltAtTheClock) {
  HeadlessImGui context;
  std::string error;
  if (!context.create(error)) GTEST_SKIP() << "no OpenGL 3.3 context: " << error;
  const SceneLoadResult scene = test::load_sample_or_fail("machining20.yaml");
  const Fonts fonts = load_fonts(1.0f);
  apply_style(1.0f);
  ViewerOptions options;
  options.hours = 1.0;
  options.seed = scene.model.seed;
  options.physics_conveyor = "C09_HardeningInfeed";
  options.physics_skew_deg = 30.0;
  options.physics_jam_clear_s = -1.0;  // jams stay: one is in the picture
  ViewerSession session(scene.model, options, fonts, 1.0f);
  ASSERT_TRUE(session.open(error)) << error;
  ASSERT_NE(session.physics(), nullptr);
  EXPECT_TRUE(session.ui().view_physics);
  PhysicsPaneState& physics = *session.physics();
  ASSERT_NE(physics.follower, nullptr);

  constexpr int kW = 1280, kH = 800;
  const std::string png = std::filesystem::temp_directory_path().string() +
                          "/twin_viewer_physics_" + std::to_string(::getpid()) + ".png";
  render_physics_at(session, 1800.0, kW, kH, png);
  EXPECT_EQ(physics.snapshot.time_s, 1800.0);
  EXPECT_FALSE(physics.snapshot.rebuilding);
  ASSERT_FALSE(physics.snapshot.jams.empty());

  // A jammed part's top where the physics camera shows it is red in the picture.
  test::Image image;
  ASSERT_TRUE(test::load_png(png, image, error)) << error;
  const Panes panes = pane_layout(kW, kH);
  size_t checked = 0, red = 0;
  for (const Box3D& b : physics.view->boxes()) {
    if (b.kind != BoxKind::kPart || b.color.r != kPhysicsJammed.r || b.color.g != kPhysicsJammed.g)
      continue;
    const Eigen::Vector3d top = b.box.center + Eigen::Vector3d(0.0, b.box.half.y(), 0.0);
    const Projected p = physics.camera.project(top);
    const double x = panes.plan.x0 + p.x, y = panes.plan.y0 + p.y;
    const auto inside = [&](const Rect& r) {
      return x >= r.x0 && x <= r.x1 && y >= r.y0 && y <= r.y1;
    };
    if (!p.in_front || !inside(panes.plan.grown(-2.0)) || inside(physics.figures_rect.grown(2.0)) ||
        inside(physics.controls_rect.grown(2.0)))
      continue;  // off the pane, or under the figures or the setup
    ++checked;
    const Rect around{x - 1.5, y - 1.5, x + 1.5, y + 1.5};
    // Lit red: strong red, weak green and blue.
    size_t n = 0;
    for (int py = static_cast<int>(around.y0); py <= static_cast<int>(around.y1); ++py)
      for (int px = static_cast<int>(around.x0); px <= static_cast<int>(around.x1); ++px) {
        const Rgba c = image.at(px, py);
        n += c.r > 150 && c.g < 110 && c.b < 110;
      }
    red += n > 0;
  }
  ASSERT_GT(checked, 0u);
  EXPECT_GE(red * 2, checked) << red << " of " << checked << " jammed parts look red";
  std::remove(png.c_str());

  // Refused: a conveyor the scene gives no physics for, and a scene with none at all.
  ViewerOptions bad = options;
  bad.physics_conveyor = "B01";
  ViewerSession other(scene.model, bad, fonts, 1.0f);
  EXPECT_FALSE(other.open(error));
  EXPECT_NE(error.find("C09_HardeningInfeed"), std::string::npos) << error;
  const SceneLoadResult small = test::load_scene_or_fail(test::kSmallLine, "small.yaml");
  ViewerSession none(small.model, options, fonts, 1.0f);
  EXPECT_EQ(none.physics(), nullptr);
  EXPECT_FALSE(none.open(error));
  EXPECT_NE(error.find("--physics"), std::string::npos) << error;
}

// `twin view --physics Harden_OP80`: the line pane shows the station's robot cell at the clock;
// in the picture the part held by the gripper is orange and the one on the fixture blue, where
// the camera puts them; the figures name the robot's phase.
TEST(ViewerSession, PhysicsViewShowsTheRobotCell) {
  HeadlessImGui context;
  std::string error;
  if (!context.create(error)) GTEST_SKIP() << "no OpenGL 3.3 context: " << error;
  const SceneLoadResult scene = test::load_sample_or_fail("machining20.yaml");
  const Fonts fonts = load_fonts(1.0f);
  apply_style(1.0f);
  ViewerOptions options;
  options.hours = 1.0;
  options.seed = scene.model.seed;
  options.physics_conveyor = "Harden_OP80";
  ViewerSession session(scene.model, options, fonts, 1.0f);
  ASSERT_TRUE(session.open(error)) << error;
  ASSERT_NE(session.physics(), nullptr);
  PhysicsPaneState& physics = *session.physics();
  ASSERT_NE(physics.follower, nullptr);
  ASSERT_GE(physics.robot, 0);

  constexpr int kW = 1280, kH = 800;
  const std::string png = std::filesystem::temp_directory_path().string() + "/twin_viewer_robot_" +
                          std::to_string(::getpid()) + ".png";
  // At 0:30:36 the robot holds the next part above the busy fixture.
  render_physics_at(session, 1836.0, kW, kH, png);
  ASSERT_NE(physics.follower->robot_spec(), nullptr);
  EXPECT_EQ(physics.snapshot.time_s, 1836.0);
  EXPECT_EQ(physics.snapshot.phase, RobotPhase::kWaitStation);

  test::Image image;
  ASSERT_TRUE(test::load_png(png, image, error)) << error;
  const Panes panes = pane_layout(kW, kH);
  size_t held = 0, resting = 0;
  for (const Box3D& b : physics.view->boxes()) {
    if (b.kind != BoxKind::kPart) continue;
    // On the top face towards either end: the gripper covers the middle of a held part.
    size_t orange = 0, blue = 0;
    for (double end : {-0.6, 0.6}) {
      const Eigen::Vector3d top =
          b.box.center +
          yaw_rotation(b.box.yaw) * Eigen::Vector3d(end * b.box.half.x(), b.box.half.y(), 0.0);
      const Projected p = physics.camera.project(top);
      const double x = panes.plan.x0 + p.x, y = panes.plan.y0 + p.y;
      const auto inside = [&](const Rect& r) {
        return x >= r.x0 && x <= r.x1 && y >= r.y0 && y <= r.y1;
      };
      ASSERT_TRUE(p.in_front && inside(panes.plan.grown(-2.0)) &&
                  !inside(physics.figures_rect.grown(2.0)) &&
                  !inside(physics.controls_rect.grown(2.0)))
          << "the camera shows the cell's parts clear of the overlays";
      // Lit: the part's dominant channel stays dominant.
      for (int py = static_cast<int>(y - 1.5); py <= static_cast<int>(y + 1.5); ++py)
        for (int px = static_cast<int>(x - 1.5); px <= static_cast<int>(x + 1.5); ++px) {
          const Rgba c = image.at(px, py);
          orange += c.r > c.b + 60 && c.g > c.b;
          blue += c.b > c.r + 60;
        }
    }
    if (b.color.r == kPhysicsHeld.r && b.color.b == kPhysicsHeld.b) held += orange > 0;
    if (b.color.r == kPhysicsAtRest.r && b.color.b == kPhysicsAtRest.b) resting += blue > 0;
  }
  EXPECT_EQ(held, 1u);
  EXPECT_EQ(resting, 1u);
  std::remove(png.c_str());
}

// With a recording open, the physics view replays it: the belt's feed is the recording's put-ons
// (Wash_1's good parts, as many as the plant simulator says it made), the robot cell's arrivals
// the same plus the belt's transport, and the figures beside the physics count the recording's
// parts (Harden_OP80's finishes by the end: the plant's own count).
TEST(ViewerSession, PhysicsViewReplaysARecording) {
  HeadlessImGui context;
  std::string error;
  if (!context.create(error)) GTEST_SKIP() << "no OpenGL 3.3 context: " << error;
  const SceneLoadResult scene = test::load_sample_or_fail("machining20.yaml");
  const std::string mcap = std::filesystem::temp_directory_path().string() +
                           "/twin_viewer_physics_rec_" + std::to_string(::getpid()) + ".mcap";
  PlantOptions plant;
  plant.hours = 1.0;
  plant.seed = 4;
  const PlantReport report = test::record_plant_shift(scene.model, plant, mcap);
  const Fonts fonts = load_fonts(1.0f);
  apply_style(1.0f);
  ViewerOptions options;
  options.hours = 1.0;
  options.seed = scene.model.seed;
  ViewerSession session(scene.model, options, fonts, 1.0f);
  ASSERT_TRUE(session.open(error)) << error;
  ASSERT_NE(session.physics(), nullptr);
  EXPECT_FALSE(session.physics()->follower->follows_recording());
  ASSERT_TRUE(session.open_recording(mcap, error)) << error;
  PhysicsPaneState& physics = *session.physics();
  ASSERT_TRUE(physics.follower->follows_recording());

  const Model& model = scene.model;
  const auto machine_of = [&](const char* station) {
    return model.stations[static_cast<size_t>(model.find_station(station))].first_machine;
  };
  const uint64_t wash_good = report.truth.machines[machine_of("Wash_1")].parts_good;
  const uint64_t harden_good = report.truth.machines[machine_of("Harden_OP80")].parts_good;
  ASSERT_GT(wash_good, 5u);
  ASSERT_TRUE(apply_physics_setup(physics)) << physics.error;  // the first: C09
  ASSERT_NE(physics.follower->spec(), nullptr);
  EXPECT_EQ(physics.follower->spec()->feed.size(), wash_good);

  physics.robot = 0;  // Harden_OP80's cell
  ASSERT_TRUE(apply_physics_setup(physics)) << physics.error;
  ASSERT_NE(physics.follower->robot_spec(), nullptr);
  const std::vector<double>& arrivals = physics.follower->robot_spec()->arrivals_s;
  EXPECT_EQ(arrivals.size(), wash_good);
  physics.follower->follow(3600.0);
  ASSERT_TRUE(physics.follower->wait(300.0));
  PhysicsSnapshot snap;
  physics.follower->snapshot(snap);
  EXPECT_EQ(snap.des_taken, harden_good);  // the recording's finishes, the plant's count
  EXPECT_EQ(snap.des_put_on,
            static_cast<uint64_t>(std::upper_bound(arrivals.begin(), arrivals.end(), snap.time_s) -
                                  arrivals.begin()));
  std::printf(
      "[ measured ] recording seed 4, 1 h: Wash_1 good %llu, Harden_OP80 good %llu "
      "(recording), physics finished %d\n",
      static_cast<unsigned long long>(wash_good), static_cast<unsigned long long>(harden_good),
      snap.taken);
  std::remove(mcap.c_str());
}

// What `twin forecast --at t` computes from the recording at `path`: the mirror at t (the
// reorder window flushed), forked at t with the predicted failures of the given condition log.
struct ReferenceForecast {
  uint64_t line_good = 0;  // real line output at t (the mirror's)
  Forecast forecast;
};
ReferenceForecast reference_forecast(const Model& model, const std::string& path, double t_s,
                                     uint64_t seed, size_t replications,
                                     const TwinConditionLog& condition) {
  ReferenceForecast out;
  RecordingSource source(model);
  std::string why;
  EXPECT_TRUE(source.open(path, RecordingOptions(), &why)) << why;
  const double at_s = observation_time(model.calendar, t_s);
  source.seek(at_s);
  Mirror mirror = source.mirror();
  const int64_t at_ns = source.shift_start_ns() + static_cast<int64_t>(std::llround(at_s * 1e9));
  mirror.flush_events(at_ns);
  out.line_good = line_good_parts(model, mirror);
  ObservedLine observed = observe_mirror(model, mirror, at_ns);
  observed.calendar_s = t_s;
  ForecastOptions fo;
  fo.replications = replications;
  fo.seed = seed;
  fo.threads = 2;
  fo.shift_end_s = source.duration_s();
  fo.predicted_failures = predicted_failures_at(model, mirror.names(), condition.alarms(),
                                                condition.rul(), source.shift_start_ns(), at_ns);
  out.forecast = forecast(model, observed, fo);
  return out;
}

// A recorded shift: the forecast from the shown time is there once waited for, starts at the
// real output at that time and equals `twin forecast --at` bit for bit; moving the clock and
// letting it settle forecasts the new time. The panel's forecast section is drawn.
TEST(ViewerSession, ForecastsARecordingFromTheShownTime) {
  HeadlessImGui context;
  std::string error;
  if (!context.create(error)) GTEST_SKIP() << "no OpenGL 3.3 context: " << error;
  const SceneLoadResult scene = test::load_sample_or_fail("machining20.yaml");
  const std::string dir = std::filesystem::temp_directory_path().string();
  const std::string stem = dir + "/twin_viewer_forecast_" + std::to_string(::getpid());
  const std::string mcap = stem + ".mcap";
  PlantOptions plant;
  plant.hours = 1.0;
  plant.seed = 6;
  test::record_plant_shift(scene.model, plant, mcap);

  ViewerOptions options;
  options.hours = 2.0;
  options.seed = scene.model.seed;
  options.scene = &scene.scene;
  options.recording = mcap;
  // A fit carrying only a forecast calibration (the margins machining20's 36 past shifts gave,
  // README): the monitor is as without a fit, the panel shows the calibrated interval too.
  MonitorFit fit;
  fit.forecast_calibration.margins = {0.1, 108, 17, 3, 10.9, 0.5};
  fit.forecast_calibration.shifts = 36;
  options.monitor_fit = &fit;
  const Fonts fonts = load_fonts(1.0f);
  apply_style(1.0f);
  ViewerSession session(scene.model, options, fonts, 1.0f);
  ASSERT_TRUE(session.open(error)) << error;
  const ForecastView& fv = session.forecast();
  EXPECT_TRUE(fv.available);
  EXPECT_FALSE(fv.note.empty());
  EXPECT_FALSE(fv.has_result);
  // The real output over the whole shift from the first pass: rising, from 0.
  ASSERT_GT(fv.real_t_s.size(), 100u);
  ASSERT_EQ(fv.real_t_s.size(), fv.real_good.size());
  EXPECT_EQ(fv.real_good.front(), 0.0);
  for (size_t i = 1; i < fv.real_good.size(); ++i) {
    EXPECT_GT(fv.real_t_s[i], fv.real_t_s[i - 1]);
    EXPECT_GE(fv.real_good[i], fv.real_good[i - 1]);
  }
  EXPECT_GT(fv.real_good.back(), 10.0);

  const double t1 = 1500.0;
  session.playback().set_playing(false);
  session.playback().seek(t1);
  session.tick(0.0);
  ASSERT_TRUE(session.wait_for_forecast());
  ASSERT_TRUE(fv.has_result);
  EXPECT_EQ(fv.state, JobState::kDone);
  EXPECT_TRUE(fv.error.empty());
  EXPECT_EQ(fv.progress.done, fv.replications);
  const Forecast& f = fv.result;
  EXPECT_EQ(f.at_s, t1);
  EXPECT_NEAR(f.shift_end_s, 3600.0, 5.0);
  EXPECT_EQ(f.good_at_end.size(), fv.replications);
  EXPECT_LE(f.p05, f.mean.mean);
  EXPECT_LE(f.mean.mean, f.p95);
  EXPECT_GE(f.p05, static_cast<double>(f.good_so_far));
  EXPECT_GT(f.mean.mean, static_cast<double>(f.good_so_far));  // 25 min of the shift to go
  ASSERT_EQ(f.fan.t_s.size(), kViewerFanSteps + 1);
  EXPECT_EQ(f.fan.p50.front(), static_cast<double>(f.good_so_far));

  // The real output at the shown time: the mirror's count, and the real curve's point there.
  const ReferenceForecast ref =
      reference_forecast(scene.model, mcap, t1, options.seed, fv.replications, session.condition());
  EXPECT_EQ(f.good_so_far, ref.line_good);
  EXPECT_GT(f.good_so_far, 0u);
  size_t i1 = 0;
  while (i1 + 1 < fv.real_t_s.size() && fv.real_t_s[i1 + 1] <= t1) ++i1;
  EXPECT_NEAR(static_cast<double>(f.good_so_far), fv.real_good[i1], 3.0);
  // As `twin forecast --at`: the same numbers bit for bit.
  EXPECT_EQ(f.good_so_far, ref.forecast.good_so_far);
  EXPECT_EQ(f.good_at_end, ref.forecast.good_at_end);
  EXPECT_EQ(f.mean.mean, ref.forecast.mean.mean);
  EXPECT_EQ(f.p05, ref.forecast.p05);
  EXPECT_EQ(f.p95, ref.forecast.p95);
  // The calibrated interval and band, as core/run/forecast_calibration computes them; the band
  // holds the line model's fan and meets it at the fork.
  ASSERT_TRUE(fv.calibrated);
  const ConformalInterval end =
      calibrated_interval(scene.model.calendar, f, fit.forecast_calibration);
  EXPECT_EQ(fv.calibrated_end.lo, end.lo);
  EXPECT_EQ(fv.calibrated_end.hi, end.hi);
  EXPECT_LT(end.lo, f.p05);
  EXPECT_GT(end.hi, f.p95);
  ASSERT_EQ(fv.calibrated_band.lo.size(), f.fan.t_s.size());
  EXPECT_EQ(fv.calibrated_band.lo.front(), f.fan.p05.front());
  EXPECT_EQ(fv.calibrated_band.lo.back(), end.lo);
  for (size_t c = 0; c < f.fan.t_s.size(); ++c) {
    EXPECT_LE(fv.calibrated_band.lo[c], f.fan.p05[c]);
    EXPECT_GE(fv.calibrated_band.hi[c], f.fan.p95[c]);
  }

  // The panel with its forecast section: the fan's colour in the panel, where the plot is.
  HeadlessFrameOptions frame;
  const std::string png = stem + ".png";
  ASSERT_TRUE(render_imgui_png(
      frame, [&] { session.draw(1280, 800, false); }, png, error))
      << error;
  test::Image image;
  ASSERT_TRUE(test::load_png(png, image, error)) << error;
  const Panes panes = pane_layout(1280, 800);
  const Rgba median = kForecastMedian;
  EXPECT_GT(test::count_color(image, panes.panel, median, 12), 50u)
      << "the forecast's median is drawn in the panel";
  if (const char* keep = std::getenv("TWIN_KEEP_FORECAST_PNG"); keep != nullptr && *keep != 0)
    std::filesystem::copy_file(png, keep, std::filesystem::copy_options::overwrite_existing);

  // Scrubbed on to 2400 s, then left there: once the time has settled (wall time passing in
  // ticks) the forecast is from 2400 s, and more parts have been made by then.
  const double t2 = 2400.0;
  session.playback().seek(t2);
  for (int i = 0; i < 5; ++i) session.tick(0.1);
  ASSERT_TRUE(session.wait_for_forecast());
  EXPECT_EQ(fv.result.at_s, t2);
  EXPECT_GE(fv.result.good_so_far, f.good_so_far);
  EXPECT_EQ(
      fv.result.good_so_far,
      reference_forecast(scene.model, mcap, t2, options.seed, 1, session.condition()).line_good);
  std::remove(mcap.c_str());
  std::remove(png.c_str());
}

// A live source: half an hour of machining20 sent by the plant simulator as a Sparkplug B edge
// node into a live twin whose stream the session follows (as `twin view --mqtt`, without the
// broker). The physics view of C09 is fed with the parts the plant's counters report: it moves
// as many parts as the plant's producer passed on, give or take those on the belt.
TEST(ViewerSession, PhysicsViewFollowsALivePlant) {
  HeadlessImGui context;
  std::string error;
  if (!context.create(error)) GTEST_SKIP() << "no OpenGL 3.3 context: " << error;
  const SceneLoadResult scene = test::load_sample_or_fail("machining20.yaml");
  const Model& model = scene.model;
  StateHub hub;
  ViewerOptions options;
  options.hours = 1.0;
  options.seed = model.seed;
  options.live = &hub;
  options.physics_conveyor = "C09_HardeningInfeed";
  const Fonts fonts = load_fonts(1.0f);
  apply_style(1.0f);
  ViewerSession session(model, options, fonts, 1.0f);
  ASSERT_TRUE(session.open(error)) << error;
  ASSERT_NE(session.physics(), nullptr);
  ASSERT_TRUE(session.physics()->follower->live());

  LiveTwin twin(model, hub);
  PlantOptions plant;
  plant.hours = 0.5;
  plant.seed = 8;
  twin.reset(plant.start_ns);
  // The viewer's frames as the data comes.
  const PlantReport report = test::run_plant_into(twin, model, plant, [&](uint64_t messages) {
    if (messages % 500 == 1) session.tick(0.0);
  });
  ASSERT_FALSE(report.write_failed);
  session.tick(0.0);  // takes the stream in
  const std::string png = std::filesystem::temp_directory_path().string() +
                          "/twin_viewer_live_physics_" + std::to_string(::getpid()) + ".png";
  HeadlessFrameOptions frame;
  ASSERT_TRUE(render_imgui_png(
      frame, [&] { session.draw(1280, 800, false); }, png, error))
      << error;  // a frame asks the physics for the clock
  PhysicsFollower& follower = *session.physics()->follower;
  ASSERT_TRUE(follower.wait(300.0));
  std::remove(png.c_str());
  PhysicsSnapshot snap;
  follower.snapshot(snap);
  ASSERT_TRUE(snap.ready);
  // The live clock's last data is at about 30 min; the physics stops at the last report.
  EXPECT_GT(snap.time_s, 1700.0);
  EXPECT_LE(snap.time_s, 1800.0);
  const Station& producer =
      model.stations[model.nodes[static_cast<size_t>(model.find_node("C09_HardeningInfeed"))]
                         .producers.front()];
  const uint64_t passed_on = report.truth.machines[producer.first_machine].parts_good;
  EXPECT_GT(passed_on, 10u);
  // Put on: the producer's finishes the counter reported (the baseline's first part may be in
  // it), and what the physics did with them.
  EXPECT_LE(snap.des_put_on, passed_on);
  EXPECT_GE(snap.des_put_on + 1, passed_on);
  EXPECT_EQ(static_cast<uint64_t>(snap.taken) + static_cast<uint64_t>(snap.cleared) +
                snap.parts.size() + static_cast<uint64_t>(snap.fallen) +
                static_cast<uint64_t>(snap.waiting),
            snap.des_put_on);
  EXPECT_GT(snap.taken, 5);
}

// A shift with faults: the twin's condition monitor runs over the first pass, and the session's
// log holds what a monitor on the same recording says (alarms with their times, RUL).
TEST(ViewerSession, ConditionLogComesFromTheRecordingsFirstPass) {
  HeadlessImGui context;
  std::string error;
  if (!context.create(error)) GTEST_SKIP() << "no OpenGL 3.3 context: " << error;
  const SceneLoadResult scene = test::load_sample_or_fail("machining20.yaml");
  const Model& model = scene.model;
  // A conveyor jam and a tool wearing out within the hour (scenes/faults/machining20.yaml's
  // kinds, moved into a short shift).
  const std::string plan_text = R"(faults:
  - {machine: C09_HardeningInfeed, kind: conveyor_jam, at: 20min, repair: 8min}
  - {machine: Drill_OP50, kind: tool_breakage, at: 50min, repair: 5min}
)";
  faults::FaultPlan plan;
  std::vector<SceneError> scene_errors;
  ASSERT_TRUE(yaml_to_message(plan_text, "faults.yaml", plan, nullptr, scene_errors));
  std::vector<std::string> errors;
  PlantOptions plant;
  plant.hours = 1.0;
  plant.seed = 2;
  plant.faults = resolve_faults(model, plan, plant.hours, errors);
  ASSERT_TRUE(errors.empty()) << errors.front();
  ASSERT_EQ(plant.faults.size(), 2u);
  const std::string mcap = std::filesystem::temp_directory_path().string() +
                           "/twin_viewer_condition_" + std::to_string(::getpid()) + ".mcap";
  test::record_plant_shift(model, plant, mcap);

  // What a monitor on the recording says.
  Player player(model);
  ConditionMonitor monitor(model, player.mirror().names());
  player.mirror().set_listener(&monitor);
  const PlayResult played = player.play(mcap, PlayOptions());
  ASSERT_TRUE(played.ok) << played.error;
  player.mirror().set_listener(nullptr);
  ASSERT_FALSE(monitor.alarms().empty()) << "the jam raises a twin alarm";

  ViewerOptions options;
  options.seed = model.seed;
  options.recording = mcap;
  const Fonts fonts = load_fonts(1.0f);
  apply_style(1.0f);
  ViewerSession session(model, options, fonts, 1.0f);
  ASSERT_TRUE(session.open(error)) << error;
  const TwinConditionLog& log = session.condition();
  EXPECT_FALSE(log.empty());
  ASSERT_EQ(log.alarms().size(), monitor.alarms().size());
  bool jam = false;
  for (size_t i = 0; i < log.alarms().size(); ++i) {
    const TwinAlarm& a = log.alarms()[i];
    EXPECT_EQ(a.time_ns, monitor.alarms()[i].time_ns);
    EXPECT_EQ(a.target, monitor.alarms()[i].target);
    EXPECT_EQ(a.code, monitor.alarms()[i].code);
    EXPECT_EQ(a.active, monitor.alarms()[i].active);
    const int32_t m = log.machine_of_alarm(i);
    if (m >= 0) {
      EXPECT_EQ(session.timeline()->names().machine[static_cast<size_t>(m)], a.target);
    }
    jam = jam || (a.active && a.suspected == telemetry::FaultTruth::KIND_CONVEYOR_JAM &&
                  a.target == "C09_HardeningInfeed");
  }
  EXPECT_TRUE(jam);
  ASSERT_EQ(log.rul().size(), monitor.rul().size());
  for (size_t i = 0; i < log.rul().size(); ++i) {
    EXPECT_EQ(log.rul()[i].time_ns, monitor.rul()[i].time_ns);
    EXPECT_EQ(log.rul()[i].median_s, monitor.rul()[i].median_s);
  }
  // The jam is active once raised, in the log as the panel reads it.
  int64_t jam_ns = 0;
  for (const TwinAlarm& a : log.alarms()) {
    if (jam_ns == 0 && a.active && a.code == "CONVEYOR_JAM") jam_ns = a.time_ns;
  }
  std::vector<size_t> active;
  log.active_at(jam_ns + 1'000'000'000, active);
  bool jam_active = false;
  for (size_t i : active) jam_active = jam_active || log.alarms()[i].code == "CONVEYOR_JAM";
  EXPECT_TRUE(jam_active);
  log.active_at(jam_ns - 1, active);
  for (size_t i : active) EXPECT_NE(log.alarms()[i].code, "CONVEYOR_JAM");
  // And the forecast from inside the jam works with it.
  session.playback().set_playing(false);
  session.playback().seek(session.timeline()->to_s(jam_ns) + 1.0);
  session.tick(0.0);
  ASSERT_TRUE(session.wait_for_forecast());
  EXPECT_LE(session.forecast().result.p05, session.forecast().result.p95);
  std::remove(mcap.c_str());
}

}  // namespace
}  // namespace twin::viewer
