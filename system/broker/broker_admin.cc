// Client management (ClientManageProcessor), consumer offsets and the consumer list
// (ConsumerManageProcessor), offset lookups and topic administration (AdminBrokerProcessor),
// VIEW_MESSAGE_BY_ID (QueryMessageProcessor) — 4.9.8.
#include "system/broker/broker.h"
#include "system/common/consumer_bodies.h"
#include "system/common/heartbeat_data.h"
#include "system/common/mix_all.h"
#include "system/common/perm_name.h"
#include "system/common/subscription_group.h"
#include "system/common/sys_flag.h"
#include "system/common/topic_validator.h"

namespace rmqsim::broker {

using remoting::RemotingCommand;
using remoting::RequestCode;
using remoting::Responder;
using remoting::ResponseCode;

namespace {
RemotingCommand Err(const RemotingCommand& req, const Status& s) {
  return req.CreateResponse(ResponseCode::SYSTEM_ERROR, s.message());
}
}  // namespace

Broker::Reply Broker::ProcessHeartbeat(const Command& request, const Responder& responder) {
  auto data = common::DecodeHeartbeatData(request.body);
  if (!data.ok()) return Err(request, data.status());
  if (!responder.channel()) return request.CreateResponse(ResponseCode::SUCCESS);
  ClientChannelInfo info{.channel = responder.channel(),
                         .client_id = data->client_id,
                         .language = request.language,
                         .version = request.version,
                         .last_update = rt_.Now()};
  for (const auto& consumer : data->consumer_data_set) {
    const SubscriptionGroupConfig* g = groups_.Find(consumer.group_name);
    bool notify = true;
    if (g != nullptr) {
      notify = g->notify_consumer_ids_changed_enable;
      int32_t sys_flag = consumer.unit_mode ? common::BuildTopicSysFlag(false, true) : 0;
      topics_->CreateTopicInSendMessageBackMethod(common::GetRetryTopic(consumer.group_name),
                                                  g->retry_queue_nums, common::kPermReadWrite,
                                                  sys_flag);
    }
    bool known = false;
    if (const ConsumerGroupInfo* existing = consumers_.Find(consumer.group_name)) {
      known = existing->channels.contains(info.channel->id());
    }
    bool changed = consumers_.RegisterConsumer(consumer.group_name, info, consumer, notify);
    if (!known) {
      rt_.Trace(TraceEvent("BrokerClientAdded")
                    .Detail("Group", consumer.group_name)
                    .Detail("ClientId", data->client_id)
                    .Detail("Kind", "consumer")
                    .Detail("Remote", info.channel->remote_address().ToString())
                    .Detail("Changed", changed));
    }
  }
  for (const auto& producer : data->producer_data_set) {
    bool known = false;
    auto it = producers_.table().find(producer.group_name);
    if (it != producers_.table().end()) known = it->second.contains(info.channel->id());
    producers_.RegisterProducer(producer.group_name, info);
    if (!known) {
      rt_.Trace(TraceEvent("BrokerClientAdded")
                    .Detail("Group", producer.group_name)
                    .Detail("ClientId", data->client_id)
                    .Detail("Kind", "producer")
                    .Detail("Remote", info.channel->remote_address().ToString()));
    }
  }
  return request.CreateResponse(ResponseCode::SUCCESS);
}

Broker::Reply Broker::ProcessUnregisterClient(const Command& request, const Responder& responder) {
  auto client_id = request.GetRequiredString("clientID");
  if (!client_id.ok()) return Err(request, client_id.status());
  if (!responder.channel()) return request.CreateResponse(ResponseCode::SUCCESS);
  const uint64_t channel_id = responder.channel()->id();
  if (auto group = request.GetOptionalString("producerGroup")) {
    producers_.UnregisterProducer(*group, channel_id);
  }
  if (auto group = request.GetOptionalString("consumerGroup")) {
    const SubscriptionGroupConfig* g = groups_.Find(*group);
    bool notify = g == nullptr || g->notify_consumer_ids_changed_enable;
    consumers_.UnregisterConsumer(*group, channel_id, notify);
    rt_.Trace(TraceEvent("BrokerClientRemoved")
                  .Detail("Group", *group)
                  .Detail("ClientId", *client_id)
                  .Detail("Kind", "consumer")
                  .Detail("Reason", "unregistered")
                  .Detail("Remote", responder.channel()->remote_address().ToString()));
  }
  return request.CreateResponse(ResponseCode::SUCCESS);
}

Broker::Reply Broker::ProcessGetConsumerList(const Command& request) {
  auto group = request.GetRequiredString("consumerGroup");
  if (!group.ok()) return Err(request, group.status());
  if (const ConsumerGroupInfo* info = consumers_.Find(*group)) {
    auto ids = info->AllClientIds();
    if (!ids.empty()) {
      RemotingCommand resp = request.CreateResponse(ResponseCode::SUCCESS);
      resp.body = common::EncodeConsumerListBody({.consumer_id_list = ids});
      return resp;
    }
  }
  return request.CreateResponse(ResponseCode::SYSTEM_ERROR,
                                "no consumer for this group, " + *group);
}

Broker::Reply Broker::ProcessQueryConsumerOffset(const Command& request) {
  auto group = request.GetRequiredString("consumerGroup");
  auto topic = request.GetRequiredString("topic");
  auto queue_id = request.GetRequiredInt32("queueId");
  for (const Status* s : {&group.status(), &topic.status(), &queue_id.status()}) {
    if (!s->ok()) return Err(request, *s);
  }
  int64_t offset = offsets_->QueryOffset(*group, *topic, *queue_id);
  if (offset >= 0) {
    RemotingCommand resp = request.CreateResponse(ResponseCode::SUCCESS);
    resp.SetExtFieldInt("offset", offset);
    return resp;
  }
  // No committed offset: 0 if the queue still starts at 0 and its first message is in memory.
  int64_t min_offset = store_->GetMinOffsetInQueue(*topic, *queue_id);
  if (min_offset <= 0 && !store_->CheckInDiskByConsumeOffset(*topic, *queue_id, 0)) {
    RemotingCommand resp = request.CreateResponse(ResponseCode::SUCCESS);
    resp.SetExtFieldInt("offset", 0);
    return resp;
  }
  return request.CreateResponse(ResponseCode::QUERY_NOT_FOUND,
                                "Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first");
}

Broker::Reply Broker::ProcessUpdateConsumerOffset(const Command& request,
                                                  const Responder& responder) {
  auto group = request.GetRequiredString("consumerGroup");
  auto topic = request.GetRequiredString("topic");
  auto queue_id = request.GetRequiredInt32("queueId");
  auto offset = request.GetRequiredInt64("commitOffset");
  for (const Status* s : {&group.status(), &topic.status(), &queue_id.status(), &offset.status()}) {
    if (!s->ok()) return Err(request, *s);
  }
  // Negative commits (ali-ons sends -1 for "nothing") are ignored by the offset manager.
  const std::string remote =
      responder.channel() ? responder.channel()->remote_address().ToString() : "";
  offsets_->CommitOffset(remote, *group, *topic, *queue_id, *offset);
  return request.CreateResponse(ResponseCode::SUCCESS);
}

Broker::Reply Broker::ProcessOffsetQuery(const Command& request) {
  auto topic = request.GetRequiredString("topic");
  auto queue_id = request.GetRequiredInt32("queueId");
  for (const Status* s : {&topic.status(), &queue_id.status()}) {
    if (!s->ok()) return Err(request, *s);
  }
  RemotingCommand resp = request.CreateResponse(ResponseCode::SUCCESS);
  switch (request.code) {
    case RequestCode::GET_MAX_OFFSET:
      resp.SetExtFieldInt("offset", store_->GetMaxOffsetInQueue(*topic, *queue_id));
      break;
    case RequestCode::GET_MIN_OFFSET:
      resp.SetExtFieldInt("offset", store_->GetMinOffsetInQueue(*topic, *queue_id));
      break;
    case RequestCode::SEARCH_OFFSET_BY_TIMESTAMP: {
      auto ts = request.GetRequiredInt64("timestamp");
      if (!ts.ok()) return Err(request, ts.status());
      resp.SetExtFieldInt("offset", store_->GetOffsetInQueueByTime(*topic, *queue_id, *ts));
      break;
    }
    case RequestCode::GET_EARLIEST_MSG_STORETIME:
      resp.SetExtFieldInt("timestamp", store_->GetEarliestMessageTime(*topic, *queue_id));
      break;
    default:
      return request.CreateResponse(ResponseCode::SYSTEM_ERROR, "not an offset request");
  }
  return resp;
}

Broker::Reply Broker::ProcessUpdateAndCreateTopic(const Command& request) {
  auto topic = request.GetRequiredString("topic");
  auto read = request.GetRequiredInt32("readQueueNums");
  auto write = request.GetRequiredInt32("writeQueueNums");
  auto perm = request.GetRequiredInt32("perm");
  auto filter = request.GetRequiredString("topicFilterType");
  auto order = request.GetRequiredBool("order");
  auto sys_flag = request.GetOptionalInt32("topicSysFlag");
  for (const Status* s : {&topic.status(), &read.status(), &write.status(), &perm.status(),
                          &filter.status(), &order.status(), &sys_flag.status()}) {
    if (!s->ok()) return Err(request, *s);
  }
  if (Status st = common::ValidateTopic(*topic); !st.ok()) return Err(request, st);
  if (config_.validate_system_topic_when_update_topic &&
      (common::IsSystemTopic(*topic) || topics_->IsSystemTopic(*topic))) {
    return request.CreateResponse(ResponseCode::SYSTEM_ERROR,
                                  "The topic[" + *topic + "] is conflict with system topic.");
  }
  if (*topic == config_.broker_cluster_name) {
    return request.CreateResponse(
        ResponseCode::SYSTEM_ERROR,
        "the topic[" + *topic + "] is conflict with system reserved words.");
  }
  auto filter_type = common::ParseTopicFilterType(*filter);
  if (!filter_type.ok()) return Err(request, filter_type.status());
  // rmqsim validation (Java 4.9.8 stores whatever it is given; 5.x's admin client checks the
  // permission with PermName.isValid, whose wording is used here): queue counts within
  // [0, kTopicQueueNumsMax], a permission within [0, 8).
  for (const auto& [name, value] :
       {std::pair{"readQueueNums", *read}, {"writeQueueNums", *write}}) {
    if (value < 0 || value > kTopicQueueNumsMax) {
      return request.CreateResponse(
          ResponseCode::SYSTEM_ERROR,
          std::string(name) + " " + std::to_string(value) + " is out of range [0, " +
              std::to_string(kTopicQueueNumsMax) + "] for topic[" + *topic + "]");
    }
  }
  if (*perm < 0 || *perm >= common::kPermPriority) {
    return request.CreateResponse(
        ResponseCode::SYSTEM_ERROR,
        "topicPermission value: " + std::to_string(*perm) + " is invalid.");
  }
  common::TopicConfig c;
  c.topic_name = *topic;
  c.read_queue_nums = *read;
  c.write_queue_nums = *write;
  c.perm = *perm;
  c.topic_filter_type = *filter_type;
  c.topic_sys_flag = sys_flag->value_or(0);
  c.order = *order;
  topics_->UpdateTopicConfig(c);  // re-registers with the name servers at once
  return request.CreateResponse(ResponseCode::SUCCESS);
}

Broker::Reply Broker::ProcessGetAllTopicConfig(const Command& request) {
  RemotingCommand resp = request.CreateResponse(ResponseCode::SUCCESS);
  resp.body = topics_->Encode();
  return resp;
}

// AdminBrokerProcessor.getAllConsumerOffset / getAllDelayOffset / getAllSubscriptionGroup: the
// manager's JSON document, which a slave copies (SlaveSynchronize).
Broker::Reply Broker::ProcessGetAllConsumerOffset(const Command& request) {
  RemotingCommand resp = request.CreateResponse(ResponseCode::SUCCESS);
  resp.body = offsets_->Encode();
  return resp;
}

Broker::Reply Broker::ProcessGetAllDelayOffset(const Command& request) {
  std::string content = schedule_->EncodeOffsets();
  if (content.empty()) {
    return request.CreateResponse(ResponseCode::SYSTEM_ERROR, "No delay offset in this broker");
  }
  RemotingCommand resp = request.CreateResponse(ResponseCode::SUCCESS);
  resp.body = std::move(content);
  return resp;
}

Broker::Reply Broker::ProcessGetAllSubscriptionGroup(const Command& request) {
  RemotingCommand resp = request.CreateResponse(ResponseCode::SUCCESS);
  resp.body = groups_.Encode();
  return resp;
}

// AdminBrokerProcessor.updateAndCreateSubscriptionGroup: the body is one SubscriptionGroupConfig.
Broker::Reply Broker::ProcessUpdateSubscriptionGroup(const Command& request) {
  auto config = common::DecodeSubscriptionGroupConfig(request.body);
  if (!config.ok()) return Err(request, config.status());
  groups_.Update(*config);
  rt_.Trace(TraceEvent("BrokerSubscriptionGroupUpdated")
                .Detail("Group", config->group_name)
                .Detail("BrokerId", config->broker_id)
                .Detail("WhichBrokerWhenConsumeSlowly", config->which_broker_when_consume_slowly)
                .Detail("ConsumeEnable", config->consume_enable));
  return request.CreateResponse(ResponseCode::SUCCESS);
}

Broker::Reply Broker::ProcessViewMessageById(const Command& request) {
  auto offset = request.GetRequiredInt64("offset");
  if (!offset.ok()) return Err(request, offset.status());
  auto bytes = store_->SelectOneMessageByOffset(*offset);
  if (!bytes.ok()) {
    return request.CreateResponse(ResponseCode::SYSTEM_ERROR,
                                  "can not find message by the offset, " + std::to_string(*offset));
  }
  RemotingCommand resp = request.CreateResponse(ResponseCode::SUCCESS);
  resp.body.assign(reinterpret_cast<const char*>(bytes->data()), bytes->size());
  return resp;
}

}  // namespace rmqsim::broker
