// Rendering with no display at all: an OpenGL 3.3 core context from EGL (Mesa's surfaceless
// platform, so neither X nor Wayland is needed), and Dear ImGui frames drawn into an offscreen
// framebuffer and written to a PNG. For screenshots on servers and in CI without Xvfb.
#pragma once

#include <functional>
#include <string>

namespace twin::viewer {

// An OpenGL 3.3 core context made current on this thread with no surface: drawing goes to a
// framebuffer object (OffscreenTarget). Displays are tried in order: Mesa's surfaceless
// platform, the first EGL device (EGL_EXT_platform_device), then the default display.
class HeadlessGlContext {
 public:
  HeadlessGlContext() = default;
  HeadlessGlContext(const HeadlessGlContext&) = delete;
  HeadlessGlContext& operator=(const HeadlessGlContext&) = delete;
  ~HeadlessGlContext();  // releases and destroys the context

  // Creates the context and makes it current; false with `error` (every display tried, and why
  // each failed) when EGL cannot give a 3.3 core context here.
  bool create(std::string& error);
  bool current() const { return context_ != nullptr; }
  // Which display gave the context: "surfaceless", "device" or "default".
  const std::string& platform() const { return platform_; }

 private:
  void* display_ = nullptr;  // EGLDisplay
  void* context_ = nullptr;  // EGLContext
  std::string platform_;
};

// A HeadlessGlContext with a Dear ImGui context and ImGui's OpenGL3 backend on it (no platform
// backend: render_imgui_png sets the display size and time step itself). Fonts may be added to
// ImGui::GetIO().Fonts after create(); the backend builds the atlas on the first frame.
class HeadlessImGui {
 public:
  HeadlessImGui() = default;
  HeadlessImGui(const HeadlessImGui&) = delete;
  HeadlessImGui& operator=(const HeadlessImGui&) = delete;
  ~HeadlessImGui();  // shuts the backend down and destroys the ImGui context, then the GL one

  bool create(std::string& error);
  const HeadlessGlContext& gl() const { return gl_; }

 private:
  HeadlessGlContext gl_;
  bool imgui_ = false;
};

struct HeadlessFrameOptions {
  int width = 1280, height = 800;     // [px] display size and PNG size
  int frames = 3;                     // frames run; ImGui needs a few to measure windows
  float delta_time_s = 1.0f / 60.0f;  // [s] io.DeltaTime of each frame
  float clear_r = 0.0f, clear_g = 0.0f, clear_b = 0.0f;  // background, 0..1
};

// Runs `options.frames` ImGui frames, calling `draw` inside each (between NewFrame and Render),
// renders them into an offscreen framebuffer of width x height and writes the last one to
// `png_path`. Needs a current OpenGL 3.3 context, an ImGui context and ImGui_ImplOpenGL3_Init
// (HeadlessImGui gives all three). False with `error` on failure.
bool render_imgui_png(const HeadlessFrameOptions& options, const std::function<void()>& draw,
                      const std::string& png_path, std::string& error);

}  // namespace twin::viewer
