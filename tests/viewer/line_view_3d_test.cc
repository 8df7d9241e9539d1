// The 3D line view: the boxes built from a frame (no GL), and a real render of machining20 in a
// hidden window's OpenGL 3.3 core context, checked pixel by pixel against the boxes and the
// camera. The GL tests skip when there is no display (CI runs them under xvfb-run).
#include "viewer/line_view_3d.h"

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <GL/gl.h>
#include <GLFW/glfw3.h>
#include <gtest/gtest.h>

#include "core/scene/load.h"
#include "viewer/colors.h"

namespace twin::viewer {
namespace {

Model load(const std::string& name) {
  const SceneLoadResult r = load_scene_file(std::string(TWIN_SOURCE_DIR) + "/scenes/" + name);
  EXPECT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors.front().to_string());
  return r.model;
}

uint32_t machine_of(const Model& model, const char* station) {
  const int32_t s = model.find_station(station);
  EXPECT_GE(s, 0) << station;
  return model.stations[static_cast<size_t>(s)].first_machine;
}

// A known frame: every machine running, buffers half full, conveyors holding 4 parts.
ViewFrame running_frame(const Model& model) {
  ViewFrame f;
  f.twin.present = true;
  f.twin.mode.assign(model.machine_count(), telemetry::MODE_RUNNING);
  f.twin.mode_since_ns.assign(model.machine_count(), 0);
  f.node_level.assign(model.nodes.size(), 0.0);
  for (size_t n = 0; n < model.nodes.size(); ++n) {
    const Node& node = model.nodes[n];
    if (node.kind == NodeKind::kBuffer) f.node_level[n] = node.capacity > 0 ? node.capacity / 2 : 3;
    if (node.kind == NodeKind::kConveyor) f.node_level[n] = 4;
  }
  return f;
}

std::vector<const Box3D*> of_kind(const std::vector<Box3D>& boxes, BoxKind kind) {
  std::vector<const Box3D*> out;
  for (const Box3D& b : boxes) {
    if (b.kind == kind) out.push_back(&b);
  }
  return out;
}

const Box3D* find(const std::vector<Box3D>& boxes, BoxKind kind, int32_t machine) {
  for (const Box3D& b : boxes) {
    if (b.kind == kind && b.machine == machine) return &b;
  }
  return nullptr;
}

bool same(Rgba a, Rgba b) {
  return a.r == b.r && a.g == b.g && a.b == b.b;
}

// ---- Boxes -------------------------------------------------------------------------------

class LineView3DBoxes : public testing::Test {
 protected:
  void SetUp() override {
    model = load("machining20.yaml");
    plan = layout_plan(model);
    frame = running_frame(model);
    down = machine_of(model, "Mill_OP30");
    starved = machine_of(model, "Saw");
    bottleneck = machine_of(model, "Hone_OP100");
    selected = model.find_station("Drill_OP50");
    frame.twin.mode[down] = telemetry::MODE_DOWN;
    frame.twin.mode[starved] = telemetry::MODE_STARVED;
  }
  std::vector<Box3D> boxes() const {
    return build_boxes(model, plan, frame, selected, static_cast<int32_t>(bottleneck));
  }

