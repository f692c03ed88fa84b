// Name-server route data (reference §3.7): TopicRouteData with QueueData and BrokerData
// (GET_ROUTEINFO_BY_TOPIC), ClusterInfo (GET_BROKER_CLUSTER_INFO), TopicList
// (GET_ALL_TOPIC_LIST_FROM_NAMESERVER) — apache/rocketmq 4.9.8 common/.../protocol/route/ and
// protocol/body/.
//
// Two JSON dialects exist because BrokerData.brokerAddrs is a map keyed by a Java Long:
//  - kStandard: what the 4.9.8 name server writes for request version >= 401 (V4_9_4) or
//    acceptStandardJsonOnly=true: map keys quoted ({"0":"10.0.0.1:10911"}), non-ASCII escaped as
//    \uXXXX (fastjson BrowserCompatible), keys sorted.
//  - kFastjson: fastjson's default output, for older request versions (ali-ons sends 121, the
//    C++ client 333, the Go client 317): the Long keys are bare ({0:"10.0.0.1:10911"}), UTF-8 raw.
//    QueueData also carries "topicSynFlag", the field's pre-4.9.0 name that the Go client reads.
// String-keyed maps (filterServerTable, brokerAddrTable, clusterAddrTable) are quoted in both.
// The decoders accept both dialects and both QueueData spellings.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "sim/base/status.h"

namespace rmqsim::common {

enum class JsonDialect { kStandard, kFastjson };

// MQVersion ordinal of V4_9_4: the first request version that gets standard route JSON.
inline constexpr int32_t kVersionV4_9_4 = 401;

// The dialect the 4.9.8 name server uses to answer GET_ROUTEINFO_BY_TOPIC
// (DefaultRequestProcessor.getRouteInfoByTopic).
inline constexpr JsonDialect RouteJsonDialectFor(int32_t request_version,
                                                 bool accept_standard_json_only) {
  return request_version >= kVersionV4_9_4 || accept_standard_json_only ? JsonDialect::kStandard
                                                                        : JsonDialect::kFastjson;
}

struct QueueData {
  std::string broker_name;
  int32_t read_queue_nums = 0;
  int32_t write_queue_nums = 0;
  int32_t perm = 0;
  int32_t topic_sys_flag = 0;  // "topicSysFlag" (4.9.0+) / "topicSynFlag" (older)
  friend bool operator==(const QueueData&, const QueueData&) = default;
};

struct BrokerData {
  std::string cluster;
  std::string broker_name;
  std::map<int64_t, std::string> broker_addrs;  // brokerId -> "ip:port"; 0 is the master
  // The address of broker id 0, if registered.
  std::optional<std::string> MasterAddr() const;
  friend bool operator==(const BrokerData&, const BrokerData&) = default;
};

struct TopicRouteData {
  std::optional<std::string> order_topic_conf;  // omitted from JSON when unset
  std::vector<QueueData> queue_datas;
  std::vector<BrokerData> broker_datas;
  std::map<std::string, std::vector<std::string>> filter_server_table;
  friend bool operator==(const TopicRouteData&, const TopicRouteData&) = default;
};

// Keys sorted; lists in the given order. "filterServerTable" is always written ({} when empty),
// "orderTopicConf" only when set.
std::string EncodeTopicRouteData(const TopicRouteData& route, JsonDialect dialect);
// Either dialect. Missing lists decode as empty. Errors name the JSON path.
StatusOr<TopicRouteData> DecodeTopicRouteData(std::string_view json);

struct ClusterInfo {
  std::map<std::string, BrokerData> broker_addr_table;              // brokerName -> data
  std::map<std::string, std::set<std::string>> cluster_addr_table;  // cluster -> brokerNames
  friend bool operator==(const ClusterInfo&, const ClusterInfo&) = default;
};

// The 4.9.8 name server always answers GET_BROKER_CLUSTER_INFO in the fastjson dialect.
std::string EncodeClusterInfo(const ClusterInfo& info,
                              JsonDialect dialect = JsonDialect::kFastjson);
StatusOr<ClusterInfo> DecodeClusterInfo(std::string_view json);

struct TopicList {
  std::set<std::string> topic_list;
  std::optional<std::string> broker_addr;  // omitted from JSON when unset
  friend bool operator==(const TopicList&, const TopicList&) = default;
};

std::string EncodeTopicList(const TopicList& list);
StatusOr<TopicList> DecodeTopicList(std::string_view json);

}  // namespace rmqsim::common
