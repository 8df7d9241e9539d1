// The 3D line view as an ImGui item: the rendered image, the mouse controls of its orbit camera,
// and station names drawn over it.
#pragma once

#include <cstdint>

#include <imgui.h>

#include "viewer/camera_3d.h"
#include "viewer/line_view_3d.h"

namespace twin::viewer {

// A rendered texture (LineView3D's, rows bottom-up) over the screen rectangle pos..end, or the
// plan background when there is none (texture 0).
void draw_gl_image(ImDrawList* dl, unsigned texture, ImVec2 pos, ImVec2 end);

struct OrbitInput {
  bool clicked = false;  // a press and release without drag this frame
  ImVec2 mouse;          // [px] mouse position relative to the item's top left
};
// The orbit camera's mouse controls over the item just submitted (an InvisibleButton at `pos`,
// `item` px): left drag orbits, right or middle drag pans, the wheel zooms towards the cursor,
// a double click or F fits `bounds`. Fits the camera on first use.
OrbitInput orbit_camera_input(Camera3D& camera, const Bounds3& bounds, ImVec2 pos, ImVec2 item);

// Renders `scene` (its camera replaced by `camera`) at `pos`, `size` [px, screen] and handles
// the mouse over it: left drag orbits, right or middle drag pans, the wheel zooms towards the
// cursor, a double click or F fits the whole line, a click (press and release without drag)
// picks. Fits the camera on first use. Returns the clicked station, or -1 when nothing was
// clicked this frame (a click on the floor or a node returns -1 too).
int32_t draw_line_view_3d(LineView3D& view, Camera3D& camera, const LineScene3D& scene, ImVec2 pos,
                          ImVec2 size);

}  // namespace twin::viewer
