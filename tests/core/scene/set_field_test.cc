// set_scene_field: `twin whatif --set PATH=VALUE` paths, values and errors.
#include <gtest/gtest.h>

#include <string>

#include "core/scene/load.h"

namespace twin {
namespace {

constexpr const char* kScene = R"(name: line
sources: [{name: In}]
buffers:
  - {name: B1, capacity: 4}
  - {name: B2}
sinks: [{name: Out}]
stations:
  - name: Cutter
    input: In
    output: B1
    cycle_time: 20
  - name: Filler
    input: B1
    output: B2
    cycle_time: {exponential: {mean: 30}}
    failures:
      - {name: jam, time_to_failure: 1h, time_to_repair: 5min}
  - name: Packer
    input: B2
    output: Out
    cycle_time: {empirical: {values: [10, 12, 14]}}
)";

class SceneSetField : public ::testing::Test {
 protected:
  void SetUp() override {
    const SceneLoadResult r = load_scene_text(kScene, "set.yaml");
    ASSERT_TRUE(r.ok());
    scene_ = r.scene;
  }
  bool set(const std::string& assignment) {
    error_.clear();
    return set_scene_field(scene_, assignment, error_);
  }
  // The assignment fails, the scene is unchanged and the error mentions `gist`.
  void expect_error(const std::string& assignment, const std::string& gist) {
    const std::string before = scene_.SerializeAsString();
    EXPECT_FALSE(set(assignment)) << assignment;
    EXPECT_NE(error_.find(gist), std::string::npos) << "error: " << error_ << "\nwanted: " << gist;
    EXPECT_EQ(scene_.SerializeAsString(), before) << assignment;
  }
  scene::Scene scene_;
  std::string error_;
};

TEST_F(SceneSetField, ByIndexByNameAndByKey) {
  ASSERT_TRUE(set("stations[0].machines=3")) << error_;
  EXPECT_EQ(scene_.stations(0).machines(), 3u);
  ASSERT_TRUE(set("stations[Packer].machines=2")) << error_;
  EXPECT_EQ(scene_.stations(2).machines(), 2u);
  ASSERT_TRUE(set("stations[name=Filler].machines = 4")) << error_;
  EXPECT_EQ(scene_.stations(1).machines(), 4u);
  ASSERT_TRUE(set("buffers[B1].capacity=10")) << error_;
  EXPECT_EQ(scene_.buffers(0).capacity(), 10);
  ASSERT_TRUE(set("buffers[name='B2'].capacity=0")) << error_;
  EXPECT_TRUE(scene_.buffers(1).has_capacity());
  EXPECT_EQ(scene_.buffers(1).capacity(), 0);
}

TEST_F(SceneSetField, DistributionShorthandAndUnits) {
  ASSERT_TRUE(set("stations[Filler].cycle_time=35")) << error_;
  EXPECT_EQ(scene_.stations(1).cycle_time().kind_case(), scene::Distribution::kConstant);
  EXPECT_DOUBLE_EQ(scene_.stations(1).cycle_time().constant(), 35.0);
  ASSERT_TRUE(set("stations[Filler].cycle_time=1.5min")) << error_;
  EXPECT_DOUBLE_EQ(scene_.stations(1).cycle_time().constant(), 90.0);
  ASSERT_TRUE(set("stations[Filler].failures[jam].time_to_repair=250ms")) << error_;
  EXPECT_DOUBLE_EQ(scene_.stations(1).failures(0).time_to_repair().constant(), 0.25);
}

TEST_F(SceneSetField, NestedPathSwitchesTheOneof) {
  ASSERT_TRUE(set("stations[Cutter].cycle_time.exponential.mean=40")) << error_;
  const scene::Distribution& d = scene_.stations(0).cycle_time();
  EXPECT_EQ(d.kind_case(), scene::Distribution::kExponential);
  EXPECT_DOUBLE_EQ(d.exponential().mean(), 40.0);
  // Setting a field of the current kind keeps the others of it.
  ASSERT_TRUE(set("stations[Cutter].cycle_time.normal.mean=40")) << error_;
  ASSERT_TRUE(set("stations[Cutter].cycle_time.normal.stddev=4s")) << error_;
  EXPECT_DOUBLE_EQ(scene_.stations(0).cycle_time().normal().mean(), 40.0);
  EXPECT_DOUBLE_EQ(scene_.stations(0).cycle_time().normal().stddev(), 4.0);
}

TEST_F(SceneSetField, FlowMappingsListsEnumsAndBools) {
  ASSERT_TRUE(set("stations[Filler].cycle_time={lognormal: {mean: 30, stddev: 5}}")) << error_;
  EXPECT_DOUBLE_EQ(scene_.stations(1).cycle_time().lognormal().stddev(), 5.0);
  ASSERT_TRUE(set("stations[Packer].input=[B2, B1]")) << error_;
  ASSERT_EQ(scene_.stations(2).input_size(), 2);
  ASSERT_TRUE(set("stations[Packer].input=B2")) << error_;
  EXPECT_EQ(scene_.stations(2).input_size(), 1);
  ASSERT_TRUE(set("stations[Packer].cycle_time.empirical.values[1]=13")) << error_;
  EXPECT_DOUBLE_EQ(scene_.stations(2).cycle_time().empirical().values(1), 13.0);
  ASSERT_TRUE(set("stations[Filler].blocking=before_service")) << error_;
  EXPECT_EQ(scene_.stations(1).blocking(), scene::Station::BEFORE_SERVICE);
  ASSERT_TRUE(set("sources[In].when_full=LOSE")) << error_;
  EXPECT_EQ(scene_.sources(0).when_full(), scene::Source::LOSE);
  ASSERT_TRUE(set("stations[Filler].setup={time: 2min, on_product_change: yes}")) << error_;
  EXPECT_TRUE(scene_.stations(1).setup().on_product_change());
  ASSERT_TRUE(set("stations[Filler].failures[0].kind=operation_based")) << error_;
  EXPECT_EQ(scene_.stations(1).failures(0).kind(), scene::Failure::OPERATION_BASED);
  ASSERT_TRUE(set("calendar.period=8h")) << error_;
  EXPECT_DOUBLE_EQ(scene_.calendar().period(), 28800.0);
  ASSERT_TRUE(set("seed=123")) << error_;
  EXPECT_EQ(scene_.seed(), 123u);
  ASSERT_TRUE(set("stations[Filler].name=Filler 2")) << error_;
  EXPECT_EQ(scene_.stations(1).name(), "Filler 2");
}

TEST_F(SceneSetField, EmptyValueClearsOptionalFields) {
  ASSERT_TRUE(set("buffers[B1].capacity=")) << error_;
  EXPECT_FALSE(scene_.buffers(0).has_capacity());
  ASSERT_TRUE(set("stations[Filler].failures=")) << error_;
  EXPECT_EQ(scene_.stations(1).failures_size(), 0);
}

TEST_F(SceneSetField, ResultStillCompiles) {
  ASSERT_TRUE(set("stations[Filler].machines=2"));
  ASSERT_TRUE(set("buffers[B1].capacity=10"));
  const SceneLoadResult r = compile_scene(scene_, "set.yaml");
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.model.machine_count(), 4u);
  EXPECT_EQ(r.model.nodes[static_cast<size_t>(r.model.find_node("B1"))].capacity, 10);
}

