// What a recording says each machine did with its parts: when it took parts in and when it passed
// them on as good, from the mirror's part events over one pass of the file. The physics fidelity
// (`twin physics --recording`, the viewer's physics view) feeds its conveyor or robot cell with
// these instead of a line-model run, so a replayed shift goes through the physics as it really
// happened.
#pragma once

#include <cstdint>
#include <vector>

#include "core/mirror/mirror.h"
#include "core/model/model.h"

namespace twin {

struct RecordedParts {
  std::vector<std::vector<double>> started_s;   // (n_m) [s working time] took a part in, ascending
  std::vector<std::vector<double>> finished_s;  // (n_m) [s working time] passed one on as good
  // (n_m) the product of each of finished_s (index into the scene's products; kNoProduct when
  // the event named none). Empty (or a machine's list empty) when the source has no products
  // (a live plant's counters).
  std::vector<std::vector<uint16_t>> finished_product;
};

// Listens to the mirror (and forwards every call to `next`, if any) and keeps the part events.
class PartLog : public MirrorListener {
 public:
  PartLog(MirrorListener* next, size_t machines)
      : next_(next), started_ns_(machines), finished_ns_(machines), finished_product_(machines) {}
  void on_sample(uint32_t slot, int64_t time_ns, float value, uint8_t quality) override;
  void on_mode(uint32_t machine, int64_t time_ns, uint8_t mode) override;
  void on_part(uint32_t machine, int64_t time_ns, uint8_t kind, uint16_t product) override;
  void on_released(int64_t until_ns) override;

  // The events in working time of `model`'s calendar from `shift_start_ns` (t = 0), sorted.
  RecordedParts parts(const Model& model, int64_t shift_start_ns) const;

 private:
  MirrorListener* next_;
  std::vector<std::vector<int64_t>> started_ns_;         // (n_m) [ns] device time
  std::vector<std::vector<int64_t>> finished_ns_;        // (n_m) [ns]
  std::vector<std::vector<uint16_t>> finished_product_;  // (n_m) of each finished_ns_
};

}  // namespace twin
