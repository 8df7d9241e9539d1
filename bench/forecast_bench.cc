// Throughput from now: one forecast of the bundled 20-station line (machining20) to the end of
// an 8-hour shift with 200 replications, forked at 0 % and at 50 % of the shift, on 1 and 2
// threads. Target (issue 6): under 1 s on 2 cores. Prints figures; never fails on time.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/run/forecast.h"
#include "core/scene/load.h"
#include "models/process/line_model.h"

namespace twin {
namespace {

const Model& machining20_model() {
  static const Model model = [] {
    SceneLoadResult r = load_scene_file(std::string(TWIN_SOURCE_DIR) + "/scenes/machining20.yaml");
    if (!r.ok()) {
      for (const SceneError& e : r.errors) std::fprintf(stderr, "%s\n", e.to_string().c_str());
      std::abort();
    }
    return r.model;
  }();
  return model;
}

constexpr double kShift = 8 * 3600.0;

// The line as telemetry would see it at `fraction` of the shift (a run of the line model).
ObservedLine observed_at(double fraction) {
  const Model& model = machining20_model();
  if (fraction <= 0.0) return ObservedLine{};
  LineState s;
  RunOptions run;
  run.horizon_s = kShift;
  run.seed = 1;
  init_state(model, run, s);
  advance_to(model, s, fraction * kShift);
  return observe_state(model, s);
}

// Args: percent of the shift at the fork, threads.
void BM_Forecast_Machining20_200Reps(benchmark::State& bench) {
  const Model& model = machining20_model();
  const ObservedLine observed = observed_at(static_cast<double>(bench.range(0)) / 100.0);
  ForecastOptions o;
  o.replications = 200;
  o.shift_end_s = kShift;
  o.seed = 1;
  o.threads = static_cast<unsigned>(bench.range(1));
  ForecastWorkspace ws;
  for (auto _ : bench) {
    const Forecast f = forecast(model, observed, o, &ws);
    benchmark::DoNotOptimize(f.mean.mean);
  }
}
BENCHMARK(BM_Forecast_Machining20_200Reps)
    ->ArgNames({"at_pct", "threads"})
    ->Args({0, 1})
    ->Args({0, 2})
    ->Args({50, 1})
    ->Args({50, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The fork alone: infer the levels and build one replication's State from the observation.
void BM_Fork_Machining20(benchmark::State& bench) {
  const Model& model = machining20_model();
  const ObservedLine observed = infer_node_levels(model, observed_at(0.5));
  RunOptions run;
  run.horizon_s = kShift;
  run.seed = 1;
  LineState s;
  for (auto _ : bench) {
    init_state_from(model, run, observed, s);
    ++run.replication;
    benchmark::DoNotOptimize(s.events_processed);
  }
}
BENCHMARK(BM_Fork_Machining20)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace twin
