// The plan pane: a top-down 2D drawing of the line with ImGui's draw list.
#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "core/telemetry/telemetry.h"
#include "viewer/line_view_3d_pane.h"
#include "viewer/ui.h"

namespace twin::viewer {

namespace {

ImVec2 v2(double x, double y) {
  return {static_cast<float>(x), static_cast<float>(y)};
}

float px(double v) {
  return static_cast<float>(v);
}

// Labels placed so far this frame, to keep them from overlapping.
class LabelPlacer {
 public:
  // Labels must lie inside `bounds` [px] (the canvas above its legend) to be drawn.
  explicit LabelPlacer(const Rect& bounds) : bounds_(bounds) {}

  // The top-left corner for a label of `size` centred on x at `y`, moved by `step` (down when
  // positive) until it overlaps nothing placed before; none when it still overlaps after a few
  // moves (a dense layout seen from afar: the label is left out) unless `always`.
  std::optional<ImVec2> place(float cx, float y, ImVec2 size, float step, bool always = false) {
    ImVec2 p{cx - size.x / 2.0f, y};
    bool clash = true;
    for (int attempt = 0; attempt < 4 && clash; ++attempt) {
      clash = p.x < bounds_.x0 || p.x + size.x > bounds_.x1 || p.y < bounds_.y0 ||
              p.y + size.y > bounds_.y1;
      for (const ImVec4& r : placed_) {
        if (clash) break;
        if (p.x < r.z && p.x + size.x > r.x && p.y < r.w && p.y + size.y > r.y) {
          clash = true;
          break;
        }
      }
      if (clash) p.y += step;
    }
    if (clash && !always) return std::nullopt;
    placed_.push_back({p.x, p.y, p.x + size.x, p.y + size.y});
    return p;
  }
  // Keeps labels off a drawn shape.
  void avoid(const Rect& r) {
    placed_.push_back({static_cast<float>(r.x0), static_cast<float>(r.y0), static_cast<float>(r.x1),
                       static_cast<float>(r.y1)});
  }

