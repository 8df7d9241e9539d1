// Scene validation and compilation: bad scenes name path, line and cause; good scenes fill every
// Model field; the sample scenes in scenes/ load.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "core/scene/load.h"
#include "core/sim/rng.h"

namespace twin {
namespace {

std::string dump(const std::vector<SceneError>& errors) {
  std::string out;
  for (const SceneError& e : errors) out += e.to_string() + "\n";
  return out;
}

// A valid two-station line. Cases append lines from line 13 on, inside station S2.
const std::string kBase =
    "sources: [{name: In}]\n"               // 1
    "buffers: [{name: B1, capacity: 5}]\n"  // 2
    "sinks: [{name: Out}]\n"                // 3
    "stations:\n"                           // 4
    "  - name: S1\n"                        // 5
    "    input: In\n"                       // 6
    "    output: B1\n"                      // 7
    "    cycle_time: 10\n"                  // 8
    "  - name: S2\n"                        // 9
    "    input: B1\n"                       // 10
    "    output: Out\n"                     // 11
    "    cycle_time: 12\n";                 // 12

// A robot block from line 13 on (kBase's S2), with its pick place, second link and z limits.
std::string robot_block(const std::string& pick, const std::string& link2,
                        const std::string& z = "{speed: 1, accel: 4}") {
  return "    robot:\n"        // 13
         "      base_x: 0\n"   // 14
         "      base_y: 0\n"   // 15
         "      link1: 0.3\n"  // 16
         "      link2: " +
         link2 +
         "\n"                                          // 17
         "      shoulder: {speed: 180, accel: 600}\n"  // 18
         "      elbow: {speed: 240, accel: 800}\n"     // 19
         "      z: " +
         z +
         "\n"                                        // 20
         "      wrist: {speed: 400, accel: 2000}\n"  // 21
         "      travel_z: 0.5\n"                     // 22
         "      pick: " +
         pick +
         "\n"                                                 // 23
         "      drop: {x: 0, y: 0.5, z: 0.2, yaw_deg: 90}\n"  // 24
         "      grip: 250ms\n";                               // 25
}

struct BadCase {
  const char* name;
  std::string yaml;
  std::string path;
  int line;
  std::string gist;
};

std::vector<BadCase> bad_cases() {
  return {
      // --- names -------------------------------------------------------------------------------
      {"duplicate name across kinds",
       "sources: [{name: In}]\nbuffers: [{name: B1, initial: 1}, {name: In}]\nsinks: [{name: "
       "Out}]\n"
       "stations: [{name: S, input: [In, B1], output: Out, cycle_time: 1}]\n",
       "buffers[1].name", 2, "duplicate name 'In', already used by sources[0]"},
      {"station named like a buffer",
       kBase + "  - name: B1\n    input: In\n    output: B1\n"
               "    cycle_time: 3\n",
       "stations[2].name", 13, "duplicate name 'B1', already used by buffers[0]"},
      {"missing name",
       "sources: [{name: In}]\nsinks: [{name: Out}]\n"
       "stations: [{input: In, output: Out, cycle_time: 1}]\n",
       "stations[0].name", 3, "name is required"},
      // --- references --------------------------------------------------------------------------
      {"input is a sink",
       "sources: [{name: In}]\nsinks: [{name: Out}]\nbuffers: [{name: B}]\nstations:\n"
       "  - {name: S1, input: In, output: B, cycle_time: 1}\n"
       "  - {name: S2, input: [B, Out], output: Out, cycle_time: 1}\n",
       "stations[1].input[1]", 6, "input 'Out' is a sink"},
      {"input is a station",
       kBase + "  - name: S3\n    input: S1\n    output: Out\n"
               "    cycle_time: 3\n",
       "stations[2].input[0]", 14, "input 'S1' is a station"},
      {"unknown input with suggestion",
       "sources: [{name: Incoming}]\nsinks: [{name: Out}]\n"
       "stations: [{name: S, input: Incomng, output: Out, cycle_time: 1}]\n",
       "stations[0].input[0]", 3,
       "input 'Incomng' names no source, buffer or conveyor, did you "
       "mean 'Incoming'?"},
      {"no input",
       "sources: [{name: In}]\nsinks: [{name: Out}]\n"
       "stations: [{name: S, output: Out, cycle_time: 1}]\n",
       "stations[0].input", 3, "station 'S' has no input"},
      {"output is a source",
       "sources: [{name: In}, {name: In2}]\nsinks: [{name: Out}]\nstations:\n"
       "  - {name: S, input: In, output: Out, cycle_time: 1}\n"
       "  - name: T\n    input: In2\n    output: In\n    cycle_time: 1\n",
       "stations[1].output", 7, "output 'In' is a source"},
      {"no output", kBase + "  - name: S3\n    input: In\n    cycle_time: 3\n",
       "stations[2].output", 13, "station 'S3' has no output"},
      {"output into own input",
       kBase + "  - name: S3\n    input: B1\n    output: B1\n"
               "    cycle_time: 3\n",
       "stations[2].output", 15, "outputs into its own input 'B1'"},
      {"rework to a sink", kBase + "    rework: {probability: 0.1, to: Out}\n",
       "stations[1].rework.to", 13, "rework.to 'Out' is a sink"},
      {"rework without target", kBase + "    rework: {probability: 0.1}\n", "stations[1].rework.to",
       13, "rework.to is required"},
      // --- probabilities -----------------------------------------------------------------------
      {"scrap above 1", kBase + "    scrap_probability: 1.5\n", "stations[1].scrap_probability", 13,
       "a probability must be in [0, 1], got 1.5"},
      {"scrap plus rework above 1",
       kBase + "    scrap_probability: 0.6\n    rework:\n      to: B1\n      probability: 0.5\n",
       "stations[1].rework.probability", 16,
       "scrap_probability + rework.probability = 1.1 exceeds 1"},
      // --- distributions -----------------------------------------------------------------------
      {"cycle_time missing",
       "sources: [{name: In}]\nsinks: [{name: Out}]\nstations:\n"
       "  - name: S\n    input: In\n    output: Out\n",
       "stations[0].cycle_time", 4, "cycle_time is required"},
      {"negative constant time",
       "sources: [{name: In}]\nsinks: [{name: Out}]\nstations:\n"
       "  - name: S\n    input: In\n    output: Out\n    cycle_time: -3\n",
       "stations[0].cycle_time.constant", 7, "a time must not be negative, got -3"},
      {"zero cycle time",
       "sources: [{name: In}]\nsinks: [{name: Out}]\nstations:\n"
       "  - name: S\n    input: In\n    output: Out\n    cycle_time: 0\n",
       "stations[0].cycle_time", 7, "must have a positive mean"},
      {"empty distribution", kBase + "    setup: {time: {}, every_parts: 5}\n",
       "stations[1].setup.time", 13, "no distribution given"},
      {"exponential mean zero",
       kBase + "    setup:\n      every_parts: 5\n"
               "      time: {exponential: {mean: 0}}\n",
       "stations[1].setup.time.exponential.mean", 15, "mean must be positive, got 0"},
      {"normal negative stddev",
       kBase + "    failures:\n      - name: f\n        time_to_failure: 1h\n"
               "        time_to_repair: {normal: {mean: 60, stddev: -5}}\n",
       "stations[1].failures[0].time_to_repair.normal.stddev", 16,
       "stddev must not be negative, got -5"},
      {"normal window empty",
       kBase + "    setup:\n      every_parts: 5\n"
               "      time: {normal: {mean: 100, stddev: 1, max: 50}}\n",
       "stations[1].setup.time.normal", 15, "keeps almost none of the distribution"},
      {"normal max below default min",
       kBase + "    setup: {every_parts: 5, time: {normal: {mean: 1, stddev: 1, max: -1}}}\n",
       "stations[1].setup.time.normal.max", 13, "min defaults to 0 for a time"},
      {"lognormal mean zero",
       kBase + "    setup: {every_parts: 5, time: {lognormal: {mean: 0, stddev: 1}}}\n",
       "stations[1].setup.time.lognormal.mean", 13, "mean must be positive"},
      {"uniform max below min",
       kBase + "    setup: {every_parts: 5, time: {uniform: {min: 5, max: 2}}}\n",
       "stations[1].setup.time.uniform.max", 13, "max 2 is below min 5"},
      {"triangular mode outside",
       kBase + "    setup:\n      every_parts: 5\n      time:\n        triangular:\n"
               "          min: 3\n          mode: 1\n          max: 5\n",
       "stations[1].setup.time.triangular", 17, "need min <= mode <= max"},
      {"empirical without values",
       kBase + "    setup: {every_parts: 5, time: {empirical: {weights: [1]}}}\n",
       "stations[1].setup.time.empirical.values", 13, "at least one value"},
      {"empirical weight count",
       kBase + "    setup: {every_parts: 5, time: {empirical: {values: [1, 2], weights: [1]}}}\n",
       "stations[1].setup.time.empirical.weights", 13, "1 weights for 2 values"},
      {"empirical negative weight",
       kBase + "    setup:\n      every_parts: 5\n      time:\n        empirical:\n"
               "          values: [1, 2]\n          weights: [1, -1]\n",
       "stations[1].setup.time.empirical.weights[1]", 18, "weight must not be negative"},
      {"empirical interpolate with weights",
       kBase + "    setup: {every_parts: 5, time: {empirical: {values: [1, 2], weights: [1, 1], "
               "interpolate: true}}}\n",
       "stations[1].setup.time.empirical.weights", 13, "interpolate takes no weights"},
      {"weibull zero shape",
       kBase + "    failures:\n      - name: f\n"
               "        time_to_failure: {weibull: {shape: 0, scale: 100}}\n"
               "        time_to_repair: 5\n",
       "stations[1].failures[0].time_to_failure.weibull.shape", 15, "shape must be positive"},
      {"gamma negative scale",
       kBase + "    setup: {every_parts: 5, time: {gamma: {shape: 2, scale: -1}}}\n",
       "stations[1].setup.time.gamma.scale", 13, "scale must be positive, got -1"},
      {"failure without repair",
       kBase + "    failures:\n      - name: jam\n        time_to_failure: 1h\n",
       "stations[1].failures[0].time_to_repair", 14, "time_to_repair is required"},
      {"duplicate failure name",
       kBase + "    failures:\n      - {name: jam, time_to_failure: 1h, time_to_repair: 5}\n"
               "      - {name: jam, time_to_failure: 2h, time_to_repair: 5}\n",
       "stations[1].failures[1].name", 15, "duplicate failure 'jam'"},
      {"setup never happens", kBase + "    setup: {time: 60}\n", "stations[1].setup", 13,
       "the setup never happens"},
      {"interarrival zero",
       "sources: [{name: In, interarrival: 0}]\nsinks: [{name: Out}]\n"
       "stations: [{name: S, input: In, output: Out, cycle_time: 1}]\n",
       "sources[0].interarrival", 1, "must have a positive mean"},
      // --- capacities --------------------------------------------------------------------------
      {"negative capacity",
       "sources: [{name: In}]\nbuffers:\n  - name: B1\n    capacity: -1\nsinks: [{name: Out}]\n"
       "stations: [{name: S1, input: In, output: B1, cycle_time: 1},"
       " {name: S2, input: B1, output: Out, cycle_time: 1}]\n",
       "buffers[0].capacity", 4, "capacity must not be negative, got -1"},
      {"initial above capacity",
       "sources: [{name: In}]\nbuffers:\n  - name: B1\n    capacity: 2\n    initial: 3\n"
       "sinks: [{name: Out}]\n"
       "stations: [{name: S1, input: In, output: B1, cycle_time: 1},"
       " {name: S2, input: B1, output: Out, cycle_time: 1}]\n",
       "buffers[0].initial", 5, "initial 3 exceeds capacity 2"},
      {"conveyor without time",
       "sources: [{name: In}]\nconveyors:\n  - name: C\n    length: 5\nsinks: [{name: Out}]\n"
       "stations: [{name: S1, input: In, output: C, cycle_time: 1},"
       " {name: S2, input: C, output: Out, cycle_time: 1}]\n",
       "conveyors[0].transport_time", 3, "needs transport_time, or length and speed"},
      {"too many machines", kBase + "    machines: 5000\n", "stations[1].machines", 13,
       "at most 1000 machines"},
      {"negative power", kBase + "    power: {busy: -2}\n", "stations[1].power.busy", 13,
       "power must not be negative"},
      {"negative energy limit", kBase + "    power: {hour_limit: -2 kWh}\n",
       "stations[1].power.hour_limit", 13, "energy limit must not be negative"},
      {"negative tag rate", kBase + "    tags:\n      - {name: t, rate_hz: -1}\n",
       "stations[1].tags[0].rate_hz", 14, "rate_hz must not be negative"},
      // --- robot ---------------------------------------------------------------------------------
      {"robot pick out of reach", kBase + robot_block("{x: 0.9, y: 0, z: 0.1}", "0.4"),
       "stations[1].robot.pick", 23, "pick point is 0.9 m from the robot's base, out of its reach"},
      {"robot pick inside its inner circle", kBase + robot_block("{x: 0.05, y: 0, z: 0.1}", "0.4"),
       "stations[1].robot.pick", 23, "out of its reach [0.1, 0.7] m"},
      {"robot travel below the pick table", kBase + robot_block("{x: 0.5, y: 0, z: 0.6}", "0.4"),
       "stations[1].robot.travel_z", 22, "travel_z 0.5 m is not above the pick table"},
      {"robot zero link", kBase + robot_block("{x: 0.5, y: 0, z: 0.1}", "0"),
       "stations[1].robot.link2", 17, "link2 must be positive"},
      {"robot zero joint speed",
       kBase + robot_block("{x: 0.5, y: 0, z: 0.1}", "0.4", "{speed: 0, accel: 4}"),
       "stations[1].robot.z.speed", 20, "joint speed must be positive"},
      // --- products ----------------------------------------------------------------------------
      {"unknown product in mix",
       "products: [{name: shaft}, {name: flange}]\n"
       "sources:\n  - name: In\n    product_mix:\n      - {product: shaft, weight: 1}\n"
       "      - {product: flang, weight: 1}\n"
       "sinks: [{name: Out}]\nstations: [{name: S, input: In, output: Out, cycle_time: 1}]\n",
       "sources[0].product_mix[1].product", 6, "unknown product 'flang', did you mean 'flange'?"},
      // --- calendar ----------------------------------------------------------------------------
      {"break beyond period",
       kBase + "calendar:\n  period: 1h\n  breaks:\n    - {name: lunch, start: 50min, "
               "duration: 20min}\n",
       "calendar.breaks[0].duration", 16,
       "break 'lunch' ends at 4200 s, after the end of the "
       "period (3600 s)"},
      {"overlapping breaks",
       kBase + "calendar:\n  period: 8h\n  breaks:\n    - {name: b, start: 2h, duration: 1h}\n"
               "    - {name: a, start: 1h, duration: 90min}\n",
       "calendar.breaks[0]", 16, "break 'b' (7200 to 10800 s) overlaps break 'a' (3600 to 9000 s)"},
      {"zero break duration", kBase + "calendar:\n  breaks:\n    - start: 100\n      duration: 0\n",
       "calendar.breaks[0].duration", 16, "duration must be positive"},
      // --- flow --------------------------------------------------------------------------------
      {"buffer never read",
       "sources: [{name: In}]\nbuffers: [{name: B1}, {name: B3}]\nsinks: [{name: Out}]\n"
       "stations:\n  - {name: S1, input: In, output: B1, cycle_time: 1}\n"
       "  - {name: S2, input: B1, output: Out, cycle_time: 1}\n"
       "  - {name: S3, input: In, output: B3, cycle_time: 1}\n",
       "buffers[1]", 2, "buffer 'B3' is never read by any station"},
      {"buffer never fed",
       "sources: [{name: In}]\nbuffers:\n  - name: B1\n  - name: B2\nsinks: [{name: Out}]\n"
       "stations:\n  - {name: S1, input: In, output: B1, cycle_time: 1}\n"
       "  - {name: S2, input: [B1, B2], output: Out, cycle_time: 1}\n",
       "buffers[1]", 4, "buffer 'B2' is never fed"},
      {"sink never reached",
       "sources: [{name: In}]\nsinks: [{name: Out}, {name: Spare}]\n"
       "stations: [{name: S, input: In, output: Out, cycle_time: 1}]\n",
       "sinks[1]", 2, "sink 'Spare' never receives parts"},
      {"no sink",
       "sources: [{name: In}]\nbuffers: [{name: B1}, {name: B2}]\nstations:\n"
       "  - {name: S1, input: In, output: B1, cycle_time: 1}\n"
       "  - {name: S2, input: B1, output: B2, cycle_time: 1}\n"
       "  - {name: S3, input: B2, output: B1, cycle_time: 1}\n",
       "sinks", 0, "at least one sink"},
      {"no source",
       "buffers: [{name: B1}, {name: B2}]\nsinks: [{name: Out}]\nstations:\n"
       "  - {name: S1, input: B1, output: B2, cycle_time: 1}\n"
       "  - {name: S2, input: B2, output: B1, cycle_time: 1}\n"
       "  - {name: S3, input: B2, output: Out, cycle_time: 1}\n",
       "sources", 0, "at least one source"},
  };
}

TEST(SceneBad, EachCaseNamesPathLineAndCause) {
  const std::vector<BadCase> cases = bad_cases();
  EXPECT_GE(cases.size(), 25u);
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.name);
    SceneLoadResult r;
    EXPECT_NO_THROW(r = load_scene_text(c.yaml, "bad.yaml"));
    EXPECT_FALSE(r.ok());
    ASSERT_EQ(r.errors.size(), 1u) << dump(r.errors);
    const SceneError& e = r.errors[0];
    EXPECT_EQ(e.file, "bad.yaml");
    EXPECT_EQ(e.path, c.path) << e.to_string();
    EXPECT_EQ(e.line, c.line) << e.to_string();
    EXPECT_NE(e.message.find(c.gist), std::string::npos)
        << "message: " << e.message << "\nwanted:  " << c.gist;
  }
}

