#include "viewer/line_view_3d.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <span>

#define GL_GLEXT_PROTOTYPES 1
#include <GL/gl.h>
#include <GL/glext.h>

#include "core/telemetry/telemetry.h"
#include "viewer/screenshot.h"

namespace twin::viewer {

// ---- Boxes (no GL) ------------------------------------------------------------------------

namespace {

// Most cubes shown per buffer or conveyor; more places than this are shown as a fill bar.
constexpr int kMaxCubes = 48;
// Floor highlights and strips [m].
constexpr double kBaseMargin = 0.18, kSelectedMargin = 0.35;
constexpr double kBaseHeight = 0.04, kSelectedHeight = 0.07;
constexpr double kRingGap = 0.2, kRingWidth = 0.14, kRingHeight = 0.16;
constexpr double kOutlineWidth = 0.09;
constexpr double kFlowWidth = 0.12, kFlowHeight = 0.015;

Rgba mode_rgba(const SideFrame& side, uint32_t m) {
  if (!side.present || m >= side.mode.size()) return kUnknownMode;
  const std::optional<Mode> mode = from_telemetry(side.mode[m]);
  return mode ? mode_color(*mode) : kUnknownMode;
}

class BoxWriter {
 public:
  explicit BoxWriter(std::vector<Box3D>& out) : out_(out) {}

  // Owner of the boxes added next.
  void owner(int32_t station, int32_t machine, int32_t node) {
    station_ = station;
    machine_ = machine;
    node_ = node;
  }

  // A box over plan rect `r` from `bottom` to `top` [m].
  Box3D& over(const Rect& r, double bottom, double top, Rgba color, BoxKind kind) {
    const Vec2 c = r.center();
    return add(plan_to_world(c, (bottom + top) / 2.0),
               {r.width() / 2.0, (top - bottom) / 2.0, r.height() / 2.0}, 0.0, color, kind);
  }

  // A bar from plan point a to b, `width` across, from `bottom` to `top` [m].
  Box3D& bar(Vec2 a, Vec2 b, double width, double bottom, double top, Rgba color, BoxKind kind) {
    const double dx = b.x - a.x, dy = b.y - a.y;
    const double len = std::sqrt(dx * dx + dy * dy);
    const Vec2 c{(a.x + b.x) / 2.0, (a.y + b.y) / 2.0};
    // Local +x maps to (cos, 0, -sin) = the plan direction (dx, dy) on the floor (z = -y).
    return add(plan_to_world(c, (bottom + top) / 2.0),
               {len / 2.0, (top - bottom) / 2.0, width / 2.0}, std::atan2(dy, dx), color, kind);
  }

  // A cube of edge `size` standing at plan point c on `bottom` [m].
  Box3D& cube(Vec2 c, double bottom, double size, double yaw, Rgba color, BoxKind kind) {
    return add(plan_to_world(c, bottom + size / 2.0), {size / 2.0, size / 2.0, size / 2.0}, yaw,
               color, kind);
  }

  // Four bars along the edges of plan rect `r` (an outline), `width` wide.
  void frame(const Rect& r, double width, double bottom, double top, Rgba color, BoxKind kind,
             float emissive) {
    const double w = width / 2.0;
    over({r.x0 - w, r.y0 - w, r.x1 + w, r.y0 + w}, bottom, top, color, kind).emissive = emissive;
    over({r.x0 - w, r.y1 - w, r.x1 + w, r.y1 + w}, bottom, top, color, kind).emissive = emissive;
    over({r.x0 - w, r.y0 + w, r.x0 + w, r.y1 - w}, bottom, top, color, kind).emissive = emissive;
    over({r.x1 - w, r.y0 + w, r.x1 + w, r.y1 - w}, bottom, top, color, kind).emissive = emissive;
  }

 private:
  Box3D& add(const Eigen::Vector3d& center, const Eigen::Vector3d& half, double yaw, Rgba color,
             BoxKind kind) {
    Box3D& b = out_.emplace_back();
    b.box.center = center;
    b.box.half = half;
    b.box.yaw = yaw;
    b.color = color;
    b.kind = kind;
    b.station = station_;
    b.machine = machine_;
    b.node = node_;
    return b;
  }

