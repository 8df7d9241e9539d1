#include "core/model/distribution.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numbers>
#include <numeric>
#include <utility>

#include "core/sim/rng.h"
#include "core/stats/summary.h"

namespace twin {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// Truncated draws resample; after this many rejections they switch to inverse-CDF sampling on
// the truncated interval (exact, just slower), so a draw always terminates.
constexpr int kMaxRejections = 1000;

// Standard normal density, CDF and upper tail; exact at +-infinity.
double phi(double x) {
  if (std::isinf(x)) return 0.0;
  return std::exp(-0.5 * x * x) / std::sqrt(2.0 * std::numbers::pi);
}
double Phi(double x) {
  return 0.5 * std::erfc(-x / std::numbers::sqrt2);
}
double Q(double x) {
  return 0.5 * std::erfc(x / std::numbers::sqrt2);
}

// P(alpha <= Z <= beta) for a standard normal Z, without cancellation in either tail.
double normal_mass(double alpha, double beta) {
  if (alpha > 0.0) return Q(alpha) - Q(beta);
  return Phi(beta) - Phi(alpha);
}

// Mean of a normal(mu, sigma) truncated to [lo, hi]:
// mu + sigma * (phi(alpha) - phi(beta)) / (Phi(beta) - Phi(alpha)).
double truncated_normal_mean(double mu, double sigma, double lo, double hi) {
  if (!(sigma > 0.0)) return std::clamp(mu, lo, hi);
  const double alpha = (lo - mu) / sigma;
  const double beta = (hi - mu) / sigma;
  const double z = normal_mass(alpha, beta);
  if (!(z > 0.0)) {
    // The interval lies so far in a tail that its mass underflows: the mean sits at the end
    // nearest to mu.
    return mu < lo ? lo : hi;
  }
  return mu + sigma * (phi(alpha) - phi(beta)) / z;
}

// Standard normal by the Marsaglia polar method; the second value is discarded so the only
// state is the generator.
double standard_normal(Rng& rng) {
  for (;;) {
    const double u = 2.0 * rng.uniform01() - 1.0;
    const double v = 2.0 * rng.uniform01() - 1.0;
    const double s = u * u + v * v;
    if (s < 1.0 && s > 0.0) return u * std::sqrt(-2.0 * std::log(s) / s);
  }
}

// Standard normal restricted to [alpha, beta] by inverse CDF, computed in the tail where the
// interval lies so that far tails keep their precision; clamped against rounding.
double standard_normal_inverse_truncated(double alpha, double beta, Rng& rng) {
  const double u = rng.uniform01();
  double z;
  if (alpha > 0.0) {
    // Upper tail: Q(z) uniform between Q(beta) and Q(alpha).
    const double qa = Q(alpha);
    const double qb = Q(beta);
    z = -normal_quantile(qa - u * (qa - qb));
  } else {
    const double pa = Phi(alpha);
    const double pb = Phi(beta);
    z = normal_quantile(pa + u * (pb - pa));
  }
  return std::clamp(z, alpha, beta);
}

// Normal(mu, sigma) truncated to [lo, hi] by resampling, with the inverse-CDF fallback.
double truncated_normal(double mu, double sigma, double lo, double hi, Rng& rng) {
  if (!(sigma > 0.0)) return std::clamp(mu, lo, hi);
  for (int i = 0; i < kMaxRejections; ++i) {
    const double x = mu + sigma * standard_normal(rng);
    if (x >= lo && x <= hi) return x;
  }
  const double alpha = (lo - mu) / sigma;
  const double beta = (hi - mu) / sigma;
  if (!(normal_mass(alpha, beta) > 0.0)) return mu < lo ? lo : hi;
  return std::clamp(mu + sigma * standard_normal_inverse_truncated(alpha, beta, rng), lo, hi);
}

double log_or_minus_inf(double x) {
  return x > 0.0 ? std::log(x) : -kInf;
}

double gamma_marsaglia_tsang(double k, Rng& rng) {
  // Marsaglia & Tsang (2000), for k >= 1.
  const double d = k - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    double x;
    double v;
    do {
      x = standard_normal(rng);
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = rng.uniform01();
    const double x2 = x * x;
    if (u < 1.0 - 0.0331 * x2 * x2) return d * v;
    if (std::log(u) < 0.5 * x2 + d * (1.0 - v + std::log(v))) return d * v;
  }
}

}  // namespace

