// twin replay SCENE LOG: a recorded shift through the mirror, then the real KPIs (from the
// telemetry) beside the twin's prediction of the same shift, with the error of each.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "core/cli/cli_common.h"
#include "core/cli/shift_steps.h"
#include "core/mirror/real_kpis.h"
#include "core/mirror/shift_comparison.h"
#include "core/telemetry/telemetry.h"
#include "replay/player.h"

namespace twin::cli {

namespace {

std::string count_text(double n) {
  char buf[32];
  if (n >= 1e6) {
    std::snprintf(buf, sizeof buf, "%.2f M", n / 1e6);
  } else if (n >= 1e4) {
    std::snprintf(buf, sizeof buf, "%.1f k", n / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f", n);
  }
  return buf;
}

}  // namespace

int replay_shift(const Model& model, const ReplayFlags& f) {
  PlayOptions po;
  if (f.speed != "max") {
    try {
      size_t used = 0;
      po.speed = std::stod(f.speed, &used);
      if (used != f.speed.size()) po.speed = -1.0;  // "2x" is not a number
    } catch (...) {
      po.speed = -1.0;
    }
    if (!(po.speed > 0.0)) {
      print_error("--speed must be a positive factor (1, 10, ...) or max, not '" + f.speed + "'");
      return kExitUsage;
    }
  }
  if (!f.from.empty() && (po.from_s = parse_duration(f.from)) < 0.0) {
    print_error("--from: cannot read '" + f.from + "' as a time (e.g. 90s, 15min, 2h)");
    return kExitUsage;
  }
  if (!f.to.empty() && (po.to_s = parse_duration(f.to)) < 0.0) {
    print_error("--to: cannot read '" + f.to + "' as a time (e.g. 90s, 15min, 2h)");
    return kExitUsage;
  }
  if (po.to_s >= 0.0 && po.to_s <= po.from_s) {
    print_error("--to must come after --from");
    return kExitUsage;
  }
  po.series_interval_s = parse_duration(f.series);
  if (!(po.series_interval_s > 0.0)) {
    print_error("--series: cannot read '" + f.series + "' as a time");
    return kExitUsage;
  }
  struct SeriesPoint {
    double t_s;
    uint64_t real_good;
    uint64_t stale_tags;
  };
  std::vector<SeriesPoint> series;
  po.on_series = [&](double t, const Mirror& mirror) {
    uint64_t stale = 0;
    for (uint8_t s : mirror.state().stale) stale += s;
    series.push_back({t, line_good_parts(model, mirror), stale});
  };
  const bool tty = isatty(STDERR_FILENO) != 0 && !f.quiet;
  if (tty) {
    po.on_progress = [](double done, double total) {
      if (total > 0.0) {
        std::fprintf(stderr, "\rreplaying: %.2f / %.2f h", done / 3600.0, total / 3600.0);
      } else {
        std::fprintf(stderr, "\rreplaying: %.2f h", done / 3600.0);
      }
      std::fflush(stderr);
    };
  }

  MirrorOptions mo;
  mo.reorder_window_s = f.reorder_window_s;
  Player player(model, mo);
  const PlayResult r = player.play(f.log, po);
  if (tty) std::fputs("\r\033[K", stderr);
  if (!r.ok) {
    print_error(f.log + ": " + r.error);
    return kExitInvalidInput;
  }
  if (!r.read.damage.empty()) {
    print_error(f.log + ": damaged, replayed what was readable: " + mcap::describe_damage(r.read));
  }
  const Mirror& mirror = player.mirror();
  const MirrorCounters& c = mirror.state().counters;
  const ReplicationKpis real = compute_real_kpis(model, mirror, r.window_end_ns);
  const double window_s = static_cast<double>(r.window_end_ns - r.window_start_ns) * 1e-9;
  const double offset_s = static_cast<double>(r.window_start_ns - r.shift_start_ns) * 1e-9;

  // The twin's prediction of the same window: replications from an empty line, as the shift
  // began, up to the window end (statistics from the window start).
  std::vector<double> checkpoints;
  for (const SeriesPoint& p : series) checkpoints.push_back(offset_s + p.t_s);
  const uint64_t seed =
      f.seed_option != nullptr && f.seed_option->count() > 0 ? f.seed : model.seed;
  // A window of weeks means damaged arrival times (or a recording far longer than a shift):
  // no prediction then, rather than simulating years.
  constexpr double kMaxPredictedS = 31 * 86400.0;
  const bool predict = offset_s + window_s <= kMaxPredictedS;
  if (!predict) {
    print_error(f.log + ": the replayed window spans " + std::to_string(window_s / 86400.0) +
                " days; no twin prediction beyond 31 days (use --from/--to)");
    checkpoints.clear();
  }
  const ShiftPrediction twin = predict_shift(model, predict ? offset_s + window_s : 0.0, offset_s,
                                             predict ? f.reps : 0, seed, checkpoints);
  const std::vector<ComparisonRow> rows = compare_kpis(model, real, twin);

  if (!f.quiet) {
    const double samples_per_s =
        r.wall_s > 0.0 ? static_cast<double>(c.samples_in) / r.wall_s : 0.0;
    std::printf(
        "%s: %.2f h replayed (%s .. %s h of the shift), %s messages, %s samples in %.2f s "
        "(%s samples/s)\n",
        f.log.c_str(), window_s / 3600.0, std::to_string(offset_s / 3600.0).substr(0, 4).c_str(),
        std::to_string((offset_s + window_s) / 3600.0).substr(0, 4).c_str(),
        count_text(static_cast<double>(r.messages)).c_str(),
        count_text(static_cast<double>(c.samples_in)).c_str(), r.wall_s,
        count_text(samples_per_s).c_str());
    std::printf(
        "data quality: %s applied, %llu superseded (out of order), %llu duplicates, %llu late, "
        "%llu stale episodes, %llu gaps, %llu stuck\n",
        count_text(static_cast<double>(c.applied)).c_str(),
        static_cast<unsigned long long>(c.superseded),
        static_cast<unsigned long long>(c.duplicates), static_cast<unsigned long long>(c.late),
        static_cast<unsigned long long>(c.stale_episodes), static_cast<unsigned long long>(c.gaps),
        static_cast<unsigned long long>(c.stuck_episodes));
    const uint64_t rejected = c.future + c.past + c.non_finite + c.bad_quality + c.unknown_tag +
                              c.unknown_machine + c.bad_tag_index;
    std::printf(
        "rejected: %llu samples (far future %llu, far past %llu, NaN/inf %llu, bad quality %llu, "
        "unknown tag %llu, unknown machine %llu); events: %llu late, %llu bad, %llu unknown "
        "machine; %llu malformed messages; ground truth not read (%llu messages)\n",
        static_cast<unsigned long long>(rejected), static_cast<unsigned long long>(c.future),
        static_cast<unsigned long long>(c.past), static_cast<unsigned long long>(c.non_finite),
        static_cast<unsigned long long>(c.bad_quality),
        static_cast<unsigned long long>(c.unknown_tag),
        static_cast<unsigned long long>(c.unknown_machine),
        static_cast<unsigned long long>(c.events_late),
        static_cast<unsigned long long>(c.events_bad),
        static_cast<unsigned long long>(c.events_unknown_machine),
        static_cast<unsigned long long>(c.malformed_messages),
        static_cast<unsigned long long>(r.truth_messages_skipped));
    // The line: one row per figure with the twin's band.
    auto find_row = [&rows](const std::string& key) -> const ComparisonRow* {
      for (const ComparisonRow& candidate : rows) {
        if (candidate.key == key) return &candidate;
      }
      return nullptr;
    };
    std::printf("\n%-24s %10s %10s %22s %9s\n", "line: real vs twin", "real", "twin mean",
                "twin 90% of shifts", "error");
    static const std::pair<const char*, const char*> kLineRows[] = {
        {"line.good_parts", "good parts"},
        {"line.throughput_per_h", "throughput [parts/h]"},
        {"line.scrapped_parts", "scrapped parts"},
        {"line.oee", "OEE (bottleneck) [%]"}};
    for (const auto& [key, label] : kLineRows) {
      const ComparisonRow* row = find_row(key);
      if (row == nullptr) continue;
      const double k = std::string(key) == "line.oee" ? 100.0 : 1.0;
      char band[48];
      std::snprintf(band, sizeof band, "[%.1f, %.1f]", k * row->twin_p05, k * row->twin_p95);
      std::printf("%-24s %10.1f %10.1f %22s %+8.1f%%%s\n", label, k * row->real, k * row->twin.mean,
                  band, 100.0 * row->relative_error, row->inside_band ? "" : " *");
    }
    // Stations: real / twin mean of the figures a maintenance or process engineer looks at.
    std::printf("\n%-16s %17s %15s %15s %15s %15s\n", "station", "throughput [/h]", "OEE [%]",
                "availab. [%]", "down [%]", "starved [%]");
    for (const Station& st : model.stations) {
      const std::string p = "station." + st.name + ".";
      std::string line;
      char cell[64];
      std::snprintf(cell, sizeof cell, "%-16s", st.name.c_str());
      line += cell;
      bool outside = false;
      for (const auto& [suffix, scale] : {std::pair<const char*, double>{"throughput_per_h", 1.0},
                                          {"oee", 100.0},
                                          {"availability", 100.0},
                                          {"share.down", 100.0},
                                          {"share.starved", 100.0}}) {
        const ComparisonRow* row = find_row(p + suffix);
        if (row == nullptr) {
          std::snprintf(cell, sizeof cell, " %15s", "-");
        } else {
          std::snprintf(cell, sizeof cell, " %7.1f / %5.1f", scale * row->real,
                        scale * row->twin.mean);
          outside = outside || !row->inside_band;
        }
        line += cell;
      }
      std::printf("%s%s\n", line.c_str(), outside ? " *" : "");
    }
    std::printf(
        "(real / twin mean; * a figure outside the band where 90%% of the twin's shifts "
        "fall; all rows in --json)\n");
    const int32_t rb = real.line.bottleneck_station;
    // The twin's bottleneck: the station most often the line's bottleneck over replications.
    std::vector<size_t> votes(model.stations.size(), 0);
    for (const ReplicationKpis& k : twin.kpis) {
      if (k.line.bottleneck_station >= 0) ++votes[static_cast<size_t>(k.line.bottleneck_station)];
    }
    size_t tb = 0;
    for (size_t i = 1; i < votes.size(); ++i) tb = votes[i] > votes[tb] ? i : tb;
    if (twin.kpis.empty()) votes.clear();
    std::printf("bottleneck: real %s, twin %s (in %zu of %zu replications)\n",
                rb >= 0 ? model.stations[static_cast<size_t>(rb)].name.c_str() : "-",
                votes.empty() ? "-" : model.stations[tb].name.c_str(),
                votes.empty() ? 0 : votes[tb], twin.kpis.size());
  }

  if (!f.json.empty()) {
    nlohmann::json j;
    j["log"] = f.log;
    j["scene"] = model.name;
    j["window"] = {{"from_s", offset_s}, {"to_s", offset_s + window_s}};
    j["replications"] = f.reps;
    j["wall_s"] = r.wall_s;
    j["messages"] = r.messages;
    j["data_quality"] = {{"samples_in", c.samples_in},
                         {"applied", c.applied},
                         {"superseded", c.superseded},
                         {"duplicates", c.duplicates},
                         {"late", c.late},
                         {"future", c.future},
                         {"past", c.past},
                         {"non_finite", c.non_finite},
                         {"bad_quality", c.bad_quality},
                         {"unknown_tag", c.unknown_tag},
                         {"unknown_machine", c.unknown_machine},
                         {"bad_tag_index", c.bad_tag_index},
                         {"events_in", c.events_in},
                         {"events_late", c.events_late},
                         {"events_bad", c.events_bad},
                         {"events_unknown_machine", c.events_unknown_machine},
                         {"malformed_messages", c.malformed_messages},
                         {"unknown_topics", c.unknown_topics},
                         {"stale_episodes", c.stale_episodes},
                         {"gaps", c.gaps},
                         {"stuck_episodes", c.stuck_episodes},
                         {"truth_messages_skipped", r.truth_messages_skipped}};
    j["damage"] = mcap::describe_damage(r.read);
    nlohmann::json jr = nlohmann::json::array();
    for (const ComparisonRow& row : rows) {
      jr.push_back({{"key", row.key},
                    {"real", row.real},
                    {"twin_mean", row.twin.mean},
                    {"twin_ci95", {row.twin.lo(), row.twin.hi()}},
                    {"twin_p05", row.twin_p05},
                    {"twin_p95", row.twin_p95},
                    {"error", row.error},
                    {"relative_error", row.relative_error},
                    {"inside_band", row.inside_band}});
    }
    j["kpis"] = jr;
    nlohmann::json js = nlohmann::json::array();
    for (size_t i = 0; i < series.size(); ++i) {
      nlohmann::json point = {{"t_s", series[i].t_s},
                              {"real_good_parts", series[i].real_good},
                              {"stale_tags", series[i].stale_tags}};
      if (i < twin.good_at.size() && !twin.good_at[i].empty()) {
        point["twin_good_parts_mean"] = summarize(twin.good_at[i]).mean;
        point["twin_good_parts_p05"] = quantile(twin.good_at[i], 0.05);
        point["twin_good_parts_p95"] = quantile(twin.good_at[i], 0.95);
      }
      js.push_back(point);
    }
    j["series"] = js;
    nlohmann::json jm = nlohmann::json::array();
    const MirrorState& s = mirror.state();
    for (size_t m = 0; m < s.mode.size(); ++m) {
      jm.push_back(
          {{"machine", mirror.names().machine[m]},
           {"clock_offset_s", std::isfinite(s.clock_offset_s[m]) ? s.clock_offset_s[m] : 0.0},
           {"good", s.good[m]},
           {"scrap", s.scrap[m]},
           {"mode_seconds", s.mode_seconds[m]}});
    }
    j["machines"] = jm;
    std::ofstream out(f.json);
    out << j.dump(2) << '\n';
    if (!out) {
      print_error("cannot write " + f.json);
      return kExitFailure;
    }
  }
  return kExitOk;
}

namespace {

int run_replay(const ReplayFlags& f) {
  SceneLoadResult scene;
  if (!load_scene_or_report(f.scene, scene)) return kExitInvalidInput;
  return replay_shift(scene.model, f);
}

}  // namespace

void add_replay_command(CLI::App& app, Context& ctx) {
  auto f = std::make_shared<ReplayFlags>();
  CLI::App* cmd = app.add_subcommand(
      "replay",
      "Replay a recorded shift through the mirror; real KPIs beside the twin's prediction");
  cmd->add_option("scene", f->scene, "Scene file (YAML)")->required()->type_name("FILE");
  cmd->add_option("log", f->log, "Recording (MCAP)")->required()->type_name("FILE.mcap");
  cmd->add_option("--speed", f->speed, "Replay speed: 1 (real time), 10, ... or max")
      ->capture_default_str();
  cmd->add_option("--from", f->from, "Start of the KPI window from the shift start (e.g. 2h)");
  cmd->add_option("--to", f->to, "End of the window from the shift start (e.g. 6h)");
  cmd->add_option("--json", f->json, "Write the comparison and time series as JSON")
      ->type_name("FILE");
  cmd->add_option("--reps", f->reps, "Replications of the twin's prediction")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  f->seed_option =
      cmd->add_option("--seed", f->seed, "Seed of the twin's prediction (default: the scene's)");
  cmd->add_option("--series", f->series, "Spacing of the time series (JSON)")
      ->capture_default_str();
  cmd->add_option("--reorder-window", f->reorder_window_s, "Reorder window for events [s]")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--quiet,-q", f->quiet, "Print nothing (use with --json)");
  cmd->callback([f, &ctx] { ctx.exit_code = run_replay(*f); });
}

}  // namespace twin::cli
