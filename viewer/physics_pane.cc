#include "viewer/physics_pane.h"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <numbers>

#include "models/physics/scene_conveyor.h"
#include "models/physics/scene_robot.h"
#include "viewer/line_view_3d_pane.h"
#include "viewer/physics_scene_3d.h"
#include "viewer/ui.h"

namespace twin::viewer {

namespace {

// Newest jams listed: more where the pane has the room.
constexpr size_t kJamsListedSmall = 2, kJamsListedLarge = 6;

ImVec2 v2(double x, double y) {
  return {static_cast<float>(x), static_cast<float>(y)};
}

double calendar_of(const Model& model, double working_s) {
  return model.calendar.empty() ? working_s : model.calendar.calendar_at(working_s);
}

// A name over a world point, on a dark box, when it is in view.
void label_at(ImDrawList* dl, const Camera3D& camera, ImVec2 pos, ImVec2 size,
              const Eigen::Vector3d& world, const char* text, Rgba color) {
  const Projected p = camera.project(world);
  if (!p.inside(size.x, size.y)) return;
  ImFont* font = ImGui::GetFont();
  const float font_size = std::max(ImGui::GetFontSize() * 0.85f, 10.0f);
  const ImVec2 ts = font->CalcTextSizeA(font_size, 1e9f, 0.0f, text);
  const float pad = 3.0f;
  const ImVec2 p0{pos.x + static_cast<float>(p.x) - ts.x / 2.0f - pad,
                  pos.y + static_cast<float>(p.y) - ts.y - pad};
  dl->AddRectFilled(p0, {p0.x + ts.x + 2 * pad, p0.y + ts.y + 2 * pad}, IM_COL32(16, 19, 24, 200),
                    3.0f);
  dl->AddText(font, font_size, {p0.x + pad, p0.y + pad}, to_imu32(color), text);
}

std::string consumer_names(const Model& model, uint32_t node) {
  std::string out;
  for (uint32_t st : model.nodes[node].consumers) {
    if (!out.empty()) out += ", ";
    out += model.stations[st].name;
  }
  return out.empty() ? "consumer" : out;
}

// The current window's rectangle [px, screen].
Rect window_rect() {
  const ImVec2 p = ImGui::GetWindowPos(), size = ImGui::GetWindowSize();
  return {p.x, p.y, p.x + size.x, p.y + size.y};
}

void swatch(Rgba color, const char* label) {
  const float h = ImGui::GetTextLineHeight();
  const ImVec2 p = ImGui::GetCursorScreenPos();
  ImGui::GetWindowDrawList()->AddRectFilled({p.x, p.y + h * 0.2f}, {p.x + h * 0.6f, p.y + h * 0.8f},
                                            to_imu32(color), 2.0f);
  ImGui::Dummy({h * 0.7f, h});
  ImGui::SameLine();
  ImGui::TextUnformatted(label);
}

// The figures window at the pane's bottom left, so the scene (the cameras keep it in the upper
// part of the image) stays clear.
void begin_figures_window(const Rect& canvas, float s) {
  ImGui::SetNextWindowPos(v2(canvas.x0 + 10.0 * s, canvas.y1 - 10.0 * s), ImGuiCond_Always,
                          {0.0f, 1.0f});
  ImGui::SetNextWindowBgAlpha(0.88f);
  ImGui::Begin("##physics_figures", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_AlwaysAutoResize |
                   ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings |
                   ImGuiWindowFlags_NoFocusOnAppearing);
}

// On the line before: "; part shaft 300 x 80 x 80 mm, 11.8 kg, flange ...", each part the
// physics carries (spec parts[i] is products[i]'s).
void draw_part_sizes(const Model& model, const std::vector<uint16_t>& products,
                     const std::vector<PartSpec>& parts) {
  for (size_t i = 0; i < parts.size() && i < products.size(); ++i) {
    const PartSpec& part = parts[i];
    ImGui::SameLine(0.0f, 0.0f);
    ImGui::Text("%s %s %.0f x %.0f x %.0f mm, %.1f kg", i == 0 ? "; part" : ",",
                model.products[products[i]].c_str(), part.size_x * 1000.0, part.size_y * 1000.0,
                part.size_z * 1000.0, part.mass_kg);
  }
}

// Where the physics run is: starting, re-running from the shift start (`what`: "belt", "cell"),
// catching up, or at the clock (with `doing`, when not empty).
void draw_run_state(const Model& model, const PhysicsSnapshot& snap, const char* what,
                    const char* doing) {
  const std::string at = format_clock(calendar_of(model, snap.time_s));
  if (!snap.ready) {
    ImGui::TextDisabled("starting ...");
  } else if (snap.rebuilding) {
    const double done = snap.target_s > 0.0 ? std::min(snap.time_s / snap.target_s, 1.0) : 1.0;
    ImGui::TextColored(to_vec4(kTwinAlarmWarning),
                       "re-running the %s from the shift start: %.0f %% (at %s)", what,
                       done * 100.0, at.c_str());
  } else if (snap.target_s - snap.time_s > 1.0) {
    ImGui::TextColored(to_vec4(kTwinAlarmWarning), "catching up: %.0f s behind the clock",
                       snap.target_s - snap.time_s);
  } else if (doing[0] != '\0') {
    ImGui::Text("at %s: %s", at.c_str(), doing);
  } else {
    ImGui::Text("at %s", at.c_str());
  }
}

// What the physics is fed with and compared to: the viewer's line-model run, or a recording.
const char* feed_name(const PhysicsPaneState& state) {
  if (state.follower->live()) return "plant (live)";
  return state.follower->follows_recording() ? "recording" : "line model";
}

// One row of a physics | line model table.
// Begins the three-column table of physics against its feed (label, physics, feed).
bool begin_comparison_table(const char* id, const PhysicsPaneState& state) {
  if (!ImGui::BeginTable(id, 3, ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_RowBg))
    return false;
  ImGui::TableSetupColumn("");
  ImGui::TableSetupColumn("physics");
  ImGui::TableSetupColumn(feed_name(state));
  ImGui::TableHeadersRow();
  return true;
}

void table_row(const char* label, const std::string& physics, const std::string& des) {
  ImGui::TableNextRow();
  ImGui::TableNextColumn();
  ImGui::TextUnformatted(label);
  ImGui::TableNextColumn();
  ImGui::TextUnformatted(physics.c_str());
  ImGui::TableNextColumn();
  ImGui::TextUnformatted(des.c_str());
}

// The figures window at the pane's top left: what the belt is, where the physics is, physics
// beside the line model, the jams.
void draw_figures(const Rect& canvas, UiState& ui, const Model& model, PhysicsPaneState& state,
                  const ConveyorLineSpec& spec) {
  const float s = ui.scale;
  const PhysicsSnapshot& snap = state.snapshot;
  const uint32_t node = state.follower->setup()->node;
  begin_figures_window(canvas, s);
  ImGui::PushFont(ui.fonts.bold);
  ImGui::TextUnformatted(model.nodes[node].name.c_str());
  ImGui::PopFont();
  ImGui::SameLine();
  ImGui::TextDisabled("physics: Bullet, %d Hz fixed step", BeltWorld::kStepsPerSecond);
  ImGui::Text("belt %.1f m at %.2f m/s, %.2f m wide", spec.belt.length_m, spec.belt.speed_mps,
              spec.belt.width_m);
  draw_part_sizes(model, state.follower->products(), spec.parts);
  draw_run_state(model, snap, "belt", "");

  // The details open by default only where the pane has the room.
  ImGui::SetNextItemOpen(canvas.height() > 640.0 * s, ImGuiCond_Once);
  const bool details =
      snap.ready && ImGui::TreeNode("details", "physics beside the %s", feed_name(state));
  if (!details && snap.ready) {
    ImGui::SameLine();
    ImGui::TextDisabled("on belt %zu, taken off %d (%s %" PRIu64 "), %zu jams", snap.parts.size(),
                        snap.taken, feed_name(state), snap.des_taken, snap.jams.size());
  }
  if (details && begin_comparison_table("physics_vs_des", state)) {
    const auto row = table_row;
    char a[64], b[64];
    const auto on = static_cast<uint64_t>(snap.parts.size());
    std::snprintf(a, sizeof a, "%" PRIu64, snap.des_put_on - static_cast<uint64_t>(snap.waiting));
    std::snprintf(b, sizeof b, "%" PRIu64, snap.des_put_on);
    row("put on", a, b);
    std::snprintf(a, sizeof a, "%" PRIu64 " (fit %d)", on, snap.capacity);
    const Node& n = model.nodes[node];
    // The line model's level is the frame's; a recording's, its put-ons less its take-offs.
    const double level =
        state.follower->follows_recording()
            ? static_cast<double>(snap.des_put_on) - static_cast<double>(snap.des_taken)
        : ui.frame != nullptr && node < ui.frame->node_level.size() ? ui.frame->node_level[node]
                                                                    : -1.0;
    if (level >= 0.0 && n.capacity > 0)
      std::snprintf(b, sizeof b, "%.0f (holds %d)", level, n.capacity);
    else if (level >= 0.0)
      std::snprintf(b, sizeof b, "%.0f", level);
    else
      std::snprintf(b, sizeof b, "-");
    row("on the belt", a, b);
    std::snprintf(a, sizeof a, "%d", snap.taken);
    std::snprintf(b, sizeof b, "%" PRIu64, snap.des_taken);
    row("taken off", a, b);
    if (snap.transfers > 0)
      std::snprintf(a, sizeof a, "%.1f s (%d parts)", snap.mean_transfer_s, snap.transfers);
    else
      std::snprintf(a, sizeof a, "-");
    std::snprintf(b, sizeof b, "%.1f s%s", n.transport_time.mean,
                  state.follower->follows_recording() ? " (scene)" : "");
    row("transfer, empty belt", a, b);
    std::snprintf(a, sizeof a, "%d", snap.waiting);
    row("waiting at the feeder", a, "-");
    std::snprintf(a, sizeof a, "%d", snap.cleared);
    row("cleared by an operator", a, "-");
    if (snap.fallen > 0) {
      std::snprintf(a, sizeof a, "%d", snap.fallen);
      row("fell off", a, "-");
    }
    std::snprintf(a, sizeof a, "%zu", snap.jams.size());
    row("jams", a, "(not modelled)");
    ImGui::EndTable();
  }
  if (details) ImGui::TreePop();
  if (snap.sim_rate > 0.0) ImGui::TextDisabled("stepping at %.0fx real time", snap.sim_rate);

  if (!snap.jams.empty()) {
    ImGui::Separator();
    ImGui::TextUnformatted("Jams (newest first; click to show):");
    const size_t n = snap.jams.size();
    const size_t listed = canvas.height() > 640.0 * s ? kJamsListedLarge : kJamsListedSmall;
    for (size_t k = 0; k < std::min(n, listed); ++k) {
      const Jam& j = snap.jams[n - 1 - k];
      char line[160];
      std::snprintf(line, sizeof line, "%s  %s part #%d at %.2f m, yaw %.0f deg%s",
                    format_clock(calendar_of(model, j.time_s)).c_str(), jam_reason_name(j.reason),
                    j.part + 1, j.x_m, j.yaw_rad * 180.0 / std::numbers::pi,
                    j.removed            ? " - taken off"
                    : j.cleared_s >= 0.0 ? " - freed itself"
                                         : "");
      ImGui::PushID(static_cast<int>(k));
      ImGui::PushStyleColor(ImGuiCol_Text, to_vec4(kPhysicsJammed));
      if (ImGui::Selectable(line, false) && !ui.live) ui.jump_to_s = calendar_of(model, j.time_s);
      ImGui::PopStyleColor();
      ImGui::PopID();
    }
    if (n > listed) ImGui::TextDisabled("... and %zu more", n - listed);
  }
  ImGui::Separator();
  swatch(kPhysicsMoving, "moving");
  ImGui::SameLine();
  swatch(kPhysicsAtRest, "at rest (queued)");
  ImGui::SameLine();
  swatch(kPhysicsJammed, "jammed");
  ImGui::SameLine();
  swatch(kPhysicsStop, "stop");
  state.figures_rect = window_rect();
  ImGui::End();
}

// What the pane shows: a conveyor's name, or a station's with " (robot)".
std::string physics_choice_name(const Model& model, const PhysicsPaneState& state) {
  if (state.robot >= 0 && static_cast<size_t>(state.robot) < state.robots.size())
    return model.stations[state.robots[static_cast<size_t>(state.robot)]].name + " (robot)";
  if (state.conveyors.empty()) return "-";
  const size_t i =
      std::min(static_cast<size_t>(std::max(state.conveyor, 0)), state.conveyors.size() - 1);
  return model.nodes[state.conveyors[i]].name;
}

void draw_setup_error(const PhysicsPaneState& state, float s) {
  if (state.error.empty()) return;
  ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + 300.0f * s);
  ImGui::TextColored(to_vec4(kAlarmRaised), "%s", state.error.c_str());
  ImGui::PopTextWrapPos();
}

const char* robot_phase_name(RobotPhase p) {
  switch (p) {
    case RobotPhase::kWaitPart:
      return "waiting for a part";
    case RobotPhase::kDescendToPick:
      return "descending to pick";
    case RobotPhase::kGrip:
      return "gripping";
    case RobotPhase::kLiftFromPick:
      return "lifting the part";
    case RobotPhase::kSwingToDrop:
      return "swinging to the fixture";
    case RobotPhase::kWaitStation:
      return "waiting above the fixture (machine busy)";
    case RobotPhase::kDescendToDrop:
      return "descending to the fixture";
    case RobotPhase::kRelease:
      return "releasing";
    case RobotPhase::kLiftFromDrop:
      return "lifting clear";
    case RobotPhase::kSwingToPick:
      return "swinging back";
  }
  return "";
}

// The robot cell's 3D image with its labels (on the pedestals: the air above the tables is
// where the parts move).
void draw_robot_cell(const Model& model, PhysicsPaneState& state, const RobotCellSpec& spec,
                     ImVec2 pos, ImVec2 item) {
  const Bounds3 bounds = robot_bounds(spec);
  if (!state.camera.fitted) fit_robot_camera(state.camera, bounds, item.x, item.y);
  orbit_camera_input(state.camera, bounds, pos, item);
  state.follower->snapshot(state.snapshot);
  build_robot_boxes(spec, state.snapshot, state.boxes);
  const unsigned texture = state.view->render_boxes(
      state.boxes, bounds, &state.camera, static_cast<int>(item.x), static_cast<int>(item.y));
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImVec2 end{pos.x + item.x, pos.y + item.y};
  dl->PushClipRect(pos, end, true);
  draw_gl_image(dl, texture, pos, end);
  const Station& st = model.stations[static_cast<size_t>(state.follower->setup()->station)];
  const std::string input = model.nodes[st.inputs.front()].name;
  label_at(dl, state.camera, pos, item,
           robot_to_world(spec.pick.x_m, spec.pick.y_m, 0.5 * spec.pick.top_z_m),
           ("pick: " + input).c_str(), kNodeLabel);
  label_at(dl, state.camera, pos, item,
           robot_to_world(spec.drop.x_m, spec.drop.y_m, 0.5 * spec.drop.top_z_m),
           (st.name + " fixture").c_str(), kStationLabel);
  dl->PopClipRect();
}

// The robot's figures at the pane's bottom left: the cell, the physics beside the line model.
void draw_robot_figures(const Rect& canvas, UiState& ui, const Model& model,
                        PhysicsPaneState& state, const RobotCellSpec& spec) {
  const float s = ui.scale;
  const PhysicsSnapshot& snap = state.snapshot;
  const Station& st = model.stations[static_cast<size_t>(state.follower->setup()->station)];
  begin_figures_window(canvas, s);
  ImGui::PushFont(ui.fonts.bold);
  ImGui::Text("%s robot", st.name.c_str());
  ImGui::PopFont();
  ImGui::SameLine();
  ImGui::TextDisabled("physics: Bullet, %d Hz fixed step", RobotCell::kStepsPerSecond);
  ImGui::Text("SCARA %.2f + %.2f m", spec.arm.link1_m, spec.arm.link2_m);
  draw_part_sizes(model, state.follower->products(), spec.parts);
  draw_run_state(model, snap, "cell", robot_phase_name(snap.phase));
  // The details open by default only where the pane has the room.
  ImGui::SetNextItemOpen(canvas.height() > 640.0 * s, ImGuiCond_Once);
  const bool details =
      snap.ready && ImGui::TreeNode("details", "physics beside the %s", feed_name(state));
  if (!details && snap.ready) {
    ImGui::SameLine();
    ImGui::TextDisabled("finished %d (%s %" PRIu64 "), fixture exchange %.2f s", snap.taken,
                        feed_name(state), snap.des_taken, snap.exchange_s);
  }
  if (details && begin_comparison_table("robot_vs_des", state)) {
    const auto row = table_row;
    char a[64], b[64];
    std::snprintf(a, sizeof a, "%" PRIu64, snap.des_put_on);
    row("arrived at the pick place", a, a);
    std::snprintf(a, sizeof a, "%d", snap.placed);
    row("placed on the fixture", a, "-");
    std::snprintf(a, sizeof a, "%d", snap.taken);
    std::snprintf(b, sizeof b, "%" PRIu64, snap.des_taken);
    row("finished by the machine", a, b);
    std::snprintf(a, sizeof a, "%d", snap.waiting);
    row("waiting for the robot", a, "-");
    std::snprintf(a, sizeof a, "%.2f s", state.follower->robot_cycle_s());
    row("robot cycle, never waiting", a, "-");
    if (snap.exchanges > 0)
      std::snprintf(a, sizeof a, "%.2f s (plan %.2f s)", snap.exchange_s,
                    state.follower->robot_plan_exchange_s());
    else
      std::snprintf(a, sizeof a, "- (plan %.2f s)", state.follower->robot_plan_exchange_s());
    row("fixture exchange", a, "0 s (in the cycle)");
    std::snprintf(a, sizeof a, "%.1f s", spec.station_cycle_s + snap.exchange_s);
    std::snprintf(b, sizeof b, "%.1f s%s", st.cycle_time.mean,
                  state.follower->follows_recording() ? " (scene)" : "");
    row("part to part at the machine", a, b);
    ImGui::EndTable();
  }
  if (details) ImGui::TreePop();
  if (snap.sim_rate > 0.0) ImGui::TextDisabled("stepping at %.0fx real time", snap.sim_rate);
  ImGui::Separator();
  swatch(kPhysicsHeld, "held");
  ImGui::SameLine();
  swatch(kPhysicsAtRest, "at rest");
  ImGui::SameLine();
  swatch(kPhysicsMoving, "falling");
  state.figures_rect = window_rect();
  ImGui::End();
}

// The setup window at the pane's top right: which conveyor, and the layout question.
void draw_controls(const Rect& canvas, UiState& ui, const Model& model, PhysicsPaneState& state) {
  const float s = ui.scale;
  // Top left, one line until opened, so it hides little of the belt.
  ImGui::SetNextWindowPos(v2(canvas.x0 + 10.0 * s, canvas.y0 + 10.0 * s));
  ImGui::SetNextWindowBgAlpha(0.88f);
  ImGui::Begin("##physics_setup", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_AlwaysAutoResize |
                   ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings |
                   ImGuiWindowFlags_NoFocusOnAppearing);
  const bool open = ImGui::TreeNode("setup");
  if (!open && state.robot >= 0) {
    ImGui::SameLine();
    ImGui::TextDisabled("%s", physics_choice_name(model, state).c_str());
    state.controls_rect = window_rect();
    ImGui::End();
    return;
  }
  if (!open) {
    ImGui::SameLine();
    char guides[48];
    if (state.guides)
      std::snprintf(guides, sizeof guides, "guides %.0f mm", state.guide_clearance_mm);
    else
      std::snprintf(guides, sizeof guides, "no guides");
    char clear[48];
    if (state.operator_clears)
      std::snprintf(clear, sizeof clear, "jams cleared after %.0f s", state.jam_clear_s);
    else
      std::snprintf(clear, sizeof clear, "jams stay");
    ImGui::TextDisabled("feed skew up to %.0f deg, %s, friction %.2f, %s", state.skew_deg, guides,
                        state.friction, clear);
    state.controls_rect = window_rect();
    ImGui::End();
    return;
  }
  bool changed = false;
  ImGui::PushItemWidth(170.0f * s);
  const std::string shown = physics_choice_name(model, state);
  if (ImGui::BeginCombo("physics of", shown.c_str())) {
    for (size_t i = 0; i < state.conveyors.size(); ++i) {
      const bool selected = state.robot < 0 && static_cast<int>(i) == state.conveyor;
      if (ImGui::Selectable(model.nodes[state.conveyors[i]].name.c_str(), selected) && !selected) {
        state.conveyor = static_cast<int>(i);
        state.robot = -1;
        changed = true;
      }
    }
    for (size_t i = 0; i < state.robots.size(); ++i) {
      const bool selected = static_cast<int>(i) == state.robot;
      const std::string name = model.stations[state.robots[i]].name + " (robot)";
      if (ImGui::Selectable(name.c_str(), selected) && !selected) {
        state.robot = static_cast<int>(i);
        changed = true;
      }
    }
    ImGui::EndCombo();
  }
  if (state.robot >= 0) {
    ImGui::PopItemWidth();
    if (changed) {
      apply_physics_setup(state);
      state.camera.fitted = false;
    }
    draw_setup_error(state, s);
    ImGui::TextDisabled("the robot's geometry and limits are the scene's (robot block)");
    ImGui::TreePop();
    state.controls_rect = window_rect();
    ImGui::End();
    return;
  }
  ImGui::SliderFloat("feed skew", &state.skew_deg, 0.0f, 45.0f, "up to %.0f deg");
  changed |= ImGui::IsItemDeactivatedAfterEdit();
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("Parts are put on turned by a random angle up to this (seeded)");
  changed |= ImGui::Checkbox("side guides", &state.guides);
  if (state.guides) {
    ImGui::SliderFloat("clearance", &state.guide_clearance_mm, 0.0f, 100.0f, "%.0f mm per side");
    changed |= ImGui::IsItemDeactivatedAfterEdit();
  }
  changed |= ImGui::Checkbox("operator clears jams", &state.operator_clears);
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("A part still jammed when the operator comes is taken off the belt");
  if (state.operator_clears) {
    ImGui::SliderFloat("after", &state.jam_clear_s, 0.0f, 600.0f, "%.0f s");
    changed |= ImGui::IsItemDeactivatedAfterEdit();
  }
  ImGui::SliderFloat("friction", &state.friction, 0.1f, 1.2f, "%.2f");
  changed |= ImGui::IsItemDeactivatedAfterEdit();
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("Coulomb coefficient between belt and parts");
  ImGui::PopItemWidth();
  if (changed) {
    const bool was_robot = state.follower->robot_spec() != nullptr;
    if (apply_physics_setup(state) && was_robot) state.camera.fitted = false;
  }
  draw_setup_error(state, s);
  ImGui::TextDisabled("a change re-runs the belt from the shift start");
  ImGui::TreePop();
  state.controls_rect = window_rect();
  ImGui::End();
}

}  // namespace

