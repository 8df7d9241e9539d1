// Property test: many randomly built lines (serial, parallel machines, zero-capacity hand-offs,
// both blocking policies, conveyors, assembly, scrap, rework, failures of both kinds, setups,
// lots, breaks, lost or waiting arrivals) run without crashing, and on every one of them parts
// are conserved, time in modes adds up to the window, Little's law holds for the line, and a
// fork continues identically. The generator is seeded, so the scenes are the same every run.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "core/sim/rng.h"
#include "models/process/line_model.h"
#include "tests/support/scenes.h"

namespace twin {
namespace {

class SceneWriter {
 public:
  explicit SceneWriter(uint64_t seed) : rng_(seed) {}

  std::string write() {
    std::ostringstream y;
    const int stations = 2 + pick(6);
    const bool assembly = stations >= 3 && coin(0.3);
    const int assembly_at = assembly ? 1 + pick(stations - 2) : -1;
    y << "name: random\nproducts: [{name: A}, {name: B}]\n";
    y << "sources:\n";
    if (coin(0.5)) {
      y << "  - {name: src}\n";  // saturated
    } else {
      y << "  - {name: src, interarrival: {exponential: {mean: " << 20 + pick(40) << "}}";
      if (coin(0.5))
        y << ", capacity: " << pick(5) << ", when_full: " << (coin(0.5) ? "LOSE" : "WAIT");
      y << ", product_mix: [{product: A, weight: 2}, {product: B, weight: 1}], lot_size: "
        << 1 + pick(10) << "}\n";
    }
    if (assembly) y << "  - {name: side, interarrival: {exponential: {mean: 25}}}\n";
    y << "buffers:\n";
    for (int i = 1; i < stations; ++i) {
      if (i % 3 == 2) continue;  // some links are conveyors
      y << "  - {name: q" << i;
      if (!coin(0.2)) y << ", capacity: " << pick(6);
      y << "}\n";
    }
    y << "conveyors:\n";
    bool any_conveyor = false;
    for (int i = 1; i < stations; ++i) {
      if (i % 3 != 2) continue;
      any_conveyor = true;
      y << "  - {name: q" << i
        << ", transport_time: {uniform: {min: 5, max: 15}}, capacity: " << 1 + pick(6) << "}\n";
    }
    if (!any_conveyor) y << "  []\n";
    y << "stations:\n";
    for (int i = 0; i < stations; ++i) {
      const std::string in = i == 0 ? std::string("src") : queue_name(i);
      const std::string out = i + 1 == stations ? std::string("done") : queue_name(i + 1);
      y << "  - name: s" << i << "\n";
      y << "    machines: " << 1 + (coin(0.25) ? pick(3) : 0) << "\n";
      y << "    input: [" << in << (i == assembly_at ? ", side" : "") << "]\n";
      y << "    output: " << out << "\n";
      y << "    blocking: " << (coin(0.3) ? "BEFORE_SERVICE" : "AFTER_SERVICE") << "\n";
      y << "    cycle_time: " << cycle() << "\n";
      if (coin(0.3)) {
        y << "    setup: {time: " << 30 + pick(60)
          << ", on_product_change: true, every_parts: " << pick(20) << "}\n";
      }
      if (coin(0.5)) {
        y << "    failures:\n";
        y << "      - {name: f1, kind: " << (coin(0.5) ? "OPERATION_BASED" : "TIME_BASED")
          << ", time_to_failure: {exponential: {mean: " << 300 + pick(2000)
          << "}}, time_to_repair: {lognormal: {mean: " << 30 + pick(200) << ", stddev: 20}}}\n";
        if (coin(0.4)) {
          y << "      - {name: f2, time_to_failure: {weibull: {shape: 1.5, scale: 1500}}, "
               "time_to_repair: 60}\n";
        }
      }
      if (i > 0 && i + 1 < stations && coin(0.4)) {
        y << "    scrap_probability: 0.05\n";
        y << "    rework: {probability: 0.1, to: q" << 1 + pick(i) << "}\n";
      }
    }
    y << "sinks: [{name: done}]\n";
    if (coin(0.5)) y << "calendar: {period: 7200, breaks: [{start: 3000, duration: 600}]}\n";
    return y.str();
  }

