#include "core/run/whatif.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/scene/load.h"
#include "tests/support/scenes.h"

namespace twin {
namespace {

SceneLoadResult load_small() {
  return test::load_scene_or_fail(test::kSmallLine, "small.yaml");
}

ReplicationOptions options() {
  ReplicationOptions o;
  o.replications = 8;
  o.horizon_s = 4 * 3600.0;
  o.warmup_s = 600.0;
  o.seed = 11;
  o.threads = 2;
  return o;
}

Variant variant(const std::string& name, const std::vector<std::string>& sets) {
  Variant v;
  v.name = name;
  for (const std::string& s : sets) v.assignments.push_back({s, "--set", 0, 0});
  return v;
}

PreparedVariant prepare(const SceneLoadResult& base, const Variant& v) {
  PreparedVariant p;
  std::vector<SceneError> errors;
  const bool ok = prepare_variant(base.scene, "small.yaml", v, p, errors);
  std::string text;
  for (const SceneError& e : errors) text += e.to_string() + "\n";
  EXPECT_TRUE(ok) << text;
  return p;
}

TEST(WhatIf, IrrelevantChangeGivesExactlyZeroDifferences) {
  const SceneLoadResult base = load_small();
  const std::vector<PreparedVariant> variants = {
      prepare(base, variant("same capacity", {"buffers[B1].capacity=5"}))};
  const WhatIfResults res = run_whatif(base.model, variants, options());
  ASSERT_EQ(res.variants.size(), 1u);
  const VariantResult& v = res.variants[0];
  ASSERT_FALSE(v.differences.empty());
  EXPECT_EQ(v.differences.size(), res.base.metrics.size());
  for (const MetricDifference& d : v.differences) {
    EXPECT_EQ(d.differences.size(), 8u);
    for (double x : d.differences) EXPECT_EQ(x, 0.0) << d.key;
    EXPECT_EQ(d.difference.mean, 0.0) << d.key;
    EXPECT_FALSE(d.significant) << d.key;
  }
}

TEST(WhatIf, SlowerStationLowersThroughputSignificantly) {
  const SceneLoadResult base = load_small();
  const std::vector<PreparedVariant> variants = {
      prepare(base, variant("slow S2", {"stations[S2].cycle_time.exponential.mean=14"})),
      prepare(base, variant("bigger buffer", {"buffers[B1].capacity=20"}))};
  const WhatIfResults res = run_whatif(base.model, variants, options());
  ASSERT_EQ(res.variants.size(), 2u);
  EXPECT_EQ(res.variants[0].name, "slow S2");
  ASSERT_EQ(res.variants[0].assignments.size(), 1u);
  const MetricDifference* d = res.variants[0].find("line.throughput_per_h");
  ASSERT_NE(d, nullptr);
  EXPECT_LT(d->difference.mean, 0.0);
  EXPECT_TRUE(d->significant);
  EXPECT_LT(d->relative_pct, -10.0);
  // The base run inside run_whatif is the plain replication run.
  const ReplicationResults plain = run_replications(base.model, options());
  EXPECT_EQ(plain.find("line.throughput_per_h")->values,
            res.base.find("line.throughput_per_h")->values);
}

TEST(WhatIf, ProgressCoversAllRuns) {
  const SceneLoadResult base = load_small();
  const std::vector<PreparedVariant> variants = {
      prepare(base, variant("a", {"buffers[B1].capacity=6"})),
      prepare(base, variant("b", {"buffers[B1].capacity=7"}))};
  ReplicationOptions o = options();
  o.replications = 3;
  size_t last_done = 0, last_total = 0;
  o.progress = [&](size_t done, size_t total) {
    EXPECT_GE(done, last_done);
    last_done = done;
    last_total = total;
  };
  run_whatif(base.model, variants, o);
  EXPECT_EQ(last_done, 9u);
  EXPECT_EQ(last_total, 9u);
}

TEST(WhatIf, CompareValues) {
  const MetricDifference d = compare_values("k", {10, 12, 11, 13}, {11, 13, 12, 14});
  EXPECT_EQ(d.key, "k");
  EXPECT_DOUBLE_EQ(d.difference.mean, 1.0);
  EXPECT_DOUBLE_EQ(d.difference.half_width, 0.0);
  EXPECT_TRUE(d.significant);
  EXPECT_NEAR(d.relative_pct, 100.0 / 11.5, 1e-12);
  const MetricDifference zero = compare_values("z", {0, 0}, {1, 2});
  EXPECT_TRUE(std::isnan(zero.relative_pct));
}

TEST(WhatIf, BadAssignmentNamesWhereItCameFrom) {
  const SceneLoadResult base = load_small();
  Variant v;
  v.name = "bad";
  v.assignments.push_back({"buffers[B9].capacity=3", "scenario.yaml", 4, 9});
  PreparedVariant p;
  std::vector<SceneError> errors;
  EXPECT_FALSE(prepare_variant(base.scene, "small.yaml", v, p, errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].file, "scenario.yaml");
  EXPECT_EQ(errors[0].line, 4);
  EXPECT_EQ(errors[0].column, 9);
  EXPECT_EQ(errors[0].path, "buffers[B9].capacity");
}

TEST(WhatIf, InvalidVariantSceneFailsToCompile) {
  const SceneLoadResult base = load_small();
  PreparedVariant p;
  std::vector<SceneError> errors;
  EXPECT_FALSE(prepare_variant(base.scene, "small.yaml",
                               variant("neg", {"stations[S1].scrap_probability=1.5"}), p, errors));
  ASSERT_FALSE(errors.empty());
  EXPECT_NE(errors[0].message.find("neg"), std::string::npos) << errors[0].message;
}

TEST(Scenario, ParsesVariants) {
  const std::string text = R"yaml(description: test
variants:
  - name: bigger buffers
    set: ["buffers[B3].capacity=10", "buffers[B4].capacity=10"]
  - name: faster filler
    set:
      - stations[Filler].cycle_time=1.1s
  - name: single
    set: stations[name=Filler].machines=2
)yaml";
  std::vector<Variant> variants;
  std::vector<SceneError> errors;
  ASSERT_TRUE(parse_scenario_text(text, "s.yaml", variants, errors));
  EXPECT_TRUE(errors.empty());
  ASSERT_EQ(variants.size(), 3u);
  EXPECT_EQ(variants[0].name, "bigger buffers");
  ASSERT_EQ(variants[0].assignments.size(), 2u);
  EXPECT_EQ(variants[0].assignments[1].text, "buffers[B4].capacity=10");
  EXPECT_EQ(variants[0].assignments[0].file, "s.yaml");
  EXPECT_EQ(variants[0].assignments[0].line, 4);
  EXPECT_EQ(variants[1].assignments[0].text, "stations[Filler].cycle_time=1.1s");
  EXPECT_EQ(variants[1].assignments[0].line, 7);
  EXPECT_EQ(variants[2].assignments[0].text, "stations[name=Filler].machines=2");
}

TEST(Scenario, ErrorsHaveFileAndLine) {
  std::vector<Variant> variants;
  std::vector<SceneError> errors;
  const std::string text =
      "variants:\n"
      "  - name: a\n"
      "    sett: [x=1]\n"
      "  - set: [nothing]\n";
  EXPECT_FALSE(parse_scenario_text(text, "s.yaml", variants, errors));
  EXPECT_TRUE(variants.empty());
  ASSERT_GE(errors.size(), 3u);  // unknown key, missing set, no '=', missing name
  for (const SceneError& e : errors) {
    EXPECT_EQ(e.file, "s.yaml");
    EXPECT_GT(e.line, 0) << e.message;
  }
  EXPECT_EQ(errors[0].line, 3);
  EXPECT_EQ(errors[0].path, "variants[0].sett");
}

TEST(Scenario, SyntaxErrorAndDuplicates) {
  std::vector<Variant> variants;
  std::vector<SceneError> errors;
  EXPECT_FALSE(parse_scenario_text("variants: [\n  {name: a,\n", "s.yaml", variants, errors));
  ASSERT_FALSE(errors.empty());
  EXPECT_GT(errors[0].line, 0);
  errors.clear();
  EXPECT_FALSE(
      parse_scenario_text("variants:\n  - {name: a, set: [x=1]}\n  - {name: a, set: [y=2]}\n",
                          "s.yaml", variants, errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 3);
  errors.clear();
  EXPECT_FALSE(parse_scenario_text("other: 1\n", "s.yaml", variants, errors));
  EXPECT_FALSE(load_scenario_file("/nonexistent/scenario.yaml", variants, errors));
}

}  // namespace
}  // namespace twin

namespace twin {
namespace {

// The sample scenario file applies cleanly to its scene.
TEST(WhatIf, SampleScenarioAppliesToItsScene) {
  const SceneLoadResult base = test::load_sample_or_fail("machining20.yaml");
  std::vector<Variant> variants;
  std::vector<SceneError> errors;
  ASSERT_TRUE(load_scenario_file(
      std::string(TWIN_SOURCE_DIR) + "/scenes/scenarios/machining20_variants.yaml", variants,
      errors));
  ASSERT_EQ(variants.size(), 3u);
  for (const Variant& v : variants) {
    PreparedVariant prepared;
    EXPECT_TRUE(prepare_variant(base.scene, "machining20.yaml", v, prepared, errors)) << v.name;
  }
  for (const SceneError& e : errors) ADD_FAILURE() << e.to_string();
}

}  // namespace
}  // namespace twin
