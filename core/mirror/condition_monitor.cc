#include "core/mirror/condition_monitor.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <utility>

#include "core/stats/summary.h"
#include "core/telemetry/telemetry.h"
#include "models/condition/motor.h"
#include "models/condition/tool_wear.h"
#include "models/estimation/cusum.h"
#include "models/estimation/degradation_trend.h"
#include "models/estimation/thermal_filter.h"

namespace twin {

namespace {

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

double to_s(int64_t ns) {
  return static_cast<double>(ns) * 1e-9;
}
int64_t to_ns(double s) {
  return static_cast<int64_t>(std::llround(s * 1e9));
}

enum Role : int32_t {
  kNone = -1,
  kCurrent = 0,
  kVibration = 1,
  kToolWear = 2,
  kTemperature = 3,
  kPower = 4,
};

std::string format(const char* fmt, double a, double b = 0.0, double c = 0.0) {
  char buf[256];
  std::snprintf(buf, sizeof buf, fmt, a, b, c);
  return buf;
}

// Mean of the running (settled) samples of one tag over a window of calendar time.
struct RunningWindow {
  int64_t start_ns = std::numeric_limits<int64_t>::min();  // [ns] window start
  double sum = 0.0;                                        // sum of values
  uint32_t count = 0;                                      // samples
  double running_s = 0.0;  // [s] running time covered (gaps between samples, capped)
  int64_t last_ns = 0;     // [ns] previous running sample
};

// The healthy model of one relation: points collected while learning, then the fitted line.
struct HealthyFit {
  std::vector<double> x, y;  // points while learning
  LinearFit line;            // once fitted (or loaded)
  bool ready() const { return line.ok(); }
  void fit(double sd_floor) {
    line = fit_line(x, y, sd_floor);
    x = {};
    y = {};
  }
  double predict(double xv) const { return line.predict(xv); }
  double sd() const { return line.sd; }
};

struct SensorWatch {
  std::deque<int64_t> uncertain_ns;  // [ns] recent samples flagged uncertain
  bool erratic = false;              // SENSOR_ERRATIC active
  float last = 0.0f;                 // previous value
  int64_t same_since_ns = 0;         // [ns] first sample of the current run of equal values
  bool has_last = false;
  bool stuck = false;  // SENSOR_STUCK active
};

using condition::CurrentMode;
using Modes = std::deque<std::pair<int64_t, uint8_t>>;  // (time, telemetry::Mode)

// What the current can tell of a telemetry mode; -1 for MODE_UNKNOWN.
int current_class(uint8_t mode) {
  switch (mode) {
    case telemetry::MODE_RUNNING:
      return static_cast<int>(CurrentMode::kRunning);
    case telemetry::MODE_IDLE:
    case telemetry::MODE_STARVED:
    case telemetry::MODE_BLOCKED:
    case telemetry::MODE_DOWN:
      return static_cast<int>(CurrentMode::kIdle);
    case telemetry::MODE_SETUP:
      return static_cast<int>(CurrentMode::kSetup);
    case telemetry::MODE_OFF:
      return static_cast<int>(CurrentMode::kOff);
    default:
      return -1;
  }
}

uint8_t telemetry_mode(CurrentMode mode) {
  switch (mode) {
    case CurrentMode::kRunning:
      return telemetry::MODE_RUNNING;
    case CurrentMode::kIdle:
      return telemetry::MODE_IDLE;
    case CurrentMode::kSetup:
      return telemetry::MODE_SETUP;
    case CurrentMode::kOff:
      return telemetry::MODE_OFF;
  }
  return telemetry::MODE_UNKNOWN;
}

uint8_t mode_in(const Modes& modes, int64_t t) {
  uint8_t m = telemetry::MODE_UNKNOWN;
  for (const auto& [at, mode] : modes) {
    if (at > t) break;
    m = mode;
  }
  return m;
}

// [ns] distance from t to the nearest mode change (either side) in the history.
int64_t nearest_change(const Modes& modes, int64_t t) {
  int64_t best = std::numeric_limits<int64_t>::max();
  for (const auto& [at, mode] : modes) best = std::min(best, at > t ? at - t : t - at);
  return best;
}

// An alarm raised (warning) or cleared (info) on `target`; the caller adds value, limit and
// evidence.
TwinAlarm make_alarm(int64_t t, const std::string& target, const std::string& tag, const char* code,
                     FaultKind kind, bool active) {
  TwinAlarm a;
  a.time_ns = t;
  a.target = target;
  a.tag = tag;
  a.code = code;
  a.suspected = kind;
  a.active = active;
  a.severity = active ? telemetry::SEVERITY_WARNING : telemetry::SEVERITY_INFO;
  return a;
}

}  // namespace

struct ConditionMonitor::Machine {
  uint32_t index = 0;
  std::string name;
  std::deque<std::pair<int64_t, uint8_t>> modes;  // released (time, telemetry::Mode)
  // Running time seen through the machine's most frequent running tag's windows.
  double running_s = 0.0;             // [s]
  double current_baseline_s = 0.0;    // [s] running time in the current's healthy fit so far
  double vibration_baseline_s = 0.0;  // [s] running time in the vibration's healthy fit so far

