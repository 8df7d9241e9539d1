// Where the viewer draws things: the plan of the line in world metres (from the scene's
// placements, or an automatic left-to-right layout when the scene gives none), the panes of the
// window in pixels, and the transform between the two.
//
// Pure geometry over a Model: no ImGui, no OpenGL, and header-only so tests can ask where an
// element lands on a screenshot without linking the viewer library.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/model/model.h"

namespace twin::viewer {

struct Vec2 {
  double x = 0.0, y = 0.0;
};

// Axis-aligned rectangle. In the plan: metres, y up. On screen: pixels, y down.
struct Rect {
  double x0 = 0.0, y0 = 0.0, x1 = 0.0, y1 = 0.0;

  double width() const { return x1 - x0; }
  double height() const { return y1 - y0; }
  Vec2 center() const { return {(x0 + x1) / 2.0, (y0 + y1) / 2.0}; }
  bool empty() const { return x1 <= x0 || y1 <= y0; }
  static Rect around(Vec2 c, double w, double h) {
    return {c.x - w / 2.0, c.y - h / 2.0, c.x + w / 2.0, c.y + h / 2.0};
  }
  Rect grown(double d) const { return {x0 - d, y0 - d, x1 + d, y1 + d}; }
  Rect united(const Rect& o) const {
    return {std::min(x0, o.x0), std::min(y0, o.y0), std::max(x1, o.x1), std::max(y1, o.y1)};
  }
};

// Footprints used when a placement gives no size [m].
inline constexpr double kStationWidth = 2.0;
inline constexpr double kMachineHeight = 1.2;  // per parallel machine (auto layout)
inline constexpr double kStationHeight = 1.6;  // whole station (placed layout)
inline constexpr double kMachineGap = 0.2;     // between parallel machines
inline constexpr double kBufferWidth = 1.4, kBufferHeight = 0.7;
inline constexpr double kEndpointSize = 1.0;  // sources and sinks
inline constexpr double kBeltWidth = 0.5;     // conveyors
inline constexpr double kBeltLength = 2.4;    // conveyors without an end (auto layout)
inline constexpr double kColumnGap = 1.6;     // auto layout: between columns
inline constexpr double kRowGap = 1.4;        // auto layout: between elements of a column

struct StationShape {
  Rect box;                    // the station's footprint [m]
  std::vector<Rect> machines;  // one per machine (Station::machine_count), inside box [m]
};

struct NodeShape {
  Rect box;                        // footprint [m]; for a conveyor, the bounding box of the belt
  bool belt = false;               // conveyors are drawn as a belt from `from` to `to`
  Vec2 from, to;                   // belt ends [m] (conveyors only)
  double belt_width = kBeltWidth;  // [m]
};

struct PlanLayout {
  std::vector<StationShape> stations;  // (n_stations)
  std::vector<NodeShape> nodes;        // (n_nodes)
  Rect bounds;                         // everything [m]
  bool automatic = false;              // true when the scene placed nothing
};

// Where a flow arrow leaves or enters `r` on the way from its centre towards `toward`.
inline Vec2 edge_point(const Rect& r, Vec2 toward) {
  const Vec2 c = r.center();
  const double dx = toward.x - c.x, dy = toward.y - c.y;
  const double hw = r.width() / 2.0, hh = r.height() / 2.0;
  if (dx == 0.0 && dy == 0.0) return c;
  const double tx = dx != 0.0 ? hw / std::abs(dx) : 1e300;
  const double ty = dy != 0.0 ? hh / std::abs(dy) : 1e300;
  const double t = std::min(tx, ty);
  return {c.x + dx * t, c.y + dy * t};
}

namespace detail {

inline bool placed(const Position& p) {
  return p.x != 0.0 || p.y != 0.0;
}

inline double or_default(double v, double fallback) {
  return v > 0.0 ? v : fallback;
}

// Splits a station box into its machines, stacked along y (first machine on top).
inline std::vector<Rect> split_machines(const Rect& box, uint32_t count) {
  std::vector<Rect> out;
  const uint32_t k = std::max<uint32_t>(count, 1);
  const double gap = std::min(kMachineGap, box.height() * 0.1);
  const double h = (box.height() - gap * (k - 1)) / k;
  for (uint32_t i = 0; i < k; ++i) {
    const double top = box.y1 - i * (h + gap);
    out.push_back({box.x0, top - h, box.x1, top});
  }
  return out;
}

inline NodeShape node_shape_at(const Node& node, Vec2 c, bool automatic) {
  NodeShape s;
  switch (node.kind) {
    case NodeKind::kConveyor: {
      s.belt = true;
      s.belt_width = automatic ? kBeltWidth : or_default(node.placement.size_y, kBeltWidth);
      if (!automatic && placed(node.end)) {
        s.from = c;
        s.to = {node.end.x, node.end.y};
      } else {
        const double len = automatic ? kBeltLength : or_default(node.placement.size_x, kBeltLength);
        s.from = automatic ? Vec2{c.x - len / 2.0, c.y} : c;
        s.to = {s.from.x + len, s.from.y};
      }
      s.box = Rect{std::min(s.from.x, s.to.x), std::min(s.from.y, s.to.y),
                   std::max(s.from.x, s.to.x), std::max(s.from.y, s.to.y)}
                  .grown(s.belt_width / 2.0);
      break;
    }
    case NodeKind::kBuffer: {
      const double w = automatic ? kBufferWidth : or_default(node.placement.size_x, kBufferWidth);
      const double h = automatic ? kBufferHeight : or_default(node.placement.size_y, kBufferHeight);
      s.box = Rect::around(c, w, h);
      break;
    }
    case NodeKind::kSource:
    case NodeKind::kSink: {
      const double w = automatic ? kEndpointSize : or_default(node.placement.size_x, kEndpointSize);
      const double h = automatic ? kEndpointSize : or_default(node.placement.size_y, kEndpointSize);
      s.box = Rect::around(c, w, h);
      break;
    }
  }
  return s;
}

// Where a node the scene did not place goes in a placed layout: between the stations it connects
// (a buffer), or beside the one station it feeds (a source, on its left) or is fed by (a sink,
// on its right). A node no station touches stays at the origin.
inline Vec2 unplaced_node_position(const Model& model, const PlanLayout& layout, size_t node) {
  Vec2 sum;
  int count = 0;
  double dx = 0.0;
  for (size_t i = 0; i < model.stations.size(); ++i) {
    const Station& st = model.stations[i];
    const Rect& box = layout.stations[i].box;
    const bool feeds = std::find(st.inputs.begin(), st.inputs.end(), node) != st.inputs.end();
    const bool fed = st.output == node;
    if (!feeds && !fed) continue;
    sum.x += box.center().x;
    sum.y += box.center().y;
    ++count;
    // Alone beside a station: upstream sources to the left, downstream sinks to the right.
    dx += feeds ? -(box.width() / 2.0 + 1.5 * kEndpointSize)
                : box.width() / 2.0 + 1.5 * kEndpointSize;
  }
  if (count == 0) return {};
  Vec2 at{sum.x / count, sum.y / count};
  if (count == 1) at.x += dx;
  return at;
}

inline double auto_station_height(const Station& st) {
  const uint32_t k = std::max<uint32_t>(st.machine_count, 1);
  return k * kMachineHeight + (k - 1) * kMachineGap;
}

inline double auto_node_width(const Node& n) {
  switch (n.kind) {
    case NodeKind::kConveyor:
      return kBeltLength;
    case NodeKind::kBuffer:
      return kBufferWidth;
    default:
      return kEndpointSize;
  }
}

inline double auto_node_height(const Node& n) {
  switch (n.kind) {
    case NodeKind::kConveyor:
      return kBeltWidth;
    case NodeKind::kBuffer:
      return kBufferHeight;
    default:
      return kEndpointSize;
  }
}

// Automatic layout: columns by depth along the flow (longest path from a node nobody feeds
// through station outputs), elements of a column stacked and centred on y = 0.
inline void auto_layout(const Model& model, PlanLayout& out) {
  const size_t nn = model.nodes.size(), ns = model.stations.size();
  std::vector<int> node_depth(nn, 0), station_depth(ns, 1);
  // Longest-path relaxation; bounded so a cycle in the flow cannot loop forever.
  const size_t rounds = nn + ns + 1;
  for (size_t round = 0; round < rounds; ++round) {
    bool changed = false;
    for (size_t s = 0; s < ns; ++s) {
      const Station& st = model.stations[s];
      int d = 1;
      for (uint32_t in : st.inputs) d = std::max(d, node_depth[in] + 1);
      if (d != station_depth[s]) station_depth[s] = d, changed = true;
      if (st.output < nn && node_depth[st.output] < d + 1) {
        node_depth[st.output] = d + 1;
        changed = true;
      }
    }
    if (!changed) break;
  }
  // Nodes no station feeds (sources, pre-filled buffers) sit just before their first consumer.
  std::vector<uint8_t> fed(nn, 0);
  for (const Station& st : model.stations) {
    if (st.output < nn) fed[st.output] = 1;
  }
  for (size_t n = 0; n < nn; ++n) {
    if (fed[n] != 0 || model.nodes[n].consumers.empty()) continue;
    int d = station_depth[model.nodes[n].consumers.front()];
    for (uint32_t c : model.nodes[n].consumers) d = std::min(d, station_depth[c]);
    node_depth[n] = d - 1;
  }
  // Number of columns.
  int columns = 0;
  for (int d : node_depth) columns = std::max(columns, d + 1);
  for (int d : station_depth) columns = std::max(columns, d + 1);

  // Column widths and heights.
  std::vector<double> width(static_cast<size_t>(columns), 0.0), height(width.size(), 0.0);
  std::vector<int> count(width.size(), 0);
  auto add = [&](int col, double w, double h) {
    const auto c = static_cast<size_t>(col);
    width[c] = std::max(width[c], w);
    height[c] += h + (count[c] > 0 ? kRowGap : 0.0);
    ++count[c];
  };
  for (size_t n = 0; n < nn; ++n)
    add(node_depth[n], auto_node_width(model.nodes[n]), auto_node_height(model.nodes[n]));
  for (size_t s = 0; s < ns; ++s)
    add(station_depth[s], kStationWidth, auto_station_height(model.stations[s]));

  std::vector<double> column_x(width.size(), 0.0), cursor(width.size(), 0.0);
  double x = 0.0;
  for (size_t c = 0; c < width.size(); ++c) {
    if (count[c] == 0) continue;
    column_x[c] = x + width[c] / 2.0;
    x += width[c] + kColumnGap;
    cursor[c] = height[c] / 2.0;  // top of the column (y up)
  }
  auto next_center = [&](int col, double h) {
    const auto c = static_cast<size_t>(col);
    const Vec2 center{column_x[c], cursor[c] - h / 2.0};
    cursor[c] -= h + kRowGap;
    return center;
  };
  // Stations and nodes share columns only when the flow is unusual; stack stations first.
  for (size_t s = 0; s < ns; ++s) {
    const Station& st = model.stations[s];
    const double h = auto_station_height(st);
    const Rect box = Rect::around(next_center(station_depth[s], h), kStationWidth, h);
    out.stations[s] = {box, split_machines(box, st.machine_count)};
  }
  for (size_t n = 0; n < nn; ++n) {
    const Node& node = model.nodes[n];
    out.nodes[n] = node_shape_at(node, next_center(node_depth[n], auto_node_height(node)), true);
  }
}

}  // namespace detail

// The plan of the line in world metres: from the scene's placements, or laid out automatically
// left to right along the flow when every placement is zero.
inline PlanLayout layout_plan(const Model& model) {
  PlanLayout out;
  out.stations.resize(model.stations.size());
  out.nodes.resize(model.nodes.size());
  bool any_placed = false;
  for (const Station& st : model.stations) any_placed = any_placed || detail::placed(st.placement);
  for (const Node& n : model.nodes)
    any_placed = any_placed || detail::placed(n.placement) || detail::placed(n.end);
  out.automatic = !any_placed;
  if (out.automatic) {
    detail::auto_layout(model, out);
  } else {
    for (size_t s = 0; s < model.stations.size(); ++s) {
      const Station& st = model.stations[s];
      const Position& p = st.placement;
      const Rect box = Rect::around({p.x, p.y}, detail::or_default(p.size_x, kStationWidth),
                                    detail::or_default(p.size_y, kStationHeight));
      out.stations[s] = {box, detail::split_machines(box, st.machine_count)};
    }
    for (size_t n = 0; n < model.nodes.size(); ++n) {
      const Node& node = model.nodes[n];
      Vec2 at{node.placement.x, node.placement.y};
      if (!detail::placed(node.placement) && !detail::placed(node.end))
        at = detail::unplaced_node_position(model, out, n);
      out.nodes[n] = detail::node_shape_at(node, at, false);
    }
  }
  bool first = true;
  auto include = [&](const Rect& r) {
    out.bounds = first ? r : out.bounds.united(r);
    first = false;
  };
  for (const StationShape& s : out.stations) include(s.box);
  for (const NodeShape& n : out.nodes) include(n.box);
  if (first) out.bounds = Rect{-5.0, -5.0, 5.0, 5.0};
  return out;
}

// ---- Screen -------------------------------------------------------------------------------

// Width of the control panel on the left of the window [px] at UI scale 1.
inline constexpr double kPanelWidth = 440.0;

// The window's panes [px, y down]: control panel on the left, the plan canvas filling the rest.
struct Panes {
  Rect panel;   // controls and KPI tables, left, full height
  Rect plan;    // the line, right, top
  Rect strips;  // mode strips, right, bottom left (empty when the window is too small)
  Rect plots;   // tag plots of the selected machine, right, bottom right (or empty)
};

// Height of the bottom row (strips and plots) [px at UI scale 1]: a share of the window, kept
// readable but never more than the plan.
inline constexpr double kBottomShare = 0.40, kBottomMin = 220.0, kBottomMax = 460.0;

inline Panes pane_layout(double width, double height, double ui_scale = 1.0) {
  const double panel_w = std::min(kPanelWidth * ui_scale, std::floor(width * 0.5));
  Panes p;
  p.panel = Rect{0.0, 0.0, panel_w, height};
  const double bottom =
      std::floor(std::clamp(height * kBottomShare, kBottomMin * ui_scale, kBottomMax * ui_scale));
  if (height - bottom < bottom) {  // too small for both: the plan only
    p.plan = Rect{panel_w, 0.0, width, height};
    return p;
  }
  const double split = std::floor(panel_w + (width - panel_w) * 0.5);
  p.plan = Rect{panel_w, 0.0, width, height - bottom};
  p.strips = Rect{panel_w, height - bottom, split, height};
  p.plots = Rect{split, height - bottom, width, height};
  return p;
}

// Plan metres -> screen pixels: screen = origin + (x, -y) * scale.
struct ViewTransform {
  double scale = 1.0;  // [px/m]
  Vec2 origin;         // [px] where the world origin lands

