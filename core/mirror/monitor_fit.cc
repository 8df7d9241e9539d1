#include "core/mirror/monitor_fit.h"

#include <algorithm>
#include <cmath>
#include <fstream>

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

}  // namespace

bool save_monitor_fit(const MonitorFit& fit, const std::string& path, std::string& error) {
  nlohmann::json j;
  j["scene"] = fit.scene;
  j["source"] = fit.source;
  nlohmann::json machines = nlohmann::json::array();
  for (const MachineFit& m : fit.machines) {
    machines.push_back({{"machine", m.machine},
                        {"running_s", m.running_s},
                        {"current_vs_wear", line_json(m.current_vs_wear)},
                        {"vibration_vs_current", line_json(m.vibration_vs_current)}});
  }
  j["machines"] = machines;
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
    fit.machines.push_back(std::move(mf));
  }
  return true;
}

}  // namespace twin
