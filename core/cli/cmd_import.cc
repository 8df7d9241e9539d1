// twin import INPUT.csv... -o OUT.mcap: historian CSV exports to MCAP telemetry
// (replay/csv_import.h has the formats and rules). Prints a summary; bad rows are skipped and
// counted, the first one shown. Exit 0 ok (also with skipped rows), 1 unreadable input or
// unwritable output, 2 usage, 3 invalid input (no usable header, invalid scene, or a bad row
// with --strict; no output file is left then).
// twin import --format cmapss FILE [--rul RUL_FILE] -o OUT.mcap: a NASA C-MAPSS text file
// (replay/cmapss_import.h); any bad line stops it with file:line (exit 3, nothing written).
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "core/cli/cli_common.h"
#include "replay/cmapss_import.h"
#include "replay/csv_import.h"
#include "replay/telemetry_writer.h"

namespace twin::cli {

namespace {

struct ImportFlags {
  std::vector<std::string> inputs;
  std::string output;
  std::string scene;
  std::string format = "long";
  std::vector<std::string> maps;
  std::string columns;
  std::string time_format = "auto";
  std::string tz = "UTC";
  std::string delimiter = "auto";
  std::string compression = "zstd";
  bool strict = false;
  bool allow_unknown = false;
  bool quiet = false;
  // --format cmapss
  std::string rul;
  std::string split = "auto";
  double cycle_s = 3600.0;  // [s]
};

std::string duration_text(int64_t ns) {
  const double s = static_cast<double>(ns) / 1e9;
  char buf[64];
  if (s < 120.0) {
    std::snprintf(buf, sizeof buf, "%.3g s", s);
  } else if (s < 7200.0) {
    std::snprintf(buf, sizeof buf, "%.1f min", s / 60.0);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f h", s / 3600.0);
  }
  return buf;
}

void print_summary(const CsvImportReport& r, const std::string& output) {
  std::cout << "rows read     " << r.rows << " (" << r.files << (r.files == 1 ? " file" : " files")
            << ")\n";
  std::cout << "samples       " << r.samples << '\n';
  std::cout << "mode changes  " << r.mode_changes;
  if (r.repeated_modes > 0) std::cout << " (" << r.repeated_modes << " repeats dropped)";
  std::cout << '\n';
  std::cout << "machines      " << r.machines.size();
  for (size_t i = 0; i < r.machines.size(); ++i)
    std::cout << (i == 0 ? ": " : ", ") << r.machines[i];
  std::cout << '\n';
  std::cout << "tags          " << r.tags << '\n';
  if (r.samples + r.mode_changes > 0) {
    std::cout << "time range    " << format_utc(r.first_ns) << " .. " << format_utc(r.last_ns)
              << " (" << duration_text(r.last_ns - r.first_ns) << ")\n";
  }
  if (r.shifted_nonexistent > 0) {
    std::cout << "shifted       " << r.shifted_nonexistent
              << " local times inside a daylight-saving gap, moved forward by the gap\n";
  }
  std::cout << "skipped       " << r.skipped_total();
  for (auto it = r.skipped.begin(); it != r.skipped.end(); ++it)
    std::cout << (it == r.skipped.begin() ? ": " : ", ") << it->first << ' ' << it->second;
  std::cout << '\n';
  std::cout << "wrote         " << output << " (" << r.messages
            << (r.messages == 1 ? " message)\n" : " messages)\n");
}

void remove_output(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove(path, ec);
}

mcap::Compression compression_of(const ImportFlags& f) {
  return f.compression == "none"  ? mcap::Compression::None
         : f.compression == "lz4" ? mcap::Compression::Lz4
                                  : mcap::Compression::Zstd;
}

int run_cmapss_import(const ImportFlags& f) {
  if (f.inputs.size() != 1) {
    print_error("--format cmapss takes one trajectories file (train_FD00x.txt or test_FD00x.txt)");
    return kExitUsage;
  }
  if (!f.scene.empty() || !f.maps.empty() || !f.columns.empty() || f.strict || f.allow_unknown) {
    print_error(
        "--scene, --map, --columns, --strict and --allow-unknown are for CSV files, not "
        "--format cmapss");
    return kExitUsage;
  }
  std::optional<CmapssSplit> split;
  if (f.split == "train") split = CmapssSplit::kTrain;
  if (f.split == "test") split = CmapssSplit::kTest;
  const CmapssSource source = read_cmapss_source(f.inputs[0], f.rul, split);
  if (!source.ok()) {
    print_error(source.error->to_string());
    return source.error->line == 0 && source.error->what.rfind("cannot open", 0) == 0
               ? kExitFailure
               : kExitInvalidInput;
  }
  CmapssImportOptions options;
  options.cycle_s = f.cycle_s;
  TelemetryWriterOptions writer_options;
  writer_options.compression = compression_of(f);
  TelemetryWriter writer;
  if (!writer.open(f.output, writer_options)) {
    print_error(std::string("cannot write ") + f.output + ": " + writer.error());
    remove_output(f.output);
    return kExitFailure;
  }
  const CmapssImportReport r = write_cmapss_telemetry(source, options, writer);
  const bool closed = writer.close();
  if (!r.ok || !closed) {
    print_error(!r.ok ? r.error : std::string("cannot write ") + f.output + ": " + writer.error());
    remove_output(f.output);
    return r.ok ? kExitFailure : kExitInvalidInput;
  }
  if (r.inexact_values > 0) {
    print_error(std::string("warning: ") + std::to_string(r.inexact_values) +
                " values do not survive single precision exactly; first: " + r.first_inexact);
  }
  if (f.quiet) return kExitOk;
  std::cout << "engines       " << r.units << " (" << cmapss_split_name(source.split) << " split";
  if (source.split == CmapssSplit::kTest) {
    std::cout << (source.rul ? std::string(", RUL from ").append(source.rul_file)
                             : std::string(", no RUL file"));
  }
  std::cout << ")\n";
  std::cout << "cycles        " << r.cycles << " (one sample batch of 24 tags each)\n";
  std::cout << "samples       " << r.samples << '\n';
  std::cout << "cycle length  " << duration_text(static_cast<int64_t>(f.cycle_s * 1e9)) << '\n';
  std::cout << "time range    " << format_utc(r.first_ns) << " .. " << format_utc(r.last_ns) << " ("
            << duration_text(r.last_ns - r.first_ns) << ")\n";
  std::cout << "truth         " << r.truths << " failure records on /truth/faults\n";
  std::cout << "wrote         " << f.output << " (" << r.messages
            << (r.messages == 1 ? " message)\n" : " messages)\n");
  return kExitOk;
}

int run_import(const ImportFlags& f) {
  if (f.format == "cmapss") return run_cmapss_import(f);
  if (!f.rul.empty() || f.split != "auto") {
    print_error("--rul and --split are for --format cmapss");
    return kExitUsage;
  }
  CsvImportOptions options;
  options.format = f.format == "wide" ? CsvFormat::kWide : CsvFormat::kLong;
  options.time_format = f.time_format;
  options.tz = f.tz;
  options.strict = f.strict;
  options.allow_unknown = f.allow_unknown;
  std::string error;
  if (!f.columns.empty() && !parse_csv_columns(f.columns, options.columns, error)) {
    print_error(error);
    return kExitUsage;
  }
  for (const std::string& m : f.maps) {
    std::pair<std::string, std::string> entry;
    if (!parse_csv_mapping(m, entry, error)) {
      print_error(error);
      return kExitUsage;
    }
    options.map.push_back(std::move(entry));
  }
  if (!parse_csv_delimiter(f.delimiter, options.delimiter, error)) {
    print_error(error);
    return kExitUsage;
  }
  error = check_csv_options(options);
  if (!error.empty()) {
    print_error(error);
    return kExitUsage;
  }
  TelemetryWriterOptions writer_options;
  writer_options.compression = compression_of(f);

  std::optional<SceneLoadResult> scene;
  if (!f.scene.empty()) {
    scene.emplace();
    if (!load_scene_or_report(f.scene, *scene)) return kExitInvalidInput;
  }

  // Everything is read before the output is opened: a failed import leaves no file behind.
  CsvImporter importer(scene ? &scene->model : nullptr, options);
  for (const std::string& input : f.inputs) {
    if (!importer.add_file(input)) break;
  }
  const CsvImportReport& r = importer.report();
  for (const std::string& w : r.warnings) print_error(std::string("warning: ") + w);
  switch (r.status) {
    case CsvImportReport::Status::kOk:
      break;
    case CsvImportReport::Status::kStrictStop:
      print_error(r.first_error ? r.first_error->to_string() : std::string("bad row"));
      print_error("stopped at the first bad row (--strict); nothing written");
      return kExitInvalidInput;
    case CsvImportReport::Status::kUnreadable:
      print_error(r.fatal);
      return kExitFailure;
    case CsvImportReport::Status::kBadOptions:
      print_error(r.fatal);
      return kExitUsage;
    case CsvImportReport::Status::kInvalidInput:
    case CsvImportReport::Status::kWriteFailed:
      print_error(r.fatal);
      return kExitInvalidInput;
  }

  TelemetryWriter writer;
  if (!writer.open(f.output, writer_options)) {
    print_error(std::string("cannot write ") + f.output + ": " + writer.error());
    remove_output(f.output);
    return kExitFailure;
  }
  const bool written = importer.finish(writer);
  const bool closed = writer.close();
  if (!written || !closed) {
    print_error(!written ? r.fatal
                         : std::string("cannot write ") + f.output + ": " + writer.error());
    remove_output(f.output);
    return kExitFailure;
  }
  if (r.first_error) print_error(std::string("first bad row: ") + r.first_error->to_string());
  if (!f.quiet) print_summary(r, f.output);
  return kExitOk;
}

}  // namespace

void add_import_command(CLI::App& app, Context& ctx) {
  auto f = std::make_shared<ImportFlags>();
  CLI::App* cmd = app.add_subcommand(
      "import",
      "Convert historian CSV exports (long or wide) or NASA C-MAPSS files to MCAP telemetry");
  cmd->add_option("inputs", f->inputs, "CSV files, appended in order (cmapss: one file)")
      ->required()
      ->type_name("INPUT.csv");
  cmd->add_option("-o,--output", f->output, "MCAP file to write")
      ->required()
      ->type_name("OUT.mcap");
  cmd->add_option("--scene", f->scene,
                  "Scene whose machines and tags the rows must name (see --allow-unknown)")
      ->type_name("SCENE.yaml");
  cmd->add_option("--format", f->format,
                  "long: timestamp, machine, tag, value[, quality] per row; wide: a timestamp "
                  "column and one column per machine/tag; cmapss: a NASA C-MAPSS turbofan "
                  "file (train_FD00x.txt or test_FD00x.txt), one machine per engine")
      ->capture_default_str()
      ->check(CLI::IsMember({"long", "wide", "cmapss"}));
  cmd->add_option("--rul", f->rul,
                  "cmapss: the test file's RUL_FD00x.txt, for the ground truth (/truth/faults)")
      ->type_name("RUL_FILE");
  cmd->add_option("--split", f->split,
                  "cmapss: train (run to failure) or test; auto: test with --rul, else by the "
                  "file name")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "train", "test"}));
  cmd->add_option("--cycle-s", f->cycle_s,
                  "cmapss: seconds between engine cycles on the time axis (a cycle is a flight)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--map", f->maps,
                  "Wide format: the machine/tag of a column (repeat for several columns)")
      ->type_name("COL=MACHINE/TAG")
      ->allow_extra_args(false);
  cmd->add_option("--columns", f->columns,
                  "Header names of the columns, e.g. time=Zeit,machine=Anlage,tag=Signal,"
                  "value=Wert,quality=Q (roles: time, machine, tag, value, quality, unit)")
      ->type_name("ROLE=NAME,...");
  cmd->add_option("--time-format", f->time_format,
                  "auto, iso, epoch_s, epoch_ms, epoch_us, epoch_ns or a pattern such as "
                  "\"%d.%m.%Y %H:%M:%S\"")
      ->capture_default_str()
      ->type_name("F");
  cmd->add_option("--tz", f->tz, "IANA time zone of times without an offset, e.g. Europe/Berlin")
      ->capture_default_str()
      ->type_name("ZONE");
  cmd->add_option("--delimiter", f->delimiter, "Field delimiter: , ; tab | (auto: from the header)")
      ->capture_default_str()
      ->type_name("D");
  cmd->add_option("--compression", f->compression, "MCAP chunk compression")
      ->capture_default_str()
      ->check(CLI::IsMember({"zstd", "lz4", "none"}));
  cmd->add_flag("--strict", f->strict,
                "Stop at the first bad row (exit 3) and write nothing, instead of skipping it");
  cmd->add_flag("--allow-unknown", f->allow_unknown,
                "With --scene: accept machines and tags the scene does not have");
  cmd->add_flag("--quiet,-q", f->quiet, "No summary on stdout");
  cmd->callback([f, &ctx] { ctx.exit_code = run_import(*f); });
}

}  // namespace twin::cli
