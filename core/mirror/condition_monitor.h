// The twin's condition monitor: listens to the mirror (every accepted sample, mode change and
// part event), runs each machine's condition estimators on its telemetry and raises the twin's
// own alarms (TwinAlarm) and remaining-useful-life estimates (RulPoint). Replay and live use it
// alike: it is a MirrorListener.
//
// Samples are conditioned on the machine's mode (a spindle's current and vibration mean
// something only while it cuts), so they are buffered until the mirror has released every
// mode change up to their time (the reorder window), then processed in time order.
//
// Detectors, per machine (each on the tags of the right Signal):
// - bearing: vibration RMS while running, averaged per minute, against the machine's own healthy
//   level (learned from its first running hour, or fitted by `twin fit`); the log ratio feeds a
//   one-sided CUSUM (alarm BEARING_DEGRADING) and a local-linear-trend filter over running time
//   whose crossing of the ISO 10816-3 zone C/D boundary gives the RUL.
// - tool: flank wear against the ISO 3685 limit (TOOL_WORN) with a trend filter over cutting time
//   for the RUL; the spindle current while cutting against what the wear explains (a regression
//   learned in the healthy period) in a CUSUM (CURRENT_RISE: the extra load of a failing edge).
// - thermal: a UKF on the lumped RC model driven by the motor load estimates the cooling
//   factor; a significant fall raises COOLING_DEGRADED and the time to the temperature limit is
//   the RUL.
// - sensors: values the device flags uncertain (SENSOR_ERRATIC) or a noisy signal frozen for
//   minutes (SENSOR_STUCK).
// - conveyors: parts were put on (finished upstream) but none taken off for well over the
//   transport time while every machine downstream starves (CONVEYOR_JAM on the conveyor).
// - energy: the power tag [kW] integrated per hour (models/condition/energy_monitor): hourly
//   energy against a limit (ENERGY_HOUR_LIMIT) and energy per good part (FINISHED part events)
//   against the machine's baseline (ENERGY_DRIFT_HIGH / _LOW; learnt from its first eligible
//   hours, or fitted by `twin fit`). Hours count from the shift start: the first sample's time
//   rounded to the minute unless options.energy_start_ns gives it. Per-machine kWh, kg CO2 and
//   kWh per good part: energy().
//
// Mode from current (models/condition/mode_classifier), per machine with a motor current tag: an
// HMM classifies running / idle / setup / off from the first current tag alone (fitted by `twin
// fit` on a healthy recording and its PLC modes, else nominal). The classified modes are kept
// over time and, where the PLC reports modes, scored against them (time-weighted confusion,
// mode_agreement()). A machine whose scene lists tags but no mode tag has no PLC mode signal:
// its samples are conditioned on the classified mode instead.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "core/mirror/mirror.h"
#include "core/mirror/monitor_fit.h"
#include "core/mirror/twin_alarm.h"
#include "core/model/model.h"
#include "models/condition/energy_monitor.h"
#include "models/condition/mode_classifier.h"
#include "models/estimation/degradation_trend.h"

