// The mirrored state of a live plant, as far as the viewer can get it: the live twin publishes
// snapshots (modes with their start, per-machine part counts and time in mode from the KPIs),
// not its MirrorState, so the forecast's observation is rebuilt from a snapshot. What a
// snapshot lacks is left for the fork to infer or draw: parts started (taken as finished plus
// the one a busy or setting-up machine holds), and the elapsed time of a busy machine's
// operation (unknown: drawn as a fraction of a full one).
#pragma once

#include <cstdint>

#include "core/mirror/mirror.h"
#include "core/model/model.h"
#include "models/process/observed_line.h"
#include "twin/live.pb.h"

namespace twin::viewer {

// The observation at the snapshot's time. False when the snapshot has no KPIs yet (no window
// origin, no part counts). `at_ns` receives the snapshot's time [ns].
bool observe_snapshot(const Model& model, const MirrorModel& names, const live::Snapshot& snapshot,
                      ObservedLine& out, int64_t* at_ns = nullptr);

}  // namespace twin::viewer
