// Frame time of the viewer: the whole frame (clock tick, every pane's ImGui windows, the 3D
// view when shown, rendering, glFinish) at 1280x800 on whatever OpenGL the machine has (Mesa's
// llvmpipe under Xvfb in CI: a software renderer, so these are the slow case). Needs a display
// (scripts/bench.sh runs it under xvfb-run); skipped with a message otherwise.
//
//   xvfb-run -a -s "-screen 0 1280x800x24" ./build/twin_bench --benchmark_filter=Viewer
//
// The counter `fps` is frames per second of wall time (target: 60 with 250 machines).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include <GLFW/glfw3.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>

#include "core/scene/load.h"
#include "models/plant/plant_simulator.h"
#include "replay/telemetry_writer.h"
#include "viewer/style.h"
#include "viewer/viewer_session.h"

namespace twin {
namespace {

constexpr int kWidth = 1280, kHeight = 800;

// A hidden window with an OpenGL 3.3 core context and Dear ImGui on it, for the whole run.
struct GlWindow {
  GLFWwindow* window = nullptr;
  std::string renderer;
  bool ok = false;
  GlWindow() {
    if (std::getenv("DISPLAY") == nullptr || glfwInit() == GLFW_FALSE) return;
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
    glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
    glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
    glfwWindowHint(GLFW_VISIBLE, GLFW_FALSE);
    window = glfwCreateWindow(kWidth, kHeight, "twin viewer bench", nullptr, nullptr);
    if (window == nullptr) return;
    glfwMakeContextCurrent(window);
    glfwSwapInterval(0);
    const auto* r = reinterpret_cast<const char*>(glGetString(GL_RENDERER));
    renderer = r != nullptr ? r : "?";
    ok = true;
  }
  ~GlWindow() {
    if (window != nullptr) glfwDestroyWindow(window);
    glfwTerminate();
  }
};

GlWindow& gl_window() {
  static GlWindow w;
  return w;
}

// A generated 8-hour shift of machining20 (the sample faults), made once per run.
const std::string& machining20_recording() {
  static const std::string path = [] {
    const std::string out = std::string(TWIN_BINARY_DIR) + "/bench_data/viewer_machining20.mcap";
    std::system(("mkdir -p " + std::string(TWIN_BINARY_DIR) + "/bench_data").c_str());
    const std::string command = std::string(TWIN_BINARY_DIR) + "/twin generate " + TWIN_SOURCE_DIR +
                                "/scenes/machining20.yaml --faults " + TWIN_SOURCE_DIR +
                                "/scenes/faults/machining20.yaml --hours 8 --seed 1 -q -o " + out;
    if (std::system(command.c_str()) != 0)
      std::fprintf(stderr, "cannot run: %s\n", command.c_str());
    return out;
  }();
  return path;
}

void frames(benchmark::State& state, const char* scene_name, bool with_recording, bool view_3d) {
  GlWindow& w = gl_window();
  if (!w.ok) {
    state.SkipWithError("no display or OpenGL 3.3 context (run under xvfb-run)");
    return;
  }
  const SceneLoadResult scene =
      load_scene_file(std::string(TWIN_SOURCE_DIR) + "/scenes/" + scene_name);
  if (!scene.ok()) {
    state.SkipWithError("cannot load the scene");
    return;
  }
  ViewerOptions options;
  options.seed = scene.model.seed;
  options.speed = 60.0;
  options.view_3d = view_3d;
  options.scene = &scene.scene;
  if (with_recording) options.recording = machining20_recording();

  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGui::GetIO().IniFilename = nullptr;
  ImGui_ImplGlfw_InitForOpenGL(w.window, false);
  ImGui_ImplOpenGL3_Init("#version 330");
  {
    const viewer::Fonts fonts = viewer::load_fonts(1.0f);
    viewer::apply_style(1.0f);
    viewer::ViewerSession session(scene.model, options, fonts, 1.0f);
    std::string error;
    if (!session.open(error)) {
      state.SkipWithError(error.c_str());
    } else {
      // The first machine selected: its tag plots are part of the frame.
      session.ui().selected_machine = 0;
      session.playback().jump(4 * 3600.0);
      session.playback().set_playing(true);
      int vertices = 0;  // ImGui vertices of the last frame (what the renderer transforms)
      auto one_frame = [&] {
        session.tick(1.0 / 60.0);
        ImGui_ImplOpenGL3_NewFrame();
        ImGui_ImplGlfw_NewFrame();
        ImGui::NewFrame();
        session.draw(kWidth, kHeight, /*keys=*/false);
        ImGui::Render();
        vertices = ImGui::GetDrawData()->TotalVtxCount;
        glViewport(0, 0, kWidth, kHeight);
        glClear(GL_COLOR_BUFFER_BIT);
        ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
        glFinish();
      };
      for (int i = 0; i < 5; ++i) one_frame();  // ImGui measures its windows, caches fill
      for (auto _ : state) one_frame();
      state.counters["fps"] =
          benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
      state.counters["machines"] = scene.model.machine_count();
      state.counters["vertices"] = vertices;
      state.SetLabel(w.renderer);
    }
  }
  ImGui_ImplOpenGL3_Shutdown();
  ImGui_ImplGlfw_Shutdown();
  ImGui::DestroyContext();
}

void BM_ViewerFrame_Machining20_Plan(benchmark::State& s) {
  frames(s, "machining20.yaml", false, false);
}
void BM_ViewerFrame_Machining20_Plan_Recording(benchmark::State& s) {
  frames(s, "machining20.yaml", true, false);
}
void BM_ViewerFrame_Machining20_3D(benchmark::State& s) {
  frames(s, "machining20.yaml", false, true);
}
void BM_ViewerFrame_Plant250_Plan(benchmark::State& s) {
  frames(s, "plant250.yaml", false, false);
}
void BM_ViewerFrame_Plant250_3D(benchmark::State& s) {
  frames(s, "plant250.yaml", false, true);
}

BENCHMARK(BM_ViewerFrame_Machining20_Plan)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ViewerFrame_Machining20_Plan_Recording)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ViewerFrame_Machining20_3D)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ViewerFrame_Plant250_Plan)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ViewerFrame_Plant250_3D)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace twin
