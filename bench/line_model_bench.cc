// Speed of the line model on the bundled 20-station sample: events per second on one core,
// replications per second of an 8-hour shift on all cores, and the cost of forking a running
// State. These print figures; they never fail on time. scripts/bench.sh runs them and keeps
// the results in bench/results/<machine>/.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>

#include "core/run/replications.h"
#include "core/scene/load.h"
#include "models/process/line_model.h"

namespace twin {
namespace {

const Model& machining20() {
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

// One core, events per second: a long run (30 days of the line) through the event loop.
void BM_EventsPerSecond_Machining20(benchmark::State& bench) {
  const Model& model = machining20();
  RunOptions o;
  o.horizon_s = 30 * 24 * 3600.0;
  o.seed = 1;
  LineState s;
  uint64_t events = 0;
  for (auto _ : bench) {
    init_state(model, o, s);
    advance_to(model, s, o.horizon_s);
    events += s.events_processed;
  }
  bench.counters["events_per_s"] =
      benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
  bench.counters["events_per_run"] = static_cast<double>(s.events_processed);
}
BENCHMARK(BM_EventsPerSecond_Machining20)->Unit(benchmark::kMillisecond)->UseRealTime();

// All cores: replications of an 8-hour shift (KPIs included), as `twin simulate` runs them.
void BM_ReplicationsPerSecond_Machining20_Shift(benchmark::State& bench) {
  const Model& model = machining20();
  ReplicationOptions o;
  o.replications = 200;
  o.horizon_s = kShift;
  o.seed = 1;
  o.threads = static_cast<unsigned>(bench.range(0));
  size_t reps = 0;
  for (auto _ : bench) {
    ReplicationResults r = run_replications(model, o);
    benchmark::DoNotOptimize(r.metrics.data());
    reps += r.replications();
  }
  bench.counters["replications_per_s"] =
      benchmark::Counter(static_cast<double>(reps), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ReplicationsPerSecond_Machining20_Shift)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The State of the 20-station line 4 hours into a shift.
LineState mid_shift_state() {
  const Model& model = machining20();
  RunOptions o;
  o.horizon_s = kShift;
  o.seed = 1;
  LineState running;
  init_state(model, o, running);
  advance_to(model, running, kShift / 2);
  return running;
}

// Fork: copying a running State (what a what-if from "now" costs).
void BM_ForkRunningState_Machining20(benchmark::State& bench) {
  const LineState running = mid_shift_state();
  LineState fork;
  for (auto _ : bench) {
    fork = running;
    benchmark::DoNotOptimize(fork.now);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_ForkRunningState_Machining20)->Unit(benchmark::kMicrosecond);

// Fork into fresh memory (allocating), the worst case.
void BM_ForkRunningStateFresh_Machining20(benchmark::State& bench) {
  const LineState running = mid_shift_state();
  for (auto _ : bench) {
    LineState fork = running;
    benchmark::DoNotOptimize(fork.now);
  }
}
BENCHMARK(BM_ForkRunningStateFresh_Machining20)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace twin
