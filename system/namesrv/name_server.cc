#include "system/namesrv/name_server.h"

#include <algorithm>

#include "sim/base/buggify.h"
#include "sim/base/planted_bugs.h"
#include "sim/runtime/log.h"

#include "system/common/checksum.h"
#include "system/common/mix_all.h"

namespace rmqsim::namesrv {

using remoting::RemotingCommand;
using remoting::RequestCode;
using remoting::ResponseCode;

namespace {
constexpr const char* kOrderTopicConfigNamespace = "ORDER_TOPIC_CONFIG";
constexpr const char* kApplyTopicUrl = "http://rocketmq.apache.org/docs/faq/";

RemotingCommand Error(int32_t code, std::string remark) {
  return RemotingCommand::CreateResponseCommand(code, std::move(remark));
}
RemotingCommand SystemError(const Status& s) {
  return Error(ResponseCode::SYSTEM_ERROR, s.message());
}
common::ByteSpan BodyBytes(std::string_view body) {
  return {reinterpret_cast<const std::byte*>(body.data()), body.size()};
}
// Register bodies kept decoded, one per broker address; past this many the memos start afresh.
constexpr size_t kRegisterBodyMemos = 256;
}  // namespace

NameServer::NameServer(Runtime& rt, NamesrvConfig config) : rt_(rt), config_(std::move(config)) {
  remoting::RemotingServerOptions opts;
  opts.listen = config_.listen;
  // 4.9.8's DefaultRequestProcessor leaves an unknown code unanswered (the caller waits for its
  // timeout); rmqsim answers REQUEST_CODE_NOT_SUPPORTED, as the broker does.
  opts.unknown_code_policy = remoting::UnknownCodePolicy::kRespondNotSupported;
  opts.channel_idle_timeout = config_.channel_idle_timeout;
  server_ = std::make_unique<remoting::RemotingServer>(rt_, opts);
}

NameServer::~NameServer() { rt_.executor().Cancel(scan_timer_); }

Status NameServer::Start() {
  RegisterProcessors();
  server_->AddCloseListener(
      guard_.Wrap([this](const std::shared_ptr<remoting::RemotingChannel>& ch, const Status&) {
        // PLANTED BUG (tests only): a closed channel does not purge its broker either.
        if (RMQ_PLANTED_BUG("namesrv.never_purge")) return;
        if (auto r = routes_.OnChannelDestroy(ch->id())) {
          TraceRemoval(*r, RemovalReason::kChannelClosed);
        }
      }));
  RMQ_RETURN_IF_ERROR(server_->Start());
  rt_.Trace(TraceEvent("NamesrvStarted").Detail("Address", server_->address().ToString()));
  RMQ_LOG_INFO(rt_, "RocketmqNamesrv", "The Name Server boot success. serializeType=JSON ({})",
               server_->address().ToString());
  ScheduleScan(config_.scan_first_delay);
  return Status::Ok();
}

void NameServer::Stop(std::function<void()> done) {
  rt_.executor().Cancel(scan_timer_);
  server_->Shutdown();
  done();
}

void NameServer::ScheduleScan(Duration delay) {
  scan_timer_ = rt_.executor().ScheduleAfter(delay, guard_.Wrap([this] {
    Scan();
    Duration next = config_.scan_not_active_broker_interval;
    // BUGGIFY: the next scan runs anywhere from half an interval early to 2 s late (Java's
    // scheduleAtFixedRate running a delayed scan late and catching up with the next one early).
    // Early scans never expire a broker sooner (the 120 s threshold is checked on the wall
    // clock); late ones stay inside the routes checker's allowance (expiry + scan + 3 s).
    if (RMQ_BUGGIFY(rt_)) {
      next = rt_.random().UniformDuration(next / 2, next + std::min<Duration>(next / 5, seconds(2)));
    }
    ScheduleScan(next);
  }));
}

void NameServer::Scan() {
  for (auto& [removal, channel_id] : routes_.ScanNotActiveBroker(rt_.WallNow())) {
    TraceRemoval(removal, RemovalReason::kExpired);
    // Java closes the expired broker's channel too.
    if (auto ch = server_->FindChannel(channel_id)) ch->Close(TimeoutError("broker expired"));
  }
}

void NameServer::TraceRemoval(const Removal& r, RemovalReason reason) {
  std::string topics;
  for (const auto& t : r.topics_removed) topics += (topics.empty() ? "" : ",") + t;
  RMQ_LOG_INFO(rt_, "RocketmqNamesrv", "remove brokerAddr[{}] of {} from brokerLiveTable ({}){}{}",
               r.broker_addr, r.broker_name, RemovalReasonName(reason),
               r.broker_name_removed ? "; brokerName removed" : "",
               topics.empty() ? "" : "; topics removed: " + topics);
  rt_.Trace(TraceEvent("BrokerRemoved")
                .Detail("BrokerAddr", r.broker_addr)
                .Detail("BrokerName", r.broker_name)
                .Detail("Reason", std::string(RemovalReasonName(reason)))
                .Detail("BrokerNameRemoved", r.broker_name_removed)
                .Detail("TopicsRemoved", topics));
}

void NameServer::RegisterProcessors() {
  auto add = [this](int32_t code,
                    std::function<std::optional<RemotingCommand>(const RemotingCommand&,
                                                                  const remoting::Responder&)>
                        fn) {
    server_->RegisterProcessor(code, [fn](RemotingCommand req, remoting::Responder responder) {
      return fn(req, responder);
    });
  };
  add(RequestCode::REGISTER_BROKER,
      [this](const RemotingCommand& r, const remoting::Responder& resp) {
        return RegisterBroker(r, resp);
      });
  add(RequestCode::UNREGISTER_BROKER,
      [this](const RemotingCommand& r, const remoting::Responder&) { return UnregisterBroker(r); });
  add(RequestCode::GET_ROUTEINFO_BY_TOPIC,
      [this](const RemotingCommand& r, const remoting::Responder&) { return GetRouteInfo(r); });
  add(RequestCode::GET_BROKER_CLUSTER_INFO,
      [this](const RemotingCommand&, const remoting::Responder&) {
        auto resp = RemotingCommand::CreateResponseCommand(ResponseCode::SUCCESS);
        resp.body = common::EncodeClusterInfo(routes_.GetAllClusterInfo());
        return std::optional(resp);
      });
  add(RequestCode::GET_ALL_TOPIC_LIST_FROM_NAMESERVER,
      [this](const RemotingCommand&, const remoting::Responder&) {
        auto resp = RemotingCommand::CreateResponseCommand(ResponseCode::SUCCESS);
        resp.body = common::EncodeTopicList(routes_.GetAllTopicList());
        return std::optional(resp);
      });
  add(RequestCode::GET_TOPICS_BY_CLUSTER,
      [this](const RemotingCommand& r, const remoting::Responder&) {
        auto cluster = r.GetRequiredString("cluster");
        if (!cluster.ok()) return std::optional(SystemError(cluster.status()));
        auto resp = RemotingCommand::CreateResponseCommand(ResponseCode::SUCCESS);
        resp.body = common::EncodeTopicList(routes_.GetTopicsByCluster(*cluster));
        return std::optional(resp);
      });
  add(RequestCode::DELETE_TOPIC_IN_NAMESRV,
      [this](const RemotingCommand& r, const remoting::Responder&) {
        auto topic = r.GetRequiredString("topic");
        if (!topic.ok()) return std::optional(SystemError(topic.status()));
        const bool found = routes_.DeleteTopic(*topic);
        rt_.Trace(TraceEvent("TopicDeleted").Detail("Topic", *topic).Detail("Found", found));
        return std::optional(RemotingCommand::CreateResponseCommand(ResponseCode::SUCCESS));
      });
  add(RequestCode::WIPE_WRITE_PERM_OF_BROKER,
      [this](const RemotingCommand& r, const remoting::Responder&) {
        auto broker_name = r.GetRequiredString("brokerName");
        if (!broker_name.ok()) return std::optional(SystemError(broker_name.status()));
        const int wiped = routes_.WipeWritePermOfBroker(*broker_name);
        rt_.Trace(TraceEvent("BrokerWritePermWiped")
                      .Detail("BrokerName", *broker_name)
                      .Detail("Topics", static_cast<int64_t>(wiped)));
        auto resp = RemotingCommand::CreateResponseCommand(ResponseCode::SUCCESS);
        resp.SetExtFieldInt("wipeTopicCount", wiped);
        return std::optional(resp);
      });
  add(RequestCode::PUT_KV_CONFIG, [this](const RemotingCommand& r, const remoting::Responder&) {
    auto ns = r.GetRequiredString("namespace");
    auto key = r.GetRequiredString("key");
    auto value = r.GetRequiredString("value");
    for (const auto* s : {&ns, &key, &value}) {
      if (!s->ok()) return std::optional(SystemError(s->status()));
    }
    kv_config_[*ns][*key] = *value;
    return std::optional(RemotingCommand::CreateResponseCommand(ResponseCode::SUCCESS));
  });
  add(RequestCode::GET_KV_CONFIG, [this](const RemotingCommand& r, const remoting::Responder&) {
    auto ns = r.GetRequiredString("namespace");
    auto key = r.GetRequiredString("key");
    if (!ns.ok()) return std::optional(SystemError(ns.status()));
    if (!key.ok()) return std::optional(SystemError(key.status()));
    auto n = kv_config_.find(*ns);
    if (n != kv_config_.end()) {
      auto k = n->second.find(*key);
      if (k != n->second.end()) {
        auto resp = RemotingCommand::CreateResponseCommand(ResponseCode::SUCCESS);
        resp.SetExtField("value", k->second);
        return std::optional(resp);
      }
    }
    return std::optional(Error(ResponseCode::QUERY_NOT_FOUND,
                               "No config item, Namespace: " + *ns + " Key: " + *key));
  });
  add(RequestCode::DELETE_KV_CONFIG, [this](const RemotingCommand& r, const remoting::Responder&) {
    auto ns = r.GetRequiredString("namespace");
    auto key = r.GetRequiredString("key");
    if (!ns.ok()) return std::optional(SystemError(ns.status()));
    if (!key.ok()) return std::optional(SystemError(key.status()));
    auto n = kv_config_.find(*ns);
    if (n != kv_config_.end()) n->second.erase(*key);
    return std::optional(RemotingCommand::CreateResponseCommand(ResponseCode::SUCCESS));
  });
}

std::optional<RemotingCommand> NameServer::RegisterBroker(const RemotingCommand& req,
                                                          const remoting::Responder& responder) {
  RegisterBrokerRequest r;
  auto broker_name = req.GetRequiredString("brokerName");
  auto broker_addr = req.GetRequiredString("brokerAddr");
  auto cluster_name = req.GetRequiredString("clusterName");
  auto ha_server_addr = req.GetRequiredString("haServerAddr");
  auto broker_id = req.GetRequiredInt64("brokerId");
  for (const Status* s : {&broker_name.status(), &broker_addr.status(), &cluster_name.status(),
                          &ha_server_addr.status(), &broker_id.status()}) {
    if (!s->ok()) return SystemError(*s);
  }
  // Stricter than 4.9.8, which registers whatever the header holds (brokerId -1, an empty
  // address): a route pointing at such a broker would send clients nowhere.
  if (*broker_id < 0) {
    return Error(ResponseCode::SYSTEM_ERROR,
                 "REGISTER_BROKER: brokerId " + std::to_string(*broker_id) + " is negative");
  }
  if (broker_name->empty() || cluster_name->empty()) {
    return Error(ResponseCode::SYSTEM_ERROR, "REGISTER_BROKER: empty brokerName or clusterName");
  }
  const size_t colon = broker_addr->rfind(':');
  const std::string port = colon == std::string::npos ? "" : broker_addr->substr(colon + 1);
  if (colon == 0 || colon == std::string::npos || port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) == 0 ||
      std::stoi(port) > 65535) {
    return Error(ResponseCode::SYSTEM_ERROR, "REGISTER_BROKER: brokerAddr '" + *broker_addr +
                                                 "' is not host:port");
  }
  auto crc = req.GetOptionalInt32("bodyCrc32");
  if (!crc.ok()) return SystemError(crc.status());
  int32_t body_crc = crc->value_or(0);
  if (body_crc != 0 && common::Crc32Masked(BodyBytes(req.body)) != body_crc) {
    return Error(ResponseCode::SYSTEM_ERROR, "crc32 not match");
  }
  bool compressed = req.GetOptionalBool("compressed").value_or(false);
  if (!req.body.empty()) {
    if (req.version >= remoting::MQVersion::V3_0_11) {
      // A broker registers the same topic table every 30 s: decoded once while it is unchanged.
      if (register_memos_.size() > kRegisterBodyMemos) register_memos_.clear();
      auto& memo = register_memos_[std::pair(*broker_addr, compressed)];
      const auto& body = memo.Get(req.body, [compressed](std::string_view b) {
        return compressed ? common::DecodeRegisterBrokerBodyCompressed(BodyBytes(b))
                          : common::DecodeRegisterBrokerBody(b);
      });
      if (!body.ok()) return SystemError(body.status().WithContext("REGISTER_BROKER body"));
      r.topic_config_wrapper = body->topic_config_serialize_wrapper;
      r.filter_server_list = body->filter_server_list;
    } else {
      auto wrapper = common::DecodeTopicConfigSerializeWrapper(req.body);
      if (!wrapper.ok()) return SystemError(wrapper.status().WithContext("REGISTER_BROKER body"));
      r.topic_config_wrapper = *wrapper;
    }
  } else {
    r.topic_config_wrapper = common::TopicConfigSerializeWrapper{};
  }
  r.broker_name = *broker_name;
  r.broker_addr = *broker_addr;
  r.cluster_name = *cluster_name;
  r.ha_server_addr = *ha_server_addr;
  r.broker_id = *broker_id;
  r.channel_id = responder.channel() ? responder.channel()->id() : 0;
  bool was_live = routes_.IsBrokerLive(r.broker_addr);
  common::RegisterBrokerResult result = routes_.RegisterBroker(r, rt_.WallNow());
  if (!was_live) {
    RMQ_LOG_INFO(rt_, "RocketmqNamesrv", "new broker registered, {} {} (brokerId {}, cluster {})",
                 r.broker_addr, r.broker_name, r.broker_id, r.cluster_name);
    rt_.Trace(TraceEvent("BrokerRegistered")
                  .Detail("BrokerAddr", r.broker_addr)
                  .Detail("BrokerName", r.broker_name)
                  .Detail("BrokerId", r.broker_id)
                  .Detail("Cluster", r.cluster_name));
  }
  auto resp = RemotingCommand::CreateResponseCommand(ResponseCode::SUCCESS);
  if (!result.ha_server_addr.empty()) resp.SetExtField("haServerAddr", result.ha_server_addr);
  if (!result.master_addr.empty()) resp.SetExtField("masterAddr", result.master_addr);
  common::KvTable kv;
  if (auto n = kv_config_.find(kOrderTopicConfigNamespace); n != kv_config_.end()) {
    kv.table = n->second;
  }
  resp.body = common::EncodeKvTable(kv);
  return resp;
}

