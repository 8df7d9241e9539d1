// The recording's part log (core/mirror/part_log.h): it forwards every mirror call to the next
// listener, keeps starts and good finishes per machine (not scrap or rework), and gives them in
// working time: machining20's meal break (4:00-4:30) is taken out, events before the shift start
// are left out, and each machine's times come sorted.
#include "core/mirror/part_log.h"

#include <gtest/gtest.h>

#include <vector>

#include "tests/support/scenes.h"

namespace twin {
namespace {

struct Counting : MirrorListener {
  int samples = 0, modes = 0, parts = 0, released = 0;
  void on_sample(uint32_t, int64_t, float, uint8_t) override { ++samples; }
  void on_mode(uint32_t, int64_t, uint8_t) override { ++modes; }
  uint16_t last_product = 0;
  void on_part(uint32_t, int64_t, uint8_t, uint16_t product) override {
    ++parts;
    last_product = product;
  }
  void on_released(int64_t) override { ++released; }
};

TEST(PartLog, KeepsStartsAndGoodFinishesInWorkingTime) {
  const Model& model = test::sample_model("machining20.yaml");
  ASSERT_FALSE(model.calendar.empty());
  Counting next;
  PartLog log(&next, model.machine_count());
  constexpr int64_t kStart = 1'000'000'000'000;  // [ns] the shift's t = 0
  constexpr int64_t kS = 1'000'000'000;
  using Kind = telemetry::PartEvent;
  // Products: 0 shaft, 1 flange, kNoProduct when the event names none.
  log.on_part(2, kStart + 5000 * kS, Kind::KIND_FINISHED, 0);
  log.on_part(2, kStart + 100 * kS, Kind::KIND_FINISHED, 1);                  // late: sorted in
  log.on_part(2, kStart + 4 * 3600 * kS + 600 * kS, Kind::KIND_FINISHED, 0);  // in the break
  log.on_part(2, kStart + 5 * 3600 * kS, Kind::KIND_FINISHED, kNoProduct);    // after it
  log.on_part(2, kStart + 200 * kS, Kind::KIND_SCRAPPED, 0);                  // not good
  log.on_part(2, kStart + 300 * kS, Kind::KIND_REWORKED, 0);
  log.on_part(2, kStart - 10 * kS, Kind::KIND_FINISHED, 1);  // before the shift
  log.on_part(3, kStart + 50 * kS, Kind::KIND_STARTED, 0);
  log.on_part(9999, kStart, Kind::KIND_FINISHED, 1);  // not a machine of the model: ignored
  log.on_sample(0, kStart, 1.0f, 0);
  log.on_mode(1, kStart, 2);
  log.on_released(kStart);
  EXPECT_EQ(next.parts, 9);  // all forwarded, with their products
  EXPECT_EQ(next.last_product, 1);
  EXPECT_EQ(next.samples, 1);
  EXPECT_EQ(next.modes, 1);
  EXPECT_EQ(next.released, 1);

  const RecordedParts parts = log.parts(model, kStart);
  ASSERT_EQ(parts.finished_s.size(), model.machine_count());
  EXPECT_EQ(parts.finished_s[2], (std::vector<double>{100.0, 5000.0, 4 * 3600.0, 4.5 * 3600.0}));
  ASSERT_EQ(parts.finished_product.size(), model.machine_count());
  EXPECT_EQ(parts.finished_product[2], (std::vector<uint16_t>{1, 0, 0, kNoProduct}));
  EXPECT_EQ(parts.started_s[3], std::vector<double>{50.0});
  EXPECT_TRUE(parts.started_s[2].empty());
  EXPECT_TRUE(parts.finished_s[3].empty());
}

}  // namespace
}  // namespace twin
