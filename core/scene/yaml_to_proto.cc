#include "core/scene/yaml_to_proto.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <sstream>
#include <string_view>

#include "core/scene/suggest.h"
#include "twin/options.pb.h"

namespace twin {
namespace {

namespace pb = google::protobuf;
using pb::FieldDescriptor;

// --- scalar text -------------------------------------------------------------------------------

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Parses a leading floating-point number; `rest` gets what follows it.
bool leading_double(std::string_view s, double& value, std::string_view& rest) {
  s = trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty() || !(std::isdigit(static_cast<unsigned char>(s.front())) || s.front() == '-' ||
                     s.front() == '.')) {
    return false;  // rejects "inf", "nan" and text
  }
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc()) return false;
  rest = trim(s.substr(static_cast<size_t>(ptr - s.data())));
  return std::isfinite(value);
}

struct UnitScale {
  std::string_view suffix;
  double factor;  // to the field's unit
};

// Suffixes accepted for a field of unit `unit`; empty when the unit has none.
std::vector<UnitScale> scales_for(const std::string& unit) {
  if (unit == "s") {
    return {{"ms", 1e-3}, {"s", 1.0}, {"sec", 1.0}, {"min", 60.0}, {"h", 3600.0}};
  }
  if (unit == "m") return {{"mm", 1e-3}, {"cm", 1e-2}, {"m", 1.0}};
  if (unit == "m/s") return {{"mm/s", 1e-3}, {"m/s", 1.0}, {"m/min", 1.0 / 60.0}};
  if (unit == "kW") return {{"W", 1e-3}, {"kW", 1.0}};
  if (unit == "kWh") return {{"Wh", 1e-3}, {"kWh", 1.0}};
  if (unit == "1") return {{"%", 1e-2}};
  if (unit == "parts") return {{"parts", 1.0}};
  return {};
}

std::string unit_list(const std::vector<UnitScale>& scales) {
  std::string out;
  for (size_t i = 0; i < scales.size(); ++i) {
    if (i > 0) out += i + 1 == scales.size() ? " or " : ", ";
    out += scales[i].suffix;
  }
  return out;
}

std::string expected_number(const std::string& unit) {
  if (unit == "s") {
    return "expected a duration in seconds such as 90, \"90s\", \"5min\", \"1.5h\" or \"250ms\"";
  }
  if (unit == "1") return "expected a number (a fraction such as 0.05, or \"5%\")";
  const auto scales = scales_for(unit);
  if (!scales.empty())
    return "expected a number in " + unit + " (units: " + unit_list(scales) + ")";
  return "expected a number";
}

// Number, optionally followed by a unit of the field's dimension. Returns "" or an error.
std::string parse_number(std::string_view text, const std::string& unit, double& value) {
  std::string_view rest;
  if (!leading_double(text, value, rest)) {
    return expected_number(unit) + ", got '" + std::string(text) + "'";
  }
  if (rest.empty()) return {};
  const auto scales = scales_for(unit);
  for (const UnitScale& s : scales) {
    if (rest == s.suffix) {
      value *= s.factor;
      return {};
    }
  }
  if (scales.empty()) {
    return "expected a plain number, got '" + std::string(text) + "' (this field takes no unit)";
  }
  return "unknown unit '" + std::string(rest) + "' in '" + std::string(text) + "'; use " +
         unit_list(scales);
}

