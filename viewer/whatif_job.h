// A what-if run in the background of the viewer: the base scene against one variant (a list of
// set_scene_field assignments), run by run_whatif on a worker thread so the UI keeps drawing.
// The inputs go through the same functions as `twin whatif --set ...`, so with the same settings
// the results are bit-identical to what the command prints.
//
// Threads: start(), cancel(), state(), progress(), results() and the destructor are called from
// one thread (the UI's). The worker only writes the progress atomics, the results, the error
// text and finally the state; state() reads it with acquire ordering, so once it says kDone the
// results are complete and no longer written. Nothing here blocks the caller except the
// destructor (and a start() after a finished run), which join the worker.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/model/model.h"
#include "core/run/replications.h"
#include "core/run/whatif.h"
#include "core/scene/load.h"
#include "twin/scene.pb.h"

namespace twin::viewer {

// Run settings, as the `twin whatif` flags of the same names.
struct WhatIfSettings {
  size_t replications = 10;   // [runs] per scenario (--reps); the base and the variant each
  double hours = 8.0;         // [h] observed per replication, after the warm-up (--hours)
  double warmup_hours = 0.0;  // [h] before statistics start (--warmup)
  uint64_t seed = 0;          // scenario seed (--seed; the CLI's default is the scene's seed)
  unsigned threads = 0;  // worker threads, 0 = all hardware threads; results do not depend on it
};

// The ReplicationOptions `twin whatif` builds from the same flags (cli::replication_options).
ReplicationOptions replication_options(const WhatIfSettings& settings);

enum class JobState : uint8_t {
  kIdle,       // nothing started yet
  kRunning,    // worker running (also after cancel() until it has stopped)
  kDone,       // results() available
  kFailed,     // a replication threw; error() says what
  kCancelled,  // cancel() stopped it; no results
};
const char* job_state_name(JobState state);  // "idle", "running", ...

struct JobProgress {
  size_t done = 0;   // [replications] finished, base and variant together
  size_t total = 0;  // [replications] 2 x replications
};

class WhatIfJob {
 public:
  WhatIfJob() = default;
  ~WhatIfJob();  // cancels a running job and joins the worker
  WhatIfJob(const WhatIfJob&) = delete;
  WhatIfJob& operator=(const WhatIfJob&) = delete;

  // Applies `assignments` ("buffers[B3].capacity=10", ...) to a copy of `base_scene` with
  // prepare_variant and, when that succeeds, starts run_whatif(base_model, {variant}) on a worker
  // thread. On a bad assignment or an uncompilable variant it returns false, fills `errors` (each
  // naming the assignment's path) and starts nothing; the previous results stay. Also false while
  // a job is running (cancel it and wait for kCancelled first). `base_model` must be compiled from
  // `base_scene`; all inputs are copied.
  bool start(const scene::Scene& base_scene, const std::string& scene_file, const Model& base_model,
             const std::vector<std::string>& assignments, const WhatIfSettings& settings,
             std::vector<SceneError>& errors);

  // Asks the worker to stop: replications already running finish, no new one starts, then the
  // state becomes kCancelled (or kDone if everything had already run). Does not wait.
  void cancel();
  bool cancel_requested() const { return cancel_.load(std::memory_order_relaxed); }

  JobState state() const { return state_.load(std::memory_order_acquire); }
  JobProgress progress() const;
  // Seconds since start(), frozen when the job ends; 0 before the first start.
  double elapsed_s() const;

  // The results of the last run, or null unless state() == kDone.
  const WhatIfResults* results() const;
  // What went wrong when state() == kFailed.
  const std::string& error() const;
  // The inputs of the last successful start().
  const std::vector<std::string>& assignments() const { return assignments_; }
  const WhatIfSettings& settings() const { return settings_; }
  const Model& base_model() const { return base_model_; }

 private:
  void run();  // the worker's body

  // Inputs, written by start() before the worker starts and read-only while it runs.
  Model base_model_;
  std::vector<PreparedVariant> variants_;  // exactly one
  std::vector<std::string> assignments_;
  WhatIfSettings settings_;
  // Written by the worker, read by the UI thread only once state_ says the worker is done.
  WhatIfResults results_;
  std::string error_;

  std::atomic<JobState> state_{JobState::kIdle};
  std::atomic<bool> cancel_{false};
  std::atomic<size_t> done_{0};          // [replications]
  std::atomic<size_t> total_{0};         // [replications]
  std::atomic<int64_t> started_ns_{0};   // [ns] steady clock at start()
  std::atomic<int64_t> finished_ns_{0};  // [ns] steady clock when the worker ended; 0 while running
  std::jthread worker_;  // last member: joined before the members it uses are destroyed
};

}  // namespace twin::viewer
