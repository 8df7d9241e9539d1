#include "core/run/whatif.h"

#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <utility>

#include <yaml-cpp/yaml.h>

namespace twin {

namespace {

SceneError make_error(const std::string& file, const YAML::Mark& mark, std::string path,
                      std::string message) {
  SceneError e;
  e.file = file;
  if (!mark.is_null()) {
    e.line = mark.line + 1;
    e.column = mark.column + 1;
  }
  e.path = std::move(path);
  e.message = std::move(message);
  return e;
}

// A scalar's text, or an error when the node is not a scalar.
bool scalar_text(const YAML::Node& node, const std::string& file, const std::string& path,
                 std::string& out, std::vector<SceneError>& errors) {
  if (!node.IsScalar()) {
    errors.push_back(make_error(file, node.Mark(), path, "expected a string"));
    return false;
  }
  out = node.Scalar();
  return true;
}

void parse_assignment(const YAML::Node& node, const std::string& file, const std::string& path,
                      Variant& variant, std::vector<SceneError>& errors) {
  std::string text;
  if (!scalar_text(node, file, path, text, errors)) return;
  if (text.find('=') == std::string::npos) {
    errors.push_back(
        make_error(file, node.Mark(), path, "expected PATH=VALUE, e.g. buffers[B1].capacity=10"));
    return;
  }
  Assignment a;
  a.text = std::move(text);
  a.file = file;
  const YAML::Mark mark = node.Mark();
  if (!mark.is_null()) {
    a.line = mark.line + 1;
    a.column = mark.column + 1;
  }
  variant.assignments.push_back(std::move(a));
}

void parse_variant(const YAML::Node& node, const std::string& file, const std::string& path,
                   std::set<std::string>& names, std::vector<Variant>& variants,
                   std::vector<SceneError>& errors) {
  if (!node.IsMap()) {
    errors.push_back(make_error(file, node.Mark(), path, "expected a map with name and set"));
    return;
  }
  Variant variant;
  bool has_name = false, has_set = false;
  for (const auto& kv : node) {
    std::string key = kv.first.IsScalar() ? kv.first.Scalar() : std::string();
    const std::string field = path + "." + key;
    if (key == "name") {
      if (!scalar_text(kv.second, file, field, variant.name, errors)) continue;
      has_name = true;
      if (variant.name.empty()) {
        errors.push_back(make_error(file, kv.second.Mark(), field, "empty name"));
      } else if (!names.insert(variant.name).second) {
        errors.push_back(
            make_error(file, kv.second.Mark(), field, "duplicate variant name " + variant.name));
      }
    } else if (key == "set") {
      has_set = true;
      if (kv.second.IsSequence()) {
        for (size_t i = 0; i < kv.second.size(); ++i) {
          parse_assignment(kv.second[i], file, field + "[" + std::to_string(i) + "]", variant,
                           errors);
        }
        if (kv.second.size() == 0) {
          errors.push_back(make_error(file, kv.second.Mark(), field, "no assignments"));
        }
      } else {
        parse_assignment(kv.second, file, field, variant, errors);
      }
    } else if (key == "description") {
      // free text, ignored
    } else {
      errors.push_back(make_error(file, kv.first.Mark(), field,
                                  "unknown key, expected name, set or description"));
    }
  }
  if (!has_name) errors.push_back(make_error(file, node.Mark(), path, "missing name"));
  if (!has_set) errors.push_back(make_error(file, node.Mark(), path, "missing set"));
  variants.push_back(std::move(variant));
}

// The PATH of "PATH=VALUE": up to the first '=' outside brackets ("stations[name=A].x=1").
std::string assignment_path(const std::string& text) {
  int depth = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '[') ++depth;
    if (text[i] == ']' && depth > 0) --depth;
    if (text[i] == '=' && depth == 0) return text.substr(0, i);
  }
  return text;
}

// set_scene_field's messages may start with (part of) the path: "stations[S9]: no element...".
// The error already names the path, so drop that prefix.
std::string strip_path_prefix(const std::string& message, const std::string& path) {
  const size_t colon = message.find(": ");
  if (colon == std::string::npos || colon == 0) return message;
  const std::string prefix = message.substr(0, colon);
  if (path.compare(0, prefix.size(), prefix) != 0) return message;
  return message.substr(colon + 2);
}

}  // namespace

