#include "system/proxy/proxy_config.h"

namespace rmqsim::proxy {

bool StringMatch::Matches(std::string_view s) const {
  switch (kind) {
    case Kind::kExact:
      return s == value;
    case Kind::kPrefix:
      return s.starts_with(value);
    case Kind::kSuffix:
      return s.ends_with(value);
    case Kind::kContains:
      return s.find(value) != std::string_view::npos;
  }
  return false;
}

std::string Host::Metadata(const std::string& key) const {
  if (key == "broker_name") return broker_name;
  if (key == "broker_id") return std::to_string(broker_id);
  if (key == "cluster_name") return cluster_name;
  return {};
}

Status ProxyConfig::Validate() const {
  if (stat_prefix.empty()) return InvalidArgumentError("stat_prefix: must not be empty");
  for (size_t i = 0; i < routes.size(); ++i) {
    const Route& r = routes[i];
    const std::string where = "routes[" + std::to_string(i) + "]";
    if (r.cluster.empty()) return InvalidArgumentError(where + ".cluster: must not be empty");
    if (!clusters.contains(r.cluster)) {
      return InvalidArgumentError(where + ".cluster: no cluster named '" + r.cluster + "'");
    }
    for (const auto& [key, value] : r.metadata_match) {
      if (key != "broker_name" && key != "broker_id" && key != "cluster_name") {
        return InvalidArgumentError(where + ".metadata_match: unknown key '" + key +
                                    "' (broker_name, broker_id, cluster_name)");
      }
    }
  }
  for (const auto& [name, c] : clusters) {
    if (name != c.name) {
      return InvalidArgumentError("clusters['" + name + "'].name: is '" + c.name + "'");
    }
    for (size_t i = 0; i < c.hosts.size(); ++i) {
      const Host& h = c.hosts[i];
      const std::string where = "clusters['" + name + "'].hosts[" + std::to_string(i) + "]";
      if (h.broker_name.empty()) {
        return InvalidArgumentError(where + ".broker_name: must not be empty");
      }
      if (h.address.port == 0) return InvalidArgumentError(where + ".address: no port");
    }
  }
  if (develop_mode && !advertise.has_value() && listen.is_any()) {
    return InvalidArgumentError(
        "advertise: develop_mode with listen " + listen.ToString() +
        " needs the address to give clients (advertise), not 0.0.0.0");
  }
  for (const auto& [name, address] : broker_listen) {
    const std::string where = "broker_listen['" + name + "']";
    if (!develop_mode) return InvalidArgumentError(where + ": needs develop_mode");
    bool known = false;
    for (const auto& [cname, c] : clusters) {
      for (const Host& h : c.hosts) known = known || h.broker_name == name;
    }
    if (!known) return InvalidArgumentError(where + ": no host has broker_name '" + name + "'");
    if (address.is_any() && !advertise.has_value()) {
      return InvalidArgumentError(where + ": listening on " + address.ToString() +
                                  " needs advertise (the host to give clients)");
    }
  }
  if (transient_object_life_span <= Duration::zero()) {
    return InvalidArgumentError("transient_object_life_span: must be positive");
  }
  if (request_timeout < Duration::zero()) {
    return InvalidArgumentError("request_timeout: must not be negative");
  }
  return Status::Ok();
}

}  // namespace rmqsim::proxy
