// run_viewer: the GLFW window, the OpenGL 3.3 core context, Dear ImGui, and the frame loop
// (interactive or headless screenshot).
#include "viewer/viewer.h"

#include <sys/stat.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <GLFW/glfw3.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>

#include "core/live/state_hub.h"
#include "viewer/layout.h"
#include "viewer/playback.h"
#include "viewer/recording_source.h"
#include "viewer/screenshot.h"
#include "viewer/shift_timeline.h"
#include "viewer/shortcuts.h"
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

void draw_frame(UiState& ui, Playback& playback, viewer::ViewFrame& frame, double width,
                double height) {
  const viewer::Panes panes = viewer::pane_layout(width, height, ui.scale);
  viewer::fill_twin_side(playback.model(), playback.state(), playback.clock(), playback.kpis(),
                         frame);
  ui.frame = &frame;
  ui.hovered_station = ui.hover_next;
  ui.hover_next = -1;
  viewer::draw_plan(panes.plan, ui, playback);
  viewer::draw_panel(panes.panel, ui, playback);
  if (!panes.strips.empty()) viewer::draw_mode_strips(panes.strips, ui, playback);
  if (!panes.plots.empty()) viewer::draw_tag_plots(panes.plots, ui, playback);
  viewer::draw_help(ui);
}

// Commands the panes sent this frame.
void apply_commands(UiState& ui, Playback& playback) {
  if (ui.jump_to_s >= 0.0) {
    playback.jump(ui.jump_to_s);
    ui.jump_to_s = -1.0;
  }
}

// Keyboard shortcuts (viewer/shortcuts.h). Moves of the clock go through the same command as
// the panes' (jump_to_s); a live source ignores them.
void handle_keys(UiState& ui, Playback& playback) {
  const ImGuiIO& io = ImGui::GetIO();
  if (io.WantTextInput) return;
  auto pressed = [](int key) { return ImGui::IsKeyPressed(key, true); };
  auto pressed_once = [](int key) { return ImGui::IsKeyPressed(key, false); };
  if (pressed_once(GLFW_KEY_H) || pressed_once(GLFW_KEY_F1)) ui.show_help = !ui.show_help;
  if (pressed_once(ImGui::GetKeyIndex(ImGuiKey_Escape))) ui.show_help = false;
  if (pressed_once(GLFW_KEY_F)) ui.view = viewer::ViewState{};
  if (pressed_once(GLFW_KEY_3)) ui.view_3d = !ui.view_3d;
  const int32_t nm = static_cast<int32_t>(playback.model().machine_count());
  if (nm > 0 && pressed(ImGui::GetKeyIndex(ImGuiKey_DownArrow)))
    ui.selected_machine = ui.selected_machine < 0 ? 0 : (ui.selected_machine + 1) % nm;
  if (nm > 0 && pressed(ImGui::GetKeyIndex(ImGuiKey_UpArrow)))
    ui.selected_machine = ui.selected_machine <= 0 ? nm - 1 : ui.selected_machine - 1;
  if (ui.live) return;
  if (pressed_once(ImGui::GetKeyIndex(ImGuiKey_Space))) playback.set_playing(!playback.playing());
  const double step = viewer::kStepS * (io.KeyShift ? 10.0 : 1.0);
  if (pressed(ImGui::GetKeyIndex(ImGuiKey_RightArrow))) ui.jump_to_s = playback.clock() + step;
  if (pressed(ImGui::GetKeyIndex(ImGuiKey_LeftArrow)))
    ui.jump_to_s = std::max(playback.clock() - step, 0.0);
  if (pressed_once(ImGui::GetKeyIndex(ImGuiKey_Home))) ui.jump_to_s = 0.0;
  if (pressed(GLFW_KEY_LEFT_BRACKET)) playback.set_speed(playback.speed() / 2.0);
  if (pressed(GLFW_KEY_RIGHT_BRACKET)) playback.set_speed(playback.speed() * 2.0);
}

