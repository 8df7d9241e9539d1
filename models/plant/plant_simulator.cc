#include "models/plant/plant_simulator.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <queue>
#include <utility>

#include "core/sim/rng.h"
#include "core/telemetry/telemetry.h"
#include "models/condition/bearing.h"
#include "models/condition/motor.h"
#include "models/condition/thermal.h"
#include "models/condition/tool_wear.h"
#include "models/process/line_model.h"
#include "models/process/line_observer.h"
#include "models/process/line_state.h"

namespace twin {

SensorDirt SensorDirt::clean() {
  SensorDirt d;
  d.noise_scale = 0.0;
  d.dropouts_per_hour = 0.0;
  d.stuck_per_hour = 0.0;
  d.out_of_order = 0.0;
  d.duplicate = 0.0;
  d.max_skew_s = 0.0;
  d.max_drift_ppm = 0.0;
  d.latency_mean_s = 0.0;
  d.late_batches = 0.0;
  return d;
}

namespace {

using FaultKind = faults::Fault::Kind;
constexpr double kInf = std::numeric_limits<double>::infinity();

// Stream names of the plant's sensors (the process streams are the line model's own).
constexpr uint64_t kStreamSensorNoise = 0x6e6f697365ull;      // "noise"
constexpr uint64_t kStreamDirt = 0x64697274ull;               // "dirt"
constexpr uint64_t kStreamMachineTraits = 0x747261697473ull;  // "traits"
constexpr uint64_t kStreamNetwork = 0x6e6574ull;              // "net"
constexpr uint64_t kStreamFaults = 0x6661756c7473ull;         // "faults"

// Trip limits the plant's own protection uses.
constexpr double kVibrationTrip = condition::kIso10816Group2Rigid.cd;  // [mm/s]

// Fast standard normal: Marsaglia's polar method keeping both values of each pair.
class Gaussian {
 public:
  double operator()(Rng& rng) {
    if (have_spare_) {
      have_spare_ = false;
      return spare_;
    }
    double u, v, s;
    do {
      u = 2.0 * rng.uniform01() - 1.0;
      v = 2.0 * rng.uniform01() - 1.0;
      s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    const double f = std::sqrt(-2.0 * std::log(s) / s);
    spare_ = v * f;
    have_spare_ = true;
    return u * f;
  }

 private:
  double spare_ = 0.0;
  bool have_spare_ = false;
};

double exponential(Rng& rng, double mean) {
  return -mean * std::log(rng.uniform01());
}

// Records the shift as the line model runs it: mode changes and part events per machine, in
// calendar time.
struct ShiftRecorder final : LineObserver {
  struct ModeAt {
    double t;  // [s] calendar
    Mode mode;
  };
  struct PartAt {
    double t;  // [s] calendar
    PartEvent event;
    uint16_t product;
  };
  const Model& model;
  std::vector<std::vector<ModeAt>> modes;  // (n_m) each starts at t = 0
  std::vector<std::vector<PartAt>> parts;  // (n_m)

