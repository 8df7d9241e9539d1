// The control panel pane: playback controls, the simulated clock and the KPI tables.
#include <algorithm>
#include <array>
#include <cinttypes>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <string>

#include "viewer/ui.h"

namespace twin::viewer {

std::string format_clock(double seconds) {
  const auto total = static_cast<int64_t>(std::floor(std::max(seconds, 0.0)));
  const int64_t days = total / 86400, h = total / 3600 % 24, m = total / 60 % 60, s = total % 60;
  char text[48];
  if (days > 0) {
    std::snprintf(text, sizeof text, "d%" PRId64 " %02" PRId64 ":%02" PRId64 ":%02" PRId64, days, h,
                  m, s);
  } else {
    std::snprintf(text, sizeof text, "%02" PRId64 ":%02" PRId64 ":%02" PRId64, h, m, s);
  }
  return text;
}

namespace {

void heading(const UiState& ui, const char* text) {
  ImGui::Spacing();
  ImGui::PushFont(ui.fonts.bold);
  ImGui::TextUnformatted(text);
  ImGui::PopFont();
  ImGui::Separator();
}

// A button drawn as selected when `active`.
bool toggle_button(const char* label, bool active) {
  if (active)
    ImGui::PushStyleColor(ImGuiCol_Button, ImGui::GetStyleColorVec4(ImGuiCol_ButtonActive));
  const bool pressed = ImGui::Button(label);
  if (active) ImGui::PopStyleColor();
  return pressed;
}

void draw_controls(UiState& ui, Playback& pb) {
  const float s = ui.scale;
  if (ui.live) {
    // A live source sets the clock: nothing to play, pause or scrub.
    ImGui::PushStyleColor(ImGuiCol_Button, ImVec4(0.75f, 0.15f, 0.15f, 1.0f));
    ImGui::PushStyleColor(ImGuiCol_ButtonHovered, ImVec4(0.75f, 0.15f, 0.15f, 1.0f));
    ImGui::PushStyleColor(ImGuiCol_ButtonActive, ImVec4(0.75f, 0.15f, 0.15f, 1.0f));
    ImGui::Button("LIVE");
    ImGui::PopStyleColor(3);
    ImGui::SameLine();
    ImGui::AlignTextToFramePadding();
    ImGui::TextDisabled("%s", ui.live_label.empty() ? "live source" : ui.live_label.c_str());
    ImGui::SameLine();
    if (ImGui::Button("Fit")) ui.view = ViewState{};
    return;
  }
  const ImVec2 big{96.0f * s, 0.0f};
  if (pb.finished()) {
    ImGui::BeginDisabled();
    ImGui::Button("Finished", big);
    ImGui::EndDisabled();
  } else if (ImGui::Button(pb.playing() ? "Pause" : "Play", big)) {
    pb.set_playing(!pb.playing());
  }
  ImGui::SameLine();
  if (ImGui::Button("Restart")) pb.restart();
  ImGui::SameLine();
  if (ImGui::Button("+1 min")) pb.seek(pb.clock() + 60.0);
  ImGui::SameLine();
  if (ImGui::Button("+1 h")) pb.seek(pb.clock() + 3600.0);
  ImGui::SameLine();
  if (ImGui::Button("Fit")) ui.view = ViewState{};

  ImGui::AlignTextToFramePadding();
  ImGui::TextUnformatted("Speed");
  static constexpr double kPresets[] = {1.0, 10.0, 60.0, 100.0, 1000.0};
  static constexpr const char* kLabels[] = {"1x", "10x", "60x", "100x", "1000x"};
  for (size_t i = 0; i < std::size(kPresets); ++i) {
    ImGui::SameLine();
    if (toggle_button(kLabels[i], !pb.max_speed() && pb.speed() == kPresets[i])) {
      pb.set_speed(kPresets[i]);
      pb.set_max_speed(false);
    }
  }
  ImGui::SameLine();
  if (toggle_button("max", pb.max_speed())) pb.set_max_speed(!pb.max_speed());

  float speed = static_cast<float>(pb.speed());
  ImGui::SetNextItemWidth(-1.0f);
  if (pb.max_speed()) ImGui::BeginDisabled();
  if (ImGui::SliderFloat("##speed", &speed, static_cast<float>(kMinSpeed),
                         static_cast<float>(kMaxSpeed), "%.0fx real time",
                         ImGuiSliderFlags_Logarithmic)) {
    pb.set_speed(speed);
  }
  if (pb.max_speed()) ImGui::EndDisabled();
}

void draw_clock(UiState& ui, Playback& pb) {
  ImGui::PushFont(ui.fonts.large);
  ImGui::TextUnformatted(format_clock(pb.clock()).c_str());
  ImGui::PopFont();
  ImGui::SameLine();
  const std::string end = "/ " + format_clock(pb.horizon());
  ImGui::SetCursorPosY(ImGui::GetCursorPosY() + ui.fonts.large->FontSize - ImGui::GetFontSize() -
                       2.0f * ui.scale);
  ImGui::TextDisabled("%s", end.c_str());
  const Model& model = pb.model();
  if (!model.calendar.empty() && model.calendar.is_off(pb.clock())) {
    ImGui::SameLine();
    ImGui::TextColored(to_vec4(mode_color(Mode::kOff)), " BREAK");
  }
  // The timeline: drag to scrub (back and forth).
  float t = static_cast<float>(pb.clock());
  ImGui::SetNextItemWidth(-1.0f);
  if (ui.live) ImGui::BeginDisabled();
  if (ImGui::SliderFloat("##timeline", &t, 0.0f, static_cast<float>(pb.horizon()), "")) {
    ui.jump_to_s = static_cast<double>(t);
  }
  if (ui.live) ImGui::EndDisabled();
  ImGui::TextDisabled("%s   %" PRIu64 " events   seed %" PRIu64,
                      ui.live         ? "following the live clock"
                      : pb.finished() ? "finished"
                      : pb.playing()  ? "running"
                                      : "paused",
                      pb.state().events_processed, pb.state().seed);
}

void draw_line_kpis(const UiState& ui, const Playback& pb, const ReplicationKpis& k) {
  const Model& model = pb.model();
  const LineKpis& l = k.line;
  if (!ImGui::BeginTable("line", 2, ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingStretchProp))
    return;
  ImGui::TableSetupColumn("kpi", ImGuiTableColumnFlags_WidthStretch, 1.0f);
  ImGui::TableSetupColumn("value", ImGuiTableColumnFlags_WidthStretch, 1.2f);
  const bool with_real = ui.real != nullptr && ui.real->present;
  if (with_real) {
    // A recording is shown: the real figures first, the twin's below them.
    const LineKpis& r = ui.real->kpis.line;
    table_row("Throughput (real)", "%.1f parts/h", r.throughput_per_h);
    table_row("Good parts (real)", "%" PRIu64, ui.real->good_parts);
    table_row("OEE (real)", "%.1f %%", r.oee * 100.0);
  }
  table_row(with_real ? "Throughput (twin)" : "Throughput", "%.1f parts/h", l.throughput_per_h);
  table_row(with_real ? "Good parts (twin)" : "Good parts", "%" PRIu64, l.good_parts);
  if (l.scrapped_parts > 0) table_row("Scrapped", "%" PRIu64, l.scrapped_parts);
  table_row("WIP now / mean", "%" PRId64 " / %.1f parts", pb.state().wip, l.wip_mean);
  table_row("Lead time (mean)", "%.1f min", l.lead_time_mean_s / 60.0);
  table_row(with_real ? "OEE (twin)" : "OEE", "%.1f %%", l.oee * 100.0);
  // OEE's losses at the bottleneck station (OEE = availability x performance x quality there).
  auto losses = [&](const char* label, const ReplicationKpis& kp) {
    const int32_t b = kp.line.bottleneck_station;
    if (b < 0 || static_cast<size_t>(b) >= kp.stations.size()) return;
    const StationKpis& sk = kp.stations[static_cast<size_t>(b)];
    table_row(label, "A %.1f  P %.1f  Q %.1f %%", sk.availability * 100.0, sk.performance * 100.0,
              sk.quality * 100.0);
  };
  if (with_real) losses("  A x P x Q (real)", ui.real->kpis);
  losses(with_real ? "  A x P x Q (twin)" : "  A x P x Q", k);
  if (l.energy_kwh > 0.0) table_row("Energy", "%.1f kWh", l.energy_kwh);
  ImGui::TableNextRow();
  ImGui::TableNextColumn();
  ImGui::TextUnformatted("Bottleneck");
  ImGui::TableNextColumn();
  if (l.bottleneck_station >= 0 &&
      static_cast<size_t>(l.bottleneck_station) < model.stations.size()) {
    ImGui::PushFont(ui.fonts.bold);
    ImGui::TextColored(to_vec4(kBottleneck), "%s",
                       model.stations[static_cast<size_t>(l.bottleneck_station)].name.c_str());
    ImGui::PopFont();
  } else {
    ImGui::TextDisabled("-");
  }
  ImGui::TableNextRow();
  ImGui::TableNextColumn();
  ImGui::TextUnformatted("Bottleneck now");
  ImGui::TableNextColumn();
  if (l.momentary_bottleneck_station >= 0 &&
      static_cast<size_t>(l.momentary_bottleneck_station) < model.stations.size()) {
    ImGui::TextUnformatted(
        model.stations[static_cast<size_t>(l.momentary_bottleneck_station)].name.c_str());
  } else {
    ImGui::TextDisabled("-");
  }
  ImGui::EndTable();
}

// A horizontal bar split into the shares of time in each mode.
void mode_bar(const std::array<double, kModeCount>& time_in_mode, float width, float height) {
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImVec2 p = ImGui::GetCursorScreenPos();
  double total = 0.0;
  for (double t : time_in_mode) total += t;
  ImGui::Dummy({width, height});
  if (total <= 0.0) return;
  float x = p.x;
  for (int md = 0; md < kModeCount; ++md) {
    const float w = static_cast<float>(time_in_mode[static_cast<size_t>(md)] / total) * width;
    if (w <= 0.0f) continue;
    dl->AddRectFilled({x, p.y}, {x + w, p.y + height}, to_imu32(mode_color(static_cast<Mode>(md))));
    x += w;
  }
}

void draw_station_table(UiState& ui, const Playback& pb, const ReplicationKpis& k) {
  const Model& model = pb.model();
  const float s = ui.scale;
  const ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerH |
                                ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_PadOuterX;
  if (!ImGui::BeginTable("stations", 5, flags)) return;
  ImGui::TableSetupColumn("Station", ImGuiTableColumnFlags_WidthStretch);
  ImGui::TableSetupColumn("Now");
  ImGui::TableSetupColumn("Util");
  ImGui::TableSetupColumn("BN");
  ImGui::TableSetupColumn("Time in mode", ImGuiTableColumnFlags_WidthFixed, 96.0f * s);
  ImGui::TableHeadersRow();
  const float sw = ImGui::GetFontSize() * 0.8f;
  for (size_t i = 0; i < model.stations.size(); ++i) {
    const Station& st = model.stations[i];
    const bool is_bottleneck = static_cast<int32_t>(i) == k.line.bottleneck_station;
    ImGui::TableNextRow();
    if (is_bottleneck) {
      ImGui::TableSetBgColor(ImGuiTableBgTarget_RowBg1, to_imu32(kBottleneck, 0.28f));
    } else if (static_cast<int32_t>(i) == ui.hovered_station) {
      ImGui::TableSetBgColor(ImGuiTableBgTarget_RowBg1, IM_COL32(255, 255, 255, 30));
    }
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(st.name.c_str());
    if (ImGui::IsItemHovered()) ui.hover_next = static_cast<int32_t>(i);

    // Now: one swatch per machine.
    ImGui::TableNextColumn();
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 p = ImGui::GetCursorScreenPos();
    const uint32_t shown = std::min<uint32_t>(st.machine_count, 6);
    const float y = p.y + (ImGui::GetTextLineHeight() - sw) / 2.0f;
    for (uint32_t m = 0; m < shown; ++m) {
      const Mode mode = shown_mode(model, pb.state(), pb.clock(), st.first_machine + m);
      const float x = p.x + static_cast<float>(m) * (sw + 2.0f * s);
      dl->AddRectFilled({x, y}, {x + sw, y + sw}, to_imu32(mode_color(mode)), 2.0f * s);
    }
    ImGui::Dummy({std::max(static_cast<float>(shown) * (sw + 2.0f * s), 3.0f * (sw + 2.0f * s)),
                  ImGui::GetTextLineHeight()});
    if (ImGui::IsItemHovered() && st.machine_count > 0) {
      ImGui::SetTooltip("%s: %s%s", st.name.c_str(),
                        mode_name(shown_mode(model, pb.state(), pb.clock(), st.first_machine)),
                        st.machine_count > 1 ? " (first machine)" : "");
    }

    const StationKpis* sk = i < k.stations.size() ? &k.stations[i] : nullptr;
    ImGui::TableNextColumn();
    ImGui::Text("%3.0f %%", sk != nullptr ? sk->utilization * 100.0 : 0.0);
    ImGui::TableNextColumn();
    if (sk != nullptr && is_bottleneck) ImGui::PushStyleColor(ImGuiCol_Text, to_vec4(kBottleneck));
    ImGui::Text("%3.0f %%",
                sk != nullptr ? (sk->bottleneck_sole + sk->bottleneck_shifting) * 100.0 : 0.0);
    if (sk != nullptr && is_bottleneck) ImGui::PopStyleColor();
    ImGui::TableNextColumn();
    if (sk != nullptr) {
      // With a real side: the real time in mode (upper bar) above the twin's (lower bar).
      const StationKpis* real =
          ui.real != nullptr && ui.real->present && i < ui.real->kpis.stations.size()
              ? &ui.real->kpis.stations[i]
              : nullptr;
      const float line = ImGui::GetTextLineHeight();
      const float h = real != nullptr ? line * 0.42f : line * 0.7f;
      const float gap = real != nullptr ? line * 0.08f : 0.0f;
      const float total_h = real != nullptr ? 2.0f * h + gap : h;
      ImGui::SetCursorPosY(ImGui::GetCursorPosY() + (line - total_h) / 2.0f);
      const ImVec2 top = ImGui::GetCursorScreenPos();
      const float w = ImGui::GetContentRegionAvail().x;
      if (real != nullptr) {
        mode_bar(real->time_in_mode, w, h);
        ImGui::SetCursorScreenPos({top.x, top.y + h + gap});
      }
      mode_bar(sk->time_in_mode, w, h);
      if (ImGui::IsMouseHoveringRect(top, {top.x + w, top.y + line})) {
        ImGui::BeginTooltip();
        auto shares = [](const char* title, const StationKpis& sk_shown) {
          ImGui::TextDisabled("%s", title);
          double total = 0.0;
          for (double t : sk_shown.time_in_mode) total += t;
          for (int md = 0; md < kModeCount; ++md) {
            const double share =
                total > 0.0 ? sk_shown.time_in_mode[static_cast<size_t>(md)] / total : 0.0;
            ImGui::TextColored(to_vec4(mode_color(static_cast<Mode>(md))), "%-8s %5.1f %%",
                               mode_name(static_cast<Mode>(md)), share * 100.0);
          }
        };
        if (real != nullptr) shares("real", *real);
        shares(real != nullptr ? "twin" : "time in mode", *sk);
        ImGui::EndTooltip();
      }
    }
  }
  ImGui::EndTable();
  ImGui::TextDisabled(ui.real != nullptr && ui.real->present
                          ? "Util: busy share. BN: share of time as bottleneck. Time in mode: "
                            "real above twin."
                          : "Util: busy share. BN: share of time as bottleneck.");
}

void draw_node_table(const Playback& pb, const ReplicationKpis& k) {
  const Model& model = pb.model();
  const ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerH |
                                ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_PadOuterX;
  if (!ImGui::BeginTable("nodes", 4, flags)) return;
  ImGui::TableSetupColumn("Buffer / conveyor", ImGuiTableColumnFlags_WidthStretch);
  ImGui::TableSetupColumn("Now");
  ImGui::TableSetupColumn("Mean");
  ImGui::TableSetupColumn("Max");
  ImGui::TableHeadersRow();
  for (size_t n = 0; n < model.nodes.size(); ++n) {
    const Node& node = model.nodes[n];
    if (node.kind != NodeKind::kBuffer && node.kind != NodeKind::kConveyor) continue;
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(node.name.c_str());
    ImGui::TableNextColumn();
    const uint32_t count = pb.state().contents[n].count;
    if (node.capacity >= 0)
      ImGui::Text("%u / %d", count, node.capacity);
    else
      ImGui::Text("%u", count);
    ImGui::TableNextColumn();
    ImGui::Text("%.1f", n < k.nodes.size() ? k.nodes[n].mean_level : 0.0);
    ImGui::TableNextColumn();
    ImGui::Text("%" PRId64, n < k.nodes.size() ? k.nodes[n].max_level : int64_t{0});
  }
  ImGui::EndTable();
}

// The KPI tables: line, stations, buffers and conveyors.
void draw_kpi_tab(UiState& ui, Playback& pb) {
  const Model& model = pb.model();
  const ReplicationKpis& k = pb.kpis();
  // A mirrored source: the forecast from now and the twin's condition first.
  if (ui.forecast != nullptr && ui.forecast->available) {
    heading(ui, "Forecast to the shift end");
    draw_forecast_section(ui, pb.clock());
    heading(ui, "Twin condition");
    draw_condition_section(ui, pb.clock());
  }
  heading(ui, "Line");
  draw_line_kpis(ui, pb, k);
  heading(ui, "Stations");
  draw_station_table(ui, pb, k);
  bool has_nodes = false;
  for (const Node& n : model.nodes)
    has_nodes = has_nodes || n.kind == NodeKind::kBuffer || n.kind == NodeKind::kConveyor;
  if (has_nodes) {
    heading(ui, "Buffers and conveyors");
    draw_node_table(pb, k);
  }
}

}  // namespace

void draw_panel(const Rect& pane, UiState& ui, Playback& pb) {
  begin_pane(pane, "Control");
  const Model& model = pb.model();

  ImGui::PushFont(ui.fonts.large);
  ImGui::TextUnformatted(model.name.empty() ? "twin" : model.name.c_str());
  ImGui::PopFont();
  const size_t ns = model.stations.size();
  const uint32_t nm = model.machine_count();
  ImGui::TextDisabled("%s  |  %zu station%s, %u machine%s", model.source_file.c_str(), ns,
                      ns == 1 ? "" : "s", nm, nm == 1 ? "" : "s");
  if (!ui.notice.empty()) {
    ImGui::PushTextWrapPos(0.0f);
    ImGui::TextColored({1.0f, 0.45f, 0.4f, 1.0f}, "%s", ui.notice.c_str());
    ImGui::PopTextWrapPos();
  }
  ImGui::Separator();
  ImGui::Spacing();
  draw_controls(ui, pb);
  ImGui::Spacing();
  draw_clock(ui, pb);

  if (ui.whatif != nullptr && ImGui::BeginTabBar("panel_tabs")) {
    const bool kpis = ImGui::BeginTabItem("KPIs");
    if (kpis) {
      draw_kpi_tab(ui, pb);
      ImGui::EndTabItem();
    }
    const ImGuiTabItemFlags whatif_flags =
        ui.open_whatif_tab ? ImGuiTabItemFlags_SetSelected : ImGuiTabItemFlags_None;
    ui.open_whatif_tab = false;
    if (ImGui::BeginTabItem("What-if", nullptr, whatif_flags)) {
      draw_whatif_panel(*ui.whatif, ui.whatif_context);
      ImGui::EndTabItem();
    }
    ImGui::EndTabBar();
  } else {
    draw_kpi_tab(ui, pb);
  }
  ImGui::End();
}

void table_row(const char* label, const char* fmt, ...) {
  ImGui::TableNextRow();
  ImGui::TableNextColumn();
  ImGui::TextUnformatted(label);
  ImGui::TableNextColumn();
  va_list args;
  va_start(args, fmt);
  ImGui::TextV(fmt, args);
  va_end(args);
}

}  // namespace twin::viewer
