// run_viewer: the GLFW window, the OpenGL 3.3 core context, Dear ImGui, and the frame loop
// (interactive or headless screenshot).
#include "viewer/viewer.h"

#include <sys/stat.h>
#include <cstdio>
#include <exception>
#include <memory>
#include <string>

#include <GLFW/glfw3.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>

#include "viewer/layout.h"
#include "viewer/playback.h"
#include "viewer/recording_source.h"
#include "viewer/screenshot.h"
#include "viewer/ui.h"
#include "viewer/view_frame.h"

namespace twin {

namespace {

using viewer::Playback;
using viewer::UiState;

std::string g_glfw_error;  // last GLFW error, for messages

void on_glfw_error(int code, const char* description) {
  g_glfw_error = std::string(description != nullptr ? description : "unknown") + " (GLFW error " +
                 std::to_string(code) + ")";
}

bool file_exists(const char* path) {
  struct stat st {};
  return stat(path, &st) == 0;
}

// DejaVu Sans from Debian's fonts-dejavu-core when present, else ImGui's built-in font.
viewer::Fonts load_fonts(float scale) {
  ImGuiIO& io = ImGui::GetIO();
  constexpr const char* kRegular = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
  constexpr const char* kBold = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf";
  viewer::Fonts f;
  if (file_exists(kRegular)) {
    f.regular = io.Fonts->AddFontFromFileTTF(kRegular, 15.0f * scale);
    f.small = io.Fonts->AddFontFromFileTTF(kRegular, 13.0f * scale);
    f.large = io.Fonts->AddFontFromFileTTF(kRegular, 24.0f * scale);
    f.bold = file_exists(kBold) ? io.Fonts->AddFontFromFileTTF(kBold, 15.0f * scale) : f.regular;
  }
  if (f.regular == nullptr) {
    ImFontConfig config;
    config.SizePixels = 13.0f * scale;
    f.regular = io.Fonts->AddFontDefault(&config);
    f.small = f.bold = f.large = f.regular;
  }
  return f;
}

void apply_style(float scale) {
  ImGui::StyleColorsDark();
  ImGuiStyle& style = ImGui::GetStyle();
  style.WindowPadding = {14.0f, 12.0f};
  style.FramePadding = {8.0f, 4.0f};
  style.ItemSpacing = {8.0f, 6.0f};
  style.CellPadding = {6.0f, 3.0f};
  style.FrameRounding = 4.0f;
  style.GrabRounding = 4.0f;
  style.WindowBorderSize = 0.0f;
  ImVec4* c = style.Colors;
  c[ImGuiCol_WindowBg] = {0.105f, 0.118f, 0.137f, 1.0f};
  c[ImGuiCol_Separator] = {0.25f, 0.28f, 0.32f, 1.0f};
  c[ImGuiCol_Button] = {0.20f, 0.24f, 0.30f, 1.0f};
  c[ImGuiCol_ButtonHovered] = {0.26f, 0.34f, 0.45f, 1.0f};
  c[ImGuiCol_ButtonActive] = {0.22f, 0.45f, 0.72f, 1.0f};
  c[ImGuiCol_FrameBg] = {0.16f, 0.18f, 0.22f, 1.0f};
  c[ImGuiCol_TableHeaderBg] = {0.16f, 0.18f, 0.22f, 1.0f};
  c[ImGuiCol_TableRowBgAlt] = {1.0f, 1.0f, 1.0f, 0.03f};
  c[ImGuiCol_PlotHistogram] = {0.30f, 0.62f, 0.90f, 1.0f};
  style.ScaleAllSizes(scale);
}

void draw_frame(UiState& ui, Playback& playback, double width, double height) {
  const viewer::Panes panes = viewer::pane_layout(width, height, ui.scale);
  ui.hovered_station = ui.hover_next;
  ui.hover_next = -1;
  viewer::draw_plan(panes.plan, ui, playback);
  viewer::draw_panel(panes.panel, ui, playback);
}

// Keyboard shortcuts: space plays or pauses, F fits the view.
void handle_keys(UiState& ui, Playback& playback) {
  if (ImGui::GetIO().WantTextInput) return;
  if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Space), false))
    playback.set_playing(!playback.playing());
  if (ImGui::IsKeyPressed(GLFW_KEY_F, false)) ui.view = viewer::ViewState{};
}

