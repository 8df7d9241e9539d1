// Energy and CO2 of one machine per hour and per good part, from its power tag [kW], with
// hourly energy alarms.
//
// Integration: the trapezoid rule between consecutive samples (exact for power that is linear
// between samples), split at hour boundaries by linear interpolation. Hours are counted from the
// shift start (clock hours when the shift starts on the hour). A stretch longer than max_gap_s
// without samples is not integrated from its two ends: it is bridged at the last complete hour's
// mean power (or, in the first hour, the mean so far) and counted as estimated seconds and kWh,
// so a report can say how much of an hour's energy is measured.
//
// CO2: kWh times a grid emission factor [kg CO2/kWh]. Default 0.380: the Umweltbundesamt's
// estimate for the German electricity mix of 2023 (direct CO2 emissions of power generation per
// kWh of domestic consumption; UBA, "Entwicklung der spezifischen Treibhausgas-Emissionen des
// deutschen Strommix in den Jahren 1990-2023", Climate Change series, 2024; 2022: 433 g/kWh,
// 2024 estimate: 363 g/kWh). It excludes upstream chains; use the supplier's or a CO2e factor
// when reporting scope-2 market-based figures.
//
// Alarms:
//  - ENERGY_HOUR_LIMIT: an hour's energy passed hour_limit_kWh; raised once per offending hour,
//    at the sample that crosses it.
//  - ENERGY_DRIFT_HIGH / ENERGY_DRIFT_LOW: the machine draws more (less) energy per good part
//    than its baseline. The baseline [kWh/part] is given or fitted on the first baseline_hours
//    eligible hours (enough parts, little bridged time). Each later eligible hour gives the ratio
//    r = (kWh / parts) / baseline and the residual z = (r - 1) / sd, with
//    sd = sqrt(hour_sd^2 + (0.5 / parts)^2) (the scatter of a healthy hour, plus the part that
//    straddles each hour boundary). z feeds a two-sided CUSUM (models/estimation/cusum.h) in
//    hour steps; with hour_sd 0.04, k = 1 and h = 4 a sustained +15 % (z ~ 3.7) is raised after
//    the second hour, +30 % after the first. The alarm names the onset hour: the first hour since
//    the statistic's last zero that is onset_band_sd or more off baseline. It clears only after a
//    whole eligible hour back in the normal range
//    (|z| <= clear_band_sd), and then the CUSUM restarts.
// Energy per part is insensitive to how busy the machine was (idle and standby power are a few
// per cent of busy power), but not to scrap: only good parts are counted, so a rising scrap
// rate raises the energy per good part too (which is a waste of energy as well).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "models/estimation/cusum.h"

namespace twin::condition {

inline constexpr double kGermanGrid2023KgCo2PerKWh = 0.380;  // see above (UBA, 2023 estimate)

struct EnergyMonitorOptions {
  double shift_start_s = 0.0;  // [s] hour 0 starts here; earlier samples are rejected
  double max_gap_s = 10.0;     // [s] longer stretches without samples are bridged, not integrated
  double emission_factor_kg_per_kWh = kGermanGrid2023KgCo2PerKWh;  // [kg CO2/kWh]
  double hour_limit_kWh = 0.0;         // [kWh] per-hour energy limit; 0 = none
  double baseline_kWh_per_part = 0.0;  // [kWh/part] given baseline; 0 = fit on the first hours
  uint32_t baseline_hours = 2;         // [h] eligible hours the baseline is fitted on
  uint32_t min_parts_per_hour = 10;    // [parts] fewer and the hour is not judged
  double max_estimated_share = 0.1;    // [1] more bridged time and the hour is not judged
  double hour_sd = 0.04;  // [1] relative sd of a healthy hour's kWh per part around baseline
  CusumOptions cusum{.k = 1.0, .h = 4.0, .clear_h = 1.0, .cap = 12.0};  // [hour residual sd]
  double clear_band_sd = 1.0;  // [hour residual sd] an hour this close to baseline clears
  double onset_band_sd = 2.0;  // [hour residual sd] the named onset hour is off by at least this
};

// Empty when usable, otherwise what is wrong.
std::string validate(const EnergyMonitorOptions& options);

struct EnergyHour {
  double start_s = 0.0;        // [s] hour start
  double kWh = 0.0;            // [kWh] energy, measured and estimated
  double estimated_kWh = 0.0;  // [kWh] part of kWh bridged over gaps
  double measured_s = 0.0;     // [s] covered by samples
  double estimated_s = 0.0;    // [s] bridged
  uint64_t good_parts = 0;     // [parts] reported in this hour
  double kg_co2 = 0.0;         // [kg CO2] kWh times the emission factor (set when closed)
  double ratio = 0.0;          // [1] kWh per part over baseline (0 when not judged)
  double z = 0.0;              // [hour residual sd] drift residual (0 when not judged)
  bool closed = false;         // the integration has passed the hour's end
  bool judged = false;         // used for the baseline or the drift detector
  bool limit_alarm = false;    // ENERGY_HOUR_LIMIT raised for this hour
};

struct EnergyAlarm {
  double time_s = 0.0;   // [s] when raised or cleared
  std::string code;      // ENERGY_HOUR_LIMIT, ENERGY_DRIFT_HIGH, ENERGY_DRIFT_LOW
  int severity = 0;      // 1 advisory, 2 warning, 3 severe
  std::string text;      // evidence, for a person
  double value = 0.0;    // limit: the hour's kWh; drift: the hour's kWh/part ratio to baseline
  double limit = 0.0;    // limit: hour_limit_kWh; drift: edge of the normal range of the ratio
  int64_t hour = 0;      // limit: the offending hour; drift: the onset hour
  bool cleared = false;  // this entry clears an earlier alarm of the same code
};

class EnergyMonitor {
 public:
  explicit EnergyMonitor(EnergyMonitorOptions options = {});

