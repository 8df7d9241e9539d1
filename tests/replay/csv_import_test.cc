// CSV import (replay/csv_import.h): files are written, read back with read_mcap and decoded
// with the generated protobuf classes, and compared with hand-computed instants and values.
#include "replay/csv_import.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "core/telemetry/telemetry.h"
#include "replay/mcap_reader.h"
#include "tests/support/scenes.h"
#include "twin/telemetry.pb.h"

namespace twin {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kS = 1'000'000'000;
constexpr int64_t kT0 = 1'705'305'600 * kS;  // 2024-01-15T08:00:00Z

std::string data_file(const std::string& name) {
  return std::string(TWIN_SOURCE_DIR) + "/tests/replay/data/" + name;
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A temporary folder per test.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name("twin_csv_");
    name.append(std::to_string(::getpid())).append("_").append(info->test_suite_name());
    name.append("_").append(info->name());
    dir_ = fs::temp_directory_path() / name;
    fs::create_directories(dir_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  fs::path path(const std::string& name) const { return dir_ / name; }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path(name), std::ios::binary) << text;
  }

 private:
  fs::path dir_;
};

struct Sample {
  std::string machine, tag;
  int64_t t;
  float value;
  int quality;
  bool operator==(const Sample&) const = default;
  bool operator<(const Sample& o) const {
    return std::tie(machine, t, tag, value) < std::tie(o.machine, o.t, o.tag, o.value);
  }
};

