// A TCP endpoint address: an IPv4 literal and a port. Both worlds use the same type; the simulated
// world gives each machine an IPv4 address, the real world resolves nothing (no DNS in component
// code: RocketMQ configurations carry addresses).
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "sim/base/status.h"

namespace rmqsim {

struct Address {
  std::string host;  // dotted IPv4, e.g. "10.0.0.1"; "0.0.0.0" means every local address
  uint16_t port = 0;

  // "host:port". "localhost" is accepted as 127.0.0.1. Errors name the offending text.
  static StatusOr<Address> Parse(std::string_view text);
  // Builds from parts, validating the host.
  static StatusOr<Address> Make(std::string_view host, uint16_t port);

  std::string ToString() const;
  bool is_any() const { return host == "0.0.0.0"; }
  bool is_loopback() const;

  friend auto operator<=>(const Address&, const Address&) = default;
};

// True if `host` is a dotted-quad IPv4 literal.
bool IsIpv4Literal(std::string_view host);

}  // namespace rmqsim
