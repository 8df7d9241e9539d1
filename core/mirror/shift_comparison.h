// Real beside twin: the KPIs computed from a replayed shift's telemetry against the twin's
// prediction of the same shift (replications of the scene's process model over the same
// window), key by key, with the error of each; and the cumulative good parts over time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/model/model.h"
#include "core/stats/summary.h"
#include "models/process/kpi.h"

namespace twin {

struct ShiftPrediction {
  std::vector<double> checkpoints_s;         // [s] from the window start
  std::vector<std::vector<double>> good_at;  // [checkpoint][replication] cumulative good
  std::vector<ReplicationKpis> kpis;         // per replication, at the window end
  std::vector<std::string> keys;             // flatten_kpis keys
  std::vector<std::vector<double>> values;   // [key][replication]
};

// Runs `replications` of the model from an empty line over [0, horizon_s] with the scenario
// seed, statistics from `warmup_s` (the start of the compared window), recording the line's
// good parts since then at each checkpoint ([s] from time 0, each >= warmup_s). Single-threaded
// and deterministic (replication r uses stream index r, as twin simulate does).
ShiftPrediction predict_shift(const Model& model, double horizon_s, double warmup_s,
                              size_t replications, uint64_t seed,
                              const std::vector<double>& checkpoints_s);

struct ComparisonRow {
  std::string key;  // flatten_kpis key, e.g. "station.Mill_OP40.oee"
  double real = 0.0;
  Interval twin;                // mean and 95% confidence interval of the mean
  double twin_p05 = 0.0;        // 5th and 95th percentiles over replications: where one shift
  double twin_p95 = 0.0;        // of the twin falls, the band to judge the real one against
  double error = 0.0;           // real - twin mean
  double relative_error = 0.0;  // error / |twin mean| (0 when the mean is 0)
  bool inside_band = false;     // p05 <= real <= p95
};

// The rows telemetry can answer: line good parts, throughput, scrap, OEE; per station
// throughput, availability, performance, quality, OEE and the share of each mode.
std::vector<ComparisonRow> compare_kpis(const Model& model, const ReplicationKpis& real,
                                        const ShiftPrediction& twin);

}  // namespace twin
