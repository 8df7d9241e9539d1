// The 3D view of the line: every station's machines, the buffers and conveyors with their parts,
// as lit boxes on a floor grid, rendered with OpenGL 3.3 into a texture the ImGui pane shows.
//
// Two halves: build_boxes() turns a Model, its PlanLayout and a ViewFrame into a list of boxes
// (pure, no GL, so tests check it directly), and LineView3D draws such a list with one instanced
// draw call into its own framebuffer. Picking is a ray against the same boxes.
//
// Heights are chosen per kind (the scene gives footprints only): machines 1.6 m, buffers 0.8 m,
// conveyor belts 0.9 m on legs. The twin's mode colours each machine's body; when the frame has
// a real side, a cap on top shows the real mode. Colours are the 2D plan's (viewer/colors.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/model/model.h"
#include "viewer/camera_3d.h"
#include "viewer/colors.h"
#include "viewer/layout.h"
#include "viewer/view_frame.h"

namespace twin::viewer {

// Heights of the 3D view [m].
inline constexpr double kMachineHeight3D = 1.6;   // machine body (with the real cap, if any)
inline constexpr double kRealCapHeight3D = 0.3;   // top part of a machine showing the real mode
inline constexpr double kBufferHeight3D = 0.8;    // top of a buffer rack
inline constexpr double kBeltHeight3D = 0.9;      // top of a conveyor belt
inline constexpr double kEndpointHeight3D = 0.5;  // sources and sinks
inline constexpr double kPartSize3D = 0.28;       // edge of a part cube at most
inline constexpr double kLabelHeight3D = 2.1;     // station name anchors above the floor

// Colours of the 3D view beside the plan palette.
inline constexpr Rgba kSelected3D{110, 195, 255, 255};  // base plate of the selected station
inline constexpr Rgba kStationBase3D{44, 50, 61, 255};  // base plate of the other stations
inline constexpr Rgba kSeam3D{28, 32, 38, 255};         // between a machine's body and cap
inline constexpr Rgba kLeg3D{78, 86, 99, 255};          // conveyor legs
inline constexpr Rgba kSlot3D{38, 44, 53, 255};         // empty place on a buffer
inline constexpr Rgba kHeldPart3D{235, 238, 242, 255};  // the part a machine holds

enum class BoxKind : uint8_t {
  kStationBase,     // plate under a station (bright when selected)
  kMachine,         // machine body, the twin's mode
  kRealCap,         // top of a machine, the real mode (frames with a real side)
  kSeam,            // thin dark band between body and cap
  kHeldPart,        // part a machine is working on or holding
  kBottleneckMark,  // highlight around the bottleneck machine
  kNodeShell,       // buffer rack, conveyor belt, source or sink
  kRail,            // conveyor side rail
  kLeg,             // conveyor leg
  kSlot,            // empty place on a buffer
  kPart,            // part waiting in a buffer or on a conveyor
  kFillBar,         // fill level of a buffer too large for one cube per place
  kFlow,            // flow strip on the floor between a node and a station
};

struct Box3D {
  OrientedBox box;        // where [m, world]
  Rgba color;             // base colour (lit by the shader unless emissive)
  float emissive = 0.0f;  // [1] 0 = Lambert + ambient, 1 = unlit full colour (highlights)
  BoxKind kind = BoxKind::kMachine;
  int32_t station = -1;  // station the box belongs to (what a click on it selects), or -1
  int32_t machine = -1;  // global machine index (LineState order), or -1
  int32_t node = -1;     // node index, or -1
};

// What one render of the 3D view reads. Pointers are not owned and must outlive the call.
struct LineScene3D {
  const Model* model = nullptr;
  const PlanLayout* plan = nullptr;  // layout_plan(*model)
  const ViewFrame* frame = nullptr;
  int32_t selected_station = -1;     // station index, or -1
  int32_t bottleneck_machine = -1;   // global machine index, or -1
  const Camera3D* camera = nullptr;  // null: fitted to the whole line from the default angle
};

// A plan point [m] at `height` [m] above the floor, in world coordinates.
inline Eigen::Vector3d plan_to_world(Vec2 p, double height) {
  return {p.x, height, -p.y};
}

// Everything the 3D view draws of a layout (floor to machine tops) [m, world]: fit the camera
// to this.
Bounds3 scene_bounds(const PlanLayout& plan);

// The boxes of one frame, in a fixed order: per station (base, machines, caps, held parts,
// highlights), then per node (body, rails, legs, slots, parts), then the flow strips.
std::vector<Box3D> build_boxes(const Model& model, const PlanLayout& plan, const ViewFrame& frame,
                               int32_t selected_station, int32_t bottleneck_machine);
// The same, into `out` (cleared first) so a caller can reuse its storage every frame.
void build_boxes(const Model& model, const PlanLayout& plan, const ViewFrame& frame,
                 int32_t selected_station, int32_t bottleneck_machine, std::vector<Box3D>& out);

// Index of the nearest box `ray` hits, or -1.
int32_t pick_box(const std::vector<Box3D>& boxes, const Ray3& ray);
// Station of the nearest box under pixel (px, py) of `camera`'s image, or -1 (nothing, or a
// node, in front).
int32_t pick_station(const std::vector<Box3D>& boxes, const Camera3D& camera, double px, double py);

// Draws LineScene3D frames into a texture. Needs a current OpenGL 3.3 core context for every
// call, the destructor included.
class LineView3D {
 public:
  LineView3D() = default;
  LineView3D(const LineView3D&) = delete;
  LineView3D& operator=(const LineView3D&) = delete;
  ~LineView3D();

