// Disturbances from outside the scene (the plant simulator's injected faults): inject_failure
// takes a machine down at a calendar time for exactly the repair time, inject_jam stops a
// conveyor releasing parts for a while; forks carry pending disturbances, and a run without any
// behaves exactly as before.
#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "models/process/line_model.h"
#include "models/process/line_observer.h"
#include "models/process/line_state.h"
#include "tests/support/scenes.h"

namespace twin {
namespace {

// Two stations without failures of their own, deterministic cycles.
constexpr const char* kCleanLine = R"yaml(
name: clean line
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
sinks:
  - name: Out
)yaml";

// As kCleanLine, with a 15 min break one hour into the shift.
constexpr const char* kBreakLine = R"yaml(
name: break line
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
sinks:
  - name: Out
calendar:
  period: 28800
  breaks: [{name: coffee, start: 3600, duration: 900}]
)yaml";

// A conveyor feeding a faster station: the downstream station takes every part as soon as it
// reaches the end of the belt.
constexpr const char* kJamLine = R"yaml(
name: jam line
sources:
  - name: In
conveyors:
  - {name: Belt, transport_time: 5, capacity: 20}
stations:
  - name: S1
    input: [In]
    output: Belt
    cycle_time: 10
  - name: S2
    input: [Belt]
    output: Out
    cycle_time: 8
sinks:
  - name: Out
)yaml";

// Everything at once: random cycles, failures, a conveyor and a break.
constexpr const char* kRichLine = R"yaml(
name: rich line
sources:
  - name: In
    interarrival: {exponential: {mean: 9}}
buffers:
  - {name: B1, capacity: 4}
conveyors:
  - {name: Belt, length: 6, speed: 0.5, capacity: 6}
stations:
  - name: S1
    input: [In]
    output: B1
    cycle_time: {normal: {mean: 8, stddev: 2, min: 1}}
    failures:
      - {name: f1, time_to_failure: {exponential: {mean: 1500}},
         time_to_repair: {exponential: {mean: 120}}}
  - name: S2
    machines: 2
    input: [B1]
    output: Belt
    cycle_time: {gamma: {shape: 4, scale: 4}}
    failures:
      - {name: f2, kind: OPERATION_BASED, time_to_failure: {exponential: {mean: 2000}},
         time_to_repair: 150}
  - name: S3
    input: [Belt]
    output: Out
    cycle_time: {uniform: {min: 6, max: 10}}
sinks:
  - name: Out
calendar:
  period: 28800
  breaks: [{name: lunch, start: 7200, duration: 1800}]
)yaml";

Model load(const std::string& yaml) {
  return test::load_scene_or_fail(yaml, "line_disturbance_test.yaml").model;
}

// Every mode change and part event, in working time.
class Recorder : public LineObserver {
 public:
  struct ModeChange {
    double t;
    uint32_t machine;
    Mode from, to;
  };
  struct PartAt {
    double t;
    uint32_t machine;
    PartEvent event;
  };
  void on_mode(double time, uint32_t machine, Mode from, Mode to) override {
    modes.push_back({time, machine, from, to});
  }
  void on_part(double time, uint32_t machine, PartEvent event, const Part&) override {
    parts.push_back({time, machine, event});
  }
  // Down intervals [start, end) of a machine (end = +inf while still down).
  std::vector<std::pair<double, double>> down_intervals(uint32_t machine) const {
    std::vector<std::pair<double, double>> out;
    for (const ModeChange& c : modes) {
      if (c.machine != machine) continue;
      if (c.to == Mode::kDown) out.push_back({c.t, INFINITY});
      if (c.from == Mode::kDown && !out.empty()) out.back().second = c.t;
    }
    return out;
  }
  std::vector<ModeChange> modes;
  std::vector<PartAt> parts;
};

constexpr int kDown = static_cast<int>(Mode::kDown);

struct Traced {
  LineState state;
  Recorder recorder;
  ReplicationKpis kpis;
};

// Runs `model` to `horizon_s` with the disturbances `inject` schedules after init_state.
template <typename Inject>
void run(const Model& model, double horizon_s, uint64_t seed, Inject inject, Traced& r) {
  RunOptions o;
  o.horizon_s = horizon_s;
  o.seed = seed;
  init_state(model, o, r.state);
  inject(r.state);
  r.state.observer = &r.recorder;
  advance_to(model, r.state, horizon_s);
  r.state.observer = nullptr;
  r.kpis = compute_kpis(model, r.state);
}

