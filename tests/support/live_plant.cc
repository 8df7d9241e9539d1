#include "tests/support/live_plant.h"

#include <span>
#include <string_view>

#include "core/live/sparkplug_edge_sink.h"

namespace twin::test {

PlantReport run_plant_into(LiveTwin& twin, const Model& model, const PlantOptions& options,
                           const std::function<void(uint64_t messages)>& after_message) {
  SparkplugEdgeNode node("plant", "line1");
  (void)node.next_death(options.start_ns / 1'000'000);
  uint64_t messages = 0;
  SparkplugEdgeSink sink(node, [&](const SparkplugMessage& m, uint64_t log_time_ns) {
    const std::string_view payload = m.payload;
    twin.handle(m.topic, {reinterpret_cast<const uint8_t*>(payload.data()), payload.size()},
                static_cast<int64_t>(log_time_ns));
    if (after_message) after_message(++messages);
    return true;
  });
  return run_plant(model, options, sink);
}

}  // namespace twin::test
