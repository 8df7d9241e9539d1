#include "core/run/forecast.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <thread>

#include "core/run/replications.h"
#include "core/telemetry/telemetry.h"
#include "models/process/line_model.h"

namespace twin {

namespace {

constexpr uint64_t kStreamPredicted = 0x70726564ull;  // "pred": predicted failure times
constexpr double kZ95 = 1.6448536269514722;           // standard normal 95 % quantile

// Draws of a predicted failure time [s from now]: lognormal through the median and the 5 % and
// 95 % quantiles (sigma from the wider of the two sides when they are not symmetric in logs).
double draw_failure_time(const PredictedFailure& p, Rng& rng) {
  const double median = std::max(p.median_s, 1e-9);
  double sigma = 0.0;
  // An unbounded 95 % quantile (no end of life in sight on that side) gives no spread.
  if (p.hi_s > median && std::isfinite(p.hi_s)) {
    sigma = std::max(sigma, std::log(p.hi_s / median) / kZ95);
  }
  if (p.lo_s > 0.0 && p.lo_s < median) sigma = std::max(sigma, std::log(median / p.lo_s) / kZ95);
  return median * std::exp(sigma * normal_quantile(rng.uniform01()));
}

double mean_repair(const Station& st) {
  if (st.failures.empty()) return 0.0;
  double sum = 0.0;
  for (const FailureSpec& f : st.failures) sum += f.time_to_repair.mean;
  return sum / static_cast<double>(st.failures.size());
}

double sink_total(const Model& model, const LineState& s) {
  uint64_t total = 0;
  for (uint32_t n : model.sinks) total += s.sink_count[n];
  return static_cast<double>(total);
}

}  // namespace

double observation_time(const Calendar& cal, double t) {
  if (cal.empty() || !cal.is_off(t)) return t;
  const double base = cal.period > 0.0 ? std::floor(t / cal.period) * cal.period : 0.0;
  for (const BreakWindow& b : cal.breaks) {
    if (base + b.start <= t && t < base + b.end) return std::max(base + b.start - 1.0, 0.0);
  }
  return t;
}

Forecast forecast(const Model& model, const ObservedLine& observed, const ForecastOptions& options,
                  ForecastWorkspace* workspace) {
  const auto wall = std::chrono::steady_clock::now();
  Forecast f;
  f.at_s = observed.calendar_s;
  f.shift_end_s = options.shift_end_s;
  const ObservedLine obs = infer_node_levels(model, observed, &f.fork);
  for (uint32_t n : model.sinks) f.good_so_far += static_cast<uint64_t>(f.fork.node_level[n]);

  const size_t reps = options.replications;
  const uint32_t nm = model.machine_count();
  f.good_at_end.assign(reps, 0.0);
  std::vector<double> down(options.machine_downtime ? reps * nm : 0, 0.0);
  const size_t nc = options.fan_steps > 0 ? options.fan_steps + 1 : 0;
  f.fan.t_s.resize(nc);
  for (size_t c = 0; c < nc; ++c) {
    const double share = static_cast<double>(c) / static_cast<double>(nc - 1);
    f.fan.t_s[c] =
        c + 1 == nc ? options.shift_end_s : f.at_s + (options.shift_end_s - f.at_s) * share;
  }
  std::vector<double> at_step(reps * nc, 0.0);  // [r * nc + c] line output
  const unsigned threads = effective_threads(options.threads, reps);
  ForecastWorkspace local;
  ForecastWorkspace& ws = workspace != nullptr ? *workspace : local;
  if (ws.states.size() < threads) ws.states.resize(threads);
  const Calendar& cal = model.calendar;
  const double now_w = cal.empty() ? obs.calendar_s : cal.working_at(std::max(obs.calendar_s, 0.0));

  std::atomic<size_t> next{0};
  std::atomic<bool> cancelled{false};
  std::vector<std::exception_ptr> errors(threads);
  auto worker = [&](unsigned index) {
    LineState& s = ws.states[index];
    try {
      for (;;) {
        if (options.cancel != nullptr && options.cancel->load(std::memory_order_relaxed)) {
          cancelled.store(true);
          next.store(reps);
        }
        const size_t r = next.fetch_add(1);
        if (r >= reps) break;
        RunOptions run;
        run.horizon_s = options.shift_end_s;
        run.seed = options.seed;
        run.replication = r;
        s.observer = nullptr;
        init_state_from(model, run, obs, s, options.aged_failure_clocks);
        for (const PredictedFailure& p : options.predicted_failures) {
          if (p.machine >= nm) continue;
          const Station& st = model.stations[model.machine_station[p.machine]];
          Rng rng(Rng::stream_seed(options.seed, r,
                                   mix64(st.name_key + (p.machine - st.first_machine)),
                                   kStreamPredicted));
          const double at_w = now_w + draw_failure_time(p, rng);
          if (at_w >= s.horizon) continue;
          const double at_cal = cal.empty() ? at_w : cal.calendar_at(at_w);
          inject_failure(model, s, p.machine, at_cal,
                         p.repair_s > 0.0 ? p.repair_s : mean_repair(st));
        }
        for (size_t c = 0; c < nc; ++c) {
          if (c > 0) advance_to(model, s, f.fan.t_s[c]);
          at_step[r * nc + c] = sink_total(model, s);
        }
        advance_to(model, s, options.shift_end_s);
        f.good_at_end[r] = sink_total(model, s);
        if (!down.empty()) {
          for (uint32_t m = 0; m < nm; ++m) {
            double d = s.time_in_mode[m][static_cast<int>(Mode::kDown)];
            if (s.mode[m] == Mode::kDown) d += s.now - s.mode_since[m];
            down[r * nm + m] = d;
          }
        }
        if (options.done != nullptr) options.done->fetch_add(1, std::memory_order_relaxed);
      }
    } catch (...) {
      errors[index] = std::current_exception();
      next.store(reps);
    }
  };
  if (threads <= 1) {
    worker(0);
  } else {
    std::vector<std::thread> pool;
    pool.reserve(threads);
    for (unsigned t = 0; t < threads; ++t) pool.emplace_back(worker, t);
    for (std::thread& t : pool) t.join();
  }
  for (const std::exception_ptr& e : errors) {
    if (e) std::rethrow_exception(e);
  }
  if (cancelled.load()) throw Cancelled();

  f.mean = summarize(f.good_at_end);
  f.p05 = quantile(f.good_at_end, 0.05);
  f.p95 = quantile(f.good_at_end, 0.95);
  if (nc > 0) {
    f.fan.p05.resize(nc);
    f.fan.p50.resize(nc);
    f.fan.p95.resize(nc);
    std::vector<double> column(reps);
    for (size_t c = 0; c < nc; ++c) {
      for (size_t r = 0; r < reps; ++r) column[r] = at_step[r * nc + c];
      f.fan.p05[c] = quantile(column, 0.05);
      f.fan.p50[c] = quantile(column, 0.50);
      f.fan.p95[c] = quantile(column, 0.95);
    }
  }
  if (!down.empty()) {
    f.downtime_s.assign(nm, 0.0);
    for (size_t r = 0; r < reps; ++r) {
      for (uint32_t m = 0; m < nm; ++m) f.downtime_s[m] += down[r * nm + m];
    }
    for (double& d : f.downtime_s) d /= static_cast<double>(reps);
  }
  f.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall).count();
  return f;
}