void no_disturbance(LineState&) {}

// Every flattened figure, the event count and the trace hash are the same.
void expect_same_kpis(const Model& model, const ReplicationKpis& a, const ReplicationKpis& b) {
  EXPECT_EQ(a.trace_hash, b.trace_hash);
  EXPECT_EQ(a.events, b.events);
  const std::vector<Metric> fa = flatten_kpis(model, a);
  const std::vector<Metric> fb = flatten_kpis(model, b);
  ASSERT_EQ(fa.size(), fb.size());
  for (size_t i = 0; i < fa.size(); ++i) {
    EXPECT_EQ(fa[i].key, fb[i].key);
    if (std::isnan(fa[i].value) && std::isnan(fb[i].value)) continue;
    EXPECT_EQ(fa[i].value, fb[i].value) << fa[i].key;
  }
  for (size_t m = 0; m < a.machines.size() && m < b.machines.size(); ++m) {
    for (int md = 0; md < kModeCount; ++md) {
      EXPECT_EQ(a.machines[m].time_in_mode[md], b.machines[m].time_in_mode[md]) << m << " " << md;
    }
  }
}

TEST(LineModelDisturbance, InjectedFailureTakesTheMachineDownForTheRepairTime) {
  const Model model = load(kCleanLine);
  const double horizon = 4 * 3600.0, at = 1000.5, repair = 300.0;
  Traced base, hit;
  run(model, horizon, 3, no_disturbance, base);
  run(
      model, horizon, 3, [&](LineState& s) { inject_failure(model, s, 0, at, repair); }, hit);

  EXPECT_TRUE(base.recorder.down_intervals(0).empty());
  const auto down = hit.recorder.down_intervals(0);
  ASSERT_EQ(down.size(), 1u);
  EXPECT_NEAR(down[0].first, at, 1e-9);
  EXPECT_NEAR(down[0].second - down[0].first, repair, 1e-9);
  EXPECT_TRUE(hit.recorder.down_intervals(1).empty()) << "only the target machine fails";

  EXPECT_EQ(base.kpis.machines[0].time_in_mode[kDown], 0.0);
  EXPECT_NEAR(hit.kpis.machines[0].time_in_mode[kDown] - base.kpis.machines[0].time_in_mode[kDown],
              repair, 1e-9);
  EXPECT_EQ(hit.kpis.machines[0].failures, 1u);
  // Until the failure both runs are the same.
  for (size_t i = 0; i < base.recorder.modes.size() && base.recorder.modes[i].t < at; ++i) {
    ASSERT_LT(i, hit.recorder.modes.size());
    EXPECT_EQ(base.recorder.modes[i].t, hit.recorder.modes[i].t);
    EXPECT_EQ(base.recorder.modes[i].to, hit.recorder.modes[i].to);
  }
  // Nothing is produced on the machine while it is down.
  for (const auto& p : hit.recorder.parts) {
    if (p.machine != 0) continue;
    EXPECT_FALSE(p.t > down[0].first && p.t < down[0].second) << "part event at " << p.t;
  }
}

TEST(LineModelDisturbance, FailureWhileDownStrikesRightAfterTheRepair) {
  const Model model = test::load_scene_or_fail(test::kSmallLine).model;
  const double horizon = 6 * 3600.0, repair = 200.0;
  const uint32_t machine = 1;  // S2 fails by itself now and then
  Traced base;
  run(model, horizon, 5, no_disturbance, base);
  // The first own failure long enough to inject into its middle.
  std::pair<double, double> own{0.0, 0.0};
  for (const auto& d : base.recorder.down_intervals(machine)) {
    if (d.second - d.first > 20.0 && d.second < horizon - 3600.0) {
      own = d;
      break;
    }
  }
  ASSERT_GT(own.second, own.first) << "no own failure of S2 to inject into";
  const double at = 0.5 * (own.first + own.second);

  Traced hit;
  run(
      model, horizon, 5, [&](LineState& s) { inject_failure(model, s, machine, at, repair); }, hit);
  const auto down = hit.recorder.down_intervals(machine);
  size_t i = 0;
  while (i < down.size() && down[i].first < own.first) ++i;
  ASSERT_LT(i + 1, down.size());
  EXPECT_EQ(down[i].first, own.first);
  EXPECT_EQ(down[i].second, own.second) << "the own repair is not cut short";
  // The injected failure: as soon as the machine is back (within a second), for its full
  // repair time.
  EXPECT_GE(down[i + 1].first, own.second);
  EXPECT_LE(down[i + 1].first, own.second + 1.0);
  EXPECT_NEAR(down[i + 1].second - down[i + 1].first, repair, 1e-9);
  EXPECT_EQ(hit.kpis.machines[machine].failures, base.kpis.machines[machine].failures + 1)
      << "(may differ by chance after the injection; check the trace)";
}

