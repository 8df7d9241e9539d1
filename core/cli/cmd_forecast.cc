// twin forecast SCENE SHIFT.mcap... --at T[,T2...]: throughput from now. Plays the recording to
// each time (never reading /truth), forks the mirrored state into the line model and forecasts the
// good parts at the shift end (with --rul, the failures the condition monitor expects by then
// are injected); when the recording covers the whole shift, scores each forecast
// against the shift's actual count (the mirror's line output at the end: telemetry, not truth).
// With --calibrate, the scored forecasts of past shifts calibrate the 90 % interval
// (core/run/forecast_calibration.h); a fit carrying such a calibration widens the intervals.
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
#include "core/run/forecast_calibration.h"
#include "core/run/rul_failures.h"
#include "core/stats/conformal.h"
#include "replay/player.h"

namespace twin::cli {

namespace {

struct ForecastFlags {
  std::string scene;
  std::vector<std::string> logs;  // one or more recordings
  std::vector<std::string> at;    // times: 2h, 90min, 3600, 25%
  bool score = false;             // at 25, 50 and 75 % of the shift
  size_t reps = 200;
  uint64_t seed = 0;
  CLI::Option* seed_option = nullptr;
  unsigned threads = 0;
  std::string json;
  bool fresh_clocks = false;
  bool rul = false;       // the condition monitor's RUL estimates become predicted failures
  std::string fit;        // healthy models for the monitor (twin fit), forecast calibration
  std::string calibrate;  // write the fit with a forecast calibration from these shifts
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

// One recording's forecasts, with its actual count when it covers the whole shift.
struct ShiftForecasts {
  std::string log;
  double shift_s = 0.0;  // [s] calendar, from the shift start
  bool complete = false;
  uint64_t actual = 0;  // [parts] line output at the end (telemetry), when complete
  std::vector<double> times;
  std::vector<std::string> labels;
  std::vector<Forecast> forecasts;
  std::vector<ConformalInterval> calibrated;  // (forecasts) with the fit's calibration
  std::vector<std::vector<PredictedFailure>> predicted;
  std::vector<std::string> machine_names;

  // Whether forecast i's own 90 % interval, or its calibrated one, holds the actual count.
  bool inside_model(size_t i) const { return holds(forecasts[i].p05, forecasts[i].p95); }
  bool inside_calibrated(size_t i) const { return holds(calibrated[i].lo, calibrated[i].hi); }
  // How many do (0 when the recording does not cover the shift).
  int count_inside_model() const {
    return count([&](size_t i) { return inside_model(i); });
  }
  int count_inside_calibrated() const {
    return count([&](size_t i) { return inside_calibrated(i); });
  }