// Whole number. Exact for 64-bit values; "2min" and "1e3" are accepted when they are whole.
std::string parse_integer(std::string_view text, const std::string& unit, bool is_signed,
                          int64_t& signed_value, uint64_t& unsigned_value) {
  std::string_view s = trim(text);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (!s.empty() && s.front() == '-' && !is_signed) {
    double d = 0.0;
    std::string_view rest;
    if (leading_double(s, d, rest)) return "must not be negative, got " + std::string(trim(text));
  }
  if (is_signed) {
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), signed_value);
    if (ec == std::errc() && ptr == s.data() + s.size()) return {};
    if (ec == std::errc::result_out_of_range) return "out of range: " + std::string(trim(text));
  } else {
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), unsigned_value);
    if (ec == std::errc() && ptr == s.data() + s.size()) return {};
    if (ec == std::errc::result_out_of_range) return "out of range: " + std::string(trim(text));
  }
  double d = 0.0;
  std::string err = parse_number(text, unit, d);
  if (!err.empty()) {
    std::string_view rest;
    if (leading_double(text, d, rest) && !rest.empty()) return err;  // bad unit
    return "expected a whole number, got '" + std::string(trim(text)) + "'";
  }
  if (d != std::floor(d)) return "expected a whole number, got '" + std::string(trim(text)) + "'";
  if (d < 0 && !is_signed) return "must not be negative, got " + std::string(trim(text));
  if (std::fabs(d) > 9.0e15) return "out of range: " + std::string(trim(text));
  signed_value = static_cast<int64_t>(d);
  unsigned_value = static_cast<uint64_t>(std::fabs(d));
  return {};
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return "'" + node.Scalar() + "'";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    default:
      return "nothing";
  }
}

std::string field_unit(const FieldDescriptor* f) {
  return f->options().HasExtension(twin::unit) ? f->options().GetExtension(twin::unit) : "";
}

// A message with a oneof that holds a scalar field named `constant` takes a plain scalar.
const FieldDescriptor* shorthand_field(const pb::Descriptor* d) {
  const FieldDescriptor* f = d->FindFieldByName("constant");
  if (f && f->real_containing_oneof() && f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
    return f;
  }
  return nullptr;
}

std::vector<std::string> field_names(const pb::Descriptor* d) {
  std::vector<std::string> names;
  for (int i = 0; i < d->field_count(); ++i) names.push_back(d->field(i)->name());
  return names;
}

