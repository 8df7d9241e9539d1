#include "core/run/replications.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "core/scene/load.h"
#include "models/process/line_model.h"
#include "tests/support/scenes.h"

namespace twin {
namespace {

Model load_small() {
  return test::load_scene_or_fail(test::kSmallLine, "small.yaml").model;
}

ReplicationOptions small_options(unsigned threads) {
  ReplicationOptions o;
  o.replications = 6;
  o.horizon_s = 4 * 3600.0;
  o.warmup_s = 600.0;
  o.seed = 7;
  o.threads = threads;
  return o;
}

TEST(Replications, IdenticalForOneAndTwoThreads) {
  const Model model = load_small();
  const ReplicationResults one = run_replications(model, small_options(1));
  const ReplicationResults two = run_replications(model, small_options(2));
  const ReplicationResults three = run_replications(model, small_options(3));
  ASSERT_EQ(one.replications(), 6u);
  ASSERT_FALSE(one.metrics.empty());
  ASSERT_EQ(one.metrics.size(), two.metrics.size());
  ASSERT_EQ(one.metrics.size(), three.metrics.size());
  for (size_t i = 0; i < one.metrics.size(); ++i) {
    EXPECT_EQ(one.metrics[i].key, two.metrics[i].key);
    EXPECT_EQ(one.metrics[i].values, two.metrics[i].values) << one.metrics[i].key;
    EXPECT_EQ(one.metrics[i].values, three.metrics[i].values) << one.metrics[i].key;
    EXPECT_EQ(one.metrics[i].interval.mean, two.metrics[i].interval.mean);
    EXPECT_EQ(one.metrics[i].interval.half_width, two.metrics[i].interval.half_width);
  }
  for (size_t r = 0; r < one.replications(); ++r) {
    EXPECT_EQ(one.kpis[r].trace_hash, two.kpis[r].trace_hash);
    EXPECT_EQ(one.kpis[r].events, two.kpis[r].events);
  }
}

TEST(Replications, ReplicationsDifferAndSummariesMatchValues) {
  const Model model = load_small();
  const ReplicationResults res = run_replications(model, small_options(2));
  EXPECT_EQ(res.seed, 7u);
  EXPECT_EQ(res.horizon_s, 4 * 3600.0);
  EXPECT_EQ(res.warmup_s, 600.0);
  // Different replication indices draw different numbers.
  EXPECT_NE(res.kpis[0].trace_hash, res.kpis[1].trace_hash);
  for (const MetricSummary& m : res.metrics) {
    ASSERT_EQ(m.values.size(), 6u) << m.key;
    EXPECT_EQ(m.interval.n, 6u);
    double sum = 0.0, lo = m.values[0], hi = m.values[0];
    for (double v : m.values) {
      sum += v;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    EXPECT_NEAR(m.interval.mean, sum / 6.0, 1e-9 * (1.0 + std::abs(sum)));
    EXPECT_EQ(m.min, lo);
    EXPECT_EQ(m.max, hi);
    EXPECT_GE(m.interval.half_width, 0.0);
    EXPECT_EQ(res.find(m.key), &m);
  }
  EXPECT_EQ(res.find("no.such.metric"), nullptr);
}

TEST(Replications, SameAsSingleRunReplication) {
  const Model model = load_small();
  const ReplicationResults res = run_replications(model, small_options(2));
  RunOptions run;
  run.horizon_s = 4 * 3600.0;
  run.warmup_s = 600.0;
  run.seed = 7;
  run.replication = 4;
  const ReplicationKpis k = run_replication(model, run);
  EXPECT_EQ(k.trace_hash, res.kpis[4].trace_hash);
  EXPECT_EQ(k.line.throughput_per_h, res.kpis[4].line.throughput_per_h);
}

TEST(Replications, ProgressFromCallingThreadOnlyAndEndsAtTotal) {
  const Model model = load_small();
  ReplicationOptions o = small_options(2);
  o.progress_interval_s = 0.0;
  const std::thread::id caller = std::this_thread::get_id();
  std::vector<std::pair<size_t, size_t>> calls;
  bool other_thread = false;
  o.progress = [&](size_t done, size_t total) {
    if (std::this_thread::get_id() != caller) other_thread = true;
    calls.emplace_back(done, total);
  };
  run_replications(model, o);
  EXPECT_FALSE(other_thread);
  ASSERT_FALSE(calls.empty());
  EXPECT_EQ(calls.back(), std::make_pair(size_t{6}, size_t{6}));
  for (size_t i = 1; i < calls.size(); ++i) EXPECT_LE(calls[i - 1].first, calls[i].first);
}

TEST(Replications, EffectiveThreads) {
  EXPECT_EQ(effective_threads(4, 2), 2u);
  EXPECT_EQ(effective_threads(1, 10), 1u);
  EXPECT_EQ(effective_threads(3, 10), 3u);
  EXPECT_GE(effective_threads(0, 100), 1u);
  EXPECT_EQ(effective_threads(5, 0), 1u);
}

TEST(Replications, SummarizeMetric) {
  const MetricSummary m = summarize_metric("x", {3.0, 1.0, 2.0});
  EXPECT_EQ(m.key, "x");
  EXPECT_DOUBLE_EQ(m.interval.mean, 2.0);
  EXPECT_EQ(m.min, 1.0);
  EXPECT_EQ(m.max, 3.0);
  EXPECT_EQ(m.values.size(), 3u);
}

}  // namespace
}  // namespace twin
