// Shift calendar: breaks during which the whole line freezes. The simulation runs in working
// time (the clock stops during breaks), and reports convert to calendar time. Because every
// process freezes during a break (operations, repairs, conveyors and arrivals resume where they
// were), simulating in working time is exact and costs nothing in the event loop.
#pragma once

#include <vector>

namespace twin {

struct BreakWindow {
  double start = 0.0;  // [s] from the start of the period
  double end = 0.0;    // [s] from the start of the period, > start
};

struct Calendar {
  double period = 0.0;              // [s]; 0 means the breaks happen once
  std::vector<BreakWindow> breaks;  // sorted, non-overlapping, inside [0, period) if periodic
  double off_per_period = 0.0;      // [s] sum of break lengths in one period
  // [s] break seconds before break i within its period (n breaks); filled by index(). Optional:
  // without it (empty) every query is still exact, but sums break lengths as it goes (O(n)
  // per look-up instead of O(1), so O(n log n) queries instead of O(log n)).
  std::vector<double> off_before;

  // Fills off_per_period and off_before from `breaks`. Call once after setting the breaks.
  void index();

  bool empty() const { return breaks.empty(); }
  // Working seconds elapsed by calendar time t (t >= 0). Constant during a break.
  double working_at(double calendar_time) const;
  // Calendar time at which `working_time` working seconds have elapsed. A working instant that
  // falls exactly on a break start maps to the break start (the earliest calendar instant).
  double calendar_at(double working_time) const;
  // Off (break) seconds inside the calendar interval [t0, t1].
  double off_between(double t0, double t1) const {
    return (t1 - t0) - (working_at(t1) - working_at(t0));
  }
  // True when calendar time t lies inside a break: start <= t < end (the line stops at the
  // break start and runs again at its end).
  bool is_off(double calendar_time) const;
};

}  // namespace twin
