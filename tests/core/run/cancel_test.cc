// Cooperative cancellation of run_replications and run_whatif (ReplicationOptions::cancel).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "core/run/replications.h"
#include "core/run/whatif.h"
#include "core/scene/load.h"
#include "tests/support/scenes.h"

namespace twin {
namespace {

ReplicationOptions options(size_t replications, double hours) {
  ReplicationOptions o;
  o.replications = replications;
  o.horizon_s = hours * 3600.0;
  o.warmup_s = 600.0;
  o.seed = 7;
  o.threads = 2;
  return o;
}

TEST(ReplicationsCancel, UnsetFlagChangesNothing) {
  const Model model = test::load_scene_or_fail(test::kSmallLine, "small.yaml").model;
  const ReplicationResults plain = run_replications(model, options(6, 4.0));
  std::atomic<bool> cancel{false};
  ReplicationOptions o = options(6, 4.0);
  o.cancel = &cancel;
  const ReplicationResults with_flag = run_replications(model, o);
  ASSERT_EQ(plain.metrics.size(), with_flag.metrics.size());
  for (size_t i = 0; i < plain.metrics.size(); ++i) {
    EXPECT_EQ(plain.metrics[i].key, with_flag.metrics[i].key);
    EXPECT_EQ(plain.metrics[i].values, with_flag.metrics[i].values) << plain.metrics[i].key;
  }
}

TEST(ReplicationsCancel, SetBeforeStartThrowsAtOnce) {
  const Model model = test::load_scene_or_fail(test::kSmallLine, "small.yaml").model;
  std::atomic<bool> cancel{true};
  ReplicationOptions o = options(1000, 200.0);  // minutes of work if it ran
  o.cancel = &cancel;
  size_t calls = 0;
  o.progress = [&](size_t, size_t) { ++calls; };
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_THROW(run_replications(model, o), Cancelled);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
  EXPECT_EQ(calls, 0u);  // not even the final (n, n) report
}

// Set from the progress callback (the calling thread) once some replications are done: the
// remaining ones never start, so the call throws instead of returning complete results.
TEST(ReplicationsCancel, SetMidRunStopsNewReplications) {
  const Model model = test::load_scene_or_fail(test::kSmallLine, "small.yaml").model;
  std::atomic<bool> cancel{false};
  ReplicationOptions o = options(2000, 100.0);
  o.cancel = &cancel;
  o.progress_interval_s = 0.001;
  size_t last_done = 0;
  o.progress = [&](size_t done, size_t) {
    last_done = done;
    cancel.store(true);
  };
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_THROW(run_replications(model, o), Cancelled);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
  EXPECT_GT(last_done, 0u);
  EXPECT_LT(last_done, 2000u);
}

// Without a progress callback the calling thread just joins; a flag set from another thread
// still stops the workers.
TEST(ReplicationsCancel, SetFromAnotherThreadWithoutProgress) {
  const Model model = test::load_scene_or_fail(test::kSmallLine, "small.yaml").model;
  std::atomic<bool> cancel{false};
  ReplicationOptions o = options(2000, 100.0);
  o.cancel = &cancel;
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    cancel.store(true);
  });
  EXPECT_THROW(run_replications(model, o), Cancelled);
  canceller.join();
}

TEST(WhatIfCancel, StopsBeforeTheVariantRuns) {
  const SceneLoadResult base = test::load_scene_or_fail(test::kSmallLine, "small.yaml");
  Variant v;
  v.name = "bigger";
  v.assignments.push_back({"buffers[B1].capacity=9", "--set", 0, 0});
  std::vector<PreparedVariant> prepared(1);
  std::vector<SceneError> errors;
  ASSERT_TRUE(prepare_variant(base.scene, "small.yaml", v, prepared[0], errors));

  std::atomic<bool> cancel{false};
  ReplicationOptions o = options(4, 4.0);
  o.cancel = &cancel;
  size_t last_done = 0, last_total = 0;
  o.progress = [&](size_t done, size_t total) {
    last_done = done;
    last_total = total;
    if (done >= 4) cancel.store(true);  // the base run is complete
  };
  EXPECT_THROW(run_whatif(base.model, prepared, o), Cancelled);
  EXPECT_EQ(last_done, 4u);  // the variant never reported progress
  EXPECT_EQ(last_total, 8u);

  // The same inputs without a cancel give the full comparison.
  cancel.store(false);
  o.progress = nullptr;
  const WhatIfResults full = run_whatif(base.model, prepared, o);
  EXPECT_EQ(full.variants.size(), 1u);
  EXPECT_EQ(full.base.replications(), 4u);
}

}  // namespace
}  // namespace twin
