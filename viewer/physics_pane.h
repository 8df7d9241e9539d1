// The physics pane: one conveyor or robot cell of the scene stepping in Bullet at the viewer's
// clock (the line pane's "Physics" view). The Bullet world is the PhysicsFollower's; this pane
// reads its latest snapshot, draws it at true scale with its own 3D renderer, and shows beside it
// what the line model says of the same belt. Its controls ask layout questions (feed skew, side
// guides, friction): a change re-runs the belt from the shift start in the background.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/model/model.h"
#include "viewer/camera_3d.h"
#include "viewer/layout.h"
#include "viewer/line_view_3d.h"
#include "viewer/physics_follower.h"

namespace twin::viewer {

struct UiState;

struct PhysicsPaneState {
  PhysicsFollower* follower = nullptr;  // null: the scene has no physics conveyor
  LineView3D* view = nullptr;           // the pane's own renderer (own framebuffer)
  Camera3D camera;                      // its orbit camera
  std::vector<uint32_t> conveyors;      // physics_conveyors(model)
  std::vector<uint32_t> robots;         // physics_robots(model): robot-loaded stations
  // The controls (applied with configure() when changed).
  int conveyor = 0;                  // index into conveyors
  int robot = -1;                    // index into robots; >= 0: its cell instead of a conveyor
  float skew_deg = 0.0f;             // [deg]
  bool guides = false;               // side guides on
  float guide_clearance_mm = 10.0f;  // [mm] per side
  float friction = 0.6f;             // [-]
  bool operator_clears = true;       // an operator clears jams
  float jam_clear_s = 60.0f;         // [s] after the jam
  std::string error;                 // of the last configure()
  PhysicsSnapshot snapshot;          // this frame's (reused)
  Rect figures_rect, controls_rect;  // [px, screen] where the overlays were drawn last frame
  std::vector<Box3D> boxes;          // this frame's (reused)
};

// The physics view's first camera: along the belt from the front left, `bounds` fitted into a
// width_px x height_px image, the scene in its upper part (the figures are at the bottom).
void fit_physics_camera(Camera3D& camera, const Bounds3& bounds, double width_px, double height_px);

// The robot view's first camera: the cell from the front right and above, `bounds` fitted into
// a width_px x height_px image, towards its right (the figures are at the bottom left).
void fit_robot_camera(Camera3D& camera, const Bounds3& bounds, double width_px, double height_px);

// The setup the controls describe.
PhysicsSetup physics_setup_of(const PhysicsPaneState& state);

// Whether the scene has anything for the pane: a physics conveyor or a robot cell.
inline bool has_physics(const PhysicsPaneState& state) {
  return !state.conveyors.empty() || !state.robots.empty();
}

// Applies the controls to the follower (configure); on failure keeps the message in `error`.
// False when there is no follower or the setup was refused.
bool apply_physics_setup(PhysicsPaneState& state);

// Draws the pane into `canvas` [px, screen] of the current window: the belt's 3D image (mouse:
// the orbit camera), the figures, the jam list (a click shows the jam's time: ui.jump_to_s),
// the controls and a legend. The follower must already follow the shown clock.
void draw_physics_pane(const Rect& canvas, UiState& ui, const Model& model,
                       PhysicsPaneState& state);

}  // namespace twin::viewer
