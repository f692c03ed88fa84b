#include "system/common/register_broker_body.h"

#include <limits>

#include "system/common/compression.h"
#include "system/common/json_internal.h"

namespace rmqsim::common {
namespace {

using json_internal::Json;
using json_internal::ObjectReader;

Json DataVersionToJson(const DataVersion& v) {
  Json j = Json::object();
  j["counter"] = v.counter;
  j["timestamp"] = v.timestamp;
  return j;
}

Status DataVersionFromJson(const Json& j, const std::string& path, DataVersion* out) {
  RMQ_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(j, path));
  DataVersion v;
  RMQ_RETURN_IF_ERROR(r.Int64("timestamp", &v.timestamp));
  RMQ_RETURN_IF_ERROR(r.Int64("counter", &v.counter));
  *out = v;
  return Status::Ok();
}

Json WrapperToJson(const TopicConfigSerializeWrapper& w) {
  Json j = Json::object();
  j["dataVersion"] = DataVersionToJson(w.data_version);
  Json table = Json::object();
  for (const auto& [name, config] : w.topic_config_table) {
    table[name] = json_internal::TopicConfigToJson(config);
  }
  j["topicConfigTable"] = std::move(table);
  return j;
}

Status WrapperFromJson(const Json& j, const std::string& path, TopicConfigSerializeWrapper* out) {
  RMQ_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(j, path));
  TopicConfigSerializeWrapper w;
  RMQ_ASSIGN_OR_RETURN(const Json* version, r.Object("dataVersion"));
  if (version != nullptr) {
    RMQ_RETURN_IF_ERROR(DataVersionFromJson(*version, r.PathOf("dataVersion"), &w.data_version));
  }
  RMQ_ASSIGN_OR_RETURN(const Json* table, r.Object("topicConfigTable"));
  if (table != nullptr) {
    for (const auto& [name, value] : table->items()) {
      TopicConfig c;
      c.topic_name = name;
      RMQ_RETURN_IF_ERROR(json_internal::TopicConfigFromJson(
          value, r.PathOf("topicConfigTable") + "[" + name + "]", &c));
      w.topic_config_table[name] = std::move(c);
    }
  }
  *out = std::move(w);
  return Status::Ok();
}

Status FilterListFromJson(const Json& a, const std::string& path, std::vector<std::string>* out) {
  if (!a.is_array()) return InvalidArgumentError(path + ": expected an array");
  for (size_t i = 0; i < a.size(); ++i) {
    std::string s;
    RMQ_RETURN_IF_ERROR(json_internal::AsString(a[i], path + "[" + std::to_string(i) + "]", &s));
    out->push_back(std::move(s));
  }
  return Status::Ok();
}

void PutChunk(ByteWriter& w, std::string_view text) {
  w.PutI32(static_cast<int32_t>(text.size()));
  w.PutString(text);
}

StatusOr<std::string_view> ReadChunk(ByteReader& r, std::string_view field) {
  RMQ_ASSIGN_OR_RETURN(int32_t len, r.ReadI32(std::string(field) + " length"));
  if (len < 0) return r.Error(field, "negative length " + std::to_string(len), 4);
  RMQ_ASSIGN_OR_RETURN(ByteSpan b, r.ReadBytes(static_cast<size_t>(len), field));
  return AsStringView(b);
}

}  // namespace

std::string EncodeDataVersion(const DataVersion& version) {
  return json_internal::Dump(DataVersionToJson(version), false);
}

StatusOr<DataVersion> DecodeDataVersion(std::string_view json) {
  RMQ_ASSIGN_OR_RETURN(Json j, json_internal::Parse(json, "DataVersion"));
  DataVersion v;
  RMQ_RETURN_IF_ERROR(DataVersionFromJson(j, "DataVersion", &v));
  return v;
}

std::string EncodeTopicConfigSerializeWrapper(const TopicConfigSerializeWrapper& wrapper) {
  return json_internal::Dump(WrapperToJson(wrapper), false);
}

StatusOr<TopicConfigSerializeWrapper> DecodeTopicConfigSerializeWrapper(std::string_view json) {
  RMQ_ASSIGN_OR_RETURN(Json j, json_internal::Parse(json, "TopicConfigSerializeWrapper"));
  TopicConfigSerializeWrapper w;
  RMQ_RETURN_IF_ERROR(WrapperFromJson(j, "TopicConfigSerializeWrapper", &w));
  return w;
}

std::string EncodeRegisterBrokerBody(const RegisterBrokerBody& body) {
  Json j = Json::object();
  j["filterServerList"] = body.filter_server_list;
  j["topicConfigSerializeWrapper"] = WrapperToJson(body.topic_config_serialize_wrapper);
  return json_internal::Dump(j, false);
}

