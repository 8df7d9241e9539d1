// Writes seeds for fuzz_telemetry (see the input layout in telemetry_fuzzer.cc): SampleBatch
// encodings, mode change and part event records and MCAP files of plant-simulator telemetry of
// a tiny scene, and mirror states after replaying them. Usage: fuzz_telemetry_seed OUT_DIR
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/mirror/mirror_snapshot.h"
#include "core/scene/load.h"
#include "core/telemetry/telemetry.h"
#include "fuzz/telemetry_scene.h"
#include "models/plant/plant_simulator.h"
#include "replay/player.h"
#include "replay/telemetry_writer.h"
#include "twin/telemetry.pb.h"

namespace {

// Seeds are recorded from the fuzzer's own scene.
constexpr const char* kScene = twin::fuzz::kTelemetryScene;

constexpr int64_t kMs = 1000000;

struct Event {
  uint32_t machine = 0;
  int64_t log_ns = 0;
  int64_t time_ns = 0;
  bool part = false;
  int code = 0;
  double cycle_s = 0.0;
};

// Forwards to a TelemetryWriter and keeps a few batches and every event for the other seeds.
class Capture final : public twin::TelemetrySink {
 public:
  explicit Capture(twin::TelemetryWriter& writer) : writer_(writer) {}
  uint32_t add_machine(std::string_view machine, const std::vector<twin::TagSpec>& tags,
                       const std::map<std::string, std::string>& metadata) override {
    return writer_.add_machine(machine, tags, metadata);
  }
  bool write_samples(uint32_t machine, uint64_t log_time_ns,
                     const twin::telemetry::SampleBatch& batch, uint64_t publish_time_ns) override {
    if (batches.size() < 6 && (batches.empty() || batches.back().second != machine))
      batches.push_back({batch.SerializeAsString(), machine});
    return writer_.write_samples(machine, log_time_ns, batch, publish_time_ns);
  }
  bool write_mode(uint32_t machine, uint64_t log_time_ns,
                  const twin::telemetry::ModeChange& change) override {
    events.push_back({machine, static_cast<int64_t>(log_time_ns), change.time_ns(), false,
                      static_cast<int>(change.mode()), 0.0});
    return writer_.write_mode(machine, log_time_ns, change);
  }
  bool write_part(uint32_t machine, uint64_t log_time_ns,
                  const twin::telemetry::PartEvent& event) override {
    events.push_back({machine, static_cast<int64_t>(log_time_ns), event.time_ns(), true,
                      static_cast<int>(event.kind()), event.cycle_time_s()});
    return writer_.write_part(machine, log_time_ns, event);
  }
  bool write_alarm(uint64_t log_time_ns, const twin::telemetry::Alarm& alarm) override {
    return writer_.write_alarm(log_time_ns, alarm);
  }
  bool write_truth(uint64_t log_time_ns, const twin::telemetry::FaultTruth& truth) override {
    return writer_.write_truth(log_time_ns, truth);
  }

  std::vector<std::pair<std::string, uint32_t>> batches;  // (wire bytes, machine handle)
  std::vector<Event> events;

 private:
  twin::TelemetryWriter& writer_;
};

template <typename T>
void put(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof(T));
}

