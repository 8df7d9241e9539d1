// Speed of the physics conveyors: 1,000 parts on 10 accumulating belts (a ConveyorGroup of
// ConveyorLines, on 1 or 2 threads), stepped at 60 Hz of simulated time (each 1/60 s is 4 fixed
// steps of 1/240 s). Reports simulated seconds per wall second (>= 1 is real time). Prints
// figures; never fails on time.
#include <benchmark/benchmark.h>

#include <vector>

#include "models/physics/conveyor_group.h"

namespace twin {
namespace {

constexpr int kLines = 10;
constexpr int kPartsPerLine = 100;
constexpr double kPitch = 0.25;  // [m] spacing of the parts at the start

// A 25 m belt at 0.5 m/s loaded with 100 parts 0.25 m apart (0.2 m long), fed and taken off
// every 0.5 s so the count stays near 100: parts ride, and the front ones queue at the stop.
ConveyorLineSpec loaded_line() {
  ConveyorLineSpec s;
  s.belt = BeltSpec{.length_m = kPartsPerLine * kPitch, .width_m = 0.4, .speed_mps = 0.5};
  s.parts = {PartSpec{.size_x = 0.2, .size_y = 0.15, .size_z = 0.1, .mass_kg = 1.0}};
  s.consumer_cycle_s = 0.5;
  for (int i = 0; i < kPartsPerLine; ++i) s.initial_x_m.push_back(0.1 + kPitch * i);
  for (int i = 0; i < 4000; ++i) s.feed.push_back(FeedItem{.time_s = 0.5 * (i + 1)});
  return s;
}

// Argument: threads stepping the ten belts (ConveyorGroup; 1: one after the other).
void BM_Physics_1000Parts_60Hz(benchmark::State& bench) {
  ConveyorGroup group(std::vector<ConveyorLineSpec>(kLines, loaded_line()),
                      static_cast<int>(bench.range(0)));
  int64_t frames = 0;
  for (auto _ : bench) {
    group.step(4);  // one 1/60 s frame
    ++frames;
  }
  int parts = 0;
  for (size_t i = 0; i < group.size(); ++i) parts += group.line(i).parts_on_belt();
  bench.counters["sim_s_per_wall_s"] =
      benchmark::Counter(static_cast<double>(frames) / 60.0, benchmark::Counter::kIsRate);
  bench.counters["parts_on_belts"] = parts;
}
BENCHMARK(BM_Physics_1000Parts_60Hz)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace twin
