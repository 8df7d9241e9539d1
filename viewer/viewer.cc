// run_viewer: the GLFW window, the OpenGL 3.3 core context, Dear ImGui, and the frame loop
// (interactive or headless screenshot).
#include "viewer/viewer.h"

#include <cstdio>
#include <exception>
#include <memory>
#include <string>
#include <utility>

#include <GLFW/glfw3.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>

#include "viewer/headless_gl.h"
#include "viewer/style.h"
#include "viewer/ui.h"
#include "viewer/viewer_session.h"

namespace twin {

namespace {

std::string g_glfw_error;  // last GLFW error, for messages

void on_glfw_error(int code, const char* description) {
  g_glfw_error = std::string(description != nullptr ? description : "unknown") + " (GLFW error " +
                 std::to_string(code) + ")";
}

// A file dropped on the window (GLFW calls back during glfwPollEvents on this thread).
std::string g_dropped_path;

void on_drop(GLFWwindow* /*window*/, int count, const char** paths) {
  if (count > 0 && paths != nullptr && paths[count - 1] != nullptr)
    g_dropped_path = paths[count - 1];
}

void clear_frame(viewer::Rgba bg) {
  glClearColor(bg.r / 255.0f, bg.g / 255.0f, bg.b / 255.0f, 1.0f);
  glClear(GL_COLOR_BUFFER_BIT);
}

int run_frames(GLFWwindow* window, const Model& model, const ViewerOptions& options, float scale) {
  const viewer::Fonts fonts = viewer::load_fonts(scale);
  viewer::apply_style(scale);
  viewer::ViewerSession session(model, options, fonts, scale);
  std::string error;
  if (!session.open(error)) {
    std::fprintf(stderr, "twin view: %s\n", error.c_str());
    return kViewerExitFailure;
  }
  const viewer::Rgba bg = viewer::kPlanBackground;

  glfwSetDropCallback(window, on_drop);
  double last = glfwGetTime();
  while (glfwWindowShouldClose(window) == 0) {
    glfwPollEvents();
    if (!g_dropped_path.empty()) {
      // A recording dropped on the window is shown beside the twin from its start.
      const std::string path = std::exchange(g_dropped_path, std::string());
      if (options.live != nullptr) {
        session.ui().notice = "a live view does not open recordings";
      } else if (session.open_recording(path, error)) {
        session.ui().notice.clear();
      } else {
        session.ui().notice = error;
        std::fprintf(stderr, "twin view: %s\n", error.c_str());
      }
    }
    const double now = glfwGetTime();
    session.tick(now - last);
    last = now;

    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplGlfw_NewFrame();
    ImGui::NewFrame();
    session.draw(ImGui::GetIO().DisplaySize.x, ImGui::GetIO().DisplaySize.y, /*keys=*/true);
    ImGui::Render();
    int fb_w = 0, fb_h = 0;
    glfwGetFramebufferSize(window, &fb_w, &fb_h);
    glViewport(0, 0, fb_w, fb_h);
    clear_frame(bg);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
    glfwSwapBuffers(window);
  }
  return 0;
}

// A screenshot: no window and no display needed (an EGL context of its own, Mesa's
// surfaceless platform when there is no GPU), the frames drawn offscreen into the PNG.
int run_headless(const Model& model, const ViewerOptions& options) {
  viewer::HeadlessImGui context;
  std::string error;
  if (!context.create(error)) {
    std::fprintf(stderr, "twin view: cannot create an OpenGL 3.3 context without a window: %s\n",
                 error.c_str());
    return kViewerExitNoDisplay;
  }
  const float scale = options.ui_scale > 0.0 ? static_cast<float>(options.ui_scale) : 1.0f;
  const viewer::Fonts fonts = viewer::load_fonts(scale);
  viewer::apply_style(scale);
  viewer::ViewerSession session(model, options, fonts, scale);
  if (!session.open(error) || !session.prepare_screenshot(error)) {
    std::fprintf(stderr, "twin view: %s\n", error.c_str());
    return kViewerExitFailure;
  }
  viewer::HeadlessFrameOptions frame;
  frame.width = options.width;
  frame.height = options.height;
  const viewer::Rgba bg = viewer::kPlanBackground;
  frame.clear_r = bg.r / 255.0f;
  frame.clear_g = bg.g / 255.0f;
  frame.clear_b = bg.b / 255.0f;
  const bool ok = viewer::render_imgui_png(
      frame, [&] { session.draw(options.width, options.height, /*keys=*/false); },
      options.screenshot_png, error);
  if (!ok) {
    std::fprintf(stderr, "twin view: %s\n", error.c_str());
    return kViewerExitFailure;
  }
  return 0;
}

}  // namespace

int run_viewer(const Model& model, const ViewerOptions& options) {
  if (!options.screenshot_png.empty()) {
    try {
      return run_headless(model, options);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "twin view: %s\n", e.what());
      return kViewerExitFailure;
    }
  }
  glfwSetErrorCallback(on_glfw_error);
  if (glfwInit() == GLFW_FALSE) {
    std::fprintf(stderr, "twin view: no display (set DISPLAY or use xvfb-run)\n");
    return kViewerExitNoDisplay;
  }
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
  glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
  glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
  glfwWindowHint(GLFW_RESIZABLE, GLFW_TRUE);
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
  glfwSwapInterval(1);

  // HiDPI: scale fonts and sizes by the monitor's content scale (1 under Xvfb and for
  // screenshots, so they look the same everywhere).
  float scale = 1.0f;
  if (options.ui_scale > 0.0) {
    scale = static_cast<float>(options.ui_scale);
  } else {
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
