// The process names of a scenario, in one place: the runner creates processes by them, the
// loader validates fault targets against them.
#pragma once

#include <string>

#include "faults/cluster_map.h"
#include "scenarios/proto/scenario.pb.h"

namespace rmqsim::scenarios {

inline std::string NamesrvName(int i) { return "namesrv-" + std::to_string(i); }
// brokerId 0 is the master (the group's name), 1.. the slaves ("broker-a-s1").
inline std::string BrokerName(const std::string& group, int id) {
  return id == 0 ? group : group + "-s" + std::to_string(id);
}
inline std::string ProducerName(const scenario::Producer& p, int i) {
  return p.count() == 1 ? p.name() : p.name() + "-" + std::to_string(i);
}
inline std::string ConsumerName(const scenario::ConsumerGroup& g, int i) {
  return g.group() + "-" + std::to_string(i);
}

// The scenario's processes with their roles and groups, without a world (ids are left unset):
// what fault selectors resolve against when a file is validated.
faults::ClusterMap DescribeCluster(const scenario::Scenario& s);

}  // namespace rmqsim::scenarios
