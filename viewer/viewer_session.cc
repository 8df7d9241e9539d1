#include "viewer/viewer_session.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <limits>
#include <thread>

#define GLFW_INCLUDE_NONE
#include <GL/gl.h>
#include <GLFW/glfw3.h>  // key codes (ImGui 1.86's GLFW backend indexes keys by them)

#include "core/mirror/condition_monitor.h"
#include "core/mirror/real_kpis.h"
#include "core/run/forecast.h"
#include "core/run/rul_failures.h"
#include "core/telemetry/telemetry.h"
#include "models/physics/scene_conveyor.h"
#include "models/physics/scene_robot.h"
#include "viewer/live_observation.h"
#include "viewer/shortcuts.h"

namespace twin::viewer {

namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kForecastReplications = 200;
constexpr double kRealGoodStep_s = 10.0;  // [s] between points of the real output curve
// Replications on all cores but one (the UI's); results do not depend on the count.
unsigned forecast_threads() {
  const unsigned hw = std::thread::hardware_concurrency();
  return hw > 1 ? hw - 1 : 1;
}

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
    // The physics view, when the scene describes a conveyor's physics or a robot cell.
    physics_.conveyors = physics_conveyors(model);
    physics_.robots = physics_robots(model);
    if (has_physics(physics_)) {
      physics_view_3d_.set_samples(line_view_3d_.samples() > 0 ? 4 : 0);
      if (physics_view_3d_.init(error)) {
        physics_.view = &physics_view_3d_;
        ui_.physics = &physics_;
        reset_physics();
      } else {
        std::fprintf(stderr, "twin view: no physics view: %s\n", error.c_str());
      }
    }
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
  if (!options_.physics_conveyor.empty()) {
    if (ui_.physics == nullptr) {
      error =
          "--physics: the scene gives no conveyor with physics (length, speed, part size and "
          "mass) and no robot, or no 3D view";
      return false;
    }
    const auto& conveyors = physics_.conveyors;
    const auto& robots = physics_.robots;
    const auto it = std::find_if(conveyors.begin(), conveyors.end(), [&](uint32_t n) {
      return model_.nodes[n].name == options_.physics_conveyor;
    });
    const auto robot = std::find_if(robots.begin(), robots.end(), [&](uint32_t st) {
      return model_.stations[st].name == options_.physics_conveyor;
    });
    if (it == conveyors.end() && robot == robots.end()) {
      error = "--physics: no conveyor with physics or station with a robot named '" +
              options_.physics_conveyor + "'; have:";
      for (uint32_t n : conveyors) error += " " + model_.nodes[n].name;
      for (uint32_t st : robots) error += " " + model_.stations[st].name;
      return false;
    }
    if (it != conveyors.end()) physics_.conveyor = static_cast<int>(it - conveyors.begin());
    physics_.robot = robot != robots.end() ? static_cast<int>(robot - robots.begin()) : -1;
    physics_.skew_deg = static_cast<float>(options_.physics_skew_deg);
    physics_.guides = options_.physics_guides_mm >= 0.0;
    if (physics_.guides)
      physics_.guide_clearance_mm = static_cast<float>(options_.physics_guides_mm);
    physics_.operator_clears = options_.physics_jam_clear_s >= 0.0;
    if (physics_.operator_clears)
      physics_.jam_clear_s = static_cast<float>(options_.physics_jam_clear_s);
    if (!apply_physics_setup(physics_)) {
      error = "--physics: " + physics_.error;
      return false;
    }
    ui_.view_physics = true;
  }
  if (options_.live != nullptr) {
    // A live source: the physics view is fed with the parts the plant reports (its good-parts
    // counters, viewer/live_parts.h) as they come.
    reset_physics();
    // A live source: the caller's session publishes to the hub. The shift axis starts at the
    // first data; the twin's run follows the live clock, so the twin side is what the line
    // model expects since then and the strips show its prediction ahead.
    live_changes_ = options_.live->subscribe(size_t{1} << 16);
    ui_.live = true;
    ui_.live_label = options_.live_label;
    ui_.time_window_s = 3600.0;  // follow the clock
    reset_forecast();
    forecast_view_.available = true;
    forecast_view_.note =
        "live: the fork is rebuilt from the twin's snapshot (modes, part counts, time in mode); "
        "the failures its RUL foresees are in it";
    // Forecast again every minute of live time.
    forecast_trigger_ = ForecastTrigger({0.3, 60.0});
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
  // The twin's condition monitor sees the whole shift once, in the first pass (alarms and RUL
  // over the shift are then known up front, as the plant's modes and samples are).
  ConditionMonitor monitor(model_, recording->mirror().names(), ConditionMonitorOptions(),
                           options_.monitor_fit);
  DownLog downs(&monitor, recording->mirror().names().machine.size());
  PartLog parts(&downs, recording->mirror().names().machine.size());  // for the physics view
  ro.listener = &parts;
  std::vector<double> good_t_s, good;
  ro.on_point = [&, on_point = ro.on_point](double t_s, const Mirror& mirror) {
    on_point(t_s, mirror);
    if (good_t_s.empty() || t_s - good_t_s.back() >= kRealGoodStep_s) {
      good_t_s.push_back(t_s);
      good.push_back(static_cast<double>(line_good_parts(model_, mirror)));
    }
  };
  std::string why;
  if (!recording->open(path, ro, &why)) {
    error = "cannot read ";
    error += path;
    error += ": ";
    error += why;
    return false;
  }
  const double horizon_s = recording->duration_s();
  // The data has ended: the monitor closes what it holds (the last energy hour).
  monitor.finish(recording->shift_start_ns() + static_cast<int64_t>(std::llround(horizon_s * 1e9)));
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
  recorded_parts_ =
      std::make_shared<const RecordedParts>(parts.parts(model_, recording->shift_start_ns()));
  reset_physics();
  recording_ = std::move(recording);
  timeline_ = std::move(timeline);
  ui_.timeline = timeline_.get();
  ui_.real = nullptr;
  real_clock_s_ = -1.0;
  reset_forecast();
  condition_ = TwinConditionLog(timeline_->names());
  condition_.set_from(monitor);
  down_starts_ = downs.down_starts();
  forecast_view_.available = true;
  forecast_view_.note = "recording: the mirror at the shown time (seek), as `twin forecast`";
  forecast_view_.real_t_s = std::move(good_t_s);
  forecast_view_.real_good = std::move(good);
  sync_real(0.0);
  return true;
}

void ViewerSession::reset_physics() {
  if (ui_.physics == nullptr) return;
  const bool configured = physics_follower_ != nullptr && physics_follower_->setup().has_value();
  physics_.follower = nullptr;
  physics_follower_ =
      std::make_unique<PhysicsFollower>(model_, playback_->horizon(), options_.seed);
  physics_follower_->set_recorded(recorded_parts_);  // a recording's put-ons, when one is open
  if (options_.live != nullptr) {
    physics_follower_->extend_live(
        std::make_shared<const RecordedParts>(live_parts_ ? live_parts_->parts() : RecordedParts{}),
        live_parts_ ? live_parts_->known_until_s() : 0.0);
  }
  physics_.follower = physics_follower_.get();
  if (configured) apply_physics_setup(physics_);
}

void ViewerSession::update_physics() {
  if (!ui_.view_physics || ui_.physics == nullptr || physics_.follower == nullptr) return;
  if (!physics_.follower->setup() && physics_.error.empty()) apply_physics_setup(physics_);
  physics_.follower->follow(playback_->clock());
}

void ViewerSession::reset_forecast() {
  forecast_job_.cancel();  // its result, if it comes, belongs to the previous source
  ++forecast_generation_;
  forecast_pending_ = false;
  forecast_trigger_.reset();
  forecast_view_ = ForecastView{};
  forecast_view_.replications = kForecastReplications;
  condition_ = TwinConditionLog();
  down_starts_.clear();
}

bool ViewerSession::observe_now(double t_s, ObservedLine& observed, ForecastOptions& options) {
  options.replications = kForecastReplications;
  options.seed = options_.seed;
  options.threads = forecast_threads();
  if (recording_) {
    // As `twin forecast --at t`: the mirror at t (before the break when t is inside one), the
    // reorder window flushed up to it, forked at t.
    const double at_s = observation_time(model_.calendar, t_s);
    if (at_s != recording_->clock_s()) recording_->seek(at_s);
    if (!forecast_scratch_) forecast_scratch_ = std::make_unique<Mirror>(recording_->mirror());
    *forecast_scratch_ = recording_->mirror();
    if (recording_->clock_s() != t_s) recording_->seek(t_s);
    const int64_t at_ns =
        recording_->shift_start_ns() + static_cast<int64_t>(std::llround(at_s * 1e9));
    forecast_scratch_->flush_events(at_ns);
    observed = observe_mirror(model_, *forecast_scratch_, at_ns);
    observed.calendar_s = t_s;
    // The failures the twin's condition monitor sees coming at t (RUL of its active alarms).
    options.predicted_failures =
        predicted_failures_at(model_, timeline_->names(), condition_.alarms(), condition_.rul(),
                              recording_->shift_start_ns(), at_ns, {}, &down_starts_);
    options.shift_end_s = recording_->duration_s();
    forecast_view_.axis_offset_s = 0.0;
    return true;
  }
  if (live_changes_ && timeline_) {
    const SnapshotPtr snapshot = options_.live->snapshot();
    int64_t at_ns = 0;
    if (snapshot == nullptr ||
        !observe_snapshot(model_, timeline_->names(), *snapshot, observed, &at_ns))
      return false;
    // The live twin's KPI window may start before the viewer's axis (its first data).
    const int64_t origin_ns = snapshot->kpis().window_start_ns();
    forecast_view_.axis_offset_s = timeline_->to_s(origin_ns);
    options.shift_end_s = playback_->horizon() - forecast_view_.axis_offset_s;
    // The failures the twin's condition monitor sees coming (the RUL of its active alarms, as
    // the stream carried them), as on a recording.
    options.predicted_failures =
        predicted_failures_at(model_, timeline_->names(), condition_.alarms(), condition_.rul(),
                              origin_ns, at_ns, {}, &down_starts_);
    return options.shift_end_s > observed.calendar_s;
  }
  return false;
}

void ViewerSession::update_forecast(bool force) {
  if (!forecast_view_.available) return;
  // A finished run: into the view (unless it belongs to a previous source).
  const JobState state = forecast_job_.state();
  if (state != JobState::kRunning && job_generation_ == forecast_generation_) {
    const Forecast* r = forecast_job_.result();
    if (r != nullptr && forecast_taken_run_ != forecast_job_.runs()) {
      forecast_view_.result = *r;
      forecast_view_.has_result = true;
      const MonitorFit* fit = options_.monitor_fit;
      forecast_view_.calibrated = fit != nullptr && !fit->forecast_calibration.empty();
      if (forecast_view_.calibrated) {
        forecast_view_.calibrated_end =
            calibrated_interval(model_.calendar, *r, fit->forecast_calibration);
        forecast_view_.calibrated_band =
            calibrated_band(model_.calendar, *r, fit->forecast_calibration);
      }
      forecast_taken_run_ = forecast_job_.runs();
    }
    if (state == JobState::kFailed) forecast_view_.error = forecast_job_.error();
  }
  forecast_view_.state = state;
  forecast_view_.progress = forecast_job_.progress();

  const double t = playback_->clock();
  if (force || forecast_trigger_.due(t, wall_s_)) {
    forecast_trigger_.requested(t);
    forecast_pending_ = true;
    forecast_pending_t_s_ = t;
  }
  if (!forecast_pending_) return;
  if (state == JobState::kRunning) {
    forecast_job_.cancel();  // a newer time is due: stop the old one, start when it has ended
    return;
  }
  ObservedLine observed;
  ForecastOptions options;
  forecast_pending_ = false;
  if (!observe_now(forecast_pending_t_s_, observed, options) ||
      !(options.shift_end_s > observed.calendar_s))
    return;  // no mirrored state, or the shift is over
  if (forecast_job_.start(model_, observed, options)) {
    job_generation_ = forecast_generation_;
    forecast_view_.state = JobState::kRunning;
  }
}

bool ViewerSession::wait_for_forecast() {
  if (!forecast_view_.available) return false;
  update_forecast(/*force=*/true);
  while (forecast_pending_ || forecast_job_.state() == JobState::kRunning) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    update_forecast();
  }
  update_forecast();
  return forecast_view_.has_result && forecast_job_.state() == JobState::kDone;
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
    condition_ = TwinConditionLog(timeline_->names());
    live_parts_ = std::make_unique<LivePartLog>(model_, now_ns);
  }
  for (const StateChangePtr& c : changes_) {
    timeline_->add_change(*c);
    live_parts_->add_change(*c);
    for (const telemetry::Alarm& a : c->alarms()) condition_.add_stream_alarm(a);
    for (const live::RulEstimate& r : c->rul()) condition_.add_stream_rul(r);
    // When machines went down (a foreseen failure that has come is not forecast again).
    for (const live::MachineMode& m : c->modes()) {
      if (m.mode() != telemetry::MODE_DOWN) continue;
      const int32_t machine = twin::find_machine(model_, m.machine());
      if (machine < 0) continue;
      down_starts_.resize(model_.machine_count());
      down_starts_[static_cast<size_t>(machine)].push_back(m.since_ns());
    }
    if (c->has_kpis() && c->kpis().time_ns() > 0) {
      const double t_s = timeline_->to_s(c->kpis().time_ns());
      std::vector<double>& ts = forecast_view_.real_t_s;
      if (ts.empty() || t_s - ts.back() >= kRealGoodStep_s) {
        ts.push_back(t_s);
        forecast_view_.real_good.push_back(static_cast<double>(c->kpis().line_good()));
      }
    }
  }
  if (!changes_.empty()) timeline_->update_estimates();
  // New parts: the feed grows; counters sampled without new parts: the physics may run on.
  const bool new_parts = live_parts_->take_changed();
  const bool advanced = live_parts_->take_advanced();
  if (physics_follower_ != nullptr && new_parts) {
    physics_follower_->extend_live(std::make_shared<const RecordedParts>(live_parts_->parts()),
                                   live_parts_->known_until_s());
  } else if (physics_follower_ != nullptr && advanced) {
    physics_follower_->live_reported_until(live_parts_->known_until_s());
  }
  playback_->seek(timeline_->to_s(now_ns));
  if (snapshot != nullptr && snapshot->seq() != live_snapshot_seq_) {
    live_snapshot_seq_ = snapshot->seq();
    fill_real_side(model_, timeline_->names(), *snapshot, view_frame_);
    ui_.real = &view_frame_.real;
  }
}

void ViewerSession::tick(double wall_dt_s) {
  wall_s_ += std::max(wall_dt_s, 0.0);
  if (live_changes_) {
    sync_live();
  } else {
    playback_->tick(wall_dt_s);
  }
  sync_real(playback_->clock());
  update_forecast();
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
  // The forecast from the screenshot's time is part of the picture too.
  wait_for_forecast();
  // The physics view at the screenshot's time (the belt steps from the shift start).
  if (ui_.view_physics && physics_.follower != nullptr) {
    update_physics();
    if (!physics_.follower->wait(600.0)) {
      error = "the physics view did not reach the screenshot's time";
      return false;
    }
  }
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
  ui_.forecast = &forecast_view_;
  ui_.condition = &condition_;
  ui_.hovered_station = ui_.hover_next;
  ui_.hover_next = -1;
  update_physics();
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
  if (pressed_once(GLFW_KEY_P) && ui_.physics != nullptr) ui_.view_physics = !ui_.view_physics;
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