  Model model;
  PlanLayout plan;
  ViewFrame frame;
  uint32_t down = 0, starved = 0, bottleneck = 0;
  int32_t selected = -1;
};

TEST_F(LineView3DBoxes, OneMachineBoxPerMachineColouredByTheTwinMode) {
  const std::vector<Box3D> all = boxes();
  const auto machines = of_kind(all, BoxKind::kMachine);
  ASSERT_EQ(machines.size(), model.machine_count());
  for (const Box3D* b : machines) {
    ASSERT_GE(b->machine, 0);
    const auto m = static_cast<uint32_t>(b->machine);
    const Rgba want = m == down      ? mode_color(Mode::kDown)
                      : m == starved ? mode_color(Mode::kStarved)
                                     : mode_color(Mode::kBusy);
    EXPECT_TRUE(same(b->color, want)) << "machine " << m;
    EXPECT_EQ(b->station, static_cast<int32_t>(model.machine_station[m]));
    // Standing on the line's floor plan, inside its station's footprint, 1.6 m tall.
    const Rect& st = plan.stations[model.machine_station[m]].box;
    EXPECT_GE(b->box.center.x() - b->box.half.x(), st.x0 - 1e-9);
    EXPECT_LE(b->box.center.x() + b->box.half.x(), st.x1 + 1e-9);
    EXPECT_GE(-b->box.center.z() - b->box.half.z(), st.y0 - 1e-9);
    EXPECT_LE(-b->box.center.z() + b->box.half.z(), st.y1 + 1e-9);
    EXPECT_NEAR(b->box.center.y() + b->box.half.y(), kMachineHeight3D, 1e-9);
  }
  // Parallel machines of a station do not overlap.
  const uint32_t grind = machine_of(model, "Grind_OP90");
  const Box3D* g0 = find(all, BoxKind::kMachine, static_cast<int32_t>(grind));
  const Box3D* g1 = find(all, BoxKind::kMachine, static_cast<int32_t>(grind + 1));
  ASSERT_NE(g0, nullptr);
  ASSERT_NE(g1, nullptr);
  EXPECT_GT(std::abs(g0->box.center.z() - g1->box.center.z()), g0->box.half.z() + g1->box.half.z());
  // No real side: no caps.
  EXPECT_TRUE(of_kind(all, BoxKind::kRealCap).empty());
}

TEST_F(LineView3DBoxes, RealCapsShowTheRealMode) {
  frame.real.present = true;
  frame.real.mode.assign(model.machine_count(), telemetry::MODE_UNKNOWN);
  frame.real.mode[down] = telemetry::MODE_RUNNING;
  const std::vector<Box3D> all = boxes();
  const auto caps = of_kind(all, BoxKind::kRealCap);
  ASSERT_EQ(caps.size(), model.machine_count());
  const Box3D* cap = find(all, BoxKind::kRealCap, static_cast<int32_t>(down));
  const Box3D* body = find(all, BoxKind::kMachine, static_cast<int32_t>(down));
  ASSERT_NE(cap, nullptr);
  ASSERT_NE(body, nullptr);
  EXPECT_TRUE(same(cap->color, mode_color(Mode::kBusy)));
  EXPECT_TRUE(same(body->color, mode_color(Mode::kDown)));
  EXPECT_GT(cap->box.center.y(), body->box.center.y() + body->box.half.y());
  EXPECT_TRUE(
      same(find(all, BoxKind::kRealCap, static_cast<int32_t>(starved))->color, kUnknownMode));
}

TEST_F(LineView3DBoxes, BottleneckAndSelectionAreMarkedOnlyWhereAsked) {
  std::vector<Box3D> all = boxes();
  const auto ring = of_kind(all, BoxKind::kBottleneckMark);
  ASSERT_EQ(ring.size(), 8u);  // a floor ring and a top outline, four bars each
  for (const Box3D* b : ring) {
    EXPECT_EQ(b->machine, static_cast<int32_t>(bottleneck));
    EXPECT_TRUE(same(b->color, kBottleneck));
    EXPECT_EQ(b->emissive, 1.0f);
  }
  int bright = 0;
  for (const Box3D* b : of_kind(all, BoxKind::kStationBase)) {
    const bool is_selected = b->station == selected;
    EXPECT_EQ(same(b->color, kSelected3D), is_selected) << "station " << b->station;
    bright += is_selected ? 1 : 0;
  }
  EXPECT_EQ(bright, 1);
  // Nothing asked, nothing marked.
  all = build_boxes(model, plan, frame, -1, -1);
  EXPECT_TRUE(of_kind(all, BoxKind::kBottleneckMark).empty());
  for (const Box3D* b : of_kind(all, BoxKind::kStationBase)) {
    EXPECT_FALSE(same(b->color, kSelected3D));
  }
}

TEST_F(LineView3DBoxes, PartsFollowTheFillLevels) {
  const int32_t b11 = model.find_node("B11"), belt = model.find_node("C09_HardeningInfeed");
  ASSERT_GE(b11, 0);
  ASSERT_GE(belt, 0);
  frame.node_level[static_cast<size_t>(b11)] = 7;
  frame.node_level[static_cast<size_t>(belt)] = 3;
  const std::vector<Box3D> all = boxes();
  auto parts_of = [&](int32_t node) {
    int parts = 0, slots = 0;
    for (const Box3D& b : all) {
      if (b.node != node) continue;
      parts += b.kind == BoxKind::kPart ? 1 : 0;
      slots += b.kind == BoxKind::kSlot ? 1 : 0;
    }
    return std::pair{parts, slots};
  };
  EXPECT_EQ(parts_of(b11), (std::pair{7, 3}));  // capacity 10: 7 parts, 3 empty places
  EXPECT_EQ(parts_of(belt).first, 3);
  // Full buffer: parts in the "full" colour.
  frame.node_level[static_cast<size_t>(b11)] = 10;
  for (const Box3D& b : boxes()) {
    if (b.node == b11 && b.kind == BoxKind::kPart) {
      EXPECT_TRUE(same(b.color, kNodeFillFull));
    }
  }
  // Conveyor parts lie on the belt, between its ends, gathered at the discharge end.
  const NodeShape& shape = plan.nodes[static_cast<size_t>(belt)];
  double nearest_end = 1e9;
  for (const Box3D& b : all) {
    if (b.node != belt || b.kind != BoxKind::kPart) continue;
    EXPECT_NEAR(b.box.center.y() - b.box.half.y(), kBeltHeight3D, 1e-9);
    const Vec2 p{b.box.center.x(), -b.box.center.z()};
    EXPECT_TRUE(p.x >= shape.box.x0 && p.x <= shape.box.x1 && p.y >= shape.box.y0 &&
                p.y <= shape.box.y1);
    nearest_end = std::min(nearest_end, std::hypot(p.x - shape.to.x, p.y - shape.to.y));
  }
  const double len = std::hypot(shape.to.x - shape.from.x, shape.to.y - shape.from.y);
  const Node& node = model.nodes[static_cast<size_t>(belt)];
  ASSERT_GT(node.capacity, 0);
  EXPECT_NEAR(nearest_end, 0.5 * len / node.capacity, 1e-9);
}

TEST_F(LineView3DBoxes, HeldPartsFollowTheMode) {
  frame.twin.mode[bottleneck] = telemetry::MODE_SETUP;
  const std::vector<Box3D> all = boxes();
  EXPECT_NE(find(all, BoxKind::kHeldPart, static_cast<int32_t>(bottleneck)), nullptr);  // setup
  EXPECT_NE(find(all, BoxKind::kHeldPart, static_cast<int32_t>(machine_of(model, "Turn_OP10"))),
            nullptr);                                                                // running
  EXPECT_EQ(find(all, BoxKind::kHeldPart, static_cast<int32_t>(starved)), nullptr);  // starved
  EXPECT_EQ(find(all, BoxKind::kHeldPart, static_cast<int32_t>(down)), nullptr);     // unknown
  EXPECT_EQ(of_kind(all, BoxKind::kHeldPart).size(), model.machine_count() - 2);
}

// ---- Rendering ---------------------------------------------------------------------------

// The colour among `candidates` whose shades (scaled by lighting) best explain pixel p.
size_t nearest_shade(Rgba p, const std::vector<Rgba>& candidates) {
  size_t best = 0;
  double best_err = 1e300;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const Rgba c = candidates[i];
    const double pc = 1.0 * p.r * c.r + 1.0 * p.g * c.g + 1.0 * p.b * c.b;
    const double cc = 1.0 * c.r * c.r + 1.0 * c.g * c.g + 1.0 * c.b * c.b;
    const double s = std::clamp(pc / std::max(cc, 1.0), 0.3, 1.1);
    const double er = p.r - s * c.r, eg = p.g - s * c.g, eb = p.b - s * c.b;
    const double err = er * er + eg * eg + eb * eb;
    if (err < best_err) {
      best_err = err;
      best = i;
    }
  }
  return best;
}

