// HEART_BEAT body (reference §3.6; real-clients.md §1.5): HeartbeatData, ProducerData,
// ConsumerData, SubscriptionData (apache/rocketmq 4.9.8 common/.../protocol/heartbeat/), and
// FilterAPI.build for tag subscriptions.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "sim/base/status.h"

namespace rmqsim::common {

// CONSUME_POP is 5.x; accepted so that 5.x heartbeats decode.
enum class ConsumeType { kConsumeActively, kConsumePassively, kConsumePop };
enum class MessageModel { kBroadcasting, kClustering };
enum class ConsumeFromWhere {
  kConsumeFromLastOffset,
  kConsumeFromLastOffsetAndFromMinWhenBootFirst,  // deprecated
  kConsumeFromMinOffset,                          // deprecated
  kConsumeFromMaxOffset,                          // deprecated
  kConsumeFromFirstOffset,
  kConsumeFromTimestamp,
};

// The Java enum constant names ("CONSUME_PASSIVELY", "CLUSTERING", "CONSUME_FROM_LAST_OFFSET").
std::string_view ConsumeTypeName(ConsumeType v);
std::string_view MessageModelName(MessageModel v);
std::string_view ConsumeFromWhereName(ConsumeFromWhere v);
StatusOr<ConsumeType> ParseConsumeType(std::string_view name);
StatusOr<MessageModel> ParseMessageModel(std::string_view name);
StatusOr<ConsumeFromWhere> ParseConsumeFromWhere(std::string_view name);

// SubscriptionData.SUB_ALL and ExpressionType.
inline constexpr std::string_view kSubAll = "*";
inline constexpr std::string_view kExpressionTypeTag = "TAG";
inline constexpr std::string_view kExpressionTypeSql92 = "SQL92";

struct SubscriptionData {
  std::string topic;
  std::string sub_string;
  std::set<std::string> tags_set;
  std::set<int32_t> code_set;  // Java String.hashCode of each tag
  bool class_filter_mode = false;
  std::string expression_type = std::string(kExpressionTypeTag);
  int64_t sub_version = 0;  // ms timestamp of when the subscription was built

  // A TAG expression (type "TAG" or empty) whose subString is "*": the broker's tag filter lets
  // every message through (ExpressionMessageFilter.isMatchedByConsumeQueue).
  bool SubscribesAll() const;

  friend bool operator==(const SubscriptionData&, const SubscriptionData&) = default;
};

// FilterAPI.build: for TAG (or empty type) an empty or "*" expression becomes "*" with no tags;
// otherwise the expression is split on "||", each part trimmed (String.trim), empty parts dropped,
// and tags_set / code_set filled. For other types (SQL92) the expression is kept as is and must
// not be empty. `sub_version` is the caller's clock reading.
StatusOr<SubscriptionData> BuildSubscriptionData(std::string_view topic,
                                                 std::string_view sub_string,
                                                 std::string_view expression_type,
                                                 int64_t sub_version);

struct ProducerData {
  std::string group_name;
  friend bool operator==(const ProducerData&, const ProducerData&) = default;
};

struct ConsumerData {
  std::string group_name;
  ConsumeType consume_type = ConsumeType::kConsumePassively;
  MessageModel message_model = MessageModel::kClustering;
  ConsumeFromWhere consume_from_where = ConsumeFromWhere::kConsumeFromLastOffset;
  std::vector<SubscriptionData> subscription_data_set;
  bool unit_mode = false;
  friend bool operator==(const ConsumerData&, const ConsumerData&) = default;
};

struct HeartbeatData {
  std::string client_id;  // JSON "clientID"
  std::vector<ProducerData> producer_data_set;
  std::vector<ConsumerData> consumer_data_set;
  friend bool operator==(const HeartbeatData&, const HeartbeatData&) = default;
};

// Compact JSON with keys sorted, as fastjson writes HeartbeatData (raw UTF-8).
std::string EncodeHeartbeatData(const HeartbeatData& data);
// Accepts what Java and ali-ons send: clientID is required; other members default when missing
// (consumeType CONSUME_PASSIVELY, messageModel CLUSTERING, consumeFromWhere
// CONSUME_FROM_LAST_OFFSET, expressionType TAG, subVersion 0); unknown members (5.x
// heartbeatFingerprint, isWithoutSub, ...) are ignored. Errors name the JSON path.
StatusOr<HeartbeatData> DecodeHeartbeatData(std::string_view json);

}  // namespace rmqsim::common