bool parse_scenario_text(const std::string& yaml_text, const std::string& file_name,
                         std::vector<Variant>& variants, std::vector<SceneError>& errors) {
  const size_t errors_before = errors.size();
  std::vector<Variant> parsed;
  try {
    YAML::Node root = YAML::Load(yaml_text);
    if (!root.IsMap()) {
      errors.push_back(
          make_error(file_name, root.Mark(), "", "expected a map with a list of variants"));
      return false;
    }
    bool has_variants = false;
    for (const auto& kv : root) {
      std::string key = kv.first.IsScalar() ? kv.first.Scalar() : std::string();
      if (key == "variants") {
        has_variants = true;
        if (!kv.second.IsSequence() || kv.second.size() == 0) {
          errors.push_back(make_error(file_name, kv.second.Mark(), "variants",
                                      "expected a non-empty list of variants"));
          continue;
        }
        std::set<std::string> names;
        for (size_t i = 0; i < kv.second.size(); ++i) {
          parse_variant(kv.second[i], file_name, "variants[" + std::to_string(i) + "]", names,
                        parsed, errors);
        }
      } else if (key == "description") {
        // free text, ignored
      } else {
        errors.push_back(make_error(file_name, kv.first.Mark(), key,
                                    "unknown key, expected variants or description"));
      }
    }
    if (!has_variants) {
      errors.push_back(make_error(file_name, root.Mark(), "variants", "missing variants"));
    }
  } catch (const YAML::Exception& e) {
    errors.push_back(make_error(file_name, e.mark, "", e.msg));
  }
  if (errors.size() != errors_before) return false;
  for (Variant& v : parsed) variants.push_back(std::move(v));
  return true;
}

bool load_scenario_file(const std::string& path, std::vector<Variant>& variants,
                        std::vector<SceneError>& errors) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    SceneError e;
    e.file = path;
    e.message = "cannot open scenario file";
    errors.push_back(std::move(e));
    return false;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_scenario_text(text.str(), path, variants, errors);
}

bool prepare_variant(const scene::Scene& base, const std::string& scene_file,
                     const Variant& variant, PreparedVariant& out,
                     std::vector<SceneError>& errors) {
  const size_t errors_before = errors.size();
  out.name = variant.name;
  out.assignments.clear();
  out.scene = base;
  for (const Assignment& a : variant.assignments) {
    out.assignments.push_back(a.text);
    std::string message;
    if (!set_scene_field(out.scene, a.text, message)) {
      SceneError e;
      e.file = a.file;
      e.line = a.line;
      e.column = a.column;
      e.path = assignment_path(a.text);
      e.message = strip_path_prefix(message, e.path);
      errors.push_back(std::move(e));
    }
  }
  if (errors.size() != errors_before) return false;
  SceneLoadResult compiled = compile_scene(out.scene, scene_file);
  if (!compiled.ok()) {
    for (SceneError& e : compiled.errors) {
      e.message += " (in variant \"" + variant.name + "\")";
      errors.push_back(std::move(e));
    }
    return false;
  }
  out.model = std::move(compiled.model);
  return true;
}

MetricDifference compare_values(std::string key, const std::vector<double>& base,
                                const std::vector<double>& variant) {
  MetricDifference d;
  d.key = std::move(key);
  d.base = summarize(base);
  d.variant = summarize(variant);
  const size_t n = std::min(base.size(), variant.size());
  d.differences.reserve(n);
  for (size_t r = 0; r < n; ++r) d.differences.push_back(variant[r] - base[r]);
  d.difference = summarize(d.differences);
  d.significant = d.difference.excludes_zero();
  d.relative_pct = d.base.mean != 0.0 ? 100.0 * d.difference.mean / std::fabs(d.base.mean)
                                      : std::numeric_limits<double>::quiet_NaN();
  return d;
}

const MetricDifference* VariantResult::find(const std::string& key) const {
  for (const MetricDifference& d : differences) {
    if (d.key == key) return &d;
  }
  return nullptr;
}

WhatIfResults run_whatif(const Model& base, const std::vector<PreparedVariant>& variants,
                         const ReplicationOptions& options) {
  const size_t runs = variants.size() + 1;
  const size_t per_run = options.replications;
  // One progress bar over all runs: run i covers [i * per_run, (i + 1) * per_run).
  auto options_for = [&](size_t run_index) {
    ReplicationOptions o = options;
    if (options.progress) {
      o.progress = [&options, run_index, per_run, runs](size_t done, size_t) {
        options.progress(run_index * per_run + done, runs * per_run);
      };
    }
    return o;
  };

  WhatIfResults out;
  out.base = run_replications(base, options_for(0));
  out.variants.reserve(variants.size());
  for (size_t i = 0; i < variants.size(); ++i) {
    const PreparedVariant& pv = variants[i];
    VariantResult vr;
    vr.name = pv.name;
    vr.assignments = pv.assignments;
    vr.model = pv.model;
    vr.results = run_replications(pv.model, options_for(i + 1));
    std::map<std::string, const MetricSummary*> by_key;
    for (const MetricSummary& m : vr.results.metrics) by_key.emplace(m.key, &m);
    for (const MetricSummary& b : out.base.metrics) {
      auto it = by_key.find(b.key);
      if (it == by_key.end()) continue;
      vr.differences.push_back(compare_values(b.key, b.values, it->second->values));
    }
    out.variants.push_back(std::move(vr));
  }
  return out;
}

}  // namespace twin
