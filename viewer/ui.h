// Internal pieces shared by the viewer's panes (ImGui side): fonts, colour conversion, and the
// per-window UI state. Not a public header.
#pragma once

#include <string>

#include <imgui.h>

#include "viewer/camera_3d.h"
#include "viewer/colors.h"
#include "viewer/forecast_view.h"
#include "viewer/layout.h"
#include "viewer/line_view_3d.h"
#include "viewer/physics_pane.h"
#include "viewer/playback.h"
#include "viewer/shift_timeline.h"
#include "viewer/time_axis.h"
#include "viewer/twin_condition.h"
#include "viewer/view_frame.h"
#include "viewer/whatif_panel.h"

namespace twin::viewer {

struct Fonts {
  ImFont* regular = nullptr;  // UI text
  ImFont* bold = nullptr;     // station names, headings
  ImFont* small = nullptr;    // node labels, legend
  ImFont* large = nullptr;    // the clock
};

// What the UI keeps between frames (the simulation itself is in Playback).
struct UiState {
  PlanLayout plan;     // plan geometry [m], computed once
  ViewState view;      // user pan and zoom of the plan
  float scale = 1.0f;  // UI scale (HiDPI content scale)
  Fonts fonts;
  int32_t hovered_station = -1;  // station hovered in the plan or table last frame, or -1
  int32_t hover_next = -1;       // station hovered this frame (becomes hovered_station)
  // The real side when a recording is shown (machines drawn real above twin), else null.
  const SideFrame* real = nullptr;
  // Mode strips and tag plots over the shift (null: not built).
  const ShiftTimeline* timeline = nullptr;
  bool live = false;       // a live source: no play, pause or scrubbing; follow the clock
  std::string live_label;  // where the live data comes from
  bool show_help = false;  // the help overlay is open
  bool view_3d = false;    // the line pane shows the 3D view instead of the plan
  LineView3D* line_view_3d = nullptr;  // the 3D renderer (null: no 3D view available)
  Camera3D camera_3d;                  // its orbit camera
  // The line pane shows one conveyor stepping in Bullet (over the plan and the 3D view).
  bool view_physics = false;
  PhysicsPaneState* physics = nullptr;  // the physics view (null: the scene has none, or live)
  const ViewFrame* frame = nullptr;     // this frame's real and twin sides (the 3D view reads it)
  const ForecastView* forecast = nullptr;       // the forecast from "now" (null: none)
  const TwinConditionLog* condition = nullptr;  // the twin's alarms and RUL (null: none)
  WhatIfPanelState* whatif = nullptr;           // the what-if tab's state (null: no scene, no tab)
  WhatIfContext whatif_context;                 // what the what-if tab reads
  bool open_whatif_tab = false;                 // select the what-if tab next frame
  std::string notice;             // shown under the title (e.g. a dropped file that failed)
  int32_t selected_machine = -1;  // machine whose tags are plotted (global index), or -1
  double time_window_s = 0.0;     // [s] width of the strips' and plots' range; 0: whole shift
  // Commands the panes send to the frame loop (the panes read state, the loop changes it).
  double jump_to_s = -1.0;  // [s] show this shift time next frame; < 0: none
};

inline ImU32 to_imu32(Rgba c, float alpha = 1.0f) {
  return IM_COL32(c.r, c.g, c.b, static_cast<int>(static_cast<float>(c.a) * alpha));
}
inline ImVec4 to_vec4(Rgba c) {
  return {static_cast<float>(c.r) / 255.0f, static_cast<float>(c.g) / 255.0f,
          static_cast<float>(c.b) / 255.0f, static_cast<float>(c.a) / 255.0f};
}
inline ImVec2 to_imvec(Vec2 v) {
  return {static_cast<float>(v.x), static_cast<float>(v.y)};
}

// The mode shown for machine m: its model mode, or off while the shift calendar has a break.
inline Mode shown_mode(const Model& model, const LineState& state, double clock, uint32_t m) {
  if (!model.calendar.empty() && model.calendar.is_off(clock)) return Mode::kOff;
  return state.mode[m];
}

// "hh:mm:ss" of a calendar time, with a day prefix past 24 h.
std::string format_clock(double seconds);

// Begins a fixed pane window covering `pane` (no title, move or resize); end it with
// ImGui::End().
inline void begin_pane(const Rect& pane, const char* name, ImGuiWindowFlags extra = 0) {
  ImGui::SetNextWindowPos(to_imvec(Vec2{pane.x0, pane.y0}));
  ImGui::SetNextWindowSize(to_imvec(Vec2{pane.width(), pane.height()}));
  ImGui::PushStyleVar(ImGuiStyleVar_WindowRounding, 0.0f);
  ImGui::Begin(name, nullptr,
               ImGuiWindowFlags_NoTitleBar | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoMove |
                   ImGuiWindowFlags_NoCollapse | ImGuiWindowFlags_NoSavedSettings |
                   ImGuiWindowFlags_NoBringToFrontOnFocus | extra);
  ImGui::PopStyleVar();
}

// The plan pane: a full-pane canvas with pan (drag) and zoom (wheel), machines, nodes, flow
// arrows, legend and scale bar.
void draw_plan(const Rect& pane, UiState& ui, Playback& playback);
// The control panel pane: playback controls, clock and KPI tables.
void draw_panel(const Rect& pane, UiState& ui, Playback& playback);
// The mode strips pane: per machine the real modes above the twin's over the shared time range,
// alarms on the real row, the clock as a cursor, the twin's prediction (after the clock) dimmed.
void draw_mode_strips(const Rect& pane, UiState& ui, const Playback& playback);
// The tag plots pane: the selected machine's measured tags with the twin's estimate and its
// uncertainty band, the normalised residual below each, alarms marked on the time axis.
void draw_tag_plots(const Rect& pane, UiState& ui, const Playback& playback);

// The panel's forecast section: good parts so far, expected at the shift end with the 90 %
// interval and the mean's confidence interval, and the cumulative plot (real so far, the
// forecast's fan to the shift end). Nothing when ui.forecast is unavailable.
void draw_forecast_section(const UiState& ui, double clock_s);
// The panel's twin-condition section: the twin's alarms active at the clock and the latest RUL
// of each degrading component ("fails in ~X h (Y-Z)").
void draw_condition_section(const UiState& ui, double clock_s);
// A twin alarm's tooltip body: code, target and tag, suspected fault, severity, evidence.
void twin_alarm_tooltip(const TwinAlarm& alarm, double t_s);
// One row of a two-column table: the label, then the formatted value.
void table_row(const char* label, const char* fmt, ...) IM_FMTARGS(2);
// "2.4 h", "35 min", "> 1 week" for a time left [s].
std::string format_time_left(double seconds);

// The help overlay (shortcuts and mouse) when ui.show_help.
void draw_help(UiState& ui);

// The station of global machine index `m`, or -1.
inline int32_t station_of_machine(const Model& model, int32_t m) {
  return m >= 0 && static_cast<size_t>(m) < model.machine_station.size()
             ? static_cast<int32_t>(model.machine_station[static_cast<size_t>(m)])
             : -1;
}
// "hh:mm" of a shift time (the axis labels).
std::string format_hhmm(double seconds);

}  // namespace twin::viewer
