#include "models/estimation/local_level.h"

#include <cmath>
#include <cstdint>
#include <random>

#include <gtest/gtest.h>

namespace twin {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

// A slow sine (period 20 min, amplitude 5) seen through Gaussian noise of sd 0.5, at 1 Hz.
double truth_at(int64_t t_ns) {
  return 50.0 + 5.0 * std::sin(2.0 * M_PI * static_cast<double>(t_ns) / (1200.0 * kSecond));
}

TEST(LocalLevelFilter, EstimateIsCloserToTheTruthThanTheMeasurements) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> noise(0.0, 0.5);
  LocalLevelFilter filter;
  double measurement_se = 0.0, estimate_se = 0.0;
  int within_2sd = 0, n = 0;
  for (int64_t k = 0; k < 7200; ++k) {
    const int64_t t = k * kSecond;
    const double z = truth_at(t) + noise(rng);
    const LocalLevelUpdate u = filter.update(t, z);
    if (k < 300) continue;  // let the noise estimate settle
    measurement_se += (z - truth_at(t)) * (z - truth_at(t));
    estimate_se += (u.estimate - truth_at(t)) * (u.estimate - truth_at(t));
    within_2sd += std::abs(u.estimate - truth_at(t)) < 2.0 * u.sd ? 1 : 0;
    ++n;
  }
  const double measurement_rmse = std::sqrt(measurement_se / n);
  const double estimate_rmse = std::sqrt(estimate_se / n);
  EXPECT_NEAR(measurement_rmse, 0.5, 0.02);
  EXPECT_LT(estimate_rmse, 0.6 * measurement_rmse);
  // The stated uncertainty is honest: about 95% of the errors inside two standard deviations.
  const double coverage = static_cast<double>(within_2sd) / n;
  EXPECT_GT(coverage, 0.85);
  EXPECT_LT(coverage, 0.995);
  // The learned sensor noise is the true one within 10%.
  EXPECT_NEAR(filter.noise_sd(), 0.5, 0.05);
}

TEST(LocalLevelFilter, UncertaintyGrowsOverAGapAndShrinksWithData) {
  std::mt19937_64 rng(11);
  std::normal_distribution<double> noise(0.0, 1.0);
  LocalLevelFilter filter;
  for (int64_t k = 0; k < 600; ++k) filter.update(k * kSecond, 20.0 + noise(rng));
  const int64_t last = 599 * kSecond;
  const double sd_now = filter.predicted_sd(last);
  const double sd_after_gap = filter.predicted_sd(last + 300 * kSecond);
  // Random-walk drift: the variance grows linearly with the gap (q * 300 s on top).
  EXPECT_GT(sd_after_gap, 2.0 * sd_now);
  EXPECT_NEAR(sd_after_gap * sd_after_gap - sd_now * sd_now, filter.drift_variance() * 300.0, 1e-9);
  const LocalLevelUpdate u = filter.update(last + 300 * kSecond, 20.0);
  EXPECT_LT(u.sd, sd_after_gap);
  EXPECT_NEAR(filter.estimate(), 20.0, 0.5);
}

TEST(LocalLevelFilter, AStepShowsAsLargeResidualsThenIsFollowed) {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> noise(0.0, 0.1);
  LocalLevelFilter filter;
  for (int64_t k = 0; k < 600; ++k) {
    const LocalLevelUpdate u = filter.update(k * kSecond, 5.0 + noise(rng));
    if (k > 100) {
      EXPECT_LT(std::abs(u.residual_z), 5.5) << "at " << k;
    }
  }
  const LocalLevelUpdate jump = filter.update(600 * kSecond, 8.0);
  EXPECT_GT(jump.residual_z, 10.0);
  EXPECT_NEAR(jump.residual, 3.0, 0.1);
  LocalLevelUpdate later;
  for (int64_t k = 601; k < 900; ++k) later = filter.update(k * kSecond, 8.0 + noise(rng));
  EXPECT_NEAR(later.estimate, 8.0, 0.15);
}

TEST(LocalLevelFilter, IgnoresNonFiniteAndOlderValuesAndRestartsAfterALongGap) {
  LocalLevelFilter filter;
  filter.update(10 * kSecond, 1.0);
  filter.update(11 * kSecond, 1.2);
  const double level = filter.estimate();
  filter.update(12 * kSecond, std::nan(""));
  EXPECT_EQ(filter.estimate(), level);
  filter.update(5 * kSecond, 100.0);  // older than the last value
  EXPECT_EQ(filter.estimate(), level);
  const LocalLevelUpdate restarted = filter.update(10'000 * kSecond, 42.0);  // gap > 1 h
  EXPECT_EQ(restarted.estimate, 42.0);
  EXPECT_EQ(restarted.residual, 0.0);
}

}  // namespace
}  // namespace twin