struct ModeEvent {
  std::string machine;
  int64_t t;
  telemetry::Mode mode;
  bool operator==(const ModeEvent&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Sample& s) {
  return os << s.machine << '/' << s.tag << '@' << s.t << '=' << s.value << " q" << s.quality;
}
std::ostream& operator<<(std::ostream& os, const ModeEvent& m) {
  return os << m.machine << '@' << m.t << '=' << telemetry_mode_name(m.mode);
}

struct Batch {
  std::string machine;
  uint64_t log_time;
  int64_t base, min_t, max_t;
  size_t size, qualities;
};

// What an MCAP file written by the importer holds, decoded.
struct Decoded {
  bool ok = false;
  std::vector<std::string> machines;  // samples channels, in channel id order
  std::map<std::string, std::vector<std::string>> tags, units;
  std::map<std::string, std::map<std::string, std::string>> metadata;
  std::vector<Sample> samples;   // sorted
  std::vector<ModeEvent> modes;  // in file order
  std::vector<Batch> batches;    // in file order
  std::vector<uint64_t> log_times;
};

Decoded decode(const std::string& path) {
  Decoded d;
  const mcap::ReadResult r = mcap::read_mcap(path);
  EXPECT_TRUE(r.ok()) << mcap::describe_damage(r);
  if (!r.ok()) return d;
  std::map<uint16_t, std::string> samples_of, mode_of;
  for (const auto& [id, channel] : r.channels) {
    std::string machine;
    const TopicKind kind = classify_topic(channel.topic, &machine);
    if (kind == TopicKind::kSamples) {
      samples_of[id] = machine;
      d.machines.push_back(machine);
      d.tags[machine] = split_list(channel.metadata.at("tags"));
      d.units[machine] = split_list(channel.metadata.at("units"));
      d.metadata[machine] = channel.metadata;
      EXPECT_EQ(channel.metadata.at("machine"), machine);
    } else if (kind == TopicKind::kMode) {
      mode_of[id] = machine;
      // A machine with only a mode tag has no samples channel; its metadata is here.
      if (channel.metadata.count("tags") != 0) {
        d.machines.push_back(machine);
        d.tags[machine] = {};
        d.units[machine] = {};
        d.metadata[machine] = channel.metadata;
      }
    }
  }
  // Machines in channel id order (the order they were declared).
  {
    std::vector<std::pair<uint16_t, std::string>> order;
    for (const auto& [id, machine] : samples_of) order.emplace_back(id, machine);
    for (const auto& [id, machine] : mode_of) {
      if (d.tags.count(machine) != 0 && d.tags[machine].empty()) order.emplace_back(id, machine);
    }
    std::sort(order.begin(), order.end());
    d.machines.clear();
    for (const auto& [id, machine] : order) d.machines.push_back(machine);
  }
  for (const mcap::Message& m : r.messages) {
    d.log_times.push_back(m.log_time);
    if (auto it = samples_of.find(m.channel_id); it != samples_of.end()) {
      telemetry::SampleBatch b;
      EXPECT_TRUE(b.ParseFromArray(m.data.data(), static_cast<int>(m.data.size())));
      const std::vector<std::string>& tags = d.tags[it->second];
      Batch info{it->second,
                 m.log_time,
                 b.base_time_ns(),
                 INT64_MAX,
                 INT64_MIN,
                 static_cast<size_t>(b.tag_size()),
                 static_cast<size_t>(b.quality_size())};
      EXPECT_EQ(b.time_offset_ns_size(), b.tag_size());
      EXPECT_EQ(b.value_size(), b.tag_size());
      for (int i = 0; i < b.tag_size(); ++i) {
        const int64_t t = b.base_time_ns() + b.time_offset_ns(i);
        info.min_t = std::min(info.min_t, t);
        info.max_t = std::max(info.max_t, t);
        EXPECT_LT(b.tag(i), tags.size());
        d.samples.push_back(Sample{it->second, b.tag(i) < tags.size() ? tags[b.tag(i)] : "?", t,
                                   b.value(i), b.quality_size() > 0 ? b.quality(i) : 0});
      }
      d.batches.push_back(info);
    } else if (auto mit = mode_of.find(m.channel_id); mit != mode_of.end()) {
      telemetry::ModeChange c;
      EXPECT_TRUE(c.ParseFromArray(m.data.data(), static_cast<int>(m.data.size())));
      EXPECT_EQ(m.log_time, static_cast<uint64_t>(c.time_ns()));
      d.modes.push_back(ModeEvent{mit->second, c.time_ns(), c.mode()});
    }
  }
  std::sort(d.samples.begin(), d.samples.end());
  d.ok = true;
  return d;
}

// Every batch: base time = its first (earliest) sample, log time = its last (latest) one,
// less than 1 s of sample time, at most 1024 samples; the file in log-time order.
void expect_batches_well_formed(const Decoded& d) {
  for (const Batch& b : d.batches) {
    EXPECT_EQ(b.base, b.min_t) << b.machine;
    EXPECT_EQ(b.log_time, static_cast<uint64_t>(b.max_t)) << b.machine;
    EXPECT_LT(b.max_t - b.min_t, kS) << b.machine;
    EXPECT_LE(b.size, 1024u);
    EXPECT_TRUE(b.qualities == 0 || b.qualities == b.size);
  }
  EXPECT_TRUE(std::is_sorted(d.log_times.begin(), d.log_times.end()));
}

struct Imported {
  CsvImportReport report;
  Decoded decoded;
};

// Imports `text` (named `name`) to an MCAP file and decodes it.
Imported import_text(const TempDir& dir, const std::string& text, const CsvImportOptions& options,
                     const Model* scene = nullptr, const std::string& name = "test.csv") {
  Imported run;
  const std::string out = dir.path("out.mcap").string();
  TelemetryWriter writer;
  EXPECT_TRUE(writer.open(out));
  run.report = import_csv_text(text, name, scene, options, writer);
  EXPECT_TRUE(writer.close());
  if (run.report.ok()) run.decoded = decode(out);
  return run;
}

std::vector<int64_t> times_of(const Decoded& d) {
  std::vector<int64_t> t;
  for (const Sample& s : d.samples) t.push_back(s.t);
  std::sort(t.begin(), t.end());
  return t;
}

// ---- Formats --------------------------------------------------------------------------------

TEST(CsvImport, LongFormatRoundTrip) {
  TempDir dir;
  CsvImportOptions options;
  Imported run;
  {
    const std::string out = dir.path("out.mcap").string();
    TelemetryWriter writer;
    ASSERT_TRUE(writer.open(out));
    run.report = import_csv(data_file("long_basic.csv"), nullptr, options, writer);
    ASSERT_TRUE(writer.close());
    ASSERT_TRUE(run.report.ok()) << run.report.fatal;
    run.decoded = decode(out);
  }
  const CsvImportReport& r = run.report;
  EXPECT_EQ(r.rows, 10u);
  EXPECT_EQ(r.samples, 6u);
  EXPECT_EQ(r.mode_changes, 3u);
  EXPECT_EQ(r.repeated_modes, 1u);  // DOWN after down
  EXPECT_EQ(r.skipped_total(), 0u);
  EXPECT_FALSE(r.first_error.has_value());
  EXPECT_EQ(r.machines, (std::vector<std::string>{"S1", "S2"}));
  EXPECT_EQ(r.tags, 3u);
  EXPECT_EQ(r.first_ns, kT0 - 3600 * kS + 2 * kS);  // 08:00:02+01:00
  EXPECT_EQ(r.last_ns, kT0 + 6 * kS);

  const Decoded& d = run.decoded;
  ASSERT_TRUE(d.ok);
  EXPECT_EQ(d.machines, (std::vector<std::string>{"S1", "S2"}));
  EXPECT_EQ(d.tags.at("S1"), (std::vector<std::string>{"temperature", "current"}));
  EXPECT_EQ(d.tags.at("S2"), (std::vector<std::string>{"temperature"}));
  EXPECT_EQ(d.metadata.at("S1").at("source"), "csv:long_basic.csv");
  const std::vector<Sample> expected = {
      {"S1", "current", kT0, 3.25f, telemetry::QUALITY_GOOD},
      {"S1", "temperature", kT0, 21.5f, telemetry::QUALITY_GOOD},
      {"S1", "current", kT0 + kS / 4, 3.5f, telemetry::QUALITY_UNCERTAIN},
      {"S1", "temperature", kT0 + 3 * kS / 2, 21.75f, telemetry::QUALITY_GOOD},  // 192
      {"S2", "temperature", kT0 - 3600 * kS + 2 * kS, 31.5f, telemetry::QUALITY_BAD},
      {"S2", "temperature", kT0, 30.0f, telemetry::QUALITY_GOOD},
  };
  EXPECT_EQ(d.samples, expected);
  const std::vector<ModeEvent> modes = {
      {"S1", kT0 + kS, telemetry::MODE_RUNNING},
      {"S2", kT0 + kS, telemetry::MODE_STARVED},
      {"S1", kT0 + 5 * kS, telemetry::MODE_DOWN},
  };
  EXPECT_EQ(d.modes, modes);
  // S1: [0, 0, 0.25] then [1.5]; S2's rows were out of order: two batches an hour apart.
  ASSERT_EQ(d.batches.size(), 4u);
  expect_batches_well_formed(d);
  EXPECT_EQ(d.batches[0].machine, "S2");
  EXPECT_EQ(d.batches[1].machine, "S2");
  EXPECT_EQ(d.batches[1].log_time, static_cast<uint64_t>(kT0));
  EXPECT_EQ(d.batches[2].machine, "S1");
  EXPECT_EQ(d.batches[2].size, 3u);
  EXPECT_EQ(d.batches[2].log_time, static_cast<uint64_t>(kT0 + kS / 4));
  EXPECT_EQ(d.batches[2].qualities, 3u);  // one UNCERTAIN sample: qualities listed
  EXPECT_EQ(d.batches[3].qualities, 0u);  // all GOOD: left empty
}

TEST(CsvImport, WideFormatSemicolonDecimalCommaBerlin) {
  TempDir dir;
  CsvImportOptions options;
  options.format = CsvFormat::kWide;
  options.tz = "Europe/Berlin";
  const Imported run = import_text(dir, read_text(data_file("wide_semicolon.csv")), options,
                                   nullptr, "wide_semicolon.csv");
  const CsvImportReport& r = run.report;
  ASSERT_TRUE(r.ok()) << r.fatal;
  EXPECT_EQ(r.rows, 4u);
  EXPECT_EQ(r.skipped_total(), 0u);
  ASSERT_EQ(r.warnings.size(), 1u);  // Kommentar; the trailing empty column is silent
  EXPECT_NE(r.warnings[0].find("Kommentar"), std::string::npos) << r.warnings[0];
  const Decoded& d = run.decoded;
  EXPECT_EQ(d.machines, (std::vector<std::string>{"S1", "S2"}));
  EXPECT_EQ(d.tags.at("S1"), (std::vector<std::string>{"temperature", "current"}));
  EXPECT_EQ(d.units.at("S1"), (std::vector<std::string>{"degC", "A"}));
  EXPECT_TRUE(d.tags.at("S2").empty());  // modes only
  // 09:00 in Berlin in January is 08:00 UTC.
  const std::vector<Sample> expected = {
      {"S1", "current", kT0, 3.25f, 0},         {"S1", "temperature", kT0, 21.5f, 0},
      {"S1", "current", kT0 + kS / 2, 3.5f, 0}, {"S1", "temperature", kT0 + kS, 22.0f, 0},
      {"S1", "current", kT0 + 2 * kS, 4.0f, 0}, {"S1", "temperature", kT0 + 2 * kS, 22.5f, 0},
  };
  EXPECT_EQ(d.samples, expected);
  const std::vector<ModeEvent> modes = {{"S2", kT0, telemetry::MODE_RUNNING},
                                        {"S2", kT0 + kS, telemetry::MODE_BLOCKED}};
  EXPECT_EQ(d.modes, modes);
  EXPECT_EQ(r.repeated_modes, 1u);
  expect_batches_well_formed(d);
}

TEST(CsvImport, WideFormatExplicitMapAndUnmappedColumns) {
  TempDir dir;
  CsvImportOptions options;
  options.format = CsvFormat::kWide;
  options.map = {
      {"Temp Filler", "Filler/temperature"}, {"speed", "Filler/speed"}, {"Nowhere", "X/y"}};
  const std::string csv =
      "Time,Temp Filler,Speed,Pressure,Line.Filler.flow\n"
      "2024-01-15T08:00:00Z,60.5,100,2,7\n"
      "2024-01-15T08:00:01Z,61,,2,8\n";
  const Imported run = import_text(dir, csv, options);
  ASSERT_TRUE(run.report.ok()) << run.report.fatal;
  // Pressure has no machine; Line.Filler.flow is ambiguous (two dots, no machine known as
  // "Line" or "Line.Filler"); --map Nowhere matches no column.
  ASSERT_EQ(run.report.warnings.size(), 3u);
  EXPECT_NE(run.report.warnings[0].find("Pressure"), std::string::npos);
  EXPECT_NE(run.report.warnings[1].find("Line.Filler.flow"), std::string::npos);
  EXPECT_NE(run.report.warnings[2].find("Nowhere"), std::string::npos);
  const Decoded& d = run.decoded;
  EXPECT_EQ(d.tags.at("Filler"), (std::vector<std::string>{"temperature", "speed"}));
  const std::vector<Sample> expected = {
      {"Filler", "speed", kT0, 100.0f, 0},
      {"Filler", "temperature", kT0, 60.5f, 0},
      {"Filler", "temperature", kT0 + kS, 61.0f, 0},
  };
  EXPECT_EQ(d.samples, expected);
}

TEST(CsvImport, LongFormatWithoutMachineColumnSplitsTags) {
  TempDir dir;
  const std::string csv =
      "time,name,value\n"
      "2024-01-15T08:00:00Z,Press/force,1\n"
      "2024-01-15T08:00:00Z,Oven.temperature,2\n"
      "2024-01-15T08:00:00Z,Press.ram.position,3\n"  // Press is known by now
      "2024-01-15T08:00:00Z,a.b.c,4\n"               // ambiguous
      "2024-01-15T08:00:00Z,lonely,5\n";
  const Imported run = import_text(dir, csv, {});
  ASSERT_TRUE(run.report.ok());
  EXPECT_EQ(run.report.skipped.at("bad name"), 2u);
  const Decoded& d = run.decoded;
  EXPECT_EQ(d.machines, (std::vector<std::string>{"Press", "Oven"}));
  EXPECT_EQ(d.tags.at("Press"), (std::vector<std::string>{"force", "ram.position"}));
  EXPECT_EQ(d.tags.at("Oven"), (std::vector<std::string>{"temperature"}));
}

TEST(CsvImport, ColumnNamesOverrideAndMissingColumns) {
  TempDir dir;
  CsvImportOptions options;
  options.columns = {{"time", "Zeit"}, {"machine", "Anlage"}, {"tag", "Signal"}, {"value", "Wert"}};
  const std::string csv =
      "Wert;Zeit;Signal;Anlage\n"
      "1,5;15.01.2024 09:00:00;druck;P1\n";
  options.time_format = "%d.%m.%Y %H:%M:%S";
  options.tz = "Europe/Berlin";
  const Imported run = import_text(dir, csv, options);
  ASSERT_TRUE(run.report.ok()) << run.report.fatal;
  EXPECT_EQ(run.decoded.samples, (std::vector<Sample>{{"P1", "druck", kT0, 1.5f, 0}}));

  TelemetryWriter writer;
  ASSERT_TRUE(writer.open(dir.path("missing.mcap").string()));
  const CsvImportReport missing = import_csv_text("time,machine,value\n2024-01-15T08:00:00Z,A,1\n",
                                                  "m.csv", nullptr, {}, writer);
  EXPECT_EQ(missing.status, CsvImportReport::Status::kInvalidInput);
  EXPECT_NE(missing.fatal.find("m.csv:1: no tag column"), std::string::npos) << missing.fatal;
  EXPECT_EQ(writer.messages_written(), 0u);
}

TEST(CsvImport, DelimitersBomCrlfAndBlankLines) {
  TempDir dir;
  // Tab-separated epoch milliseconds with OPC DA qualities (the data file).
  {
    TelemetryWriter writer;
    const std::string out = dir.path("tab.mcap").string();
    ASSERT_TRUE(writer.open(out));
    const CsvImportReport r = import_csv(data_file("epoch_ms_tab.csv"), nullptr, {}, writer);
    ASSERT_TRUE(writer.close());
    ASSERT_TRUE(r.ok()) << r.fatal;
    EXPECT_EQ(r.skipped_total(), 0u);
    const Decoded d = decode(out);
    const std::vector<Sample> expected = {
        {"Press", "force", kT0, 120.5f, 0},
        {"Press", "force", kT0 + kS / 10, 121.0f, 0},
        {"Press", "force", kT0 + kS / 5, 119.75f, telemetry::QUALITY_UNCERTAIN},
    };
    EXPECT_EQ(d.samples, expected);
    EXPECT_EQ(d.modes, (std::vector<ModeEvent>{{"Press", kT0 + kS, telemetry::MODE_RUNNING}}));
  }
  // BOM, CRLF, blank lines, a row of delimiters only, spaces around fields, quoted fields.
  const std::string csv =
      "\xEF\xBB\xBF\r\n\r\n timestamp ; machine ; tag ; value \r\n"
      "2024-01-15T08:00:00Z ; M ; \"a;b\" ; -1,5e3 \r\n"
      "\r\n"
      ";;;\r\n"
      "   \r\n"
      "2024-01-15T08:00:01Z;M;\"a;b\";+2\r\n"
      "2024-01-15T08:00:02Z;M;x;oops\r\n";
  const Imported run = import_text(dir, csv, {});
  ASSERT_TRUE(run.report.ok()) << run.report.fatal;
  EXPECT_EQ(run.report.rows, 3u);
  const std::vector<Sample> expected = {{"M", "a;b", kT0, -1500.0f, 0},
                                        {"M", "a;b", kT0 + kS, 2.0f, 0}};
  EXPECT_EQ(run.decoded.samples, expected);
  ASSERT_TRUE(run.report.first_error.has_value());
  EXPECT_EQ(run.report.first_error->to_string(),
            "test.csv:9: column 4 (value): cannot parse \"oops\" as a number");
}

TEST(CsvImport, QualityCodes) {
  TempDir dir;
  const std::vector<std::pair<std::string, int>> cases = {
      {"GOOD", 0},         {"good", 0},       {"OK", 0}, {"", 0},    {"UNCERTAIN", 1},
      {"Questionable", 1}, {"Bad", 2},        {"0", 0},  {"192", 0}, {"216", 0},
      {"64", 1},           {"84", 1},         {"1", 2},  {"128", 2}, {"0x80000000", 2},
      {"0x40000000", 1},   {"0x00110000", 0},
  };
  std::string csv = "time,machine,tag,value,quality\n";
  for (size_t i = 0; i < cases.size(); ++i) {
    csv += "2024-01-15T08:00:00Z,M,q" + std::to_string(i) + ",1," + cases[i].first + "\n";
  }
  csv += "2024-01-15T08:00:00Z,M,bad1,1,SO-SO\n";
  csv += "2024-01-15T08:00:00Z,M,bad2,1,-1\n";
  csv += "2024-01-15T08:00:00Z,M,bad3,1,99999999999\n";
  const Imported run = import_text(dir, csv, {});
  ASSERT_TRUE(run.report.ok());
  EXPECT_EQ(run.report.skipped.at("bad quality"), 3u);
  ASSERT_EQ(run.decoded.samples.size(), cases.size());
  for (const Sample& s : run.decoded.samples) {
    const size_t i = std::stoul(s.tag.substr(1));
    EXPECT_EQ(s.quality, cases[i].second) << "quality \"" << cases[i].first << '"';
  }
}

TEST(CsvImport, ValuesAndModes) {
  TempDir dir;
  const std::string csv =
      "time,machine,tag,value\n"
      "2024-01-15T08:00:00Z,M,flag,TRUE\n"
      "2024-01-15T08:00:01Z,M,flag,off\n"
      "2024-01-15T08:00:02Z,M,big,1e300\n"    // beyond single precision
      "2024-01-15T08:00:03Z,M,tiny,1e-300\n"  // underflows to 0: a value
      "2024-01-15T08:00:04Z,M,State,Blocked\n"
      "2024-01-15T08:00:05Z,M,STATUS,MODE_SETUP\n"
      "2024-01-15T08:00:06Z,M,mode,7\n"
      "2024-01-15T08:00:07Z,M,mode,0\n"
      "2024-01-15T08:00:08Z,M,mode,\n";
  const Imported run = import_text(dir, csv, {});
  ASSERT_TRUE(run.report.ok());
  EXPECT_EQ(run.report.skipped.at("NaN or infinite"), 1u);
  EXPECT_EQ(run.report.skipped.at("bad mode"), 2u);
  const std::vector<Sample> expected = {{"M", "flag", kT0, 1.0f, 0},
                                        {"M", "flag", kT0 + kS, 0.0f, 0},
                                        {"M", "tiny", kT0 + 3 * kS, 0.0f, 0}};
  EXPECT_EQ(run.decoded.samples, expected);
  const std::vector<ModeEvent> modes = {{"M", kT0 + 4 * kS, telemetry::MODE_BLOCKED},
                                        {"M", kT0 + 5 * kS, telemetry::MODE_SETUP},
                                        {"M", kT0 + 6 * kS, telemetry::MODE_OFF}};
  EXPECT_EQ(run.decoded.modes, modes);
}

TEST(CsvImport, BatchesAtMostOneSecondAnd1024Samples) {
  TempDir dir;
  // 3000 samples 0.3 ms apart (epoch us) in reverse order, plus a second tag at 10 Hz for
  // 5 s (epoch ms).
  std::string csv = "ts,machine,tag,value\n";
  for (int i = 2999; i >= 0; --i) {
    csv += std::to_string(1'705'305'600'000'000 + i * 300) + ",M,fast," + std::to_string(i) + "\n";
  }
  for (int i = 0; i < 50; ++i) {
    csv += std::to_string(1'705'305'600'000 + i * 100) + ",M,slow," + std::to_string(i) + "\n";
  }
  const Imported run = import_text(dir, csv, {});
  ASSERT_TRUE(run.report.ok());
  EXPECT_EQ(run.report.samples, 3050u);
  const Decoded& d = run.decoded;
  ASSERT_EQ(d.samples.size(), 3050u);
  expect_batches_well_formed(d);
  size_t total = 0, full = 0;
  for (const Batch& b : d.batches) {
    total += b.size;
    full += b.size == 1024;
  }
  EXPECT_EQ(total, 3050u);
  EXPECT_GE(full, 2u);  // the first seconds hold more than 1024 samples
  EXPECT_EQ(d.samples.front().t, kT0);
  EXPECT_EQ(times_of(d).back(), kT0 + 4900 * kS / 1000);
}

// ---- Times ----------------------------------------------------------------------------------

// One row per time string (tag "tN"), imported; returns the UTC time of each accepted row by N.
std::map<int, int64_t> import_times(const TempDir& dir, const std::vector<std::string>& times,
                                    const CsvImportOptions& options,
                                    CsvImportReport* report = nullptr) {
  std::string csv = "time;machine;tag;value\n";
  for (size_t i = 0; i < times.size(); ++i) {
    csv += times[i] + ";M;t" + std::to_string(i) + ";1\n";
  }
  const Imported run = import_text(dir, csv, options);
  EXPECT_TRUE(run.report.ok()) << run.report.fatal;
  if (report != nullptr) *report = run.report;
  std::map<int, int64_t> out;
  for (const Sample& s : run.decoded.samples) out[std::stoi(s.tag.substr(1))] = s.t;
  return out;
}

TEST(CsvImportTime, IsoVariants) {
  TempDir dir;
  CsvImportReport r;
  const std::map<int, int64_t> t = import_times(dir,
                                                {
                                                    "2024-01-15T08:00:00Z",
                                                    "2024-01-15T09:00:00+01:00",
                                                    "2024-01-15T03:00:00-0500",
                                                    "2024-01-15 08:00:00.123456789",
                                                    "2024-01-15t08:00:00.5+00",
                                                    "2024/01/15 08:00:00",
                                                    "2024-01-15",
                                                    "2024-01-15 8:00",
                                                    "2024-01-15 08:00:00 UTC",
                                                    "2024-02-30 08:00:00",
                                                    "2024-01-15 24:00:00",
                                                    "2024-01-15T08:00:00+25:00",
                                                    "2024-01-15x",
                                                    "15.01.2024 08:00:00",
                                                },
                                                {}, &r);
  const std::map<int, int64_t> expected = {
      {0, kT0},
      {1, kT0},
      {2, kT0},
      {3, kT0 + 123'456'789},
      {4, kT0 + kS / 2},
      {5, kT0},
      {6, kT0 - 8 * 3600 * kS},
      {7, kT0},
      {8, kT0},
  };
  EXPECT_EQ(t, expected);
  EXPECT_EQ(r.skipped.at("bad timestamp"), 5u);
}

TEST(CsvImportTime, EuropeBerlinWinterAndSummer) {
  TempDir dir;
  CsvImportOptions options;
  options.tz = "Europe/Berlin";
  const std::map<int, int64_t> t = import_times(dir,
                                                {
                                                    "2024-01-15 09:00:00",        // CET, +1
                                                    "2024-07-15 10:00:00",        // CEST, +2
                                                    "2024-07-15T10:00:00Z",       // offset wins
                                                    "2024-07-15T10:00:00+02:00",  // offset wins
                                                },
                                                options);
  const int64_t july15 = 1'721'030'400 * kS;  // 2024-07-15T08:00:00Z
  const std::map<int, int64_t> expected = {
      {0, kT0}, {1, july15}, {2, july15 + 2 * 3600 * kS}, {3, july15}};
  EXPECT_EQ(t, expected);
}

TEST(CsvImportTime, EuropeBerlinAcrossDaylightSavingSwitches) {
  TempDir dir;
  CsvImportOptions options;
  options.tz = "Europe/Berlin";
  CsvImportReport r;
  const std::map<int, int64_t> t =
      import_times(dir,
                   {
                       // 2024-03-31: 02:00 CET jumps to 03:00 CEST.
                       "2024-03-31 01:59:59",  // CET: 00:59:59Z
                       "2024-03-31 02:30:00",  // does not exist: shifted to 03:30 CEST, 01:30Z
                       "2024-03-31 03:00:00",  // CEST: 01:00:00Z
                                               // 2024-10-27: 03:00 CEST falls back to 02:00 CET.
                       "2024-10-27 01:59:00",  // CEST: 2024-10-26T23:59:00Z
                       "2024-10-27 02:30:00",  // twice: the earlier, CEST: 00:30Z
                       "2024-10-27 03:00:00",  // CET: 02:00Z
                   },
                   options, &r);
  const std::map<int, int64_t> expected = {
      {0, 1'711'846'799 * kS}, {1, 1'711'848'600 * kS}, {2, 1'711'846'800 * kS},
      {3, 1'729'987'140 * kS}, {4, 1'729'989'000 * kS}, {5, 1'729'994'400 * kS},
  };
  EXPECT_EQ(t, expected);
  EXPECT_EQ(r.shifted_nonexistent, 1u);
  EXPECT_EQ(r.skipped_total(), 0u);
}

TEST(CsvImportTime, EpochUnitsExplicitAndAuto) {
  TempDir dir;
  const std::vector<std::string> times = {
      "1705305600",          "1705305600.25",       "1705305600000",
      "1705305600250",       "1705305600000000",    "1705305600000001",
      "1705305600000000000", "1705305600000000007", "1705305600000.5",
  };
  const std::map<int, int64_t> automatic = import_times(dir, times, {});
  const std::map<int, int64_t> expected = {
      {0, kT0},         {1, kT0 + kS / 4}, {2, kT0},     {3, kT0 + kS / 4},  {4, kT0},
      {5, kT0 + 1'000}, {6, kT0},          {7, kT0 + 7}, {8, kT0 + 500'000},
  };
  EXPECT_EQ(automatic, expected);

  CsvImportOptions ms;
  ms.time_format = "epoch_ms";
  CsvImportReport r;
  const std::map<int, int64_t> as_ms =
      import_times(dir, {"1705305600000", "1705305600000.25", "1705305600"}, ms, &r);
  EXPECT_EQ(as_ms, (std::map<int, int64_t>{{0, kT0}, {1, kT0 + 250'000}}));
  EXPECT_EQ(r.skipped.at("time out of range"), 1u);  // seconds read as ms: 1970

  CsvImportOptions s;
  s.time_format = "epoch_s";
  EXPECT_EQ(import_times(dir, {"1705305600.000000001", "-1"}, s, &r),
            (std::map<int, int64_t>{{0, kT0 + 1}}));
  CsvImportOptions us;
  us.time_format = "epoch_us";
  EXPECT_EQ(import_times(dir, {"1705305600000000.5"}, us),
            (std::map<int, int64_t>{{0, kT0 + 500}}));
  CsvImportOptions ns;
  ns.time_format = "epoch_ns";
  EXPECT_EQ(import_times(dir, {"1705305600000000042"}, ns),
            (std::map<int, int64_t>{{0, kT0 + 42}}));
}

TEST(CsvImportTime, PatternFormat) {
  TempDir dir;
  CsvImportOptions options;
  options.time_format = "%d.%m.%Y %H:%M:%S";
  options.tz = "Europe/Berlin";
  CsvImportReport r;
  const std::map<int, int64_t> t =
      import_times(dir,
                   {"15.01.2024 09:00:00", "15.01.2024 09:00:00.125", "15.13.2024 09:00:00",
                    "15.01.2024 09:00:00 extra", "15.01.3024 09:00:00"},
                   options, &r);
  EXPECT_EQ(t, (std::map<int, int64_t>{{0, kT0}, {1, kT0 + 125'000'000}}));
  EXPECT_EQ(r.skipped.at("bad timestamp"), 2u);
  EXPECT_EQ(r.skipped.at("time out of range"), 1u);

  CsvImportOptions with_offset;
  with_offset.time_format = "%Y-%m-%d %H:%M:%S %z";
  with_offset.tz = "Europe/Berlin";  // not used: the text has its offset
  EXPECT_EQ(import_times(dir, {"2024-01-15 10:00:00 +0200"}, with_offset),
            (std::map<int, int64_t>{{0, kT0}}));
}

TEST(CsvImportTime, BadOptions) {
  CsvImportOptions options;
  options.tz = "Mars/Olympus_Mons";
  EXPECT_NE(check_csv_options(options).find("unknown time zone"), std::string::npos);
  options.tz = "UTC";
  options.time_format = "julian";
  EXPECT_NE(check_csv_options(options).find("unknown time format"), std::string::npos);
  options.time_format = "epoch_ms";
  EXPECT_EQ(check_csv_options(options), "");
  TempDir dir;
  TelemetryWriter writer;
  ASSERT_TRUE(writer.open(dir.path("x.mcap").string()));
  options.tz = "Nowhere/City";
  const CsvImportReport r = import_csv_text("a,b\n", "x.csv", nullptr, options, writer);
  EXPECT_EQ(r.status, CsvImportReport::Status::kBadOptions);
  EXPECT_EQ(format_utc(kT0 + 250'000'000), "2024-01-15T08:00:00.25Z");
  EXPECT_EQ(format_utc(kT0), "2024-01-15T08:00:00Z");
}

// ---- Bad input ------------------------------------------------------------------------------

TEST(CsvImportErrors, SkippedCountsByReasonWithScene) {
  const SceneLoadResult scene = test::load_scene_or_fail(test::kSmallLine);
  ASSERT_TRUE(scene.ok());
  TempDir dir;
  const std::string out = dir.path("out.mcap").string();
  TelemetryWriter writer;
  ASSERT_TRUE(writer.open(out));
  const CsvImportReport r = import_csv(data_file("bad_rows.csv"), &scene.model, {}, writer);
  ASSERT_TRUE(writer.close());
  ASSERT_TRUE(r.ok()) << r.fatal;
  const std::map<std::string, uint64_t> expected = {
      {"NaN or infinite", 3},   {"bad value", 2},       {"bad timestamp", 1},
      {"time out of range", 2}, {"unknown machine", 1}, {"unknown tag", 1},
      {"bad quality", 1},       {"bad mode", 1},        {"wrong column count", 1},
  };
  EXPECT_EQ(r.skipped, expected);
  EXPECT_EQ(r.rows, 16u);
  EXPECT_EQ(r.samples, 3u);
  ASSERT_TRUE(r.first_error.has_value());
  // Line 5: the quoted comment of the row before spans lines 3 and 4.
  EXPECT_EQ(r.first_error->to_string(),
            data_file("bad_rows.csv") +
                ":5: column 4 (value): value \"NaN\" is not a finite single-precision number");
  EXPECT_EQ(r.first_error->line, 5u);
  EXPECT_EQ(r.first_error->column, 4u);
  EXPECT_EQ(r.first_error->reason, "NaN or infinite");

  const Decoded d = decode(out);
  // The scene's tags (S1/S2 list none: the default set), not the CSV's order.
  const std::vector<std::string> defaults = {"current",     "power",     "temperature",
                                             "vibration",   "tool_wear", "good_count",
                                             "scrap_count", "cycle_time"};
  EXPECT_EQ(d.tags.at("S1"), defaults);
  EXPECT_EQ(d.tags.at("S2"), defaults);
  const std::vector<Sample> samples = {{"S1", "temperature", kT0, 20.5f, 0},
                                       {"S1", "temperature", kT0 + kS, 21.0f, 0},
                                       {"S2", "current", kT0 + 12 * kS, 2.5f, 0}};
  EXPECT_EQ(d.samples, samples);
}

TEST(CsvImportErrors, UnknownNamesAllowedAndSceneSpelling) {
  const SceneLoadResult scene = test::load_scene_or_fail(test::kSmallLine);
  ASSERT_TRUE(scene.ok());
  TempDir dir;
  const std::string csv =
      "time,machine,tag,value\n"
      "2024-01-15T08:00:00Z,s1,Temperature,1\n"  // case differs from the scene: its spelling
      "2024-01-15T08:00:00Z,S1,pressure,2\n"
      "2024-01-15T08:00:00Z,Mill,current,3\n";
  const Imported strict_names = import_text(dir, csv, {}, &scene.model);
  EXPECT_EQ(strict_names.report.skipped.at("unknown tag"), 1u);
  EXPECT_EQ(strict_names.report.skipped.at("unknown machine"), 1u);
  EXPECT_EQ(strict_names.decoded.samples,
            (std::vector<Sample>{{"S1", "temperature", kT0, 1.0f, 0}}));

  CsvImportOptions allow;
  allow.allow_unknown = true;
  const Imported run = import_text(dir, csv, allow, &scene.model);
  EXPECT_EQ(run.report.skipped_total(), 0u);
  const Decoded& d = run.decoded;
  EXPECT_EQ(d.machines, (std::vector<std::string>{"S1", "Mill"}));
  ASSERT_EQ(d.tags.at("S1").size(), 9u);  // the 8 defaults, then the CSV's
  EXPECT_EQ(d.tags.at("S1").back(), "pressure");
  EXPECT_EQ(d.tags.at("Mill"), (std::vector<std::string>{"current"}));
}

TEST(CsvImportErrors, LineOfAFieldAfterAnEmbeddedNewline) {
  TempDir dir;
  // The bad timestamp is on line 4: its row starts on line 3 with a two-line comment.
  const std::string csv =
      "comment,timestamp,machine,tag,value\n"
      ",2024-01-15T08:00:00Z,M,a,1\n"
      "\"two\nlines\",2024-13-01 08:00:00,M,a,2\n"
      "\"x\"\"y\",2024-01-15T08:00:01Z,M,a,3\n";
  const Imported run = import_text(dir, csv, {}, nullptr, "shift.csv");
  ASSERT_TRUE(run.report.first_error.has_value());
  EXPECT_EQ(run.report.first_error->to_string(),
            "shift.csv:4: column 2 (timestamp): cannot parse \"2024-13-01 08:00:00\" as a time");
  EXPECT_EQ(run.report.samples, 2u);

  // A short row is reported at the line its record starts on, without a column.
  const Imported short_row = import_text(
      dir, "time,machine,tag,value\n\n\"2024-01-15\nT08\",M,a\n2024-01-15T08:00:00Z,M,a,1\n", {});
  ASSERT_TRUE(short_row.report.first_error.has_value());
  EXPECT_EQ(short_row.report.first_error->to_string(), "test.csv:3: expected 4 columns, found 3");
}

TEST(CsvImportErrors, LinesCountedAcrossReadChunks) {
  TempDir dir;
  // About 2.4 MB: the bad row is read in the third 1 MiB slice.
  std::string csv = "timestamp,machine,tag,value\n";
  const int rows = 50'000;
  for (int i = 0; i < rows; ++i) {
    csv += "2024-01-15T08:00:00.000Z,Machine1,temperature_sensor," + std::to_string(i) + "\n";
    if (i == 45'000) csv += "2024-01-15T08:00:00.000Z,Machine1,temperature_sensor,x\n";
  }
  const std::string path = dir.path("big.csv").string();
  dir.write("big.csv", csv);
  TelemetryWriter writer;
  ASSERT_TRUE(writer.open(dir.path("big.mcap").string()));
  const CsvImportReport r = import_csv(path, nullptr, {}, writer);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.samples, static_cast<uint64_t>(rows));
  ASSERT_TRUE(r.first_error.has_value());
  EXPECT_EQ(r.first_error->line, 45'003u);  // header + rows 0..45000, then the bad one
  EXPECT_EQ(r.first_error->column, 4u);
}

TEST(CsvImportErrors, UnbalancedQuoteCostsOneRecord) {
  TempDir dir;
  std::string csv = "time,machine,tag,value\n2024-01-15T08:00:00Z,M,a,1\n";
  csv += "2024-01-15T08:00:01Z,M,\"a,2\n";  // the quote never closes
  for (int i = 0; i < 60'000; ++i) csv += "2024-01-15T08:00:02Z,M,a,3\n";
  const Imported run = import_text(dir, csv, {});
  ASSERT_TRUE(run.report.ok());
  EXPECT_EQ(run.report.skipped.at("malformed CSV"), 1u);
  ASSERT_TRUE(run.report.first_error.has_value());
  EXPECT_EQ(run.report.first_error->line, 3u);
  // Reading resumes once the runaway field passes 1 MiB (~40000 lines of 27 bytes).
  EXPECT_GT(run.report.samples, 10'000u);
  EXPECT_LT(run.report.samples, 30'000u);
}

TEST(CsvImportErrors, StrictStopsAndWritesNothing) {
  TempDir dir;
  CsvImporter importer(nullptr, [] {
    CsvImportOptions o;
    o.strict = true;
    return o;
  }());
  EXPECT_TRUE(importer.add_file(data_file("long_basic.csv")));
  EXPECT_FALSE(importer.add_file(data_file("bad_rows.csv")));
  EXPECT_FALSE(importer.add_file(data_file("long_basic.csv")));  // stopped: a no-op
  const CsvImportReport& r = importer.report();
  EXPECT_EQ(r.status, CsvImportReport::Status::kStrictStop);
  EXPECT_EQ(r.skipped_total(), 1u);
  ASSERT_TRUE(r.first_error.has_value());
  EXPECT_EQ(r.first_error->line, 5u);
  TelemetryWriter writer;
  ASSERT_TRUE(writer.open(dir.path("strict.mcap").string()));
  EXPECT_FALSE(importer.finish(writer));
  EXPECT_EQ(writer.messages_written(), 0u);
}

TEST(CsvImportErrors, UnreadableAndEmptyFiles) {
  TempDir dir;
  CsvImporter importer(nullptr, {});
  dir.write("empty.csv", "\xEF\xBB\xBF\n\n");
  EXPECT_TRUE(importer.add_file(dir.path("empty.csv").string()));
  ASSERT_EQ(importer.report().warnings.size(), 1u);
  EXPECT_FALSE(importer.add_file(dir.path("missing.csv").string()));
  EXPECT_EQ(importer.report().status, CsvImportReport::Status::kUnreadable);
  EXPECT_NE(importer.report().fatal.find("missing.csv"), std::string::npos);
  CsvImporter directory(nullptr, {});
  EXPECT_FALSE(directory.add_file(dir.path("").string()));
  EXPECT_EQ(directory.report().status, CsvImportReport::Status::kUnreadable);
}

TEST(CsvImport, SeveralFilesAppended) {
  TempDir dir;
  dir.write("a.csv", "time,machine,tag,value\n2024-01-15T08:00:00Z,M,x,1\n");
  dir.write("b.csv",
            "time;machine;tag;value\n2024-01-15T09:00:00Z;M;y;2,5\n"
            "2024-01-15T09:00:00Z;N;x;3\n");
  CsvImporter importer(nullptr, {});
  ASSERT_TRUE(importer.add_file(dir.path("a.csv").string()));
  ASSERT_TRUE(importer.add_file(dir.path("b.csv").string()));
  TelemetryWriter writer;
  const std::string out = dir.path("ab.mcap").string();
  ASSERT_TRUE(writer.open(out));
  ASSERT_TRUE(importer.finish(writer));
  ASSERT_TRUE(writer.close());
  EXPECT_EQ(importer.report().files, 2u);
  EXPECT_EQ(importer.report().machines, (std::vector<std::string>{"M", "N"}));
  const Decoded d = decode(out);
  EXPECT_EQ(d.tags.at("M"), (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(d.metadata.at("M").at("source"), "csv:a.csv,b.csv");
  EXPECT_EQ(d.metadata.at("N").at("source"), "csv:b.csv");
  EXPECT_EQ(d.samples.size(), 3u);
}

TEST(CsvImport, OptionParsing) {
  std::map<std::string, std::string> columns;
  std::string error;
  EXPECT_TRUE(parse_csv_columns("time=Zeit, machine=Anlage,Tag=Signal", columns, error));
  EXPECT_EQ(columns, (std::map<std::string, std::string>{
                         {"time", "Zeit"}, {"machine", "Anlage"}, {"tag", "Signal"}}));
  EXPECT_FALSE(parse_csv_columns("colour=x", columns, error));
  EXPECT_FALSE(parse_csv_columns("time", columns, error));
  std::pair<std::string, std::string> entry;
  EXPECT_TRUE(parse_csv_mapping("Temp = 1 =Filler/temp", entry, error));
  EXPECT_EQ(entry, (std::pair<std::string, std::string>{"Temp = 1", "Filler/temp"}));
  EXPECT_FALSE(parse_csv_mapping("Temp=Filler", entry, error));
  char d = 'x';
  EXPECT_TRUE(parse_csv_delimiter("tab", d, error));
  EXPECT_EQ(d, '\t');
  EXPECT_TRUE(parse_csv_delimiter("auto", d, error));
  EXPECT_EQ(d, 0);
  EXPECT_FALSE(parse_csv_delimiter("::", d, error));
}

// ---- Command line ---------------------------------------------------------------------------

class CsvImportCli : public ::testing::Test {
 protected:
  struct Result {
    int code = -1;
    std::string out, err;
  };

  std::string quoted(const fs::path& p) const {
    std::string q(1, '\'');
    q.append(p.string()).push_back('\'');
    return q;
  }

  Result twin(const std::string& args) const {
    std::string cmd("'");
    cmd.append(TWIN_BINARY_DIR).append("/twin' ").append(args).append(" 2>");
    cmd.append(quoted(dir_.path("stderr.txt")));
    Result r;
    FILE* pipe = popen(cmd.c_str(), "r");
    if (pipe == nullptr) return r;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) r.out.append(buf, n);
    const int status = pclose(pipe);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.err = read_text(dir_.path("stderr.txt"));
    return r;
  }

  TempDir dir_;
};

TEST_F(CsvImportCli, LongFileEndToEnd) {
  const fs::path out = dir_.path("out.mcap");
  const Result r = twin("import " + quoted(data_file("long_basic.csv")) + " -o " + quoted(out) +
                        " --compression lz4");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_NE(r.out.find("rows read     10"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("samples       6"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("mode changes  3"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("machines      2: S1, S2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2024-01-15T07:00:02Z .. 2024-01-15T08:00:06Z"), std::string::npos) << r.out;
  const Decoded d = decode(out.string());
  EXPECT_EQ(d.samples.size(), 6u);
  EXPECT_EQ(d.modes.size(), 3u);
}

TEST_F(CsvImportCli, WideFileWithOptions) {
  const fs::path out = dir_.path("wide.mcap");
  const Result r = twin("import " + quoted(data_file("wide_semicolon.csv")) +
                        " --format wide --tz Europe/Berlin --delimiter ';' -o " + quoted(out) +
                        " --map 'Kommentar=S2/comment' --allow-unknown");
  ASSERT_EQ(r.code, 0) << r.err;
  // Kommentar is now a tag; its text is no number.
  EXPECT_NE(r.err.find("first bad row: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("wide_semicolon.csv:2: column 5 (Kommentar): cannot parse "
                       "\"Schichtbeginn\" as a number"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.out.find("skipped       1: bad value 1"), std::string::npos) << r.out;
  const Decoded d = decode(out.string());
  EXPECT_EQ(d.samples.size(), 6u);
  EXPECT_EQ(d.modes.size(), 2u);
  EXPECT_EQ(d.modes.front().t, kT0);
}

TEST_F(CsvImportCli, BadRowsWithSceneAndStrict) {
  const fs::path scene = dir_.path("scene.yaml");
  dir_.write("scene.yaml", test::kSmallLine);
  const fs::path out = dir_.path("out.mcap");
  const std::string base = "import " + quoted(data_file("bad_rows.csv")) + " --scene " +
                           quoted(scene) + " -o " + quoted(out);
  const Result lenient = twin(base);
  ASSERT_EQ(lenient.code, 0) << lenient.err;
  EXPECT_NE(lenient.err.find("bad_rows.csv:5: column 4 (value)"), std::string::npos) << lenient.err;
  EXPECT_NE(lenient.out.find("skipped       13: "), std::string::npos) << lenient.out;
  EXPECT_NE(lenient.out.find("unknown machine 1"), std::string::npos) << lenient.out;
  EXPECT_TRUE(fs::exists(out));
  fs::remove(out);

  const Result strict = twin(base + " --strict");
  EXPECT_EQ(strict.code, 3);
  EXPECT_NE(strict.err.find("bad_rows.csv:5: column 4 (value): value \"NaN\""), std::string::npos)
      << strict.err;
  EXPECT_EQ(strict.out, "");
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(CsvImportCli, SeveralInputsAndErrors) {
  dir_.write("a.csv", "time,machine,tag,value\n2024-01-15T08:00:00Z,M,x,1\n");
  dir_.write("b.csv", "time,machine,tag,value\n2024-01-15T09:00:00Z,M,x,2\n");
  const fs::path out = dir_.path("ab.mcap");
  const Result both = twin("import " + quoted(dir_.path("a.csv")) + " " +
                           quoted(dir_.path("b.csv")) + " -o " + quoted(out) + " -q");
  ASSERT_EQ(both.code, 0) << both.err;
  EXPECT_EQ(both.out, "");
  EXPECT_EQ(decode(out.string()).samples.size(), 2u);

  const fs::path none = dir_.path("none.mcap");
  const Result missing = twin("import " + quoted(dir_.path("a.csv")) + " " +
                              quoted(dir_.path("missing.csv")) + " -o " + quoted(none));
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.err.find("missing.csv"), std::string::npos) << missing.err;
  EXPECT_FALSE(fs::exists(none));

  const std::string a = quoted(dir_.path("a.csv"));
  EXPECT_EQ(twin("import " + a + " -o " + quoted(none) + " --tz Mars/Olympus").code, 2);
  EXPECT_EQ(twin("import " + a + " -o " + quoted(none) + " --format tall").code, 2);
  EXPECT_EQ(twin("import " + a + " -o " + quoted(none) + " --map nomachine").code, 2);
  EXPECT_EQ(twin("import " + a + " -o " + quoted(none) + " --columns colour=x").code, 2);
  EXPECT_EQ(twin("import " + a).code, 2);  // no -o
  EXPECT_FALSE(fs::exists(none));

  dir_.write("wide.csv", "time,a/b\n2024-01-15T08:00:00Z,1\n");
  const Result no_tag = twin("import " + quoted(dir_.path("wide.csv")) + " -o " + quoted(none));
  EXPECT_EQ(no_tag.code, 3);
  EXPECT_NE(no_tag.err.find("--format wide"), std::string::npos) << no_tag.err;
  EXPECT_FALSE(fs::exists(none));
}

}  // namespace
}  // namespace twin
