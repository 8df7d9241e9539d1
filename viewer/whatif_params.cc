#include "viewer/whatif_params.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <utility>

namespace twin::viewer {

namespace {

using scene::Distribution;

// The scene compiler allows at most this many machines per station (core/scene/compile.cc).
constexpr double kMaxMachines = 1000.0;
constexpr double kMaxCapacity = std::numeric_limits<int32_t>::max();

// `name` can be written as a [name] selector: set_field's parser would misread brackets, '=',
// surrounding spaces, and an all-digit name (taken as an index).
bool selectable_by_name(const std::string& name) {
  if (name.empty() || name.front() == ' ' || name.back() == ' ') return false;
  bool digits = true;
  for (char c : name) {
    if (c == '[' || c == ']' || c == '=' || c == '\'' || c == '"') return false;
    digits = digits && c >= '0' && c <= '9';
  }
  return !digits;
}

// "stations[Saw]", or "stations[3]" when the name cannot be a selector.
std::string element(const char* field, const std::string& name, int index) {
  std::string out = field;
  out += '[';
  out += selectable_by_name(name) ? name : std::to_string(index);
  out += ']';
  return out;
}

// Display unit of a time whose current value is `seconds`: the one people would say.
void set_time_unit(WhatIfParam& p, double seconds) {
  if (seconds >= 2.0 * 3600.0) {
    p.unit = "h";
    p.display_scale = 3600.0;
  } else if (seconds >= 120.0) {
    p.unit = "min";
    p.display_scale = 60.0;
  } else {
    p.unit = "s";
    p.display_scale = 1.0;
  }
}

WhatIfParam time_param(ParamKind kind, std::string label, std::string path,
                       const Distribution& scene_dist, const twin::Distribution& compiled) {
  WhatIfParam p;
  p.kind = kind;
  p.label = std::move(label);
  p.path = std::move(path);
  p.current = compiled.mean;
  p.min_value = 0.0;
  p.min_exclusive = true;
  p.distribution = scene_dist;
  set_time_unit(p, compiled.mean);
  return p;
}

WhatIfParam count_param(ParamKind kind, std::string label, std::string path, double current,
                        double min_value, const char* unit) {
  WhatIfParam p;
  p.kind = kind;
  p.label = std::move(label);
  p.path = std::move(path);
  p.current = current;
  p.integer = true;
  p.min_value = min_value;
  p.unit = unit;
  return p;
}

// Every time-valued field of `d` times `factor` = target_mean / current mean (shape parameters
// and weights unchanged).
Distribution scaled(const Distribution& d, double factor, double target_mean) {
  Distribution s = d;
  switch (s.kind_case()) {
    case Distribution::kConstant:
      s.set_constant(d.constant() * factor);
      break;
    case Distribution::kExponential:
      // Its mean is the field itself: write the new mean as typed, not mean * factor.
      s.mutable_exponential()->set_mean(target_mean);
      break;
    case Distribution::kNormal: {
      scene::Normal* n = s.mutable_normal();
      n->set_mean(n->mean() * factor);
      n->set_stddev(n->stddev() * factor);
      if (n->has_min()) n->set_min(n->min() * factor);
      if (n->has_max()) n->set_max(n->max() * factor);
      break;
    }
    case Distribution::kLognormal: {
      scene::LogNormal* n = s.mutable_lognormal();
      n->set_mean(n->mean() * factor);
      n->set_stddev(n->stddev() * factor);
      if (n->has_min()) n->set_min(n->min() * factor);
      if (n->has_max()) n->set_max(n->max() * factor);
      break;
    }
    case Distribution::kUniform:
      s.mutable_uniform()->set_min(d.uniform().min() * factor);
      s.mutable_uniform()->set_max(d.uniform().max() * factor);
      break;
    case Distribution::kTriangular:
      s.mutable_triangular()->set_min(d.triangular().min() * factor);
      s.mutable_triangular()->set_mode(d.triangular().mode() * factor);
      s.mutable_triangular()->set_max(d.triangular().max() * factor);
      break;
    case Distribution::kEmpirical:
      for (double& v : *s.mutable_empirical()->mutable_values()) v *= factor;
      break;
    case Distribution::kWeibull:
      s.mutable_weibull()->set_scale(d.weibull().scale() * factor);
      s.mutable_weibull()->set_location(d.weibull().location() * factor);
      break;
    case Distribution::kGamma:
      s.mutable_gamma()->set_scale(d.gamma().scale() * factor);
      break;
    case Distribution::KIND_NOT_SET:
      break;
  }
  return s;
}

// Appends ", key: value" (or "key: value" first in a map).
void field(std::string& out, const char* key, double value) {
  if (out.back() != '{') out += ", ";
  out += key;
  out += ": ";
  out += shortest_number(value);
}

void list_field(std::string& out, const char* key,
                const google::protobuf::RepeatedField<double>& v) {
  if (out.back() != '{') out += ", ";
  out += key;
  out += ": [";
  for (int i = 0; i < v.size(); ++i) {
    if (i > 0) out += ", ";
    out += shortest_number(v[i]);
  }
  out += ']';
}

// A YAML flow mapping that the scene reader turns back into `d`, e.g.
// "{normal: {mean: 50, stddev: 3.2, min: 40}}". Plain numbers are seconds.
std::string flow_text(const Distribution& d) {
  std::string out = "{";
  switch (d.kind_case()) {
    case Distribution::kConstant:
      out += "constant: " + shortest_number(d.constant()) + "}";
      return out;
    case Distribution::kExponential:
      out += "exponential: {";
      field(out, "mean", d.exponential().mean());
      break;
    case Distribution::kNormal:
    case Distribution::kLognormal: {
      const bool normal = d.kind_case() == Distribution::kNormal;
      const double mean = normal ? d.normal().mean() : d.lognormal().mean();
      const double stddev = normal ? d.normal().stddev() : d.lognormal().stddev();
      const bool has_min = normal ? d.normal().has_min() : d.lognormal().has_min();
      const bool has_max = normal ? d.normal().has_max() : d.lognormal().has_max();
      out += normal ? "normal: {" : "lognormal: {";
      field(out, "mean", mean);
      field(out, "stddev", stddev);
      if (has_min) field(out, "min", normal ? d.normal().min() : d.lognormal().min());
      if (has_max) field(out, "max", normal ? d.normal().max() : d.lognormal().max());
      break;
    }
    case Distribution::kUniform:
      out += "uniform: {";
      field(out, "min", d.uniform().min());
      field(out, "max", d.uniform().max());
      break;
    case Distribution::kTriangular:
      out += "triangular: {";
      field(out, "min", d.triangular().min());
      field(out, "mode", d.triangular().mode());
      field(out, "max", d.triangular().max());
      break;
    case Distribution::kEmpirical:
      out += "empirical: {";
      list_field(out, "values", d.empirical().values());
      if (d.empirical().weights_size() > 0) list_field(out, "weights", d.empirical().weights());
      if (d.empirical().interpolate()) out += ", interpolate: true";
      break;
    case Distribution::kWeibull:
      out += "weibull: {";
      field(out, "shape", d.weibull().shape());
      field(out, "scale", d.weibull().scale());
      if (d.weibull().location() != 0.0) field(out, "location", d.weibull().location());
      break;
    case Distribution::kGamma:
      out += "gamma: {";
      field(out, "shape", d.gamma().shape());
      field(out, "scale", d.gamma().scale());
      break;
    case Distribution::KIND_NOT_SET:
      return "{}";
  }
  out += "}}";
  return out;
}

}  // namespace

const char* param_group(ParamKind kind) {
  switch (kind) {
    case ParamKind::kCycleTime:
      return "Cycle times";
    case ParamKind::kMachines:
      return "Machines per station";
    case ParamKind::kSetupTime:
      return "Setup times";
    case ParamKind::kMtbf:
    case ParamKind::kMttr:
      return "Failures";
    case ParamKind::kBufferCapacity:
      return "Buffers";
    case ParamKind::kConveyorCapacity:
      return "Conveyors";
  }
  return "";
}

std::string shortest_number(double value) {
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  if (ec != std::errc()) return "nan";
  return std::string(buf, end);
}

std::vector<WhatIfParam> whatif_params(const scene::Scene& scene, const Model& model) {
  std::vector<WhatIfParam> cycle, machines, setup, failures, buffers, conveyors;
  for (int i = 0; i < scene.stations_size(); ++i) {
    const scene::Station& st = scene.stations(i);
    const int32_t s = model.find_station(st.name());
    if (s < 0) continue;
    const Station& ms = model.stations[static_cast<size_t>(s)];
    const std::string at = element("stations", st.name(), i);
    if (st.cycle_time().kind_case() != Distribution::KIND_NOT_SET) {
      cycle.push_back(time_param(ParamKind::kCycleTime, st.name() + " cycle time",
                                 at + ".cycle_time", st.cycle_time(), ms.cycle_time));
    }
    machines.push_back(count_param(ParamKind::kMachines, st.name() + " machines", at + ".machines",
                                   ms.machine_count, 1.0, "machines"));
    if (ms.has_setup && st.setup().time().kind_case() != Distribution::KIND_NOT_SET) {
      setup.push_back(time_param(ParamKind::kSetupTime, st.name() + " setup time",
                                 at + ".setup.time", st.setup().time(), ms.setup_time));
    }
    for (int j = 0; j < st.failures_size(); ++j) {
      const scene::Failure& f = st.failures(j);
      // Compiled failures follow scene order; check the name in case a later compiler drops one.
      if (static_cast<size_t>(j) >= ms.failures.size() || ms.failures[j].name != f.name()) continue;
      const FailureSpec& mf = ms.failures[static_cast<size_t>(j)];
      bool unique = true;
      for (int k = 0; k < st.failures_size(); ++k)
        unique = unique && (k == j || st.failures(k).name() != f.name());
      const std::string fat =
          at + "." +
          (unique ? element("failures", f.name(), j) : "failures[" + std::to_string(j) + "]");
      const std::string who = st.name() + " / " + f.name();
      failures.push_back(time_param(ParamKind::kMtbf, who + " MTBF", fat + ".time_to_failure",
                                    f.time_to_failure(), mf.time_to_failure));
      failures.push_back(time_param(ParamKind::kMttr, who + " MTTR", fat + ".time_to_repair",
                                    f.time_to_repair(), mf.time_to_repair));
    }
  }
  for (int i = 0; i < scene.buffers_size(); ++i) {
    const scene::Buffer& b = scene.buffers(i);
    const int32_t n = model.find_node(b.name());
    if (n < 0) continue;
    const Node& node = model.nodes[static_cast<size_t>(n)];
    // Below the initial fill the scene does not compile.
    buffers.push_back(count_param(ParamKind::kBufferCapacity, b.name() + " capacity",
                                  element("buffers", b.name(), i) + ".capacity", node.capacity,
                                  std::max(0, node.initial), "parts"));
  }
  for (int i = 0; i < scene.conveyors_size(); ++i) {
    const scene::Conveyor& c = scene.conveyors(i);
    const int32_t n = model.find_node(c.name());
    if (n < 0) continue;
    conveyors.push_back(count_param(ParamKind::kConveyorCapacity, c.name() + " capacity",
                                    element("conveyors", c.name(), i) + ".capacity",
                                    model.nodes[static_cast<size_t>(n)].capacity, 1.0, "parts"));
  }
  std::vector<WhatIfParam> out;
  for (auto* group : {&cycle, &machines, &setup, &failures, &buffers, &conveyors}) {
    for (WhatIfParam& p : *group) out.push_back(std::move(p));
  }
  return out;
}

std::string check_param_value(const WhatIfParam& param, double value) {
  const std::string min_text = format_param_value(param, param.min_value) + " " + param.unit;
  if (!std::isfinite(value)) return "not a number";
  if (param.min_exclusive ? !(value > param.min_value) : !(value >= param.min_value)) {
    return std::string("must be ") + (param.min_exclusive ? "> " : ">= ") + min_text;
  }
  if (param.integer) {
    if (value != std::floor(value)) return "must be a whole number";
    const double max = param.kind == ParamKind::kMachines ? kMaxMachines : kMaxCapacity;
    if (value > max) return "must be <= " + shortest_number(max) + " " + param.unit;
  }
  return {};
}

std::string param_assignment(const WhatIfParam& param, double value) {
  std::string out = param.path + "=";
  if (param.integer) {
    out += std::to_string(static_cast<int64_t>(value));
    return out;
  }
  const Distribution& d = param.distribution;
  // A constant (or a distribution whose mean cannot be scaled) becomes the new constant.
  if (d.kind_case() == Distribution::kConstant || !(param.current > 0.0) ||
      !std::isfinite(param.current)) {
    out += shortest_number(value);
    out += 's';
    return out;
  }
  out += flow_text(scaled(d, value / param.current, value));
  return out;
}

std::string format_param_value(const WhatIfParam& param, double value) {
  if (param.integer && value < 0.0) return "unbounded";
  if (param.integer) return std::to_string(static_cast<int64_t>(value));
  // Rounded to 6 significant digits for reading; assignments use the exact value.
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", value / param.display_scale);
  return buf;
}

}  // namespace twin::viewer
