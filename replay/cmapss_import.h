// NASA C-MAPSS turbofan text files (replay/cmapss_reader.h) -> MCAP telemetry
// (core/proto/twin/telemetry.proto), for `twin import --format cmapss`, and the way back: an
// imported file read into per-engine trajectories for the RUL regressor (`twin rul`).
//
// Layout of an imported file:
//   - one machine per engine unit, "engine_001", "engine_002", ... (three digits, more when a
//     unit number needs them), with a samples channel /plant/engine_NNN/samples whose 24 tags
//     are the file's channels in order: "op_setting_1".."op_setting_3", "sensor_01".."sensor_21"
//     (the data set's readme numbers the sensors without naming them; the symbols of Saxena et
//     al. 2008, Table 2, travel in the "labels" metadata and their units in "units");
//   - one SampleBatch per engine cycle with the 24 values, all at the cycle's time:
//     start_ns + cycle * cycle_ns, both in the channel metadata; the MCAP log time is that time.
//     Messages are in time order across engines (every engine starts at start_ns);
//   - ground truth on /truth/faults, one FaultTruth per engine whose failure is known: a
//     training unit (run to failure) fails at its last cycle, a test unit at its last cycle plus
//     its RUL from the RUL file (no truth without one). failure_ns is on the same time axis, so
//     the RUL at cycle k is (failure_ns - time of k) / cycle_ns. Written at log time start_ns,
//     as `twin generate` writes its truth at the start of the shift.
//
// Why an hour per cycle by default: a C-MAPSS cycle is one flight (the readme's "operational
// cycle"); short- and medium-haul flights of the engines this simulates last one to a few
// hours, so 1 h gives plausible dates (an FD001 engine lives 128..362 cycles: 5..15 days of
// flying) while keeping cycle arithmetic trivial. Nothing in the regressor depends on it.
//
// Values travel as float32 (SampleBatch). Every C-MAPSS value is printed with at most 6
// significant digits, and a float32 keeps 6 decimal digits exactly (FLT_DIG), so reading back
// takes the shortest decimal that gives the float and parses that as a double
// (cmapss_widen): the result is the reader's double bit for bit. The import checks this for
// every value and counts the ones it does not hold for (CmapssImportReport::inexact_values).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "replay/cmapss_reader.h"
#include "replay/telemetry_writer.h"

namespace twin {

// Tag names of the 24 channels, in file order (settings then sensors).
const std::vector<std::string>& cmapss_tag_names();
// Sensor symbols (Saxena et al. 2008, Table 2; "" for the settings) and units ("" when none).
const std::vector<std::string>& cmapss_tag_labels();
const std::vector<std::string>& cmapss_tag_units();
// "engine_001" for unit 1.
std::string cmapss_engine_name(int unit);
// The double a float32 value of an imported file stands for: the shortest decimal that reads
// back as `value`, parsed as a double.
double cmapss_widen(float value);

enum class CmapssSplit {
  kTrain,  // run to failure: each unit fails at its last cycle
  kTest,   // cut off before failure: fails RUL cycles after its last (with a RUL file)
};
const char* cmapss_split_name(CmapssSplit split);  // "train", "test"

// 2008-01-01T00:00:00Z, the year of the data set (PHM 2008).
inline constexpr int64_t kCmapssDefaultStartNs = 1199145600LL * 1000000000LL;

struct CmapssImportOptions {
  double cycle_s = 3600.0;                   // [s] time between two cycles (> 0)
  int64_t start_ns = kCmapssDefaultStartNs;  // [ns] since the Unix epoch: the time of cycle 0
};

// A C-MAPSS file read for import: the trajectories, the split and, for a test file, the RUL
// file when given. `error` holds the first problem (file:line as the reader gives it).
struct CmapssSource {
  std::string file;  // trajectories file as given
  CmapssSplit split = CmapssSplit::kTrain;
  CmapssTrajectories data;           // units in file order
  std::string rul_file;              // "" when none
  std::optional<CmapssRul> rul;      // [cycles] per unit, in unit order (test split only)
  std::optional<CmapssError> error;  // first problem; nothing is imported then
  bool ok() const { return !error.has_value(); }
};

// Reads `path` and, when `rul_path` is not empty, the RUL file (which must have one value per
// unit, and makes the split a test split). `split` empty: a RUL file means test; else the file
// name decides ("train_..." train, "test_..." test), and any other name is an error.
CmapssSource read_cmapss_source(const std::string& path, const std::string& rul_path = "",
                                std::optional<CmapssSplit> split = std::nullopt);

struct CmapssImportReport {
  bool ok = false;
  std::string error;                  // why, when !ok
  uint64_t units = 0;                 // engines written
  uint64_t cycles = 0;                // rows (= sample batches) written
  uint64_t samples = 0;               // tag samples written (24 per cycle)
  uint64_t truths = 0;                // FaultTruth records written
  uint64_t messages = 0;              // MCAP messages written
  int64_t first_ns = 0;               // [ns] time of the earliest cycle
  int64_t last_ns = 0;                // [ns] time of the latest cycle
  uint64_t inexact_values = 0;        // values a float32 does not carry exactly (see above)
  std::string first_inexact;          // e.g. "unit 3 cycle 17 sensor_09: 9046.1875 != 9046.19"
  std::vector<std::string> machines;  // engine names in unit order
};

// Writes `source` (which must be ok()) to `out` (already open; the caller closes it).
CmapssImportReport write_cmapss_telemetry(const CmapssSource& source,
                                          const CmapssImportOptions& options, TelemetryWriter& out);

// An imported file read back: per engine, the cycles and the 24 channels (CmapssUnit, with
// `unit` from the channel metadata), in unit order. Reads only the samples channels (the
// topics are filtered, so /truth/ is never even decoded).
struct CmapssDataset {
  std::vector<CmapssUnit> units;
  std::vector<std::string> machines;  // engine names, parallel to units
  int64_t start_ns = 0;               // [ns] time of cycle 0
  int64_t cycle_ns = 0;               // [ns] time between cycles
  std::string source;                 // "source" metadata of the first engine
  std::string error;                  // "" when fine; then units is empty
  bool ok() const { return error.empty(); }
};
CmapssDataset read_cmapss_dataset(const std::string& mcap_path);

// The truth of an imported file, for scoring only: per engine of `dataset` (same order), the
// RUL at its last cycle [cycles], or nullopt when the file has no truth for it. Reads only
// /truth/faults. `error` is set when the file cannot be read or a record is inconsistent.
struct CmapssTruth {
  std::vector<std::optional<double>> rul_at_end;  // [cycles] per engine
  std::string error;                              // "" when fine
  bool ok() const { return error.empty(); }
};
CmapssTruth read_cmapss_truth(const std::string& mcap_path, const CmapssDataset& dataset);

}  // namespace twin