std::optional<RemotingCommand> NameServer::UnregisterBroker(const RemotingCommand& req) {
  auto broker_name = req.GetRequiredString("brokerName");
  auto broker_addr = req.GetRequiredString("brokerAddr");
  auto cluster_name = req.GetRequiredString("clusterName");
  auto broker_id = req.GetRequiredInt64("brokerId");
  for (const Status* s : {&broker_name.status(), &broker_addr.status(), &cluster_name.status(),
                          &broker_id.status()}) {
    if (!s->ok()) return SystemError(*s);
  }
  if (auto r = routes_.UnregisterBroker(*cluster_name, *broker_addr, *broker_name, *broker_id)) {
    TraceRemoval(*r, RemovalReason::kUnregistered);
  }
  return RemotingCommand::CreateResponseCommand(ResponseCode::SUCCESS);
}

std::optional<RemotingCommand> NameServer::GetRouteInfo(const RemotingCommand& req) {
  auto topic = req.GetRequiredString("topic");
  if (!topic.ok()) return SystemError(topic.status());
  auto route = routes_.GetTopicRouteData(*topic);
  if (!route) {
    return Error(ResponseCode::TOPIC_NOT_EXIST,
                 "No topic route info in name server for the topic: " + *topic + "\nSee " +
                     kApplyTopicUrl + " for further details.");
  }
  if (config_.order_message_enable) {
    auto n = kv_config_.find(kOrderTopicConfigNamespace);
    if (n != kv_config_.end()) {
      auto k = n->second.find(*topic);
      if (k != n->second.end()) route->order_topic_conf = k->second;
    }
  }
  bool standard_only = req.GetOptionalBool("acceptStandardJsonOnly").value_or(false);
  auto resp = RemotingCommand::CreateResponseCommand(ResponseCode::SUCCESS);
  resp.body = common::EncodeTopicRouteData(
      *route, common::RouteJsonDialectFor(req.version, standard_only));
  return resp;
}

}  // namespace rmqsim::namesrv
