#include "core/report/table.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

namespace twin {

const std::array<const char*, kModeCount> kModeLabels = {"busy", "starved", "blocked",
                                                         "down", "setup",   "off"};
const std::array<const char*, kModeCount> kModeColors = {"#4caf50", "#ffc107", "#ff7043",
                                                         "#d32f2f", "#42a5f5", "#9e9e9e"};

const std::vector<Figure>& line_figures() {
  static const std::vector<Figure> figures = {
      {"line.throughput_per_h", "throughput", "parts/h", 1.0, 1, +1,
       [](const ReplicationKpis& k) { return k.line.throughput_per_h; }},
      {"line.wip_mean", "WIP", "parts", 1.0, 2, -1,
       [](const ReplicationKpis& k) { return k.line.wip_mean; }},
      {"line.lead_time_mean_s", "lead time", "min", 1.0 / 60.0, 2, -1,
       [](const ReplicationKpis& k) { return k.line.lead_time_mean_s; }},
      {"line.oee", "OEE", "%", 100.0, 1, +1, [](const ReplicationKpis& k) { return k.line.oee; }},
      {"line.energy_per_good_part_kwh", "energy per good part", "kWh", 1.0, 3, -1,
       [](const ReplicationKpis& k) { return k.line.energy_per_good_part_kwh; }},
  };
  return figures;
}

BottleneckSummary summarize_bottleneck(const Model& model, const ReplicationResults& results) {
  BottleneckSummary b;
  const size_t n_stations = model.stations.size();
  b.shares.assign(n_stations, 0.0);
  const size_t n = results.replications();
  if (n == 0) return b;
  for (const ReplicationKpis& k : results.kpis) {
    for (size_t s = 0; s < n_stations && s < k.stations.size(); ++s) {
      b.shares[s] += (k.stations[s].bottleneck_sole + k.stations[s].bottleneck_shifting) /
                     static_cast<double>(n);
    }
  }
  for (size_t s = 0; s < n_stations; ++s) {
    if (b.station < 0 || b.shares[s] > b.share) {
      b.station = static_cast<int32_t>(s);
      b.share = b.shares[s];
    }
  }
  for (const ReplicationKpis& k : results.kpis) {
    if (k.line.bottleneck_station == b.station) ++b.replications;
  }
  return b;
}

std::array<double, kModeCount> mode_shares(const ReplicationResults& results, size_t s) {
  std::array<double, kModeCount> shares{};
  const size_t n = results.replications();
  for (const ReplicationKpis& k : results.kpis) {
    if (s >= k.stations.size() || !(k.line.window_s > 0.0)) continue;
    for (int m = 0; m < kModeCount; ++m) {
      shares[m] += k.stations[s].time_in_mode[m] / k.line.window_s / static_cast<double>(n);
    }
  }
  return shares;
}

std::string format_number(double value, int decimals) {
  if (!std::isfinite(value)) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  std::string s = buf;
  if (s.find_first_not_of("-0.") == std::string::npos && s[0] == '-') s.erase(0, 1);  // "-0.0"
  return s;
}

// At least `decimals`, and enough to show two significant digits of the half-width (so a
// small figure such as 0.0104 kWh per bottle is not printed as 0.010 ± 0.000).
int decimals_for(const Interval& interval, double scale, int decimals) {
  const double hw = interval.half_width * std::fabs(scale);
  if (interval.n < 2 || !std::isfinite(hw) || hw <= 0.0) return decimals;
  const int needed = static_cast<int>(std::ceil(-std::log10(hw))) + 1;
  return std::clamp(needed, decimals, 6);
}

std::string format_interval(const Interval& interval, double scale, int decimals) {
  decimals = decimals_for(interval, scale, decimals);
  std::string s = format_number(interval.mean * scale, decimals);
  if (interval.n >= 2 && std::isfinite(interval.half_width)) {
    s += " \u00b1 " + format_number(interval.half_width * std::fabs(scale), decimals);
  }
  return s;
}

std::string format_difference(const Interval& interval, double scale, int decimals) {
  decimals = decimals_for(interval, scale, decimals);
  std::string mean = format_number(interval.mean * scale, decimals);
  if (mean != "-" && mean[0] != '-') mean = "+" + mean;
  if (interval.n >= 2 && std::isfinite(interval.half_width)) {
    mean += " \u00b1 " + format_number(interval.half_width * std::fabs(scale), decimals);
  }
  return mean;
}

std::string format_percent_change(double pct) {
  if (!std::isfinite(pct)) return "-";
  std::string s = format_number(pct, 1);
  if (s[0] != '-') s = "+" + s;
  return s + "%";
}

namespace {

// Display width of UTF-8 text: one column per code point.
size_t display_width(const std::string& s) {
  size_t w = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++w;
  }
  return w;
}

// At most `max` columns; longer text ends in "~".
std::string clip(const std::string& s, size_t max) {
  if (display_width(s) <= max) return s;
  std::string out;
  size_t w = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if ((c & 0xC0) != 0x80) {
      if (w + 1 >= max) break;
      ++w;
    }
    out += s[i];
  }
  return out + "~";
}

