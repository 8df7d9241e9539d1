// What-if comparisons: a base scene and variants of it (each a list of set_scene_field
// assignments), run with the same replication indices and seed. Random streams are keyed by
// entity names, so entities a variant leaves alone draw the same numbers in both runs (common
// random numbers), and per-replication paired differences variant - base have tight intervals.
#pragma once

#include <string>
#include <vector>

#include "core/model/model.h"
#include "core/run/replications.h"
#include "core/scene/load.h"
#include "core/stats/summary.h"
#include "twin/scene.pb.h"

namespace twin {

// One `path=value` assignment and where it was written (for error messages).
struct Assignment {
  std::string text;  // e.g. "buffers[B3].capacity=10"
  std::string file;  // scenario file, or "--set"
  int line = 0;      // 1-based; 0 when unknown
  int column = 0;    // 1-based; 0 when unknown
};

struct Variant {
  std::string name;
  std::vector<Assignment> assignments;
};

// A variant applied to the base scene and compiled.
struct PreparedVariant {
  std::string name;
  std::vector<std::string> assignments;  // texts, in order
  scene::Scene scene;
  Model model;
};

// Parses a scenario file:
//   variants:
//     - name: bigger buffers
//       set: ["buffers[B3].capacity=10", "buffers[B4].capacity=10"]
//     - name: faster filler
//       set: stations[Filler].cycle_time=1.1s     # a single assignment may be a plain string
// Optional keys: `description` at the top and per variant. Appends to `variants`; returns false
// and fills `errors` (with file, line and column) on bad input. Never throws.
bool parse_scenario_text(const std::string& yaml_text, const std::string& file_name,
                         std::vector<Variant>& variants, std::vector<SceneError>& errors);
bool load_scenario_file(const std::string& path, std::vector<Variant>& variants,
                        std::vector<SceneError>& errors);

// Applies the variant's assignments to a copy of `base` and compiles it. Returns false and fills
// `errors` when an assignment or the changed scene is invalid. Never throws.
bool prepare_variant(const scene::Scene& base, const std::string& scene_file,
                     const Variant& variant, PreparedVariant& out, std::vector<SceneError>& errors);

// Paired comparison of one figure: variant - base, replication by replication.
struct MetricDifference {
  std::string key;
  Interval base;
  Interval variant;
  Interval difference;              // of the paired differences (variant - base)
  double relative_pct = 0.0;        // 100 * difference.mean / |base.mean|; NaN when base.mean == 0
  bool significant = false;         // the difference interval excludes 0
  std::vector<double> differences;  // per replication
};

// Both value vectors are indexed by replication and must have the same length.
MetricDifference compare_values(std::string key, const std::vector<double>& base,
                                const std::vector<double>& variant);

struct VariantResult {
  std::string name;
  std::vector<std::string> assignments;
  Model model;
  ReplicationResults results;
  // Every metric key present in both base and variant, in the base's order.
  std::vector<MetricDifference> differences;

  const MetricDifference* find(const std::string& key) const;
};

struct WhatIfResults {
  ReplicationResults base;
  std::vector<VariantResult> variants;
};

// Runs the base model and every variant with the same options (same seed and replication
// indices). The progress callback, if any, sees the replications of all runs as one total.
// Throws Cancelled (core/run/replications.h) when options.cancel stops it; no run starts after
// the flag was seen.
WhatIfResults run_whatif(const Model& base, const std::vector<PreparedVariant>& variants,
                         const ReplicationOptions& options);

}  // namespace twin
