#include "viewer/whatif_job.h"

#include <chrono>
#include <exception>
#include <utility>

namespace twin::viewer {

namespace {

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Often enough for a smooth bar; the UI reads the atomics every frame.
constexpr double kProgressInterval_s = 0.05;

}  // namespace

ReplicationOptions replication_options(const WhatIfSettings& settings) {
  return twin::replication_options(settings.replications, settings.hours, settings.warmup_hours,
                                   settings.seed, settings.threads);
}

const char* job_state_name(JobState state) {
  switch (state) {
    case JobState::kIdle:
      return "idle";
    case JobState::kRunning:
      return "running";
    case JobState::kDone:
      return "done";
    case JobState::kFailed:
      return "failed";
    case JobState::kCancelled:
      return "cancelled";
  }
  return "?";
}

WhatIfJob::~WhatIfJob() {
  cancel_.store(true, std::memory_order_relaxed);
  if (worker_.joinable()) worker_.join();
}

bool WhatIfJob::start(const scene::Scene& base_scene, const std::string& scene_file,
                      const Model& base_model, const std::vector<std::string>& assignments,
                      const WhatIfSettings& settings, std::vector<SceneError>& errors) {
  if (state() == JobState::kRunning) {
    SceneError e;
    e.message = "a what-if run is in progress; cancel it first";
    errors.push_back(std::move(e));
    return false;
  }
  if (assignments.empty()) {
    SceneError e;
    e.message = "no changes: add at least one parameter change";
    errors.push_back(std::move(e));
    return false;
  }
  if (settings.replications == 0) {
    SceneError e;
    e.path = "replications";
    e.message = "at least 1 replication (2 or more for confidence intervals)";
    errors.push_back(std::move(e));
    return false;
  }
  if (!(settings.hours > 0.0) || !(settings.warmup_hours >= 0.0)) {
    SceneError e;
    e.path = "hours";
    e.message = "hours must be > 0 and the warm-up >= 0";
    errors.push_back(std::move(e));
    return false;
  }
  // Same variant as `twin whatif --set A --set B`: named after its single assignment, or
  // "custom"; assignments come from "--set" without a line.
  Variant variant;
  variant.name = assignments.size() == 1 ? assignments.front() : std::string("custom");
  for (const std::string& a : assignments) variant.assignments.push_back({a, "--set", 0, 0});
  std::vector<PreparedVariant> prepared(1);
  if (!prepare_variant(base_scene, scene_file, variant, prepared[0], errors)) return false;

  // The previous worker has ended (state is not kRunning): joining only reaps the thread.
  if (worker_.joinable()) worker_.join();
  base_model_ = base_model;
  variants_ = std::move(prepared);
  assignments_ = assignments;
  settings_ = settings;
  results_ = WhatIfResults{};
  error_.clear();
  cancel_.store(false, std::memory_order_relaxed);
  done_.store(0, std::memory_order_relaxed);
  total_.store(2 * settings.replications, std::memory_order_relaxed);
  started_ns_.store(now_ns(), std::memory_order_relaxed);
  finished_ns_.store(0, std::memory_order_relaxed);
  state_.store(JobState::kRunning, std::memory_order_release);
  worker_ = std::jthread([this] { run(); });
  return true;
}

void WhatIfJob::run() {
  ReplicationOptions options = replication_options(settings_);
  options.cancel = &cancel_;
  options.progress_interval_s = kProgressInterval_s;
  options.progress = [this](size_t done, size_t total) {
    done_.store(done, std::memory_order_relaxed);
    total_.store(total, std::memory_order_relaxed);
  };
  JobState end = JobState::kFailed;
  try {
    results_ = run_whatif(base_model_, variants_, options);
    end = JobState::kDone;
  } catch (const Cancelled&) {
    end = JobState::kCancelled;
  } catch (const std::exception& e) {
    error_ = std::string("simulation failed: ") + e.what();
  } catch (...) {
    error_ = "simulation failed";
  }
  finished_ns_.store(now_ns(), std::memory_order_relaxed);
  state_.store(end, std::memory_order_release);  // publishes results_ and error_
}

void WhatIfJob::cancel() {
  cancel_.store(true, std::memory_order_relaxed);
}

JobProgress WhatIfJob::progress() const {
  JobProgress p;
  p.done = done_.load(std::memory_order_relaxed);
  p.total = total_.load(std::memory_order_relaxed);
  return p;
}

double WhatIfJob::elapsed_s() const {
  const int64_t start = started_ns_.load(std::memory_order_relaxed);
  if (start == 0) return 0.0;
  const int64_t end = finished_ns_.load(std::memory_order_relaxed);
  return static_cast<double>((end != 0 ? end : now_ns()) - start) * 1e-9;
}

const WhatIfResults* WhatIfJob::results() const {
  return state() == JobState::kDone ? &results_ : nullptr;
}

const std::string& WhatIfJob::error() const {
  static const std::string kNone;
  return state() == JobState::kFailed ? error_ : kNone;
}

}  // namespace twin::viewer
