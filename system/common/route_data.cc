#include "system/common/route_data.h"

#include "system/common/java_string.h"
#include "system/common/json_internal.h"

namespace rmqsim::common {
namespace {

using json_internal::Json;
using json_internal::ObjectReader;
using json_internal::ObjectWriter;

bool EnsureAscii(JsonDialect d) {
  return d == JsonDialect::kStandard;
}

std::string IndexPath(const ObjectReader& r, const char* key, size_t i) {
  return r.PathOf(key) + "[" + std::to_string(i) + "]";
}

// Decoders go through this: fastjson-dialect text has bare integer keys that nlohmann rejects.
StatusOr<Json> ParseEitherDialect(std::string_view text, std::string_view what) {
  return json_internal::Parse(json_internal::QuoteBareIntegerKeys(text), what);
}

Json QueueDataToJson(const QueueData& q, JsonDialect dialect) {
  Json j = Json::object();
  j["brokerName"] = q.broker_name;
  j["perm"] = q.perm;
  j["readQueueNums"] = q.read_queue_nums;
  j["topicSysFlag"] = q.topic_sys_flag;
  if (dialect == JsonDialect::kFastjson) j["topicSynFlag"] = q.topic_sys_flag;
  j["writeQueueNums"] = q.write_queue_nums;
  return j;
}

Status QueueDataFromJson(const Json& j, const std::string& path, QueueData* out) {
  RMQ_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(j, path));
  QueueData q;
  RMQ_RETURN_IF_ERROR(r.String("brokerName", &q.broker_name));
  RMQ_RETURN_IF_ERROR(r.Int32("readQueueNums", &q.read_queue_nums));
  RMQ_RETURN_IF_ERROR(r.Int32("writeQueueNums", &q.write_queue_nums));
  RMQ_RETURN_IF_ERROR(r.Int32("perm", &q.perm));
  // The old spelling first, so that the new one wins when both are present.
  RMQ_RETURN_IF_ERROR(r.Int32("topicSynFlag", &q.topic_sys_flag));
  RMQ_RETURN_IF_ERROR(r.Int32("topicSysFlag", &q.topic_sys_flag));
  *out = std::move(q);
  return Status::Ok();
}

std::string BrokerDataToJsonText(const BrokerData& b, JsonDialect dialect) {
  const bool ascii = EnsureAscii(dialect);
  std::string addrs = "{";
  for (const auto& [id, addr] : b.broker_addrs) {
    if (addrs.size() > 1) addrs += ',';
    if (dialect == JsonDialect::kStandard) {
      addrs += '"' + std::to_string(id) + '"';
    } else {
      addrs += std::to_string(id);
    }
    addrs += ':';
    addrs += json_internal::Dump(Json(addr), ascii);
  }
  addrs += '}';
  ObjectWriter w(ascii);
  w.Raw("brokerAddrs", addrs);
  w.Value("brokerName", b.broker_name);
  w.Value("cluster", b.cluster);
  return w.Finish();
}

Status BrokerDataFromJson(const Json& j, const std::string& path, BrokerData* out) {
  RMQ_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(j, path));
  BrokerData b;
  RMQ_RETURN_IF_ERROR(r.String("cluster", &b.cluster));
  RMQ_RETURN_IF_ERROR(r.String("brokerName", &b.broker_name));
  RMQ_ASSIGN_OR_RETURN(const Json* addrs, r.Object("brokerAddrs"));
  if (addrs != nullptr) {
    for (const auto& [key, value] : addrs->items()) {
      const std::string entry = r.PathOf("brokerAddrs") + "[" + key + "]";
      auto id = ParseJavaLong(key, entry + " key (broker id)");
      if (!id.ok()) return id.status();
      std::string addr;
      RMQ_RETURN_IF_ERROR(json_internal::AsString(value, entry, &addr));
      b.broker_addrs[*id] = std::move(addr);
    }
  }
  *out = std::move(b);
  return Status::Ok();
}

}  // namespace

std::optional<std::string> BrokerData::MasterAddr() const {
  auto it = broker_addrs.find(0);
  if (it == broker_addrs.end()) return std::nullopt;
  return it->second;
}

std::string EncodeTopicRouteData(const TopicRouteData& route, JsonDialect dialect) {
  const bool ascii = EnsureAscii(dialect);
  std::string brokers = "[";
  for (const BrokerData& b : route.broker_datas) {
    if (brokers.size() > 1) brokers += ',';
    brokers += BrokerDataToJsonText(b, dialect);
  }
  brokers += ']';
  Json filters = Json::object();
  for (const auto& [addr, servers] : route.filter_server_table) filters[addr] = servers;
  Json queues = Json::array();
  for (const QueueData& q : route.queue_datas) queues.push_back(QueueDataToJson(q, dialect));

  ObjectWriter w(ascii);
  w.Raw("brokerDatas", brokers);
  w.Value("filterServerTable", filters);
  if (route.order_topic_conf) w.Value("orderTopicConf", *route.order_topic_conf);
  w.Value("queueDatas", queues);
  return w.Finish();
}

