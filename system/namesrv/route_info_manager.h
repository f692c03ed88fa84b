// RouteInfoManager: the name server's tables (RocketMQ 4.9.8 namesrv/.../routeinfo/
// RouteInfoManager.java), as pure data with no I/O, so that checkers and tests can drive it
// directly.
//
//   topicQueueTable    topic -> brokerName -> QueueData   (only masters' topic configs)
//   brokerAddrTable    brokerName -> BrokerData (cluster, brokerId -> address)
//   clusterAddrTable   cluster -> brokerNames
//   brokerLiveTable    brokerAddr -> {last registration (wall clock, as Java), dataVersion,
//                      channel id, haServerAddr}
//
// Every table is an ordered map: iteration order never depends on hashing.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "sim/base/time.h"
#include "system/common/register_broker_body.h"
#include "system/common/route_data.h"

namespace rmqsim::namesrv {

// RouteInfoManager.BROKER_CHANNEL_EXPIRED_TIME.
inline constexpr Duration kBrokerChannelExpiredTime = seconds(120);

struct RegisterBrokerRequest {
  std::string cluster_name;
  std::string broker_addr;
  std::string broker_name;
  int64_t broker_id = 0;
  std::string ha_server_addr;
  std::optional<common::TopicConfigSerializeWrapper> topic_config_wrapper;
  std::vector<std::string> filter_server_list;
  uint64_t channel_id = 0;  // the remoting channel it came on (0: none)
};

struct BrokerLiveInfo {
  WallTime last_update;
  common::DataVersion data_version;
  uint64_t channel_id = 0;
  std::string ha_server_addr;
};

// Why a broker address left the tables.
enum class RemovalReason : uint8_t { kExpired, kChannelClosed, kUnregistered };
std::string_view RemovalReasonName(RemovalReason r);

struct Removal {
  std::string broker_addr;
  std::string broker_name;
  std::string cluster_name;
  bool broker_name_removed = false;  // its last address went: queues dropped from every topic
  std::vector<std::string> topics_removed;
};

class RouteInfoManager {
 public:
  // Returns haServerAddr/masterAddr for a slave (empty for a master).
  common::RegisterBrokerResult RegisterBroker(const RegisterBrokerRequest& req, WallTime now);
  // UNREGISTER_BROKER. Returns what was removed, if the address was known.
  std::optional<Removal> UnregisterBroker(const std::string& cluster_name,
                                          const std::string& broker_addr,
                                          const std::string& broker_name, int64_t broker_id);
  // The channel closed: removes the broker that registered on it (onChannelDestroy).
  std::optional<Removal> OnChannelDestroy(uint64_t channel_id);
  // scanNotActiveBroker: removes every broker whose last registration is older than
  // kBrokerChannelExpiredTime; returns the removals (and their channel ids, to close).
  std::vector<std::pair<Removal, uint64_t>> ScanNotActiveBroker(WallTime now);

  // The route, or nullopt when the topic has no queue data or no broker data (TOPIC_NOT_EXIST).
  std::optional<common::TopicRouteData> GetTopicRouteData(const std::string& topic) const;
  common::ClusterInfo GetAllClusterInfo() const;
  common::TopicList GetAllTopicList() const;
  // GET_TOPICS_BY_CLUSTER: the topics with queues on a broker of the cluster.
  common::TopicList GetTopicsByCluster(const std::string& cluster) const;
  // DELETE_TOPIC_IN_NAMESRV: the topic's queue data goes (brokers that still have the topic list
  // it again when their topic table changes). Returns whether it was there.
  bool DeleteTopic(const std::string& topic);
  // WIPE_WRITE_PERM_OF_BROKER: the write permission is taken from every queue data of the broker
  // name (until its next registration with a new data version). Returns the topics changed.
  int WipeWritePermOfBroker(const std::string& broker_name);

  // Inspection (checkers, tests, Python).
  const std::map<std::string, BrokerLiveInfo>& broker_live_table() const { return live_; }
  bool IsBrokerLive(const std::string& broker_addr) const { return live_.contains(broker_addr); }
  size_t topic_count() const { return topic_queue_table_.size(); }

  // Invariants, checked (RMQ_SIM_ASSERT, simulation only) after every change of the tables and
  // before every route is answered. Each returns a description of the first violation, or "".
  //   CheckConsistency: every topic's queue data names a broker of brokerAddrTable; every broker
  //     name has an address; every cluster member is in brokerAddrTable; every address listed
  //     in brokerAddrTable has a live entry (so the scan or a channel close can remove it),
  //     except the ones Java itself leaves behind (detached(): see below).
  //   CheckRouteFresh: the route lists no address this manager expired since it last registered.
  std::string CheckConsistency() const;
  std::string CheckRouteFresh(const common::TopicRouteData& route) const;
  // Addresses left listed without a live entry by 4.9.8's own rules, and only by them: an
  // UNREGISTER_BROKER removes the brokerId's slot, which may hold another address (two brokers
  // sharing a name and id), and a removal takes an address out of the first broker name that
  // lists it only (an address registered under two broker names). Cleared when it registers.
  const std::set<std::string>& detached() const { return detached_; }
  // Addresses expired by the scan and not registered since (tracked in simulation only).
  const std::set<std::string>& expired() const { return expired_; }

  // Tests only: lists `broker_addr` under `broker_name`/`broker_id` without touching the other
  // tables, to build the broken states the invariants must catch.
  void InjectBrokerAddrForTesting(const std::string& broker_name, int64_t broker_id,
                                  const std::string& broker_addr);

 private:
  // RMQ_SIM_ASSERT of CheckConsistency (simulation only).
  void AssertConsistent() const;
  // After a removal: an address still listed under another broker name is detached.
  void NoteIfStillListed(const std::string& broker_addr);

  bool IsBrokerTopicConfigChanged(const std::string& broker_addr,
                                  const common::DataVersion& version) const;
  void CreateAndUpdateQueueData(const std::string& broker_name, const common::TopicConfig& tc);
  // Removes one address from the tables (the common tail of expiry, close and unregister).
  Removal RemoveBrokerAddr(const std::string& broker_addr);
  Removal RemoveBrokerAddrFromData(const std::string& broker_name, const std::string& broker_addr,
                                   std::optional<int64_t> broker_id);

  std::map<std::string, std::map<std::string, common::QueueData>> topic_queue_table_;
  std::map<std::string, common::BrokerData> broker_addr_table_;
  std::map<std::string, std::set<std::string>> cluster_addr_table_;
  std::map<std::string, BrokerLiveInfo> live_;
  std::map<std::string, std::vector<std::string>> filter_server_table_;
  std::set<std::string> detached_;
  std::set<std::string> expired_;
};

}  // namespace rmqsim::namesrv
