// `--report FILE.html`: one self-contained HTML page (inline CSS and SVG, no scripts, no external
// URLs) that opens offline: line KPI cards with intervals, station utilization and throughput
// with confidence intervals, time in mode per station, bottleneck shares and, for what-if runs,
// paired differences per variant with their intervals.
#pragma once

#include <string>
#include <string_view>

#include "core/model/model.h"
#include "core/run/replications.h"
#include "core/run/whatif.h"

namespace twin {

// Escapes & < > " ' for HTML text and attribute values.
std::string html_escape(std::string_view text);

std::string simulation_html(const Model& model, const ReplicationResults& results);
std::string whatif_html(const Model& base_model, const WhatIfResults& results);

// Writes `text` to `path`. Returns false and fills `error`.
bool write_text_file(const std::string& path, const std::string& text, std::string& error);

}  // namespace twin
