#include "system/common/topic_config.h"

#include <vector>

#include "system/common/java_string.h"
#include "system/common/json_internal.h"

namespace rmqsim::common {

std::string_view TopicFilterTypeName(TopicFilterType type) {
  return type == TopicFilterType::kMultiTag ? "MULTI_TAG" : "SINGLE_TAG";
}

StatusOr<TopicFilterType> ParseTopicFilterType(std::string_view name) {
  if (name == "SINGLE_TAG") return TopicFilterType::kSingleTag;
  if (name == "MULTI_TAG") return TopicFilterType::kMultiTag;
  return InvalidArgumentError("topicFilterType: expected SINGLE_TAG or MULTI_TAG, saw \"" +
                              std::string(name) + "\"");
}

std::string EncodeTopicConfigText(const TopicConfig& c) {
  return c.topic_name + " " + std::to_string(c.read_queue_nums) + " " +
         std::to_string(c.write_queue_nums) + " " + std::to_string(c.perm) + " " +
         std::string(TopicFilterTypeName(c.topic_filter_type));
}

StatusOr<TopicConfig> DecodeTopicConfigText(std::string_view text) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t sp = text.find(' ', start);
    parts.push_back(text.substr(start, sp == std::string_view::npos ? sp : sp - start));
    if (sp == std::string_view::npos) break;
    start = sp + 1;
  }
  // String.split drops trailing empty strings.
  while (parts.size() > 1 && parts.back().empty()) parts.pop_back();
  if (parts.size() != 5) {
    return InvalidArgumentError("topic config text \"" + std::string(text) + "\": expected 5 " +
                                "space-separated fields, saw " + std::to_string(parts.size()));
  }
  TopicConfig c;
  c.topic_name = std::string(parts[0]);
  RMQ_ASSIGN_OR_RETURN(c.read_queue_nums, ParseJavaInt(parts[1], "topic config readQueueNums"));
  RMQ_ASSIGN_OR_RETURN(c.write_queue_nums, ParseJavaInt(parts[2], "topic config writeQueueNums"));
  RMQ_ASSIGN_OR_RETURN(c.perm, ParseJavaInt(parts[3], "topic config perm"));
  RMQ_ASSIGN_OR_RETURN(c.topic_filter_type, ParseTopicFilterType(parts[4]));
  return c;
}

namespace json_internal {

Json TopicConfigToJson(const TopicConfig& c) {
  Json j = Json::object();
  j["order"] = c.order;
  j["perm"] = c.perm;
  j["readQueueNums"] = c.read_queue_nums;
  j["topicFilterType"] = std::string(TopicFilterTypeName(c.topic_filter_type));
  j["topicName"] = c.topic_name;
  j["topicSysFlag"] = c.topic_sys_flag;
  j["writeQueueNums"] = c.write_queue_nums;
  return j;
}

Status TopicConfigFromJson(const Json& j, const std::string& path, TopicConfig* out) {
  RMQ_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(j, path));
  TopicConfig c = *out;  // members missing from the JSON keep the caller's values
  RMQ_RETURN_IF_ERROR(r.String("topicName", &c.topic_name));
  RMQ_RETURN_IF_ERROR(r.Int32("readQueueNums", &c.read_queue_nums));
  RMQ_RETURN_IF_ERROR(r.Int32("writeQueueNums", &c.write_queue_nums));
  RMQ_RETURN_IF_ERROR(r.Int32("perm", &c.perm));
  std::string filter = std::string(TopicFilterTypeName(c.topic_filter_type));
  RMQ_RETURN_IF_ERROR(r.String("topicFilterType", &filter));
  auto type = ParseTopicFilterType(filter);
  if (!type.ok()) return type.status().WithContext(r.path());
  c.topic_filter_type = *type;
  RMQ_RETURN_IF_ERROR(r.Int32("topicSysFlag", &c.topic_sys_flag));
  RMQ_RETURN_IF_ERROR(r.Bool("order", &c.order));
  *out = std::move(c);
  return Status::Ok();
}

}  // namespace json_internal

std::string EncodeTopicConfigJson(const TopicConfig& config) {
  return json_internal::Dump(json_internal::TopicConfigToJson(config), false);
}

StatusOr<TopicConfig> DecodeTopicConfigJson(std::string_view json) {
  RMQ_ASSIGN_OR_RETURN(json_internal::Json j, json_internal::Parse(json, "TopicConfig"));
  TopicConfig c;
  RMQ_RETURN_IF_ERROR(json_internal::TopicConfigFromJson(j, "TopicConfig", &c));
  return c;
}

}  // namespace rmqsim::common