TEST(SceneBad, BaseSceneIsValid) {
  const SceneLoadResult r = load_scene_text(kBase, "base.yaml");
  EXPECT_TRUE(r.ok()) << dump(r.errors);
}

TEST(SceneBad, ErrorsAreCollectedInFileOrder) {
  const SceneLoadResult r = load_scene_text(
      "sources: [{name: In}]\n"
      "sinks: [{name: Out}]\n"
      "stations:\n"
      "  - name: S\n"
      "    input: In\n"
      "    output: Out\n"
      "    cycle_time: {exponential: {mean: -1}}\n"
      "    scrap_probability: 2\n"
      "calendar: {period: -5}\n",
      "f.yaml");
  ASSERT_EQ(r.errors.size(), 3u) << dump(r.errors);
  EXPECT_EQ(r.errors[0].line, 7);
  EXPECT_EQ(r.errors[1].line, 8);
  EXPECT_EQ(r.errors[2].line, 9);
  EXPECT_EQ(r.errors[0].to_string(),
            "f.yaml:7:38: stations[0].cycle_time.exponential.mean: mean must be positive, got -1");
}

TEST(SceneBad, ParseErrorsStopBeforeSemanticChecks) {
  // The misspelt key alone is reported, not also "cycle_time is required".
  const SceneLoadResult r = load_scene_text(
      "sources: [{name: In}]\nsinks: [{name: Out}]\n"
      "stations: [{name: S, input: In, output: Out, cycle_tim: 1}]\n",
      "f.yaml");
  ASSERT_EQ(r.errors.size(), 1u) << dump(r.errors);
  EXPECT_EQ(r.errors[0].path, "stations[0].cycle_tim");
}