ObservedLine observe_mirror(const Model& model, const MirrorModel& names, const MirrorState& s,
                            int64_t at_ns) {
  (void)names;
  ObservedLine o;
  const Calendar& cal = model.calendar;
  const double t = std::max(static_cast<double>(at_ns - s.origin_ns) * 1e-9, 0.0);
  auto working = [&cal](double calendar) {
    const double c = std::max(calendar, 0.0);
    return cal.empty() ? c : cal.working_at(c);
  };
  const double now_w = working(t);
  o.calendar_s = t;
  const uint32_t nm = model.machine_count();
  o.machines.resize(nm);
  for (uint32_t m = 0; m < nm && m < s.mode.size(); ++m) {
    ObservedMachine& om = o.machines[m];
    const auto mode = from_telemetry(static_cast<telemetry::Mode>(s.mode[m]));
    om.mode = mode.value_or(Mode::kOff);  // unknown: decided from the part counts
    const double since = std::min(static_cast<double>(s.mode_since_ns[m] - s.origin_ns) * 1e-9, t);
    om.mode_elapsed_s = now_w - working(since);
    if (om.mode == Mode::kBusy || om.mode == Mode::kSetup) {
      // The latest event of a busy machine is its part's start (or the setup's end, or the end
      // of a break it worked through: then the operation began earlier than that).
      const double last =
          std::min(static_cast<double>(s.applied_event_ns[m] - s.origin_ns) * 1e-9, t);
      om.op_elapsed_s = now_w - working(std::max(last, since));
    }
    om.started = s.started[m];
    om.good = s.good[m];
    om.scrapped = s.scrap[m];
    om.reworked = s.reworked[m];
    const double open = std::max(t - std::max(since, 0.0), 0.0);
    const auto& sec = s.mode_seconds[m];
    om.busy_s = sec[telemetry::MODE_RUNNING] + (s.mode[m] == telemetry::MODE_RUNNING ? open : 0.0);
    const double down =
        sec[telemetry::MODE_DOWN] + (s.mode[m] == telemetry::MODE_DOWN ? open : 0.0);
    om.up_s = std::max(now_w - down, 0.0);
    om.failed_before = sec[telemetry::MODE_DOWN] > 0.0 || s.mode[m] == telemetry::MODE_DOWN;
  }
  o.node_level.assign(model.nodes.size(), -1);
  return o;
}

}  // namespace twin
