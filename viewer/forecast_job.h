// The forecast from "now" in the background of the viewer: the mirrored state at the shown time,
// forked into the line model, N replications to the shift end (core/run/forecast.h), on worker
// threads so the UI keeps drawing. The UI thread builds the ObservedLine (cheap: a copy of the
// mirror's per-machine facts); the replications run here.
//
// The job is forecast() itself with the options a UI needs: a cancel flag (checked before each
// replication), a progress count and the fan of the cumulative plot; so its numbers are
// `twin forecast`'s bit for bit, predicted failures (remaining useful life) included.
//
// Threads: as WhatIfJob (viewer/whatif_job.h): start(), cancel(), state(), result() and the
// destructor from the UI thread; the worker publishes its result with the final state.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "core/model/model.h"
#include "core/run/forecast.h"
#include "viewer/whatif_job.h"

namespace twin::viewer {

// Steps of the fan the viewer draws (ForecastOptions::fan_steps).
inline constexpr size_t kViewerFanSteps = 24;

class ForecastJob {
 public:
  ForecastJob() = default;
  ~ForecastJob();  // cancels a running job and joins the worker
  ForecastJob(const ForecastJob&) = delete;
  ForecastJob& operator=(const ForecastJob&) = delete;

  // Starts forecast(model, observed, options) on a worker thread, with the fan, a cancel flag and
  // progress of its own (whatever options carries for those is replaced). False (nothing
  // started) while a job runs (cancel it and wait for it to end first).
  // `model` must outlive the job; the observation and the options are copied.
  bool start(const Model& model, const ObservedLine& observed, const ForecastOptions& options);
  // Asks the worker to stop before its next replication; does not wait.
  void cancel() { cancel_.store(true, std::memory_order_relaxed); }

  JobState state() const { return state_.load(std::memory_order_acquire); }
  JobProgress progress() const;
  // The last finished forecast, or null unless state() == kDone.
  const Forecast* result() const;
  const std::string& error() const;        // when state() == kFailed
  uint64_t runs() const { return runs_; }  // jobs started so far

 private:
  void run();

  // Inputs, written by start() before the worker starts.
  const Model* model_ = nullptr;
  ObservedLine observed_;
  ForecastOptions options_;
  ForecastWorkspace workspace_;  // the worker's States, kept warm between forecasts
  uint64_t runs_ = 0;
  // Written by the worker, read once state_ says it has ended.
  Forecast result_;
  std::string error_;

  std::atomic<JobState> state_{JobState::kIdle};
  std::atomic<bool> cancel_{false};
  std::atomic<size_t> done_{0};   // [replications]
  std::atomic<size_t> total_{0};  // [replications]
  std::jthread worker_;           // last member: joined before the members it uses go
};

}  // namespace twin::viewer