bool write_file(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(f);
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

// Mode 0: option byte, int64 log field (int32 ms after base_time_ns), SampleBatch bytes.
std::string batch_seed(uint32_t machine, int32_t delay_ms, const std::string& wire) {
  std::string s(1, static_cast<char>(machine << 2));
  put<int64_t>(s, delay_ms);
  return s + wire;
}

void varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

// Unpacked fields, an unknown field, a NaN with a payload, an infinity, qualities.
std::string handmade_batch(int64_t base) {
  std::string w;
  varint(w, (1 << 3) | 0);
  varint(w, static_cast<uint64_t>(base));
  const float values[] = {1.5f, std::numeric_limits<float>::quiet_NaN(),
                          std::numeric_limits<float>::infinity(), -2.25f};
  for (uint32_t i = 0; i < 4; ++i) {
    varint(w, (2 << 3) | 0);
    varint(w, i * 2);
    varint(w, (3 << 3) | 0);
    varint(w, i * 1000000);  // zigzag
    float f = values[i];
    if (i == 1) {
      uint32_t bits = 0x7fc01234;  // NaN with a payload
      std::memcpy(&f, &bits, 4);
    }
    varint(w, (4 << 3) | 5);
    w.append(reinterpret_cast<const char*>(&f), 4);
    varint(w, (5 << 3) | 0);
    varint(w, i % 3);
    varint(w, (9 << 3) | 2);
    varint(w, 2);
    w += "ab";
  }
  return w;
}

// Mode 1: records of 30 bytes (op, machine, log, device, code, cycle time) in ms steps.
std::string event_seed(const std::vector<Event>& events, size_t n, uint8_t options, bool finish) {
  std::string s(1, static_cast<char>(1 | options));
  int64_t log = 1767592800LL * 1000000000LL;  // kOrigin of the fuzzer
  for (size_t i = 0; i < n && i < events.size(); ++i) {
    const Event& e = events[i];
    s += static_cast<char>(e.part ? 1 : 0);
    put<int32_t>(s, static_cast<int32_t>(e.machine));
    const int64_t step = (e.log_ns - log) / kMs;
    put<int64_t>(s, step);
    log += step * kMs;
    put<int64_t>(s, (e.time_ns - log) / kMs);
    s += static_cast<char>(e.code);
    put<double>(s, e.cycle_s);
    if (i % 7 == 6) {  // an advance_to now and then
      s += static_cast<char>(2);
      put<int32_t>(s, 0);
      put<int64_t>(s, 500);
      log += 500 * kMs;
      put<int64_t>(s, 0);
      s += static_cast<char>(0);
      put<double>(s, 0.0);
    }
  }
  if (finish) {
    s += static_cast<char>(3);
    put<int32_t>(s, 0);
    put<int64_t>(s, 3000);
    put<int64_t>(s, 0);
    s += static_cast<char>(0);
    put<double>(s, 0.0);
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  const twin::SceneLoadResult scene = twin::load_scene_text(kScene, "fuzz_telemetry.yaml");
  if (!scene.ok()) {
    std::fprintf(stderr, "fuzz_telemetry_seed: %s\n", scene.errors.front().to_string().c_str());
    return 1;
  }
  const std::string tmp =
      (std::filesystem::temp_directory_path() / "fuzz_telemetry_seed.mcap").string();

  struct Recording {
    const char* name;
    double seconds;
    twin::mcap::Compression compression;
    bool summary;
  };
  const Recording recordings[] = {
      {"none", 40.0, twin::mcap::Compression::None, true},
      {"zstd", 40.0, twin::mcap::Compression::Zstd, true},
      {"lz4_no_summary", 40.0, twin::mcap::Compression::Lz4, false},
      {"zstd_3min", 180.0, twin::mcap::Compression::Zstd, true},
  };
  bool ok = true;
  for (const Recording& r : recordings) {
    twin::TelemetryWriter writer;
    twin::TelemetryWriterOptions wo;
    wo.compression = r.compression;
    wo.write_summary = r.summary;
    wo.chunk_size = 16 * 1024;
    if (!writer.open(tmp, wo)) {
      std::fprintf(stderr, "fuzz_telemetry_seed: cannot write %s\n", tmp.c_str());
      return 1;
    }
    twin::PlantOptions po;
    po.hours = r.seconds / 3600.0;
    po.seed = 3;
    Capture capture(writer);
    const twin::PlantReport report = twin::run_plant(scene.model, po, capture);
    ok = writer.close() && !report.write_failed && ok;
    const std::string prefix = dir + "/" + r.name;
    const std::string mcap = read_file(tmp);
    ok = write_file(prefix + ".mcap", std::string(1, '\x02') + mcap) && ok;
    if (r.seconds < 60.0) {  // play options: keyframes, series, seek; a from/to window
      ok = write_file(prefix + "_keyframes_seek.mcap", std::string(1, '\x72') + mcap) && ok;
      ok = write_file(prefix + "_window.mcap", std::string(1, '\x0e') + mcap) && ok;
    }

    // The mirror state after replaying it.
    twin::Player player(scene.model);
    if (player.play(tmp, twin::PlayOptions{}).ok) {
      ok = write_file(prefix + ".state", std::string(1, '\x03') + twin::serialize_mirror_state(
                                                                      player.mirror().state())) &&
           ok;
    }
    if (r.compression != twin::mcap::Compression::None) continue;
    for (size_t i = 0; i < capture.batches.size(); ++i) {
      const auto& [wire, machine] = capture.batches[i];
      ok = write_file(prefix + ".batch" + std::to_string(i),
                      batch_seed(machine, static_cast<int32_t>(20 + 40 * i), wire)) &&
           ok;
    }
    ok = write_file(prefix + ".batch_handmade",
                    batch_seed(0, 30, handmade_batch(po.start_ns + 5000 * kMs))) &&
         ok;
    ok = write_file(prefix + ".events", event_seed(capture.events, 1000, 0, false)) && ok;
    ok = write_file(prefix + ".events_finish", event_seed(capture.events, 12, 4, true)) && ok;
  }
  std::filesystem::remove(tmp);
  if (!ok) std::fprintf(stderr, "fuzz_telemetry_seed: cannot write seeds to %s\n", dir.c_str());
  return ok ? 0 : 1;
}
