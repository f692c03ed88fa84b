// Topic and broker permissions (PermName in apache/rocketmq 4.9.8; reference §5.13).
#pragma once

#include <cstdint>
#include <string>

namespace rmqsim::common {

inline constexpr int32_t kPermPriority = 0x1 << 3;
inline constexpr int32_t kPermRead = 0x1 << 2;
inline constexpr int32_t kPermWrite = 0x1 << 1;
inline constexpr int32_t kPermInherit = 0x1;
// Default topic and broker permission: read + write.
inline constexpr int32_t kPermReadWrite = kPermRead | kPermWrite;

inline constexpr bool IsReadable(int32_t perm) {
  return (perm & kPermRead) == kPermRead;
}
inline constexpr bool IsWriteable(int32_t perm) {
  return (perm & kPermWrite) == kPermWrite;
}
inline constexpr bool IsInherited(int32_t perm) {
  return (perm & kPermInherit) == kPermInherit;
}

// PermName.perm2String: three characters, 'R', 'W', 'X' (inherit) or '-': 6 -> "RW-".
std::string PermToString(int32_t perm);

}  // namespace rmqsim::common
