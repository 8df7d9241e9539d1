// Event log of a run as CSV: every mode change and part event, one per line, in the order they
// happen. For engineers (open it in a spreadsheet) and as a golden file in tests.
#pragma once

#include <ostream>

#include "core/model/model.h"
#include "models/process/line_observer.h"

namespace twin {

// Columns: time_s (working), calendar_s, station, machine (1-based within its station), event
// (mode | started | finished | scrapped | reworked), from, to (modes; empty for part events),
// product (part events).
class EventLogWriter : public LineObserver {
 public:
  EventLogWriter(const Model& model, std::ostream& out);
  void on_mode(double time, uint32_t machine, Mode from, Mode to) override;
  void on_part(double time, uint32_t machine, PartEvent event, const Part& part) override;

 private:
  void prefix(double time, uint32_t machine);
  const Model& model_;
  std::ostream& out_;
};

}  // namespace twin