  // Compiles the shaders and creates the cube and instance buffers. False with `error` when the
  // context cannot do it.
  bool init(std::string& error);
  // Multisampling of later renders (0 = off); clamped to what the context offers. Default 4.
  void set_samples(int samples) { samples_wanted_ = samples; }

  // Renders `input` at width x height pixels into the view's framebuffer (resized as needed)
  // and returns its colour texture (GL name; rows bottom-up, so show it with UVs (0,1)-(1,0)).
  // 0 when not initialised or the size is empty. Restores the framebuffer, viewport and
  // program it found bound.
  unsigned render(const LineScene3D& input, int width_px, int height_px);

  // The same for any list of boxes (the physics view's belt and parts), with the floor grid
  // under `bounds` and, without a camera, the camera fitted to them.
  unsigned render_boxes(const std::vector<Box3D>& boxes, const Bounds3& bounds,
                        const Camera3D* camera, int width_px, int height_px);

  // Station under pixel (px, py) [px from the image's top left], or -1.
  int32_t pick(const LineScene3D& input, const Camera3D& camera, double px, double py) const;

  // The last render as RGBA bytes, top row first (width * height * 4). False before a render.
  bool read_pixels(std::vector<uint8_t>& rgba) const;
  // The last render as a PNG file.
  bool write_png(const std::string& path, std::string& error) const;

  int width() const { return width_; }
  int height() const { return height_; }
  int samples() const { return samples_; }
  const std::vector<Box3D>& boxes() const { return boxes_; }  // of the last render
  const Camera3D& camera() const { return camera_; }          // of the last render

 private:
  // Draws boxes_ over a grid under `bounds` (see render_boxes).
  unsigned draw_boxes(const Bounds3& bounds, const Camera3D* camera, int width_px, int height_px);
  bool resize(int width, int height);
  void release_targets();
  void draw_grid(const Eigen::Matrix4f& view_proj, const Bounds3& bounds);

  bool ready_ = false;
  int width_ = 0, height_ = 0;  // [px] of the framebuffers
  int samples_wanted_ = 4;
  int samples_ = 0;  // of the render framebuffer
  // GL names (0 = none).
  uint32_t box_program_ = 0, line_program_ = 0;
  uint32_t box_vao_ = 0, cube_vbo_ = 0, instance_vbo_ = 0;
  uint32_t line_vao_ = 0, line_vbo_ = 0;
  uint32_t render_fbo_ = 0, render_color_ = 0, render_depth_ = 0;      // multisampled target
  uint32_t resolve_fbo_ = 0, resolve_texture_ = 0;                     // what callers show
  int32_t box_view_proj_ = -1, box_light_ = -1, line_view_proj_ = -1;  // uniform locations
  // Reused every frame.
  std::vector<Box3D> boxes_;
  std::vector<float> instance_data_;  // 12 floats per box
  std::vector<float> line_data_;      // 6 floats per vertex
  Camera3D camera_;
};

}  // namespace twin::viewer
