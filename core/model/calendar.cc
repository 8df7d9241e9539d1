#include "core/model/calendar.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <iterator>
#include <limits>

namespace twin {

namespace {

// Break seconds before break i (i may be n: all of them) within one period.
double off_before_break(const Calendar& cal, size_t i) {
  const size_t n = cal.breaks.size();
  if (cal.off_before.size() == n) {
    if (i < n) return cal.off_before[i];
    return cal.off_before.empty()
               ? 0.0
               : cal.off_before[n - 1] + (cal.breaks[n - 1].end - cal.breaks[n - 1].start);
  }
  double off = 0.0;
  for (size_t j = 0; j < i; ++j) off += cal.breaks[j].end - cal.breaks[j].start;
  return off;
}

// Off seconds in [0, r] of one period (or of the whole timeline when breaks happen once).
double off_until(const Calendar& cal, double r) {
  const auto& b = cal.breaks;
  // j = number of breaks that start before r; all but the last of them are over by r.
  const auto it = std::lower_bound(b.begin(), b.end(), r,
                                   [](const BreakWindow& w, double t) { return w.start < t; });
  const size_t j = static_cast<size_t>(it - b.begin());
  if (j == 0) return 0.0;
  const BreakWindow& last = b[j - 1];
  return off_before_break(cal, j - 1) + (std::min(r, last.end) - last.start);
}

// Calendar time (within a period) at which `w` working seconds of that period have elapsed;
// the earliest such instant, so a working instant on a break start maps to the break start.
double calendar_in_period(const Calendar& cal, double w) {
  // Working time at the start of break i is start_i - off_before_i (nondecreasing in i).
  // j = number of breaks whose start is reached strictly before w; they all lie before.
  size_t lo = 0;
  size_t hi = cal.breaks.size();
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    if (cal.breaks[mid].start - off_before_break(cal, mid) < w) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return w + off_before_break(cal, lo);
}

}  // namespace

void Calendar::index() {
  off_before.resize(breaks.size());
  double off = 0.0;
  for (size_t i = 0; i < breaks.size(); ++i) {
    off_before[i] = off;
    off += breaks[i].end - breaks[i].start;
  }
  off_per_period = off;
}

double Calendar::working_at(double calendar_time) const {
  if (breaks.empty()) return calendar_time;
  if (!(period > 0.0)) return calendar_time - off_until(*this, calendar_time);
  // r = t mod period is exact in floating point; k = number of whole periods before t.
  const double r = std::fmod(calendar_time, period);
  const double k = std::round((calendar_time - r) / period);
  return k * (period - off_per_period) + (r - off_until(*this, r));
}

double Calendar::calendar_at(double working_time) const {
  if (breaks.empty()) return working_time;
  if (!(period > 0.0)) return calendar_in_period(*this, working_time);
  const double work_per_period = period - off_per_period;
  if (!(work_per_period > 0.0)) {
    // Degenerate: the breaks cover the whole period, no working time ever elapses.
    return working_time > 0.0 ? std::numeric_limits<double>::infinity() : 0.0;
  }
  double rw = std::fmod(working_time, work_per_period);
  double k = std::round((working_time - rw) / work_per_period);
  if (rw == 0.0 && k > 0.0) {
    // A whole number of periods of work: the earliest instant is at the end of the previous
    // period's work, which is before a break that closes that period, if any.
    k -= 1.0;
    rw = work_per_period;
  }
  return k * period + calendar_in_period(*this, rw);
}

bool Calendar::is_off(double calendar_time) const {
  if (breaks.empty()) return false;
  const double r = period > 0.0 ? std::fmod(calendar_time, period) : calendar_time;
  // Last break starting at or before r.
  const auto it = std::upper_bound(breaks.begin(), breaks.end(), r,
                                   [](double t, const BreakWindow& w) { return t < w.start; });
  if (it == breaks.begin()) return false;
  return r < std::prev(it)->end;
}

}  // namespace twin
