#include "system/common/host_address.h"

#include <charconv>

namespace rmqsim::common {

HostAddress HostAddress::Ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, int32_t port) {
  HostAddress h;
  h.ip[0] = a;
  h.ip[1] = b;
  h.ip[2] = c;
  h.ip[3] = d;
  h.port = port;
  return h;
}

HostAddress HostAddress::Ipv6(const std::array<uint8_t, 16>& ip, int32_t port) {
  HostAddress h;
  h.ip = ip;
  h.ipv6 = true;
  h.port = port;
  return h;
}

StatusOr<HostAddress> HostAddress::Parse(std::string_view text) {
  const auto bad = [&](std::string_view why) {
    return InvalidArgumentError("bad host address \"" + std::string(text) +
                                "\": " + std::string(why) + " (expected a.b.c.d:port)");
  };
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return bad("no ':port'");
  std::string_view host = text.substr(0, colon);
  std::string_view port_text = text.substr(colon + 1);
  int port = 0;
  auto [pp, pec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || pec != std::errc() || pp != port_text.data() + port_text.size() ||
      port < 0 || port > 65535) {
    return bad("port is not a number in 0..65535");
  }
  HostAddress h;
  h.port = port;
  size_t start = 0;
  for (int i = 0; i < 4; ++i) {
    const size_t dot = i < 3 ? host.find('.', start) : host.size();
    if (dot == std::string_view::npos) return bad("host is not a dotted IPv4 address");
    std::string_view part = host.substr(start, dot - start);
    int v = 0;
    auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (part.empty() || part.size() > 3 || ec != std::errc() || p != part.data() + part.size() ||
        v < 0 || v > 255) {
      return bad("host is not a dotted IPv4 address");
    }
    h.ip[i] = static_cast<uint8_t>(v);
    start = dot + 1;
  }
  return h;
}

std::string HostAddress::IpString() const {
  std::string s;
  if (!ipv6) {
    for (int i = 0; i < 4; ++i) {
      if (i > 0) s += '.';
      s += std::to_string(ip[i]);
    }
    return s;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  for (int g = 0; g < 8; ++g) {
    if (g > 0) s += ':';
    const unsigned v = (unsigned{ip[2 * g]} << 8) | ip[2 * g + 1];
    bool started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
      const unsigned d = (v >> shift) & 0xF;
      if (d != 0 || started || shift == 0) {
        s += kHex[d];
        started = true;
      }
    }
  }
  return s;
}

std::string HostAddress::ToString() const {
  if (ipv6) return "[" + IpString() + "]:" + std::to_string(port);
  return IpString() + ":" + std::to_string(port);
}

}  // namespace rmqsim::common
