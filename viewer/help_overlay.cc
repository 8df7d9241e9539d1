// The help overlay: the keyboard shortcuts and the mouse, over the whole window.
#include "viewer/shortcuts.h"
#include "viewer/ui.h"

namespace twin::viewer {

void draw_help(UiState& ui) {
  if (!ui.show_help) return;
  const ImGuiIO& io = ImGui::GetIO();
  const float s = ui.scale;
  ImGui::SetNextWindowPos({io.DisplaySize.x * 0.5f, io.DisplaySize.y * 0.5f}, ImGuiCond_Always,
                          {0.5f, 0.5f});
  ImGui::SetNextWindowBgAlpha(0.94f);
  ImGui::Begin("Help", &ui.show_help,
               ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoCollapse |
                   ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoMove);
  ImGui::PushFont(ui.fonts.bold);
  ImGui::TextUnformatted("Keyboard");
  ImGui::PopFont();
  if (ImGui::BeginTable("keys", 2, ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit)) {
    for (const Shortcut& sc : kShortcuts) {
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::TextColored({0.55f, 0.75f, 1.0f, 1.0f}, "%s", sc.keys);
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(sc.description);
    }
    ImGui::EndTable();
  }
  ImGui::Spacing();
  ImGui::PushFont(ui.fonts.bold);
  ImGui::TextUnformatted("Mouse");
  ImGui::PopFont();
  ImGui::BulletText("Plan: drag to pan, wheel to zoom, click a machine to plot its tags");
  ImGui::BulletText("3D: left-drag orbits, right-drag pans, wheel zooms, click selects");
  ImGui::BulletText("Mode strips: click the time axis to jump there, click a row to select");
  ImGui::BulletText("Drop a recording (.mcap) on the window to open it beside the twin");
  ImGui::Spacing();
  ImGui::TextDisabled("Machines: real (recorded or live) mode above the twin's.");
  ImGui::TextDisabled("Strips: after the clock, the twin's prediction (dimmed).");
  ImGui::Dummy({420.0f * s, 0.0f});
  ImGui::End();
}

}  // namespace twin::viewer