TEST(SceneBad, CompileSceneHasPathsButNoLines) {
  scene::Scene s;
  s.add_sources()->set_name("In");
  s.add_sinks()->set_name("Out");
  scene::Station* st = s.add_stations();
  st->set_name("S");
  st->add_input("Nowhere");
  st->set_output("Out");
  st->mutable_cycle_time()->set_constant(3);
  const SceneLoadResult r = compile_scene(s, "whatif");
  ASSERT_EQ(r.errors.size(), 1u) << dump(r.errors);
  EXPECT_EQ(r.errors[0].path, "stations[0].input[0]");
  EXPECT_EQ(r.errors[0].line, 0);
  EXPECT_EQ(r.errors[0].to_string(),
            "whatif: stations[0].input[0]: input 'Nowhere' names no source, buffer or conveyor");
}

TEST(SceneBad, MissingFileIsAnError) {
  const SceneLoadResult r = load_scene_file("/nonexistent/dir/scene.yaml");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].file, "/nonexistent/dir/scene.yaml");
  EXPECT_NE(r.errors[0].message.find("cannot open"), std::string::npos);
  const SceneLoadResult d = load_scene_file(TWIN_SOURCE_DIR);
  ASSERT_EQ(d.errors.size(), 1u);
}

TEST(SceneError, ToStringOmitsUnknownParts) {
  SceneError e{"a.yaml", 3, 7, "stations[0].name", "name is required"};
  EXPECT_EQ(e.to_string(), "a.yaml:3:7: stations[0].name: name is required");
  e.line = 0;
  e.column = 0;
  EXPECT_EQ(e.to_string(), "a.yaml: stations[0].name: name is required");
  e.path.clear();
  EXPECT_EQ(e.to_string(), "a.yaml: name is required");
}