TEST(LineModelDisturbance, InjectionDuringABreakHappensAtTheBreakEnd) {
  const Model model = load(kBreakLine);
  ASSERT_FALSE(model.calendar.empty());
  const double horizon = 3 * 3600.0, repair = 120.0;
  const double break_start = 3600.0, break_end = 4500.0;
  Traced in_break, at_end, before;
  run(
      model, horizon, 9, [&](LineState& s) { inject_failure(model, s, 0, 3900.0, repair); },
      in_break);
  run(
      model, horizon, 9, [&](LineState& s) { inject_failure(model, s, 0, break_end, repair); },
      at_end);
  run(
      model, horizon, 9,
      [&](LineState& s) { inject_failure(model, s, 0, break_start - 1.0, repair); }, before);

  // Injecting inside the break is the same as injecting at its end.
  expect_same_kpis(model, in_break.kpis, at_end.kpis);
  EXPECT_NE(in_break.kpis.trace_hash, before.kpis.trace_hash);

  const auto down = in_break.recorder.down_intervals(0);
  ASSERT_EQ(down.size(), 1u);
  EXPECT_EQ(down[0].first, model.calendar.working_at(break_end));
  EXPECT_NEAR(down[0].second - down[0].first, repair, 1e-9);
  // In calendar terms the repair ends `repair` after the break end: the break is not repair
  // time, and the machine did not fail before the break.
  EXPECT_NEAR(model.calendar.calendar_at(down[0].second), break_end + repair, 1e-9);
  EXPECT_NEAR(in_break.kpis.machines[0].time_in_mode[kDown], repair, 1e-9);
  EXPECT_NEAR(in_break.kpis.machines[0].time_in_mode[static_cast<int>(Mode::kOff)],
              break_end - break_start, 1e-9);
  // Failing a second before the break: down 1 s before, the rest after the break.
  const auto early = before.recorder.down_intervals(0);
  ASSERT_EQ(early.size(), 1u);
  EXPECT_NEAR(model.calendar.calendar_at(early[0].first), break_start - 1.0, 1e-9);
  EXPECT_NEAR(model.calendar.calendar_at(early[0].second), break_end + repair - 1.0, 1e-9);
}

TEST(LineModelDisturbance, JamStopsPartsLeavingTheConveyor) {
  const Model model = load(kJamLine);
  const int32_t belt = model.find_node("Belt");
  ASSERT_GE(belt, 0);
  const double horizon = 2 * 3600.0, at = 2000.5, length = 600.0;
  Traced base, jam;
  run(model, horizon, 1, no_disturbance, base);
  run(
      model, horizon, 1,
      [&](LineState& s) { inject_jam(model, s, static_cast<uint32_t>(belt), at, length); }, jam);

  const uint32_t up = 0, down = 1;  // S1 feeds the belt, S2 takes from it
  uint64_t started_during = 0, put_on_during = 0;
  double first_start_after = INFINITY;
  for (const auto& p : jam.recorder.parts) {
    if (p.machine == down && p.event == PartEvent::kStarted) {
      if (p.t >= at && p.t < at + length) ++started_during;
      if (p.t >= at) first_start_after = std::min(first_start_after, p.t);
    }
    if (p.machine == up && p.event == PartEvent::kFinished && p.t >= at && p.t < at + length)
      ++put_on_during;
  }
  EXPECT_EQ(started_during, 0u) << "S2 started parts while the belt was jammed";
  EXPECT_NEAR(first_start_after, at + length, 1e-9) << "S2 resumes as soon as the jam clears";
  // S2 starves during the jam.
  double starved = 0.0;
  for (const auto& c : jam.recorder.modes) {
    if (c.machine == down && c.to == Mode::kStarved && c.t >= at && c.t < at + 10.0) starved = c.t;
  }
  EXPECT_GT(starved, 0.0) << "S2 did not starve at the start of the jam";
  // Parts kept being put on: the belt fills up to its capacity (without the jam it never holds
  // more than one or two).
  EXPECT_GE(put_on_during, 19u);
  const size_t b = static_cast<size_t>(belt);
  EXPECT_EQ(jam.kpis.nodes[b].max_level, 20);
  EXPECT_LE(base.kpis.nodes[b].max_level, 2);
  EXPECT_LT(jam.kpis.line.good_parts, base.kpis.line.good_parts);
  EXPECT_LT(jam.kpis.line.good_parts + 30, base.kpis.line.good_parts)
      << "S1 was blocked for several minutes";
}

