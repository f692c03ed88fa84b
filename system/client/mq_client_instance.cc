#include "system/client/mq_client_instance.h"

#include "sim/base/buggify.h"

#include <algorithm>
#include <utility>

#include "sim/base/trace.h"
#include "system/common/consumer_bodies.h"
#include "system/common/host_address.h"
#include "system/common/mix_all.h"

namespace rmqsim::client {

using remoting::RemotingCommand;
using remoting::RequestCode;
using remoting::ResponseCode;

namespace {

constexpr std::string_view kBrokerErrorPrefix = "CODE: ";

}  // namespace

Status BrokerError(int32_t code, const std::optional<std::string>& remark) {
  std::string message =
      std::string(kBrokerErrorPrefix) + std::to_string(code) + "  DESC: " + remark.value_or("null");
  if (code == ResponseCode::TOPIC_NOT_EXIST || code == ResponseCode::QUERY_NOT_FOUND) {
    return NotFoundError(std::move(message));
  }
  return UnavailableError(std::move(message));
}

int32_t BrokerErrorCode(const Status& status) {
  const std::string& m = status.message();
  size_t pos = m.find(kBrokerErrorPrefix);
  if (status.ok() || pos == std::string::npos) return -1;
  size_t start = pos + kBrokerErrorPrefix.size();
  size_t end = m.find(' ', start);
  auto code = remoting::ParseJavaInt(std::string_view(m).substr(start, end - start));
  return code.value_or(-1);
}

MQClientInstance::MQClientInstance(Runtime& rt, ClientConfig config)
    : rt_(rt), config_(std::move(config)), client_(rt) {
  int32_t pid = config_.pid >= 0 ? config_.pid : static_cast<int32_t>(rt_.random().Below(32768));
  instance_name_ = config_.instance_name == "DEFAULT"
                       ? std::to_string(pid) + "#" + std::to_string(ToNanos(rt_.Now()))
                       : config_.instance_name;
  client_id_ = BuildMQClientId(config_.client_ip, instance_name_, config_.unit_name);
  auto host = common::HostAddress::Parse(config_.client_ip + ":0");
  uniq_ids_ = std::make_unique<common::UniqIdGenerator>(
      host.ok() ? *host : common::HostAddress::Ipv4(127, 0, 0, 1, 0), static_cast<uint16_t>(pid),
      static_cast<int32_t>(rt_.random().Next64()));
  client_.RegisterProcessor(
      RequestCode::NOTIFY_CONSUMER_IDS_CHANGED,
      [this](RemotingCommand request, remoting::Responder) -> std::optional<RemotingCommand> {
        ++notifies_received_;
        rt_.Trace(TraceEvent("ClientNotifyConsumerIdsChanged")
                      .Detail("ClientId", client_id_)
                      .Detail("Group", request.GetOptionalString("consumerGroup").value_or("")));
        RebalanceImmediately();
        return std::nullopt;
      });
}

MQClientInstance::~MQClientInstance() = default;

Status MQClientInstance::Start() {
  if (started_) return Status::Ok();
  if (shut_down_) return FailedPreconditionError("the client instance was shut down");
  RMQ_ASSIGN_OR_RETURN(namesrv_addrs_, ParseNamesrvAddr(config_.namesrv_addr));
  if (!namesrv_addrs_.empty()) namesrv_index_ = rt_.random().Below(namesrv_addrs_.size());
  started_ = true;
  ScheduleRouteUpdate(limits::kRouteUpdateFirstDelay);
  ScheduleHeartbeat(limits::kHeartbeatFirstDelay);
  SchedulePersist(limits::kPersistOffsetFirstDelay);
  ScheduleRebalance(config_.rebalance_interval);
  rt_.Trace(TraceEvent("ClientInstanceStarted")
                .Detail("ClientId", client_id_)
                .Detail("Namesrv", config_.namesrv_addr));
  return Status::Ok();
}

Task<void> MQClientInstance::Shutdown() {
  if (shut_down_) co_return;
  shut_down_ = true;
  for (TimerId* t : {&route_timer_, &heartbeat_timer_, &persist_timer_, &rebalance_timer_}) {
    rt_.executor().Cancel(*t);
    *t = TimerId{};
  }
  if (started_) {
    std::vector<std::string> producer_groups, consumer_groups;
    for (const auto& [g, p] : producers_) producer_groups.push_back(g);
    for (const auto& [g, c] : consumers_) consumer_groups.push_back(g);
    producers_.clear();
    consumers_.clear();
    const std::string none;
    for (const auto& g : producer_groups) co_await UnregisterClient(g, none);
    for (const auto& g : consumer_groups) co_await UnregisterClient(none, g);
  }
  started_ = false;
  client_.Shutdown();
  rt_.Trace(TraceEvent("ClientInstanceShutdown").Detail("ClientId", client_id_));
}

namespace {
// Registers a producer or consumer group in its table (MQClientInstance.registerProducer /
// registerConsumer): a group may appear once per instance, and the instance holds a bounded
// number of groups.
template <typename T>
Status RegisterGroup(std::map<std::string, T*>& table, size_t groups_total, std::string_view kind,
                     const std::string& group, T* member) {
  if (table.contains(group)) {
    return AlreadyExistsError("The " + std::string(kind) + " group[" + group +
                              "] has been created before, specify another name please.");
  }
  if (groups_total >= limits::kGroupsPerInstanceMax) {
    return ResourceExhaustedError("too many groups in one client instance (limit " +
                                  std::to_string(limits::kGroupsPerInstanceMax) + ")");
  }
  table[group] = member;
  return Status::Ok();
}
}  // namespace

Status MQClientInstance::RegisterProducer(const std::string& group, MQProducerInner* producer) {
  return RegisterGroup(producers_, producers_.size() + consumers_.size(), "producer", group,
                       producer);
}

Status MQClientInstance::RegisterConsumer(const std::string& group, MQConsumerInner* consumer) {
  return RegisterGroup(consumers_, producers_.size() + consumers_.size(), "consumer", group,
                       consumer);
}

Task<void> MQClientInstance::UnregisterProducer(std::string group) {
  if (producers_.erase(group) == 0) co_return;
  const std::string none;
  if (started_) co_await UnregisterClient(group, none);
}

Task<void> MQClientInstance::UnregisterConsumer(std::string group) {
  if (consumers_.erase(group) == 0) co_return;
  const std::string none;
  if (started_) co_await UnregisterClient(none, group);
}

Task<void> MQClientInstance::UnregisterClient(std::string producer_group,
                                              std::string consumer_group) {
  // unregisterClient: every address of the broker address table.
  std::vector<std::string> addrs;
  for (const auto& [name, table] : broker_addr_table_) {
    for (const auto& [id, addr] : table) addrs.push_back(addr);
  }
  for (const auto& addr : addrs) {
    auto req = RemotingCommand::CreateRequest(RequestCode::UNREGISTER_CLIENT);
    req.SetExtField("clientID", client_id_);
    if (!producer_group.empty()) req.SetExtField("producerGroup", producer_group);
    if (!consumer_group.empty()) req.SetExtField("consumerGroup", consumer_group);
    auto r = co_await Call(addr, std::move(req), config_.mq_client_api_timeout);
    if (!r.ok()) {
      rt_.Trace(TraceEvent("ClientUnregisterFailed", Severity::kWarn)
                    .Detail("Broker", addr)
                    .Detail("Error", r.status().ToString()));
    }
  }
}

// ------------------------------------------------------------------------------ name server

Task<StatusOr<RemotingCommand>> MQClientInstance::CallNamesrv(RemotingCommand request,
                                                              Duration timeout) {
  if (namesrv_addrs_.empty()) {
    co_return FailedPreconditionError("No name server address, please set it.");
  }
  Status last = UnavailableError("no name server answered");
  for (size_t attempt = 0; attempt < namesrv_addrs_.size(); ++attempt) {
    Address addr = namesrv_addrs_[namesrv_index_ % namesrv_addrs_.size()];
    RemotingCommand copy = request;
    auto r = co_await client_.Call(addr, std::move(copy), timeout);
    if (r.ok()) co_return r;
    last = r.status();
    namesrv_index_ = (namesrv_index_ + 1) % namesrv_addrs_.size();
  }
  co_return last;
}

Task<StatusOr<common::TopicRouteData>> MQClientInstance::GetTopicRouteInfoFromNameServer(
    std::string topic, Duration timeout) {
  auto req = RemotingCommand::CreateRequest(RequestCode::GET_ROUTEINFO_BY_TOPIC);
  req.SetExtField("topic", topic);
  auto r = co_await CallNamesrv(std::move(req), timeout);
  if (!r.ok()) co_return r.status();
  if (r->code == ResponseCode::TOPIC_NOT_EXIST) {
    co_return NotFoundError(
        r->remark.value_or("No topic route info in name server for the topic: " + topic));
  }
  if (r->code != ResponseCode::SUCCESS) co_return BrokerError(r->code, r->remark);
  auto route = common::DecodeTopicRouteData(r->body);
  if (!route.ok()) co_return route.status().WithContext("route of " + topic);
  co_return std::move(*route);
}

void MQClientInstance::InstallRoute(const std::string& topic, const common::TopicRouteData& route) {
  if (!topic_route_table_.contains(topic) && topic_route_table_.size() >= limits::kRouteTopicsMax) {
    rt_.Trace(TraceEvent("ClientRouteTableFull", Severity::kWarn).Detail("Topic", topic));
    return;
  }
  topic_route_table_[topic] = route;
  for (const auto& bd : route.broker_datas) broker_addr_table_[bd.broker_name] = bd.broker_addrs;
  auto subscribe = TopicRouteDataToSubscribeInfo(topic, route);
  for (const auto& [group, producer] : producers_) producer->UpdateTopicPublishInfo(topic, route);
  for (const auto& [group, consumer] : consumers_) {
    consumer->UpdateTopicSubscribeInfo(topic, subscribe);
  }
  ++route_updates_;
}

Task<bool> MQClientInstance::UpdateTopicRouteInfoFromNameServer(std::string topic) {
  auto route = co_await GetTopicRouteInfoFromNameServer(topic, config_.mq_client_api_timeout);
  if (!route.ok()) {
    ++route_update_failures_;
    co_return false;
  }
  if (shut_down_) co_return false;
  InstallRoute(topic, *route);
  co_return true;
}

Task<bool> MQClientInstance::UpdateTopicRouteInfoFromDefaultTopic(
    std::string topic, std::string default_topic, int32_t default_topic_queue_nums) {
  auto route =
      co_await GetTopicRouteInfoFromNameServer(default_topic, limits::kDefaultTopicRouteTimeout);
  if (!route.ok()) {
    ++route_update_failures_;
    co_return false;
  }
  if (shut_down_) co_return false;
  for (auto& qd : route->queue_datas) {
    int32_t nums = std::min(default_topic_queue_nums, qd.read_queue_nums);
    qd.read_queue_nums = nums;
    qd.write_queue_nums = nums;
  }
  InstallRoute(topic, *route);
  co_return true;
}

Task<void> MQClientInstance::UpdateTopicRouteInfoFromNameServerAll() {
  std::set<std::string> topics;
  for (const auto& [g, c] : consumers_) {
    for (auto& t : c->SubscribedTopics()) topics.insert(t);
  }
  for (const auto& [g, p] : producers_) {
    for (auto& t : p->PublishTopics()) topics.insert(t);
  }
  for (const auto& topic : topics) {
    if (shut_down_) break;
    co_await UpdateTopicRouteInfoFromNameServer(topic);
  }
}

// ------------------------------------------------------------------------------ addresses

std::optional<std::string> MQClientInstance::FindBrokerAddressInPublish(
    const std::string& broker_name) const {
  auto it = broker_addr_table_.find(broker_name);
  if (it == broker_addr_table_.end()) return std::nullopt;
  auto m = it->second.find(common::kMasterId);
  if (m == it->second.end()) return std::nullopt;
  return m->second;
}

std::optional<FindBrokerResult> MQClientInstance::FindBrokerAddressInSubscribe(
    const std::string& broker_name, int64_t broker_id, bool only_this_broker) const {
  auto it = broker_addr_table_.find(broker_name);
  if (it == broker_addr_table_.end() || it->second.empty()) return std::nullopt;
  const auto& map = it->second;
  auto found = map.find(broker_id);
  bool slave = broker_id != common::kMasterId;
  if (found == map.end() && slave) found = map.find(broker_id + 1);
  if (found == map.end() && !only_this_broker) found = map.begin();
  if (found == map.end()) return std::nullopt;
  return FindBrokerResult{found->second, found->first != common::kMasterId};
}

std::optional<std::string> MQClientInstance::FindBrokerAddrByTopic(const std::string& topic) {
  auto it = topic_route_table_.find(topic);
  if (it == topic_route_table_.end() || it->second.broker_datas.empty()) return std::nullopt;
  const auto& brokers = it->second.broker_datas;
  const auto& bd = brokers[rt_.random().Below(brokers.size())];
  if (bd.broker_addrs.empty()) return std::nullopt;
  auto m = bd.broker_addrs.find(common::kMasterId);
  if (m != bd.broker_addrs.end()) return m->second;
  auto pick = bd.broker_addrs.begin();
  std::advance(pick, static_cast<long>(rt_.random().Below(bd.broker_addrs.size())));
  return pick->second;
}

// ------------------------------------------------------------------------------ broker calls

Task<StatusOr<RemotingCommand>> MQClientInstance::Call(std::string broker_addr,
                                                       RemotingCommand request, Duration timeout) {
  auto addr = Address::Parse(broker_addr);
  if (!addr.ok()) co_return addr.status();
  Address to = *addr;
  auto result = co_await client_.Call(to, std::move(request), timeout);

  co_return result;
}

void MQClientInstance::InvokeOneway(const std::string& broker_addr, RemotingCommand request) {
  auto addr = Address::Parse(broker_addr);
  if (!addr.ok()) return;
  client_.InvokeOneway(*addr, std::move(request), config_.mq_client_api_timeout);
}

Task<StatusOr<std::vector<std::string>>> MQClientInstance::FindConsumerIdList(std::string topic,
                                                                              std::string group) {
  auto addr = FindBrokerAddrByTopic(topic);
  if (!addr) {
    co_await UpdateTopicRouteInfoFromNameServer(topic);
    addr = FindBrokerAddrByTopic(topic);
  }
  if (!addr) co_return NotFoundError("no broker for the topic " + topic);
  auto req = RemotingCommand::CreateRequest(RequestCode::GET_CONSUMER_LIST_BY_GROUP);
  req.SetExtField("consumerGroup", group);
  auto r = co_await Call(*addr, std::move(req), config_.mq_client_api_timeout);
  if (!r.ok()) co_return r.status();
  if (r->code != ResponseCode::SUCCESS) co_return BrokerError(r->code, r->remark);
  auto body = common::DecodeConsumerListBody(r->body);
  if (!body.ok()) co_return body.status();
  co_return std::move(body->consumer_id_list);
}

namespace {
// The header fields QUERY_CONSUMER_OFFSET and UPDATE_CONSUMER_OFFSET share.
RemotingCommand BuildOffsetRequest(int32_t code, const std::string& group,
                                   const MessageQueue& mq) {
  auto req = RemotingCommand::CreateRequest(code);
  req.SetExtField("consumerGroup", group);
  req.SetExtField("topic", mq.topic);
  req.SetExtFieldInt("queueId", mq.queue_id);
  req.SetExtField("bname", mq.broker_name);
  return req;
}
}  // namespace

Task<StatusOr<int64_t>> MQClientInstance::QueryConsumerOffset(std::string group, MessageQueue mq) {
  // findBrokerAddressInAdmin: the first address of the broker name (its master when alive).
  auto found = FindBrokerAddressInSubscribe(mq.broker_name, common::kMasterId, false);
  if (!found) {
    co_await UpdateTopicRouteInfoFromNameServer(mq.topic);
    found = FindBrokerAddressInSubscribe(mq.broker_name, common::kMasterId, false);
  }
  if (!found) co_return NotFoundError("The broker[" + mq.broker_name + "] not exist");
  auto req = BuildOffsetRequest(RequestCode::QUERY_CONSUMER_OFFSET, group, mq);
  auto r = co_await Call(found->broker_addr, std::move(req), limits::kQueryConsumerOffsetTimeout);
  if (!r.ok()) co_return r.status();
  if (r->code != ResponseCode::SUCCESS) co_return BrokerError(r->code, r->remark);
  auto offset = r->GetRequiredInt64("offset");
  if (!offset.ok()) co_return offset.status();
  co_return *offset;
}

Status MQClientInstance::UpdateConsumerOffsetOneway(const std::string& group,
                                                    const MessageQueue& mq, int64_t offset) {
  auto found = FindBrokerAddressInSubscribe(mq.broker_name, common::kMasterId, false);
  if (!found) return NotFoundError("The broker[" + mq.broker_name + "] not exist");
  auto req = BuildOffsetRequest(RequestCode::UPDATE_CONSUMER_OFFSET, group, mq);
  req.SetExtFieldInt("commitOffset", offset);
  InvokeOneway(found->broker_addr, std::move(req));
  return Status::Ok();
}

Task<Status> MQClientInstance::UpdateConsumerOffset(std::string group, MessageQueue mq,
                                                    int64_t offset) {
  auto found = FindBrokerAddressInSubscribe(mq.broker_name, common::kMasterId, false);
  if (!found) {
    co_await UpdateTopicRouteInfoFromNameServer(mq.topic);
    found = FindBrokerAddressInSubscribe(mq.broker_name, common::kMasterId, false);
  }
  if (!found) co_return NotFoundError("The broker[" + mq.broker_name + "] not exist");
  auto req = BuildOffsetRequest(RequestCode::UPDATE_CONSUMER_OFFSET, group, mq);
  req.SetExtFieldInt("commitOffset", offset);
  auto r = co_await Call(found->broker_addr, std::move(req), limits::kQueryConsumerOffsetTimeout);
  if (!r.ok()) co_return r.status();
  if (r->code != ResponseCode::SUCCESS) co_return BrokerError(r->code, r->remark);
  co_return Status::Ok();
}

Task<StatusOr<int64_t>> MQClientInstance::OffsetRequest(int32_t code, MessageQueue mq,
                                                        int64_t timestamp_ms) {
  auto addr = FindBrokerAddressInPublish(mq.broker_name);
  if (!addr) {
    co_await UpdateTopicRouteInfoFromNameServer(mq.topic);
    addr = FindBrokerAddressInPublish(mq.broker_name);
  }
  if (!addr) co_return NotFoundError("The broker[" + mq.broker_name + "] not exist");
  auto req = RemotingCommand::CreateRequest(code);
  req.SetExtField("topic", mq.topic);
  req.SetExtFieldInt("queueId", mq.queue_id);
  req.SetExtField("bname", mq.broker_name);
  if (code == RequestCode::SEARCH_OFFSET_BY_TIMESTAMP)
    req.SetExtFieldInt("timestamp", timestamp_ms);
  auto r = co_await Call(*addr, std::move(req), config_.mq_client_api_timeout);
  if (!r.ok()) co_return r.status();
  if (r->code != ResponseCode::SUCCESS) co_return BrokerError(r->code, r->remark);
  auto offset = r->GetRequiredInt64("offset");
  if (!offset.ok()) co_return offset.status();
  co_return *offset;
}

Task<StatusOr<int64_t>> MQClientInstance::MaxOffset(MessageQueue mq) {
  auto result = co_await OffsetRequest(RequestCode::GET_MAX_OFFSET, std::move(mq), 0);

  co_return result;
}
Task<StatusOr<int64_t>> MQClientInstance::MinOffset(MessageQueue mq) {
  auto result = co_await OffsetRequest(RequestCode::GET_MIN_OFFSET, std::move(mq), 0);

  co_return result;
}
Task<StatusOr<int64_t>> MQClientInstance::SearchOffset(MessageQueue mq, int64_t timestamp_ms) {
  auto result =
      co_await OffsetRequest(RequestCode::SEARCH_OFFSET_BY_TIMESTAMP, std::move(mq), timestamp_ms);

  co_return result;
}

// ------------------------------------------------------------------------------ timers

common::HeartbeatData MQClientInstance::PrepareHeartbeatData() const {
  common::HeartbeatData data;
  data.client_id = client_id_;
  for (const auto& [group, consumer] : consumers_) {
    data.consumer_data_set.push_back(consumer->BuildConsumerData());
  }
  // Every Java instance also carries its inner producer.
  data.producer_data_set.push_back({std::string(common::kClientInnerProducerGroup)});
  for (const auto& [group, producer] : producers_) data.producer_data_set.push_back({group});
  return data;
}

void MQClientInstance::SendHeartbeatToAllBrokers() {
  if (!started_ || shut_down_) return;
  if (producers_.empty() && consumers_.empty()) return;
  if (suppress_heartbeats_) {
    ++heartbeats_suppressed_;
    rt_.Trace(TraceEvent("ClientHeartbeatSuppressed"));
    return;
  }
  bool producer_only = consumers_.empty();
  std::string body = common::EncodeHeartbeatData(PrepareHeartbeatData());
  for (const auto& [name, table] : broker_addr_table_) {
    for (const auto& [id, addr] : table) {
      if (producer_only && id != common::kMasterId) continue;
      auto parsed = Address::Parse(addr);
      if (!parsed.ok()) continue;
      auto req = RemotingCommand::CreateRequest(RequestCode::HEART_BEAT);
      req.body = body;
      ++heartbeats_sent_;
      client_.Invoke(*parsed, std::move(req), config_.mq_client_api_timeout,
                     guard_.Wrap([this, addr = addr](StatusOr<RemotingCommand> r) {
                       if (!r.ok() || r->code != ResponseCode::SUCCESS) {
                         rt_.Trace(TraceEvent("ClientHeartbeatFailed", Severity::kWarn)
                                       .Detail("Broker", addr)
                                       .Detail("Error", r.ok() ? std::to_string(r->code)
                                                               : r.status().ToString()));
                       }
                     }));
    }
  }
}

void MQClientInstance::RebalanceImmediately() {
  if (!started_ || shut_down_) return;
  ++rebalances_triggered_;
  for (const auto& [group, consumer] : consumers_) consumer->RebalanceNow();
  ScheduleRebalance(config_.rebalance_interval);
}

void MQClientInstance::PersistAllConsumerOffset() {
  for (const auto& [group, consumer] : consumers_) consumer->PersistConsumerOffset();
}

std::string MQClientInstance::CreateUniqId() {
  return uniq_ids_->Next(ToUnixMillis(rt_.WallNow()));
}

void MQClientInstance::ScheduleRouteUpdate(Duration delay) {
  route_timer_ = rt_.executor().ScheduleAfter(delay, guard_.Wrap([this] {
    if (shut_down_) return;
    if (!route_update_running_) {
      route_update_running_ = true;
      scope_.Spawn([](MQClientInstance* self) -> Task<void> {
        co_await self->UpdateTopicRouteInfoFromNameServerAll();
        self->route_update_running_ = false;
      }(this));
    }
    Duration next = config_.poll_name_server_interval;
    // BUGGIFY: the next route refresh up to 5 s late (Java's scheduled executor behind a GC
    // pause or a slow name server call), so a route change reaches this client later.
    if (RMQ_BUGGIFY(rt_)) next += rt_.random().UniformDuration(Duration::zero(), seconds(5));
    ScheduleRouteUpdate(next);
  }));
}

void MQClientInstance::ScheduleHeartbeat(Duration delay) {
  heartbeat_timer_ = rt_.executor().ScheduleAfter(delay, guard_.Wrap([this] {
    if (shut_down_) return;
    // cleanOfflineBroker: forget addresses no cached route mentions any more.
    std::set<std::pair<std::string, int64_t>> live;
    for (const auto& [topic, route] : topic_route_table_) {
      for (const auto& bd : route.broker_datas) {
        for (const auto& [id, addr] : bd.broker_addrs) live.insert({bd.broker_name, id});
      }
    }
    for (auto it = broker_addr_table_.begin(); it != broker_addr_table_.end();) {
      std::erase_if(it->second, [&](const auto& e) {
        return !live.contains({it->first, e.first});
      });
      it = it->second.empty() ? broker_addr_table_.erase(it) : std::next(it);
    }
    SendHeartbeatToAllBrokers();
    Duration next = config_.heartbeat_broker_interval;
    // BUGGIFY: the next heartbeat up to 5 s late (the scheduled executor busy), well inside
    // the brokers' 120 s channel expiry.
    if (RMQ_BUGGIFY(rt_)) next += rt_.random().UniformDuration(Duration::zero(), seconds(5));
    ScheduleHeartbeat(next);
  }));
}

void MQClientInstance::SchedulePersist(Duration delay) {
  persist_timer_ = rt_.executor().ScheduleAfter(delay, guard_.Wrap([this] {
    if (shut_down_) return;
    PersistAllConsumerOffset();
    Duration next = config_.persist_consumer_offset_interval;
    // BUGGIFY: the next offset persist up to 5 s late (persistAllConsumerOffset behind a busy
    // scheduled executor): a crash then re-delivers more, which at-least-once allows.
    if (RMQ_BUGGIFY(rt_)) next += rt_.random().UniformDuration(Duration::zero(), seconds(5));
    SchedulePersist(next);
  }));
}

void MQClientInstance::ScheduleRebalance(Duration delay) {
  if (rebalance_timer_.valid()) rt_.executor().Cancel(rebalance_timer_);
  // BUGGIFY: a rebalance up to 2 s late (Java's RebalanceService thread waking late), so that
  // consumers of one group disagree about the queue split for a while.
  if (RMQ_BUGGIFY(rt_)) delay += rt_.random().UniformDuration(Duration::zero(), seconds(2));
  rebalance_timer_ = rt_.executor().ScheduleAfter(delay, guard_.Wrap([this] {
    rebalance_timer_ = TimerId{};
    RebalanceImmediately();
  }));
}

}  // namespace rmqsim::client