class LineView3DRender : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (glfwInit() == GLFW_FALSE) return;
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
    glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
    glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
    glfwWindowHint(GLFW_VISIBLE, GLFW_FALSE);
    window_ = glfwCreateWindow(64, 64, "line_view_3d_test", nullptr, nullptr);
    if (window_ == nullptr) {
      glfwTerminate();
      return;
    }
    glfwMakeContextCurrent(window_);
  }
  static void TearDownTestSuite() {
    if (window_ == nullptr) return;
    glfwDestroyWindow(window_);
    glfwTerminate();
    window_ = nullptr;
  }
  void SetUp() override {
    if (window_ == nullptr) GTEST_SKIP() << "no display or no OpenGL 3.3 core context";
  }

  struct Image {
    int width = 0, height = 0;
    std::vector<uint8_t> rgba;
    Rgba at(double x, double y) const {
      const int ix = std::clamp(static_cast<int>(x), 0, width - 1);
      const int iy = std::clamp(static_cast<int>(y), 0, height - 1);
      const size_t i = (static_cast<size_t>(iy) * width + ix) * 4;
      return {rgba[i], rgba[i + 1], rgba[i + 2], 255};
    }
  };
  static Image read(const LineView3D& view) {
    Image im;
    im.width = view.width();
    im.height = view.height();
    EXPECT_TRUE(view.read_pixels(im.rgba));
    return im;
  }

  static GLFWwindow* window_;
};

