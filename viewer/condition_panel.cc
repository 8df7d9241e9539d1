// The panel's twin-condition section and the twin alarms' tooltip: what the twin's condition
// monitor says at the shown time (its alarms still active, each degrading component's remaining
// useful life), apart from the plant's own alarms.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "viewer/ui.h"

namespace twin::viewer {

std::string format_time_left(double seconds) {
  char text[32];
  if (!std::isfinite(seconds) || seconds > 7 * 86400.0) return "> 1 week";
  // Minutes as printed (rounded): just under an hour reads "1.0 h", not "60 min".
  const double minutes = std::round(std::max(seconds, 0.0) / 60.0);
  if (minutes < 60.0) {
    std::snprintf(text, sizeof text, "%.0f min", minutes);
  } else {
    std::snprintf(text, sizeof text, "%.1f h", seconds / 3600.0);
  }
  return text;
}

namespace {

ImVec4 severity_color(telemetry::Severity severity) {
  return to_vec4(severity == telemetry::SEVERITY_CRITICAL ? kTwinAlarmCritical : kTwinAlarmWarning);
}

}  // namespace

void twin_alarm_tooltip(const TwinAlarm& a, double t_s) {
  ImGui::TextColored(a.active ? severity_color(a.severity) : to_vec4(kTwinAlarmCleared),
                     "twin alarm %s%s", a.code.c_str(), a.active ? "" : " cleared");
  ImGui::Text("%s%s%s at %s", a.target.c_str(), a.tag.empty() ? "" : " / ", a.tag.c_str(),
              format_clock(t_s).c_str());
  ImGui::Text("suspected: %s   severity: %s", fault_kind_name(a.suspected),
              severity_name(a.severity));
  if (!a.evidence.empty()) {
    ImGui::PushTextWrapPos(ImGui::GetFontSize() * 28.0f);
    ImGui::TextDisabled("%s", a.evidence.c_str());
    ImGui::PopTextWrapPos();
  }
}

void draw_condition_section(const UiState& ui, double clock_s) {
  if (ui.condition == nullptr || ui.timeline == nullptr) return;
  const TwinConditionLog& log = *ui.condition;
  const ShiftTimeline& tl = *ui.timeline;
  const int64_t now_ns = tl.to_ns(clock_s);
  std::vector<size_t> active;
  log.active_at(now_ns, active);
  std::vector<size_t> rul;
  log.latest_rul_each(now_ns, rul);
  // An estimate counts while an alarm suspecting that fault on that machine is active (as for
  // the forecast, core/run/rul_failures.h): a cleared alarm means repaired or no longer suspect.
  std::erase_if(rul, [&](size_t i) {
    const RulPoint& p = log.rul()[i];
    return std::none_of(active.begin(), active.end(), [&](size_t k) {
      const TwinAlarm& a = log.alarms()[k];
      return a.target == p.target && a.suspected == p.suspected;
    });
  });
  if (active.empty() && rul.empty()) {
    ImGui::TextDisabled("no twin alarm, no degrading component in sight");
    return;
  }
  for (size_t i : active) {
    const TwinAlarm& a = log.alarms()[i];
    ImGui::TextColored(severity_color(a.severity), "%s", a.code.c_str());
    ImGui::SameLine();
    ImGui::Text("%s%s%s", a.target.c_str(), a.tag.empty() ? "" : " / ", a.tag.c_str());
    ImGui::SameLine();
    ImGui::TextDisabled("since %s", format_hhmm(tl.to_s(a.time_ns)).c_str());
    if (ImGui::IsItemHovered()) {
      ImGui::BeginTooltip();
      twin_alarm_tooltip(a, tl.to_s(a.time_ns));
      ImGui::EndTooltip();
    }
  }
  for (size_t i : rul) {
    const RulPoint& p = log.rul()[i];
    // The estimate ages: what is left of it at the clock.
    const double age_s = static_cast<double>(now_ns - p.time_ns) * 1e-9;
    const double median = p.median_s - age_s;
    ImGui::TextColored(to_vec4(kRulMedian), "RUL");
    ImGui::SameLine();
    ImGui::Text("%s %s: fails in ~%s (%s - %s)", p.target.c_str(), fault_kind_name(p.suspected),
                format_time_left(median).c_str(), format_time_left(p.lo_s - age_s).c_str(),
                format_time_left(p.hi_s - age_s).c_str());
    if (ImGui::IsItemHovered()) {
      ImGui::SetTooltip(
          "estimated at %s from %s; median and 5 %% .. 95 %% of the calendar time "
          "left",
          format_clock(tl.to_s(p.time_ns)).c_str(), p.tag.c_str());
    }
  }
}

}  // namespace twin::viewer