 private:
  bool holds(double lo, double hi) const {
    const double a = static_cast<double>(actual);
    return complete && a >= lo && a <= hi;
  }
  template <class Pred>
  int count(Pred inside) const {
    int n = 0;
    for (size_t i = 0; i < forecasts.size(); ++i) n += inside(i) ? 1 : 0;
    return n;
  }
};

// Plays `log` once, then forecasts from each requested time. Returns an exit code.
int forecast_shift(const Model& model, const ForecastFlags& f, const MonitorFit& fit, uint64_t seed,
                   const std::string& log, ShiftForecasts& out) {
  out.log = log;
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
  const PlayResult whole = player.play(log, po);
  player.mirror().set_listener(nullptr);  // seeks re-apply data: the monitor saw it once
  if (!whole.ok) {
    print_error(log + ": " + whole.error);
    return kExitInvalidInput;
  }
  if (!whole.read.damage.empty()) {
    print_error(log +
                ": damaged, replayed what was readable: " + mcap::describe_damage(whole.read));
  }
  out.shift_s = static_cast<double>(whole.window_end_ns - whole.shift_start_ns) * 1e-9;
  // The recording runs to its end when it states the shift's end and has data up to it.
  out.complete =
      probe.shift_end_ns > whole.shift_start_ns && whole.read.damage.empty() &&
      static_cast<int64_t>(probe.last_log_ns) >= probe.shift_end_ns - 60LL * 1000000000LL;
  out.actual = line_good_parts(model, player.mirror());

  std::vector<std::string> requested = f.at;
  if (f.score) {
    for (const char* p : {"25%", "50%", "75%"}) requested.emplace_back(p);
  }
  for (const std::string& text : requested) {
    const double t = parse_duration(text, out.shift_s);
    if (t < 0.0) {
      print_error("--at: cannot read '" + text + "' as a time (e.g. 2h, 90min, 25%)");
      return kExitUsage;
    }
    if (t >= out.shift_s) {
      print_error(log + ": --at " + text + " is not before the shift end (" +
                  std::to_string(out.shift_s / 3600.0).substr(0, 4) + " h)");
      return kExitUsage;
    }
    out.times.push_back(t);
    out.labels.push_back(text);
  }

  ForecastOptions fo;
  fo.replications = f.reps;
  fo.shift_end_s = out.shift_s;
  fo.seed = seed;
  fo.threads = f.threads;
  fo.aged_failure_clocks = !f.fresh_clocks;
  ForecastWorkspace ws;
  for (double t : out.times) {
    const double observe_at = observation_time(model.calendar, t);
    PlayResult seek;
    if (!player.seek(log, observe_at, &seek)) {
      print_error(log + ": cannot seek to " + std::to_string(observe_at) + " s: " + seek.error);
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
    out.predicted.push_back(fo.predicted_failures);
    out.forecasts.push_back(forecast(model, observed, fo, &ws));
    out.calibrated.push_back(
        calibrated_interval(model.calendar, out.forecasts.back(), fit.forecast_calibration));
  }
  out.machine_names = player.mirror().names().machine;
  return kExitOk;
}

void print_shift(const ShiftForecasts& s, const ForecastFlags& f, uint64_t seed, bool calibrated) {
  std::printf(
      "%s: good parts at the shift end (%.2f h), %zu replications from each time, seed %llu\n",
      s.log.c_str(), s.shift_s / 3600.0, f.reps, static_cast<unsigned long long>(seed));
  std::printf("%-14s %10s %10s %16s", "at", "good now", "forecast", "90% interval");
  if (calibrated) std::printf(" %16s", "calibrated");
  std::printf(" %12s %8s", "95% CI mean", "ms");
  if (s.complete) std::printf(" %8s %7s", "actual", "inside");
  std::printf("\n");
  for (size_t i = 0; i < s.forecasts.size(); ++i) {
    const Forecast& fc = s.forecasts[i];
    const ConformalInterval& c = s.calibrated[i];
    char at[48], band[48], cband[48], ci[32];
    std::snprintf(at, sizeof at, "%.2f h (%s)", s.times[i] / 3600.0, s.labels[i].c_str());
    std::snprintf(band, sizeof band, "[%.0f, %.0f]", fc.p05, fc.p95);
    std::snprintf(cband, sizeof cband, "[%.0f, %.0f]", c.lo, c.hi);
    std::snprintf(ci, sizeof ci, "+-%.1f", fc.mean.half_width);
    std::printf("%-14s %10llu %10.1f %16s", at, static_cast<unsigned long long>(fc.good_so_far),
                fc.mean.mean, band);
    if (calibrated) std::printf(" %16s", cband);
    std::printf(" %12s %8.1f", ci, fc.wall_s * 1e3);
    if (s.complete) {
      const bool in = calibrated ? s.inside_calibrated(i) : s.inside_model(i);
      std::printf(" %8llu %7s", static_cast<unsigned long long>(s.actual), in ? "yes" : "no");
    }
    std::printf("\n");
    for (const PredictedFailure& p : s.predicted[i]) {
      std::printf("  predicted failure of %s in %.0f min (90%%: %.0f-%.0f) of working time\n",
                  s.machine_names[p.machine].c_str(), p.median_s / 60.0, p.lo_s / 60.0,
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
  if (!s.complete) {
    std::printf("the recording does not cover the whole shift: no actual count to score\n");
  } else if (calibrated) {
    std::printf(
        "actual good parts at the shift end (telemetry): %llu; inside the calibrated 90%% "
        "interval at %d of %zu times (the line model's own: %d)\n",
        static_cast<unsigned long long>(s.actual), s.count_inside_calibrated(), s.forecasts.size(),
        s.count_inside_model());
  } else {
    std::printf(
        "actual good parts at the shift end (telemetry): %llu; inside the 90%% interval "
        "at %d of %zu times\n",
        static_cast<unsigned long long>(s.actual), s.count_inside_model(), s.forecasts.size());
  }
}

nlohmann::json shift_json(const ShiftForecasts& s, bool calibrated, bool rul) {
  nlohmann::json j;
  j["log"] = s.log;
  j["shift_end_s"] = s.shift_s;
  j["complete"] = s.complete;
  if (s.complete) j["actual_good_parts"] = s.actual;
  nlohmann::json list = nlohmann::json::array();
  for (size_t i = 0; i < s.forecasts.size(); ++i) {
    const Forecast& fc = s.forecasts[i];
    nlohmann::json e = {{"at", s.labels[i]},
                        {"at_s", s.times[i]},
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
    if (calibrated) e["calibrated"] = {{"p05", s.calibrated[i].lo}, {"p95", s.calibrated[i].hi}};
    if (s.complete) {
      e["inside"] = s.inside_model(i);
      if (calibrated) e["inside_calibrated"] = s.inside_calibrated(i);
    }
    nlohmann::json pf = nlohmann::json::array();
    for (const PredictedFailure& p : s.predicted[i]) {
      pf.push_back({{"machine", s.machine_names[p.machine]},
                    {"median_s", p.median_s},
                    {"p05_s", p.lo_s},
                    {"p95_s", p.hi_s}});
    }
    if (rul) e["predicted_failures"] = pf;
    list.push_back(e);
  }
  j["forecasts"] = list;
  if (s.complete) {
    j["inside_count"] = s.count_inside_model();
    if (calibrated) j["inside_calibrated_count"] = s.count_inside_calibrated();
  }
  return j;
}

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
  const bool calibrated = !fit.forecast_calibration.empty();
  if (calibrated && fit.forecast_calibration.rul != f.rul) {
    print_error(std::string("note: ") + f.fit + "'s forecast calibration was made " +
                (fit.forecast_calibration.rul ? "with" : "without") + " --rul, this forecast is " +
                (f.rul ? "with" : "without") + " it: its margins may not fit");
  }
  const uint64_t seed =
      f.seed_option != nullptr && f.seed_option->count() > 0 ? f.seed : model.seed;

  std::vector<ShiftForecasts> shifts(f.logs.size());
  for (size_t i = 0; i < f.logs.size(); ++i) {
    const int code = forecast_shift(model, f, fit, seed, f.logs[i], shifts[i]);
    if (code != kExitOk) return code;
    if (!f.quiet) print_shift(shifts[i], f, seed, calibrated);
  }

  // Over all shifts: coverage, widths, and the calibration's samples.
  std::vector<ConformalSample> samples;
  int inside_model = 0, inside_calibrated = 0;
  size_t complete_shifts = 0;
  double width_model = 0.0, width_calibrated = 0.0;
  for (const ShiftForecasts& s : shifts) {
    if (!s.complete) continue;
    ++complete_shifts;
    inside_model += s.count_inside_model();
    inside_calibrated += s.count_inside_calibrated();
    for (size_t i = 0; i < s.forecasts.size(); ++i) {
      samples.push_back(
          forecast_sample(model.calendar, s.forecasts[i], static_cast<double>(s.actual)));
      width_model += s.forecasts[i].p95 - s.forecasts[i].p05;
      width_calibrated += s.calibrated[i].hi - s.calibrated[i].lo;
    }
  }
  const size_t scored = samples.size();
  if (!f.quiet && shifts.size() > 1 && scored > 0) {
    std::printf(
        "%zu shifts, %zu forecasts scored: inside the line model's 90%% interval %d "
        "(mean width %.1f parts)",
        complete_shifts, scored, inside_model, width_model / static_cast<double>(scored));
    if (calibrated) {
      std::printf(", the calibrated one %d (mean width %.1f)", inside_calibrated,
                  width_calibrated / static_cast<double>(scored));
    }
    std::printf("\n");
  }

  int code = kExitOk;
  if (!f.calibrate.empty()) {
    MonitorFit out = fit;
    if (out.scene.empty()) out.scene = model.name;
    std::string error;
    if (!fit_conformal(samples, 0.1, out.forecast_calibration.margins, error)) {
      print_error("--calibrate: " + error + " from recordings of whole shifts");
      return kExitInvalidInput;
    }
    out.forecast_calibration.shifts = static_cast<uint32_t>(complete_shifts);
    out.forecast_calibration.rul = f.rul;
    if (!save_monitor_fit(out, f.calibrate, error)) {
      print_error(error);
      return kExitFailure;
    }
    const ConformalMargins& m = out.forecast_calibration.margins;
    if (!f.quiet) {
      std::printf(
          "forecast calibration from %u forecasts of %zu shifts (%u below the line model's "
          "interval, %u above): lower end %+.1f, upper end %+.1f parts per working hour left; "
          "written to %s\n",
          m.samples, complete_shifts, m.misses_below, m.misses_above, -m.below, m.above,
          f.calibrate.c_str());
    }
  }

  if (!f.json.empty()) {
    nlohmann::json j;
    if (shifts.size() == 1) {
      j = shift_json(shifts[0], calibrated, f.rul);
    } else {
      nlohmann::json list = nlohmann::json::array();
      for (const ShiftForecasts& s : shifts) list.push_back(shift_json(s, calibrated, f.rul));
      j["shifts"] = list;
      j["inside_count"] = inside_model;
      if (calibrated) j["inside_calibrated_count"] = inside_calibrated;
      j["forecasts_scored"] = scored;
    }
    j["scene"] = model.name;
    j["replications"] = f.reps;
    j["seed"] = seed;
    j["aged_failure_clocks"] = !f.fresh_clocks;
    j["rul"] = f.rul;
    j["calibrated"] = calibrated;
    std::ofstream json_out(f.json);
    json_out << j.dump(2) << '\n';
    if (!json_out) {
      print_error("cannot write " + f.json);
      code = kExitFailure;
    }
  }
  return code;
}

}  // namespace

void add_forecast_command(CLI::App& app, Context& ctx) {
  auto f = std::make_shared<ForecastFlags>();
  CLI::App* cmd = app.add_subcommand(
      "forecast",
      "Throughput from now: good parts at the shift end forecast from times of a recorded shift");
  cmd->add_option("scene", f->scene, "Scene file (YAML)")->required()->type_name("FILE");
  cmd->add_option("logs", f->logs, "Recordings (MCAP), one shift each")
      ->required()
      ->type_name("SHIFT.mcap...");
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
  cmd->add_option("--fit", f->fit,
                  "Healthy models for the monitor (with --rul), from `twin fit`; a forecast "
                  "calibration in it (--calibrate) widens the intervals")
      ->type_name("FIT.json")
      ->check(CLI::ExistingFile);
  cmd->add_option("--calibrate", f->calibrate,
                  "Calibrate the 90 % interval against the actual counts of these shifts (whole "
                  "recordings, with --score or --at): writes the fit (--fit, or empty) with the "
                  "margins to FILE")
      ->type_name("OUT.json");
  cmd->add_option("--json", f->json, "Write the forecasts as JSON to FILE")->type_name("FILE");
  cmd->add_flag("--quiet,-q", f->quiet, "Print nothing (use with --json)");
  cmd->callback([f, &ctx] { ctx.exit_code = run_forecast_command(*f); });
}

}  // namespace twin::cli
