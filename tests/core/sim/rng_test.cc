#include "core/sim/rng.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <set>

namespace twin {
namespace {

// Golden outputs. These were computed once with the published reference code, compiled
// verbatim from https://prng.di.unimi.it/ (splitmix64.c to expand the seed into s[0..3], then
// xoshiro256plusplus.c's next()), not with this implementation. As a check of that reference
// build, state {1, 2, 3, 4} gave 41943041, 58720359, 3588806011781223, 3591011842654386, the
// widely published xoshiro256++ test vector.
TEST(RngTest, MatchesReferenceXoshiro256PlusPlusSeed0) {
  constexpr std::array<uint64_t, 6> kExpected = {0x53175d61490b23dfULL, 0x61da6f3dc380d507ULL,
                                                 0x5c0fdf91ec9a7bfcULL, 0x02eebf8c3bbe5e1aULL,
                                                 0x7eca04ebaf4a5eeaULL, 0x0543c37757f08d9aULL};
  Rng rng(0);
  for (const uint64_t expected : kExpected) EXPECT_EQ(rng.next_u64(), expected);
}

TEST(RngTest, MatchesReferenceXoshiro256PlusPlusSeed42) {
  constexpr std::array<uint64_t, 6> kExpected = {0xd0764d4f4476689fULL, 0x519e4174576f3791ULL,
                                                 0xfbe07cfb0c24ed8cULL, 0xb37d9f600cd835b8ULL,
                                                 0xcb231c3874846a73ULL, 0x968d9f004e50de7dULL};
  Rng rng(42);
  for (const uint64_t expected : kExpected) EXPECT_EQ(rng.next_u64(), expected);
}

TEST(RngTest, MatchesReferenceXoshiro256PlusPlusLargeSeed) {
  constexpr std::array<uint64_t, 6> kExpected = {0xb2f2a310e96bd1c5ULL, 0xb54062465b950493ULL,
                                                 0x87aca4a9668814b0ULL, 0xf13d2e2448a9cffbULL,
                                                 0xb7afdb427f6b86a2ULL, 0xc3a68c4e4f50d0c7ULL};
  Rng rng;
  rng.reseed(0x0123456789abcdefULL);
  for (const uint64_t expected : kExpected) EXPECT_EQ(rng.next_u64(), expected);
}

TEST(RngTest, HashNameIsFnv1a64) {
  // Published FNV-1a 64 test vectors.
  EXPECT_EQ(hash_name(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(hash_name("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(hash_name("foobar"), 0x85944171f73967e8ULL);
}

TEST(RngTest, Mix64IsSplitMix64Finaliser) {
  // SplitMix64 seeded with 0 outputs mix64(0x9e3779b97f4a7c15) first; its published first
  // output is 0xe220a8397b1dcdaf.
  EXPECT_EQ(mix64(0x9e3779b97f4a7c15ULL), 0xe220a8397b1dcdafULL);
  EXPECT_EQ(mix64(0), 0u);
}

// Regression golden of this implementation's stream seeding (not from a reference): changing
// it changes every simulation result, so it must be a deliberate decision.
TEST(RngTest, StreamSeedGolden) {
  EXPECT_EQ(Rng::stream_seed(1, 0, hash_name("m1"), hash_name("cycle")),
            Rng::stream_seed(1, 0, hash_name("m1"), hash_name("cycle")));
  const uint64_t seed = Rng::stream_seed(1, 0, hash_name("m1"), hash_name("cycle"));
  EXPECT_EQ(seed, 0x4be574007d23f320ULL) << std::hex << seed;
}

TEST(RngTest, StreamsWithDifferentKeysDiffer) {
  const uint64_t base = Rng::stream_seed(7, 3, hash_name("press"), hash_name("cycle"));
  std::set<uint64_t> seeds = {base};
  seeds.insert(Rng::stream_seed(8, 3, hash_name("press"), hash_name("cycle")));
  seeds.insert(Rng::stream_seed(7, 4, hash_name("press"), hash_name("cycle")));
  seeds.insert(Rng::stream_seed(7, 3, hash_name("lathe"), hash_name("cycle")));
  seeds.insert(Rng::stream_seed(7, 3, hash_name("press"), hash_name("failure")));
  // Swapping entity and stream keys, or replication and seed, must not collide either.
  seeds.insert(Rng::stream_seed(7, 3, hash_name("cycle"), hash_name("press")));
  seeds.insert(Rng::stream_seed(3, 7, hash_name("press"), hash_name("cycle")));
  // All-zero inputs are a valid stream too.
  seeds.insert(Rng::stream_seed(0, 0, 0, 0));
  EXPECT_EQ(seeds.size(), 8u);

  // And the streams themselves differ from the first draw on.
  std::set<uint64_t> first;
  for (const uint64_t s : seeds) first.insert(Rng(s).next_u64());
  EXPECT_EQ(first.size(), seeds.size());
}

TEST(RngTest, NeighbouringReplicationsAreUncorrelated) {
  // Streams of consecutive replications: the fraction of equal bits between paired outputs
  // should be about 1/2 (standard error 0.5 / sqrt(64 * 10000) = 6.25e-4; allow 5 SE).
  Rng a(Rng::stream_seed(1, 0, 1, 1));
  Rng b(Rng::stream_seed(1, 1, 1, 1));
  int64_t equal_bits = 0;
  constexpr int kDraws = 10000;
  for (int i = 0; i < kDraws; ++i) {
    equal_bits += 64 - __builtin_popcountll(a.next_u64() ^ b.next_u64());
  }
  const double fraction = static_cast<double>(equal_bits) / (64.0 * kDraws);
  EXPECT_NEAR(fraction, 0.5, 5 * 6.25e-4);
}

TEST(RngTest, CopyContinuesIdentically) {
  Rng rng(12345);
  for (int i = 0; i < 100; ++i) rng.next_u64();
  Rng fork = rng;
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(fork.next_u64(), rng.next_u64()) << i;
    ASSERT_EQ(fork.uniform01(), rng.uniform01()) << i;
  }
}

TEST(RngTest, ReseedRestarts) {
  Rng a(99);
  const uint64_t first = a.next_u64();
  a.next_u64();
  a.reseed(99);
  EXPECT_EQ(a.next_u64(), first);
}

TEST(RngTest, Uniform01IsInOpenUnitInterval) {
  Rng rng(2024);
  double lo = 1.0;
  double hi = 0.0;
  for (int i = 0; i < 1000000; ++i) {
    const double u = rng.uniform01();
    ASSERT_GT(u, 0.0);
    ASSERT_LT(u, 1.0);
    lo = std::min(lo, u);
    hi = std::max(hi, u);
  }
  EXPECT_LT(lo, 1e-5);
  EXPECT_GT(hi, 1.0 - 1e-5);
  // The extreme values the mapping can produce are exact and strictly inside (0, 1).
  constexpr double kStep = 1.0 / 4503599627370496.0;  // 2^-52
  EXPECT_EQ(0.5 * kStep, std::ldexp(1.0, -53));
  EXPECT_EQ((4503599627370495.0 + 0.5) * kStep, 1.0 - std::ldexp(1.0, -53));
  EXPECT_LT((4503599627370495.0 + 0.5) * kStep, 1.0);
}

TEST(RngTest, Uniform01UsesTheTop52Bits) {
  Rng rng(5);
  Rng copy = rng;
  for (int i = 0; i < 100; ++i) {
    const uint64_t x = copy.next_u64();
    EXPECT_EQ(rng.uniform01(), (static_cast<double>(x >> 12) + 0.5) * std::ldexp(1.0, -52));
  }
}

TEST(RngTest, Uniform01ChiSquareUniformity) {
  // 1,000,000 draws into 100 equal buckets; chi-square with 99 degrees of freedom. Its 99.9%
  // point is 148.23, so a correct generator fails with probability 0.001; the seed is fixed, so
  // the test is deterministic. Also reject a suspiciously perfect fit (0.1% point: 61.06).
  constexpr int kBuckets = 100;
  constexpr int kDraws = 1000000;
  std::array<int, kBuckets> counts{};
  Rng rng(Rng::stream_seed(1, 0, hash_name("chi"), hash_name("square")));
  for (int i = 0; i < kDraws; ++i) {
    ++counts[static_cast<size_t>(rng.uniform01() * kBuckets)];
  }
  const double expected = static_cast<double>(kDraws) / kBuckets;
  double chi2 = 0.0;
  for (const int c : counts) chi2 += (c - expected) * (c - expected) / expected;
  EXPECT_LT(chi2, 148.23);
  EXPECT_GT(chi2, 61.06);
}

}  // namespace
}  // namespace twin
