// A socket address as RocketMQ stores it in messages and message ids: IPv4 (4 bytes) or IPv6
// (16 bytes) plus the port as a 4-byte int (BORNHOST / STOREHOST, §4.1; offset msg id, §4.6).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "sim/base/status.h"

namespace rmqsim::common {

struct HostAddress {
  // IPv4 uses ip[0..3]; the other bytes stay zero so that equal addresses compare equal.
  std::array<uint8_t, 16> ip{};
  bool ipv6 = false;
  int32_t port = 0;

  static HostAddress Ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, int32_t port);
  static HostAddress Ipv6(const std::array<uint8_t, 16>& ip, int32_t port);
  // "a.b.c.d:port" (what brokerAddr and store hosts look like). Errors name the text.
  static StatusOr<HostAddress> Parse(std::string_view text);

  size_t ip_length() const { return ipv6 ? 16 : 4; }
  // "10.0.0.1", or eight colon-separated lower-case hex groups for IPv6.
  std::string IpString() const;
  // "10.0.0.1:10911"; IPv6 as "[groups]:port".
  std::string ToString() const;

  friend auto operator<=>(const HostAddress&, const HostAddress&) = default;
};

}  // namespace rmqsim::common
