// Behaviour of the line model: forks, allocation-free stepping, conservation of parts,
// assembly, rework, setups, blocking policies, breaks, and a golden trace hash.
#include "models/process/line_model.h"

#include <string>

#include <gtest/gtest.h>

#include "core/run/replications.h"
#include "core/scene/load.h"
#include "tests/support/alloc_counter.h"
#include "tests/support/scenes.h"

namespace twin {
namespace {

Model load(const std::string& yaml) {
  return test::load_scene_or_fail(yaml, "line_model_test.yaml").model;
}

Model load_sample(const std::string& name) {
  return test::load_sample_or_fail(name).model;
}

const char* kLine = R"(
name: small line
products: [{name: A}, {name: B}]
sources:
  - name: arrivals
    interarrival: {exponential: {mean: 20}}
    product_mix: [{product: A, weight: 3}, {product: B, weight: 1}]
buffers:
  - {name: b1, capacity: 3}
  - {name: b2, capacity: 2}
conveyors:
  - {name: belt, length: 6, speed: 0.5, capacity: 4}
stations:
  - name: cut
    input: arrivals
    output: b1
    cycle_time: {normal: {mean: 15, stddev: 3}}
    setup: {time: 60, on_product_change: true}
    failures:
      - {name: blade, kind: OPERATION_BASED, time_to_failure: {weibull: {shape: 2, scale: 3000}},
         time_to_repair: {lognormal: {mean: 300, stddev: 100}}}
  - name: weld
    machines: 2
    input: b1
    output: belt
    blocking: BEFORE_SERVICE
    cycle_time: {gamma: {shape: 4, scale: 7}}
    failures:
      - {name: power, time_to_failure: {exponential: {mean: 5000}}, time_to_repair: 200}
  - name: check
    input: belt
    output: b2
    cycle_time: {uniform: {min: 10, max: 16}}
    scrap_probability: 0.03
    rework: {probability: 0.05, to: b1}
  - name: pack
    input: b2
    output: done
    cycle_time: 14
sinks: [{name: done}]
calendar:
  period: 28800
  breaks: [{name: lunch, start: 14400, duration: 1800}]
)";

TEST(LineModel, ForkContinuesIdentically) {
  const Model model = load(kLine);
  RunOptions o;
  o.horizon_s = 20 * 3600;
  o.seed = 3;
  LineState a;
  init_state(model, o, a);
  advance_to(model, a, 5 * 3600);
  LineState b = a;  // fork
  advance_to(model, a, o.horizon_s);
  advance_to(model, b, o.horizon_s);
  EXPECT_EQ(a.trace_hash, b.trace_hash);
  EXPECT_EQ(a.events_processed, b.events_processed);
  const auto ka = flatten_kpis(model, compute_kpis(model, a));
  const auto kb = flatten_kpis(model, compute_kpis(model, b));
  ASSERT_EQ(ka.size(), kb.size());
  for (size_t i = 0; i < ka.size(); ++i) EXPECT_EQ(ka[i].value, kb[i].value) << ka[i].key;
}

TEST(LineModel, SameSeedSameTraceOtherSeedOtherTrace) {
  const Model model = load(kLine);
  RunOptions o;
  o.horizon_s = 8 * 3600;
  o.seed = 11;
  const uint64_t h1 = run_replication(model, o).trace_hash;
  const uint64_t h2 = run_replication(model, o).trace_hash;
  o.replication = 1;
  const uint64_t h3 = run_replication(model, o).trace_hash;
  EXPECT_EQ(h1, h2);
  EXPECT_NE(h1, h3);
}

// Steady state allocates nothing: a state reused for a second run of the same length keeps its
// storage, and the whole event loop then runs without one heap allocation.
TEST(LineModel, NoAllocationPerEventInSteadyState) {
  const Model model = load(kLine);
  RunOptions o;
  o.horizon_s = 24 * 3600;
  o.seed = 5;
  LineState s;
  init_state(model, o, s);
  advance_to(model, s, o.horizon_s);  // grows every buffer to its working size
  init_state(model, o, s);
  test::start_counting_allocations();
  advance_to(model, s, o.horizon_s);
  const uint64_t allocations = test::stop_counting_allocations();
  EXPECT_GT(s.events_processed, 10000u);
  EXPECT_EQ(allocations, 0u) << "allocations in " << s.events_processed << " events";
}

// Within one long run, once the line has filled, a further stretch of events allocates
// nothing either (storage grows only past its largest size so far, which a line in steady
// state stops reaching).
TEST(LineModel, NoAllocationInTheSecondHalfOfALongRun) {
  const Model model = load(kLine);
  RunOptions o;
  o.horizon_s = 30 * 24 * 3600;
  o.seed = 5;
  LineState s;
  init_state(model, o, s);
  advance_to(model, s, o.horizon_s / 2);
  const uint64_t before = s.events_processed;
  test::start_counting_allocations();
  advance_to(model, s, o.horizon_s);
  const uint64_t allocations = test::stop_counting_allocations();
  const uint64_t events = s.events_processed - before;
  EXPECT_GT(events, 50000u);
  // The only growable records are the part rings, the calendar and the active-period log of
  // bottleneck candidates; allow their occasional doubling, nothing per event.
  EXPECT_LE(allocations, 4u) << allocations << " allocations in " << events << " events";
}

// Every part that entered is finished, scrapped, or still inside at the end.
TEST(LineModel, PartsAreConserved) {
  const Model model = load(kLine);
  RunOptions o;
  o.horizon_s = 16 * 3600;
  o.seed = 9;
  LineState s;
  init_state(model, o, s);
  advance_to(model, s, o.horizon_s);
  const ReplicationKpis k = compute_kpis(model, s);
  EXPECT_EQ(static_cast<int64_t>(k.line.parts_created),
            static_cast<int64_t>(k.line.good_parts + k.line.scrapped_parts) + s.wip);
  EXPECT_GT(k.line.scrapped_parts, 0u);
  EXPECT_GT(k.stations[2].parts_reworked, 0u);
  // Time in modes adds up to the window for every machine.
  for (const MachineKpis& mk : k.machines) {
    double total = 0;
    for (double t : mk.time_in_mode) total += t;
    EXPECT_NEAR(total, k.line.window_s, 1e-6);
    EXPECT_NEAR(mk.time_in_mode[static_cast<int>(Mode::kOff)], 2 * 1800.0, 1e-6);
  }
  // Setups happen on product change (mix of A and B).
  EXPECT_GT(k.machines[0].time_in_mode[static_cast<int>(Mode::kSetup)], 0.0);
}

// Parallel stations report each machine too, and the station's busy share is their mean.
TEST(LineModel, FlattenedKpisNameEachMachineOfAParallelStation) {
  const Model model = load(kLine);
  RunOptions o;
  o.horizon_s = 8 * 3600;
  const ReplicationKpis k = run_replication(model, o);
  const std::vector<Metric> metrics = flatten_kpis(model, k);
  auto value = [&](const std::string& key) {
    for (const Metric& m : metrics) {
      if (m.key == key) return m.value;
    }
    ADD_FAILURE() << "no metric " << key;
    return -1.0;
  };
  const double m1 = value("machine.weld#1.share.busy");
  const double m2 = value("machine.weld#2.share.busy");
  EXPECT_NEAR(value("station.weld.share.busy"), (m1 + m2) / 2, 1e-12);
  EXPECT_GT(m1, 0.0);
  for (const Metric& m : metrics) EXPECT_EQ(m.key.find("machine.cut#"), std::string::npos);
}

TEST(LineModel, AssemblyTakesOneOfEachInput) {
  const Model model = load(R"(
name: assembly
sources:
  - {name: housings, interarrival: {exponential: {mean: 30}}}
  - {name: covers}
stations:
  - {name: join, input: [housings, covers], output: done, cycle_time: 12}
sinks: [{name: done}]
)");
  RunOptions o;
  o.horizon_s = 100000;
  const ReplicationKpis k = run_replication(model, o);
  // Covers are saturated, so the joins follow the housings' arrivals (1 per 30 s).
  EXPECT_NEAR(k.line.throughput_per_h, 120.0, 6.0);
  // Each join takes one part of each input: parts created = housings + covers taken.
  EXPECT_EQ(k.nodes[1].parts_in, 0u);  // a saturated source holds nothing
  EXPECT_EQ(k.line.parts_created, k.nodes[0].parts_in + k.stations[0].parts_completed);
}

// With a zero-capacity link a finished part waits on its machine until the next one is free,
// so two deterministic stations of 10 s and 12 s run at the pace of the slower.
TEST(LineModel, ZeroCapacityHandOff) {
  const Model model = load(R"(
name: handoff
sources: [{name: raw}]
buffers: [{name: link, capacity: 0}]
stations:
  - {name: fast, input: raw, output: link, cycle_time: 10}
  - {name: slow, input: link, output: done, cycle_time: 12}
sinks: [{name: done}]
)");
  RunOptions o;
  o.horizon_s = 12000;
  const ReplicationKpis k = run_replication(model, o);
  EXPECT_NEAR(static_cast<double>(k.line.good_parts), 12000.0 / 12.0, 2.0);
  const double blocked = k.machines[0].time_in_mode[static_cast<int>(Mode::kBlocked)];
  EXPECT_NEAR(blocked / k.line.window_s, 2.0 / 12.0, 0.01);
}

// Blocking before service: the first machine starts only when the buffer has a free place, so
// it is blocked with nothing on it; after service it would hold a finished part instead. With
// deterministic times the long-run throughput is the slower machine's either way.
TEST(LineModel, BlockingPolicies) {
  const std::string base = R"(
name: policies
sources: [{name: raw}]
buffers: [{name: b, capacity: 1}]
stations:
  - {name: fast, input: raw, output: b, cycle_time: 5, blocking: POLICY}
  - {name: slow, input: b, output: done, cycle_time: 8}
sinks: [{name: done}]
)";
  for (const char* policy : {"AFTER_SERVICE", "BEFORE_SERVICE"}) {
    std::string yaml = base;
    yaml = test::substitute(yaml, "POLICY", policy);
    const Model model = load(yaml);
    RunOptions o;
    o.horizon_s = 8000;
    const ReplicationKpis k = run_replication(model, o);
    EXPECT_NEAR(static_cast<double>(k.line.good_parts), 1000.0, 2.0) << policy;
    EXPECT_GT(k.machines[0].time_in_mode[static_cast<int>(Mode::kBlocked)], 0.3 * 8000) << policy;
  }
}

