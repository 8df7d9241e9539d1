#include "core/stats/conformal.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/sim/rng.h"
#include "core/stats/summary.h"

namespace twin {
namespace {

// A model that believes the outcome is scale x N(0, 1) and gives its 90 % interval; the truth is
// skewed and wider (scale x (2 z + 0.5 (z^2 - 1)), z standard normal), so the model's
// own interval is wrong on both sides.
struct WrongModel {
  Rng rng;
  ConformalSample draw(double scale) {
    const double z = normal_quantile(rng.uniform01());
    const double half = 1.6448536269514722 * scale;
    return {-half, half, scale * (2.0 * z + 0.5 * (z * z - 1.0)), scale};
  }
};

bool covers(const ConformalMargins& m, const ConformalSample& s) {
  const ConformalInterval r = apply_conformal(m, s.lo, s.hi, s.scale);
  return s.actual >= r.lo && s.actual <= r.hi;
}

TEST(ConformalTest, FewestSamplesFollowTheRank) {
  // k = ceil((n + 1)(1 - alpha / 2)) <= n: n >= 2 / alpha - 1.
  EXPECT_EQ(conformal_min_samples(0.1), 19u);
  EXPECT_EQ(conformal_min_samples(0.2), 9u);
  EXPECT_EQ(conformal_min_samples(0.5), 3u);
  EXPECT_EQ(conformal_min_samples(0.0), 0u);
}

TEST(ConformalTest, MarginIsTheKthSmallestScorePerSide) {
  // 19 samples at alpha 0.1: k = 19, the largest score of each side.
  std::vector<ConformalSample> s;
  for (int i = 0; i < 19; ++i) s.push_back({10.0, 20.0, 15.0, 2.0});
  s[3].actual = 4.0;   // 6 below lo: score 3 per unit scale
  s[7].actual = 21.0;  // 1 above hi: 0.5
  ConformalMargins m;
  std::string error;
  ASSERT_TRUE(fit_conformal(s, 0.1, m, error)) << error;
  EXPECT_DOUBLE_EQ(m.below, 3.0);
  EXPECT_DOUBLE_EQ(m.above, 0.5);
  EXPECT_EQ(m.samples, 19u);
  EXPECT_EQ(m.misses_below, 1u);
  EXPECT_EQ(m.misses_above, 1u);
  const ConformalInterval r = apply_conformal(m, 100.0, 110.0, 4.0);
  EXPECT_DOUBLE_EQ(r.lo, 88.0);
  EXPECT_DOUBLE_EQ(r.hi, 112.0);
}

// The split conformal guarantee (Romano et al. 2019, Theorem 1; Vovk et al.): with continuous
// scores each side holds with probability exactly k / (n + 1), so the widened interval's
// expected coverage is 1 - 2 (1 - k / (n + 1)): 0.9 for n = 39 at alpha 0.1, whatever the model.
TEST(ConformalTest, ExpectedCoverageIsExactForExchangeableSamples) {
  WrongModel model{Rng(hash_name("conformal coverage"))};
  const int trials = 400, n = 39, tests = 500;
  double covered = 0.0, raw = 0.0;
  for (int t = 0; t < trials; ++t) {
    std::vector<ConformalSample> past;
    for (int i = 0; i < n; ++i) past.push_back(model.draw(1.0));
    ConformalMargins m;
    std::string error;
    ASSERT_TRUE(fit_conformal(past, 0.1, m, error)) << error;
    for (int i = 0; i < tests; ++i) {
      const ConformalSample s = model.draw(1.0);
      covered += covers(m, s) ? 1.0 : 0.0;
      raw += s.actual >= s.lo && s.actual <= s.hi ? 1.0 : 0.0;
    }
  }
  const double coverage = covered / (trials * tests);
  const double model_coverage = raw / (trials * tests);
  // Standard error of the mean over trials about 0.0025.
  EXPECT_NEAR(coverage, 0.9, 0.01);
  EXPECT_LT(model_coverage, 0.88) << "the model must be wrong for the test to mean something";
}

// Errors that grow with the scale (hours left): scaled scores hold at small and at large scales
// alike; the same samples with the scale ignored over-cover the small and under-cover the large.
TEST(ConformalTest, ScaledScoresHoldAtEveryScale) {
  WrongModel model{Rng(hash_name("conformal scale"))};
  const int trials = 200, n = 60, tests = 200;
  double scaled[2] = {0, 0}, unscaled[2] = {0, 0};
  for (int t = 0; t < trials; ++t) {
    std::vector<ConformalSample> past, flat;
    for (int i = 0; i < n; ++i) {
      past.push_back(model.draw(i % 2 == 0 ? 0.5 : 4.0));
      flat.push_back(past.back());
      flat.back().scale = 1.0;
    }
    ConformalMargins ms, mf;
    std::string error;
    ASSERT_TRUE(fit_conformal(past, 0.1, ms, error)) << error;
    ASSERT_TRUE(fit_conformal(flat, 0.1, mf, error)) << error;
    for (int i = 0; i < tests; ++i) {
      const int g = i % 2;
      const ConformalSample s = model.draw(g == 0 ? 0.5 : 4.0);
      ConformalSample f = s;
      f.scale = 1.0;
      scaled[g] += covers(ms, s) ? 1.0 : 0.0;
      unscaled[g] += covers(mf, f) ? 1.0 : 0.0;
    }
  }
  const double per_group = trials * tests / 2.0;
  EXPECT_NEAR(scaled[0] / per_group, 0.9, 0.02);
  EXPECT_NEAR(scaled[1] / per_group, 0.9, 0.02);
  EXPECT_GT(unscaled[0] / per_group, 0.97);
  EXPECT_LT(unscaled[1] / per_group, 0.85);
}

TEST(ConformalTest, CautiousModelGetsNarrowerInterval) {
  std::vector<ConformalSample> s;
  for (int i = 0; i < 30; ++i) s.push_back({0.0, 100.0, 40.0 + i, 1.0});  // 40..69
  ConformalMargins m;
  std::string error;
  ASSERT_TRUE(fit_conformal(s, 0.1, m, error)) << error;
  EXPECT_LT(m.below, 0.0);
  EXPECT_LT(m.above, 0.0);
  const ConformalInterval r = apply_conformal(m, 0.0, 100.0, 1.0);
  EXPECT_GT(r.lo, 30.0);
  EXPECT_LT(r.hi, 80.0);
  // Margins that would cross the ends collapse to their midpoint, never invert.
  const ConformalMargins crossing{0.1, 20, 0, 0, -0.8, -0.6};
  const ConformalInterval c = apply_conformal(crossing, 0.0, 100.0, 100.0);
  EXPECT_DOUBLE_EQ(c.lo, c.hi);
  EXPECT_DOUBLE_EQ(c.lo, 60.0);  // ends 80 and 40
}

TEST(ConformalTest, BadInputIsRejectedWithAReason) {
  std::vector<ConformalSample> s(19, ConformalSample{0.0, 1.0, 0.5, 1.0});
  ConformalMargins m;
  std::string error;
  EXPECT_FALSE(fit_conformal(std::vector<ConformalSample>(18, s[0]), 0.1, m, error));
  EXPECT_NE(error.find("at least 19"), std::string::npos) << error;
  EXPECT_FALSE(fit_conformal(s, 0.0, m, error));
  EXPECT_FALSE(fit_conformal(s, 1.0, m, error));
  s[5].scale = 0.0;
  EXPECT_FALSE(fit_conformal(s, 0.1, m, error));
  EXPECT_NE(error.find("prediction 5"), std::string::npos) << error;
  s[5].scale = 1.0;
  s[6].actual = std::numeric_limits<double>::quiet_NaN();
  EXPECT_FALSE(fit_conformal(s, 0.1, m, error));
  EXPECT_TRUE(m.empty()) << "nothing is written on failure";
  // Uncalibrated margins leave an interval as it is.
  const ConformalInterval r = apply_conformal(ConformalMargins{}, 3.0, 5.0, 2.0);
  EXPECT_DOUBLE_EQ(r.lo, 3.0);
  EXPECT_DOUBLE_EQ(r.hi, 5.0);
}

}  // namespace
}  // namespace twin
