// The bearing model against its exponential degradation law, d(t) = d0 e^(rate (t - onset)),
// evaluated here from the parameters, and against the ISO 10816-3 zone boundaries.
#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "models/condition/bearing.h"

namespace twin::condition {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kRel = 1e-9;

double healthy_running(const BearingParams& p, double load) {
  return p.floor_mm_s + p.running_mm_s + p.load_mm_s * load;
}

TEST(ConditionBearing, VibrationFollowsExponentialDamage) {
  const BearingParams p;
  BearingState s{.running_s = 0.0, .onset_s = 3.0e5};
  advance(p, s, 2.0e5, true);
  EXPECT_EQ(damage(p, s), 0.0);
  EXPECT_NEAR(vibration_rms(p, s, true, 0.6), healthy_running(p, 0.6), kRel);
  for (double after : {0.0, 1.0e5, 1.0e6}) {
    s.running_s = s.onset_s + after;
    const double d = p.initial_damage * std::exp(p.damage_rate_per_s * after);
    const double expected = p.floor_mm_s + (p.running_mm_s + p.load_mm_s * 0.6) * (1.0 + d);
    EXPECT_NEAR(vibration_rms(p, s, true, 0.6), expected, kRel * expected) << after;
  }
}

// Damage advances with running time only, and a stopped spindle reads the floor.
TEST(ConditionBearing, DamageGrowsOnlyWhileRunning) {
  const BearingParams p;
  BearingState s{.running_s = 5.0e5, .onset_s = 1.0e5};
  const double before = vibration_rms(p, s, true);
  advance(p, s, 1.0e6, false);
  EXPECT_EQ(vibration_rms(p, s, true), before);
  EXPECT_EQ(vibration_rms(p, s, false), p.floor_mm_s);
  advance(p, s, 1.0e4, true);
  EXPECT_GT(vibration_rms(p, s, true), before);
}

TEST(ConditionBearing, MonotoneInLoadAndRunningTime) {
  const BearingParams p;
  BearingState s{.running_s = 0.0, .onset_s = 1.0e5};
  double previous = vibration_rms(p, s, true);
  for (int i = 0; i < 50; ++i) {
    advance(p, s, 3.6e4, true);
    const double v = vibration_rms(p, s, true);
    EXPECT_GE(v, previous);
    previous = v;
    EXPECT_LT(vibration_rms(p, s, true, 0.3), vibration_rms(p, s, true, 0.9));
  }
  EXPECT_GT(previous, healthy_running(p, 1.0));
}

TEST(ConditionBearing, TimeToThresholdInvertsAdvance) {
  const BearingParams p;
  const BearingState states[] = {
      {.running_s = 2.0e5, .onset_s = 1.0e5},  // defect growing
      {.running_s = 0.0, .onset_s = 4.0e5},    // defect still to come
  };
  for (const BearingState& start : states) {
    for (double threshold : {kIso10816Group2Rigid.bc, kIso10816Group2Rigid.cd,
                             kIso10816Group2Flexible.cd, kIso10816Group1Flexible.cd}) {
      BearingState s = start;
      const double t = time_to_threshold(p, s, threshold, 0.8);
      ASSERT_TRUE(std::isfinite(t) && t > 0.0) << threshold;
      advance(p, s, t, true);
      EXPECT_NEAR(vibration_rms(p, s, true, 0.8), threshold, kRel * threshold);
    }
  }
}

TEST(ConditionBearing, TimeToThresholdEdgeCases) {
  const BearingParams p;
  const BearingState worn{.running_s = 2.0e6, .onset_s = 0.0};
  EXPECT_EQ(time_to_threshold(p, worn, vibration_rms(p, worn, true)), 0.0);
  EXPECT_EQ(time_to_threshold(p, BearingState{}, 4.5), kInf);  // no defect ever
  BearingParams stalled;
  stalled.damage_rate_per_s = 0.0;
  EXPECT_EQ(time_to_threshold(stalled, worn, 4.5), kInf);
  // A threshold below the reading a fresh defect gives is crossed at onset.
  const BearingState waiting{.running_s = 1.0e4, .onset_s = 3.0e4};
  const double at_onset =
      healthy_running(p, 1.0) + (p.running_mm_s + p.load_mm_s) * 0.5 * p.initial_damage;
  EXPECT_EQ(time_to_threshold(p, waiting, at_onset), 2.0e4);
}

// ISO 10816-3 group 2, rigid foundation: A below 1.4, B to 2.8, C to 4.5, D above; a healthy
// default bearing at full load is in zone A.
TEST(ConditionBearing, ZonesFollowIso10816) {
  const ZoneLimits& z = kIso10816Group2Rigid;
  EXPECT_EQ(zone(1.0, z), VibrationZone::kA);
  EXPECT_EQ(zone(1.4, z), VibrationZone::kB);
  EXPECT_EQ(zone(2.0, z), VibrationZone::kB);
  EXPECT_EQ(zone(3.0, z), VibrationZone::kC);
  EXPECT_EQ(zone(4.5, z), VibrationZone::kD);
  const BearingParams p;
  EXPECT_EQ(zone(vibration_rms(p, BearingState{}, true, 1.0), z), VibrationZone::kA);
}

TEST(ConditionBearing, ValidateRejectsBadParameters) {
  auto with = [](auto change) {
    BearingParams p;
    change(p);
    return validate(p);
  };
  EXPECT_EQ(validate(BearingParams{}), "");
  EXPECT_NE(with([](BearingParams& p) { p.floor_mm_s = -0.1; }), "");
  EXPECT_NE(with([](BearingParams& p) { p.running_mm_s = 0.0; }), "");
  EXPECT_NE(with([](BearingParams& p) { p.load_mm_s = -1.0; }), "");
  EXPECT_NE(with([](BearingParams& p) { p.initial_damage = 0.0; }), "");
  EXPECT_NE(with([](BearingParams& p) { p.damage_rate_per_s = -1e-6; }), "");
  EXPECT_NE(with([](BearingParams& p) { p.damage_rate_per_s = std::nan(""); }), "");
}

}  // namespace
}  // namespace twin::condition
