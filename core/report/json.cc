#include "core/report/json.h"

#include <cmath>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/report/table.h"

namespace twin {

namespace {

using Json = nlohmann::ordered_json;

// NaN and infinities have no JSON form: they become null.
Json number(double v) {
  return std::isfinite(v) ? Json(v) : Json(nullptr);
}

Json values_json(const std::vector<double>& values) {
  Json a = Json::array();
  for (double v : values) a.push_back(number(v));
  return a;
}

Json metrics_json(const ReplicationResults& results, const JsonOptions& options) {
  Json metrics = Json::object();
  for (const MetricSummary& m : results.metrics) {
    Json j = {{"mean", number(m.interval.mean)},
              {"half_width", number(m.interval.half_width)},
              {"stddev", number(m.interval.stddev)},
              {"min", number(m.min)},
              {"max", number(m.max)},
              {"n", m.interval.n}};
    if (options.per_replication) j["values"] = values_json(m.values);
    metrics[m.key] = std::move(j);
  }
  return metrics;
}

Json run_json(const Model& model, const ReplicationResults& results) {
  Json stations = Json::array();
  for (const Station& s : model.stations) stations.push_back(s.name);
  const BottleneckSummary b = summarize_bottleneck(model, results);
  return {{"scene", model.name},
          {"scene_file", model.source_file},
          {"seed", results.seed},
          {"replications", results.replications()},
          {"horizon_s", number(results.horizon_s)},
          {"warmup_s", number(results.warmup_s)},
          {"stations", std::move(stations)},
          {"bottleneck", b.station >= 0 ? Json(model.stations[b.station].name) : Json(nullptr)}};
}

}  // namespace

nlohmann::ordered_json simulation_json(const Model& model, const ReplicationResults& results,
                                       const JsonOptions& options) {
  Json j = run_json(model, results);
  j["metrics"] = metrics_json(results, options);
  return j;
}

nlohmann::ordered_json whatif_json(const Model& base_model, const WhatIfResults& results,
                                   const JsonOptions& options) {
  Json j = run_json(base_model, results.base);
  j["base"] = {{"metrics", metrics_json(results.base, options)}};
  Json variants = Json::array();
  for (const VariantResult& v : results.variants) {
    Json differences = Json::object();
    for (const MetricDifference& d : v.differences) {
      Json dj = {
          {"mean", number(d.difference.mean)},      {"half_width", number(d.difference.half_width)},
          {"stddev", number(d.difference.stddev)},  {"n", d.difference.n},
          {"relative_pct", number(d.relative_pct)}, {"significant", d.significant}};
      if (options.per_replication) dj["values"] = values_json(d.differences);
      differences[d.key] = std::move(dj);
    }
    const BottleneckSummary b = summarize_bottleneck(v.model, v.results);
    variants.push_back(
        {{"name", v.name},
         {"set", v.assignments},
         {"bottleneck", b.station >= 0 ? Json(v.model.stations[b.station].name) : Json(nullptr)},
         {"metrics", metrics_json(v.results, options)},
         {"differences", std::move(differences)}});
  }
  j["variants"] = std::move(variants);
  return j;
}

bool write_json_file(const std::string& path, const nlohmann::ordered_json& json,
                     std::string& error) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) {
    error = "cannot open " + path + " for writing";
    return false;
  }
  out << json.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << '\n';
  out.flush();
  if (!out) {
    error = "cannot write " + path;
    return false;
  }
  return true;
}

}  // namespace twin
