#include "models/physics/conveyor_group.h"

#include <omp.h>

#include <algorithm>

namespace twin {

ConveyorGroup::ConveyorGroup(const std::vector<ConveyorLineSpec>& specs, int threads) {
  lines_.reserve(specs.size());
  for (const ConveyorLineSpec& spec : specs) lines_.push_back(std::make_unique<ConveyorLine>(spec));
  const int cores = std::max(1, omp_get_num_procs());
  threads_ =
      std::clamp(threads > 0 ? threads : cores, 1, std::max(1, static_cast<int>(lines_.size())));
}

void ConveyorGroup::step(int steps) {
  const auto n = static_cast<int64_t>(lines_.size());
#pragma omp parallel for num_threads(threads_) schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    ConveyorLine& line = *lines_[static_cast<size_t>(i)];
    for (int k = 0; k < steps; ++k) line.step();
  }
}

void ConveyorGroup::advance_to(double t_s) {
  const auto n = static_cast<int64_t>(lines_.size());
#pragma omp parallel for num_threads(threads_) schedule(static)
  for (int64_t i = 0; i < n; ++i) lines_[static_cast<size_t>(i)]->advance_to(t_s);
}

}  // namespace twin
