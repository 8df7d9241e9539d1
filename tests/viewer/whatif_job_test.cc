#include "viewer/whatif_job.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/run/whatif.h"
#include "core/scene/load.h"
#include "tests/support/scenes.h"

namespace twin::viewer {
namespace {

using Clock = std::chrono::steady_clock;

// Tests may wait (the UI never does): polls until the job left kRunning or `limit` passed.
JobState wait_end(const WhatIfJob& job, std::chrono::seconds limit = std::chrono::seconds(60)) {
  const auto until = Clock::now() + limit;
  while (job.state() == JobState::kRunning && Clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return job.state();
}

WhatIfSettings small_settings() {
  WhatIfSettings s;
  s.replications = 6;
  s.hours = 4.0;
  s.warmup_hours = 0.25;
  s.seed = 11;
  s.threads = 2;
  return s;
}

// Enough work that a run lasts many seconds: cancellation has to cut it short.
WhatIfSettings long_settings() {
  WhatIfSettings s;
  s.replications = 2000;
  s.hours = 100.0;
  s.seed = 3;
  s.threads = 2;
  return s;
}

std::string error_text(const std::vector<SceneError>& errors) {
  std::string text;
  for (const SceneError& e : errors) text += e.to_string() + "\n";
  return text;
}

void expect_same(const ReplicationResults& a, const ReplicationResults& b) {
  EXPECT_EQ(a.seed, b.seed);
  EXPECT_EQ(a.horizon_s, b.horizon_s);
  EXPECT_EQ(a.warmup_s, b.warmup_s);
  ASSERT_EQ(a.metrics.size(), b.metrics.size());
  for (size_t i = 0; i < a.metrics.size(); ++i) {
    EXPECT_EQ(a.metrics[i].key, b.metrics[i].key);
    EXPECT_EQ(a.metrics[i].values, b.metrics[i].values) << a.metrics[i].key;  // bit for bit
  }
}

TEST(WhatIfJob, ResultsEqualDirectRunWhatIf) {
  const SceneLoadResult base = test::load_scene_or_fail(test::kSmallLine, "small.yaml");
  const std::vector<std::string> sets = {"buffers[B1].capacity=8",
                                         "stations[S2].cycle_time.exponential.mean=8"};
  WhatIfJob job;
  EXPECT_EQ(job.state(), JobState::kIdle);
  EXPECT_EQ(job.results(), nullptr);
  std::vector<SceneError> errors;
  ASSERT_TRUE(job.start(base.scene, "small.yaml", base.model, sets, small_settings(), errors))
      << error_text(errors);
  ASSERT_EQ(wait_end(job), JobState::kDone) << job.error();
  const WhatIfResults* got = job.results();
  ASSERT_NE(got, nullptr);
  const JobProgress pr = job.progress();
  EXPECT_EQ(pr.total, 12u);
  EXPECT_EQ(pr.done, pr.total);
  EXPECT_GT(job.elapsed_s(), 0.0);

  // The same inputs the way `twin whatif --set ... --set ...` builds them.
  Variant v;
  v.name = "custom";
  for (const std::string& s : sets) v.assignments.push_back({s, "--set", 0, 0});
  std::vector<PreparedVariant> prepared(1);
  ASSERT_TRUE(prepare_variant(base.scene, "small.yaml", v, prepared[0], errors));
  ReplicationOptions o;
  o.replications = 6;
  o.warmup_s = 0.25 * 3600.0;
  o.horizon_s = (0.25 + 4.0) * 3600.0;
  o.seed = 11;
  o.threads = 1;  // thread count must not matter
  const WhatIfResults direct = run_whatif(base.model, prepared, o);

  expect_same(got->base, direct.base);
  ASSERT_EQ(got->variants.size(), 1u);
  const VariantResult& a = got->variants[0];
  const VariantResult& b = direct.variants[0];
  EXPECT_EQ(a.name, "custom");
  EXPECT_EQ(a.assignments, sets);
  expect_same(a.results, b.results);
  ASSERT_EQ(a.differences.size(), b.differences.size());
  for (size_t i = 0; i < a.differences.size(); ++i) {
    EXPECT_EQ(a.differences[i].key, b.differences[i].key);
    EXPECT_EQ(a.differences[i].differences, b.differences[i].differences);
    EXPECT_EQ(a.differences[i].difference.mean, b.differences[i].difference.mean);
    EXPECT_EQ(a.differences[i].difference.half_width, b.differences[i].difference.half_width);
    EXPECT_EQ(a.differences[i].significant, b.differences[i].significant);
  }
  // The change does something, so the comparison above is not between two empty runs.
  const MetricDifference* tp = a.find("line.throughput_per_h");
  ASSERT_NE(tp, nullptr);
  EXPECT_NE(tp->difference.mean, 0.0);
}

TEST(WhatIfJob, SingleAssignmentVariantIsNamedAfterIt) {
  const SceneLoadResult base = test::load_scene_or_fail(test::kSmallLine, "small.yaml");
  WhatIfJob job;
  std::vector<SceneError> errors;
  WhatIfSettings s = small_settings();
  s.replications = 2;
  ASSERT_TRUE(
      job.start(base.scene, "small.yaml", base.model, {"buffers[B1].capacity=6"}, s, errors));
  ASSERT_EQ(wait_end(job), JobState::kDone);
  EXPECT_EQ(job.results()->variants[0].name, "buffers[B1].capacity=6");  // as the CLI names it
}

TEST(WhatIfJob, CancelMidRunEndsPromptly) {
  const SceneLoadResult base = test::load_scene_or_fail(test::kSmallLine, "small.yaml");
  WhatIfJob job;
  std::vector<SceneError> errors;
  ASSERT_TRUE(job.start(base.scene, "small.yaml", base.model, {"buffers[B1].capacity=8"},
                        long_settings(), errors));
  EXPECT_EQ(job.state(), JobState::kRunning);
  // Wait for some progress so the cancel lands mid-run, not before the first replication.
  const auto until = Clock::now() + std::chrono::seconds(30);
  while (job.progress().done == 0 && Clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_GT(job.progress().done, 0u);
  ASSERT_EQ(job.state(), JobState::kRunning) << "finished before it could be cancelled";
  const auto t0 = Clock::now();
  job.cancel();
  EXPECT_TRUE(job.cancel_requested());
  EXPECT_EQ(wait_end(job, std::chrono::seconds(10)), JobState::kCancelled);
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(3));
  EXPECT_EQ(job.results(), nullptr);
  EXPECT_LT(job.progress().done, job.progress().total);

  // The job can run again after a cancel, and then finishes normally.
  ASSERT_TRUE(job.start(base.scene, "small.yaml", base.model, {"buffers[B1].capacity=8"},
                        small_settings(), errors))
      << error_text(errors);
  EXPECT_EQ(wait_end(job), JobState::kDone);
  EXPECT_EQ(job.progress().done, 12u);
}

TEST(WhatIfJob, StartWhileRunningIsRefused) {
  const SceneLoadResult base = test::load_scene_or_fail(test::kSmallLine, "small.yaml");
  WhatIfJob job;
  std::vector<SceneError> errors;
  ASSERT_TRUE(job.start(base.scene, "small.yaml", base.model, {"buffers[B1].capacity=8"},
                        long_settings(), errors));
  EXPECT_FALSE(job.start(base.scene, "small.yaml", base.model, {"buffers[B1].capacity=9"},
                         small_settings(), errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].message.find("in progress"), std::string::npos);
  EXPECT_EQ(job.assignments(), std::vector<std::string>{"buffers[B1].capacity=8"});
  job.cancel();
  EXPECT_EQ(wait_end(job), JobState::kCancelled);
}

TEST(WhatIfJob, BadAssignmentNamesThePathAndStartsNothing) {
  const SceneLoadResult base = test::load_scene_or_fail(test::kSmallLine, "small.yaml");
  WhatIfJob job;
  std::vector<SceneError> errors;
  EXPECT_FALSE(job.start(base.scene, "small.yaml", base.model,
                         {"buffers[B1].capacity=6", "stations[S9].cycle_time=5s"}, small_settings(),
                         errors));
  ASSERT_EQ(errors.size(), 1u) << error_text(errors);
  EXPECT_EQ(errors[0].path, "stations[S9].cycle_time");
  EXPECT_NE(errors[0].message.find("S9"), std::string::npos) << errors[0].message;
  EXPECT_EQ(job.state(), JobState::kIdle);
  EXPECT_EQ(job.progress().total, 0u);
  EXPECT_EQ(job.elapsed_s(), 0.0);  // never started

  // A variant that parses but does not compile: the capacity is below the initial fill.
  errors.clear();
  EXPECT_FALSE(job.start(base.scene, "small.yaml", base.model, {"buffers[B1].initial=9"},
                         small_settings(), errors));
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors[0].path.rfind("buffers[", 0), 0u) << errors[0].to_string();
  EXPECT_EQ(job.state(), JobState::kIdle);

  errors.clear();
  EXPECT_FALSE(job.start(base.scene, "small.yaml", base.model, {}, small_settings(), errors));
  EXPECT_EQ(errors.size(), 1u);
  EXPECT_EQ(job.state(), JobState::kIdle);
}

TEST(WhatIfJob, DestructorDuringRunDoesNotHang) {
  const SceneLoadResult base = test::load_scene_or_fail(test::kSmallLine, "small.yaml");
  auto job = std::make_unique<WhatIfJob>();
  std::vector<SceneError> errors;
  ASSERT_TRUE(job->start(base.scene, "small.yaml", base.model, {"buffers[B1].capacity=8"},
                         long_settings(), errors));
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_EQ(job->state(), JobState::kRunning);
  const auto t0 = Clock::now();
  job.reset();
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(3));
}

TEST(WhatIfJob, OptionsAreTheCliOnes) {
  WhatIfSettings s;
  s.replications = 7;
  s.hours = 8.0;
  s.warmup_hours = 1.5;
  s.seed = 99;
  const ReplicationOptions o = replication_options(s);
  EXPECT_EQ(o.replications, 7u);
  EXPECT_EQ(o.warmup_s, 1.5 * 3600.0);
  EXPECT_EQ(o.horizon_s, (1.5 + 8.0) * 3600.0);
  EXPECT_EQ(o.seed, 99u);
  EXPECT_EQ(o.cancel, nullptr);
}

}  // namespace
}  // namespace twin::viewer
