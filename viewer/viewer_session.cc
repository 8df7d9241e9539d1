#include "viewer/viewer_session.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <limits>
#include <thread>

#define GLFW_INCLUDE_NONE
#include <GL/gl.h>
#include <GLFW/glfw3.h>  // key codes (ImGui 1.86's GLFW backend indexes keys by them)

#include "core/telemetry/telemetry.h"
#include "viewer/shortcuts.h"

namespace twin::viewer {

namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

ViewerSession::ViewerSession(const Model& model, const ViewerOptions& options, const Fonts& fonts,
                             float scale)
    : model_(model), options_(options) {
  ui_.plan = layout_plan(model);
  ui_.scale = scale;
  ui_.fonts = fonts;
  playback_ = std::make_unique<Playback>(model, options.hours * 3600.0, options.seed);
  playback_->set_speed(options.speed);

  // The 3D view (OpenGL 3.3). Multisampling only on a GPU: on Mesa's software rasterisers it
  // costs more than the rest of the frame.
  const auto* renderer = reinterpret_cast<const char*>(glGetString(GL_RENDERER));
  const std::string name = renderer != nullptr ? renderer : "";
  if (name.find("llvmpipe") != std::string::npos || name.find("softpipe") != std::string::npos)
    line_view_3d_.set_samples(0);
  std::string error;
  if (line_view_3d_.init(error)) {
    ui_.line_view_3d = &line_view_3d_;
    ui_.view_3d = options.view_3d;
  } else {
    std::fprintf(stderr, "twin view: no 3D view: %s\n", error.c_str());
  }
}

ViewerSession::~ViewerSession() = default;

bool ViewerSession::open(std::string& error) {
  // The what-if tab: scene edits run in the background (the panel state owns its thread).
  if (options_.scene != nullptr) {
    ui_.whatif = &whatif_;
    ui_.whatif_context.scene = options_.scene;
    ui_.whatif_context.scene_path = model_.source_file;
    ui_.whatif_context.model = &model_;
    ui_.whatif_context.seed = options_.seed;
    ui_.whatif_context.fonts = &ui_.fonts;
    ui_.whatif_context.scale = ui_.scale;
    if (!options_.whatif.empty()) {
      WhatIfSettings settings;
      settings.replications = options_.whatif_replications;
      settings.hours = options_.hours;
      settings.seed = options_.seed;
      whatif_.replications = static_cast<int>(options_.whatif_replications);
      whatif_.hours = options_.hours;
      std::vector<SceneError> errors;
      if (!whatif_.job.start(*options_.scene, model_.source_file, model_, options_.whatif, settings,
                             errors)) {
        error = "--whatif:";
        for (const SceneError& e : errors) {
          error += ' ';
          error += e.to_string();
        }
        return false;
      }
      ui_.open_whatif_tab = true;
    }
  }
  if (!options_.select_machine.empty()) {
    ui_.selected_machine = twin::find_machine(model_, options_.select_machine);
    if (ui_.selected_machine < 0) {
      error = "--select: no machine '";
      error += options_.select_machine;
      error += "' in the scene";
      return false;
    }
  }
  if (options_.live != nullptr) {
    // A live source: the caller's session publishes to the hub. The shift axis starts at the
    // first data; the twin's run follows the live clock, so the twin side is what the line
    // model expects since then and the strips show its prediction ahead.
    live_changes_ = options_.live->subscribe(size_t{1} << 16);
    ui_.live = true;
    ui_.live_label = options_.live_label;
    ui_.time_window_s = 3600.0;  // follow the clock
    return true;
  }
  if (!options_.recording.empty()) return open_recording(options_.recording, error);
  timeline_ = std::make_unique<ShiftTimeline>(model_, 0, playback_->horizon());
  timeline_->record_twin_modes(model_, options_.seed);
  ui_.timeline = timeline_.get();
  playback_->set_playing(true);
  return true;
}

bool ViewerSession::open_recording(const std::string& path, std::string& error) {
  // The recording is played once: its real side is shown beside the twin's run on the twin's
  // clock, and the first pass fills the mode strips and tag plots (the whole shift up front).
  // The axis needs the shift start, known once the file is read: the timeline is created at the
  // first point.
  auto recording = std::make_unique<RecordingSource>(model_);
  std::unique_ptr<ShiftTimeline> timeline;
  RecordingOptions ro;
  std::vector<telemetry::Alarm> alarms;
  ro.on_point = [&](double t_s, const Mirror& mirror) {
    if (!timeline) {
      const MirrorState& ms = mirror.state();
      const int64_t origin =
          ms.origin_ns != 0 ? ms.origin_ns : ms.now_ns - static_cast<int64_t>(t_s * 1e9);
      double duration_s = options_.hours * 3600.0;
      if (ms.window_end_ns != std::numeric_limits<int64_t>::max())
        duration_s = static_cast<double>(ms.window_end_ns - origin) * 1e-9;
      timeline = std::make_unique<ShiftTimeline>(model_, origin, duration_s);
    }
    timeline->add_point(mirror);
  };
  ro.on_alarm = [&](const telemetry::Alarm& alarm) { alarms.push_back(alarm); };
  std::string why;
  if (!recording->open(path, ro, &why)) {
    error = "cannot read ";
    error += path;
    error += ": ";
    error += why;
    return false;
  }
  const double horizon_s = recording->duration_s();
  if (!timeline) {
    timeline = std::make_unique<ShiftTimeline>(model_, recording->shift_start_ns(), horizon_s);
  }
  timeline->set_duration_s(horizon_s);
  for (const telemetry::Alarm& a : alarms) timeline->add_alarm(a);
  timeline->record_twin_modes(model_, options_.seed);

  // Swap in: the panes read the new sources from the next frame on.
  const double speed = playback_->speed();
  playback_ = std::make_unique<Playback>(model_, horizon_s, options_.seed);
  playback_->set_speed(speed);
  playback_->set_playing(true);
  recording_ = std::move(recording);
  timeline_ = std::move(timeline);
  ui_.timeline = timeline_.get();
  ui_.real = nullptr;
  real_clock_s_ = -1.0;
  sync_real(0.0);
  return true;
}

void ViewerSession::sync_real(double clock_s) {
  // Refilled (a seek, a mirror copy for the KPIs) only when the clock moved: a paused view
  // costs nothing per frame.
  if (!recording_ || clock_s == real_clock_s_) return;
  real_clock_s_ = clock_s;
  recording_->seek(clock_s);
  if (!real_scratch_) real_scratch_ = std::make_unique<Mirror>(recording_->mirror());
  fill_real_side(model_, recording_->mirror(), recording_->mirror().state().now_ns, *real_scratch_,
                 view_frame_);
  ui_.real = &view_frame_.real;
}

void ViewerSession::sync_live() {
  if (!live_changes_) return;
  changes_.clear();
  live_changes_->pop(changes_, std::chrono::milliseconds(0));
  const SnapshotPtr snapshot = options_.live->snapshot();
  int64_t now_ns = snapshot != nullptr ? snapshot->twin_time_ns() : 0;
  for (const StateChangePtr& c : changes_) now_ns = std::max(now_ns, c->twin_time_ns());
  if (now_ns <= 0) return;  // no data yet
  if (!timeline_) {
    timeline_ = std::make_unique<ShiftTimeline>(model_, now_ns, playback_->horizon());
    timeline_->record_twin_modes(model_, options_.seed);
    ui_.timeline = timeline_.get();
  }
  for (const StateChangePtr& c : changes_) timeline_->add_change(*c);
  if (!changes_.empty()) timeline_->update_estimates();
  playback_->seek(timeline_->to_s(now_ns));
  if (snapshot != nullptr && snapshot->seq() != live_snapshot_seq_) {
    live_snapshot_seq_ = snapshot->seq();
    fill_real_side(model_, timeline_->names(), *snapshot, view_frame_);
    ui_.real = &view_frame_.real;
  }
}

void ViewerSession::tick(double wall_dt_s) {
  if (live_changes_) {
    sync_live();
  } else {
    playback_->tick(wall_dt_s);
  }
  sync_real(playback_->clock());
}

bool ViewerSession::prepare_screenshot(std::string& error) {
  if (live_changes_) {
    // Live: wait until the live clock reaches --at (or give up after a while).
    const auto give_up = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                            std::chrono::duration<double>(options_.live_wait_s));
    while (playback_->clock() < options_.screenshot_at_s && Clock::now() < give_up) {
      sync_live();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    sync_live();
    if (!timeline_) {
      char text[96];
      std::snprintf(text, sizeof text, "no live data within %.0f s", options_.live_wait_s);
      error = text;
      return false;
    }
  } else {
    playback_->set_playing(false);
    playback_->seek(options_.screenshot_at_s);
  }
  sync_real(playback_->clock());
  // What-if changes asked for: their results are part of the picture.
  while (whatif_.job.state() == JobState::kRunning) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

void ViewerSession::draw(double width, double height, bool keys) {
  if (keys) handle_keys();
  const Panes panes = pane_layout(width, height, ui_.scale);
  fill_twin_side(model_, playback_->state(), playback_->clock(), playback_->kpis(), view_frame_);
  ui_.frame = &view_frame_;
  ui_.hovered_station = ui_.hover_next;
  ui_.hover_next = -1;
  draw_plan(panes.plan, ui_, *playback_);
  draw_panel(panes.panel, ui_, *playback_);
  if (!panes.strips.empty()) draw_mode_strips(panes.strips, ui_, *playback_);
  if (!panes.plots.empty()) draw_tag_plots(panes.plots, ui_, *playback_);
  draw_help(ui_);
  // Commands the panes sent this frame.
  if (ui_.jump_to_s >= 0.0) {
    if (!ui_.live) playback_->jump(ui_.jump_to_s);
    ui_.jump_to_s = -1.0;
  }
}

// Keyboard shortcuts (viewer/shortcuts.h). Moves of the clock go through the same command as
// the panes' (jump_to_s); a live source ignores them.
void ViewerSession::handle_keys() {
  const ImGuiIO& io = ImGui::GetIO();
  if (io.WantTextInput) return;
  Playback& pb = *playback_;
  auto pressed = [](int key) { return ImGui::IsKeyPressed(key, true); };
  auto pressed_once = [](int key) { return ImGui::IsKeyPressed(key, false); };
  if (pressed_once(GLFW_KEY_H) || pressed_once(GLFW_KEY_F1)) ui_.show_help = !ui_.show_help;
  if (pressed_once(ImGui::GetKeyIndex(ImGuiKey_Escape))) ui_.show_help = false;
  if (pressed_once(GLFW_KEY_F)) {
    ui_.view = ViewState{};
    ui_.camera_3d.fitted = false;
  }
  if (pressed_once(GLFW_KEY_3) && ui_.line_view_3d != nullptr) ui_.view_3d = !ui_.view_3d;
  const auto nm = static_cast<int32_t>(model_.machine_count());
  if (nm > 0 && pressed(ImGui::GetKeyIndex(ImGuiKey_DownArrow)))
    ui_.selected_machine = ui_.selected_machine < 0 ? 0 : (ui_.selected_machine + 1) % nm;
  if (nm > 0 && pressed(ImGui::GetKeyIndex(ImGuiKey_UpArrow)))
    ui_.selected_machine = ui_.selected_machine <= 0 ? nm - 1 : ui_.selected_machine - 1;
  if (ui_.live) return;
  if (pressed_once(ImGui::GetKeyIndex(ImGuiKey_Space))) pb.set_playing(!pb.playing());
  const double step = kStepS * (io.KeyShift ? 10.0 : 1.0);
  if (pressed(ImGui::GetKeyIndex(ImGuiKey_RightArrow))) ui_.jump_to_s = pb.clock() + step;
  if (pressed(ImGui::GetKeyIndex(ImGuiKey_LeftArrow)))
    ui_.jump_to_s = std::max(pb.clock() - step, 0.0);
  if (pressed_once(ImGui::GetKeyIndex(ImGuiKey_Home))) ui_.jump_to_s = 0.0;
  if (pressed(GLFW_KEY_LEFT_BRACKET)) pb.set_speed(pb.speed() / 2.0);
  if (pressed(GLFW_KEY_RIGHT_BRACKET)) pb.set_speed(pb.speed() * 2.0);
}

}  // namespace twin::viewer
