// The recorder: copies a telemetry source into a new MCAP file together with the twin's
// outputs: every message of the source (ground truth included, untouched) plus the mirror's
// snapshots (/twin/snapshot) every keyframe interval, so later replays seek straight to any
// time, and a last snapshot at the end.
#pragma once

#include <cstdint>
#include <string>

#include "core/model/model.h"
#include "replay/player.h"
#include "replay/telemetry_writer.h"

namespace twin {

struct RecordOptions {
  double keyframe_interval_s = 60.0;  // [s] of arrival time between snapshots
  TelemetryWriterOptions writer;
};

struct RecordResult {
  bool ok = false;
  std::string error;
  PlayResult play;         // the replay of the source (damage, window)
  uint64_t copied = 0;     // messages copied from the source
  uint64_t snapshots = 0;  // snapshots written
};

RecordResult record_mcap(const Model& model, const std::string& source, const std::string& output,
                         const RecordOptions& options = {});

}  // namespace twin
