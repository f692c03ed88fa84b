#include "system/common/heartbeat_data.h"

#include <utility>

#include "system/common/java_string.h"
#include "system/common/json_internal.h"

namespace rmqsim::common {
namespace {

using json_internal::Json;
using json_internal::ObjectReader;

template <typename E, size_t N>
StatusOr<E> ParseEnum(std::string_view name, const std::pair<E, std::string_view> (&table)[N],
                      std::string_view what) {
  std::string expected;
  for (const auto& [value, text] : table) {
    if (text == name) return value;
    if (!expected.empty()) expected += ", ";
    expected += text;
  }
  return InvalidArgumentError(std::string(what) + ": unknown value \"" + std::string(name) +
                              "\" (expected one of " + expected + ")");
}

template <typename E, size_t N>
std::string_view EnumName(E v, const std::pair<E, std::string_view> (&table)[N]) {
  for (const auto& [value, text] : table) {
    if (value == v) return text;
  }
  return "UNKNOWN";
}

constexpr std::pair<ConsumeType, std::string_view> kConsumeTypes[] = {
    {ConsumeType::kConsumeActively, "CONSUME_ACTIVELY"},
    {ConsumeType::kConsumePassively, "CONSUME_PASSIVELY"},
    {ConsumeType::kConsumePop, "CONSUME_POP"},
};
constexpr std::pair<MessageModel, std::string_view> kMessageModels[] = {
    {MessageModel::kBroadcasting, "BROADCASTING"},
    {MessageModel::kClustering, "CLUSTERING"},
};
constexpr std::pair<ConsumeFromWhere, std::string_view> kConsumeFromWheres[] = {
    {ConsumeFromWhere::kConsumeFromLastOffset, "CONSUME_FROM_LAST_OFFSET"},
    {ConsumeFromWhere::kConsumeFromLastOffsetAndFromMinWhenBootFirst,
     "CONSUME_FROM_LAST_OFFSET_AND_FROM_MIN_WHEN_BOOT_FIRST"},
    {ConsumeFromWhere::kConsumeFromMinOffset, "CONSUME_FROM_MIN_OFFSET"},
    {ConsumeFromWhere::kConsumeFromMaxOffset, "CONSUME_FROM_MAX_OFFSET"},
    {ConsumeFromWhere::kConsumeFromFirstOffset, "CONSUME_FROM_FIRST_OFFSET"},
    {ConsumeFromWhere::kConsumeFromTimestamp, "CONSUME_FROM_TIMESTAMP"},
};

bool IsTagType(std::string_view type) {
  return type.empty() || type == kExpressionTypeTag;
}


Status ConsumerFromJson(const Json& j, const std::string& path, ConsumerData* out) {
  RMQ_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(j, path));
  ConsumerData c;
  RMQ_RETURN_IF_ERROR(r.String("groupName", &c.group_name));
  std::string name;
  if (r.Find("consumeType") != nullptr) {
    RMQ_RETURN_IF_ERROR(r.String("consumeType", &name));
    RMQ_ASSIGN_OR_RETURN(c.consume_type, ParseEnum(name, kConsumeTypes, r.PathOf("consumeType")));
  }
  if (r.Find("messageModel") != nullptr) {
    RMQ_RETURN_IF_ERROR(r.String("messageModel", &name));
    RMQ_ASSIGN_OR_RETURN(c.message_model,
                         ParseEnum(name, kMessageModels, r.PathOf("messageModel")));
  }
  if (r.Find("consumeFromWhere") != nullptr) {
    RMQ_RETURN_IF_ERROR(r.String("consumeFromWhere", &name));
    RMQ_ASSIGN_OR_RETURN(c.consume_from_where,
                         ParseEnum(name, kConsumeFromWheres, r.PathOf("consumeFromWhere")));
  }
  RMQ_RETURN_IF_ERROR(r.Bool("unitMode", &c.unit_mode));
  RMQ_ASSIGN_OR_RETURN(const Json* subs, r.Array("subscriptionDataSet"));
  if (subs != nullptr) {
    for (size_t i = 0; i < subs->size(); ++i) {
      SubscriptionData s;
      RMQ_RETURN_IF_ERROR(json_internal::SubscriptionFromJson(
          (*subs)[i], r.PathOf("subscriptionDataSet") + "[" + std::to_string(i) + "]", &s));
      c.subscription_data_set.push_back(std::move(s));
    }
  }
  *out = std::move(c);
  return Status::Ok();
}

}  // namespace

