#include "core/stats/summary.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

namespace twin {

double quantile(std::vector<double> values, double p) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const double pos = p * static_cast<double>(values.size() - 1);
  const size_t i = static_cast<size_t>(std::floor(pos));
  const size_t j = std::min(i + 1, values.size() - 1);
  return values[i] + (pos - static_cast<double>(i)) * (values[j] - values[i]);
}

namespace {

constexpr double kPi = std::numbers::pi;

// Acklam's rational approximation of the standard normal quantile for p in (0, 0.5]
// (relative error < 1.15e-9), followed by one Halley step on Phi(x) - p, which brings it to
// about machine precision. Phi is computed with erfc, accurate in the lower tail used here.
double normal_quantile_lower(double p) {
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                 -2.759285104469687e+02, 1.383577518672690e+02,
                                 -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                 -1.556989798598866e+02, 6.680131188771972e+01,
                                 -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                 -2.400758277161838e+00, -2.549732539343734e+00,
                                 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                 2.445134137142996e+00, 3.754408661907416e+00};
  constexpr double kLow = 0.02425;
  double x;
  if (p < kLow) {
    const double q = std::sqrt(-2.0 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
  } else {
    const double q = p - 0.5;
    const double r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
  }
  // Halley refinement.
  const double e = 0.5 * std::erfc(-x / std::numbers::sqrt2) - p;
  const double u = e * std::sqrt(2.0 * kPi) * std::exp(0.5 * x * x);
  return x - u / (1.0 + 0.5 * x * u);
}

// Continued fraction of the regularized incomplete beta I_x(a, b) (modified Lentz); converges
// fast for x < (a + 1) / (a + b + 2), the caller uses I_x(a, b) = 1 - I_{1-x}(b, a) otherwise.
double betacf(double a, double b, double x) {
  constexpr double kTiny = 1e-300;
  constexpr double kEps = 1e-16;
  const double qab = a + b;
  const double qap = a + 1.0;
  const double qam = a - 1.0;
  double c = 1.0;
  double d = 1.0 - qab * x / qap;
  if (std::fabs(d) < kTiny) d = kTiny;
  d = 1.0 / d;
  double h = d;
  for (int m = 1; m <= 100000; ++m) {
    const double dm = m;
    const double m2 = 2.0 * dm;
    double aa = dm * (b - dm) * x / ((qam + m2) * (a + m2));
    d = 1.0 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    h *= d * c;
    aa = -(a + dm) * (qab + dm) * x / ((a + m2) * (qap + m2));
    d = 1.0 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    const double del = d * c;
    h *= del;
    if (std::fabs(del - 1.0) < kEps) break;
  }
  return h;
}

// ln Gamma(a + b) - ln Gamma(a) for a >= b > 0. For large a the two lgamma values are huge
// and nearly equal, so their difference is taken from Stirling's series instead
// (ln Gamma(x) = (x - 1/2) ln x - x + ln(2 pi)/2 + 1/(12x) - 1/(360x^3) + 1/(1260x^5) - ...,
// truncation error < 1e-16 for a >= 50).
double log_gamma_ratio(double a, double b) {
  if (a < 50.0) return std::lgamma(a + b) - std::lgamma(a);
  const auto corr = [](double x) {
    const double r = 1.0 / (x * x);
    return (1.0 / 12.0 - r * (1.0 / 360.0 - r * (1.0 / 1260.0 - r / 1680.0))) / x;
  };
  return (a - 0.5) * std::log1p(b / a) + b * std::log(a + b) - b + (corr(a + b) - corr(a));
}

// ln B(a, b) without cancellation when one argument is large.
double log_beta(double a, double b) {
  const double big = std::max(a, b);
  const double small = std::min(a, b);
  return std::lgamma(small) - log_gamma_ratio(big, small);
}

// I_x(a, b), given ln x and ln(1 - x) computed accurately by the caller.
double incomplete_beta(double a, double b, double x, double log_x, double log_1mx) {
  if (x <= 0.0) return 0.0;
  if (x >= 1.0) return 1.0;
  const double front = std::exp(a * log_x + b * log_1mx - log_beta(a, b));
  if (x < (a + 1.0) / (a + b + 2.0)) return front * betacf(a, b, x) / a;
  return 1.0 - front * betacf(b, a, 1.0 - x) / b;
}

// Upper tail P(T > t) of Student's t for t >= 0: I_x(df/2, 1/2) / 2 with x = df / (df + t^2).
double t_upper_tail(double t, double df) {
  const double t2 = t * t;
  const double x = df / (df + t2);
  const double y = t2 / (df + t2);  // 1 - x
  const double log_x = -std::log1p(t2 / df);
  const double log_y = std::log(t2) - std::log(df + t2);
  if (x > 0.5) {
    // Near the centre: the complement I_y(1/2, df/2) keeps the precision.
    return 0.5 * (1.0 - incomplete_beta(0.5, 0.5 * df, y, log_y, log_x));
  }
  return 0.5 * incomplete_beta(0.5 * df, 0.5, x, log_x, log_y);
}

double t_density(double t, double df) {
  const double log_norm = log_gamma_ratio(0.5 * df, 0.5) - 0.5 * std::log(df * kPi);
  return std::exp(log_norm - 0.5 * (df + 1.0) * std::log1p(t * t / df));
}

// Hill (1970), ACM Algorithm 396: t quantile from the two-tailed probability p2 (df > 2 here).
// Accurate to a few significant digits; refined by Newton steps below.
double hill_t(double p2, double n) {
  const double a = 1.0 / (n - 0.5);
  const double b = 48.0 / (a * a);
  double c = ((20700.0 * a / b - 98.0) * a - 16.0) * a + 96.36;
  const double d = ((94.5 / (b + c) - 3.0) / b + 1.0) * std::sqrt(a * kPi / 2.0) * n;
  double x = d * p2;
  double y = std::pow(x, 2.0 / n);
  if (y > 0.05 + a) {
    x = normal_quantile_lower(0.5 * p2);
    y = x * x;
    if (n < 5.0) c += 0.3 * (n - 4.5) * (x + 0.6);
    c = (((0.05 * d * x - 5.0) * x - 7.0) * x - 2.0) * x + b + c;
    y = (((((0.4 * y + 6.3) * y + 36.0) * y + 94.5) / c - y - 3.0) / b + 1.0) * x;
    y = std::expm1(a * y * y);
  } else {
    y = ((1.0 / (((n + 6.0) / (n * y) - 0.089 * d - 0.822) * (n + 2.0) * 3.0) + 0.5 / (n + 4.0)) *
             y -
         1.0) *
            (n + 1.0) / (n + 2.0) +
        1.0 / y;
  }
  return std::sqrt(n * y);
}

}  // namespace

