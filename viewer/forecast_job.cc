#include "viewer/forecast_job.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <utility>

#include "core/run/replications.h"
#include "core/stats/summary.h"
#include "models/process/line_model.h"

namespace twin::viewer {

ForecastJob::~ForecastJob() {
  cancel_.store(true, std::memory_order_relaxed);
  if (worker_.joinable()) worker_.join();
}

bool ForecastJob::start(const Model& model, const ObservedLine& observed,
                        const ForecastOptions& options) {
  if (state() == JobState::kRunning) return false;
  // The previous worker has ended (state is not kRunning): joining only reaps the thread.
  if (worker_.joinable()) worker_.join();
  model_ = &model;
  observed_ = observed;
  options_ = options;
  options_.fan_steps = kViewerFanSteps;
  options_.cancel = &cancel_;
  options_.done = &done_;
  result_ = Forecast{};
  error_.clear();
  ++runs_;
  cancel_.store(false, std::memory_order_relaxed);
  done_.store(0, std::memory_order_relaxed);
  total_.store(options.replications, std::memory_order_relaxed);
  state_.store(JobState::kRunning, std::memory_order_release);
  worker_ = std::jthread([this] { run(); });
  return true;
}

void ForecastJob::run() {
  JobState end = JobState::kFailed;
  try {
    result_ = forecast(*model_, observed_, options_, &workspace_);
    end = JobState::kDone;
  } catch (const Cancelled&) {
    end = JobState::kCancelled;
  } catch (const std::exception& e) {
    error_ = std::string("forecast failed: ") + e.what();
  } catch (...) {
    error_ = "forecast failed";
  }
  state_.store(end, std::memory_order_release);  // publishes result_ and error_
}

JobProgress ForecastJob::progress() const {
  JobProgress p;
  p.done = done_.load(std::memory_order_relaxed);
  p.total = total_.load(std::memory_order_relaxed);
  return p;
}

const Forecast* ForecastJob::result() const {
  return state() == JobState::kDone ? &result_ : nullptr;
}

const std::string& ForecastJob::error() const {
  static const std::string kNone;
  return state() == JobState::kFailed ? error_ : kNone;
}

}  // namespace twin::viewer