Distribution make_constant(double value) {
  Distribution d;
  d.kind = DistKind::kConstant;
  d.a = value;
  d.mean = value;
  return d;
}

Distribution make_exponential(double mean) {
  Distribution d;
  d.kind = DistKind::kExponential;
  d.a = mean;
  d.mean = mean;
  return d;
}

Distribution make_normal(double mean, double stddev, double lo, double hi) {
  Distribution d;
  d.kind = DistKind::kNormal;
  d.a = mean;
  d.b = stddev;
  d.lo = lo;
  d.hi = hi;
  d.mean = truncated_normal_mean(mean, stddev, lo, hi);
  return d;
}

Distribution make_lognormal(double mean, double stddev, double lo, double hi) {
  Distribution d;
  d.kind = DistKind::kLogNormal;
  // Parameters of the underlying normal from the variable's mean m and stddev s:
  // sigma^2 = ln(1 + s^2/m^2), mu = ln m - sigma^2/2.
  const double sigma2 = std::log1p((stddev * stddev) / (mean * mean));
  const double mu = std::log(mean) - 0.5 * sigma2;
  const double sigma = std::sqrt(sigma2);
  d.a = mu;
  d.b = sigma;
  d.lo = lo;
  d.hi = hi;
  if (!(sigma > 0.0)) {
    d.mean = std::clamp(mean, lo, hi);
    return d;
  }
  // E[X | lo <= X <= hi] = exp(mu + sigma^2/2) * P(a - sigma <= Z <= b - sigma) / P(a <= Z <= b)
  // with a = (ln lo - mu)/sigma, b = (ln hi - mu)/sigma.
  const double alpha = (log_or_minus_inf(lo) - mu) / sigma;
  const double beta = (log_or_minus_inf(hi) - mu) / sigma;
  const double z = normal_mass(alpha, beta);
  if (!(z > 0.0)) {
    d.mean = mu < log_or_minus_inf(lo) ? lo : hi;
    return d;
  }
  d.mean = std::exp(mu + 0.5 * sigma2) * normal_mass(alpha - sigma, beta - sigma) / z;
  return d;
}

Distribution make_uniform(double min, double max) {
  Distribution d;
  d.kind = DistKind::kUniform;
  d.a = min;
  d.b = max;
  d.mean = 0.5 * (min + max);
  return d;
}

Distribution make_triangular(double min, double mode, double max) {
  Distribution d;
  d.kind = DistKind::kTriangular;
  d.a = min;
  d.b = mode;
  d.c = max;
  d.mean = (min + mode + max) / 3.0;
  return d;
}

// Discrete (interpolate = false): value i with probability weight_i / sum(weights), uniform
// when weights are absent (or do not match the values); cdf[i] is the cumulative probability.
// Interpolated: the values are sorted and define a piecewise-linear CDF rising from 0 at the
// smallest to 1 at the largest, each gap between consecutive observations holding probability
// 1/(n-1); weights are ignored (the scene forbids them with interpolate).
Distribution make_empirical(std::vector<double> values, std::vector<double> weights,
                            bool interpolate) {
  Distribution d;
  d.kind = DistKind::kEmpirical;
  d.interpolate = interpolate;
  const size_t n = values.size();
  d.cdf.resize(n);
  if (n == 0) return d;
  if (interpolate) {
    std::sort(values.begin(), values.end());
    if (n == 1) {
      d.cdf[0] = 1.0;
      d.mean = values[0];
    } else {
      const double gaps = static_cast<double>(n - 1);
      double sum = 0.0;
      for (size_t i = 0; i < n; ++i) d.cdf[i] = static_cast<double>(i) / gaps;
      for (size_t i = 0; i + 1 < n; ++i) sum += 0.5 * (values[i] + values[i + 1]);
      d.mean = sum / gaps;
    }
  } else {
    if (weights.size() != n) weights.assign(n, 1.0);
    const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
    double cum = 0.0;
    double weighted = 0.0;
    for (size_t i = 0; i < n; ++i) {
      cum += weights[i];
      weighted += weights[i] * values[i];
      d.cdf[i] = cum / total;
    }
    d.cdf[n - 1] = 1.0;
    d.mean = weighted / total;
  }
  d.values = std::move(values);
  return d;
}