  std::vector<Box3D>& out_;
  int32_t station_ = -1, machine_ = -1, node_ = -1;
};

// Where flow enters (or leaves) node shape n, looking towards `toward` [m] (as in the plan).
Vec2 node_port(const NodeShape& n, Vec2 toward, bool entering) {
  if (n.belt) return entering ? n.from : n.to;
  return edge_point(n.box, toward);
}

// Whether machine m holds a part, as far as its mode tells: busy and setup work on the held
// part; blocked holds a finished part, unless blocking before service (it waits for room
// before taking one).
bool holds_part(const Model& model, const Station& st, Mode mode) {
  if (mode == Mode::kBusy || mode == Mode::kSetup) return true;
  if (mode != Mode::kBlocked) return false;
  return st.blocking == Blocking::kAfterService ||
         (st.output < model.nodes.size() && model.nodes[st.output].capacity == 0);
}

void add_station(BoxWriter& w, const Model& model, const PlanLayout& plan, const ViewFrame& frame,
                 size_t s, bool selected, int32_t bottleneck_machine) {
  const Station& st = model.stations[s];
  const StationShape& shape = plan.stations[s];
  w.owner(static_cast<int32_t>(s), -1, -1);
  if (selected) {
    w.over(shape.box.grown(kSelectedMargin), 0.0, kSelectedHeight, kSelected3D,
           BoxKind::kStationBase)
        .emissive = 0.85f;
  } else {
    w.over(shape.box.grown(kBaseMargin), 0.0, kBaseHeight, kStationBase3D, BoxKind::kStationBase);
  }
  // Direction of the output in the plan: the held part sits on the machine's output side.
  Vec2 out_dir{1.0, 0.0};
  if (st.output < plan.nodes.size()) {
    const Vec2 c = shape.box.center();
    const Vec2 port = node_port(plan.nodes[st.output], c, true);
    const double dx = port.x - c.x, dy = port.y - c.y;
    out_dir = std::abs(dx) >= std::abs(dy) ? Vec2{dx >= 0.0 ? 1.0 : -1.0, 0.0}
                                           : Vec2{0.0, dy >= 0.0 ? 1.0 : -1.0};
  }
  const bool with_real = frame.real.present;
  for (uint32_t k = 0; k < st.machine_count && k < shape.machines.size(); ++k) {
    const uint32_t m = st.first_machine + k;
    w.owner(static_cast<int32_t>(s), static_cast<int32_t>(m), -1);
    const Rect& full = shape.machines[k];
    const double inset = std::min(0.06, 0.1 * std::min(full.width(), full.height()));
    const Rect r = full.grown(-inset);
    const double top = kMachineHeight3D;
    const double body_top = with_real ? top - kRealCapHeight3D : top;
    w.over(r, kBaseHeight, body_top, mode_rgba(frame.twin, m), BoxKind::kMachine);
    if (with_real) {
      w.over(r.grown(-0.02), body_top, body_top + 0.04, kSeam3D, BoxKind::kSeam);
      w.over(r, body_top + 0.04, top, mode_rgba(frame.real, m), BoxKind::kRealCap);
    }
    // The held part, at the output edge of the top so the top's colour stays readable.
    const std::optional<Mode> twin_mode = frame.twin.present && m < frame.twin.mode.size()
                                              ? from_telemetry(frame.twin.mode[m])
                                              : std::optional<Mode>{};
    if (twin_mode && holds_part(model, st, *twin_mode)) {
      const double size = std::min(kPartSize3D, 0.5 * std::min(r.width(), r.height()));
      const Vec2 c = r.center();
      const double reach_x = r.width() / 2.0 - size / 2.0 - 0.06;
      const double reach_y = r.height() / 2.0 - size / 2.0 - 0.06;
      const Vec2 at{c.x + out_dir.x * std::max(reach_x, 0.0),
                    c.y + out_dir.y * std::max(reach_y, 0.0)};
      w.cube(at, top, size, 0.0, kHeldPart3D, BoxKind::kHeldPart);
    }
    if (static_cast<int32_t>(m) == bottleneck_machine) {
      // A ring on the floor around the machine and an outline along its top edges.
      w.frame(r.grown(kRingGap + kRingWidth / 2.0), kRingWidth, 0.0, kRingHeight, kBottleneck,
              BoxKind::kBottleneckMark, 1.0f);
      w.frame(r, kOutlineWidth, top - 0.03, top + 0.05, kBottleneck, BoxKind::kBottleneckMark,
              1.0f);
    }
  }
}

// Places of a buffer laid out in a grid over plan rect r: centres and the cell size [m].
double slot_grid(const Rect& r, int n, std::vector<Vec2>& centers) {
  centers.clear();
  const double w = r.width(), h = r.height();
  int cols = std::max(1, static_cast<int>(std::ceil(std::sqrt(n * w / std::max(h, 1e-6)))));
  cols = std::min(cols, n);
  const int rows = (n + cols - 1) / cols;
  const double cell = std::min(w / cols, h / rows);
  const double x0 = r.center().x - cell * cols / 2.0, y1 = r.center().y + cell * rows / 2.0;
  // Fill from the back row, left to right, as parts queue in a rack.
  for (int i = 0; i < n; ++i) {
    const int row = i / cols, col = i % cols;
    centers.push_back({x0 + (col + 0.5) * cell, y1 - (row + 0.5) * cell});
  }
  return cell;
}

void add_buffer(BoxWriter& w, const Node& node, const NodeShape& shape, double level) {
  const Rect& r = shape.box;
  w.over(r, 0.0, kBufferHeight3D - 0.06, kNodeBody, BoxKind::kNodeShell);
  w.over(r, kBufferHeight3D - 0.06, kBufferHeight3D, kNodeOutline, BoxKind::kRail);
  const int count = static_cast<int>(std::max(level, 0.0) + 0.5);
  const bool bounded = node.capacity > 0;
  const bool full = bounded && count >= node.capacity;
  const Rgba fill = full ? kNodeFillFull : kNodeFill;
  const int places = bounded ? node.capacity : std::max(count, 1);
  const Rect inner = r.grown(-std::min(0.06, 0.1 * std::min(r.width(), r.height())));
  if (node.capacity == 0) return;  // a direct hand-off holds nothing
  if (places > kMaxCubes) {
    // Too many places for cubes: a bar along the rack, as long as the fill ratio.
    const double ratio = bounded ? std::clamp(level / node.capacity, 0.0, 1.0) : 1.0;
    if (ratio <= 0.0) return;
    const Rect bar{inner.x0, inner.y0, inner.x0 + inner.width() * ratio, inner.y1};
    w.over(bar, kBufferHeight3D, kBufferHeight3D + 0.12, fill, BoxKind::kFillBar);
    return;
  }
  std::vector<Vec2> centers;
  const double cell = slot_grid(inner, places, centers);
  const double size = std::min(kPartSize3D, 0.7 * cell);
  for (int i = 0; i < places; ++i) {
    if (i < count) {
      w.cube(centers[i], kBufferHeight3D, size, 0.0, fill, BoxKind::kPart);
    } else if (bounded) {
      const double pad = 0.8 * cell;
      w.over(Rect::around(centers[i], pad, pad), kBufferHeight3D, kBufferHeight3D + 0.012, kSlot3D,
             BoxKind::kSlot);
    }
  }
}

void add_conveyor(BoxWriter& w, const Node& node, const NodeShape& shape, double level,
                  std::span<const float> positions) {
  const Vec2 a = shape.from, b = shape.to;
  const double dx = b.x - a.x, dy = b.y - a.y;
  const double len = std::max(std::sqrt(dx * dx + dy * dy), 1e-6);
  const Vec2 u{dx / len, dy / len}, n{-u.y, u.x};  // along and across the belt
  const double half = shape.belt_width / 2.0;
  const double top = kBeltHeight3D, deck = top - 0.12;
  w.bar(a, b, shape.belt_width, deck, top, kNodeBody, BoxKind::kNodeShell);
  for (double side : {-1.0, 1.0}) {
    const Vec2 o{n.x * side * (half + 0.03), n.y * side * (half + 0.03)};
    w.bar({a.x + o.x, a.y + o.y}, {b.x + o.x, b.y + o.y}, 0.06, deck + 0.04, top + 0.07,
          kNodeOutline, BoxKind::kRail);
  }
  // Legs at both ends and at most 2.5 m apart, one on each side.
  const int spans = std::max(1, static_cast<int>(std::ceil(len / 2.5)));
  for (int i = 0; i <= spans; ++i) {
    const double t = std::clamp(static_cast<double>(i) / spans * len, 0.1, len - 0.1);
    for (double side : {-1.0, 1.0}) {
      const Vec2 c{a.x + u.x * t + n.x * side * (half - 0.04),
                   a.y + u.y * t + n.y * side * (half - 0.04)};
      w.over(Rect::around(c, 0.07, 0.07), 0.0, deck, kLeg3D, BoxKind::kLeg);
    }
  }
  // Parts gather at the discharge end, one place per part of capacity (as the plan's fill bar
  // grows from there); an unbounded belt spreads its parts evenly.
  const int count = static_cast<int>(std::max(level, 0.0) + 0.5);
  if (count == 0 || node.capacity == 0) return;
  const bool bounded = node.capacity > 0;
  const bool full = bounded && count >= node.capacity;
  const Rgba fill = full ? kNodeFillFull : kNodeFill;
  const int places = bounded ? node.capacity : count;
  if (places > 4 * kMaxCubes) {
    const double ratio = bounded ? std::clamp(level / node.capacity, 0.0, 1.0) : 1.0;
    const Vec2 from{b.x - dx * ratio, b.y - dy * ratio};
    w.bar(from, b, shape.belt_width * 0.8, top, top + 0.1, fill, BoxKind::kFillBar);
    return;
  }
  const double pitch = len / places;
  const double size = std::min({kPartSize3D, 0.8 * shape.belt_width, 0.7 * pitch});
  const double yaw = std::atan2(dy, dx);
  if (!positions.empty()) {
    // Where the twin says each part is on the belt (riding, or queued at the end).
    for (const float f : positions) {
      const double t = std::clamp(static_cast<double>(f), 0.0, 1.0) * len;
      w.cube({a.x + u.x * t, a.y + u.y * t}, top, size, yaw, fill, BoxKind::kPart);
    }
    return;
  }
  for (int i = 0; i < std::min(count, places); ++i) {
    const double t = len - (i + 0.5) * pitch;
    w.cube({a.x + u.x * t, a.y + u.y * t}, top, size, yaw, fill, BoxKind::kPart);
  }
}

// A flat strip on the floor from a to b with a chevron head at b.
void add_flow(BoxWriter& w, Vec2 a, Vec2 b) {
  const double dx = b.x - a.x, dy = b.y - a.y;
  const double len = std::sqrt(dx * dx + dy * dy);
  if (len < 0.3) return;
  const Vec2 u{dx / len, dy / len};
  w.bar(a, b, kFlowWidth, 0.0, kFlowHeight, kFlowArrow, BoxKind::kFlow).emissive = 0.4f;
  const double head = std::min(0.45, len / 3.0);
  for (double side : {-1.0, 1.0}) {
    // Back along the strip, turned 35 degrees to each side.
    const double c = std::cos(0.61), s = std::sin(0.61) * side;
    const Vec2 back{-(u.x * c - u.y * s), -(u.x * s + u.y * c)};
    const Vec2 tip{b.x - u.x * kFlowWidth * 0.3, b.y - u.y * kFlowWidth * 0.3};
    w.bar(tip, {tip.x + back.x * head, tip.y + back.y * head}, kFlowWidth, 0.0, kFlowHeight,
          kFlowArrow, BoxKind::kFlow)
        .emissive = 0.4f;
  }
}

}  // namespace

Bounds3 scene_bounds(const PlanLayout& plan) {
  const Rect& r = plan.bounds;
  Bounds3 b;
  b.lo = plan_to_world({r.x0, r.y1}, 0.0);
  b.hi = plan_to_world({r.x1, r.y0}, kMachineHeight3D + 0.2);
  return b;
}

void build_boxes(const Model& model, const PlanLayout& plan, const ViewFrame& frame,
                 int32_t selected_station, int32_t bottleneck_machine, std::vector<Box3D>& out) {
  out.clear();
  BoxWriter w(out);
  const size_t ns = std::min(model.stations.size(), plan.stations.size());
  const size_t nn = std::min(model.nodes.size(), plan.nodes.size());
  for (size_t s = 0; s < ns; ++s) {
    add_station(w, model, plan, frame, s, static_cast<int32_t>(s) == selected_station,
                bottleneck_machine);
  }
  for (size_t n = 0; n < nn; ++n) {
    const Node& node = model.nodes[n];
    const NodeShape& shape = plan.nodes[n];
    const double level = n < frame.node_level.size() ? frame.node_level[n] : 0.0;
    w.owner(-1, -1, static_cast<int32_t>(n));
    switch (node.kind) {
      case NodeKind::kBuffer:
        add_buffer(w, node, shape, level);
        break;
      case NodeKind::kConveyor:
        add_conveyor(w, node, shape, level,
                     n + 1 < frame.part_offset.size()
                         ? std::span<const float>(frame.part_position)
                               .subspan(frame.part_offset[n],
                                        frame.part_offset[n + 1] - frame.part_offset[n])
                         : std::span<const float>());
        break;
      case NodeKind::kSource:
      case NodeKind::kSink:
        w.over(shape.box.grown(-0.05), 0.0, kEndpointHeight3D,
               node.kind == NodeKind::kSource ? kSourceBody : kSinkBody, BoxKind::kNodeShell);
        break;
    }
  }
  // Flow on the floor: node -> station -> node, as the plan's arrows.
  w.owner(-1, -1, -1);
  for (size_t s = 0; s < ns; ++s) {
    const Station& st = model.stations[s];
    const Rect box = plan.stations[s].box.grown(kBaseMargin);
    for (uint32_t in : st.inputs) {
      if (in >= nn) continue;
      const Vec2 from = node_port(plan.nodes[in], box.center(), false);
      add_flow(w, from, edge_point(box, from));
    }
    if (st.output < nn) {
      const Vec2 to = node_port(plan.nodes[st.output], box.center(), true);
      add_flow(w, edge_point(box, to), to);
    }
  }
}

std::vector<Box3D> build_boxes(const Model& model, const PlanLayout& plan, const ViewFrame& frame,
                               int32_t selected_station, int32_t bottleneck_machine) {
  std::vector<Box3D> out;
  build_boxes(model, plan, frame, selected_station, bottleneck_machine, out);
  return out;
}

int32_t pick_box(const std::vector<Box3D>& boxes, const Ray3& ray) {
  int32_t best = -1;
  double best_t = 1e300;
  for (size_t i = 0; i < boxes.size(); ++i) {
    const std::optional<double> t = intersect(ray, boxes[i].box);
    if (t && *t < best_t) {
      best_t = *t;
      best = static_cast<int32_t>(i);
    }
  }
  return best;
}

int32_t pick_station(const std::vector<Box3D>& boxes, const Camera3D& camera, double px,
                     double py) {
  const int32_t i = pick_box(boxes, camera.ray(px, py));
  return i < 0 ? -1 : boxes[static_cast<size_t>(i)].station;
}

// ---- Rendering (OpenGL 3.3 core) ----------------------------------------------------------

namespace {

// Unit cube [-1, 1]^3 in world units; each box scales it by its half extents.
const char* kBoxVertex = R"(#version 330 core
layout(location = 0) in vec3 a_position;
layout(location = 1) in vec3 a_normal;
layout(location = 2) in vec4 i_center_yaw;     // [m] centre, [rad] yaw about +y
layout(location = 3) in vec4 i_half_emissive;  // [m] half extents, [1] emissive
layout(location = 4) in vec4 i_color;          // [0, 1] rgba
uniform mat4 u_view_proj;
out vec3 v_normal;
out vec3 v_color;
out float v_emissive;
void main() {
  float c = cos(i_center_yaw.w), s = sin(i_center_yaw.w);
  mat3 r = mat3(c, 0.0, -s, 0.0, 1.0, 0.0, s, 0.0, c);  // columns: Ry(yaw)
  vec3 world = i_center_yaw.xyz + r * (a_position * i_half_emissive.xyz);
  v_normal = r * a_normal;
  v_color = i_color.rgb;
  v_emissive = i_half_emissive.w;
  gl_Position = u_view_proj * vec4(world, 1.0);
}
)";

// Lambert from one directional light plus ambient; emissive boxes ignore the light.
const char* kBoxFragment = R"(#version 330 core
in vec3 v_normal;
in vec3 v_color;
in float v_emissive;
uniform vec3 u_light;  // unit vector towards the light
out vec4 o_color;
void main() {
  const float ambient = 0.38;
  float lambert = max(dot(normalize(v_normal), u_light), 0.0);
  vec3 lit = v_color * (ambient + (1.0 - ambient) * lambert);
  o_color = vec4(mix(lit, v_color, v_emissive), 1.0);
}
)";

