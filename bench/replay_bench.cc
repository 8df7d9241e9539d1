// Speed of replay: samples per second from MCAP into the mirrored State on one core, an 8-hour
// shift of 250 machines x 20 tags at 1 Hz (144 million samples) at max speed, and seeking to
// random times of that shift (with in-memory keyframes, and with the snapshots `twin record`
// writes into the file). The plant250 shift is generated once into the build directory (about
// half a minute) and reused by later runs. These print figures; they never fail on time.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "core/scene/load.h"
#include "core/sim/rng.h"
#include "core/telemetry/sample_decoder.h"
#include "core/telemetry/telemetry.h"
#include "models/plant/plant_simulator.h"
#include "replay/player.h"
#include "replay/recorder.h"
#include "replay/telemetry_writer.h"

namespace twin {
namespace {

const Model& plant250() {
  static const Model model = [] {
    SceneLoadResult r = load_scene_file(std::string(TWIN_SOURCE_DIR) + "/scenes/plant250.yaml");
    if (!r.ok()) {
      for (const SceneError& e : r.errors) std::fprintf(stderr, "%s\n", e.to_string().c_str());
      std::abort();
    }
    return r.model;
  }();
  return model;
}

std::string data_dir() {
  const std::string dir = std::string(TWIN_BINARY_DIR) + "/bench_data";
  std::filesystem::create_directories(dir);
  return dir;
}

// The 8-hour shift of plant250 (default dirt, seed 1), generated on first use.
const std::string& shift_file() {
  static const std::string path = [] {
    const std::string p = data_dir() + "/plant250_8h.mcap";
    if (!std::filesystem::exists(p)) {
      std::fprintf(stderr, "generating %s (once)...\n", p.c_str());
      PlantOptions o;
      o.hours = 8.0;
      o.seed = 1;
      TelemetryWriter w;
      if (!w.open(p + ".tmp")) std::abort();
      run_plant(plant250(), o, w);
      if (!w.close()) std::abort();
      std::filesystem::rename(p + ".tmp", p);
    }
    return p;
  }();
  return path;
}

// The same shift recorded with twin snapshots every 30 s.
const std::string& recorded_file() {
  static const std::string path = [] {
    const std::string p = data_dir() + "/plant250_8h_recorded.mcap";
    if (!std::filesystem::exists(p)) {
      std::fprintf(stderr, "recording %s (once)...\n", p.c_str());
      RecordOptions o;
      o.keyframe_interval_s = 30.0;
      if (!record_mcap(plant250(), shift_file(), p + ".tmp", o).ok) std::abort();
      std::filesystem::rename(p + ".tmp", p);
    }
    return p;
  }();
  return path;
}

// The whole shift through the player at max speed on one thread: read, decompress, decode,
// mirror.
void BM_ReplayShift_Plant250(benchmark::State& bench) {
  const std::string& file = shift_file();
  uint64_t samples = 0;
  double wall = 0.0;
  for (auto _ : bench) {
    Player player(plant250());
    const PlayResult r = player.play(file, {});
    if (!r.ok) bench.SkipWithError(r.error.c_str());
    samples += player.mirror().state().counters.samples_in;
    wall += r.wall_s;
  }
  bench.counters["samples"] =
      static_cast<double>(samples) / static_cast<double>(bench.iterations());
  bench.counters["samples_per_s"] = static_cast<double>(samples) / wall;
  bench.counters["shift_replay_s"] = wall / static_cast<double>(bench.iterations());
  bench.counters["file_MB"] = static_cast<double>(std::filesystem::file_size(file)) / 1e6;
}
BENCHMARK(BM_ReplayShift_Plant250)->Unit(benchmark::kSecond)->Iterations(2)->UseRealTime();

// The mirror alone: decoded batches of the first hour applied in a loop (no I/O, no
// decompression, no protobuf): the ceiling of the hot path on one core.
// The first ten minutes of samples batches of the shift, as raw protobuf bytes, with the
// machine and tag names of their channels.
struct Collect final : mcap::MessageSink {
  std::vector<std::pair<uint16_t, std::vector<uint8_t>>> batches;
  std::vector<std::pair<uint16_t, std::string>> channels;  // samples channels: id, machine
  std::vector<std::vector<std::string>> tags;
  void on_channel(const mcap::Channel& c, const mcap::Schema*) override {
    std::string machine;
    if (classify_topic(c.topic, &machine) == TopicKind::kSamples) {
      channels.emplace_back(c.id, machine);
      tags.push_back(split_list(c.metadata.at("tags")));
    }
  }
  bool on_message(const mcap::MessageView& m) override {
    for (const auto& ch : channels) {
      if (ch.first == m.channel_id) {
        batches.emplace_back(m.channel_id, std::vector<uint8_t>(m.data.begin(), m.data.end()));
        break;
      }
    }
    return batches.size() < 250 * 600;  // ten minutes of the plant
  }
};

const Collect& first_batches() {
  static const Collect collect = [] {
    Collect c;
    mcap::stream_mcap(shift_file(), c);
    return c;
  }();
  return collect;
}

// Binding of each samples channel, indexed by channel id.
std::vector<ChannelBinding> bind_all(const Mirror& mirror, const Collect& collect) {
  std::vector<ChannelBinding> bindings(65536);
  for (size_t i = 0; i < collect.channels.size(); ++i) {
    bindings[collect.channels[i].first] =
        mirror.bind_samples(collect.channels[i].second, collect.tags[i]);
  }
  return bindings;
}

void BM_MirrorApply_Plant250(benchmark::State& bench) {
  const Collect& collect = first_batches();
  Mirror mirror(plant250());
  const std::vector<ChannelBinding> bindings = bind_all(mirror, collect);
  std::vector<DecodedBatch> decoded(collect.batches.size());
  for (size_t i = 0; i < decoded.size(); ++i)
    decode_sample_batch(collect.batches[i].second, decoded[i]);
  uint64_t samples = 0;
  for (auto _ : bench) {
    mirror.reset(decoded.front().base_time_ns);
    int64_t log = 0;
    for (size_t i = 0; i < decoded.size(); ++i) {
      log = std::max(log, decoded[i].base_time_ns);
      mirror.apply_samples(bindings[collect.batches[i].first], log, decoded[i]);
      samples += decoded[i].size();
    }
  }
  bench.SetItemsProcessed(static_cast<int64_t>(samples));
}
BENCHMARK(BM_MirrorApply_Plant250)->Unit(benchmark::kMillisecond);

// Decode + mirror from the protobuf bytes (no file, no decompression).
void BM_DecodeAndApply_Plant250(benchmark::State& bench) {
  const Collect& collect = first_batches();
  Mirror mirror(plant250());
  const std::vector<ChannelBinding> bindings = bind_all(mirror, collect);
  DecodedBatch batch;
  uint64_t samples = 0;
  for (auto _ : bench) {
    mirror.reset(0);
    int64_t log = 0;
    for (const auto& [channel, bytes] : collect.batches) {
      decode_sample_batch(bytes, batch);
      log = std::max(log, batch.base_time_ns);
      mirror.apply_samples(bindings[channel], log, batch);
      samples += batch.size();
    }
  }
  bench.SetItemsProcessed(static_cast<int64_t>(samples));
}
BENCHMARK(BM_DecodeAndApply_Plant250)->Unit(benchmark::kMillisecond);

// Seeks to random times of the shift using keyframes the player kept while playing it once
// (every 30 s): restore the nearest one, replay up to the target.
void BM_SeekKeyframesInMemory_Plant250(benchmark::State& bench) {
  const std::string& file = shift_file();
  Player player(plant250());
  PlayOptions po;
  po.keyframe_interval_s = 30.0;
  player.play(file, po);
  Rng rng(12345);
  uint64_t seeks = 0;
  for (auto _ : bench) {
    const double t = rng.uniform01() * 8 * 3600.0;
    if (!player.seek(file, t)) bench.SkipWithError("seek failed");
    ++seeks;
  }
  bench.counters["keyframes"] = static_cast<double>(player.keyframes().size());
}
BENCHMARK(BM_SeekKeyframesInMemory_Plant250)->Unit(benchmark::kMillisecond)->Iterations(50);

// Seeks to random times of a recorded shift by a player that has never played it: the
// snapshot before the target is found through the chunk indexes and restored, then the
// messages after it are replayed.
void BM_SeekRecordedSnapshots_Plant250(benchmark::State& bench) {
  const std::string& file = recorded_file();
  Rng rng(54321);
  uint64_t bytes = 0;
  for (auto _ : bench) {
    Player player(plant250());
    const double t = rng.uniform01() * 8 * 3600.0;
    PlayResult r;
    if (!player.seek(file, t, &r)) bench.SkipWithError("seek failed");
    if (r.keyframes_used != 1 && t > 60.0) bench.SkipWithError("seek did not use a snapshot");
    bytes += r.read.bytes_read;
  }
  bench.counters["MB_read_per_seek"] =
      static_cast<double>(bytes) / 1e6 / static_cast<double>(bench.iterations());
  bench.counters["file_MB"] = static_cast<double>(std::filesystem::file_size(file)) / 1e6;
}
BENCHMARK(BM_SeekRecordedSnapshots_Plant250)->Unit(benchmark::kMillisecond)->Iterations(50);

}  // namespace
}  // namespace twin
