// twin demo: the main job in one command, on the bundled 20-station machining line and its
// sample faults. (1) A recorded shift from the plant simulator (made once, then reused), (2) that
// shift replayed through the twin: real KPIs beside the twin's prediction, as `twin replay`
// prints them, (3) the viewer on the scene and the recording, or, with no display, a screenshot
// of it at a telling moment (a machine down in the recording).
//
// The scenes are looked up in this order, the first directory holding both files wins:
// ./scenes, <directory of the twin executable>/../scenes (the build tree: build/twin),
// <executable dir>/../share/twin/scenes (an install), and the source tree the binary was built
// from (TWIN_SOURCE_DIR).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/cli/cli_common.h"
#include "core/cli/plant_flags.h"
#include "core/cli/shift_steps.h"
#include "replay/mcap_reader.h"
#include "replay/player.h"
#include "twin/telemetry.pb.h"
#ifdef TWIN_WITH_VIEWER
#include "viewer/viewer.h"
#endif

namespace twin::cli {

namespace {

namespace fs = std::filesystem;

constexpr const char* kSceneFile = "machining20.yaml";
constexpr const char* kFaultsFile = "faults/machining20.yaml";
constexpr const char* kRecordingFile = "machining20_shift.mcap";
constexpr uint64_t kPlantSeed = 1;  // seed of the recorded shift (process and sensors)

struct DemoFlags {
  std::string out = "out/demo";
  bool no_window = false;
  std::string screenshot;  // empty: DIR/twin_demo.png when there is no window
  double hours = 8.0;      // [h] shift length
};

// The directories searched for the bundled scenes, in order (see the top of this file).
std::vector<fs::path> scene_dirs() {
  std::vector<fs::path> dirs{fs::path("scenes")};
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    dirs.push_back(exe.parent_path() / ".." / "scenes");
    dirs.push_back(exe.parent_path() / ".." / "share" / "twin" / "scenes");
  }
#ifdef TWIN_SOURCE_DIR
  dirs.push_back(fs::path(TWIN_SOURCE_DIR) / "scenes");
#endif
  return dirs;
}

// The first directory of scene_dirs() holding the scene and its faults; empty when none does.
fs::path find_scenes(std::string& searched) {
  for (const fs::path& dir : scene_dirs()) {
    std::error_code ec;
    if (fs::is_regular_file(dir / kSceneFile, ec) && fs::is_regular_file(dir / kFaultsFile, ec)) {
      return dir.lexically_normal();
    }
    searched.append("\n  ").append(dir.lexically_normal().string());
  }
  return {};
}

// The sample faults that fall inside a shift of `hours` (a short demo shift leaves the later
// ones out rather than failing). Prints the errors and returns false on a bad fault file.
bool load_demo_faults(const Model& model, const fs::path& path, double hours,
                      std::vector<FaultSpec>& out, int& left_out) {
  faults::FaultPlan plan;
  if (!load_faults(path.string(), plan)) return false;
  faults::FaultPlan inside;
  for (const faults::Fault& f : plan.faults()) {
    if (f.at() < hours * 3600.0) *inside.add_faults() = f;
  }
  left_out = plan.faults_size() - inside.faults_size();
  std::vector<std::string> problems;
  out = resolve_faults(model, inside, hours, problems);
  for (const std::string& p : problems) print_error(path.string() + ": " + p);
  return problems.empty();
}

// True when `path` is a finished recording (intact summary) of this scene by the plant
// simulator, `hours` long. Otherwise false with the reason.
bool recording_complete(const fs::path& path, const Model& model, double hours, std::string& why) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    why = "not there";
    return false;
  }
  mcap::McapFile file;
  if (!file.open(path.string()) || !file.summary().ok()) {
    why = "no intact summary";
    return false;
  }
  const int64_t length_ns = std::llround(hours * 3600.0 * 1e9);
  for (const auto& [id, channel] : file.summary().channels) {
    const auto& meta = channel.metadata;
    const auto source = meta.find("source"), scene = meta.find("scene");
    const auto start = meta.find("shift_start_ns"), end = meta.find("shift_end_ns");
    if (source == meta.end() || scene == meta.end() || start == meta.end() || end == meta.end())
      continue;
    if (source->second != "twin generate" || scene->second != model.name) {
      why = "a recording of another scene";
      return false;
    }
    const long long begins = std::strtoll(start->second.c_str(), nullptr, 10);
    const long long ends = std::strtoll(end->second.c_str(), nullptr, 10);
    if (ends - begins != length_ns) {
      why = "a shift of another length";
      return false;
    }
    return true;
  }
  why = "not a recording of the plant simulator";
  return false;
}

