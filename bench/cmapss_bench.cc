// RUL prediction on NASA C-MAPSS FD001 (replay/cmapss_reader.h, models/rul/rul_regressor.h):
// fits the ridge baseline on the 100 training engines only, predicts each test engine's RUL at
// its last cycle and reports RMSE and the PHM08 score against RUL_FD001.txt. Data directory:
// $TWIN_CMAPSS_DIR, else <source>/../shared/data/cmapss, else /work/shared/data/cmapss; the
// benchmark is skipped with a message when the files are not there.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "models/rul/rul_regressor.h"
#include "replay/cmapss_reader.h"

namespace twin {
namespace {

std::string cmapss_dir() {
  if (const char* env = std::getenv("TWIN_CMAPSS_DIR")) return env;
  std::string rel(TWIN_SOURCE_DIR);
  rel.append("/../shared/data/cmapss");
  if (std::filesystem::exists(rel + "/train_FD001.txt")) return rel;
  return "/work/shared/data/cmapss";
}

std::vector<RulUnit> rul_units(const std::vector<CmapssUnit>& units) {
  std::vector<RulUnit> out(units.size());
  for (size_t k = 0; k < units.size(); ++k) out[k].x = units[k].x;
  return out;
}

void BM_CmapssFD001(benchmark::State& bench) {
  const std::string dir = cmapss_dir();
  const CmapssTrajectories train = read_cmapss_trajectories(dir + "/train_FD001.txt");
  const CmapssTrajectories test = read_cmapss_trajectories(dir + "/test_FD001.txt");
  const CmapssRul truth = read_cmapss_rul(dir + "/RUL_FD001.txt");
  for (const std::optional<CmapssError>* e : {&train.error, &test.error, &truth.error}) {
    if (*e) {
      std::string msg("C-MAPSS FD001 data missing or bad (set TWIN_CMAPSS_DIR): ");
      msg.append((*e)->to_string());
      std::fprintf(stderr, "%s\n", msg.c_str());
      bench.SkipWithError(msg.c_str());
      return;
    }
  }
  if (truth.rul.size() != test.units.size()) {
    bench.SkipWithError("RUL_FD001.txt and test_FD001.txt disagree on the number of units");
    return;
  }
  const std::vector<RulUnit> training = rul_units(train.units);
  RulModel model;
  std::vector<double> predicted(test.units.size());
  double fit_s = 0.0;
  for (auto _ : bench) {
    const auto t0 = std::chrono::steady_clock::now();
    model = fit_rul_regressor(training);
    fit_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (size_t k = 0; k < test.units.size(); ++k)
      predicted[k] = predict_rul(model, test.units[k].x);
    benchmark::DoNotOptimize(predicted.data());
  }
  const double e = rmse(predicted, truth.rul);
  const double s = phm08_score(predicted, truth.rul);
  bench.counters["rmse"] = e;
  bench.counters["phm08"] = s;
  bench.counters["units"] = static_cast<double>(test.units.size());
  bench.counters["fit_s"] = fit_s;
  bench.counters["lambda"] = model.lambda;
  double cv = model.cv_rmse.front();  // cross-validated RMSE over training rows, chosen lambda
  for (const double c : model.cv_rmse) cv = std::min(cv, c);
  bench.counters["cv_rmse"] = cv;
  bench.counters["kept_channels"] = static_cast<double>(model.kept.size());
  // The 90 % interval: how often it holds the (capped) true RUL, and how wide it is.
  size_t covered = 0;
  double width = 0.0;
  for (size_t k = 0; k < test.units.size(); ++k) {
    const RulInterval iv = predict_rul_interval(model, test.units[k].x);
    const double t = std::min(truth.rul[k], model.options.cap);
    if (t >= iv.low && t <= iv.high) ++covered;
    width += iv.high - iv.low;
  }
  const double coverage = static_cast<double>(covered) / static_cast<double>(test.units.size());
  bench.counters["interval90_coverage"] = coverage;
  bench.counters["interval90_width"] = width / static_cast<double>(test.units.size());
  std::fprintf(stderr,
               "C-MAPSS FD001: RMSE %.2f, PHM08 score %.0f over %zu test units (published: CNN "
               "18.45, LSTM 16.14); 90%% interval holds the capped true RUL for %.0f%% of the "
               "units, mean width %.1f cycles\n",
               e, s, test.units.size(), coverage * 100.0,
               width / static_cast<double>(test.units.size()));
}
BENCHMARK(BM_CmapssFD001)->Name("CmapssFD001")->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace twin