  // A power sample [kW] at t_s [s]. Samples not after the previous one, before the shift start
  // or non-finite are rejected (counted). Closes every hour the integration passes.
  void add_power(double t_s, double kW);
  // Good parts finished at t_s [s] (counted in that hour, even if it is already closed).
  void add_good_parts(double t_s, uint64_t count);
  // Time has reached t_s [s] (end of shift, or a silent machine): the stretch since the last
  // sample is held (<= max_gap_s) or bridged, and the hours ending by t_s are closed.
  void close_until(double t_s);

  const std::vector<EnergyHour>& hours() const { return hours_; }  // by hour index
  const std::vector<EnergyAlarm>& alarms() const { return alarms_; }
  double total_kWh() const;
  double total_kg_co2() const;
  uint64_t total_good_parts() const;
  double kWh_per_part() const;     // [kWh/part] over everything so far, 0 without parts
  double kg_co2_per_part() const;  // [kg CO2/part]
  double baseline_kWh_per_part() const { return baseline_kWh_per_part_; }  // 0 until known
  bool drift_active() const { return drift_active_; }
  uint64_t rejected_samples() const { return rejected_; }
  const EnergyMonitorOptions& options() const { return options_; }

 private:
  int64_t hour_index(double t_s) const;
  double hour_start(int64_t hour) const;
  EnergyHour& hour_at(int64_t hour);
  void integrate(double t0, double p0, double t1, double p1, bool estimated);
  void bridge(double t0, double t1);
  void close_hours(double t_s);
  void close_hour(int64_t hour);
  void judge(int64_t hour);

  EnergyMonitorOptions options_;
  std::vector<EnergyHour> hours_;    // (hours since the shift start)
  std::vector<EnergyAlarm> alarms_;  // raised and cleared, in order
  CusumDetector cusum_;
  double last_t_s_ = 0.0;               // [s] integrated up to here
  double last_kW_ = 0.0;                // [kW] power at last_t_s_
  bool started_ = false;                // a sample has been accepted
  int64_t next_to_close_ = 0;           // first hour not yet closed
  double last_hour_kW_ = -1.0;          // [kW] mean power of the last closed hour (-1: none)
  double baseline_kWh_per_part_ = 0.0;  // [kWh/part] 0 until given or fitted
  double baseline_sum_kWh_ = 0.0;       // [kWh] over the baseline hours so far
  uint64_t baseline_sum_parts_ = 0;     // [parts] over the baseline hours so far
  uint32_t baseline_hours_used_ = 0;    // [h]
  int64_t first_judged_hour_ = -1;      // first hour the drift detector saw
  bool drift_active_ = false;
  uint64_t rejected_ = 0;  // [samples]
};

}  // namespace twin::condition
