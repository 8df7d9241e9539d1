// libFuzzer target for the Sparkplug B host session (core/live/) and the live twin behind it
// (core/mirror/live_twin.h): arbitrary sequences of (topic, payload, receive time) must never
// crash or hang them, whatever the bytes; every sample is counted exactly once and the state
// changes the twin publishes are numbered without gaps. Input layout,
// repeated: topic selector byte, payload length (u16 LE), payload bytes, time step (u8, in
// 100 ms). The selector picks one of a few valid topics (so the session state machine is
// reached) or, for values >= 0xF0, takes the next selector-low-nibble bytes as a raw topic.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <cstdio>
#include <cstdlib>

#include "core/live/sparkplug_session.h"
#include "core/live/sparkplug_topic.h"
#include "core/live/state_hub.h"
#include "core/mirror/live_twin.h"
#include "core/scene/load.h"

namespace {

constexpr std::string_view kTopics[] = {
    "spBv1.0/line/NBIRTH/edge1",      "spBv1.0/line/NDATA/edge1",
    "spBv1.0/line/NDEATH/edge1",      "spBv1.0/line/DBIRTH/edge1/Mill",
    "spBv1.0/line/DDATA/edge1/Mill",  "spBv1.0/line/DDEATH/edge1/Mill",
    "spBv1.0/line/NBIRTH/edge2",      "spBv1.0/line/NDATA/edge2",
    "spBv1.0/line/NCMD/edge1",        "spBv1.0/STATE/twin",
    "spBv1.0/other/DDATA/edge1/Mill", "spAv1.0/line/NDATA/edge1",
};

// A machine named like the device of the topics above ("Mill"), with the default tags.
constexpr const char* kScene = R"yaml(
name: fuzz sparkplug
sources:
  - name: In
stations:
  - name: Mill
    input: [In]
    output: Out
    cycle_time: 10
sinks:
  - name: Out
)yaml";

const twin::Model& model() {
  static const twin::SceneLoadResult scene = twin::load_scene_text(kScene, "fuzz_sparkplug");
  if (!scene.ok()) std::abort();
  return scene.model;
}

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz_sparkplug: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  twin::SparkplugHost::Options options;
  options.max_messages_per_second = 50;  // reach the rate limiter with small inputs
  twin::SparkplugHost host(options);
  twin::StateHub hub;
  auto changes = hub.subscribe(1u << 16);
  twin::LiveTwinOptions live_options;
  live_options.sparkplug = options;
  twin::LiveTwin live(model(), hub, live_options);
  size_t pos = 0;
  int64_t now_ns = 1767592800LL * 1000000000LL;
  live.reset(now_ns);
  while (pos < size) {
    const uint8_t selector = data[pos++];
    std::string topic;
    if (selector >= 0xF0) {
      const size_t n = selector & 0x0F;
      if (size - pos < n) break;
      topic.assign(reinterpret_cast<const char*>(data + pos), n);
      pos += n;
    } else {
      topic = kTopics[selector % (sizeof(kTopics) / sizeof(kTopics[0]))];
    }
    if (size - pos < 2) break;
    size_t len = data[pos] | (size_t{data[pos + 1]} << 8);
    pos += 2;
    if (len > size - pos) len = size - pos;
    const std::span<const uint8_t> payload(data + pos, len);
    pos += len;
    if (pos < size) now_ns += int64_t{data[pos++]} * 100'000'000;
    const twin::SparkplugHost::Result& r = host.handle(topic, payload, now_ns);
    // Touch what the result points into: views must be valid until the next call.
    size_t total = 0;
    for (const auto& u : r.updates) total += u.metric.size() + u.device.size() + u.text.size();
    for (const auto& a : r.actions) total += a.topic.size() + a.payload.size();
    if (total == static_cast<size_t>(-1)) __builtin_trap();
    twin::SparkplugTopic parsed;
    twin::parse_sparkplug_topic(topic, parsed);
    live.handle(topic, payload, now_ns);
    if ((pos & 7) == 0) live.tick(now_ns);
  }
  live.tick(now_ns + 10'000'000'000);
  const twin::MirrorCounters& c = live.mirror().state().counters;
  const uint64_t outcomes = c.applied + c.superseded + c.duplicates + c.late + c.future + c.past +
                            c.non_finite + c.bad_quality + c.unknown_tag + c.unknown_machine +
                            c.bad_tag_index;
  if (outcomes != c.samples_in) fail("samples not counted exactly once");
  std::vector<twin::StateChangePtr> got;
  changes->pop(got, std::chrono::milliseconds(0));
  for (size_t i = 0; i < got.size(); ++i) {
    if (got[i]->seq() != i + 1) fail("state changes are not numbered without gaps");
  }
  const twin::live::Snapshot snapshot = live.make_snapshot(now_ns);
  if (snapshot.ingest().messages() != live.counters().messages) fail("snapshot counters");
  return 0;
}
