// The thermal UKF against a plant simulated the way models/plant/plant_simulator.cc does it:
// the exact RC model driven by motor load = current / rated current through busy, starved,
// setup and down segments, sampled at 1 Hz with noise sd 0.15 degC, dropouts and stuck
// episodes, per-machine parameter drift the filter does not know, and a cooling circuit that
// degrades linearly from 1 to 0.15 over 50 min (the plant's overheating precursor).
#include "models/estimation/thermal_filter.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

#include "core/sim/rng.h"
#include "models/condition/thermal.h"

namespace twin {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kRated = 28.0;  // [A] nominal rated current (condition::MotorParams)

double gaussian(Rng& rng) {
  // Box-Muller; one value per call is enough here.
  const double u = rng.uniform01(), v = rng.uniform01();
  return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * M_PI * v);
}

double uniform(Rng& rng, double lo, double hi) {
  return lo + (hi - lo) * rng.uniform01();
}

struct Segment {
  double start_s = 0.0;  // [s]
  double load = 0.0;     // [1] motor current / rated current from start_s on
};

// A production pattern like the line model's: cycles of ~60 s busy at the machine's cutting
// load with short starved or blocked gaps (standby current), a 5 min setup about every 40 min
// and a 10 min breakdown about every 3 h.
std::vector<Segment> load_pattern(Rng& rng, double horizon_s, double base_load) {
  const double busy = (11.0 + 17.0 * base_load) / kRated;  // condition::current, kBusy
  const double setup = 4.0 / kRated, standby = 1.0 / kRated;
  std::vector<Segment> out;
  double t = 0.0;
  while (t < horizon_s) {
    const double u = rng.uniform01();
    if (u < 0.025) {  // one cycle in 40: a setup
      out.push_back({t, setup});
      t += 300.0;
    } else if (u < 0.0033 + 0.025) {
      out.push_back({t, standby});
      t += 600.0;
    } else {
      out.push_back({t, busy});
      t += uniform(rng, 45.0, 75.0);
      if (rng.uniform01() < 0.5) {
        out.push_back({t, standby});
        t += -20.0 * std::log(rng.uniform01());
      }
    }
  }
  return out;
}

struct Machine {
  condition::ThermalParams truth;  // drifted parameters of this unit
  double busy_load = 0.0;          // [1] motor load while cutting
  double heat_from_s = kInf;       // [s] start of the cooling degradation
  double heat_fail_s = kInf;       // [s] cooling_factor reaches 0.15 here
  double load_seen = 1.0;          // [1] load the caller knows / true load (rated current off)
  double cooling_at(double t) const {
    if (t < heat_from_s) return 1.0;
    const double p = (t - heat_from_s) / (heat_fail_s - heat_from_s);
    return std::max(1.0 - 0.85 * p, 0.15);
  }
};

Machine drifted_machine(Rng& rng, double r_spread, double ambient_spread) {
  Machine m;
  const condition::ThermalParams nominal;
  m.truth.resistance_K_per_W = nominal.resistance_K_per_W * (1.0 + uniform(rng, -1, 1) * r_spread);
  m.truth.ambient_C = nominal.ambient_C * (1.0 + uniform(rng, -1, 1) * ambient_spread);
  const double base_load = 0.7 * (1.0 + 0.15 * uniform(rng, -1, 1));
  m.busy_load = (11.0 + 17.0 * base_load) / kRated;
  return m;
}

// What the filter is shown at each sample and what was true then.
struct Sample {
  double t_s = 0.0;
  double true_C = 0.0;
  double true_cooling = 1.0;
  double load = 0.0;  // [1] load in force at t_s
  bool dropped = false;
  double measured_C = 0.0;
};