double normal_quantile(double p) {
  if (!(p > 0.0)) return -std::numeric_limits<double>::infinity();
  if (!(p < 1.0)) return std::numeric_limits<double>::infinity();
  // 1 - p is exact for p >= 0.5, so the upper half is as accurate as the lower one.
  if (p > 0.5) return -normal_quantile_lower(1.0 - p);
  return normal_quantile_lower(p);
}

double student_t_quantile(double p, double df) {
  if (!(p > 0.0)) return -std::numeric_limits<double>::infinity();
  if (!(p < 1.0)) return std::numeric_limits<double>::infinity();
  if (p == 0.5) return 0.0;
  // Work with the smaller tail q (exact: 1 - p for p >= 0.5) and restore the sign at the end.
  const double sign = p > 0.5 ? 1.0 : -1.0;
  const double q = p > 0.5 ? 1.0 - p : p;
  if (df == 1.0) return sign * std::tan(kPi * (0.5 - q));  // Cauchy
  if (df == 2.0) return sign * (1.0 - 2.0 * q) / std::sqrt(2.0 * q * (1.0 - q));
  if (df > 1e5) {
    // Cornish-Fisher expansion in 1/df around the normal quantile (Abramowitz & Stegun
    // 26.7.5); the next term is O(z^11 / df^5), far below double precision here, whereas the
    // incomplete beta below loses digits to lgamma cancellation for such large df.
    const double z = -normal_quantile_lower(q);
    const double z2 = z * z;
    const double g1 = (z2 + 1.0) * z / 4.0;
    const double g2 = ((5.0 * z2 + 16.0) * z2 + 3.0) * z / 96.0;
    const double g3 = (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) * z / 384.0;
    const double g4 =
        ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) * z / 92160.0;
    const double v = 1.0 / df;  // 0 for infinite df: the normal quantile
    return sign * (z + v * (g1 + v * (g2 + v * (g3 + v * g4))));
  }
  // Hill's approximation needs df > 2 for its series; below that start from the df = 1 or 2
  // closed forms, which bracket the answer well enough for the safeguarded Newton below.
  double t = df > 2.0 ? hill_t(2.0 * q, df) : (1.0 - 2.0 * q) / std::sqrt(2.0 * q * (1.0 - q));
  // Newton on f(t) = P(T > t) - q, which is decreasing and convex for t > 0, inside a bracket
  // [lo, hi] maintained from the sign of f (bisection when a step leaves it).
  double lo = 0.0;
  double hi = std::numeric_limits<double>::infinity();
  for (int it = 0; it < 100; ++it) {
    const double f = t_upper_tail(t, df) - q;
    if (f > 0.0) {
      lo = t;
    } else if (f < 0.0) {
      hi = t;
    } else {
      break;
    }
    double next = t + f / t_density(t, df);
    if (!(next > lo && next < hi)) next = std::isinf(hi) ? 2.0 * lo + 1.0 : 0.5 * (lo + hi);
    if (std::fabs(next - t) <= 1e-15 * std::fabs(t)) {
      t = next;
      break;
    }
    t = next;
  }
  return sign * t;
}

Interval summarize(std::span<const double> values, double confidence) {
  Interval r;
  r.n = values.size();
  if (r.n == 0) return r;
  double sum = 0.0;
  for (const double v : values) sum += v;
  const double n = static_cast<double>(r.n);
  r.mean = sum / n;
  if (r.n < 2) return r;
  // Two-pass variance (with the compensating term) for accuracy on large offsets.
  double ss = 0.0;
  double comp = 0.0;
  for (const double v : values) {
    ss += (v - r.mean) * (v - r.mean);
    comp += v - r.mean;
  }
  const double var = std::max(0.0, (ss - comp * comp / n) / (n - 1.0));
  r.stddev = std::sqrt(var);
  const double t = student_t_quantile(0.5 * (1.0 + confidence), n - 1.0);
  r.half_width = t * r.stddev / std::sqrt(n);
  return r;
}

}  // namespace twin
