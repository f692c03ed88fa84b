// JSON bodies of the admin requests (apache/rocketmq 4.9.8 common/.../admin/ and
// protocol/body/): TopicStatsTable (GET_TOPIC_STATS_INFO), ConsumeStats (GET_CONSUME_STATS),
// ConsumerConnection (GET_CONSUMER_CONNECTION_LIST),
// ResetOffsetBody (INVOKE_BROKER_TO_RESET_OFFSET, RESET_CONSUMER_CLIENT_OFFSET), GroupList
// (QUERY_TOPIC_CONSUME_BY_WHO), and java.util.Properties text (GET_BROKER_CONFIG,
// UPDATE_BROKER_CONFIG). GET_BROKER_RUNTIME_INFO's KVTable is common::KvTable
// (register_broker_body.h).
//
// The encoders write what fastjson writes: members sorted, and Map<MessageQueue, X> with the
// MessageQueue object itself as the key, which is not standard JSON:
//
//   {"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"T"}:{"lastUpdateTimestamp":0,
//    "maxOffset":3,"minOffset":0}}}
//
// The decoders accept that form (any JSON value as an object key, bare integer keys included)
// as well as standard JSON.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "sim/base/status.h"
#include "system/common/heartbeat_data.h"
#include "system/common/message_queue.h"

namespace rmqsim::common {

struct TopicOffset {
  int64_t min_offset = 0;
  int64_t max_offset = 0;
  int64_t last_update_timestamp = 0;
  friend bool operator==(const TopicOffset&, const TopicOffset&) = default;
};

struct TopicStatsTable {
  std::map<MessageQueue, TopicOffset> offset_table;
  friend bool operator==(const TopicStatsTable&, const TopicStatsTable&) = default;
};
std::string EncodeTopicStatsTable(const TopicStatsTable& table);
StatusOr<TopicStatsTable> DecodeTopicStatsTable(std::string_view json);

struct OffsetWrapper {
  int64_t broker_offset = 0;
  int64_t consumer_offset = 0;
  int64_t last_timestamp = 0;
  friend bool operator==(const OffsetWrapper&, const OffsetWrapper&) = default;
};

struct ConsumeStats {
  std::map<MessageQueue, OffsetWrapper> offset_table;
  double consume_tps = 0;
  // ConsumeStats.computeTotalDiff: sum of brokerOffset - consumerOffset.
  int64_t ComputeTotalDiff() const;
  friend bool operator==(const ConsumeStats&, const ConsumeStats&) = default;
};
std::string EncodeConsumeStats(const ConsumeStats& stats);
StatusOr<ConsumeStats> DecodeConsumeStats(std::string_view json);

struct Connection {
  std::string client_id;
  std::string client_addr;
  std::string language = "JAVA";  // LanguageCode name
  int32_t version = 0;            // MQVersion ordinal
  friend bool operator==(const Connection&, const Connection&) = default;
};

struct ConsumerConnection {
  std::vector<Connection> connection_set;
  std::map<std::string, SubscriptionData> subscription_table;  // by topic
  ConsumeType consume_type = ConsumeType::kConsumePassively;
  MessageModel message_model = MessageModel::kClustering;
  ConsumeFromWhere consume_from_where = ConsumeFromWhere::kConsumeFromLastOffset;
  // ConsumerConnection.computeMinVersion: the lowest version of the connections
  // (Integer.MAX_VALUE when none).
  int32_t ComputeMinVersion() const;
  friend bool operator==(const ConsumerConnection&, const ConsumerConnection&) = default;
};
std::string EncodeConsumerConnection(const ConsumerConnection& cc);
StatusOr<ConsumerConnection> DecodeConsumerConnection(std::string_view json);

struct ResetOffsetBody {
  std::map<MessageQueue, int64_t> offset_table;
  friend bool operator==(const ResetOffsetBody&, const ResetOffsetBody&) = default;
};
std::string EncodeResetOffsetBody(const ResetOffsetBody& body);
StatusOr<ResetOffsetBody> DecodeResetOffsetBody(std::string_view json);

// GroupList: {"groupList":["g1","g2"]}.
std::string EncodeGroupList(const std::set<std::string>& groups);
StatusOr<std::set<std::string>> DecodeGroupList(std::string_view json);

// MixAll.properties2String: "key=value\n" per entry, in key order.
std::string PropertiesToString(const std::map<std::string, std::string>& properties);
// MixAll.string2Properties (java.util.Properties.load, the common subset): one entry per line,
// key and value separated by the first '=' or ':' (or whitespace), both trimmed; blank lines and
// lines starting with '#' or '!' skipped; a line without a separator is a key with an empty
// value. Backslash escapes and continuation lines are not supported: a line ending in '\' is
// kInvalidArgument naming the line.
StatusOr<std::map<std::string, std::string>> StringToProperties(std::string_view text);
// A properties file's text with `updates` applied (rmqsim's form of Configuration.persist):
// every line whose key (read as StringToProperties reads it) is updated becomes "key=value"; the
// other lines, comments and blank lines stay as they are; updated keys the text lacks are
// appended, in key order. (Java rewrites the whole file from its settings, comments lost.)
std::string UpdatePropertiesText(std::string_view text,
                                 const std::map<std::string, std::string>& updates);

// MQVersion.getVersionDesc for 4.x and 5.x ordinals ("V4_9_8", "V5_0_0_SNAPSHOT": from
// V4_0_0_SNAPSHOT = 212 on, every x.y.z has a SNAPSHOT and a release, z and y in 0..9); older
// ordinals are given as "ordinal N".
std::string MQVersionDesc(int32_t ordinal);

// fastjson's Double.toString form of a double: "0.0", "12.5", "1.0E10".
std::string JavaDoubleString(double v);

}  // namespace rmqsim::common