const char* kLineVertex = R"(#version 330 core
layout(location = 0) in vec3 a_position;
layout(location = 1) in vec3 a_color;
uniform mat4 u_view_proj;
out vec3 v_color;
void main() {
  v_color = a_color;
  gl_Position = u_view_proj * vec4(a_position, 1.0);
}
)";

const char* kLineFragment = R"(#version 330 core
in vec3 v_color;
out vec4 o_color;
void main() { o_color = vec4(v_color, 1.0); }
)";

// Towards the light: above, from the front left, so tops are brightest, fronts lighter than
// sides and neighbouring faces of a box never match.
const Eigen::Vector3f kLightDir = Eigen::Vector3f(-0.35f, 1.0f, 0.55f).normalized();

GLuint compile(GLenum type, const char* source, std::string& error) {
  const GLuint shader = glCreateShader(type);
  glShaderSource(shader, 1, &source, nullptr);
  glCompileShader(shader);
  GLint ok = GL_FALSE;
  glGetShaderiv(shader, GL_COMPILE_STATUS, &ok);
  if (ok == GL_FALSE) {
    char log[1024] = {};
    glGetShaderInfoLog(shader, sizeof log, nullptr, log);
    error = "3D view shader does not compile: ";
    error += log;
    glDeleteShader(shader);
    return 0;
  }
  return shader;
}

