#include <gtest/gtest.h>

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/report/html.h"
#include "core/report/json.h"
#include "core/report/table.h"
#include "core/run/replications.h"
#include "core/run/whatif.h"
#include "core/scene/load.h"

namespace twin {
namespace {

// The first station's name needs escaping everywhere it is written as HTML.
constexpr const char* kScene = R"yaml(
name: report line
seed: 3
sources:
  - name: In
buffers:
  - name: B1
    capacity: 4
stations:
  - name: "<A&B>"
    input: [In]
    output: B1
    cycle_time: {exponential: {mean: 10}}
    power: {busy: 5, idle: 1}
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

struct Fixture {
  SceneLoadResult scene;
  ReplicationResults results;
  WhatIfResults whatif;
};

const Fixture& fixture() {
  static const Fixture f = [] {
    Fixture out;
    out.scene = load_scene_text(kScene, "report.yaml");
    std::string errors;
    for (const SceneError& e : out.scene.errors) errors += e.to_string() + "\n";
    EXPECT_TRUE(out.scene.ok()) << errors;
    ReplicationOptions o;
    o.replications = 4;
    o.horizon_s = 2 * 3600.0;
    o.seed = 3;
    o.threads = 2;
    out.results = run_replications(out.scene.model, o);
    std::vector<PreparedVariant> variants(1);
    Variant v;
    v.name = "slow <S2>";
    v.assignments.push_back({"stations[S2].cycle_time.exponential.mean=13", "--set", 0, 0});
    std::vector<SceneError> errs;
    EXPECT_TRUE(prepare_variant(out.scene.scene, "report.yaml", v, variants[0], errs));
    out.whatif = run_whatif(out.scene.model, variants, o);
    return out;
  }();
  return f;
}

TEST(Report, FigureKeysAreFlattenedMetrics) {
  const Fixture& f = fixture();
  for (const Figure& fig : line_figures()) {
    const MetricSummary* m = f.results.find(fig.key);
    ASSERT_NE(m, nullptr) << fig.key;
    EXPECT_EQ(m->values, values_of(f.results, fig.get)) << fig.key;
  }
}

TEST(Report, JsonParsesBackWithKeys) {
  const Fixture& f = fixture();
  JsonOptions options;
  options.per_replication = true;
  const std::string text = simulation_json(f.scene.model, f.results, options).dump(2);
  const nlohmann::json j = nlohmann::json::parse(text);
  for (const char* key : {"scene", "seed", "replications", "horizon_s", "warmup_s", "metrics",
                          "stations", "bottleneck"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_FALSE(j.contains("threads"));
  EXPECT_EQ(j["scene"], "report line");
  EXPECT_EQ(j["seed"], 3);
  EXPECT_EQ(j["replications"], 4);
  EXPECT_EQ(j["stations"][0], "<A&B>");
  const auto& m = j["metrics"]["line.throughput_per_h"];
  for (const char* key : {"mean", "half_width", "stddev", "min", "max", "n", "values"}) {
    EXPECT_TRUE(m.contains(key)) << key;
  }
  EXPECT_EQ(m["n"], 4);
  EXPECT_EQ(m["values"].size(), 4u);
  EXPECT_EQ(j["metrics"].size(), f.results.metrics.size());
  // Without per-replication values.
  const nlohmann::ordered_json plain = simulation_json(f.scene.model, f.results);
  EXPECT_FALSE(plain["metrics"]["line.throughput_per_h"].contains("values"));
  // Metric order is the flatten order.
  EXPECT_EQ(plain["metrics"].begin().key(), f.results.metrics.front().key);
}

TEST(Report, WhatIfJson) {
  const Fixture& f = fixture();
  const nlohmann::json j = nlohmann::json::parse(whatif_json(f.scene.model, f.whatif).dump());
  EXPECT_TRUE(j.contains("base"));
  EXPECT_TRUE(j["base"].contains("metrics"));
  ASSERT_EQ(j["variants"].size(), 1u);
  const auto& v = j["variants"][0];
  EXPECT_EQ(v["name"], "slow <S2>");
  EXPECT_EQ(v["set"][0], "stations[S2].cycle_time.exponential.mean=13");
  const auto& d = v["differences"]["line.throughput_per_h"];
  for (const char* key : {"mean", "half_width", "stddev", "n", "relative_pct", "significant"}) {
    EXPECT_TRUE(d.contains(key)) << key;
  }
  EXPECT_TRUE(v["metrics"].contains("line.throughput_per_h"));
}

void expect_clean_html(const std::string& html) {
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("</html>"), std::string::npos);
  EXPECT_EQ(html.find("http"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<A&B>"), std::string::npos);
  EXPECT_NE(html.find("&lt;A&amp;B&gt;"), std::string::npos);
  // Every opened svg is closed.
  size_t open = 0, close = 0;
  for (size_t p = html.find("<svg"); p != std::string::npos; p = html.find("<svg", p + 1)) ++open;
  for (size_t p = html.find("</svg>"); p != std::string::npos; p = html.find("</svg>", p + 1)) {
    ++close;
  }
  EXPECT_EQ(open, close);
  EXPECT_EQ(html.find(">nan"), std::string::npos);
  EXPECT_EQ(html.find("\"nan"), std::string::npos);
}

TEST(Report, HtmlIsSelfContainedAndEscaped) {
  const Fixture& f = fixture();
  const std::string html = simulation_html(f.scene.model, f.results);
  expect_clean_html(html);
  for (const char* mode : {"busy", "starved", "blocked", "down", "setup", "off"}) {
    EXPECT_NE(html.find(mode), std::string::npos) << mode;
  }
}

TEST(Report, WhatIfHtml) {
  const Fixture& f = fixture();
  const std::string html = whatif_html(f.scene.model, f.whatif);
  expect_clean_html(html);
  EXPECT_NE(html.find("slow &lt;S2&gt;"), std::string::npos);
  EXPECT_NE(html.find("difference in throughput"), std::string::npos);
}

TEST(Report, Tables) {
  const Fixture& f = fixture();
  std::ostringstream sim;
  print_simulation_tables(sim, f.scene.model, f.results);
  const std::string s = sim.str();
  EXPECT_NE(s.find("Line KPIs"), std::string::npos);
  EXPECT_NE(s.find("Stations"), std::string::npos);
  EXPECT_NE(s.find("throughput [parts/h]"), std::string::npos);
  EXPECT_NE(s.find("<A&B>"), std::string::npos);
  EXPECT_NE(s.find("\u00b1"), std::string::npos);
  EXPECT_NE(s.find("bottleneck"), std::string::npos);
  std::ostringstream wi;
  print_whatif_table(wi, f.scene.model, f.whatif);
  EXPECT_NE(wi.str().find("What-if"), std::string::npos);
  EXPECT_NE(wi.str().find("slow <S2>"), std::string::npos);
  EXPECT_NE(wi.str().find("*"), std::string::npos);  // the slower station is significant
}

TEST(Report, Formatting) {
  Interval iv;
  iv.mean = 412.345;
  iv.half_width = 3.14;
  iv.n = 10;
  EXPECT_EQ(format_interval(iv, 1.0, 1), "412.3 \u00b1 3.1");
  EXPECT_EQ(format_difference(iv, 1.0, 1), "+412.3 \u00b1 3.1");
  iv.n = 1;
  EXPECT_EQ(format_interval(iv, 1.0, 0), "412");
  EXPECT_EQ(format_number(std::nan(""), 2), "-");
  EXPECT_EQ(format_number(-0.0001, 1), "0.0");
  EXPECT_EQ(format_percent_change(-2.94), "-2.9%");
  EXPECT_EQ(format_percent_change(std::nan("")), "-");
  EXPECT_EQ(html_escape("<a href='x'>&\"</a>"), "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;");
}

}  // namespace
}  // namespace twin
