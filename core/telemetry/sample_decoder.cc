#include "core/telemetry/sample_decoder.h"

#include <cstring>

namespace twin {

namespace {

class Wire {
 public:
  Wire(const uint8_t* p, const uint8_t* end) : p_(p), end_(end) {}
  bool done() const { return p_ >= end_; }
  bool varint(uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ >= end_) return false;
      const uint8_t b = *p_++;
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return true;
    }
    return false;  // more than 10 bytes
  }
  bool fixed32(uint32_t& v) {
    if (end_ - p_ < 4) return false;
    std::memcpy(&v, p_, 4);  // little-endian host (x86-64, arm64)
    p_ += 4;
    return true;
  }
  bool skip(uint64_t n) {
    if (static_cast<uint64_t>(end_ - p_) < n) return false;
    p_ += n;
    return true;
  }
  bool sub(Wire& inner) {
    uint64_t n = 0;
    if (!varint(n) || static_cast<uint64_t>(end_ - p_) < n) return false;
    inner = Wire(p_, p_ + n);
    p_ += n;
    return true;
  }
  const uint8_t* at() const { return p_; }
  size_t left() const { return static_cast<size_t>(end_ - p_); }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

int64_t unzigzag(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

// An enum varint as libprotobuf reads it (low 32 bits, as int32), saturated to a byte: values
// outside 0..254 (no Quality we know) read as 255, worse than BAD.
uint8_t quality_of(uint64_t v) {
  const int32_t q = static_cast<int32_t>(static_cast<uint32_t>(v));
  return q >= 0 && q < 255 ? static_cast<uint8_t>(q) : uint8_t{255};
}

bool fail(std::string* error, const char* what) {
  if (error != nullptr) *error = what;
  return false;
}

}  // namespace

bool decode_sample_batch(std::span<const uint8_t> bytes, DecodedBatch& out, std::string* error) {
  out.clear();
  Wire in(bytes.data(), bytes.data() + bytes.size());
  while (!in.done()) {
    uint64_t key = 0;
    if (!in.varint(key)) return fail(error, "truncated field key");
    const uint64_t field = key >> 3;
    const uint32_t wire = static_cast<uint32_t>(key & 7);
    uint64_t v = 0;
    if (field == 1 && wire == 0) {
      if (!in.varint(v)) return fail(error, "truncated base_time_ns");
      out.base_time_ns = static_cast<int64_t>(v);
    } else if ((field == 2 || field == 3 || field == 5) && wire == 0) {
      if (!in.varint(v)) return fail(error, "truncated varint");
      if (field == 2) out.tag.push_back(static_cast<uint32_t>(v));
      if (field == 3) out.offset_ns.push_back(unzigzag(v));
      if (field == 5) out.quality.push_back(quality_of(v));
    } else if ((field == 2 || field == 3 || field == 5) && wire == 2) {
      Wire packed(nullptr, nullptr);
      if (!in.sub(packed)) return fail(error, "truncated packed field");
      while (!packed.done()) {
        if (!packed.varint(v)) return fail(error, "truncated packed varint");
        if (field == 2) out.tag.push_back(static_cast<uint32_t>(v));
        if (field == 3) out.offset_ns.push_back(unzigzag(v));
        if (field == 5) out.quality.push_back(quality_of(v));
      }
    } else if (field == 4 && wire == 2) {
      Wire packed(nullptr, nullptr);
      if (!in.sub(packed)) return fail(error, "truncated packed values");
      if (packed.left() % 4 != 0) return fail(error, "packed float field not a multiple of 4");
      const size_t n = packed.left() / 4;
      if (n > 0) {  // memcpy from or to null is undefined even for 0 bytes
        const size_t at = out.value.size();
        out.value.resize(at + n);
        std::memcpy(out.value.data() + at, packed.at(), n * 4);
      }
    } else if (field == 4 && wire == 5) {
      uint32_t bits = 0;
      if (!in.fixed32(bits)) return fail(error, "truncated float");
      float f;
      std::memcpy(&f, &bits, 4);
      out.value.push_back(f);
    } else {
      // Unknown field (or a known one with another wire type): skip it.
      bool ok = true;
      switch (wire) {
        case 0:
          ok = in.varint(v);
          break;
        case 1:
          ok = in.skip(8);
          break;
        case 2: {
          Wire skipped(nullptr, nullptr);
          ok = in.sub(skipped);
          break;
        }
        case 5:
          ok = in.skip(4);
          break;
        default:
          return fail(error, "unsupported wire type");
      }
      if (!ok) return fail(error, "truncated unknown field");
    }
  }
  const size_t n = out.tag.size();
  if (out.offset_ns.size() != n || out.value.size() != n ||
      (!out.quality.empty() && out.quality.size() != n))
    return fail(error, "tag, time_offset_ns, value and quality arrays differ in length");
  return true;
}

}  // namespace twin
