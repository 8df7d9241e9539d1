#include "core/mirror/shift_comparison.h"

#include <algorithm>
#include <cmath>

#include "models/process/line_model.h"
#include "models/process/line_state.h"

namespace twin {

namespace {

uint64_t sink_total(const Model& model, const LineState& s) {
  uint64_t n = 0;
  for (uint32_t sink : model.sinks) n += s.sink_count[sink];
  return n;
}

bool answerable(const std::string& key) {
  static const char* kLine[] = {"line.good_parts", "line.throughput_per_h", "line.scrapped_parts",
                                "line.oee"};
  for (const char* k : kLine) {
    if (key == k) return true;
  }
  if (!key.starts_with("station.")) return false;
  static const char* kSuffixes[] = {".throughput_per_h", ".availability",  ".performance",
                                    ".quality",          ".oee",           ".share.busy",
                                    ".share.starved",    ".share.blocked", ".share.down",
                                    ".share.setup",      ".parts_good"};
  for (const char* s : kSuffixes) {
    if (key.ends_with(s)) return true;
  }
  return false;
}

}  // namespace

ShiftPrediction predict_shift(const Model& model, double horizon_s, double warmup_s,
                              size_t replications, uint64_t seed,
                              const std::vector<double>& checkpoints_s) {
  ShiftPrediction p;
  p.checkpoints_s = checkpoints_s;
  p.good_at.assign(checkpoints_s.size(), std::vector<double>(replications, 0.0));
  LineState state;
  for (size_t r = 0; r < replications; ++r) {
    RunOptions run;
    run.horizon_s = horizon_s;
    run.warmup_s = warmup_s;
    run.seed = seed;
    run.replication = r;
    init_state(model, run, state);
    for (size_t c = 0; c < checkpoints_s.size(); ++c) {
      advance_to(model, state, std::min(checkpoints_s[c], horizon_s));
      p.good_at[c][r] = static_cast<double>(sink_total(model, state));
    }
    advance_to(model, state, horizon_s);
    p.kpis.push_back(compute_kpis(model, state));
    const std::vector<Metric> metrics = flatten_kpis(model, p.kpis.back());
    if (r == 0) {
      for (const Metric& m : metrics) p.keys.push_back(m.key);
      p.values.assign(metrics.size(), std::vector<double>(replications, 0.0));
    }
    for (size_t k = 0; k < metrics.size() && k < p.values.size(); ++k)
      p.values[k][r] = metrics[k].value;
  }
  return p;
}

std::vector<ComparisonRow> compare_kpis(const Model& model, const ReplicationKpis& real,
                                        const ShiftPrediction& twin) {
  std::vector<ComparisonRow> rows;
  const std::vector<Metric> real_metrics = flatten_kpis(model, real);
  for (const Metric& m : real_metrics) {
    if (!answerable(m.key)) continue;
    const auto it = std::find(twin.keys.begin(), twin.keys.end(), m.key);
    if (it == twin.keys.end()) continue;
    const std::vector<double>& values = twin.values[static_cast<size_t>(it - twin.keys.begin())];
    ComparisonRow row;
    row.key = m.key;
    row.real = m.value;
    row.twin = summarize(values);
    row.twin_p05 = quantile(values, 0.05);
    row.twin_p95 = quantile(values, 0.95);
    row.error = row.real - row.twin.mean;
    row.relative_error = row.twin.mean != 0.0 ? row.error / std::abs(row.twin.mean) : 0.0;
    row.inside_band = row.real >= row.twin_p05 - 1e-12 && row.real <= row.twin_p95 + 1e-12;
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace twin
