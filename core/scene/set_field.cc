// set_scene_field: `twin whatif --set PATH=VALUE`. The path walks the Scene message by field
// names (`name`, `name[3]`, `name[Filler]`, `name[name=Filler]`); the value is parsed by the same
// reader as the YAML files (units, enum names, distribution shorthand), via yaml_value_to_field.
#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <cctype>

#include "core/scene/load.h"
#include "core/scene/suggest.h"
#include "core/scene/yaml_to_proto.h"

namespace twin {
namespace {

namespace pb = google::protobuf;
using pb::FieldDescriptor;

std::string trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

std::string unquote(const std::string& s) {
  if (s.size() >= 2 && (s.front() == '\'' || s.front() == '"') && s.back() == s.front()) {
    return s.substr(1, s.size() - 2);
  }
  return s;
}

// One step of a path: a field, optionally with an element selector.
struct Segment {
  std::string field;
  bool selected = false;  // has [...]
  bool by_index = false;
  size_t index = 0;
  std::string key_field;  // select the element whose `key_field` equals `key_value`
  std::string key_value;
  std::string text;  // as written, for messages
};

bool parse_path(const std::string& path, std::vector<Segment>& out, std::string& error) {
  const size_t n = path.size();
  size_t i = 0;
  for (;;) {
    Segment seg;
    const size_t start = i;
    while (i < n && (std::isalnum(static_cast<unsigned char>(path[i])) || path[i] == '_')) ++i;
    seg.field = path.substr(start, i - start);
    if (seg.field.empty()) {
      error = "bad path '" + path + "': expected a field name at character " +
              std::to_string(start + 1);
      return false;
    }
    if (i < n && path[i] == '[') {
      const size_t close = path.find(']', i);
      if (close == std::string::npos) {
        error = "bad path '" + path + "': missing ']'";
        return false;
      }
      const std::string sel = trim(path.substr(i + 1, close - i - 1));
      i = close + 1;
      if (sel.empty()) {
        error = "bad path '" + path + "': empty [] selector; use [2], [Filler] or [name=Filler]";
        return false;
      }
      seg.selected = true;
      bool digits = sel.size() <= 9;
      for (char c : sel) digits &= std::isdigit(static_cast<unsigned char>(c)) != 0;
      if (digits) {
        seg.by_index = true;
        seg.index = std::stoul(sel);
      } else {
        const size_t eq = sel.find('=');
        seg.key_field = eq == std::string::npos ? "name" : trim(sel.substr(0, eq));
        seg.key_value = unquote(eq == std::string::npos ? sel : trim(sel.substr(eq + 1)));
      }
    }
    seg.text = path.substr(start, i - start);
    out.push_back(std::move(seg));
    if (i == n) return true;
    if (path[i] != '.') {
      error = "bad path '" + path + "': unexpected '" + std::string(1, path[i]) +
              "' at character " + std::to_string(i + 1);
      return false;
    }
    ++i;
  }
}

// Index of the element `seg` selects in repeated field `f` of `msg`, or -1 with `error`.
int select_element(const pb::Message& msg, const FieldDescriptor* f, const Segment& seg,
                   const std::string& shown, std::string& error) {
  const pb::Reflection* r = msg.GetReflection();
  const int size = r->FieldSize(msg, f);
  if (seg.by_index) {
    if (seg.index >= static_cast<size_t>(size)) {
      error = shown + ": index " + std::to_string(seg.index) + " is out of range (" + f->name() +
              " has " + std::to_string(size) + " element" + (size == 1 ? "" : "s") + ")";
      return -1;
    }
    return static_cast<int>(seg.index);
  }
  if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
    error = shown + ": elements of '" + f->name() + "' are values; select one by index, as " +
            f->name() + "[0]";
    return -1;
  }
  const FieldDescriptor* key = f->message_type()->FindFieldByName(seg.key_field);
  if (key == nullptr || key->is_repeated() || key->cpp_type() != FieldDescriptor::CPPTYPE_STRING) {
    error = shown + ": " + f->message_type()->name() + " has no text field '" + seg.key_field +
            "' to select by";
    return -1;
  }
  std::vector<std::string> values;
  for (int i = 0; i < size; ++i) {
    const std::string v = r->GetRepeatedMessage(msg, f, i).GetReflection()->GetString(
        r->GetRepeatedMessage(msg, f, i), key);
    if (v == seg.key_value) return i;
    values.push_back(v);
  }
  error = shown + ": no element of " + f->name() + " has " + seg.key_field + " '" + seg.key_value +
          "'" + did_you_mean(seg.key_value, values);
  return -1;
}

// Position of the first '=' outside brackets, or npos.
size_t assignment_split(const std::string& s) {
  int depth = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '[') ++depth;
    if (s[i] == ']' && depth > 0) --depth;
    if (s[i] == '=' && depth == 0) return i;
  }
  return s.find('=');  // unbalanced brackets: parse_path reports them
}

