// The tag plots pane: the selected machine's measured tags beside the twin's estimate. Drawn by
// hand with ImDrawList (Debian packages no ImPlot) from min/max-decimated buckets, so a long
// shift costs one bucket per pixel column and a one-sample spike still shows.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "viewer/ui.h"

namespace twin::viewer {

namespace {

const ImU32 kMeasured = to_imu32(kSeriesMeasured);
const ImU32 kEstimate = to_imu32(kSeriesEstimate);
const ImU32 kBand = to_imu32(kSeriesBand);
const ImU32 kAlarm = to_imu32(kAlarmRaised);
constexpr ImU32 kPlotBg = IM_COL32(18, 21, 26, 255);
constexpr ImU32 kPlotFrame = IM_COL32(60, 68, 80, 255);
constexpr double kResidualAlarmZ = 4.0;  // |z| drawn red above this

// What one plot reads, decimated to pixel columns.
struct PlotBuckets {
  std::vector<SeriesBucket> measured, estimate, sd, residual;
};

struct YRange {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  void add(double v) {
    if (!std::isfinite(v)) return;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  bool valid() const { return lo <= hi; }
};

float y_of(double v, const YRange& r, float y0, float y1) {
  return static_cast<float>(y1 - (v - r.lo) / (r.hi - r.lo) * (y1 - y0));
}

void draw_alarm_lines(ImDrawList* dl, const UiState& ui, const ShiftTimeline& tl,
                      const std::vector<AlarmMark>& alarms, const TimeScale& scale, float y0,
                      float y1, bool labels) {
  for (const AlarmMark& a : alarms) {
    // The twin's own alarms (live: coded TWIN_...) are drawn from the condition log instead.
    if (is_twin_alarm_code(tl.store().alarms().code_name(a.code))) continue;
    const float x = static_cast<float>(scale.to_x(tl.to_s(a.time_ns)));
    if (x < scale.x0 || x > scale.x1) continue;
    const ImU32 c = a.active != 0 ? kAlarm : to_imu32(kAlarmCleared);
    for (float y = y0; y < y1; y += 6.0f * ui.scale) {
      dl->AddLine({x, y}, {x, std::min(y + 3.0f * ui.scale, y1)}, c, 1.0f * ui.scale);
    }
    if (labels && a.active != 0) {
      const std::string& code = tl.store().alarms().code_name(a.code);
      dl->AddText(ui.fonts.small, ui.fonts.small->FontSize, {x + 3.0f * ui.scale, y0}, c,
                  code.c_str());
    }
  }
}

// The twin's alarms on this tag (or on the machine with no tag): solid lines with a diamond.
void draw_twin_alarm_lines(ImDrawList* dl, const UiState& ui, const ShiftTimeline& tl,
                           uint32_t slot, const std::vector<size_t>& twin_alarms,
                           const TimeScale& scale, float y0, float y1) {
  const float s = ui.scale;
  for (size_t i : twin_alarms) {
    const TwinAlarm& a = ui.condition->alarms()[i];
    if (!a.tag.empty() && a.tag != tl.names().tag_name[slot]) continue;
    const float x = static_cast<float>(scale.to_x(tl.to_s(a.time_ns)));
    if (x < scale.x0 || x > scale.x1) continue;
    const Rgba c = !a.active                                    ? kTwinAlarmCleared
                   : a.severity == telemetry::SEVERITY_CRITICAL ? kTwinAlarmCritical
                                                                : kTwinAlarmWarning;
    dl->AddLine({x, y0}, {x, y1}, to_imu32(c, 0.8f), 1.0f * s);
    const float r = 4.0f * s;
    const ImVec2 d[4] = {{x, y0}, {x + r, y0 + r}, {x, y0 + 2.0f * r}, {x - r, y0 + r}};
    dl->AddConvexPolyFilled(d, 4, to_imu32(c));
    if (a.active) {
      dl->AddText(ui.fonts.small, ui.fonts.small->FontSize * 0.85f, {x + r + 1.0f * s, y0},
                  to_imu32(c), a.code.c_str());
    }
  }
}

// The remaining useful life of what this tag indicates, as estimated over time: the median
// hours left with its 5 % .. 95 % band, up to the clock. Returns false when there is none.
bool draw_rul_strip(ImDrawList* dl, const UiState& ui, const ShiftTimeline& tl, uint32_t slot,
                    const TimeScale& scale, double clock_s, float px, float y0, float y1) {
  const float s = ui.scale;
  const std::string& machine = tl.names().machine[tl.names().tag_machine[slot]];
  const std::string& tag = tl.names().tag_name[slot];
  const int64_t clock_ns = tl.to_ns(clock_s);
  double top_h = 0.0;
  bool any = false;
  for (const RulPoint& p : ui.condition->rul()) {
    if (p.time_ns > clock_ns) break;
    if (p.target != machine || p.tag != tag) continue;
    any = true;
    top_h = std::max(top_h, std::isfinite(p.median_s) ? p.median_s / 3600.0 : 0.0);
  }
  if (!any) return false;
  top_h = std::clamp(top_h * 1.5, 1.0, 48.0);
  const float x0 = static_cast<float>(scale.x0), x1 = static_cast<float>(scale.x1);
  auto ys = [&](double s_left) {
    const double h = std::clamp(s_left / 3600.0, 0.0, top_h);
    return static_cast<float>(y1 - h / top_h * (y1 - y0));
  };
  dl->AddRectFilled({x0, y0}, {x1, y1}, kPlotBg);
  dl->PushClipRect({x0, y0}, {x1, y1}, true);
  const RulPoint* prev = nullptr;
  for (const RulPoint& p : ui.condition->rul()) {
    if (p.time_ns > clock_ns) break;
    if (p.target != machine || p.tag != tag) continue;
    const float x = static_cast<float>(scale.to_x(tl.to_s(p.time_ns)));
    if (prev != nullptr) {
      const float xp = static_cast<float>(scale.to_x(tl.to_s(prev->time_ns)));
      const ImVec2 quad[4] = {
          {xp, ys(prev->hi_s)}, {x, ys(p.hi_s)}, {x, ys(p.lo_s)}, {xp, ys(prev->lo_s)}};
      dl->AddConvexPolyFilled(quad, 4, to_imu32(kRulBand));
      dl->AddLine({xp, ys(prev->median_s)}, {x, ys(p.median_s)}, to_imu32(kRulMedian), 1.5f * s);
    } else {
      dl->AddCircleFilled({x, ys(p.median_s)}, 2.0f * s, to_imu32(kRulMedian));
    }
    prev = &p;
  }
  dl->PopClipRect();
  dl->AddRect({x0, y0}, {x1, y1}, kPlotFrame);
  char label[48];
  std::snprintf(label, sizeof label, "RUL %.0fh", top_h);
  dl->AddText(ui.fonts.small, ui.fonts.small->FontSize * 0.85f, {px, y0},
              IM_COL32(140, 148, 160, 255), label);
  // The latest estimate in words, aged to the clock.
  if (prev != nullptr) {
    const double age = static_cast<double>(clock_ns - prev->time_ns) * 1e-9;
    const std::string text = "fails in ~" + format_time_left(prev->median_s - age) + " (" +
                             format_time_left(prev->lo_s - age) + " - " +
                             format_time_left(prev->hi_s - age) + ")";
    dl->AddText(ui.fonts.small, ui.fonts.small->FontSize, {x0 + 4.0f * s, y0 + 1.0f * s},
                to_imu32(kRulMedian), text.c_str());
  }
  return true;
}

// Whether the condition log has an RUL estimate of this tag by the clock.
bool has_rul(const UiState& ui, const ShiftTimeline& tl, uint32_t slot, double clock_s) {
  if (ui.condition == nullptr) return false;
  const std::string& machine = tl.names().machine[tl.names().tag_machine[slot]];
  return ui.condition->latest_rul(machine, tl.names().tag_name[slot], tl.to_ns(clock_s)) != nullptr;
}

// One tag: measured min/max columns, the estimate and its band; below it the residual strip.
// Returns true when the mouse is over it.
void draw_tag(ImDrawList* dl, const UiState& ui, const ShiftTimeline& tl, uint32_t slot,
              const TimeScale& scale, double clock_s, const std::vector<AlarmMark>& alarms,
              const std::vector<size_t>& twin_alarms, ImVec2 p, float plot_h, float resid_h,
              float rul_h, PlotBuckets& b) {
  const float s = ui.scale;
  const MirrorModel& names = tl.names();
  const float x0 = static_cast<float>(scale.x0), x1 = static_cast<float>(scale.x1);
  const float top = p.y + ui.fonts.small->FontSize + 2.0f * s;
  const float y0 = top, y1 = top + plot_h;
  const float r0 = y1 + 2.0f * s, r1 = r0 + resid_h;
  // Only what has happened by the clock (a recording's later samples stay hidden).
  const int64_t t0_ns = tl.to_ns(scale.range.t0);
  const int64_t full_t1_ns = tl.to_ns(scale.range.t1);
  const auto columns = static_cast<size_t>(std::max(x1 - x0, 1.0f));
  // Query the full range so bucket i is pixel column i; the part after the clock stays empty.
  auto query = [&](const TagSeries& series, std::vector<SeriesBucket>& out) {
    series.query(t0_ns, full_t1_ns, columns, out);
    const double clock_col = (scale.to_x(clock_s) - scale.x0);
    for (size_t i = 0; i < out.size(); ++i) {
      if (static_cast<double>(i) > clock_col) out[i].count = 0;
    }
  };
  query(tl.store().tag(slot), b.measured);
  const TagEstimateSeries& est = tl.estimate(slot);
  query(est.estimate, b.estimate);
  query(est.sd, b.sd);
  query(est.residual_z, b.residual);
  const bool estimated = tl.estimated(slot);

  YRange range;
  for (size_t i = 0; i < columns; ++i) {
    if (b.measured[i].count > 0) {
      range.add(b.measured[i].min);
      range.add(b.measured[i].max);
    }
    if (b.estimate[i].count > 0 && b.sd[i].count > 0) {
      range.add(b.estimate[i].last - 2.0 * b.sd[i].last);
      range.add(b.estimate[i].last + 2.0 * b.sd[i].last);
    }
  }
  if (range.valid()) {
    const double pad =
        std::max((range.hi - range.lo) * 0.06, 1e-6 * std::max(1.0, std::abs(range.hi)));
    range.lo -= pad;
    range.hi += pad;
  }

  // Title: tag, unit, last values.
  char title[160];
  const std::string& unit = names.tag_unit[slot];
  std::snprintf(title, sizeof title, "%s%s%s%s", names.tag_name[slot].c_str(),
                unit.empty() ? "" : " [", unit.c_str(), unit.empty() ? "" : "]");
  dl->AddText(ui.fonts.small, ui.fonts.small->FontSize, {p.x, p.y}, IM_COL32(220, 225, 232, 255),
              title);
  if (!estimated) {
    const float tw = ui.fonts.small->CalcTextSizeA(ui.fonts.small->FontSize, 1e9f, 0.0f, title).x;
    dl->AddText(ui.fonts.small, ui.fonts.small->FontSize, {p.x + tw + 8.0f * s, p.y},
                IM_COL32(140, 148, 160, 255), "(counter: no estimate)");
  }
  dl->AddRectFilled({x0, y0}, {x1, y1}, kPlotBg);
  dl->AddRectFilled({x0, r0}, {x1, r1}, kPlotBg);
  if (!range.valid()) {
    dl->AddText(ui.fonts.small, ui.fonts.small->FontSize, {x0 + 6.0f * s, y0 + 4.0f * s},
                IM_COL32(140, 148, 160, 255), "no samples in this range");
  } else {
    // Y labels.
    char lo[32], hi[32];
    std::snprintf(lo, sizeof lo, "%.4g", range.lo);
    std::snprintf(hi, sizeof hi, "%.4g", range.hi);
    dl->AddText(ui.fonts.small, ui.fonts.small->FontSize, {p.x, y0 + 1.0f * s},
                IM_COL32(140, 148, 160, 255), hi);
    dl->AddText(ui.fonts.small, ui.fonts.small->FontSize,
                {p.x, y1 - ui.fonts.small->FontSize - 1.0f * s}, IM_COL32(140, 148, 160, 255), lo);
    dl->PushClipRect({x0, y0}, {x1, y1}, true);
    // The twin's band and estimate.
    for (size_t i = 0; i < columns; ++i) {
      if (b.estimate[i].count == 0 || b.sd[i].count == 0) continue;
      const float x = x0 + static_cast<float>(i);
      const double e = b.estimate[i].last, sd = b.sd[i].last;
      dl->AddRectFilled({x, y_of(e + 2.0 * sd, range, y0, y1)},
                        {x + 1.0f, y_of(e - 2.0 * sd, range, y0, y1)}, kBand);
    }
    // Measured: a min-max bar per column joined by a line through first/last.
    float prev_y = 0.0f;
    bool have_prev = false;
    for (size_t i = 0; i < columns; ++i) {
      const SeriesBucket& m = b.measured[i];
      if (m.count == 0) {
        have_prev = false;
        continue;
      }
      const float x = x0 + static_cast<float>(i) + 0.5f;
      const float ya = y_of(m.max, range, y0, y1), yb = y_of(m.min, range, y0, y1);
      if (have_prev) dl->AddLine({x - 1.0f, prev_y}, {x, y_of(m.first, range, y0, y1)}, kMeasured);
      dl->AddLine({x, std::min(ya, yb - 1.0f)}, {x, yb}, kMeasured);
      prev_y = y_of(m.last, range, y0, y1);
      have_prev = true;
    }
    // Estimate line on top.
    have_prev = false;
    for (size_t i = 0; i < columns; ++i) {
      if (b.estimate[i].count == 0) {
        have_prev = false;
        continue;
      }
      const float x = x0 + static_cast<float>(i) + 0.5f;
      const float y = y_of(b.estimate[i].last, range, y0, y1);
      if (have_prev) dl->AddLine({x - 1.0f, prev_y}, {x, y}, kEstimate, 1.5f * s);
      prev_y = y;
      have_prev = true;
    }
    dl->PopClipRect();
  }
  // Residual strip: |z| per column (max over the column), coloured by size.
  dl->PushClipRect({x0, r0}, {x1, r1}, true);
  for (size_t i = 0; i < columns; ++i) {
    const SeriesBucket& z = b.residual[i];
    if (z.count == 0) continue;
    const double worst =
        std::max(std::abs(static_cast<double>(z.min)), std::abs(static_cast<double>(z.max)));
    const double frac = std::min(worst / (2.0 * kResidualAlarmZ), 1.0);
    const ImU32 c = worst >= kResidualAlarmZ ? IM_COL32(230, 60, 60, 255)
                    : worst >= 2.0           ? IM_COL32(230, 190, 50, 255)
                                             : IM_COL32(70, 150, 90, 255);
    const float x = x0 + static_cast<float>(i);
    dl->AddRectFilled({x, r1 - static_cast<float>(frac) * (r1 - r0)}, {x + 1.0f, r1}, c);
  }
  dl->PopClipRect();
  dl->AddRect({x0, y0}, {x1, y1}, kPlotFrame);
  dl->AddRect({x0, r0}, {x1, r1}, kPlotFrame);
  dl->AddText(ui.fonts.small, ui.fonts.small->FontSize * 0.85f, {p.x, r0 - 1.0f * s},
              IM_COL32(140, 148, 160, 255), "resid.");
  draw_alarm_lines(dl, ui, tl, alarms, scale, y0, r1, false);
  float bottom = r1;
  if (rul_h > 0.0f &&
      draw_rul_strip(dl, ui, tl, slot, scale, clock_s, p.x, r1 + 2.0f * s, r1 + 2.0f * s + rul_h))
    bottom = r1 + 2.0f * s + rul_h;
  if (ui.condition != nullptr)
    draw_twin_alarm_lines(dl, ui, tl, slot, twin_alarms, scale, y0, bottom);
  const float xc = static_cast<float>(scale.to_x(clock_s));
  if (xc >= x0 && xc <= x1)
    dl->AddLine({xc, y0}, {xc, bottom}, IM_COL32(255, 255, 255, 200), 1.0f * s);
}

}  // namespace

void draw_tag_plots(const Rect& pane, UiState& ui, const Playback& pb) {
  begin_pane(pane, "Tags");
  const ShiftTimeline* tl = ui.timeline;
  const float s = ui.scale;
  const int32_t m = ui.selected_machine;
  ImGui::PushFont(ui.fonts.bold);
  if (tl != nullptr && m >= 0 && static_cast<size_t>(m) < tl->names().machine.size()) {
    ImGui::Text("Tags of %s", tl->names().machine[static_cast<size_t>(m)].c_str());
  } else {
    ImGui::TextUnformatted("Tags");
  }
  ImGui::PopFont();
  if (tl == nullptr || m < 0 || static_cast<size_t>(m) >= tl->names().machine.size()) {
    ImGui::TextDisabled("Click a machine (plan, station table or mode strips) to plot its tags.");
    ImGui::End();
    return;
  }
  const auto machine = static_cast<uint32_t>(m);
  const MirrorModel& names = tl->names();
  const uint32_t first = names.tag_offset[machine], last = names.tag_offset[machine + 1];
  if (!tl->has_real()) {
    ImGui::TextDisabled(
        "No measured tags: open a recording (twin view SCENE SHIFT.mcap) or a "
        "live source.");
    ImGui::End();
    return;
  }
  // Key.
  ImDrawList* dl = ImGui::GetWindowDrawList();
  {
    ImGui::SameLine();
    const ImVec2 k = ImGui::GetCursorScreenPos();
    const float h = ImGui::GetTextLineHeight();
    float x = k.x + 8.0f * s;
    auto key = [&](ImU32 c, const char* text, bool band) {
      if (band) {
        dl->AddRectFilled({x, k.y + h * 0.25f}, {x + 14.0f * s, k.y + h * 0.75f}, c);
      } else {
        dl->AddLine({x, k.y + h * 0.5f}, {x + 14.0f * s, k.y + h * 0.5f}, c, 2.0f * s);
      }
      x += 18.0f * s;
      dl->AddText(ui.fonts.small, ui.fonts.small->FontSize, {x, k.y + 1.0f * s},
                  IM_COL32(190, 196, 205, 255), text);
      x += ui.fonts.small->CalcTextSizeA(ui.fonts.small->FontSize, 1e9f, 0.0f, text).x + 12.0f * s;
    };
    key(kMeasured, "measured", false);
    key(kEstimate, "twin estimate", false);
    key(kBand, "+-2 sd", true);
    key(kAlarm, "alarm", false);
    if (ui.condition != nullptr) key(to_imu32(kTwinAlarmWarning), "twin alarm / RUL", false);
    ImGui::NewLine();
  }

  const double clock = pb.clock();
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float label_w = 64.0f * s;
  const float plot_h = 54.0f * s, resid_h = 10.0f * s;
  const float block_h =
      ui.fonts.small->FontSize + 2.0f * s + plot_h + 2.0f * s + resid_h + 8.0f * s;
  ImGui::BeginChild("##plots", avail, false, ImGuiWindowFlags_NoSavedSettings);
  ImDrawList* pdl = ImGui::GetWindowDrawList();
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  TimeScale scale;
  scale.range = time_range(clock, tl->duration_s(), ui.time_window_s);
  scale.x0 = origin.x + label_w;
  scale.x1 = origin.x + ImGui::GetContentRegionAvail().x - 4.0f * s;
  std::vector<AlarmMark> alarms;
  tl->store().alarms().query(m, tl->to_ns(scale.range.t0),
                             tl->to_ns(std::min(scale.range.t1, clock)), alarms);
  std::vector<size_t> twin_alarms;
  if (ui.condition != nullptr) {
    ui.condition->alarms_of(m, tl->to_ns(scale.range.t0),
                            tl->to_ns(std::min(scale.range.t1, clock)) + 1, twin_alarms);
  }
  const float rul_h = 26.0f * s;
  PlotBuckets buckets;
  for (uint32_t slot = first; slot < last; ++slot) {
    const ImVec2 p = ImGui::GetCursorScreenPos();
    const float extra = has_rul(ui, *tl, slot, clock) ? rul_h + 2.0f * s : 0.0f;
    if (ImGui::IsRectVisible({p.x, p.y}, {p.x + avail.x, p.y + block_h + extra})) {
      draw_tag(pdl, ui, *tl, slot, scale, clock, alarms, twin_alarms, p, plot_h, resid_h,
               extra > 0.0f ? rul_h : 0.0f, buckets);
    }
    ImGui::Dummy({avail.x, block_h + extra});
  }
  if (first == last) ImGui::TextDisabled("This machine has no tags in the scene.");
  // Alarm codes once, at the top of the first plot.
  if (!alarms.empty() && first < last) {
    draw_alarm_lines(pdl, ui, *tl, alarms, scale, origin.y, origin.y + 1.0f, true);
  }
  ImGui::EndChild();
  ImGui::End();
}

}  // namespace twin::viewer
