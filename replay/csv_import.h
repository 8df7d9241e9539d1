// Historian CSV exports -> MCAP telemetry (core/proto/twin/telemetry.proto), for `twin import`.
//
// Long format: one row per sample, columns timestamp, machine, tag, value[, quality][, unit]
// (header names matched case-insensitively: time/timestamp/ts/datetime, machine/asset/
// equipment/station, tag/signal/point/name/tagname, value/val, quality/q/status, unit/units/eu;
// CsvImportOptions::columns overrides them). Without a machine column the tag may be written
// "machine/tag" (or "machine.tag" when that split is unambiguous).
// Wide format: one timestamp column plus one column per tag; a column maps to machine/tag by
// CsvImportOptions::map or by its header "machine/tag [unit]" (or "machine.tag"). Columns that
// map to nothing are reported once (warnings) and ignored; empty cells are no sample.
//
// CSV syntax (RFC 4180 quoting, embedded newlines) is parsed by libcsv; the delimiter is
// detected from the header line unless given, and when it is not ',' a decimal comma is
// accepted. A UTF-8 BOM and empty lines (also lines of delimiters only) are skipped.
//
// Times (CsvImportOptions::time_format):
//   auto      ISO 8601 "2024-01-15T08:00:00[.fff][Z|+01:00|+0100]" or "2024-01-15 08:00:00"
//             (also '/' between date parts), or a number read as epoch seconds, ms, us or ns
//             by its magnitude (< 1e11 s, < 1e14 ms, < 1e17 us, else ns; valid times
//             1990..2100 never overlap between units);
//   iso       the ISO forms only; epoch_s|epoch_ms|epoch_us|epoch_ns numbers in that unit
//             (fractions allowed);
//   otherwise a strftime-like pattern for date::parse, e.g. "%d.%m.%Y %H:%M:%S" (%S takes
//             fractional seconds; with %z the offset in the text is used).
// Times without an offset are local times of CsvImportOptions::tz (IANA name, default UTC),
// daylight saving included: in the repeated fall-back hour the earlier instant is taken; a
// time in the skipped spring-forward hour is shifted forward by the gap (02:30 -> 03:30 CEST;
// counted in CsvImportReport::shifted_nonexistent) rather than dropped, since real clocks
// never produce one unless mis-set, and dropping would lose the row. Accepted times are
// 1990-01-01 <= t < 2100-01-01 UTC.
//
// Values: numbers (also true/false/on/off as 1/0); NaN, infinities and values beyond single
// precision are rejected. Mode tags (named mode/state/status, or a tag whose scene signal is
// MODE) take a mode name or code (twin::parse_mode) and become ModeChange messages on the
// machine's mode channel; repeats of the current mode are dropped (they change nothing).
// ModeChange has no quality field, so a mode row's quality is only checked.
// Quality: empty or GOOD/OK, UNCERTAIN/QUESTIONABLE, BAD (any case), or a number read the OPC
// way: 0 is good (OPC UA Good); 1..255 an OPC DA quality byte whose top two bits decide
// (11 good, e.g. 192 or 216 "local override"; 01 uncertain, e.g. 64; 00 or 10 bad); larger
// numbers an OPC UA StatusCode by its severity bits (0x0... good, 0x4... uncertain, else bad).
//
// Output: all accepted rows are held in memory (16 bytes per sample) until finish(), so that
// each machine's tag list is complete before its channel is written and samples can be put in
// time order: rows out of time order are accepted and sorted (stable). Per machine, samples
// are batched into SampleBatch messages covering less than 1 s of sample time and at most
// 1024 samples; base_time_ns is the first sample's time and the MCAP log time the batch's
// last (latest) sample time, since an export has no arrival times. Messages are written in
// log-time order across machines. Samples channels carry metadata "source" = "csv:<file>"
// (file names comma-separated when several files fed a machine); tag rates_hz are the
// scene's, or for tags met only in the CSV estimated as (n - 1) / time span.
// With a scene, a machine's tags are the scene's (twin::sample_tags); machines and tags the
// scene does not know are bad rows unless allow_unknown. Without one, every machine/tag met
// is accepted, tags in first-seen order.
//
// Bad rows never stop the import (unless strict): each is counted by reason and the first
// is kept with its file, physical line (1-based; quoted newlines counted), column and what
// was wrong. In the wide format the value reasons count cells, not rows.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/model/model.h"
#include "replay/telemetry_writer.h"

