// Stable hashes: the same value on every platform, compiler and run (unlike std::hash).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace rmqsim {

inline constexpr uint64_t kFnvOffset64 = 0xcbf29ce484222325ULL;
inline constexpr uint64_t kFnvPrime64 = 0x100000001b3ULL;

inline constexpr uint64_t Fnv1a64(std::string_view s, uint64_t h = kFnvOffset64) {
  for (unsigned char c : s) {
    h ^= c;
    h *= kFnvPrime64;
  }
  return h;
}

inline uint64_t Fnv1a64(std::span<const std::byte> bytes, uint64_t h = kFnvOffset64) {
  for (std::byte b : bytes) {
    h ^= static_cast<uint8_t>(b);
    h *= kFnvPrime64;
  }
  return h;
}

// Folds a 64-bit value into a running hash (order-sensitive).
inline constexpr uint64_t HashCombine(uint64_t h, uint64_t v) {
  v *= 0x9e3779b97f4a7c15ULL;
  v ^= v >> 29;
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h * kFnvPrime64;
}

}  // namespace rmqsim
