#include "viewer/whatif_params.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/run/whatif.h"
#include "core/scene/load.h"
#include "tests/support/scenes.h"

namespace twin::viewer {
namespace {

const WhatIfParam* find_label(const std::vector<WhatIfParam>& params, const std::string& label) {
  for (const WhatIfParam& p : params) {
    if (p.label == label) return &p;
  }
  ADD_FAILURE() << "no parameter labelled " << label;
  return nullptr;
}

// A new value for the sweep: 20 % shorter times, one more machine or part of capacity.
double sweep_value(const WhatIfParam& p) {
  if (!p.integer) return p.current * 0.8;
  if (p.current < 0.0) return std::max(p.min_value, 10.0);
  return p.current + 1.0;
}

bool close(double a, double b) {
  return std::fabs(a - b) <= 1e-9 * std::max(std::fabs(a), std::fabs(b));
}

// Every `stride`-th parameter's assignment applies with prepare_variant, the compiled variant has
// the new value, and (when `check_others`) no other parameter moved.
void sweep(const SceneLoadResult& base, const std::string& file, bool check_others,
           size_t stride = 1) {
  const std::vector<WhatIfParam> params = whatif_params(base.scene, base.model);
  ASSERT_FALSE(params.empty()) << file;
  for (size_t i = 0; i < params.size(); i += stride) {
    const WhatIfParam& p = params[i];
    const double value = sweep_value(p);
    ASSERT_EQ(check_param_value(p, value), "") << p.label;
    Variant v;
    v.name = p.label;
    v.assignments.push_back({param_assignment(p, value), "--set", 0, 0});
    PreparedVariant out;
    std::vector<SceneError> errors;
    const bool ok = prepare_variant(base.scene, file, v, out, errors);
    std::string text;
    for (const SceneError& e : errors) text += e.to_string() + "\n";
    ASSERT_TRUE(ok) << file << ": " << v.assignments[0].text << "\n" << text;

    const std::vector<WhatIfParam> after = whatif_params(out.scene, out.model);
    ASSERT_EQ(after.size(), params.size()) << v.assignments[0].text;
    const WhatIfParam& q = after[i];
    ASSERT_EQ(q.path, p.path);
    EXPECT_TRUE(close(q.current, value))
        << v.assignments[0].text << ": compiled " << q.current << ", wanted " << value;
    // A distribution keeps its kind (a constant stays a constant, a Weibull a Weibull).
    EXPECT_EQ(q.distribution.kind_case(), p.distribution.kind_case()) << v.assignments[0].text;
    if (p.distribution.has_weibull()) {
      EXPECT_EQ(q.distribution.weibull().shape(), p.distribution.weibull().shape());
    }
    if (p.distribution.has_lognormal() && p.distribution.lognormal().mean() > 0.0) {
      const auto& a = p.distribution.lognormal();
      const auto& b = q.distribution.lognormal();
      EXPECT_TRUE(close(a.stddev() / a.mean(), b.stddev() / b.mean())) << "CV kept";
    }
    if (!check_others) continue;
    for (size_t k = 0; k < params.size(); ++k) {
      if (k == i) continue;
      EXPECT_EQ(after[k].current, params[k].current)
          << v.assignments[0].text << " changed " << params[k].label;
    }
  }
}

TEST(WhatIfParams, EveryParameterOfEverySampleSceneApplies) {
  for (const char* file : {"machining20.yaml", "bottling.yaml", "assembly_rework.yaml"}) {
    SCOPED_TRACE(file);
    const SceneLoadResult base = test::load_sample_or_fail(file);
    ASSERT_TRUE(base.ok());
    sweep(base, file, true);
  }
}

// ~1500 parameters, each variant a 250-station compile: every 9th one (every kind is covered,
// the groups are longer than that) and no quadratic cross-check, to stay near a second.
TEST(WhatIfParams, Plant250ParametersApply) {
  const SceneLoadResult base = test::load_sample_or_fail("plant250.yaml");
  ASSERT_TRUE(base.ok());
  sweep(base, "plant250.yaml", false, 9);
}

TEST(WhatIfParams, Machining20TextsAndUnits) {
  const SceneLoadResult base = test::load_sample_or_fail("machining20.yaml");
  const std::vector<WhatIfParam> params = whatif_params(base.scene, base.model);

  const WhatIfParam* saw = find_label(params, "Saw cycle time");
  ASSERT_NE(saw, nullptr);
  EXPECT_EQ(saw->path, "stations[Saw].cycle_time");
  EXPECT_EQ(saw->current, 42.0);
  EXPECT_STREQ(saw->unit, "s");
  EXPECT_EQ(param_assignment(*saw, 40.0), "stations[Saw].cycle_time=40s");
  EXPECT_EQ(param_assignment(*saw, 12.5), "stations[Saw].cycle_time=12.5s");

  const WhatIfParam* b11 = find_label(params, "B11 capacity");
  ASSERT_NE(b11, nullptr);
  EXPECT_EQ(b11->current, 10.0);
  EXPECT_TRUE(b11->integer);
  EXPECT_EQ(param_assignment(*b11, 12.0), "buffers[B11].capacity=12");

  const WhatIfParam* ctl = find_label(params, "Turn_OP10 / controls_fault MTBF");
  ASSERT_NE(ctl, nullptr);
  EXPECT_EQ(ctl->current, 12 * 3600.0);
  EXPECT_STREQ(ctl->unit, "h");
  EXPECT_EQ(format_param_value(*ctl, ctl->current), "12");
  EXPECT_EQ(param_assignment(*ctl, 36000.0),
            "stations[Turn_OP10].failures[controls_fault].time_to_failure="
            "{exponential: {mean: 36000}}");

  const WhatIfParam* bearing = find_label(params, "Turn_OP10 / spindle_bearing MTBF");
  ASSERT_NE(bearing, nullptr);
  EXPECT_NE(param_assignment(*bearing, 3600.0).find("={weibull: {shape: 1.8, scale: "),
            std::string::npos)
      << param_assignment(*bearing, 3600.0);

  const WhatIfParam* mttr = find_label(params, "Turn_OP10 / controls_fault MTTR");
  ASSERT_NE(mttr, nullptr);
  EXPECT_STREQ(mttr->unit, "min");

  // Grouped: kinds appear in picker order, each group in one run.
  for (size_t i = 1; i < params.size(); ++i) {
    const std::string a = param_group(params[i - 1].kind), b = param_group(params[i].kind);
    if (a == b) continue;
    for (size_t k = i + 1; k < params.size(); ++k) {
      EXPECT_NE(param_group(params[k].kind), a) << "group " << a << " split";
    }
  }
}

// Names a [name] selector would misread get an index instead, and still hit the right element.
TEST(WhatIfParams, OddNamesUseIndexSelectors) {
  const SceneLoadResult base = test::load_scene_or_fail(R"yaml(
name: odd names
sources:
  - name: In
buffers:
  - name: "7"
    capacity: 3
stations:
  - name: "10"
    input: In
    output: "7"
    cycle_time: 5
    failures:
      - {name: "jam=1", time_to_failure: {exponential: {mean: 600}}, time_to_repair: 30}
  - name: "a[b]"
    input: "7"
    output: Out
    cycle_time: {uniform: {min: 3, max: 5}}
sinks:
  - name: Out
)yaml",
                                                        "odd.yaml");
  ASSERT_TRUE(base.ok());
  const std::vector<WhatIfParam> params = whatif_params(base.scene, base.model);
  const WhatIfParam* ten = find_label(params, "10 cycle time");
  ASSERT_NE(ten, nullptr);
  EXPECT_EQ(ten->path, "stations[0].cycle_time");
  const WhatIfParam* ab = find_label(params, "a[b] cycle time");
  ASSERT_NE(ab, nullptr);
  EXPECT_EQ(ab->path, "stations[1].cycle_time");
  EXPECT_EQ(ab->current, 4.0);
  EXPECT_EQ(param_assignment(*ab, 8.0), "stations[1].cycle_time={uniform: {min: 6, max: 10}}");
  const WhatIfParam* jam = find_label(params, "10 / jam=1 MTBF");
  ASSERT_NE(jam, nullptr);
  EXPECT_EQ(jam->path, "stations[0].failures[0].time_to_failure");
  const WhatIfParam* seven = find_label(params, "7 capacity");
  ASSERT_NE(seven, nullptr);
  EXPECT_EQ(seven->path, "buffers[0].capacity");
  sweep(base, "odd.yaml", true);
}

TEST(WhatIfParams, CheckValue) {
  const SceneLoadResult base = test::load_scene_or_fail(R"yaml(
name: checks
sources:
  - name: In
buffers:
  - {name: B1, capacity: 5, initial: 2}
  - {name: Free}
stations:
  - {name: S1, input: In, output: B1, cycle_time: {exponential: {mean: 10}}}
  - {name: S2, input: B1, output: Free, cycle_time: 9}
  - {name: S3, input: Free, output: Out, cycle_time: 9}
sinks:
  - name: Out
)yaml",
                                                        "checks.yaml");
  ASSERT_TRUE(base.ok());
  const std::vector<WhatIfParam> params = whatif_params(base.scene, base.model);
  const WhatIfParam* s1 = find_label(params, "S1 cycle time");
  ASSERT_NE(s1, nullptr);
  EXPECT_EQ(check_param_value(*s1, 5.0), "");
  EXPECT_NE(check_param_value(*s1, 0.0), "");
  EXPECT_NE(check_param_value(*s1, -1.0), "");
  EXPECT_NE(check_param_value(*s1, std::nan("")), "");