  Vec2 to_screen(Vec2 w) const { return {origin.x + w.x * scale, origin.y - w.y * scale}; }
  Vec2 to_world(Vec2 s) const { return {(s.x - origin.x) / scale, (origin.y - s.y) / scale}; }
  Rect to_screen(const Rect& r) const {
    const Vec2 a = to_screen(Vec2{r.x0, r.y1}), b = to_screen(Vec2{r.x1, r.y0});
    return {a.x, a.y, b.x, b.y};
  }
};

// Room kept free around the plan inside the canvas [px at UI scale 1]: labels above stations,
// node labels below, the legend at the bottom.
inline constexpr double kFitMarginSide = 48.0, kFitMarginTop = 64.0, kFitMarginBottom = 96.0;

// The transform that shows all of `bounds` centred in `canvas`.
inline ViewTransform fit_view(const Rect& bounds, const Rect& canvas, double ui_scale = 1.0) {
  const double avail_w = std::max(canvas.width() - 2.0 * kFitMarginSide * ui_scale, 1.0);
  const double avail_h =
      std::max(canvas.height() - (kFitMarginTop + kFitMarginBottom) * ui_scale, 1.0);
  const double bw = std::max(bounds.width(), 1.0), bh = std::max(bounds.height(), 1.0);
  ViewTransform t;
  t.scale = std::min(avail_w / bw, avail_h / bh);
  const Vec2 c = bounds.center();
  const double cx = canvas.x0 + canvas.width() / 2.0;
  const double cy = canvas.y0 + kFitMarginTop * ui_scale + avail_h / 2.0;
  t.origin = {cx - c.x * t.scale, cy + c.y * t.scale};
  return t;
}

// User pan and zoom on top of the fitted view: zoom about the canvas centre, then pan [px].
struct ViewState {
  double zoom = 1.0;
  Vec2 pan;
};

inline ViewTransform apply_view(const ViewTransform& fitted, const ViewState& view,
                                const Rect& canvas) {
  const Vec2 c = canvas.center();
  ViewTransform t;
  t.scale = fitted.scale * view.zoom;
  t.origin = {c.x + (fitted.origin.x - c.x) * view.zoom + view.pan.x,
              c.y + (fitted.origin.y - c.y) * view.zoom + view.pan.y};
  return t;
}

// Where machine `machine` of station `station` is drawn on a window of width x height pixels
// with the default view (no pan or zoom) [px, y down].
inline Rect machine_screen_rect(const Model& model, uint32_t station, uint32_t machine,
                                double width, double height, double ui_scale = 1.0) {
  const PlanLayout plan = layout_plan(model);
  const Panes panes = pane_layout(width, height, ui_scale);
  const ViewTransform t = fit_view(plan.bounds, panes.plan, ui_scale);
  return t.to_screen(plan.stations.at(station).machines.at(machine));
}

}  // namespace twin::viewer
