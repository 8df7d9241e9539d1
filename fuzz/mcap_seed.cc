// Writes a few small MCAP files (one per compression, one without a summary) with
// McapWriter, as seeds for fuzz_mcap. Usage: fuzz_mcap_seed OUT_DIR
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "replay/mcap_writer.h"

namespace {

bool write_seed(const std::string& path, twin::mcap::Compression compression, bool summary) {
  twin::mcap::McapWriter w;
  if (!w.open(path, "twin", compression, 256, summary)) return false;
  const std::vector<uint8_t> schema = {'s', 'c', 'h', 'e', 'm', 'a'};
  const uint16_t s = w.add_schema("twin.Event", "protobuf", schema);
  const uint16_t a = w.add_channel(s, "/line/events", "protobuf", {{"k", "v"}});
  const uint16_t b = w.add_channel(0, "/raw", "json");
  for (uint32_t i = 0; i < 12; ++i) {
    const std::vector<uint8_t> payload(8 + i, static_cast<uint8_t>('a' + i));
    const uint64_t t = 1000ull * (i + 1);
    if (!w.write_message(i % 2 == 0 ? a : b, i, t, t, payload)) return false;
  }
  return w.close();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  bool ok = write_seed(dir + "/zstd.mcap", twin::mcap::Compression::Zstd, true) &&
            write_seed(dir + "/lz4.mcap", twin::mcap::Compression::Lz4, true) &&
            write_seed(dir + "/none.mcap", twin::mcap::Compression::None, true) &&
            write_seed(dir + "/no_summary.mcap", twin::mcap::Compression::Zstd, false);
  if (!ok) std::fprintf(stderr, "fuzz_mcap_seed: cannot write seeds to %s\n", dir.c_str());
  return ok ? 0 : 1;
}
