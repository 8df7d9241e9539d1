// One viewer session: the sources (a simulated run, a recording beside it, or a live plant),
// the mode strips and tag plots, the what-if job, the 3D renderer and the UI state, and one
// frame's windows drawn from them. The window, the GL context and Dear ImGui's platform side
// belong to the caller (run_viewer: a GLFW window or a headless context; the frame-time
// benchmark), which calls draw() between ImGui::NewFrame() and ImGui::Render().
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/live/state_hub.h"
#include "core/model/model.h"
#include "viewer/playback.h"
#include "viewer/recording_source.h"
#include "viewer/shift_timeline.h"
#include "viewer/ui.h"
#include "viewer/view_frame.h"
#include "viewer/viewer.h"

namespace twin::viewer {

class ViewerSession {
 public:
  // Needs a current OpenGL 3.3 context and an ImGui context (fonts built by the caller).
  ViewerSession(const Model& model, const ViewerOptions& options, const Fonts& fonts, float scale);
  ~ViewerSession();
  ViewerSession(const ViewerSession&) = delete;
  ViewerSession& operator=(const ViewerSession&) = delete;

  // Opens what the options name: the recording or the live hub, the what-if changes, the
  // selected machine. False with `error` ("cannot read X: ...").
  bool open(std::string& error);
  // Shows another recording (drag-and-drop): the twin's run restarts on its shift.
  bool open_recording(const std::string& path, std::string& error);

  // Moves the clock on by `wall_dt_s` of wall time (play) or to the live clock.
  void tick(double wall_dt_s);
  // Headless: the state the screenshot shows (options.screenshot_at_s; live: waits for the
  // clock to get there; what-if: waits for the results). False with `error`.
  bool prepare_screenshot(std::string& error);
  // One frame's windows for a `width` x `height` [px] display; with `keys`, the keyboard
  // shortcuts first. Applies the commands the panes sent.
  void draw(double width, double height, bool keys);

  Playback& playback() { return *playback_; }
  UiState& ui() { return ui_; }
  const ShiftTimeline* timeline() const { return timeline_.get(); }

 private:
  void handle_keys();
  void sync_real(double clock_s);
  void sync_live();

  const Model& model_;
  const ViewerOptions& options_;
  UiState ui_;
  WhatIfPanelState whatif_;
  LineView3D line_view_3d_;
  std::unique_ptr<RecordingSource> recording_;
  std::unique_ptr<ShiftTimeline> timeline_;
  std::unique_ptr<Playback> playback_;
  ViewFrame view_frame_;
  std::unique_ptr<Mirror> real_scratch_;  // the real side's closed copy, reused every frame
  double real_clock_s_ = -1.0;            // [s] clock the real side was last filled at
  std::shared_ptr<StateSubscription> live_changes_;
  uint64_t live_snapshot_seq_ = UINT64_MAX;
  std::vector<StateChangePtr> changes_;  // reused
};

}  // namespace twin::viewer
