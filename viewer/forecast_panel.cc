// The panel's forecast section: the good parts the line will have made at the shift end, forecast
// from the mirrored state at the shown time, and the cumulative plot of the line output: the real
// curve up to the clock and the forecast's fan (5 % .. 95 % of the replications, median) from
// the fork to the shift end. Drawn by hand with ImDrawList, like the tag plots.
#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "viewer/ui.h"

namespace twin::viewer {

namespace {

constexpr ImU32 kPlotBg = IM_COL32(18, 21, 26, 255);
constexpr ImU32 kPlotFrame = IM_COL32(60, 68, 80, 255);
constexpr ImU32 kAxisText = IM_COL32(140, 148, 160, 255);

// Linear interpolation of `v` over increasing `t` at `x` (clamped to the ends).
double interpolate(const std::vector<double>& t, const std::vector<double>& v, double x) {
  if (t.empty()) return 0.0;
  if (x <= t.front()) return v.front();
  if (x >= t.back()) return v.back();
  const auto it = std::upper_bound(t.begin(), t.end(), x);
  const size_t i = static_cast<size_t>(it - t.begin());
  const double w = (x - t[i - 1]) / std::max(t[i] - t[i - 1], 1e-9);
  return v[i - 1] + w * (v[i] - v[i - 1]);
}

// The real curve up to the clock and the fan from the fork to the shift end.
void draw_cumulative_plot(const UiState& ui, const ForecastView& fv, double clock_s,
                          double shift_end_s) {
  const float s = ui.scale;
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float label_w = 44.0f * s;
  const ImVec2 p = ImGui::GetCursorScreenPos();
  const float w = ImGui::GetContentRegionAvail().x;
  const float h = 118.0f * s;
  const float axis_h = ui.fonts.small->FontSize + 2.0f * s;
  ImGui::InvisibleButton("##forecast_plot", {std::max(w, 1.0f), h + axis_h});
  const bool hovered = ImGui::IsItemHovered();
  const float x0 = p.x + label_w, x1 = p.x + w - 4.0f * s;
  const float y0 = p.y + 2.0f * s, y1 = p.y + h;
  const double t_end = std::max(shift_end_s, 1.0);
  auto xs = [&](double t) { return static_cast<float>(x0 + t / t_end * (x1 - x0)); };

  const ForecastFan* fan = fv.has_result ? &fv.result.fan : nullptr;
  double y_max = 1.0;
  for (size_t i = 0; i < fv.real_t_s.size() && fv.real_t_s[i] <= clock_s; ++i)
    y_max = std::max(y_max, fv.real_good[i]);
  if (fan != nullptr && !fan->p95.empty()) y_max = std::max(y_max, fan->p95.back());
  const CalibratedBand* wide =
      fan != nullptr && fv.calibrated && fv.calibrated_band.hi.size() == fan->t_s.size()
          ? &fv.calibrated_band
          : nullptr;
  if (wide != nullptr && !wide->hi.empty()) y_max = std::max(y_max, wide->hi.back());
  y_max *= 1.08;
  auto ys = [&](double v) { return static_cast<float>(y1 - v / y_max * (y1 - y0)); };

  dl->AddRectFilled({x0, y0}, {x1, y1}, kPlotBg);
  dl->PushClipRect({x0, y0}, {x1 + 1.0f, y1}, true);
  // Gridlines every quarter of the height.
  for (int k = 1; k < 4; ++k) {
    const float y = y0 + (y1 - y0) * static_cast<float>(k) / 4.0f;
    dl->AddLine({x0, y}, {x1, y}, IM_COL32(255, 255, 255, 14));
  }
  // The fan: one quad per checkpoint interval (the calibrated band, fainter, behind the line
  // model's), then the median.
  if (fan != nullptr && fan->t_s.size() >= 2) {
    const double off = fv.axis_offset_s;
    // One quad per checkpoint interval between `lo` and `hi`.
    const auto fill_band = [&](const std::vector<double>& lo, const std::vector<double>& hi,
                               Rgba color) {
      const ImU32 c32 = to_imu32(color);
      for (size_t c = 0; c + 1 < fan->t_s.size(); ++c) {
        const float xa = xs(fan->t_s[c] + off), xb = xs(fan->t_s[c + 1] + off);
        const ImVec2 quad[4] = {
            {xa, ys(hi[c])}, {xb, ys(hi[c + 1])}, {xb, ys(lo[c + 1])}, {xa, ys(lo[c])}};
        dl->AddConvexPolyFilled(quad, 4, c32);
      }
    };
    if (wide != nullptr) fill_band(wide->lo, wide->hi, kForecastCalibrated);
    fill_band(fan->p05, fan->p95, kForecastFan);
    const ImU32 median = to_imu32(kForecastMedian);
    for (size_t c = 0; c + 1 < fan->t_s.size(); ++c) {
      dl->AddLine({xs(fan->t_s[c] + off), ys(fan->p50[c])},
                  {xs(fan->t_s[c + 1] + off), ys(fan->p50[c + 1])}, median, 1.5f * s);
    }
  }
  // The real output so far.
  const ImU32 real = to_imu32(kRealOutput);
  for (size_t i = 1; i < fv.real_t_s.size() && fv.real_t_s[i] <= clock_s; ++i) {
    dl->AddLine({xs(fv.real_t_s[i - 1]), ys(fv.real_good[i - 1])},
                {xs(fv.real_t_s[i]), ys(fv.real_good[i])}, real, 1.5f * s);
  }
  const float xc = xs(clock_s);
  dl->AddLine({xc, y0}, {xc, y1}, IM_COL32(255, 255, 255, 160), 1.0f * s);
  dl->PopClipRect();
  // The 90 % interval at the shift end, as a bracket at the right edge.
  if (fan != nullptr && !fan->p95.empty()) {
    const ImU32 c = to_imu32(kForecastEnd);
    const float ya = ys(wide != nullptr ? wide->hi.back() : fan->p95.back());
    const float yb = ys(wide != nullptr ? wide->lo.back() : fan->p05.back());
    dl->AddLine({x1, ya}, {x1, yb}, c, 3.0f * s);
    dl->AddLine({x1 - 5.0f * s, ya}, {x1, ya}, c, 1.5f * s);
    dl->AddLine({x1 - 5.0f * s, yb}, {x1, yb}, c, 1.5f * s);
  }
  dl->AddRect({x0, y0}, {x1, y1}, kPlotFrame);
  // Axes: parts on the left, the shift's start and end below.
  char text[32];
  std::snprintf(text, sizeof text, "%.0f", y_max);
  dl->AddText(ui.fonts.small, ui.fonts.small->FontSize, {p.x, y0}, kAxisText, text);
  dl->AddText(ui.fonts.small, ui.fonts.small->FontSize, {p.x, y1 - ui.fonts.small->FontSize},
              kAxisText, "0");
  dl->AddText(ui.fonts.small, ui.fonts.small->FontSize, {x0, y1 + 1.0f * s}, kAxisText,
              format_hhmm(0.0).c_str());
  const std::string end = format_hhmm(t_end);
  const float end_w =
      ui.fonts.small->CalcTextSizeA(ui.fonts.small->FontSize, 1e9f, 0.0f, end.c_str()).x;
  dl->AddText(ui.fonts.small, ui.fonts.small->FontSize, {x1 - end_w, y1 + 1.0f * s}, kAxisText,
              end.c_str());
  const char* key = wide != nullptr ? "real  |  median  |  90 %: model, calibrated"
                                    : "real  |  forecast: median, 90 % of shifts";
  const float key_w = ui.fonts.small->CalcTextSizeA(ui.fonts.small->FontSize, 1e9f, 0.0f, key).x;
  dl->AddText(ui.fonts.small, ui.fonts.small->FontSize, {(x0 + x1 - key_w) / 2.0f, y1 + 1.0f * s},
              kAxisText, key);

  if (hovered) {
    const double t =
        std::clamp(static_cast<double>((ImGui::GetIO().MousePos.x - x0) / (x1 - x0)), 0.0, 1.0) *
        t_end;
    ImGui::BeginTooltip();
    ImGui::Text("at %s", format_clock(t).c_str());
    if (t <= clock_s && !fv.real_t_s.empty())
      ImGui::Text("real: %.0f good parts", interpolate(fv.real_t_s, fv.real_good, t));
    if (fan != nullptr && t >= fan->t_s.front() + fv.axis_offset_s) {
      const double tf = t - fv.axis_offset_s;
      ImGui::Text("forecast: %.0f (90 %%: %.0f .. %.0f)", interpolate(fan->t_s, fan->p50, tf),
                  interpolate(fan->t_s, fan->p05, tf), interpolate(fan->t_s, fan->p95, tf));
      if (wide != nullptr) {
        ImGui::Text("calibrated 90 %%: %.0f .. %.0f", interpolate(fan->t_s, wide->lo, tf),
                    interpolate(fan->t_s, wide->hi, tf));
      }
    }
    ImGui::EndTooltip();
  }
}

}  // namespace

void draw_forecast_section(const UiState& ui, double clock_s) {
  if (ui.forecast == nullptr || !ui.forecast->available) return;
  const ForecastView& fv = *ui.forecast;
  const Forecast* f = fv.has_result ? &fv.result : nullptr;
  const double shift_end_axis_s = f != nullptr ? f->shift_end_s + fv.axis_offset_s
                                               : (ui.timeline ? ui.timeline->duration_s() : 0.0);
  if (ImGui::BeginTable("forecast", 2, ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingStretchProp)) {
    ImGui::TableSetupColumn("what", ImGuiTableColumnFlags_WidthStretch, 1.0f);
    ImGui::TableSetupColumn("value", ImGuiTableColumnFlags_WidthStretch, 1.3f);
    if (f != nullptr) {
      table_row("Good parts so far", "%" PRIu64, f->good_so_far);
      char label[64];
      std::snprintf(label, sizeof label, "Expected at %s", format_hhmm(shift_end_axis_s).c_str());
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(label);
      ImGui::TableNextColumn();
      ImGui::PushFont(ui.fonts.bold);
      ImGui::TextColored(to_vec4(kForecastMedian), "%.0f", f->mean.mean);
      ImGui::PopFont();
      if (fv.calibrated) {
        table_row("  90 %, calibrated", "%.0f .. %.0f", fv.calibrated_end.lo, fv.calibrated_end.hi);
        if (ImGui::IsItemHovered()) {
          ImGui::SetTooltip(
              "The line model's interval widened by its misses on past shifts (the fit's "
              "forecast calibration): it also holds the stops the model has no failure mode for");
        }
        table_row("  90 %, line model", "%.0f .. %.0f", f->p05, f->p95);
      } else {
        table_row("  90 % of shifts", "%.0f .. %.0f", f->p05, f->p95);
      }
      table_row("  mean, 95 % CI", "%.1f .. %.1f", f->mean.mean - f->mean.half_width,
                f->mean.mean + f->mean.half_width);
    } else {
      table_row("Good parts so far", "-");
      table_row("Expected at the end", "-");
    }
    ImGui::EndTable();
  }
  // Which time the numbers are for, and whether a newer forecast is on its way.
  if (fv.state == JobState::kRunning) {
    ImGui::TextDisabled("forecasting... %zu / %zu replications", fv.progress.done,
                        fv.progress.total);
  } else if (f != nullptr) {
    ImGui::TextDisabled("from %s: %zu replications in %.2f s",
                        format_clock(f->at_s + fv.axis_offset_s).c_str(), f->good_at_end.size(),
                        f->wall_s);
  } else if (!fv.error.empty()) {
    ImGui::TextColored({1.0f, 0.45f, 0.4f, 1.0f}, "%s", fv.error.c_str());
  } else {
    ImGui::TextDisabled("no forecast yet");
  }
  if (ImGui::IsItemHovered() && !fv.note.empty()) ImGui::SetTooltip("%s", fv.note.c_str());
  draw_cumulative_plot(ui, fv, clock_s, shift_end_axis_s);
}

}  // namespace twin::viewer
