// The thermal RC model against the solution of C dT/dt = P - (T - T_amb) / R for constant P:
//   T(t) = T_amb + (T0 - T_amb) e^(-t/tau) + P R (1 - e^(-t/tau)),   tau = R C,
// computed here from the parameters, independently of the model's code.
#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "models/condition/thermal.h"

namespace twin::condition {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kRel = 1e-9;

TEST(ConditionThermal, StepResponseMatchesClosedForm) {
  const ThermalParams p;
  const double load = 0.7;
  const double t0 = 40.0;
  const double tau = p.resistance_K_per_W * p.capacitance_J_per_K;
  const double rise = (p.fixed_loss_W + p.load_loss_W * load * load) * p.resistance_K_per_W;
  for (double t : {1.0, 60.0, 1800.0, 7200.0, 1e5}) {
    ThermalState s{.temperature_C = t0};
    advance(p, s, load, t);
    const double e = std::exp(-t / tau);
    const double expected = p.ambient_C + (t0 - p.ambient_C) * e + rise * (1.0 - e);
    EXPECT_NEAR(s.temperature_C, expected, kRel * expected) << "t = " << t;
  }
  EXPECT_NEAR(steady_state(p, load), p.ambient_C + rise, kRel * (p.ambient_C + rise));
}

TEST(ConditionThermal, ManySmallStepsEqualOneBigStep) {
  const ThermalParams p;
  for (double cooling : {1.0, 0.4, 0.0}) {
    ThermalState one{.temperature_C = 30.0, .cooling_factor = cooling};
    ThermalState many = one;
    advance(p, one, 0.9, 3600.0);
    for (int i = 0; i < 3600; ++i) advance(p, many, 0.9, 1.0);
    EXPECT_NEAR(many.temperature_C, one.temperature_C, kRel * one.temperature_C)
        << "cooling " << cooling;
  }
}

// Halving the conductance doubles both the steady rise and tau; with no heat path at all the
// body heats at P / C forever (energy balance).
TEST(ConditionThermal, DegradedCoolingRaisesRiseAndTimeConstant) {
  const ThermalParams p;
  const double rise = steady_state(p, 1.0) - p.ambient_C;
  EXPECT_NEAR(steady_state(p, 1.0, 0.5) - p.ambient_C, 2.0 * rise, kRel * rise);
  EXPECT_NEAR(time_constant_s(p, 0.5), 2.0 * time_constant_s(p, 1.0), 1e-6);
  EXPECT_EQ(steady_state(p, 1.0, 0.0), kInf);

  ThermalState s{.temperature_C = 50.0, .cooling_factor = 0.0};
  advance(p, s, 1.0, 600.0);
  const double expected = 50.0 + loss_W(p, 1.0) * 600.0 / p.capacitance_J_per_K;
  EXPECT_NEAR(s.temperature_C, expected, kRel * expected);
}

TEST(ConditionThermal, TimeToReachInvertsAdvance) {
  const ThermalParams p;
  struct Case {
    double t0, cooling, load, threshold;
  };
  const Case cases[] = {
      {22.0, 1.0, 1.0, 50.0},   // warming up
      {22.0, 1.0, 1.0, 22.5},   // just after start
      {25.0, 0.5, 1.0, 80.0},   // overheating with degraded coolant
      {70.0, 1.0, 0.0, 30.0},   // cooling down at idle
      {30.0, 0.0, 0.5, 100.0},  // no heat path: linear rise
  };
  for (const Case& c : cases) {
    ThermalState s{.temperature_C = c.t0, .cooling_factor = c.cooling};
    const double t = time_to_reach(p, s, c.load, c.threshold);
    ASSERT_TRUE(std::isfinite(t) && t > 0.0) << c.threshold;
    advance(p, s, c.load, t);
    EXPECT_NEAR(s.temperature_C, c.threshold, kRel * c.threshold);
  }
}

TEST(ConditionThermal, TimeToReachUnreachableThresholds) {
  const ThermalParams p;
  const ThermalState s{.temperature_C = 40.0};
  const double t_ss = steady_state(p, 1.0);
  EXPECT_EQ(time_to_reach(p, s, 1.0, 40.0), 0.0);
  EXPECT_EQ(time_to_reach(p, s, 1.0, t_ss), kInf);        // approached, never reached
  EXPECT_EQ(time_to_reach(p, s, 1.0, t_ss + 1.0), kInf);  // beyond the steady state
  EXPECT_EQ(time_to_reach(p, s, 1.0, 30.0), kInf);        // heating, threshold below
  EXPECT_EQ(time_to_reach(p, ThermalState{.temperature_C = 40.0, .cooling_factor = 0.0}, 1.0, 30.0),
            kInf);
}

// Hotter with more load or worse cooling; heating rises steadily without overshooting the
// steady state, and passes a lower threshold first.
TEST(ConditionThermal, MonotoneInLoadCoolingAndTime) {
  const ThermalParams p;
  for (double load = 0.0; load < 1.5; load += 0.25) {
    EXPECT_LT(steady_state(p, load), steady_state(p, load + 0.25));
    EXPECT_LT(steady_state(p, load, 0.8), steady_state(p, load, 0.6));
  }
  ThermalState s;
  double previous = s.temperature_C;
  for (int i = 0; i < 100; ++i) {
    advance(p, s, 1.0, 120.0);
    EXPECT_GT(s.temperature_C, previous);
    EXPECT_LE(s.temperature_C, steady_state(p, 1.0));
    previous = s.temperature_C;
  }
  const ThermalState cold;
  EXPECT_LT(time_to_reach(p, cold, 1.0, 40.0), time_to_reach(p, cold, 1.0, 50.0));
}

// The documented defaults: a spindle with tau in 20-40 min settling well below 100 degC.
TEST(ConditionThermal, DefaultsAreAPlausibleSpindle) {
  const ThermalParams p;
  EXPECT_EQ(validate(p), "");
  EXPECT_GE(time_constant_s(p, 1.0), 20.0 * 60.0);
  EXPECT_LE(time_constant_s(p, 1.0), 40.0 * 60.0);
  EXPECT_LT(steady_state(p, 1.0), 70.0);
}

TEST(ConditionThermal, ValidateRejectsBadParameters) {
  auto with = [](auto change) {
    ThermalParams p;
    change(p);
    return validate(p);
  };
  EXPECT_NE(with([](ThermalParams& p) { p.capacitance_J_per_K = 0.0; }), "");
  EXPECT_NE(with([](ThermalParams& p) { p.capacitance_J_per_K = -1.0; }), "");
  EXPECT_NE(with([](ThermalParams& p) { p.resistance_K_per_W = 0.0; }), "");
  EXPECT_NE(with([](ThermalParams& p) { p.resistance_K_per_W = -0.02; }), "");
  EXPECT_NE(with([](ThermalParams& p) { p.resistance_K_per_W = std::nan(""); }), "");
  EXPECT_NE(with([](ThermalParams& p) { p.fixed_loss_W = -1.0; }), "");
  EXPECT_NE(with([](ThermalParams& p) { p.load_loss_W = -1.0; }), "");
  EXPECT_NE(with([](ThermalParams& p) { p.ambient_C = kInf; }), "");
}

}  // namespace
}  // namespace twin::condition