  explicit ShiftRecorder(const Model& m)
      : model(m), modes(m.machine_count()), parts(m.machine_count()) {
    for (auto& v : modes) v.push_back({0.0, Mode::kStarved});
  }
  double calendar(double working) const {
    return model.calendar.empty() ? working : model.calendar.calendar_at(working);
  }
  void on_mode(double time, uint32_t machine, Mode, Mode to) override {
    auto& v = modes[machine];
    const double t = calendar(time);
    // Several changes at one instant: only the last one lasts.
    while (!v.empty() && v.back().t >= t) v.pop_back();
    if (v.empty() || v.back().mode != to) v.push_back({t, to});
  }
  void on_part(double time, uint32_t machine, PartEvent event, const Part& part) override {
    parts[machine].push_back({calendar(time), event, part.product});
  }
};

// Calendar break windows inside [0, horizon).
std::vector<BreakWindow> breaks_until(const Calendar& cal, double horizon) {
  std::vector<BreakWindow> out;
  if (cal.empty()) return out;
  for (double base = 0.0; base < horizon; base += cal.period) {
    for (const BreakWindow& b : cal.breaks) {
      if (base + b.start < horizon) out.push_back({base + b.start, base + b.end});
    }
    if (cal.period <= 0.0) break;
  }
  return out;
}

// A machine's modes with breaks shown as off (the line model freezes during breaks).
std::vector<ShiftRecorder::ModeAt> with_breaks(const std::vector<ShiftRecorder::ModeAt>& modes,
                                               const std::vector<BreakWindow>& breaks) {
  if (breaks.empty()) return modes;
  std::vector<ShiftRecorder::ModeAt> out;
  size_t i = 0;
  Mode current = modes.front().mode;
  auto push = [&](double t, Mode m) {
    while (!out.empty() && out.back().t >= t) out.pop_back();
    if (out.empty() || out.back().mode != m) out.push_back({t, m});
  };
  for (const BreakWindow& b : breaks) {
    while (i < modes.size() && modes[i].t < b.start) {
      current = modes[i].mode;
      push(modes[i].t, current);
      ++i;
    }
    // Changes stamped at the break start happened as the line stopped.
    while (i < modes.size() && modes[i].t <= b.start) current = modes[i++].mode;
    push(b.start, Mode::kOff);
    push(b.end, current);
  }
  for (; i < modes.size(); ++i) push(modes[i].t, modes[i].mode);
  return out;
}

// Busy seconds of a mode timeline inside [t0, t1].
double busy_between(const std::vector<ShiftRecorder::ModeAt>& modes, double t0, double t1) {
  double busy = 0.0;
  for (size_t i = 0; i < modes.size(); ++i) {
    const double a = std::max(modes[i].t, t0);
    const double b = std::min(i + 1 < modes.size() ? modes[i + 1].t : kInf, t1);
    if (b > a && modes[i].mode == Mode::kBusy) busy += b - a;
  }
  return busy;
}

// One tag of one machine being sampled.
struct TagSampler {
  Signal signal = Signal::kCustom;
  double period = 1.0;  // [s]; 0 = one sample per completed part (cycle time)
  double next = 0.0;    // [s] true time of the next sample
  double noise = 0.0;   // [tag unit] standard deviation
  double dropout_until = -1.0;
  double next_dropout = kInf;
  double stuck_until = -1.0;
  double next_stuck = kInf;
  float stuck_value = 0.0f;
  float last_value = 0.0f;
  double walk = 0.0;                           // custom tags: AR(1) state
  bool failed = false;                         // sensor failure: frozen from `fail_at`
  double erratic_from = kInf, fail_at = kInf;  // sensor failure precursor and failure [s]
};

struct PendingSample {
  uint32_t tag;
  double t_device;  // [s] device clock
  float value;
  telemetry::Quality quality;
};

// A message waiting for its arrival time.
struct Outgoing {
  uint64_t arrival_ns = 0;
  uint64_t order = 0;  // creation order, breaks ties deterministically
  enum Kind : uint8_t { kSamples, kMode, kPart, kAlarm } kind = kSamples;
  uint32_t machine = 0;
  uint32_t slot = 0;  // index into the per-kind storage
  bool operator>(const Outgoing& o) const {
    return arrival_ns != o.arrival_ns ? arrival_ns > o.arrival_ns : order > o.order;
  }
};

struct MachineSim {
  uint32_t index = 0;
  std::string name;
  const Station* station = nullptr;
  std::vector<ShiftRecorder::ModeAt> modes;
  std::vector<ShiftRecorder::PartAt> parts;
  size_t mode_cursor = 0;  // first mode segment overlapping the current window
  size_t part_cursor = 0;  // next part event to count
  std::vector<TagSampler> tags;
  std::vector<PendingSample> held_back;  // out-of-order samples for the next batch

  // Condition.
  condition::MotorParams motor;
  condition::ThermalParams thermal;
  condition::ThermalState thermal_state;
  condition::BearingParams bearing;
  condition::BearingState bearing_state;
  condition::ToolWearParams tool;
  condition::ToolWearState tool_state;
  double base_load = 0.7;    // [1] cutting load while busy
  double power_scale = 1.0;  // [1] matches the scene's busy power
  uint64_t good = 0, scrap = 0;
  double last_start = 0.0;  // [s] when the current part started

  // Faults on this machine (true time [s]).
  double bearing_from = kInf, bearing_fail = kInf;
  double tool_from = kInf, tool_fail = kInf;
  double tool_speed = 1.0;  // [1] Taylor speed factor of the failing edge in the precursor
  double heat_from = kInf, heat_fail = kInf;
  double cooling_min = 1.0;

  // Clock and network.
  double skew_s = 0.0;  // [s]
  double drift = 0.0;   // [1]
  Rng noise_rng, dirt_rng, net_rng;
  Gaussian gauss;
  uint64_t samples_until_dup = 0, samples_until_reorder = 0;

