// The observer sees every mode change and part event: integrating its mode changes gives the
// KPIs' time in each mode, and its part events add up to the KPIs' counters.
#include "models/process/line_observer.h"

#include <array>
#include <vector>

#include <gtest/gtest.h>

#include "models/process/line_model.h"
#include "tests/support/scenes.h"

namespace twin {
namespace {

class Integrator : public LineObserver {
 public:
  explicit Integrator(uint32_t machines)
      : since_(machines, 0.0), mode_(machines, Mode::kStarved), time_(machines), parts_(machines) {}
  void on_mode(double time, uint32_t machine, Mode from, Mode to) override {
    EXPECT_EQ(from, mode_[machine]);
    EXPECT_NE(from, to);
    EXPECT_GE(time, since_[machine]);
    time_[machine][static_cast<int>(from)] += time - since_[machine];
    since_[machine] = time;
    mode_[machine] = to;
  }
  void on_part(double, uint32_t machine, PartEvent event, const Part&) override {
    ++parts_[machine][static_cast<int>(event)];
  }
  // Closes the open intervals at `now`.
  std::vector<std::array<double, kModeCount>> times(double now) const {
    auto t = time_;
    for (size_t m = 0; m < t.size(); ++m) t[m][static_cast<int>(mode_[m])] += now - since_[m];
    return t;
  }
  const std::vector<std::array<uint64_t, 4>>& parts() const { return parts_; }

 private:
  std::vector<double> since_;
  std::vector<Mode> mode_;
  std::vector<std::array<double, kModeCount>> time_;
  std::vector<std::array<uint64_t, 4>> parts_;
};

TEST(LineObserver, SeesEveryModeChangeAndPart) {
  const Model model = test::load_scene_or_fail(test::kSmallLine).model;
  RunOptions o;
  o.horizon_s = 12 * 3600;
  LineState s;
  Integrator watcher(model.machine_count());
  s.observer = &watcher;
  init_state(model, o, s);
  advance_to(model, s, o.horizon_s);
  const ReplicationKpis k = compute_kpis(model, s);
  const auto times = watcher.times(s.now);
  for (uint32_t m = 0; m < model.machine_count(); ++m) {
    for (int md = 0; md < kModeCount; ++md) {
      if (md == static_cast<int>(Mode::kOff)) continue;  // breaks are added by the KPIs
      EXPECT_NEAR(times[m][md], k.machines[m].time_in_mode[md], 1e-6) << m << " " << md;
    }
    const auto& p = watcher.parts()[m];
    EXPECT_EQ(p[static_cast<int>(PartEvent::kStarted)], k.machines[m].parts_started);
    EXPECT_EQ(p[static_cast<int>(PartEvent::kFinished)], k.machines[m].parts_good);
    EXPECT_EQ(p[static_cast<int>(PartEvent::kScrapped)], k.machines[m].parts_scrapped);
  }
  EXPECT_GT(k.machines[1].time_in_mode[static_cast<int>(Mode::kDown)], 0.0);
}

}  // namespace
}  // namespace twin
