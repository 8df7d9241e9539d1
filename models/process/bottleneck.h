// Bottleneck detection by the active period method (C. Roser, M. Nakano, M. Tanaka, "Shifting
// bottleneck detection", Winter Simulation Conference 2002). A machine is active while busy, in
// setup or down, inactive while starved, blocked or off. At any instant the machine with the
// longest active period covering it is the momentary bottleneck; where the bottleneck period
// of one machine overlaps the previous or next bottleneck period, the bottleneck is shifting,
// otherwise sole.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "models/process/line_state.h"

namespace twin {

struct BottleneckShare {
  double sole = 0.0;      // [s] this machine alone is the bottleneck
  double shifting = 0.0;  // [s] this machine shares a shifting bottleneck
};

// Shares per machine (n_machines) from active periods clipped to [t0, t1].
std::vector<BottleneckShare> analyze_bottlenecks(std::span<const ActivePeriod> periods,
                                                 uint32_t n_machines, double t0, double t1);

// The momentary bottleneck at the end of the given periods: the machine whose active period
// covering `t` is longest, or -1 when none is active at t.
int32_t momentary_bottleneck(std::span<const ActivePeriod> periods, double t);

}  // namespace twin
