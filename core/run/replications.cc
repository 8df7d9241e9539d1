#include "core/run/replications.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>

#include "models/process/line_model.h"

namespace twin {

ReplicationOptions replication_options(size_t replications, double hours, double warmup_hours,
                                       uint64_t seed, unsigned threads) {
  ReplicationOptions o;
  o.replications = replications;
  o.warmup_s = warmup_hours * 3600.0;
  o.horizon_s = (warmup_hours + hours) * 3600.0;
  o.seed = seed;
  o.threads = threads;
  return o;
}

const MetricSummary* ReplicationResults::find(std::string_view key) const {
  for (const MetricSummary& m : metrics) {
    if (m.key == key) return &m;
  }
  return nullptr;
}

unsigned effective_threads(unsigned requested, size_t replications) {
  size_t threads = requested;
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads = std::min(threads, std::max<size_t>(replications, 1));
  return static_cast<unsigned>(threads);
}

MetricSummary summarize_metric(std::string key, std::vector<double> values) {
  MetricSummary s;
  s.key = std::move(key);
  s.interval = summarize(values);
  if (!values.empty()) {
    auto [lo, hi] = std::minmax_element(values.begin(), values.end());
    s.min = *lo;
    s.max = *hi;
  }
  s.values = std::move(values);
  return s;
}

std::vector<double> values_of(const ReplicationResults& results,
                              const std::function<double(const ReplicationKpis&)>& field) {
  std::vector<double> values;
  values.reserve(results.kpis.size());
  for (const ReplicationKpis& k : results.kpis) values.push_back(field(k));
  return values;
}

Interval interval_of(const ReplicationResults& results,
                     const std::function<double(const ReplicationKpis&)>& field) {
  return summarize(values_of(results, field));
}

namespace {

// Turns the flattened metrics of every replication into one summary per key.
std::vector<MetricSummary> summarize_all(const std::vector<std::vector<Metric>>& flat) {
  std::vector<MetricSummary> out;
  if (flat.empty()) return out;
  const std::vector<Metric>& first = flat.front();
  out.reserve(first.size());
  for (size_t i = 0; i < first.size(); ++i) {
    std::vector<double> values;
    values.reserve(flat.size());
    for (const std::vector<Metric>& rep : flat) {
      if (rep.size() != first.size() || rep[i].key != first[i].key) {
        throw std::logic_error("flatten_kpis gave different keys in different replications");
      }
      values.push_back(rep[i].value);
    }
    out.push_back(summarize_metric(first[i].key, std::move(values)));
  }
  return out;
}

}  // namespace

ReplicationResults run_replications(const Model& model, const ReplicationOptions& options) {
  const size_t n = options.replications;
  ReplicationResults results;
  results.seed = options.seed;
  results.horizon_s = options.horizon_s;
  results.warmup_s = options.warmup_s;
  results.kpis.resize(n);
  std::vector<std::vector<Metric>> flat(n);
  std::vector<std::exception_ptr> errors(n);

  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  // Relaxed: the flag only decides whether to start more work; results are published by join.
  auto cancelled = [&options] {
    return options.cancel != nullptr && options.cancel->load(std::memory_order_relaxed);
  };
  if (cancelled()) throw Cancelled();  // before any thread starts
  std::mutex mutex;
  std::condition_variable cv;
  size_t done = 0;  // guarded by mutex

  auto worker = [&] {
    for (;;) {
      if (stop.load(std::memory_order_relaxed) || cancelled()) break;
      const size_t r = next.fetch_add(1);
      if (r >= n) break;
      try {
        RunOptions run;
        run.horizon_s = options.horizon_s;
        run.warmup_s = options.warmup_s;
        run.seed = options.seed;
        run.replication = r;
        results.kpis[r] = run_replication(model, run);
        flat[r] = flatten_kpis(model, results.kpis[r]);
      } catch (...) {
        errors[r] = std::current_exception();
        // Indices below r were all handed out already, so the lowest failing index still runs.
        stop.store(true);
      }
      bool last = false;
      {
        std::lock_guard<std::mutex> lock(mutex);
        last = ++done == n || errors[r] != nullptr;
      }
      if (last) cv.notify_one();  // otherwise the waiting thread wakes on its own timer
    }
  };

  const unsigned threads = effective_threads(options.threads, n);
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (unsigned t = 0; t < threads; ++t) pool.emplace_back(worker);

  if (options.progress) {
    const auto interval =
        std::chrono::duration<double>(std::max(options.progress_interval_s, 0.001));
    std::unique_lock<std::mutex> lock(mutex);
    size_t reported = 0;
    // A cancel is seen at the next timer wake-up at the latest (nobody notifies for it).
    while (done < n && !stop.load() && !cancelled()) {
      cv.wait_for(lock, interval, [&] { return done >= n || stop.load() || cancelled(); });
      if (done != reported && done < n && !stop.load() && !cancelled()) {
        reported = done;
        lock.unlock();
        options.progress(reported, n);
        lock.lock();
      }
    }
  }
  for (std::thread& t : pool) t.join();

  for (const std::exception_ptr& e : errors) {
    if (e) std::rethrow_exception(e);
  }
  if (done < n) throw Cancelled();  // workers only skip replications when cancelled
  if (options.progress) options.progress(n, n);
  results.metrics = summarize_all(flat);
  return results;
}

}  // namespace twin