std::string_view ConsumeTypeName(ConsumeType v) {
  return EnumName(v, kConsumeTypes);
}
std::string_view MessageModelName(MessageModel v) {
  return EnumName(v, kMessageModels);
}
std::string_view ConsumeFromWhereName(ConsumeFromWhere v) {
  return EnumName(v, kConsumeFromWheres);
}
StatusOr<ConsumeType> ParseConsumeType(std::string_view name) {
  return ParseEnum(name, kConsumeTypes, "consumeType");
}
StatusOr<MessageModel> ParseMessageModel(std::string_view name) {
  return ParseEnum(name, kMessageModels, "messageModel");
}
StatusOr<ConsumeFromWhere> ParseConsumeFromWhere(std::string_view name) {
  return ParseEnum(name, kConsumeFromWheres, "consumeFromWhere");
}

bool SubscriptionData::SubscribesAll() const {
  return IsTagType(expression_type) && sub_string == kSubAll;
}

StatusOr<SubscriptionData> BuildSubscriptionData(std::string_view topic,
                                                 std::string_view sub_string,
                                                 std::string_view expression_type,
                                                 int64_t sub_version) {
  SubscriptionData s;
  s.topic = std::string(topic);
  s.sub_version = sub_version;
  if (!IsTagType(expression_type)) {
    if (sub_string.empty()) {
      return InvalidArgumentError("subscription to " + std::string(topic) + ": a " +
                                  std::string(expression_type) + " expression can't be empty");
    }
    s.sub_string = std::string(sub_string);
    s.expression_type = std::string(expression_type);
    return s;
  }
  s.expression_type = std::string(kExpressionTypeTag);
  if (sub_string.empty() || sub_string == kSubAll) {
    s.sub_string = std::string(kSubAll);
    return s;
  }
  s.sub_string = std::string(sub_string);
  size_t start = 0;
  while (start <= sub_string.size()) {
    size_t end = sub_string.find("||", start);
    if (end == std::string_view::npos) end = sub_string.size();
    const std::string_view tag = JavaTrim(sub_string.substr(start, end - start));
    if (!tag.empty()) {
      s.tags_set.insert(std::string(tag));
      s.code_set.insert(JavaStringHashCode(tag));
    }
    start = end + 2;
  }
  return s;
}

std::string EncodeHeartbeatData(const HeartbeatData& data) {
  Json j = Json::object();
  j["clientID"] = data.client_id;
  j["consumerDataSet"] = Json::array();
  for (const ConsumerData& c : data.consumer_data_set) {
    Json cj = Json::object();
    cj["consumeFromWhere"] = std::string(ConsumeFromWhereName(c.consume_from_where));
    cj["consumeType"] = std::string(ConsumeTypeName(c.consume_type));
    cj["groupName"] = c.group_name;
    cj["messageModel"] = std::string(MessageModelName(c.message_model));
    cj["subscriptionDataSet"] = Json::array();
    for (const SubscriptionData& s : c.subscription_data_set) {
      cj["subscriptionDataSet"].push_back(json_internal::SubscriptionToJson(s));
    }
    cj["unitMode"] = c.unit_mode;
    j["consumerDataSet"].push_back(std::move(cj));
  }
  j["producerDataSet"] = Json::array();
  for (const ProducerData& p : data.producer_data_set) {
    j["producerDataSet"].push_back(Json{{"groupName", p.group_name}});
  }
  return json_internal::Dump(j, false);
}