// Runs the plant for horizon_s at 1 Hz, feeding the filter (predict_to at every load change,
// update at every delivered sample) and calling `each` after every sample.
void run_plant(const Machine& m, ThermalFilter& filter, Rng& rng, double horizon_s,
               const std::function<void(const Sample&, const ThermalUpdate&)>& each,
               double dropouts_per_hour = 6.0, double stuck_per_hour = 1.0) {
  const double cutting = (m.busy_load * kRated - 11.0) / 17.0;
  const std::vector<Segment> segments = load_pattern(rng, horizon_s, cutting);
  condition::ThermalState state{m.truth.ambient_C, 1.0};
  size_t seg = 0;
  double now = 0.0;
  double dropout_until = -1.0, stuck_until = -1.0, stuck_value = 0.0, last_sent = 0.0;
  const auto advance_both = [&](double to) {
    while (now < to) {
      const double end = seg + 1 < segments.size() ? std::min(segments[seg + 1].start_s, to) : to;
      condition::advance(m.truth, state, segments[seg].load, end - now);
      filter.predict_to(end, m.load_seen * segments[seg].load);
      now = end;
      if (seg + 1 < segments.size() && segments[seg + 1].start_s <= now) ++seg;
    }
  };
  const int64_t n = static_cast<int64_t>(horizon_s);
  for (int64_t k = 0; k < n; ++k) {
    const double t = static_cast<double>(k);
    advance_both(t);
    state.cooling_factor = m.cooling_at(t);  // the plant sets it once per window
    Sample s;
    s.t_s = t;
    s.true_C = state.temperature_C;
    s.true_cooling = state.cooling_factor;
    s.load = segments[seg].load;
    // Dirt: dropouts (mean 6 s) and stuck episodes (mean 90 s), as the plant's defaults.
    if (rng.uniform01() < dropouts_per_hour / 3600.0)
      dropout_until = t - 6.0 * std::log(rng.uniform01());
    if (rng.uniform01() < stuck_per_hour / 3600.0) {
      stuck_until = t - 90.0 * std::log(rng.uniform01());
      stuck_value = last_sent;
    }
    s.measured_C = static_cast<float>(state.temperature_C + 0.15 * gaussian(rng));
    if (t < stuck_until) s.measured_C = stuck_value;
    s.dropped = t < dropout_until;
    ThermalUpdate u;
    if (!s.dropped) {
      u = filter.update(t, s.measured_C);
      last_sent = s.measured_C;
    }
    each(s, u);
  }
}

TEST(ThermalFilter, HealthyResidualsAreCalibratedAndCoolingStaysNearOne) {
  // Four machines (parameters drifted as the plant drifts them), the filter given each one's
  // true parameters and load: the residuals must be standard normal, the stated sd of T honest
  // and g near 1. 2 h each at 1 Hz; the first 10 min (warm-up: g is unobservable while T is
  // near ambient, as the heat path then carries almost nothing) are not scored.
  Rng rng(101);
  double sum_z = 0.0, sum_z2 = 0.0, worst_g = 0.0;
  int n = 0, within_2 = 0, covered = 0;
  for (int unit = 0; unit < 4; ++unit) {
    const Machine m = drifted_machine(rng, 0.1, 0.05);
    ThermalFilter filter(m.truth);
    run_plant(m, filter, rng, 7200.0, [&](const Sample& s, const ThermalUpdate& u) {
      if (s.t_s < 600.0 || !u.used) return;
      sum_z += u.residual_z;
      sum_z2 += u.residual_z * u.residual_z;
      within_2 += std::abs(u.residual_z) <= 2.0 ? 1 : 0;
      covered += std::abs(u.estimate_C - s.true_C) <= 2.0 * u.sd_C ? 1 : 0;
      worst_g = std::max(worst_g, std::abs(u.cooling - 1.0));
      ++n;
    });
  }
  const double mean = sum_z / n;
  const double sd = std::sqrt(sum_z2 / n - mean * mean);
  const double z_coverage = static_cast<double>(within_2) / n;
  const double coverage = static_cast<double>(covered) / n;
  std::printf(
      "healthy: residual_z mean %.3f sd %.3f, |z| <= 2 in %.3f, truth within 2 sd of the "
      "estimate %.3f, max |g - 1| %.3f (n %d)\n",
      mean, sd, z_coverage, coverage, worst_g, n);
  EXPECT_NEAR(mean, 0.0, 0.05);
  EXPECT_NEAR(sd, 1.0, 0.05);
  EXPECT_GE(z_coverage, 0.90);
  EXPECT_LE(z_coverage, 0.99);
  // The estimate's sd carries the process noise meant for model error, which this exact model
  // does not have: conservative, but not absurdly so.
  EXPECT_GE(coverage, 0.90);
  EXPECT_LE(coverage, 0.999);
  EXPECT_LT(worst_g, 0.1);
}