bool set_field(scene::Scene& scene, const std::string& assignment, std::string& error) {
  const size_t eq = assignment_split(assignment);
  if (eq == std::string::npos) {
    error = "expected PATH=VALUE, e.g. stations[Filler].cycle_time=35s; got '" + assignment + "'";
    return false;
  }
  const std::string path = trim(assignment.substr(0, eq));
  const std::string value = trim(assignment.substr(eq + 1));
  std::vector<Segment> segments;
  if (!parse_path(path, segments, error)) return false;

  scene::Scene copy = scene;  // changed only when the whole assignment succeeds
  pb::Message* msg = &copy;
  std::string shown;  // the path so far, as written
  for (size_t k = 0; k < segments.size(); ++k) {
    const Segment& seg = segments[k];
    const pb::Descriptor* d = msg->GetDescriptor();
    const pb::Reflection* r = msg->GetReflection();
    const std::string shown_field = shown.empty() ? seg.field : shown + "." + seg.field;
    shown = shown.empty() ? seg.text : shown + "." + seg.text;
    const FieldDescriptor* f = d->FindFieldByName(seg.field);
    if (f == nullptr) {
      std::vector<std::string> names;
      for (int i = 0; i < d->field_count(); ++i) names.push_back(d->field(i)->name());
      std::string hint = did_you_mean(seg.field, names);
      error = shown_field + ": unknown field '" + seg.field + "'" +
              (hint.empty() ? " in " + d->name() : hint);
      return false;
    }
    const bool last = k + 1 == segments.size();
    int index = -1;
    if (seg.selected) {
      if (!f->is_repeated()) {
        error = shown_field + ": '" + f->name() + "' is not a list; drop the [...]";
        return false;
      }
      index = select_element(*msg, f, seg, shown, error);
      if (index < 0) return false;
    } else if (f->is_repeated() && !last) {
      error = shown_field + ": '" + f->name() + "' is a list; select an element, as " + f->name() +
              "[0] or " + f->name() + "[name]";
      return false;
    }
    if (last) {
      std::vector<SceneError> errors;
      if (!yaml_value_to_field(value, *msg, f, index, shown, errors)) {
        error.clear();
        for (const SceneError& e : errors) {
          if (!error.empty()) error += "; ";
          error += e.path.empty() ? e.message : e.path + ": " + e.message;
        }
        return false;
      }
      scene = std::move(copy);
      return true;
    }
    if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
      error = shown + ": '" + f->name() + "' is a value, not a message; nothing can follow it";
      return false;
    }
    // MutableMessage on a oneof member switches the oneof to it (cycle_time.exponential.mean).
    msg = index >= 0 ? r->MutableRepeatedMessage(msg, f, index) : r->MutableMessage(msg, f);
  }
  error = "empty path";
  return false;
}

}  // namespace

bool set_scene_field(scene::Scene& scene, const std::string& assignment, std::string& error) {
  try {
    return set_field(scene, assignment, error);
  } catch (const std::exception& e) {
    error = std::string("cannot set '") + assignment + "': " + e.what();
    return false;
  }
}

}  // namespace twin