GLFWwindow* LineView3DRender::window_ = nullptr;

const std::vector<Rgba> kModeColors = {mode_color(Mode::kBusy),    mode_color(Mode::kStarved),
                                       mode_color(Mode::kBlocked), mode_color(Mode::kDown),
                                       mode_color(Mode::kSetup),   mode_color(Mode::kOff)};

TEST_F(LineView3DRender, Machining20ShowsModesBottleneckAndPicks) {
  const Model model = load("machining20.yaml");
  const PlanLayout plan = layout_plan(model);
  ViewFrame frame = running_frame(model);
  const uint32_t down = machine_of(model, "Mill_OP30");
  const uint32_t bottleneck = machine_of(model, "Hone_OP100");
  frame.twin.mode[down] = telemetry::MODE_DOWN;
  frame.twin.mode[machine_of(model, "Saw")] = telemetry::MODE_STARVED;
  frame.twin.mode[machine_of(model, "Wash_2")] = telemetry::MODE_BLOCKED;
  frame.twin.mode[machine_of(model, "Tap_OP60")] = telemetry::MODE_SETUP;
  LineScene3D scene;
  scene.model = &model;
  scene.plan = &plan;
  scene.frame = &frame;
  scene.selected_station = model.find_station("Drill_OP50");
  scene.bottleneck_machine = static_cast<int32_t>(bottleneck);

  LineView3D view;
  std::string error;
  ASSERT_TRUE(view.init(error)) << error;
  constexpr int kW = 1200, kH = 720;
  ASSERT_NE(view.render(scene, kW, kH), 0u);
  const Image im = read(view);
  ASSERT_EQ(im.rgba.size(), static_cast<size_t>(kW) * kH * 4);
  ASSERT_TRUE(view.write_png("/tmp/line_view_3d_machining20.png", error)) << error;
  const Camera3D& cam = view.camera();
  const std::vector<Box3D>& boxes = view.boxes();

  // The top of the down machine is the palette's down red, and a click there picks Mill_OP30.
  const Box3D* down_box = find(boxes, BoxKind::kMachine, static_cast<int32_t>(down));
  ASSERT_NE(down_box, nullptr);
  const Projected top =
      cam.project(down_box->box.center + Eigen::Vector3d{0, down_box->box.half.y(), 0});
  ASSERT_TRUE(top.inside(kW, kH));
  const Rgba down_px = im.at(top.x, top.y);
  EXPECT_EQ(nearest_shade(down_px, kModeColors), 3u)
      << "pixel " << int(down_px.r) << "," << int(down_px.g) << "," << int(down_px.b);
  EXPECT_GT(down_px.r, 150);
  EXPECT_LT(down_px.g, 80);
  EXPECT_EQ(view.pick(scene, cam, top.x, top.y), model.find_station("Mill_OP30"));

  // Every machine top the boxes say is visible shows its mode's colour.
  int checked = 0;
  for (size_t i = 0; i < boxes.size(); ++i) {
    const Box3D& b = boxes[i];
    if (b.kind != BoxKind::kMachine) continue;
    const Projected p = cam.project(b.box.center + Eigen::Vector3d{0, b.box.half.y(), 0});
    if (!p.inside(kW, kH) || pick_box(boxes, cam.ray(p.x, p.y)) != static_cast<int32_t>(i))
      continue;
    const Rgba px = im.at(p.x, p.y);
    const size_t want = nearest_shade(b.color, kModeColors);
    EXPECT_EQ(nearest_shade(px, kModeColors), want)
        << model.stations[static_cast<size_t>(b.station)].name << " pixel " << int(px.r) << ","
        << int(px.g) << "," << int(px.b);
    ++checked;
  }
  EXPECT_GE(checked, 20);

  // The bottleneck's highlight bars are magenta wherever they are in sight.
  const std::vector<Rgba> highlight = {kBottleneck,     mode_color(Mode::kBusy), kNodeBody,
                                       kPlanBackground, kStationBase3D,          kGridMajor};
  int visible = 0;
  for (size_t i = 0; i < boxes.size(); ++i) {
    if (boxes[i].kind != BoxKind::kBottleneckMark) continue;
    const Projected p = cam.project(boxes[i].box.center);
    if (!p.inside(kW, kH) || pick_box(boxes, cam.ray(p.x, p.y)) != static_cast<int32_t>(i))
      continue;
    ++visible;
    EXPECT_EQ(nearest_shade(im.at(p.x, p.y), highlight), 0u) << "bar " << i;
  }
  EXPECT_GE(visible, 4);
  // ... and nowhere around the down machine.
  int magenta = 0;
  for (double dx = -40; dx <= 40; dx += 2) {
    for (double dy = -40; dy <= 40; dy += 2) {
      const Rgba px = im.at(top.x + dx, top.y + dy);
      magenta += px.r > 200 && px.b > 150 && px.g < 120 ? 1 : 0;
    }
  }
  EXPECT_EQ(magenta, 0);

  // The selected station's base plate shows in front of it; another station's does not.
  auto base_rim = [&](const char* name) {
    const Rect& r = plan.stations[static_cast<size_t>(model.find_station(name))].box;
    const Projected p = cam.project(plan_to_world({r.center().x, r.y0 - 0.2}, 0.07));
    return im.at(p.x, p.y);
  };
  const Rgba selected_rim = base_rim("Drill_OP50"), other_rim = base_rim("Mill_OP40");
  EXPECT_GT(selected_rim.b, 200);
  EXPECT_GT(selected_rim.g, 150);
  EXPECT_LT(other_rim.b, 100);

  // Above the line (top left corner) is empty background.
  const Rgba sky = im.at(2, 2);
  EXPECT_NEAR(sky.r, kPlanBackground.r, 2);
  EXPECT_NEAR(sky.g, kPlanBackground.g, 2);
  EXPECT_NEAR(sky.b, kPlanBackground.b, 2);
}

