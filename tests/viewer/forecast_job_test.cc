// The viewer's background forecast (viewer/forecast_job.h): its numbers are core forecast()'s bit
// for bit (predicted failures included), its fan starts at the good parts so far and ends at the
// quantiles of the end, and it can be cancelled, refuses a second start while running and counts
// its progress.
#include "viewer/forecast_job.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "core/run/forecast.h"
#include "core/stats/summary.h"
#include "models/process/line_model.h"
#include "tests/support/scenes.h"

namespace twin::viewer {
namespace {

using Clock = std::chrono::steady_clock;
constexpr double kShift = 8 * 3600.0;

const Model& machining20() {
  return test::sample_model("machining20.yaml");
}

const Model& small_line() {
  static const Model model = test::load_scene_or_fail(test::kSmallLine, "small.yaml").model;
  return model;
}

// Tests may wait (the UI never does): polls until the job left kRunning or `limit` passed.
JobState wait_end(const ForecastJob& job, std::chrono::seconds limit = std::chrono::seconds(120)) {
  const auto until = Clock::now() + limit;
  while (job.state() == JobState::kRunning && Clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return job.state();
}

// The line model's own run at `fraction` of the shift, as telemetry would see it.
ObservedLine observe_run(const Model& model, double fraction, uint64_t seed) {
  LineState s;
  RunOptions run;
  run.horizon_s = kShift;
  run.seed = seed;
  init_state(model, run, s);
  advance_to(model, s, fraction * kShift);
  return observe_state(model, s);
}

ForecastOptions options(size_t reps, uint64_t seed, unsigned threads = 2) {
  ForecastOptions o;
  o.replications = reps;
  o.shift_end_s = kShift;
  o.seed = seed;
  o.threads = threads;
  return o;
}

void expect_same_numbers(const Forecast& got, const Forecast& want) {
  EXPECT_EQ(got.at_s, want.at_s);
  EXPECT_EQ(got.shift_end_s, want.shift_end_s);
  EXPECT_EQ(got.good_so_far, want.good_so_far);
  EXPECT_EQ(got.good_at_end, want.good_at_end);  // bit for bit, replication by replication
  EXPECT_EQ(got.mean.mean, want.mean.mean);
  EXPECT_EQ(got.mean.half_width, want.mean.half_width);
  EXPECT_EQ(got.p05, want.p05);
  EXPECT_EQ(got.p95, want.p95);
}

TEST(ForecastJob, ResultEqualsCoreForecastWithAndWithoutPredictedFailures) {
  const Model& model = machining20();
  const ObservedLine observed = observe_run(model, 0.35, 12);
  ForecastOptions plain = options(40, 21);
  ForecastOptions with_rul = plain;
  with_rul.predicted_failures.push_back({5, 2400.0, 1200.0, 5400.0, 1800.0});
  with_rul.predicted_failures.push_back({11, 3600.0, 1800.0, 9000.0, 0.0});

  ForecastJob job;
  EXPECT_EQ(job.state(), JobState::kIdle);
  EXPECT_EQ(job.result(), nullptr);
  EXPECT_EQ(job.runs(), 0u);
  std::vector<double> ends;
  for (const ForecastOptions* o : {&plain, &with_rul}) {
    ASSERT_TRUE(job.start(model, observed, *o));
    ASSERT_EQ(wait_end(job), JobState::kDone) << job.error();
    const Forecast* got = job.result();
    ASSERT_NE(got, nullptr);
    EXPECT_TRUE(job.error().empty());
    // Without a fan (the fan leaves the end unchanged) and with the viewer's fan.
    const Forecast want = forecast(model, observed, *o);
    expect_same_numbers(*got, want);
    ForecastOptions fanned = *o;
    fanned.fan_steps = kViewerFanSteps;
    const Forecast want_fan = forecast(model, observed, fanned);
    expect_same_numbers(*got, want_fan);
    EXPECT_EQ(got->fan.t_s, want_fan.fan.t_s);
    EXPECT_EQ(got->fan.p05, want_fan.fan.p05);
    EXPECT_EQ(got->fan.p50, want_fan.fan.p50);
    EXPECT_EQ(got->fan.p95, want_fan.fan.p95);
    ends.push_back(got->mean.mean);
  }
  EXPECT_EQ(job.runs(), 2u);
  // The predicted failures count: two machines down for a while make fewer parts.
  ASSERT_EQ(ends.size(), 2u);
  EXPECT_LT(ends[1], ends[0]);
}

TEST(ForecastJob, FanStartsAtThePartsSoFarRisesAndEndsAtTheQuantilesOfTheEnd) {
  const Model& model = machining20();
  const ObservedLine observed = observe_run(model, 0.3, 9);
  ForecastJob job;
  ASSERT_TRUE(job.start(model, observed, options(60, 31)));
  ASSERT_EQ(wait_end(job), JobState::kDone) << job.error();
  const Forecast& f = *job.result();
  const ForecastFan& fan = f.fan;
  ASSERT_EQ(fan.t_s.size(), kViewerFanSteps + 1);
  ASSERT_EQ(fan.p05.size(), fan.t_s.size());
  ASSERT_EQ(fan.p50.size(), fan.t_s.size());
  ASSERT_EQ(fan.p95.size(), fan.t_s.size());
  EXPECT_EQ(fan.t_s.front(), f.at_s);
  EXPECT_EQ(fan.t_s.front(), observed.calendar_s);
  EXPECT_EQ(fan.t_s.back(), kShift);
  const double so_far = static_cast<double>(f.good_so_far);
  EXPECT_GT(so_far, 0.0);
  EXPECT_EQ(fan.p05.front(), so_far);
  EXPECT_EQ(fan.p50.front(), so_far);
  EXPECT_EQ(fan.p95.front(), so_far);
  for (size_t c = 1; c < fan.t_s.size(); ++c) {
    EXPECT_GT(fan.t_s[c], fan.t_s[c - 1]);
    EXPECT_GE(fan.p05[c], fan.p05[c - 1]) << c;
    EXPECT_GE(fan.p50[c], fan.p50[c - 1]) << c;
    EXPECT_GE(fan.p95[c], fan.p95[c - 1]) << c;
    EXPECT_LE(fan.p05[c], fan.p50[c]) << c;
    EXPECT_LE(fan.p50[c], fan.p95[c]) << c;
  }
  EXPECT_EQ(fan.p05.back(), quantile(f.good_at_end, 0.05));
  EXPECT_EQ(fan.p50.back(), quantile(f.good_at_end, 0.50));
  EXPECT_EQ(fan.p95.back(), quantile(f.good_at_end, 0.95));
  EXPECT_EQ(fan.p05.back(), f.p05);
  EXPECT_EQ(fan.p95.back(), f.p95);
  EXPECT_GT(fan.p50.back(), so_far);  // 70 % of a shift makes parts
}

// Enough work that a run lasts many seconds: cancelling has to cut it short.
TEST(ForecastJob, CancelEndsQuicklyAndAStartWhileRunningIsRefused) {
  const Model& model = machining20();
  const ObservedLine observed = observe_run(model, 0.1, 3);
  ForecastJob job;
  ASSERT_TRUE(job.start(model, observed, options(100000, 5)));
  EXPECT_EQ(job.state(), JobState::kRunning);
  EXPECT_EQ(job.progress().total, 100000u);
  // Busy: a second start is refused and changes nothing.
  EXPECT_FALSE(job.start(model, observed, options(10, 5)));
  EXPECT_EQ(job.runs(), 1u);
  EXPECT_EQ(job.progress().total, 100000u);
  // Let it make some progress, then cancel.
  const auto until = Clock::now() + std::chrono::seconds(30);
  while (job.progress().done == 0 && Clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  EXPECT_GT(job.progress().done, 0u);
  const auto t0 = Clock::now();
  job.cancel();
  EXPECT_EQ(wait_end(job, std::chrono::seconds(20)), JobState::kCancelled);
  const double took = std::chrono::duration<double>(Clock::now() - t0).count();
  EXPECT_LT(took, 2.0) << "a replication of the rest of a shift takes milliseconds";
  EXPECT_LT(job.progress().done, 100000u);
  EXPECT_EQ(job.result(), nullptr);
  EXPECT_TRUE(job.error().empty());

  // Free again: the next start runs to the end, unaffected by the earlier cancel.
  ASSERT_TRUE(job.start(model, observed, options(12, 5)));
  EXPECT_EQ(job.runs(), 2u);
  ASSERT_EQ(wait_end(job), JobState::kDone) << job.error();
  ASSERT_NE(job.result(), nullptr);
  expect_same_numbers(*job.result(), forecast(model, observed, options(12, 5)));
}

// The job counts its own progress and uses its own cancel flag: a caller's flag (set) and
// counter in the options are replaced.
TEST(ForecastJob, ProgressReachesTotalAndTheCallersFlagsAreReplaced) {
  const Model& model = small_line();
  const ObservedLine observed = observe_run(model, 0.5, 4);
  std::atomic<bool> caller_cancel{true};
  std::atomic<size_t> caller_done{0};
  ForecastOptions o = options(30, 8, 1);
  o.cancel = &caller_cancel;
  o.done = &caller_done;
  ForecastJob job;
  ASSERT_TRUE(job.start(model, observed, o));
  ASSERT_EQ(wait_end(job), JobState::kDone) << job.error();
  const JobProgress p = job.progress();
  EXPECT_EQ(p.total, 30u);
  EXPECT_EQ(p.done, p.total);
  EXPECT_EQ(caller_done.load(), 0u);
  ASSERT_NE(job.result(), nullptr);
  EXPECT_EQ(job.result()->good_at_end.size(), 30u);
  // A second run counts from zero again.
  ASSERT_TRUE(job.start(model, observed, options(7, 8, 1)));
  ASSERT_EQ(wait_end(job), JobState::kDone) << job.error();
  EXPECT_EQ(job.progress().done, 7u);
  EXPECT_EQ(job.progress().total, 7u);
}

// Destroying a running job cancels it and joins the worker (no hang, no crash).
TEST(ForecastJob, DestructorStopsARunningJob) {
  const Model& model = machining20();
  const ObservedLine observed = observe_run(model, 0.1, 3);
  const auto t0 = Clock::now();
  {
    ForecastJob job;
    ASSERT_TRUE(job.start(model, observed, options(100000, 5)));
  }
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - t0).count(), 5.0);
}

}  // namespace
}  // namespace twin::viewer
