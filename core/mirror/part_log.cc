#include "core/mirror/part_log.h"

#include <algorithm>
#include <utility>

#include "core/telemetry/telemetry.h"
#include "twin/telemetry.pb.h"

namespace twin {

void PartLog::on_sample(uint32_t slot, int64_t time_ns, float value, uint8_t quality) {
  if (next_ != nullptr) next_->on_sample(slot, time_ns, value, quality);
}

void PartLog::on_mode(uint32_t machine, int64_t time_ns, uint8_t mode) {
  if (next_ != nullptr) next_->on_mode(machine, time_ns, mode);
}

void PartLog::on_part(uint32_t machine, int64_t time_ns, uint8_t kind, uint16_t product) {
  if (machine < started_ns_.size()) {
    if (kind == telemetry::PartEvent::KIND_STARTED) started_ns_[machine].push_back(time_ns);
    if (kind == telemetry::PartEvent::KIND_FINISHED) {
      finished_ns_[machine].push_back(time_ns);
      finished_product_[machine].push_back(product);
    }
  }
  if (next_ != nullptr) next_->on_part(machine, time_ns, kind, product);
}

void PartLog::on_released(int64_t until_ns) {
  if (next_ != nullptr) next_->on_released(until_ns);
}

RecordedParts PartLog::parts(const Model& model, int64_t shift_start_ns) const {
  // Each machine's events in working time, sorted (a late event sorts in), products alongside.
  auto convert = [&](const std::vector<std::vector<int64_t>>& in,
                     const std::vector<std::vector<uint16_t>>* product,
                     std::vector<std::vector<double>>& out_s,
                     std::vector<std::vector<uint16_t>>* out_product) {
    out_s.assign(in.size(), {});
    if (out_product != nullptr) out_product->assign(in.size(), {});
    std::vector<std::pair<double, uint16_t>> events;
    for (size_t m = 0; m < in.size(); ++m) {
      events.clear();
      for (size_t k = 0; k < in[m].size(); ++k) {
        const double calendar_s = static_cast<double>(in[m][k] - shift_start_ns) * 1e-9;
        if (calendar_s < 0.0) continue;  // before the shift
        events.emplace_back(
            model.calendar.empty() ? calendar_s : model.calendar.working_at(calendar_s),
            product != nullptr ? (*product)[m][k] : kNoProduct);
      }
      std::stable_sort(events.begin(), events.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      for (const auto& [t, p] : events) {
        out_s[m].push_back(t);
        if (out_product != nullptr) (*out_product)[m].push_back(p);
      }
    }
  };
  RecordedParts out;
  convert(started_ns_, nullptr, out.started_s, nullptr);
  convert(finished_ns_, &finished_product_, out.finished_s, &out.finished_product);
  return out;
}

}  // namespace twin