GLuint link(const char* vertex, const char* fragment, std::string& error) {
  const GLuint vs = compile(GL_VERTEX_SHADER, vertex, error);
  if (vs == 0) return 0;
  const GLuint fs = compile(GL_FRAGMENT_SHADER, fragment, error);
  if (fs == 0) {
    glDeleteShader(vs);
    return 0;
  }
  const GLuint program = glCreateProgram();
  glAttachShader(program, vs);
  glAttachShader(program, fs);
  glLinkProgram(program);
  glDeleteShader(vs);
  glDeleteShader(fs);
  GLint ok = GL_FALSE;
  glGetProgramiv(program, GL_LINK_STATUS, &ok);
  if (ok == GL_FALSE) {
    char log[1024] = {};
    glGetProgramInfoLog(program, sizeof log, nullptr, log);
    error = "3D view shaders do not link: ";
    error += log;
    glDeleteProgram(program);
    return 0;
  }
  return program;
}

// 36 vertices (position, normal), counter-clockwise seen from outside.
std::vector<float> cube_vertices() {
  std::vector<float> v;
  for (int axis = 0; axis < 3; ++axis) {
    for (float sign : {1.0f, -1.0f}) {
      Eigen::Vector3f n = Eigen::Vector3f::Zero(), a = n, b = n;
      n[axis] = sign;
      a[(axis + 1) % 3] = 1.0f;
      b[(axis + 2) % 3] = 1.0f;
      if (sign < 0.0f) std::swap(a, b);  // keeps a x b = n
      const Eigen::Vector3f corners[4] = {n - a - b, n + a - b, n + a + b, n - a + b};
      for (int k : {0, 1, 2, 0, 2, 3}) {
        v.insert(v.end(), {corners[k].x(), corners[k].y(), corners[k].z()});
        v.insert(v.end(), {n.x(), n.y(), n.z()});
      }
    }
  }
  return v;
}