int run_frames(GLFWwindow* window, const Model& model, const ViewerOptions& options, float scale) {
  const bool headless = !options.screenshot_png.empty();
  UiState ui;
  ui.plan = viewer::layout_plan(model);
  ui.scale = scale;
  ui.fonts = load_fonts(scale);
  apply_style(scale);

  // The what-if tab: scene edits run in the background (it owns its worker thread).
  viewer::WhatIfPanelState whatif;
  if (options.scene != nullptr) {
    ui.whatif = &whatif;
    ui.whatif_context.scene = options.scene;
    ui.whatif_context.scene_path = model.source_file;
    ui.whatif_context.model = &model;
    ui.whatif_context.seed = options.seed;
    ui.whatif_context.fonts = &ui.fonts;
    ui.whatif_context.scale = scale;
    if (!options.whatif.empty()) {
      viewer::WhatIfSettings settings;
      settings.replications = options.whatif_replications;
      settings.hours = options.hours;
      settings.seed = options.seed;
      whatif.replications = static_cast<int>(options.whatif_replications);
      whatif.hours = options.hours;
      std::vector<SceneError> errors;
      if (!whatif.job.start(*options.scene, model.source_file, model, options.whatif, settings,
                            errors)) {
        for (const SceneError& e : errors)
          std::fprintf(stderr, "twin view: --whatif: %s\n", e.to_string().c_str());
        return kViewerExitFailure;
      }
      ui.open_whatif_tab = true;
    }
  }

  // The 3D view (OpenGL 3.3). Multisampling only on a GPU: on Mesa's software rasterisers it
  // costs more than the rest of the frame.
  viewer::LineView3D line_view_3d;
  {
    std::string error;
    const auto* renderer = reinterpret_cast<const char*>(glGetString(GL_RENDERER));
    const std::string name = renderer != nullptr ? renderer : "";
    if (name.find("llvmpipe") != std::string::npos || name.find("softpipe") != std::string::npos)
      line_view_3d.set_samples(0);
    if (line_view_3d.init(error)) {
      ui.line_view_3d = &line_view_3d;
      ui.view_3d = options.view_3d;
    } else {
      std::fprintf(stderr, "twin view: no 3D view: %s\n", error.c_str());
    }
  }

  // A recording: its real side is shown beside the twin's run, on the twin's clock.
  // Its first pass also fills the mode strips and tag plots (the whole shift up front).
  std::unique_ptr<viewer::RecordingSource> recording;
  std::unique_ptr<viewer::ShiftTimeline> timeline;
  viewer::ViewFrame view_frame;
  double horizon_s = options.hours * 3600.0;
  if (!options.recording.empty()) {
    recording = std::make_unique<viewer::RecordingSource>(model);
    // The axis needs the shift start, known only once the file is read: collect the points
    // into a timeline created at the first one.
    viewer::RecordingOptions ro;
    std::vector<telemetry::Alarm> alarms;
    ro.on_point = [&](double t_s, const Mirror& mirror) {
      if (!timeline) {
        const MirrorState& ms = mirror.state();
        const int64_t origin =
            ms.origin_ns != 0 ? ms.origin_ns : ms.now_ns - static_cast<int64_t>(t_s * 1e9);
        double duration_s = options.hours * 3600.0;
        if (ms.window_end_ns != std::numeric_limits<int64_t>::max())
          duration_s = static_cast<double>(ms.window_end_ns - origin) * 1e-9;
        timeline = std::make_unique<viewer::ShiftTimeline>(model, origin, duration_s);
      }
      timeline->add_point(mirror);
    };
    ro.on_alarm = [&](const telemetry::Alarm& alarm) { alarms.push_back(alarm); };
    std::string error;
    if (!recording->open(options.recording, ro, &error)) {
      std::fprintf(stderr, "twin view: cannot read %s: %s\n", options.recording.c_str(),
                   error.c_str());
      return kViewerExitFailure;
    }
    horizon_s = recording->duration_s();
    if (!timeline) {
      timeline =
          std::make_unique<viewer::ShiftTimeline>(model, recording->shift_start_ns(), horizon_s);
    }
    timeline->set_duration_s(horizon_s);
    for (const telemetry::Alarm& a : alarms) timeline->add_alarm(a);
  } else if (options.live == nullptr) {
    timeline = std::make_unique<viewer::ShiftTimeline>(model, 0, horizon_s);
  }
  if (timeline) {
    timeline->record_twin_modes(model, options.seed);
    ui.timeline = timeline.get();
  }
  if (!options.select_machine.empty()) {
    const MirrorModel names = build_mirror_model(model, MirrorOptions());
    const auto it = std::find(names.machine.begin(), names.machine.end(), options.select_machine);
    if (it == names.machine.end()) {
      std::fprintf(stderr, "twin view: --select: no machine '%s' in the scene\n",
                   options.select_machine.c_str());
      return kViewerExitFailure;
    }
    ui.selected_machine = static_cast<int32_t>(it - names.machine.begin());
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

  // A live source: the caller's session publishes to the hub. The shift axis starts at the
  // first data; the twin's run (Playback) follows the live clock, so the twin side is what the
  // line model expects since then and the strips show its prediction ahead.
  std::shared_ptr<StateSubscription> live_changes;
  if (options.live != nullptr) {
    live_changes = options.live->subscribe(size_t{1} << 16);
    ui.live = true;
    ui.live_label = options.live_label;
    ui.time_window_s = 3600.0;  // follow the clock
  }
  uint64_t live_snapshot_seq = UINT64_MAX;
  std::vector<StateChangePtr> changes;
  auto sync_live = [&]() {
    if (!live_changes) return;
    changes.clear();
    live_changes->pop(changes, std::chrono::milliseconds(0));
    const SnapshotPtr snapshot = options.live->snapshot();
    int64_t now_ns = snapshot != nullptr ? snapshot->twin_time_ns() : 0;
    for (const StateChangePtr& c : changes) now_ns = std::max(now_ns, c->twin_time_ns());
    if (now_ns <= 0) return;  // no data yet
    if (!timeline) {
      timeline = std::make_unique<viewer::ShiftTimeline>(model, now_ns, horizon_s);
      timeline->record_twin_modes(model, options.seed);
      ui.timeline = timeline.get();
    }
    for (const StateChangePtr& c : changes) timeline->add_change(*c);
    if (!changes.empty()) timeline->update_estimates();
    playback.seek(timeline->to_s(now_ns));
    if (snapshot != nullptr && snapshot->seq() != live_snapshot_seq) {
      live_snapshot_seq = snapshot->seq();
      viewer::fill_real_side(timeline->names(), *snapshot, view_frame);
      ui.real = &view_frame.real;
    }
  };
  const viewer::Rgba bg = viewer::kPlanBackground;

  if (headless) {
    if (live_changes) {
      // Live: wait until the live clock reaches --at (or give up after a while).
      const double give_up = glfwGetTime() + options.live_wait_s;
      while (playback.clock() < options.screenshot_at_s && glfwGetTime() < give_up) {
        sync_live();
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      sync_live();
      if (!timeline) {
        std::fprintf(stderr, "twin view: no live data within %.0f s\n", options.live_wait_s);
        return kViewerExitFailure;
      }
    } else {
      playback.seek(options.screenshot_at_s);
    }
    sync_real(playback.clock());
    // What-if changes asked for: their results are part of the picture.
    while (whatif.job.state() == viewer::JobState::kRunning) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
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
      draw_frame(ui, playback, view_frame, ImGui::GetIO().DisplaySize.x,
                 ImGui::GetIO().DisplaySize.y);
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

  playback.set_playing(!live_changes);
  double last = glfwGetTime();
  while (glfwWindowShouldClose(window) == 0) {
    glfwPollEvents();
    const double now = glfwGetTime();
    if (live_changes) {
      sync_live();
    } else {
      playback.tick(now - last);
    }
    last = now;
    sync_real(playback.clock());

    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplGlfw_NewFrame();
    ImGui::NewFrame();
    handle_keys(ui, playback);
    draw_frame(ui, playback, view_frame, ImGui::GetIO().DisplaySize.x,
               ImGui::GetIO().DisplaySize.y);
    apply_commands(ui, playback);
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