  int32_t current_slot = -1, vibration_slot = -1, wear_slot = -1, temperature_slot = -1;
  RunningWindow current_win, vibration_win;
  double current_mean = kNan;  // latest running window mean of the current [A]
  double wear_mm = kNan;       // latest flank wear [mm]
  double wear_sum = 0.0;       // flank wear samples in the current window
  uint32_t wear_count = 0;
  int64_t wear_start_ns = std::numeric_limits<int64_t>::min();

  // Bearing: vibration explained by the current (both follow the load) while healthy.
  HealthyFit vibration_fit;
  double vibration_cusum = 0.0;  // [1 x windows]
  int64_t vibration_onset_ns = 0;
  bool bearing_alarm = false;
  DegradationTrend bearing_trend;  // log of the relative excess vibration over running time
  int64_t next_bearing_rul_ns = 0;
  DegradationTrend wear_trend;  // flank wear [mm] over running time, restarted with each edge
  int64_t next_tool_rul_ns = 0;
  std::deque<std::pair<int64_t, double>> running_history;  // (t [ns], running_s [s]) per window
  // Tool: current explained by the flank wear while healthy.
  HealthyFit current_fit;
  CusumDetector current_cusum;
  bool worn_alarm = false;
  bool current_alarm = false;
  // Thermal: a UKF on the nominal RC model driven by the motor load (latest current / rated).
  std::unique_ptr<ThermalFilter> thermal;
  double load = 0.0;  // [1] latest motor load seen
  bool cooling_alarm = false;
  int64_t thermal_since_ns = 0;  // [ns] first temperature sample
  int64_t next_thermal_rul_ns = 0;

  std::vector<SensorWatch> sensors;  // per tag of the machine (slot - first slot)
  uint32_t first_slot = 0;

  // Energy: the first power tag.
  int32_t power_slot = -1;
  std::unique_ptr<condition::EnergyMonitor> energy;
  size_t energy_alarms_seen = 0;  // energy->alarms() already turned into TwinAlarms

  // Mode from current: the first current tag.
  bool plc = true;  // the machine reports its mode (else own_modes condition its samples)
  std::unique_ptr<condition::ModeClassifier> classifier;
  Modes own_modes;                        // classified, as telemetry::Mode (without PLC modes)
  std::deque<ClassifiedMode> classified;  // decision changes
  ModeAgreement agreement;
  int64_t last_current_ns = 0;  // [ns] previous current sample (0: none)
  int last_plc_class = -1;      // PLC class at it (-1 unknown)
  int last_class = 0;           // classified class at it
  // `twin fit`: current samples (thinned) and PLC modes, seconds from the monitor's origin.
  std::vector<condition::CurrentSample> fit_samples;
  std::vector<condition::ModeSegment> fit_modes;
  int64_t fit_next_ns = std::numeric_limits<int64_t>::min();

