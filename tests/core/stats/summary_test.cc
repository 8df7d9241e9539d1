#include "core/stats/summary.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <vector>

#include "core/model/distribution.h"
#include "core/sim/rng.h"

namespace twin {
namespace {

void expect_rel(double got, double expected, double rel) {
  EXPECT_NEAR(got, expected, rel * std::fabs(expected)) << "expected " << expected;
}

TEST(SummaryTest, NormalQuantileTableValues) {
  expect_rel(normal_quantile(0.975), 1.959963984540054, 1e-12);
  expect_rel(normal_quantile(0.025), -1.959963984540054, 1e-12);
  expect_rel(normal_quantile(0.95), 1.6448536269514722, 1e-12);
  expect_rel(normal_quantile(0.995), 2.5758293035489004, 1e-12);
  expect_rel(normal_quantile(0.8413447460685429), 1.0, 1e-12);  // Phi(1)
  expect_rel(normal_quantile(1e-10), -6.361340902404056, 1e-10);
  EXPECT_EQ(normal_quantile(0.5), 0.0);
}

TEST(SummaryTest, NormalQuantileInvertsPhi) {
  // Lower half, where Phi(x) = erfc(-x / sqrt 2) / 2 is accurate to a few ulps even deep in
  // the tail (down to p ~ 1e-300).
  for (double x = -37.0; x <= 0.0; x += 0.25) {
    const double p = 0.5 * std::erfc(-x / std::sqrt(2.0));
    EXPECT_NEAR(normal_quantile(p), x, 1e-12 * std::max(1.0, std::fabs(x))) << x;
  }
  // Upper half by exact symmetry: 1 - p is exact for p in [0.5, 1).
  for (const double p : {0.5, 0.6, 0.975, 0.999, 1.0 - 1e-12}) {
    EXPECT_EQ(normal_quantile(p), -normal_quantile(1.0 - p)) << p;
  }
}

TEST(SummaryTest, StudentTTableValues) {
  // Standard two-sided 95% table values t_{0.975, df}.
  expect_rel(student_t_quantile(0.975, 1), 12.7062047, 1e-6);
  expect_rel(student_t_quantile(0.975, 2), 4.30265273, 1e-6);
  expect_rel(student_t_quantile(0.975, 3), 3.18244631, 1e-6);
  expect_rel(student_t_quantile(0.975, 4), 2.77644511, 1e-6);
  expect_rel(student_t_quantile(0.975, 5), 2.57058184, 1e-6);
  expect_rel(student_t_quantile(0.975, 7), 2.36462425, 1e-6);
  expect_rel(student_t_quantile(0.975, 9), 2.26215716, 1e-6);
  expect_rel(student_t_quantile(0.975, 29), 2.04522964, 1e-6);
  expect_rel(student_t_quantile(0.975, 100), 1.98397152, 1e-6);
  // Other levels.
  expect_rel(student_t_quantile(0.95, 10), 1.81246112, 1e-6);
  expect_rel(student_t_quantile(0.99, 3), 4.54070286, 1e-6);
  expect_rel(student_t_quantile(0.995, 5), 4.03214298, 1e-6);
  expect_rel(student_t_quantile(0.995, 1), 63.6567412, 1e-6);
  expect_rel(student_t_quantile(0.95, 1), 6.31375151, 1e-6);
  expect_rel(student_t_quantile(0.95, 2), 2.91998558, 1e-6);
}

TEST(SummaryTest, StudentTSymmetryAndLimits) {
  for (const double df : {1.0, 2.0, 3.0, 4.5, 10.0, 50.0}) {
    EXPECT_EQ(student_t_quantile(0.5, df), 0.0);
    for (const double p : {0.6, 0.9, 0.975, 0.999}) {
      EXPECT_NEAR(student_t_quantile(1.0 - p, df), -student_t_quantile(p, df),
                  1e-12 * student_t_quantile(p, df));
    }
  }
  // Decreasing in df towards the normal quantile.
  double prev = std::numeric_limits<double>::infinity();
  for (const double df : {1.0, 1.5, 2.0, 2.5, 3.0, 5.0, 10.0, 30.0, 1000.0, 1e6}) {
    const double t = student_t_quantile(0.975, df);
    EXPECT_LT(t, prev) << df;
    EXPECT_GT(t, normal_quantile(0.975)) << df;
    prev = t;
  }
  expect_rel(student_t_quantile(0.975, 1e6), normal_quantile(0.975), 1e-5);
  expect_rel(student_t_quantile(0.975, std::numeric_limits<double>::infinity()),
             normal_quantile(0.975), 1e-14);
}

TEST(SummaryTest, StudentTInvertsClosedFormCdf) {
  // For df = 3 the CDF has a closed form: 1/2 + (t / (sqrt3 (1 + t^2/3)) + atan(t / sqrt3)) / pi.
  const auto cdf3 = [](double t) {
    const double r3 = std::sqrt(3.0);
    return 0.5 + (t / (r3 * (1.0 + t * t / 3.0)) + std::atan(t / r3)) / std::numbers::pi;
  };
  for (const double p : {1e-4, 0.01, 0.1, 0.3, 0.45, 0.55, 0.7, 0.9, 0.975, 0.999}) {
    EXPECT_NEAR(cdf3(student_t_quantile(p, 3.0)), p, 1e-13) << p;
  }
}

TEST(SummaryTest, StudentTLargeDfIsContinuous) {
  // Large df switches from Newton on the incomplete beta to a Cornish-Fisher series at 1e5.
  for (const double p : {0.9, 0.975, 0.9999}) {
    const double below = student_t_quantile(p, 1e5);
    const double above = student_t_quantile(p, 1e5 * (1.0 + 1e-9));
    EXPECT_NEAR(below, above, 1e-12 * below) << p;
  }
  // t_{0.975, df} = z + (z^3 + z) / (4 df) + O(1/df^2).
  const double z = normal_quantile(0.975);
  expect_rel(student_t_quantile(0.975, 1e9), z + (z * z * z + z) / 4e9, 1e-14);
}

TEST(SummaryTest, SummarizeKnownSample) {
  const std::vector<double> v = {2, 4, 4, 4, 5, 5, 7, 9};
  const Interval r = summarize(v);
  EXPECT_EQ(r.n, 8u);
  EXPECT_DOUBLE_EQ(r.mean, 5.0);
  const double s = std::sqrt(32.0 / 7.0);
  EXPECT_NEAR(r.stddev, s, 1e-14);
  EXPECT_NEAR(r.half_width, 2.36462425 * s / std::sqrt(8.0), 1e-7);
  EXPECT_NEAR(r.lo(), 5.0 - r.half_width, 1e-15);
  EXPECT_TRUE(r.excludes_zero());
  // 90% interval uses t_{0.95, 7} = 1.89457861.
  EXPECT_NEAR(summarize(v, 0.90).half_width, 1.89457861 * s / std::sqrt(8.0), 1e-7);
}

TEST(SummaryTest, SummarizeSmallSamples) {
  const Interval empty = summarize({});
  EXPECT_EQ(empty.n, 0u);
  EXPECT_EQ(empty.half_width, 0.0);
  EXPECT_FALSE(empty.excludes_zero());
  const std::vector<double> one = {3.5};
  const Interval r = summarize(one);
  EXPECT_EQ(r.n, 1u);
  EXPECT_EQ(r.mean, 3.5);
  EXPECT_EQ(r.half_width, 0.0);
  EXPECT_EQ(r.stddev, 0.0);
  EXPECT_FALSE(r.excludes_zero());
  // Paired differences straddling zero.
  const std::vector<double> d = {-1.0, 1.0, 0.5, -0.5};
  EXPECT_FALSE(summarize(d).excludes_zero());
}

TEST(SummaryTest, SummarizeLargeOffsetIsAccurate) {
  const std::vector<double> v = {1e9 + 1, 1e9 + 2, 1e9 + 3};
  const Interval r = summarize(v);
  EXPECT_DOUBLE_EQ(r.mean, 1e9 + 2);
  EXPECT_NEAR(r.stddev, 1.0, 1e-9);
}

TEST(SummaryTest, ConfidenceIntervalCoverage) {
  // 2000 samples of size 10 from normal(50, 8): the 95% interval should cover 50 in 95% of
  // them; the binomial SE of the coverage is sqrt(.95 * .05 / 2000) = 0.49%, so [93.5%, 96.5%]
  // is about +-3 SE. The seed is fixed, so the outcome is deterministic.
  const double inf = std::numeric_limits<double>::infinity();
  const Distribution d = make_normal(50.0, 8.0, -inf, inf);
  Rng rng(Rng::stream_seed(2024, 0, hash_name("summary_test"), hash_name("coverage")));
  int covered = 0;
  constexpr int kRuns = 2000;
  std::vector<double> values(10);
  for (int run = 0; run < kRuns; ++run) {
    for (double& v : values) v = sample(d, rng);
    const Interval r = summarize(values);
    covered += r.lo() <= 50.0 && 50.0 <= r.hi();
  }
  const double coverage = static_cast<double>(covered) / kRuns;
  EXPECT_GE(coverage, 0.935);
  EXPECT_LE(coverage, 0.965);
}

}  // namespace
}  // namespace twin
