#include "system/common/subscription_group.h"

#include "system/common/json_internal.h"

namespace rmqsim::common {

using json_internal::Json;
using json_internal::ObjectReader;

namespace {

Json GroupToJson(const SubscriptionGroupConfig& c) {
  Json j = Json::object();  // nlohmann orders object keys alphabetically, as fastjson does
  j["brokerId"] = c.broker_id;
  j["consumeBroadcastEnable"] = c.consume_broadcast_enable;
  j["consumeEnable"] = c.consume_enable;
  j["consumeFromMinEnable"] = c.consume_from_min_enable;
  j["groupName"] = c.group_name;
  j["notifyConsumerIdsChangedEnable"] = c.notify_consumer_ids_changed_enable;
  j["retryMaxTimes"] = c.retry_max_times;
  j["retryQueueNums"] = c.retry_queue_nums;
  j["whichBrokerWhenConsumeSlowly"] = c.which_broker_when_consume_slowly;
  return j;
}

Status GroupFromJson(const Json& j, const std::string& path, SubscriptionGroupConfig* out) {
  RMQ_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(j, path));
  SubscriptionGroupConfig c = *out;
  RMQ_RETURN_IF_ERROR(r.Int64("brokerId", &c.broker_id));
  RMQ_RETURN_IF_ERROR(r.Bool("consumeBroadcastEnable", &c.consume_broadcast_enable));
  RMQ_RETURN_IF_ERROR(r.Bool("consumeEnable", &c.consume_enable));
  RMQ_RETURN_IF_ERROR(r.Bool("consumeFromMinEnable", &c.consume_from_min_enable));
  RMQ_RETURN_IF_ERROR(r.String("groupName", &c.group_name));
  RMQ_RETURN_IF_ERROR(
      r.Bool("notifyConsumerIdsChangedEnable", &c.notify_consumer_ids_changed_enable));
  RMQ_RETURN_IF_ERROR(r.Int32("retryMaxTimes", &c.retry_max_times));
  RMQ_RETURN_IF_ERROR(r.Int32("retryQueueNums", &c.retry_queue_nums));
  RMQ_RETURN_IF_ERROR(
      r.Int64("whichBrokerWhenConsumeSlowly", &c.which_broker_when_consume_slowly));
  *out = std::move(c);
  return Status::Ok();
}

}  // namespace

std::string EncodeSubscriptionGroupConfig(const SubscriptionGroupConfig& config) {
  return json_internal::Dump(GroupToJson(config), false);
}

StatusOr<SubscriptionGroupConfig> DecodeSubscriptionGroupConfig(std::string_view json) {
  const std::string what = "SubscriptionGroupConfig";
  RMQ_ASSIGN_OR_RETURN(Json j, json_internal::Parse(json, what));
  SubscriptionGroupConfig c;
  RMQ_RETURN_IF_ERROR(GroupFromJson(j, what, &c));
  if (c.group_name.empty()) return InvalidArgumentError(what + ".groupName: required");
  return c;
}

std::string EncodeSubscriptionGroupWrapper(const SubscriptionGroupWrapper& wrapper) {
  Json j = Json::object();
  auto version = json_internal::Parse(EncodeDataVersion(wrapper.data_version), "DataVersion");
  j["dataVersion"] = version.ok() ? *version : Json::object();
  Json table = Json::object();
  for (const auto& [name, c] : wrapper.subscription_group_table) table[name] = GroupToJson(c);
  j["subscriptionGroupTable"] = std::move(table);
  return json_internal::Dump(j, false);
}

StatusOr<SubscriptionGroupWrapper> DecodeSubscriptionGroupWrapper(std::string_view json) {
  const std::string what = "SubscriptionGroupWrapper";
  RMQ_ASSIGN_OR_RETURN(Json j, json_internal::Parse(json_internal::QuoteBareIntegerKeys(json), what));
  RMQ_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(j, what));
  SubscriptionGroupWrapper w;
  RMQ_ASSIGN_OR_RETURN(const Json* version, r.Object("dataVersion"));
  if (version != nullptr) {
    auto v = DecodeDataVersion(version->dump());
    if (!v.ok()) return v.status().WithContext(r.PathOf("dataVersion"));
    w.data_version = *v;
  }
  RMQ_ASSIGN_OR_RETURN(const Json* table, r.Object("subscriptionGroupTable"));
  if (table != nullptr) {
    for (const auto& [name, value] : table->items()) {
      SubscriptionGroupConfig c;
      c.group_name = name;
      RMQ_RETURN_IF_ERROR(
          GroupFromJson(value, r.PathOf("subscriptionGroupTable") + "[" + name + "]", &c));
      w.subscription_group_table[name] = std::move(c);
    }
  }
  return w;
}

}  // namespace rmqsim::common
