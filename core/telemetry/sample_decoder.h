// Decodes twin.telemetry.SampleBatch (core/proto/twin/telemetry.proto) straight from protobuf
// wire bytes into reused arrays. This is the replay hot path (tens of millions of samples a
// second): libprotobuf's generic parser allocates repeated fields per message and costs several
// times more, so the few lines of wire format for this one message are decoded by hand. The
// result is checked against libprotobuf in tests and fuzzed (fuzz/mcap_fuzzer.cc).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace twin {

struct DecodedBatch {
  int64_t base_time_ns = 0;
  std::vector<uint32_t> tag;       // (n) tag index in the channel's tag list
  std::vector<int64_t> offset_ns;  // (n) [ns] from base_time_ns
  std::vector<float> value;        // (n)
  std::vector<uint8_t> quality;    // (n) or empty: all GOOD (telemetry::Quality values)
  size_t size() const { return tag.size(); }
  void clear() {
    base_time_ns = 0;
    tag.clear();
    offset_ns.clear();
    value.clear();
    quality.clear();
  }
};

// Accepts packed and unpacked encodings of the repeated fields (both are valid proto3) and
// skips unknown fields. Returns false, with the reason in `error` when given, for malformed
// bytes or arrays of different lengths; `out` is then unspecified.
bool decode_sample_batch(std::span<const uint8_t> bytes, DecodedBatch& out,
                         std::string* error = nullptr);

}  // namespace twin
