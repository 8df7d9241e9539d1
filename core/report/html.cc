#include "core/report/html.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <vector>

#include "core/report/table.h"

namespace twin {

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

bool write_text_file(const std::string& path, const std::string& text, std::string& error) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) {
    error = "cannot open " + path + " for writing";
    return false;
  }
  out << text;
  out.flush();
  if (!out) {
    error = "cannot write " + path;
    return false;
  }
  return true;
}

namespace {

constexpr const char* kStyle = R"css(
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 24px auto;
       max-width: 1100px; padding: 0 16px; color: #222; background: #fafafa; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.2em; margin-top: 1.8em; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.meta { color: #666; margin-top: 0; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; }
.card { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 10px 14px;
        min-width: 150px; }
.card .label { color: #666; font-size: 0.85em; }
.card .value { font-size: 1.4em; font-weight: 600; }
.card .ci { color: #666; font-size: 0.85em; }
.card.bottleneck { border-color: #d32f2f; }
table { border-collapse: collapse; background: #fff; font-size: 0.9em; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: right; }
th { background: #f0f0f0; }
td.name, th.name { text-align: left; }
tr.bottleneck td { background: #fdecea; font-weight: 600; }
svg { background: #fff; border: 1px solid #ddd; border-radius: 6px; display: block;
      margin: 8px 0; }
svg text { font-size: 12px; fill: #222; }
svg .axis { stroke: #999; stroke-width: 1; }
svg .grid { stroke: #eee; stroke-width: 1; }
svg .zero { stroke: #555; stroke-width: 1.5; }
svg .bar { fill: #5c8fd6; }
svg .bar.hot { fill: #d32f2f; }
svg .bar.muted { fill: #bbb; }
svg .bar.good { fill: #2e7d32; }
svg .bar.bad { fill: #c62828; }
svg .ci { stroke: #222; stroke-width: 1.5; }
svg .hotlabel { font-weight: 700; fill: #d32f2f; }
svg .small { font-size: 11px; fill: #666; }
.legend { display: flex; gap: 14px; flex-wrap: wrap; font-size: 0.9em; margin: 6px 0; }
.legend span.swatch { display: inline-block; width: 12px; height: 12px; margin-right: 4px;
                      vertical-align: -1px; border-radius: 2px; }
.note { color: #666; font-size: 0.85em; }
)css";

std::string num(double v) {
  if (!std::isfinite(v)) return "0";
  return format_number(v, 1);
}

// About five round ticks covering [lo, hi].
std::vector<double> nice_ticks(double lo, double hi) {
  std::vector<double> ticks;
  const double span = hi - lo;
  if (!(span > 0.0) || !std::isfinite(span)) return {lo};
  const double raw = span / 5.0;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    step = m * mag;
    if (step >= raw) break;
  }
  for (double t = std::ceil(lo / step) * step; t <= hi + 1e-9 * span; t += step) {
    ticks.push_back(std::fabs(t) < 1e-12 * span ? 0.0 : t);
  }
  return ticks;
}

int tick_decimals(const std::vector<double>& ticks) {
  if (ticks.size() < 2) return 0;
  const double step = ticks[1] - ticks[0];
  double scaled = step;
  for (int d = 0; d < 6; ++d, scaled *= 10.0) {
    if (std::fabs(scaled - std::round(scaled)) < 1e-6 * scaled) return d;
  }
  return 6;
}

struct BarRow {
  std::string label;   // raw; escaped when drawn
  double value = 0.0;  // display units
  double lo = 0.0, hi = 0.0;
  bool has_ci = false;
  std::string css = "bar";  // "bar", "bar hot", "bar muted"
  bool hot_label = false;
  std::string value_text;  // raw; escaped when drawn
};

size_t label_chars(const std::vector<std::string>& labels) {
  size_t n = 4;
  for (const std::string& l : labels) n = std::max(n, std::min<size_t>(l.size(), 28));
  return n;
}

size_t label_chars(const std::vector<BarRow>& rows) {
  std::vector<std::string> labels;
  for (const BarRow& r : rows) labels.push_back(r.label);
  return label_chars(labels);
}

std::string clip_label(const std::string& s) {
  return s.size() <= 28 ? s : s.substr(0, 27) + "~";
}

// Horizontal bars from 0 to each value over the axis [dmin, dmax], with optional CI whiskers.
std::string bar_chart(const std::vector<BarRow>& rows, double dmin, double dmax,
                      const std::string& axis_label, const std::string& title) {
  if (!(dmax > dmin)) dmax = dmin + 1.0;
  const double label_w = 16.0 + 8.0 * static_cast<double>(label_chars(rows));
  const double plot_w = 560.0, value_w = 170.0, row_h = 22.0, top = 10.0;
  const double width = label_w + plot_w + value_w;
  const double height = top + row_h * static_cast<double>(rows.size()) + 40.0;
  auto x = [&](double v) {
    return label_w + plot_w * (std::clamp(v, dmin, dmax) - dmin) / (dmax - dmin);
  };
  std::ostringstream s;
  s << "<svg width=\"" << num(width) << "\" height=\"" << num(height) << "\" viewBox=\"0 0 "
    << num(width) << ' ' << num(height) << "\" role=\"img\" aria-label=\"" << html_escape(title)
    << "\"><title>" << html_escape(title) << "</title>\n";
  const std::vector<double> ticks = nice_ticks(dmin, dmax);
  const int dec = tick_decimals(ticks);
  const double plot_bottom = top + row_h * static_cast<double>(rows.size());
  for (double t : ticks) {
    s << "<line class=\"" << (t == 0.0 ? "zero" : "grid") << "\" x1=\"" << num(x(t)) << "\" y1=\""
      << num(top) << "\" x2=\"" << num(x(t)) << "\" y2=\"" << num(plot_bottom)
      << "\"/><text class=\"small\" x=\"" << num(x(t)) << "\" y=\"" << num(plot_bottom + 14)
      << "\" text-anchor=\"middle\">" << format_number(t, dec) << "</text>\n";
  }
  s << "<text class=\"small\" x=\"" << num(label_w + plot_w / 2) << "\" y=\""
    << num(plot_bottom + 32) << "\" text-anchor=\"middle\">" << html_escape(axis_label)
    << "</text>\n";
  for (size_t i = 0; i < rows.size(); ++i) {
    const BarRow& r = rows[i];
    const double y = top + row_h * static_cast<double>(i);
    const double mid = y + row_h / 2;
    const double x0 = x(std::max(0.0, dmin)), x1 = x(r.value);
    s << "<text x=\"" << num(label_w - 6) << "\" y=\"" << num(mid + 4) << "\" text-anchor=\"end\""
      << (r.hot_label ? " class=\"hotlabel\"" : "") << ">" << html_escape(clip_label(r.label))
      << "</text>";
    s << "<rect class=\"" << r.css << "\" x=\"" << num(std::min(x0, x1)) << "\" y=\"" << num(y + 4)
      << "\" width=\"" << num(std::fabs(x1 - x0)) << "\" height=\"" << num(row_h - 8)
      << "\"><title>" << html_escape(r.label + ": " + r.value_text) << "</title></rect>";
    if (r.has_ci) {
      const double a = x(r.lo), b = x(r.hi);
      s << "<line class=\"ci\" x1=\"" << num(a) << "\" y1=\"" << num(mid) << "\" x2=\"" << num(b)
        << "\" y2=\"" << num(mid) << "\"/><line class=\"ci\" x1=\"" << num(a) << "\" y1=\""
        << num(mid - 5) << "\" x2=\"" << num(a) << "\" y2=\"" << num(mid + 5)
        << "\"/><line class=\"ci\" x1=\"" << num(b) << "\" y1=\"" << num(mid - 5) << "\" x2=\""
        << num(b) << "\" y2=\"" << num(mid + 5) << "\"/>";
    }
    s << "<text x=\"" << num(label_w + plot_w + 8) << "\" y=\"" << num(mid + 4) << "\">"
      << html_escape(r.value_text) << "</text>\n";
  }
  s << "<line class=\"axis\" x1=\"" << num(label_w) << "\" y1=\"" << num(plot_bottom) << "\" x2=\""
    << num(label_w + plot_w) << "\" y2=\"" << num(plot_bottom) << "\"/>\n";
  s << "</svg>\n";
  return s.str();
}

// Upper end of an axis from 0 that holds every bar and whisker.
double axis_max(const std::vector<BarRow>& rows) {
  double m = 0.0;
  for (const BarRow& r : rows) m = std::max({m, r.value, r.has_ci ? r.hi : 0.0});
  return m > 0.0 ? m * 1.05 : 1.0;
}

std::string legend() {
  std::ostringstream s;
  s << "<div class=\"legend\">";
  for (int m = 0; m < kModeCount; ++m) {
    s << "<span><span class=\"swatch\" style=\"background:" << kModeColors[m] << "\"></span>"
      << kModeLabels[m] << "</span>";
  }
  s << "</div>\n";
  return s.str();
}

// One stacked bar per station: share of the observation window in each mode.
std::string mode_chart(const Model& model, const ReplicationResults& results, int32_t hot) {
  std::vector<std::string> labels;
  for (const Station& st : model.stations) labels.push_back(st.name);
  const double label_w = 16.0 + 8.0 * static_cast<double>(label_chars(labels));
  const double plot_w = 560.0, row_h = 22.0, top = 10.0;
  const double width = label_w + plot_w + 20.0;
  const double plot_bottom = top + row_h * static_cast<double>(model.stations.size());
  const double height = plot_bottom + 40.0;
  std::ostringstream s;
  s << "<svg width=\"" << num(width) << "\" height=\"" << num(height) << "\" viewBox=\"0 0 "
    << num(width) << ' ' << num(height)
    << "\" role=\"img\" aria-label=\"time in mode per station\"><title>time in mode per "
       "station</title>\n";
  for (int t = 0; t <= 100; t += 25) {
    const double xt = label_w + plot_w * t / 100.0;
    s << "<line class=\"grid\" x1=\"" << num(xt) << "\" y1=\"" << num(top) << "\" x2=\"" << num(xt)
      << "\" y2=\"" << num(plot_bottom) << "\"/><text class=\"small\" x=\"" << num(xt) << "\" y=\""
      << num(plot_bottom + 14) << "\" text-anchor=\"middle\">" << t << "</text>\n";
  }
  s << "<text class=\"small\" x=\"" << num(label_w + plot_w / 2) << "\" y=\""
    << num(plot_bottom + 32) << "\" text-anchor=\"middle\">% of the observation window</text>\n";
  for (size_t i = 0; i < model.stations.size(); ++i) {
    const double y = top + row_h * static_cast<double>(i);
    const bool is_hot = static_cast<int32_t>(i) == hot;
    s << "<text x=\"" << num(label_w - 6) << "\" y=\"" << num(y + row_h / 2 + 4)
      << "\" text-anchor=\"end\"" << (is_hot ? " class=\"hotlabel\"" : "") << ">"
      << html_escape(clip_label(model.stations[i].name)) << "</text>";
    const std::array<double, kModeCount> shares = mode_shares(results, i);
    double x = label_w;
    for (int m = 0; m < kModeCount; ++m) {
      const double w = plot_w * std::clamp(shares[m], 0.0, 1.0);
      if (w <= 0.0) continue;
      s << "<rect x=\"" << num(x) << "\" y=\"" << num(y + 4) << "\" width=\"" << num(w)
        << "\" height=\"" << num(row_h - 8) << "\" fill=\"" << kModeColors[m] << "\"><title>"
        << html_escape(model.stations[i].name) << ": " << kModeLabels[m] << ' '
        << format_number(100.0 * shares[m], 1) << "%</title></rect>";
      x += w;
    }
    s << '\n';
  }
  s << "</svg>\n";
  return s.str();
}

std::string page_start(const std::string& title) {
  std::ostringstream s;
  s << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>"
    << html_escape(title) << "</title>\n<style>" << kStyle << "</style>\n</head>\n<body>\n";
  return s.str();
}

std::string run_meta(const ReplicationResults& results) {
  return std::to_string(results.replications()) +
         (results.replications() == 1 ? " replication, " : " replications, ") +
         format_number((results.horizon_s - results.warmup_s) / 3600.0, 2) + " h observed after " +
         format_number(results.warmup_s / 3600.0, 2) + " h warm-up, seed " +
         std::to_string(results.seed) + "; intervals are 95% confidence intervals of the mean";
}

std::string kpi_cards(const Model& model, const ReplicationResults& results) {
  std::ostringstream s;
  s << "<div class=\"cards\">\n";
  for (const Figure& f : line_figures()) {
    const Interval iv = interval_of(results, f.get);
    s << "<div class=\"card\"><div class=\"label\">" << html_escape(f.label) << " ["
      << html_escape(f.unit) << "]</div><div class=\"value\">"
      << format_number(iv.mean * f.scale, f.decimals) << "</div><div class=\"ci\">";
    if (iv.n >= 2) {
      s << "&plusmn; " << format_number(iv.half_width * std::fabs(f.scale), f.decimals);
    } else {
      s << "single replication";
    }
    s << "</div></div>\n";
  }
  const BottleneckSummary b = summarize_bottleneck(model, results);
  if (b.station >= 0) {
    s << "<div class=\"card bottleneck\"><div class=\"label\">bottleneck</div>"
      << "<div class=\"value\">" << html_escape(model.stations[b.station].name)
      << "</div><div class=\"ci\">share " << format_number(100.0 * b.share, 1) << "%, "
      << b.replications << " of " << results.replications() << " replications</div></div>\n";
  }
  s << "</div>\n";
  return s.str();
}

double station_value(const ReplicationKpis& k, size_t s, double StationKpis::*field) {
  return s < k.stations.size() ? k.stations[s].*field : 0.0;
}

std::string station_section(const Model& model, const ReplicationResults& results) {
  const BottleneckSummary b = summarize_bottleneck(model, results);
  std::ostringstream s;
  std::vector<BarRow> util, tput, bottleneck;
  for (size_t i = 0; i < model.stations.size(); ++i) {
    const bool hot = static_cast<int32_t>(i) == b.station;
    const std::string& name = model.stations[i].name;
    const Interval u = interval_of(results, [i](const ReplicationKpis& k) {
      return station_value(k, i, &StationKpis::utilization);
    });
    const Interval t = interval_of(results, [i](const ReplicationKpis& k) {
      return station_value(k, i, &StationKpis::throughput_per_h);
    });
    const std::string css = hot ? "bar hot" : "bar";
    util.push_back({name, 100.0 * u.mean, 100.0 * u.lo(), 100.0 * u.hi(), u.n >= 2, css, hot,
                    format_interval(u, 100.0, 1) + " %"});
    tput.push_back(
        {name, t.mean, t.lo(), t.hi(), t.n >= 2, css, hot, format_interval(t, 1.0, 1) + " /h"});
    bottleneck.push_back({name, 100.0 * b.shares[i], 0, 0, false, css, hot,
                          format_number(100.0 * b.shares[i], 1) + " %"});
  }
  s << "<h2>Station utilization</h2>\n<p class=\"note\">Mean over replications with 95% "
       "confidence interval; the bottleneck station is drawn in red.</p>\n"
    << bar_chart(util, 0.0, std::max(100.0, axis_max(util)), "utilization [%]",
                 "station utilization");
  s << "<h2>Station throughput</h2>\n"
    << bar_chart(tput, 0.0, axis_max(tput), "good parts per hour", "station throughput");
  s << "<h2>Time in mode</h2>\n<p class=\"note\">Share of the observation window per machine "
       "mode, mean over the station's machines and the replications.</p>\n"
    << legend() << mode_chart(model, results, b.station);
  s << "<h2>Bottleneck share</h2>\n<p class=\"note\">Share of the window in which the station "
       "is the sole or a shifting bottleneck (active-period method), mean over "
       "replications.</p>\n"
    << bar_chart(bottleneck, 0.0, std::max(100.0, axis_max(bottleneck)), "bottleneck share [%]",
                 "bottleneck share");

  s << "<h2>Stations</h2>\n<table>\n<tr><th class=\"name\">station</th><th>util %</th>";
  for (const char* label : kModeLabels) s << "<th>" << label << " %</th>";
  s << "<th>OEE %</th><th>parts/h</th><th>bottleneck %</th></tr>\n";
  for (size_t i = 0; i < model.stations.size(); ++i) {
    const bool hot = static_cast<int32_t>(i) == b.station;
    s << "<tr" << (hot ? " class=\"bottleneck\"" : "") << "><td class=\"name\">"
      << html_escape(model.stations[i].name) << "</td><td>" << html_escape(util[i].value_text)
      << "</td>";
    for (double share : mode_shares(results, i)) {
      s << "<td>" << format_number(100.0 * share, 1) << "</td>";
    }
    const Interval oee = interval_of(
        results, [i](const ReplicationKpis& k) { return station_value(k, i, &StationKpis::oee); });
    s << "<td>" << html_escape(format_interval(oee, 100.0, 1)) << "</td><td>"
      << html_escape(format_interval(interval_of(results,
                                                 [i](const ReplicationKpis& k) {
                                                   return station_value(
                                                       k, i, &StationKpis::throughput_per_h);
                                                 }),
                                     1.0, 1))
      << "</td><td>" << format_number(100.0 * b.shares[i], 1) << "</td></tr>\n";
  }
  s << "</table>\n";
  return s.str();
}

}  // namespace

std::string simulation_html(const Model& model, const ReplicationResults& results) {
  std::ostringstream s;
  s << page_start("twin: " + model.name) << "<h1>" << html_escape(model.name) << "</h1>\n"
    << "<p class=\"meta\">" << html_escape(run_meta(results)) << "</p>\n"
    << "<h2>Line KPIs</h2>\n"
    << kpi_cards(model, results) << station_section(model, results) << "</body>\n</html>\n";
  return s.str();
}

std::string whatif_html(const Model& base_model, const WhatIfResults& results) {
  std::ostringstream s;
  s << page_start("twin what-if: " + base_model.name)
    << "<h1>What-if: " << html_escape(base_model.name) << "</h1>\n<p class=\"meta\">"
    << html_escape(run_meta(results.base))
    << ". Base and variants use the same seed and replication indices (common random numbers); "
       "differences are paired, variant minus base.</p>\n";
  s << "<h2>Variants</h2>\n<table>\n<tr><th class=\"name\">variant</th><th "
       "class=\"name\">changes</th></tr>\n";
  for (const VariantResult& v : results.variants) {
    std::string changes;
    for (const std::string& a : v.assignments) changes += (changes.empty() ? "" : ", ") + a;
    s << "<tr><td class=\"name\">" << html_escape(v.name) << "</td><td class=\"name\">"
      << html_escape(changes) << "</td></tr>\n";
  }
  s << "</table>\n";
  s << "<h2>Differences</h2>\n<p class=\"note\">Variant minus base with the 95% confidence "
       "interval of the paired differences. * marks a significant difference (the interval "
       "excludes 0): green when it is an improvement, red when it is worse; grey bars are not "
       "significant.</p>\n";
  for (const Figure& f : line_figures()) {
    const std::vector<double> base_values = values_of(results.base, f.get);
    std::vector<BarRow> rows;
    double extent = 0.0;
    for (const VariantResult& v : results.variants) {
      const MetricDifference d = compare_values(f.key, base_values, values_of(v.results, f.get));
      const Interval& iv = d.difference;
      BarRow r;
      r.label = v.name;
      r.value = iv.mean * f.scale;
      r.has_ci = iv.n >= 2;
      r.lo = std::min(iv.lo(), iv.hi()) * f.scale;
      r.hi = std::max(iv.lo(), iv.hi()) * f.scale;
      const bool improves = iv.mean * f.better > 0.0;
      r.css = !d.significant ? "bar muted" : improves ? "bar good" : "bar bad";
      r.value_text = format_difference(iv, f.scale, f.decimals) + " (" +
                     format_percent_change(d.relative_pct) + ")" + (d.significant ? " *" : "");
      for (double v2 : {r.value, r.lo, r.hi}) {
        if (std::isfinite(v2)) extent = std::max(extent, std::fabs(v2));
      }
      rows.push_back(std::move(r));
    }
    if (!(extent > 0.0)) extent = 1.0;
    extent *= 1.1;
    const Interval base = summarize(base_values);
    s << "<h3>" << html_escape(f.label) << " [" << html_escape(f.unit) << "]</h3>\n"
      << "<p class=\"note\">base " << html_escape(format_interval(base, f.scale, f.decimals))
      << "</p>\n"
      << bar_chart(rows, -extent, extent,
                   std::string("difference in ") + f.label + " [" + f.unit + "]",
                   std::string("difference in ") + f.label);
  }
  s << "<h2>Base: line KPIs</h2>\n"
    << kpi_cards(base_model, results.base) << station_section(base_model, results.base);
  s << "</body>\n</html>\n";
  return s.str();
}

}  // namespace twin