float channel(uint8_t c) {
  return static_cast<float>(c) / 255.0f;
}

void push_line(std::vector<float>& out, const Eigen::Vector3d& a, const Eigen::Vector3d& b,
               Rgba c) {
  for (const Eigen::Vector3d* p : {&a, &b}) {
    out.insert(out.end(), {static_cast<float>(p->x()), static_cast<float>(p->y()),
                           static_cast<float>(p->z()), channel(c.r), channel(c.g), channel(c.b)});
  }
}

// OpenGL state render() changes, put back afterwards (ImGui sets up the rest itself).
struct SavedState {
  GLint draw_fbo = 0, read_fbo = 0, program = 0, vao = 0, array_buffer = 0;
  GLint viewport[4] = {0, 0, 0, 0};
  GLboolean depth_test = GL_FALSE, cull_face = GL_FALSE, blend = GL_FALSE, scissor = GL_FALSE;
  GLboolean multisample = GL_FALSE;
  GLfloat clear[4] = {0.0f, 0.0f, 0.0f, 0.0f};

  SavedState() {
    glGetIntegerv(GL_DRAW_FRAMEBUFFER_BINDING, &draw_fbo);
    glGetIntegerv(GL_READ_FRAMEBUFFER_BINDING, &read_fbo);
    glGetIntegerv(GL_CURRENT_PROGRAM, &program);
    glGetIntegerv(GL_VERTEX_ARRAY_BINDING, &vao);
    glGetIntegerv(GL_ARRAY_BUFFER_BINDING, &array_buffer);
    glGetIntegerv(GL_VIEWPORT, viewport);
    glGetFloatv(GL_COLOR_CLEAR_VALUE, clear);
    depth_test = glIsEnabled(GL_DEPTH_TEST);
    cull_face = glIsEnabled(GL_CULL_FACE);
    blend = glIsEnabled(GL_BLEND);
    scissor = glIsEnabled(GL_SCISSOR_TEST);
    multisample = glIsEnabled(GL_MULTISAMPLE);
  }
  ~SavedState() {
    glBindFramebuffer(GL_DRAW_FRAMEBUFFER, static_cast<GLuint>(draw_fbo));
    glBindFramebuffer(GL_READ_FRAMEBUFFER, static_cast<GLuint>(read_fbo));
    glUseProgram(static_cast<GLuint>(program));
    glBindVertexArray(static_cast<GLuint>(vao));
    glBindBuffer(GL_ARRAY_BUFFER, static_cast<GLuint>(array_buffer));
    glViewport(viewport[0], viewport[1], viewport[2], viewport[3]);
    glClearColor(clear[0], clear[1], clear[2], clear[3]);
    set(GL_DEPTH_TEST, depth_test);
    set(GL_CULL_FACE, cull_face);
    set(GL_BLEND, blend);
    set(GL_SCISSOR_TEST, scissor);
    set(GL_MULTISAMPLE, multisample);
  }
  SavedState(const SavedState&) = delete;
  SavedState& operator=(const SavedState&) = delete;

