#include "models/condition/energy_monitor.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace twin::condition {
namespace {

constexpr double kHourS = 3600.0;

int64_t to_ns(double t_s) {
  return static_cast<int64_t>(std::llround(t_s * 1e9));
}

}  // namespace

std::string validate(const EnergyMonitorOptions& o) {
  if (!std::isfinite(o.shift_start_s)) return "shift_start_s must be finite";
  if (!(o.max_gap_s > 0.0)) return "max_gap_s must be > 0";
  if (!(o.emission_factor_kg_per_kWh >= 0.0)) return "emission_factor_kg_per_kWh must be >= 0";
  if (!(o.hour_limit_kWh >= 0.0)) return "hour_limit_kWh must be >= 0";
  if (!(o.baseline_kWh_per_part >= 0.0)) return "baseline_kWh_per_part must be >= 0";
  if (o.baseline_kWh_per_part == 0.0 && o.baseline_hours == 0) {
    return "baseline_hours must be > 0 without a given baseline";
  }
  if (!(o.max_estimated_share >= 0.0 && o.max_estimated_share <= 1.0)) {
    return "max_estimated_share must be in [0, 1]";
  }
  if (!(o.hour_sd > 0.0)) return "hour_sd must be > 0";
  if (!(o.cusum.h > 0.0 && o.cusum.k >= 0.0)) return "cusum needs h > 0 and k >= 0";
  if (!(o.clear_band_sd > 0.0)) return "clear_band_sd must be > 0";
  return {};
}

EnergyMonitor::EnergyMonitor(EnergyMonitorOptions options)
    : options_(options),
      cusum_(options.cusum),
      baseline_kWh_per_part_(options.baseline_kWh_per_part) {}

int64_t EnergyMonitor::hour_index(double t_s) const {
  auto h = static_cast<int64_t>(std::floor((t_s - options_.shift_start_s) / kHourS));
  while (hour_start(h + 1) <= t_s) ++h;
  while (hour_start(h) > t_s) --h;
  return h;
}

double EnergyMonitor::hour_start(int64_t hour) const {
  return options_.shift_start_s + static_cast<double>(hour) * kHourS;
}

EnergyHour& EnergyMonitor::hour_at(int64_t hour) {
  const auto h = static_cast<size_t>(hour);
  while (hours_.size() <= h) {
    EnergyHour x;
    x.start_s = hour_start(static_cast<int64_t>(hours_.size()));
    hours_.push_back(x);
  }
  return hours_[h];
}

void EnergyMonitor::integrate(double t0, double p0, double t1, double p1, bool estimated) {
  const double span = t1 - t0;
  double a = t0;
  while (a < t1) {
    const int64_t h = hour_index(a);
    const double b = std::min(t1, hour_start(h + 1));
    const double pa = p0 + (p1 - p0) * (a - t0) / span;
    const double pb = p0 + (p1 - p0) * (b - t0) / span;
    const double kWh = 0.5 * (pa + pb) * (b - a) / kHourS;
    EnergyHour& x = hour_at(h);
    x.kWh += kWh;
    if (estimated) {
      x.estimated_kWh += kWh;
      x.estimated_s += b - a;
    } else {
      x.measured_s += b - a;
    }
    if (options_.hour_limit_kWh > 0.0 && !x.limit_alarm && x.kWh > options_.hour_limit_kWh) {
      x.limit_alarm = true;
      char text[160];
      std::snprintf(text, sizeof text, "hour %lld has drawn %.2f kWh, above the limit of %.2f kWh",
                    static_cast<long long>(h), x.kWh, options_.hour_limit_kWh);
      alarms_.push_back(
          {b, "ENERGY_HOUR_LIMIT", 2, text, x.kWh, options_.hour_limit_kWh, h, false});
    }
    a = b;
  }
}

void EnergyMonitor::bridge(double t0, double t1) {
  double kW = last_kW_;
  if (last_hour_kW_ >= 0.0) {
    kW = last_hour_kW_;
  } else {
    const EnergyHour& x = hour_at(hour_index(t0));
    const double covered = x.measured_s + x.estimated_s;
    if (covered > 0.0) kW = x.kWh * kHourS / covered;
  }
  integrate(t0, kW, t1, kW, true);
}

void EnergyMonitor::add_power(double t_s, double kW) {
  if (!std::isfinite(t_s) || !std::isfinite(kW) || t_s < options_.shift_start_s ||
      (started_ && t_s <= last_t_s_)) {
    ++rejected_;
    return;
  }
  if (!started_) {
    started_ = true;
    hour_at(hour_index(t_s));
  } else if (t_s - last_t_s_ <= options_.max_gap_s) {
    integrate(last_t_s_, last_kW_, t_s, kW, false);
  } else {
    bridge(last_t_s_, t_s);
  }
  last_t_s_ = t_s;
  last_kW_ = kW;
  close_hours(t_s);
}

void EnergyMonitor::add_good_parts(double t_s, uint64_t count) {
  if (!std::isfinite(t_s) || t_s < options_.shift_start_s) return;
  hour_at(hour_index(t_s)).good_parts += count;
}

