// `twin view SCENE --mqtt`: the viewer on a live plant. A plant simulator publishes as a
// Sparkplug B edge node (`twin edge`) through a real mosquitto broker; the viewer follows it on
// the source's clock and writes its screenshot once the live clock reaches --at. The plan then
// shows each machine's live (real) mode above the twin's, where before any data the upper part
// is "no data".
#ifdef TWIN_WITH_NETWORK

#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/scene/load.h"
#include "tests/support/mosquitto_broker.h"
#include "tests/support/png_image.h"
#include "tests/support/process.h"
#include "viewer/colors.h"
#include "viewer/layout.h"

namespace twin::viewer {
namespace {

using namespace std::chrono_literals;

const std::string kTwin = std::string(TWIN_BINARY_DIR) + "/twin";
const std::string kSource = TWIN_SOURCE_DIR;

bool known_mode_color(Rgba c) {
  for (Mode m : {Mode::kBusy, Mode::kStarved, Mode::kBlocked, Mode::kDown, Mode::kSetup}) {
    const Rgba k = mode_color(m);
    if (std::abs(c.r - k.r) <= 6 && std::abs(c.g - k.g) <= 6 && std::abs(c.b - k.b) <= 6)
      return true;
  }
  return false;
}

TEST(ViewLive, FollowsALivePlantOverMqtt) {
  if (std::getenv("DISPLAY") == nullptr) GTEST_SKIP() << "no DISPLAY (run under xvfb-run)";
  if (std::string why = test::MosquittoBroker::unavailable(); !why.empty()) GTEST_SKIP() << why;
  const std::string dir = test::fresh_temp_dir("view_live");
  test::MosquittoBroker broker(dir + "/broker", /*persistence=*/false);
  ASSERT_TRUE(broker.start()) << broker.log();
  const std::string mqtt = "127.0.0.1:" + std::to_string(broker.port());
  const std::string png = dir + "/live.png";
  constexpr int kW = 1280, kH = 800;

  // The viewer first (it waits for data), then the plant: 15 min of shift at 100x.
  test::ChildProcess view;
  ASSERT_TRUE(view.start(
      {kTwin, "view", "scenes/bottling.yaml", "--mqtt", mqtt, "--clock", "source", "--screenshot",
       png, "--at", "600", "--live-wait", "60", "--select", "Filler", "--size", "1280x800"},
      kSource, dir + "/view.out", dir + "/view.err"));
  std::this_thread::sleep_for(500ms);
  test::ChildProcess edge;
  ASSERT_TRUE(edge.start({kTwin, "edge", "scenes/bottling.yaml", "--mqtt", mqtt, "--hours", "0.25",
                          "--speed", "100", "--clean", "-q"},
                         kSource, dir + "/edge.out", dir + "/edge.err"));
  ASSERT_EQ(view.wait(90s), 0) << test::read_file(dir + "/view.err");
  edge.stop(SIGTERM);

  test::Image image;
  std::string error;
  ASSERT_TRUE(test::load_png(png, image, error)) << error;
  ASSERT_EQ(image.width, kW);
  SceneLoadResult scene = load_scene_file(kSource + "/scenes/bottling.yaml");
  ASSERT_TRUE(scene.ok());
  // Every machine's upper (real) part shows a mode colour: live data reached the viewer.
  size_t machines = 0;
  for (uint32_t s = 0; s < scene.model.stations.size(); ++s) {
    for (uint32_t k = 0; k < scene.model.stations[s].machine_count; ++k) {
      Rect real = machine_screen_rect(scene.model, s, k, kW, kH);
      real.y1 = real.y0 + real.height() * 0.6;
      const Rect inner{real.x0 + real.width() * 0.2, real.y0 + real.height() * 0.2,
                       real.x1 - real.width() * 0.2, real.y1 - real.height() * 0.2};
      size_t known = 0, total = 0;
      for (int y = static_cast<int>(inner.y0); y < static_cast<int>(inner.y1); ++y) {
        for (int x = static_cast<int>(inner.x0); x < static_cast<int>(inner.x1); ++x) {
          ++total;
          if (known_mode_color(image.at(x, y))) ++known;
        }
      }
      EXPECT_GT(known, total / 2) << scene.model.stations[s].name << " #" << k
                                  << " shows no live mode";
      ++machines;
    }
  }
  EXPECT_GE(machines, 3u);
  // Filler's tags are plotted from the live stream (the measured series is drawn).
  const Panes panes = pane_layout(kW, kH);
  EXPECT_GE(test::count_color(image, panes.plots, kSeriesMeasured, 8), 30u);
}

}  // namespace
}  // namespace twin::viewer

#endif  // TWIN_WITH_NETWORK