StatusOr<TopicRouteData> DecodeTopicRouteData(std::string_view json) {
  RMQ_ASSIGN_OR_RETURN(Json j, ParseEitherDialect(json, "TopicRouteData"));
  RMQ_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(j, "TopicRouteData"));
  TopicRouteData route;
  if (r.Find("orderTopicConf") != nullptr) {
    std::string conf;
    RMQ_RETURN_IF_ERROR(r.String("orderTopicConf", &conf));
    route.order_topic_conf = std::move(conf);
  }
  RMQ_ASSIGN_OR_RETURN(const Json* queues, r.Array("queueDatas"));
  if (queues != nullptr) {
    for (size_t i = 0; i < queues->size(); ++i) {
      QueueData q;
      RMQ_RETURN_IF_ERROR(QueueDataFromJson((*queues)[i], IndexPath(r, "queueDatas", i), &q));
      route.queue_datas.push_back(std::move(q));
    }
  }
  RMQ_ASSIGN_OR_RETURN(const Json* brokers, r.Array("brokerDatas"));
  if (brokers != nullptr) {
    for (size_t i = 0; i < brokers->size(); ++i) {
      BrokerData b;
      RMQ_RETURN_IF_ERROR(BrokerDataFromJson((*brokers)[i], IndexPath(r, "brokerDatas", i), &b));
      route.broker_datas.push_back(std::move(b));
    }
  }
  RMQ_ASSIGN_OR_RETURN(const Json* filters, r.Object("filterServerTable"));
  if (filters != nullptr) {
    for (const auto& [addr, list] : filters->items()) {
      const std::string path = r.PathOf("filterServerTable") + "[" + addr + "]";
      if (list.is_null()) continue;
      if (!list.is_array()) return InvalidArgumentError(path + ": expected an array");
      std::vector<std::string>& servers = route.filter_server_table[addr];
      for (size_t i = 0; i < list.size(); ++i) {
        std::string s;
        RMQ_RETURN_IF_ERROR(
            json_internal::AsString(list[i], path + "[" + std::to_string(i) + "]", &s));
        servers.push_back(std::move(s));
      }
    }
  }
  return route;
}

std::string EncodeClusterInfo(const ClusterInfo& info, JsonDialect dialect) {
  const bool ascii = EnsureAscii(dialect);
  ObjectWriter brokers(ascii);
  for (const auto& [name, data] : info.broker_addr_table) {
    brokers.Raw(name, BrokerDataToJsonText(data, dialect));
  }
  Json clusters = Json::object();
  for (const auto& [cluster, names] : info.cluster_addr_table) {
    clusters[cluster] = Json::array();
    for (const auto& n : names) clusters[cluster].push_back(n);
  }
  ObjectWriter w(ascii);
  w.Raw("brokerAddrTable", brokers.Finish());
  w.Value("clusterAddrTable", clusters);
  return w.Finish();
}

StatusOr<ClusterInfo> DecodeClusterInfo(std::string_view json) {
  RMQ_ASSIGN_OR_RETURN(Json j, ParseEitherDialect(json, "ClusterInfo"));
  RMQ_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(j, "ClusterInfo"));
  ClusterInfo info;
  RMQ_ASSIGN_OR_RETURN(const Json* brokers, r.Object("brokerAddrTable"));
  if (brokers != nullptr) {
    for (const auto& [name, data] : brokers->items()) {
      BrokerData b;
      RMQ_RETURN_IF_ERROR(
          BrokerDataFromJson(data, r.PathOf("brokerAddrTable") + "[" + name + "]", &b));
      info.broker_addr_table[name] = std::move(b);
    }
  }
  RMQ_ASSIGN_OR_RETURN(const Json* clusters, r.Object("clusterAddrTable"));
  if (clusters != nullptr) {
    for (const auto& [cluster, names] : clusters->items()) {
      const std::string path = r.PathOf("clusterAddrTable") + "[" + cluster + "]";
      if (names.is_null()) continue;
      if (!names.is_array()) return InvalidArgumentError(path + ": expected an array");
      std::set<std::string>& set = info.cluster_addr_table[cluster];
      for (size_t i = 0; i < names.size(); ++i) {
        std::string n;
        RMQ_RETURN_IF_ERROR(
            json_internal::AsString(names[i], path + "[" + std::to_string(i) + "]", &n));
        set.insert(std::move(n));
      }
    }
  }
  return info;
}

std::string EncodeTopicList(const TopicList& list) {
  Json j = Json::object();
  if (list.broker_addr) j["brokerAddr"] = *list.broker_addr;
  j["topicList"] = Json::array();
  for (const auto& t : list.topic_list) j["topicList"].push_back(t);
  return json_internal::Dump(j, false);
}

StatusOr<TopicList> DecodeTopicList(std::string_view json) {
  RMQ_ASSIGN_OR_RETURN(Json j, json_internal::Parse(json, "TopicList"));
  RMQ_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(j, "TopicList"));
  TopicList list;
  if (r.Find("brokerAddr") != nullptr) {
    std::string addr;
    RMQ_RETURN_IF_ERROR(r.String("brokerAddr", &addr));
    list.broker_addr = std::move(addr);
  }
  RMQ_ASSIGN_OR_RETURN(const Json* topics, r.Array("topicList"));
  if (topics != nullptr) {
    for (size_t i = 0; i < topics->size(); ++i) {
      std::string t;
      RMQ_RETURN_IF_ERROR(json_internal::AsString((*topics)[i], IndexPath(r, "topicList", i), &t));
      list.topic_list.insert(std::move(t));
    }
  }
  return list;
}

}  // namespace rmqsim::common
