// The viewer end to end: `twin view --screenshot` renders a scene headless, and the PNG shows a
// failed machine in the "down" colour where the layout says that machine is drawn. Needs a
// display (CI runs the tests under xvfb-run); skipped without DISPLAY. The viewer library is
// linked only into the `twin` executable, so the test runs that binary and decodes the PNG with
// Debian's libstb, loaded at run time.
#include "viewer/layout.h"

#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/scene/load.h"
#include "tests/support/png_image.h"
#include "viewer/colors.h"

namespace twin::viewer {
namespace {

const std::string kTwin = std::string(TWIN_BINARY_DIR) + "/twin";

// One machine that fails at 100 s and stays down for 10000 s.
const char* kDownScene = R"(
name: viewer test
sources:
  - name: stock
sinks:
  - name: done
stations:
  - name: press
    input: stock
    output: done
    cycle_time: 10
    failures:
      - {name: jam, time_to_failure: 100, time_to_repair: 10000}
)";

// The same machine without failures: busy all the time.
const char* kBusyScene = R"(
name: viewer test
sources:
  - name: stock
sinks:
  - name: done
stations:
  - name: press
    input: stock
    output: done
    cycle_time: 10
)";

constexpr int kWidth = 800, kHeight = 600;

std::string write_file(const std::string& name, const std::string& text) {
  const std::string path = testing::TempDir() + name;
  std::ofstream(path) << text;
  return path;
}

