// A compiled random quantity: the scene's Distribution message turned into flat parameters.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

namespace twin {

class Rng;

enum class DistKind : uint8_t {
  kConstant,     // a: value
  kExponential,  // a: mean
  kNormal,       // a: mean, b: stddev; truncated to [lo, hi] by resampling
  kLogNormal,    // a: mu of log, b: sigma of log; truncated to [lo, hi] by resampling
  kUniform,      // a: min, b: max
  kTriangular,   // a: min, b: mode, c: max
  kEmpirical,    // values/cdf tables; interpolate selects piecewise-linear CDF
  kWeibull,      // a: shape k, b: scale lambda, c: location
  kGamma,        // a: shape k, b: scale theta
};

struct Distribution {
  DistKind kind = DistKind::kConstant;
  double a = 0.0;
  double b = 0.0;
  double c = 0.0;
  double lo = 0.0;                                      // truncation floor
  double hi = std::numeric_limits<double>::infinity();  // truncation ceiling
  double mean = 0.0;           // analytic mean of the (truncated) distribution [same unit as draws]
  bool interpolate = false;    // empirical only
  std::vector<double> values;  // empirical: observations (sorted when interpolate)
  std::vector<double> cdf;     // empirical: cumulative probability per value, last = 1
};

// Builders that compute `mean` too. They do not validate; the scene compiler does.
Distribution make_constant(double value);
Distribution make_exponential(double mean);
Distribution make_normal(double mean, double stddev, double lo, double hi);
Distribution make_lognormal(double mean, double stddev, double lo, double hi);  // of the variable
Distribution make_uniform(double min, double max);
Distribution make_triangular(double min, double mode, double max);
Distribution make_empirical(std::vector<double> values, std::vector<double> weights,
                            bool interpolate);
Distribution make_weibull(double shape, double scale, double location);
Distribution make_gamma(double shape, double scale);

// One draw. Deterministic given the generator state; uses only the project's own algorithms
// (never <random>'s distributions, which differ between standard libraries).
double sample(const Distribution& d, Rng& rng);

}  // namespace twin
