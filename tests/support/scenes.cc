#include "tests/support/scenes.h"

#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>

namespace twin::test {

namespace {
SceneLoadResult checked(SceneLoadResult r) {
  for (const SceneError& e : r.errors) ADD_FAILURE() << e.to_string();
  return r;
}
}  // namespace

std::string substitute(const std::string& text, const std::string& key, const std::string& value) {
  const size_t at = text.find(key);
  if (at == std::string::npos) {
    ADD_FAILURE() << "no '" << key << "' in the template";
    return text;
  }
  std::string out;
  out.reserve(text.size() + value.size());
  out.append(text, 0, at).append(value).append(text, at + key.size(), std::string::npos);
  return out;
}

SceneLoadResult load_scene_or_fail(const std::string& yaml, const std::string& name) {
  return checked(load_scene_text(yaml, name));
}

SceneLoadResult load_sample_or_fail(const std::string& file) {
  return checked(load_scene_file(std::string(TWIN_SOURCE_DIR) + "/scenes/" + file));
}

std::string sample_text(const std::string& file) {
  std::ifstream in(std::string(TWIN_SOURCE_DIR) + "/scenes/" + file);
  EXPECT_TRUE(in.good()) << "cannot read scenes/" << file;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

const Model& machining20_lots_of_6() {
  static const Model model = [] {
    const std::string text = sample_text("machining20.yaml");
    EXPECT_NE(text.find("lot_size: 60"), std::string::npos);
    return load_scene_or_fail(substitute(text, "lot_size: 60", "lot_size: 6"),
                              "machining20_lots6.yaml")
        .model;
  }();
  return model;
}

const Model& sample_model(const std::string& file) {
  // Node-based: references stay valid as more scenes are added.
  static std::map<std::string, Model> loaded;
  auto it = loaded.find(file);
  if (it == loaded.end()) it = loaded.emplace(file, load_sample_or_fail(file).model).first;
  return it->second;
}

}  // namespace twin::test