  static void set(GLenum cap, GLboolean on) {
    if (on != GL_FALSE)
      glEnable(cap);
    else
      glDisable(cap);
  }
};

}  // namespace

LineView3D::~LineView3D() {
  release_targets();
  if (box_program_ != 0) glDeleteProgram(box_program_);
  if (line_program_ != 0) glDeleteProgram(line_program_);
  const GLuint buffers[] = {cube_vbo_, instance_vbo_, line_vbo_};
  for (GLuint b : buffers) {
    if (b != 0) glDeleteBuffers(1, &b);
  }
  const GLuint arrays[] = {box_vao_, line_vao_};
  for (GLuint a : arrays) {
    if (a != 0) glDeleteVertexArrays(1, &a);
  }
}

bool LineView3D::init(std::string& error) {
  if (ready_) return true;
  box_program_ = link(kBoxVertex, kBoxFragment, error);
  if (box_program_ == 0) return false;
  line_program_ = link(kLineVertex, kLineFragment, error);
  if (line_program_ == 0) return false;
  box_view_proj_ = glGetUniformLocation(box_program_, "u_view_proj");
  box_light_ = glGetUniformLocation(box_program_, "u_light");
  line_view_proj_ = glGetUniformLocation(line_program_, "u_view_proj");

  GLint saved_vao = 0, saved_buffer = 0;
  glGetIntegerv(GL_VERTEX_ARRAY_BINDING, &saved_vao);
  glGetIntegerv(GL_ARRAY_BUFFER_BINDING, &saved_buffer);

  // Boxes: the cube per vertex, centre/yaw, half/emissive and colour per instance.
  const std::vector<float> cube = cube_vertices();
  glGenVertexArrays(1, &box_vao_);
  glBindVertexArray(box_vao_);
  glGenBuffers(1, &cube_vbo_);
  glBindBuffer(GL_ARRAY_BUFFER, cube_vbo_);
  glBufferData(GL_ARRAY_BUFFER, static_cast<GLsizeiptr>(cube.size() * sizeof(float)), cube.data(),
               GL_STATIC_DRAW);
  const auto offset = [](size_t floats) {
    return reinterpret_cast<const void*>(floats * sizeof(float));
  };
  glEnableVertexAttribArray(0);
  glVertexAttribPointer(0, 3, GL_FLOAT, GL_FALSE, 6 * sizeof(float), offset(0));
  glEnableVertexAttribArray(1);
  glVertexAttribPointer(1, 3, GL_FLOAT, GL_FALSE, 6 * sizeof(float), offset(3));
  glGenBuffers(1, &instance_vbo_);
  glBindBuffer(GL_ARRAY_BUFFER, instance_vbo_);
  for (GLuint i = 0; i < 3; ++i) {
    glEnableVertexAttribArray(2 + i);
    glVertexAttribPointer(2 + i, 4, GL_FLOAT, GL_FALSE, 12 * sizeof(float), offset(4 * i));
    glVertexAttribDivisor(2 + i, 1);
  }

  // Grid lines: position and colour per vertex.
  glGenVertexArrays(1, &line_vao_);
  glBindVertexArray(line_vao_);
  glGenBuffers(1, &line_vbo_);
  glBindBuffer(GL_ARRAY_BUFFER, line_vbo_);
  glEnableVertexAttribArray(0);
  glVertexAttribPointer(0, 3, GL_FLOAT, GL_FALSE, 6 * sizeof(float), offset(0));
  glEnableVertexAttribArray(1);
  glVertexAttribPointer(1, 3, GL_FLOAT, GL_FALSE, 6 * sizeof(float), offset(3));

  glBindVertexArray(static_cast<GLuint>(saved_vao));
  glBindBuffer(GL_ARRAY_BUFFER, static_cast<GLuint>(saved_buffer));
  if (glGetError() != GL_NO_ERROR) {
    error = "3D view: cannot create its vertex buffers";
    return false;
  }
  ready_ = true;
  return true;
}

void LineView3D::release_targets() {
  if (render_color_ != 0) glDeleteRenderbuffers(1, &render_color_);
  if (render_depth_ != 0) glDeleteRenderbuffers(1, &render_depth_);
  if (render_fbo_ != 0) glDeleteFramebuffers(1, &render_fbo_);
  if (resolve_texture_ != 0) glDeleteTextures(1, &resolve_texture_);
  if (resolve_fbo_ != 0) glDeleteFramebuffers(1, &resolve_fbo_);
  render_color_ = render_depth_ = render_fbo_ = resolve_texture_ = resolve_fbo_ = 0;
  width_ = height_ = 0;
}

