// The current-only mode classifier against synthetic shifts with known modes. Each machine is
// drawn as the plant simulator draws them (rated current +-5 %, cutting load 0.5-0.85, busy load
// rising with tool wear by up to 25 % and falling at tool changes) and sampled at 10 Hz with
// the plant's current noise (sd 0.25 A). A shift has busy cycles of about a minute, short
// starved and blocked gaps, two setups of 5-12 min, a 20 min breakdown and a 30 min break with
// the drive off. The classifier is fitted on one shift of a machine and judged on another.
#include "models/condition/mode_classifier.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <vector>

#include "core/sim/rng.h"

namespace twin::condition {
namespace {

constexpr double kNoiseA = 0.25;  // [A] the plant's motor-current noise
constexpr double kRateHz = 10.0;  // [Hz] the plant's motor-current rate

double normal(Rng& rng) {  // Box-Muller, one value per call
  const double u = rng.uniform01(), v = rng.uniform01();
  return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * std::numbers::pi * v);
}
double uniform(Rng& rng, double lo, double hi) {
  return lo + (hi - lo) * rng.uniform01();
}

struct Machine {
  MotorParams motor;
  double base_load = 0.7;  // [1]
};

Machine draw_machine(uint64_t seed) {
  Rng rng(seed);
  Machine m;
  m.motor.rated_current_A *= 1.0 + 0.05 * (2.0 * rng.uniform01() - 1.0);
  m.base_load = uniform(rng, 0.5, 0.85);
  return m;
}

struct Shift {
  std::vector<ModeSegment> modes;
  std::vector<CurrentSample> samples;
  std::vector<CurrentMode> truth;  // per sample
};

void push(std::vector<ModeSegment>& modes, double t, Mode mode) {
  if (modes.empty() || modes.back().mode != mode) modes.push_back({t, mode});
}

std::vector<ModeSegment> make_timeline(Rng& rng, double hours) {
  struct Event {
    double at_s, duration_s;
    Mode mode;
  };
  std::vector<Event> events = {
      {uniform(rng, 1.0, 1.8) * 3600.0, uniform(rng, 300.0, 720.0), Mode::kSetup},
      {uniform(rng, 2.2, 3.5) * 3600.0, 1200.0, Mode::kDown},
      {4.0 * 3600.0, 1800.0, Mode::kOff},
      {uniform(rng, 5.0, 7.0) * 3600.0, uniform(rng, 300.0, 720.0), Mode::kSetup},
  };
  std::vector<ModeSegment> modes;
  size_t next = 0;
  double t = 0.0;
  const double end = hours * 3600.0;
  while (t < end) {
    if (next < events.size() && events[next].at_s <= t) {
      push(modes, t, events[next].mode);
      t += events[next].duration_s;
      ++next;
      continue;
    }
    push(modes, t, Mode::kBusy);
    t += uniform(rng, 50.0, 70.0);
    const double u = rng.uniform01();
    if (u < 0.35) {
      push(modes, t, Mode::kStarved);
      t += uniform(rng, 1.0, 15.0);
    } else if (u < 0.45) {
      push(modes, t, Mode::kBlocked);
      t += uniform(rng, 2.0, 30.0);
    }
  }
  return modes;
}

// Samples at 10 Hz; the busy load grows with tool wear (sawtooth over 30 min of cutting, new
// edge at wear 1 or at a setup past half wear) unless `wear` is false.
Shift make_shift(const Machine& m, uint64_t seed, double hours = 8.0, bool wear = true) {
  Rng rng(seed);
  Shift s;
  s.modes = make_timeline(rng, hours);
  double life = wear ? 0.6 * rng.uniform01() : 0.0;
  const double phase = rng.uniform01() / kRateHz;
  const double end = hours * 3600.0;
  size_t seg = 0;
  Mode previous = s.modes.front().mode;
  for (uint64_t k = 0;; ++k) {
    const double t = phase + static_cast<double>(k) / kRateHz;
    if (t >= end) break;
    while (seg + 1 < s.modes.size() && s.modes[seg + 1].t_s <= t) ++seg;
    const Mode mode = s.modes[seg].mode;
    if (wear && mode == Mode::kBusy) life += 1.0 / kRateHz / 1800.0;
    if (wear && (life >= 1.0 || (mode == Mode::kSetup && previous != Mode::kSetup && life > 0.5)))
      life = 0.0;
    previous = mode;
    const double load = m.base_load * (1.0 + 0.25 * life);
    s.samples.push_back({t, current(m.motor, mode, load) + kNoiseA * normal(rng)});
    s.truth.push_back(current_mode_of(mode));
  }
  return s;
}

struct Score {
  double accuracy = 0.0;                           // [1] outside 1 s of true changes
  std::array<double, kCurrentModeCount> recall{};  // [1] per class, same samples
  int true_changes = 0, predicted_changes = 0;
};

Score score(ModeClassifier& classifier, const Shift& s) {
  std::vector<double> change_times;
  for (size_t i = 1; i < s.truth.size(); ++i)
    if (s.truth[i] != s.truth[i - 1]) change_times.push_back(s.samples[i].t_s);
  Score r;
  std::array<double, kCurrentModeCount> hits{}, counts{};
  double correct = 0.0, judged = 0.0;
  size_t cursor = 0;
  CurrentMode last{};
  for (size_t i = 0; i < s.samples.size(); ++i) {
    const ModeDecision d = classifier.update(s.samples[i].t_s, s.samples[i].current_A);
    if (i > 0 && d.mode != last) ++r.predicted_changes;
    if (i > 0 && s.truth[i] != s.truth[i - 1]) ++r.true_changes;
    last = d.mode;
    const double t = s.samples[i].t_s;
    while (cursor < change_times.size() && change_times[cursor] < t - 1.0) ++cursor;
    if (cursor < change_times.size() && std::abs(change_times[cursor] - t) <= 1.0) continue;
    const auto c = static_cast<size_t>(s.truth[i]);
    counts[c] += 1.0;
    judged += 1.0;
    if (d.mode == s.truth[i]) {
      hits[c] += 1.0;
      correct += 1.0;
    }
  }
  r.accuracy = correct / judged;
  for (size_t c = 0; c < hits.size(); ++c) r.recall[c] = counts[c] > 0 ? hits[c] / counts[c] : 1.0;
  return r;
}

// The fit recovers each class's current: the drive's fixed currents to within 0.03 A, the noise
// sd to within 15 %, the running mean to within 1 A of the shift's mean noise-free busy current.
TEST(ModeClassifier, FitRecoversClassCurrents) {
  const Machine m = draw_machine(11);
  const Shift s = make_shift(m, 101);
  std::string error;
  const ModeClassifierParams p = fit_mode_classifier(s.samples, s.modes, error);
  EXPECT_EQ(error, "");
  EXPECT_EQ(validate(p), "");
  EXPECT_NEAR(p.mean_A[1], m.motor.standby_current_A, 0.03);
  EXPECT_NEAR(p.mean_A[2], m.motor.setup_current_A, 0.03);
  EXPECT_NEAR(p.mean_A[3], 0.0, 0.03);
  for (size_t c = 1; c < 4; ++c) EXPECT_NEAR(p.sd_A[c], kNoiseA, 0.15 * kNoiseA) << c;
  const double busy_lo = current(m.motor, Mode::kBusy, m.base_load);
  const double busy_hi = current(m.motor, Mode::kBusy, 1.25 * m.base_load);
  EXPECT_GT(p.mean_A[0], busy_lo - 1.0);
  EXPECT_LT(p.mean_A[0], busy_hi + 1.0);
  EXPECT_GT(p.sd_A[0], kNoiseA);  // wear spreads the busy current
  // Rates from the labels: a busy cycle of ~1 min with a gap after 45 % of them.
  EXPECT_GT(p.rate_per_s[0][1], 0.45 / 70.0);
  EXPECT_LT(p.rate_per_s[0][1], 0.45 / 50.0 * 1.3);
}

// Fitted on one shift, judged on another shift of the same machine, for five machines:
// accuracy >= 97 % outside 1 s of true changes, recall >= 95 % per class, and the number of
// mode changes within 10 % of the truth.
TEST(ModeClassifier, AccurateOnAnotherShiftPerMachine) {
  for (uint64_t machine = 1; machine <= 5; ++machine) {
    const Machine m = draw_machine(1000 + machine);
    const Shift train = make_shift(m, 2000 + machine);
    const Shift test = make_shift(m, 3000 + machine);
    std::string error;
    ModeClassifier classifier(fit_mode_classifier(train.samples, train.modes, error));
    EXPECT_EQ(error, "");
    const Score r = score(classifier, test);
    std::printf(
        "machine %d: accuracy %.5f recall running %.5f idle %.5f setup %.5f off %.5f changes "
        "%d/%d\n",
        static_cast<int>(machine), r.accuracy, r.recall[0], r.recall[1], r.recall[2], r.recall[3],
        r.predicted_changes, r.true_changes);
    EXPECT_GE(r.accuracy, 0.97) << machine;
    for (size_t c = 0; c < 4; ++c) EXPECT_GE(r.recall[c], 0.95) << machine << " class " << c;
    EXPECT_GT(r.true_changes, 300);
    EXPECT_NEAR(r.predicted_changes, r.true_changes, 0.1 * r.true_changes) << machine;
  }
}

// Without labels, the nominal model classifies a machine far from nominal (rated current +5 %,
// load 0.85) as well.
TEST(ModeClassifier, NominalFallbackOnDriftedMachine) {
  Machine m;
  m.motor.rated_current_A *= 1.05;
  m.base_load = 0.85;
  const Shift test = make_shift(m, 77);
  ModeClassifier classifier(nominal_mode_classifier(MotorParams{}));
  const Score r = score(classifier, test);
  std::printf("nominal: accuracy %.5f changes %d/%d\n", r.accuracy, r.predicted_changes,
              r.true_changes);
  EXPECT_GE(r.accuracy, 0.97);
  for (size_t c = 0; c < 4; ++c) EXPECT_GE(r.recall[c], 0.95) << c;
  EXPECT_NEAR(r.predicted_changes, r.true_changes, 0.1 * r.true_changes);
}

// The running mean follows the machine's busy current: starting from the nominal 22.9 A, a
// machine with load 0.85 and no wear (busy current 26.6 A) is learned to within 0.2 A in a
// shift; with adaptation off it stays at the nominal value.
TEST(ModeClassifier, RunningMeanAdaptsToTheMachine) {
  Machine m;
  m.motor.rated_current_A *= 1.05;
  m.base_load = 0.85;
  const double truth = current(m.motor, Mode::kBusy, m.base_load);
  const Shift s = make_shift(m, 78, 8.0, /*wear=*/false);
  ModeClassifierParams p = nominal_mode_classifier(MotorParams{});
  const double nominal = p.mean_A[0];
  ModeClassifier adaptive(p);
  p.adapt_time_s = 0.0;
  ModeClassifier fixed(p);
  for (const CurrentSample& x : s.samples) {
    adaptive.update(x.t_s, x.current_A);
    fixed.update(x.t_s, x.current_A);
  }
  EXPECT_GT(truth - nominal, 3.0);
  EXPECT_NEAR(adaptive.running_mean_A(), truth, 0.2);
  EXPECT_EQ(fixed.running_mean_A(), nominal);
}

// One wild sample does not flip the mode; a sustained change does within 3 samples.
TEST(ModeClassifier, SingleOutlierDoesNotFlip) {
  const Machine m = draw_machine(5);
  const Shift train = make_shift(m, 55);
  std::string error;
  ModeClassifier c(fit_mode_classifier(train.samples, train.modes, error));
  double t = 0.0;
  for (int k = 0; k < 600; ++k, t += 0.1) c.update(t, m.motor.standby_current_A);
  EXPECT_EQ(c.decision().mode, CurrentMode::kIdle);
  // A spike to the setup current, and one to the busy current.
  EXPECT_EQ(c.update(t, m.motor.setup_current_A).mode, CurrentMode::kIdle);
  for (int k = 0; k < 50; ++k) c.update(t += 0.1, m.motor.standby_current_A);
  EXPECT_EQ(c.update(t += 0.1, 20.0).mode, CurrentMode::kIdle);
  for (int k = 0; k < 50; ++k) c.update(t += 0.1, m.motor.standby_current_A);
  // A real setup.
  int steps = 0;
  while (c.update(t += 0.1, m.motor.setup_current_A).mode != CurrentMode::kSetup && steps < 100)
    ++steps;
  EXPECT_LE(steps, 2);
}

// A gap lets the belief relax toward the chain's long-run shares: with idle and off equally
// likely in the long run, an ambiguous sample (halfway between their currents) right after an
// idle stretch is judged idle with near certainty, but after a 10 h gap with about even odds.
TEST(ModeClassifier, GapUsesTransitionOverDt) {
  ModeClassifierParams p = nominal_mode_classifier(MotorParams{});
  for (auto& row : p.rate_per_s) row.fill(1e-4);  // symmetric: long-run shares all 1/4
  ModeClassifier a(p), b(p);
  double t = 0.0;
  for (int k = 0; k < 600; ++k, t += 0.1) {
    a.update(t, 1.0);
    b.update(t, 1.0);
  }
  const double halfway = 0.5 * (p.mean_A[1] + p.mean_A[3]);
  const ModeDecision soon = a.update(t, halfway);
  b.update(t + 36000.0, halfway);
  EXPECT_EQ(soon.mode, CurrentMode::kIdle);
  EXPECT_GT(soon.probability, 0.99);
  EXPECT_NEAR(b.posterior()[1], 0.5, 0.05);
  EXPECT_NEAR(b.posterior()[3], 0.5, 0.05);
}

// A labelled period without the drive ever off names the missing class and still gives a
// usable model (off filled from the nominal 0 A).
TEST(ModeClassifier, MissingClassIsReported) {
  const Machine m = draw_machine(9);
  Shift s = make_shift(m, 99, 3.5);  // ends before the break
  std::string error;
  const ModeClassifierParams p = fit_mode_classifier(s.samples, s.modes, error);
  EXPECT_EQ(error, "missing classes: off");
  EXPECT_EQ(validate(p), "");
  EXPECT_EQ(p.mean_A[3], 0.0);
  ModeClassifier c(p);
  double t = 0.0;
  for (int k = 0; k < 100; ++k, t += 0.1) c.update(t, 0.0);
  EXPECT_EQ(c.decision().mode, CurrentMode::kOff);
  std::string none;
  fit_mode_classifier({}, {}, none);
  EXPECT_EQ(none, "no labelled samples");
}

TEST(ModeClassifier, ModeMapping) {
  EXPECT_EQ(current_mode_of(Mode::kBusy), CurrentMode::kRunning);
  for (Mode x : {Mode::kStarved, Mode::kBlocked, Mode::kDown})
    EXPECT_EQ(current_mode_of(x), CurrentMode::kIdle);
  EXPECT_EQ(current_mode_of(Mode::kSetup), CurrentMode::kSetup);
  EXPECT_EQ(current_mode_of(Mode::kOff), CurrentMode::kOff);
  EXPECT_STREQ(current_mode_name(CurrentMode::kIdle), "idle");
}

}  // namespace
}  // namespace twin::condition
