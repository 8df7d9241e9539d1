// Rendering with no display: an EGL context with DISPLAY and WAYLAND_DISPLAY unset, Dear
// ImGui's OpenGL3 backend drawing a window into the offscreen framebuffer, and the PNG read
// back with the colour where the window put it.
#include "viewer/headless_gl.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>

#include <GL/gl.h>
#include <gtest/gtest.h>
#include <imgui.h>
#include <stb/stb_image.h>  // implementation in Debian's libstb

#include "tests/support/process.h"

namespace twin::viewer {
namespace {

// Unsets an environment variable for the scope and puts it back after.
class UnsetEnv {
 public:
  explicit UnsetEnv(const char* name) : name_(name) {
    if (const char* v = std::getenv(name)) saved_ = v;
    unsetenv(name);
  }
  ~UnsetEnv() {
    if (saved_) setenv(name_, saved_->c_str(), 1);
  }
  UnsetEnv(const UnsetEnv&) = delete;
  UnsetEnv& operator=(const UnsetEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> saved_;
};

constexpr int kWidth = 320, kHeight = 240;  // [px]
// The filled rectangle, in display pixels (origin top left).
constexpr float kX0 = 100.0f, kY0 = 80.0f, kX1 = 180.0f, kY1 = 140.0f;

TEST(HeadlessGl, ImGuiRendersWithNoDisplay) {
  const UnsetEnv no_x("DISPLAY");
  const UnsetEnv no_wayland("WAYLAND_DISPLAY");

  HeadlessImGui imgui;
  std::string error;
  if (!imgui.create(error)) {
    // Only where EGL has no usable driver at all (no libegl-mesa0 / swrast).
    GTEST_SKIP() << "EGL cannot create an OpenGL 3.3 core context here: " << error;
  }
  const char* version = reinterpret_cast<const char*>(glGetString(GL_VERSION));
  ASSERT_NE(version, nullptr);
  int major = 0, minor = 0;
  ASSERT_EQ(std::sscanf(version, "%d.%d", &major, &minor), 2) << version;
  EXPECT_GE(major * 10 + minor, 33) << version;
  EXPECT_NE(std::strstr(version, "Core Profile"), nullptr) << version;

  const std::string dir = test::fresh_temp_dir("headless_gl");
  const std::string png = dir + "/frame.png";
  HeadlessFrameOptions options;
  options.width = kWidth;
  options.height = kHeight;
  options.clear_b = 1.0f;  // blue background
  int frames = 0;
  const bool ok = render_imgui_png(
      options,
      [&] {
        ++frames;
        ImGui::SetNextWindowPos(ImVec2(40.0f, 40.0f));
        ImGui::SetNextWindowSize(ImVec2(200.0f, 160.0f));
        ImGui::Begin("test", nullptr, ImGuiWindowFlags_NoDecoration);
        ImGui::Text("headless");
        ImGui::GetWindowDrawList()->AddRectFilled(ImVec2(kX0, kY0), ImVec2(kX1, kY1),
                                                  IM_COL32(255, 0, 0, 255));
        ImGui::End();
      },
      png, error);
  ASSERT_TRUE(ok) << error;
  EXPECT_EQ(frames, options.frames);

  int w = 0, h = 0, channels = 0;
  unsigned char* pixels = stbi_load(png.c_str(), &w, &h, &channels, 4);
  ASSERT_NE(pixels, nullptr) << "cannot decode " << png;
  ASSERT_EQ(w, kWidth);
  ASSERT_EQ(h, kHeight);
  auto at = [&](int x, int y) {
    const unsigned char* p =
        pixels + (static_cast<size_t>(y) * static_cast<size_t>(w) + static_cast<size_t>(x)) * 4;
    return std::to_string(p[0]) + "," + std::to_string(p[1]) + "," + std::to_string(p[2]);
  };
  // PNG rows top first, as ImGui's: the rectangle where it was drawn, red; the background
  // outside the window, the clear colour; the window itself, neither.
  EXPECT_EQ(at(140, 110), "255,0,0");
  EXPECT_EQ(at(102, 138), "255,0,0");  // inside, near the corner
  EXPECT_EQ(at(10, 10), "0,0,255");
  EXPECT_EQ(at(300, 220), "0,0,255");
  EXPECT_NE(at(60, 190), "255,0,0");
  EXPECT_NE(at(60, 190), "0,0,255");
  stbi_image_free(pixels);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace
}  // namespace twin::viewer