  double device_time(double t) const { return t + skew_s + drift * t; }
  Mode mode_at(double t, size_t& cursor) const {
    while (cursor + 1 < modes.size() && modes[cursor + 1].t <= t) ++cursor;
    return modes[cursor].mode;
  }
};

uint64_t geometric_gap(Rng& rng, double p) {
  if (p <= 0.0) return std::numeric_limits<uint64_t>::max();
  if (p >= 1.0) return 1;
  return 1 + static_cast<uint64_t>(std::floor(std::log(rng.uniform01()) / std::log1p(-p)));
}

double default_noise(Signal signal) {
  switch (signal) {
    case Signal::kMotorCurrent:
      return 0.25;  // [A]
    case Signal::kPower:
      return 0.05;  // [kW]
    case Signal::kTemperature:
      return 0.15;  // [degC]
    case Signal::kVibrationRms:
      return 0.04;  // [mm/s]
    case Signal::kToolWear:
      return 0.004;  // [mm]
    case Signal::kCycleTime:
      return 0.05;  // [s] timer resolution and jitter
    case Signal::kCustom:
      return 0.5;
    default:
      return 0.0;  // counters are exact
  }
}

}  // namespace

std::vector<FaultSpec> resolve_faults(const Model& model, const faults::FaultPlan& plan,
                                      double hours, std::vector<std::string>& errors) {
  std::vector<FaultSpec> out;
  const double horizon = hours * 3600.0;
  for (int i = 0; i < plan.faults_size(); ++i) {
    const faults::Fault& f = plan.faults(i);
    std::string where = "faults[" + std::to_string(i) + "]";
    FaultSpec s;
    s.kind = f.kind();
    s.target = f.machine();
    s.at_s = f.at();
    s.precursor_s = f.precursor();
    s.repair_s = f.repair();
    s.tag = f.tag();
    if (s.kind == faults::Fault::UNKNOWN) {
      errors.push_back(where +
                       ": kind is missing (bearing_wear, tool_breakage, overheating, "
                       "conveyor_jam or sensor_failure)");
      continue;
    }
    if (s.kind == faults::Fault::CONVEYOR_JAM) {
      const int32_t n = model.find_node(s.target);
      if (n < 0 || model.nodes[static_cast<uint32_t>(n)].kind != NodeKind::kConveyor) {
        errors.push_back(where + ": '" + s.target + "' is not a conveyor of the scene");
        continue;
      }
    } else if (find_machine(model, s.target) < 0) {
      errors.push_back(where + ": unknown machine '" + s.target +
                       "' (use the station name, or Station#k for parallel machines)");
      continue;
    }
    if (!(s.at_s > 0.0) || s.at_s >= horizon) {
      errors.push_back(where + ": at must lie inside the " + std::to_string(hours) +
                       " h shift (got " + std::to_string(s.at_s) + " s)");
      continue;
    }
    if (s.precursor_s < 0.0 || s.repair_s < 0.0) {
      errors.push_back(where + ": precursor and repair must not be negative");
      continue;
    }
    // Defaults: long wear-out precursors, short ones for sudden faults.
    switch (s.kind) {
      case faults::Fault::BEARING_WEAR:
        if (s.precursor_s == 0.0) s.precursor_s = 3 * 3600.0;
        if (s.repair_s == 0.0) s.repair_s = 45 * 60.0;
        break;
      case faults::Fault::TOOL_BREAKAGE:
        if (s.precursor_s == 0.0) s.precursor_s = 20 * 60.0;
        if (s.repair_s == 0.0) s.repair_s = 15 * 60.0;
        break;
      case faults::Fault::OVERHEATING:
        if (s.precursor_s == 0.0) s.precursor_s = 45 * 60.0;
        if (s.repair_s == 0.0) s.repair_s = 30 * 60.0;
        break;
      case faults::Fault::CONVEYOR_JAM:
        if (s.precursor_s == 0.0) s.precursor_s = 60.0;
        if (s.repair_s == 0.0) s.repair_s = 8 * 60.0;
        break;
      case faults::Fault::SENSOR_FAILURE:
        if (s.precursor_s == 0.0) s.precursor_s = 10 * 60.0;
        break;
      default:
        break;
    }
    s.precursor_s = std::min(s.precursor_s, s.at_s);
    if (s.kind != faults::Fault::CONVEYOR_JAM) {
      // The tag that shows the precursor: named, or the machine's first of the right signal
      // (none: the machine has no such sensor and fails without visible warning).
      const uint32_t m = static_cast<uint32_t>(find_machine(model, s.target));
      const Signal wanted = s.kind == faults::Fault::BEARING_WEAR    ? Signal::kVibrationRms
                            : s.kind == faults::Fault::TOOL_BREAKAGE ? Signal::kMotorCurrent
                            : s.kind == faults::Fault::OVERHEATING   ? Signal::kTemperature
                                                                     : Signal::kCustom;
      const std::vector<TagSpec> tags = sample_tags(model, m);
      bool found = false;
      for (const TagSpec& t : tags) {
        if (s.tag.empty() && static_cast<Signal>(t.signal) == wanted &&
            s.kind != faults::Fault::SENSOR_FAILURE)
          s.tag = t.name;
        found = found || t.name == s.tag;
      }
      if (s.kind == faults::Fault::SENSOR_FAILURE && s.tag.empty() && !tags.empty()) {
        s.tag = tags.front().name;
        found = true;
      }
      if (!found && !(s.tag.empty() && s.kind != faults::Fault::SENSOR_FAILURE)) {
        errors.push_back(where + ": machine '" + s.target + "' has no tag '" + s.tag + "'");
        continue;
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<FaultSpec> random_faults(const Model& model, uint32_t count, double hours,
                                     uint64_t seed) {
  Rng rng(Rng::stream_seed(seed, 0, hash_name("plant"), kStreamFaults));
  std::vector<uint32_t> conveyors;
  for (uint32_t n = 0; n < model.nodes.size(); ++n) {
    if (model.nodes[n].kind == NodeKind::kConveyor) conveyors.push_back(n);
  }
  faults::FaultPlan plan;
  for (uint32_t i = 0; i < count; ++i) {
    faults::Fault* f = plan.add_faults();
    const int kinds = conveyors.empty() ? 4 : 5;
    int k = static_cast<int>(rng.uniform01() * kinds);
    static constexpr FaultKind kKinds[] = {
        faults::Fault::BEARING_WEAR, faults::Fault::TOOL_BREAKAGE, faults::Fault::OVERHEATING,
        faults::Fault::SENSOR_FAILURE, faults::Fault::CONVEYOR_JAM};
    f->set_kind(kKinds[k]);
    if (kKinds[k] == faults::Fault::CONVEYOR_JAM) {
      f->set_machine(model
                         .nodes[conveyors[static_cast<size_t>(
                             rng.uniform01() * static_cast<double>(conveyors.size()))]]
                         .name);
    } else {
      const uint32_t m = static_cast<uint32_t>(rng.uniform01() * model.machine_count());
      f->set_machine(machine_name(model, m));
      if (kKinds[k] == faults::Fault::SENSOR_FAILURE) {
        const std::vector<TagSpec> tags = sample_tags(model, m);
        if (tags.empty()) {
          // Only a mode signal: no sensor to fail, so the machine fails instead (unseen).
          f->set_kind(faults::Fault::TOOL_BREAKAGE);
        } else {
          f->set_tag(
              tags[static_cast<size_t>(rng.uniform01() * static_cast<double>(tags.size()))].name);
        }
      }
    }
    f->set_at(hours * 3600.0 * (0.25 + 0.65 * rng.uniform01()));
  }
  std::vector<std::string> errors;
  std::vector<FaultSpec> resolved = resolve_faults(model, plan, hours, errors);
  return resolved;
}

PlantReport run_plant(const Model& model, const PlantOptions& options, TelemetrySink& sink) {
  PlantReport report;
  const double horizon = options.hours * 3600.0;
  const SensorDirt& dirt = options.dirt;
  const uint64_t seed = options.seed;
  auto to_ns = [&](double t) {
    return static_cast<uint64_t>(options.start_ns + static_cast<int64_t>(std::llround(t * 1e9)));
  };

  // ---- Phase 1: the process, with the faults' failures injected. ----
  LineState state;
  RunOptions run;
  run.horizon_s = horizon;
  run.seed = seed;
  ShiftRecorder recorder(model);
  state.observer = &recorder;  // before init_state: machines may start at time 0
  init_state(model, run, state);
  for (const FaultSpec& f : options.faults) {
    if (f.kind == faults::Fault::CONVEYOR_JAM) {
      inject_jam(model, state, static_cast<uint32_t>(model.find_node(f.target)), f.at_s,
                 f.repair_s);
    } else if (f.kind != faults::Fault::SENSOR_FAILURE) {
      inject_failure(model, state, static_cast<uint32_t>(find_machine(model, f.target)), f.at_s,
                     f.repair_s);
    }
  }
  advance_to(model, state, horizon);
  state.observer = nullptr;
  report.truth = compute_kpis(model, state);
  const std::vector<BreakWindow> breaks = breaks_until(model.calendar, horizon);

  // ---- Phase 2: sensors. ----
  const uint32_t nm = model.machine_count();
  std::vector<MachineSim> machines(nm);
  for (uint32_t m = 0; m < nm; ++m) {
    MachineSim& ms = machines[m];
    ms.index = m;
    ms.name = machine_name(model, m);
    ms.station = &model.stations[model.machine_station[m]];
    ms.modes = with_breaks(recorder.modes[m], breaks);
    ms.parts = std::move(recorder.parts[m]);
    const uint64_t key = hash_name(ms.name);
    ms.noise_rng.reseed(Rng::stream_seed(seed, 0, key, kStreamSensorNoise));
    ms.dirt_rng.reseed(Rng::stream_seed(seed, 0, key, kStreamDirt));
    ms.net_rng.reseed(Rng::stream_seed(seed, 0, key, kStreamNetwork));
    Rng traits(Rng::stream_seed(options.plant_seed, 0, key, kStreamMachineTraits));
    // Machines of one type differ: loads, motor, thermal and bearing parameters drift by a few
    // percent between units (effects the twin's nominal models do not know).
    auto vary = [&](double x, double spread) {
      return x * (1.0 + spread * (2.0 * traits.uniform01() - 1.0));
    };
    ms.base_load = vary(0.7, 0.15);
    ms.motor.rated_current_A = vary(ms.motor.rated_current_A, 0.05);
    ms.thermal.resistance_K_per_W = vary(ms.thermal.resistance_K_per_W, 0.1);
    ms.thermal.ambient_C = vary(ms.thermal.ambient_C, 0.05);
    ms.thermal_state.temperature_C = ms.thermal.ambient_C;
    ms.bearing.running_mm_s = vary(ms.bearing.running_mm_s, 0.2);
    ms.tool.nominal_life_s = vary(ms.tool.nominal_life_s, 0.2);
    ms.tool_state.life_used = 0.6 * traits.uniform01();  // edges part-worn at shift start
    ms.skew_s = dirt.max_skew_s * (2.0 * traits.uniform01() - 1.0);
    ms.drift = dirt.max_drift_ppm * 1e-6 * (2.0 * traits.uniform01() - 1.0);
    const double busy_kw =
        condition::power_kw(ms.motor, condition::current(ms.motor, Mode::kBusy, ms.base_load));
    if (ms.station->power_busy > 0.0 && busy_kw > 0.0)
      ms.power_scale = ms.station->power_busy / busy_kw;
    ms.samples_until_dup = geometric_gap(ms.dirt_rng, dirt.duplicate);
    ms.samples_until_reorder = geometric_gap(ms.dirt_rng, dirt.out_of_order);

    std::vector<TagSpec> specs = sample_tags(model, m);
    for (uint32_t x = 0; x < options.extra_tags; ++x) {
      std::string name = "process_";
      name += std::to_string(x + 1);
      specs.push_back(TagSpec{name, "", 1.0, static_cast<int>(Signal::kCustom)});
    }
    for (const TagSpec& spec : specs) {
      TagSampler ts;
      ts.signal = static_cast<Signal>(spec.signal);
      const double rate = options.uniform_rate_hz > 0.0 ? options.uniform_rate_hz : spec.rate_hz;
      ts.period = ts.signal == Signal::kCycleTime && options.uniform_rate_hz <= 0.0
                      ? 0.0
                      : 1.0 / std::max(rate, 1e-3);
      ts.next = ts.period * traits.uniform01();  // samplers are not phase-locked
      ts.noise = default_noise(ts.signal) * dirt.noise_scale;
      if (dirt.dropouts_per_hour > 0.0)
        ts.next_dropout = exponential(ms.dirt_rng, 3600.0 / dirt.dropouts_per_hour);
      if (dirt.stuck_per_hour > 0.0)
        ts.next_stuck = exponential(ms.dirt_rng, 3600.0 / dirt.stuck_per_hour);
      ms.tags.push_back(ts);
    }
    std::map<std::string, std::string> meta{
        {"shift_start_ns", std::to_string(options.start_ns)},
        {"shift_end_ns",
         std::to_string(options.start_ns + static_cast<int64_t>(std::llround(horizon * 1e9)))},
        {"source", "twin generate"},
        {"scene", model.name}};
    sink.add_machine(ms.name, specs, meta);
  }

  // Faults: precursors per machine; truth records.
  std::vector<telemetry::FaultTruth> truths;
  for (const FaultSpec& f : options.faults) {
    telemetry::FaultTruth t;
    t.set_machine(f.target);
    t.set_kind(static_cast<telemetry::FaultTruth::Kind>(static_cast<int>(f.kind)));
    t.set_tag(f.tag);
    t.set_precursor_start_ns(static_cast<int64_t>(to_ns(f.at_s - f.precursor_s)));
    t.set_failure_ns(static_cast<int64_t>(to_ns(f.at_s)));
    if (f.kind == faults::Fault::CONVEYOR_JAM) {
      t.set_repaired_ns(static_cast<int64_t>(to_ns(std::min(f.at_s + f.repair_s, horizon))));
      t.set_note("conveyor stops releasing parts");
      truths.push_back(t);
      continue;
    }
    MachineSim& ms = machines[static_cast<uint32_t>(find_machine(model, f.target))];
    const double from = f.at_s - f.precursor_s;
    switch (f.kind) {
      case faults::Fault::BEARING_WEAR: {
        ms.bearing_from = from;
        ms.bearing_fail = f.at_s;
        break;
      }
      case faults::Fault::TOOL_BREAKAGE:
        ms.tool_from = from;
        ms.tool_fail = f.at_s;
        break;
      case faults::Fault::OVERHEATING:
        ms.heat_from = from;
        ms.heat_fail = f.at_s;
        break;
      case faults::Fault::SENSOR_FAILURE: {
        const std::vector<TagSpec> specs = sample_tags(model, ms.index);
        for (size_t i = 0; i < specs.size(); ++i) {
          if (specs[i].name == f.tag) {
            ms.tags[i].erratic_from = from;
            ms.tags[i].fail_at = f.at_s;
          }
        }
        t.set_note("sensor sticks at its last value; the machine keeps running");
        break;
      }
      default:
        break;
    }
    if (f.kind != faults::Fault::SENSOR_FAILURE) {
      // Repaired when the machine first leaves down after the failure.
      for (size_t i = 0; i < ms.modes.size(); ++i) {
        if (ms.modes[i].t > f.at_s && ms.modes[i].mode != Mode::kDown &&
            ms.modes[i].mode != Mode::kOff) {
          t.set_repaired_ns(static_cast<int64_t>(to_ns(ms.modes[i].t)));
          break;
        }
      }
    }
    truths.push_back(t);
  }
  for (const telemetry::FaultTruth& t : truths) {
    if (!sink.write_truth(to_ns(0.0), t)) report.write_failed = true;
  }

  // Outgoing messages in arrival order.
  std::priority_queue<Outgoing, std::vector<Outgoing>, std::greater<>> outbox;
  std::vector<std::vector<PendingSample>> batch_store;
  std::vector<uint32_t> free_batches;
  std::vector<telemetry::ModeChange> mode_store;
  std::vector<telemetry::PartEvent> part_store;
  std::vector<telemetry::Alarm> alarm_store;
  std::vector<int64_t> batch_base_ns;
  uint64_t order = 0;
  auto latency = [&](MachineSim& ms) {
    return dirt.latency_mean_s > 0.0 ? exponential(ms.net_rng, dirt.latency_mean_s) : 0.0;
  };
  auto device_ns = [&](const MachineSim& ms, double t) {
    return static_cast<int64_t>(to_ns(ms.device_time(t)));
  };

  telemetry::SampleBatch batch_msg;
  auto flush = [&](uint64_t until_ns) {
    while (!outbox.empty() && outbox.top().arrival_ns <= until_ns) {
      const Outgoing o = outbox.top();
      outbox.pop();
      bool ok = true;
      switch (o.kind) {
        case Outgoing::kSamples: {
          std::vector<PendingSample>& b = batch_store[o.slot];
          batch_msg.Clear();
          const int64_t base = batch_base_ns[o.slot];
          batch_msg.set_base_time_ns(base);
          bool all_good = true;
          for (const PendingSample& p : b)
            all_good = all_good && p.quality == telemetry::QUALITY_GOOD;
          for (const PendingSample& p : b) {
            batch_msg.add_tag(p.tag);
            batch_msg.add_time_offset_ns(static_cast<int64_t>(to_ns(p.t_device)) - base);
            batch_msg.add_value(p.value);
            if (!all_good) batch_msg.add_quality(p.quality);
          }
          report.samples += b.size();
          ++report.batches;
          ok = sink.write_samples(o.machine, o.arrival_ns, batch_msg, static_cast<uint64_t>(base));
          b.clear();
          free_batches.push_back(o.slot);
          break;
        }
        case Outgoing::kMode:
          ok = sink.write_mode(o.machine, o.arrival_ns, mode_store[o.slot]);
          ++report.mode_changes;
          break;
        case Outgoing::kPart:
          ok = sink.write_part(o.machine, o.arrival_ns, part_store[o.slot]);
          ++report.part_events;
          break;
        case Outgoing::kAlarm:
          ok = sink.write_alarm(o.arrival_ns, alarm_store[o.slot]);
          ++report.alarms;
          break;
      }
      if (!ok) report.write_failed = true;
    }
  };
  auto send_event = [&](Outgoing::Kind kind, MachineSim& ms, double t, uint32_t slot) {
    Outgoing o;
    o.kind = kind;
    o.machine = ms.index;
    o.slot = slot;
    o.order = order++;
    o.arrival_ns = to_ns(t + latency(ms));
    outbox.push(o);
  };

  // Alarms of the plant's own protection at each injected failure, cleared at repair.
  for (const FaultSpec& f : options.faults) {
    if (f.kind == faults::Fault::CONVEYOR_JAM || f.kind == faults::Fault::SENSOR_FAILURE) continue;
    MachineSim& ms = machines[static_cast<uint32_t>(find_machine(model, f.target))];
    telemetry::Alarm a;
    a.set_machine(ms.name);
    a.set_severity(telemetry::SEVERITY_CRITICAL);
    a.set_active(true);
    a.set_tag(f.tag);
    a.set_code(f.kind == faults::Fault::BEARING_WEAR    ? "VIBRATION_TRIP"
               : f.kind == faults::Fault::TOOL_BREAKAGE ? "TOOL_BROKEN"
                                                        : "OVERTEMP_TRIP");
    a.set_text("machine stopped by its protection");
    a.set_time_ns(device_ns(ms, f.at_s));
    alarm_store.push_back(a);
    send_event(Outgoing::kAlarm, ms, f.at_s, static_cast<uint32_t>(alarm_store.size() - 1));
    // Cleared when the machine first runs again after the repair.
    for (const auto& mc : ms.modes) {
      if (mc.t > f.at_s && mc.mode != Mode::kDown && mc.mode != Mode::kOff) {
        a.set_active(false);
        a.set_severity(telemetry::SEVERITY_INFO);
        a.set_text("cleared after repair");
        a.set_time_ns(device_ns(ms, mc.t));
        alarm_store.push_back(a);
        send_event(Outgoing::kAlarm, ms, mc.t, static_cast<uint32_t>(alarm_store.size() - 1));
        break;
      }
    }
  }

  // Mode changes and part events, sent as they happen.
  for (MachineSim& ms : machines) {
    for (const auto& mc : ms.modes) {
      telemetry::ModeChange c;
      c.set_time_ns(device_ns(ms, mc.t));
      c.set_mode(to_telemetry(mc.mode));
      mode_store.push_back(std::move(c));
      send_event(Outgoing::kMode, ms, mc.t, static_cast<uint32_t>(mode_store.size() - 1));
    }
    double started = 0.0;
    for (const auto& pe : ms.parts) {
      telemetry::PartEvent e;
      e.set_time_ns(device_ns(ms, pe.t));
      e.set_product(model.products[pe.product]);
      switch (pe.event) {
        case PartEvent::kStarted:
          e.set_kind(telemetry::PartEvent::KIND_STARTED);
          started = pe.t;
          break;
        case PartEvent::kFinished:
          e.set_kind(telemetry::PartEvent::KIND_FINISHED);
          break;
        case PartEvent::kScrapped:
          e.set_kind(telemetry::PartEvent::KIND_SCRAPPED);
          break;
        case PartEvent::kReworked:
          e.set_kind(telemetry::PartEvent::KIND_REWORKED);
          break;
      }
      if (pe.event != PartEvent::kStarted) e.set_cycle_time_s(pe.t - started);
      part_store.push_back(std::move(e));
      send_event(Outgoing::kPart, ms, pe.t, static_cast<uint32_t>(part_store.size() - 1));
    }
  }

  // Window by window: advance the condition models, sample every tag, send the batch.
  const double window = options.batch_s;
  const size_t windows = static_cast<size_t>(std::ceil(horizon / window - 1e-9));
  for (size_t w = 0; w < windows; ++w) {
    const double t0 = static_cast<double>(w) * window;
    const double t1 = std::min(t0 + window, horizon);
    for (MachineSim& ms : machines) {
      uint32_t slot;
      if (free_batches.empty()) {
        slot = static_cast<uint32_t>(batch_store.size());
        batch_store.emplace_back();
        batch_base_ns.push_back(0);
      } else {
        slot = free_batches.back();
        free_batches.pop_back();
      }
      std::vector<PendingSample>& out = batch_store[slot];
      out = std::move(ms.held_back);
      ms.held_back.clear();
      const size_t first_mode = ms.mode_cursor;

      // Condition at the start of the window drives this window's samples; then it advances
      // through the window's mode segments (exact for piecewise-constant load).
      const double wear_fraction = ms.tool_state.life_used;
      double tool_boost = 1.0;
      if (t0 >= ms.tool_from && t0 < ms.tool_fail) {
        const double p = (t0 - ms.tool_from) / (ms.tool_fail - ms.tool_from);
        tool_boost = 1.0 + 0.6 * p * p;
      }
      const double load = ms.base_load * (1.0 + 0.25 * wear_fraction) * tool_boost;
      if (t0 >= ms.heat_from && t0 < ms.heat_fail) {
        const double p = (t0 - ms.heat_from) / (ms.heat_fail - ms.heat_from);
        ms.thermal_state.cooling_factor = std::max(1.0 - 0.85 * p, 0.15);
      } else if (t0 >= ms.heat_fail) {
        ms.thermal_state.cooling_factor = 1.0;  // repaired (or the machine is down anyway)
      }
      if (t0 >= ms.bearing_from && !std::isfinite(ms.bearing_state.onset_s) &&
          t0 < ms.bearing_fail) {
        // Defect onset now; growth such that vibration at full load reaches the trip level
        // when the machine fails, given its running time until then.
        const double run_left = std::max(busy_between(ms.modes, t0, ms.bearing_fail), 60.0);
        ms.bearing_state.onset_s = ms.bearing_state.running_s;
        const double at_trip = (kVibrationTrip - ms.bearing.floor_mm_s) /
                                   (ms.bearing.running_mm_s + ms.bearing.load_mm_s * ms.base_load) -
                               1.0;
        ms.bearing.damage_rate_per_s =
            std::log(std::max(at_trip, 1.01 * ms.bearing.initial_damage) /
                     ms.bearing.initial_damage) /
            run_left;
      } else if (t0 >= ms.bearing_fail && std::isfinite(ms.bearing_state.onset_s)) {
        ms.bearing_state = condition::BearingState{};  // bearing replaced in the repair
        ms.bearing.damage_rate_per_s = 0.0;
      }
      if (t0 >= ms.tool_from && t0 < ms.tool_fail && ms.tool_speed == 1.0) {
        // The failing edge wears on past its limit and breaks at the failure: consume life from
        // where it is to 1.3 over the cutting time left, by cutting as if faster (Taylor:
        // life rate ~ speed^(1/n)).
        const double cutting = std::max(busy_between(ms.modes, t0, ms.tool_fail), 60.0);
        const double needed = std::max(1.3 - ms.tool_state.life_used, 0.1);
        ms.tool_speed = std::max(
            std::pow(needed * ms.tool.nominal_life_s / cutting, ms.tool.taylor_n), 1.0 + 1e-9);
      }
      if (t0 >= ms.tool_fail) {
        condition::replace(ms.tool_state);
        ms.tool_from = ms.tool_fail = kInf;  // a new edge wears at the normal speed again
      }

      for (uint32_t k = 0; k < ms.tags.size(); ++k) {
        TagSampler& ts = ms.tags[k];
        if (ts.period == 0.0) continue;  // per-part tags are sampled below
        size_t cursor = first_mode;
        for (; ts.next < t1; ts.next += ts.period) {
          const double t = ts.next;
          const Mode mode = ms.mode_at(t, cursor);
          double v = 0.0;
          switch (ts.signal) {
            case Signal::kMotorCurrent:
              v = condition::current(ms.motor, mode, load);
              break;
            case Signal::kPower:
              v = ms.power_scale *
                  condition::power_kw(ms.motor, condition::current(ms.motor, mode, load));
              break;
            case Signal::kTemperature:
              v = ms.thermal_state.temperature_C;
              break;
            case Signal::kVibrationRms:
              v = condition::vibration_rms(ms.bearing, ms.bearing_state, mode == Mode::kBusy, load);
              break;
            case Signal::kToolWear:
              v = condition::flank_wear_mm(ms.tool, ms.tool_state);
              break;
            case Signal::kPartCount:
            case Signal::kScrapCount: {
              // Counters at time t: parts finished (scrapped) up to t.
              uint64_t good = ms.good, scrap = ms.scrap;
              for (size_t i = ms.part_cursor; i < ms.parts.size() && ms.parts[i].t <= t; ++i) {
                good += ms.parts[i].event == PartEvent::kFinished;
                scrap += ms.parts[i].event == PartEvent::kScrapped;
              }
              v = static_cast<double>(ts.signal == Signal::kPartCount ? good : scrap);
              break;
            }
            case Signal::kCustom:
              ts.walk = 0.98 * ts.walk + 0.2 * ms.gauss(ms.noise_rng);
              v = 50.0 + 10.0 * ts.walk;
              break;
            default:
              break;
          }
          telemetry::Quality quality = telemetry::QUALITY_GOOD;
          if (ts.noise > 0.0) v += ts.noise * ms.gauss(ms.noise_rng);
          float value = static_cast<float>(v);
          // Dirt: a failing sensor, dropouts and stuck episodes.
          if (t >= ts.fail_at) {
            if (!ts.failed) {
              ts.failed = true;
              ts.stuck_value = ts.last_value;
            }
            value = ts.stuck_value;
          } else if (t >= ts.erratic_from) {
            const double p = (t - ts.erratic_from) / (ts.fail_at - ts.erratic_from);
            if (ms.dirt_rng.uniform01() < 0.3 * p) {
              value = static_cast<float>(v * (1.0 + 0.5 * (2.0 * ms.dirt_rng.uniform01() - 1.0)));
              quality = telemetry::QUALITY_UNCERTAIN;
            }
          }
          if (t >= ts.next_dropout) {
            ts.dropout_until = t + exponential(ms.dirt_rng, dirt.dropout_mean_s);
            ts.next_dropout =
                ts.dropout_until + exponential(ms.dirt_rng, 3600.0 / dirt.dropouts_per_hour);
          }
          if (t < ts.dropout_until) {
            ++report.dropped;
            continue;
          }
          if (t >= ts.next_stuck) {
            ts.stuck_until = t + exponential(ms.dirt_rng, dirt.stuck_mean_s);
            ts.next_stuck = ts.stuck_until + exponential(ms.dirt_rng, 3600.0 / dirt.stuck_per_hour);
            ts.stuck_value = ts.last_value;
          }
          if (t < ts.stuck_until && !ts.failed) {
            value = ts.stuck_value;
            ++report.stuck;
          }
          ts.last_value = value;
          PendingSample s{k, ms.device_time(t), value, quality};
          if (--ms.samples_until_reorder == 0) {
            ms.samples_until_reorder = geometric_gap(ms.dirt_rng, dirt.out_of_order);
            ms.held_back.push_back(s);
            ++report.reordered;
            continue;
          }
          out.push_back(s);
          if (--ms.samples_until_dup == 0) {
            ms.samples_until_dup = geometric_gap(ms.dirt_rng, dirt.duplicate);
            ms.held_back.push_back(s);  // the retransmission arrives with the next batch
            ++report.duplicated;
          }
        }
      }

      // Parts completed in this window: counters and cycle-time samples.
      for (; ms.part_cursor < ms.parts.size() && ms.parts[ms.part_cursor].t < t1;
           ++ms.part_cursor) {
        const auto& pe = ms.parts[ms.part_cursor];
        if (pe.event == PartEvent::kStarted) {
          ms.last_start = pe.t;
          continue;
        }
        ms.good += pe.event == PartEvent::kFinished;
        ms.scrap += pe.event == PartEvent::kScrapped;
        for (uint32_t k = 0; k < ms.tags.size(); ++k) {
          TagSampler& ts = ms.tags[k];
          if (ts.period != 0.0 || ts.signal != Signal::kCycleTime) continue;
          double v = pe.t - ms.last_start;
          if (ts.noise > 0.0) v += ts.noise * ms.gauss(ms.noise_rng);
          out.push_back({k, ms.device_time(pe.t), static_cast<float>(v), telemetry::QUALITY_GOOD});
        }
      }

      // Advance the condition models over the window's mode segments.
      double t = t0;
      size_t cursor = first_mode;
      while (t < t1) {
        const Mode mode = ms.mode_at(t, cursor);
        const double end = cursor + 1 < ms.modes.size() ? std::min(ms.modes[cursor + 1].t, t1) : t1;
        const double dt = end - t;
        const bool busy = mode == Mode::kBusy;
        const double motor_load =
            condition::current(ms.motor, mode, load) / ms.motor.rated_current_A;
        condition::advance(ms.thermal, ms.thermal_state, motor_load, dt);
        condition::advance(ms.bearing, ms.bearing_state, dt, busy);
        if (busy) {
          const double speed = t >= ms.tool_from && t < ms.tool_fail ? ms.tool_speed : 1.0;
          condition::advance(ms.tool, ms.tool_state, dt, speed);
        }
        // Edges are changed at setups once half worn and at the wear limit, except the failing
        // one, which cuts on until it breaks.
        const bool failing = t >= ms.tool_from && t < ms.tool_fail;
        if (!failing && mode == Mode::kSetup && ms.tool_state.life_used > 0.5)
          condition::replace(ms.tool_state);
        if (!failing && ms.tool_state.life_used >= 1.0) condition::replace(ms.tool_state);
        t = end;
        if (dt <= 0.0) break;
      }
      ms.mode_cursor = cursor;

      if (out.empty()) {
        free_batches.push_back(slot);
        continue;
      }
      batch_base_ns[slot] = static_cast<int64_t>(to_ns(ms.device_time(t0)));
      double arrival = t1 + latency(ms);
      if (dirt.late_batches > 0.0 && ms.net_rng.uniform01() < dirt.late_batches) {
        arrival += exponential(ms.net_rng, dirt.late_mean_s);
        ++report.late_batches;
      }
      Outgoing o;
      o.kind = Outgoing::kSamples;
      o.machine = ms.index;
      o.slot = slot;
      o.order = order++;
      o.arrival_ns = to_ns(arrival);
      outbox.push(o);
    }
    // Nothing created later can arrive before t1.
    flush(to_ns(t1));
  }
  // Samples held back in the last window go out in a last batch per machine.
  for (MachineSim& ms : machines) {
    if (ms.held_back.empty()) continue;
    const uint32_t slot = static_cast<uint32_t>(batch_store.size());
    batch_store.push_back(std::move(ms.held_back));
    ms.held_back.clear();
    batch_base_ns.push_back(static_cast<int64_t>(to_ns(ms.device_time(horizon))));
    Outgoing o;
    o.kind = Outgoing::kSamples;
    o.machine = ms.index;
    o.slot = slot;
    o.order = order++;
    o.arrival_ns = to_ns(horizon + latency(ms));
    outbox.push(o);
  }
  flush(std::numeric_limits<uint64_t>::max());
  return report;
}

}  // namespace twin
