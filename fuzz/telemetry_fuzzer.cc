// libFuzzer target for the telemetry path of replay: the hand-written SampleBatch decoder, the
// mirror and the snapshot format. The first byte picks what the rest is (low two bits) and a
// few options (the other bits):
//   0  [int64 log][SampleBatch]: decoded by decode_sample_batch and by libprotobuf, which must
//      agree; then applied to the mirror of a small scene (bits 2-3: which machine, bit 4: the
//      log time is the raw int64, else base_time_ns + (int32) ms).
//   1  records of mode changes, part events, advance_to and finish, 30 bytes each: uint8 op
//      (bits 0-1: mode change, part event, advance_to, finish; bit 7: raw int64 times, else
//      int32 ms steps from the previous log time and from the log time), int32 machine, int64
//      log time, int64 device time, int8 mode or part kind, double cycle time. Finish ends the
//      run (at the replay clock at the earliest, as the player does); bit 2: no reorder window.
//   2  an MCAP file, replayed by Player::play (bits 2-6: play options, see run_mcap).
//   3  bytes for deserialize_mirror_state (never crash; what it accepts serializes back).
// After each run: every sample counted exactly once, time in modes summing to the window, no
// NaN in the real KPIs, and the mirror state surviving serialize/deserialize exactly (the
// restored copy finishing bit-identically to the original).
//
// Malformed keys the two parsers treat differently, on purpose (excused below; the decoder
// is not wrong to skip them, and nothing a writer produces has them):
//  - field number 0: libprotobuf ends the message at "tag 0" and then fails (not at the end);
//    the decoder skips it like any unknown field.
//  - over-long keys (more than 5 bytes): libprotobuf refuses them; the decoder reads keys as
//    64-bit varints, so a zero-padded key still names its field.
//  - keys above 32 bits: libprotobuf silently drops the bits above 32 of a 5-byte key
//    (0x90 0x80 0x80 0x80 0x70 reads as field 2; 2^32 reads as tag 0 and fails), where the
//    decoder sees an unknown field and skips it. Both may succeed with different samples, so
//    such inputs are not compared at all.
// Inputs the decoder refuses while libprotobuf accepts are allowed (nothing wrong is accepted):
// wire types 3 and 4 (groups, deprecated) and arrays of different lengths (no rule in proto3).
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/mirror/mirror.h"
#include "core/mirror/mirror_snapshot.h"
#include "core/mirror/real_kpis.h"
#include "core/scene/load.h"
#include "core/telemetry/sample_decoder.h"
#include "core/telemetry/telemetry.h"
#include "fuzz/telemetry_scene.h"
#include "models/process/line_model.h"
#include "replay/player.h"
#include "twin/telemetry.pb.h"

namespace {

using twin::Mirror;
using twin::MirrorState;

// Seeds are recorded from the fuzzer's own scene.
constexpr const char* kScene = twin::fuzz::kTelemetryScene;

// Tag list of the samples channel in mode 0: the default tags, with an unknown one at index 2.
const std::vector<std::string> kTags = {"current",     "power",       "nope",
                                        "temperature", "vibration",   "tool_wear",
                                        "good_count",  "scrap_count", "cycle_time"};
const char* const kMachines[] = {"S1", "S2#1", "S2#2", "Nope"};

constexpr int64_t kOrigin = 1767592800LL * 1000000000LL;  // 2026-01-05 06:00 UTC
constexpr int64_t kMs = 1000000;
constexpr size_t kRecordSize = 30;

[[noreturn]] void fail(const char* what, const std::string& detail = {}) {
  std::fprintf(stderr, "fuzz_telemetry: %s%s%s\n", what, detail.empty() ? "" : ": ",
               detail.c_str());
  std::abort();
}

const twin::Model& model() {
  static const twin::SceneLoadResult loaded = [] {
    twin::SceneLoadResult r = twin::load_scene_text(kScene, "fuzz_telemetry.yaml");
    if (!r.ok()) fail("scene does not load", r.errors.front().to_string());
    return r;
  }();
  return loaded.model;
}

int64_t sat_add(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r))
    return b > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
  return r;
}

template <typename T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

std::string str(uint64_t v) {
  return std::to_string(v);
}

// ---- Mode 0: the decoder against libprotobuf ----

// A varint as libprotobuf's key reader sees it: returns the byte count, 0 when truncated.
size_t varint_at(std::span<const uint8_t> b, size_t pos, uint64_t& v) {
  v = 0;
  for (size_t i = 0; i < 10 && pos + i < b.size(); ++i) {
    v |= static_cast<uint64_t>(b[pos + i] & 0x7f) << (7 * i);
    if ((b[pos + i] & 0x80) == 0) return i + 1;
  }
  return 0;
}