namespace twin {

struct ConditionMonitorOptions {
  double settle_s = 1.0;      // [s] samples this close to a mode change are not mode-conditioned
  double aggregate_s = 60.0;  // [s] running samples are averaged over windows of this length
  uint32_t min_window_samples = 10;  // a window with fewer running samples is skipped
  double baseline_s = 3600.0;  // [s] of running time that teaches each machine its healthy levels
  // Bearing: one-sided CUSUM on the per-window log ratio of vibration to its healthy level.
  double vibration_k = 0.06;         // [1] reference value (a 6 % rise is tolerated: load changes)
  double vibration_h = 0.6;          // [1 x windows] decision interval
  double vibration_trip_mm_s = 4.5;  // [mm/s] ISO 10816-3 group 2 rigid, zone C/D boundary
  // Tool: ISO 3685 flank-wear criterion; CUSUM on the normalised current residual.
  double tool_wear_limit_mm = 0.3;  // [mm]
  double tool_wear_margin = 1.03;   // [1] alarm above limit x margin (edges are changed at it)
  double current_k = 1.0;           // [residual sd]
  double current_h = 8.0;           // [residual sd]
  // Thermal: temperature limit the RUL counts to.
  double temperature_limit_C = 80.0;  // [degC]
  double rated_current_A = 28.0;      // [A] to turn current into motor load for the thermal model
  double cooling_alarm = 0.7;  // COOLING_DEGRADED when the cooling factor + 3 sd falls below this
  double thermal_warmup_s = 1800.0;  // [s] of temperature data before the cooling is judged
  double cooling_clear = 0.85;       // and clears when the factor - 3 sd is back above this
  // Sensors.
  double sensor_uncertain_window_s = 300.0;  // [s]
  uint32_t sensor_uncertain_count = 3;       // uncertain samples in the window raise the alarm
  double sensor_stuck_s = 600.0;             // [s] a noisy signal repeating one value this long
  // Conveyors.
  // [s] beyond the conveyor's mean transport time that the oldest part put on may stay there
  // while every machine after it starves, before a jam is called
  double jam_s = 120.0;
  double rul_interval_s = 300.0;    // [s] between RUL estimates of a degrading component
  double running_share_s = 3600.0;  // [s] window of the running share that turns running time
                                    // left into calendar time left
  // Energy, per machine with a power tag. shift_start_s and baseline_kWh_per_part are set per
  // machine (the shift start below, the baseline from the fit); hour_limit_kWh is the default
  // for machines whose scene station gives no power.hour_limit (0 = none).
  condition::EnergyMonitorOptions energy;
  int64_t energy_start_ns = 0;  // [ns] start of energy hour 0; 0: first sample, nearest minute
  // Mode from current.
  double mode_max_gap_s = 5.0;  // [s] longer gaps between current samples are not scored
  size_t mode_history = 50000;  // classified mode changes kept per machine (oldest dropped)
  // `twin fit`: keep each machine's current (one sample per mode_fit_every_s) and PLC modes so
  // fit() can fit its mode classifier.
  bool collect_mode_fit = false;
  double mode_fit_every_s = 1.0;  // [s]
};

struct MonitorCounters {
  uint64_t samples = 0;         // samples processed
  uint64_t windows = 0;         // running windows formed
  uint64_t unknown_mode = 0;    // samples before the machine's first mode (not conditioned)
  uint64_t suspect_sensor = 0;  // power and current samples of a tag flagged stuck or erratic,
                                // left out of energy and mode from current
};

// One machine's energy so far (a machine with a power tag).
struct MachineEnergy {
  std::string machine;
  std::string tag;                     // the power tag
  double kWh = 0.0;                    // [kWh] measured and bridged
  double estimated_kWh = 0.0;          // [kWh] of which bridged over gaps
  double kg_co2 = 0.0;                 // [kg CO2]
  uint64_t good_parts = 0;             // [parts] finished good
  double kWh_per_part = 0.0;           // [kWh/part] 0 without parts
  double baseline_kWh_per_part = 0.0;  // [kWh/part] 0 until known
  uint32_t hours = 0;                  // hours touched (the last may be partial)
  bool drift = false;                  // an ENERGY_DRIFT alarm is active
};

// One machine's mode from current against its PLC modes: seconds by [PLC class][classified
// class] (condition::CurrentMode order: running, idle, setup, off; starved, blocked and down
// count as idle).
struct ModeAgreement {
  std::string machine;
  std::string tag;       // the current tag classified
  bool fitted = false;   // classifier from the fit (else nominal)
  bool plc_mode = true;  // the machine reports modes (else the classifier's modes condition it)
  std::array<std::array<double, condition::kCurrentModeCount>, condition::kCurrentModeCount>
      seconds{};
  double scored_s() const;  // [s] total
  double agreed_s() const;  // [s] on the diagonal
  double agreement() const { return scored_s() > 0.0 ? agreed_s() / scored_s() : 0.0; }
  void add(const ModeAgreement& other);  // pools the seconds
};

struct ClassifiedMode {
  int64_t time_ns = 0;  // [ns] from here on
  condition::CurrentMode mode = condition::CurrentMode::kOff;
  double probability = 0.0;  // [1] filtered probability when it became the decision
};

class ConditionMonitor final : public MirrorListener {
 public:
  // With `fit`, machines it names start with its healthy models instead of learning them.
  ConditionMonitor(const Model& model, const MirrorModel& names,
                   ConditionMonitorOptions options = {}, const MonitorFit* fit = nullptr);
  ~ConditionMonitor() override;