TEST(ThermalFilter, FollowsDegradingCoolingAndRaisesAnAlarm) {
  // Eight machines with R drifted by up to +-10 % (unknown to the filter, which is given the
  // nominal parameters); 40 min healthy, then the plant's overheating precursor: g from 1 to
  // 0.15 linearly over 50 min. Only g / R is identifiable, so the estimate tracks
  // g_true R_nom / R_true; its distance from g_true itself also carries the R drift.
  Rng rng(202);
  const condition::ThermalParams nominal;
  double worst_after_10min = 0.0, worst_identifiable = 0.0, latest_alarm = 0.0;
  int alarms = 0, false_alarms = 0;
  for (int unit = 0; unit < 8; ++unit) {
    Machine m = drifted_machine(rng, 0.1, 0.0);
    m.heat_from_s = 2400.0;
    m.heat_fail_s = 2400.0 + 3000.0;
    const double scale = nominal.resistance_K_per_W / m.truth.resistance_K_per_W;
    ThermalFilter filter(nominal);
    double alarm_at = kInf;
    bool early = false;
    run_plant(m, filter, rng, m.heat_fail_s, [&](const Sample& s, const ThermalUpdate& u) {
      if (!u.used || s.t_s < 600.0) return;
      // g alarm: the estimate is 3 sd below 0.7 (30 % of the cooling lost).
      if (u.cooling + 3.0 * u.cooling_sd < 0.7) {
        if (s.t_s < m.heat_from_s) early = true;
        alarm_at = std::min(alarm_at, s.t_s);
      }
      if (s.t_s >= m.heat_from_s + 600.0) {
        worst_after_10min = std::max(worst_after_10min, std::abs(u.cooling - s.true_cooling));
        worst_identifiable =
            std::max(worst_identifiable, std::abs(u.cooling - s.true_cooling * scale));
      }
    });
    alarms += std::isfinite(alarm_at) ? 1 : 0;
    false_alarms += early ? 1 : 0;
    latest_alarm = std::max(latest_alarm, alarm_at - m.heat_from_s);
  }
  std::printf(
      "degrading: after 10 min max |g - g_true R_nom / R| %.3f, max |g - g_true| %.3f; g alarm "
      "in %d of 8, latest %.0f s into the 3000 s degradation, %d before it\n",
      worst_identifiable, worst_after_10min, alarms, latest_alarm, false_alarms);
  EXPECT_LT(worst_identifiable, 0.1);
  EXPECT_LT(worst_after_10min, 0.15);
  EXPECT_EQ(alarms, 8);
  EXPECT_LT(latest_alarm, 3000.0);
  EXPECT_EQ(false_alarms, 0);
}

TEST(ThermalFilter, TimeToLimitIntervalContainsTheTrueTime) {
  // At 20, 30 and 40 min into the degradation, the time until 60 degC at the busy load, with
  // the true g frozen at its value then, must lie in the filter's 5-95 % interval.
  Rng rng(303);
  const condition::ThermalParams nominal;
  const double limit = 60.0;
  int checks = 0, inside = 0, finite = 0;
  double abs_log_err = 0.0, log_width = 0.0;  // sums over the finite cases
  for (int unit = 0; unit < 10; ++unit) {
    Machine m = drifted_machine(rng, 0.1, 0.0);
    m.heat_from_s = 1800.0;
    m.heat_fail_s = 1800.0 + 3000.0;
    ThermalFilter filter(nominal);
    condition::ThermalState truth_state;
    run_plant(m, filter, rng, m.heat_fail_s, [&](const Sample& s, const ThermalUpdate&) {
      const double into = s.t_s - m.heat_from_s;
      if (into != 1200.0 && into != 1800.0 && into != 2400.0) return;
      truth_state.temperature_C = s.true_C;
      truth_state.cooling_factor = s.true_cooling;
      const double truth = s.true_C >= limit
                               ? 0.0
                               : condition::time_to_reach(m.truth, truth_state, m.busy_load, limit);
      const TimeToLimit p = filter.time_to_limit(limit, m.busy_load);
      ++checks;
      EXPECT_LE(p.p05_s, p.median_s);
      EXPECT_LE(p.median_s, p.p95_s);
      if (p.p05_s <= truth && truth <= p.p95_s) ++inside;
      if (std::isfinite(truth) && std::isfinite(p.median_s) && truth > 0.0) {
        abs_log_err += std::abs(std::log(p.median_s / truth));
        if (std::isfinite(p.p95_s)) log_width += std::log(p.p95_s / p.p05_s);
        ++finite;
      }
    });
  }
  const double coverage = static_cast<double>(inside) / checks;
  std::printf(
      "time to limit: %d of %d true times inside the 90%% interval (%.2f); mean |log "
      "median / truth| %.3f, mean log(p95 / p05) %.3f over %d finite\n",
      inside, checks, coverage, finite > 0 ? abs_log_err / finite : 0.0,
      finite > 0 ? log_width / finite : 0.0, finite);
  EXPECT_EQ(checks, 30);
  EXPECT_GE(coverage, 0.8);
  EXPECT_GE(finite, 10);
}

