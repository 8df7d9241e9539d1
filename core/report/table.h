// Aligned text tables for the terminal: line KPIs and stations after `twin simulate`, paired
// differences after `twin whatif`. Also the figures and formatting every report shares.
#pragma once

#include <array>
#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

#include "core/model/model.h"
#include "core/run/replications.h"
#include "core/run/whatif.h"
#include "core/stats/summary.h"
#include "models/process/kpi.h"

namespace twin {

// A line figure as reports show it: display value = raw value x scale.
struct Figure {
  const char* key;    // metric key, e.g. "line.throughput_per_h"
  const char* label;  // e.g. "throughput"
  const char* unit;   // display unit, e.g. "parts/h"
  double scale;       // raw -> display (100 for a share in %, 1/60 for seconds in minutes)
  int decimals;       // digits after the point
  int better;         // +1: higher is better (throughput); -1: lower is better (lead time)
  double (*get)(const ReplicationKpis&);
};

// Throughput, WIP, lead time, OEE, energy per good part (the line KPIs every report shows).
const std::vector<Figure>& line_figures();

// Display names and colours of the machine modes, in Mode order.
extern const std::array<const char*, kModeCount> kModeLabels;  // "busy", "starved", ...
extern const std::array<const char*, kModeCount> kModeColors;  // "#4caf50", ...

// Which station was the bottleneck, over replications.
struct BottleneckSummary {
  int32_t station = -1;        // largest mean (sole + shifting) share; -1 without stations
  double share = 0.0;          // [1] its mean share
  size_t replications = 0;     // replications in which it was the line's bottleneck station
  std::vector<double> shares;  // [1] mean (sole + shifting) share per station (n_stations)
};
BottleneckSummary summarize_bottleneck(const Model& model, const ReplicationResults& results);

// Mean share of the observation window per mode for station `s` [1] (kModeCount).
std::array<double, kModeCount> mode_shares(const ReplicationResults& results, size_t s);

// "12.35", "nan" never: non-finite values print as "-".
std::string format_number(double value, int decimals);
// "412.3 ± 3.1" (or "412.3" when there is no interval), scaled for display.
std::string format_interval(const Interval& interval, double scale, int decimals);
// "+12.1 ± 2.0", always signed.
std::string format_difference(const Interval& interval, double scale, int decimals);
// "+2.9%", "-" when not finite.
std::string format_percent_change(double pct);

// Line KPIs, then one row per station.
void print_simulation_tables(std::ostream& out, const Model& model,
                             const ReplicationResults& results);
// One row per line figure and variant: base, variant, difference ± CI, % change, * if significant.
void print_whatif_table(std::ostream& out, const Model& base_model, const WhatIfResults& results);

}  // namespace twin
