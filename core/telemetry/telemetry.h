// Telemetry vocabulary shared by the plant simulator, the importer, the recorder and the mirror:
// machine names, each machine's tags (the scene's, or a default set), MCAP topics, and the mapping
// between the line model's modes and the telemetry schema's (core/proto/twin/telemetry.proto).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/model/model.h"
#include "models/process/kpi.h"  // the Mode enum only (header-only use)
#include "twin/telemetry.pb.h"

namespace twin {

// Roles of a tag, as twin::scene::Tag::Signal (the scene names them; values must match).
enum class Signal : int {
  kCustom = 0,
  kMode = 1,
  kPartCount = 2,
  kCycleTime = 3,
  kMotorCurrent = 4,
  kPower = 5,
  kTemperature = 6,
  kVibrationRms = 7,
  kToolWear = 8,
  kScrapCount = 9,
};

// "Mill" for a one-machine station, "Mill#2" for the second machine of a parallel station
// (the same names the KPIs use).
std::string machine_name(const Model& model, uint32_t machine);
// All machine names, indexed by machine.
std::vector<std::string> machine_names(const Model& model);
// Machine index by name, or -1.
int32_t find_machine(const Model& model, std::string_view name);

// The tags a machine reports: its station's `tags` from the scene, or when the scene lists none,
// a default set (motor current and vibration at 10 Hz; power, temperature, tool wear, good and
// scrap counters at 1 Hz; cycle time at each completion). Mode tags are carried as ModeChange
// messages rather than samples, so they are not in this list.
std::vector<TagSpec> sample_tags(const Model& model, uint32_t machine);

// MCAP topics (see telemetry.proto).
inline constexpr std::string_view kPlantPrefix = "/plant/";
inline constexpr std::string_view kTruthPrefix = "/truth/";  // never read by the mirror
inline constexpr std::string_view kAlarmsTopic = "/plant/alarms";
inline constexpr std::string_view kTruthTopic = "/truth/faults";
inline constexpr std::string_view kSnapshotTopic = "/twin/snapshot";
std::string samples_topic(std::string_view machine);  // /plant/<machine>/samples
std::string mode_topic(std::string_view machine);     // /plant/<machine>/mode
std::string parts_topic(std::string_view machine);    // /plant/<machine>/parts

// What a topic is about. `machine` is filled for per-machine topics.
enum class TopicKind { kUnknown, kSamples, kMode, kParts, kAlarms, kTruth, kSnapshot };
TopicKind classify_topic(std::string_view topic, std::string* machine = nullptr);

// Mode conversions. The line model has no IDLE; telemetry IDLE maps to starved (not producing,
// cause unknown) when a model mode is needed.
telemetry::Mode to_telemetry(Mode mode);
std::optional<Mode> from_telemetry(telemetry::Mode mode);
// Mode names as written in CSV exports: "running", "idle", "starved", "blocked", "down",
// "setup", "off" (case-insensitive; also the numeric codes of telemetry::Mode).
std::optional<telemetry::Mode> parse_mode(std::string_view text);
const char* telemetry_mode_name(telemetry::Mode mode);

// Splits and joins the comma-separated lists of channel metadata ("tags", "units").
std::vector<std::string> split_list(std::string_view text);
std::string join_list(const std::vector<std::string>& items);

}  // namespace twin
