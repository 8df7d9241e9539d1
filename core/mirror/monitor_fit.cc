#include "core/mirror/monitor_fit.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

namespace twin {

LinearFit fit_line(const std::vector<double>& x, const std::vector<double>& y, double sd_floor) {
  LinearFit f;
  const size_t n = std::min(x.size(), y.size());
  if (n < 3) return f;
  double mx = 0.0, my = 0.0;
  for (size_t i = 0; i < n; ++i) {
    mx += x[i];
    my += y[i];
  }
  mx /= static_cast<double>(n);
  my /= static_cast<double>(n);
  double sxx = 0.0, sxy = 0.0;
  for (size_t i = 0; i < n; ++i) {
    sxx += (x[i] - mx) * (x[i] - mx);
    sxy += (x[i] - mx) * (y[i] - my);
  }
  const double ridge = static_cast<double>(n) * 1e-4 * mx * mx;
  f.b = sxy / (sxx + ridge + 1e-12);
  f.a = my - f.b * mx;
  double ss = 0.0;
  for (size_t i = 0; i < n; ++i) {
    const double r = y[i] - f.predict(x[i]);
    ss += r * r;
  }
  f.sd = std::max(std::sqrt(ss / static_cast<double>(n - 2)), sd_floor);
  f.n = static_cast<uint32_t>(n);
  return f;
}

const MachineFit* MonitorFit::find(const std::string& machine) const {
  for (const MachineFit& m : machines) {
    if (m.machine == machine) return &m;
  }
  return nullptr;
}

namespace {

nlohmann::json line_json(const LinearFit& f) {
  if (!f.ok()) return nullptr;
  return {{"a", f.a}, {"b", f.b}, {"sd", f.sd}, {"n", f.n}};
}

bool read_line(const nlohmann::json& j, const std::string& where, LinearFit& f,
               std::string& error) {
  if (j.is_null()) return true;  // not fitted
  for (const char* key : {"a", "b", "sd", "n"}) {
    if (!j.contains(key) || !j[key].is_number()) {
      error = where + "." + key + ": missing or not a number";
      return false;
    }
  }
  f.a = j["a"].get<double>();
  f.b = j["b"].get<double>();
  f.sd = j["sd"].get<double>();
  f.n = j["n"].get<uint32_t>();
  if (!std::isfinite(f.a) || !std::isfinite(f.b) || !(f.sd > 0.0)) {
    error = where + ": a and b must be finite and sd > 0";
    return false;
  }
  return true;
}

nlohmann::json classifier_json(const condition::ModeClassifierParams& p) {
  nlohmann::json rates = nlohmann::json::array();
  for (const condition::ClassArray& row : p.rate_per_s) rates.push_back(row);
  return {{"classes", {"running", "idle", "setup", "off"}},
          {"mean_A", p.mean_A},
          {"sd_A", p.sd_A},
          {"prior", p.prior},
          {"rate_per_s", rates},
          {"outlier_fraction", p.outlier_fraction},
          {"outlier_span_A", p.outlier_span_A},
          {"adapt_time_s", p.adapt_time_s},
          {"adapt_min_probability", p.adapt_min_probability}};
}

bool read_class_array(const nlohmann::json& j, const std::string& where, condition::ClassArray& a,
                      std::string& error) {
  if (!j.is_array() || j.size() != a.size()) {
    error = where + ": not a list of " + std::to_string(a.size()) + " numbers";
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (!j[i].is_number()) {
      error = where + "[" + std::to_string(i) + "]: not a number";
      return false;
    }
    a[i] = j[i].get<double>();
  }
  return true;
}

bool read_classifier(const nlohmann::json& j, const std::string& where,
                     condition::ModeClassifierParams& p, std::string& error) {
  if (!j.is_object()) {
    error = where + ": not an object";
    return false;
  }
  for (auto [key, field] :
       {std::pair{"mean_A", &p.mean_A}, std::pair{"sd_A", &p.sd_A}, std::pair{"prior", &p.prior}}) {
    if (!j.contains(key)) {
      error = where + "." + key + ": missing";
      return false;
    }
    if (!read_class_array(j[key], where + "." + key, *field, error)) return false;
  }
  if (!j.contains("rate_per_s") || !j["rate_per_s"].is_array() ||
      j["rate_per_s"].size() != p.rate_per_s.size()) {
    error = where + ".rate_per_s: missing or not a 4 x 4 list";
    return false;
  }
  for (size_t i = 0; i < p.rate_per_s.size(); ++i) {
    if (!read_class_array(j["rate_per_s"][i], where + ".rate_per_s[" + std::to_string(i) + "]",
                          p.rate_per_s[i], error))
      return false;
  }
  for (auto [key, field] :
       {std::pair{"outlier_fraction", &p.outlier_fraction},
        std::pair{"outlier_span_A", &p.outlier_span_A}, std::pair{"adapt_time_s", &p.adapt_time_s},
        std::pair{"adapt_min_probability", &p.adapt_min_probability}}) {
    if (!j.contains(key)) continue;  // the default
    if (!j[key].is_number()) {
      error = where + "." + key + ": not a number";
      return false;
    }
    *field = j[key].get<double>();
  }
  if (const std::string bad = condition::validate(p); !bad.empty()) {
    error = where + ": " + bad;
    return false;
  }
  return true;
}

}  // namespace

bool save_monitor_fit(const MonitorFit& fit, const std::string& path, std::string& error) {
  nlohmann::json j;
  j["scene"] = fit.scene;
  j["source"] = fit.source;
  nlohmann::json machines = nlohmann::json::array();
  for (const MachineFit& m : fit.machines) {
    nlohmann::json mj{{"machine", m.machine},
                      {"running_s", m.running_s},
                      {"current_vs_wear", line_json(m.current_vs_wear)},
                      {"vibration_vs_current", line_json(m.vibration_vs_current)}};
    if (m.energy_kWh_per_part > 0.0) {
      mj["energy"] = {{"kWh_per_part", m.energy_kWh_per_part}, {"hours", m.energy_hours}};
    }
    if (m.has_mode_classifier) {
      mj["mode_classifier"] = classifier_json(m.mode_classifier);
      if (!m.mode_fit_note.empty()) mj["mode_classifier"]["note"] = m.mode_fit_note;
    }
    machines.push_back(std::move(mj));
  }
  j["machines"] = machines;
  if (!fit.rul_calibration.empty()) {
    nlohmann::json cal = nlohmann::json::array();
    for (const RulCalibrationKind& k : fit.rul_calibration.kinds)
      cal.push_back({{"kind", fault_kind_name(k.kind)},
                     {"faults", k.faults},
                     {"points", k.points},
                     {"log_ratio_q05", k.q05},
                     {"log_ratio_q50", k.q50},
                     {"log_ratio_q95", k.q95}});
    j["rul_calibration"] = cal;
  }
  if (!fit.forecast_calibration.empty()) {
    const ForecastCalibration& fc = fit.forecast_calibration;
    j["forecast_calibration"] = {{"alpha", fc.margins.alpha},
                                 {"forecasts", fc.margins.samples},
                                 {"shifts", fc.shifts},
                                 {"rul", fc.rul},
                                 {"misses_below", fc.margins.misses_below},
                                 {"misses_above", fc.margins.misses_above},
                                 {"below_parts_per_working_h", fc.margins.below},
                                 {"above_parts_per_working_h", fc.margins.above}};
  }
  std::ofstream out(path);
  out << j.dump(2) << '\n';
  if (!out) {
    error = "cannot write " + path;
    return false;
  }
  return true;
}

bool load_monitor_fit(const std::string& path, MonitorFit& fit, std::string& error) {
  std::ifstream in(path);
  if (!in) {
    error = "cannot read " + path;
    return false;
  }
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    error = path + ": not JSON (" + e.what() + ")";
    return false;
  }
  if (!j.is_object() || !j.contains("machines") || !j["machines"].is_array()) {
    error = path + ": machines: missing or not a list";
    return false;
  }
  fit = MonitorFit();
  fit.scene = j.value("scene", "");
  fit.source = j.value("source", "");
  size_t k = 0;
  for (const nlohmann::json& m : j["machines"]) {
    const std::string where = path + ": machines[" + std::to_string(k++) + "]";
    if (!m.is_object() || !m.contains("machine") || !m["machine"].is_string()) {
      error = where + ".machine: missing or not a string";
      return false;
    }
    MachineFit mf;
    mf.machine = m["machine"].get<std::string>();
    if (m.contains("running_s") && m["running_s"].is_number())
      mf.running_s = m["running_s"].get<double>();
    if (m.contains("current_vs_wear") &&
        !read_line(m["current_vs_wear"], where + ".current_vs_wear", mf.current_vs_wear, error))
      return false;
    if (m.contains("vibration_vs_current") &&
        !read_line(m["vibration_vs_current"], where + ".vibration_vs_current",
                   mf.vibration_vs_current, error))
      return false;
    // Optional (fit files before the energy and mode fits have neither).
    if (m.contains("energy") && !m["energy"].is_null()) {
      const nlohmann::json& e = m["energy"];
      if (!e.is_object() || !e.contains("kWh_per_part") || !e["kWh_per_part"].is_number() ||
          !(e["kWh_per_part"].get<double>() > 0.0) ||
          !std::isfinite(e["kWh_per_part"].get<double>())) {
        error = where + ".energy.kWh_per_part: missing or not a number > 0";
        return false;
      }
      mf.energy_kWh_per_part = e["kWh_per_part"].get<double>();
      if (e.contains("hours") && e["hours"].is_number_unsigned())
        mf.energy_hours = e["hours"].get<uint32_t>();
    }
    if (m.contains("mode_classifier") && !m["mode_classifier"].is_null()) {
      if (!read_classifier(m["mode_classifier"], where + ".mode_classifier", mf.mode_classifier,
                           error))
        return false;
      mf.has_mode_classifier = true;
      if (m["mode_classifier"].contains("note") && m["mode_classifier"]["note"].is_string())
        mf.mode_fit_note = m["mode_classifier"]["note"].get<std::string>();
    }
    fit.machines.push_back(std::move(mf));
  }
  // Optional (fit files before the RUL calibration have none).
  if (j.contains("rul_calibration") && !j["rul_calibration"].is_null()) {
    const nlohmann::json& cal = j["rul_calibration"];
    if (!cal.is_array()) {
      error = path + ": rul_calibration: not a list";
      return false;
    }
    for (size_t i = 0; i < cal.size(); ++i) {
      const nlohmann::json& c = cal[i];
      const std::string where = path + ": rul_calibration[" + std::to_string(i) + "]";
      RulCalibrationKind rk;
      bool known = false;
      if (c.is_object() && c.contains("kind") && c["kind"].is_string()) {
        for (int v = telemetry::FaultTruth::Kind_MIN; v <= telemetry::FaultTruth::Kind_MAX; ++v) {
          if (!telemetry::FaultTruth::Kind_IsValid(v)) continue;
          if (c["kind"].get<std::string>() == fault_kind_name(static_cast<FaultKind>(v))) {
            rk.kind = static_cast<FaultKind>(v);
            known = true;
          }
        }
      }
      if (!known) {
        error = where + ".kind: missing or not a fault kind";
        return false;
      }
      for (const auto& [name, field] :
           {std::pair{"log_ratio_q05", &rk.q05}, std::pair{"log_ratio_q50", &rk.q50},
            std::pair{"log_ratio_q95", &rk.q95}}) {
        if (!c.contains(name) || !c[name].is_number() || !std::isfinite(c[name].get<double>())) {
          error = where + "." + name + ": missing or not a number";
          return false;
        }
        *field = c[name].get<double>();
      }
      if (!(rk.q05 <= rk.q50 && rk.q50 <= rk.q95)) {
        error = where + ": log_ratio quantiles not in order (q05 <= q50 <= q95)";
        return false;
      }
      if (c.contains("faults") && c["faults"].is_number_unsigned())
        rk.faults = c["faults"].get<uint32_t>();
      if (c.contains("points") && c["points"].is_number_unsigned())
        rk.points = c["points"].get<uint32_t>();
      fit.rul_calibration.kinds.push_back(rk);
    }
  }
  // Optional (fit files before the forecast calibration have none).
  if (j.contains("forecast_calibration") && !j["forecast_calibration"].is_null()) {
    const nlohmann::json& c = j["forecast_calibration"];
    const std::string where = path + ": forecast_calibration";
    if (!c.is_object()) {
      error = where + ": not an object";
      return false;
    }
    ForecastCalibration fc;
    for (const auto& [name, field] : {std::pair{"alpha", &fc.margins.alpha},
                                      std::pair{"below_parts_per_working_h", &fc.margins.below},
                                      std::pair{"above_parts_per_working_h", &fc.margins.above}}) {
      if (!c.contains(name) || !c[name].is_number() || !std::isfinite(c[name].get<double>())) {
        error = where + "." + name + ": missing or not a number";
        return false;
      }
      *field = c[name].get<double>();
    }
    if (!(fc.margins.alpha > 0.0 && fc.margins.alpha < 1.0)) {
      error = where + ".alpha: not in (0, 1)";
      return false;
    }
    if (!c.contains("forecasts") || !c["forecasts"].is_number_unsigned() ||
        c["forecasts"].get<uint64_t>() == 0 ||
        c["forecasts"].get<uint64_t>() > std::numeric_limits<uint32_t>::max()) {
      error = where + ".forecasts: missing or not a count > 0";
      return false;
    }
    fc.margins.samples = c["forecasts"].get<uint32_t>();
    for (const auto& [name, field] :
         {std::pair{"shifts", &fc.shifts}, std::pair{"misses_below", &fc.margins.misses_below},
          std::pair{"misses_above", &fc.margins.misses_above}}) {
      if (c.contains(name) && c[name].is_number_unsigned()) *field = c[name].get<uint32_t>();
    }
    fc.rul = c.value("rul", false);
    fit.forecast_calibration = fc;
  }
  return true;
}

}  // namespace twin
