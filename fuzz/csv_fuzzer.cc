// libFuzzer target for the CSV importer (outside data: historian exports). The first byte
// picks the options (long or wide, time format, time zone, delimiter, strict, with a scene or
// not); the rest is the CSV text, imported and written as MCAP to /dev/null.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/scene/load.h"
#include "replay/csv_import.h"
#include "replay/telemetry_writer.h"

namespace {

constexpr const char* kScene = R"yaml(
name: fuzz line
sources:
  - name: In
stations:
  - name: S1
    input: [In]
    output: Out
    cycle_time: 10
    tags:
      - {name: mode, signal: mode}
      - {name: temperature, signal: temperature, unit: degC}
  - name: S2
    input: [In]
    output: Out
    machines: 2
    cycle_time: 10
sinks:
  - name: Out
)yaml";

const twin::Model* scene() {
  static const twin::SceneLoadResult loaded = twin::load_scene_text(kScene, "fuzz.yaml");
  return loaded.ok() ? &loaded.model : nullptr;
}

twin::CsvImportOptions options_from(uint8_t b) {
  twin::CsvImportOptions o;
  o.format = (b & 0x01) != 0 ? twin::CsvFormat::kWide : twin::CsvFormat::kLong;
  constexpr const char* kTimeFormats[] = {"auto", "epoch_ms", "%d.%m.%Y %H:%M:%S", "iso"};
  o.time_format = kTimeFormats[(b >> 1) & 0x03];
  o.tz = (b & 0x08) != 0 ? "Europe/Berlin" : "UTC";
  constexpr char kDelimiters[] = {0, ',', ';', '\t'};
  o.delimiter = kDelimiters[(b >> 4) & 0x03];
  o.strict = (b & 0x40) != 0;
  o.allow_unknown = (b & 0x08) != 0;
  o.map = {{"Temp", "S1/temperature"}, {"Mode", "S2#1/mode"}};
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const twin::CsvImportOptions options = options_from(data[0]);
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const twin::Model* model = (data[0] & 0x80) != 0 ? scene() : nullptr;

  twin::CsvImporter importer(model, options);
  // Twice, as two files: the second meets the machines and tags of the first.
  if (importer.add_text(text, "a.csv")) importer.add_text(text.substr(text.size() / 2), "b.csv");
  twin::TelemetryWriter writer;
  twin::TelemetryWriterOptions writer_options;
  writer_options.compression = twin::mcap::Compression::None;
  if (writer.open("/dev/null", writer_options)) {
    importer.finish(writer);
    writer.close();
  }
  const twin::CsvImportReport& r = importer.report();
  if (r.first_error) (void)r.first_error->to_string();
  (void)twin::format_utc(r.first_ns);
  (void)twin::format_utc(r.last_ns);
  return 0;
}