TEST_F(LineView3DRender, RealCapAboveTheTwinBody) {
  const Model model = load("machining20.yaml");
  const PlanLayout plan = layout_plan(model);
  ViewFrame frame = running_frame(model);
  const uint32_t down = machine_of(model, "Mill_OP30");
  frame.twin.mode[down] = telemetry::MODE_DOWN;
  frame.real.present = true;
  frame.real.mode.assign(model.machine_count(), telemetry::MODE_RUNNING);
  LineScene3D scene;
  scene.model = &model;
  scene.plan = &plan;
  scene.frame = &frame;
  Camera3D cam;  // closer, from the front left
  cam.set_viewport(800, 600);
  cam.fit(scene_bounds(plan));
  cam.zoom(6.0);
  cam.target = plan_to_world(
      plan.stations[static_cast<size_t>(model.find_station("Mill_OP30"))].box.center(), 0.8);
  scene.camera = &cam;

  LineView3D view;
  std::string error;
  ASSERT_TRUE(view.init(error)) << error;
  ASSERT_NE(view.render(scene, 800, 600), 0u);
  const Image im = read(view);
  std::string png_error;
  EXPECT_TRUE(view.write_png("/tmp/line_view_3d_real_cap.png", png_error)) << png_error;
  const Box3D* body = find(view.boxes(), BoxKind::kMachine, static_cast<int32_t>(down));
  ASSERT_NE(body, nullptr);
  // The top (the real cap) is running green; the front of the body is the twin's down red.
  const Eigen::Vector3d c = body->box.center;
  const Projected top = cam.project({c.x(), kMachineHeight3D, c.z()});
  const Projected front = cam.project({c.x(), c.y(), c.z() + body->box.half.z()});
  EXPECT_EQ(nearest_shade(im.at(top.x, top.y), kModeColors), 0u);
  EXPECT_EQ(nearest_shade(im.at(front.x, front.y), kModeColors), 3u);
}