  void on_sample(uint32_t slot, int64_t time_ns, float value, uint8_t quality) override;
  void on_mode(uint32_t machine, int64_t time_ns, uint8_t mode) override;
  void on_part(uint32_t machine, int64_t time_ns, uint8_t kind, uint16_t product) override;
  void on_released(int64_t until_ns) override;
  // The data has ended at `end_ns` (after the mirror's finish): every sample still waiting is
  // processed, energy is held or bridged up to end_ns and the hours it ends are closed. Energy
  // alarms this raises go to alarms().
  void finish(int64_t end_ns);

  // Alarms in the order raised (clears included), and RUL estimates in time order.
  const std::vector<TwinAlarm>& alarms() const { return alarms_; }
  const std::vector<RulPoint>& rul() const { return rul_; }
  const MonitorCounters& counters() const { return counters_; }
  // The healthy models as learnt so far: those still learning are fitted on what they have.
  // `twin fit` runs a healthy recording with baseline_s = +inf and saves this.
  MonitorFit fit() const;
  // Per machine with a power tag, in machine order.
  std::vector<MachineEnergy> energy() const;
  // Per machine with a current tag, in machine order.
  std::vector<ModeAgreement> mode_agreement() const;
  // The classified mode changes of `machine` (the latest mode_history), empty without a current
  // tag.
  std::vector<ClassifiedMode> classified_modes(uint32_t machine) const;

 private:
  struct Machine;
  struct Conveyor;
  struct Pending {
    int64_t time_ns = 0;
    float value = 0.0f;
    uint32_t slot = 0;
    uint8_t quality = 0;
  };
  void process(Machine& m, const Pending& s);
  void check_conveyors(int64_t now_ns);
  void on_conveyor_part(uint32_t machine, int64_t time_ns, uint8_t kind);
  void raise(TwinAlarm alarm);
  void process_energy(Machine& m, const Pending& s);
  void process_mode(Machine& m, const Pending& s, uint8_t plc_mode);
  void take_energy_alarms(Machine& m);
  void set_origin(int64_t t);  // the first data fixes energy hour 0 and the classifier's clock
  void emit_rul(const Machine& m, int64_t t, const std::string& tag, FaultKind kind,
                const RulEstimate& running);

  const Model& model_;
  const MirrorModel& names_;
  ConditionMonitorOptions options_;
  RulCalibration rul_calibration_;  // from the fit (empty: the models' own RUL)
  std::vector<std::unique_ptr<Machine>> machines_;
  std::vector<Conveyor> conveyors_;
  double breakage_wear_mm_ = 0.0;  // [mm] flank wear at the nominal tool's median breakage
  std::vector<int32_t> tag_role_;  // per slot: which detector input it is
  std::vector<uint8_t> mode_;      // per machine: latest released telemetry::Mode
  std::vector<int64_t> mode_since_ns_;
  std::deque<Pending> pending_;  // samples waiting for their mode to be known, arrival order
  std::vector<TwinAlarm> alarms_;
  std::vector<RulPoint> rul_;
  MonitorCounters counters_;
  int64_t energy_start_ns_ = 0;  // [ns] energy hour 0 (0: not yet known)
};

}  // namespace twin
