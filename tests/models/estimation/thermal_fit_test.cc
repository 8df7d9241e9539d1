// fit_thermal against the plant's thermal model: units drifted from nominal as the plant
// simulator drifts them (R +-10 %, ambient +-5 %), driven through a production load pattern,
// sampled at 1 Hz with noise sd 0.15 degC, dropouts and a stuck episode.
#include "models/estimation/thermal_fit.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/sim/rng.h"
#include "models/condition/thermal.h"
#include "models/estimation/thermal_filter.h"

namespace twin {
namespace {

constexpr double kRated = 28.0;  // [A] nominal rated current (condition::MotorParams)

double gaussian(Rng& rng) {
  const double u = rng.uniform01(), v = rng.uniform01();
  return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * M_PI * v);
}

double uniform(Rng& rng, double lo, double hi) {
  return lo + (hi - lo) * rng.uniform01();
}

// Busy cycles of 45-75 s at the cutting load, half of them followed by a starved gap (mean
// 20 s, standby current), one cycle in 40 replaced by a 5 min setup, one in 300 by a 10 min
// breakdown: the line model's pattern in the plant simulator's motor-load terms.
std::vector<LoadStep> load_pattern(Rng& rng, double horizon_s, double base_load) {
  const double busy = (11.0 + 17.0 * base_load) / kRated;
  const double setup = 4.0 / kRated, standby = 1.0 / kRated;
  std::vector<LoadStep> out;
  double t = 0.0;
  while (t < horizon_s) {
    const double u = rng.uniform01();
    if (u < 0.025) {
      out.push_back({t, setup});
      t += 300.0;
    } else if (u < 0.0283) {
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

struct Record {
  std::vector<TemperatureSample> samples;
  std::vector<LoadStep> load;
};

// horizon_s of 1 Hz samples of the unit `truth`, starting at start_C.
Record simulate(const condition::ThermalParams& truth, Rng& rng, double horizon_s, double start_C) {
  Record r;
  r.load = load_pattern(rng, horizon_s, 0.7 * (1.0 + 0.15 * uniform(rng, -1.0, 1.0)));
  condition::ThermalState state{start_C, 1.0};
  size_t step = 0;
  double now = 0.0;
  const double stuck_from = uniform(rng, 0.0, horizon_s - 100.0);
  float last = 0.0f;
  for (int64_t k = 0; static_cast<double>(k) < horizon_s; ++k) {
    const double t = static_cast<double>(k);
    while (now < t) {
      const double end = step + 1 < r.load.size() ? std::min(r.load[step + 1].t_s, t) : t;
      condition::advance(truth, state, r.load[step].load, end - now);
      now = end;
      if (step + 1 < r.load.size() && r.load[step + 1].t_s <= now) ++step;
    }
    if (rng.uniform01() < 6.0 / 3600.0) k += 6;  // a dropout
    float v = static_cast<float>(state.temperature_C + 0.15 * gaussian(rng));
    if (t >= stuck_from && t < stuck_from + 90.0) v = last;  // one stuck episode
    last = v;
    r.samples.push_back({t, v});
  }
  return r;
}

TEST(ThermalFit, RecoversDriftedParametersFromTwoHours) {
  Rng rng(505);
  const condition::ThermalParams nominal;
  double worst_r = 0.0, worst_loss = 0.0, worst_ambient = 0.0, worst_tau_z = 0.0;
  for (int unit = 0; unit < 6; ++unit) {
    condition::ThermalParams truth = nominal;
    truth.resistance_K_per_W *= 1.0 + 0.1 * uniform(rng, -1.0, 1.0);
    truth.ambient_C *= 1.0 + 0.05 * uniform(rng, -1.0, 1.0);
    // Half the units start cold (shift start), half warm from the previous shift.
    const double start = unit % 2 == 0 ? truth.ambient_C : truth.ambient_C + 15.0;
    const Record rec = simulate(truth, rng, 7200.0, start);
    const ThermalFit fit = fit_thermal(rec.samples, rec.load, nominal);
    ASSERT_EQ(fit.error, "") << "unit " << unit;
    const double r_err = fit.params.resistance_K_per_W / truth.resistance_K_per_W - 1.0;
    const double loss_err = fit.params.load_loss_W / truth.load_loss_W - 1.0;
    const double amb_err = fit.params.ambient_C - truth.ambient_C;
    const double tau_true = truth.resistance_K_per_W * truth.capacitance_J_per_K;
    const double tau_z = (fit.tau_s - tau_true) / fit.tau_sd_s;
    std::printf(
        "unit %d: R %+.2f %%, load loss %+.2f %%, ambient %+.3f degC, tau %.0f +- %.0f s (true "
        "%.0f), residual sd %.3f, %zu used, %zu dropped\n",
        unit, 100.0 * r_err, 100.0 * loss_err, amb_err, fit.tau_s, fit.tau_sd_s, tau_true,
        fit.residual_sd_C, fit.samples, fit.dropped);
    worst_r = std::max(worst_r, std::abs(r_err));
    worst_loss = std::max(worst_loss, std::abs(loss_err));
    worst_ambient = std::max(worst_ambient, std::abs(amb_err));
    worst_tau_z = std::max(worst_tau_z, std::abs(tau_z));
    EXPECT_NEAR(fit.residual_sd_C, 0.15, 0.01);
    EXPECT_GT(fit.dropped, 80u);  // the stuck episode's repeats (and outliers, if any)
  }
  EXPECT_LT(worst_r, 0.03);
  EXPECT_LT(worst_loss, 0.03);
  EXPECT_LT(worst_ambient, 0.3);
  // The stated standard error of tau is honest (4 sd covers all 6 units).
  EXPECT_LT(worst_tau_z, 4.0);
}

// Mean cooling-factor estimate of a ThermalFilter with `params` over the second half of `rec`.
double mean_cooling(const condition::ThermalParams& params, const Record& rec) {
  ThermalFilter filter(params);
  size_t step = 0;
  double sum = 0.0;
  int n = 0;
  const double half = 0.5 * rec.samples.back().t_s;
  for (const TemperatureSample& s : rec.samples) {
    while (step + 1 < rec.load.size() && rec.load[step + 1].t_s <= s.t_s) {
      filter.predict_to(rec.load[step + 1].t_s, rec.load[step].load);
      ++step;
    }
    filter.predict_to(s.t_s, rec.load[step].load);
    const ThermalUpdate u = filter.update(s.t_s, s.value_C);
    if (u.used && s.t_s >= half) {
      sum += u.cooling;
      ++n;
    }
  }
  return sum / n;
}

TEST(ThermalFit, FittedParametersPutTheFilterCoolingFactorOnTheUnitsScale) {
  // With nominal parameters the filter's g carries the unit's R drift (only g / R is
  // identifiable); with parameters fitted on a first healthy record it reads 1 on a second.
  Rng rng(707);
  const condition::ThermalParams nominal;
  double worst_nominal = 0.0, worst_fitted = 0.0;
  for (int unit = 0; unit < 4; ++unit) {
    condition::ThermalParams truth = nominal;
    truth.resistance_K_per_W *= unit % 2 == 0 ? 1.09 : 0.91;
    truth.ambient_C *= 1.0 + 0.05 * uniform(rng, -1.0, 1.0);
    const Record first = simulate(truth, rng, 7200.0, truth.ambient_C);
    const Record second = simulate(truth, rng, 7200.0, truth.ambient_C);
    const ThermalFit fit = fit_thermal(first.samples, first.load, nominal);
    ASSERT_EQ(fit.error, "");
    worst_nominal = std::max(worst_nominal, std::abs(mean_cooling(nominal, second) - 1.0));
    worst_fitted = std::max(worst_fitted, std::abs(mean_cooling(fit.params, second) - 1.0));
  }
  std::printf("filter g over a healthy hour: max |mean g - 1| %.3f nominal, %.3f fitted\n",
              worst_nominal, worst_fitted);
  EXPECT_GT(worst_nominal, 0.05);
  EXPECT_LT(worst_fitted, 0.02);
}

TEST(ThermalFit, RefusesDataThatCannotDetermineTheParameters) {
  Rng rng(606);
  const condition::ThermalParams nominal;
  const Record rec = simulate(nominal, rng, 7200.0, nominal.ambient_C);

  // A constant temperature (a disconnected probe reading the room), load varying.
  std::vector<TemperatureSample> flat = rec.samples;
  for (TemperatureSample& s : flat) s.value_C = static_cast<float>(22.0 + 0.15 * gaussian(rng));
  const ThermalFit f1 = fit_thermal(flat, rec.load, nominal);
  EXPECT_NE(f1.error.find("temperature barely varies"), std::string::npos) << f1.error;

  // Constant load.
  const std::vector<LoadStep> constant{{0.0, 0.8}};
  const ThermalFit f2 = fit_thermal(rec.samples, constant, nominal);
  EXPECT_NE(f2.error.find("no load variation"), std::string::npos) << f2.error;

  // Ten minutes only.
  const std::vector<TemperatureSample> head(rec.samples.begin(), rec.samples.begin() + 600);
  const ThermalFit f3 = fit_thermal(head, rec.load, nominal);
  EXPECT_NE(f3.error.find("too short"), std::string::npos) << f3.error;

  // The full record fits, so the refusals above are due to the data.
  EXPECT_EQ(fit_thermal(rec.samples, rec.load, nominal).error, "");
}

}  // namespace
}  // namespace twin