// --- compiling good scenes ---------------------------------------------------------------------

constexpr const char* kFull = R"(name: full
seed: 99
products: [{name: A}, {name: B}]
sources:
  - name: Sat
  - name: Arr
    interarrival: {exponential: {mean: 30}}
    capacity: 4
    when_full: lose
    batch_size: 0
    lot_size: 20
    product_mix: [{product: B, weight: 1}, {product: A, weight: 3}]
buffers:
  - {name: B1, capacity: 3, initial: 2, placement: {x: 1, y: 2, z: 3, yaw_deg: 90}}
  - {name: B2}
conveyors:
  - {name: C1, length: 6, speed: 0.5, capacity: 4, end: {x: 6}}
  - {name: C2, transport_time: {uniform: {min: 1, max: 3}}}
sinks: [{name: Out}]
stations:
  - name: Merge
    input: [Sat, Arr]
    output: B1
    cycle_time: {normal: {mean: 10, stddev: 1}}
  - name: Par
    machines: 3
    input: B1
    output: C1
    blocking: before_service
    cycle_time: {triangular: {min: 1, mode: 2, max: 6}}
    setup: {time: 60, on_product_change: true, every_parts: 10}
    failures:
      - {name: f1, kind: operation_based, time_to_failure: 1h, time_to_repair: 5min}
      - {time_to_failure: {weibull: {shape: 2, scale: 100}}, time_to_repair: 1}
    power: {busy: 5, idle: 2, setup: 1, down: 0.5, off: 0.1, hour_limit: 6}
    tags: [{name: t, unit: A, signal: motor_current}, {name: u, rate_hz: 5}]
  - name: Check
    input: C1
    output: C2
    scrap_probability: 0.1
    rework: {probability: 0.2, to: B1}
    cycle_time: 4
  - name: Last
    input: [C2, B2]
    output: Out
    cycle_time: 2
  - name: Fill
    input: Arr
    output: B2
    cycle_time: 9
