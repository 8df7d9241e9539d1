#include "core/model/model.h"

namespace twin {

// Linear scans: names are looked up at the edges (scene load, telemetry mapping), never in a step.
int32_t Model::find_node(const std::string& node_name) const {
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].name == node_name) return static_cast<int32_t>(i);
  }
  return -1;
}

int32_t Model::find_station(const std::string& station_name) const {
  for (size_t i = 0; i < stations.size(); ++i) {
    if (stations[i].name == station_name) return static_cast<int32_t>(i);
  }
  return -1;
}

}  // namespace twin
