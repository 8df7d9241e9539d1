// libFuzzer target for the scene loader (outside data: YAML scene files). Loads the bytes as
// a scene; when it loads, runs up to one simulated hour of it (bounded in events) so that
// valid-but-odd scenes also exercise the line model.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/scene/load.h"
#include "models/process/line_model.h"
#include "models/process/line_state.h"

namespace {

constexpr size_t kMaxMachines = 50;
constexpr uint64_t kMaxEvents = 200000;  // keeps each input well under the -timeout

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const twin::SceneLoadResult r = twin::load_scene_text(text, "fuzz.yaml");
  if (!r.ok()) {
    for (const twin::SceneError& e : r.errors) (void)e.to_string();
    return 0;
  }
  if (r.model.machine_station.size() > kMaxMachines) return 0;
  twin::RunOptions options;
  options.horizon_s = 3600.0;
  options.warmup_s = 600.0;
  twin::LineState state;
  twin::init_state(r.model, options, state);
  for (uint64_t n = 0; n < kMaxEvents && twin::step(r.model, state); ++n) {
  }
  const twin::ReplicationKpis kpis = twin::compute_kpis(r.model, state);
  (void)twin::flatten_kpis(r.model, kpis);
  return 0;
}
