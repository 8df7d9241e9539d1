// YAML text -> protobuf message, generically, by walking the message's descriptors: mapping keys
// are field names, lists are repeated fields, scalars are parsed by the field's type. Knows no
// message by name; the few conveniences come from the schema:
//   - a message with a oneof holding a scalar field `constant` (scene.Distribution) accepts a
//     plain scalar: `cycle_time: 30` is `cycle_time: {constant: 30}`;
//   - a repeated scalar field accepts a single scalar (`input: B1` is `input: [B1]`);
//   - a numeric field with option (twin.unit) accepts a number followed by a unit of that
//     dimension: "s": "250ms", "90s", "90 sec", "5min", "1.5h"; "m": "mm", "cm", "m";
//     "m/s": "m/s", "mm/s", "m/min"; "kW": "W", "kW"; "1": "%";
//   - enum values by name, case-insensitive, '-' or ' ' for '_' (`when_full: lose`);
//   - YAML merge keys (`<<: *defaults`) copy fields not written explicitly;
//   - a null value (`key:` with nothing) leaves a message, list or optional field unset.
// Every error is collected (not only the first) with its line and column; every field path that
// gets set is recorded with where its value was written, so later checks can name lines too.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/scene/load.h"

namespace google::protobuf {
class Message;
class FieldDescriptor;
}  // namespace google::protobuf

namespace twin {

struct FieldLocation {
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based; 0 when unknown
};

// Field path ("stations[3].cycle_time.exponential.mean") -> where its value was written.
using FieldLocations = std::map<std::string, FieldLocation>;

// Location of `path`, or of its nearest recorded ancestor ("stations[3].cycle_time" falls back
// to "stations[3]"), or {0, 0}.
FieldLocation find_location(const FieldLocations& locations, const std::string& path);

// Parses one YAML document into `message` (cleared first). Errors (YAML syntax, unknown fields,
// type errors, empty document) are appended to `errors` with `file_name`; returns true when none
// was added. `locations` may be null. Never throws.
bool yaml_to_message(const std::string& yaml_text, const std::string& file_name,
                     google::protobuf::Message& message, FieldLocations* locations,
                     std::vector<SceneError>& errors);

// Parses `value_text` as one YAML value (a scalar such as "35s", or a flow list / mapping such
// as "[B1, B2]" or "{exponential: {mean: 40}}") and stores it in `field` of `message`, replacing
// what was there. `index` >= 0 replaces one element of a repeated field instead. `path` names
// the field in errors (which carry no line). Returns true when no error was added. Never throws.
bool yaml_value_to_field(const std::string& value_text, google::protobuf::Message& message,
                         const google::protobuf::FieldDescriptor* field, int index,
                         const std::string& path, std::vector<SceneError>& errors);

}  // namespace twin
