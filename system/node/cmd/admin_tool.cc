#include "system/node/cmd/admin_tool.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <ctime>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string_view>
#include <variant>

#include "system/client/default_mq_producer.h"
#include "system/client/default_mq_push_consumer.h"
#include "system/common/admin_bodies.h"
#include "system/common/byte_buffer.h"
#include "system/common/java_string.h"
#include "system/common/message_id.h"
#include "system/common/mix_all.h"
#include "system/common/perm_name.h"
#include "system/common/register_broker_body.h"
#include "system/common/route_data.h"
#include "system/common/stored_message.h"
#include "system/common/sys_flag.h"
#include "system/common/topic_config.h"
#include "system/common/topic_validator.h"
#include "system/remoting/remoting_client.h"

namespace rmqsim::node::admin {
namespace {

using Json = nlohmann::ordered_json;
using remoting::RemotingCommand;
using remoting::RequestCode;
using remoting::ResponseCode;

// How long one request may take, and the bound on waiting for it.
constexpr Duration kRequestTimeout = seconds(5);
// MQAdminImpl.queryMessage: at most 64 messages per broker, over all time.
constexpr int32_t kQueryMaxNum = 64;

std::string Front(const std::string& s, size_t n) {
  return s.size() > n ? s.substr(0, n) : s;
}

// UtilAll.timeMillisToHumanString2, local time: "2024-05-01 12:00:00,123".
std::string HumanTime(int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  localtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02d %02d:%02d:%02d,%03d", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

// UtilAll.formatDate(..., "yyyy-MM-dd HH:mm:ss"), local time.
std::string DateTime(int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  localtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

int64_t NowMs() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

void PrintJson(const Json& j) {
  std::printf("%s\n", j.dump(-1, ' ', false, Json::error_handler_t::replace).c_str());
}

// One verb's run: the runtime, the connection pool and the error reporting.
class Tool {
 public:
  explicit Tool(const Options& o)
      : o_(o), rt_({.node_name = "admin", .trace_to_stderr = false}), client_(rt_) {
    size_t start = 0;
    while (start <= o_.namesrv.size()) {
      size_t semi = o_.namesrv.find(';', start);
      if (semi == std::string::npos) semi = o_.namesrv.size();
      std::string part = o_.namesrv.substr(start, semi - start);
      if (!part.empty()) namesrvs_.push_back(part);
      start = semi + 1;
    }
  }

  int Run();

 private:
  // A failed step: the exit status and what to print.
  struct Failure {
    int exit_code = kExitServerError;
    std::string message;
  };
  template <typename T>
  using Result = std::variant<T, Failure>;

  int Fail(int code, const std::string& message) {
    std::fprintf(stderr, "rmq-admin: %s: %s\n", o_.verb.c_str(), message.c_str());
    return code;
  }
  int Fail(const Failure& f) { return Fail(f.exit_code, f.message); }
  int Usage(const std::string& message) { return Fail(kExitUsageOrUnreachable, message); }

  // Sends one request to `addr` (a `role`: "name server" or "broker") and waits for the answer.
  // Transport failures are kExitUsageOrUnreachable; an answer with another code than
  // `expect` (SUCCESS) is kExitServerError naming the code and the remark.
  Result<RemotingCommand> Call(const std::string& role, const std::string& addr,
                               RemotingCommand req, int32_t expect = ResponseCode::SUCCESS) {
    auto a = Address::Parse(addr);
    if (!a.ok()) {
      return Failure{kExitUsageOrUnreachable,
                     role + " address '" + addr + "' is not host:port: " + a.status().message()};
    }
    const std::string what = std::string(remoting::RequestCodeName(req.code));
    std::optional<StatusOr<RemotingCommand>> out;
    client_.Invoke(*a, std::move(req), kRequestTimeout,
                   [&out](StatusOr<RemotingCommand> r) { out = std::move(r); });
    if (!rt_.RunUntil([&] { return out.has_value(); }, kRequestTimeout + seconds(5))) {
      return Failure{kExitUsageOrUnreachable,
                     "timed out waiting for the " + role + " at " + addr + " (" + what + ")"};
    }
    if (!out->ok()) {
      const Status& s = out->status();
      std::string cause;
      switch (s.code()) {
        case StatusCode::kConnectionRefused:
          cause = "connection refused";
          break;
        case StatusCode::kTimeout:
          cause = "no answer within " + FormatDuration(kRequestTimeout);
          break;
        default:
          cause = s.ToString();
      }
      return Failure{kExitUsageOrUnreachable,
                     "the " + role + " at " + addr + " is unreachable (" + what + "): " + cause};
    }
    if ((*out)->code != expect) {
      const RemotingCommand& r = **out;
      return Failure{kExitServerError, "the " + role + " at " + addr + " answered " + what +
                                           " with " +
                                           std::string(remoting::ResponseCodeName(r.code)) + " (" +
                                           std::to_string(r.code) + "): " + r.remark.value_or("")};
    }
    return std::move(**out);
  }

  // The first name server that answers (transport errors move on to the next one; an error
  // answer is final).
  Result<RemotingCommand> CallNamesrv(const RemotingCommand& req,
                                      int32_t expect = ResponseCode::SUCCESS) {
    if (namesrvs_.empty()) return Failure{kExitUsageOrUnreachable, "no name server given (-n)"};
    std::string errors;
    for (const std::string& ns : namesrvs_) {
      auto r = Call("name server", ns, req, expect);
      if (auto* f = std::get_if<Failure>(&r);
          f != nullptr && f->exit_code == kExitUsageOrUnreachable) {
        errors += (errors.empty() ? "" : "; ") + f->message;
        continue;
      }
      return r;
    }
    return Failure{kExitUsageOrUnreachable, errors};
  }

  Result<common::ClusterInfo> ClusterInfo() {
    auto r = CallNamesrv(RemotingCommand::CreateRequest(RequestCode::GET_BROKER_CLUSTER_INFO));
    if (auto* f = std::get_if<Failure>(&r)) return *f;
    auto info = common::DecodeClusterInfo(std::get<RemotingCommand>(r).body);
    if (!info.ok())
      return Failure{kExitServerError, "bad cluster info: " + info.status().message()};
    return *info;
  }

  Result<common::TopicRouteData> Route(const std::string& topic) {
    auto req = RemotingCommand::CreateRequest(RequestCode::GET_ROUTEINFO_BY_TOPIC);
    req.SetExtField("topic", topic);
    auto r = CallNamesrv(req);
    if (auto* f = std::get_if<Failure>(&r)) return *f;
    auto route = common::DecodeTopicRouteData(std::get<RemotingCommand>(r).body);
    if (!route.ok()) return Failure{kExitServerError, "bad route: " + route.status().message()};
    return *route;
  }

  // CommandUtil.fetchMasterAddrByClusterName (masters only) or
  // fetchMasterAndSlaveAddrByClusterName: brokerName order, then brokerId order.
  Result<std::vector<std::pair<std::string, std::string>>> ClusterBrokers(
      const std::string& cluster, bool with_slaves) {
    auto info = ClusterInfo();
    if (auto* f = std::get_if<Failure>(&info)) return *f;
    const auto& ci = std::get<common::ClusterInfo>(info);
    auto it = ci.cluster_addr_table.find(cluster);
    if (it == ci.cluster_addr_table.end()) {
      std::string known;
      for (const auto& [name, brokers] : ci.cluster_addr_table) {
        known += (known.empty() ? "" : ", ") + name;
      }
      return Failure{kExitServerError, "the name server knows no cluster '" + cluster +
                                           "' (clusters: " + (known.empty() ? "none" : known) +
                                           ")"};
    }
    std::vector<std::pair<std::string, std::string>> out;  // (brokerName, addr)
    for (const std::string& name : it->second) {
      auto bd = ci.broker_addr_table.find(name);
      if (bd == ci.broker_addr_table.end()) continue;
      for (const auto& [id, addr] : bd->second.broker_addrs) {
        if (id == common::kMasterId || with_slaves) out.emplace_back(name, addr);
      }
    }
    return out;
  }

  // The brokers to ask about a topic: BrokerData.selectBrokerAddr (the master, else a slave).
  static std::vector<std::pair<std::string, std::string>> RouteBrokers(
      const common::TopicRouteData& route) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& bd : route.broker_datas) {
      if (auto m = bd.MasterAddr()) {
        out.emplace_back(bd.broker_name, *m);
      } else if (!bd.broker_addrs.empty()) {
        out.emplace_back(bd.broker_name, bd.broker_addrs.begin()->second);
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  // -b, or every master (or broker) of -c.
  Result<std::vector<std::pair<std::string, std::string>>> Targets(bool with_slaves) {
    if (!o_.broker.empty())
      return std::vector<std::pair<std::string, std::string>>{{"", o_.broker}};
    if (!o_.cluster.empty()) return ClusterBrokers(o_.cluster, with_slaves);
    return Failure{kExitUsageOrUnreachable, "give a broker (-b) or a cluster (-c)"};
  }

  int UpdateTopic();
  int DeleteTopic();
  int TopicStatus();
  int ConsumerProgress();
  int BrokerStatus();
  int QueryMsgById();
  int QueryMsgByKey();
  int QueryMsgByUniqueKey();
  std::variant<std::vector<common::MessageExt>, Failure> QueryMessages(const std::string& key,
                                                                       int64_t begin, bool unique);
  int ConsumerConnection();
  int GetBrokerConfig();
  int UpdateBrokerConfig();
  int ResetOffsetByTime();
  int ClusterList();
  int ClusterListOnce();
  int TopicList();
  int TopicRoute();
  int UpdateSubGroup();
  int SendMessage();
  int ConsumeMessage();
  // A route query before a client starts, so that a dead name server is named as such.
  int CheckNamesrv(const std::string& topic);

  const Options& o_;
  real::AsioRuntime rt_;
  remoting::RemotingClient client_;
  std::vector<std::string> namesrvs_;
};

#define RMQ_ADMIN_TRY(var, expr)                       \
  auto var##_result = (expr);                          \
  if (auto* f = std::get_if<Failure>(&var##_result)) { \
    return Fail(*f);                                   \
  }                                                    \
  auto& var = std::get<0>(var##_result)

int Tool::Run() {
  static const std::map<std::string, int (Tool::*)(), std::less<>> kVerbs = {
      {"brokerStatus", &Tool::BrokerStatus},
      {"clusterList", &Tool::ClusterList},
      {"consumeMessage", &Tool::ConsumeMessage},
      {"consumerConnection", &Tool::ConsumerConnection},
      {"consumerProgress", &Tool::ConsumerProgress},
      {"deleteTopic", &Tool::DeleteTopic},
      {"getBrokerConfig", &Tool::GetBrokerConfig},
      {"queryMsgById", &Tool::QueryMsgById},
      {"queryMsgByKey", &Tool::QueryMsgByKey},
      {"queryMsgByUniqueKey", &Tool::QueryMsgByUniqueKey},
      {"resetOffsetByTime", &Tool::ResetOffsetByTime},
      {"sendMessage", &Tool::SendMessage},
      {"topicList", &Tool::TopicList},
      {"topicRoute", &Tool::TopicRoute},
      {"topicStatus", &Tool::TopicStatus},
      {"updateBrokerConfig", &Tool::UpdateBrokerConfig},
      {"updateSubGroup", &Tool::UpdateSubGroup},
      {"updateTopic", &Tool::UpdateTopic},
  };
  auto it = kVerbs.find(o_.verb);
  if (it == kVerbs.end()) return Usage("not a command");
  return (this->*(it->second))();
}

// ------------------------------------------------------------------------------ topics

int Tool::UpdateTopic() {
  common::TopicConfig c;
  c.topic_name = o_.topic;
  c.read_queue_nums = o_.read_queues;
  c.write_queue_nums = o_.write_queues;
  c.perm = o_.perm;
  c.order = o_.order;
  c.topic_sys_flag = common::BuildTopicSysFlag(o_.unit, o_.has_unit_sub);
  RMQ_ADMIN_TRY(targets, Targets(false));
  if (targets.empty()) return Fail(kExitServerError, "cluster " + o_.cluster + " has no master");
  Json done = Json::array();
  for (const auto& [name, addr] : targets) {
    auto req = RemotingCommand::CreateRequest(RequestCode::UPDATE_AND_CREATE_TOPIC);
    req.SetExtField("topic", c.topic_name);
    req.SetExtField("defaultTopic", std::string(common::kAutoCreateTopicKeyTopic));
    req.SetExtFieldInt("readQueueNums", c.read_queue_nums);
    req.SetExtFieldInt("writeQueueNums", c.write_queue_nums);
    req.SetExtFieldInt("perm", c.perm);
    req.SetExtField("topicFilterType", "SINGLE_TAG");
    req.SetExtFieldInt("topicSysFlag", c.topic_sys_flag);
    req.SetExtFieldBool("order", c.order);
    RMQ_ADMIN_TRY(r, Call("broker", addr, std::move(req)));
    (void)r;
    if (!o_.json) std::printf("create topic to %s success.\n", addr.c_str());
    done.push_back(addr);
  }
  if (o_.json) {
    PrintJson(
        Json{{"topicConfig", Json::parse(common::EncodeTopicConfigJson(c))}, {"brokers", done}});
  } else {
    std::printf(
        "TopicConfig [topicName=%s, readQueueNums=%d, writeQueueNums=%d, perm=%s, "
        "topicFilterType=SINGLE_TAG, topicSysFlag=%d, order=%s]\n",
        c.topic_name.c_str(), c.read_queue_nums, c.write_queue_nums,
        common::PermToString(c.perm).c_str(), c.topic_sys_flag, c.order ? "true" : "false");
  }
  return kExitOk;
}

int Tool::DeleteTopic() {
  RMQ_ADMIN_TRY(masters, ClusterBrokers(o_.cluster, false));
  Json brokers = Json::array();
  for (const auto& [name, addr] : masters) {
    auto req = RemotingCommand::CreateRequest(RequestCode::DELETE_TOPIC_IN_BROKER);
    req.SetExtField("topic", o_.topic);
    RMQ_ADMIN_TRY(r, Call("broker", addr, std::move(req)));
    (void)r;
    brokers.push_back(addr);
  }
  if (!o_.json) {
    std::printf("delete topic [%s] from cluster [%s] success.\n", o_.topic.c_str(),
                o_.cluster.c_str());
  }
  Json namesrvs = Json::array();
  for (const std::string& ns : namesrvs_) {
    auto req = RemotingCommand::CreateRequest(RequestCode::DELETE_TOPIC_IN_NAMESRV);
    req.SetExtField("topic", o_.topic);
    req.SetExtField("clusterName", o_.cluster);
    RMQ_ADMIN_TRY(r, Call("name server", ns, std::move(req)));
    (void)r;
    namesrvs.push_back(ns);
  }
  if (o_.json) {
    PrintJson(Json{{"topic", o_.topic},
                   {"cluster", o_.cluster},
                   {"brokers", brokers},
                   {"nameServers", namesrvs}});
  } else {
    std::printf("delete topic [%s] from NameServer success.\n", o_.topic.c_str());
  }
  return kExitOk;
}

int Tool::TopicStatus() {
  RMQ_ADMIN_TRY(route, Route(o_.topic));
  common::TopicStatsTable all;
  for (const auto& [name, addr] : RouteBrokers(route)) {
    auto req = RemotingCommand::CreateRequest(RequestCode::GET_TOPIC_STATS_INFO);
    req.SetExtField("topic", o_.topic);
    RMQ_ADMIN_TRY(r, Call("broker", addr, std::move(req)));
    auto t = common::DecodeTopicStatsTable(r.body);
    if (!t.ok()) return Fail(kExitServerError, addr + ": " + t.status().message());
    all.offset_table.insert(t->offset_table.begin(), t->offset_table.end());
  }
  if (o_.json) {
    Json rows = Json::array();
    for (const auto& [mq, off] : all.offset_table) {
      rows.push_back(Json{{"brokerName", mq.broker_name},
                          {"queueId", mq.queue_id},
                          {"minOffset", off.min_offset},
                          {"maxOffset", off.max_offset},
                          {"lastUpdateTimestamp", off.last_update_timestamp}});
    }
    PrintJson(Json{{"topic", o_.topic}, {"queues", rows}});
    return kExitOk;
  }
  std::printf("%-32s  %-4s  %-20s  %-20s    %s\n", "#Broker Name", "#QID", "#Min Offset",
              "#Max Offset", "#Last Updated");
  for (const auto& [mq, off] : all.offset_table) {
    std::printf("%-32s  %-4d  %-20" PRId64 "  %-20" PRId64 "    %s\n",
                Front(mq.broker_name, 32).c_str(), mq.queue_id, off.min_offset, off.max_offset,
                off.last_update_timestamp > 0 ? HumanTime(off.last_update_timestamp).c_str() : "");
  }
  return kExitOk;
}

int Tool::TopicList() {
  RMQ_ADMIN_TRY(
      r,
      CallNamesrv(RemotingCommand::CreateRequest(RequestCode::GET_ALL_TOPIC_LIST_FROM_NAMESERVER)));
  auto list = common::DecodeTopicList(r.body);
  if (!list.ok()) return Fail(kExitServerError, "bad topic list: " + list.status().message());
  if (!o_.cluster_model) {
    if (o_.json) {
      PrintJson(Json{{"topics", list->topic_list}});
    } else {
      for (const auto& t : list->topic_list) std::printf("%s\n", t.c_str());
    }
    return kExitOk;
  }
  RMQ_ADMIN_TRY(ci, ClusterInfo());
  Json rows = Json::array();
  if (!o_.json) std::printf("%-20s  %-48s  %-48s\n", "#Cluster Name", "#Topic", "#Consumer Group");
  for (const auto& topic : list->topic_list) {
    if (topic.starts_with(common::kRetryGroupTopicPrefix) ||
        topic.starts_with(common::kDlqGroupTopicPrefix)) {
      continue;
    }
    std::string cluster;
    std::set<std::string> groups;
    auto route = Route(topic);
    if (auto* rt = std::get_if<common::TopicRouteData>(&route); rt && !rt->broker_datas.empty()) {
      const std::string& broker_name = rt->broker_datas.front().broker_name;
      for (const auto& [c, names] : ci.cluster_addr_table) {
        if (names.contains(broker_name)) {
          cluster = c;
          break;
        }
      }
      auto brokers = RouteBrokers(*rt);
      if (!brokers.empty()) {
        auto req = RemotingCommand::CreateRequest(RequestCode::QUERY_TOPIC_CONSUME_BY_WHO);
        req.SetExtField("topic", topic);
        auto g = Call("broker", brokers.front().second, std::move(req));
        if (auto* cmd = std::get_if<RemotingCommand>(&g)) {
          if (auto decoded = common::DecodeGroupList(cmd->body); decoded.ok()) groups = *decoded;
        }
      }
    }
    if (o_.json) {
      rows.push_back(Json{{"cluster", cluster}, {"topic", topic}, {"groups", groups}});
      continue;
    }
    if (groups.empty()) groups.insert("");
    for (const auto& g : groups) {
      std::printf("%-20s  %-64s  %-64s\n", Front(cluster, 20).c_str(), Front(topic, 64).c_str(),
                  Front(g, 64).c_str());
    }
  }
  if (o_.json) PrintJson(Json{{"topics", rows}});
  return kExitOk;
}

int Tool::TopicRoute() {
  auto req = RemotingCommand::CreateRequest(RequestCode::GET_ROUTEINFO_BY_TOPIC);
  req.SetExtField("topic", o_.topic);
  RMQ_ADMIN_TRY(r, CallNamesrv(req));
  auto route = common::DecodeTopicRouteData(r.body);
  if (!route.ok()) return Fail(kExitServerError, "bad route: " + route.status().message());
  std::string standard = common::EncodeTopicRouteData(*route, common::JsonDialect::kStandard);
  if (o_.json) {
    std::printf("%s\n", standard.c_str());
  } else {
    // TopicRouteData.toJson(true): fastjson's pretty format, tab-indented.
    std::printf("%s\n", nlohmann::json::parse(standard).dump(1, '\t').c_str());
  }
  return kExitOk;
}

// ------------------------------------------------------------------------------ consumers

int Tool::ConsumerProgress() {
  // DefaultMQAdminExtImpl.examineConsumeStats: the brokers of the group's retry topic.
  RMQ_ADMIN_TRY(route, Route(common::GetRetryTopic(o_.group)));
  common::ConsumeStats all;
  for (const auto& [name, addr] : RouteBrokers(route)) {
    auto req = RemotingCommand::CreateRequest(RequestCode::GET_CONSUME_STATS);
    req.SetExtField("consumerGroup", o_.group);
    if (!o_.topic.empty()) req.SetExtField("topic", o_.topic);
    RMQ_ADMIN_TRY(r, Call("broker", addr, std::move(req)));
    auto s = common::DecodeConsumeStats(r.body);
    if (!s.ok()) return Fail(kExitServerError, addr + ": " + s.status().message());
    all.offset_table.insert(s->offset_table.begin(), s->offset_table.end());
    all.consume_tps += s->consume_tps;
  }
  if (all.offset_table.empty()) {
    return Fail(kExitServerError,
                "Not found the consumer group consume stats, because return offset table is "
                "empty, maybe the consumer not consume any message");
  }
  if (o_.json) {
    Json rows = Json::array();
    for (const auto& [mq, w] : all.offset_table) {
      rows.push_back(Json{{"topic", mq.topic},
                          {"brokerName", mq.broker_name},
                          {"queueId", mq.queue_id},
                          {"brokerOffset", w.broker_offset},
                          {"consumerOffset", w.consumer_offset},
                          {"diff", w.broker_offset - w.consumer_offset},
                          {"lastTimestamp", w.last_timestamp}});
    }
    PrintJson(Json{{"group", o_.group},
                   {"queues", rows},
                   {"consumeTps", all.consume_tps},
                   {"diffTotal", all.ComputeTotalDiff()}});
    return kExitOk;
  }
  std::printf("%-64s  %-32s  %-4s  %-20s  %-20s  %-20s  %s\n", "#Topic", "#Broker Name", "#QID",
              "#Broker Offset", "#Consumer Offset", "#Diff", "#LastTime");
  for (const auto& [mq, w] : all.offset_table) {
    std::printf("%-64s  %-32s  %-4d  %-20" PRId64 "  %-20" PRId64 "  %-20" PRId64 "  %s\n",
                Front(mq.topic, 64).c_str(), Front(mq.broker_name, 32).c_str(), mq.queue_id,
                w.broker_offset, w.consumer_offset, w.broker_offset - w.consumer_offset,
                w.last_timestamp == 0 ? "N/A" : DateTime(w.last_timestamp).c_str());
  }
  std::printf("\n");
  std::printf("Consume TPS: %.2f\n", all.consume_tps);
  std::printf("Diff Total: %" PRId64 "\n", all.ComputeTotalDiff());
  return kExitOk;
}

int Tool::ConsumerConnection() {
  std::vector<std::pair<std::string, std::string>> brokers;
  if (!o_.broker.empty()) {
    brokers.emplace_back("", o_.broker);
  } else {
    RMQ_ADMIN_TRY(route, Route(common::GetRetryTopic(o_.group)));
    brokers = RouteBrokers(route);
  }
  std::optional<common::ConsumerConnection> cc;
  std::optional<Failure> last;
  for (const auto& [name, addr] : brokers) {
    auto req = RemotingCommand::CreateRequest(RequestCode::GET_CONSUMER_CONNECTION_LIST);
    req.SetExtField("consumerGroup", o_.group);
    auto r = Call("broker", addr, std::move(req));
    if (auto* f = std::get_if<Failure>(&r)) {
      last = *f;
      continue;
    }
    auto decoded = common::DecodeConsumerConnection(std::get<RemotingCommand>(r).body);
    if (!decoded.ok()) return Fail(kExitServerError, addr + ": " + decoded.status().message());
    if (!cc) {
      cc = *decoded;
    } else {
      for (auto& c : decoded->connection_set) {
        if (std::find(cc->connection_set.begin(), cc->connection_set.end(), c) ==
            cc->connection_set.end()) {
          cc->connection_set.push_back(c);
        }
      }
    }
  }
  if (!cc || cc->connection_set.empty()) {
    if (last) return Fail(*last);
    return Fail(kExitServerError, "Not found the consumer group connection");
  }
  if (o_.json) {
    Json conns = Json::array();
    for (const auto& c : cc->connection_set) {
      conns.push_back(Json{{"clientId", c.client_id},
                           {"clientAddr", c.client_addr},
                           {"language", c.language},
                           {"version", common::MQVersionDesc(c.version)}});
    }
    Json subs = Json::array();
    for (const auto& [topic, s] : cc->subscription_table) {
      subs.push_back(Json{{"topic", s.topic}, {"subExpression", s.sub_string}});
    }
    PrintJson(Json{
        {"group", o_.group},
        {"connections", conns},
        {"subscriptions", subs},
        {"consumeType", std::string(common::ConsumeTypeName(cc->consume_type))},
        {"messageModel", std::string(common::MessageModelName(cc->message_model))},
        {"consumeFromWhere", std::string(common::ConsumeFromWhereName(cc->consume_from_where))}});
    return kExitOk;
  }
  std::printf("%-36s %-22s %-10s %s\n", "#ClientId", "#ClientAddr", "#Language", "#Version");
  for (const auto& c : cc->connection_set) {
    std::printf("%-36s %-22s %-10s %s\n", c.client_id.c_str(), c.client_addr.c_str(),
                c.language.c_str(), common::MQVersionDesc(c.version).c_str());
  }
  std::printf("\nBelow is subscription:\n");
  std::printf("%-20s %s\n", "#Topic", "#SubExpression");
  for (const auto& [topic, s] : cc->subscription_table) {
    std::printf("%-20s %s\n", s.topic.c_str(), s.sub_string.c_str());
  }
  std::printf("\n");
  std::printf("ConsumeType: %s\n", std::string(common::ConsumeTypeName(cc->consume_type)).c_str());
  std::printf("MessageModel: %s\n",
              std::string(common::MessageModelName(cc->message_model)).c_str());
  std::printf("ConsumeFromWhere: %s\n",
              std::string(common::ConsumeFromWhereName(cc->consume_from_where)).c_str());
  return kExitOk;
}

int Tool::ResetOffsetByTime() {
  int64_t ts = 0;
  if (o_.timestamp == "now") {
    ts = -1;
  } else if (auto v = common::ParseJavaLong(o_.timestamp, "timestamp"); v.ok()) {
    ts = *v;
  } else {
    // UtilAll.YYYY_MM_DD_HH_MM_SS_SSS, local time.
    std::tm tm{};
    int millis = 0;
    if (std::sscanf(o_.timestamp.c_str(), "%d-%d-%d#%d:%d:%d:%d", &tm.tm_year, &tm.tm_mon,
                    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &millis) != 7) {
      return Usage("-s '" + o_.timestamp +
                   "' is not now, milliseconds since the epoch or yyyy-MM-dd#HH:mm:ss:SSS");
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    tm.tm_isdst = -1;
    ts = static_cast<int64_t>(std::mktime(&tm)) * 1000 + millis;
  }
  RMQ_ADMIN_TRY(route, Route(o_.topic));
  common::ResetOffsetBody all;
  bool offline = false;
  for (const auto& [name, addr] : RouteBrokers(route)) {
    auto req = RemotingCommand::CreateRequest(RequestCode::INVOKE_BROKER_TO_RESET_OFFSET);
    req.SetExtField("topic", o_.topic);
    req.SetExtField("group", o_.group);
    req.SetExtFieldInt("timestamp", ts);
    req.SetExtFieldBool("isForce", o_.force);
    auto r = Call("broker", addr, std::move(req));
    if (auto* f = std::get_if<Failure>(&r)) {
      if (f->message.find("CONSUMER_NOT_ONLINE") != std::string::npos) {
        offline = true;
        break;
      }
      return Fail(*f);
    }
    auto body = common::DecodeResetOffsetBody(std::get<RemotingCommand>(r).body);
    if (!body.ok()) return Fail(kExitServerError, addr + ": " + body.status().message());
    all.offset_table.insert(body->offset_table.begin(), body->offset_table.end());
  }
  if (!offline) {
    if (o_.json) {
      Json rows = Json::array();
      for (const auto& [mq, off] : all.offset_table) {
        rows.push_back(
            Json{{"brokerName", mq.broker_name}, {"queueId", mq.queue_id}, {"offset", off}});
      }
      PrintJson(Json{{"group", o_.group},
                     {"topic", o_.topic},
                     {"timestamp", ts},
                     {"force", o_.force},
                     {"consumerOnline", true},
                     {"queues", rows}});
      return kExitOk;
    }
    std::printf(
        "rollback consumer offset by specified group[%s], topic[%s], force[%s], "
        "timestamp(string)[%s], timestamp(long)[%" PRId64 "]\n",
        o_.group.c_str(), o_.topic.c_str(), o_.force ? "true" : "false", o_.timestamp.c_str(), ts);
    std::printf("%-40s  %-40s  %-40s\n", "#brokerName", "#queueId", "#offset");
    for (const auto& [mq, off] : all.offset_table) {
      std::printf("%-40s  %-40d  %-40" PRId64 "\n", Front(mq.broker_name, 32).c_str(), mq.queue_id,
                  off);
    }
    return kExitOk;
  }
  // ResetOffsetByTimeOldCommand: no consumer online, so the tool sets the broker's offsets
  // itself (consume stats, offset by time, UPDATE_CONSUMER_OFFSET).
  Json rows = Json::array();
  if (!o_.json) {
    std::printf(
        "rollback consumer offset by specified consumerGroup[%s], topic[%s], force[%s], "
        "timestamp(string)[%s], timestamp(long)[%" PRId64 "]\n",
        o_.group.c_str(), o_.topic.c_str(), o_.force ? "true" : "false", o_.timestamp.c_str(), ts);
    std::printf("%-20s  %-20s  %-20s  %-20s  %-20s  %-20s\n", "#brokerName", "#queueId",
                "#brokerOffset", "#consumerOffset", "#timestampOffset", "#rollbackOffset");
  }
  for (const auto& [name, addr] : RouteBrokers(route)) {
    auto req = RemotingCommand::CreateRequest(RequestCode::GET_CONSUME_STATS);
    req.SetExtField("consumerGroup", o_.group);
    req.SetExtField("topic", o_.topic);
    RMQ_ADMIN_TRY(r, Call("broker", addr, std::move(req)));
    auto stats = common::DecodeConsumeStats(r.body);
    if (!stats.ok()) return Fail(kExitServerError, addr + ": " + stats.status().message());
    for (const auto& [mq, w] : stats->offset_table) {
      auto q = RemotingCommand::CreateRequest(ts == -1 ? RequestCode::GET_MAX_OFFSET
                                                       : RequestCode::SEARCH_OFFSET_BY_TIMESTAMP);
      q.SetExtField("topic", mq.topic);
      q.SetExtFieldInt("queueId", mq.queue_id);
      if (ts != -1) q.SetExtFieldInt("timestamp", ts);
      RMQ_ADMIN_TRY(qr, Call("broker", addr, std::move(q)));
      const std::string* off_text = qr.FindExtField("offset");
      auto ts_offset = common::ParseJavaLong(off_text ? *off_text : "", "offset");
      if (!ts_offset.ok()) return Fail(kExitServerError, addr + ": no offset in the answer");
      const int64_t rollback =
          o_.force || *ts_offset < w.consumer_offset ? *ts_offset : w.consumer_offset;
      auto u = RemotingCommand::CreateRequest(RequestCode::UPDATE_CONSUMER_OFFSET);
      u.SetExtField("consumerGroup", o_.group);
      u.SetExtField("topic", mq.topic);
      u.SetExtFieldInt("queueId", mq.queue_id);
      u.SetExtFieldInt("commitOffset", rollback);
      RMQ_ADMIN_TRY(ur, Call("broker", addr, std::move(u)));
      (void)ur;
      if (o_.json) {
        rows.push_back(Json{{"brokerName", mq.broker_name},
                            {"queueId", mq.queue_id},
                            {"brokerOffset", w.broker_offset},
                            {"consumerOffset", w.consumer_offset},
                            {"timestampOffset", *ts_offset},
                            {"offset", rollback}});
      } else {
        std::printf("%-20s  %-20d  %-20" PRId64 "  %-20" PRId64 "  %-20" PRId64 "  %-20" PRId64
                    "\n",
                    Front(mq.broker_name, 32).c_str(), mq.queue_id, w.broker_offset,
                    w.consumer_offset, *ts_offset, rollback);
      }
    }
  }
  if (o_.json) {
    PrintJson(Json{{"group", o_.group},
                   {"topic", o_.topic},
                   {"timestamp", ts},
                   {"force", o_.force},
                   {"consumerOnline", false},
                   {"queues", rows}});
  }
  return kExitOk;
}

// ------------------------------------------------------------------------------ brokers

int Tool::BrokerStatus() {
  RMQ_ADMIN_TRY(targets, Targets(true));
  Json out = Json::object();
  for (const auto& [name, addr] : targets) {
    RMQ_ADMIN_TRY(r, Call("broker", addr,
                          RemotingCommand::CreateRequest(RequestCode::GET_BROKER_RUNTIME_INFO)));
    auto kv = common::DecodeKvTable(r.body);
    if (!kv.ok()) return Fail(kExitServerError, addr + ": " + kv.status().message());
    if (o_.json) {
      out[addr] = kv->table;
      continue;
    }
    for (const auto& [k, v] : kv->table) {
      if (o_.broker.empty()) {
        std::printf("%-24s %-32s: %s\n", addr.c_str(), k.c_str(), v.c_str());
      } else {
        std::printf("%-32s: %s\n", k.c_str(), v.c_str());
      }
    }
  }
  if (o_.json) PrintJson(out);
  return kExitOk;
}

int Tool::GetBrokerConfig() {
  RMQ_ADMIN_TRY(targets, Targets(true));
  // Masters first, each followed by its slaves (CommandUtil.fetchMasterAndSlaveDistinguish).
  std::map<std::string, std::string> master_of;  // brokerName -> master address
  for (const auto& [name, addr] : targets) {
    if (!master_of.contains(name)) master_of[name] = addr;
  }
  Json out = Json::object();
  for (const auto& [name, addr] : targets) {
    RMQ_ADMIN_TRY(
        r, Call("broker", addr, RemotingCommand::CreateRequest(RequestCode::GET_BROKER_CONFIG)));
    auto props = common::StringToProperties(r.body);
    if (!props.ok()) return Fail(kExitServerError, addr + ": " + props.status().message());
    if (o_.json) {
      out[addr] = *props;
      continue;
    }
    if (!o_.broker.empty()) {
      std::printf("============%s============\n", addr.c_str());
    } else if (master_of[name] == addr) {
      std::printf("============Master: %s============\n", addr.c_str());
    } else {
      std::printf("============My Master: %s=====Slave: %s============\n", master_of[name].c_str(),
                  addr.c_str());
    }
    for (const auto& [k, v] : *props) std::printf("%-50s=  %s\n", k.c_str(), v.c_str());
    std::printf("\n");
  }
  if (o_.json) PrintJson(out);
  return kExitOk;
}

int Tool::UpdateBrokerConfig() {
  if (o_.key.empty()) return Usage("give the key (-k)");
  RMQ_ADMIN_TRY(targets, Targets(false));
  Json done = Json::array();
  for (const auto& [name, addr] : targets) {
    auto req = RemotingCommand::CreateRequest(RequestCode::UPDATE_BROKER_CONFIG);
    req.body = common::PropertiesToString({{o_.key, o_.value}});
    RMQ_ADMIN_TRY(r, Call("broker", addr, std::move(req)));
    (void)r;
    if (!o_.json) std::printf("update broker config success, %s\n", addr.c_str());
    done.push_back(addr);
  }
  if (o_.json) PrintJson(Json{{"key", o_.key}, {"value", o_.value}, {"brokers", done}});
  return kExitOk;
}

// ClusterListSubCommand: with -i, prints again every interval until interrupted (or an error).
int Tool::ClusterList() {
  while (true) {
    const int rc = ClusterListOnce();
    if (rc != kExitOk || o_.interval_s <= 0) return rc;
    std::fflush(stdout);
    rt_.RunFor(seconds(o_.interval_s));
  }
}

int Tool::ClusterListOnce() {
  RMQ_ADMIN_TRY(ci, ClusterInfo());
  Json rows = Json::array();
  if (!o_.json) {
    if (o_.more) {
      std::printf("%-16s  %-32s %14s %14s %14s %14s\n", "#Cluster Name", "#Broker Name",
                  "#InTotalYest", "#OutTotalYest", "#InTotalToday", "#OutTotalToday");
    } else {
      std::printf("%-16s  %-22s  %-4s  %-22s %-16s %19s %19s %10s %5s %6s\n", "#Cluster Name",
                  "#Broker Name", "#BID", "#Addr", "#Version", "#InTPS(LOAD)", "#OutTPS(LOAD)",
                  "#PCWait(ms)", "#Hour", "#SPACE");
    }
  }
  const int64_t now = NowMs();
  for (const auto& [cluster, names] : ci.cluster_addr_table) {
    for (const auto& name : names) {  // a std::set: sorted, as mqadmin's TreeSet
      auto bd = ci.broker_addr_table.find(name);
      if (bd == ci.broker_addr_table.end()) continue;
      for (const auto& [id, addr] : bd->second.broker_addrs) {
        std::map<std::string, std::string> kv;
        auto r = Call("broker", addr,
                      RemotingCommand::CreateRequest(RequestCode::GET_BROKER_RUNTIME_INFO));
        if (auto* f = std::get_if<Failure>(&r)) {
          std::fprintf(stderr, "rmq-admin: clusterList: %s\n", f->message.c_str());
        } else if (auto t = common::DecodeKvTable(std::get<RemotingCommand>(r).body); t.ok()) {
          kv = t->table;
        }
        auto num = [&kv](const char* k) -> int64_t {
          auto it = kv.find(k);
          if (it == kv.end()) return 0;
          auto v = common::ParseJavaLong(it->second, k);
          return v.ok() ? *v : 0;
        };
        auto first_double = [&kv](const char* k) -> double {
          auto it = kv.find(k);
          return it == kv.end() ? 0.0 : std::strtod(it->second.c_str(), nullptr);
        };
        const int64_t in_yest = num("msgPutTotalTodayMorning") - num("msgPutTotalYesterdayMorning");
        const int64_t out_yest =
            num("msgGetTotalTodayMorning") - num("msgGetTotalYesterdayMorning");
        const int64_t in_today = num("msgPutTotalTodayNow") - num("msgPutTotalTodayMorning");
        const int64_t out_today = num("msgGetTotalTodayNow") - num("msgGetTotalTodayMorning");
        const double in_tps = first_double("putTps");
        const double out_tps = first_double("getTransferedTps");
        const int64_t earliest = num("earliestMessageTimeStamp");
        const double hour = earliest > 0 ? (now - earliest) / 1000.0 / 60.0 / 60.0 : 0.0;
        const double space = first_double("commitLogDiskRatio");
        const std::string version = kv.contains("brokerVersionDesc") ? kv["brokerVersionDesc"] : "";
        if (o_.json) {
          Json row = {{"cluster", cluster}, {"brokerName", name}, {"brokerId", id},
                      {"addr", addr},       {"version", version}, {"reachable", !kv.empty()}};
          if (o_.more) {
            row["inTotalYest"] = in_yest;
            row["outTotalYest"] = out_yest;
            row["inTotalToday"] = in_today;
            row["outTotalToday"] = out_today;
          } else {
            row["inTps"] = in_tps;
            row["outTps"] = out_tps;
            row["hour"] = hour;
            row["space"] = space;
          }
          rows.push_back(std::move(row));
          continue;
        }
        if (o_.more) {
          std::printf("%-16s  %-32s %14" PRId64 " %14" PRId64 " %14" PRId64 " %14" PRId64 "\n",
                      cluster.c_str(), name.c_str(), in_yest, out_yest, in_today, out_today);
          continue;
        }
        char in_col[64], out_col[64], hour_col[32], space_col[32];
        std::snprintf(in_col, sizeof(in_col), "%9.2f(%s,%sms)", in_tps,
                      kv["sendThreadPoolQueueSize"].c_str(),
                      kv["sendThreadPoolQueueHeadWaitTimeMills"].c_str());
        std::snprintf(out_col, sizeof(out_col), "%9.2f(%s,%sms)", out_tps,
                      kv["pullThreadPoolQueueSize"].c_str(),
                      kv["pullThreadPoolQueueHeadWaitTimeMills"].c_str());
        std::snprintf(hour_col, sizeof(hour_col), "%2.2f", hour);
        std::snprintf(space_col, sizeof(space_col), "%.4f", space);
        std::printf("%-16s  %-22s  %-4" PRId64 "  %-22s %-16s %19s %19s %10s %5s %6s\n",
                    cluster.c_str(), name.c_str(), id, addr.c_str(), version.c_str(), in_col,
                    out_col, kv["pageCacheLockTimeMills"].c_str(), hour_col, space_col);
      }
    }
  }
  if (o_.json) {
    PrintJson(Json{{"brokers", rows},
                   {"clusterInfo",
                    Json::parse(common::EncodeClusterInfo(ci, common::JsonDialect::kStandard))}});
  }
  return kExitOk;
}

int Tool::UpdateSubGroup() {
  if (o_.broker.empty()) return Usage("give a broker (-b)");
  auto req = RemotingCommand::CreateRequest(RequestCode::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP);
  const std::string body = common::EncodeSubscriptionGroupConfig(o_.sub_group);
  req.body = body;
  RMQ_ADMIN_TRY(r, Call("broker", o_.broker, std::move(req)));
  (void)r;
  if (o_.json) {
    PrintJson(Json{{"broker", o_.broker}, {"subscriptionGroupConfig", Json::parse(body)}});
  } else {
    std::printf("create subscription group to %s success.\n", o_.broker.c_str());
  }
  return kExitOk;
}

// ------------------------------------------------------------------------------ messages

void PrintMessage(const common::MessageExt& m, const std::string& offset_id) {
  auto host = [](const common::HostAddress& h) { return h.ToString(); };
  const std::string tags = m.message.tags();
  const std::string keys = m.message.keys();
  std::printf("%-20s %s\n", "OffsetID:", offset_id.c_str());
  std::printf("%-20s %s\n", "Topic:", m.message.topic().c_str());
  std::printf("%-20s [%s]\n", "Tags:", tags.empty() ? "null" : tags.c_str());
  std::printf("%-20s [%s]\n", "Keys:", keys.empty() ? "null" : keys.c_str());
  std::printf("%-20s %d\n", "Queue ID:", m.queue_id);
  std::printf("%-20s %" PRId64 "\n", "Queue Offset:", m.queue_offset);
  std::printf("%-20s %" PRId64 "\n", "CommitLog Offset:", m.commit_log_offset);
  std::printf("%-20s %d\n", "Reconsume Times:", m.reconsume_times);
  std::printf("%-20s %s\n", "Born Timestamp:", HumanTime(m.born_timestamp_ms).c_str());
  std::printf("%-20s %s\n", "Store Timestamp:", HumanTime(m.store_timestamp_ms).c_str());
  std::printf("%-20s %s\n", "Born Host:", host(m.born_host).c_str());
  std::printf("%-20s %s\n", "Store Host:", host(m.store_host).c_str());
  std::printf("%-20s %d\n", "System Flag:", m.sys_flag);
  std::string props;
  for (const auto& [k, v] : m.message.properties()) {
    props += (props.empty() ? "" : ", ") + k + "=" + v;
  }
  std::printf("%-20s {%s}\n", "Properties:", props.c_str());
  std::printf("%-20s %s\n", "Message Body:", common::StringFromBytes(m.message.body()).c_str());
}

Json MessageJson(const common::MessageExt& m, const std::string& offset_id) {
  Json props = Json::object();
  for (const auto& [k, v] : m.message.properties()) props[k] = v;
  return Json{{"offsetMsgId", offset_id},
              {"msgId", m.message.unique_key()},
              {"topic", m.message.topic()},
              {"tags", m.message.tags()},
              {"keys", m.message.keys()},
              {"queueId", m.queue_id},
              {"queueOffset", m.queue_offset},
              {"commitLogOffset", m.commit_log_offset},
              {"reconsumeTimes", m.reconsume_times},
              {"bornTimestamp", m.born_timestamp_ms},
              {"storeTimestamp", m.store_timestamp_ms},
              {"bornHost", m.born_host.ToString()},
              {"storeHost", m.store_host.ToString()},
              {"sysFlag", m.sys_flag},
              {"properties", props},
              {"body", common::StringFromBytes(m.message.body())}};
}

std::string OffsetIdOf(const common::MessageExt& m) {
  return common::CreateOffsetMessageId(m.store_host, m.commit_log_offset);
}

// The messages of a query, each as MessageJson with its offset message id.
Json MessagesJson(const std::vector<common::MessageExt>& found) {
  Json rows = Json::array();
  for (const auto& m : found) rows.push_back(MessageJson(m, OffsetIdOf(m)));
  return rows;
}

int Tool::QueryMsgById() {
  auto id = common::DecodeOffsetMessageId(o_.msg_id);
  if (!id.ok()) {
    return Usage("'" + o_.msg_id + "' is not an offset message id: " + id.status().message() +
                 " (for a client message id: queryMsgByUniqueKey -i ID -t TOPIC)");
  }
  // A client message id (UNIQ_KEY) has the same length; its bytes read as a port are rarely one.
  if (id->store_host.port <= 0 || id->store_host.port > 65535) {
    return Usage("'" + o_.msg_id + "' does not name a broker (port " +
                 std::to_string(id->store_host.port) +
                 "): if it is a client message id, use queryMsgByUniqueKey -i ID -t TOPIC");
  }
  const std::string addr = id->store_host.ToString();
  auto req = RemotingCommand::CreateRequest(RequestCode::VIEW_MESSAGE_BY_ID);
  req.SetExtFieldInt("offset", id->commit_log_offset);
  RMQ_ADMIN_TRY(r, Call("broker", addr, std::move(req)));
  auto msgs = common::DecodeStoredMessages(common::AsByteSpan(r.body));
  if (!msgs.ok() || msgs->empty()) {
    return Fail(kExitServerError, addr + " sent no decodable message: " +
                                      (msgs.ok() ? std::string("empty") : msgs.status().message()));
  }
  if (o_.json) {
    PrintJson(MessageJson(msgs->front(), o_.msg_id));
  } else {
    PrintMessage(msgs->front(), o_.msg_id);
  }
  return kExitOk;
}

// MQAdminImpl.queryMessage: QUERY_MESSAGE to every broker of the topic's route; keeps the messages
// whose keys hold `key` (or, for a unique-key query, whose UNIQ_KEY is `key`).
std::variant<std::vector<common::MessageExt>, Tool::Failure> Tool::QueryMessages(
    const std::string& key, int64_t begin, bool unique) {
  auto route = Route(o_.topic);
  if (auto* f = std::get_if<Failure>(&route)) return *f;
  std::vector<common::MessageExt> found;
  for (const auto& [name, addr] : RouteBrokers(std::get<0>(route))) {
    auto req = RemotingCommand::CreateRequest(RequestCode::QUERY_MESSAGE);
    req.SetExtField("topic", o_.topic);
    req.SetExtField("key", key);
    req.SetExtFieldInt("maxNum", kQueryMaxNum);
    req.SetExtFieldInt("beginTimestamp", begin);
    req.SetExtFieldInt("endTimestamp", INT64_MAX);
    if (unique) req.SetExtField(std::string(common::kUniqueMsgQueryFlag), "true");
    auto r = Call("broker", addr, std::move(req));
    if (auto* f = std::get_if<Failure>(&r)) {
      if (f->message.find("QUERY_NOT_FOUND") != std::string::npos) continue;
      return *f;
    }
    auto msgs = common::DecodeStoredMessages(common::AsByteSpan(std::get<RemotingCommand>(r).body));
    if (!msgs.ok()) return Failure{kExitServerError, addr + ": " + msgs.status().message()};
    for (auto& m : *msgs) {
      std::string keys = " " + m.message.keys() + " ";
      const bool by_key = !unique && keys.find(" " + key + " ") != std::string::npos;
      if (by_key || m.message.unique_key() == key) found.push_back(std::move(m));
    }
  }
  if (found.empty()) {
    return Failure{kExitServerError, "query message by key finished, but no message."};
  }
  return found;
}

int Tool::QueryMsgByUniqueKey() {
  auto fields = common::ParseUniqId(o_.msg_id);
  if (!fields.ok()) {
    return Usage("'" + o_.msg_id + "' is not a client message id (UNIQ_KEY, msgId): " +
                 fields.status().message());
  }
  // MQAdminImpl.queryMessageByUniqKey searches from 1 s before the time in the id. That time is
  // in the producer's time zone, read here as UTC, so the search starts 15 h earlier to cover
  // every zone; and the id holds the time within a month only, so when nothing is found there the
  // search runs again over all time.
  const int64_t now = ToUnixMillis(rt_.WallNow());
  const int64_t begin =
      std::max<int64_t>(0, common::NearlyTimeFromUniqId(*fields, now) - 1000 - 15 * 3600 * 1000);
  auto result = QueryMessages(o_.msg_id, begin, /*unique=*/true);
  if (std::holds_alternative<Failure>(result) && begin > 0 &&
      std::get<Failure>(result).exit_code == kExitServerError) {
    result = QueryMessages(o_.msg_id, 0, /*unique=*/true);
  }
  RMQ_ADMIN_TRY(found, std::move(result));
  // The earliest stored first (a message sent twice, e.g. retried, has one id and two copies).
  std::stable_sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
    return a.store_timestamp_ms < b.store_timestamp_ms;
  });
  if (!o_.show_all) found.resize(1);
  if (o_.json) {
    PrintJson(Json{{"topic", o_.topic}, {"msgId", o_.msg_id}, {"messages", MessagesJson(found)}});
    return kExitOk;
  }
  for (size_t i = 0; i < found.size(); ++i) {
    if (i > 0) std::printf("\n");
    PrintMessage(found[i], OffsetIdOf(found[i]));
  }
  return kExitOk;
}

int Tool::QueryMsgByKey() {
  RMQ_ADMIN_TRY(found, QueryMessages(o_.key, 0, /*unique=*/false));
  if (o_.json) {
    PrintJson(Json{{"topic", o_.topic}, {"key", o_.key}, {"messages", MessagesJson(found)}});
    return kExitOk;
  }
  std::printf("%-50s %4s %40s\n", "#Message ID", "#QID", "#Offset");
  for (const auto& m : found) {
    std::printf("%-50s %4d %40" PRId64 "\n", OffsetIdOf(m).c_str(), m.queue_id, m.queue_offset);
  }
  return kExitOk;
}

int Tool::CheckNamesrv(const std::string& topic) {
  auto req = RemotingCommand::CreateRequest(RequestCode::GET_ROUTEINFO_BY_TOPIC);
  req.SetExtField("topic", topic);
  // TOPIC_NOT_EXIST is fine here (the producer may create the topic through TBW102).
  auto r = CallNamesrv(req, ResponseCode::SUCCESS);
  if (auto* f = std::get_if<Failure>(&r); f != nullptr && f->exit_code == kExitUsageOrUnreachable) {
    return Fail(*f);
  }
  return kExitOk;
}

Task<void> SendAll(client::DefaultMQProducer* producer, const Options* o, int* failures,
                   Json* results, bool* done) {
  for (int i = 0; i < o->count; ++i) {
    common::Message msg(o->topic, common::BytesFromString(
                                      o->count > 1 ? o->body + " #" + std::to_string(i) : o->body));
    if (!o->tags.empty()) msg.SetTags(o->tags);
    if (!o->keys.empty()) msg.SetKeys(o->keys);
    auto r = co_await producer->Send(std::move(msg));
    if (r.ok()) {
      if (o->json) {
        results->push_back(Json{{"sendStatus", std::string(client::SendStatusName(r->send_status))},
                                {"msgId", r->msg_id},
                                {"offsetMsgId", r->offset_msg_id},
                                {"brokerName", r->message_queue.broker_name},
                                {"queueId", r->message_queue.queue_id},
                                {"queueOffset", r->queue_offset}});
      } else {
        std::printf(
            "SendResult [sendStatus=%s, msgId=%s, offsetMsgId=%s, queue=%s:%d, "
            "queueOffset=%" PRId64 "]\n",
            std::string(client::SendStatusName(r->send_status)).c_str(), r->msg_id.c_str(),
            r->offset_msg_id.c_str(), r->message_queue.broker_name.c_str(),
            r->message_queue.queue_id, r->queue_offset);
      }
    } else {
      ++*failures;
      std::fprintf(stderr, "rmq-admin: sendMessage: send failed: %s\n",
                   r.status().ToString().c_str());
    }
  }
  co_await producer->Shutdown();
  *done = true;
}

int Tool::SendMessage() {
  if (int rc = CheckNamesrv(o_.topic); rc != kExitOk) return rc;
  client::ClientConfig cc;
  cc.namesrv_addr = o_.namesrv;
  client::MQClientInstance instance(rt_, cc);
  client::DefaultMQProducer producer(
      instance, client::ProducerConfig{.producer_group = "rmq_admin_producer"});
  if (auto st = producer.Start(); !st.ok()) return Fail(kExitUsageOrUnreachable, st.ToString());
  int failures = 0;
  bool done = false;
  Json results = Json::array();
  TaskScope scope;
  scope.Spawn(SendAll(&producer, &o_, &failures, &results, &done));
  rt_.RunUntil([&] { return done; }, seconds(60 + o_.count / 10));
  if (o_.json)
    PrintJson(Json{{"sent", results}, {"failed", o_.count - static_cast<int>(results.size())}});
  if (!done) return Fail(kExitServerError, "timed out sending");
  return failures == 0 ? kExitOk : kExitServerError;
}

int Tool::ConsumeMessage() {
  auto wait = ParseDuration(o_.timeout);
  if (!wait.ok()) return Usage("--timeout: " + wait.status().message());
  if (int rc = CheckNamesrv(o_.topic); rc != kExitOk) return rc;
  client::ClientConfig cc;
  cc.namesrv_addr = o_.namesrv;
  client::MQClientInstance instance(rt_, cc);
  client::DefaultMQPushConsumer consumer(
      instance, client::PushConsumerConfig{
                    .consumer_group = o_.group,
                    .consume_from_where = common::ConsumeFromWhere::kConsumeFromFirstOffset});
  if (auto st = consumer.Subscribe(o_.topic, "*"); !st.ok()) return Usage(st.ToString());
  int received = 0;
  Json messages = Json::array();
  consumer.RegisterMessageListener([&](const std::vector<common::MessageExt>& msgs,
                                       client::ConsumeConcurrentlyContext&) {
    for (const auto& m : msgs) {
      ++received;
      if (o_.json) {
        messages.push_back(
            MessageJson(m, common::CreateOffsetMessageId(m.store_host, m.commit_log_offset)));
        continue;
      }
      std::printf(
          "MessageExt [queueId=%d, queueOffset=%" PRId64 ", msgId=%s, tags=%s, keys=%s, body=%s]\n",
          m.queue_id, m.queue_offset, m.message.unique_key().c_str(), m.message.tags().c_str(),
          m.message.keys().c_str(), common::StringFromBytes(m.message.body()).c_str());
    }
    return client::ConsumeConcurrentlyStatus::CONSUME_SUCCESS;
  });
  if (auto st = consumer.Start(); !st.ok()) return Fail(kExitUsageOrUnreachable, st.ToString());
  const bool got_all = rt_.RunUntil([&] { return received >= o_.count; }, *wait);
  bool stopped = false;
  TaskScope scope;
  auto stop = [](client::DefaultMQPushConsumer* c, bool* flag) -> Task<void> {
    co_await c->Shutdown();
    *flag = true;
  };
  scope.Spawn(stop(&consumer, &stopped));
  rt_.RunUntil([&] { return stopped; }, seconds(10));
  if (o_.json) PrintJson(Json{{"received", received}, {"messages", messages}});
  if (!got_all) {
    return Fail(kExitServerError, "got " + std::to_string(received) + " of " +
                                      std::to_string(o_.count) + " messages of " + o_.topic +
                                      " within " + o_.timeout);
  }
  return kExitOk;
}

}  // namespace

int Run(const Options& options) {
  Tool tool(options);
  return tool.Run();
}

}  // namespace rmqsim::node::admin