// Exit code of a shell command, or -1 when it did not exit normally.
int run(const std::string& command) {
  const int status = std::system(command.c_str());
  return status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool twin_has_viewer() {
  return run(kTwin + " view --help >/dev/null 2>&1") == 0;
}

using test::count_color;
using test::Image;
using test::load_png;

// Share of pixels in the middle of `r` (a margin of 20 % on each side) that satisfy `pred`.
template <typename Pred>
double share_inside(const Image& image, const Rect& r, Pred pred) {
  const int x0 = static_cast<int>(r.x0 + r.width() * 0.2),
            x1 = static_cast<int>(r.x1 - r.width() * 0.2);
  const int y0 = static_cast<int>(r.y0 + r.height() * 0.2),
            y1 = static_cast<int>(r.y1 - r.height() * 0.2);
  int hits = 0, total = 0;
  for (int y = std::max(y0, 0); y < std::min(y1, image.height); ++y) {
    for (int x = std::max(x0, 0); x < std::min(x1, image.width); ++x) {
      ++total;
      if (pred(image.at(x, y))) ++hits;
    }
  }
  return total > 0 ? static_cast<double>(hits) / total : 0.0;
}

bool reddish(Rgba c) {
  return c.r >= 180 && c.g <= 80 && c.b <= 80;
}
bool greenish(Rgba c) {
  return c.g >= 120 && c.r <= 100 && c.b <= 120;
}

// Renders `scene_yaml` at `at_s` seconds and returns the screenshot and where machine 0 is.
void screenshot(const std::string& name, const char* scene_yaml, double at_s, Image& image,
                Rect& machine) {
  const std::string scene = write_file(name + ".yaml", scene_yaml);
  const std::string png = testing::TempDir() + name + ".png";
  std::remove(png.c_str());
  const std::string command = kTwin + " view " + scene + " --screenshot " + png + " --at " +
                              std::to_string(at_s) + " --size " + std::to_string(kWidth) + "x" +
                              std::to_string(kHeight);
  ASSERT_EQ(run(command), 0) << command;
  std::string error;
  ASSERT_TRUE(load_png(png, image, error)) << error;
  ASSERT_EQ(image.width, kWidth);
  ASSERT_EQ(image.height, kHeight);

  SceneLoadResult loaded = load_scene_text(scene_yaml, name + ".yaml");
  ASSERT_TRUE(loaded.ok());
  machine = machine_screen_rect(loaded.model, 0, 0, kWidth, kHeight);
  ASSERT_GT(machine.width(), 20.0);
  ASSERT_GT(machine.height(), 20.0);
  ASSERT_GE(machine.x0, 0.0);
  ASSERT_LE(machine.x1, kWidth);
}

TEST(Viewer, ScreenshotShowsDownMachineInRed) {
  if (std::getenv("DISPLAY") == nullptr) GTEST_SKIP() << "no DISPLAY (run under xvfb-run)";
  if (!twin_has_viewer()) GTEST_SKIP() << kTwin << " has no view command";
  Image image;
  Rect machine;
  screenshot("viewer_down", kDownScene, 200.0, image, machine);
  if (HasFatalFailure()) return;
  EXPECT_GE(share_inside(image, machine, reddish), 0.6)
      << "machine drawn at x " << machine.x0 << ".." << machine.x1 << ", y " << machine.y0 << ".."
      << machine.y1;
  // The down colour is the one the viewer says it uses.
  EXPECT_TRUE(reddish(mode_color(Mode::kDown)));
}

TEST(Viewer, ScreenshotShowsBusyMachineInGreen) {
  if (std::getenv("DISPLAY") == nullptr) GTEST_SKIP() << "no DISPLAY (run under xvfb-run)";
  if (!twin_has_viewer()) GTEST_SKIP() << kTwin << " has no view command";
  Image image;
  Rect machine;
  screenshot("viewer_busy", kBusyScene, 200.0, image, machine);
  if (HasFatalFailure()) return;
  EXPECT_LE(share_inside(image, machine, reddish), 0.01);
  EXPECT_GE(share_inside(image, machine, greenish), 0.6);
}

// With a recording, each machine shows the recorded mode above the twin's: the press's
// bearing failed in the recording (down from 180 s for 30 min), the twin's press has no
// failures and stays busy.
TEST(Viewer, ScreenshotWithRecordingShowsRealDownAboveTwinBusy) {
  if (std::getenv("DISPLAY") == nullptr) GTEST_SKIP() << "no DISPLAY (run under xvfb-run)";
  if (!twin_has_viewer()) GTEST_SKIP() << kTwin << " has no view command";
  const std::string scene = write_file("viewer_rec.yaml", kBusyScene);
  const std::string faults = write_file("viewer_rec_faults.yaml",
                                        "faults:\n  - {machine: press, kind: bearing_wear, at: "
                                        "180s, precursor: 60s, repair: 30min}\n");
  const std::string mcap = testing::TempDir() + "viewer_rec.mcap";
  const std::string png = testing::TempDir() + "viewer_rec.png";
  std::remove(png.c_str());
  ASSERT_EQ(
      run(kTwin + " generate " + scene + " --faults " + faults + " --hours 0.2 -q -o " + mcap), 0);
  const std::string command = kTwin + " view " + scene + " " + mcap + " --screenshot " + png +
                              " --at 400 --size " + std::to_string(kWidth) + "x" +
                              std::to_string(kHeight);
  ASSERT_EQ(run(command), 0) << command;
  Image image;
  std::string error;
  ASSERT_TRUE(load_png(png, image, error)) << error;
  SceneLoadResult loaded = load_scene_text(kBusyScene, "viewer_rec.yaml");
  ASSERT_TRUE(loaded.ok());
  const Rect machine = machine_screen_rect(loaded.model, 0, 0, kWidth, kHeight);
  Rect real = machine, twin = machine;
  real.y1 = machine.y0 + machine.height() * 0.6;
  twin.y0 = real.y1;
  EXPECT_GE(share_inside(image, real, reddish), 0.6) << "the recorded press is down";
  EXPECT_GE(share_inside(image, twin, greenish), 0.6) << "the twin's press is busy";
  EXPECT_LE(share_inside(image, twin, reddish), 0.01);
}

// Screenshots need no display (an EGL context of their own); the window does.
TEST(Viewer, ScreenshotWithoutADisplayAndWindowNeedsOne) {
  if (!twin_has_viewer()) GTEST_SKIP() << kTwin << " has no view command";
  const std::string scene = write_file("viewer_nodisplay.yaml", kDownScene);
  const std::string png = testing::TempDir() + "viewer_nodisplay.png";
  std::remove(png.c_str());
  ASSERT_EQ(run("env -u DISPLAY -u WAYLAND_DISPLAY " + kTwin + " view " + scene + " --screenshot " +
                png + " --at 200 --size " + std::to_string(kWidth) + "x" + std::to_string(kHeight)),
            0);
  Image image;
  std::string error;
  ASSERT_TRUE(load_png(png, image, error)) << error;
  SceneLoadResult loaded = load_scene_text(kDownScene, "viewer_nodisplay.yaml");
  ASSERT_TRUE(loaded.ok());
  EXPECT_GE(share_inside(image, machine_screen_rect(loaded.model, 0, 0, kWidth, kHeight), reddish),
            0.6);
  EXPECT_EQ(run("env -u DISPLAY -u WAYLAND_DISPLAY " + kTwin + " view " + scene + " 2>/dev/null"),
            4);
}

// Two stations, the second twice as slow: it is the line's bottleneck.
const char* kBottleneckScene = R"(
name: bottleneck test
sources:
  - name: stock
buffers:
  - name: between
    capacity: 3
sinks:
  - name: done
stations:
  - name: fast
    input: stock
    output: between
    cycle_time: 5
  - name: slow
    input: between
    output: done
    cycle_time: 10
)";

