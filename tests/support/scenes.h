// Shared test fixtures: small scenes written inline, and loading that fails the test (with every
// error printed) instead of returning a half-built model.
#pragma once

#include <string>

#include "core/scene/load.h"

namespace twin::test {

// A source, a buffer of 5, two exponential stations (the second one fails now and then) and a
// sink: the smallest line that has blocking, starving and failures.
inline constexpr const char* kSmallLine = R"yaml(
name: small line
seed: 7
sources:
  - name: In
buffers:
  - name: B1
    capacity: 5
stations:
  - name: S1
    input: [In]
    output: B1
    cycle_time: {exponential: {mean: 10}}
  - name: S2
    input: [B1]
    output: Out
    cycle_time: {exponential: {mean: 9}}
    failures:
      - name: jam
        time_to_failure: {exponential: {mean: 1200}}
        time_to_repair: {exponential: {mean: 90}}
sinks:
  - name: Out
)yaml";

// `text` with the first `key` replaced by `value` (for scene templates). Built by appending:
// GCC 12 warns falsely (-Wrestrict) on std::string::replace at -O3.
std::string substitute(const std::string& text, const std::string& key, const std::string& value);

// Loads YAML text; any error is a test failure naming file, line and field.
SceneLoadResult load_scene_or_fail(const std::string& yaml, const std::string& name = "test.yaml");
// Loads scenes/<file> from the repository.
SceneLoadResult load_sample_or_fail(const std::string& file);
// The model of scenes/<file>, loaded once per test process and kept (tests that only read it).
const Model& sample_model(const std::string& file);
// The text of scenes/<file>.
std::string sample_text(const std::string& file);
// machining20 with lots of 6 parts instead of 60, so both products (shafts and flanges) come
// down the line within a few hours; loaded once and kept.
const Model& machining20_lots_of_6();

}  // namespace twin::test