bool LineView3D::resize(int width, int height) {
  GLint max_samples = 0;
  glGetIntegerv(GL_MAX_SAMPLES, &max_samples);
  const int samples = std::clamp(samples_wanted_, 0, static_cast<int>(max_samples));
  if (width == width_ && height == height_ && samples == samples_ && resolve_fbo_ != 0) {
    return true;
  }
  release_targets();
  samples_ = samples;
  GLint saved_texture = 0, saved_renderbuffer = 0;
  glGetIntegerv(GL_TEXTURE_BINDING_2D, &saved_texture);
  glGetIntegerv(GL_RENDERBUFFER_BINDING, &saved_renderbuffer);

  // Drawn into (multisampled when samples_ > 0) ...
  glGenFramebuffers(1, &render_fbo_);
  glBindFramebuffer(GL_FRAMEBUFFER, render_fbo_);
  glGenRenderbuffers(1, &render_color_);
  glBindRenderbuffer(GL_RENDERBUFFER, render_color_);
  glRenderbufferStorageMultisample(GL_RENDERBUFFER, samples_, GL_RGBA8, width, height);
  glFramebufferRenderbuffer(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_RENDERBUFFER, render_color_);
  glGenRenderbuffers(1, &render_depth_);
  glBindRenderbuffer(GL_RENDERBUFFER, render_depth_);
  glRenderbufferStorageMultisample(GL_RENDERBUFFER, samples_, GL_DEPTH_COMPONENT24, width, height);
  glFramebufferRenderbuffer(GL_FRAMEBUFFER, GL_DEPTH_ATTACHMENT, GL_RENDERBUFFER, render_depth_);
  const bool render_ok = glCheckFramebufferStatus(GL_FRAMEBUFFER) == GL_FRAMEBUFFER_COMPLETE;

  // ... resolved into the texture callers show.
  glGenFramebuffers(1, &resolve_fbo_);
  glBindFramebuffer(GL_FRAMEBUFFER, resolve_fbo_);
  glGenTextures(1, &resolve_texture_);
  glBindTexture(GL_TEXTURE_2D, resolve_texture_);
  glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, width, height, 0, GL_RGBA, GL_UNSIGNED_BYTE, nullptr);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, resolve_texture_, 0);
  const bool resolve_ok = glCheckFramebufferStatus(GL_FRAMEBUFFER) == GL_FRAMEBUFFER_COMPLETE;

  glBindTexture(GL_TEXTURE_2D, static_cast<GLuint>(saved_texture));
  glBindRenderbuffer(GL_RENDERBUFFER, static_cast<GLuint>(saved_renderbuffer));
  if (!render_ok || !resolve_ok) {
    release_targets();
    return false;
  }
  width_ = width;
  height_ = height;
  return true;
}

void LineView3D::draw_grid(const Eigen::Matrix4f& view_proj, const Bounds3& bounds) {
  // Lines every `step` metres over the line's footprint and a margin, every fifth stronger;
  // the step grows with the plant so the grid stays a few hundred lines.
  const double span = std::max(bounds.hi.x() - bounds.lo.x(), bounds.hi.z() - bounds.lo.z());
  double step = 1.0;
  while (span / step > 120.0) step *= 5.0;
  const double margin = std::max(4.0, span * 0.15);
  const double x0 = std::floor((bounds.lo.x() - margin) / step) * step;
  const double x1 = std::ceil((bounds.hi.x() + margin) / step) * step;
  const double z0 = std::floor((bounds.lo.z() - margin) / step) * step;
  const double z1 = std::ceil((bounds.hi.z() + margin) / step) * step;
  line_data_.clear();
  auto major = [&](double v) { return std::fmod(std::abs(std::round(v / step)), 5.0) == 0.0; };
  for (double x = x0; x <= x1 + 1e-9; x += step) {
    push_line(line_data_, {x, 0.0, z0}, {x, 0.0, z1}, major(x) ? kGridMajor : kGridMinor);
  }
  for (double z = z0; z <= z1 + 1e-9; z += step) {
    push_line(line_data_, {x0, 0.0, z}, {x1, 0.0, z}, major(z) ? kGridMajor : kGridMinor);
  }
  glUseProgram(line_program_);
  glUniformMatrix4fv(line_view_proj_, 1, GL_FALSE, view_proj.data());
  glBindVertexArray(line_vao_);
  glBindBuffer(GL_ARRAY_BUFFER, line_vbo_);
  glBufferData(GL_ARRAY_BUFFER, static_cast<GLsizeiptr>(line_data_.size() * sizeof(float)),
               line_data_.data(), GL_STREAM_DRAW);
  glDrawArrays(GL_LINES, 0, static_cast<GLsizei>(line_data_.size() / 6));
}

unsigned LineView3D::render(const LineScene3D& input, int width_px, int height_px) {
  if (!ready_ || width_px <= 0 || height_px <= 0 || input.model == nullptr ||
      input.plan == nullptr || input.frame == nullptr) {
    return 0;
  }
  build_boxes(*input.model, *input.plan, *input.frame, input.selected_station,
              input.bottleneck_machine, boxes_);
  return draw_boxes(scene_bounds(*input.plan), input.camera, width_px, height_px);
}

unsigned LineView3D::render_boxes(const std::vector<Box3D>& boxes, const Bounds3& bounds,
                                  const Camera3D* camera, int width_px, int height_px) {
  if (!ready_ || width_px <= 0 || height_px <= 0) return 0;
  boxes_ = boxes;
  return draw_boxes(bounds, camera, width_px, height_px);
}