calendar:
  period: 8h
  breaks:
    - {name: lunch, start: 4h, duration: 30min}
    - {name: tea, start: 2h, duration: 10min}
)";

TEST(SceneCompile, FillsEveryModelField) {
  const SceneLoadResult r = load_scene_text(kFull, "full.yaml");
  ASSERT_TRUE(r.ok()) << dump(r.errors);
  const Model& m = r.model;
  EXPECT_EQ(m.name, "full");
  EXPECT_EQ(m.source_file, "full.yaml");
  EXPECT_EQ(m.seed, 99u);
  EXPECT_EQ(m.products, (std::vector<std::string>{"A", "B"}));

  // Nodes: sources, buffers, conveyors, sinks.
  ASSERT_EQ(m.nodes.size(), 7u);
  const std::vector<std::string> names = {"Sat", "Arr", "B1", "B2", "C1", "C2", "Out"};
  for (size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(m.nodes[i].name, names[i]);
    EXPECT_EQ(m.nodes[i].name_key, hash_name(names[i]));
    EXPECT_EQ(m.find_node(names[i]), static_cast<int32_t>(i));
  }
  EXPECT_EQ(m.find_node("nope"), -1);
  EXPECT_EQ(m.sources, (std::vector<uint32_t>{0, 1}));
  EXPECT_EQ(m.sinks, (std::vector<uint32_t>{6}));

  const Node& sat = m.nodes[0];
  EXPECT_EQ(sat.kind, NodeKind::kSource);
  EXPECT_TRUE(sat.saturated);
  EXPECT_EQ(sat.capacity, kUnbounded);
  EXPECT_EQ(sat.mix_product, (std::vector<uint16_t>{0}));
  EXPECT_EQ(sat.mix_cdf, (std::vector<double>{1.0}));
  const Node& arr = m.nodes[1];
  EXPECT_FALSE(arr.saturated);
  EXPECT_EQ(arr.interarrival.kind, DistKind::kExponential);
  EXPECT_DOUBLE_EQ(arr.interarrival.mean, 30.0);
  EXPECT_EQ(arr.capacity, 4);
  EXPECT_TRUE(arr.lose_when_full);
  EXPECT_EQ(arr.batch_size, 1u);
  EXPECT_EQ(arr.lot_size, 20u);
  EXPECT_EQ(sat.lot_size, 1u);
  EXPECT_EQ(arr.mix_product, (std::vector<uint16_t>{1, 0}));
  ASSERT_EQ(arr.mix_cdf.size(), 2u);
  EXPECT_DOUBLE_EQ(arr.mix_cdf[0], 0.25);
  EXPECT_EQ(arr.mix_cdf[1], 1.0);
  EXPECT_EQ(arr.consumers, (std::vector<uint32_t>{0, 4}));

  const Node& b1 = m.nodes[2];
  EXPECT_EQ(b1.kind, NodeKind::kBuffer);
  EXPECT_EQ(b1.capacity, 3);
  EXPECT_EQ(b1.initial, 2);
  EXPECT_DOUBLE_EQ(b1.placement.y, 2.0);
  EXPECT_DOUBLE_EQ(b1.placement.yaw_deg, 90.0);
  EXPECT_EQ(b1.consumers, (std::vector<uint32_t>{1}));
  EXPECT_EQ(b1.producers, (std::vector<uint32_t>{0, 2}));  // Merge outputs, Check reworks
  EXPECT_EQ(m.nodes[3].capacity, kUnbounded);

  const Node& c1 = m.nodes[4];
  EXPECT_EQ(c1.kind, NodeKind::kConveyor);
  EXPECT_EQ(c1.transport_time.kind, DistKind::kConstant);
  EXPECT_DOUBLE_EQ(c1.transport_time.mean, 12.0);
  EXPECT_DOUBLE_EQ(c1.end.x, 6.0);
  EXPECT_EQ(m.nodes[5].transport_time.kind, DistKind::kUniform);
  EXPECT_EQ(m.nodes[6].kind, NodeKind::kSink);
  EXPECT_EQ(m.nodes[6].producers, (std::vector<uint32_t>{3}));

  // Stations and machines.
  ASSERT_EQ(m.stations.size(), 5u);
  EXPECT_EQ(m.machine_count(), 7u);
  EXPECT_EQ(m.machine_station, (std::vector<uint32_t>{0, 1, 1, 1, 2, 3, 4}));
  EXPECT_EQ(m.find_station("Check"), 2);
  EXPECT_EQ(m.find_station("B1"), -1);
  const Station& merge = m.stations[0];
  EXPECT_EQ(merge.inputs, (std::vector<uint32_t>{0, 1}));
  EXPECT_EQ(merge.output, 2u);
  EXPECT_EQ(merge.name_key, hash_name("Merge"));
  EXPECT_DOUBLE_EQ(merge.ideal_cycle_time, merge.cycle_time.mean);
  EXPECT_NEAR(merge.ideal_cycle_time, 10.0, 1e-6);
  EXPECT_FALSE(merge.has_setup);
  EXPECT_EQ(merge.rework_node, -1);

  const Station& par = m.stations[1];
  EXPECT_EQ(par.first_machine, 1u);
  EXPECT_EQ(par.machine_count, 3u);
  EXPECT_EQ(par.blocking, Blocking::kBeforeService);
  EXPECT_DOUBLE_EQ(par.ideal_cycle_time, 3.0);
  EXPECT_TRUE(par.has_setup);
  EXPECT_EQ(par.setup_time.kind, DistKind::kConstant);
  EXPECT_TRUE(par.setup_on_product_change);
  EXPECT_EQ(par.setup_every_parts, 10u);
  ASSERT_EQ(par.failures.size(), 2u);
  EXPECT_EQ(par.failures[0].name, "f1");
  EXPECT_TRUE(par.failures[0].operation_based);
  EXPECT_DOUBLE_EQ(par.failures[0].time_to_failure.mean, 3600.0);
  EXPECT_DOUBLE_EQ(par.failures[0].time_to_repair.mean, 300.0);
  EXPECT_EQ(par.failures[0].name_key, hash_name("f1"));
  EXPECT_EQ(par.failures[1].name, "failure_1");
  EXPECT_FALSE(par.failures[1].operation_based);
  EXPECT_EQ(par.failures[1].time_to_failure.kind, DistKind::kWeibull);
  EXPECT_DOUBLE_EQ(par.power_busy, 5.0);
  EXPECT_DOUBLE_EQ(par.power_idle, 2.0);
  EXPECT_DOUBLE_EQ(par.power_setup, 1.0);
  EXPECT_DOUBLE_EQ(par.power_down, 0.5);
  EXPECT_DOUBLE_EQ(par.power_off, 0.1);
  EXPECT_DOUBLE_EQ(par.energy_hour_limit_kWh, 6.0);
  EXPECT_DOUBLE_EQ(merge.energy_hour_limit_kWh, 0.0);
  ASSERT_EQ(par.tags.size(), 2u);
  EXPECT_EQ(par.tags[0].unit, "A");
  EXPECT_EQ(par.tags[0].signal, static_cast<int>(scene::Tag::MOTOR_CURRENT));
  EXPECT_DOUBLE_EQ(par.tags[0].rate_hz, 1.0);  // 0 means 1 Hz
  EXPECT_DOUBLE_EQ(par.tags[1].rate_hz, 5.0);

  const Station& check = m.stations[2];
  EXPECT_EQ(check.first_machine, 4u);
  EXPECT_DOUBLE_EQ(check.scrap_probability, 0.1);
  EXPECT_DOUBLE_EQ(check.rework_probability, 0.2);
  EXPECT_EQ(check.rework_node, 2);
  EXPECT_EQ(m.stations[3].inputs, (std::vector<uint32_t>{5, 3}));

  // Calendar: breaks sorted.
  EXPECT_DOUBLE_EQ(m.calendar.period, 28800.0);
  ASSERT_EQ(m.calendar.breaks.size(), 2u);
  EXPECT_DOUBLE_EQ(m.calendar.breaks[0].start, 7200.0);
  EXPECT_DOUBLE_EQ(m.calendar.breaks[0].end, 7800.0);
  EXPECT_DOUBLE_EQ(m.calendar.breaks[1].start, 14400.0);
  EXPECT_DOUBLE_EQ(m.calendar.off_per_period, 2400.0);
}

