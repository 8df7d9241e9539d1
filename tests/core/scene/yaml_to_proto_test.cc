// YAML -> Scene message: generic field mapping, units, shorthands, locations and parse errors.
#include "core/scene/yaml_to_proto.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/scene/suggest.h"
#include "twin/scene.pb.h"

namespace twin {
namespace {

struct Parsed {
  scene::Scene scene;
  FieldLocations locations;
  std::vector<SceneError> errors;
  bool ok = false;
};

Parsed parse(const std::string& yaml) {
  Parsed p;
  p.ok = yaml_to_message(yaml, "t.yaml", p.scene, &p.locations, p.errors);
  return p;
}

std::string dump(const std::vector<SceneError>& errors) {
  std::string out;
  for (const SceneError& e : errors) out += e.to_string() + "\n";
  return out;
}

// The single error of `yaml`, checked for path, line and a piece of the message.
void expect_one_error(const std::string& yaml, const std::string& path, int line,
                      const std::string& gist) {
  const Parsed p = parse(yaml);
  EXPECT_FALSE(p.ok);
  ASSERT_EQ(p.errors.size(), 1u) << dump(p.errors);
  EXPECT_EQ(p.errors[0].path, path) << dump(p.errors);
  EXPECT_EQ(p.errors[0].line, line) << dump(p.errors);
  EXPECT_NE(p.errors[0].message.find(gist), std::string::npos)
      << "message: " << p.errors[0].message << "\nwanted: " << gist;
  EXPECT_EQ(p.errors[0].file, "t.yaml");
}

TEST(SceneSuggest, EditDistance) {
  EXPECT_EQ(edit_distance("", ""), 0u);
  EXPECT_EQ(edit_distance("abc", ""), 3u);
  EXPECT_EQ(edit_distance("cycle_tme", "cycle_time"), 1u);
  EXPECT_EQ(edit_distance("cylce_time", "cycle_time"), 1u);  // transposition
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
}

TEST(SceneSuggest, SuggestsOnlyCloseNames) {
  const std::vector<std::string> fields = {"name", "machines", "input", "output", "cycle_time"};
  EXPECT_EQ(suggest("cycle_tme", fields), "cycle_time");
  EXPECT_EQ(suggest("Cycle_Time", fields), "cycle_time");
  EXPECT_EQ(suggest("inputs", fields), "input");
  EXPECT_EQ(suggest("colour", fields), "");
  EXPECT_EQ(suggest("x", fields), "");
  EXPECT_EQ(suggest("Bl", {"B1", "B2"}), "B1");  // short names: one edit
  EXPECT_EQ(suggest("C", {"B"}), "");
  EXPECT_EQ(did_you_mean("outptu", fields), ", did you mean 'output'?");
  EXPECT_EQ(did_you_mean("zzz", fields), "");
}

TEST(YamlToProto, MapsFieldsGenerically) {
  const Parsed p = parse(
      "name: line\n"
      "seed: 18446744073709551615\n"  // uint64 max, exact
      "products: [{name: A}, {name: B}]\n"
      "sources:\n"
      "  - name: In\n"
      "    when_full: LOSE\n"
      "    capacity: 7\n"
      "    batch_size: 3\n"
      "    product_mix: [{product: A, weight: 2.5}]\n"
      "stations:\n"
      "  - name: S\n"
      "    machines: 2\n"
      "    input: [In, B]\n"
      "    output: Out\n"
      "    blocking: before-service\n"
      "    tags: [{name: t, signal: motor_current, rate_hz: 10, unit: A}]\n");
  ASSERT_TRUE(p.ok) << dump(p.errors);
  EXPECT_EQ(p.scene.name(), "line");
  EXPECT_EQ(p.scene.seed(), UINT64_MAX);
  ASSERT_EQ(p.scene.products_size(), 2);
  EXPECT_EQ(p.scene.products(1).name(), "B");
  const scene::Source& s = p.scene.sources(0);
  EXPECT_EQ(s.when_full(), scene::Source::LOSE);
  EXPECT_TRUE(s.has_capacity());
  EXPECT_EQ(s.capacity(), 7);
  EXPECT_EQ(s.batch_size(), 3u);
  EXPECT_DOUBLE_EQ(s.product_mix(0).weight(), 2.5);
  const scene::Station& st = p.scene.stations(0);
  EXPECT_EQ(st.machines(), 2u);
  ASSERT_EQ(st.input_size(), 2);
  EXPECT_EQ(st.input(1), "B");
  EXPECT_EQ(st.blocking(), scene::Station::BEFORE_SERVICE);
  EXPECT_EQ(st.tags(0).signal(), scene::Tag::MOTOR_CURRENT);
  EXPECT_DOUBLE_EQ(st.tags(0).rate_hz(), 10.0);
}

TEST(YamlToProto, PlainScalarIsAConstantDistribution) {
  const Parsed p = parse("stations:\n  - cycle_time: 30\n    setup: {time: 2min}\n");
  ASSERT_TRUE(p.ok) << dump(p.errors);
  EXPECT_EQ(p.scene.stations(0).cycle_time().kind_case(), scene::Distribution::kConstant);
  EXPECT_DOUBLE_EQ(p.scene.stations(0).cycle_time().constant(), 30.0);
  EXPECT_DOUBLE_EQ(p.scene.stations(0).setup().time().constant(), 120.0);
}

TEST(YamlToProto, SingleScalarForRepeatedField) {
  const Parsed p = parse("stations:\n  - input: B1\n    cycle_time: {empirical: {values: 4}}\n");
  ASSERT_TRUE(p.ok) << dump(p.errors);
  ASSERT_EQ(p.scene.stations(0).input_size(), 1);
  EXPECT_EQ(p.scene.stations(0).input(0), "B1");
  ASSERT_EQ(p.scene.stations(0).cycle_time().empirical().values_size(), 1);
}

TEST(YamlToProto, DurationsWithUnits) {
  const Parsed p = parse(
      "stations:\n"
      "  - cycle_time: 90s\n"
      "    failures:\n"
      "      - time_to_failure: {exponential: {mean: 1.5h}}\n"
      "        time_to_repair: {uniform: {min: 250ms, max: 5min}}\n"
      "      - time_to_failure: {weibull: {shape: 2, scale: '3 h', location: 10 sec}}\n"
      "calendar: {period: 8h, breaks: [{start: 2h, duration: 15min}]}\n");
  ASSERT_TRUE(p.ok) << dump(p.errors);
  const scene::Station& st = p.scene.stations(0);
  EXPECT_DOUBLE_EQ(st.cycle_time().constant(), 90.0);
  EXPECT_DOUBLE_EQ(st.failures(0).time_to_failure().exponential().mean(), 5400.0);
  EXPECT_DOUBLE_EQ(st.failures(0).time_to_repair().uniform().min(), 0.25);
  EXPECT_DOUBLE_EQ(st.failures(0).time_to_repair().uniform().max(), 300.0);
  EXPECT_DOUBLE_EQ(st.failures(1).time_to_failure().weibull().scale(), 10800.0);
  EXPECT_DOUBLE_EQ(st.failures(1).time_to_failure().weibull().location(), 10.0);
  EXPECT_DOUBLE_EQ(p.scene.calendar().period(), 28800.0);
  EXPECT_DOUBLE_EQ(p.scene.calendar().breaks(0).duration(), 900.0);
}

TEST(YamlToProto, OtherUnitsOfTheSchema) {
  const Parsed p = parse(
      "conveyors: [{length: 600cm, speed: 30 m/min}]\n"
      "stations: [{scrap_probability: 2.5%, power: {busy: 1500W, idle: 2 kW, hour_limit: "
      "2500Wh}},\n"
      "           {power: {hour_limit: 30 kWh}}]\n");
  ASSERT_TRUE(p.ok) << dump(p.errors);
  EXPECT_DOUBLE_EQ(p.scene.conveyors(0).length(), 6.0);
  EXPECT_DOUBLE_EQ(p.scene.conveyors(0).speed(), 0.5);
  EXPECT_DOUBLE_EQ(p.scene.stations(0).scrap_probability(), 0.025);
  EXPECT_DOUBLE_EQ(p.scene.stations(0).power().busy(), 1.5);
  EXPECT_DOUBLE_EQ(p.scene.stations(0).power().idle(), 2.0);
  EXPECT_DOUBLE_EQ(p.scene.stations(0).power().hour_limit(), 2.5);
  EXPECT_DOUBLE_EQ(p.scene.stations(1).power().hour_limit(), 30.0);
}

TEST(YamlToProto, RecordsLocationsOfEveryPath) {
  const Parsed p = parse(
      "name: x\n"
      "stations:\n"
      "  - name: A\n"
      "    cycle_time: {exponential: {mean: 3}}\n"
      "  - name: B\n"
      "    input: [In, B2]\n"
      "    cycle_time: 4\n");
  ASSERT_TRUE(p.ok) << dump(p.errors);
  auto loc = [&](const std::string& path) {
    const auto it = p.locations.find(path);
    return it == p.locations.end() ? FieldLocation{-1, -1} : it->second;
  };
  EXPECT_EQ(loc("name").line, 1);
  EXPECT_EQ(loc("name").column, 7);
  EXPECT_EQ(loc("stations[0]").line, 3);
  EXPECT_EQ(loc("stations[0].cycle_time.exponential.mean").line, 4);
  EXPECT_EQ(loc("stations[0].cycle_time.exponential.mean").column, 38);
  EXPECT_EQ(loc("stations[1].input[1]").line, 6);
  EXPECT_EQ(loc("stations[1].input[1]").column, 17);
  EXPECT_EQ(loc("stations[1].cycle_time.constant").line, 7);
  // Unrecorded paths fall back to the nearest recorded ancestor.
  EXPECT_EQ(find_location(p.locations, "stations[1].cycle_time.constant.x").line, 7);
  EXPECT_EQ(find_location(p.locations, "stations[1].output").line, 5);
  EXPECT_EQ(find_location(p.locations, "nothing").line, 0);
}

TEST(YamlToProto, AliasesAndMergeKeys) {
  const Parsed p = parse(
      "stations:\n"
      "  - name: A\n"
      "    power: &p {busy: 5, idle: 1}\n"
      "    tags: &t [{name: mode, signal: MODE}]\n"
      "  - name: B\n"
      "    power: {<<: *p, idle: 2}\n"
      "    tags: *t\n");
  ASSERT_TRUE(p.ok) << dump(p.errors);
  EXPECT_DOUBLE_EQ(p.scene.stations(1).power().busy(), 5.0);
  EXPECT_DOUBLE_EQ(p.scene.stations(1).power().idle(), 2.0);  // explicit beats merged
  EXPECT_EQ(p.scene.stations(1).tags(0).name(), "mode");
}

TEST(YamlToProto, NullLeavesOptionalFieldsUnset) {
  const Parsed p = parse("buffers:\n  - name: B\n    capacity:\n    placement:\n");
  ASSERT_TRUE(p.ok) << dump(p.errors);
  EXPECT_FALSE(p.scene.buffers(0).has_capacity());
  EXPECT_FALSE(p.scene.buffers(0).has_placement());
}

TEST(YamlToProto, CollectsAllErrorsInOnePass) {
  const Parsed p = parse(
      "nme: x\n"
      "seed: -1\n"
      "stations:\n"
      "  - machines: many\n"
      "    blocking: sometimes\n");
  EXPECT_FALSE(p.ok);
  ASSERT_EQ(p.errors.size(), 4u) << dump(p.errors);
  EXPECT_EQ(p.errors[0].path, "nme");
  EXPECT_EQ(p.errors[1].path, "seed");
  EXPECT_EQ(p.errors[2].path, "stations[0].machines");
  EXPECT_EQ(p.errors[3].path, "stations[0].blocking");
}

// --- bad YAML: one error each, with path, line and message gist --------------------------------

TEST(YamlToProtoErrors, UnknownFieldSuggestsTheClosestName) {
  expect_one_error("stations:\n  - name: S\n    cycle_tme: 3\n", "stations[0].cycle_tme", 3,
                   "unknown field 'cycle_tme', did you mean 'cycle_time'?");
}

TEST(YamlToProtoErrors, UnknownFieldWithoutCloseName) {
  expect_one_error("stations:\n  - name: S\n    colour: red\n", "stations[0].colour", 3,
                   "unknown field 'colour' in Station");
}

TEST(YamlToProtoErrors, UnknownTopLevelField) {
  expect_one_error("name: a\nstation: []\n", "station", 2, "did you mean 'stations'?");
}

TEST(YamlToProtoErrors, StringWhereNumber) {
  expect_one_error("buffers:\n  - capacity: lots\n", "buffers[0].capacity", 2,
                   "expected a whole number, got 'lots'");
}

TEST(YamlToProtoErrors, TextWhereDuration) {
  expect_one_error("stations:\n  - cycle_time: {exponential: {mean: soon}}\n",
                   "stations[0].cycle_time.exponential.mean", 2,
                   "expected a duration in seconds such as 90, \"90s\"");
}

TEST(YamlToProtoErrors, UnknownUnit) {
  expect_one_error("stations:\n  - cycle_time: 5 parsecs\n", "stations[0].cycle_time", 2,
                   "unknown unit 'parsecs' in '5 parsecs'; use ms, s, sec, min or h");
}

TEST(YamlToProtoErrors, UnitOnAFieldWithoutOne) {
  expect_one_error("stations:\n  - cycle_time: {weibull: {shape: 2s}}\n",
                   "stations[0].cycle_time.weibull.shape", 2, "this field takes no unit");
}

TEST(YamlToProtoErrors, ListWhereMapping) {
  expect_one_error("stations:\n  - power: [1, 2]\n", "stations[0].power", 2,
                   "expected a mapping of Power fields, got a list");
}

TEST(YamlToProtoErrors, MappingWhereList) {
  expect_one_error("stations:\n  name: S\n", "stations", 2, "expected a list, got a mapping");
}

TEST(YamlToProtoErrors, ListWhereScalar) {
  expect_one_error("name: [a, b]\n", "name", 1, "expected text, got a list");
}

TEST(YamlToProtoErrors, BadEnumListsAllowedValues) {
  expect_one_error("sources:\n  - when_full: drop\n", "sources[0].when_full", 2,
                   "unknown value 'drop' for when_full; allowed: wait, lose");
}

TEST(YamlToProtoErrors, BadEnumSuggests) {
  expect_one_error("stations:\n  - failures: [{kind: time_base}]\n", "stations[0].failures[0].kind",
                   2, "did you mean 'time_based'?");
}

TEST(YamlToProtoErrors, NegativeForUnsigned) {
  expect_one_error("stations:\n  - machines: -2\n", "stations[0].machines", 2,
                   "must not be negative, got -2");
}

TEST(YamlToProtoErrors, NonIntegerForInteger) {
  expect_one_error("buffers:\n  - initial: 2.5\n", "buffers[0].initial", 2,
                   "expected a whole number, got '2.5'");
}

TEST(YamlToProtoErrors, IntegerOutOfRange) {
  expect_one_error("buffers:\n  - capacity: 3000000000\n", "buffers[0].capacity", 2,
                   "out of range");
}

TEST(YamlToProtoErrors, BadBool) {
  expect_one_error("stations:\n  - setup: {on_product_change: maybe}\n",
                   "stations[0].setup.on_product_change", 2, "expected true or false");
}

TEST(YamlToProtoErrors, NotFinite) {
  expect_one_error("stations:\n  - cycle_time: .nan\n", "stations[0].cycle_time", 2,
                   "expected a duration");
}

TEST(YamlToProtoErrors, MissingScalarValue) {
  expect_one_error("stations:\n  - machines:\n", "stations[0].machines", 2,
                   "no value given for 'machines'");
}

TEST(YamlToProtoErrors, DuplicateKey) {
  expect_one_error("stations:\n  - cycle_time: 3\n    cycle_time: 4\n", "stations[0].cycle_time", 3,
                   "duplicate field 'cycle_time'");
}

TEST(YamlToProtoErrors, TwoKindsOfDistribution) {
  expect_one_error("stations:\n  - cycle_time:\n      constant: 3\n      exponential: {mean: 2}\n",
                   "stations[0].cycle_time.exponential", 4,
                   "'exponential' and 'constant' cannot both be set");
}

TEST(YamlToProtoErrors, EmptyListElement) {
  // yaml-cpp marks an empty element where the next token starts.
  expect_one_error("stations:\n  -\n  - name: S\n", "stations[0]", 3, "empty list element");
}

TEST(YamlToProtoErrors, NonScalarKey) {
  expect_one_error("? [a, b]\n: 3\n", "", 1, "a field name must be plain text");
}

TEST(YamlToProtoErrors, SyntaxErrorHasLineAndColumn) {
  const Parsed p = parse("name: a\nstations:\n  - name: S\n    input: [In, B\n");
  ASSERT_EQ(p.errors.size(), 1u) << dump(p.errors);
  EXPECT_NE(p.errors[0].message.find("YAML syntax error"), std::string::npos);
  EXPECT_GE(p.errors[0].line, 4);
  EXPECT_GT(p.errors[0].column, 0);
}

TEST(YamlToProtoErrors, BadIndentation) {
  const Parsed p = parse("name: a\n  seed: 3\nstations: []\n");
  ASSERT_EQ(p.errors.size(), 1u) << dump(p.errors);
  EXPECT_NE(p.errors[0].message.find("YAML syntax error"), std::string::npos);
  EXPECT_EQ(p.errors[0].line, 2);
}

TEST(YamlToProtoErrors, EmptyDocument) {
  for (const char* text : {"", "\n\n", "# only a comment\n", "---\n...\n"}) {
    const Parsed p = parse(text);
    ASSERT_EQ(p.errors.size(), 1u) << "text: '" << text << "'\n" << dump(p.errors);
    EXPECT_NE(p.errors[0].message.find("empty scene"), std::string::npos);
  }
}

// yaml-cpp 0.7 loops producing empty documents on a stray ',' at block level; the loader caps
// the document scan instead of running out of memory.
TEST(YamlToProtoErrors, StrayCommaAtBlockLevel) {
  for (const char* text : {",", ", x\nname: a\n", "# c\n, - x\nname: a\n", "[a], b\n"}) {
    const Parsed p = parse(text);
    ASSERT_EQ(p.errors.size(), 1u) << text << "\n" << dump(p.errors);
    EXPECT_NE(p.errors[0].message.find("YAML syntax error"), std::string::npos) << text;
  }
}

TEST(YamlToProtoErrors, TopLevelNotAMapping) {
  expect_one_error("- a\n- b\n", "", 1, "expected a mapping of Scene fields at the top level");
  expect_one_error("just text\n", "", 1, "at the top level, got 'just text'");
}

TEST(YamlToProtoErrors, TwoDocuments) {
  expect_one_error("name: a\n---\nname: b\n", "", 3, "one YAML document");
}

TEST(YamlToProtoErrors, NeverThrowsOnJunk) {
  const std::vector<std::string> junk = {"{",
                                         "[",
                                         "]]]",
                                         "a: b: c",
                                         "!!binary x",
                                         "&a [*a]",
                                         "*nope",
                                         "%YAML 9.9\n---\na: 1",
                                         "name: \"unterminated",
                                         "\t- tab",
                                         std::string(3, '\0'),
                                         "stations: [[[]]]",
                                         "stations: [{cycle_time: {normal: [1, 2]}}]",
                                         "<<: 3",
                                         "stations: [{<<: [1, {name: x}]}]",
                                         std::string(5000, '[')};
  for (const std::string& text : junk) {
    scene::Scene s;
    std::vector<SceneError> errors;
    EXPECT_NO_THROW(yaml_to_message(text, "junk.yaml", s, nullptr, errors)) << text;
  }
}

TEST(YamlToProto, ValueToField) {
  scene::Scene s;
  s.add_stations()->set_name("S");
  std::vector<SceneError> errors;
  scene::Station* st = s.mutable_stations(0);
  const auto* d = st->GetDescriptor();
  EXPECT_TRUE(yaml_value_to_field("35s", *st, d->FindFieldByName("cycle_time"), -1, "ct", errors));
  EXPECT_DOUBLE_EQ(st->cycle_time().constant(), 35.0);
  EXPECT_TRUE(yaml_value_to_field("[A, B]", *st, d->FindFieldByName("input"), -1, "in", errors));
  EXPECT_EQ(st->input_size(), 2);
  EXPECT_TRUE(yaml_value_to_field("C", *st, d->FindFieldByName("input"), 1, "in[1]", errors));
  EXPECT_EQ(st->input(1), "C");
  EXPECT_FALSE(yaml_value_to_field("x", *st, d->FindFieldByName("machines"), -1, "m", errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].path, "m");
  EXPECT_EQ(errors[0].line, 0);
}

}  // namespace
}  // namespace twin
