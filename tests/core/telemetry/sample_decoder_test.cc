// The hand-written SampleBatch decoder against libprotobuf, the reference implementation.
#include "core/telemetry/sample_decoder.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/sim/rng.h"
#include "twin/telemetry.pb.h"

namespace twin {
namespace {

std::span<const uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

telemetry::SampleBatch random_batch(Rng& rng, bool with_quality) {
  telemetry::SampleBatch b;
  b.set_base_time_ns(1767592800000000000LL +
                     static_cast<int64_t>(rng.next_u64() % 1000000000000ULL));
  const int n = static_cast<int>(rng.next_u64() % 40);
  for (int i = 0; i < n; ++i) {
    b.add_tag(static_cast<uint32_t>(rng.next_u64() % 300));
    b.add_time_offset_ns(static_cast<int64_t>(rng.next_u64() % 4000000000ULL) - 2000000000LL);
    b.add_value(static_cast<float>((rng.uniform01() - 0.5) * 1e6));
    if (with_quality) b.add_quality(static_cast<telemetry::Quality>(rng.next_u64() % 3));
  }
  return b;
}

void expect_same(const telemetry::SampleBatch& ref, const DecodedBatch& got) {
  ASSERT_EQ(got.size(), static_cast<size_t>(ref.tag_size()));
  EXPECT_EQ(got.base_time_ns, ref.base_time_ns());
  for (int i = 0; i < ref.tag_size(); ++i) {
    EXPECT_EQ(got.tag[static_cast<size_t>(i)], ref.tag(i));
    EXPECT_EQ(got.offset_ns[static_cast<size_t>(i)], ref.time_offset_ns(i));
    EXPECT_EQ(got.value[static_cast<size_t>(i)], ref.value(i));
  }
  ASSERT_EQ(got.quality.size(), static_cast<size_t>(ref.quality_size()));
  for (int i = 0; i < ref.quality_size(); ++i)
    EXPECT_EQ(got.quality[static_cast<size_t>(i)], static_cast<uint8_t>(ref.quality(i)));
}

TEST(SampleDecoder, MatchesLibprotobufOnRandomBatches) {
  Rng rng(7);
  DecodedBatch got;
  for (int k = 0; k < 500; ++k) {
    const telemetry::SampleBatch b = random_batch(rng, k % 3 == 0);
    const std::string wire = b.SerializeAsString();
    std::string error;
    ASSERT_TRUE(decode_sample_batch(bytes_of(wire), got, &error)) << error;
    expect_same(b, got);
  }
}

// Writes a varint, for hand-made (unpacked) encodings.
void varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

TEST(SampleDecoder, AcceptsUnpackedEncodingAndSkipsUnknownFields) {
  // base_time_ns = 1000; two samples as unpacked fields; an unknown string field 9 and an
  // unknown fixed64 field 10 in between, as a newer writer might add.
  std::string w;
  varint(w, (1 << 3) | 0);
  varint(w, 1000);
  for (int i = 0; i < 2; ++i) {
    varint(w, (2 << 3) | 0);
    varint(w, static_cast<uint64_t>(5 + i));
    varint(w, (3 << 3) | 0);
    varint(w, i == 0 ? 3 : 4);  // zigzag: -2, +2
    varint(w, (4 << 3) | 5);
    const float f = i == 0 ? 1.5f : -2.25f;
    w.append(reinterpret_cast<const char*>(&f), 4);
    varint(w, (9 << 3) | 2);
    varint(w, 3);
    w += "abc";
    varint(w, (10 << 3) | 1);
    w.append(8, '\x01');
  }
  telemetry::SampleBatch ref;
  ASSERT_TRUE(ref.ParseFromString(w));  // libprotobuf agrees the bytes are valid
  DecodedBatch got;
  ASSERT_TRUE(decode_sample_batch(bytes_of(w), got));
  expect_same(ref, got);
  EXPECT_EQ(got.offset_ns[0], -2);
  EXPECT_EQ(got.offset_ns[1], 2);
}

TEST(SampleDecoder, RejectsTruncationAndMismatchedArraysLikeLibprotobuf) {
  Rng rng(11);
  const telemetry::SampleBatch b = random_batch(rng, true);
  const std::string wire = b.SerializeAsString();
  DecodedBatch got;
  for (size_t cut = 0; cut < wire.size(); ++cut) {
    const std::string prefix = wire.substr(0, cut);
    telemetry::SampleBatch ref;
    const bool ref_ok = ref.ParseFromString(prefix);
    const bool ok = decode_sample_batch(bytes_of(prefix), got);
    if (!ref_ok) {
      EXPECT_FALSE(ok) << "cut at " << cut << " parses for us but not for libprotobuf";
    }
    if (ok) expect_same(ref, got);
  }
  telemetry::SampleBatch odd;
  odd.add_tag(1);
  odd.add_tag(2);
  odd.add_time_offset_ns(0);
  odd.add_value(1.0f);
  std::string error;
  EXPECT_FALSE(decode_sample_batch(bytes_of(odd.SerializeAsString()), got, &error));
  EXPECT_NE(error.find("differ in length"), std::string::npos);
}

}  // namespace
}  // namespace twin