// The bottleneck's frame is drawn in the bottleneck colour, the other station's is not.
TEST(Viewer, ScreenshotHighlightsTheBottleneck) {
  if (std::getenv("DISPLAY") == nullptr) GTEST_SKIP() << "no DISPLAY (run under xvfb-run)";
  if (!twin_has_viewer()) GTEST_SKIP() << kTwin << " has no view command";
  const std::string scene = write_file("viewer_bn.yaml", kBottleneckScene);
  const std::string png = testing::TempDir() + "viewer_bn.png";
  std::remove(png.c_str());
  ASSERT_EQ(run(kTwin + " view " + scene + " --screenshot " + png + " --at 3600 --size " +
                std::to_string(kWidth) + "x" + std::to_string(kHeight)),
            0);
  Image image;
  std::string error;
  ASSERT_TRUE(load_png(png, image, error)) << error;
  SceneLoadResult loaded = load_scene_text(kBottleneckScene, "viewer_bn.yaml");
  ASSERT_TRUE(loaded.ok());
  const PlanLayout plan = layout_plan(loaded.model);
  const Panes panes = pane_layout(kWidth, kHeight);
  const ViewTransform t = fit_view(plan.bounds, panes.plan);
  // The outline runs 4 px outside the station box; look at a band around it.
  auto outline_pixels = [&](int32_t station) {
    const Rect box = t.to_screen(plan.stations.at(static_cast<size_t>(station)).box);
    const Rect top{box.x0, box.y0 - 8.0, box.x1, box.y0};
    const Rect bottom{box.x0, box.y1, box.x1, box.y1 + 8.0};
    return count_color(image, top, kBottleneck, 30) + count_color(image, bottom, kBottleneck, 30);
  };
  const int32_t slow = loaded.model.find_station("slow");
  const int32_t fast = loaded.model.find_station("fast");
  EXPECT_GE(outline_pixels(slow), 40u) << "the slow station is outlined as the bottleneck";
  EXPECT_EQ(outline_pixels(fast), 0u);
}