// Step 1: the recorded shift, generated unless a complete one is there. The writer adds the
// summary last, so a run killed while recording leaves a file that is recorded again.
int ensure_recording(const Model& model, const PlantOptions& options, const fs::path& path) {
  std::string why;
  if (recording_complete(path, model, options.hours, why)) {
    std::printf("%s: reusing the recorded %.1f h shift (delete it to record again)\n", path.c_str(),
                options.hours);
    return kExitOk;
  }
  if (why != "not there") std::printf("%s: %s; recording it again\n", path.c_str(), why.c_str());
  TelemetryWriterOptions wo;  // zstd chunks and a summary, as `twin generate` writes
  return write_plant_recording(model, options, wo, path.string(), /*quiet=*/false);
}

#ifdef TWIN_WITH_VIEWER
struct Moment {
  double at_s = 0.0;  // [s] from the shift start
  std::string what;
  std::string machine;  // the machine that is down (selected, so its tags are plotted), or ""
};

// A telling moment for the screenshot: a machine down in the recording. The first injected
// fault that stops a machine, a few minutes into its repair; without one, the first minute at
// which the recording shows a machine down once the line has filled (after a quarter of the
// shift; before, when that is all there is); else the middle of the shift.
Moment telling_moment(const Model& model, const std::vector<FaultSpec>& injected,
                      const fs::path& recording, double hours) {
  const FaultSpec* first = nullptr;
  for (const FaultSpec& f : injected) {
    const bool stops = f.kind == faults::Fault::BEARING_WEAR ||
                       f.kind == faults::Fault::TOOL_BREAKAGE ||
                       f.kind == faults::Fault::OVERHEATING;
    if (stops && (first == nullptr || f.at_s < first->at_s)) first = &f;
  }
  char what[160];
  if (first != nullptr) {
    std::snprintf(what, sizeof what, "%s down (%s) at %.2f h", first->target.c_str(),
                  faults::Fault::Kind_Name(first->kind).c_str(), first->at_s / 3600.0);
    return {first->at_s + std::min(0.4 * first->repair_s, 600.0), what, first->target};
  }
  const double filled_s = hours * 900.0;  // [s] a quarter of the shift
  Moment early{-1.0, "", ""}, late{-1.0, "", ""};
  PlayOptions po;
  po.series_interval_s = 60.0;
  po.keep_keyframes = false;
  po.on_series = [&](double t_s, const Mirror& mirror) {
    Moment& m = t_s < filled_s ? early : late;
    if (m.at_s >= 0.0) return;
    const MirrorState& state = mirror.state();
    for (size_t i = 0; i < state.mode.size(); ++i) {
      if (state.mode[i] != telemetry::MODE_DOWN) continue;
      std::snprintf(what, sizeof what, "%s down at %.2f h", mirror.names().machine[i].c_str(),
                    t_s / 3600.0);
      m = {t_s, what, mirror.names().machine[i]};
      return;
    }
  };
  Player player(model);
  player.play(recording.string(), po);
  if (late.at_s >= 0.0) return late;
  if (early.at_s >= 0.0) return early;
  return {hours * 1800.0, "the middle of the shift (no machine down in the recording)", ""};
}

bool have_display() {
  for (const char* name : {"DISPLAY", "WAYLAND_DISPLAY"}) {
    const char* v = std::getenv(name);
    if (v != nullptr && *v != '\0') return true;
  }
  return false;
}
#endif