// Not a check: how long a render takes (printed), for machining20 and the 250-machine plant.
TEST_F(LineView3DRender, RenderTime) {
  for (const char* name : {"machining20.yaml", "plant250.yaml"}) {
    const Model model = load(name);
    const PlanLayout plan = layout_plan(model);
    const ViewFrame frame = running_frame(model);
    LineScene3D scene;
    scene.model = &model;
    scene.plan = &plan;
    scene.frame = &frame;
    scene.bottleneck_machine = 0;
    scene.selected_station = 1;
    for (int samples : {4, 0}) {
      LineView3D view;
      view.set_samples(samples);
      std::string error;
      ASSERT_TRUE(view.init(error)) << error;
      ASSERT_NE(view.render(scene, 1280, 800), 0u);  // warm up (allocates the targets)
      glFinish();
      constexpr int kRuns = 10;
      const auto t0 = std::chrono::steady_clock::now();
      for (int i = 0; i < kRuns; ++i) {
        view.render(scene, 1280, 800);
        glFinish();
      }
      const double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() /
          kRuns;
      std::vector<Box3D> boxes;
      const auto b0 = std::chrono::steady_clock::now();
      for (int i = 0; i < kRuns; ++i) build_boxes(model, plan, frame, 1, 0, boxes);
      const double build_ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - b0).count() /
          kRuns;
      std::printf("[ render ] %s 1280x800 %zu boxes, %d samples: %.2f ms (build_boxes %.2f ms)\n",
                  name, view.boxes().size(), view.samples(), ms, build_ms);
      if (samples == 4) {
        const std::string png = std::string("/tmp/line_view_3d_time_") + model.name + ".png";
        EXPECT_TRUE(view.write_png(png, error)) << error;
      }
    }
  }
}

}  // namespace
}  // namespace twin::viewer
