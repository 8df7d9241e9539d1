// A machine's mode from its spindle motor current alone, for old machines without a PLC mode
// signal.
//
// The current tells four classes apart (models/condition/motor.h):
//   running  busy: no-load current plus a load-dependent part (tens of A)
//   idle     spindle stopped, drive enabled: the standby current (about 1 A). Starved, blocked
//            and down all draw it, so they cannot be told apart by the current; the classifier
//            says "idle" and leaves the cause to other evidence (part flow, alarms).
//   setup    jogging, tool changes (a few A)
//   off      drive off: 0 A
//
// Model: a hidden Markov chain over the four classes in continuous time (generator matrix Q of
// transition rates [1/s]) with a Gaussian emission per class on the current, mixed with a small
// flat outlier density so one wild sample cannot flip the mode. Online, a forward filter folds
// in each sample: predict with P(dt) = expm(Q dt) over the time since the previous sample (so a
// gap in the samples lets the belief relax toward the chain's long-run shares instead of holding
// a stale mode), then weight by the sample's likelihood. The reported mode is the class with the
// largest filtered probability, and that probability comes with it.
//
// The busy current depends on the cutting load, which differs between machines and grows with
// tool wear, so the running class's mean is adapted slowly (time constant adapt_time_s) while the
// filter is confident the machine is running; the other classes are set by the drive and stay.
//
// Fit per machine (fit_mode_classifier) from a labelled period: current samples and the mode
// timeline of the same period (from a machine that has a mode signal, or a healthy recorded
// shift). Each class's current is summarised robustly (median, and 1.4826 x MAD as the standard
// deviation), the transition rates are counts of label changes over time spent in each class, and
// the initial probabilities are the time shares. Without labels, nominal_mode_classifier builds
// the same model from nominal MotorParams.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>

#include "models/condition/motor.h"
#include "models/process/kpi.h"  // Mode

namespace twin::condition {

// What the motor current can tell.
enum class CurrentMode : uint8_t { kRunning, kIdle, kSetup, kOff };
inline constexpr int kCurrentModeCount = 4;

// Busy -> running; starved, blocked, down -> idle; setup -> setup; off -> off.
CurrentMode current_mode_of(Mode mode);
// "running", "idle", "setup", "off".
const char* current_mode_name(CurrentMode mode);

struct CurrentSample {
  double t_s = 0.0;        // [s] sample time
  double current_A = 0.0;  // [A] phase current
};

// A labelled mode from t_s until the next segment's t_s (the last one until the last sample).
struct ModeSegment {
  double t_s = 0.0;  // [s] start
  Mode mode = Mode::kOff;
};

using ClassArray = std::array<double, kCurrentModeCount>;  // indexed by CurrentMode

struct ModeClassifierParams {
  ClassArray mean_A{};  // [A] current per class (running: the starting point of the adaptation)
  ClassArray sd_A{};    // [A] standard deviation per class (noise, and load spread when running)
  ClassArray prior{};   // [1] class probabilities before the first sample (sum 1)
  std::array<ClassArray, kCurrentModeCount> rate_per_s{};  // [1/s] [from][to]; diagonal unused
  double outlier_fraction = 0.01;       // [1] share of samples modelled as from a flat density
  double outlier_span_A = 40.0;         // [A] width of that flat density
  double adapt_time_s = 600.0;          // [s] time constant of the running-mean adaptation; 0 off
  double adapt_min_probability = 0.99;  // [1] adapt only while P(running) is at least this
};

// Empty when usable, otherwise what is wrong (sd > 0, priors >= 0 summing to > 0, rates >= 0,
// 0 <= outlier_fraction < 1, span > 0, adapt_time_s >= 0, all finite).
std::string validate(const ModeClassifierParams& params);

struct ModeFitOptions {
  double guard_s = 1.0;             // [s] samples this close to a label change are not fitted
  double min_sd_A = 0.05;           // [A] floor of a class's standard deviation
  double min_rate_per_s = 1e-5;     // [1/s] floor of every transition rate (never seen != never)
  uint32_t min_class_samples = 20;  // [samples] fewer than this and the class counts as missing
};

// Fits a classifier to samples and the mode timeline of the same period (both sorted by time).
// A class without enough samples is named in `error` ("missing classes: off") and filled from
// nominal MotorParams (its mean) with the median fitted sd, so the result stays usable; `error`
// is empty when every class was fitted.
ModeClassifierParams fit_mode_classifier(std::span<const CurrentSample> samples,
                                         std::span<const ModeSegment> modes, std::string& error,
                                         const ModeFitOptions& options = {});

// Unlabelled fallback: class means from the nominal motor model at a cutting load [1], sensor
// noise [A] as the sd (running widened by a +-15 % load spread), order-of-magnitude rates for a
// machining cell (a busy cycle of about a minute, short idle gaps, setups every few hours).
ModeClassifierParams nominal_mode_classifier(const MotorParams& motor, double noise_sd_A = 0.25,
                                             double load = 0.7);

struct ModeDecision {
  CurrentMode mode = CurrentMode::kOff;
  double probability = 0.0;  // [1] filtered probability of `mode`
};

class ModeClassifier {
 public:
  explicit ModeClassifier(const ModeClassifierParams& params);

  // Folds in one sample. Samples older than the previous one are folded in without a time step;
  // non-finite currents are ignored (the current decision is returned).
  ModeDecision update(double t_s, double current_A);

  ModeDecision decision() const;
  const ClassArray& posterior() const { return posterior_; }
  double running_mean_A() const { return running_mean_A_; }  // [A] adapted running mean
  const ModeClassifierParams& params() const { return params_; }
  void reset();

 private:
  void set_transition(double dt_s);

  ModeClassifierParams params_;
  ClassArray posterior_{};                                  // [1] filtered class probabilities
  double running_mean_A_ = 0.0;                             // [A] running-class mean, adapted
  double last_t_s_ = 0.0;                                   // [s] time of the previous sample
  bool started_ = false;                                    // a sample has been folded in
  double transition_dt_s_ = -1.0;                           // [s] dt of transition_ (-1: none yet)
  std::array<ClassArray, kCurrentModeCount> transition_{};  // [1] P(dt) [from][to]
};

}  // namespace twin::condition