 private:
  Rect bounds_;
  std::vector<ImVec4> placed_;
};

void draw_text(ImDrawList* dl, ImFont* font, ImVec2 pos, ImU32 color, const char* text) {
  dl->AddText(font, font->FontSize, pos, color, text);
}

ImVec2 text_size(ImFont* font, const char* text) {
  return font->CalcTextSizeA(font->FontSize, 1e9f, 0.0f, text);
}

// A straight arrow from a to b with a filled head at b.
void draw_arrow(ImDrawList* dl, ImVec2 a, ImVec2 b, ImU32 color, float thickness, float head) {
  const float dx = b.x - a.x, dy = b.y - a.y;
  const float len = std::sqrt(dx * dx + dy * dy);
  if (len < head * 1.5f) return;
  const float ux = dx / len, uy = dy / len;
  const ImVec2 base{b.x - ux * head, b.y - uy * head};
  dl->AddLine(a, base, color, thickness);
  dl->AddTriangleFilled(b, {base.x - uy * head * 0.55f, base.y + ux * head * 0.55f},
                        {base.x + uy * head * 0.55f, base.y - ux * head * 0.55f}, color);
}

// Grid lines every `step` metres, every fifth one stronger.
void draw_grid(ImDrawList* dl, const ViewTransform& t, const Rect& canvas) {
  static constexpr double kSteps[] = {0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000};
  double step = kSteps[std::size(kSteps) - 1];
  for (double s : kSteps) {
    if (s * t.scale >= 14.0) {
      step = s;
      break;
    }
  }
  const Vec2 w0 = t.to_world({canvas.x0, canvas.y1}), w1 = t.to_world({canvas.x1, canvas.y0});
  const ImU32 minor = to_imu32(kGridMinor), major = to_imu32(kGridMajor);
  for (double x = std::floor(w0.x / step) * step; x <= w1.x; x += step) {
    const bool is_major = std::fmod(std::abs(std::round(x / step)), 5.0) == 0.0;
    const double sx = t.to_screen(Vec2{x, 0.0}).x;
    dl->AddLine(v2(sx, canvas.y0), v2(sx, canvas.y1), is_major ? major : minor);
  }
  for (double y = std::floor(w0.y / step) * step; y <= w1.y; y += step) {
    const bool is_major = std::fmod(std::abs(std::round(y / step)), 5.0) == 0.0;
    const double sy = t.to_screen(Vec2{0.0, y}).y;
    dl->AddLine(v2(canvas.x0, sy), v2(canvas.x1, sy), is_major ? major : minor);
  }
}

// The point where flow enters (or leaves) node n, looking towards `toward` [m].
Vec2 node_port(const NodeShape& n, Vec2 toward, bool entering) {
  if (n.belt) return entering ? n.from : n.to;
  return edge_point(n.box, toward);
}

void draw_flow(ImDrawList* dl, const Model& model, const PlanLayout& plan, const ViewTransform& t,
               float s) {
  const ImU32 flow = to_imu32(kFlowArrow), rework = to_imu32(kReworkArrow);
  for (size_t i = 0; i < model.stations.size(); ++i) {
    const Station& st = model.stations[i];
    const Rect& box = plan.stations[i].box;
    for (uint32_t in : st.inputs) {
      const NodeShape& n = plan.nodes[in];
      const Vec2 from = node_port(n, box.center(), false);
      const Vec2 to = edge_point(box, from);
      draw_arrow(dl, to_imvec(t.to_screen(from)), to_imvec(t.to_screen(to)), flow, 2.0f * s,
                 9.0f * s);
    }
    if (st.output < plan.nodes.size()) {
      const NodeShape& n = plan.nodes[st.output];
      const Vec2 to = node_port(n, box.center(), true);
      const Vec2 from = edge_point(box, to);
      draw_arrow(dl, to_imvec(t.to_screen(from)), to_imvec(t.to_screen(to)), flow, 2.0f * s,
                 9.0f * s);
    }
    if (st.rework_node >= 0) {
      // Rework loops back upstream: a curve under the line, ending in an arrow head.
      const NodeShape& n = plan.nodes[static_cast<size_t>(st.rework_node)];
      const ImVec2 a = to_imvec(t.to_screen(Vec2{box.center().x, box.y0}));
      const ImVec2 b = to_imvec(t.to_screen(Vec2{n.box.center().x, n.box.y0}));
      const float sag = 40.0f * s + 0.15f * std::abs(b.x - a.x);
      const ImVec2 c1{a.x, a.y + sag}, c2{b.x, b.y + sag};
      dl->AddBezierCubic(a, c1, c2, {b.x, b.y + 10.0f * s}, rework, 1.5f * s);
      draw_arrow(dl, {b.x, b.y + 11.0f * s}, b, rework, 1.5f * s, 8.0f * s);
    }
  }
}

// Fill ratio of a node for its bar, and whether it is at capacity.
double fill_ratio(const Node& node, const LineState& state, size_t n) {
  const double count = state.contents[n].count;
  if (node.capacity > 0) return std::clamp(count / node.capacity, 0.0, 1.0);
  if (node.capacity == 0) return 0.0;
  // Unbounded: relative to the largest level seen so far.
  const double max_level = static_cast<double>(std::max<int64_t>(state.level_max[n], 1));
  return std::clamp(count / max_level, 0.0, 1.0);
}

void draw_nodes(ImDrawList* dl, const Model& model, const PlanLayout& plan, const LineState& state,
                const ViewTransform& t, const UiState& ui, LabelPlacer& labels) {
  const float s = ui.scale;
  ImFont* small = ui.fonts.small;
  char line[96];
  for (size_t n = 0; n < model.nodes.size(); ++n) {
    const Node& node = model.nodes[n];
    const NodeShape& shape = plan.nodes[n];
    const Rect r = t.to_screen(shape.box);
    const uint32_t count = n < state.contents.size() ? state.contents[n].count : 0;
    const double ratio = fill_ratio(node, state, n);
    const bool full = node.capacity > 0 && count >= static_cast<uint32_t>(node.capacity);
    const ImU32 fill = to_imu32(full ? kNodeFillFull : kNodeFill);
    const ImU32 outline = to_imu32(kNodeOutline);

    switch (node.kind) {
      case NodeKind::kConveyor: {
        const ImVec2 a = to_imvec(t.to_screen(shape.from)), b = to_imvec(t.to_screen(shape.to));
        const float dx = b.x - a.x, dy = b.y - a.y;
        const float len = std::max(std::sqrt(dx * dx + dy * dy), 1.0f);
        const float half = std::max(px(shape.belt_width * t.scale / 2.0), 3.0f * s);
        const float nx = -dy / len * half, ny = dx / len * half;
        auto quad = [&](ImVec2 p, ImVec2 q, ImU32 col) {
          dl->AddQuadFilled({p.x + nx, p.y + ny}, {q.x + nx, q.y + ny}, {q.x - nx, q.y - ny},
                            {p.x - nx, p.y - ny}, col);
        };
        quad(a, b, to_imu32(kNodeBody));
        // Each part where it rides (ViewFrame::part_position) when there is room for dots;
        // else the fill from the discharge end backwards (parts gather there).
        const ViewFrame* vf = ui.frame;
        const bool dots = vf != nullptr && n + 1 < vf->part_offset.size() &&
                          len / static_cast<float>(std::max(count, 1u)) >= 3.0f * half;
        if (dots) {
          for (uint32_t i = vf->part_offset[n]; i < vf->part_offset[n + 1]; ++i) {
            const float f = vf->part_position[i];
            dl->AddRectFilled({a.x + dx * f - half * 0.7f, a.y + dy * f - half * 0.7f},
                              {a.x + dx * f + half * 0.7f, a.y + dy * f + half * 0.7f}, fill,
                              1.5f * s);
          }
        } else if (ratio > 0.0) {
          const float f = static_cast<float>(ratio);
          quad({b.x - dx * f, b.y - dy * f}, b, fill);
        }
        dl->AddQuad({a.x + nx, a.y + ny}, {b.x + nx, b.y + ny}, {b.x - nx, b.y - ny},
                    {a.x - nx, a.y - ny}, outline, 1.0f * s);
        // Chevrons show the running direction.
        const float pitch = 26.0f * s;
        const ImU32 chevron = IM_COL32(255, 255, 255, 60);
        const float ux = dx / len, uy = dy / len, h = half * 0.6f;
        for (float d = pitch / 2.0f; d < len - 4.0f * s; d += pitch) {
          const ImVec2 c{a.x + ux * d, a.y + uy * d};
          dl->AddLine({c.x - ux * h - uy * h, c.y - uy * h + ux * h}, c, chevron, 1.5f * s);
          dl->AddLine({c.x - ux * h + uy * h, c.y - uy * h - ux * h}, c, chevron, 1.5f * s);
        }
        break;
      }
      case NodeKind::kBuffer: {
        const float rounding = r.width() < 20.0 * s ? 0.0f : 3.0f * s;
        dl->AddRectFilled(v2(r.x0, r.y0), v2(r.x1, r.y1), to_imu32(kNodeBody), rounding);
        if (ratio > 0.0) {
          dl->AddRectFilled(v2(r.x0, r.y0), v2(r.x0 + r.width() * ratio, r.y1), fill, rounding);
        }
        dl->AddRect(v2(r.x0, r.y0), v2(r.x1, r.y1), outline, rounding, 0, 1.0f * s);
        break;
      }
      case NodeKind::kSource:
      case NodeKind::kSink: {
        const bool source = node.kind == NodeKind::kSource;
        const ImU32 body = to_imu32(source ? kSourceBody : kSinkBody);
        // A chevron-shaped tag: sources point into the line, sinks are a plain box.
        dl->AddRectFilled(v2(r.x0, r.y0), v2(r.x1, r.y1), body, 4.0f * s);
        dl->AddRect(v2(r.x0, r.y0), v2(r.x1, r.y1), outline, 4.0f * s, 0, 1.0f * s);
        const char* tag = source ? "IN" : "OUT";
        const ImVec2 ts = text_size(small, tag);
        if (ts.x + 4.0f * s < r.width() && ts.y < r.height()) {
          const Vec2 c = r.center();
          draw_text(dl, small, v2(c.x - ts.x / 2.0, c.y - ts.y / 2.0), IM_COL32(230, 230, 235, 220),
                    tag);
        }
        break;
      }
    }

    // Name and level under the node.
    if (node.kind == NodeKind::kSink) {
      const uint64_t done = n < state.sink_count.size() ? state.sink_count[n] : 0;
      std::snprintf(line, sizeof line, "%" PRIu64 " parts", done);
    } else if (node.kind == NodeKind::kSource) {
      if (node.saturated)
        std::snprintf(line, sizeof line, "unlimited");
      else
        std::snprintf(line, sizeof line, "queue %u", count);
    } else if (node.capacity >= 0) {
      std::snprintf(line, sizeof line, "%u / %d", count, node.capacity);
    } else {
      std::snprintf(line, sizeof line, "%u", count);
    }
    const ImVec2 name_size = text_size(small, node.name.c_str());
    const ImVec2 line_size = text_size(small, line);
    const ImVec2 block{std::max(name_size.x, line_size.x), name_size.y + line_size.y};
    const float cx = px(r.center().x);
    const std::optional<ImVec2> p =
        labels.place(cx, px(r.y1) + 4.0f * s, block, block.y + 2.0f * s);
    if (!p) continue;
    draw_text(dl, small, {cx - name_size.x / 2.0f, p->y}, to_imu32(kNodeLabel), node.name.c_str());
    draw_text(dl, small, {cx - line_size.x / 2.0f, p->y + name_size.y}, to_imu32(kStationLabel),
              line);
  }
}

// Returns the station under the mouse, or -1.
int32_t draw_stations(ImDrawList* dl, const Model& model, const PlanLayout& plan,
                      const Playback& playback, const ReplicationKpis& kpis, const ViewTransform& t,
                      UiState& ui, LabelPlacer& labels, ImVec2 mouse, bool mouse_in_canvas,
                      int32_t& hovered_machine) {
  const float s = ui.scale;
  const LineState& state = playback.state();
  const int32_t bottleneck = kpis.line.bottleneck_station;
  int32_t hovered_here = -1;
  char line[96];
  for (size_t i = 0; i < model.stations.size(); ++i) {
    const Station& st = model.stations[i];
    const StationShape& shape = plan.stations[i];
    const bool is_bottleneck = static_cast<int32_t>(i) == bottleneck;
    const Rect frame = t.to_screen(shape.box).grown(4.0 * s);
    const bool hovered = mouse_in_canvas && mouse.x >= frame.x0 && mouse.x <= frame.x1 &&
                         mouse.y >= frame.y0 && mouse.y <= frame.y1;
    if (hovered) hovered_here = static_cast<int32_t>(i);
    const bool highlighted = hovered || static_cast<int32_t>(i) == ui.hovered_station;

    // Small on screen (a big line seen whole): square corners, a quarter of the vertices.
    const float frame_round = frame.width() < 32.0 * s ? 0.0f : 5.0f * s;
    dl->AddRectFilled(v2(frame.x0, frame.y0), v2(frame.x1, frame.y1), IM_COL32(40, 46, 56, 255),
                      frame_round);
    for (uint32_t k = 0; k < st.machine_count && k < shape.machines.size(); ++k) {
      const uint32_t m = st.first_machine + k;
      const Mode mode = shown_mode(model, state, playback.clock(), m);
      const Rect r = t.to_screen(shape.machines[k]);
      if (mouse_in_canvas && mouse.x >= r.x0 && mouse.x <= r.x1 && mouse.y >= r.y0 &&
          mouse.y <= r.y1) {
        hovered_machine = static_cast<int32_t>(m);
      }
      // With a recording: the real mode fills the upper part, the twin's the lower part.
      const bool with_real = ui.real != nullptr && ui.real->present && m < ui.real->mode.size();
      const std::optional<Mode> real_mode =
          with_real ? from_telemetry(ui.real->mode[m]) : std::optional<Mode>{};
      const Rgba real_color = real_mode ? mode_color(*real_mode) : kUnknownMode;
      const double split = with_real ? r.y0 + r.height() * 0.6 : r.y0;
      const float round = r.width() < 24.0 * s ? 0.0f : 3.0f * s;
      if (with_real) {
        dl->AddRectFilled(v2(r.x0, r.y0), v2(r.x1, split), to_imu32(real_color), round,
                          ImDrawFlags_RoundCornersTop);
      }
      dl->AddRectFilled(v2(r.x0, split), v2(r.x1, r.y1), to_imu32(mode_color(mode)), round,
                        with_real ? ImDrawFlags_RoundCornersBottom : ImDrawFlags_None);
      // The mode in words when it fits (the real one when shown).
      const char* name =
          with_real ? (real_mode ? mode_name(*real_mode) : "no data") : mode_name(mode);
      const Rgba text_color = with_real ? (real_mode ? mode_text_color(*real_mode) : kStationLabel)
                                        : mode_text_color(mode);
      ImFont* font = ui.fonts.small;
      const ImVec2 ts = text_size(font, name);
      const double top = r.y0, bottom = with_real ? split : r.y1;
      if (ts.x + 6.0f * s < r.width() && ts.y + 2.0f * s < bottom - top) {
        const double cx = r.center().x, cy = (top + bottom) / 2.0;
        draw_text(dl, font, v2(cx - ts.x / 2.0, cy - ts.y / 2.0), to_imu32(text_color), name);
      }
      if (static_cast<int32_t>(m) == ui.selected_machine) {
        dl->AddRect(v2(r.x0 - 2.0 * s, r.y0 - 2.0 * s), v2(r.x1 + 2.0 * s, r.y1 + 2.0 * s),
                    IM_COL32(120, 180, 255, 255), 4.0f * s, 0, 2.5f * s);
      }
    }
    const ImU32 outline = is_bottleneck ? to_imu32(kBottleneck)
                          : highlighted ? IM_COL32(255, 255, 255, 230)
                                        : to_imu32(kStationFrame);
    dl->AddRect(v2(frame.x0, frame.y0), v2(frame.x1, frame.y1), outline, frame_round, 0,
                (is_bottleneck ? 3.0f : 1.5f) * s);

    // Above the station, bottom up: utilization, name, and the bottleneck tag. Node labels go
    // below their nodes, so the two never compete for the same row on a straight line.
    ImFont* bold = ui.fonts.bold;
    ImFont* small = ui.fonts.small;
    const double util = i < kpis.stations.size() ? kpis.stations[i].utilization : 0.0;
    std::snprintf(line, sizeof line, "%.0f %% busy", util * 100.0);
    const char* tag = "BOTTLENECK";
    const ImVec2 ns = text_size(bold, st.name.c_str()), us = text_size(small, line),
                 tg = is_bottleneck ? text_size(small, tag) : ImVec2{0.0f, 0.0f};
    const ImVec2 block{std::max({ns.x, us.x, tg.x}), tg.y + ns.y + us.y};
    const float cx = px(frame.center().x);
    const bool selected = station_of_machine(model, ui.selected_machine) == static_cast<int32_t>(i);
    const std::optional<ImVec2> p =
        labels.place(cx, px(frame.y0) - block.y - 3.0f * s, block, -(block.y + 2.0f * s),
                     is_bottleneck || highlighted || selected);
    if (!p) continue;
    if (is_bottleneck) draw_text(dl, small, {cx - tg.x / 2.0f, p->y}, to_imu32(kBottleneck), tag);
    draw_text(dl, bold, {cx - ns.x / 2.0f, p->y + tg.y}, to_imu32(kStationLabel), st.name.c_str());
    draw_text(dl, small, {cx - us.x / 2.0f, p->y + tg.y + ns.y}, to_imu32(kNodeLabel), line);
  }
  if (hovered_here >= 0) ui.hover_next = hovered_here;
  return hovered_here;
}

// Mode colours (and the fill colour of buffers) in a strip at the bottom left of the canvas.
void draw_legend(ImDrawList* dl, const Rect& canvas, const UiState& ui) {
  const float s = ui.scale;
  ImFont* font = ui.fonts.small;
  const float sw = 12.0f * s, gap = 6.0f * s, spacing = 16.0f * s, pad = 8.0f * s;
  struct Item {
    const char* label;
    Rgba color;
  };
  const Item items[] = {{"busy", mode_color(Mode::kBusy)},
                        {"starved", mode_color(Mode::kStarved)},
                        {"blocked", mode_color(Mode::kBlocked)},
                        {"down", mode_color(Mode::kDown)},
                        {"setup", mode_color(Mode::kSetup)},
                        {"off", mode_color(Mode::kOff)},
                        {"buffer level", kNodeFill},
                        {"full", kNodeFillFull}};
  // Items flow into rows that leave room for the scale bar on the right.
  const float max_w = std::max(px(canvas.width()) - 24.0f * s - 180.0f * s, 120.0f * s);
  const float row_h = font->FontSize + 6.0f * s;
  struct Placed {
    float x;
    int row;
  };
  Placed at[std::size(items)];
  float x = pad, w = 0.0f;
  int row = 0;
  for (size_t i = 0; i < std::size(items); ++i) {
    const float item_w = sw + gap + text_size(font, items[i].label).x;
    if (x > pad && x + item_w + pad > max_w) {
      x = pad;
      ++row;
    }
    at[i] = {x, row};
    w = std::max(w, x + item_w + pad);
    x += item_w + spacing;
  }
  const float h = static_cast<float>(row + 1) * row_h + 2.0f * pad - 6.0f * s;
  const ImVec2 p0{px(canvas.x0) + 12.0f * s, px(canvas.y1) - h - 12.0f * s};
  dl->AddRectFilled(p0, {p0.x + w, p0.y + h}, IM_COL32(16, 19, 24, 230), 4.0f * s);
  dl->AddRect(p0, {p0.x + w, p0.y + h}, IM_COL32(80, 90, 105, 255), 4.0f * s);
  for (size_t i = 0; i < std::size(items); ++i) {
    const float ix = p0.x + at[i].x;
    const float cy = p0.y + pad + static_cast<float>(at[i].row) * row_h + font->FontSize / 2.0f;
    dl->AddRectFilled({ix, cy - sw / 2.0f}, {ix + sw, cy + sw / 2.0f}, to_imu32(items[i].color),
                      2.0f * s);
    draw_text(dl, font, {ix + sw + gap, cy - font->FontSize / 2.0f}, IM_COL32(215, 220, 228, 255),
              items[i].label);
  }
}

// A scale bar of a round length at the bottom right.
void draw_scale_bar(ImDrawList* dl, const Rect& canvas, const ViewTransform& t, const UiState& ui) {
  const float s = ui.scale;
  static constexpr double kLengths[] = {0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000};
  double len = kLengths[0];
  for (double l : kLengths) {
    if (l * t.scale <= 140.0 * s) len = l;
  }
  const float w = px(len * t.scale);
  const float x1 = px(canvas.x1) - 20.0f * s, y = px(canvas.y1) - 22.0f * s;
  const ImU32 c = IM_COL32(200, 206, 215, 255);
  dl->AddLine({x1 - w, y}, {x1, y}, c, 2.0f * s);
  dl->AddLine({x1 - w, y - 5.0f * s}, {x1 - w, y + 1.0f * s}, c, 2.0f * s);
  dl->AddLine({x1, y - 5.0f * s}, {x1, y + 1.0f * s}, c, 2.0f * s);
  char text[32];
  std::snprintf(text, sizeof text, len < 1.0 ? "%.1f m" : "%.0f m", len);
  ImFont* font = ui.fonts.small;
  const ImVec2 ts = text_size(font, text);
  draw_text(dl, font, {x1 - w / 2.0f - ts.x / 2.0f, y - ts.y - 5.0f * s}, c, text);
}

void draw_hint(ImDrawList* dl, const Rect& canvas, const UiState& ui, bool automatic) {
  const float s = ui.scale;
  ImFont* font = ui.fonts.small;
  const char* text = automatic ? "auto layout  |  drag: pan   wheel: zoom   double-click: fit"
                               : "drag: pan   wheel: zoom   double-click: fit";
  const ImVec2 ts = text_size(font, text);
  draw_text(dl, font, {px(canvas.x1) - ts.x - 14.0f * s, px(canvas.y0) + 10.0f * s},
            IM_COL32(140, 148, 160, 255), text);
}

// Pan with any mouse button dragged, zoom about the cursor with the wheel, fit on double-click.
void handle_input(const Rect& canvas, const ViewTransform& fitted, ViewState& view) {
  ImGuiIO& io = ImGui::GetIO();
  if (!ImGui::IsItemHovered() && !ImGui::IsItemActive()) return;
  if (ImGui::IsItemActive()) {
    view.pan.x += io.MouseDelta.x;
    view.pan.y += io.MouseDelta.y;
  }
  if (ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left)) view = ViewState{};
  if (io.MouseWheel != 0.0f) {
    const Vec2 mouse{io.MousePos.x, io.MousePos.y};
    const Vec2 world = apply_view(fitted, view, canvas).to_world(mouse);
    view.zoom =
        std::clamp(view.zoom * std::pow(1.15, static_cast<double>(io.MouseWheel)), 0.1, 60.0);
    const Vec2 now = apply_view(fitted, view, canvas).to_screen(world);
    view.pan.x += mouse.x - now.x;
    view.pan.y += mouse.y - now.y;
  }
}

void draw_tooltip(const Model& model, const Playback& playback, const ReplicationKpis& kpis,
                  int32_t station) {
  if (station < 0) return;
  const auto i = static_cast<size_t>(station);
  const Station& st = model.stations[i];
  ImGui::BeginTooltip();
  ImGui::TextUnformatted(st.name.c_str());
  ImGui::Separator();
  for (uint32_t k = 0; k < st.machine_count; ++k) {
    const Mode mode = shown_mode(model, playback.state(), playback.clock(), st.first_machine + k);
    ImGui::TextColored(to_vec4(mode_color(mode)), "machine %u: %s", k + 1, mode_name(mode));
  }
  if (i < kpis.stations.size()) {
    const StationKpis& sk = kpis.stations[i];
    ImGui::Text("utilization %.1f %%   OEE %.1f %%", sk.utilization * 100.0, sk.oee * 100.0);
    ImGui::Text("good parts %" PRIu64 "   failures %" PRIu64, sk.parts_good, sk.failures);
    ImGui::Text("bottleneck share %.1f %%", (sk.bottleneck_sole + sk.bottleneck_shifting) * 100.0);
  }
  ImGui::EndTooltip();
}

// "Plan | 3D | Physics" buttons at the top right of the line pane, over the canvas.
void draw_view_switch(const Rect& canvas, UiState& ui) {
  if (ui.line_view_3d == nullptr) return;
  const float s = ui.scale;
  const float w = 44.0f * s, wide = 64.0f * s;
  const int views = ui.physics != nullptr ? 3 : 2;
  const float total = 2.0f * w + (views == 3 ? wide + 2.0f * s : 0.0f);
  ImGui::SetCursorScreenPos(v2(canvas.x1 - total - 16.0f * s, canvas.y0 + 30.0f * s));
  ImGui::PushID("view_switch");
  const int shown = ui.view_physics && ui.physics != nullptr ? 2 : ui.view_3d ? 1 : 0;
  for (int i = 0; i < views; ++i) {
    if (i > 0) ImGui::SameLine(0.0f, 2.0f * s);
    const bool active = i == shown;
    if (active)
      ImGui::PushStyleColor(ImGuiCol_Button, ImGui::GetStyleColorVec4(ImGuiCol_ButtonActive));
    const char* label = i == 0 ? "Plan" : i == 1 ? "3D" : "Physics";
    if (ImGui::Button(label, {i == 2 ? wide : w, 0.0f})) {
      ui.view_3d = i == 1;
      ui.view_physics = i == 2;
    }
    if (i == 2 && ImGui::IsItemHovered())
      ImGui::SetTooltip("One conveyor stepping in Bullet at the clock (key P)");
    if (active) ImGui::PopStyleColor();
  }
  ImGui::PopID();
}

// The 3D view in the line pane; a click on a station selects its first machine.
void draw_line_3d(const Rect& canvas, UiState& ui, Playback& playback) {
  const Model& model = playback.model();
  const ReplicationKpis& kpis = playback.kpis();
  LineScene3D scene;
  scene.model = &model;
  scene.plan = &ui.plan;
  scene.frame = ui.frame;
  scene.selected_station = station_of_machine(model, ui.selected_machine);
  const int32_t bn = kpis.line.bottleneck_station;
  scene.bottleneck_machine =
      bn >= 0 && static_cast<size_t>(bn) < model.stations.size()
          ? static_cast<int32_t>(model.stations[static_cast<size_t>(bn)].first_machine)
          : -1;
  const int32_t clicked =
      draw_line_view_3d(*ui.line_view_3d, ui.camera_3d, scene, v2(canvas.x0, canvas.y0),
                        v2(canvas.width(), canvas.height()));
  if (clicked >= 0 && static_cast<size_t>(clicked) < model.stations.size()) {
    ui.selected_machine =
        static_cast<int32_t>(model.stations[static_cast<size_t>(clicked)].first_machine);
  }
  draw_view_switch(canvas, ui);
}

}  // namespace

