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
#include "viewer/forecast_job.h"
#include "viewer/forecast_trigger.h"
#include "viewer/forecast_view.h"
#include "viewer/live_parts.h"
#include "viewer/physics_follower.h"
#include "viewer/physics_pane.h"
#include "viewer/playback.h"
#include "viewer/recording_source.h"
#include "viewer/shift_timeline.h"
#include "viewer/twin_condition.h"
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
  const ForecastView& forecast() const { return forecast_view_; }
  const TwinConditionLog& condition() const { return condition_; }
  // The physics view (null: the scene has no physics conveyor, no 3D, or a live source).
  PhysicsPaneState* physics() { return ui_.physics; }
  // Blocks until the forecast of the shown time is there (screenshots, tests). False when the
  // source has no mirrored state or the forecast failed.
  bool wait_for_forecast();

 private:
  void handle_keys();
  void sync_real(double clock_s);
  void sync_live();
  // Starts a forecast of the shown time when the trigger says so (and the job is free), and
  // takes a finished one into the view. Never waits.
  void update_forecast(bool force = false);
  // The observation of the mirrored state at shift time `t_s` for the forecast; false when the
  // source has none. `options` gets the shift end.
  bool observe_now(double t_s, ObservedLine& observed, ForecastOptions& options);
  void reset_forecast();  // a new source
  // A follower for the current playback's horizon; keeps the controls' setup if one was run.
  void reset_physics();
  // The physics view follows the clock (configured on first use).
  void update_physics();

  const Model& model_;
  const ViewerOptions& options_;
  UiState ui_;
  WhatIfPanelState whatif_;
  LineView3D line_view_3d_;
  LineView3D physics_view_3d_;  // the physics view's own framebuffer
  PhysicsPaneState physics_;
  std::unique_ptr<PhysicsFollower> physics_follower_;
  // A recording's part events (null without one): the physics view replays them.
  std::shared_ptr<const RecordedParts> recorded_parts_;
  std::unique_ptr<RecordingSource> recording_;
  std::unique_ptr<ShiftTimeline> timeline_;
  std::unique_ptr<Playback> playback_;
  ViewFrame view_frame_;
  std::unique_ptr<Mirror> real_scratch_;  // the real side's closed copy, reused every frame
  double real_clock_s_ = -1.0;            // [s] clock the real side was last filled at
  std::shared_ptr<StateSubscription> live_changes_;
  std::unique_ptr<LivePartLog> live_parts_;  // live: the parts the plant reports (physics feed)
  uint64_t live_snapshot_seq_ = UINT64_MAX;
  std::vector<StateChangePtr> changes_;  // reused
  // The forecast from "now" and the twin's condition (alarms, RUL).
  ForecastJob forecast_job_;
  ForecastTrigger forecast_trigger_;
  ForecastView forecast_view_;
  TwinConditionLog condition_;
  // (n_m) [ns] when each machine went down in the recording (a foreseen failure that has come
  // is not injected into the forecast again).
  std::vector<std::vector<int64_t>> down_starts_;
  std::unique_ptr<Mirror> forecast_scratch_;  // the mirror copy the fork observes, reused
  double wall_s_ = 0.0;                       // [s] wall time summed over tick()
  bool forecast_pending_ = false;             // a forecast is due once the job is free
  double forecast_pending_t_s_ = 0.0;         // [s] shift time it is due for
  uint64_t forecast_generation_ = 0;          // bumped per source: older results are dropped
  uint64_t job_generation_ = 0;               // generation of the job's current run
  uint64_t forecast_taken_run_ = 0;           // ForecastJob::runs() of the result shown
};

}  // namespace twin::viewer