// Golden trace hash of the 20-station sample: any change to event order, random streams or
// distributions shows up here. Update the constant only for an intended change, and say why in
// the commit message. The same hashes come out of replications run on one or two threads.
TEST(LineModel, GoldenTraceHashMachining20) {
  const Model model = load_sample("machining20.yaml");
  RunOptions o;
  o.horizon_s = 8 * 3600;
  o.seed = 1;
  const ReplicationKpis k = run_replication(model, o);
  EXPECT_GT(k.events, 5000u);
  EXPECT_EQ(k.trace_hash, 1437281103478506514u)
      << "trace hash " << k.trace_hash << " after " << k.events << " events";

  ReplicationOptions ro;
  ro.replications = 6;
  ro.horizon_s = o.horizon_s;
  ro.seed = o.seed;
  ro.threads = 1;
  const ReplicationResults one = run_replications(model, ro);
  ro.threads = 2;
  const ReplicationResults two = run_replications(model, ro);
  ASSERT_EQ(one.kpis.size(), two.kpis.size());
  EXPECT_EQ(one.kpis[0].trace_hash, k.trace_hash);
  for (size_t r = 0; r < one.kpis.size(); ++r) {
    EXPECT_EQ(one.kpis[r].trace_hash, two.kpis[r].trace_hash) << "replication " << r;
  }
  EXPECT_NE(one.kpis[0].trace_hash, one.kpis[1].trace_hash);
}

}  // namespace
}  // namespace twin

