#include "sim/runtime/address.h"

#include <charconv>

namespace rmqsim {

bool IsIpv4Literal(std::string_view host) {
  int parts = 0;
  size_t i = 0;
  while (i <= host.size()) {
    size_t dot = host.find('.', i);
    if (dot == std::string_view::npos) dot = host.size();
    std::string_view part = host.substr(i, dot - i);
    if (part.empty() || part.size() > 3) return false;
    unsigned v = 0;
    auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (ec != std::errc() || p != part.data() + part.size() || v > 255) return false;
    ++parts;
    i = dot + 1;
    if (dot == host.size()) break;
  }
  return parts == 4;
}

StatusOr<Address> Address::Make(std::string_view host, uint16_t port) {
  std::string h(host == "localhost" ? "127.0.0.1" : host);
  if (!IsIpv4Literal(h)) {
    return InvalidArgumentError("invalid address host '" + std::string(host) +
                                "': expected a dotted IPv4 literal such as 10.0.0.1");
  }
  return Address{std::move(h), port};
}

StatusOr<Address> Address::Parse(std::string_view text) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return InvalidArgumentError("invalid address '" + std::string(text) +
                                "': expected host:port");
  }
  std::string_view port_text = text.substr(colon + 1);
  unsigned port = 0;
  auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || p != port_text.data() + port_text.size() ||
      port > 65535) {
    return InvalidArgumentError("invalid address '" + std::string(text) + "': port '" +
                                std::string(port_text) + "' is not a number in 0..65535");
  }
  return Make(text.substr(0, colon), static_cast<uint16_t>(port));
}

std::string Address::ToString() const { return host + ":" + std::to_string(port); }

bool Address::is_loopback() const { return host.rfind("127.", 0) == 0; }

}  // namespace rmqsim