void fit_physics_camera(Camera3D& camera, const Bounds3& bounds, double width_px,
                        double height_px) {
  camera = Camera3D();
  camera.yaw = -0.15;  // nearly side-on: the belt spans the image
  camera.pitch = 24.0 * kPi / 180.0;
  camera.set_viewport(width_px, height_px);
  camera.fit(bounds);
  // The figures sit at the bottom of the pane: move the scene up by a quarter of the image.
  const double half_h = camera.distance * std::tan(camera.fov_y / 2.0);
  camera.target -= 0.5 * half_h * camera.up();
}

void fit_robot_camera(Camera3D& camera, const Bounds3& bounds, double width_px, double height_px) {
  camera = Camera3D();
  camera.yaw = 0.75;  // from the front right: the column does not hide a table
  camera.pitch = 32.0 * kPi / 180.0;
  camera.set_viewport(width_px, height_px);
  camera.fit(bounds);
  // The bounds hold the arm's whole reach; the tables and the arm fill less. The figures sit
  // at the bottom left: the cell goes to the right.
  camera.distance *= 0.85;
  const double half_h = camera.distance * std::tan(camera.fov_y / 2.0);
  camera.target -= 0.3 * half_h * camera.aspect() * camera.right();
  camera.target += 0.1 * half_h * camera.up();
}