unsigned LineView3D::draw_boxes(const Bounds3& bounds, const Camera3D* camera, int width_px,
                                int height_px) {
  SavedState saved;
  if (!resize(width_px, height_px)) return 0;

  if (camera != nullptr) {
    camera_ = *camera;
    camera_.set_viewport(width_px, height_px);
  } else {
    camera_ = Camera3D();
    camera_.set_viewport(width_px, height_px);
    camera_.fit(bounds);
  }
  const Eigen::Matrix4f view_proj = camera_.view_projection().cast<float>();

  glBindFramebuffer(GL_FRAMEBUFFER, render_fbo_);
  glViewport(0, 0, width_px, height_px);
  glDisable(GL_SCISSOR_TEST);
  glDisable(GL_BLEND);
  if (samples_ > 0) glEnable(GL_MULTISAMPLE);
  const Rgba bg = kPlanBackground;
  glClearColor(channel(bg.r), channel(bg.g), channel(bg.b), 1.0f);
  glClear(GL_COLOR_BUFFER_BIT | GL_DEPTH_BUFFER_BIT);
  glEnable(GL_DEPTH_TEST);
  glDepthFunc(GL_LESS);

  glDisable(GL_CULL_FACE);
  draw_grid(view_proj, bounds);

  instance_data_.resize(boxes_.size() * 12);
  float* d = instance_data_.data();
  for (const Box3D& b : boxes_) {
    const float v[12] = {static_cast<float>(b.box.center.x()),
                         static_cast<float>(b.box.center.y()),
                         static_cast<float>(b.box.center.z()),
                         static_cast<float>(b.box.yaw),
                         static_cast<float>(b.box.half.x()),
                         static_cast<float>(b.box.half.y()),
                         static_cast<float>(b.box.half.z()),
                         b.emissive,
                         channel(b.color.r),
                         channel(b.color.g),
                         channel(b.color.b),
                         channel(b.color.a)};
    std::memcpy(d, v, sizeof v);
    d += 12;
  }
  if (!boxes_.empty()) {
    glEnable(GL_CULL_FACE);
    glCullFace(GL_BACK);
    glFrontFace(GL_CCW);
    glUseProgram(box_program_);
    glUniformMatrix4fv(box_view_proj_, 1, GL_FALSE, view_proj.data());
    glUniform3f(box_light_, kLightDir.x(), kLightDir.y(), kLightDir.z());
    glBindVertexArray(box_vao_);
    glBindBuffer(GL_ARRAY_BUFFER, instance_vbo_);
    glBufferData(GL_ARRAY_BUFFER, static_cast<GLsizeiptr>(instance_data_.size() * sizeof(float)),
                 instance_data_.data(), GL_STREAM_DRAW);
    glDrawArraysInstanced(GL_TRIANGLES, 0, 36, static_cast<GLsizei>(boxes_.size()));
  }

  // Resolve (and un-multisample) into the texture.
  glBindFramebuffer(GL_READ_FRAMEBUFFER, render_fbo_);
  glBindFramebuffer(GL_DRAW_FRAMEBUFFER, resolve_fbo_);
  glBlitFramebuffer(0, 0, width_px, height_px, 0, 0, width_px, height_px, GL_COLOR_BUFFER_BIT,
                    GL_NEAREST);
  return resolve_texture_;
}

int32_t LineView3D::pick(const LineScene3D& input, const Camera3D& camera, double px,
                         double py) const {
  if (input.model == nullptr || input.plan == nullptr || input.frame == nullptr) return -1;
  const std::vector<Box3D> boxes = build_boxes(*input.model, *input.plan, *input.frame,
                                               input.selected_station, input.bottleneck_machine);
  return pick_station(boxes, camera, px, py);
}

bool LineView3D::read_pixels(std::vector<uint8_t>& rgba) const {
  if (resolve_fbo_ == 0) return false;
  GLint saved = 0;
  glGetIntegerv(GL_READ_FRAMEBUFFER_BINDING, &saved);
  glBindFramebuffer(GL_READ_FRAMEBUFFER, resolve_fbo_);
  const size_t row = static_cast<size_t>(width_) * 4;
  std::vector<uint8_t> bottom_up(row * static_cast<size_t>(height_));
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadPixels(0, 0, width_, height_, GL_RGBA, GL_UNSIGNED_BYTE, bottom_up.data());
  glBindFramebuffer(GL_READ_FRAMEBUFFER, static_cast<GLuint>(saved));
  rgba.resize(bottom_up.size());
  for (int y = 0; y < height_; ++y) {
    std::memcpy(&rgba[static_cast<size_t>(height_ - 1 - y) * row],
                &bottom_up[static_cast<size_t>(y) * row], row);
  }
  return glGetError() == GL_NO_ERROR;
}

bool LineView3D::write_png(const std::string& path, std::string& error) const {
  if (resolve_fbo_ == 0) {
    error = "3D view: nothing rendered yet";
    return false;
  }
  GLint saved = 0;
  glGetIntegerv(GL_READ_FRAMEBUFFER_BINDING, &saved);
  glBindFramebuffer(GL_READ_FRAMEBUFFER, resolve_fbo_);
  const bool ok = write_framebuffer_png(width_, height_, path, error);
  glBindFramebuffer(GL_READ_FRAMEBUFFER, static_cast<GLuint>(saved));
  return ok;
}

}  // namespace twin::viewer
