// Shared pieces of the `twin` subcommands: exit codes, run flags, scene loading with error
// printing, and a progress bar that only appears on a terminal.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "core/run/replications.h"
#include "core/scene/load.h"

namespace twin::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure =
    1;                                // runtime failure (a run threw, a file could not be written)
inline constexpr int kExitUsage = 2;  // command line usage error
inline constexpr int kExitInvalidInput = 3;  // invalid scene or scenario

// What a subcommand callback reports back to main().
struct Context {
  int exit_code = kExitOk;
};

// Flags shared by simulate and whatif.
struct RunFlags {
  std::string scene;
  double hours = 8.0;   // [h] observed after the warm-up
  double warmup = 0.0;  // [h]
  size_t reps = 10;
  uint64_t seed = 0;
  CLI::Option* seed_option = nullptr;  // set when --seed was given
  unsigned threads = 0;                // 0 = hardware concurrency
  std::string json;
  bool json_values = false;
  std::string report;
  bool quiet = false;
};

inline void add_run_flags(CLI::App& cmd, RunFlags& f) {
  cmd.add_option("scene", f.scene, "Scene file (YAML)")->required()->type_name("FILE");
  cmd.add_option("--hours", f.hours, "Hours observed per replication, after the warm-up")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd.add_option("--warmup", f.warmup, "Warm-up hours before statistics start")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd.add_option("--reps", f.reps, "Number of replications")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  f.seed_option = cmd.add_option("--seed", f.seed, "Scenario seed (default: the scene's seed)");
  cmd.add_option("--threads", f.threads, "Worker threads (default: all hardware threads)")
      ->check(CLI::NonNegativeNumber);
  cmd.add_option("--json", f.json, "Write results as JSON to FILE")->type_name("FILE");
  cmd.add_flag("--json-values", f.json_values, "Add per-replication values to the --json file");
  cmd.add_option("--report", f.report, "Write a self-contained HTML report to FILE.html")
      ->type_name("FILE.html");
  cmd.add_flag("--quiet,-q", f.quiet, "No tables on stdout and no progress bar");
}

// "90", "90s", "15min", "2h", "1.5 h" -> seconds; with shift_s >= 0 also "25%" of it. -1 when
// it does not parse or is negative.
inline double parse_duration(const std::string& text, double shift_s = -1.0) {
  size_t used = 0;
  double v = 0.0;
  try {
    v = std::stod(text, &used);
  } catch (...) {
    return -1.0;
  }
  std::string unit = text.substr(used);
  unit.erase(0, unit.find_first_not_of(' '));
  if (!(v >= 0.0)) return -1.0;
  if (unit.empty() || unit == "s" || unit == "sec") return v;
  if (unit == "min" || unit == "m") return v * 60.0;
  if (unit == "h") return v * 3600.0;
  if (unit == "%" && shift_s >= 0.0) return v / 100.0 * shift_s;
  return -1.0;
}

inline void print_error(const std::string& message) {
  std::cerr << "twin: " << message << '\n';
}

inline void print_errors(const std::vector<SceneError>& errors) {
  for (const SceneError& e : errors) print_error(e.to_string());
}

// Loads and compiles a scene; prints the errors and returns false when it is invalid.
inline bool load_scene_or_report(const std::string& path, SceneLoadResult& out) {
  out = load_scene_file(path);
  if (out.ok()) return true;
  print_errors(out.errors);
  return false;
}

inline ReplicationOptions replication_options(const RunFlags& f, const Model& model) {
  return twin::replication_options(
      f.reps, f.hours, f.warmup,
      f.seed_option != nullptr && f.seed_option->count() > 0 ? f.seed : model.seed, f.threads);
}

// A one-line progress bar on stderr, drawn only when stderr is a terminal and the run has
// taken longer than half a second (so CI logs and quick runs stay clean).
class ProgressBar {
 public:
  explicit ProgressBar(bool wanted) : enabled_(wanted && isatty(STDERR_FILENO) != 0) {}
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;
  ~ProgressBar() { finish(); }

  // A callback for ReplicationOptions::progress that draws on this bar (which must outlive it).
  ProgressFn callback() {
    if (!enabled_) return {};
    return [this](size_t done, size_t total) { update(done, total); };
  }

  void update(size_t done, size_t total) {
    const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
    if (elapsed < 0.5 || total == 0 || done >= total) return;
    constexpr int kWidth = 30;
    const int filled =
        static_cast<int>(kWidth * static_cast<double>(done) / static_cast<double>(total));
    std::string bar(static_cast<size_t>(filled), '#');
    bar.resize(kWidth, ' ');
    std::fprintf(stderr, "\r[%s] %zu/%zu replications, %.1f s", bar.c_str(), done, total, elapsed);
    std::fflush(stderr);
    drawn_ = true;
  }

  // Clears the bar's line.
  void finish() {
    if (!drawn_) return;
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
    drawn_ = false;
  }

 private:
  using Clock = std::chrono::steady_clock;
  bool enabled_ = false;
  bool drawn_ = false;
  Clock::time_point start_ = Clock::now();
};

// Registration of the subcommands (one per cmd_<name>.cc).
void add_simulate_command(CLI::App& app, Context& ctx);
void add_whatif_command(CLI::App& app, Context& ctx);
void add_validate_command(CLI::App& app, Context& ctx);
void add_import_command(CLI::App& app, Context& ctx);    // cmd_import.cc
void add_generate_command(CLI::App& app, Context& ctx);  // cmd_generate.cc
void add_replay_command(CLI::App& app, Context& ctx);    // cmd_replay.cc
void add_record_command(CLI::App& app, Context& ctx);    // cmd_record.cc
void add_demo_command(CLI::App& app, Context& ctx);      // cmd_demo.cc
void add_forecast_command(CLI::App& app, Context& ctx);  // cmd_forecast.cc
void add_rul_command(CLI::App& app, Context& ctx);       // cmd_rul.cc
void add_score_command(CLI::App& app, Context& ctx);     // cmd_score.cc
void add_fit_command(CLI::App& app, Context& ctx);       // cmd_fit.cc
void add_physics_command(CLI::App& app, Context& ctx);   // cmd_physics.cc
void add_live_command(CLI::App& app, Context& ctx);      // cmd_live.cc (network)
void add_edge_command(CLI::App& app, Context& ctx);      // cmd_edge.cc (network)
#ifdef TWIN_WITH_VIEWER
void add_view_command(CLI::App& app, Context& ctx);  // cmd_view.cc
#endif

}  // namespace twin::cli
