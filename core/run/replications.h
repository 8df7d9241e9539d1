// Independent replications of the line model on several threads, and their summaries.
// Replication r always runs with RunOptions.replication = r and the same scenario seed, and its
// result is stored at index r, so every output is bit-identical for any thread count.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/model/model.h"
#include "core/stats/summary.h"
#include "models/process/kpi.h"

namespace twin {

// Called with (replications done, replications in total). Always from the thread that called
// run_replications, never from a worker; throttled to one call per `progress_interval_s`, plus a
// last call when all are done.
using ProgressFn = std::function<void(size_t done, size_t total)>;

struct ReplicationOptions {
  size_t replications = 10;
  double horizon_s = 8 * 3600.0;     // [s] calendar time at which each run ends
  double warmup_s = 0.0;             // [s] calendar time at which statistics restart
  uint64_t seed = 0;                 // scenario seed, shared by all replications
  unsigned threads = 0;              // worker threads; 0 = std::thread::hardware_concurrency()
  ProgressFn progress;               // optional
  double progress_interval_s = 0.1;  // [s]
  // Optional cooperative cancellation, owned by the caller (e.g. a viewer's background job).
  // Once it reads true, workers start no new replication (those already running finish) and
  // the call throws Cancelled. Only read, never written, here. Null: never cancelled.
  const std::atomic<bool>* cancel = nullptr;
};

// Options for `replications` runs of `hours` observed after `warmup_hours` of warm-up [h]:
// the one place the hours become the horizon and warm-up in seconds, so every caller (CLI,
// viewer) gets the same doubles and hence the same results.
ReplicationOptions replication_options(size_t replications, double hours, double warmup_hours,
                                       uint64_t seed, unsigned threads);

// Thrown by run_replications (and so run_whatif) when options.cancel was set before every
// replication had run. An exception, not a flagged result: partial results would be summaries
// of a different number of replications per run, and paired comparisons need every index.
class Cancelled : public std::runtime_error {
 public:
  Cancelled() : std::runtime_error("replications cancelled") {}
};

// One flattened metric over all replications.
struct MetricSummary {
  std::string key;    // as flatten_kpis names it, e.g. "line.throughput_per_h"
  Interval interval;  // mean and 95% confidence interval over replications
  double min = 0.0, max = 0.0;
  std::vector<double> values;  // value per replication (n_replications), index = replication
};

struct ReplicationResults {
  // What was run (thread count deliberately absent: results do not depend on it).
  uint64_t seed = 0;
  double horizon_s = 0.0;              // [s]
  double warmup_s = 0.0;               // [s]
  std::vector<ReplicationKpis> kpis;   // per replication (n_replications)
  std::vector<MetricSummary> metrics;  // in flatten_kpis order

  size_t replications() const { return kpis.size(); }
  // Summary of a metric by key, or nullptr.
  const MetricSummary* find(std::string_view key) const;
};

// Runs replications 0 .. options.replications-1 of `model`. Throws what a replication throws
// (the one with the lowest index), after all workers have stopped; else Cancelled when
// options.cancel stopped it before all replications ran. Results of a run that was not
// cancelled do not depend on options.cancel.
ReplicationResults run_replications(const Model& model, const ReplicationOptions& options);

// Summaries of per-replication values: 95% interval plus min and max.
MetricSummary summarize_metric(std::string key, std::vector<double> values);

// Any figure of the per-replication KPIs over all replications, e.g.
//   interval_of(results, [](const ReplicationKpis& k) { return k.line.wip_mean; })
std::vector<double> values_of(const ReplicationResults& results,
                              const std::function<double(const ReplicationKpis&)>& field);
Interval interval_of(const ReplicationResults& results,
                     const std::function<double(const ReplicationKpis&)>& field);

// The worker count actually used for `replications` runs when `requested` threads are asked for
// (0 = hardware concurrency): at least 1, at most `replications`.
unsigned effective_threads(unsigned requested, size_t replications);

}  // namespace twin