int run_frames(GLFWwindow* window, const Model& model, const ViewerOptions& options, float scale) {
  const bool headless = !options.screenshot_png.empty();
  UiState ui;
  ui.plan = viewer::layout_plan(model);
  ui.scale = scale;
  ui.fonts = load_fonts(scale);
  apply_style(scale);

  // A recording: its real side is shown beside the twin's run, on the twin's clock.
  std::unique_ptr<viewer::RecordingSource> recording;
  viewer::ViewFrame view_frame;
  double horizon_s = options.hours * 3600.0;
  if (!options.recording.empty()) {
    recording = std::make_unique<viewer::RecordingSource>(model);
    std::string error;
    if (!recording->open(options.recording, viewer::RecordingOptions(), &error)) {
      std::fprintf(stderr, "twin view: cannot read %s: %s\n", options.recording.c_str(),
                   error.c_str());
      return kViewerExitFailure;
    }
    horizon_s = recording->duration_s();
  }
  // The real side is refilled (a seek, a mirror copy for the KPIs) only when the clock moved:
  // a paused view costs nothing per frame.
  double real_clock_s = -1.0;
  auto sync_real = [&](double clock_s) {
    if (!recording || clock_s == real_clock_s) return;
    real_clock_s = clock_s;
    recording->seek(clock_s);
    viewer::fill_real_side(model, recording->mirror(), recording->mirror().state().now_ns,
                           view_frame);
    ui.real = &view_frame.real;
  };

  Playback playback(model, horizon_s, options.seed);
  playback.set_speed(options.speed);
  const viewer::Rgba bg = viewer::kPlanBackground;

  if (headless) {
    playback.seek(options.screenshot_at_s);
    sync_real(playback.clock());
    int fb_w = 0, fb_h = 0;
    glfwGetFramebufferSize(window, &fb_w, &fb_h);
    viewer::OffscreenTarget target;
    std::string error;
    if (!target.create(fb_w, fb_h, error)) {
      std::fprintf(stderr, "twin view: %s\n", error.c_str());
      return kViewerExitFailure;
    }
    // A few frames so that ImGui has measured its windows and tables.
    constexpr int kFrames = 3;
    for (int frame = 0; frame < kFrames; ++frame) {
      glfwPollEvents();
      ImGui_ImplOpenGL3_NewFrame();
      ImGui_ImplGlfw_NewFrame();
      ImGui::NewFrame();
      draw_frame(ui, playback, ImGui::GetIO().DisplaySize.x, ImGui::GetIO().DisplaySize.y);
      ImGui::Render();
      target.bind();
      glClearColor(bg.r / 255.0f, bg.g / 255.0f, bg.b / 255.0f, 1.0f);
      glClear(GL_COLOR_BUFFER_BIT);
      ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
    }
    glFinish();
    const bool ok = viewer::write_framebuffer_png(fb_w, fb_h, options.screenshot_png, error);
    viewer::OffscreenTarget::unbind();
    if (!ok) {
      std::fprintf(stderr, "twin view: %s\n", error.c_str());
      return kViewerExitFailure;
    }
    return 0;
  }

  playback.set_playing(true);
  double last = glfwGetTime();
  while (glfwWindowShouldClose(window) == 0) {
    glfwPollEvents();
    const double now = glfwGetTime();
    playback.tick(now - last);
    last = now;
    sync_real(playback.clock());

    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplGlfw_NewFrame();
    ImGui::NewFrame();
    handle_keys(ui, playback);
    draw_frame(ui, playback, ImGui::GetIO().DisplaySize.x, ImGui::GetIO().DisplaySize.y);
    ImGui::Render();
    int fb_w = 0, fb_h = 0;
    glfwGetFramebufferSize(window, &fb_w, &fb_h);
    glViewport(0, 0, fb_w, fb_h);
    glClearColor(bg.r / 255.0f, bg.g / 255.0f, bg.b / 255.0f, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
    glfwSwapBuffers(window);
  }
  return 0;
}

}  // namespace

int run_viewer(const Model& model, const ViewerOptions& options) {
  const bool headless = !options.screenshot_png.empty();
  glfwSetErrorCallback(on_glfw_error);
  if (glfwInit() == GLFW_FALSE) {
    std::fprintf(stderr, "twin view: no display (set DISPLAY or use xvfb-run)\n");
    return kViewerExitNoDisplay;
  }
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
  glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
  glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
  glfwWindowHint(GLFW_VISIBLE, headless ? GLFW_FALSE : GLFW_TRUE);
  glfwWindowHint(GLFW_RESIZABLE, headless ? GLFW_FALSE : GLFW_TRUE);
  const std::string title = "twin view - " + (model.name.empty() ? model.source_file : model.name);
  GLFWwindow* window =
      glfwCreateWindow(options.width, options.height, title.c_str(), nullptr, nullptr);
  if (window == nullptr) {
    std::fprintf(stderr, "twin view: cannot create an OpenGL 3.3 core context: %s\n",
                 g_glfw_error.c_str());
    glfwTerminate();
    return kViewerExitNoDisplay;
  }
  glfwMakeContextCurrent(window);
  glfwSwapInterval(headless ? 0 : 1);

  // HiDPI: scale fonts and sizes by the monitor's content scale (1 under Xvfb and for
  // screenshots, so they look the same everywhere).
  float scale = 1.0f;
  if (!headless) {
    float sx = 1.0f, sy = 1.0f;
    glfwGetWindowContentScale(window, &sx, &sy);
    if (sx >= 1.0f && sx <= 4.0f) scale = sx;
  }

  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGui::GetIO().IniFilename = nullptr;  // fixed panes; nothing to remember between runs
  ImGui_ImplGlfw_InitForOpenGL(window, true);
  ImGui_ImplOpenGL3_Init("#version 330");

  int code = 0;
  try {
    code = run_frames(window, model, options, scale);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "twin view: %s\n", e.what());
    code = kViewerExitFailure;
  }

  ImGui_ImplOpenGL3_Shutdown();
  ImGui_ImplGlfw_Shutdown();
  ImGui::DestroyContext();
  glfwDestroyWindow(window);
  glfwTerminate();
  return code;
}

}  // namespace twin
