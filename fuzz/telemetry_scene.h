// The scene fuzz_telemetry mirrors and fuzz_telemetry_seed records its seeds from: a source,
// one machine, a buffer, a station of two machines and a sink, with the default tags.
#pragma once

namespace twin::fuzz {

inline constexpr const char* kTelemetryScene = R"yaml(
name: fuzz telemetry
sources:
  - name: In
stations:
  - name: S1
    input: [In]
    output: Mid
    cycle_time: 10
  - name: S2
    input: [Mid]
    output: Out
    machines: 2
    cycle_time: 18
buffers:
  - name: Mid
    capacity: 4
sinks:
  - name: Out
)yaml";

}  // namespace twin::fuzz