void draw_plan(const Rect& pane, UiState& ui, Playback& playback) {
  ImGui::SetNextWindowPos(v2(pane.x0, pane.y0));
  ImGui::SetNextWindowSize(v2(pane.width(), pane.height()));
  ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, {0.0f, 0.0f});
  ImGui::PushStyleVar(ImGuiStyleVar_WindowBorderSize, 0.0f);
  ImGui::PushStyleVar(ImGuiStyleVar_WindowRounding, 0.0f);
  ImGui::Begin("Plan", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                   ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoBringToFrontOnFocus |
                   ImGuiWindowFlags_NoScrollWithMouse);
  ImGui::PopStyleVar(3);

  const Rect canvas = pane;
  if (ui.view_physics && ui.physics != nullptr) {
    draw_physics_pane(canvas, ui, playback.model(), *ui.physics);
    draw_view_switch(canvas, ui);
    ImGui::End();
    return;
  }
  if (ui.view_3d && ui.line_view_3d != nullptr && ui.frame != nullptr) {
    draw_line_3d(canvas, ui, playback);
    ImGui::End();
    return;
  }
  ImGui::SetCursorScreenPos(v2(canvas.x0, canvas.y0));
  ImGui::InvisibleButton("canvas",
                         v2(std::max(canvas.width(), 1.0), std::max(canvas.height(), 1.0)),
                         ImGuiButtonFlags_MouseButtonLeft | ImGuiButtonFlags_MouseButtonRight |
                             ImGuiButtonFlags_MouseButtonMiddle);
  ImGui::SetItemAllowOverlap();  // the Plan / 3D buttons sit on top
  const bool mouse_in_canvas = ImGui::IsItemHovered();
  const ViewTransform fitted = fit_view(ui.plan.bounds, canvas, ui.scale);
  handle_input(canvas, fitted, ui.view);
  const ViewTransform t = apply_view(fitted, ui.view, canvas);

  const Model& model = playback.model();
  const ReplicationKpis& kpis = playback.kpis();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->PushClipRect(v2(canvas.x0, canvas.y0), v2(canvas.x1, canvas.y1), true);
  dl->AddRectFilled(v2(canvas.x0, canvas.y0), v2(canvas.x1, canvas.y1), to_imu32(kPlanBackground));
  draw_grid(dl, t, canvas);
  draw_flow(dl, model, ui.plan, t, ui.scale);
  // Labels stay clear of the legend strip at the bottom of the canvas and of the hint and key
  // lines at its top.
  const double top_lines = (ui.real != nullptr && ui.real->present ? 2.0 : 1.0) *
                           (ui.fonts.small->FontSize + 6.0 * ui.scale);
  LabelPlacer labels(
      Rect{canvas.x0, canvas.y0 + top_lines, canvas.x1, canvas.y1 - 44.0 * ui.scale});
  for (const StationShape& st : ui.plan.stations)
    labels.avoid(t.to_screen(st.box).grown(4.0 * ui.scale));
  int32_t hovered_machine = -1;
  const int32_t hovered = draw_stations(dl, model, ui.plan, playback, kpis, t, ui, labels,
                                        ImGui::GetIO().MousePos, mouse_in_canvas, hovered_machine);
  // A click (not a drag, which pans) selects the machine under the mouse, or its station's first.
  if (mouse_in_canvas && ImGui::IsMouseReleased(ImGuiMouseButton_Left) &&
      ImGui::GetIO().MouseDragMaxDistanceSqr[ImGuiMouseButton_Left] < 16.0f) {
    if (hovered_machine >= 0) {
      ui.selected_machine = hovered_machine;
    } else if (hovered >= 0) {
      ui.selected_machine =
          static_cast<int32_t>(model.stations[static_cast<size_t>(hovered)].first_machine);
    }
  }
  draw_nodes(dl, model, ui.plan, playback.state(), t, ui, labels);
  draw_legend(dl, canvas, ui);
  draw_scale_bar(dl, canvas, t, ui);
  draw_hint(dl, canvas, ui, ui.plan.automatic);
  if (ui.real != nullptr && ui.real->present) {
    // What the split machines mean, top left of the plan, below the hint line.
    const char* key = "each machine: recorded (real) mode above, the twin's below";
    const float pad = 12.0f * ui.scale;
    const float y = px(canvas.y0) + pad + ui.fonts.small->FontSize + 6.0f * ui.scale;
    draw_text(dl, ui.fonts.small, {px(canvas.x0) + pad, y}, to_imu32(kStationLabel), key);
  }
  dl->PopClipRect();
  if (mouse_in_canvas && !ImGui::IsItemActive()) draw_tooltip(model, playback, kpis, hovered);
  draw_view_switch(canvas, ui);
  ImGui::End();
}

}  // namespace twin::viewer
