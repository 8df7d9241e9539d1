// Summaries of independent replications: mean with a Student-t confidence interval.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace twin {

struct Interval {
  double mean = 0.0;
  double half_width = 0.0;  // of the confidence interval; 0 when n < 2
  double stddev = 0.0;      // sample standard deviation (n - 1)
  size_t n = 0;
  double lo() const { return mean - half_width; }
  double hi() const { return mean + half_width; }
  // The interval excludes zero (used for paired differences).
  bool excludes_zero() const { return n >= 2 && (lo() > 0.0 || hi() < 0.0); }
};

// Quantile of Student's t distribution with `df` degrees of freedom (df >= 1), p in (0, 1).
double student_t_quantile(double p, double df);
// p-th quantile (0..1) of values by linear interpolation between order statistics (values
// copied and sorted); 0 when empty.
double quantile(std::vector<double> values, double p);
// Standard normal quantile, p in (0, 1).
double normal_quantile(double p);

// Mean and two-sided `confidence` interval of independent values.
Interval summarize(std::span<const double> values, double confidence = 0.95);

}  // namespace twin