namespace twin {
namespace {

// A rework loop into a full buffer stops the line; the KPIs name the loop.
TEST(LineModel, ReportsCircularBlockingThroughAReworkLoop) {
  const Model model = test::load_scene_or_fail(R"(
name: rework deadlock
sources: [{name: raw}]
buffers: [{name: b1, capacity: 1}]
stations:
  - {name: first, input: raw, output: b1, cycle_time: 10}
  - {name: repair, input: b1, output: done, cycle_time: 12, rework: {probability: 0.9, to: b1}}
sinks: [{name: done}]
)")
                          .model;
  RunOptions o;
  o.horizon_s = 3600;
  const ReplicationKpis k = run_replication(model, o);
  ASSERT_EQ(k.line.deadlock_stations.size(), 1u);
  EXPECT_EQ(k.line.deadlock_stations[0], 1u);

  // The same loop with room to spare keeps running.
  const Model roomy = test::load_scene_or_fail(R"(
name: rework with room
sources: [{name: raw, interarrival: {exponential: {mean: 200}}}]
buffers: [{name: b1}]
stations:
  - {name: first, input: raw, output: b1, cycle_time: 10}
  - {name: repair, input: b1, output: done, cycle_time: 12, rework: {probability: 0.5, to: b1}}
sinks: [{name: done}]
)")
                          .model;
  const ReplicationKpis ok = run_replication(roomy, o);
  EXPECT_TRUE(ok.line.deadlock_stations.empty());
  EXPECT_GT(ok.line.good_parts, 0u);
}

}  // namespace
}  // namespace twin