TEST(LineModelDisturbance, ForkWithPendingDisturbancesContinuesIdentically) {
  const Model model = load(kRichLine);
  const double horizon = 6 * 3600.0;
  RunOptions o;
  o.horizon_s = horizon;
  o.seed = 11;
  const int32_t belt = model.find_node("Belt");
  ASSERT_GE(belt, 0);
  auto schedule = [&](LineState& s) {
    inject_failure(model, s, 0, 5000.0, 400.0);
    inject_failure(model, s, 2, 5100.0, 300.0);
    inject_jam(model, s, static_cast<uint32_t>(belt), 6000.0, 500.0);
    inject_failure(model, s, 3, 8000.0, 250.0);  // inside the lunch break
    inject_failure(model, s, 3, 12000.0, 100.0);
  };
  LineState plain;
  init_state(model, o, plain);
  advance_to(model, plain, horizon);
  const ReplicationKpis undisturbed = compute_kpis(model, plain);

  for (double fork_at : {3000.0, 5200.0, 7500.0}) {
    SCOPED_TRACE(fork_at);
    LineState a;
    init_state(model, o, a);
    schedule(a);
    advance_to(model, a, fork_at);
    LineState b = a;  // the fork
    advance_to(model, a, horizon);
    advance_to(model, b, horizon);
    EXPECT_EQ(a.trace_hash, b.trace_hash);
    EXPECT_EQ(a.events_processed, b.events_processed);
    const ReplicationKpis ka = compute_kpis(model, a), kb = compute_kpis(model, b);
    expect_same_kpis(model, ka, kb);
    EXPECT_NE(ka.trace_hash, undisturbed.trace_hash) << "the disturbances changed nothing";
    EXPECT_GT(ka.machines[0].time_in_mode[kDown], 400.0 - 1e-9);

    // And the same as a run that was never forked.
    LineState c;
    init_state(model, o, c);
    schedule(c);
    advance_to(model, c, horizon);
    EXPECT_EQ(c.trace_hash, a.trace_hash);
  }
}

TEST(LineModelDisturbance, WithoutDisturbancesTheGoldenBehaviourIsUnchanged) {
  for (const char* yaml : {kRichLine, test::kSmallLine, kJamLine}) {
    const Model model = load(yaml);
    SCOPED_TRACE(model.name);
    RunOptions o;
    o.horizon_s = 5 * 3600.0;
    o.seed = 4;
    const ReplicationKpis golden = run_replication(model, o);

    // A state that ran with disturbances and is initialised again forgets them.
    LineState s;
    init_state(model, o, s);
    inject_failure(model, s, 0, 600.0, 900.0);
    for (uint32_t n = 0; n < model.nodes.size(); ++n) {
      if (model.nodes[n].kind == NodeKind::kConveyor) inject_jam(model, s, n, 700.0, 900.0);
    }
    advance_to(model, s, o.horizon_s);
    EXPECT_NE(compute_kpis(model, s).trace_hash, golden.trace_hash);
    init_state(model, o, s);
    EXPECT_TRUE(s.disturbances.empty());
    advance_to(model, s, o.horizon_s);
    expect_same_kpis(model, compute_kpis(model, s), golden);

    // Disturbances scheduled at or after the horizon change nothing.
    LineState late;
    init_state(model, o, late);
    inject_failure(model, late, 0, o.horizon_s + 1.0, 900.0);
    inject_failure(model, late, 0, o.horizon_s + 7200.0, 900.0);
    advance_to(model, late, o.horizon_s);
    expect_same_kpis(model, compute_kpis(model, late), golden);
  }
}

}  // namespace
}  // namespace twin