std::string index_path(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

std::string child_path(const std::string& path, const std::string& name) {
  return path.empty() ? name : path + "." + name;
}

// --- reader ------------------------------------------------------------------------------------

// Where to put a parsed scalar: set a singular field, append to a repeated one, or replace
// element `index` of a repeated one.
struct Slot {
  enum Mode { kSet, kAdd, kReplace } mode = kSet;
  int index = 0;
};

class Reader {
 public:
  Reader(const std::string& file, FieldLocations* locations, std::vector<SceneError>& errors)
      : file_(file), locations_(locations), errors_(errors) {}

  // Fills `msg` (already cleared) from a mapping, or from a scalar for shorthand messages.
  void read_message(const YAML::Node& node, pb::Message& msg, const std::string& path) {
    const pb::Descriptor* d = msg.GetDescriptor();
    if (node.IsScalar()) {
      if (const FieldDescriptor* c = shorthand_field(d)) {
        record(path, node.Mark());
        record(child_path(path, c->name()), node.Mark());
        read_scalar(node, msg, c, Slot{}, path);
        return;
      }
    }
    if (!node.IsMap()) {
      std::string expected = "expected a mapping of " + d->name() + " fields";
      if (shorthand_field(d)) expected += " or a number";
      error(node.Mark(), path, expected + ", got " + describe(node));
      return;
    }
    record(path, node.Mark());
    std::set<std::string> seen;
    std::vector<YAML::Node> merges;
    for (const auto& kv : node) {
      const YAML::Node& key = kv.first;
      if (!key.IsScalar()) {
        error(key.Mark(), path, "a field name must be plain text, got " + describe(key));
        continue;
      }
      if (key.Scalar() == "<<" && key.Tag() != "!") {
        merges.push_back(kv.second);
        continue;
      }
      read_key(key, kv.second, msg, path, seen, false);
    }
    for (const YAML::Node& merge : merges) {
      if (merge.IsMap()) {
        read_merge(merge, msg, path, seen);
      } else if (merge.IsSequence()) {
        for (const YAML::Node& m : merge) {
          if (m.IsMap()) {
            read_merge(m, msg, path, seen);
          } else {
            error(m.Mark(), path, "a merge key '<<' takes a mapping, got " + describe(m));
          }
        }
      } else {
        error(merge.Mark(), path, "a merge key '<<' takes a mapping, got " + describe(merge));
      }
    }
  }

  // Replaces field `f` of `msg` with `value`. `fallback` marks where the key was (a null value
  // may have no mark of its own).
  void read_field(const YAML::Node& value, const YAML::Mark& fallback, pb::Message& msg,
                  const FieldDescriptor* f, const std::string& path) {
    const pb::Reflection* r = msg.GetReflection();
    const YAML::Mark mark = value.Mark().is_null() ? fallback : value.Mark();
    if (!value.IsDefined() || value.IsNull()) {
      // A null value is marked where the next token starts; the key is the better place.
      const YAML::Mark& where = fallback.is_null() ? mark : fallback;
      if (f->is_repeated() || f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE ||
          f->has_presence()) {
        r->ClearField(&msg, f);
        record(path, where);
        return;
      }
      error(where, path, "no value given for '" + f->name() + "'");
      return;
    }
    if (f->is_repeated()) {
      r->ClearField(&msg, f);
      record(path, mark);
      if (value.IsSequence()) {
        size_t i = 0;
        for (const YAML::Node& item : value) {
          read_element(item, msg, f, Slot{Slot::kAdd, 0}, index_path(path, i));
          ++i;
        }
      } else if (value.IsScalar() && f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
        read_element(value, msg, f, Slot{Slot::kAdd, 0}, index_path(path, 0));
      } else {
        error(mark, path, "expected a list, got " + describe(value));
      }
      return;
    }
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      pb::Message* sub = r->MutableMessage(&msg, f);
      sub->Clear();
      read_message(value, *sub, path);
      return;
    }
    record(path, mark);
    read_scalar(value, msg, f, Slot{}, path);
  }

  // Appends to (kAdd) or replaces an element of (kReplace) repeated field `f`.
  void read_element(const YAML::Node& value, pb::Message& msg, const FieldDescriptor* f, Slot slot,
                    const std::string& path) {
    const pb::Reflection* r = msg.GetReflection();
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      pb::Message* sub = slot.mode == Slot::kAdd ? r->AddMessage(&msg, f)
                                                 : r->MutableRepeatedMessage(&msg, f, slot.index);
      sub->Clear();
      if (!value.IsDefined() || value.IsNull()) {
        error(value.Mark(), path,
              "empty list element; expected a mapping of " + f->message_type()->name() + " fields");
        return;
      }
      read_message(value, *sub, path);
      return;
    }
    record(path, value.Mark());
    read_scalar(value, msg, f, slot, path);
  }

 private:
  void read_key(const YAML::Node& key, const YAML::Node& value, pb::Message& msg,
                const std::string& path, std::set<std::string>& seen, bool merging) {
    const pb::Descriptor* d = msg.GetDescriptor();
    const std::string& name = key.Scalar();
    const std::string fpath = child_path(path, name);
    const FieldDescriptor* f = d->FindFieldByName(name);
    if (f == nullptr) {
      std::string hint = did_you_mean(name, field_names(d));
      if (hint.empty()) hint = " in " + d->name();
      error(key.Mark(), fpath, "unknown field '" + name + "'" + hint);
      return;
    }
    if (seen.count(name)) {
      if (!merging) error(key.Mark(), fpath, "duplicate field '" + name + "'");
      return;
    }
    if (const pb::OneofDescriptor* o = f->real_containing_oneof()) {
      for (int i = 0; i < o->field_count(); ++i) {
        const std::string& other = o->field(i)->name();
        if (other != name && seen.count(other)) {
          if (!merging) {
            error(key.Mark(), fpath,
                  "'" + name + "' and '" + other + "' cannot both be set: a " + d->name() +
                      " takes exactly one of " + oneof_names(o));
          }
          return;
        }
      }
    }
    seen.insert(name);
    read_field(value, key.Mark(), msg, f, fpath);
  }

  void read_merge(const YAML::Node& node, pb::Message& msg, const std::string& path,
                  std::set<std::string>& seen) {
    for (const auto& kv : node) {
      if (kv.first.IsScalar() && kv.first.Scalar() != "<<") {
        read_key(kv.first, kv.second, msg, path, seen, true);
      }
    }
  }

  static std::string oneof_names(const pb::OneofDescriptor* o) {
    std::string out;
    for (int i = 0; i < o->field_count(); ++i) {
      if (i > 0) out += ", ";
      out += o->field(i)->name();
    }
    return out;
  }

  // Parses a scalar node by the type of `f` and stores it per `slot`.
  void read_scalar(const YAML::Node& node, pb::Message& msg, const FieldDescriptor* f, Slot slot,
                   const std::string& path) {
    if (!node.IsScalar()) {
      std::string what;
      switch (f->cpp_type()) {
        case FieldDescriptor::CPPTYPE_STRING:
          what = "text";
          break;
        case FieldDescriptor::CPPTYPE_BOOL:
          what = "true or false";
          break;
        case FieldDescriptor::CPPTYPE_ENUM:
          what = "one of " + enum_names(f->enum_type());
          break;
        default:
          what = "a number";
      }
      const std::string got = node.IsDefined() && !node.IsNull() ? describe(node) : "nothing";
      error(node.Mark(), path, "expected " + what + ", got " + got);
      return;
    }
    const std::string& text = node.Scalar();
    const pb::Reflection* r = msg.GetReflection();
    const std::string unit = field_unit(f);
    std::string err;
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_DOUBLE:
      case FieldDescriptor::CPPTYPE_FLOAT: {
        double v = 0.0;
        err = parse_number(text, unit, v);
        if (!err.empty()) break;
        if (f->cpp_type() == FieldDescriptor::CPPTYPE_DOUBLE) {
          store(
              slot, [&] { r->SetDouble(&msg, f, v); }, [&] { r->AddDouble(&msg, f, v); },
              [&] { r->SetRepeatedDouble(&msg, f, slot.index, v); });
        } else {
          const float fv = static_cast<float>(v);
          store(
              slot, [&] { r->SetFloat(&msg, f, fv); }, [&] { r->AddFloat(&msg, f, fv); },
              [&] { r->SetRepeatedFloat(&msg, f, slot.index, fv); });
        }
        break;
      }
      case FieldDescriptor::CPPTYPE_INT32:
      case FieldDescriptor::CPPTYPE_INT64: {
        int64_t v = 0;
        uint64_t unused = 0;
        err = parse_integer(text, unit, true, v, unused);
        if (!err.empty()) break;
        if (f->cpp_type() == FieldDescriptor::CPPTYPE_INT32) {
          if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) {
            err = "out of range: " + text;
            break;
          }
          const auto iv = static_cast<int32_t>(v);
          store(
              slot, [&] { r->SetInt32(&msg, f, iv); }, [&] { r->AddInt32(&msg, f, iv); },
              [&] { r->SetRepeatedInt32(&msg, f, slot.index, iv); });
        } else {
          store(
              slot, [&] { r->SetInt64(&msg, f, v); }, [&] { r->AddInt64(&msg, f, v); },
              [&] { r->SetRepeatedInt64(&msg, f, slot.index, v); });
        }
        break;
      }
      case FieldDescriptor::CPPTYPE_UINT32:
      case FieldDescriptor::CPPTYPE_UINT64: {
        int64_t unused = 0;
        uint64_t v = 0;
        err = parse_integer(text, unit, false, unused, v);
        if (!err.empty()) break;
        if (f->cpp_type() == FieldDescriptor::CPPTYPE_UINT32) {
          if (v > std::numeric_limits<uint32_t>::max()) {
            err = "out of range: " + text;
            break;
          }
          const auto uv = static_cast<uint32_t>(v);
          store(
              slot, [&] { r->SetUInt32(&msg, f, uv); }, [&] { r->AddUInt32(&msg, f, uv); },
              [&] { r->SetRepeatedUInt32(&msg, f, slot.index, uv); });
        } else {
          store(
              slot, [&] { r->SetUInt64(&msg, f, v); }, [&] { r->AddUInt64(&msg, f, v); },
              [&] { r->SetRepeatedUInt64(&msg, f, slot.index, v); });
        }
        break;
      }
      case FieldDescriptor::CPPTYPE_BOOL: {
        const std::string t = lower(trim(text));
        bool v = false;
        if (t == "true" || t == "yes" || t == "on" || t == "y") {
          v = true;
        } else if (t == "false" || t == "no" || t == "off" || t == "n") {
          v = false;
        } else {
          err = "expected true or false, got '" + text + "'";
          break;
        }
        store(
            slot, [&] { r->SetBool(&msg, f, v); }, [&] { r->AddBool(&msg, f, v); },
            [&] { r->SetRepeatedBool(&msg, f, slot.index, v); });
        break;
      }
      case FieldDescriptor::CPPTYPE_ENUM: {
        std::string t(trim(text));
        for (char& c : t) {
          c = c == '-' || c == ' ' ? '_'
                                   : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        }
        const pb::EnumValueDescriptor* e = f->enum_type()->FindValueByName(t);
        if (e == nullptr) {
          std::vector<std::string> names;
          for (int i = 0; i < f->enum_type()->value_count(); ++i) {
            names.push_back(lower(f->enum_type()->value(i)->name()));
          }
          std::string hint = did_you_mean(lower(trim(text)), names);
          if (!hint.empty()) hint = ";" + hint.substr(1);
          err = "unknown value '" + text + "' for " + f->name() +
                "; allowed: " + enum_names(f->enum_type()) + hint;
          break;
        }
        const int v = e->number();
        store(
            slot, [&] { r->SetEnumValue(&msg, f, v); }, [&] { r->AddEnumValue(&msg, f, v); },
            [&] { r->SetRepeatedEnumValue(&msg, f, slot.index, v); });
        break;
      }
      case FieldDescriptor::CPPTYPE_STRING:
        store(
            slot, [&] { r->SetString(&msg, f, text); }, [&] { r->AddString(&msg, f, text); },
            [&] { r->SetRepeatedString(&msg, f, slot.index, text); });
        break;
      case FieldDescriptor::CPPTYPE_MESSAGE:
        err = "internal: scalar for a message field";
        break;
    }
    if (!err.empty()) error(node.Mark(), path, err);
  }

  template <class Set, class Add, class Replace>
  static void store(Slot slot, Set set, Add add, Replace replace) {
    switch (slot.mode) {
      case Slot::kSet:
        set();
        break;
      case Slot::kAdd:
        add();
        break;
      case Slot::kReplace:
        replace();
        break;
    }
  }

  static std::string enum_names(const pb::EnumDescriptor* e) {
    std::string out;
    for (int i = 0; i < e->value_count(); ++i) {
      if (i > 0) out += ", ";
      out += lower(e->value(i)->name());
    }
    return out;
  }

  void record(const std::string& path, const YAML::Mark& mark) {
    if (locations_ == nullptr || path.empty() || mark.is_null()) return;
    (*locations_)[path] = FieldLocation{mark.line + 1, mark.column + 1};
  }

  void error(const YAML::Mark& mark, const std::string& path, std::string message) {
    SceneError e;
    e.file = file_;
    if (!mark.is_null() && locations_ != nullptr) {
      e.line = mark.line + 1;
      e.column = mark.column + 1;
    }
    e.path = path;
    e.message = std::move(message);
    errors_.push_back(std::move(e));
  }

  const std::string& file_;
  FieldLocations* locations_;  // null: errors carry no line either (set_field)
  std::vector<SceneError>& errors_;
};

