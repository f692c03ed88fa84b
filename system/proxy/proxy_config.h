// The proxy's configuration: Envoy's RocketmqProxy filter config (stat_prefix, route_config,
// transient_object_life_span, develop_mode), the upstream clusters with their hosts' metadata
// (Envoy's endpoint metadata under envoy.filters.network.rocketmq_proxy), per-cluster maintenance
// mode (Envoy's runtime key upstream.maintenance_mode.<cluster>), and what rmqsim adds (a request
// timeout, the listen address). docs/proxy.md describes each field.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/base/status.h"
#include "sim/base/time.h"
#include "sim/runtime/address.h"

namespace rmqsim::proxy {

// Envoy's StringMatcher (regex left out: rmqsim has no regex engine in the seam).
struct StringMatch {
  enum class Kind { kExact, kPrefix, kSuffix, kContains };
  Kind kind = Kind::kPrefix;
  std::string value;  // kPrefix with "" matches everything
  bool Matches(std::string_view s) const;
};

// A header matcher on the request's metadata pseudo-headers: "code" (the request code, decimal),
// and for acks "broker_name" and "broker_id" (the ack directive's target).
struct HeaderMatch {
  std::string name;
  std::string exact;
};

struct Route {
  StringMatch topic;
  std::vector<HeaderMatch> headers;
  std::string cluster;
  // Envoy's metadata_match (envoy.lb subset criteria): hosts whose metadata has these values.
  // Keys: "broker_name", "broker_id", "cluster_name".
  std::map<std::string, std::string> metadata_match;
};

// An upstream broker (Envoy endpoint + its rocketmq_proxy metadata).
struct Host {
  Address address;
  std::string broker_name;
  int64_t broker_id = 0;
  std::string cluster_name;
  int32_t read_queue_num = 0;
  int32_t write_queue_num = 0;
  int32_t perm = 0;
  std::string Metadata(const std::string& key) const;
};

struct Cluster {
  std::string name;
  std::vector<Host> hosts;
  bool maintenance = false;  // every request routed here is refused ("Cluster under maintenance.")
  Duration connect_timeout = seconds(1);
};

struct ProxyConfig {
  Address listen{"0.0.0.0", 10000};
  // The address route answers give in develop mode (Envoy: the server's own IP and port). Unset:
  // the bound listen address, which must then not be 0.0.0.0.
  std::optional<Address> advertise;
  // rmqsim: an HTTP endpoint for the statistics (GET /stats, GET /stats/prometheus) and
  // maintenance mode (POST /maintenance?cluster=NAME&enabled=true|false). Unset: none.
  std::optional<Address> admin;
  std::string stat_prefix = "rocketmq";
  std::vector<Route> routes;
  std::map<std::string, Cluster> clusters;
  Duration transient_object_life_span = seconds(30);
  bool develop_mode = false;
  // rmqsim: a forwarded request not answered within this time gets a local SystemError
  // "Upstream request timeout" and its upstream connection is closed. Zero: wait for ever (Envoy).
  Duration request_timeout = Duration::zero();
  // rmqsim, develop mode only: one more listener per broker name. Route answers give it as that
  // broker's address, so a client's connection to it names the broker; the broker-bound codes a
  // consumer sends there (pull, offsets, send back, queue locks) go to that broker, and its
  // heartbeats are relayed to it as well. Empty: only `listen`.
  std::map<std::string, Address> broker_listen;

  // Checks names and references: a non-empty stat prefix, every route's cluster defined, hosts
  // with a broker name and a valid address. The error names the field.
  Status Validate() const;
};

}  // namespace rmqsim::proxy
