// load_scene_file / load_scene_text: read, parse (yaml_to_proto), validate and compile (compile).
#include "core/scene/load.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "core/scene/compile.h"
#include "core/scene/yaml_to_proto.h"

namespace twin {
namespace {

constexpr std::streamoff kMaxSceneBytes = 64 << 20;  // a scene is text written by people

SceneError file_error(const std::string& file, std::string message) {
  SceneError e;
  e.file = file;
  e.message = std::move(message);
  return e;
}

// File order: by line and column; errors without a line keep their order, after the others.
void sort_errors(std::vector<SceneError>& errors) {
  constexpr int kLast = std::numeric_limits<int>::max();
  std::stable_sort(errors.begin(), errors.end(), [](const SceneError& a, const SceneError& b) {
    const int la = a.line > 0 ? a.line : kLast, lb = b.line > 0 ? b.line : kLast;
    if (la != lb) return la < lb;
    return (a.line > 0 ? a.column : 0) < (b.line > 0 ? b.column : 0);
  });
}

}  // namespace

SceneLoadResult load_scene_text(const std::string& yaml_text, const std::string& file_name) {
  SceneLoadResult result;
  try {
    FieldLocations locations;
    // Semantic checks run only on a scene that parsed cleanly: after an unknown or mistyped
    // field they would mostly repeat the same mistake ("cycle_tme" -> "cycle_time is required").
    if (yaml_to_message(yaml_text, file_name, result.scene, &locations, result.errors)) {
      compile_scene_into(result.scene, file_name, &locations, result.model, result.errors);
    }
  } catch (const std::exception& e) {
    result.errors.push_back(file_error(file_name, std::string("internal error: ") + e.what()));
  }
  sort_errors(result.errors);
  return result;
}

SceneLoadResult load_scene_file(const std::string& path) {
  try {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      SceneLoadResult result;
      result.errors.push_back(file_error(path, "cannot open scene file: it is a directory"));
      return result;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      SceneLoadResult result;
      result.errors.push_back(
          file_error(path, std::string("cannot open scene file: ") + std::strerror(errno)));
      return result;
    }
    in.seekg(0, std::ios::end);
    const std::streamoff size = in.tellg();
    in.seekg(0, std::ios::beg);
    if (size > kMaxSceneBytes) {
      SceneLoadResult result;
      result.errors.push_back(file_error(
          path, "scene file too large (" + std::to_string(size) + " bytes; at most 64 MiB)"));
      return result;
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) {
      SceneLoadResult result;
      result.errors.push_back(file_error(path, "cannot read scene file"));
      return result;
    }
    return load_scene_text(text.str(), path);
  } catch (const std::exception& e) {
    SceneLoadResult result;
    result.errors.push_back(file_error(path, std::string("cannot read scene file: ") + e.what()));
    return result;
  }
}

}  // namespace twin
