// Seeded randomness with distributions of our own.
//
// The standard library's distributions are implementation-defined (libstdc++ and libc++ give
// different numbers for the same engine), so every distribution the simulation uses is written
// here on top of one 64-bit generator (xoshiro256**, seeded through splitmix64).
//
// Seed tree: a world seed; each machine and each process incarnation gets DeriveSeed(parent,
// label), so adding a process does not shift the random streams of the others.
#pragma once

#include <cstdint>
#include <string_view>

#include "sim/base/time.h"

namespace rmqsim {

// One step of splitmix64; a good mixer for seeds and hashes.
uint64_t SplitMix64(uint64_t& state);
// Mixes a parent seed with a label into an independent child seed.
uint64_t DeriveSeed(uint64_t parent, std::string_view label);
uint64_t DeriveSeed(uint64_t parent, uint64_t label);

// Source of 64 random bits. The seam's Random interface extends this; the distributions below
// work on any source.
class RandomSource {
 public:
  virtual ~RandomSource() = default;
  virtual uint64_t Next64() = 0;

  // Uniform in [0, bound) without modulo bias (Lemire's method). bound > 0.
  uint64_t Below(uint64_t bound);
  // Uniform integer in [lo, hi], inclusive. lo <= hi.
  int64_t UniformInt(int64_t lo, int64_t hi);
  // Uniform double in [0, 1) with 53 random bits.
  double UniformDouble();
  // True with probability p (clamped to [0, 1]).
  bool Bernoulli(double p);
  // Exponential with the given mean (>= 0).
  double Exponential(double mean);
  // Uniform duration in [lo, hi].
  Duration UniformDuration(Duration lo, Duration hi);
  // Exponential duration with the given mean.
  Duration ExponentialDuration(Duration mean);
};

// xoshiro256** (Blackman and Vigna). Small, fast, and the same on every compiler.
class Xoshiro256 final : public RandomSource {
 public:
  explicit Xoshiro256(uint64_t seed);
  uint64_t Next64() override;

 private:
  uint64_t s_[4];
};

}  // namespace rmqsim