// True when the bytes hold a top-level key the two parsers read differently (see the file
// comment). Walks the fields the way decode_sample_batch does.
bool has_excused_key(std::span<const uint8_t> b) {
  size_t pos = 0;
  while (pos < b.size()) {
    uint64_t key = 0;
    const size_t n = varint_at(b, pos, key);
    if (n == 0) return false;
    if ((key >> 3) == 0 || key > 0xffffffffu || n > 5) return true;
    pos += n;
    uint64_t v = 0;
    switch (key & 7) {
      case 0: {
        const size_t m = varint_at(b, pos, v);
        if (m == 0) return false;
        pos += m;
        break;
      }
      case 1:
        pos += 8;
        break;
      case 2: {
        const size_t m = varint_at(b, pos, v);
        if (m == 0 || v > b.size()) return false;
        pos += m + static_cast<size_t>(v);
        break;
      }
      case 5:
        pos += 4;
        break;
      default:
        return false;
    }
  }
  return false;
}

void compare_with_libprotobuf(std::span<const uint8_t> bytes, const twin::DecodedBatch& got) {
  if (has_excused_key(bytes)) return;
  twin::telemetry::SampleBatch ref;
  if (!ref.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    fail("decode_sample_batch accepts what libprotobuf rejects");
  if (got.base_time_ns != ref.base_time_ns())
    fail("base_time_ns differs", str(static_cast<uint64_t>(got.base_time_ns)) + " vs " +
                                     str(static_cast<uint64_t>(ref.base_time_ns())));
  const size_t n = got.size();
  if (static_cast<size_t>(ref.tag_size()) != n ||
      static_cast<size_t>(ref.time_offset_ns_size()) != n ||
      static_cast<size_t>(ref.value_size()) != n ||
      static_cast<size_t>(ref.quality_size()) != got.quality.size())
    fail("array lengths differ");
  for (size_t i = 0; i < n; ++i) {
    const int k = static_cast<int>(i);
    if (got.tag[i] != ref.tag(k)) fail("tag differs", "sample " + str(i));
    if (got.offset_ns[i] != ref.time_offset_ns(k))
      fail("time_offset_ns differs", "sample " + str(i));
    const float a = got.value[i];
    const float b = ref.value(k);
    if (std::memcmp(&a, &b, sizeof(float)) != 0) fail("value bits differ", "sample " + str(i));
  }
  for (size_t i = 0; i < got.quality.size(); ++i) {
    // The decoder saturates at 255 (worse than BAD): any value outside 0..254 reads as 255.
    const int32_t q = ref.quality(static_cast<int>(i));
    const uint8_t expected = q >= 0 && q < 255 ? static_cast<uint8_t>(q) : uint8_t{255};
    if (got.quality[i] != expected)
      fail("quality differs", "sample " + str(i) + ": " + str(got.quality[i]) + " vs libprotobuf " +
                                  std::to_string(q));
  }
}

// ---- Checks after each run ----

void check_counters(const twin::MirrorCounters& c) {
  const uint64_t sum = c.applied + c.superseded + c.duplicates + c.late + c.future + c.past +
                       c.non_finite + c.bad_quality + c.unknown_tag + c.unknown_machine +
                       c.bad_tag_index;
  if (sum != c.samples_in)
    fail("samples not counted exactly once",
         "samples_in " + str(c.samples_in) + ", sum of outcomes " + str(sum));
}

void check_kpis(const twin::Model& m, const Mirror& mirror, int64_t end_ns) {
  const MirrorState& s = mirror.state();
  // Time in mode is counted up to the window end when one was set in advance (the player
  // sets a recording's shift end).
  int64_t window_ns = 0;
  if (!__builtin_sub_overflow(std::min(end_ns, s.window_end_ns), s.origin_ns, &window_ns) &&
      window_ns >= 0) {
    const double window = static_cast<double>(window_ns) * 1e-9;
    for (size_t i = 0; i < s.mode_seconds.size(); ++i) {
      double sum = 0.0;
      for (double v : s.mode_seconds[i]) sum += v;
      if (!(std::abs(sum - window) <= 1e-6 * window + 1e-6)) {
        char buf[160];
        std::snprintf(buf, sizeof buf, "machine %zu: %.9f s in modes, window %.9f s", i, sum,
                      window);
        fail("time in modes does not sum to the window", buf);
      }
    }
  }
  const twin::ReplicationKpis k = twin::compute_real_kpis(m, mirror, end_ns);
  for (const twin::Metric& metric : twin::flatten_kpis(m, k)) {
    if (std::isnan(metric.value)) fail("NaN in the real KPIs", metric.key);
  }
}

bool same_state(const MirrorState& a, const MirrorState& b) {
  return twin::serialize_mirror_state(a) == twin::serialize_mirror_state(b);
}

// Serializes the state, restores it into a second mirror, finishes both at `end_ns` and checks
// that they agree: the snapshot holds everything the mirror needs to continue.
void finish_with_round_trip(Mirror& mirror, int64_t end_ns) {
  const std::string bytes = twin::serialize_mirror_state(mirror.state());
  Mirror copy(model(), mirror.options());
  std::string error;
  if (!twin::deserialize_mirror_state(bytes, copy.names(), copy.mutable_state(), &error))
    fail("serialized mirror state does not deserialize", error);
  if (twin::serialize_mirror_state(copy.state()) != bytes)
    fail("mirror state round trip is not exact");
  mirror.finish(end_ns);
  copy.finish(end_ns);
  if (!same_state(mirror.state(), copy.state())) fail("restored mirror state finishes differently");
}

void check_all(Mirror& mirror, int64_t end_ns) {
  finish_with_round_trip(mirror, end_ns);
  check_counters(mirror.state().counters);
  check_kpis(model(), mirror, end_ns);
}

// ---- Mode 0 ----

void run_batch(uint8_t options, std::span<const uint8_t> rest) {
  if (rest.size() < 8) return;
  const int64_t raw_log = load<int64_t>(rest.data());
  const std::span<const uint8_t> bytes = rest.subspan(8);
  twin::DecodedBatch batch;
  if (!twin::decode_sample_batch(bytes, batch)) return;
  compare_with_libprotobuf(bytes, batch);

  const int64_t log = (options & 0x10) != 0
                          ? raw_log
                          : sat_add(batch.base_time_ns, static_cast<int32_t>(raw_log) * kMs);
  Mirror mirror(model());
  const int64_t origin = sat_add(log, -60000 * kMs);
  mirror.reset(origin);
  const twin::ChannelBinding binding = mirror.bind_samples(kMachines[(options >> 2) & 3], kTags);
  mirror.apply_samples(binding, log, batch);
  // Again a second later: duplicates, or out of order behind the first.
  const int64_t again = sat_add(log, 1000 * kMs);
  mirror.apply_samples(binding, again, batch);
  const int64_t end = sat_add(again, 10000 * kMs);
  mirror.advance_to(end);
  check_all(mirror, end);
}

// ---- Mode 1 ----

void run_events(uint8_t options, std::span<const uint8_t> rest) {
  twin::MirrorOptions mo;
  if ((options & 0x04) != 0) mo.reorder_window_s = 0.0;
  Mirror mirror(model(), mo);
  mirror.reset(kOrigin);
  int64_t log = kOrigin;
  int64_t last_log = kOrigin;
  int64_t end = std::numeric_limits<int64_t>::min();
  for (size_t at = 0; at + kRecordSize <= rest.size(); at += kRecordSize) {
    const uint8_t* r = rest.data() + at;
    const uint8_t op = r[0];
    const int32_t machine = load<int32_t>(r + 1);
    const int64_t log_field = load<int64_t>(r + 5);
    const int64_t dev_field = load<int64_t>(r + 13);
    const int8_t code = static_cast<int8_t>(r[21]);
    const double cycle = load<double>(r + 22);
    int64_t device = 0;
    if ((op & 0x80) != 0) {  // raw times
      log = log_field;
      device = dev_field;
    } else {  // ms steps: log from the previous record, device time from log
      log = sat_add(log, static_cast<int64_t>(static_cast<int32_t>(log_field)) * kMs);
      device = sat_add(log, static_cast<int64_t>(static_cast<int32_t>(dev_field)) * kMs);
    }
    switch (op & 3) {
      case 0:
        mirror.add_mode_change(machine, log, device, static_cast<twin::telemetry::Mode>(code));
        break;
      case 1:
        mirror.add_part_event(machine, log, device,
                              static_cast<twin::telemetry::PartEvent::Kind>(code), cycle);
        break;
      case 2:
        mirror.advance_to(log);
        break;
      default:
        end = log;
        break;
    }
    last_log = std::max(last_log, log);
    if (end != std::numeric_limits<int64_t>::min()) break;
  }
  // As Player::play: the window ends at the latest arrival unless told otherwise, and the
  // clock is advanced to the end first (finish never closes the window behind the clock).
  if (end == std::numeric_limits<int64_t>::min()) end = last_log;
  end = std::max(end, mirror.state().now_ns);
  mirror.advance_to(end);
  check_all(mirror, end);
}

// ---- Mode 2: an MCAP file through the real Player ----
//
// Player::play reads a path, so the bytes go to a memfd (no disk) opened as /proc/self/fd/N:
// the fuzzer then runs the player itself rather than a copy of its message routing that
// would drift from it.

struct Memfd {
  int fd = -1;
  std::string path;
};

const Memfd& memfd() {
  static const Memfd m = [] {
    Memfd r;
    r.fd = memfd_create("fuzz_telemetry.mcap", 0);
    if (r.fd < 0) fail("memfd_create failed");
    r.path = "/proc/self/fd/" + std::to_string(r.fd);
    return r;
  }();
  return m;
}

bool write_memfd(std::span<const uint8_t> bytes) {
  const int fd = memfd().fd;
  if (ftruncate(fd, 0) != 0) return false;
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n =
        pwrite(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// Mid-run (at a keyframe): the state restored from bytes continues like a plain copy.
void check_keyframe(const Mirror& mirror) {
  check_counters(mirror.state().counters);
  const std::string bytes = twin::serialize_mirror_state(mirror.state());
  Mirror copied(model(), mirror.options());
  copied.mutable_state() = mirror.state();
  Mirror restored(model(), mirror.options());
  if (!twin::deserialize_mirror_state(bytes, restored.names(), restored.mutable_state()))
    fail("keyframe state does not deserialize");
  const int64_t end = sat_add(mirror.state().now_ns, 60000 * kMs);
  copied.advance_to(end);
  restored.advance_to(end);
  copied.finish(end);
  restored.finish(end);
  if (!same_state(copied.state(), restored.state()))
    fail("keyframe state restored from bytes continues differently");
}

// Options: bit 2 from_s = 5, bit 3 to_s = 25, bit 4 keyframes every 10 s (checked), bit 5
// series every 5 s (checked), bit 6 seek to 15 s after the play.
void run_mcap(uint8_t options, std::span<const uint8_t> rest) {
  if (!write_memfd(rest)) fail("cannot write the memfd");
  twin::PlayOptions po;
  if ((options & 0x04) != 0) po.from_s = 5.0;
  if ((options & 0x08) != 0) po.to_s = 25.0;
  if ((options & 0x10) != 0) {
    po.keyframe_interval_s = 10.0;
    po.on_keyframe = [](int64_t, const Mirror& mirror) { check_keyframe(mirror); };
  }
  if ((options & 0x20) != 0) {
    po.series_interval_s = 5.0;
    po.on_series = [](double, const Mirror& mirror) { check_counters(mirror.state().counters); };
  }
  twin::Player player(model());
  const twin::PlayResult r = player.play(memfd().path, po);
  if (!r.ok) return;
  const Mirror& mirror = player.mirror();
  check_counters(mirror.state().counters);
  check_kpis(model(), mirror, r.window_end_ns);
  const std::string bytes = twin::serialize_mirror_state(mirror.state());
  MirrorState copy;
  if (!twin::deserialize_mirror_state(bytes, mirror.names(), copy) ||
      twin::serialize_mirror_state(copy) != bytes)
    fail("mirror state round trip is not exact");
  if ((options & 0x40) != 0 && player.seek(memfd().path, 15.0))
    check_counters(player.mirror().state().counters);
}

// ---- Mode 3 ----

void run_state(std::span<const uint8_t> rest) {
  static const twin::MirrorModel names = twin::build_mirror_model(model(), {});
  const std::string_view bytes(reinterpret_cast<const char*>(rest.data()), rest.size());
  MirrorState state;
  if (!twin::deserialize_mirror_state(bytes, names, state)) return;
  if (twin::serialize_mirror_state(state) != bytes)
    fail("accepted mirror state does not serialize back to the same bytes");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t options = data[0];
  const std::span<const uint8_t> rest(data + 1, size - 1);
  switch (options & 3) {
    case 0:
      run_batch(options, rest);
      break;
    case 1:
      run_events(options, rest);
      break;
    case 2:
      run_mcap(options, rest);
      break;
    default:
      run_state(rest);
      break;
  }
  return 0;
}
