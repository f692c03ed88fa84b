#include "system/client/default_mq_pop_consumer.h"

#include <algorithm>
#include <array>

#include "system/common/message_const.h"
#include "system/common/mix_all.h"
#include "system/common/topic_validator.h"

namespace rmqsim::client {

using remoting::RemotingCommand;
using remoting::RequestCode;
using remoting::ResponseCode;

DefaultMQPopConsumer::DefaultMQPopConsumer(MQClientInstance& instance, PopConsumerConfig config)
    : instance_(instance), config_(std::move(config)) {}

DefaultMQPopConsumer::~DefaultMQPopConsumer() = default;

Status DefaultMQPopConsumer::Subscribe(std::string topic, std::string expression) {
  RMQ_ASSIGN_OR_RETURN(
      common::SubscriptionData sub,
      common::BuildSubscriptionData(topic, expression, common::kExpressionTypeTag,
                                    ToUnixMillis(instance_.runtime().WallNow())));
  subscriptions_[topic] = std::move(sub);
  return Status::Ok();
}

Status DefaultMQPopConsumer::Start() {
  if (running_) return FailedPreconditionError("The PopConsumer service has been started before");
  RMQ_RETURN_IF_ERROR(common::ValidateGroup(config_.consumer_group));
  if (!listener_) return FailedPreconditionError("messageListener is null");
  if (subscriptions_.empty()) return FailedPreconditionError("no subscription");
  RMQ_RETURN_IF_ERROR(instance_.RegisterConsumer(config_.consumer_group, this));
  RMQ_RETURN_IF_ERROR(instance_.Start());
  running_ = true;
  return Status::Ok();
}

Task<void> DefaultMQPopConsumer::Shutdown() {
  if (!running_) co_return;
  running_ = false;
  co_await instance_.UnregisterConsumer(config_.consumer_group);
}

common::ConsumerData DefaultMQPopConsumer::BuildConsumerData() const {
  common::ConsumerData data;
  data.group_name = config_.consumer_group;
  data.consume_type = common::ConsumeType::kConsumePop;
  data.message_model = common::MessageModel::kClustering;
  data.consume_from_where = common::ConsumeFromWhere::kConsumeFromFirstOffset;
  for (const auto& [topic, sub] : subscriptions_) data.subscription_data_set.push_back(sub);
  return data;
}

std::set<std::string> DefaultMQPopConsumer::SubscribedTopics() const {
  std::set<std::string> out;
  for (const auto& [topic, sub] : subscriptions_) out.insert(topic);
  return out;
}

void DefaultMQPopConsumer::UpdateTopicSubscribeInfo(const std::string& topic,
                                                    const std::set<MessageQueue>& mqs) {
  if (!running_ || !subscriptions_.contains(topic)) return;
  for (const auto& mq : mqs) {
    if (loops_.insert({topic, mq.broker_name}).second) {
      scope_.Spawn(PopLoop(topic, mq.broker_name));
    }
  }
}

Duration DefaultMQPopConsumer::Backoff(int32_t reconsume_times) {
  // The delay levels from level 3 on (messageDelayLevel "... 10s 30s 1m 2m ... 2h").
  static constexpr std::array<int64_t, 16> kSeconds = {10,  30,  60,  120, 180,  240,  300,  360,
                                                       420, 480, 540, 600, 1200, 1800, 3600, 7200};
  size_t i = static_cast<size_t>(std::clamp<int32_t>(reconsume_times, 0, 15));
  return seconds(kSeconds[i]);
}

Task<void> DefaultMQPopConsumer::PopLoop(std::string topic, std::string broker_name) {
  Runtime& rt = instance_.runtime();
  while (running_) {
    auto addr = instance_.FindBrokerAddressInSubscribe(broker_name, common::kMasterId, true);
    if (!addr || paused_) {
      co_await Sleep(rt.executor(), config_.delay_after_error);
      continue;
    }
    const common::SubscriptionData& sub = subscriptions_.at(topic);
    auto r = co_await Pop(addr->broker_addr, broker_name, topic, sub.sub_string, -1, config_.batch,
                          config_.invisible_time, config_.poll_time);
    if (!running_) co_return;
    if (!r.ok() || (r->code != ResponseCode::SUCCESS && r->code != ResponseCode::POLLING_TIMEOUT &&
                    r->code != ResponseCode::PULL_NOT_FOUND)) {
      co_await Sleep(rt.executor(), config_.delay_after_error);
      continue;
    }
    for (PopMessage& m : r->msgs) {
      if (!running_) co_return;
      const bool consumed = listener_(m);
      if (consumed) {
        co_await Ack(std::move(m));
      } else {
        const Duration backoff = Backoff(m.ext.reconsume_times);
        (void)co_await ChangeInvisibleTime(std::move(m), backoff);
      }
    }
  }
}

Task<StatusOr<PopResult>> DefaultMQPopConsumer::Pop(std::string broker_addr,
                                                    std::string broker_name, std::string topic,
                                                    std::string expression, int32_t queue_id,
                                                    int32_t max_nums, Duration invisible_time,
                                                    Duration poll_time) {
  Runtime& rt = instance_.runtime();
  auto req = RemotingCommand::CreateRequest(RequestCode::POP_MESSAGE);
  req.SetExtField("consumerGroup", config_.consumer_group);
  req.SetExtField("topic", topic);
  req.SetExtFieldInt("queueId", queue_id);
  req.SetExtFieldInt("maxMsgNums", max_nums);
  req.SetExtFieldInt("invisibleTime", ToMillis(invisible_time));
  req.SetExtFieldInt("pollTime", ToMillis(poll_time));
  req.SetExtFieldInt("bornTime", ToUnixMillis(rt.WallNow()));
  req.SetExtFieldInt("initMode", config_.init_mode);
  req.SetExtField("expType", std::string(common::kExpressionTypeTag));
  req.SetExtField("exp", expression.empty() ? "*" : expression);
  ++pops_;
  auto resp = co_await instance_.Call(broker_addr, std::move(req), poll_time + config_.rpc_slack);
  if (!resp.ok()) co_return resp.status();
  PopResult result;
  result.code = resp->code;
  result.remark = resp->remark.value_or("");
  if (resp->code != ResponseCode::SUCCESS) co_return result;
  auto pop_time = resp->GetRequiredInt64("popTime");
  auto invisible = resp->GetRequiredInt64("invisibleTime");
  auto revive_qid = resp->GetRequiredInt32("reviveQid");
  auto rest = resp->GetRequiredInt64("restNum");
  for (const Status* s :
       {&pop_time.status(), &invisible.status(), &revive_qid.status(), &rest.status()}) {
    if (!s->ok()) co_return *s;
  }
  result.rest_num = *rest;
  auto info = common::PopOffsetInfo::Parse(resp->GetOptionalString("startOffsetInfo").value_or(""),
                                           resp->GetOptionalString("msgOffsetInfo").value_or(""));
  if (!info.ok()) co_return info.status();
  auto msgs = common::DecodeStoredMessages(common::AsByteSpan(resp->body));
  if (!msgs.ok()) co_return msgs.status();
  for (common::MessageExt& ext : *msgs) {
    PopMessage m;
    m.popped_topic = ext.message.topic();
    m.broker_name = broker_name;
    m.broker_addr = broker_addr;
    const bool retry = m.popped_topic.starts_with(common::kRetryGroupTopicPrefix);
    common::ExtraInfo e;
    e.retry_flag = std::string(retry ? common::kPopRetryTopicV1 : common::kPopNormalTopic);
    e.ck_queue_offset = info->StartOf(e.retry_flag, ext.queue_id);
    if (e.ck_queue_offset < 0) e.ck_queue_offset = ext.queue_offset;
    e.pop_time = *pop_time;
    e.invisible_time = *invisible;
    e.revive_qid = *revive_qid;
    e.broker_name = broker_name;
    e.queue_id = ext.queue_id;
    e.queue_offset = ext.queue_offset;
    m.extra_info = common::BuildExtraInfo(e);
    if (retry) {
      auto original = ext.message.GetProperty(common::kPropertyRetryTopic);
      if (original) ext.message.set_topic(*original);
    }
    m.ext = std::move(ext);
    result.msgs.push_back(std::move(m));
  }
  co_return result;
}

Task<Status> DefaultMQPopConsumer::Ack(PopMessage m) {
  auto req = RemotingCommand::CreateRequest(RequestCode::ACK_MESSAGE);
  req.SetExtField("consumerGroup", config_.consumer_group);
  req.SetExtField("topic", m.popped_topic);
  req.SetExtFieldInt("queueId", m.ext.queue_id);
  req.SetExtField("extraInfo", m.extra_info);
  req.SetExtFieldInt("offset", m.ext.queue_offset);
  auto resp = co_await instance_.Call(m.broker_addr, std::move(req),
                                      instance_.config().mq_client_api_timeout);
  if (resp.ok() && resp->code == ResponseCode::SUCCESS) {
    ++acks_;
    co_return Status::Ok();
  }
  ++ack_failures_;
  if (!resp.ok()) co_return resp.status();
  co_return UnavailableError("ACK_MESSAGE answered " + std::to_string(resp->code) + ": " +
                             resp->remark.value_or(""));
}

Task<StatusOr<std::string>> DefaultMQPopConsumer::ChangeInvisibleTime(PopMessage m,
                                                                      Duration invisible_time) {
  auto req = RemotingCommand::CreateRequest(RequestCode::CHANGE_MESSAGE_INVISIBLETIME);
  req.SetExtField("consumerGroup", config_.consumer_group);
  req.SetExtField("topic", m.popped_topic);
  req.SetExtFieldInt("queueId", m.ext.queue_id);
  req.SetExtField("extraInfo", m.extra_info);
  req.SetExtFieldInt("offset", m.ext.queue_offset);
  req.SetExtFieldInt("invisibleTime", ToMillis(invisible_time));
  auto resp = co_await instance_.Call(m.broker_addr, std::move(req),
                                      instance_.config().mq_client_api_timeout);
  if (!resp.ok()) co_return resp.status();
  if (resp->code != ResponseCode::SUCCESS) {
    co_return UnavailableError("CHANGE_MESSAGE_INVISIBLETIME answered " +
                               std::to_string(resp->code) + ": " + resp->remark.value_or(""));
  }
  ++changes_;
  auto pop_time = resp->GetRequiredInt64("popTime");
  auto invisible = resp->GetRequiredInt64("invisibleTime");
  auto revive_qid = resp->GetRequiredInt32("reviveQid");
  for (const Status* s : {&pop_time.status(), &invisible.status(), &revive_qid.status()}) {
    if (!s->ok()) co_return *s;
  }
  auto e = common::ParseExtraInfo(m.extra_info);
  if (!e.ok()) co_return e.status();
  e->ck_queue_offset = m.ext.queue_offset;
  e->pop_time = *pop_time;
  e->invisible_time = *invisible;
  e->revive_qid = *revive_qid;
  co_return common::BuildExtraInfo(*e);
}

}  // namespace rmqsim::client