StatusOr<RegisterBrokerBody> DecodeRegisterBrokerBody(std::string_view json) {
  RMQ_ASSIGN_OR_RETURN(Json j, json_internal::Parse(json, "RegisterBrokerBody"));
  RMQ_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(j, "RegisterBrokerBody"));
  RegisterBrokerBody body;
  RMQ_ASSIGN_OR_RETURN(const Json* wrapper, r.Object("topicConfigSerializeWrapper"));
  if (wrapper != nullptr) {
    RMQ_RETURN_IF_ERROR(WrapperFromJson(*wrapper, r.PathOf("topicConfigSerializeWrapper"),
                                        &body.topic_config_serialize_wrapper));
  }
  RMQ_ASSIGN_OR_RETURN(const Json* filters, r.Array("filterServerList"));
  if (filters != nullptr) {
    RMQ_RETURN_IF_ERROR(
        FilterListFromJson(*filters, r.PathOf("filterServerList"), &body.filter_server_list));
  }
  return body;
}

StatusOr<Bytes> EncodeRegisterBrokerBodyCompressed(const RegisterBrokerBody& body) {
  const auto& wrapper = body.topic_config_serialize_wrapper;
  Bytes plain;
  ByteWriter w(&plain);
  PutChunk(w, EncodeDataVersion(wrapper.data_version));
  if (wrapper.topic_config_table.size() > static_cast<size_t>(INT32_MAX)) {
    return InvalidArgumentError("too many topics for the compressed register body");
  }
  w.PutI32(static_cast<int32_t>(wrapper.topic_config_table.size()));
  for (const auto& [name, config] : wrapper.topic_config_table) {
    PutChunk(w, EncodeTopicConfigText(config));
  }
  PutChunk(w, json_internal::Dump(Json(body.filter_server_list), false));
  return ZlibCompress(plain, 9);  // Deflater.BEST_COMPRESSION
}

StatusOr<RegisterBrokerBody> DecodeRegisterBrokerBodyCompressed(ByteSpan data,
                                                                size_t max_inflated_bytes) {
  auto plain = ZlibUncompress(data, max_inflated_bytes);
  if (!plain.ok()) return plain.status().WithContext("compressed RegisterBrokerBody");
  ByteReader r(*plain, StatusCode::kInvalidArgument);
  RegisterBrokerBody body;
  auto& wrapper = body.topic_config_serialize_wrapper;
  Status s = [&]() -> Status {
    RMQ_ASSIGN_OR_RETURN(std::string_view version, ReadChunk(r, "dataVersion"));
    RMQ_ASSIGN_OR_RETURN(wrapper.data_version, DecodeDataVersion(version));
    RMQ_ASSIGN_OR_RETURN(int32_t count, r.ReadI32("topic count"));
    if (count < 0) return r.Error("topic count", "negative count " + std::to_string(count), 4);
    for (int32_t i = 0; i < count; ++i) {
      const std::string field = "topic config #" + std::to_string(i);
      RMQ_ASSIGN_OR_RETURN(std::string_view text, ReadChunk(r, field));
      auto config = DecodeTopicConfigText(text);
      if (!config.ok()) return config.status().WithContext(field);
      wrapper.topic_config_table[config->topic_name] = *config;
    }
    RMQ_ASSIGN_OR_RETURN(std::string_view filters, ReadChunk(r, "filterServerList"));
    RMQ_ASSIGN_OR_RETURN(Json j, json_internal::Parse(filters, "filterServerList"));
    return FilterListFromJson(j, "filterServerList", &body.filter_server_list);
  }();
  if (!s.ok()) return s.WithContext("compressed RegisterBrokerBody");
  return body;
}

std::string EncodeKvTable(const KvTable& table) {
  Json j = Json::object();
  j["table"] = table.table;
  return json_internal::Dump(j, false);
}

StatusOr<KvTable> DecodeKvTable(std::string_view json) {
  RMQ_ASSIGN_OR_RETURN(Json j, json_internal::Parse(json, "KVTable"));
  RMQ_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(j, "KVTable"));
  KvTable t;
  RMQ_ASSIGN_OR_RETURN(const Json* table, r.Object("table"));
  if (table != nullptr) {
    for (const auto& [key, value] : table->items()) {
      std::string v;
      RMQ_RETURN_IF_ERROR(json_internal::AsString(value, r.PathOf("table") + "[" + key + "]", &v));
      t.table[key] = std::move(v);
    }
  }
  return t;
}

}  // namespace rmqsim::common