TEST_F(SceneSetField, Errors) {
  expect_error("stations[0].machines", "expected PATH=VALUE");
  expect_error("=3", "expected a field name");
  expect_error("stations[0.machines=3", "missing ']'");
  expect_error("stations[].machines=3", "empty [] selector");
  expect_error("stations[0]machines=3", "unexpected 'm'");
  expect_error("stations[7].machines=3", "index 7 is out of range (stations has 3 elements)");
  expect_error("stations[Filer].machines=3",
               "no element of stations has name 'Filer', did you "
               "mean 'Filler'?");
  expect_error("stations[colour=red].machines=3", "Station has no text field 'colour'");
  expect_error("stations[Filler].machins=3", "unknown field 'machins', did you mean 'machines'?");
  expect_error("stations.machines=3", "'stations' is a list; select an element");
  expect_error("calendar[0].period=3", "'calendar' is not a list");
  expect_error("stations[Filler].machines.x=3", "is a value, not a message");
  expect_error("stations[Filler].machines=-1", "must not be negative");
  expect_error("stations[Filler].machines=two", "expected a whole number, got 'two'");
  expect_error("stations[Filler].cycle_time=fast", "expected a duration");
  expect_error("stations[Filler].cycle_time=5 furlongs", "unknown unit 'furlongs'");
  expect_error("stations[Filler].blocking=never", "allowed: after_service, before_service");
  expect_error("stations[Filler].cycle_time={exponential: {mean: 1}", "bad value");
  expect_error("stations[Filler].cycle_time={mean: 3}", "unknown field 'mean'");
  expect_error("stations[Filler].machines=", "no value given");
  expect_error("stations[Filler].input[x]=B1", "elements of 'input' are values");
  expect_error("stations[Filler].input[5]=B1", "index 5 is out of range");
}

TEST_F(SceneSetField, ErrorNamesThePathAsWritten) {
  EXPECT_FALSE(set("stations[Filler].cycle_time.exponential.mean=soon"));
  EXPECT_EQ(error_.rfind("stations[Filler].cycle_time.exponential.mean: ", 0), 0u) << error_;
}

}  // namespace
}  // namespace twin
