#include "system/broker/broker.h"

#include <algorithm>

#include "sim/base/buggify.h"
#include "sim/runtime/log.h"
#include "system/common/checksum.h"
#include "system/common/perm_name.h"
#include "system/common/register_broker_body.h"
#include "system/common/subscription_group.h"
#include "system/common/topic_validator.h"

namespace rmqsim::broker {

using remoting::RemotingCommand;
using remoting::RequestCode;
using remoting::Responder;
using remoting::ResponseCode;

namespace {
// <storePathRootDir>/config/<name>, next to consumerOffset.json.
std::string ConfigPath(const store::MessageStoreConfig& c, const std::string& name) {
  std::string offsets = c.ConsumerOffsetPath();
  size_t slash = offsets.rfind('/');
  return (slash == std::string::npos ? std::string() : offsets.substr(0, slash + 1)) + name;
}
}  // namespace

Broker::Broker(Runtime& rt, BrokerConfig config, store::MessageStoreConfig store_config)
    : rt_(rt),
      config_(std::move(config)),
      store_config_(std::move(store_config)),
      groups_(rt_, config_.auto_create_subscription_group,
              ConfigPath(store_config_, "subscriptionGroup.json")) {
  store_ = std::make_unique<store::DefaultMessageStore>(rt_, store_config_);
  // Retention by disk usage (CleanCommitLogService.isSpaceToDelete) reads the data disk.
  store_->set_disk_usage_provider([this] { return rt_.fs().SpaceUsedRatio(); });
  store::ConsumerOffsetManagerOptions offset_options;
  offset_options.config_file_path = store_config_.ConsumerOffsetPath();
  offset_options.flush_consumer_offset_interval = config_.flush_consumer_offset_interval;
  offsets_ = std::make_unique<store::ConsumerOffsetManager>(rt_, offset_options);
  topics_ =
      std::make_unique<TopicConfigManager>(rt_, config_, ConfigPath(store_config_, "topics.json"));
  schedule_ = std::make_unique<ScheduleMessageService>(
      rt_, *store_, ConfigPath(store_config_, "delayOffset.json"),
      config_.flush_delay_offset_interval);
  hold_ = std::make_unique<PullRequestHoldService>(
      rt_,
      config_.long_polling_enable ? config_.long_polling_check_interval
                                  : config_.short_polling_time,
      [this](const std::string& topic, int32_t queue_id) {
        return store_->GetMaxOffsetInQueue(topic, queue_id);
      },
      [this](PullRequest r) { RerunPull(std::move(r)); });
  pop_ = std::make_unique<PopService>(PopService::Context{
      .rt = rt_,
      .config = config_,
      .store = *store_,
      .topics = *topics_,
      .groups = groups_,
      .offsets = *offsets_,
      .store_host = [this] { return store_host_; },
      .is_slave = [this] { return is_slave(); }});
  remoting::RemotingServerOptions server_options;
  server_options.listen = Address{config_.BindHost(), config_.listen_port};
  server_options.unknown_code_policy = remoting::UnknownCodePolicy::kRespondNotSupported;
  server_options.channel_idle_timeout = config_.channel_idle_timeout;
  server_ = std::make_unique<remoting::RemotingServer>(rt_, server_options);
  outer_ = std::make_unique<remoting::RemotingClient>(rt_);
}

Broker::~Broker() {
  rt_.executor().Cancel(register_timer_);
  rt_.executor().Cancel(client_scan_timer_);
  rt_.executor().Cancel(slave_sync_timer_);
}

Status Broker::Start() {
  RMQ_RETURN_IF_ERROR(config_.Validate());
  const bool slave = store_config_.broker_role == store::BrokerRole::kSlave;
  // BrokerStartup: a slave's brokerId must be > 0; a master's is 0.
  if (slave && config_.broker_id <= 0) {
    return InvalidArgumentError("a SLAVE's brokerId must be > 0");
  }
  if (!slave && config_.broker_id != 0) {
    return InvalidArgumentError("a master's brokerId must be 0");
  }
  // The store lock before any file is read or written (a second broker on the same store stops
  // here).
  RMQ_RETURN_IF_ERROR(store_->AcquireLock());
  // BrokerController.initialize: topics, consumer offsets, subscription groups, store.
  RMQ_RETURN_IF_ERROR(topics_->Load());
  RMQ_RETURN_IF_ERROR(offsets_->Load());
  RMQ_RETURN_IF_ERROR(groups_.Load());
  RMQ_RETURN_IF_ERROR(schedule_->Load());
  RMQ_RETURN_IF_ERROR(store_->Start());
  {
    store::HAOptions ha_options;
    ha_options.listen_host = config_.BindHost();
    // A broker on an ephemeral port (tests) takes an ephemeral HA port too.
    ha_options.ha_listen_port = config_.listen_port == 0 ? 0 : config_.ha_listen_port;
    ha_options.master_ha_address = config_.ha_master_address;
    ha_options.heartbeat_interval = store_config_.ha_send_heartbeat_interval;
    ha_options.housekeeping_interval = store_config_.ha_housekeeping_interval;
    ha_options.transfer_batch_size = store_config_.ha_transfer_batch_size;
    ha_options.slave_fallbehind_max = store_config_.ha_slave_fallbehind_max;
    // BrokerController.initialize: without haMasterAddress the responses of REGISTER_BROKER
    // supply it (updateMasterHAServerAddrPeriodically).
    update_master_ha_periodically_ = slave && config_.ha_master_address.empty();
    ha_ = std::make_unique<store::HAService>(rt_, *store_, std::move(ha_options));
    if (Status st = ha_->Start(); !st.ok()) {
      return st.WithContext("HA port (haListenPort " + std::to_string(config_.ha_listen_port) +
                            ", which is listenPort + 1 unless set)");
    }
    if (config_.listen_port == 0 && !slave) config_.ha_listen_port = ha_->listen_port();
  }
  store_->AddDispatchListener(guard_.Wrap(
      [this](const std::string& topic, int32_t queue_id, int64_t queue_offset, int64_t tags_code) {
        // NotifyMessageArrivingListener: the queue's max offset is now queue_offset + 1.
        if (config_.long_polling_enable) {
          hold_->NotifyMessageArriving(topic, queue_id, queue_offset + 1, tags_code);
        }
        if (topic == common::kRmqSysScheduleTopic) schedule_->OnDispatch(queue_id, tags_code);
        pop_->OnDispatch(topic);
      }));
  RegisterProcessors();
  server_->AddCloseListener(guard_.Wrap([this](const std::shared_ptr<remoting::RemotingChannel>& ch,
                                               const Status&) { OnChannelClosed(ch); }));
  if (Status st = server_->Start(); !st.ok()) {
    return st.WithContext("listenPort " + std::to_string(config_.listen_port));
  }
  broker_addr_ = config_.BrokerAddr(server_->address().port);
  auto host = common::HostAddress::Parse(broker_addr_);
  if (!host.ok()) return host.status();
  store_host_ = *host;
  topics_->set_change_listener([this](const common::TopicConfig&) {
    if (started_ && !stopping_) RegisterBrokerAll();
  });
  offsets_->Start();
  hold_->Start();
  // Java starts the schedule service on masters only.
  if (!slave) schedule_->Start();
  pop_->Start(!slave);
  started_ = true;
  rt_.Trace(TraceEvent("BrokerStarted")
                .Detail("BrokerName", config_.broker_name)
                .Detail("BrokerId", config_.broker_id)
                .Detail("Cluster", config_.broker_cluster_name)
                .Detail("Address", broker_addr_)
                .Detail("Role", std::string(store::BrokerRoleName(store_config_.broker_role)))
                .Detail("FlushDiskType",
                        std::string(store::FlushDiskTypeName(store_config_.flush_disk_type)))
                .Detail("Namesrvs", static_cast<uint64_t>(config_.namesrv_addrs.size()))
                .Detail("Topics", static_cast<uint64_t>(topics_->table().size())));
  std::string namesrvs;
  for (const Address& a : config_.namesrv_addrs) {
    namesrvs += (namesrvs.empty() ? "" : ";") + a.ToString();
  }
  RMQ_LOG_INFO(rt_, "RocketmqBroker",
               "The broker[{}, {}] boot success. serializeType=JSON and name server is {} "
               "(cluster {}, brokerId {}, {}, {}, {} topics)",
               config_.broker_name, broker_addr_, namesrvs.empty() ? "(none)" : namesrvs,
               config_.broker_cluster_name, config_.broker_id,
               store::BrokerRoleName(store_config_.broker_role),
               store::FlushDiskTypeName(store_config_.flush_disk_type), topics_->table().size());
  // BrokerController.start: register now, then every period starting after 10 s.
  RegisterBrokerAll();
  ScheduleRegister(config_.register_first_delay);
  ScheduleClientScan(config_.client_scan_interval);
  if (slave) ScheduleSlaveSync(config_.slave_sync_first_delay);
  return Status::Ok();
}

void Broker::ScheduleRegister(Duration delay) {
  register_timer_ = rt_.executor().ScheduleAfter(delay, guard_.Wrap([this] {
    if (stopping_) return;
    RegisterBrokerAll();
    Duration period =
        std::clamp<Duration>(config_.register_name_server_period, seconds(10), seconds(60));
    // BUGGIFY: a registration round up to 5 s late (Java's scheduled executor behind a long GC
    // pause or a busy thread); well inside the name servers' 120 s expiry.
    if (RMQ_BUGGIFY(rt_)) period += rt_.random().UniformDuration(Duration::zero(), seconds(5));
    ScheduleRegister(period);
  }));
}

void Broker::SuppressRegistrations(std::optional<Address> namesrv, bool suppressed) {
  if (!namesrv) {
    suppress_all_registrations_ = suppressed;
    if (!suppressed) suppressed_namesrvs_.clear();
    return;
  }
  std::erase(suppressed_namesrvs_, *namesrv);
  if (suppressed) suppressed_namesrvs_.push_back(*namesrv);
}

void Broker::RegisterBrokerAll() {
  common::RegisterBrokerBody body;
  body.topic_config_serialize_wrapper = topics_->Wrapper();
  // If the broker is not both readable and writeable, every topic carries its permission.
  if (!common::IsWriteable(config_.broker_permission) ||
      !common::IsReadable(config_.broker_permission)) {
    for (auto& [name, c] : body.topic_config_serialize_wrapper.topic_config_table) {
      c.perm = config_.broker_permission;
    }
  }
  std::string encoded = common::EncodeRegisterBrokerBody(body);
  const int64_t counter = body.topic_config_serialize_wrapper.data_version.counter;
  const uint64_t round = ++register_round_;
  for (const Address& ns : config_.namesrv_addrs) {
    if (suppress_all_registrations_ ||
        std::find(suppressed_namesrvs_.begin(), suppressed_namesrvs_.end(), ns) !=
            suppressed_namesrvs_.end()) {
      ++registrations_suppressed_;
      rt_.Trace(TraceEvent("BrokerRegisterSuppressed").Detail("Namesrv", ns.ToString()));
      continue;
    }
    auto req = RemotingCommand::CreateRequest(RequestCode::REGISTER_BROKER);
    req.SetExtField("brokerName", config_.broker_name);
    req.SetExtField("brokerAddr", broker_addr_);
    req.SetExtField("clusterName", config_.broker_cluster_name);
    req.SetExtField("haServerAddr", config_.HaServerAddr());
    req.SetExtFieldInt("brokerId", config_.broker_id);
    req.SetExtFieldBool("compressed", false);
    req.body = encoded;
    req.SetExtFieldInt("bodyCrc32", common::Crc32Masked(common::AsByteSpan(req.body)));
    outer_->Invoke(ns, std::move(req), config_.register_broker_timeout,
                   guard_.Wrap([this, ns, counter, round](StatusOr<RemotingCommand> r) {
                     bool ok = r.ok() && r->code == ResponseCode::SUCCESS;
                     ok ? ++registrations_ok_ : ++registrations_failed_;
                     if (ok) {
                       OnRegisterResponse(round, *r);
                       RMQ_LOG_INFO(rt_, "RocketmqBroker",
                                    "register broker[{}]to name server {} OK (dataVersion "
                                    "counter {})",
                                    config_.broker_id, ns.ToString(), counter);
                     }
                     TraceEvent e("BrokerRegisterResult", ok ? Severity::kInfo : Severity::kWarn);
                     e.Detail("Namesrv", ns.ToString()).Detail("Ok", ok).Detail("Counter", counter);
                     if (!r.ok()) {
                       e.Detail("Error", r.status().ToString());
                     } else if (!ok) {
                       e.Detail("Code", r->code).Detail("Remark", r->remark.value_or(""));
                     }
                     rt_.Trace(std::move(e));
                   }));
  }
}

void Broker::OnRegisterResponse(uint64_t round, const RemotingCommand& response) {
  // registerBrokerAll uses the first result of the round (registerBrokerResultList.get(0)).
  if (round <= register_round_applied_ || stopping_) return;
  register_round_applied_ = round;
  if (!is_slave()) return;
  std::string ha_addr = response.GetOptionalString("haServerAddr").value_or("");
  std::string master = response.GetOptionalString("masterAddr").value_or("");
  if (update_master_ha_periodically_ && !ha_addr.empty() && ha_) ha_->UpdateMasterAddress(ha_addr);
  if (master != master_addr_) {
    RMQ_LOG_INFO(rt_, "RocketmqBroker", "slave of {}: master address changed from '{}' to '{}'",
                 config_.broker_name, master_addr_, master);
    rt_.Trace(TraceEvent("BrokerSlaveMasterChanged")
                  .Detail("BrokerName", config_.broker_name)
                  .Detail("From", master_addr_)
                  .Detail("To", master)
                  .Detail("HaServerAddr", ha_addr));
    master_addr_ = master;
  }
}

void Broker::ScheduleSlaveSync(Duration delay) {
  slave_sync_timer_ = rt_.executor().ScheduleAfter(delay, guard_.Wrap([this] {
    if (stopping_) return;
    if (!slave_sync_running_) scope_.Spawn(SlaveSyncAll());
    ScheduleSlaveSync(config_.slave_sync_interval);
  }));
}

// SlaveSynchronize.syncAll: topic configs, consumer offsets, delay offsets, subscription groups,
// one after the other, each skipped when the master is unknown; a failure is traced and the
// next item still runs (Java logs and goes on).
Task<void> Broker::SlaveSyncAll() {
  slave_sync_running_ = true;
  const std::string master = master_addr_;
  if (master.empty()) {
    slave_sync_running_ = false;
    co_return;
  }
  auto master_address = Address::Parse(master);
  if (!master_address.ok()) {
    slave_sync_running_ = false;
    co_return;
  }
  int ok_count = 0;
  for (int32_t code :
       {RequestCode::GET_ALL_TOPIC_CONFIG, RequestCode::GET_ALL_CONSUMER_OFFSET,
        RequestCode::GET_ALL_DELAY_OFFSET, RequestCode::GET_ALL_SUBSCRIPTIONGROUP_CONFIG}) {
    auto r = co_await AwaitCallback<StatusOr<RemotingCommand>>(
        rt_.executor(), [this, &master_address, code](auto done) {
          outer_->Invoke(*master_address, RemotingCommand::CreateRequest(code), seconds(3),
                         std::move(done));
        });
    if (stopping_) break;
    Status st = Status::Ok();
    if (!r.ok()) {
      st = r.status();
    } else if (r->code != ResponseCode::SUCCESS) {
      st = UnavailableError("code " + std::to_string(r->code) + ": " + r->remark.value_or(""));
    } else if (code == RequestCode::GET_ALL_TOPIC_CONFIG) {
      const auto& w =
          slave_topics_memo_.Get(r->body, [](std::string_view b) {
            return common::DecodeTopicConfigSerializeWrapper(b);
          });
      if (w.ok()) {
        topics_->SyncFromMaster(*w);
      } else {
        st = w.status();
      }
    } else if (code == RequestCode::GET_ALL_CONSUMER_OFFSET) {
      st = offsets_->SyncFromMaster(r->body);
    } else if (code == RequestCode::GET_ALL_DELAY_OFFSET) {
      st = schedule_->SyncFromMaster(r->body);
    } else {
      const auto& w = slave_groups_memo_.Get(r->body, [](std::string_view b) {
        return common::DecodeSubscriptionGroupWrapper(b);
      });
      if (w.ok()) {
        groups_.SyncFromMaster(*w);
      } else {
        st = w.status();
      }
    }
    if (st.ok()) {
      ++ok_count;
    } else {
      rt_.Trace(TraceEvent("BrokerSlaveSyncFailed", Severity::kWarn)
                    .Detail("Master", master)
                    .Detail("Code", code)
                    .Detail("Error", st.ToString()));
    }
  }
  if (ok_count == 4) ++slave_syncs_ok_;
  slave_sync_running_ = false;
}

void Broker::ScheduleClientScan(Duration delay) {
  client_scan_timer_ = rt_.executor().ScheduleAfter(delay, guard_.Wrap([this] {
    if (stopping_) return;
    ScanNotActiveChannels();
    ScheduleClientScan(config_.client_scan_interval);
  }));
}

void Broker::ScanNotActiveChannels() {
  const MonoTime now = rt_.Now();
  auto expired = consumers_.ScanNotActiveChannel(now, config_.channel_expired_timeout);
  auto expired_producers = producers_.ScanNotActiveChannel(now, config_.channel_expired_timeout);
  expired.insert(expired.end(), expired_producers.begin(), expired_producers.end());
  for (auto& e : expired) {
    RMQ_LOG_WARN(rt_, "RocketmqBroker",
                 "SCAN: remove expired channel from {}: {} ({} {} silent for {} ms)",
                 e.consumer ? "ConsumerManager" : "ProducerManager",
                 e.info.channel->remote_address().ToString(), e.group, e.info.client_id,
                 ToMillis(now - e.info.last_update));
    rt_.Trace(TraceEvent("BrokerClientRemoved")
                  .Detail("Group", e.group)
                  .Detail("ClientId", e.info.client_id)
                  .Detail("Kind", e.consumer ? "consumer" : "producer")
                  .Detail("Reason", "expired")
                  .Detail("Remote", e.info.channel->remote_address().ToString())
                  .Detail("SilentMs", ToMillis(now - e.info.last_update)));
    e.info.channel->Close(TimeoutError("client channel expired: no heartbeat"));
  }
}

void Broker::OnChannelClosed(const std::shared_ptr<remoting::RemotingChannel>& channel) {
  // ClientHousekeepingService.onChannelClose: forget the channel's clients at once.
  producers_.DoChannelCloseEvent(channel->id());
  for (const auto& group : consumers_.DoChannelCloseEvent(channel->id())) {
    rt_.Trace(TraceEvent("BrokerClientRemoved")
                  .Detail("Group", group)
                  .Detail("Kind", "consumer")
                  .Detail("Reason", "channel closed")
                  .Detail("Remote", channel->remote_address().ToString()));
  }
}

void Broker::NotifyConsumerIdsChanged(
    const std::string& group,
    const std::vector<std::shared_ptr<remoting::RemotingChannel>>& channels) {
  if (!config_.notify_consumer_ids_changed_enable || stopping_) return;
  for (const auto& ch : channels) {
    auto req = RemotingCommand::CreateRequest(RequestCode::NOTIFY_CONSUMER_IDS_CHANGED,
                                              {{"consumerGroup", group}});
    (void)ch->InvokeOneway(std::move(req));
  }
  rt_.Trace(TraceEvent("BrokerConsumerIdsChanged")
                .Detail("Group", group)
                .Detail("Notified", static_cast<uint64_t>(channels.size())));
}

void Broker::RegisterProcessors() {
  consumers_.set_change_listener(
      [this](const std::string& group,
             const std::vector<std::shared_ptr<remoting::RemotingChannel>>& channels) {
        NotifyConsumerIdsChanged(group, channels);
      });
  auto add = [this](int32_t code, std::function<Reply(const Command&, Responder)> fn) {
    server_->RegisterProcessor(code, [this, fn](Command req, Responder responder) -> Reply {
      if (stopping_) {
        return req.CreateResponse(ResponseCode::SYSTEM_BUSY, "the broker is shutting down");
      }
      return fn(req, std::move(responder));
    });
  };
  // The requests Java runs on its SendMessageThread pool (SEND_MESSAGE, V2, batch, send-back).
  auto add_send = [this, add](int32_t code, std::function<Reply(const Command&, Responder)> fn) {
    add(code, [this, fn, code](const Command& r, Responder resp) -> Reply {
      // BUGGIFY: SYSTEM_BUSY, as Java's BrokerFastFailure answers a request that waited in the
      // send thread pool's queue longer than waitTimeMillsInSendQueue (200 ms): nothing is
      // stored, the answer comes after that wait, and the producer does not retry it (4.9.8's
      // retryResponseCodes leave SYSTEM_BUSY out). Not for CONSUMER_SEND_MSG_BACK: Java's
      // client then re-sends the message to %RETRY% through its inner producer, which the
      // modelled client does not (it re-consumes locally, past maxReconsumeTimes).
      if (code != RequestCode::CONSUMER_SEND_MSG_BACK && RMQ_BUGGIFY_WITH_PROB(rt_, 0.02)) {
        const int64_t waited_ms = rt_.random().UniformInt(201, 500);
        RemotingCommand busy = r.CreateResponse(
            ResponseCode::SYSTEM_BUSY,
            "[TIMEOUT_CLEAN_QUEUE]broker busy, start flow control for a while, period in queue: " +
                std::to_string(waited_ms) +
                "ms, size of queue: " + std::to_string(rt_.random().UniformInt(1, 64)));
        rt_.executor().ScheduleAfter(milliseconds(waited_ms),
                                     guard_.Wrap([resp, busy]() mutable {
                                       resp.Respond(std::move(busy));
                                     }));
        return std::nullopt;
      }
      // BUGGIFY: the request waits up to 150 ms in the send thread pool's queue before it is
      // processed (a busy SendMessageThread pool; under waitTimeMillsInSendQueue, so it still
      // runs). Requests of different connections may then reach the store in another order.
      if (RMQ_BUGGIFY(rt_)) {
        Duration queued = rt_.random().UniformDuration(milliseconds(1), milliseconds(150));
        rt_.executor().ScheduleAfter(queued, guard_.Wrap([this, fn, r, resp]() mutable {
          if (stopping_) {
            resp.Respond(r.CreateResponse(ResponseCode::SYSTEM_BUSY, "the broker is shutting down"));
            return;
          }
          Reply reply = fn(r, resp);
          if (reply) resp.Respond(std::move(*reply));
        }));
        return std::nullopt;
      }
      return fn(r, std::move(resp));
    });
  };
  for (int32_t code : {RequestCode::SEND_MESSAGE, RequestCode::SEND_MESSAGE_V2}) {
    add_send(code, [this](const Command& r, Responder resp) { return ProcessSend(r, resp); });
  }
  add_send(RequestCode::SEND_BATCH_MESSAGE,
           [this](const Command& r, Responder resp) { return ProcessSendBatch(r, resp); });
  add_send(RequestCode::CONSUMER_SEND_MSG_BACK, [this](const Command& r, Responder resp) {
    return ProcessConsumerSendMsgBack(r, resp);
  });
  add(RequestCode::PULL_MESSAGE,
      [this](const Command& r, Responder resp) { return ProcessPull(r, resp, true); });
  add(RequestCode::HEART_BEAT,
      [this](const Command& r, Responder resp) { return ProcessHeartbeat(r, resp); });
  add(RequestCode::UNREGISTER_CLIENT,
      [this](const Command& r, Responder resp) { return ProcessUnregisterClient(r, resp); });
  add(RequestCode::GET_CONSUMER_LIST_BY_GROUP,
      [this](const Command& r, Responder) { return ProcessGetConsumerList(r); });
  add(RequestCode::QUERY_CONSUMER_OFFSET,
      [this](const Command& r, Responder) { return ProcessQueryConsumerOffset(r); });
  add(RequestCode::UPDATE_CONSUMER_OFFSET,
      [this](const Command& r, Responder resp) { return ProcessUpdateConsumerOffset(r, resp); });
  for (int32_t code :
       {RequestCode::GET_MAX_OFFSET, RequestCode::GET_MIN_OFFSET,
        RequestCode::SEARCH_OFFSET_BY_TIMESTAMP, RequestCode::GET_EARLIEST_MSG_STORETIME}) {
    add(code, [this](const Command& r, Responder) { return ProcessOffsetQuery(r); });
  }
  add(RequestCode::UPDATE_AND_CREATE_TOPIC,
      [this](const Command& r, Responder) { return ProcessUpdateAndCreateTopic(r); });
  add(RequestCode::GET_ALL_TOPIC_CONFIG,
      [this](const Command& r, Responder) { return ProcessGetAllTopicConfig(r); });
  add(RequestCode::GET_ALL_CONSUMER_OFFSET,
      [this](const Command& r, Responder) { return ProcessGetAllConsumerOffset(r); });
  add(RequestCode::GET_ALL_DELAY_OFFSET,
      [this](const Command& r, Responder) { return ProcessGetAllDelayOffset(r); });
  add(RequestCode::GET_ALL_SUBSCRIPTIONGROUP_CONFIG,
      [this](const Command& r, Responder) { return ProcessGetAllSubscriptionGroup(r); });
  add(RequestCode::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP,
      [this](const Command& r, Responder) { return ProcessUpdateSubscriptionGroup(r); });
  add(RequestCode::POP_MESSAGE,
      [this](const Command& r, Responder resp) { return pop_->ProcessPop(r, resp); });
  add(RequestCode::ACK_MESSAGE,
      [this](const Command& r, Responder resp) { return pop_->ProcessAck(r, resp); });
  add(RequestCode::CHANGE_MESSAGE_INVISIBLETIME, [this](const Command& r, Responder resp) {
    return pop_->ProcessChangeInvisibleTime(r, resp);
  });
  add(RequestCode::VIEW_MESSAGE_BY_ID,
      [this](const Command& r, Responder) { return ProcessViewMessageById(r); });
  // The admin tools' requests (broker_admin_tools.cc).
  const std::pair<int32_t, Reply (Broker::*)(const Command&)> admin_tools[] = {
      {RequestCode::DELETE_TOPIC_IN_BROKER, &Broker::ProcessDeleteTopic},
      {RequestCode::GET_TOPIC_STATS_INFO, &Broker::ProcessGetTopicStatsInfo},
      {RequestCode::GET_CONSUME_STATS, &Broker::ProcessGetConsumeStats},
      {RequestCode::GET_BROKER_RUNTIME_INFO, &Broker::ProcessGetBrokerRuntimeInfo},
      {RequestCode::QUERY_MESSAGE, &Broker::ProcessQueryMessage},
      {RequestCode::GET_CONSUMER_CONNECTION_LIST, &Broker::ProcessGetConsumerConnectionList},
      {RequestCode::GET_BROKER_CONFIG, &Broker::ProcessGetBrokerConfig},
      {RequestCode::INVOKE_BROKER_TO_RESET_OFFSET, &Broker::ProcessResetOffset},
      {RequestCode::QUERY_TOPIC_CONSUME_BY_WHO, &Broker::ProcessQueryTopicConsumeByWho},
  };
  for (const auto& entry : admin_tools) {  // not a structured binding: clang 14 cannot capture one
    auto fn = entry.second;
    add(entry.first, [this, fn](const Command& r, Responder) { return (this->*fn)(r); });
  }
  add(RequestCode::UPDATE_BROKER_CONFIG,
      [this](const Command& r, Responder resp) { return ProcessUpdateBrokerConfig(r, resp); });
}

void Broker::Stop(std::function<void()> done) {
  if (stopping_) {
    done();
    return;
  }
  stopping_ = true;
  scope_.Spawn(StopTask(std::move(done)));
}

Task<void> Broker::StopTask(std::function<void()> done) {
  rt_.executor().Cancel(register_timer_);
  rt_.executor().Cancel(client_scan_timer_);
  rt_.executor().Cancel(slave_sync_timer_);
  hold_->Shutdown();
  pop_->Shutdown();
  // unregisterBrokerAll: every name server in parallel, each bounded by the register timeout.
  if (started_ && !config_.namesrv_addrs.empty()) {
    co_await AwaitCallback<bool>(rt_.executor(), [this](std::function<void(bool)> all_done) {
      auto left = std::make_shared<size_t>(config_.namesrv_addrs.size());
      for (const Address& ns : config_.namesrv_addrs) {
        auto req = RemotingCommand::CreateRequest(RequestCode::UNREGISTER_BROKER);
        req.SetExtField("brokerName", config_.broker_name);
        req.SetExtField("brokerAddr", broker_addr_);
        req.SetExtField("clusterName", config_.broker_cluster_name);
        req.SetExtFieldInt("brokerId", config_.broker_id);
        outer_->Invoke(
            ns, std::move(req), config_.register_broker_timeout,
            [this, ns, left, all_done](StatusOr<RemotingCommand> r) {
              bool ok = r.ok() && r->code == ResponseCode::SUCCESS;
              rt_.Trace(TraceEvent("BrokerUnregistered", ok ? Severity::kInfo : Severity::kWarn)
                            .Detail("Namesrv", ns.ToString())
                            .Detail("Ok", ok));
              if (--*left == 0) all_done(true);
            });
      }
    });
  }
  RMQ_LOG_DEBUG(rt_, "RocketmqBroker", "shutdown: unregistered from the name servers");
  server_->Shutdown();
  outer_->Shutdown();
  if (ha_) ha_->Shutdown();
  Status offsets = co_await AwaitCallback<Status>(
      rt_.executor(), [this](std::function<void(Status)> cb) { offsets_->Shutdown(cb); });
  RMQ_LOG_DEBUG(rt_, "RocketmqBroker", "shutdown: consumer offsets persisted ({})",
                offsets.ToString());
  Status delay = co_await AwaitCallback<Status>(
      rt_.executor(), [this](std::function<void(Status)> cb) { schedule_->Shutdown(cb); });
  Status topics = co_await AwaitCallback<Status>(
      rt_.executor(), [this](std::function<void(Status)> cb) { topics_->Persist(cb); });
  Status groups = co_await AwaitCallback<Status>(
      rt_.executor(), [this](std::function<void(Status)> cb) { groups_.Persist(cb); });
  RMQ_LOG_DEBUG(rt_, "RocketmqBroker",
                "shutdown: delay offsets ({}), topics ({}) and subscription groups ({}) persisted",
                delay.ToString(), topics.ToString(), groups.ToString());
  Status store = Status::Ok();
  if (store_->started()) {
    store = co_await AwaitCallback<Status>(
        rt_.executor(), [this](std::function<void(Status)> cb) { store_->Shutdown(cb); });
  }
  RMQ_LOG_INFO(rt_, "RocketmqBroker", "The broker[{}, {}] shutdown (store: {})",
               config_.broker_name, broker_addr_, store.ToString());
  rt_.Trace(TraceEvent("BrokerStopped")
                .Detail("BrokerName", config_.broker_name)
                .Detail("Offsets", offsets.ToString())
                .Detail("DelayOffsets", delay.ToString())
                .Detail("Topics", topics.ToString())
                .Detail("Groups", groups.ToString())
                .Detail("Store", store.ToString()));
  done();
}

}  // namespace rmqsim::broker
