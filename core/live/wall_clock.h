// The wall clock as live data stamps it: ns (or ms, Sparkplug's unit) since the Unix epoch.
// Only at the edges of the live twin (arrival times, STATE and birth timestamps); simulations
// and replays never read it.
#pragma once

#include <chrono>
#include <cstdint>

namespace twin {

inline int64_t wall_clock_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline int64_t wall_clock_ms() {
  return wall_clock_ns() / 1'000'000;
}

}  // namespace twin
