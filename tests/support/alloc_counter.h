// Counts heap allocations made through the global operator new while counting is on. The
// replacement operator new lives in alloc_counter.cc and serves the whole test binary.
#pragma once

#include <cstdint>

namespace twin::test {

void start_counting_allocations();
// Stops counting and returns the allocations since start_counting_allocations().
uint64_t stop_counting_allocations();

}  // namespace twin::test
