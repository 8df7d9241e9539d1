// Fonts and colours of the viewer's Dear ImGui style.
#include "viewer/style.h"

#include <sys/stat.h>

namespace twin::viewer {

namespace {

bool file_exists(const char* path) {
  struct stat st {};
  return stat(path, &st) == 0;
}

}  // namespace

// DejaVu Sans from Debian's fonts-dejavu-core when present, else ImGui's built-in font.
Fonts load_fonts(float scale) {
  ImGuiIO& io = ImGui::GetIO();
  constexpr const char* kRegular = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
  constexpr const char* kBold = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf";
  Fonts f;
  if (file_exists(kRegular)) {
    f.regular = io.Fonts->AddFontFromFileTTF(kRegular, 15.0f * scale);
    f.small = io.Fonts->AddFontFromFileTTF(kRegular, 13.0f * scale);
    f.large = io.Fonts->AddFontFromFileTTF(kRegular, 24.0f * scale);
    f.bold = file_exists(kBold) ? io.Fonts->AddFontFromFileTTF(kBold, 15.0f * scale) : f.regular;
  }
  if (f.regular == nullptr) {
    ImFontConfig config;
    config.SizePixels = 13.0f * scale;
    f.regular = io.Fonts->AddFontDefault(&config);
    f.small = f.bold = f.large = f.regular;
  }
  return f;
}

void apply_style(float scale) {
  ImGui::StyleColorsDark();
  ImGuiStyle& style = ImGui::GetStyle();
  style.WindowPadding = {14.0f, 12.0f};
  style.FramePadding = {8.0f, 4.0f};
  style.ItemSpacing = {8.0f, 6.0f};
  style.CellPadding = {6.0f, 3.0f};
  style.FrameRounding = 4.0f;
  style.GrabRounding = 4.0f;
  style.WindowBorderSize = 0.0f;
  ImVec4* c = style.Colors;
  c[ImGuiCol_WindowBg] = {0.105f, 0.118f, 0.137f, 1.0f};
  c[ImGuiCol_Separator] = {0.25f, 0.28f, 0.32f, 1.0f};
  c[ImGuiCol_Button] = {0.20f, 0.24f, 0.30f, 1.0f};
  c[ImGuiCol_ButtonHovered] = {0.26f, 0.34f, 0.45f, 1.0f};
  c[ImGuiCol_ButtonActive] = {0.22f, 0.45f, 0.72f, 1.0f};
  c[ImGuiCol_FrameBg] = {0.16f, 0.18f, 0.22f, 1.0f};
  c[ImGuiCol_TableHeaderBg] = {0.16f, 0.18f, 0.22f, 1.0f};
  c[ImGuiCol_TableRowBgAlt] = {1.0f, 1.0f, 1.0f, 0.03f};
  c[ImGuiCol_PlotHistogram] = {0.30f, 0.62f, 0.90f, 1.0f};
  style.ScaleAllSizes(scale);
}

}  // namespace twin::viewer
