// JSON output for other tools (`--json FILE`). Contains what was run (scene, seed, replications,
// horizon, warm-up) and per metric key mean, half_width, stddev, min, max and n; never the thread
// count, so the file is identical for any number of threads.
#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

#include "core/model/model.h"
#include "core/run/replications.h"
#include "core/run/whatif.h"

namespace twin {

struct JsonOptions {
  bool per_replication = false;  // add "values": [one per replication] to every metric
};

// {"scene", "scene_file", "seed", "replications", "horizon_s", "warmup_s", "stations",
//  "bottleneck", "metrics": {key: {"mean", "half_width", "stddev", "min", "max", "n"}}}
nlohmann::ordered_json simulation_json(const Model& model, const ReplicationResults& results,
                                       const JsonOptions& options = {});

// The run fields as above, then "base": {"metrics"}, "variants": [{"name", "set", "metrics",
// "differences": {key: {"mean", "half_width", "stddev", "n", "relative_pct", "significant"}}}]
nlohmann::ordered_json whatif_json(const Model& base_model, const WhatIfResults& results,
                                   const JsonOptions& options = {});

// Writes `json` indented by 2, with a final newline. Returns false and fills `error`.
bool write_json_file(const std::string& path, const nlohmann::ordered_json& json,
                     std::string& error);

}  // namespace twin
