#include "core/sim/rng.h"

namespace twin {

namespace {

constexpr uint64_t kGolden = 0x9e3779b97f4a7c15ULL;  // 2^64 / phi, SplitMix64's increment

}  // namespace

uint64_t hash_name(std::string_view name) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a 64 offset basis
  for (const char ch : name) {
    h ^= static_cast<uint8_t>(ch);
    h *= 0x100000001b3ULL;  // FNV-1a 64 prime
  }
  return h;
}

uint64_t mix64(uint64_t x) {
  // https://prng.di.unimi.it/splitmix64.c, output function (a bijection on 64-bit values).
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t Rng::stream_seed(uint64_t scenario_seed, uint64_t replication, uint64_t entity_key,
                          uint64_t stream_key) {
  // Chained mixing: each component is mixed on its own (offset by a distinct multiple of the
  // golden constant so equal values in different positions differ) and folded into a running
  // hash that is mixed again. Swapping two components changes the result.
  uint64_t h = mix64(scenario_seed + kGolden);
  h = mix64(h ^ mix64(replication + 2 * kGolden));
  h = mix64(h ^ mix64(entity_key + 3 * kGolden));
  h = mix64(h ^ mix64(stream_key + 4 * kGolden));
  return h;
}

void Rng::reseed(uint64_t seed) {
  // SplitMix64 generator as in the reference: state += golden, then output mix. The four
  // outputs come from four distinct inputs of a bijection, so at most one of them is zero and
  // the state is never all-zero.
  uint64_t x = seed;
  for (uint64_t& word : s_) {
    x += kGolden;
    word = mix64(x);
  }
}

}  // namespace twin