TEST(SceneCompile, DefaultsWhenFieldsAreAbsent) {
  const SceneLoadResult r = load_scene_text(kBase, "base.yaml");
  ASSERT_TRUE(r.ok()) << dump(r.errors);
  EXPECT_EQ(r.model.products, (std::vector<std::string>{"default"}));
  EXPECT_EQ(r.model.seed, 0u);
  EXPECT_TRUE(r.model.calendar.empty());
  EXPECT_EQ(r.model.stations[0].machine_count, 1u);
  EXPECT_EQ(r.model.nodes[1].capacity, 5);
}

// The robot block in SI units: degrees become radians, the grip takes a unit, release defaults.
TEST(SceneCompile, RobotInSiUnits) {
  const SceneLoadResult r =
      load_scene_text(kBase + robot_block("{x: 0.5, y: 0, z: 0.1}", "0.4"), "robot.yaml");
  ASSERT_TRUE(r.ok()) << dump(r.errors);
  EXPECT_FALSE(r.model.stations[0].robot.has_value());
  ASSERT_TRUE(r.model.stations[1].robot.has_value());
  const StationRobot& robot = *r.model.stations[1].robot;
  constexpr double kDeg = 3.14159265358979323846 / 180.0;
  EXPECT_DOUBLE_EQ(robot.link1_m, 0.3);
  EXPECT_DOUBLE_EQ(robot.link2_m, 0.4);
  EXPECT_EQ(robot.elbow_sign, 1.0);
  EXPECT_DOUBLE_EQ(robot.shoulder.speed, 180 * kDeg);
  EXPECT_DOUBLE_EQ(robot.shoulder.accel, 600 * kDeg);
  EXPECT_DOUBLE_EQ(robot.elbow.speed, 240 * kDeg);
  EXPECT_DOUBLE_EQ(robot.z.speed, 1.0);  // metres: not converted
  EXPECT_DOUBLE_EQ(robot.z.accel, 4.0);
  EXPECT_DOUBLE_EQ(robot.wrist.accel, 2000 * kDeg);
  EXPECT_DOUBLE_EQ(robot.travel_z_m, 0.5);
  EXPECT_DOUBLE_EQ(robot.pick.x_m, 0.5);
  EXPECT_DOUBLE_EQ(robot.pick.z_m, 0.1);
  EXPECT_DOUBLE_EQ(robot.drop.y_m, 0.5);
  EXPECT_DOUBLE_EQ(robot.drop.yaw_rad, 90 * kDeg);
  EXPECT_DOUBLE_EQ(robot.grip_s, 0.25);
  EXPECT_DOUBLE_EQ(robot.release_s, 0.1);
}

