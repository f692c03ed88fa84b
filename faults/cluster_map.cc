#include "faults/cluster_map.h"

#include <algorithm>

namespace rmqsim::faults {

std::string_view RoleName(Role r) {
  switch (r) {
    case Role::kNameServer: return "name-server";
    case Role::kMaster: return "master";
    case Role::kSlave: return "slave";
    case Role::kProducer: return "producer";
    case Role::kConsumer: return "consumer";
    case Role::kAdmin: return "admin";
    case Role::kProxy: return "proxy";
  }
  return "?";
}

const ProcessInfo* ClusterMap::Find(std::string_view name) const {
  for (const auto& p : processes) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

const ProcessInfo* ClusterMap::ByPid(sim::ProcessId pid) const {
  for (const auto& p : processes) {
    if (p.pid == pid) return &p;
  }
  return nullptr;
}

std::vector<const ProcessInfo*> ClusterMap::WithRole(Role r) const {
  std::vector<const ProcessInfo*> out;
  for (const auto& p : processes) {
    if (p.role == r) out.push_back(&p);
  }
  return out;
}

std::vector<const ProcessInfo*> ClusterMap::OnMachine(sim::MachineId m) const {
  std::vector<const ProcessInfo*> out;
  for (const auto& p : processes) {
    if (p.machine == m) out.push_back(&p);
  }
  return out;
}

std::vector<const ProcessInfo*> ClusterMap::Group(std::string_view group) const {
  std::vector<const ProcessInfo*> out;
  for (const auto& p : processes) {
    if ((p.role == Role::kMaster || p.role == Role::kSlave) && p.group == group) out.push_back(&p);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const ProcessInfo* a, const ProcessInfo* b) { return a->broker_id < b->broker_id; });
  return out;
}

std::vector<std::string> ClusterMap::BrokerGroups() const {
  std::vector<std::string> out;
  for (const auto& p : processes) {
    if (p.role == Role::kMaster && std::find(out.begin(), out.end(), p.group) == out.end()) {
      out.push_back(p.group);
    }
  }
  return out;
}

}  // namespace rmqsim::faults
