#include "sim/base/random.h"

#include <cmath>

#include "sim/base/assert.h"
#include "sim/base/hash.h"

namespace rmqsim {

uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t DeriveSeed(uint64_t parent, std::string_view label) {
  return DeriveSeed(parent, Fnv1a64(label));
}

uint64_t DeriveSeed(uint64_t parent, uint64_t label) {
  uint64_t state = parent ^ (label * 0xd6e8feb86659fd93ULL);
  SplitMix64(state);
  return SplitMix64(state);
}

uint64_t RandomSource::Below(uint64_t bound) {
  RMQ_ASSERT_MSG(bound > 0, "Below(0)");
  // Lemire: multiply-shift with rejection of the biased low range.
  unsigned __int128 m = static_cast<unsigned __int128>(Next64()) * bound;
  uint64_t low = static_cast<uint64_t>(m);
  if (low < bound) {
    uint64_t threshold = (0 - bound) % bound;
    while (low < threshold) {
      m = static_cast<unsigned __int128>(Next64()) * bound;
      low = static_cast<uint64_t>(m);
    }
  }
  return static_cast<uint64_t>(m >> 64);
}

int64_t RandomSource::UniformInt(int64_t lo, int64_t hi) {
  RMQ_ASSERT_MSG(lo <= hi, "UniformInt with lo > hi");
  uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
  if (span == UINT64_MAX) return static_cast<int64_t>(Next64());
  return static_cast<int64_t>(static_cast<uint64_t>(lo) + Below(span + 1));
}

double RandomSource::UniformDouble() { return static_cast<double>(Next64() >> 11) * 0x1.0p-53; }

bool RandomSource::Bernoulli(double p) {
  if (p <= 0) return false;
  if (p >= 1) return true;
  return UniformDouble() < p;
}

double RandomSource::Exponential(double mean) {
  if (mean <= 0) return 0;
  // 1 - u is in (0, 1], so the log is finite.
  return -mean * std::log(1.0 - UniformDouble());
}

Duration RandomSource::UniformDuration(Duration lo, Duration hi) {
  return Duration(UniformInt(lo.count(), hi.count()));
}

Duration RandomSource::ExponentialDuration(Duration mean) {
  return Duration(static_cast<int64_t>(Exponential(static_cast<double>(mean.count()))));
}

namespace {
inline uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
}  // namespace

Xoshiro256::Xoshiro256(uint64_t seed) {
  uint64_t state = seed;
  for (auto& s : s_) s = SplitMix64(state);
}

uint64_t Xoshiro256::Next64() {
  const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

}  // namespace rmqsim
