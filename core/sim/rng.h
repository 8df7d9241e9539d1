// Random number streams. One generator per named stream, seeded from
// (scenario seed, replication, entity name, stream name), so adding a machine to a scene or
// running replications on other threads never changes another entity's draws (common random
// numbers for what-if comparisons come for free).
#pragma once

#include <cstdint>
#include <string_view>

namespace twin {

// 64-bit FNV-1a of a string: stable across platforms and runs, used to key streams by name.
uint64_t hash_name(std::string_view name);

// SplitMix64 finaliser: mixes a 64-bit value into a well-spread one.
uint64_t mix64(uint64_t x);

// xoshiro256++ (Blackman & Vigna 2019). Plain data: copying it forks the stream.
class Rng {
 public:
  Rng() = default;
  explicit Rng(uint64_t seed) { reseed(seed); }

  // Seed of the stream named `stream` of entity `entity` in replication `replication`.
  static uint64_t stream_seed(uint64_t scenario_seed, uint64_t replication, uint64_t entity_key,
                              uint64_t stream_key);

  // Expands `seed` into the 256-bit state with SplitMix64 (never the all-zero state).
  void reseed(uint64_t seed);
  uint64_t next_u64();
  // Uniform on the open interval (0, 1), from the top 52 bits (2^-52 resolution, values in
  // [2^-53, 1 - 2^-53]): safe to take a log of, and of 1 - u.
  double uniform01();

 private:
  uint64_t s_[4] = {0, 0, 0, 0};  // generator state
};

// The hot path is inline: the simulator draws in its event loop.

inline uint64_t Rng::next_u64() {
  // Reference algorithm: https://prng.di.unimi.it/xoshiro256plusplus.c
  const auto rotl = [](uint64_t x, int k) { return (x << k) | (x >> (64 - k)); };
  const uint64_t result = rotl(s_[0] + s_[3], 23) + s_[0];
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

inline double Rng::uniform01() {
  // Midpoints of 2^52 equal cells: ((x >> 12) + 0.5) * 2^-52. Every value is an exact double,
  // the smallest is 2^-53 and the largest 1 - 2^-53, and u and 1 - u have the same
  // distribution. (With 53 bits, ((x >> 11) + 0.5) * 2^-53 is not exact above 0.5, where
  // doubles are 2^-53 apart: the sum rounds to even, which gives 52-bit resolution there
  // anyway and returns exactly 1.0 for the largest input.)
  constexpr double kTwoToMinus52 = 1.0 / 4503599627370496.0;
  return (static_cast<double>(next_u64() >> 12) + 0.5) * kTwoToMinus52;
}

}  // namespace twin