void EnergyMonitor::close_until(double t_s) {
  if (!std::isfinite(t_s) || t_s < options_.shift_start_s) return;
  if (started_ && t_s > last_t_s_) {
    if (t_s - last_t_s_ <= options_.max_gap_s) {
      integrate(last_t_s_, last_kW_, t_s, last_kW_, true);  // hold the last value
    } else {
      bridge(last_t_s_, t_s);
    }
    last_t_s_ = t_s;
  }
  close_hours(t_s);
}

void EnergyMonitor::close_hours(double t_s) {
  while (hour_start(next_to_close_ + 1) <= t_s) {
    close_hour(next_to_close_);
    ++next_to_close_;
  }
}

void EnergyMonitor::close_hour(int64_t hour) {
  EnergyHour& x = hour_at(hour);
  x.closed = true;
  x.kg_co2 = x.kWh * options_.emission_factor_kg_per_kWh;
  const double covered = x.measured_s + x.estimated_s;
  if (covered > 0.0) last_hour_kW_ = x.kWh * kHourS / covered;
  judge(hour);
}

void EnergyMonitor::judge(int64_t hour) {
  EnergyHour& x = hour_at(hour);
  const double covered = x.measured_s + x.estimated_s;
  const bool eligible = x.good_parts >= options_.min_parts_per_hour && covered >= 0.9 * kHourS &&
                        x.estimated_s <= options_.max_estimated_share * kHourS;
  if (!eligible) return;
  const double per_part = x.kWh / static_cast<double>(x.good_parts);
  if (baseline_kWh_per_part_ <= 0.0) {
    x.judged = true;
    baseline_sum_kWh_ += x.kWh;
    baseline_sum_parts_ += x.good_parts;
    if (++baseline_hours_used_ >= options_.baseline_hours)
      baseline_kWh_per_part_ = baseline_sum_kWh_ / static_cast<double>(baseline_sum_parts_);
    return;
  }
  x.judged = true;
  if (first_judged_hour_ < 0) first_judged_hour_ = hour;
  const double quantisation = 0.5 / static_cast<double>(x.good_parts);
  const double sd = std::hypot(options_.hour_sd, quantisation);
  x.ratio = per_part / baseline_kWh_per_part_;
  x.z = (x.ratio - 1.0) / sd;
  const double end_s = hour_start(hour + 1);
  const CusumChange change = cusum_.update(to_ns(end_s), x.z);
  char text[256];
  if (!drift_active_) {
    if (change != CusumChange::kRaised) return;
    drift_active_ = true;
    const CusumEvidence& e = cusum_.evidence();
    const bool high = e.direction > 0;
    // The CUSUM's onset (the hour after its last zero) may include a high but normal hour
    // before the shift; name the first hour of the run out of the onset band.
    int64_t onset =
        std::clamp(hour_index(static_cast<double>(e.onset_ns) * 1e-9), first_judged_hour_, hour);
    const double sign = high ? 1.0 : -1.0;
    for (int64_t h = onset; h <= hour; ++h) {
      const EnergyHour& y = hours_[static_cast<size_t>(h)];
      if (y.judged && sign * y.z >= options_.onset_band_sd) {
        onset = h;
        break;
      }
    }
    const double statistic = high ? cusum_.up() : cusum_.down();
    std::snprintf(text, sizeof text,
                  "energy per good part %.3f x baseline (%.4f vs %.4f kWh/part) in hour %lld; "
                  "drift since hour %lld (CUSUM %.1f > %.1f)",
                  x.ratio, per_part, baseline_kWh_per_part_, static_cast<long long>(hour),
                  static_cast<long long>(onset), statistic, options_.cusum.h);
    const double edge = 1.0 + sign * options_.clear_band_sd * sd;
    alarms_.push_back({end_s, high ? "ENERGY_DRIFT_HIGH" : "ENERGY_DRIFT_LOW", cusum_.severity(),
                       text, x.ratio, edge, onset, false});
    return;
  }
  if (std::abs(x.z) > options_.clear_band_sd) return;
  drift_active_ = false;
  const EnergyAlarm raised = *std::find_if(alarms_.rbegin(), alarms_.rend(), [](const auto& a) {
    return a.code != "ENERGY_HOUR_LIMIT" && !a.cleared;
  });
  std::snprintf(text, sizeof text,
                "energy per good part back to %.3f x baseline in hour %lld (drift since hour %lld)",
                x.ratio, static_cast<long long>(hour), static_cast<long long>(raised.hour));
  alarms_.push_back({end_s, raised.code, raised.severity, text, x.ratio, raised.limit, hour, true});
  cusum_.reset();
}

double EnergyMonitor::total_kWh() const {
  double sum = 0.0;
  for (const EnergyHour& x : hours_) sum += x.kWh;
  return sum;
}

double EnergyMonitor::total_kg_co2() const {
  return total_kWh() * options_.emission_factor_kg_per_kWh;
}

uint64_t EnergyMonitor::total_good_parts() const {
  uint64_t sum = 0;
  for (const EnergyHour& x : hours_) sum += x.good_parts;
  return sum;
}

double EnergyMonitor::kWh_per_part() const {
  const uint64_t parts = total_good_parts();
  return parts > 0 ? total_kWh() / static_cast<double>(parts) : 0.0;
}

double EnergyMonitor::kg_co2_per_part() const {
  return kWh_per_part() * options_.emission_factor_kg_per_kWh;
}

}  // namespace twin::condition
