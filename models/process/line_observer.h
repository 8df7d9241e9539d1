// Observer of what happens on the line, for recorders (the plant simulator writes mode changes
// and part events as telemetry) and viewers (mode timelines). Called synchronously from step();
// it must not change State. Optional: without one, the model pays a single branch per call site.
#pragma once

#include <cstdint>

#include "models/process/kpi.h"

namespace twin {

struct Part;

enum class PartEvent : uint8_t { kStarted, kFinished, kScrapped, kReworked };

class LineObserver {
 public:
  virtual ~LineObserver() = default;
  // Machine `machine` changed mode at working time `time` [s] (convert with Model::calendar).
  virtual void on_mode(double time, uint32_t machine, Mode from, Mode to) = 0;
  // A part event at machine `machine` (finished = passed on as good).
  virtual void on_part(double time, uint32_t machine, PartEvent event, const Part& part) = 0;
};

}  // namespace twin
