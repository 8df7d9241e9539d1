// Scene loading: YAML text -> twin::scene::Scene message (schema in core/proto/twin/scene.proto)
// -> validated, compiled Model. Every error names the file, line and field path.
#pragma once

#include <string>
#include <vector>

#include "core/model/model.h"
#include "twin/scene.pb.h"

namespace twin {

struct SceneError {
  std::string file;
  int line = 0;         // 1-based; 0 when unknown
  int column = 0;       // 1-based; 0 when unknown
  std::string path;     // field path, e.g. "stations[3].cycle_time"
  std::string message;  // e.g. "unknown field, did you mean cycle_time?"
  // "file:line:column: path: message"
  std::string to_string() const;
};

struct SceneLoadResult {
  bool ok() const { return errors.empty(); }
  scene::Scene scene;              // as parsed (valid only when ok())
  Model model;                     // compiled (valid only when ok())
  std::vector<SceneError> errors;  // all errors found, in file order
};

// Parses YAML text into a Scene message, validates and compiles it. Never throws.
SceneLoadResult load_scene_text(const std::string& yaml_text, const std::string& file_name);
// Reads a file and calls load_scene_text; a missing file is an error, not an exception.
SceneLoadResult load_scene_file(const std::string& path);
// Validates and compiles an already-built Scene message (used after --set overrides).
// Errors carry field paths but no line numbers.
SceneLoadResult compile_scene(const scene::Scene& scene, const std::string& file_name);

// Sets one field of a scene by path, for `twin whatif --set`, e.g.
//   stations[2].machines=3, stations[name=Filler].cycle_time.exponential.mean=40,
//   buffers[B1].capacity=10, stations[Filler].cycle_time=35s
// Values are parsed like YAML scalars (units allowed where the schema gives one).
// Returns false and fills `error` on a bad path or value.
bool set_scene_field(scene::Scene& scene, const std::string& assignment, std::string& error);

}  // namespace twin