// Scans the documents of a YAML stream without building nodes, up to a few: whether each has
// content, and where it starts. yaml-cpp 0.7 reports endless empty documents for a stray ','
// at block level (YAML::LoadAll then runs out of memory), hence the cap.
class DocumentScanner : public YAML::EventHandler {
 public:
  struct Document {
    bool has_content = false;
    YAML::Mark mark;  // first content, or the document start
  };
  std::vector<Document> documents;

  void OnDocumentStart(const YAML::Mark& mark) override {
    documents.push_back({false, mark});
    depth_ = 0;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { content(mark, depth_ > 0); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { content(mark, true); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    content(mark, true);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    content(mark, true);
    ++depth_;
  }
  void OnSequenceEnd() override { --depth_; }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    content(mark, true);
    ++depth_;
  }
  void OnMapEnd() override { --depth_; }

 private:
  void content(const YAML::Mark& mark, bool real) {
    if (documents.empty() || !real || documents.back().has_content) return;
    documents.back().has_content = true;
    documents.back().mark = mark;
  }
  int depth_ = 0;
};

SceneError make_error(const std::string& file, int line, int column, std::string message) {
  SceneError e;
  e.file = file;
  e.line = line;
  e.column = column;
  e.message = std::move(message);
  return e;
}

}  // namespace