  const WhatIfParam* b1 = find_label(params, "B1 capacity");
  ASSERT_NE(b1, nullptr);
  EXPECT_EQ(check_param_value(*b1, 2.0), "");
  EXPECT_NE(check_param_value(*b1, 1.0), "") << "below the initial fill";
  EXPECT_NE(check_param_value(*b1, 2.5), "") << "not a whole number";

  const WhatIfParam* free_buffer = find_label(params, "Free capacity");
  ASSERT_NE(free_buffer, nullptr);
  EXPECT_EQ(free_buffer->current, -1.0);
  EXPECT_EQ(format_param_value(*free_buffer, free_buffer->current), "unbounded");
  EXPECT_EQ(check_param_value(*free_buffer, 0.0), "");

  const WhatIfParam* machines = find_label(params, "S2 machines");
  ASSERT_NE(machines, nullptr);
  EXPECT_EQ(machines->current, 1.0);
  EXPECT_NE(check_param_value(*machines, 0.0), "");
  EXPECT_NE(check_param_value(*machines, 1001.0), "");
  EXPECT_EQ(param_assignment(*machines, 3.0), "stations[S2].machines=3");
}

TEST(WhatIfParams, ShortestNumberRoundTrips) {
  for (double x : {0.1, 1.0 / 3.0, 3600.0, 1e-7, 123456789.125, 62.0 * 0.8}) {
    EXPECT_EQ(std::stod(shortest_number(x)), x) << shortest_number(x);
  }
  EXPECT_EQ(shortest_number(0.1), "0.1");
  EXPECT_EQ(shortest_number(3600.0), "3600");
}

}  // namespace
}  // namespace twin::viewer