Distribution make_weibull(double shape, double scale, double location) {
  Distribution d;
  d.kind = DistKind::kWeibull;
  d.a = shape;
  d.b = scale;
  d.c = location;
  d.mean = location + scale * std::tgamma(1.0 + 1.0 / shape);
  return d;
}

Distribution make_gamma(double shape, double scale) {
  Distribution d;
  d.kind = DistKind::kGamma;
  d.a = shape;
  d.b = scale;
  d.mean = shape * scale;
  return d;
}

double sample(const Distribution& d, Rng& rng) {
  switch (d.kind) {
    case DistKind::kConstant:
      return d.a;
    case DistKind::kExponential:
      return -d.a * std::log(rng.uniform01());
    case DistKind::kNormal:
      return truncated_normal(d.a, d.b, d.lo, d.hi, rng);
    case DistKind::kLogNormal: {
      if (!(d.b > 0.0)) return std::clamp(std::exp(d.a), d.lo, d.hi);
      for (int i = 0; i < kMaxRejections; ++i) {
        const double x = std::exp(d.a + d.b * standard_normal(rng));
        if (x >= d.lo && x <= d.hi) return x;
      }
      // Fallback: inverse CDF of the log on [ln lo, ln hi].
      const double y =
          truncated_normal(d.a, d.b, log_or_minus_inf(d.lo), log_or_minus_inf(d.hi), rng);
      return std::clamp(std::exp(y), d.lo, d.hi);
    }
    case DistKind::kUniform:
      return d.a + (d.b - d.a) * rng.uniform01();
    case DistKind::kTriangular: {
      // Inversion: F(x) = (x-a)^2 / ((c-a)(b-a)) below the mode b, 1 - (c-x)^2/((c-a)(c-b)) above.
      const double range = d.c - d.a;
      if (!(range > 0.0)) return d.a;
      const double u = rng.uniform01();
      const double left = d.b - d.a;
      if (u * range < left) return d.a + std::sqrt(u * range * left);
      return d.c - std::sqrt((1.0 - u) * range * (d.c - d.b));
    }
    case DistKind::kEmpirical: {
      const size_t n = d.values.size();
      if (n == 0) return 0.0;
      if (n == 1) return d.values[0];
      const double u = rng.uniform01();
      if (!d.interpolate) {
        // First value whose cumulative probability reaches u (zero-weight values never win).
        const auto it = std::lower_bound(d.cdf.begin(), d.cdf.end(), u);
        const size_t i = std::min(static_cast<size_t>(it - d.cdf.begin()), n - 1);
        return d.values[i];
      }
      // Segment i with cdf[i] <= u < cdf[i+1], then linear inside it.
      const auto it = std::upper_bound(d.cdf.begin(), d.cdf.end(), u);
      size_t i = static_cast<size_t>(it - d.cdf.begin());
      i = std::clamp<size_t>(i, 1, n - 1) - 1;
      const double width = d.cdf[i + 1] - d.cdf[i];
      if (!(width > 0.0)) return d.values[i + 1];
      const double frac = std::clamp((u - d.cdf[i]) / width, 0.0, 1.0);
      return d.values[i] + frac * (d.values[i + 1] - d.values[i]);
    }
    case DistKind::kWeibull:
      // Inversion: location + lambda * (-ln U)^(1/k).
      return d.c + d.b * std::pow(-std::log(rng.uniform01()), 1.0 / d.a);
    case DistKind::kGamma: {
      if (d.a >= 1.0) return d.b * gamma_marsaglia_tsang(d.a, rng);
      // Shape below 1: Gamma(k) = Gamma(k + 1) * U^(1/k).
      const double g = gamma_marsaglia_tsang(d.a + 1.0, rng);
      return d.b * g * std::pow(rng.uniform01(), 1.0 / d.a);
    }
  }
  return 0.0;
}

}  // namespace twin
