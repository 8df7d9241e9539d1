// Mirror State to and from bytes, for keyframes stored in recordings (TwinSnapshot.mirror_state)
// and a readable TwinSnapshot for other tools. The byte format is ours (versioned, little-endian
// raw arrays): it only has to round-trip exactly, and it is read with every length checked.
#pragma once

#include <string>
#include <string_view>

#include "core/mirror/mirror.h"
#include "twin/telemetry.pb.h"

namespace twin {

std::string serialize_mirror_state(const MirrorState& state);
// Fails (with the reason) unless the bytes are a complete state of a mirror of `model`.
bool deserialize_mirror_state(std::string_view bytes, const MirrorModel& model, MirrorState& out,
                              std::string* error = nullptr);

// A TwinSnapshot of the mirror at its current time. `with_names` adds machine and tag names
// (needed once per file); `with_state` embeds the full state for seeking.
telemetry::TwinSnapshot make_snapshot(const Mirror& mirror, bool with_names, bool with_state);

}  // namespace twin
