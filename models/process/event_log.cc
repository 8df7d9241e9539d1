#include "models/process/event_log.h"

#include <cstdio>

#include "models/process/line_state.h"

namespace twin {

namespace {
const char* part_event_name(PartEvent e) {
  switch (e) {
    case PartEvent::kStarted:
      return "started";
    case PartEvent::kFinished:
      return "finished";
    case PartEvent::kScrapped:
      return "scrapped";
    case PartEvent::kReworked:
      return "reworked";
  }
  return "?";
}
}  // namespace

EventLogWriter::EventLogWriter(const Model& model, std::ostream& out) : model_(model), out_(out) {
  out_ << "time_s,calendar_s,station,machine,event,from,to,product\n";
}

void EventLogWriter::prefix(double time, uint32_t machine) {
  const Station& st = model_.stations[model_.machine_station[machine]];
  const double calendar = model_.calendar.empty() ? time : model_.calendar.calendar_at(time);
  char times[64];
  std::snprintf(times, sizeof times, "%.6f,%.6f,", time, calendar);
  out_ << times << st.name << ',' << (machine - st.first_machine + 1) << ',';
}

void EventLogWriter::on_mode(double time, uint32_t machine, Mode from, Mode to) {
  prefix(time, machine);
  out_ << "mode," << mode_name(from) << ',' << mode_name(to) << ",\n";
}

void EventLogWriter::on_part(double time, uint32_t machine, PartEvent event, const Part& part) {
  prefix(time, machine);
  out_ << part_event_name(event) << ",,," << model_.products[part.product] << '\n';
}

}  // namespace twin
