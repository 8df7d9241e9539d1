// The what-if tab: parameter picker, pending changes, run settings, progress and the comparison
// table. Immediate mode: everything is redrawn from WhatIfPanelState and the job every frame;
// the job runs on its own thread, so nothing here waits for the simulation.
#include "viewer/whatif_panel.h"

#include <algorithm>
#include <cctype>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <string>

#include "core/report/table.h"
#include "viewer/ui.h"

namespace twin::viewer {

namespace {

// Significant changes: green when the figure got better, red when worse (readable on the dark
// panel background).
constexpr Rgba kBetter{110, 210, 120, 255};
constexpr Rgba kWorse{245, 105, 95, 255};
constexpr Rgba kError{245, 105, 95, 255};

constexpr int kMaxReplications = 1000;  // [runs] a bound for the input field only
constexpr double kMaxHours = 24.0 * 365.0;

void push_font(const WhatIfContext& ctx, bool bold) {
  ImFont* f = ctx.fonts == nullptr ? nullptr : bold ? ctx.fonts->bold : ctx.fonts->regular;
  ImGui::PushFont(f);  // null pushes the default font
}

void heading(const WhatIfContext& ctx, const char* text) {
  ImGui::Spacing();
  push_font(ctx, true);
  ImGui::TextUnformatted(text);
  ImGui::PopFont();
  ImGui::Separator();
}

void error_text(const std::string& text) {
  ImGui::PushStyleColor(ImGuiCol_Text, to_vec4(kError));
  ImGui::TextWrapped("%s", text.c_str());
  ImGui::PopStyleColor();
}

bool contains_ci(const std::string& text, const char* needle) {
  if (needle[0] == '\0') return true;
  auto lower = [](unsigned char c) { return static_cast<char>(std::tolower(c)); };
  std::string a, b;
  for (char c : text) a += lower(static_cast<unsigned char>(c));
  for (const char* p = needle; *p != '\0'; ++p) b += lower(static_cast<unsigned char>(*p));
  return a.find(b) != std::string::npos;
}

// "62 s" / "unbounded parts" -> "unbounded".
std::string value_with_unit(const WhatIfParam& p, double value) {
  const std::string v = format_param_value(p, value);
  return p.integer && value < 0.0 ? v : v + " " + p.unit;
}

void select_param(WhatIfPanelState& st, int index) {
  st.selected = index;
  st.input_error.clear();
  const WhatIfParam& p = st.params[static_cast<size_t>(index)];
  // Start from the current value (an unbounded capacity from a reasonable finite one).
  st.input =
      p.integer && p.current < 0.0 ? std::max(p.min_value, 10.0) : p.current / p.display_scale;
  for (const PendingChange& c : st.changes) {
    if (c.param == static_cast<size_t>(index)) st.input = c.value / p.display_scale;
  }
}

void draw_picker(WhatIfPanelState& st, const WhatIfContext& ctx) {
  const std::string preview =
      st.selected >= 0 ? st.params[static_cast<size_t>(st.selected)].label : "Pick a parameter";
  ImGui::SetNextItemWidth(-1.0f);
  if (!ImGui::BeginCombo("##param", preview.c_str(), ImGuiComboFlags_HeightLarge)) return;
  if (ImGui::IsWindowAppearing()) ImGui::SetKeyboardFocusHere();
  ImGui::SetNextItemWidth(-1.0f);
  ImGui::InputTextWithHint("##filter", "filter, e.g. Mill or MTBF", st.filter, sizeof st.filter);
  const char* group = nullptr;
  for (size_t i = 0; i < st.params.size(); ++i) {
    const WhatIfParam& p = st.params[i];
    if (!contains_ci(p.label, st.filter)) continue;
    if (group == nullptr || std::string(group) != param_group(p.kind)) {
      group = param_group(p.kind);
      ImGui::Spacing();
      push_font(ctx, true);
      ImGui::TextDisabled("%s", group);
      ImGui::PopFont();
    }
    ImGui::PushID(static_cast<int>(i));
    const std::string text = p.label + "   (" + value_with_unit(p, p.current) + ")";
    if (ImGui::Selectable(text.c_str(), st.selected == static_cast<int>(i))) {
      select_param(st, static_cast<int>(i));
    }
    ImGui::PopID();
  }
  ImGui::EndCombo();
}

void add_change(WhatIfPanelState& st) {
  const size_t index = static_cast<size_t>(st.selected);
  const WhatIfParam& p = st.params[index];
  const double value = p.integer ? std::round(st.input) : st.input * p.display_scale;
  st.input_error = check_param_value(p, value);
  if (!st.input_error.empty()) return;
  PendingChange change;
  change.param = index;
  change.value = value;
  change.assignment = param_assignment(p, value);
  for (PendingChange& c : st.changes) {
    if (c.param == index) {
      c = change;  // one change per parameter: the newest value wins
      return;
    }
  }
  st.changes.push_back(std::move(change));
}

void draw_editor(WhatIfPanelState& st, const WhatIfContext& ctx) {
  draw_picker(st, ctx);
  if (st.selected < 0) return;
  const WhatIfParam& p = st.params[static_cast<size_t>(st.selected)];
  ImGui::TextDisabled("current: %s", value_with_unit(p, p.current).c_str());
  if (!p.integer && p.distribution.kind_case() != scene::Distribution::kConstant) {
    ImGui::SameLine();
    ImGui::TextDisabled("(mean; the distribution is scaled)");
  }
  ImGui::AlignTextToFramePadding();
  ImGui::TextUnformatted("new");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(120.0f * ctx.scale);
  bool enter = false;
  if (p.integer) {
    int v = static_cast<int>(std::clamp(st.input, -1.0, 2e9));
    enter = ImGui::InputInt("##new", &v, 1, 10, ImGuiInputTextFlags_EnterReturnsTrue);
    st.input = v;
  } else {
    enter = ImGui::InputDouble("##new", &st.input, 0.0, 0.0, "%.6g",
                               ImGuiInputTextFlags_EnterReturnsTrue);
  }
  ImGui::SameLine();
  ImGui::TextUnformatted(p.unit);
  ImGui::SameLine();
  if (ImGui::Button("Add change") || enter) add_change(st);
  if (!st.input_error.empty()) error_text(p.label + ": " + st.input_error);
}

void draw_changes(WhatIfPanelState& st) {
  if (st.changes.empty()) {
    ImGui::TextDisabled("No changes yet: pick a parameter, type its new value, Add change.");
    return;
  }
  const ImGuiTableFlags flags =
      ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerH | ImGuiTableFlags_SizingStretchProp;
  if (!ImGui::BeginTable("changes", 3, flags)) return;
  ImGui::TableSetupColumn("Parameter", ImGuiTableColumnFlags_WidthStretch, 1.4f);
  ImGui::TableSetupColumn("Base -> new", ImGuiTableColumnFlags_WidthStretch, 1.0f);
  ImGui::TableSetupColumn("", ImGuiTableColumnFlags_WidthFixed);
  ImGui::TableHeadersRow();
  size_t remove = st.changes.size();
  for (size_t i = 0; i < st.changes.size(); ++i) {
    const PendingChange& c = st.changes[i];
    const WhatIfParam& p = st.params[c.param];
    ImGui::PushID(static_cast<int>(i));
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(p.label.c_str());
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", c.assignment.c_str());
    ImGui::TableNextColumn();
    ImGui::Text("%s -> %s", value_with_unit(p, p.current).c_str(),
                value_with_unit(p, c.value).c_str());
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", c.assignment.c_str());
    ImGui::TableNextColumn();
    if (ImGui::SmallButton("x")) remove = i;
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Remove this change");
    ImGui::PopID();
  }
  ImGui::EndTable();
  if (remove < st.changes.size()) st.changes.erase(st.changes.begin() + static_cast<long>(remove));
}

WhatIfSettings settings_of(const WhatIfPanelState& st) {
  WhatIfSettings s;
  s.replications = static_cast<size_t>(std::max(st.replications, 1));
  s.hours = st.hours;
  s.warmup_hours = st.warmup_hours;
  s.seed = st.seed;
  return s;
}

std::vector<std::string> assignments_of(const WhatIfPanelState& st) {
  std::vector<std::string> out;
  for (const PendingChange& c : st.changes) out.push_back(c.assignment);
  return out;
}

void draw_settings(WhatIfPanelState& st, const WhatIfContext& ctx) {
  const float w = 110.0f * ctx.scale;
  ImGui::SetNextItemWidth(w);
  ImGui::InputInt("replications", &st.replications);
  st.replications = std::clamp(st.replications, 2, kMaxReplications);
  ImGui::SetNextItemWidth(w);
  ImGui::InputDouble("hours observed", &st.hours, 1.0, 8.0, "%.6g");
  st.hours = std::clamp(st.hours, 0.01, kMaxHours);
  ImGui::SetNextItemWidth(w);
  ImGui::InputDouble("warm-up hours", &st.warmup_hours, 0.5, 1.0, "%.6g");
  st.warmup_hours = std::clamp(st.warmup_hours, 0.0, kMaxHours);
  ImGui::SetNextItemWidth(w);
  ImGui::InputScalar("seed", ImGuiDataType_U64, &st.seed);
}

void draw_run_controls(WhatIfPanelState& st, const WhatIfContext& ctx) {
  const JobState state = st.job.state();
  const ImVec2 button{96.0f * ctx.scale, 0.0f};
  if (state == JobState::kRunning) {
    if (st.job.cancel_requested()) {
      ImGui::BeginDisabled();
      ImGui::Button("Cancelling", button);
      ImGui::EndDisabled();
    } else if (ImGui::Button("Cancel", button)) {
      st.job.cancel();
    }
  } else {
    const bool can_run = !st.changes.empty();
    if (!can_run) ImGui::BeginDisabled();
    if (ImGui::Button("Run", button)) {
      st.start_errors.clear();
      st.job.start(*ctx.scene, std::string(ctx.scene_path), *ctx.model, assignments_of(st),
                   settings_of(st), st.start_errors);
    }
    if (!can_run) ImGui::EndDisabled();
  }
  ImGui::SameLine();
  const JobProgress pr = st.job.progress();
  const double elapsed = st.job.elapsed_s();
  char overlay[96];
  switch (state) {
    case JobState::kIdle:
      std::snprintf(overlay, sizeof overlay, "not run yet");
      break;
    case JobState::kRunning:
      std::snprintf(overlay, sizeof overlay, "%s%zu / %zu replications, %.1f s",
                    st.job.cancel_requested() ? "cancelling: " : "", pr.done, pr.total, elapsed);
      break;
    default:
      std::snprintf(overlay, sizeof overlay, "%s: %zu / %zu replications, %.1f s",
                    job_state_name(state), pr.done, pr.total, elapsed);
      break;
  }
  const float fraction =
      pr.total > 0 ? static_cast<float>(pr.done) / static_cast<float>(pr.total) : 0.0f;
  ImGui::ProgressBar(fraction, {-1.0f, 0.0f}, overlay);
  if (state == JobState::kRunning && st.job.cancel_requested()) {
    ImGui::TextDisabled("Waiting for the replications already running to finish.");
  }
  for (const SceneError& e : st.start_errors) {
    error_text(e.path.empty() ? e.message : e.path + ": " + e.message);
  }
  if (state == JobState::kFailed) error_text(st.job.error());
  if (state == JobState::kCancelled) ImGui::TextDisabled("Cancelled; no results.");
}

void draw_row_cells(const WhatIfRow& r) {
  ImGui::TableNextRow();
  ImGui::TableNextColumn();
  ImGui::TextUnformatted(r.label.c_str());
  ImGui::TableNextColumn();
  ImGui::TextUnformatted(r.base.c_str());
  ImGui::TableNextColumn();
  ImGui::TextUnformatted(r.variant.c_str());
  const bool good = r.better * r.difference_mean > 0.0;
  if (r.significant) ImGui::PushStyleColor(ImGuiCol_Text, to_vec4(good ? kBetter : kWorse));
  ImGui::TableNextColumn();
  if (r.significant) {
    ImGui::TextUnformatted(r.difference.c_str());
  } else {
    ImGui::TextDisabled("%s", r.difference.c_str());
  }
  ImGui::TableNextColumn();
  if (r.significant) {
    ImGui::Text("%s *", r.change.c_str());
  } else {
    ImGui::TextDisabled("%s", r.change.c_str());
  }
  if (r.significant) ImGui::PopStyleColor();
}

// Every flattened metric, raw units, for figures the key table does not show (per station...).
void draw_all_metrics(const VariantResult& v) {
  const ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerH |
                                ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_ScrollY;
  const float height = ImGui::GetTextLineHeightWithSpacing() * 14.0f;
  if (!ImGui::BeginTable("all_metrics", 4, flags, {0.0f, height})) return;
  ImGui::TableSetupScrollFreeze(0, 1);
  ImGui::TableSetupColumn("Metric", ImGuiTableColumnFlags_WidthStretch);
  ImGui::TableSetupColumn("Base");
  ImGui::TableSetupColumn("Difference");
  ImGui::TableSetupColumn("Change");
  ImGui::TableHeadersRow();
  ImGuiListClipper clipper;
  clipper.Begin(static_cast<int>(v.differences.size()));
  while (clipper.Step()) {
    for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
      const MetricDifference& d = v.differences[static_cast<size_t>(i)];
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(d.key.c_str());
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(format_interval(d.base, 1.0, 2).c_str());
      ImGui::TableNextColumn();
      const std::string diff = format_difference(d.difference, 1.0, 2);
      if (d.significant) {
        ImGui::TextUnformatted(diff.c_str());
      } else {
        ImGui::TextDisabled("%s", diff.c_str());
      }
      ImGui::TableNextColumn();
      const std::string pct = format_percent_change(d.relative_pct) + (d.significant ? " *" : "");
      if (d.significant) {
        ImGui::TextUnformatted(pct.c_str());
      } else {
        ImGui::TextDisabled("%s", pct.c_str());
      }
    }
  }
  ImGui::EndTable();
}

std::string bottleneck_name(const Model& model, const ReplicationResults& r) {
  const BottleneckSummary b = summarize_bottleneck(model, r);
  return b.station >= 0 ? model.stations[static_cast<size_t>(b.station)].name : std::string("-");
}

void draw_results(WhatIfPanelState& st, const WhatIfContext& ctx) {
  const WhatIfResults* res = st.job.results();
  if (res == nullptr || res->variants.empty()) return;
  const VariantResult& v = res->variants.front();
  const WhatIfSettings& set = st.job.settings();
  heading(ctx, "Comparison with the base");
  ImGui::TextDisabled("%zu replications, %.6g h observed after %.6g h warm-up, seed %" PRIu64
                      ", common random numbers",
                      res->base.replications(), set.hours, set.warmup_hours, res->base.seed);
  if (st.job.assignments() != assignments_of(st)) {
    ImGui::TextDisabled("(for the changes of the last run, not the list above)");
  }
  for (const std::string& a : st.job.assignments()) ImGui::BulletText("%s", a.c_str());
  ImGui::Text("Bottleneck: %s (base), %s (variant)",
              bottleneck_name(st.job.base_model(), res->base).c_str(),
              bottleneck_name(v.model, v.results).c_str());

  const ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerH |
                                ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_PadOuterX;
  if (ImGui::BeginTable("whatif", 5, flags)) {
    ImGui::TableSetupColumn("Key figure", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableSetupColumn("Base");
    ImGui::TableSetupColumn("Variant");
    ImGui::TableSetupColumn("Difference");
    ImGui::TableSetupColumn("Change");
    ImGui::TableHeadersRow();
    for (const WhatIfRow& r : whatif_rows(*res)) draw_row_cells(r);
    ImGui::EndTable();
  }
  ImGui::TextDisabled("Mean ± 95%% CI; difference = variant - base per replication (paired).");
  ImGui::TextDisabled("* significant: the difference's interval excludes 0 (coloured).");

  const std::string command = whatif_command(ctx.scene_path, set, st.job.assignments());
  if (ImGui::SmallButton("Copy CLI command")) ImGui::SetClipboardText(command.c_str());
  if (ImGui::IsItemHovered()) {
    ImGui::BeginTooltip();
    ImGui::PushTextWrapPos(ImGui::GetFontSize() * 40.0f);
    ImGui::TextUnformatted(command.c_str());
    ImGui::PopTextWrapPos();
    ImGui::EndTooltip();
  }
  char all[64];
  std::snprintf(all, sizeof all, "All metrics (%zu)", v.differences.size());
  if (ImGui::CollapsingHeader(all)) draw_all_metrics(v);
}

// Shell quoting for the CLI command: 'text' with ' as '\''.
std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  out += '\'';
  return out;
}

WhatIfRow make_row(std::string label, const MetricDifference& d, double scale, int decimals,
                   int better) {
  WhatIfRow r;
  r.label = std::move(label);
  r.base = format_interval(d.base, scale, decimals);
  r.variant = format_interval(d.variant, scale, decimals);
  r.difference = format_difference(d.difference, scale, decimals);
  r.change = format_percent_change(d.relative_pct);
  r.significant = d.significant;
  r.better = better;
  r.difference_mean = d.difference.mean;
  return r;
}

}  // namespace

