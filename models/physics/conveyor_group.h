// ConveyorGroup: several ConveyorLines (a plant's physics conveyors) stepped at one clock, in
// parallel across the machine's cores. Each line is its own Bullet world and the worlds share
// nothing, so a line steps exactly as it would alone: the results are bit-identical to stepping
// the lines one after the other, whatever the thread count (tested). The lines are dealt to the
// threads in fixed contiguous blocks (OpenMP static schedule), so the work per thread is even
// when the lines carry similar loads.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "models/physics/conveyor_line.h"

namespace twin {

class ConveyorGroup {
 public:
  // `threads` 0: as many as the machine has cores; 1: serial. Throws std::invalid_argument on a
  // bad spec (as ConveyorLine).
  explicit ConveyorGroup(const std::vector<ConveyorLineSpec>& specs, int threads = 0);

  // Every line takes `steps` fixed steps of ConveyorLine::kStepS.
  void step(int steps = 1);
  // Every line steps until its time_s() >= t_s.
  void advance_to(double t_s);

  size_t size() const { return lines_.size(); }
  int threads() const { return threads_; }
  ConveyorLine& line(size_t i) { return *lines_[i]; }
  const ConveyorLine& line(size_t i) const { return *lines_[i]; }

 private:
  std::vector<std::unique_ptr<ConveyorLine>> lines_;
  int threads_ = 1;
};

}  // namespace twin
