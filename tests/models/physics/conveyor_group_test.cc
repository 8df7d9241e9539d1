// ConveyorGroup (models/physics/conveyor_group.h): lines stepped in parallel are bit-identical to
// the same lines stepped alone, one after the other, whatever the thread count; advance_to brings
// every line to the time, as ConveyorLine::advance_to does.
#include "models/physics/conveyor_group.h"

#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <vector>

namespace twin {
namespace {

// Four different belts (lengths, speeds, feeds), so a mix-up between lines would show.
std::vector<ConveyorLineSpec> specs() {
  std::vector<ConveyorLineSpec> out;
  for (int i = 0; i < 4; ++i) {
    ConveyorLineSpec s;
    s.belt = BeltSpec{.length_m = 3.0 + i, .width_m = 0.4, .speed_mps = 0.3 + 0.1 * i};
    s.parts = {PartSpec{.size_x = 0.2, .size_y = 0.15, .size_z = 0.1, .mass_kg = 1.0 + i}};
    s.consumer_cycle_s = 1.5 + 0.5 * i;
    for (int k = 0; k < 40; ++k)
      s.feed.push_back(FeedItem{.time_s = 0.7 * k + 0.1 * i, .yaw_rad = 0.02 * ((k + i) % 5)});
    out.push_back(s);
  }
  return out;
}

void expect_same(const ConveyorLine& a, const ConveyorLine& b) {
  ASSERT_EQ(a.steps(), b.steps());
  ASSERT_EQ(a.records().size(), b.records().size());
  EXPECT_EQ(a.parts_taken(), b.parts_taken());
  EXPECT_EQ(a.jams().size(), b.jams().size());
  for (size_t r = 0; r < a.records().size(); ++r) {
    const PartRecord &x = a.records()[r], &y = b.records()[r];
    EXPECT_EQ(std::bit_cast<uint64_t>(x.taken_off_s), std::bit_cast<uint64_t>(y.taken_off_s));
    if (x.body < 0 || a.world().part_removed(x.body)) continue;
    EXPECT_EQ(std::bit_cast<uint64_t>(a.world().part_x(x.body)),
              std::bit_cast<uint64_t>(b.world().part_x(y.body)))
        << r;
    EXPECT_EQ(std::bit_cast<uint64_t>(a.world().part_yaw(x.body)),
              std::bit_cast<uint64_t>(b.world().part_yaw(y.body)))
        << r;
  }
}

TEST(ConveyorGroup, ParallelIsBitIdenticalToAlone) {
  const std::vector<ConveyorLineSpec> s = specs();
  ConveyorGroup serial(s, 1), parallel(s, 2), all_cores(s, 0);
  EXPECT_EQ(serial.threads(), 1);
  EXPECT_EQ(parallel.threads(), 2);
  EXPECT_GE(all_cores.threads(), 1);
  EXPECT_LE(all_cores.threads(), 4);               // never more threads than lines
  for (int frame = 0; frame < 60 * 20; ++frame) {  // 20 s in 1/60 s frames
    serial.step(4);
    parallel.step(4);
    all_cores.step(4);
  }
  for (size_t i = 0; i < s.size(); ++i) {
    SCOPED_TRACE(i);
    ConveyorLine alone(s[i]);
    alone.advance_to(20.0);
    expect_same(serial.line(i), alone);
    expect_same(parallel.line(i), alone);
    expect_same(all_cores.line(i), alone);
    EXPECT_GT(alone.parts_taken(), 3);  // the belts did carry parts
  }
  parallel.advance_to(30.0);
  for (size_t i = 0; i < s.size(); ++i) {
    ConveyorLine alone(s[i]);
    alone.advance_to(30.0);
    expect_same(parallel.line(i), alone);
  }
}

}  // namespace
}  // namespace twin