StatusOr<HeartbeatData> DecodeHeartbeatData(std::string_view json) {
  RMQ_ASSIGN_OR_RETURN(Json j, json_internal::Parse(json, "HeartbeatData"));
  RMQ_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(j, "HeartbeatData"));
  HeartbeatData h;
  RMQ_RETURN_IF_ERROR(r.String("clientID", &h.client_id, /*required=*/true));
  RMQ_ASSIGN_OR_RETURN(const Json* producers, r.Array("producerDataSet"));
  if (producers != nullptr) {
    for (size_t i = 0; i < producers->size(); ++i) {
      const std::string path = r.PathOf("producerDataSet") + "[" + std::to_string(i) + "]";
      RMQ_ASSIGN_OR_RETURN(ObjectReader pr, ObjectReader::Make((*producers)[i], path));
      ProducerData p;
      RMQ_RETURN_IF_ERROR(pr.String("groupName", &p.group_name));
      h.producer_data_set.push_back(std::move(p));
    }
  }
  RMQ_ASSIGN_OR_RETURN(const Json* consumers, r.Array("consumerDataSet"));
  if (consumers != nullptr) {
    for (size_t i = 0; i < consumers->size(); ++i) {
      ConsumerData c;
      RMQ_RETURN_IF_ERROR(ConsumerFromJson(
          (*consumers)[i], r.PathOf("consumerDataSet") + "[" + std::to_string(i) + "]", &c));
      h.consumer_data_set.push_back(std::move(c));
    }
  }
  return h;
}

namespace json_internal {

Json SubscriptionToJson(const SubscriptionData& s) {
  Json j = Json::object();
  j["classFilterMode"] = s.class_filter_mode;
  j["codeSet"] = Json::array();
  for (int32_t c : s.code_set) j["codeSet"].push_back(c);
  j["expressionType"] = s.expression_type;
  j["subString"] = s.sub_string;
  j["subVersion"] = s.sub_version;
  j["tagsSet"] = Json::array();
  for (const auto& t : s.tags_set) j["tagsSet"].push_back(t);
  j["topic"] = s.topic;
  return j;
}

Status SubscriptionFromJson(const Json& j, const std::string& path, SubscriptionData* out) {
  RMQ_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(j, path));
  SubscriptionData s;
  RMQ_RETURN_IF_ERROR(r.String("topic", &s.topic));
  RMQ_RETURN_IF_ERROR(r.String("subString", &s.sub_string));
  RMQ_RETURN_IF_ERROR(r.Bool("classFilterMode", &s.class_filter_mode));
  RMQ_RETURN_IF_ERROR(r.String("expressionType", &s.expression_type));
  RMQ_RETURN_IF_ERROR(r.Int64("subVersion", &s.sub_version));
  RMQ_ASSIGN_OR_RETURN(const Json* tags, r.Array("tagsSet"));
  if (tags != nullptr) {
    for (size_t i = 0; i < tags->size(); ++i) {
      std::string t;
      RMQ_RETURN_IF_ERROR(json_internal::AsString(
          (*tags)[i], r.PathOf("tagsSet") + "[" + std::to_string(i) + "]", &t));
      s.tags_set.insert(std::move(t));
    }
  }
  RMQ_ASSIGN_OR_RETURN(const Json* codes, r.Array("codeSet"));
  if (codes != nullptr) {
    for (size_t i = 0; i < codes->size(); ++i) {
      int32_t c = 0;
      RMQ_RETURN_IF_ERROR(json_internal::AsInt32(
          (*codes)[i], r.PathOf("codeSet") + "[" + std::to_string(i) + "]", &c));
      s.code_set.insert(c);
    }
  }
  *out = std::move(s);
  return Status::Ok();
}

}  // namespace json_internal

}  // namespace rmqsim::common
