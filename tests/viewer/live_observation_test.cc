// The forecast's observation of a live plant, rebuilt from a hand-made live::Snapshot
// (viewer/live_observation.h): nothing without KPIs, modes and counts by machine name, busy
// machines' operation age unknown, unknown names ignored, time in mode not counted twice.
#include "viewer/live_observation.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/scenes.h"

namespace twin::viewer {
namespace {

constexpr int64_t kS = 1'000'000'000;  // [ns]
constexpr int64_t kT0 = 1767592800LL * kS;

struct SmallLine {
  Model model = test::load_scene_or_fail(test::kSmallLine, "small.yaml").model;
  MirrorModel names = build_mirror_model(model, MirrorOptions());
  uint32_t s1 = model.stations[static_cast<size_t>(model.find_station("S1"))].first_machine;
  uint32_t s2 = model.stations[static_cast<size_t>(model.find_station("S2"))].first_machine;
};

void add_mode(live::Snapshot& snap, const std::string& machine, telemetry::Mode mode,
              int64_t since_s) {
  live::MachineMode* mm = snap.add_modes();
  mm->set_machine(machine);
  mm->set_mode(mode);
  mm->set_since_ns(kT0 + since_s * kS);
}

void add_kpis(live::Snapshot& snap, const std::string& machine, telemetry::Mode mode, uint64_t good,
              uint64_t scrap, const std::vector<double>& mode_seconds) {
  live::MachineKpis* mk = snap.mutable_kpis()->add_machines();
  mk->set_machine(machine);
  mk->set_mode(mode);
  mk->set_good(good);
  mk->set_scrap(scrap);
  for (double s : mode_seconds) mk->add_mode_seconds(s);
}

// At 1005 s of the window (KPIs closed at 1000 s): S1 runs since 995 s, S2 is down since 900 s.
// The machines come in another order than the model's, with a machine the model does not know
// when `ghost`.
live::Snapshot snapshot(const SmallLine& line, bool ghost) {
  live::Snapshot snap;
  snap.set_seq(42);
  snap.set_twin_time_ns(kT0 + 1005 * kS);
  live::Kpis& k = *snap.mutable_kpis();
  k.set_time_ns(kT0 + 1000 * kS);
  k.set_window_start_ns(kT0);
  k.set_line_good(80);
  if (ghost) add_mode(snap, "Ghost", telemetry::MODE_DOWN, 10);
  add_mode(snap, line.names.machine[line.s2], telemetry::MODE_DOWN, 900);
  add_mode(snap, line.names.machine[line.s1], telemetry::MODE_RUNNING, 995);
  if (ghost) add_kpis(snap, "Ghost", telemetry::MODE_DOWN, 7, 7, {0, 0, 0, 0, 0, 990, 0, 0});
  // Per mode [s] up to 1000 s, the open period included: S2 down 100 s of it, S1 running 5 s.
  add_kpis(snap, line.names.machine[line.s2], telemetry::MODE_DOWN, 80, 2,
           {0, 700, 0, 150, 50, 100, 0, 0});
  add_kpis(snap, line.names.machine[line.s1], telemetry::MODE_RUNNING, 90, 1,
           {0, 950, 0, 50, 0, 0, 0, 0});
  if (ghost) add_mode(snap, "Ghost2", telemetry::MODE_RUNNING, 20);
  return snap;
}

TEST(LiveObservation, FalseWithoutKpis) {
  const SmallLine line;
  live::Snapshot snap = snapshot(line, false);
  snap.clear_kpis();
  ObservedLine out;
  out.calendar_s = 123.0;
  int64_t at_ns = -7;
  EXPECT_FALSE(observe_snapshot(line.model, line.names, snap, out, &at_ns));
  EXPECT_EQ(at_ns, -7);
  EXPECT_EQ(out.calendar_s, 123.0);
  // KPIs without a window origin are no KPIs yet either.
  snap = snapshot(line, false);
  snap.mutable_kpis()->set_window_start_ns(0);
  EXPECT_FALSE(observe_snapshot(line.model, line.names, snap, out, &at_ns));
  EXPECT_EQ(at_ns, -7);
}

TEST(LiveObservation, ModesAndCountsByMachineName) {
  const SmallLine line;
  ASSERT_EQ(line.model.machine_count(), 2u);
  ObservedLine out;
  int64_t at_ns = 0;
  ASSERT_TRUE(observe_snapshot(line.model, line.names, snapshot(line, false), out, &at_ns));
  EXPECT_EQ(at_ns, kT0 + 1005 * kS);
  EXPECT_DOUBLE_EQ(out.calendar_s, 1005.0);
  ASSERT_EQ(out.machines.size(), 2u);

  const ObservedMachine& busy = out.machines[line.s1];
  EXPECT_EQ(busy.mode, Mode::kBusy);
  EXPECT_NEAR(busy.mode_elapsed_s, 10.0, 1e-6);
  EXPECT_EQ(busy.op_elapsed_s, -1.0);  // a snapshot does not say when its part started
  EXPECT_EQ(busy.good, 90u);
  EXPECT_EQ(busy.scrapped, 1u);
  EXPECT_EQ(busy.started, 92u);  // finished + the part it holds
  // Running 950 s up to the KPIs (5 s of them open), 10 s open at the snapshot: 955 s.
  EXPECT_NEAR(busy.busy_s, 955.0, 1e-6);
  EXPECT_FALSE(busy.failed_before);

  const ObservedMachine& down = out.machines[line.s2];
  EXPECT_EQ(down.mode, Mode::kDown);
  EXPECT_NEAR(down.mode_elapsed_s, 105.0, 1e-6);
  EXPECT_LT(down.op_elapsed_s, 0.0);
  EXPECT_EQ(down.good, 80u);
  EXPECT_EQ(down.scrapped, 2u);
  EXPECT_EQ(down.started, 82u);
  EXPECT_NEAR(down.busy_s, 700.0, 1e-6);
  EXPECT_NEAR(down.up_s, 1005.0 - 105.0, 1e-6);  // down only since 900 s
  EXPECT_TRUE(down.failed_before);
  EXPECT_EQ(out.node_level.size(), line.model.nodes.size());
}

TEST(LiveObservation, UnknownMachineNamesAreIgnored) {
  const SmallLine line;
  ObservedLine plain, with_ghosts;
  ASSERT_TRUE(observe_snapshot(line.model, line.names, snapshot(line, false), plain));
  ASSERT_TRUE(observe_snapshot(line.model, line.names, snapshot(line, true), with_ghosts));
  EXPECT_EQ(with_ghosts.calendar_s, plain.calendar_s);
  ASSERT_EQ(with_ghosts.machines.size(), plain.machines.size());
  for (size_t m = 0; m < plain.machines.size(); ++m) {
    const ObservedMachine& a = with_ghosts.machines[m];
    const ObservedMachine& b = plain.machines[m];
    EXPECT_EQ(a.mode, b.mode) << m;
    EXPECT_EQ(a.mode_elapsed_s, b.mode_elapsed_s) << m;
    EXPECT_EQ(a.op_elapsed_s, b.op_elapsed_s) << m;
    EXPECT_EQ(a.started, b.started) << m;
    EXPECT_EQ(a.good, b.good) << m;
    EXPECT_EQ(a.scrapped, b.scrapped) << m;
    EXPECT_EQ(a.busy_s, b.busy_s) << m;
    EXPECT_EQ(a.up_s, b.up_s) << m;
    EXPECT_EQ(a.failed_before, b.failed_before) << m;
  }
}

// A machine the snapshot has no mode for: unknown (the fork decides from its part counts).
TEST(LiveObservation, MachineWithoutAModeIsUnknown) {
  const SmallLine line;
  live::Snapshot snap = snapshot(line, false);
  snap.clear_modes();
  add_mode(snap, line.names.machine[line.s1], telemetry::MODE_STARVED, 990);
  ObservedLine out;
  ASSERT_TRUE(observe_snapshot(line.model, line.names, snap, out));
  EXPECT_EQ(out.machines[line.s1].mode, Mode::kStarved);
  EXPECT_EQ(out.machines[line.s1].started, 91u);  // starved holds nothing
  EXPECT_EQ(out.machines[line.s2].good, 80u);
}

}  // namespace
}  // namespace twin::viewer
