// Throughput from now: forks of a running line into the line model (init_state_from) and
// forecasts of the good parts at the shift end (core/run/forecast.h).
#include "core/run/forecast.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "core/run/replications.h"
#include "models/process/line_model.h"
#include "tests/support/alloc_counter.h"
#include "tests/support/scenes.h"

namespace twin {
namespace {

constexpr double kShift = 8 * 3600.0;

const Model& machining20() {
  return test::sample_model("machining20.yaml");
}

const Model& small_line() {
  static const Model model = test::load_scene_or_fail(test::kSmallLine, "small.yaml").model;
  return model;
}

double line_output(const Model& model, const LineState& s) {
  uint64_t total = 0;
  for (uint32_t n : model.sinks) total += s.sink_count[n];
  return static_cast<double>(total);
}

ForecastOptions options(size_t reps, double end_s, uint64_t seed, unsigned threads = 2) {
  ForecastOptions o;
  o.replications = reps;
  o.shift_end_s = end_s;
  o.seed = seed;
  o.threads = threads;
  return o;
}

// (a) From time 0 and an empty line the fork is init_state itself: replication by replication
// the forecast's line output is the ordinary replications' (same seed), so their means agree.
TEST(Forecast, FromStartEqualsOrdinaryReplications) {
  for (const Model* model : {&small_line(), &machining20()}) {
    ReplicationOptions ro;
    ro.replications = 40;
    ro.horizon_s = kShift;
    ro.seed = 11;
    ro.threads = 2;
    const ReplicationResults reps = run_replications(*model, ro);
    const std::vector<double> good = values_of(
        reps, [](const ReplicationKpis& k) { return static_cast<double>(k.line.good_parts); });
    ObservedLine empty;
    const Forecast f = forecast(*model, empty, options(40, kShift, 11));
    EXPECT_EQ(f.good_so_far, 0u);
    EXPECT_EQ(f.good_at_end, good) << model->name;
    const Interval base = summarize(good);
    EXPECT_GE(f.mean.mean, base.lo()) << model->name;
    EXPECT_LE(f.mean.mean, base.hi()) << model->name;
    EXPECT_GT(f.mean.half_width, 0.0);
    EXPECT_LE(f.p05, f.mean.mean);
    EXPECT_GE(f.p95, f.mean.mean);
  }
}

// (b) Forks of the line model's own runs: the 90 % interval of a forecast from a run's State
// (as telemetry sees it: modes, elapsed times, part counts; buffers inferred) contains that run's
// actual end-of-shift count in most of 30 runs. A calibrated forecast covers about 90 %.
TEST(Forecast, IntervalCoversTheRunsOwnEnd) {
  const Model& model = machining20();
  const double fractions[] = {0.25, 0.5, 0.75};
  int inside = 0;
  int clamped_nodes = 0;
  double abs_error = 0.0;
  const int runs = 30;
  LineState s;
  for (int i = 0; i < runs; ++i) {
    RunOptions run;
    run.horizon_s = kShift;
    run.seed = 500 + static_cast<uint64_t>(i);
    init_state(model, run, s);
    const double t = fractions[i % 3] * kShift;
    advance_to(model, s, t);
    const ObservedLine observed = observe_state(model, s);
    LineState rest = s;
    advance_to(model, rest, kShift);
    const double actual = line_output(model, rest);
    const Forecast f =
        forecast(model, observed, options(100, kShift, 9000 + static_cast<uint64_t>(i)));
    EXPECT_EQ(static_cast<double>(f.good_so_far), line_output(model, s));
    clamped_nodes += static_cast<int>(f.fork.nodes_clamped);
    abs_error += std::abs(f.mean.mean - actual);
    if (actual >= f.p05 && actual <= f.p95) ++inside;
  }
  std::printf(
      "[ forecast ] own-run coverage of the 90%% interval: %d of %d; mean |error| %.1f "
      "parts; clamped node levels %d\n",
      inside, runs, abs_error / runs, clamped_nodes);
  EXPECT_GE(inside, 24);        // >= 80 %
  EXPECT_EQ(clamped_nodes, 0);  // the model's own counts are consistent
}

// Levels inferred from the part counts are the State's own contents.
TEST(Forecast, InferredLevelsMatchTheState) {
  for (const Model* model : {&small_line(), &machining20()}) {
    LineState s;
    RunOptions run;
    run.horizon_s = kShift;
    run.seed = 3;
    init_state(*model, run, s);
    for (double t : {0.3 * kShift, 0.6 * kShift}) {
      advance_to(*model, s, t);
      ForkReport report;
      infer_node_levels(*model, observe_state(*model, s), &report);
      for (size_t n = 0; n < model->nodes.size(); ++n) {
        if (model->nodes[n].kind == NodeKind::kSink) {
          EXPECT_EQ(report.node_level[n], static_cast<int64_t>(s.sink_count[n]));
        } else if (!(model->nodes[n].kind == NodeKind::kSource && model->nodes[n].saturated)) {
          EXPECT_EQ(report.node_level[n], static_cast<int64_t>(s.contents[n].count))
              << model->name << " node " << model->nodes[n].name << " at " << t;
        }
      }
      EXPECT_EQ(report.machines_inconsistent, 0u);
      EXPECT_EQ(report.nodes_clamped, 0u);
    }
  }
}

// (c) A machine observed down with a long repair lowers the forecast; so does a predicted
// failure of it.
TEST(Forecast, DownMachineAndPredictedFailureLowerIt) {
  const Model& model = small_line();
  LineState s;
  RunOptions run;
  run.horizon_s = kShift;
  run.seed = 21;
  init_state(model, run, s);
  advance_to(model, s, 2 * 3600.0);
  ObservedLine up = observe_state(model, s);
  const uint32_t s2 = model.stations[static_cast<size_t>(model.find_station("S2"))].first_machine;
  up.machines[s2].mode = Mode::kStarved;
  up.machines[s2].holding = 0;
  ObservedLine down = up;
  down.machines[s2].mode = Mode::kDown;
  down.machines[s2].repair_remaining_s = 3 * 3600.0;
  const Forecast f_up = forecast(model, up, options(100, kShift, 5));
  const Forecast f_down = forecast(model, down, options(100, kShift, 5));
  ForecastOptions with_rul = options(100, kShift, 5);
  with_rul.predicted_failures.push_back({s2, 1800.0, 900.0, 3600.0, 2 * 3600.0});
  with_rul.machine_downtime = true;
  const Forecast f_rul = forecast(model, up, with_rul);
  std::printf("[ forecast ] S2 up %.1f [%.0f, %.0f], down 3 h %.1f, predicted failure %.1f\n",
              f_up.mean.mean, f_up.p05, f_up.p95, f_down.mean.mean, f_rul.mean.mean);
  EXPECT_LT(f_down.mean.hi(), f_up.mean.lo());
  EXPECT_LT(f_rul.mean.hi(), f_up.mean.lo());
  // Two hours down for the predicted failure (the failure falls inside the shift in nearly
  // every replication), plus the model's own failures.
  ASSERT_EQ(f_rul.downtime_s.size(), model.machine_count());
  EXPECT_GT(f_rul.downtime_s[s2], 1.9 * 3600.0);
  // Good parts so far are the same in all three.
  EXPECT_EQ(f_up.good_so_far, f_down.good_so_far);
  EXPECT_EQ(f_up.good_so_far, static_cast<uint64_t>(line_output(model, s)));
}

// (d) Same inputs, same output bit for bit, on one thread or two.
TEST(Forecast, DeterministicAndIndependentOfThreads) {
  const Model& model = machining20();
  LineState s;
  RunOptions run;
  run.horizon_s = kShift;
  run.seed = 8;
  init_state(model, run, s);
  advance_to(model, s, 0.4 * kShift);
  const ObservedLine observed = observe_state(model, s);
  ForecastOptions o = options(60, kShift, 77, 1);
  o.predicted_failures.push_back({3, 3600.0, 1200.0, 7200.0, 1800.0});
  const Forecast one = forecast(model, observed, o);
  const Forecast again = forecast(model, observed, o);
  o.threads = 2;
  const Forecast two = forecast(model, observed, o);
  EXPECT_EQ(one.good_at_end, again.good_at_end);
  EXPECT_EQ(one.good_at_end, two.good_at_end);
  EXPECT_EQ(one.mean.mean, two.mean.mean);
  EXPECT_EQ(one.p05, two.p05);
  EXPECT_EQ(one.p95, two.p95);
  // A different seed gives different replications.
  o.seed = 78;
  EXPECT_NE(forecast(model, observed, o).good_at_end, one.good_at_end);
}

// The fan (good parts at steps to the shift end) leaves the numbers at the end unchanged bit for
// bit; it starts at the good parts so far, never falls, and ends at the quantiles of the end.
TEST(Forecast, FanDoesNotChangeTheEndAndEndsAtItsQuantiles) {
  const Model& model = machining20();
  LineState s;
  RunOptions run;
  run.horizon_s = kShift;
  run.seed = 9;
  init_state(model, run, s);
  advance_to(model, s, 0.3 * kShift);
  const ObservedLine observed = observe_state(model, s);
  ForecastOptions o = options(60, kShift, 31);
  o.predicted_failures.push_back({5, 3000.0, 1500.0, 6000.0, 1200.0});
  const Forecast plain = forecast(model, observed, o);
  o.fan_steps = 12;
  const Forecast fanned = forecast(model, observed, o);
  EXPECT_EQ(plain.good_at_end, fanned.good_at_end);
  EXPECT_TRUE(plain.fan.t_s.empty());
  const ForecastFan& fan = fanned.fan;
  ASSERT_EQ(fan.t_s.size(), 13u);
  ASSERT_EQ(fan.p05.size(), 13u);
  EXPECT_DOUBLE_EQ(fan.t_s.front(), 0.3 * kShift);
  EXPECT_DOUBLE_EQ(fan.t_s.back(), kShift);
  const double so_far = static_cast<double>(fanned.good_so_far);
  EXPECT_EQ(fan.p05.front(), so_far);
  EXPECT_EQ(fan.p95.front(), so_far);
  for (size_t c = 1; c < fan.t_s.size(); ++c) {
    EXPECT_GT(fan.t_s[c], fan.t_s[c - 1]);
    EXPECT_GE(fan.p05[c], fan.p05[c - 1]);
    EXPECT_GE(fan.p50[c], fan.p50[c - 1]);
    EXPECT_GE(fan.p95[c], fan.p95[c - 1]);
    EXPECT_LE(fan.p05[c], fan.p50[c]);
    EXPECT_LE(fan.p50[c], fan.p95[c]);
  }
  EXPECT_EQ(fan.p05.back(), fanned.p05);
  EXPECT_EQ(fan.p95.back(), fanned.p95);
  EXPECT_GT(fan.p50.back(), so_far);  // 70 % of a shift makes parts
}

// Progress counts every replication; a set cancel flag stops the forecast with Cancelled.
TEST(Forecast, ProgressAndCancel) {
  const Model& model = small_line();
  ObservedLine empty;
  std::atomic<size_t> done{0};
  std::atomic<bool> cancel{false};
  ForecastOptions o = options(30, kShift, 3);
  o.done = &done;
  o.cancel = &cancel;
  const Forecast f = forecast(model, empty, o);
  EXPECT_EQ(done.load(), 30u);
  EXPECT_EQ(f.good_at_end.size(), 30u);
  cancel.store(true);
  done.store(0);
  EXPECT_THROW(forecast(model, empty, o), Cancelled);
  EXPECT_EQ(done.load(), 0u);  // the flag is checked before each replication
}

// No allocation per replication once the workspace has grown: 50 replications allocate exactly
// as much as 10 (the result vectors are allocated once either way).
TEST(Forecast, NoAllocationPerReplication) {
  const Model& model = machining20();
  LineState s;
  RunOptions run;
  run.horizon_s = kShift;
  run.seed = 4;
  init_state(model, run, s);
  advance_to(model, s, 0.5 * kShift);
  const ObservedLine observed = observe_state(model, s);
  ForecastWorkspace ws;
  forecast(model, observed, options(50, kShift, 1, 1), &ws);  // grows the storage
  test::start_counting_allocations();
  forecast(model, observed, options(10, kShift, 1, 1), &ws);
  const uint64_t ten = test::stop_counting_allocations();
  test::start_counting_allocations();
  forecast(model, observed, options(50, kShift, 1, 1), &ws);
  const uint64_t fifty = test::stop_counting_allocations();
  EXPECT_EQ(fifty, ten);
}

// Breaks: a fork inside the meal break (4 h .. 4.5 h of machining20) continues from the frozen
// line; the forecast equals one from the break's start (same working time, same draws).
TEST(Forecast, ForkInsideABreakIsTheBreakStart) {
  const Model& model = machining20();
  ASSERT_FALSE(model.calendar.empty());
  LineState s;
  RunOptions run;
  run.horizon_s = kShift;
  run.seed = 2;
  init_state(model, run, s);
  advance_to(model, s, 4 * 3600.0);
  ObservedLine at_start = observe_state(model, s);
  ObservedLine inside = at_start;
  inside.calendar_s = 4.25 * 3600.0;
  const Forecast a = forecast(model, at_start, options(30, kShift, 6));
  const Forecast b = forecast(model, inside, options(30, kShift, 6));
  EXPECT_EQ(a.good_at_end, b.good_at_end);
}

}  // namespace
}  // namespace twin