namespace twin {

enum class CsvFormat { kLong, kWide };

struct CsvImportOptions {
  CsvFormat format = CsvFormat::kLong;
  // Header names by role ("time", "machine", "tag", "value", "quality", "unit"), overriding
  // the defaults; matched case-insensitively.
  std::map<std::string, std::string> columns;
  // Wide format: column header -> "machine/tag" (header matched exactly, else ignoring case).
  std::vector<std::pair<std::string, std::string>> map;
  std::string time_format = "auto";  // auto | iso | epoch_s | epoch_ms | epoch_us | epoch_ns
                                     // | a date::parse pattern containing '%'
  std::string tz = "UTC";            // IANA zone for times without an offset
  char delimiter = 0;                // 0: detect from the header line (',', ';' or tab)
  bool strict = false;               // stop at the first bad row; finish() then writes nothing
  bool allow_unknown = false;        // with a scene: accept machines and tags it lacks
};

// Why a row (or, wide format, a cell) was skipped; names are the CsvImportReport::skipped keys.
enum class SkipReason {
  kBadTimestamp,    // "bad timestamp"
  kTimeRange,       // "time out of range" (before 1990 or from 2100 on)
  kBadValue,        // "bad value"
  kNonFinite,       // "NaN or infinite"
  kUnknownMachine,  // "unknown machine"
  kUnknownTag,      // "unknown tag"
  kBadName,         // "bad name" (empty or with control characters, a tag with a comma, or
                    // no machine told apart in MACHINE/TAG without a machine column)
  kColumnCount,     // "wrong column count"
  kBadQuality,      // "bad quality"
  kBadMode,         // "bad mode"
  kMalformed,       // "malformed CSV" (a field over 1 MiB: an unbalanced quote)
};
const char* skip_reason_name(SkipReason reason);

struct ImportError {
  std::string file;         // as given (path or name)
  uint64_t line = 0;        // 1-based physical line where the bad field starts
  uint32_t column = 0;      // 1-based field number; 0 when the whole row is at fault
  std::string column_name;  // the column's header text
  std::string reason;       // skip_reason_name()
  std::string message;      // e.g. cannot parse "2024-13-01 08:00:00" as a time
  // `shift.csv:17: column 1 (timestamp): cannot parse "2024-13-01 08:00:00" as a time`
  std::string to_string() const;
};

struct CsvImportReport {
  enum class Status {
    kOk,
    kStrictStop,    // strict and a bad row was met (first_error says which)
    kUnreadable,    // a file could not be read (fatal)
    kInvalidInput,  // no header, required column missing (fatal)
    kBadOptions,    // unknown time zone, bad column/map option (fatal)
    kWriteFailed,   // the TelemetryWriter failed (fatal)
  };
  Status status = Status::kOk;
  std::string fatal;  // what went wrong when status is neither kOk nor kStrictStop

  uint64_t files = 0;
  uint64_t rows = 0;  // data rows read (header and empty lines not counted)
  uint64_t samples = 0;
  uint64_t mode_changes = 0;                // written (before finish(): mode rows accepted)
  uint64_t repeated_modes = 0;              // mode rows equal to the mode in force, dropped
  uint64_t shifted_nonexistent = 0;         // local times in a spring-forward gap, shifted forward
  std::map<std::string, uint64_t> skipped;  // by skip_reason_name()
  std::optional<ImportError> first_error;
  std::vector<std::string> warnings;  // unmapped wide columns, unused --map entries
  int64_t first_ns = 0, last_ns = 0;  // [ns] range of accepted times (0, 0 when none)
  std::vector<std::string> machines;  // written machines, in channel order (after finish)
  uint64_t tags = 0;                  // sample tags over all written machines (after finish)
  uint64_t messages = 0;              // MCAP messages written by finish()

  uint64_t skipped_total() const;
  bool ok() const { return status == Status::kOk; }
};

// Imports one or more CSV files (appended in order) and writes them out at the end.
class CsvImporter {
 public:
  // `scene` (may be null) must outlive the importer. Bad options (unknown tz, ...) show up as
  // report().status == kBadOptions and make every later call a no-op.
  CsvImporter(const Model* scene, const CsvImportOptions& options);
  ~CsvImporter();
  CsvImporter(const CsvImporter&) = delete;
  CsvImporter& operator=(const CsvImporter&) = delete;

  // Reads a file / CSV text held in memory (`name` is used in messages). False when the
  // import cannot go on: a fatal error or, with strict, a bad row (see report()).
  bool add_file(const std::string& path);
  bool add_text(std::string_view text, const std::string& name);
  // Writes everything read to `out` (already open). Writes nothing and returns false when the
  // import stopped; false with kWriteFailed when the writer fails.
  bool finish(TelemetryWriter& out);

  const CsvImportReport& report() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One file or text, written to `out` (which the caller opened and closes).
CsvImportReport import_csv(const std::string& path, const Model* scene,
                           const CsvImportOptions& options, TelemetryWriter& out);
CsvImportReport import_csv_text(std::string_view text, const std::string& name, const Model* scene,
                                const CsvImportOptions& options, TelemetryWriter& out);

// Option parsing for the command line; false and `error` filled on bad input.
// "time=Zeit,machine=Anlage" -> columns (roles: time, machine, tag, value, quality, unit).
bool parse_csv_columns(std::string_view text, std::map<std::string, std::string>& columns,
                       std::string& error);
// "Column Header=machine/tag" -> map entry (split at the last '=').
bool parse_csv_mapping(std::string_view text, std::pair<std::string, std::string>& entry,
                       std::string& error);
// ",", ";", "tab" (or a tab), "|" -> delimiter; "auto" -> 0.
bool parse_csv_delimiter(std::string_view text, char& delimiter, std::string& error);
// Checks time_format and tz (loads the zone); "" when fine.
std::string check_csv_options(const CsvImportOptions& options);

// "2024-01-15T08:00:00Z", with a fraction only when there is one ("...:00.25Z").
std::string format_utc(int64_t ns);

}  // namespace twin
