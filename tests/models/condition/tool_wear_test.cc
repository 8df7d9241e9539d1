// The tool wear model against Taylor's equation v T^n = C and its own wear and hazard laws:
// VB = VB_limit (t / T_life)^k at constant speed, H(w) = (w / eta)^beta the integral of h(w).
#include <cmath>

#include <gtest/gtest.h>

#include "models/condition/tool_wear.h"

namespace twin::condition {
namespace {

constexpr double kRel = 1e-12;

TEST(ConditionToolWear, TaylorDoublingSpeedCutsLifeSixteenfold) {
  const ToolWearParams p;  // n = 0.25
  ASSERT_EQ(p.taylor_n, 0.25);
  EXPECT_NEAR(tool_life_s(p, 2.0), tool_life_s(p, 1.0) / 16.0, kRel * tool_life_s(p, 1.0));
  // v T^n is the same at every speed.
  const double c = 1.0 * std::pow(tool_life_s(p, 1.0), p.taylor_n);
  for (double v : {0.5, 0.8, 1.3, 2.0, 3.0}) {
    EXPECT_NEAR(v * std::pow(tool_life_s(p, v), p.taylor_n), c, kRel * c) << v;
  }
}

TEST(ConditionToolWear, WearReachesLimitExactlyAtToolLife) {
  const ToolWearParams p;
  for (double v : {0.8, 1.0, 1.5}) {
    ToolWearState half;
    advance(p, half, 0.5 * tool_life_s(p, v), v);
    EXPECT_NEAR(flank_wear_mm(p, half), p.wear_limit_mm * std::pow(0.5, p.wear_exponent),
                kRel * p.wear_limit_mm);
    ToolWearState s;
    advance(p, s, tool_life_s(p, v), v);
    EXPECT_NEAR(flank_wear_mm(p, s), p.wear_limit_mm, kRel * p.wear_limit_mm) << v;
    EXPECT_NEAR(remaining_life_s(p, s, v), 0.0, kRel * tool_life_s(p, v));
  }
}

// Life fractions add up across speeds, and cutting in many small steps equals one step.
TEST(ConditionToolWear, VariableSpeedAccumulatesLifeFractions) {
  const ToolWearParams p;
  ToolWearState s;
  advance(p, s, 0.5 * tool_life_s(p, 1.0), 1.0);
  const double left = remaining_life_s(p, s, 2.0);
  EXPECT_NEAR(left, 0.5 * tool_life_s(p, 2.0), kRel * left);
  ToolWearState many = s;
  advance(p, s, left, 2.0);
  for (int i = 0; i < 1000; ++i) advance(p, many, left / 1000.0, 2.0);
  EXPECT_NEAR(flank_wear_mm(p, s), p.wear_limit_mm, 1e-9 * p.wear_limit_mm);
  EXPECT_NEAR(flank_wear_mm(p, many), flank_wear_mm(p, s), 1e-9 * p.wear_limit_mm);
}

TEST(ConditionToolWear, WearGrowsRemainingLifeShrinksReplaceResets) {
  const ToolWearParams p;
  ToolWearState s;
  double wear = flank_wear_mm(p, s);
  double left = remaining_life_s(p, s, 1.2);
  for (int i = 0; i < 20; ++i) {
    advance(p, s, 30.0, 1.2);  // 600 s in all, within the 868 s life at 1.2
    EXPECT_GT(flank_wear_mm(p, s), wear);
    EXPECT_LT(remaining_life_s(p, s, 1.2), left);
    wear = flank_wear_mm(p, s);
    left = remaining_life_s(p, s, 1.2);
  }
  EXPECT_LT(remaining_life_s(p, s, 1.5), remaining_life_s(p, s, 1.2));  // faster wears sooner
  replace(s);
  EXPECT_EQ(flank_wear_mm(p, s), 0.0);
  EXPECT_EQ(s.cutting_s, 0.0);
  EXPECT_EQ(s.replacements, 1u);
  EXPECT_EQ(remaining_life_s(p, s, 1.0), p.nominal_life_s);
}

// The cumulative hazard is the integral of the hazard (Simpson's rule), breakage_life_used
// inverts it, the hazard rises with wear, and about 5 % of default edges break before the
// wear limit, as the header says.
TEST(ConditionToolWear, BreakageHazardIsConsistent) {
  const ToolWearParams p;
  const double w_end = 1.2;
  const int n = 1000;  // even
  const double h = w_end / n;
  double integral = 0.0;
  double previous = -1.0;
  for (int i = 0; i <= n; ++i) {
    const double rate = hazard(p, ToolWearState{.life_used = i * h});
    integral += (i == 0 || i == n ? 1.0 : (i % 2 == 1 ? 4.0 : 2.0)) * rate;
    EXPECT_GT(rate, previous);
    previous = rate;
  }
  integral *= h / 3.0;
  const double exact = cumulative_hazard(p, ToolWearState{.life_used = w_end});
  EXPECT_NEAR(integral, exact, 1e-9 * exact);
  for (double e : {0.01, 0.5, 1.0, 3.0}) {
    const double w = breakage_life_used(p, e);
    EXPECT_NEAR(cumulative_hazard(p, ToolWearState{.life_used = w}), e, kRel * e);
  }
  const double p_break = 1.0 - std::exp(-cumulative_hazard(p, ToolWearState{.life_used = 1.0}));
  EXPECT_GT(p_break, 0.04);
  EXPECT_LT(p_break, 0.06);
}

TEST(ConditionToolWear, ValidateRejectsBadParameters) {
  auto with = [](auto change) {
    ToolWearParams p;
    change(p);
    return validate(p);
  };
  EXPECT_EQ(validate(ToolWearParams{}), "");
  EXPECT_NE(with([](ToolWearParams& p) { p.taylor_n = 0.0; }), "");
  EXPECT_NE(with([](ToolWearParams& p) { p.taylor_n = -0.25; }), "");
  EXPECT_NE(with([](ToolWearParams& p) { p.nominal_life_s = 0.0; }), "");
  EXPECT_NE(with([](ToolWearParams& p) { p.wear_limit_mm = -0.3; }), "");
  EXPECT_NE(with([](ToolWearParams& p) { p.wear_exponent = 0.0; }), "");
  EXPECT_NE(with([](ToolWearParams& p) { p.breakage_shape = 0.0; }), "");
  EXPECT_NE(with([](ToolWearParams& p) { p.breakage_scale = std::nan(""); }), "");
}

}  // namespace
}  // namespace twin::condition
