// ProxyTap: counts, from the bytes delivered to each proxy process on its links, what the proxy's
// receive-side counters must read (docs/checkers.md, proxy). It decodes each link's stream itself
// and applies the counting rules of docs/proxy.md by request code, so that a proxy whose own
// counting is wrong disagrees with it. It sees only deliveries (SimNetwork's delivery tap), and
// keeps one set of counts per proxy incarnation (a restarted proxy starts from zero).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "sim/simulated/network.h"

namespace rmqsim::scenarios {

class ProxyTap {
 public:
  // A proxy process: its pid value and the ports it accepts clients on (its listen port and its
  // broker ports).
  void AddProxy(uint64_t pid, std::string name, std::set<uint16_t> client_ports);
  void OnDelivered(const sim::SimNetwork::Delivered& d);
  // The counts for one incarnation of a proxy (empty when nothing arrived).
  std::map<std::string, int64_t> Counts(uint64_t pid, uint64_t incarnation) const;

 private:
  struct Proxy {
    std::string name;
    std::set<uint16_t> client_ports;
  };
  struct Stream {
    std::string buffer;
    bool broken = false;
  };
  void Downstream(std::map<std::string, int64_t>& c, Stream& s);
  void Upstream(std::map<std::string, int64_t>& c, Stream& s);

  std::map<uint64_t, Proxy> proxies_;  // by pid value
  std::map<std::pair<uint64_t, uint64_t>, std::map<std::string, int64_t>> counts_;
  std::map<uint64_t, Stream> streams_;  // by connection id (a proxy's end)
};

}  // namespace rmqsim::scenarios