TEST(SceneCompile, SourceMayBeReplacedByInitialParts) {
  const SceneLoadResult r = load_scene_text(
      "buffers: [{name: B, initial: 3}]\nsinks: [{name: Out}]\n"
      "stations: [{name: S, input: B, output: Out, cycle_time: 1}]\n",
      "initial.yaml");
  EXPECT_TRUE(r.ok()) << dump(r.errors);
  EXPECT_TRUE(r.model.sources.empty());
}

TEST(SceneCompile, AllWeightsAbsentMeansEqualShares) {
  const SceneLoadResult r = load_scene_text(
      "products: [{name: A}, {name: B}]\n"
      "sources: [{name: In, product_mix: [{product: A}, {product: B}]}]\n"
      "sinks: [{name: Out}]\nstations: [{name: S, input: In, output: Out, cycle_time: 1}]\n",
      "mix.yaml");
  ASSERT_TRUE(r.ok()) << dump(r.errors);
  EXPECT_DOUBLE_EQ(r.model.nodes[0].mix_cdf[0], 0.5);
}

// --- sample scenes -----------------------------------------------------------------------------

struct Counts {
  size_t stations, machines, nodes, sources, sinks, products;
};

TEST(SceneSamples, AllLoadWithoutErrors) {
  const std::map<std::string, Counts> expected = {
      {"bottling.yaml", {5, 5, 6, 1, 1, 1}},
      {"machining20.yaml", {20, 22, 21, 1, 1, 2}},
      {"assembly_rework.yaml", {5, 5, 7, 2, 1, 1}},
  };
  size_t checked = 0;
  const std::filesystem::path dir = std::filesystem::path(TWIN_SOURCE_DIR) / "scenes";
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    SCOPED_TRACE(file.string());
    const SceneLoadResult r = load_scene_file(file.string());
    EXPECT_TRUE(r.ok()) << dump(r.errors);
    EXPECT_FALSE(r.model.stations.empty());
    const auto it = expected.find(file.filename().string());
    if (it == expected.end()) continue;
    ++checked;
    const Counts& c = it->second;
    EXPECT_EQ(r.model.stations.size(), c.stations);
    EXPECT_EQ(r.model.machine_count(), c.machines);
    EXPECT_EQ(r.model.nodes.size(), c.nodes);
    EXPECT_EQ(r.model.sources.size(), c.sources);
    EXPECT_EQ(r.model.sinks.size(), c.sinks);
    EXPECT_EQ(r.model.products.size(), c.products);
  }
  EXPECT_EQ(checked, expected.size());
}

