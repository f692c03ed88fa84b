// The broker side of the admin tools (mqadmin, rmq-admin): AdminBrokerProcessor's deleteTopic,
// getTopicStatsInfo, getConsumeStats, getBrokerRuntimeInfo, getConsumerConnectionList,
// getBrokerConfig, updateBrokerConfig, resetOffset (Broker2Client.resetOffset),
// queryTopicConsumeByWho, and QueryMessageProcessor.queryMessage — 4.9.8. Where rmqsim differs
// (no IndexService, no config file rewrite, offsets reset on the broker too) docs/broker.md says
// so.
#include <algorithm>
#include <cstdio>
#include <set>

#include "sim/runtime/log.h"
#include "system/broker/broker.h"
#include "system/common/admin_bodies.h"
#include "system/common/java_string.h"
#include "system/common/message_const.h"
#include "system/common/topic_validator.h"

namespace rmqsim::broker {

using remoting::RemotingCommand;
using remoting::RequestCode;
using remoting::ResponseCode;

namespace {

RemotingCommand Err(const RemotingCommand& req, const Status& s) {
  return req.CreateResponse(ResponseCode::SYSTEM_ERROR, s.message());
}

// MessageStoreConfig.defaultQueryMaxNum and maxMsgsNumBatch (4.9.8).
constexpr int32_t kDefaultQueryMaxNum = 32;
constexpr int32_t kMaxMsgsNumBatch = 64;
// rmqsim has no IndexService: QUERY_MESSAGE scans consume queues, at most this many entries per
// request (a bound on the work one request can cause).
constexpr int64_t kQueryMessageScanMax = 200000;
// MixAll.UNIQUE_MSG_QUERY_FLAG.
constexpr std::string_view kUniqueMsgQueryFlag = "_UNIQUE_KEY_QUERY";
// BrokerConfig thread-pool queue capacities (4.9.8 defaults), reported by the runtime info.
constexpr int32_t kSendThreadPoolQueueCapacity = 10000;
constexpr int32_t kPullThreadPoolQueueCapacity = 100000;
constexpr int32_t kQueryThreadPoolQueueCapacity = 20000;
// MQVersion.Version.V3_0_7_SNAPSHOT: clients before it cannot reset offsets.
constexpr int32_t kVersionV3_0_7_Snapshot = 28;

// The settings UPDATE_BROKER_CONFIG may change while the broker runs: those read where they
// are used. Everything else is fixed at start (ports, paths, names, the store's sizes).
const std::set<std::string, std::less<>>& RuntimeKeys() {
  static const std::set<std::string, std::less<>> keys = {
      "autoCreateTopicEnable",
      "brokerPermission",
      "enablePropertyFilter",
      "notifyConsumerIdsChangedEnable",
      "registerNameServerPeriod",
      "regionId",
      "rejectTransactionMessage",
      "slaveReadEnable",
      "traceOn",
      "validateSystemTopicWhenUpdateTopic",
  };
  return keys;
}

// AdminBrokerProcessor.configBlackList (brokerConfigPath, rocketmqHome, configBlackList).
bool IsBlackListed(std::string_view key) {
  return key == "brokerConfigPath" || key == "rocketmqHome" || key == "configBlackList";
}

// StoreStatsService.getFormatRuntime.
std::string FormatRuntime(Duration d) {
  int64_t s = std::max<int64_t>(0, ToMillis(d) / 1000);
  char buf[96];
  std::snprintf(buf, sizeof(buf), "[ %lld days, %lld hours, %lld minutes, %lld seconds ]",
                static_cast<long long>(s / 86400), static_cast<long long>(s / 3600 % 24),
                static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  return buf;
}

std::string Ms(Duration d) {
  return std::to_string(ToMillis(d));
}
std::string Bool(bool b) {
  return b ? "true" : "false";
}

// QUERY_MESSAGE's match: the key is one of the space-separated KEYS, or the UNIQ_KEY.
bool MatchesKey(const common::Message& m, const std::string& key, bool unique) {
  if (unique) return m.unique_key() == key;
  const std::string all = m.keys();  // by value: keep it alive while the view reads it
  std::string_view keys = all;
  while (!keys.empty()) {
    size_t sp = keys.find(' ');
    if (keys.substr(0, sp) == key) return true;
    if (sp == std::string_view::npos) break;
    keys.remove_prefix(sp + 1);
  }
  return m.unique_key() == key;
}

}  // namespace

Broker::Reply Broker::ProcessDeleteTopic(const Command& request) {
  if (is_slave()) {
    return request.CreateResponse(ResponseCode::SYSTEM_ERROR,
                                  "Can't modify topic or subscription group from slave broker, "
                                  "please execute it from master broker.");
  }
  auto topic = request.GetRequiredString("topic");
  if (!topic.ok()) return Err(request, topic.status());
  if (Status st = common::ValidateTopic(*topic); !st.ok()) return Err(request, st);
  if (common::IsSystemTopic(*topic) || topics_->IsSystemTopic(*topic)) {
    return request.CreateResponse(ResponseCode::SYSTEM_ERROR,
                                  "The topic[" + *topic + "] is conflict with system topic.");
  }
  // Java answers SUCCESS whether or not the topic existed.
  const bool existed = topics_->DeleteTopicConfig(*topic);
  // deleteTopic: then messageStore.cleanUnusedTopic(every topic still configured).
  std::set<std::string> keep;
  for (const auto& [name, config] : topics_->table()) keep.insert(name);
  store_->CleanUnusedTopic(keep);
  rt_.Trace(
      TraceEvent("BrokerTopicDeleteRequest").Detail("Topic", *topic).Detail("Existed", existed));
  return request.CreateResponse(ResponseCode::SUCCESS);
}

Broker::Reply Broker::ProcessGetTopicStatsInfo(const Command& request) {
  auto topic = request.GetRequiredString("topic");
  if (!topic.ok()) return Err(request, topic.status());
  const common::TopicConfig* config = topics_->Select(*topic);
  if (config == nullptr) {
    return request.CreateResponse(ResponseCode::TOPIC_NOT_EXIST, "topic[" + *topic + "] not exist");
  }
  common::TopicStatsTable table;
  for (int32_t i = 0; i < config->write_queue_nums; ++i) {
    common::TopicOffset o;
    o.min_offset = std::max<int64_t>(0, store_->GetMinOffsetInQueue(*topic, i));
    o.max_offset = std::max<int64_t>(0, store_->GetMaxOffsetInQueue(*topic, i));
    if (o.max_offset > 0) {
      o.last_update_timestamp = store_->GetMessageStoreTimeStamp(*topic, i, o.max_offset - 1);
    }
    table.offset_table[{*topic, config_.broker_name, i}] = o;
  }
  RemotingCommand resp = request.CreateResponse(ResponseCode::SUCCESS);
  resp.body = common::EncodeTopicStatsTable(table);
  return resp;
}

Broker::Reply Broker::ProcessGetConsumeStats(const Command& request) {
  auto group = request.GetRequiredString("consumerGroup");
  if (!group.ok()) return Err(request, group.status());
  std::set<std::string> topics;
  const std::string topic = request.GetOptionalString("topic").value_or("");
  if (common::JavaTrim(topic).empty()) {
    topics = offsets_->WhichTopicByConsumer(*group);
  } else {
    topics.insert(topic);
  }
  const ConsumerGroupInfo* online = consumers_.Find(*group);
  const MonoTime now = rt_.Now();
  common::ConsumeStats stats;
  for (const std::string& t : topics) {
    const common::TopicConfig* config = topics_->Select(t);
    if (config == nullptr) continue;
    // A group online without a subscription to the topic is not counted for it.
    if (online != nullptr && !online->subscriptions.empty() &&
        online->FindSubscription(t) == nullptr) {
      continue;
    }
    for (int32_t i = 0; i < config->read_queue_nums; ++i) {
      common::OffsetWrapper w;
      w.broker_offset = std::max<int64_t>(0, store_->GetMaxOffsetInQueue(t, i));
      w.consumer_offset = std::max<int64_t>(0, offsets_->QueryOffset(*group, t, i));
      if (w.consumer_offset - 1 >= 0) {
        int64_t last = store_->GetMessageStoreTimeStamp(t, i, w.consumer_offset - 1);
        if (last > 0) w.last_timestamp = last;
      }
      stats.offset_table[{t, config_.broker_name, i}] = w;
    }
    stats.consume_tps += stats_.GroupGetTps(now, *group, t);
  }
  RemotingCommand resp = request.CreateResponse(ResponseCode::SUCCESS);
  resp.body = common::EncodeConsumeStats(stats);
  return resp;
}

Broker::Reply Broker::ProcessGetBrokerRuntimeInfo(const Command& request) {
  const MonoTime now = rt_.Now();
  common::KvTable kv;
  auto& t = kv.table;
  t["brokerVersionDesc"] = common::MQVersionDesc(remoting::MQVersion::CURRENT_VERSION);
  t["brokerVersion"] = std::to_string(remoting::MQVersion::CURRENT_VERSION);
  // BrokerStats keeps the totals of the previous midnights; rmqsim counts from the start, so
  // "today" is "since the broker started".
  t["msgPutTotalYesterdayMorning"] = "0";
  t["msgPutTotalTodayMorning"] = "0";
  t["msgPutTotalTodayNow"] = std::to_string(stats_.put_total());
  t["msgGetTotalYesterdayMorning"] = "0";
  t["msgGetTotalTodayMorning"] = "0";
  t["msgGetTotalTodayNow"] = std::to_string(stats_.get_total());
  // Requests run on the runtime's executor: there are no thread-pool queues to wait in.
  for (const char* pool : {"send", "pull", "query"}) {
    t[std::string(pool) + "ThreadPoolQueueSize"] = "0";
    t[std::string(pool) + "ThreadPoolQueueHeadWaitTimeMills"] = "0";
  }
  t["sendThreadPoolQueueCapacity"] = std::to_string(kSendThreadPoolQueueCapacity);
  t["pullThreadPoolQueueCapacity"] = std::to_string(kPullThreadPoolQueueCapacity);
  t["queryThreadPoolQueueCapacity"] = std::to_string(kQueryThreadPoolQueueCapacity);
  t["dispatchBehindBytes"] = std::to_string(store_->DispatchBehindBytes());
  t["pageCacheLockTimeMills"] = "0";
  t["putTps"] = stats_.PutTpsText(now);
  t["getTransferedTps"] = stats_.GetTpsText(now);
  t["putMessageTimesTotal"] = std::to_string(std::max<int64_t>(1, stats_.put_total()));
  t["bootTimestamp"] = std::to_string(boot_timestamp_ms_);
  t["runtime"] = FormatRuntime(now - boot_time_);
  t["commitLogMinOffset"] = std::to_string(store_->GetMinPhyOffset());
  t["commitLogMaxOffset"] = std::to_string(store_->GetMaxPhyOffset());
  int64_t earliest = -1;
  if (store_->GetMaxPhyOffset() > store_->GetMinPhyOffset()) {
    auto first = store_->LookMessageByOffset(store_->GetMinPhyOffset());
    if (first.ok()) earliest = first->store_timestamp_ms;
  }
  t["earliestMessageTimeStamp"] = std::to_string(earliest);
  t["startAcceptSendRequestTimeStamp"] = "0";
  const double ratio = rt_.fs().SpaceUsedRatio();
  t["commitLogDiskRatio"] = common::JavaDoubleString(ratio < 0 ? -1.0 : ratio);
  t["consumeQueueDiskRatio"] = common::JavaDoubleString(ratio < 0 ? -1.0 : ratio);
  t["brokerRole"] = std::string(store::BrokerRoleName(store_config_.broker_role));
  RemotingCommand resp = request.CreateResponse(ResponseCode::SUCCESS);
  resp.body = common::EncodeKvTable(kv);
  return resp;
}

Broker::Reply Broker::ProcessQueryMessage(const Command& request) {
  auto topic = request.GetRequiredString("topic");
  auto key = request.GetRequiredString("key");
  auto max_num = request.GetRequiredInt32("maxNum");
  auto begin = request.GetRequiredInt64("beginTimestamp");
  auto end = request.GetRequiredInt64("endTimestamp");
  for (const Status* s :
       {&topic.status(), &key.status(), &max_num.status(), &begin.status(), &end.status()}) {
    if (!s->ok()) return Err(request, *s);
  }
  const std::string* flag = request.FindExtField(kUniqueMsgQueryFlag);
  const bool unique = flag != nullptr && *flag == "true";
  const int32_t limit = std::min(unique ? kDefaultQueryMaxNum : *max_num, kMaxMsgsNumBatch);
  RemotingCommand resp = request.CreateResponse(
      ResponseCode::QUERY_NOT_FOUND, "can not find message, maybe time range not correct");
  resp.SetExtFieldInt("indexLastUpdateTimestamp", ToUnixMillis(rt_.WallNow()));
  resp.SetExtFieldInt("indexLastUpdatePhyoffset", store_->GetMaxPhyOffset());
  const common::TopicConfig* config = topics_->Select(*topic);
  if (config == nullptr || limit <= 0) return resp;
  const int32_t queues = std::max(config->read_queue_nums, config->write_queue_nums);
  std::string body;
  int32_t found = 0;
  int64_t scanned = 0;
  for (int32_t q = 0; q < queues && found < limit && scanned < kQueryMessageScanMax; ++q) {
    const int64_t min = store_->GetMinOffsetInQueue(*topic, q);
    const int64_t max = store_->GetMaxOffsetInQueue(*topic, q);
    int64_t from = min;
    if (*begin > 0) from = std::max(min, store_->GetOffsetInQueueByTime(*topic, q, *begin) - 1);
    for (int64_t off = from; off < max && found < limit && scanned < kQueryMessageScanMax; ++off) {
      ++scanned;
      const int64_t phy = store_->GetCommitLogOffsetInQueue(*topic, q, off);
      auto msg = store_->LookMessageByOffset(phy);
      if (!msg.ok()) continue;
      if (msg->store_timestamp_ms < *begin) continue;
      if (msg->store_timestamp_ms > *end) break;  // a queue is in store-time order
      if (!MatchesKey(msg->message, *key, unique)) continue;
      auto bytes = store_->SelectOneMessageByOffset(phy);
      if (!bytes.ok()) continue;
      body.append(reinterpret_cast<const char*>(bytes->data()), bytes->size());
      ++found;
    }
  }
  if (found == 0) return resp;
  resp.code = ResponseCode::SUCCESS;
  resp.remark.reset();
  resp.body = std::move(body);
  return resp;
}

Broker::Reply Broker::ProcessGetConsumerConnectionList(const Command& request) {
  auto group = request.GetRequiredString("consumerGroup");
  if (!group.ok()) return Err(request, group.status());
  const ConsumerGroupInfo* info = consumers_.Find(*group);
  if (info == nullptr) {
    return request.CreateResponse(ResponseCode::CONSUMER_NOT_ONLINE,
                                  "the consumer group[" + *group + "] not online");
  }
  common::ConsumerConnection cc;
  cc.consume_type = info->consume_type;
  cc.message_model = info->message_model;
  cc.consume_from_where = info->consume_from_where;
  cc.subscription_table = info->subscriptions;
  for (const auto& [id, ch] : info->channels) {
    cc.connection_set.push_back(
        {.client_id = ch.client_id,
         .client_addr = ch.channel ? ch.channel->remote_address().ToString() : "",
         .language = std::string(remoting::LanguageCodeName(ch.language)),
         .version = ch.version});
  }
  RemotingCommand resp = request.CreateResponse(ResponseCode::SUCCESS);
  resp.body = common::EncodeConsumerConnection(cc);
  return resp;
}

Broker::Reply Broker::ProcessQueryTopicConsumeByWho(const Command& request) {
  auto topic = request.GetRequiredString("topic");
  if (!topic.ok()) return Err(request, topic.status());
  // ConsumerManager.queryTopicConsumeByWho plus ConsumerOffsetManager.whichGroupByTopic.
  std::set<std::string> groups = offsets_->WhichGroupByTopic(*topic);
  for (const auto& [name, info] : consumers_.table()) {
    if (info.FindSubscription(*topic) != nullptr) groups.insert(name);
  }
  RemotingCommand resp = request.CreateResponse(ResponseCode::SUCCESS);
  resp.body = common::EncodeGroupList(groups);
  return resp;
}

std::map<std::string, std::string> Broker::ConfigProperties() const {
  const BrokerConfig& b = config_;
  const store::MessageStoreConfig& s = store_config_;
  std::string namesrv;
  for (const Address& a : b.namesrv_addrs) namesrv += (namesrv.empty() ? "" : ";") + a.ToString();
  return {
      {"accessMessageInMemoryMaxRatio", std::to_string(s.access_message_in_memory_max_ratio)},
      {"autoCreateSubscriptionGroup", Bool(b.auto_create_subscription_group)},
      {"autoCreateTopicEnable", Bool(b.auto_create_topic_enable)},
      {"brokerClusterName", b.broker_cluster_name},
      {"brokerIP1", b.broker_ip1},
      {"brokerIP2", b.broker_ip2.empty() ? b.broker_ip1 : b.broker_ip2},
      {"brokerId", std::to_string(b.broker_id)},
      {"brokerName", b.broker_name},
      {"brokerPermission", std::to_string(b.broker_permission)},
      {"brokerRole", std::string(store::BrokerRoleName(s.broker_role))},
      {"brokerTopicEnable", Bool(b.broker_topic_enable)},
      {"checkCRCOnRecover", Bool(s.check_crc_on_recover)},
      {"cleanFileForciblyEnable", Bool(s.clean_file_forcibly_enable)},
      {"cleanResourceInterval", Ms(s.clean_resource_interval)},
      {"clusterTopicEnable", Bool(b.cluster_topic_enable)},
      {"defaultTopicQueueNums", std::to_string(b.default_topic_queue_nums)},
      {"deleteWhen", s.delete_when},
      {"diskMaxUsedSpaceRatio", std::to_string(s.disk_max_used_space_ratio)},
      {"enablePropertyFilter", Bool(b.enable_property_filter)},
      {"fileReservedTime", std::to_string(s.file_reserved_time)},
      {"flushCommitLogLeastPages", std::to_string(s.flush_commit_log_least_pages)},
      {"flushCommitLogThoroughInterval", Ms(s.flush_commit_log_thorough_interval)},
      {"flushConsumeQueueLeastPages", std::to_string(s.flush_consume_queue_least_pages)},
      {"flushConsumeQueueThoroughInterval", Ms(s.flush_consume_queue_thorough_interval)},
      {"flushConsumerOffsetInterval", Ms(b.flush_consumer_offset_interval)},
      {"flushDelayOffsetInterval", Ms(b.flush_delay_offset_interval)},
      {"flushDiskType", std::string(store::FlushDiskTypeName(s.flush_disk_type))},
      {"flushIntervalCommitLog", Ms(s.flush_interval_commit_log)},
      {"flushIntervalConsumeQueue", Ms(s.flush_interval_consume_queue)},
      {"haHousekeepingInterval", Ms(s.ha_housekeeping_interval)},
      {"haListenPort", std::to_string(b.ha_listen_port)},
      {"haMasterAddress", b.ha_master_address},
      {"haSendHeartbeatInterval", Ms(s.ha_send_heartbeat_interval)},
      {"haSlaveFallbehindMax", std::to_string(s.ha_slave_fallbehind_max)},
      {"haTransferBatchSize", std::to_string(s.ha_transfer_batch_size)},
      {"listenPort", std::to_string(started_ ? server_->address().port : b.listen_port)},
      {"longPollingEnable", Bool(b.long_polling_enable)},
      {"mappedFileSizeCommitLog", std::to_string(s.mapped_file_size_commit_log)},
      {"mappedFileSizeConsumeQueue", std::to_string(s.mapped_file_size_consume_queue)},
      {"maxMessageSize", std::to_string(s.max_message_size)},
      {"maxTransferBytesOnMessageInDisk", std::to_string(s.max_transfer_bytes_on_message_in_disk)},
      {"maxTransferBytesOnMessageInMemory",
       std::to_string(s.max_transfer_bytes_on_message_in_memory)},
      {"maxTransferCountOnMessageInDisk", std::to_string(s.max_transfer_count_on_message_in_disk)},
      {"maxTransferCountOnMessageInMemory",
       std::to_string(s.max_transfer_count_on_message_in_memory)},
      {"messageDelayLevel", s.message_delay_level},
      {"namesrvAddr", namesrv},
      {"notifyConsumerIdsChangedEnable", Bool(b.notify_consumer_ids_changed_enable)},
      {"offsetCheckInSlave", Bool(s.offset_check_in_slave)},
      {"regionId", b.region_id},
      {"registerBrokerTimeoutMills", Ms(b.register_broker_timeout)},
      {"registerNameServerPeriod", Ms(b.register_name_server_period)},
      {"rejectTransactionMessage", Bool(b.reject_transaction_message)},
      {"shortPollingTimeMills", Ms(b.short_polling_time)},
      {"slaveReadEnable", Bool(b.slave_read_enable)},
      {"slaveTimeout", Ms(s.slave_timeout)},
      {"storePathCommitLog", s.StorePathCommitLog()},
      {"storePathRootDir", s.store_path_root_dir},
      {"syncFlushTimeout", Ms(s.sync_flush_timeout)},
      {"traceOn", Bool(b.trace_on)},
      {"validateSystemTopicWhenUpdateTopic", Bool(b.validate_system_topic_when_update_topic)},
  };
}

Broker::Reply Broker::ProcessGetBrokerConfig(const Command& request) {
  RemotingCommand resp = request.CreateResponse(ResponseCode::SUCCESS);
  resp.body = common::PropertiesToString(ConfigProperties());
  resp.SetExtField("version", common::EncodeDataVersion(config_version_));
  return resp;
}

Broker::Reply Broker::ProcessUpdateBrokerConfig(const Command& request,
                                                const remoting::Responder& responder) {
  if (request.body.empty()) return request.CreateResponse(ResponseCode::SUCCESS);
  auto props = common::StringToProperties(request.body);
  if (!props.ok()) {
    return request.CreateResponse(ResponseCode::SYSTEM_ERROR,
                                  "string2Properties error: " + props.status().message());
  }
  for (const auto& [key, value] : *props) {
    if (IsBlackListed(key)) {
      return request.CreateResponse(ResponseCode::NO_PERMISSION,
                                    "Can not update config in black list.");
    }
  }
  // All or nothing: every key is checked on a copy before anything changes.
  BrokerConfig next = config_;
  const std::map<std::string, std::string> known = ConfigProperties();
  for (const auto& [key, value] : *props) {
    if (!RuntimeKeys().contains(key)) {
      std::string why = known.contains(key)
                            ? key +
                                  " can not be changed while the broker runs (rmqsim); set it "
                                  "in the broker's configuration file and restart it"
                            : "unknown broker setting " + key;
      return request.CreateResponse(ResponseCode::SYSTEM_ERROR, "updateBrokerConfig: " + why);
    }
    if (Status st = next.SetByName(key, value); !st.ok()) {
      return request.CreateResponse(ResponseCode::SYSTEM_ERROR,
                                    "updateBrokerConfig: " + st.message());
    }
  }
  if (Status st = next.Validate(); !st.ok()) {
    return request.CreateResponse(ResponseCode::SYSTEM_ERROR,
                                  "updateBrokerConfig: " + st.message());
  }
  // Java: whenever the update holds brokerPermission, changed or not.
  const bool permission_changed = props->contains("brokerPermission");
  config_ = next;
  topics_->set_broker_config(config_);
  config_version_ = {.timestamp = ToUnixMillis(rt_.WallNow()),
                     .counter = config_version_.counter + 1};
  TraceEvent e("BrokerConfigUpdated");
  for (const auto& [key, value] : *props) e.Detail(key, value);
  rt_.Trace(std::move(e));
  if (permission_changed) {
    // As Java: a new topic data version, then registerBrokerAll, so the name servers take the
    // new permission into every route at once.
    topics_->BumpDataVersion();
    RegisterBrokerAll();
  }
  const std::string& path = config_.broker_config_path;
  if (path.empty()) return request.CreateResponse(ResponseCode::SUCCESS);
  // Configuration.persist: the broker's configuration file gets the new values (the answer waits
  // for the write). The file's other lines stay as they are.
  if (!broker_config_text_) {
    auto text = ReadWholeFile(rt_.fs(), path);
    if (!text.ok() && text.status().code() != StatusCode::kNotFound) {
      return request.CreateResponse(ResponseCode::SYSTEM_ERROR,
                                    "updateBrokerConfig: the setting is in effect, but " + path +
                                        " could not be read, so it is not updated: " +
                                        text.status().message());
    }
    broker_config_text_ = text.ok() ? *text : std::string();
  }
  std::map<std::string, std::string> updates;
  const std::map<std::string, std::string> now = ConfigProperties();
  for (const auto& [key, value] : *props) {
    auto it = now.find(key);
    updates[key] = it != now.end() ? it->second : value;
  }
  broker_config_text_ = common::UpdatePropertiesText(*broker_config_text_, updates);
  if (!broker_config_file_) {
    broker_config_file_ = std::make_unique<ConfigFile>(rt_, path, ConfigFile::Backup::kCopy);
  }
  broker_config_file_->Persist(
      *broker_config_text_, guard_.Wrap([this, request, responder, path](const Status& st) {
        remoting::Responder answer = responder;
        if (st.ok()) {
          answer.Respond(request.CreateResponse(ResponseCode::SUCCESS));
          return;
        }
        RMQ_LOG_ERROR(rt_, "RocketmqBroker", "updateBrokerConfig: writing {} failed: {}", path,
                      st.ToString());
        answer.Respond(request.CreateResponse(
            ResponseCode::SYSTEM_ERROR,
            "updateBrokerConfig: the setting is in effect, but writing " + path +
                " failed: " + st.message()));
      }));
  return std::nullopt;
}

Broker::Reply Broker::ProcessResetOffset(const Command& request) {
  auto topic = request.GetRequiredString("topic");
  auto group = request.GetRequiredString("group");
  auto timestamp = request.GetRequiredInt64("timestamp");
  auto force = request.GetRequiredBool("isForce");
  for (const Status* s : {&topic.status(), &group.status(), &timestamp.status(), &force.status()}) {
    if (!s->ok()) return Err(request, *s);
  }
  const common::TopicConfig* config = topics_->Select(*topic);
  if (config == nullptr) {
    return request.CreateResponse(
        ResponseCode::SYSTEM_ERROR,
        "[reset-offset] reset offset failed, no topic in this broker. topic=" + *topic);
  }
  common::ResetOffsetBody body;
  for (int32_t i = 0; i < config->write_queue_nums; ++i) {
    const int64_t consumer_offset = offsets_->QueryOffset(*group, *topic, i);
    if (consumer_offset == -1) {
      return request.CreateResponse(ResponseCode::SYSTEM_ERROR,
                                    "THe consumer group <" + *group + "> not exist");
    }
    int64_t at = *timestamp == -1 ? store_->GetMaxOffsetInQueue(*topic, i)
                                  : store_->GetOffsetInQueueByTime(*topic, i, *timestamp);
    at = std::max<int64_t>(0, at);
    body.offset_table[{*topic, config_.broker_name, i}] =
        *force || at < consumer_offset ? at : consumer_offset;
  }
  const ConsumerGroupInfo* info = consumers_.Find(*group);
  if (info == nullptr || info->channels.empty()) {
    return request.CreateResponse(ResponseCode::CONSUMER_NOT_ONLINE,
                                  "Consumer not online, so can not reset offset, Group: " + *group +
                                      " Topic: " + *topic +
                                      " Timestamp: " + std::to_string(*timestamp));
  }
  for (const auto& [id, ch] : info->channels) {
    if (ch.version < kVersionV3_0_7_Snapshot) {
      return request.CreateResponse(
          ResponseCode::SYSTEM_ERROR,
          "the client does not support this feature. version=" + common::MQVersionDesc(ch.version));
    }
  }
  const std::string encoded = common::EncodeResetOffsetBody(body);
  for (const auto& [id, ch] : info->channels) {
    if (!ch.channel) continue;
    auto req = RemotingCommand::CreateRequest(RequestCode::RESET_CONSUMER_CLIENT_OFFSET);
    req.SetExtField("topic", *topic);
    req.SetExtField("group", *group);
    req.SetExtFieldInt("timestamp", *timestamp);
    req.SetExtFieldBool("isForce", *force);
    req.body = encoded;
    (void)ch.channel->InvokeOneway(std::move(req));
  }
  // rmqsim addition: the broker's stored offsets are reset too, so that a client which does not
  // act on RESET_CONSUMER_CLIENT_OFFSET (the rmqsim client) finds them when it next reads its
  // offsets from the broker.
  for (const auto& [mq, offset] : body.offset_table) {
    offsets_->CommitOffset("admin", *group, mq.topic, mq.queue_id, offset);
  }
  rt_.Trace(TraceEvent("BrokerResetOffset")
                .Detail("Group", *group)
                .Detail("Topic", *topic)
                .Detail("Timestamp", *timestamp)
                .Detail("Force", *force)
                .Detail("Clients", static_cast<uint64_t>(info->channels.size())));
  RemotingCommand resp = request.CreateResponse(ResponseCode::SUCCESS);
  resp.body = encoded;
  return resp;
}

}  // namespace rmqsim::broker
