// The cluster as the fault injector sees it: every process of a scenario with its role, broker
// group and machine. The scenario runner builds it; fault selectors (role, group, name) resolve
// against it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/runtime/address.h"
#include "sim/simulated/world.h"

namespace rmqsim::faults {

enum class Role : uint8_t { kNameServer, kMaster, kSlave, kProducer, kConsumer, kAdmin, kProxy };
std::string_view RoleName(Role r);  // "name-server", "master", "slave", "producer", "proxy", ...

struct ProcessInfo {
  std::string name;        // "broker-a", "broker-a-s1", "namesrv-1", "producer-1"
  sim::ProcessId pid;
  sim::MachineId machine;
  Role role;
  std::string group;       // brokers: brokerName; consumers: consumer group; else empty
  int broker_id = -1;      // brokers: 0 master, 1.. slaves
  Address address;         // servers: where they listen (name servers :9876, brokers :10911)
};

struct ClusterMap {
  std::vector<ProcessInfo> processes;  // in creation order (deterministic)

  const ProcessInfo* Find(std::string_view name) const;
  const ProcessInfo* ByPid(sim::ProcessId pid) const;
  std::vector<const ProcessInfo*> WithRole(Role r) const;
  std::vector<const ProcessInfo*> OnMachine(sim::MachineId m) const;
  // The master and slaves of a broker group, master first.
  std::vector<const ProcessInfo*> Group(std::string_view group) const;
  std::vector<std::string> BrokerGroups() const;  // in creation order
};

}  // namespace rmqsim::faults
