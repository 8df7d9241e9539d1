#include "core/telemetry/telemetry.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace twin {

std::string machine_name(const Model& model, uint32_t machine) {
  const Station& st = model.stations[model.machine_station[machine]];
  if (st.machine_count == 1) return st.name;
  std::string name = st.name;
  name += '#';
  name += std::to_string(machine - st.first_machine + 1);
  return name;
}

std::vector<std::string> machine_names(const Model& model) {
  std::vector<std::string> names;
  names.reserve(model.machine_count());
  for (uint32_t m = 0; m < model.machine_count(); ++m) names.push_back(machine_name(model, m));
  return names;
}

int32_t find_machine(const Model& model, std::string_view name) {
  const size_t hash = name.rfind('#');
  const std::string_view station = hash == std::string_view::npos ? name : name.substr(0, hash);
  const int32_t s = model.find_station(std::string(station));
  if (s < 0) return -1;
  const Station& st = model.stations[static_cast<uint32_t>(s)];
  if (hash == std::string_view::npos) {
    return st.machine_count == 1 ? static_cast<int32_t>(st.first_machine) : -1;
  }
  uint32_t k = 0;
  const std::string_view digits = name.substr(hash + 1);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), k);
  if (ec != std::errc() || end != digits.data() + digits.size() || k < 1 || k > st.machine_count ||
      st.machine_count == 1)
    return -1;
  return static_cast<int32_t>(st.first_machine + k - 1);
}

std::vector<TagSpec> sample_tags(const Model& model, uint32_t machine) {
  const Station& st = model.stations[model.machine_station[machine]];
  std::vector<TagSpec> tags;
  if (!st.tags.empty()) {
    for (const TagSpec& t : st.tags) {
      if (static_cast<Signal>(t.signal) == Signal::kMode) continue;
      TagSpec copy = t;
      // Cycle times come one per part; other tags default to 1 Hz.
      if (static_cast<Signal>(t.signal) == Signal::kCycleTime) {
        copy.rate_hz = 0.0;
      } else if (copy.rate_hz <= 0.0) {
        copy.rate_hz = 1.0;
      }
      tags.push_back(std::move(copy));
    }
    return tags;
  }
  auto add = [&](const char* name, const char* unit, double rate, Signal signal) {
    tags.push_back(TagSpec{name, unit, rate, static_cast<int>(signal)});
  };
  add("current", "A", 10.0, Signal::kMotorCurrent);
  add("power", "kW", 1.0, Signal::kPower);
  add("temperature", "degC", 1.0, Signal::kTemperature);
  add("vibration", "mm/s", 10.0, Signal::kVibrationRms);
  add("tool_wear", "mm", 1.0, Signal::kToolWear);
  add("good_count", "parts", 1.0, Signal::kPartCount);
  add("scrap_count", "parts", 1.0, Signal::kScrapCount);
  add("cycle_time", "s", 0.0, Signal::kCycleTime);  // one sample per completed part
  return tags;
}

namespace {
std::string topic(std::string_view machine, std::string_view kind) {
  std::string t(kPlantPrefix);
  t.append(machine);
  t += '/';
  t.append(kind);
  return t;
}
}  // namespace

std::string samples_topic(std::string_view machine) {
  return topic(machine, "samples");
}
std::string mode_topic(std::string_view machine) {
  return topic(machine, "mode");
}
std::string parts_topic(std::string_view machine) {
  return topic(machine, "parts");
}

TopicKind classify_topic(std::string_view t, std::string* machine) {
  if (t == kAlarmsTopic) return TopicKind::kAlarms;
  if (t.starts_with(kTruthPrefix)) return TopicKind::kTruth;
  if (t == kSnapshotTopic) return TopicKind::kSnapshot;
  if (!t.starts_with(kPlantPrefix)) return TopicKind::kUnknown;
  const std::string_view rest = t.substr(kPlantPrefix.size());
  const size_t slash = rest.rfind('/');
  if (slash == std::string_view::npos || slash == 0) return TopicKind::kUnknown;
  const std::string_view kind = rest.substr(slash + 1);
  TopicKind k = kind == "samples" ? TopicKind::kSamples
                : kind == "mode"  ? TopicKind::kMode
                : kind == "parts" ? TopicKind::kParts
                                  : TopicKind::kUnknown;
  if (k != TopicKind::kUnknown && machine != nullptr) machine->assign(rest.substr(0, slash));
  return k;
}

telemetry::Mode to_telemetry(Mode mode) {
  switch (mode) {
    case Mode::kBusy:
      return telemetry::MODE_RUNNING;
    case Mode::kStarved:
      return telemetry::MODE_STARVED;
    case Mode::kBlocked:
      return telemetry::MODE_BLOCKED;
    case Mode::kDown:
      return telemetry::MODE_DOWN;
    case Mode::kSetup:
      return telemetry::MODE_SETUP;
    case Mode::kOff:
      return telemetry::MODE_OFF;
  }
  return telemetry::MODE_UNKNOWN;
}

std::optional<Mode> from_telemetry(telemetry::Mode mode) {
  switch (mode) {
    case telemetry::MODE_RUNNING:
      return Mode::kBusy;
    case telemetry::MODE_IDLE:
    case telemetry::MODE_STARVED:
      return Mode::kStarved;
    case telemetry::MODE_BLOCKED:
      return Mode::kBlocked;
    case telemetry::MODE_DOWN:
      return Mode::kDown;
    case telemetry::MODE_SETUP:
      return Mode::kSetup;
    case telemetry::MODE_OFF:
      return Mode::kOff;
    default:
      return std::nullopt;
  }
}

namespace {
constexpr const char* kModeNames[] = {"unknown", "running", "idle",  "starved",
                                      "blocked", "down",    "setup", "off"};
}

const char* telemetry_mode_name(telemetry::Mode mode) {
  const int i = static_cast<int>(mode);
  return i >= 0 && i < 8 ? kModeNames[i] : "unknown";
}

std::optional<telemetry::Mode> parse_mode(std::string_view text) {
  std::string lower;
  for (char c : text) {
    if (!std::isspace(static_cast<unsigned char>(c)))
      lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (lower.starts_with("mode_")) lower.erase(0, 5);
  for (int i = 1; i < 8; ++i) {
    if (lower == kModeNames[i]) return static_cast<telemetry::Mode>(i);
  }
  if (lower == "busy" || lower == "run" || lower == "producing") return telemetry::MODE_RUNNING;
  if (lower == "failed" || lower == "fault" || lower == "breakdown") return telemetry::MODE_DOWN;
  int code = -1;
  auto [end, ec] = std::from_chars(lower.data(), lower.data() + lower.size(), code);
  if (ec == std::errc() && end == lower.data() + lower.size() && code >= 1 && code <= 7)
    return static_cast<telemetry::Mode>(code);
  return std::nullopt;
}

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> out;
  if (text.empty()) return out;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    out.emplace_back(text.substr(start, comma == std::string_view::npos ? comma : comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

std::string join_list(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    out += items[i];
  }
  return out;
}

}  // namespace twin