// With a recording and a selected machine, the tag plots show the measured series and the
// twin's estimate; without a selection, neither.
TEST(Viewer, ScreenshotPlotsTheSelectedMachinesMeasuredAndEstimatedTags) {
  if (std::getenv("DISPLAY") == nullptr) GTEST_SKIP() << "no DISPLAY (run under xvfb-run)";
  if (!twin_has_viewer()) GTEST_SKIP() << kTwin << " has no view command";
  const std::string scene = std::string(TWIN_SOURCE_DIR) + "/scenes/machining20.yaml";
  const std::string faults = write_file("viewer_plot_faults.yaml",
                                        "faults:\n  - {machine: Mill_OP40, kind: bearing_wear, at: "
                                        "40min, precursor: 30min, repair: 10min}\n");
  const std::string mcap = testing::TempDir() + "viewer_plot.mcap";
  ASSERT_EQ(run(kTwin + " generate " + scene + " --faults " + faults + " --hours 1 -q -o " + mcap),
            0);
  constexpr int kW = 1280, kH = 800;
  auto shot = [&](const std::string& name, const std::string& extra, Image& image) {
    const std::string png = testing::TempDir() + name + ".png";
    std::remove(png.c_str());
    const std::string command = kTwin + " view " + scene + " " + mcap + " --screenshot " + png +
                                " --at 3000 --size 1280x800 " + extra;
    ASSERT_EQ(run(command), 0) << command;
    std::string error;
    ASSERT_TRUE(load_png(png, image, error)) << error;
  };
  Image selected, none;
  shot("viewer_plot_selected", "--select Mill_OP40", selected);
  shot("viewer_plot_none", "", none);
  if (HasFatalFailure()) return;
  const Panes panes = pane_layout(kW, kH);
  ASSERT_FALSE(panes.plots.empty());
  const size_t measured = count_color(selected, panes.plots, kSeriesMeasured, 8);
  const size_t estimate = count_color(selected, panes.plots, kSeriesEstimate, 8);
  const size_t measured_none = count_color(none, panes.plots, kSeriesMeasured, 8);
  const size_t estimate_none = count_color(none, panes.plots, kSeriesEstimate, 8);
  EXPECT_GE(measured, 60u) << "measured series drawn";
  EXPECT_GE(estimate, 60u) << "estimate drawn";
  EXPECT_LT(measured_none, 10u);
  EXPECT_LT(estimate_none, 10u);
  // The selection does not change the plan: the same picture there apart from the outline.
  EXPECT_GE(count_color(none, panes.strips, mode_color(Mode::kBusy), 4), 1000u)
      << "the mode strips are drawn";
}

// A what-if change asked for on the command line runs and its results are shown; a bad one is a
// clear error.
TEST(Viewer, WhatIfFromTheCommandLine) {
  if (std::getenv("DISPLAY") == nullptr) GTEST_SKIP() << "no DISPLAY (run under xvfb-run)";
  if (!twin_has_viewer()) GTEST_SKIP() << kTwin << " has no view command";
  const std::string scene = write_file("viewer_whatif.yaml", kBottleneckScene);
  const std::string png = testing::TempDir() + "viewer_whatif.png";
  const std::string err = testing::TempDir() + "viewer_whatif.err";
  std::remove(png.c_str());
  EXPECT_EQ(run(kTwin + " view " + scene +
                " --whatif 'stations[slow].cycle_time=6s' --whatif-reps 4 "
                "--screenshot " +
                png + " --at 600 2>" + err),
            0);
  std::ifstream png_file(png, std::ios::binary);
  EXPECT_TRUE(png_file.good());
  EXPECT_EQ(run(kTwin + " view " + scene + " --whatif 'stations[nope].cycle_time=6s' " +
                "--screenshot " + png + " --at 600 2>" + err),
            1);
  std::ifstream in(err);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("stations[nope]"), std::string::npos) << text;
}

TEST(ViewerLayout, AutoLayoutGoesLeftToRight) {
  SceneLoadResult loaded = load_scene_text(kDownScene, "viewer_layout.yaml");
  ASSERT_TRUE(loaded.ok());
  const Model& model = loaded.model;
  const PlanLayout plan = layout_plan(model);
  EXPECT_TRUE(plan.automatic);
  const double source_x = plan.nodes[static_cast<size_t>(model.find_node("stock"))].box.center().x;
  const double sink_x = plan.nodes[static_cast<size_t>(model.find_node("done"))].box.center().x;
  const double station_x = plan.stations[0].box.center().x;
  EXPECT_LT(source_x, station_x);
  EXPECT_LT(station_x, sink_x);
  // The fitted view puts everything inside the plan pane.
  const Panes panes = pane_layout(kWidth, kHeight);
  const Rect drawn = fit_view(plan.bounds, panes.plan).to_screen(plan.bounds);
  EXPECT_GE(drawn.x0, panes.plan.x0);
  EXPECT_LE(drawn.x1, panes.plan.x1);
  EXPECT_GE(drawn.y0, panes.plan.y0);
  EXPECT_LE(drawn.y1, panes.plan.y1);
}

}  // namespace
}  // namespace twin::viewer
