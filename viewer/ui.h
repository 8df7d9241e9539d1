// Internal pieces shared by the viewer's panes (ImGui side): fonts, colour conversion, and the
// per-window UI state. Not a public header.
#pragma once

#include <string>

#include <imgui.h>

#include "viewer/colors.h"
#include "viewer/layout.h"
#include "viewer/playback.h"
#include "viewer/view_frame.h"

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

// The plan pane: a full-pane canvas with pan (drag) and zoom (wheel), machines, nodes, flow
// arrows, legend and scale bar.
void draw_plan(const Rect& pane, UiState& ui, Playback& playback);
// The control panel pane: playback controls, clock and KPI tables.
void draw_panel(const Rect& pane, UiState& ui, Playback& playback);

}  // namespace twin::viewer
