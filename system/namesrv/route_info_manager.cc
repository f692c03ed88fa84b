#include "system/namesrv/route_info_manager.h"

#include "system/common/perm_name.h"

#include "sim/base/assert.h"
#include "sim/base/planted_bugs.h"
#include "system/common/mix_all.h"

namespace rmqsim::namesrv {

std::string_view RemovalReasonName(RemovalReason r) {
  switch (r) {
    case RemovalReason::kExpired: return "expired";
    case RemovalReason::kChannelClosed: return "channel-closed";
    case RemovalReason::kUnregistered: return "unregistered";
  }
  return "?";
}

bool RouteInfoManager::IsBrokerTopicConfigChanged(const std::string& broker_addr,
                                                  const common::DataVersion& version) const {
  auto it = live_.find(broker_addr);
  return it == live_.end() || !(it->second.data_version == version);
}

void RouteInfoManager::CreateAndUpdateQueueData(const std::string& broker_name,
                                                const common::TopicConfig& tc) {
  common::QueueData qd;
  qd.broker_name = broker_name;
  qd.write_queue_nums = tc.write_queue_nums;
  qd.read_queue_nums = tc.read_queue_nums;
  qd.perm = tc.perm;
  qd.topic_sys_flag = tc.topic_sys_flag;
  topic_queue_table_[tc.topic_name][broker_name] = qd;
}

common::RegisterBrokerResult RouteInfoManager::RegisterBroker(const RegisterBrokerRequest& req,
                                                              WallTime now) {
  common::RegisterBrokerResult result;
  cluster_addr_table_[req.cluster_name].insert(req.broker_name);

  bool register_first = false;
  auto bd_it = broker_addr_table_.find(req.broker_name);
  if (bd_it == broker_addr_table_.end()) {
    register_first = true;
    common::BrokerData bd;
    bd.cluster = req.cluster_name;
    bd.broker_name = req.broker_name;
    bd_it = broker_addr_table_.emplace(req.broker_name, std::move(bd)).first;
  }
  auto& addrs = bd_it->second.broker_addrs;
  // A slave turned master (or the reverse) re-registers its address under a new id: drop the old.
  for (auto it = addrs.begin(); it != addrs.end();) {
    it = (it->second == req.broker_addr && it->first != req.broker_id) ? addrs.erase(it)
                                                                       : std::next(it);
  }
  auto [slot, inserted] = addrs.insert_or_assign(req.broker_id, req.broker_addr);
  (void)slot;
  register_first = register_first || inserted;

  if (req.topic_config_wrapper && req.broker_id == common::kMasterId) {
    const auto& wrapper = *req.topic_config_wrapper;
    if (IsBrokerTopicConfigChanged(req.broker_addr, wrapper.data_version) || register_first) {
      for (const auto& [name, tc] : wrapper.topic_config_table) {
        CreateAndUpdateQueueData(req.broker_name, tc);
      }
    }
  }

  BrokerLiveInfo info;
  info.last_update = now;
  info.data_version =
      req.topic_config_wrapper ? req.topic_config_wrapper->data_version : common::DataVersion{};
  info.channel_id = req.channel_id;
  info.ha_server_addr = req.ha_server_addr;
  live_[req.broker_addr] = info;

  if (req.filter_server_list.empty()) {
    filter_server_table_.erase(req.broker_addr);
  } else {
    filter_server_table_[req.broker_addr] = req.filter_server_list;
  }

  if (req.broker_id != common::kMasterId) {
    auto master = addrs.find(common::kMasterId);
    if (master != addrs.end()) {
      auto live = live_.find(master->second);
      if (live != live_.end()) {
        result.ha_server_addr = live->second.ha_server_addr;
        result.master_addr = master->second;
      }
    }
  }
  detached_.erase(req.broker_addr);
  expired_.erase(req.broker_addr);
  AssertConsistent();
  return result;
}

Removal RouteInfoManager::RemoveBrokerAddrFromData(const std::string& broker_name,
                                                   const std::string& broker_addr,
                                                   std::optional<int64_t> broker_id) {
  Removal r;
  r.broker_addr = broker_addr;
  r.broker_name = broker_name;
  auto bd_it = broker_addr_table_.find(broker_name);
  if (bd_it == broker_addr_table_.end()) return r;
  r.cluster_name = bd_it->second.cluster;
  auto& addrs = bd_it->second.broker_addrs;
  if (broker_id) {
    addrs.erase(*broker_id);
  } else {
    for (auto it = addrs.begin(); it != addrs.end();) {
      it = it->second == broker_addr ? addrs.erase(it) : std::next(it);
    }
  }
  if (!addrs.empty()) return r;
  // The broker name has no address left: it leaves its cluster and every topic.
  broker_addr_table_.erase(bd_it);
  r.broker_name_removed = true;
  for (auto c = cluster_addr_table_.begin(); c != cluster_addr_table_.end();) {
    c->second.erase(broker_name);
    c = c->second.empty() ? cluster_addr_table_.erase(c) : std::next(c);
  }
  for (auto t = topic_queue_table_.begin(); t != topic_queue_table_.end();) {
    t->second.erase(broker_name);
    if (t->second.empty()) {
      r.topics_removed.push_back(t->first);
      t = topic_queue_table_.erase(t);
    } else {
      ++t;
    }
  }
  return r;
}

void RouteInfoManager::NoteIfStillListed(const std::string& broker_addr) {
  if (!InSimulation() || live_.contains(broker_addr)) return;
  for (const auto& [name, bd] : broker_addr_table_) {
    for (const auto& [id, addr] : bd.broker_addrs) {
      if (addr == broker_addr) {
        detached_.insert(broker_addr);
        return;
      }
    }
  }
}

Removal RouteInfoManager::RemoveBrokerAddr(const std::string& broker_addr) {
  live_.erase(broker_addr);
  filter_server_table_.erase(broker_addr);
  for (const auto& [name, bd] : broker_addr_table_) {
    for (const auto& [id, addr] : bd.broker_addrs) {
      if (addr == broker_addr) {
        std::string broker_name = name;  // copy: the entry may be erased
        // onChannelDestroy: only the first broker name listing the address loses it.
        Removal r = RemoveBrokerAddrFromData(broker_name, broker_addr, std::nullopt);
        NoteIfStillListed(broker_addr);
        return r;
      }
    }
  }
  Removal r;
  r.broker_addr = broker_addr;
  return r;
}

std::optional<Removal> RouteInfoManager::UnregisterBroker(const std::string& cluster_name,
                                                          const std::string& broker_addr,
                                                          const std::string& broker_name,
                                                          int64_t broker_id) {
  bool known = live_.erase(broker_addr) > 0;
  filter_server_table_.erase(broker_addr);
  auto bd = broker_addr_table_.find(broker_name);
  if (bd == broker_addr_table_.end()) {
    NoteIfStillListed(broker_addr);
    AssertConsistent();
    if (!known) return std::nullopt;
    Removal r;
    r.broker_addr = broker_addr;
    r.broker_name = broker_name;
    r.cluster_name = cluster_name;
    return r;
  }
  // As 4.9.8: the brokerId's slot goes, whatever address it holds.
  Removal r = RemoveBrokerAddrFromData(broker_name, broker_addr, broker_id);
  NoteIfStillListed(broker_addr);
  AssertConsistent();
  return r;
}

std::optional<Removal> RouteInfoManager::OnChannelDestroy(uint64_t channel_id) {
  if (channel_id == 0) return std::nullopt;
  for (const auto& [addr, info] : live_) {
    if (info.channel_id == channel_id) {
      std::string broker_addr = addr;
      Removal r = RemoveBrokerAddr(broker_addr);
      AssertConsistent();
      return r;
    }
  }
  return std::nullopt;
}

std::vector<std::pair<Removal, uint64_t>> RouteInfoManager::ScanNotActiveBroker(WallTime now) {
  std::vector<std::pair<std::string, uint64_t>> expired;
  // PLANTED BUGS (tests only): the scan never expires anyone, or expires after 25 s.
  if (RMQ_PLANTED_BUG("namesrv.never_purge")) return {};
  const Duration expiry =
      RMQ_PLANTED_BUG("namesrv.expire_early") ? seconds(25) : kBrokerChannelExpiredTime;
  for (const auto& [addr, info] : live_) {
    if (info.last_update + expiry < now) {
      expired.emplace_back(addr, info.channel_id);
    }
  }
  std::vector<std::pair<Removal, uint64_t>> out;
  for (const auto& [addr, channel] : expired) out.emplace_back(RemoveBrokerAddr(addr), channel);
  if (InSimulation()) {
    for (const auto& [removal, channel] : out) expired_.insert(removal.broker_addr);
    // Invariant: an expired broker is gone from every route. Its address is in no broker data
    // (unless 4.9.8 itself leaves it: detached()), and a broker name that lost its last address
    // is in no topic's queue data.
    for (const auto& [removal, channel] : out) {
      std::string problem;
      if (live_.contains(removal.broker_addr)) problem = "still live";
      for (const auto& [name, bd] : broker_addr_table_) {
        for (const auto& [id, addr] : bd.broker_addrs) {
          if (addr == removal.broker_addr && !detached_.contains(addr)) {
            problem = "still listed under " + name + " id " + std::to_string(id);
          }
        }
      }
      if (removal.broker_name_removed) {
        for (const auto& [topic, queues] : topic_queue_table_) {
          if (queues.contains(removal.broker_name)) {
            problem = "broker name " + removal.broker_name + " still has queues of " + topic;
          }
        }
      }
      RMQ_SIM_ASSERT_MSG(problem.empty(), "expired broker " + removal.broker_addr + ": " + problem);
    }
  }
  AssertConsistent();
  return out;
}

std::optional<common::TopicRouteData> RouteInfoManager::GetTopicRouteData(
    const std::string& topic) const {
  auto it = topic_queue_table_.find(topic);
  if (it == topic_queue_table_.end() || it->second.empty()) return std::nullopt;
  common::TopicRouteData route;
  for (const auto& [broker_name, qd] : it->second) {
    route.queue_datas.push_back(qd);
    auto bd = broker_addr_table_.find(broker_name);
    if (bd == broker_addr_table_.end()) continue;
    route.broker_datas.push_back(bd->second);
    for (const auto& [id, addr] : bd->second.broker_addrs) {
      auto fs = filter_server_table_.find(addr);
      if (fs != filter_server_table_.end()) route.filter_server_table[addr] = fs->second;
    }
  }
  if (route.broker_datas.empty()) return std::nullopt;
  if (InSimulation()) {
    std::string stale = CheckRouteFresh(route);
    RMQ_SIM_ASSERT_MSG(stale.empty(), "route of " + topic + ": " + stale);
  }
  return route;
}

std::string RouteInfoManager::CheckRouteFresh(const common::TopicRouteData& route) const {
  for (const auto& bd : route.broker_datas) {
    for (const auto& [id, addr] : bd.broker_addrs) {
      if (expired_.contains(addr) && !detached_.contains(addr)) {
        return "lists " + bd.broker_name + " id " + std::to_string(id) + " at " + addr +
               ", which the scan expired and which has not registered since";
      }
    }
  }
  return "";
}

std::string RouteInfoManager::CheckConsistency() const {
  for (const auto& [topic, queues] : topic_queue_table_) {
    if (queues.empty()) return "topic " + topic + " has an empty queue-data map";
    for (const auto& [broker_name, qd] : queues) {
      if (!broker_addr_table_.contains(broker_name)) {
        return "topic " + topic + " has queue data of broker " + broker_name +
               ", which brokerAddrTable does not know";
      }
    }
  }
  for (const auto& [name, bd] : broker_addr_table_) {
    if (bd.broker_addrs.empty()) return "broker " + name + " has no address";
    for (const auto& [id, addr] : bd.broker_addrs) {
      if (!live_.contains(addr) && !detached_.contains(addr)) {
        return "broker " + name + " id " + std::to_string(id) + " lists " + addr +
               ", which has no entry in brokerLiveTable (nothing would ever remove it)";
      }
    }
  }
  for (const auto& [cluster, names] : cluster_addr_table_) {
    for (const auto& name : names) {
      if (!broker_addr_table_.contains(name)) {
        return "cluster " + cluster + " lists broker " + name +
               ", which brokerAddrTable does not know";
      }
    }
  }
  return "";
}

void RouteInfoManager::AssertConsistent() const {
  if (!InSimulation()) return;
  std::string problem = CheckConsistency();
  RMQ_SIM_ASSERT_MSG(problem.empty(), "name server tables inconsistent: " + problem);
}

void RouteInfoManager::InjectBrokerAddrForTesting(const std::string& broker_name,
                                                  int64_t broker_id,
                                                  const std::string& broker_addr) {
  broker_addr_table_[broker_name].broker_name = broker_name;
  broker_addr_table_[broker_name].broker_addrs[broker_id] = broker_addr;
}

common::ClusterInfo RouteInfoManager::GetAllClusterInfo() const {
  common::ClusterInfo info;
  info.broker_addr_table = broker_addr_table_;
  info.cluster_addr_table = cluster_addr_table_;
  return info;
}

common::TopicList RouteInfoManager::GetAllTopicList() const {
  common::TopicList list;
  for (const auto& [topic, queues] : topic_queue_table_) list.topic_list.insert(topic);
  return list;
}

common::TopicList RouteInfoManager::GetTopicsByCluster(const std::string& cluster) const {
  common::TopicList list;
  auto members = cluster_addr_table_.find(cluster);
  if (members == cluster_addr_table_.end()) return list;
  for (const auto& [topic, queues] : topic_queue_table_) {
    for (const auto& [broker_name, qd] : queues) {
      if (members->second.contains(broker_name)) list.topic_list.insert(topic);
    }
  }
  return list;
}

bool RouteInfoManager::DeleteTopic(const std::string& topic) {
  const bool found = topic_queue_table_.erase(topic) > 0;
  AssertConsistent();
  return found;
}

int RouteInfoManager::WipeWritePermOfBroker(const std::string& broker_name) {
  int wiped = 0;
  for (auto& [topic, queues] : topic_queue_table_) {
    auto qd = queues.find(broker_name);
    if (qd == queues.end()) continue;
    qd->second.perm &= ~common::kPermWrite;
    ++wiped;
  }
  return wiped;
}

}  // namespace rmqsim::namesrv
