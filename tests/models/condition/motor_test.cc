// The motor model against three-phase power computed by hand, P = sqrt(3) V_line I pf, and the
// mode and load rules its header states.
#include <gtest/gtest.h>

#include "models/condition/motor.h"

namespace twin::condition {
namespace {

// 400 V, 10 A at pf 0.85: 1.7320508 x 400 x 10 x 0.85 = 5888.97 W.
TEST(ConditionMotor, PowerMatchesHandComputation) {
  MotorParams p;
  p.rated_current_A = 10.0;
  p.idle_current_A = 4.0;
  p.rated_power_factor = 0.85;
  EXPECT_NEAR(power_factor(p, 10.0), 0.85, 1e-12);
  EXPECT_NEAR(power_kw(p, 10.0), 5.889, 5e-4);
  EXPECT_EQ(power_kw(p, 0.0), 0.0);
}

TEST(ConditionMotor, CurrentPerMode) {
  const MotorParams p;
  EXPECT_EQ(current(p, Mode::kBusy, 0.0), p.idle_current_A);
  EXPECT_NEAR(current(p, Mode::kBusy, 1.0), p.rated_current_A, 1e-12);
  EXPECT_NEAR(current(p, Mode::kBusy, 0.5), 0.5 * (p.idle_current_A + p.rated_current_A), 1e-12);
  EXPECT_EQ(current(p, Mode::kSetup, 0.7), p.setup_current_A);
  for (Mode m : {Mode::kStarved, Mode::kBlocked, Mode::kDown}) {
    EXPECT_EQ(current(p, m, 0.7), p.standby_current_A);
  }
  EXPECT_EQ(current(p, Mode::kOff, 0.7), 0.0);
  EXPECT_LT(current(p, Mode::kSetup, 0.0), current(p, Mode::kBusy, 0.0));
}

// Current, power factor and power all rise with load; pf stays in [pf_idle, 1], even in overload.
TEST(ConditionMotor, MonotoneInLoad) {
  const MotorParams p;
  double previous_i = -1.0, previous_pf = -1.0, previous_kw = -1.0;
  for (int i = 0; i <= 30; ++i) {
    const double load = 0.05 * i;  // to 150 %
    const double amps = current(p, Mode::kBusy, load);
    const double pf = power_factor(p, amps);
    const double kw = power_kw(p, amps);
    EXPECT_GT(amps, previous_i);
    EXPECT_GT(pf, previous_pf);
    EXPECT_GT(kw, previous_kw);
    EXPECT_GE(pf, p.idle_power_factor);
    EXPECT_LE(pf, 1.0);
    previous_i = amps, previous_pf = pf, previous_kw = kw;
  }
  EXPECT_EQ(power_factor(p, p.standby_current_A), p.idle_power_factor);
}

// The defaults describe a 15 kW motor: input power at rated current is 15 kW divided by an
// efficiency between 85 % and 95 %.
TEST(ConditionMotor, DefaultsAreA15kWMotor) {
  const MotorParams p;
  EXPECT_EQ(validate(p), "");
  const double input_kw = power_kw(p, current(p, Mode::kBusy, 1.0));
  EXPECT_GT(input_kw, 15.0 / 0.95);
  EXPECT_LT(input_kw, 15.0 / 0.85);
}

TEST(ConditionMotor, ValidateRejectsBadParameters) {
  auto with = [](auto change) {
    MotorParams p;
    change(p);
    return validate(p);
  };
  EXPECT_NE(with([](MotorParams& p) { p.line_voltage_V = 0.0; }), "");
  EXPECT_NE(with([](MotorParams& p) { p.rated_current_A = p.idle_current_A; }), "");
  EXPECT_NE(with([](MotorParams& p) { p.idle_current_A = -1.0; }), "");
  EXPECT_NE(with([](MotorParams& p) { p.setup_current_A = -1.0; }), "");
  EXPECT_NE(with([](MotorParams& p) { p.standby_current_A = -1.0; }), "");
  EXPECT_NE(with([](MotorParams& p) { p.rated_power_factor = 0.0; }), "");
  EXPECT_NE(with([](MotorParams& p) { p.rated_power_factor = 1.1; }), "");
  EXPECT_NE(with([](MotorParams& p) { p.idle_power_factor = 0.9; }), "");
  EXPECT_NE(with([](MotorParams& p) { p.power_factor_knee = 0.0; }), "");
}

}  // namespace
}  // namespace twin::condition
