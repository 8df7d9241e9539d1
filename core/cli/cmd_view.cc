// twin view SCENE: the interactive viewer (ImGui + GLFW + OpenGL 3.3) over a run of the line
// model, or a headless screenshot of it (--screenshot FILE.png --at SECONDS). Built only with
// the viewer (TWIN_WITH_VIEWER); exit code 4 when no display can be opened.
#ifdef TWIN_WITH_VIEWER

#include <cstdio>
#include <memory>
#include <string>

#include "core/cli/cli_common.h"
#include "viewer/viewer.h"
#ifdef TWIN_WITH_NETWORK
#include "core/cli/mqtt_flags.h"
#include "core/live/state_hub.h"
#include "core/net/live_session.h"
#endif

namespace twin::cli {

namespace {

struct ViewFlags {
  std::string scene;
  std::string recording;
  double hours = 8.0;
  uint64_t seed = 0;
  CLI::Option* seed_option = nullptr;
  double speed = 60.0;
  std::string screenshot;
  double at = 0.0;
  std::string size = "1280x800";
  std::string select;
  bool view_3d = false;
  std::string physics;
  double physics_skew = 0.0;
  double physics_guides = -1.0;
  double physics_jam_clear = 60.0;
  double ui_scale = 0.0;
  std::vector<std::string> whatif;
  size_t whatif_reps = 10;
  std::string fit;
#ifdef TWIN_WITH_NETWORK
  MqttFlags mqtt;
  CLI::Option* mqtt_option = nullptr;  // set: a live source
  std::string host_id = "twin-view";
  std::string clock = "wall";
  double live_wait_s = 30.0;
#endif
};

// "WxH" -> width and height in pixels; false when malformed or out of range.
bool parse_size(const std::string& text, int& width, int& height) {
  int w = 0, h = 0;
  char x = 0, extra = 0;
  if (std::sscanf(text.c_str(), "%d%c%d%c", &w, &x, &h, &extra) != 3) return false;
  if ((x != 'x' && x != 'X') || w < 64 || h < 64 || w > 16384 || h > 16384) return false;
  width = w;
  height = h;
  return true;
}

int run_view(const ViewFlags& flags) {
  ViewerOptions options;
  if (!parse_size(flags.size, options.width, options.height)) {
    print_error("--size: expected WIDTHxHEIGHT in pixels, e.g. 1280x800, got '" + flags.size + "'");
    return kExitUsage;
  }
  SceneLoadResult scene;
  if (!load_scene_or_report(flags.scene, scene)) return kExitInvalidInput;
  options.hours = flags.hours;
  options.seed = flags.seed_option != nullptr && flags.seed_option->count() > 0 ? flags.seed
                                                                                : scene.model.seed;
  options.speed = flags.speed;
  options.screenshot_png = flags.screenshot;
  options.screenshot_at_s = flags.at;
  options.recording = flags.recording;
  options.select_machine = flags.select;
  options.view_3d = flags.view_3d;
  options.physics_conveyor = flags.physics;
  options.physics_skew_deg = flags.physics_skew;
  options.physics_guides_mm = flags.physics_guides;
  options.physics_jam_clear_s = flags.physics_jam_clear;
  options.ui_scale = flags.ui_scale;
  options.scene = &scene.scene;
  options.whatif = flags.whatif;
  options.whatif_replications = flags.whatif_reps;
  MonitorFit fit;
  if (!flags.fit.empty()) {
    std::string error;
    if (!load_monitor_fit(flags.fit, fit, error)) {
      print_error(error);
      return kExitInvalidInput;
    }
    options.monitor_fit = &fit;
  }
#ifdef TWIN_WITH_NETWORK
  if (flags.mqtt_option != nullptr && flags.mqtt_option->count() > 0) {
    if (!flags.recording.empty()) {
      print_error("give either a recording or --mqtt, not both");
      return kExitUsage;
    }
    // A live source: a Sparkplug B host session in this process, the viewer on its hub.
    MqttOptions mo;
    if (!mqtt_options_from_flags(flags.mqtt, "twin-view-" + flags.host_id, mo)) return kExitUsage;
    StateHub hub;
    LiveSessionOptions so;
    so.mqtt = mo;
    so.host_id = flags.host_id;
    so.source_clock = flags.clock == "source";
    so.twin.monitor_fit = fit;
    LiveSession session(scene.model, hub, so);
    session.start();
    options.live = &hub;
    options.live_label = "mqtt://" + flags.mqtt.broker;
    options.live_wait_s = flags.live_wait_s;
    const int code = run_viewer(scene.model, options);
    session.stop();
    hub.close_all();
    return code;
  }
#endif
  return run_viewer(scene.model, options);
}

}  // namespace

void add_view_command(CLI::App& app, Context& ctx) {
  auto flags = std::make_shared<ViewFlags>();
  CLI::App* cmd = app.add_subcommand(
      "view",
      "Show a run of a scene in a window: plan coloured by machine mode, KPIs; with a "
      "recording, the real modes beside the twin's");
  cmd->add_option("scene", flags->scene, "Scene file (YAML)")->required();
  cmd->add_option("recording", flags->recording,
                  "A recorded shift (MCAP) to show beside the twin: real mode above the twin's")
      ->check(CLI::ExistingFile)
      ->type_name("SHIFT.mcap");
  cmd->add_option("--hours", flags->hours, "Hours of the run")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  flags->seed_option =
      cmd->add_option("--seed", flags->seed, "Scenario seed (default: the scene's seed)");
  cmd->add_option("--speed", flags->speed, "Initial speed, simulated seconds per second (1-1000)")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 1000.0));
  CLI::Option* shot = cmd->add_option("--screenshot", flags->screenshot,
                                      "Render headless, write the view to FILE.png and exit");
  cmd->add_option("--at", flags->at, "Simulated time of the screenshot [s]")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber)
      ->needs(shot);
  cmd->add_option("--select", flags->select, "Machine selected at the start (its tags plotted)")
      ->type_name("MACHINE");
  cmd->add_option("--whatif", flags->whatif,
                  "Run this change (as for twin whatif --set) in the background at the start and "
                  "show the comparison in the what-if tab; repeat for several")
      ->type_name("PATH=VALUE")
      ->allow_extra_args(false);
  cmd->add_option("--whatif-reps", flags->whatif_reps, "Replications of the --whatif run")
      ->capture_default_str()
      ->check(CLI::Range(2, 1000));
  cmd->add_option("--ui-scale", flags->ui_scale,
                  "Size of text and controls (2 for a 4K screen); default: the monitor's scale")
      ->check(CLI::Range(0.5, 4.0));
  cmd->add_option("--fit", flags->fit,
                  "Healthy condition models (and RUL calibration) for the twin's alarms, from "
                  "`twin fit` / `twin score --calibrate` (default: learnt online)")
      ->type_name("FIT.json");
  cmd->add_flag("--3d", flags->view_3d, "Start with the 3D view of the line (key 3 switches)");
  cmd->add_option("--physics", flags->physics,
                  "Start with this conveyor, or this station's robot cell, stepping in Bullet "
                  "at the clock (key P switches)")
      ->type_name("NAME");
  cmd->add_option("--physics-skew", flags->physics_skew,
                  "Physics view: parts are put on turned by a random angle up to this")
      ->type_name("DEG")
      ->check(CLI::Range(0.0, 90.0));
  cmd->add_option("--physics-guides", flags->physics_guides,
                  "Physics view: side guides this far from the parts on each side")
      ->type_name("MM")
      ->check(CLI::Range(0.0, 1000.0));
  cmd->add_option("--physics-jam-clear", flags->physics_jam_clear,
                  "Physics view: an operator clears a jam this long after it (< 0: never)")
      ->type_name("S")
      ->capture_default_str();
  cmd->add_option("--size", flags->size, "Window (and screenshot) size in pixels, WxH")
      ->capture_default_str();
#ifdef TWIN_WITH_NETWORK
  add_mqtt_flags(*cmd, flags->mqtt);
  flags->mqtt_option = cmd->get_option("--mqtt");
  flags->mqtt_option->description(
      "Show a live plant: follow its Sparkplug B messages on this MQTT broker");
  cmd->add_option("--host-id", flags->host_id, "Sparkplug host application id (live)")
      ->capture_default_str();
  cmd->add_option("--clock", flags->clock,
                  "Live: wall (the twin's clock is the wall clock) or source (the newest "
                  "timestamps)")
      ->check(CLI::IsMember({"wall", "source"}))
      ->capture_default_str();
  cmd->add_option("--live-wait", flags->live_wait_s,
                  "Live screenshots: wait at most this many seconds for the clock to reach --at")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
#endif
  cmd->callback([flags, &ctx] { ctx.exit_code = run_view(*flags); });
}

}  // namespace twin::cli

#endif  // TWIN_WITH_VIEWER
