// The viewer's frame: the twin side as the line model has it, the real side as the mirror has
// it, each with the KPIs of its own definitions.
#include "viewer/view_frame.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <vector>

#include "core/telemetry/telemetry.h"
#include "models/process/line_model.h"
#include "tests/support/scenes.h"

namespace twin::viewer {
namespace {

TEST(ViewFrame, TwinSideMirrorsTheLineState) {
  const SceneLoadResult scene = test::load_sample_or_fail("bottling.yaml");
  const Model& model = scene.model;
  RunOptions options;
  options.horizon_s = 3600.0;
  options.seed = 3;
  LineState state;
  init_state(model, options, state);
  advance_to(model, state, 1800.0);
  const ReplicationKpis kpis = compute_kpis(model, state);
  ViewFrame frame;
  fill_twin_side(model, state, 1800.0, kpis, frame);
  ASSERT_TRUE(frame.twin.present);
  EXPECT_FALSE(frame.real.present);
  ASSERT_EQ(frame.twin.mode.size(), model.machine_count());
  for (uint32_t m = 0; m < model.machine_count(); ++m) {
    EXPECT_EQ(frame.twin.mode[m], to_telemetry(state.mode[m])) << m;
  }
  ASSERT_EQ(frame.node_level.size(), model.nodes.size());
  double held = 0.0;
  for (size_t n = 0; n < model.nodes.size(); ++n) held += frame.node_level[n];
  EXPECT_GT(held, 0.0);  // half an hour in, buffers and conveyors hold parts
  EXPECT_EQ(frame.twin.good_parts, kpis.line.good_parts);
  EXPECT_GT(frame.twin.good_parts, 0u);
}

// Parts on the twin's conveyors: one position per part held, on the belt, nearest the end first
// and at least a place apart; a riding part moves forward as the clock moves.
TEST(ViewFrame, ConveyorPartsRideTowardsTheEndAndQueueThere) {
  const SceneLoadResult scene = test::load_sample_or_fail("bottling.yaml");
  const Model& model = scene.model;
  RunOptions options;
  options.horizon_s = 3600.0;
  options.seed = 3;
  LineState state;
  init_state(model, options, state);
  ViewFrame frame;
  size_t belts_with_parts = 0, riding = 0, moved = 0;
  std::vector<float> before;
  for (double t = 600.0; t < 1200.0; t += 0.5) {
    advance_to(model, state, t);
    fill_twin_side(model, state, t, ReplicationKpis(), frame);
    ASSERT_EQ(frame.part_offset.size(), model.nodes.size() + 1);
    for (size_t n = 0; n < model.nodes.size(); ++n) {
      const uint32_t from = frame.part_offset[n], to = frame.part_offset[n + 1];
      const Node& node = model.nodes[n];
      if (node.kind != NodeKind::kConveyor) {
        ASSERT_EQ(from, to) << node.name;
        continue;
      }
      ASSERT_EQ(to - from, state.contents[n].count) << node.name;
      if (to == from) continue;
      ++belts_with_parts;
      const double pitch = 1.0 / std::max(node.capacity, 1);
      for (uint32_t i = from; i < to; ++i) {
        ASSERT_GE(frame.part_position[i], 0.0f);
        ASSERT_LE(frame.part_position[i], 1.0f);
        if (i > from && frame.part_position[i - 1] > 0.0f) {
          EXPECT_GE(frame.part_position[i - 1] - frame.part_position[i], pitch - 1e-6);
        }
      }
      // The last part put on: riding unless it queues behind the others.
      if (frame.part_position[to - 1] < 1.0f - pitch * (to - from)) ++riding;
    }
    // The first conveyor's newest part, compared with half a second earlier.
    const size_t c = static_cast<size_t>(model.find_node("InfeedConveyor"));
    const uint32_t from = frame.part_offset[c], to = frame.part_offset[c + 1];
    if (!before.empty() && to > from && before.size() == to - from &&
        frame.part_position[to - 1] > before.back()) {
      ++moved;
    }
    before.assign(frame.part_position.begin() + from, frame.part_position.begin() + to);
  }
  EXPECT_GT(belts_with_parts, 100u);
  EXPECT_GT(riding, 10u);
  EXPECT_GT(moved, 10u);  // the newest part on the infeed belt moves forward between frames
}

TEST(ViewFrame, RealSideComesFromTheMirrorAndLeavesItRunning) {
  const SceneLoadResult scene = test::load_scene_or_fail(test::kSmallLine);
  const Model& model = scene.model;
  const int64_t t0 = 1'767'592'800'000'000'000;
  const int64_t s = 1'000'000'000;
  Mirror mirror(model);
  mirror.reset(t0);
  mirror.add_mode_change(0, t0 + 1 * s, t0 + 1 * s, telemetry::MODE_RUNNING);
  mirror.add_mode_change(0, t0 + 61 * s, t0 + 61 * s, telemetry::MODE_DOWN);
  mirror.advance_to(t0 + 100 * s);
  const size_t pending = mirror.state().pending.size();
  ViewFrame frame;
  fill_real_side(model, mirror, t0 + 100 * s, frame);
  ASSERT_TRUE(frame.real.present);
  EXPECT_EQ(frame.real.mode[0], telemetry::MODE_DOWN);
  EXPECT_EQ(frame.real.mode_since_ns[0], t0 + 61 * s);
  EXPECT_NEAR(frame.real.kpis.machines[0].time_in_mode[static_cast<int>(Mode::kBusy)], 60.0, 1e-9);
  EXPECT_NEAR(frame.real.kpis.machines[0].time_in_mode[static_cast<int>(Mode::kDown)], 39.0, 1e-9);
  // The mirror itself was not finished: it goes on taking data.
  EXPECT_EQ(mirror.state().window_end_ns, std::numeric_limits<int64_t>::max());
  EXPECT_EQ(mirror.state().pending.size(), pending);
}

// The live real side: modes by name (in any order), line figures and each station's time in
// mode as the mean over its machines.
TEST(ViewFrame, RealSideFromALiveSnapshot) {
  const SceneLoadResult scene = test::load_sample_or_fail("machining20.yaml");
  const Model& model = scene.model;
  const MirrorModel names = build_mirror_model(model, MirrorOptions());
  const int32_t grind = model.find_station("Grind_OP90");
  ASSERT_GE(grind, 0);
  const Station& station = model.stations[static_cast<size_t>(grind)];
  ASSERT_EQ(station.machine_count, 3u);
  live::Snapshot snapshot;
  auto* down = snapshot.add_modes();  // out of the mirror's order
  down->set_machine(names.machine[station.first_machine + 2]);
  down->set_mode(telemetry::MODE_DOWN);
  down->set_since_ns(123);
  auto* saw = snapshot.add_modes();
  saw->set_machine("Saw");
  saw->set_mode(telemetry::MODE_RUNNING);
  snapshot.add_modes()->set_machine("NoSuchMachine");
  live::Kpis& k = *snapshot.mutable_kpis();
  k.set_line_good(77);
  k.set_line_throughput_per_h(38.5);
  k.set_line_oee(0.81);
  for (uint32_t i = 0; i < 3; ++i) {
    live::MachineKpis* mk = k.add_machines();
    mk->set_machine(names.machine[station.first_machine + i]);
    mk->mutable_mode_seconds()->Resize(telemetry::Mode_ARRAYSIZE, 0.0);
    mk->set_mode_seconds(telemetry::MODE_RUNNING, 300.0 * (i + 1));  // 300, 600, 900 s
  }
  ViewFrame frame;
  fill_real_side(model, names, snapshot, frame);
  ASSERT_TRUE(frame.real.present);
  EXPECT_EQ(frame.real.mode[station.first_machine + 2], telemetry::MODE_DOWN);
  EXPECT_EQ(frame.real.mode_since_ns[station.first_machine + 2], 123);
  EXPECT_EQ(frame.real.mode[static_cast<size_t>(model.stations[0].first_machine)],
            telemetry::MODE_RUNNING);
  EXPECT_EQ(frame.real.mode[station.first_machine], telemetry::MODE_UNKNOWN);  // not reported
  EXPECT_EQ(frame.real.good_parts, 77u);
  EXPECT_EQ(frame.real.kpis.line.throughput_per_h, 38.5);
  ASSERT_EQ(frame.real.kpis.stations.size(), model.stations.size());
  const Mode busy = *from_telemetry(telemetry::MODE_RUNNING);
  EXPECT_DOUBLE_EQ(
      frame.real.kpis.stations[static_cast<size_t>(grind)].time_in_mode[static_cast<size_t>(busy)],
      600.0);
}

}  // namespace
}  // namespace twin::viewer