FieldLocation find_location(const FieldLocations& locations, const std::string& path) {
  std::string p = path;
  while (!p.empty()) {
    const auto it = locations.find(p);
    if (it != locations.end()) return it->second;
    const size_t cut = p.find_last_of(".[");
    if (cut == std::string::npos) break;
    p.resize(cut);
  }
  return {};
}

bool yaml_to_message(const std::string& yaml_text, const std::string& file_name,
                     google::protobuf::Message& message, FieldLocations* locations,
                     std::vector<SceneError>& errors) {
  const size_t before = errors.size();
  message.Clear();
  FieldLocations local;
  FieldLocations* locs = locations ? locations : &local;
  try {
    constexpr size_t kMaxDocuments = 4;
    DocumentScanner scanner;
    {
      std::istringstream stream(yaml_text);
      YAML::Parser parser(stream);
      while (scanner.documents.size() < kMaxDocuments && parser.HandleNextDocument(scanner)) {
      }
    }
    const auto& scanned = scanner.documents;
    // Real files do not hold that many documents, the last one empty: the parser is stuck.
    const bool runaway = scanned.size() >= kMaxDocuments && !scanned.back().has_content;
    if (runaway) {
      const YAML::Mark m = scanned.back().mark;
      errors.push_back(make_error(file_name, m.is_null() ? 0 : m.line + 1,
                                  m.is_null() ? 0 : m.column + 1,
                                  "YAML syntax error: unexpected token outside any collection"));
      return false;
    }
    for (size_t i = 1; i < scanned.size(); ++i) {
      if (!scanned[i].has_content) continue;
      const YAML::Mark m = scanned[i].mark;
      errors.push_back(make_error(file_name, m.is_null() ? 0 : m.line + 1,
                                  m.is_null() ? 0 : m.column + 1,
                                  "a scene file holds one YAML document; found more after '---'"));
      break;
    }
    const YAML::Node doc = YAML::Load(yaml_text);
    if (!doc.IsDefined() || doc.IsNull()) {
      if (errors.size() == before) {
        errors.push_back(
            make_error(file_name, 0, 0, "empty scene: the file holds no YAML content"));
      }
      return false;
    }
    Reader reader(file_name, locs, errors);
    if (!doc.IsMap()) {
      const YAML::Mark m = doc.Mark();
      errors.push_back(make_error(file_name, m.is_null() ? 0 : m.line + 1,
                                  m.is_null() ? 0 : m.column + 1,
                                  "expected a mapping of " + message.GetDescriptor()->name() +
                                      " fields at the top level, got " + describe(doc)));
      return false;
    }
    reader.read_message(doc, message, "");
  } catch (const YAML::Exception& e) {
    const int line = e.mark.is_null() ? 0 : e.mark.line + 1;
    const int column = e.mark.is_null() ? 0 : e.mark.column + 1;
    errors.push_back(make_error(file_name, line, column, "YAML syntax error: " + e.msg));
  } catch (const std::exception& e) {
    errors.push_back(make_error(file_name, 0, 0, std::string("cannot read YAML: ") + e.what()));
  }
  return errors.size() == before;
}

bool yaml_value_to_field(const std::string& value_text, google::protobuf::Message& message,
                         const google::protobuf::FieldDescriptor* field, int index,
                         const std::string& path, std::vector<SceneError>& errors) {
  const size_t before = errors.size();
  const std::string no_file;
  try {
    const YAML::Node value = YAML::Load(value_text);
    Reader reader(no_file, nullptr, errors);
    if (index >= 0) {
      reader.read_element(value, message, field, Slot{Slot::kReplace, index}, path);
    } else {
      reader.read_field(value, value.Mark(), message, field, path);
    }
  } catch (const YAML::Exception& e) {
    SceneError err = make_error(no_file, 0, 0, "bad value '" + value_text + "': " + e.msg);
    err.path = path;
    errors.push_back(std::move(err));
  } catch (const std::exception& e) {
    SceneError err = make_error(no_file, 0, 0, std::string("bad value: ") + e.what());
    err.path = path;
    errors.push_back(std::move(err));
  }
  return errors.size() == before;
}

}  // namespace twin