std::vector<WhatIfRow> whatif_rows(const WhatIfResults& results) {
  std::vector<WhatIfRow> rows;
  if (results.variants.empty()) return rows;
  const VariantResult& v = results.variants.front();
  for (const Figure& f : line_figures()) {
    // As print_whatif_table computes them, so the strings are the ones the CLI prints.
    const MetricDifference d =
        compare_values(f.key, values_of(results.base, f.get), values_of(v.results, f.get));
    std::string label = f.label;
    label.append(" [").append(f.unit).append("]");
    rows.push_back(make_row(std::move(label), d, f.scale, f.decimals, f.better));
    if (std::string(f.key) == "line.throughput_per_h") {
      if (const MetricDifference* g = v.find("line.good_parts")) {
        rows.push_back(make_row("good parts [parts]", *g, 1.0, 0, +1));
      }
    }
  }
  return rows;
}

std::string whatif_command(std::string_view scene_path, const WhatIfSettings& settings,
                           const std::vector<std::string>& assignments) {
  std::string out = "twin whatif ";
  out += shell_quote(std::string(scene_path));
  out += " --reps " + std::to_string(settings.replications);
  out += " --hours " + shortest_number(settings.hours);
  if (settings.warmup_hours != 0.0) out += " --warmup " + shortest_number(settings.warmup_hours);
  out += " --seed " + std::to_string(settings.seed);
  for (const std::string& a : assignments) out += " --set " + shell_quote(a);
  return out;
}

void draw_whatif_panel(WhatIfPanelState& st, const WhatIfContext& ctx) {
  if (ctx.scene == nullptr || ctx.model == nullptr) {
    ImGui::TextWrapped("What-if needs the scene file; it is not available for this view.");
    return;
  }
  if (st.params_for != ctx.scene) {
    st.params = whatif_params(*ctx.scene, *ctx.model);
    st.params_for = ctx.scene;
    st.selected = -1;
    st.changes.clear();
  }
  if (!st.seed_set) {
    st.seed = ctx.seed;
    st.seed_set = true;
  }
  ImGui::PushID("whatif");
  heading(ctx, "Change");
  draw_editor(st, ctx);
  heading(ctx, "Changes to compare with the base");
  draw_changes(st);
  heading(ctx, "Run");
  draw_settings(st, ctx);
  draw_run_controls(st, ctx);
  draw_results(st, ctx);
  ImGui::PopID();
}

}  // namespace twin::viewer
