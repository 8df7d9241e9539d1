// BeltWorld against the kinematics of a part on a moving belt.
//
// A part put at rest on a belt moving at v slides until friction has brought it to v: it
// accelerates at mu g for v / (mu g) seconds and covers v^2 / (2 mu g) meanwhile, so after that
// it trails a part that had moved at v from the start by v / (2 mu g) seconds. Its centre starts
// at x0 = size_x / 2, so it reaches the end x = L at
//   t = (L - x0) / v + v / (2 mu g).
// Tolerance: the world integrates with semi-implicit Euler at a fixed step dt = 1/240 s. During
// the acceleration the discrete velocity is v_n = mu g n dt and the position sum_k v_k dt, which
// runs ahead of the exact parabola by v dt / 2 once the belt speed is reached (the part arrives
// dt / 2 early), and the last accelerating step is partial (up to a further dt / 2 either way).
// The crossing itself is interpolated linearly within a step at constant speed, which is exact.
// So |t - formula| <= dt.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "models/physics/belt_world.h"

namespace twin {
namespace {

constexpr double kDt = BeltWorld::kStepS;
constexpr double kG = BeltWorld::kGravity;

BeltSpec belt_at(double speed_mps) {
  return BeltSpec{.length_m = 6.0, .width_m = 0.5, .speed_mps = speed_mps, .friction = 0.6};
}

// A 10 cm cube of 0.5 kg: a small tote.
constexpr PartSpec kPart{.size_x = 0.1, .size_y = 0.1, .size_z = 0.1, .mass_kg = 0.5};

uint64_t bits(double v) {
  return std::bit_cast<uint64_t>(v);
}

TEST(BeltTransport, TimeMatchesLengthOverSpeedPlusFrictionLag) {
  for (double v : {0.25, 0.5, 1.0}) {
    const BeltSpec belt = belt_at(v);
    const double t = simulate_transport_time(belt, kPart, 120.0);
    const double x0 = 0.5 * kPart.size_x;
    const double lag = v / (2.0 * belt.friction * kG);
    const double expected = (belt.length_m - x0) / v + lag;
    const double des = belt.length_m / v;  // the discrete-event conveyor's transport time
    EXPECT_NEAR(t, expected, kDt) << "v=" << v << " t=" << t << " lag=" << lag;
    // Against the discrete-event conveyor: the start offset and the lag are small on a 6 m belt.
    EXPECT_LT(std::abs(t - des) / des, 0.02) << "v=" << v << " t=" << t << " L/v=" << des;
    std::printf(
        "[ figures  ] v=%.2f m/s: t=%.6f s, (L-x0)/v+v/(2 mu g)=%.6f s (diff %+.2e s), "
        "L/v=%.3f s (rel diff %+.3f%%)\n",
        v, t, expected, t - expected, des, 100.0 * (t - des) / des);
  }
}

TEST(BeltTransport, NeverArrivesOnAStoppedBelt) {
  EXPECT_EQ(simulate_transport_time(belt_at(0.0), kPart, 5.0), -1.0);
}

TEST(BeltWorld, PartReachesBeltSpeed) {
  for (double v : {0.5, -0.5, 1.0}) {
    BeltWorld world(belt_at(v));
    const int id = world.add_part(kPart, 3.0);
    const double mu = world.belt().friction;
    // Time to 98 % of the belt speed: 0.98 |v| / (mu g), within two steps.
    double t98 = -1.0;
    double ripple = 0.0;  // [-] largest |speed - v| / |v| in the second half second
    while (world.time_s() < 1.0) {
      world.step();
      if (t98 < 0.0 && std::abs(world.part_speed(id)) >= 0.98 * std::abs(v)) t98 = world.time_s();
      if (world.time_s() > 0.5) {
        ripple = std::max(ripple, std::abs(world.part_speed(id) - v) / std::abs(v));
      }
    }
    EXPECT_NEAR(t98, 0.98 * std::abs(v) / (mu * kG), 2 * kDt) << "v=" << v;
    const double rel = std::abs(world.part_speed(id) - v) / std::abs(v);
    EXPECT_LT(rel, 0.02) << "v=" << v << " speed=" << world.part_speed(id);
    // Riding the belt, the part holds its speed: no rocking on its corners (float rounding only).
    EXPECT_LT(ripple, 1e-4) << "v=" << v;
    EXPECT_TRUE(world.part_on_belt(id));
    EXPECT_NEAR(world.part_y(id), 0.0, 1e-4) << "drifted across the belt";
    EXPECT_NEAR(world.part_z(id), 0.5 * kPart.size_z, 1e-3) << "not resting on the surface";
    std::printf(
        "[ figures  ] v=%+.2f m/s: speed after 1 s %.7f m/s (rel err %.1e, ripple %.1e), "
        "t(98%%)=%.4f s vs %.4f s\n",
        v, world.part_speed(id), rel, ripple, t98, 0.98 * std::abs(v) / (mu * kG));
  }
}

TEST(BeltWorld, TwoWorldsAreBitIdentical) {
  const PartSpec heavy{.size_x = 0.3, .size_y = 0.2, .size_z = 0.15, .mass_kg = 4.0};
  auto build = [&](BeltWorld& w) {
    w.add_part(kPart, 0.1);
    w.add_part(heavy, 0.6);
    w.add_part(kPart, 1.1);
  };
  BeltWorld a(belt_at(0.5));
  BeltWorld b(belt_at(0.5));
  build(a);
  build(b);
  // Interleaved, so both worlds share the global contact callback while they run.
  for (int i = 0; i < 1000; ++i) {
    a.step();
    b.step();
  }
  EXPECT_EQ(a.steps(), 1000);
  for (int p = 0; p < a.part_count(); ++p) {
    EXPECT_EQ(bits(a.part_x(p)), bits(b.part_x(p))) << "part " << p;
    EXPECT_EQ(bits(a.part_y(p)), bits(b.part_y(p))) << "part " << p;
    EXPECT_EQ(bits(a.part_z(p)), bits(b.part_z(p))) << "part " << p;
    EXPECT_EQ(bits(a.part_speed(p)), bits(b.part_speed(p))) << "part " << p;
  }
  // One world after another (the callback registered anew) gives the same bits too.
  EXPECT_EQ(bits(simulate_transport_time(belt_at(0.5), heavy, 20.0)),
            bits(simulate_transport_time(belt_at(0.5), heavy, 20.0)));
  // And the run went somewhere: every part was carried about 2 m in 1000 / 240 s.
  EXPECT_NEAR(a.part_x(0) - 0.1, 0.5 * a.time_s(), 0.05);
}

TEST(BeltWorld, PartBesideTheBeltFalls) {
  const BeltSpec belt = belt_at(0.5);
  BeltWorld world(belt);
  const int behind = world.add_part(kPart, -0.5);                 // before the belt's start
  const int beyond = world.add_part(kPart, belt.length_m + 0.5);  // past its end
  const int on = world.add_part(kPart, 1.0);                      // control: on the belt
  const int n = BeltWorld::kStepsPerSecond;                       // 1 s
  for (int i = 0; i < n; ++i) world.step();
  // Free fall, semi-implicit Euler: z_n = z_0 - g dt^2 n (n + 1) / 2.
  const double z_fall = 0.5 * kPart.size_z - kG * kDt * kDt * n * (n + 1) / 2.0;
  for (int id : {behind, beyond}) {
    EXPECT_FALSE(world.part_on_belt(id));
    EXPECT_NEAR(world.part_z(id), z_fall, 1e-3);
    EXPECT_NEAR(world.part_speed(id), 0.0, 1e-9) << "a falling part is not transported";
  }
  EXPECT_DOUBLE_EQ(world.part_x(behind), -0.5);
  EXPECT_NEAR(world.part_x(beyond), belt.length_m + 0.5, 1e-6);
  EXPECT_TRUE(world.part_on_belt(on));
  EXPECT_GT(world.part_x(on), 1.4);
}

// Parts pushed against a stop by the belt touch the stop and each other; a part further back,
// still riding, touches nobody. The stop is a fixture, not a part: it is in no pair.
TEST(BeltWorld, TouchingPartsAreTheQueuedPairs) {
  BeltWorld world(belt_at(0.5));
  const double length = world.belt().length_m;
  world.add_fixture(FixtureSpec{.x = length + 0.025,
                                .z = 0.15,
                                .size_x = 0.05,
                                .size_y = world.belt().width_m,
                                .size_z = 0.3});
  const int head = world.add_part(kPart, length - 0.5 * kPart.size_x - 0.05);
  const int second = world.add_part(kPart, length - 1.5 * kPart.size_x - 0.1);
  const int far = world.add_part(kPart, 0.5 * kPart.size_x);
  std::vector<std::pair<int, int>> pairs;
  world.touching_parts(pairs);
  EXPECT_TRUE(pairs.empty());                                         // apart, before any step
  for (int i = 0; i < BeltWorld::kStepsPerSecond; ++i) world.step();  // 1 s: the two close up
  world.touching_parts(pairs);
  ASSERT_EQ(pairs.size(), 1u);
  EXPECT_EQ(pairs[0], std::make_pair(head, second));
  EXPECT_NEAR(world.part_x(head) - world.part_x(second), kPart.size_x, 1e-3);
  EXPECT_LT(world.part_x(far), world.part_x(second) - kPart.size_x - 0.1);
  world.remove_part(head);
  world.step();
  world.touching_parts(pairs);
  EXPECT_TRUE(pairs.empty());  // a removed part touches nothing
}

TEST(BeltWorld, RejectsBadSpecs) {
  EXPECT_THROW(BeltWorld(BeltSpec{.length_m = 0.0, .width_m = 0.5}), std::invalid_argument);
  EXPECT_THROW(BeltWorld(BeltSpec{.length_m = 1.0, .width_m = 0.5, .speed_mps = NAN}),
               std::invalid_argument);
  BeltWorld world(belt_at(0.5));
  EXPECT_THROW(world.add_part(PartSpec{.size_x = 0.1, .size_y = 0.1, .size_z = 0.1}, 0.5),
               std::invalid_argument);
  EXPECT_THROW((void)world.part_x(0), std::out_of_range);
}

}  // namespace
}  // namespace twin