  uint8_t mode_at(int64_t t) const { return mode_in(modes, t); }
  // The mode that conditions the samples: the PLC's, or the classified one without it.
  uint8_t condition_mode_at(int64_t t) const { return mode_in(plc ? modes : own_modes, t); }
  int64_t to_nearest_change(int64_t t) const { return nearest_change(plc ? modes : own_modes, t); }
};

struct ConditionMonitor::Conveyor {
  uint32_t node = 0;
  std::vector<uint32_t> upstream, downstream;  // machines
  double transport_s = 0.0;                    // [s] mean transport time
  std::deque<int64_t> on_belt_ns;  // [ns] when each part still on the belt was put on (FIFO)
  bool alarm = false;
};

ConditionMonitor::ConditionMonitor(const Model& model, const MirrorModel& names,
                                   ConditionMonitorOptions options, const MonitorFit* fit)
    : model_(model), names_(names), options_(options) {
  if (fit != nullptr) rul_calibration_ = fit->rul_calibration;
  const size_t nm = names.machine.size();
  {
    // Median life fraction at breakage of the nominal tool model, as flank wear.
    const condition::ToolWearParams tool;
    const double life = condition::breakage_life_used(tool, std::log(2.0));
    breakage_wear_mm_ = options_.tool_wear_limit_mm * std::pow(life, tool.wear_exponent);
  }
  mode_.assign(nm, telemetry::MODE_UNKNOWN);
  mode_since_ns_.assign(nm, 0);
  tag_role_.assign(names.tag_name.size(), kNone);
  CusumOptions co;
  co.k = options_.current_k;
  co.h = options_.current_h;
  co.clear_h = 0.5;
  for (uint32_t m = 0; m < nm; ++m) {
    auto mc = std::make_unique<Machine>();
    mc->index = m;
    mc->name = names.machine[m];
    mc->first_slot = names.tag_offset[m];
    mc->sensors.resize(names.tag_offset[m + 1] - names.tag_offset[m]);
    mc->current_cusum = CusumDetector(co);
    for (uint32_t slot = names.tag_offset[m]; slot < names.tag_offset[m + 1]; ++slot) {
      const auto signal = static_cast<Signal>(names.tag_signal[slot]);
      int32_t* first = nullptr;
      Role role = kNone;
      switch (signal) {
        case Signal::kMotorCurrent:
          first = &mc->current_slot;
          role = kCurrent;
          break;
        case Signal::kVibrationRms:
          first = &mc->vibration_slot;
          role = kVibration;
          break;
        case Signal::kToolWear:
          first = &mc->wear_slot;
          role = kToolWear;
          break;
        case Signal::kTemperature:
          first = &mc->temperature_slot;
          role = kTemperature;
          break;
        case Signal::kPower:
          first = &mc->power_slot;
          role = kPower;
          break;
        default:
          break;
      }
      if (first != nullptr && *first < 0) {
        *first = static_cast<int32_t>(slot);
        tag_role_[slot] = role;
      }
    }
    // A station that lists its tags without a mode tag has no PLC mode signal.
    const Station& st = model.stations[model.machine_station[m]];
    if (!st.tags.empty()) {
      mc->plc = std::any_of(st.tags.begin(), st.tags.end(), [](const TagSpec& t) {
        return static_cast<Signal>(t.signal) == Signal::kMode;
      });
    }
    const MachineFit* mf = fit != nullptr ? fit->find(mc->name) : nullptr;
    if (mc->power_slot >= 0) {
      condition::EnergyMonitorOptions eo = options_.energy;
      eo.shift_start_s = 0.0;  // times are seconds from the monitor's origin
      // The scene's limit for this machine, where it gives one, over the options' default.
      if (st.energy_hour_limit_kWh > 0.0) eo.hour_limit_kWh = st.energy_hour_limit_kWh;
      if (mf != nullptr && mf->energy_kWh_per_part > 0.0)
        eo.baseline_kWh_per_part = mf->energy_kWh_per_part;
      mc->energy = std::make_unique<condition::EnergyMonitor>(eo);
    }
    if (mc->current_slot >= 0) {
      const bool fitted = mf != nullptr && mf->has_mode_classifier;
      mc->classifier = std::make_unique<condition::ModeClassifier>(
          fitted ? mf->mode_classifier
                 : condition::nominal_mode_classifier(condition::MotorParams{}));
      mc->agreement.machine = mc->name;
      mc->agreement.tag = names.tag_name[static_cast<size_t>(mc->current_slot)];
      mc->agreement.fitted = fitted;
      mc->agreement.plc_mode = mc->plc;
    }
    if (mf != nullptr) {
      mc->current_fit.line = mf->current_vs_wear;
      mc->vibration_fit.line = mf->vibration_vs_current;
    }
    machines_.push_back(std::move(mc));
  }
  // Conveyors: the machines that feed each one and those it feeds.
  for (uint32_t n = 0; n < model.nodes.size(); ++n) {
    if (model.nodes[n].kind != NodeKind::kConveyor) continue;
    Conveyor c;
    c.node = n;
    for (uint32_t s = 0; s < model.stations.size(); ++s) {
      const Station& st = model.stations[s];
      const bool feeds = st.output == n;
      const bool takes = std::find(st.inputs.begin(), st.inputs.end(), n) != st.inputs.end();
      for (uint32_t k = 0; k < st.machine_count; ++k) {
        if (feeds) c.upstream.push_back(st.first_machine + k);
        if (takes) c.downstream.push_back(st.first_machine + k);
      }
    }
    c.transport_s = model.nodes[n].transport_time.mean;
    if (!c.upstream.empty() && !c.downstream.empty()) conveyors_.push_back(std::move(c));
  }
}

ConditionMonitor::~ConditionMonitor() = default;

MonitorFit ConditionMonitor::fit() const {
  MonitorFit out;
  out.scene = model_.name;
  for (const auto& m : machines_) {
    MachineFit f;
    f.machine = m->name;
    f.running_s = m->running_s;
    if (!m->current_fit.x.empty()) {
      const double level = quantile(m->current_fit.y, 0.5);
      f.current_vs_wear = fit_line(m->current_fit.x, m->current_fit.y, 0.01 * std::abs(level));
    } else {
      f.current_vs_wear = m->current_fit.line;
    }
    f.vibration_vs_current = m->vibration_fit.x.empty()
                                 ? m->vibration_fit.line
                                 : fit_line(m->vibration_fit.x, m->vibration_fit.y, 0.005);
    if (m->energy) {
      // The healthy energy per good part over every eligible hour of the recording.
      double kWh = 0.0;
      uint64_t parts = 0;
      uint32_t hours = 0;
      for (const condition::EnergyHour& h : m->energy->hours()) {
        if (!h.closed || !h.judged) continue;
        kWh += h.kWh;
        parts += h.good_parts;
        ++hours;
      }
      if (parts > 0) {
        f.energy_kWh_per_part = kWh / static_cast<double>(parts);
        f.energy_hours = hours;
      }
    }
    if (m->classifier && options_.collect_mode_fit && !m->fit_samples.empty() &&
        !m->fit_modes.empty()) {
      f.mode_classifier =
          condition::fit_mode_classifier(m->fit_samples, m->fit_modes, f.mode_fit_note);
      f.has_mode_classifier = condition::validate(f.mode_classifier).empty();
    }
    if (f.current_vs_wear.ok() || f.vibration_vs_current.ok() || f.energy_kWh_per_part > 0.0 ||
        f.has_mode_classifier)
      out.machines.push_back(f);
  }
  return out;
}

double ModeAgreement::scored_s() const {
  double sum = 0.0;
  for (const auto& row : seconds)
    for (double x : row) sum += x;
  return sum;
}

double ModeAgreement::agreed_s() const {
  double sum = 0.0;
  for (size_t c = 0; c < seconds.size(); ++c) sum += seconds[c][c];
  return sum;
}

void ModeAgreement::add(const ModeAgreement& other) {
  for (size_t i = 0; i < seconds.size(); ++i)
    for (size_t j = 0; j < seconds[i].size(); ++j) seconds[i][j] += other.seconds[i][j];
}

std::vector<MachineEnergy> ConditionMonitor::energy() const {
  std::vector<MachineEnergy> out;
  for (const auto& m : machines_) {
    if (!m->energy) continue;
    const condition::EnergyMonitor& e = *m->energy;
    MachineEnergy x;
    x.machine = m->name;
    x.tag = names_.tag_name[static_cast<size_t>(m->power_slot)];
    x.kWh = e.total_kWh();
    for (const condition::EnergyHour& h : e.hours()) x.estimated_kWh += h.estimated_kWh;
    x.kg_co2 = e.total_kg_co2();
    x.good_parts = e.total_good_parts();
    x.kWh_per_part = e.kWh_per_part();
    x.baseline_kWh_per_part = e.baseline_kWh_per_part();
    x.hours = static_cast<uint32_t>(e.hours().size());
    x.drift = e.drift_active();
    out.push_back(std::move(x));
  }
  return out;
}

std::vector<ModeAgreement> ConditionMonitor::mode_agreement() const {
  std::vector<ModeAgreement> out;
  for (const auto& m : machines_) {
    if (m->classifier) out.push_back(m->agreement);
  }
  return out;
}

std::vector<ClassifiedMode> ConditionMonitor::classified_modes(uint32_t machine) const {
  if (machine >= machines_.size()) return {};
  const auto& c = machines_[machine]->classified;
  return {c.begin(), c.end()};
}

void ConditionMonitor::set_origin(int64_t t) {
  if (energy_start_ns_ != 0) return;
  if (options_.energy_start_ns != 0) {
    energy_start_ns_ = options_.energy_start_ns;
    return;
  }
  // The minute the first data falls in, or the next one when it is a few seconds before it
  // (device clocks a little ahead of a shift that starts on the minute).
  const int64_t minute = 60LL * 1000000000LL;
  const int64_t shifted = t + 5LL * 1000000000LL;
  int64_t start = shifted / minute * minute;
  if (start > shifted) start -= minute;  // negative times round down too
  energy_start_ns_ = start != 0 ? start : 1;
}

void ConditionMonitor::on_sample(uint32_t slot, int64_t time_ns, float value, uint8_t quality) {
  pending_.push_back({time_ns, value, slot, quality});
}

void ConditionMonitor::on_mode(uint32_t machine, int64_t time_ns, uint8_t mode) {
  if (machine >= machines_.size()) return;
  Machine& m = *machines_[machine];
  if (!m.modes.empty() && m.modes.back().second == mode) return;
  set_origin(time_ns);
  m.modes.emplace_back(time_ns, mode);
  if (options_.collect_mode_fit && m.classifier) {
    if (const std::optional<Mode> pm = from_telemetry(static_cast<telemetry::Mode>(mode)))
      m.fit_modes.push_back({to_s(time_ns - energy_start_ns_), *pm});
  }
  mode_[machine] = mode;
  mode_since_ns_[machine] = time_ns;
}

void ConditionMonitor::on_part(uint32_t machine, int64_t time_ns, uint8_t kind, uint16_t) {
  on_conveyor_part(machine, time_ns, kind);
  if (machine >= machines_.size()) return;
  Machine& m = *machines_[machine];
  if (m.energy && kind == telemetry::PartEvent::KIND_FINISHED) {
    set_origin(time_ns);
    m.energy->add_good_parts(to_s(time_ns - energy_start_ns_), 1);
  }
}

void ConditionMonitor::on_conveyor_part(uint32_t machine, int64_t time_ns, uint8_t kind) {
  for (Conveyor& c : conveyors_) {
    if (kind == telemetry::PartEvent::KIND_FINISHED &&
        std::find(c.upstream.begin(), c.upstream.end(), machine) != c.upstream.end()) {
      c.on_belt_ns.push_back(time_ns);
    } else if (kind == telemetry::PartEvent::KIND_STARTED && !c.on_belt_ns.empty() &&
               std::find(c.downstream.begin(), c.downstream.end(), machine) != c.downstream.end()) {
      c.on_belt_ns.pop_front();
    }
  }
}

void ConditionMonitor::on_released(int64_t until_ns) {
  // A sample is mode-conditioned once every change within settle_s after it is known.
  const int64_t ready = until_ns - to_ns(options_.settle_s);
  while (!pending_.empty() && pending_.front().time_ns <= ready) {
    const Pending s = pending_.front();
    pending_.pop_front();
    const uint32_t machine = names_.tag_machine[s.slot];
    process(*machines_[machine], s);
  }
  // Keep one change older than anything still to be processed.
  const int64_t oldest = pending_.empty() ? ready : std::min(ready, pending_.front().time_ns);
  for (auto& m : machines_) {
    while (m->modes.size() > 1 && m->modes[1].first < oldest - to_ns(60.0)) m->modes.pop_front();
    while (m->own_modes.size() > 1 && m->own_modes[1].first < oldest - to_ns(60.0))
      m->own_modes.pop_front();
  }
  check_conveyors(until_ns);
}

void ConditionMonitor::finish(int64_t end_ns) {
  // Every mode up to end_ns is released now: what still waits can be processed.
  std::deque<Pending> later;
  while (!pending_.empty()) {
    const Pending s = pending_.front();
    pending_.pop_front();
    if (s.time_ns > end_ns) {
      later.push_back(s);
      continue;
    }
    process(*machines_[names_.tag_machine[s.slot]], s);
  }
  pending_ = std::move(later);
  if (energy_start_ns_ == 0) return;  // no data at all
  for (auto& m : machines_) {
    if (!m->energy) continue;
    m->energy->close_until(to_s(end_ns - energy_start_ns_));
    take_energy_alarms(*m);
  }
}

void ConditionMonitor::take_energy_alarms(Machine& m) {
  const std::vector<condition::EnergyAlarm>& list = m.energy->alarms();
  for (; m.energy_alarms_seen < list.size(); ++m.energy_alarms_seen) {
    const condition::EnergyAlarm& e = list[m.energy_alarms_seen];
    TwinAlarm a = make_alarm(energy_start_ns_ + to_ns(e.time_s), m.name,
                             names_.tag_name[static_cast<size_t>(m.power_slot)], e.code.c_str(),
                             telemetry::FaultTruth::KIND_UNKNOWN, !e.cleared);
    if (!e.cleared) a.severity = static_cast<telemetry::Severity>(std::clamp(e.severity, 1, 3));
    a.value = e.value;
    a.limit = e.limit;
    a.evidence = e.text;
    raise(std::move(a));
  }
}

void ConditionMonitor::process_energy(Machine& m, const Pending& s) {
  m.energy->add_power(to_s(s.time_ns - energy_start_ns_), static_cast<double>(s.value));
  take_energy_alarms(m);
}

void ConditionMonitor::process_mode(Machine& m, const Pending& s, uint8_t plc_mode) {
  const int64_t t = s.time_ns;
  const double ts = to_s(t - energy_start_ns_);
  const condition::ModeDecision d = m.classifier->update(ts, static_cast<double>(s.value));
  // Time between consecutive samples counts for the PLC class and the decision at its start.
  if (m.last_current_ns != 0 && t > m.last_current_ns && m.last_plc_class >= 0) {
    const double dt = to_s(t - m.last_current_ns);
    if (dt <= options_.mode_max_gap_s) {
      m.agreement
          .seconds[static_cast<size_t>(m.last_plc_class)][static_cast<size_t>(m.last_class)] += dt;
    }
  }
  if (t >= m.last_current_ns) {
    m.last_current_ns = t;
    m.last_plc_class = current_class(plc_mode);
    m.last_class = static_cast<int>(d.mode);
  }
  if (m.classified.empty() || m.classified.back().mode != d.mode) {
    m.classified.push_back({t, d.mode, d.probability});
    while (m.classified.size() > std::max<size_t>(options_.mode_history, 1))
      m.classified.pop_front();
    if (!m.plc) m.own_modes.emplace_back(t, telemetry_mode(d.mode));
  }
  if (options_.collect_mode_fit && t >= m.fit_next_ns) {
    m.fit_samples.push_back({ts, static_cast<double>(s.value)});
    m.fit_next_ns = t + to_ns(options_.mode_fit_every_s);
  }
}

void ConditionMonitor::raise(TwinAlarm alarm) {
  alarms_.push_back(std::move(alarm));
}

void ConditionMonitor::emit_rul(const Machine& m, int64_t t, const std::string& tag, FaultKind kind,
                                const RulEstimate& running) {
  // Running time left -> calendar time at the machine's recent share of running.
  double share = 1.0;
  if (m.running_history.size() >= 2) {
    const auto& [t0, r0] = m.running_history.front();
    const auto& [t1, r1] = m.running_history.back();
    if (t1 > t0) share = (r1 - r0) / to_s(t1 - t0);
  }
  share = std::clamp(share, 0.05, 1.0);
  RulPoint p;
  p.time_ns = t;
  p.target = m.name;
  p.tag = tag;
  p.suspected = kind;
  p.median_s = running.median_s / share;
  p.lo_s = running.p05_s / share;
  p.hi_s = running.p95_s / share;
  if (!std::isfinite(p.median_s) && !std::isfinite(p.lo_s)) return;  // no degradation seen
  rul_.push_back(calibrate_rul(p, rul_calibration_));
}

void ConditionMonitor::process(Machine& m, const Pending& s) {
  ++counters_.samples;
  const int64_t t = s.time_ns;
  set_origin(t);
  const uint32_t local = s.slot - m.first_slot;
  const std::string& tag = names_.tag_name[s.slot];

  // Sensors: device-flagged uncertain values, frozen noisy signals.
  if (local < m.sensors.size()) {
    SensorWatch& w = m.sensors[local];
    if (s.quality == telemetry::QUALITY_UNCERTAIN) w.uncertain_ns.push_back(t);
    const int64_t window = to_ns(options_.sensor_uncertain_window_s);
    while (!w.uncertain_ns.empty() && w.uncertain_ns.front() < t - window)
      w.uncertain_ns.pop_front();
    if (!w.erratic && w.uncertain_ns.size() >= options_.sensor_uncertain_count) {
      w.erratic = true;
      TwinAlarm a = make_alarm(t, m.name, tag, "SENSOR_ERRATIC",
                               telemetry::FaultTruth::KIND_SENSOR_FAILURE, true);
      a.value = static_cast<double>(w.uncertain_ns.size());
      a.limit = options_.sensor_uncertain_count;
      a.evidence = format("%.0f values flagged uncertain by the device within %.0f s", a.value,
                          options_.sensor_uncertain_window_s);
      raise(std::move(a));
    } else if (w.erratic && w.uncertain_ns.empty()) {
      w.erratic = false;
      TwinAlarm a = make_alarm(t, m.name, tag, "SENSOR_ERRATIC",
                               telemetry::FaultTruth::KIND_SENSOR_FAILURE, false);
      a.evidence = "no uncertain values for a whole window";
      raise(std::move(a));
    }
    if (names_.noisy[s.slot]) {
      if (!w.has_last || s.value != w.last) {
        if (w.stuck) {
          w.stuck = false;
          TwinAlarm a = make_alarm(t, m.name, tag, "SENSOR_STUCK",
                                   telemetry::FaultTruth::KIND_SENSOR_FAILURE, false);
          a.evidence = "the value moves again";
          raise(std::move(a));
        }
        w.same_since_ns = t;
      } else if (!w.stuck && t - w.same_since_ns >= to_ns(options_.sensor_stuck_s)) {
        w.stuck = true;
        TwinAlarm a = make_alarm(t, m.name, tag, "SENSOR_STUCK",
                                 telemetry::FaultTruth::KIND_SENSOR_FAILURE, true);
        a.value = to_s(t - w.same_since_ns);
        a.limit = options_.sensor_stuck_s;
        a.evidence = format("a noisy signal has repeated %.4g for %.0f s", s.value, a.value);
        raise(std::move(a));
      }
      w.last = s.value;
      w.has_last = true;
    }
  }
  if (s.quality == telemetry::QUALITY_UNCERTAIN) return;  // not evidence for the models

  const int32_t role = tag_role_[s.slot];
  if (role == kNone) return;
  // A tag flagged stuck or erratic is not evidence of energy or mode: energy is bridged over it
  // and the classifier (and its score) waits for the sensor to recover.
  const bool suspect =
      local < m.sensors.size() && (m.sensors[local].stuck || m.sensors[local].erratic);
  if (suspect && (role == kPower || (role == kCurrent && m.classifier))) ++counters_.suspect_sensor;
  if (role == kPower) {
    if (m.energy && !suspect) process_energy(m, s);
    return;
  }
  if (role == kCurrent && m.classifier && !suspect) process_mode(m, s, m.mode_at(t));
  const uint8_t mode = m.condition_mode_at(t);
  if (mode == telemetry::MODE_UNKNOWN) {
    ++counters_.unknown_mode;
    return;
  }
  const int64_t window_ns = to_ns(options_.aggregate_s);

  if (role == kToolWear) {
    // Flank wear is measured in every mode; windows of calendar time.
    if (m.wear_start_ns == std::numeric_limits<int64_t>::min()) m.wear_start_ns = t;
    if (t - m.wear_start_ns >= window_ns && m.wear_count > 0) {
      const double vb = m.wear_sum / m.wear_count;
      const bool replaced = std::isfinite(m.wear_mm) && vb < m.wear_mm - 0.05;
      m.wear_mm = vb;
      if (replaced) m.wear_trend.reset();
      m.wear_trend.update(m.running_s, vb);
      // Life left to the wear at which the twin's tool model expects the edge to break (the
      // median of its breakage hazard), while the tool is suspect.
      if ((m.current_alarm || m.worn_alarm) && t >= m.next_tool_rul_ns &&
          m.wear_trend.initialised()) {
        m.next_tool_rul_ns = t + to_ns(options_.rul_interval_s);
        emit_rul(m, t, tag, telemetry::FaultTruth::KIND_TOOL_BREAKAGE,
                 m.wear_trend.time_to_threshold(breakage_wear_mm_));
      }
      if (!m.worn_alarm && vb > options_.tool_wear_limit_mm * options_.tool_wear_margin) {
        m.worn_alarm = true;
        TwinAlarm a = make_alarm(t, m.name, tag, "TOOL_WORN",
                                 telemetry::FaultTruth::KIND_TOOL_BREAKAGE, true);
        a.value = vb;
        a.limit = options_.tool_wear_limit_mm;
        a.evidence = format("flank wear %.3f mm over the %.2f mm limit (ISO 3685)", vb, a.limit);
        raise(std::move(a));
      } else if (m.worn_alarm && (replaced || vb < 0.5 * options_.tool_wear_limit_mm)) {
        m.worn_alarm = false;
        TwinAlarm a = make_alarm(t, m.name, tag, "TOOL_WORN",
                                 telemetry::FaultTruth::KIND_TOOL_BREAKAGE, false);
        a.value = vb;
        a.evidence = "a new edge";
        raise(std::move(a));
      }
      m.wear_sum = 0.0;
      m.wear_count = 0;
      m.wear_start_ns = t;
    }
    m.wear_sum += s.value;
    ++m.wear_count;
    return;
  }
  if (role == kCurrent) m.load = std::max(0.0, s.value / options_.rated_current_A);
  if (role == kTemperature) {
    // The RC model is a motor's: it needs the load, i.e. the machine's current.
    if (m.current_slot < 0) return;
    if (!m.thermal) m.thermal_since_ns = t;
    if (!m.thermal) m.thermal = std::make_unique<ThermalFilter>(condition::ThermalParams());
    const double ts = to_s(t);
    if (m.thermal->started()) m.thermal->predict_to(ts, m.load);
    const ThermalUpdate u = m.thermal->update(ts, s.value);
    if (!u.used) return;
    const double upper = u.cooling + 3.0 * u.cooling_sd;
    // Near ambient the cooling is not observable: judge it after a warm-up.
    const bool warm = t - m.thermal_since_ns >= to_ns(options_.thermal_warmup_s);
    if (!m.cooling_alarm && warm && upper < options_.cooling_alarm) {
      m.cooling_alarm = true;
      TwinAlarm a = make_alarm(t, m.name, tag, "COOLING_DEGRADED",
                               telemetry::FaultTruth::KIND_OVERHEATING, true);
      a.value = u.cooling;
      a.limit = options_.cooling_alarm;
      a.evidence = format(
          "the thermal model needs a cooling factor of %.2f +- %.2f to explain %.1f degC at this "
          "load (healthy: 1)",
          u.cooling, u.cooling_sd, s.value);
      raise(std::move(a));
    } else if (m.cooling_alarm && u.cooling - 3.0 * u.cooling_sd > options_.cooling_clear) {
      m.cooling_alarm = false;
      TwinAlarm a = make_alarm(t, m.name, tag, "COOLING_DEGRADED",
                               telemetry::FaultTruth::KIND_OVERHEATING, false);
      a.value = u.cooling;
      a.evidence = "cooling back to healthy";
      raise(std::move(a));
    }
    if (m.cooling_alarm && t >= m.next_thermal_rul_ns) {
      m.next_thermal_rul_ns = t + to_ns(options_.rul_interval_s);
      const TimeToLimit left = m.thermal->time_to_limit(options_.temperature_limit_C, m.load);
      RulPoint p;
      p.time_ns = t;
      p.target = m.name;
      p.tag = tag;
      p.suspected = telemetry::FaultTruth::KIND_OVERHEATING;
      p.median_s = left.median_s;
      p.lo_s = left.p05_s;
      p.hi_s = left.p95_s;
      if (std::isfinite(p.median_s) || std::isfinite(p.lo_s))
        rul_.push_back(calibrate_rul(p, rul_calibration_));
    }
    return;
  }

  // Current and vibration: running samples away from mode changes, in windows.
  RunningWindow& win = role == kCurrent ? m.current_win : m.vibration_win;
  if (win.start_ns == std::numeric_limits<int64_t>::min()) win.start_ns = t;
  if (t - win.start_ns >= window_ns) {
    if (win.count >= options_.min_window_samples) {
      ++counters_.windows;
      const double mean = win.sum / win.count;
      if (role == kCurrent || m.current_slot < 0) {
        m.running_s += win.running_s;
        m.running_history.emplace_back(t, m.running_s);
        while (m.running_history.size() > 2 &&
               m.running_history[1].first <= t - to_ns(options_.running_share_s))
          m.running_history.pop_front();
      }
      if (role == kCurrent) {
        m.current_mean = mean;
        // Tool: the current a window of cutting should draw with this much wear (a machine
        // without a wear sensor: what it drew while healthy).
        const double wear = m.wear_slot < 0 ? 0.0 : m.wear_mm;
        if (std::isfinite(wear)) {
          if (!m.current_fit.ready()) {
            m.current_fit.x.push_back(wear);
            m.current_fit.y.push_back(mean);
            m.current_baseline_s += win.running_s;
            if (m.current_baseline_s >= options_.baseline_s) {
              // Window means of a steady cut vary little; 1 % of the level keeps a few tenths
              // of an ampere of unexplained load (material, coolant) from counting.
              m.current_fit.fit(0.01 * std::abs(mean));
            }
          } else {
            const double z = (mean - m.current_fit.predict(wear)) / m.current_fit.sd();
            const CusumChange change = m.current_cusum.update(t, std::max(z, 0.0));
            if (change != CusumChange::kNone) {
              m.current_alarm = change == CusumChange::kRaised;
              TwinAlarm a = make_alarm(
                  t, m.name, names_.tag_name[static_cast<size_t>(m.current_slot)], "CURRENT_RISE",
                  telemetry::FaultTruth::KIND_TOOL_BREAKAGE, m.current_alarm);
              a.value = mean;
              a.limit = m.current_fit.predict(wear);
              a.evidence = m.current_alarm
                               ? format(
                                     "cutting current %.2f A where the tool's wear explains "
                                     "%.2f A (residual sd %.2f A)",
                                     mean, a.limit, m.current_fit.sd())
                               : std::string("cutting current back to what the wear explains");
              raise(std::move(a));
            }
          }
        }
      } else if (m.current_slot < 0 || std::isfinite(m.current_mean)) {
        // Bearing: vibration against what the load (the current) explains while healthy.
        const double load_x = m.current_slot < 0 ? 0.0 : m.current_mean;
        if (!m.vibration_fit.ready()) {
          m.vibration_fit.x.push_back(load_x);
          m.vibration_fit.y.push_back(mean);
          m.vibration_baseline_s += win.running_s;
          if (m.vibration_baseline_s >= options_.baseline_s) m.vibration_fit.fit(0.005);
        } else {
          const double expected = std::max(m.vibration_fit.predict(load_x), 1e-3);
          const double y = std::log(std::max(mean, 1e-6) / expected);
          const double before = m.vibration_cusum;
          m.vibration_cusum = std::min(std::max(0.0, before + y - options_.vibration_k),
                                       3.0 * options_.vibration_h);
          if (before == 0.0 && m.vibration_cusum > 0.0) m.vibration_onset_ns = win.start_ns;
          if (!m.bearing_alarm && m.vibration_cusum > options_.vibration_h) {
            m.bearing_alarm = true;
            TwinAlarm a =
                make_alarm(t, m.name, names_.tag_name[static_cast<size_t>(m.vibration_slot)],
                           "BEARING_DEGRADING", telemetry::FaultTruth::KIND_BEARING_WEAR, true);
            a.value = mean;
            a.limit = expected;
            a.evidence = format(
                "vibration %.2f mm/s while cutting, %.0f %% above the %.2f mm/s this load "
                "gives on this machine when healthy",
                mean, 100.0 * (mean / expected - 1.0), expected);
            raise(std::move(a));
          } else if (m.bearing_alarm && m.vibration_cusum == 0.0) {
            m.bearing_alarm = false;
            TwinAlarm a =
                make_alarm(t, m.name, names_.tag_name[static_cast<size_t>(m.vibration_slot)],
                           "BEARING_DEGRADING", telemetry::FaultTruth::KIND_BEARING_WEAR, false);
            a.value = mean;
            a.evidence = "vibration back to the healthy level";
            raise(std::move(a));
            m.bearing_trend.reset();
          }
          if (m.bearing_alarm) {
            // The damage d = vibration / healthy - 1 grows exponentially with running time
            // (models/condition/bearing.h): log d is a line whose crossing of the trip level's
            // log d is the end of life.
            const double d = mean / expected - 1.0;
            m.bearing_trend.update(m.running_s, std::log(std::max(d, 1e-3)));
            const double d_trip = options_.vibration_trip_mm_s / expected - 1.0;
            if (t >= m.next_bearing_rul_ns && m.bearing_trend.initialised()) {
              m.next_bearing_rul_ns = t + to_ns(options_.rul_interval_s);
              emit_rul(m, t, names_.tag_name[static_cast<size_t>(m.vibration_slot)],
                       telemetry::FaultTruth::KIND_BEARING_WEAR,
                       m.bearing_trend.time_to_threshold(std::log(std::max(d_trip, 1e-3))));
            }
          }
        }
      }
    }
    win = RunningWindow{};
    win.start_ns = t;
  }
  const bool running = mode == telemetry::MODE_RUNNING;
  if (running && m.to_nearest_change(t) >= to_ns(options_.settle_s)) {
    win.sum += s.value;
    if (win.count > 0) win.running_s += std::min(to_s(t - win.last_ns), 1.0);
    ++win.count;
    win.last_ns = t;
  }
}

void ConditionMonitor::check_conveyors(int64_t now_ns) {
  for (Conveyor& c : conveyors_) {
    bool starved = true;
    for (uint32_t m : c.downstream) starved = starved && mode_[m] == telemetry::MODE_STARVED;
    const std::string& name = model_.nodes[c.node].name;
    const double waiting_s = c.on_belt_ns.empty() ? 0.0 : to_s(now_ns - c.on_belt_ns.front());
    if (!c.alarm && starved && waiting_s >= c.transport_s + options_.jam_s) {
      c.alarm = true;
      TwinAlarm a = make_alarm(now_ns, name, std::string(), "CONVEYOR_JAM",
                               telemetry::FaultTruth::KIND_CONVEYOR_JAM, true);
      a.value = waiting_s;
      a.limit = c.transport_s + options_.jam_s;
      a.evidence = format(
          "%.0f parts put on, the oldest %.0f s ago (transport takes %.0f s), none taken off "
          "while every machine after the conveyor starves",
          static_cast<double>(c.on_belt_ns.size()), waiting_s, c.transport_s);
      raise(std::move(a));
    } else if (c.alarm && (!starved || waiting_s < c.transport_s + options_.jam_s)) {
      c.alarm = false;
      TwinAlarm a = make_alarm(now_ns, name, std::string(), "CONVEYOR_JAM",
                               telemetry::FaultTruth::KIND_CONVEYOR_JAM, false);
      a.evidence = "parts come off again";
      raise(std::move(a));
    }
  }
}

const char* fault_kind_name(FaultKind kind) {
  switch (kind) {
    case telemetry::FaultTruth::KIND_BEARING_WEAR:
      return "bearing_wear";
    case telemetry::FaultTruth::KIND_TOOL_BREAKAGE:
      return "tool_breakage";
    case telemetry::FaultTruth::KIND_OVERHEATING:
      return "overheating";
    case telemetry::FaultTruth::KIND_CONVEYOR_JAM:
      return "conveyor_jam";
    case telemetry::FaultTruth::KIND_SENSOR_FAILURE:
      return "sensor_failure";
    default:
      return "unknown";
  }
}

}  // namespace twin