 private:
  int pick(int n) { return static_cast<int>(rng_.next_u64() % static_cast<uint64_t>(n)); }
  bool coin(double p) { return rng_.uniform01() < p; }
  // Built by appending: GCC 12 warns falsely (-Wrestrict) on "literal" + std::string.
  static std::string queue_name(int i) { return std::string("q").append(std::to_string(i)); }
  std::string cycle() {
    switch (pick(5)) {
      case 0:
        return std::to_string(10 + pick(30));
      case 1:
        return std::string("{exponential: {mean: ")
            .append(std::to_string(10 + pick(30)))
            .append("}}");
      case 2:
        return "{normal: {mean: 25, stddev: 5}}";
      case 3:
        return "{triangular: {min: 10, mode: 20, max: 40}}";
      default:
        return "{empirical: {values: [12, 18, 25, 40]}}";
    }
  }
  Rng rng_;
};

TEST(RandomLines, InvariantsHoldOnManyGeneratedLines) {
  SceneWriter writer(20261122);
  int producing = 0;
  const int scenes = 400;
  for (int scene = 0; scene < scenes; ++scene) {
    const std::string yaml = writer.write();
    SCOPED_TRACE("scene " + std::to_string(scene) + ":\n" + yaml);
    const SceneLoadResult loaded = test::load_scene_or_fail(yaml, "random.yaml");
    if (!loaded.ok()) continue;
    const Model& model = loaded.model;
    RunOptions o;
    o.horizon_s = 6 * 3600;
    o.warmup_s = scene % 2 == 0 ? 0.0 : 1800.0;
    o.seed = static_cast<uint64_t>(scene);
    LineState s;
    init_state(model, o, s);
    advance_to(model, s, o.horizon_s / 3);
    LineState fork = s;
    advance_to(model, s, o.horizon_s);
    advance_to(model, fork, o.horizon_s);
    ASSERT_EQ(s.trace_hash, fork.trace_hash);
    const ReplicationKpis k = compute_kpis(model, s);
    for (const MachineKpis& mk : k.machines) {
      double total = 0.0;
      for (double t : mk.time_in_mode) total += t;
      ASSERT_NEAR(total, k.line.window_s, 1e-6 * k.line.window_s);
    }
    if (o.warmup_s == 0.0) {
      // Parts in = parts out + parts inside (buffers with no initial parts here).
      int64_t inside = 0;
      for (const PartRing& ring : s.contents) inside += ring.count;
      for (size_t m = 0; m < s.holding.size(); ++m) inside += s.holding[m];
      ASSERT_EQ(s.wip, inside);
      // An assembly start merges one part of each extra input into the main part.
      int64_t merged = 0;
      for (const Station& st : model.stations) {
        for (uint32_t j = 0; j < st.machine_count; ++j) {
          merged += static_cast<int64_t>(s.started[st.first_machine + j]) *
                    static_cast<int64_t>(st.inputs.size() - 1);
        }
      }
      ASSERT_EQ(static_cast<int64_t>(k.line.parts_created),
                static_cast<int64_t>(k.line.good_parts + k.line.scrapped_parts) + s.wip + merged);
    }
    ASSERT_TRUE(std::isfinite(k.line.wip_mean));
    ASSERT_TRUE(std::isfinite(k.line.lead_time_mean_s));
    const bool has_rework = yaml.find("rework:") != std::string::npos;
    if (k.line.good_parts > 0) {
      ++producing;
    } else {
      // A rework loop into full buffers can deadlock, as it does on a real line; a line
      // without a loop always makes parts in six hours.
      EXPECT_TRUE(has_rework) << "line without rework made no parts";
      EXPECT_FALSE(k.line.deadlock_stations.empty()) << "no parts, and no deadlock found";
      if (std::getenv("TWIN_DUMP")) std::fprintf(stderr, "=== scene %d\n%s", scene, yaml.c_str());
    }
  }
  EXPECT_GT(producing, scenes * 3 / 4);
}

}  // namespace
}  // namespace twin