TEST(ThermalFilter, GapWidensTheUncertaintyAndDataNarrowsItAgain) {
  Rng rng(404);
  const Machine m = drifted_machine(rng, 0.0, 0.0);
  ThermalFilter filter(m.truth);
  run_plant(
      m, filter, rng, 1800.0, [](const Sample&, const ThermalUpdate&) {}, 0.0, 0.0);
  const double sd_before = filter.temperature_sd_C();
  const double g_sd_before = filter.cooling_sd();
  // 10 min without samples at the busy load.
  filter.predict_to(filter.time_s() + 600.0, m.busy_load);
  const double sd_gap = filter.temperature_sd_C();
  EXPECT_GT(sd_gap, 2.0 * sd_before);
  EXPECT_GT(filter.cooling_sd(), g_sd_before);
  // The floor from T's own process noise alone is sqrt(q_T 600) = 0.35 degC.
  EXPECT_GT(sd_gap, std::sqrt(ThermalFilterOptions{}.temperature_drift * 600.0));
  std::printf("gap: sd %.3f -> %.3f degC, g sd %.4f -> %.4f\n", sd_before, sd_gap, g_sd_before,
              filter.cooling_sd());
  // A measurement after the gap brings it back under the sensor noise.
  const ThermalUpdate u = filter.update(filter.time_s(), filter.temperature_C() + 0.1);
  EXPECT_TRUE(u.used);
  EXPECT_LT(u.sd_C, 0.15);
  // After servicing the cooling circuit the caller resets g.
  filter.reset_cooling(1.0, 0.05);
  EXPECT_EQ(filter.cooling(), 1.0);
  EXPECT_EQ(filter.cooling_rate(), 0.0);
  EXPECT_NEAR(filter.cooling_sd(), 0.05, 1e-12);
}

TEST(ThermalFilter, StuckAndOutlyingValuesAreNotUsed) {
  const condition::ThermalParams nominal;
  ThermalFilter filter(nominal);
  filter.predict_to(0.0, 0.5);
  EXPECT_FALSE(filter.update(0.0, 30.0).used);  // initialises
  EXPECT_TRUE(filter.update(1.0, 30.1).used);
  EXPECT_FALSE(filter.update(2.0, 30.1).used);  // a bit-identical repeat: stuck
  EXPECT_FALSE(filter.update(3.0, 80.0).used);  // 50 K off: outlier
  EXPECT_TRUE(filter.update(4.0, 30.05).used);
  EXPECT_EQ(filter.rejected(), 2u);
  EXPECT_NEAR(filter.temperature_C(), 30.05, 0.2);
}

TEST(ThermalFilter, TimeToLimitMatchesTheClosedFormWhenCertain) {
  // With a tiny covariance the three quantiles collapse on condition::time_to_reach.
  condition::ThermalParams nominal;
  ThermalFilterOptions options;
  options.initial_cooling = 0.5;
  options.initial_cooling_sd = 1e-6;
  options.measurement_sd_C = 1e-4;
  options.temperature_drift = 0.0;
  options.cooling_drift = 0.0;
  ThermalFilter filter(nominal, options);
  filter.update(0.0, 40.0);
  const TimeToLimit p = filter.time_to_limit(70.0, 1.0);
  const double exact = condition::time_to_reach(nominal, {40.0, 0.5}, 1.0, 70.0);
  EXPECT_NEAR(p.median_s, exact, 1e-3 * exact);
  EXPECT_NEAR(p.p05_s, exact, 1e-2 * exact);
  EXPECT_NEAR(p.p95_s, exact, 1e-2 * exact);
  // Never reached (steady state 22 + 1800 * 0.02 / 0.5 = 94 degC < 100): +inf.
  EXPECT_EQ(filter.time_to_limit(100.0, 1.0).median_s, kInf);
  // Already above: 0.
  EXPECT_EQ(filter.time_to_limit(35.0, 1.0).p95_s, 0.0);
}

}  // namespace
}  // namespace twin
