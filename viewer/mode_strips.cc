// The mode strips pane (a Gantt chart of modes): one row per machine, the real modes above the
// twin's, on the time range shared with the tag plots.
#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "core/telemetry/telemetry.h"
#include "viewer/ui.h"

namespace twin::viewer {

std::string format_hhmm(double seconds) {
  const auto total = static_cast<int64_t>(std::floor(std::max(seconds, 0.0) + 0.5));
  char text[24];
  std::snprintf(text, sizeof text, "%02" PRId64 ":%02" PRId64, total / 3600, total / 60 % 60);
  return text;
}

namespace {

ImVec2 v2(double x, double y) {
  return {static_cast<float>(x), static_cast<float>(y)};
}

Rgba strip_color(uint8_t telemetry_mode) {
  const std::optional<Mode> mode = from_telemetry(static_cast<telemetry::Mode>(telemetry_mode));
  return mode ? mode_color(*mode) : kUnknownMode;
}

// Segments of one strip row between x0 and x1 of the scale. Segments narrower than a pixel
// share the pixel column; the first drawn there keeps it unless a later one is a stop (down),
// which must never vanish from a long shift's overview.
void draw_segments(ImDrawList* dl, const std::vector<ModeSegment>& segments,
                   const ShiftTimeline& tl, const TimeScale& scale, float y0, float y1,
                   double future_from_s, float future_alpha) {
  float last_x = -1e9f;
  for (const ModeSegment& seg : segments) {
    const double s0 = tl.to_s(seg.start_ns);
    const double s1 = seg.end_ns == kOpenEnd ? scale.range.t1 : tl.to_s(seg.end_ns);
    float x0 = static_cast<float>(scale.to_x(s0));
    float x1 = static_cast<float>(scale.to_x(s1));
    const bool stop = seg.mode == telemetry::MODE_DOWN;
    if (x1 - x0 < 1.0f) {
      if (std::floor(x0) <= last_x && !stop) continue;
      x0 = std::floor(x0);
      x1 = x0 + 1.0f;
    }
    last_x = std::floor(x1 - 0.5f);
    const Rgba c = strip_color(seg.mode);
    const float xf = static_cast<float>(scale.to_x(future_from_s));
    if (x1 <= xf || future_alpha >= 1.0f) {
      dl->AddRectFilled({x0, y0}, {x1, y1}, to_imu32(c));
    } else if (x0 >= xf) {
      dl->AddRectFilled({x0, y0}, {x1, y1}, to_imu32(c, future_alpha));
    } else {
      dl->AddRectFilled({x0, y0}, {xf, y1}, to_imu32(c));
      dl->AddRectFilled({xf, y0}, {x1, y1}, to_imu32(c, future_alpha));
    }
  }
}

// Calendar breaks inside the range, as shaded bands.
void draw_breaks(ImDrawList* dl, const Model& model, const TimeScale& scale, float y0, float y1) {
  const Calendar& cal = model.calendar;
  if (cal.empty()) return;
  const double period = cal.period > 0.0 ? cal.period : 1e300;
  const double first = cal.period > 0.0 ? std::floor(scale.range.t0 / period) * period : 0.0;
  for (double base = first; base < scale.range.t1; base += period) {
    for (const BreakWindow& b : cal.breaks) {
      const double s0 = std::max(base + b.start, scale.range.t0);
      const double s1 = std::min(base + b.end, scale.range.t1);
      if (s1 <= s0) continue;
      dl->AddRectFilled(v2(scale.to_x(s0), y0), v2(scale.to_x(s1), y1),
                        IM_COL32(255, 255, 255, 18));
    }
    if (cal.period <= 0.0) break;
  }
}

// Tick labels whose text would overlap [keep_clear_x0, keep_clear_x1] (the clock's label) are
// left out; their tick lines stay.
void draw_axis(ImDrawList* dl, const UiState& ui, const TimeScale& scale, float y0, float y1,
               float rows_bottom, float keep_clear_x0, float keep_clear_x1) {
  const double step = tick_step_s(scale, 72.0 * ui.scale);
  const double first = std::ceil(scale.range.t0 / step) * step;
  for (double t = first; t <= scale.range.t1 + 1e-9; t += step) {
    const float x = static_cast<float>(scale.to_x(t));
    dl->AddLine({x, y1 - 4.0f * ui.scale}, {x, rows_bottom}, IM_COL32(255, 255, 255, 22));
    const std::string label = format_hhmm(t);
    const float lx0 = x + 3.0f * ui.scale;
    const float lx1 =
        lx0 + ui.fonts.small->CalcTextSizeA(ui.fonts.small->FontSize, 1e9f, 0.0f, label.c_str()).x;
    if (lx1 + 4.0f * ui.scale >= keep_clear_x0 && lx0 <= keep_clear_x1 + 4.0f * ui.scale) continue;
    dl->AddText(ui.fonts.small, ui.fonts.small->FontSize, {x + 3.0f * ui.scale, y0},
                IM_COL32(175, 183, 195, 255), label.c_str());
  }
}

// The mode (telemetry) of a timeline at `t_ns`, or MODE_UNKNOWN.
uint8_t mode_at(const ModeTimeline& timeline, int64_t t_ns) {
  std::vector<ModeSegment> one;
  timeline.query(t_ns, t_ns + 1, one);
  return one.empty() ? static_cast<uint8_t>(telemetry::MODE_UNKNOWN) : one.front().mode;
}

const char* telemetry_mode_name(uint8_t mode) {
  const std::optional<Mode> m = from_telemetry(static_cast<telemetry::Mode>(mode));
  return m ? mode_name(*m) : "no data";
}

}  // namespace

void draw_mode_strips(const Rect& pane, UiState& ui, const Playback& pb) {
  begin_pane(pane, "Modes", ImGuiWindowFlags_NoScrollbar);
  const ShiftTimeline* tl = ui.timeline;
  const Model& model = pb.model();
  const float s = ui.scale;
  ImGui::PushFont(ui.fonts.bold);
  ImGui::TextUnformatted("Modes");
  ImGui::PopFont();
  ImGui::SameLine();
  const bool with_real = tl != nullptr && tl->has_real();
  ImGui::TextDisabled(with_real ? "real above twin; dimmed: prediction"
                                : "twin; dimmed: prediction");
  // Range: the whole shift or a window that follows the clock, right-aligned.
  static constexpr double kWindows[] = {0.0, 4 * 3600.0, 3600.0, 900.0};
  static constexpr const char* kWindowNames[] = {"Shift", "4 h", "1 h", "15 min"};
  float buttons_w = 0.0f;
  for (const char* name : kWindowNames)
    buttons_w += ImGui::CalcTextSize(name).x + ImGui::GetStyle().FramePadding.x * 2.0f +
                 ImGui::GetStyle().ItemSpacing.x;
  const float right = ImGui::GetWindowContentRegionMax().x - buttons_w;
  if (right > ImGui::GetCursorPosX() + ImGui::GetItemRectSize().x) ImGui::SameLine(right);
  for (size_t i = 0; i < std::size(kWindows); ++i) {
    if (i > 0) ImGui::SameLine();
    const bool active = ui.time_window_s == kWindows[i];
    if (active)
      ImGui::PushStyleColor(ImGuiCol_Button, ImGui::GetStyleColorVec4(ImGuiCol_ButtonActive));
    if (ImGui::SmallButton(kWindowNames[i])) ui.time_window_s = kWindows[i];
    if (active) ImGui::PopStyleColor();
  }
  if (tl == nullptr) {
    ImGui::End();
    return;
  }

  const double clock = pb.clock();
  const float label_w = 112.0f * s;
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  TimeScale scale;
  scale.range = time_range(clock, tl->duration_s(), ui.time_window_s);
  scale.x0 = origin.x + label_w;
  scale.x1 = origin.x + avail.x - 6.0f * s;
  const float axis_h = ui.fonts.small->FontSize + 6.0f * s;

  // The axis: click or drag to show that time.
  ImDrawList* dl = ImGui::GetWindowDrawList();
  ImGui::SetCursorScreenPos({static_cast<float>(scale.x0), origin.y});
  ImGui::InvisibleButton("##axis",
                         {std::max(static_cast<float>(scale.x1 - scale.x0), 1.0f), axis_h});
  if (ImGui::IsItemActive() && !ui.live) {
    ui.jump_to_s = std::clamp(scale.to_t(ImGui::GetIO().MousePos.x), 0.0, tl->duration_s());
  }
  if (ImGui::IsItemHovered() && !ui.live) ImGui::SetTooltip("Click or drag: show this time");

  const float strip_h = (with_real ? 7.0f : 11.0f) * s;
  const float row_h = (with_real ? 2.0f * strip_h + 1.0f * s : strip_h) + 5.0f * s;
  const float rows_top = origin.y + axis_h;
  const float rows_h = std::max(avail.y - axis_h, 1.0f);
  {
    // The clock's label (drawn over the rows below) keeps its place on the axis clear.
    const float xc = static_cast<float>(scale.to_x(clock));
    const std::string now = format_clock(clock);
    const float w =
        ui.fonts.small->CalcTextSizeA(ui.fonts.small->FontSize, 1e9f, 0.0f, now.c_str()).x;
    const bool shown = xc >= scale.x0 && xc <= scale.x1;
    draw_axis(dl, ui, scale, origin.y, rows_top, rows_top + rows_h, shown ? xc : -1e9f,
              shown ? xc + 3.0f * s + w : -1e9f);
  }

  ImGui::SetCursorScreenPos({origin.x, rows_top});
  ImGui::BeginChild("##rows", {avail.x, rows_h}, false, ImGuiWindowFlags_NoSavedSettings);
  ImDrawList* rows_dl = ImGui::GetWindowDrawList();
  const uint32_t nm = model.machine_count();
  const int64_t t0_ns = tl->to_ns(scale.range.t0), t1_ns = tl->to_ns(scale.range.t1);
  const int64_t clock_ns = tl->to_ns(clock);
  std::vector<ModeSegment> segments;
  std::vector<AlarmMark> alarms;
  std::vector<size_t> twin_alarms;
  int64_t hovered_twin_alarm = -1;  // index into ui.condition->alarms(), or -1
  ImGuiListClipper clipper;
  clipper.Begin(static_cast<int>(nm), row_h);
  int32_t hovered_machine = -1;
  while (clipper.Step()) {
    for (int row = clipper.DisplayStart; row < clipper.DisplayEnd; ++row) {
      const auto m = static_cast<uint32_t>(row);
      const ImVec2 p = ImGui::GetCursorScreenPos();
      ImGui::PushID(row);
      const bool selected = static_cast<int32_t>(m) == ui.selected_machine;
      if (ImGui::InvisibleButton("##row", {avail.x, row_h}))
        ui.selected_machine = static_cast<int32_t>(m);
      const bool hovered = ImGui::IsItemHovered();
      ImGui::PopID();
      if (hovered) hovered_machine = static_cast<int32_t>(m);
      if (selected || hovered) {
        rows_dl->AddRectFilled(p, {p.x + avail.x, p.y + row_h},
                               selected ? IM_COL32(90, 140, 220, 55) : IM_COL32(255, 255, 255, 16));
      }
      const std::string& name = tl->names().machine[m];
      rows_dl->PushClipRect(p, {p.x + label_w - 4.0f * s, p.y + row_h}, true);
      const float text_y = p.y + (row_h - ui.fonts.small->FontSize) / 2.0f;
      rows_dl->AddText(ui.fonts.small, ui.fonts.small->FontSize, {p.x + 2.0f * s, text_y},
                       selected ? IM_COL32(255, 255, 255, 255) : IM_COL32(200, 206, 215, 255),
                       name.c_str());
      rows_dl->PopClipRect();
      rows_dl->PushClipRect({static_cast<float>(scale.x0), p.y},
                            {static_cast<float>(scale.x1), p.y + row_h}, true);
      float y = p.y + 2.5f * s;
      if (with_real) {
        // Real: only what has happened by the clock.
        tl->store().real_modes(m).query(t0_ns, std::min(t1_ns, clock_ns), segments);
        draw_segments(rows_dl, segments, *tl, scale, y, y + strip_h, 1e300, 1.0f);
        tl->store().alarms().query(static_cast<int32_t>(m), t0_ns, std::min(t1_ns, clock_ns),
                                   alarms);
        for (const AlarmMark& a : alarms) {
          // The twin's own alarms (live: coded TWIN_...) go on the twin's row below.
          if (a.active == 0 || is_twin_alarm_code(tl->store().alarms().code_name(a.code))) continue;
          const float x = static_cast<float>(scale.to_x(tl->to_s(a.time_ns)));
          rows_dl->AddTriangleFilled({x - 4.0f * s, y - 2.0f * s}, {x + 4.0f * s, y - 2.0f * s},
                                     {x, y + 5.0f * s}, IM_COL32(255, 235, 235, 255));
        }
        y += strip_h + 1.0f * s;
      }
      tl->store().twin_modes(m).query(t0_ns, t1_ns, segments);
      draw_segments(rows_dl, segments, *tl, scale, y, y + strip_h, clock, 0.38f);
      rows_dl->PopClipRect();
      // The twin's alarms on its row: diamonds (raised: by severity; cleared: hollow green),
      // known only up to the clock. Drawn unclipped so a marker at the edge stays whole.
      if (ui.condition != nullptr) {
        ui.condition->alarms_of(static_cast<int32_t>(m), t0_ns, std::min(t1_ns, clock_ns) + 1,
                                twin_alarms);
        const float yc = y + strip_h * 0.5f, r = 5.0f * s;
        for (size_t i : twin_alarms) {
          const TwinAlarm& a = ui.condition->alarms()[i];
          const float x = static_cast<float>(scale.to_x(tl->to_s(a.time_ns)));
          const ImVec2 d[4] = {{x, yc - r}, {x + r, yc}, {x, yc + r}, {x - r, yc}};
          if (a.active) {
            const Rgba c =
                a.severity == telemetry::SEVERITY_CRITICAL ? kTwinAlarmCritical : kTwinAlarmWarning;
            rows_dl->AddConvexPolyFilled(d, 4, to_imu32(c));
            rows_dl->AddPolyline(d, 4, IM_COL32(20, 20, 24, 255), ImDrawFlags_Closed, 1.2f * s);
          } else {
            rows_dl->AddPolyline(d, 4, to_imu32(kTwinAlarmCleared), ImDrawFlags_Closed, 1.5f * s);
          }
          const ImVec2 mouse = ImGui::GetIO().MousePos;
          if (hovered && std::abs(mouse.x - x) <= r + 1.0f && std::abs(mouse.y - yc) <= r + 2.0f)
            hovered_twin_alarm = static_cast<int64_t>(i);
        }
      }
      ImGui::SetCursorScreenPos({p.x, p.y + row_h});
    }
  }
  clipper.End();
  ImGui::EndChild();

  // Over the rows: breaks, the prediction boundary and the clock.
  const float rows_bottom = rows_top + rows_h;
  draw_breaks(dl, model, scale, rows_top, rows_bottom);
  const float xc = static_cast<float>(scale.to_x(clock));
  if (xc >= scale.x0 && xc <= scale.x1) {
    dl->AddLine({xc, origin.y}, {xc, rows_bottom}, IM_COL32(255, 255, 255, 220), 1.5f * s);
    const std::string now = format_clock(clock);
    dl->AddText(ui.fonts.small, ui.fonts.small->FontSize, {xc + 3.0f * s, origin.y},
                IM_COL32(255, 255, 255, 255), now.c_str());
  }

  if (hovered_twin_alarm >= 0) {
    const TwinAlarm& a = ui.condition->alarms()[static_cast<size_t>(hovered_twin_alarm)];
    ImGui::BeginTooltip();
    twin_alarm_tooltip(a, tl->to_s(a.time_ns));
    ImGui::EndTooltip();
  } else if (hovered_machine >= 0) {
    const double t = scale.to_t(ImGui::GetIO().MousePos.x);
    if (t >= scale.range.t0 && t <= scale.range.t1 && ImGui::GetIO().MousePos.x >= scale.x0) {
      const auto m = static_cast<uint32_t>(hovered_machine);
      const int64_t t_ns = tl->to_ns(t);
      ImGui::BeginTooltip();
      ImGui::Text("%s at %s", tl->names().machine[m].c_str(), format_clock(t).c_str());
      if (with_real) {
        ImGui::Text("real: %s", t <= clock
                                    ? telemetry_mode_name(mode_at(tl->store().real_modes(m), t_ns))
                                    : "(not yet)");
      }
      ImGui::Text("twin: %s%s", telemetry_mode_name(mode_at(tl->store().twin_modes(m), t_ns)),
                  t > clock ? " (prediction)" : "");
      ImGui::TextDisabled("click: plot this machine's tags");
      ImGui::EndTooltip();
    }
  }
  ImGui::End();
}

}  // namespace twin::viewer
