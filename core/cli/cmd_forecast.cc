// twin forecast SCENE SHIFT.mcap --at T[,T2...]: throughput from now. Plays the recording to each
// time (never reading /truth), forks the mirrored state into the line model and forecasts the
// good parts at the shift end (with --rul, the failures the condition monitor expects by then
// are injected); when the recording covers the whole shift, scores each forecast
// against the shift's actual count (the mirror's line output at the end: telemetry, not truth).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/cli/cli_common.h"
#include "core/mirror/condition_monitor.h"
#include "core/mirror/monitor_fit.h"
#include "core/mirror/real_kpis.h"
#include "core/run/forecast.h"
#include "core/run/rul_failures.h"
#include "replay/player.h"

namespace twin::cli {

namespace {

struct ForecastFlags {
  std::string scene;
  std::string log;
  std::vector<std::string> at;  // times: 2h, 90min, 3600, 25%
  bool score = false;           // at 25, 50 and 75 % of the shift
  size_t reps = 200;
  uint64_t seed = 0;
  CLI::Option* seed_option = nullptr;
  unsigned threads = 0;
  std::string json;
  bool fresh_clocks = false;
  bool rul = false;  // the condition monitor's RUL estimates become predicted failures
  std::string fit;   // healthy models for the monitor (twin fit)
  bool quiet = false;
};

// Sees every message of the replay: the last arrival time and the shift end the channels state.
class EndProbe final : public mcap::MessageSink {
 public:
  void on_channel(const mcap::Channel& channel, const mcap::Schema*) override {
    auto it = channel.metadata.find("shift_end_ns");
    if (it == channel.metadata.end()) return;
    try {
      shift_end_ns = std::max<int64_t>(shift_end_ns, std::stoll(it->second));
    } catch (...) {
    }
  }
  bool on_message(const mcap::MessageView& m) override {
    last_log_ns = std::max<uint64_t>(last_log_ns, m.log_time);
    return true;
  }
  int64_t shift_end_ns = 0;  // [ns] 0: not stated
  uint64_t last_log_ns = 0;  // [ns]
};

int run_forecast_command(const ForecastFlags& f) {
  SceneLoadResult scene;
  if (!load_scene_or_report(f.scene, scene)) return kExitInvalidInput;
  const Model& model = scene.model;
  if (f.at.empty() && !f.score) {
    print_error("forecast needs --at T[,T2...] (e.g. 2h, 25%) or --score");
    return kExitUsage;
  }

  MonitorFit fit;
  if (!f.fit.empty()) {
    std::string error;
    if (!load_monitor_fit(f.fit, fit, error)) {
      print_error(f.fit + ": " + error);
      return kExitInvalidInput;
    }
  }

  // One pass over the whole recording: the actual end-of-shift count, keyframes to seek, and
  // (with --rul) the condition monitor's alarms and RUL estimates, each stamped with the device
  // time it was made at, so a fork at t uses only what the twin knew by then.
  Player player(model);
  std::unique_ptr<ConditionMonitor> monitor;
  std::unique_ptr<DownLog> downs;  // a foreseen failure that has come is not injected again
  if (f.rul) {
    monitor = std::make_unique<ConditionMonitor>(
        model, player.mirror().names(), ConditionMonitorOptions(), f.fit.empty() ? nullptr : &fit);
    downs = std::make_unique<DownLog>(monitor.get(), player.mirror().names().machine.size());
    player.mirror().set_listener(downs.get());
  }
  PlayOptions po;
  po.keyframe_interval_s = 300.0;
  EndProbe probe;
  po.tee = &probe;
  const PlayResult whole = player.play(f.log, po);
  player.mirror().set_listener(nullptr);  // seeks re-apply data: the monitor saw it once
  if (!whole.ok) {
    print_error(f.log + ": " + whole.error);
    return kExitInvalidInput;
  }
  if (!whole.read.damage.empty()) {
    print_error(f.log +
                ": damaged, replayed what was readable: " + mcap::describe_damage(whole.read));
  }
  const double shift_s = static_cast<double>(whole.window_end_ns - whole.shift_start_ns) * 1e-9;
  // The recording runs to its end when it states the shift's end and has data up to it.
  const bool complete =
      probe.shift_end_ns > whole.shift_start_ns && whole.read.damage.empty() &&
      static_cast<int64_t>(probe.last_log_ns) >= probe.shift_end_ns - 60LL * 1000000000LL;
  const uint64_t actual = line_good_parts(model, player.mirror());

  std::vector<double> times;
  std::vector<std::string> labels;
  std::vector<std::string> requested = f.at;
  if (f.score) {
    for (const char* p : {"25%", "50%", "75%"}) requested.emplace_back(p);
  }
  for (const std::string& text : requested) {
    const double t = parse_duration(text, shift_s);
    if (t < 0.0) {
      print_error("--at: cannot read '" + text + "' as a time (e.g. 2h, 90min, 25%)");
      return kExitUsage;
    }
    if (t >= shift_s) {
      print_error("--at " + text + " is not before the shift end (" +
                  std::to_string(shift_s / 3600.0).substr(0, 4) + " h)");
      return kExitUsage;
    }
    times.push_back(t);
    labels.push_back(text);
  }

  ForecastOptions fo;
  fo.replications = f.reps;
  fo.shift_end_s = shift_s;
  fo.seed = f.seed_option != nullptr && f.seed_option->count() > 0 ? f.seed : model.seed;
  fo.threads = f.threads;
  fo.aged_failure_clocks = !f.fresh_clocks;
  ForecastWorkspace ws;
  std::vector<Forecast> forecasts;
  std::vector<std::vector<PredictedFailure>> predicted;
  for (double t : times) {
    const double observe_at = observation_time(model.calendar, t);
    PlayResult seek;
    if (!player.seek(f.log, observe_at, &seek)) {
      print_error(f.log + ": cannot seek to " + std::to_string(observe_at) + " s: " + seek.error);
      return kExitFailure;
    }
    const int64_t at_ns =
        whole.shift_start_ns + static_cast<int64_t>(std::llround(observe_at * 1e9));
    player.mirror().flush_events(at_ns);
    ObservedLine observed = observe_mirror(model, player.mirror(), at_ns);
    observed.calendar_s = t;  // a fork inside a break continues from the frozen line
    if (monitor) {
      fo.predicted_failures =
          predicted_failures_at(model, player.mirror().names(), monitor->alarms(), monitor->rul(),
                                whole.shift_start_ns, at_ns, {}, &downs->down_starts());
    }
    predicted.push_back(fo.predicted_failures);
    forecasts.push_back(forecast(model, observed, fo, &ws));
  }
  const std::vector<std::string>& machine_names = player.mirror().names().machine;

  int inside_count = 0;
  auto inside = [&](const Forecast& fc) {
    const double a = static_cast<double>(actual);
    return a >= fc.p05 && a <= fc.p95;
  };
  if (!f.quiet) {
    std::printf(
        "%s: good parts at the shift end (%.2f h), %zu replications from each time, seed %llu\n",
        f.log.c_str(), shift_s / 3600.0, f.reps, static_cast<unsigned long long>(fo.seed));
    std::printf("%-14s %10s %10s %22s %14s %10s", "at", "good now", "forecast", "90% interval",
                "95% CI mean", "ms");
    if (complete) std::printf(" %8s %7s", "actual", "inside");
    std::printf("\n");
  }
  for (size_t i = 0; i < forecasts.size(); ++i) {
    const Forecast& fc = forecasts[i];
    const bool in = inside(fc);
    inside_count += in ? 1 : 0;
    if (f.quiet) continue;
    char at[48], band[48], ci[32];
    std::snprintf(at, sizeof at, "%.2f h (%s)", times[i] / 3600.0, labels[i].c_str());
    std::snprintf(band, sizeof band, "[%.0f, %.0f]", fc.p05, fc.p95);
    std::snprintf(ci, sizeof ci, "+-%.1f", fc.mean.half_width);
    std::printf("%-14s %10llu %10.1f %22s %14s %10.1f", at,
                static_cast<unsigned long long>(fc.good_so_far), fc.mean.mean, band, ci,
                fc.wall_s * 1e3);
    if (complete)
      std::printf(" %8llu %7s", static_cast<unsigned long long>(actual), in ? "yes" : "no");
    std::printf("\n");
    for (const PredictedFailure& p : predicted[i]) {
      std::printf("  predicted failure of %s in %.0f min (90%%: %.0f-%.0f) of working time\n",
                  machine_names[p.machine].c_str(), p.median_s / 60.0, p.lo_s / 60.0,
                  p.hi_s / 60.0);
    }
    const ForkReport& r = fc.fork;
    if (r.nodes_clamped + r.machines_inconsistent + r.machines_mode_unknown > 0) {
      std::printf(
          "  fork: %u node levels clamped (%lld parts), %u machines whose mode and part "
          "counts disagree, %u with no mode known\n",
          r.nodes_clamped, static_cast<long long>(r.parts_clamped), r.machines_inconsistent,
          r.machines_mode_unknown);
    }
  }
  if (!f.quiet) {
    if (complete) {
      std::printf(
          "actual good parts at the shift end (telemetry): %llu; inside the 90%% interval "
          "at %d of %zu times\n",
          static_cast<unsigned long long>(actual), inside_count, forecasts.size());
    } else {
      std::printf("the recording does not cover the whole shift: no actual count to score\n");
    }
  }

  if (!f.json.empty()) {
    nlohmann::json j;
    j["log"] = f.log;
    j["scene"] = model.name;
    j["shift_end_s"] = shift_s;
    j["replications"] = f.reps;
    j["seed"] = fo.seed;
    j["aged_failure_clocks"] = fo.aged_failure_clocks;
    j["rul"] = f.rul;
    j["complete"] = complete;
    if (complete) j["actual_good_parts"] = actual;
    nlohmann::json list = nlohmann::json::array();
    for (size_t i = 0; i < forecasts.size(); ++i) {
      const Forecast& fc = forecasts[i];
      nlohmann::json e = {{"at", labels[i]},
                          {"at_s", times[i]},
                          {"good_so_far", fc.good_so_far},
                          {"mean", fc.mean.mean},
                          {"ci95", {fc.mean.lo(), fc.mean.hi()}},
                          {"p05", fc.p05},
                          {"p95", fc.p95},
                          {"wall_s", fc.wall_s},
                          {"fork",
                           {{"nodes_clamped", fc.fork.nodes_clamped},
                            {"parts_clamped", fc.fork.parts_clamped},
                            {"machines_inconsistent", fc.fork.machines_inconsistent},
                            {"machines_mode_unknown", fc.fork.machines_mode_unknown},
                            {"source_levels_estimated", fc.fork.source_levels_estimated},
                            {"node_level", fc.fork.node_level}}}};
      if (complete) e["inside"] = inside(fc);
      if (f.rul) {
        nlohmann::json pf = nlohmann::json::array();
        for (const PredictedFailure& p : predicted[i]) {
          pf.push_back({{"machine", machine_names[p.machine]},
                        {"median_s", p.median_s},
                        {"p05_s", p.lo_s},
                        {"p95_s", p.hi_s}});
        }
        e["predicted_failures"] = pf;
      }
      list.push_back(e);
    }
    j["forecasts"] = list;
    if (complete) j["inside_count"] = inside_count;
    std::ofstream out(f.json);
    out << j.dump(2) << '\n';
    if (!out) {
      print_error("cannot write " + f.json);
      return kExitFailure;
    }
  }
  return kExitOk;
}

}  // namespace

void add_forecast_command(CLI::App& app, Context& ctx) {
  auto f = std::make_shared<ForecastFlags>();
  CLI::App* cmd = app.add_subcommand(
      "forecast",
      "Throughput from now: good parts at the shift end forecast from times of a recorded shift");
  cmd->add_option("scene", f->scene, "Scene file (YAML)")->required()->type_name("FILE");
  cmd->add_option("log", f->log, "Recording (MCAP)")->required()->type_name("FILE.mcap");
  cmd->add_option("--at", f->at, "Times from the shift start: 2h, 90min, 3600, 25%")
      ->delimiter(',')
      ->type_name("T[,T2...]");
  cmd->add_flag("--score", f->score, "Forecast at 25, 50 and 75 % of the shift");
  cmd->add_option("--reps", f->reps, "Replications per forecast")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  f->seed_option = cmd->add_option("--seed", f->seed, "Scenario seed (default: the scene's)");
  cmd->add_option("--threads", f->threads, "Worker threads (default: all hardware threads)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--fresh-clocks", f->fresh_clocks,
                "Failure clocks as good as new at each fork (default: aged by the busy time)");
  cmd->add_flag("--rul", f->rul,
                "Run the condition monitor over the recording; the failures it expects by each "
                "time (RUL) enter the forecast");
  cmd->add_option("--fit", f->fit, "Healthy models for the monitor, from `twin fit` (with --rul)")
      ->type_name("FIT.json")
      ->check(CLI::ExistingFile);
  cmd->add_option("--json", f->json, "Write the forecasts as JSON to FILE")->type_name("FILE");
  cmd->add_flag("--quiet,-q", f->quiet, "Print nothing (use with --json)");
  cmd->callback([f, &ctx] { ctx.exit_code = run_forecast_command(*f); });
}

}  // namespace twin::cli
