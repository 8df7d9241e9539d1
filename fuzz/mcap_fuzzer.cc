// libFuzzer target for the MCAP reader (outside data: recordings from any writer). Runs the
// summary-indexed read, a time-range read and the recovery scan over the same bytes.
#include <cstddef>
#include <cstdint>
#include <span>

#include "replay/mcap_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  const twin::mcap::ReadResult full = twin::mcap::read_mcap_bytes(bytes);
  (void)twin::mcap::describe_damage(full);
  (void)twin::mcap::read_mcap_range_bytes(bytes, 1000, 2000000000);
  (void)twin::mcap::scan_mcap_bytes(bytes);
  return 0;
}
