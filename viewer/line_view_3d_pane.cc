#include "viewer/line_view_3d_pane.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include <GLFW/glfw3.h>  // key codes: the ImGui 1.86 GLFW backend indexes keys by them

#include "viewer/ui.h"

namespace twin::viewer {

namespace {

// A mouse press and release closer than this is a click, not a drag [px].
constexpr float kClickSlop = 4.0f;

// Station names over the image, nearest first; a label that would overlap one already drawn,
// or that lies behind the camera or off the image, is skipped.
void draw_labels(ImDrawList* dl, const LineScene3D& scene, const Camera3D& camera, ImVec2 pos,
                 ImVec2 size) {
  const Model& model = *scene.model;
  const PlanLayout& plan = *scene.plan;
  struct Label {
    size_t station;
    Projected at;
  };
  std::vector<Label> labels;
  for (size_t s = 0; s < model.stations.size() && s < plan.stations.size(); ++s) {
    const Projected p =
        camera.project(plan_to_world(plan.stations[s].box.center(), kLabelHeight3D));
    if (p.inside(size.x, size.y)) labels.push_back({s, p});
  }
  std::stable_sort(labels.begin(), labels.end(),
                   [](const Label& a, const Label& b) { return a.at.depth < b.at.depth; });
  ImFont* font = ImGui::GetFont();
  const float font_size = std::max(ImGui::GetFontSize() * 0.85f, 10.0f);
  std::vector<ImVec4> placed;
  for (const Label& l : labels) {
    const char* name = model.stations[l.station].name.c_str();
    const ImVec2 ts = font->CalcTextSizeA(font_size, 1e9f, 0.0f, name);
    const float pad = 3.0f;
    const ImVec2 p0{pos.x + static_cast<float>(l.at.x) - ts.x / 2.0f - pad,
                    pos.y + static_cast<float>(l.at.y) - ts.y - pad};
    const ImVec2 p1{p0.x + ts.x + 2.0f * pad, p0.y + ts.y + 2.0f * pad};
    bool clash = false;
    for (const ImVec4& r : placed) {
      if (p0.x < r.z && p1.x > r.x && p0.y < r.w && p1.y > r.y) {
        clash = true;
        break;
      }
    }
    if (clash) continue;
    placed.push_back({p0.x, p0.y, p1.x, p1.y});
    const bool selected = static_cast<int32_t>(l.station) == scene.selected_station;
    dl->AddRectFilled(p0, p1, IM_COL32(16, 19, 24, 200), 3.0f);
    if (selected) dl->AddRect(p0, p1, to_imu32(kSelected3D), 3.0f);
    dl->AddText(font, font_size, {p0.x + pad, p0.y + pad}, to_imu32(kStationLabel), name);
  }
}

void draw_hint(ImDrawList* dl, const LineScene3D& scene, ImVec2 pos, ImVec2 size) {
  ImFont* font = ImGui::GetFont();
  const float font_size = std::max(ImGui::GetFontSize() * 0.85f, 10.0f);
  const char* text = "left drag: orbit   right drag: pan   wheel: zoom   double-click / F: fit";
  const ImVec2 ts = font->CalcTextSizeA(font_size, 1e9f, 0.0f, text);
  dl->AddText(font, font_size, {pos.x + size.x - ts.x - 12.0f, pos.y + 10.0f},
              IM_COL32(140, 148, 160, 255), text);
  if (scene.frame != nullptr && scene.frame->real.present) {
    const char* key = "machines: the twin's mode below, the recorded (real) mode on the top cap";
    dl->AddText(font, font_size, {pos.x + 12.0f, pos.y + 10.0f}, to_imu32(kStationLabel), key);
  }
}

}  // namespace

void draw_gl_image(ImDrawList* dl, unsigned texture, ImVec2 pos, ImVec2 end) {
  if (texture != 0) {
    // OpenGL's rows start at the bottom: flip the V coordinate.
    dl->AddImage(reinterpret_cast<ImTextureID>(static_cast<intptr_t>(texture)), pos, end, {0, 1},
                 {1, 0});
  } else {
    dl->AddRectFilled(pos, end, to_imu32(kPlanBackground));
  }
}

OrbitInput orbit_camera_input(Camera3D& camera, const Bounds3& bounds, ImVec2 pos, ImVec2 item) {
  const bool hovered = ImGui::IsItemHovered();
  const bool active = ImGui::IsItemActive();
  camera.set_viewport(item.x, item.y);
  if (!camera.fitted) camera.fit(bounds);

  ImGuiIO& io = ImGui::GetIO();
  OrbitInput out;
  out.mouse = {io.MousePos.x - pos.x, io.MousePos.y - pos.y};
  if (active) {
    if (ImGui::IsMouseDown(ImGuiMouseButton_Left) &&
        ImGui::IsMouseDragging(ImGuiMouseButton_Left, kClickSlop)) {
      camera.orbit(io.MouseDelta.x, io.MouseDelta.y);
    } else if (ImGui::IsMouseDown(ImGuiMouseButton_Right) ||
               ImGui::IsMouseDown(ImGuiMouseButton_Middle)) {
      camera.pan(io.MouseDelta.x, io.MouseDelta.y);
    }
  }
  if (hovered) {
    if (io.MouseWheel != 0.0f) camera.zoom(io.MouseWheel, out.mouse.x, out.mouse.y);
    const bool fit_key = !io.WantTextInput && ImGui::IsKeyPressed(GLFW_KEY_F, false);
    if (ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left) || fit_key) {
      camera.fit(bounds);
    } else if (ImGui::IsMouseReleased(ImGuiMouseButton_Left) &&
               io.MouseDragMaxDistanceSqr[ImGuiMouseButton_Left] < kClickSlop * kClickSlop) {
      out.clicked = true;
    }
  }
  return out;
}

int32_t draw_line_view_3d(LineView3D& view, Camera3D& camera, const LineScene3D& scene, ImVec2 pos,
                          ImVec2 size) {
  if (scene.model == nullptr || scene.plan == nullptr || scene.frame == nullptr) return -1;
  const ImVec2 item{std::max(size.x, 1.0f), std::max(size.y, 1.0f)};
  ImGui::SetCursorScreenPos(pos);
  ImGui::InvisibleButton("line_view_3d", item,
                         ImGuiButtonFlags_MouseButtonLeft | ImGuiButtonFlags_MouseButtonRight |
                             ImGuiButtonFlags_MouseButtonMiddle);
  ImGui::SetItemAllowOverlap();  // buttons drawn over the view after it get their clicks
  const OrbitInput input = orbit_camera_input(camera, scene_bounds(*scene.plan), pos, item);
  const int32_t clicked =
      input.clicked ? view.pick(scene, camera, input.mouse.x, input.mouse.y) : -1;

  LineScene3D with_camera = scene;
  with_camera.camera = &camera;
  const unsigned texture = view.render(with_camera, static_cast<int>(std::lround(item.x)),
                                       static_cast<int>(std::lround(item.y)));
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImVec2 end{pos.x + item.x, pos.y + item.y};
  dl->PushClipRect(pos, end, true);
  draw_gl_image(dl, texture, pos, end);
  draw_labels(dl, with_camera, camera, pos, item);
  draw_hint(dl, with_camera, pos, item);
  dl->PopClipRect();
  return clicked;
}

}  // namespace twin::viewer