TEST(SceneSamples, BottlingFillerIsTheBottleneck) {
  const SceneLoadResult r = load_scene_file(std::string(TWIN_SOURCE_DIR) + "/scenes/bottling.yaml");
  ASSERT_TRUE(r.ok()) << dump(r.errors);
  const int32_t filler = r.model.find_station("Filler");
  ASSERT_GE(filler, 0);
  for (const Station& s : r.model.stations) {
    EXPECT_LE(s.ideal_cycle_time / s.machine_count,
              r.model.stations[static_cast<size_t>(filler)].ideal_cycle_time + 1e-9)
        << s.name;
  }
  EXPECT_EQ(r.model.calendar.breaks.size(), 3u);
}

// Truncated and corrupted versions of the samples: errors, never a crash or an exception.
TEST(SceneSamples, MangledSamplesNeverCrash) {
  const std::filesystem::path dir = std::filesystem::path(TWIN_SOURCE_DIR) / "scenes";
  for (const char* name : {"bottling.yaml", "machining20.yaml", "assembly_rework.yaml"}) {
    std::ifstream in(dir / name);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    ASSERT_FALSE(text.empty()) << name;
    for (size_t cut = 0; cut < text.size(); cut += 41) {
      EXPECT_NO_THROW(load_scene_text(text.substr(0, cut), name));
    }
    const std::string noise = ":-[]{}#&*!|>'\"%@`,?\t\n 0xé";
    uint64_t x = 12345;
    for (int k = 0; k < 300; ++k) {
      std::string t = text;
      for (int j = 0; j < 3; ++j) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        const size_t pos = (x >> 33) % t.size();
        t[pos] = noise[(x >> 13) % noise.size()];
      }
      SceneLoadResult r;
      EXPECT_NO_THROW(r = load_scene_text(t, name));
      for (const SceneError& e : r.errors) EXPECT_FALSE(e.message.empty());
    }
  }
}

}  // namespace
}  // namespace twin
