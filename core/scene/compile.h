// Scene message -> Model: semantic checks (names, references, probabilities, distributions,
// capacities, calendar, flow) and compilation into flat arrays. Internal to core/scene; the
// public entry points are compile_scene() and load_scene_text() in load.h.
#pragma once

#include <string>
#include <vector>

#include "core/model/model.h"
#include "core/scene/load.h"
#include "core/scene/yaml_to_proto.h"
#include "twin/scene.pb.h"

namespace twin {

// Validates `scene` and fills `model` (reset first). Errors are appended with field paths, and
// with lines when `locations` (from yaml_to_message) is given. Returns true when none was added.
// Never throws; `model` is meaningful only on success.
bool compile_scene_into(const scene::Scene& scene, const std::string& file_name,
                        const FieldLocations* locations, Model& model,
                        std::vector<SceneError>& errors);

}  // namespace twin
