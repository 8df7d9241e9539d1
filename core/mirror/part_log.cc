#include "core/mirror/part_log.h"

#include <algorithm>

#include "core/telemetry/telemetry.h"
#include "twin/telemetry.pb.h"

namespace twin {

void PartLog::on_sample(uint32_t slot, int64_t time_ns, float value, uint8_t quality) {
  if (next_ != nullptr) next_->on_sample(slot, time_ns, value, quality);
}

void PartLog::on_mode(uint32_t machine, int64_t time_ns, uint8_t mode) {
  if (next_ != nullptr) next_->on_mode(machine, time_ns, mode);
}

void PartLog::on_part(uint32_t machine, int64_t time_ns, uint8_t kind) {
  if (machine < started_ns_.size()) {
    if (kind == telemetry::PartEvent::KIND_STARTED) started_ns_[machine].push_back(time_ns);
    if (kind == telemetry::PartEvent::KIND_FINISHED) finished_ns_[machine].push_back(time_ns);
  }
  if (next_ != nullptr) next_->on_part(machine, time_ns, kind);
}

void PartLog::on_released(int64_t until_ns) {
  if (next_ != nullptr) next_->on_released(until_ns);
}

RecordedParts PartLog::parts(const Model& model, int64_t shift_start_ns) const {
  auto convert = [&](const std::vector<std::vector<int64_t>>& in) {
    std::vector<std::vector<double>> out(in.size());
    for (size_t m = 0; m < in.size(); ++m) {
      for (int64_t t : in[m]) {
        const double calendar_s = static_cast<double>(t - shift_start_ns) * 1e-9;
        if (calendar_s < 0.0) continue;  // before the shift
        out[m].push_back(model.calendar.empty() ? calendar_s
                                                : model.calendar.working_at(calendar_s));
      }
      std::sort(out[m].begin(), out[m].end());
    }
    return out;
  };
  return RecordedParts{convert(started_ns_), convert(finished_ns_)};
}

}  // namespace twin