int run_demo(const DemoFlags& f) {
  std::string searched;
  const fs::path scenes = find_scenes(searched);
  if (scenes.empty()) {
    print_error(std::string("cannot find the bundled scenes (") + kSceneFile + " and " +
                kFaultsFile + "); looked in:" + searched +
                "\nRun from the source tree, or keep the build directory inside it.");
    return kExitFailure;
  }
  const fs::path scene_path = scenes / kSceneFile;
  const fs::path faults_path = scenes / kFaultsFile;
  SceneLoadResult scene;
  if (!load_scene_or_report(scene_path.string(), scene)) return kExitInvalidInput;
  const Model& model = scene.model;

  PlantOptions plant;
  plant.hours = f.hours;
  plant.seed = kPlantSeed;
  int left_out = 0;
  if (!load_demo_faults(model, faults_path, f.hours, plant.faults, left_out))
    return kExitInvalidInput;

  std::error_code ec;
  fs::create_directories(f.out, ec);
  if (ec) {
    print_error("cannot create " + f.out + ": " + ec.message());
    return kExitFailure;
  }
  const fs::path recording = fs::path(f.out) / kRecordingFile;

  std::printf("twin demo: %s (%s, %u machines), a shift of %.1f h with the sample faults (%s)",
              model.name.c_str(), scene_path.c_str(), model.machine_count(), f.hours,
              faults_path.c_str());
  if (left_out > 0) std::printf("; %d of them fall after this shift", left_out);
  std::printf("\n\n[1/3] the recorded shift: the plant simulator as the real plant\n");
  std::fflush(stdout);
  if (const int code = ensure_recording(model, plant, recording); code != kExitOk) return code;

  std::printf("\n[2/3] the shift replayed through the twin: real KPIs beside its prediction\n");
  std::fflush(stdout);
  ReplayFlags replay;
  replay.scene = scene_path.string();
  replay.log = recording.string();
  replay.json = (fs::path(f.out) / "replay.json").string();
  if (const int code = replay_shift(model, replay); code != kExitOk) return code;
  std::printf("replay JSON: %s\n", replay.json.c_str());

#ifdef TWIN_WITH_VIEWER
  ViewerOptions view;
  view.hours = f.hours;
  view.seed = model.seed;
  view.recording = recording.string();
  view.scene = &scene.scene;  // the what-if tab
  if (f.screenshot.empty() && !f.no_window && have_display()) {
    std::printf("\n[3/3] the viewer: real mode above the twin's per machine (close it to end)\n");
    std::fflush(stdout);
    return run_viewer(model, view);
  }
  const Moment moment = telling_moment(model, plant.faults, recording, f.hours);
  view.screenshot_png =
      f.screenshot.empty() ? (fs::path(f.out) / "twin_demo.png").string() : f.screenshot;
  view.screenshot_at_s = moment.at_s;
  view.select_machine = moment.machine;
  std::printf("\n[3/3] a screenshot of the viewer at %.2f h: %s\n", moment.at_s / 3600.0,
              moment.what.c_str());
  std::fflush(stdout);
  const int code = run_viewer(model, view);
  if (code != kExitOk) return code;
  std::printf("screenshot: %s\n", view.screenshot_png.c_str());
#else
  std::printf("\n[3/3] no viewer in this build (configure with -DTWIN_BUILD_VIEWER=ON)\n");
#endif
  return kExitOk;
}

}  // namespace

void add_demo_command(CLI::App& app, Context& ctx) {
  auto f = std::make_shared<DemoFlags>();
  CLI::App* cmd = app.add_subcommand(
      "demo",
      "The main job on the bundled 20-station line: record a shift with the plant simulator "
      "(once), replay it through the twin (real vs twin), then show it in the viewer, or write a "
      "screenshot when there is no display");
  cmd->add_option("--out", f->out, "Directory for the recording, the replay JSON and the PNG")
      ->capture_default_str()
      ->type_name("DIR");
  cmd->add_flag("--no-window", f->no_window,
                "Do not open the viewer even with a display; write the screenshot instead");
  cmd->add_option("--screenshot", f->screenshot,
                  "Write the viewer's screenshot here instead of opening it (default with no "
                  "display or --no-window: DIR/twin_demo.png)")
      ->type_name("FILE.png");
  cmd->add_option("--hours", f->hours, "Shift length (a complete recording of it is reused)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->footer(
      "Scenes: machining20.yaml and faults/machining20.yaml from the first of ./scenes, "
      "<exe dir>/../scenes, <exe dir>/../share/twin/scenes and the source tree of the build.");
  cmd->callback([f, &ctx] { ctx.exit_code = run_demo(*f); });
}

}  // namespace twin::cli