PhysicsSetup physics_setup_of(const PhysicsPaneState& state) {
  PhysicsSetup setup;
  if (state.robot >= 0 && !state.robots.empty()) {
    const size_t i = std::min(static_cast<size_t>(state.robot), state.robots.size() - 1);
    setup.station = static_cast<int32_t>(state.robots[i]);
  }
  if (!state.conveyors.empty()) {
    const size_t i =
        std::min(static_cast<size_t>(std::max(state.conveyor, 0)), state.conveyors.size() - 1);
    setup.node = state.conveyors[i];
  }
  setup.max_skew_deg = state.skew_deg;
  setup.guide_clearance_m = state.guides ? state.guide_clearance_mm / 1000.0 : -1.0;
  setup.friction = state.friction;
  setup.jam_clear_s = state.operator_clears ? state.jam_clear_s : -1.0;
  return setup;
}

bool apply_physics_setup(PhysicsPaneState& state) {
  if (state.follower == nullptr || !has_physics(state)) return false;
  std::string why;
  if (!state.follower->configure(physics_setup_of(state), why)) {
    state.error = why;
    return false;
  }
  state.error.clear();
  return true;
}

void draw_physics_pane(const Rect& canvas, UiState& ui, const Model& model,
                       PhysicsPaneState& state) {
  if (state.follower == nullptr || state.view == nullptr || !has_physics(state)) return;
  const ImVec2 pos = v2(canvas.x0, canvas.y0);
  const ImVec2 item{std::max(static_cast<float>(canvas.width()), 1.0f),
                    std::max(static_cast<float>(canvas.height()), 1.0f)};
  ImGui::SetCursorScreenPos(pos);
  ImGui::InvisibleButton("physics_view", item,
                         ImGuiButtonFlags_MouseButtonLeft | ImGuiButtonFlags_MouseButtonRight |
                             ImGuiButtonFlags_MouseButtonMiddle);
  ImGui::SetItemAllowOverlap();
  const ConveyorLineSpec* spec = state.follower->spec();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImVec2 end{pos.x + item.x, pos.y + item.y};
  if (const RobotCellSpec* robot = state.follower->robot_spec(); robot != nullptr) {
    draw_robot_cell(model, state, *robot, pos, item);
    draw_robot_figures(canvas, ui, model, state, *robot);
    draw_controls(canvas, ui, model, state);
    return;
  }
  if (spec == nullptr) {
    dl->AddRectFilled(pos, end, to_imu32(kPlanBackground));
    draw_controls(canvas, ui, model, state);
    return;
  }
  const Bounds3 bounds = physics_bounds(*spec);
  if (!state.camera.fitted) fit_physics_camera(state.camera, bounds, item.x, item.y);
  orbit_camera_input(state.camera, bounds, pos, item);
  state.follower->snapshot(state.snapshot);
  build_physics_boxes(*spec, state.follower->fixtures(), state.snapshot, state.boxes);
  const unsigned texture = state.view->render_boxes(
      state.boxes, bounds, &state.camera, static_cast<int>(item.x), static_cast<int>(item.y));
  dl->PushClipRect(pos, end, true);
  draw_gl_image(dl, texture, pos, end);
  const uint32_t node = state.follower->setup()->node;
  const double length = spec->belt.length_m;
  label_at(dl, state.camera, pos, item,
           belt_to_world(length + 0.3 + kPhysicsStationSize / 2.0, 0.0, 0.9),
           consumer_names(model, node).c_str(), kStationLabel);
  label_at(dl, state.camera, pos, item, belt_to_world(-0.3, 0.0, 0.3), "feeder", kNodeLabel);
  double tallest = 0.0;  // [m] the stop is twice the tallest part's height
  for (const PartSpec& part : spec->parts) tallest = std::max(tallest, part.size_z);
  label_at(dl, state.camera, pos, item, belt_to_world(length, 0.0, 2.5 * tallest + 0.1), "stop",
           kPhysicsStop);
  dl->PopClipRect();
  draw_figures(canvas, ui, model, state, *spec);
  draw_controls(canvas, ui, model, state);
}

}  // namespace twin::viewer
