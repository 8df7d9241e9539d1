// libFuzzer target for the Sparkplug B host session (core/live/): arbitrary sequences of
// (topic, payload, receive time) must never crash or hang it, whatever the bytes. Input layout,
// repeated: topic selector byte, payload length (u16 LE), payload bytes, time step (u8, in
// 100 ms). The selector picks one of a few valid topics (so the session state machine is
// reached) or, for values >= 0xF0, takes the next selector-low-nibble bytes as a raw topic.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/live/sparkplug_session.h"
#include "core/live/sparkplug_topic.h"

namespace {

constexpr std::string_view kTopics[] = {
    "spBv1.0/line/NBIRTH/edge1",      "spBv1.0/line/NDATA/edge1",
    "spBv1.0/line/NDEATH/edge1",      "spBv1.0/line/DBIRTH/edge1/Mill",
    "spBv1.0/line/DDATA/edge1/Mill",  "spBv1.0/line/DDEATH/edge1/Mill",
    "spBv1.0/line/NBIRTH/edge2",      "spBv1.0/line/NDATA/edge2",
    "spBv1.0/line/NCMD/edge1",        "spBv1.0/STATE/twin",
    "spBv1.0/other/DDATA/edge1/Mill", "spAv1.0/line/NDATA/edge1",
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  twin::SparkplugHost::Options options;
  options.max_messages_per_second = 50;  // reach the rate limiter with small inputs
  twin::SparkplugHost host(options);
  size_t pos = 0;
  int64_t now_ns = 1767592800LL * 1000000000LL;
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
  }
  return 0;
}