constexpr size_t kMaxNameWidth = 24;

struct Column {
  std::string heading;
  bool right = true;  // numbers right-aligned, names left-aligned
};

class TextTable {
 public:
  explicit TextTable(std::vector<Column> columns) : columns_(std::move(columns)) {}
  void add_row(std::vector<std::string> row) { rows_.push_back(std::move(row)); }

  void print(std::ostream& out) const {
    std::vector<size_t> widths(columns_.size(), 0);
    for (size_t c = 0; c < columns_.size(); ++c) {
      widths[c] = display_width(columns_[c].heading);
      for (const auto& row : rows_) {
        if (c < row.size()) widths[c] = std::max(widths[c], display_width(row[c]));
      }
    }
    std::vector<std::string> headings;
    for (const Column& c : columns_) headings.push_back(c.heading);
    print_row(out, headings, widths);
    std::vector<std::string> rule;
    for (size_t w : widths) rule.push_back(std::string(w, '-'));
    print_row(out, rule, widths);
    for (const auto& row : rows_) print_row(out, row, widths);
  }

 private:
  void print_row(std::ostream& out, const std::vector<std::string>& row,
                 const std::vector<size_t>& widths) const {
    std::string line = "  ";
    for (size_t c = 0; c < columns_.size(); ++c) {
      const std::string cell = c < row.size() ? row[c] : std::string();
      const std::string pad(widths[c] - std::min(widths[c], display_width(cell)), ' ');
      if (c > 0) line += "  ";
      line += columns_[c].right ? pad + cell : cell + pad;
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
  }

  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

std::string figure_heading(const Figure& f) {
  return std::string(f.label) + " [" + f.unit + "]";
}

std::string run_description(const ReplicationResults& results) {
  const double observed_h = (results.horizon_s - results.warmup_s) / 3600.0;
  return std::to_string(results.replications()) +
         (results.replications() == 1 ? " replication, " : " replications, ") +
         format_number(observed_h, 2) + " h observed after " +
         format_number(results.warmup_s / 3600.0, 2) + " h warm-up, seed " +
         std::to_string(results.seed);
}

void print_line_table(std::ostream& out, const Model& model, const ReplicationResults& results) {
  out << "Line KPIs (mean \u00b1 95% CI half-width)\n";
  TextTable table({{"KPI", false}, {"value", true}});
  for (const Figure& f : line_figures()) {
    table.add_row(
        {figure_heading(f), format_interval(interval_of(results, f.get), f.scale, f.decimals)});
  }
  table.print(out);
  const BottleneckSummary b = summarize_bottleneck(model, results);
  if (b.station >= 0) {
    out << "  bottleneck: " << clip(model.stations[b.station].name, kMaxNameWidth) << " (share "
        << format_number(100.0 * b.share, 1) << "% of the window; line bottleneck in "
        << b.replications << " of " << results.replications() << " replications)\n";
  }
  // A deadlock explains a throughput that stops: say where it is.
  size_t deadlocked = 0;
  const ReplicationKpis* example = nullptr;
  for (const ReplicationKpis& k : results.kpis) {
    if (k.line.deadlock_stations.empty()) continue;
    ++deadlocked;
    if (example == nullptr) example = &k;
  }
  if (example != nullptr) {
    out << "  WARNING: the line is deadlocked at the end of " << deadlocked << " of "
        << results.replications() << " replications: circular blocking through";
    for (uint32_t st : example->line.deadlock_stations) out << " " << model.stations[st].name;
    out << " (a loop whose buffers are all full; give the loop more room)\n";
  }
}

void print_station_table(std::ostream& out, const Model& model, const ReplicationResults& results) {
  out << "Stations (mean over replications; modes in % of the observation window; "
         "* = bottleneck)\n";
  std::vector<Column> columns = {{"station", false}, {"util %", true}};
  for (const char* label : kModeLabels) columns.push_back({label, true});
  columns.push_back({"OEE %", true});
  columns.push_back({"parts/h", true});
  columns.push_back({"bottleneck %", true});
  TextTable table(std::move(columns));
  const BottleneckSummary b = summarize_bottleneck(model, results);
  for (size_t s = 0; s < model.stations.size(); ++s) {
    std::vector<std::string> row;
    const bool is_bottleneck = static_cast<int32_t>(s) == b.station;
    row.push_back((is_bottleneck ? "* " : "  ") + clip(model.stations[s].name, kMaxNameWidth));
    auto station = [s](double StationKpis::*field) {
      return [s, field](const ReplicationKpis& k) {
        return s < k.stations.size() ? k.stations[s].*field : 0.0;
      };
    };
    row.push_back(
        format_interval(interval_of(results, station(&StationKpis::utilization)), 100.0, 1));
    for (double share : mode_shares(results, s)) row.push_back(format_number(100.0 * share, 1));
    row.push_back(format_interval(interval_of(results, station(&StationKpis::oee)), 100.0, 1));
    row.push_back(
        format_interval(interval_of(results, station(&StationKpis::throughput_per_h)), 1.0, 1));
    row.push_back(format_number(100.0 * b.shares[s], 1));
    table.add_row(std::move(row));
  }
  table.print(out);
}

}  // namespace

void print_simulation_tables(std::ostream& out, const Model& model,
                             const ReplicationResults& results) {
  out << model.name << ": " << run_description(results) << "\n\n";
  print_line_table(out, model, results);
  out << '\n';
  print_station_table(out, model, results);
}

void print_whatif_table(std::ostream& out, const Model& base_model, const WhatIfResults& results) {
  out << base_model.name << ": what-if, " << run_description(results.base)
      << ", common random numbers\n\n";
  auto bottleneck_name = [](const Model& model, const ReplicationResults& r) {
    const BottleneckSummary b = summarize_bottleneck(model, r);
    return b.station >= 0 ? clip(model.stations[b.station].name, kMaxNameWidth) : std::string("-");
  };
  out << "Variants (bottleneck of the base: " << bottleneck_name(base_model, results.base) << ")\n";
  for (const VariantResult& v : results.variants) {
    out << "  " << v.name << ":";
    for (const std::string& a : v.assignments) out << ' ' << a;
    out << "  (bottleneck: " << bottleneck_name(v.model, v.results) << ")\n";
  }
  out << "\nWhat-if differences (variant - base, mean \u00b1 95% CI of paired differences; "
         "* = significant)\n";
  TextTable table({{"KPI", false},
                   {"variant", false},
                   {"base", true},
                   {"variant value", true},
                   {"difference", true},
                   {"change", true},
                   {"", false}});
  for (const Figure& f : line_figures()) {
    const std::vector<double> base_values = values_of(results.base, f.get);
    bool first = true;
    for (const VariantResult& v : results.variants) {
      const MetricDifference d = compare_values(f.key, base_values, values_of(v.results, f.get));
      table.add_row({first ? figure_heading(f) : std::string(), clip(v.name, kMaxNameWidth),
                     format_interval(d.base, f.scale, f.decimals),
                     format_interval(d.variant, f.scale, f.decimals),
                     format_difference(d.difference, f.scale, f.decimals),
                     format_percent_change(d.relative_pct), d.significant ? "*" : ""});
      first = false;
    }
  }
  table.print(out);
}

}  // namespace twin
