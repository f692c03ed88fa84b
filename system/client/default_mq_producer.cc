#include "system/client/default_mq_producer.h"

#include <utility>

#include "sim/base/buggify.h"
#include "sim/base/trace.h"
#include "system/common/batch_body.h"
#include "system/common/compression.h"
#include "system/common/message_const.h"
#include "system/common/mix_all.h"
#include "system/common/sys_flag.h"
#include "system/common/topic_validator.h"

namespace rmqsim::client {

using common::Message;
using remoting::RemotingCommand;
using remoting::RequestCode;
using remoting::ResponseCode;

std::string_view SendStatusName(SendStatus status) {
  switch (status) {
    case SendStatus::SEND_OK:
      return "SEND_OK";
    case SendStatus::FLUSH_DISK_TIMEOUT:
      return "FLUSH_DISK_TIMEOUT";
    case SendStatus::FLUSH_SLAVE_TIMEOUT:
      return "FLUSH_SLAVE_TIMEOUT";
    case SendStatus::SLAVE_NOT_AVAILABLE:
      return "SLAVE_NOT_AVAILABLE";
  }
  return "UNKNOWN";
}

Status CheckMessage(const Message& msg, int32_t max_message_size) {
  const std::string& topic = msg.topic();
  bool blank = true;
  for (char c : topic) blank &= (c == ' ' || c == '\t' || c == '\n' || c == '\r');
  if (blank) return InvalidArgumentError("The specified topic is blank");
  if (topic.size() > common::kTopicMaxLength) {
    return InvalidArgumentError("The specified topic is longer than topic max length " +
                                std::to_string(common::kTopicMaxLength) + ".");
  }
  if (common::IsTopicOrGroupIllegal(topic)) {
    return InvalidArgumentError("The specified topic[" + topic +
                                "] contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$");
  }
  if (common::IsNotAllowedSendTopic(topic)) {
    return InvalidArgumentError("Sending message to topic[" + topic + "] is forbidden.");
  }
  if (msg.body().empty()) return InvalidArgumentError("the message body length is zero");
  if (msg.body().size() > static_cast<size_t>(max_message_size)) {
    return InvalidArgumentError("the message body size over max value, MAX: " +
                                std::to_string(max_message_size));
  }
  return Status::Ok();
}

DefaultMQProducer::DefaultMQProducer(MQClientInstance& instance, ProducerConfig config)
    : instance_(instance),
      rt_(instance.runtime()),
      config_(std::move(config)),
      fault_strategy_(instance.runtime().random()) {
  fault_strategy_.set_send_latency_fault_enable(config_.send_latency_fault_enable);
}

DefaultMQProducer::~DefaultMQProducer() = default;

Status DefaultMQProducer::Start() {
  if (running_) return FailedPreconditionError("The producer service has been started before");
  RMQ_RETURN_IF_ERROR(common::ValidateGroup(config_.producer_group));
  if (config_.producer_group == common::kDefaultProducerGroup) {
    return InvalidArgumentError("producerGroup can not equal " +
                                std::string(common::kDefaultProducerGroup) +
                                ", please specify another one.");
  }
  RMQ_RETURN_IF_ERROR(instance_.RegisterProducer(config_.producer_group, this));
  Status started = instance_.Start();
  if (!started.ok()) {
    scope_.Spawn(instance_.UnregisterProducer(config_.producer_group));
    return started;
  }
  topic_publish_info_table_[config_.create_topic_key] = std::make_shared<TopicPublishInfo>();
  running_ = true;
  instance_.SendHeartbeatToAllBrokers();
  return Status::Ok();
}

Task<void> DefaultMQProducer::Shutdown() {
  if (!running_) co_return;
  running_ = false;
  co_await instance_.UnregisterProducer(config_.producer_group);
}

Status DefaultMQProducer::CheckRunning() const {
  if (!running_) {
    return FailedPreconditionError(
        "The producer service state not OK, maybe not started or "
        "already shut down");
  }
  return Status::Ok();
}

std::set<std::string> DefaultMQProducer::PublishTopics() const {
  std::set<std::string> out;
  for (const auto& [topic, info] : topic_publish_info_table_) out.insert(topic);
  return out;
}

void DefaultMQProducer::UpdateTopicPublishInfo(const std::string& topic,
                                               const common::TopicRouteData& route) {
  auto info = std::make_shared<TopicPublishInfo>(TopicRouteDataToPublishInfo(topic, route));
  info->send_which_queue = SendWhichQueue::Random(rt_.random());
  info->have_topic_router_info = true;
  topic_publish_info_table_[topic] = std::move(info);
}

const TopicPublishInfo* DefaultMQProducer::FindTopicPublishInfo(const std::string& topic) const {
  auto it = topic_publish_info_table_.find(topic);
  return it == topic_publish_info_table_.end() ? nullptr : it->second.get();
}

Task<std::shared_ptr<TopicPublishInfo>> DefaultMQProducer::TryToFindTopicPublishInfo(
    std::string topic) {
  auto it = topic_publish_info_table_.find(topic);
  if (it == topic_publish_info_table_.end() || !it->second->ok()) {
    if (it == topic_publish_info_table_.end() &&
        topic_publish_info_table_.size() >= limits::kRouteTopicsMax) {
      co_return nullptr;
    }
    if (it == topic_publish_info_table_.end()) {
      topic_publish_info_table_[topic] = std::make_shared<TopicPublishInfo>();
    }
    co_await instance_.UpdateTopicRouteInfoFromNameServer(topic);
  }
  auto info = topic_publish_info_table_[topic];
  if (info->have_topic_router_info || info->ok()) co_return info;
  co_await instance_.UpdateTopicRouteInfoFromDefaultTopic(topic, config_.create_topic_key,
                                                          config_.default_topic_queue_nums);
  co_return topic_publish_info_table_[topic];
}

Status DefaultMQProducer::NoRouteError(const std::string& topic) const {
  if (instance_.namesrv_addrs().empty()) {
    return FailedPreconditionError("No name server address, please set it.");
  }
  return NotFoundError("No route info of this topic: " + topic);
}

Task<StatusOr<SendResult>> DefaultMQProducer::Send(Message msg) {
  std::optional<std::vector<std::string>> no_batch;
  std::optional<MessageQueue> no_mq;
  auto result = co_await SendDefaultImpl(std::move(msg), CommunicationMode::kSync,
                                         std::move(no_batch), std::move(no_mq));

  co_return result;
}

Task<StatusOr<SendResult>> DefaultMQProducer::Send(Message msg, MessageQueue mq) {
  if (msg.topic() != mq.topic) {
    co_return InvalidArgumentError("message's topic not equal mq's topic");
  }
  std::optional<std::vector<std::string>> no_batch;
  std::optional<MessageQueue> fixed_mq = std::move(mq);
  auto result = co_await SendDefaultImpl(std::move(msg), CommunicationMode::kSync,
                                         std::move(no_batch), std::move(fixed_mq));

  co_return result;
}

Task<Status> DefaultMQProducer::SendOneway(Message msg) {
  std::optional<std::vector<std::string>> no_batch;
  std::optional<MessageQueue> no_mq;
  auto r = co_await SendDefaultImpl(std::move(msg), CommunicationMode::kOneway, std::move(no_batch),
                                    std::move(no_mq));
  co_return r.status();
}

void DefaultMQProducer::SendAsync(Message msg, SendCallback callback) {
  rt_.executor().Post(guard_.Wrap([this, msg = std::move(msg), callback]() mutable {
    scope_.Spawn(SendAsyncImpl(std::move(msg), std::move(callback)));
  }));
}

StatusOr<Message> DefaultMQProducer::BuildBatch(std::vector<Message>& msgs,
                                                std::vector<std::string>& ids) {
  if (msgs.empty()) return InvalidArgumentError("the batch has no message");
  if (msgs.size() > limits::kBatchMessagesMax) {
    return InvalidArgumentError("the batch has " + std::to_string(msgs.size()) +
                                " messages, more than " +
                                std::to_string(limits::kBatchMessagesMax));
  }
  const Message& first = msgs.front();
  for (auto& m : msgs) {
    auto delay = m.DelayTimeLevel();
    if (delay.ok() && *delay > 0) {
      return InvalidArgumentError("TimeDelayLevel is not supported for batching");
    }
    if (common::IsRetryTopic(m.topic())) {
      return InvalidArgumentError("Retry Group is not supported for batching");
    }
    if (m.topic() != first.topic()) {
      return InvalidArgumentError("The topic of the messages in one batch should be the same");
    }
    if (m.wait_store_msg_ok() != first.wait_store_msg_ok()) {
      return InvalidArgumentError(
          "The waitStoreMsgOK of the messages in one batch should the same");
    }
    RMQ_RETURN_IF_ERROR(CheckMessage(m, config_.max_message_size));
    if (m.unique_key().empty()) m.SetUniqueKey(instance_.CreateUniqId());
    ids.push_back(m.unique_key());
  }
  RMQ_ASSIGN_OR_RETURN(common::Bytes body, common::EncodeBatchBody(msgs));
  Message batch(first.topic(), std::move(body));
  batch.SetWaitStoreMsgOk(first.wait_store_msg_ok());
  return batch;
}

Task<StatusOr<SendResult>> DefaultMQProducer::SendBatch(std::vector<Message> msgs) {
  std::vector<std::string> ids;
  auto batch = BuildBatch(msgs, ids);
  if (!batch.ok()) {
    ++send_failures_;
    co_return batch.status();
  }
  std::optional<std::vector<std::string>> batch_ids = std::move(ids);
  std::optional<MessageQueue> no_mq;
  Message batch_msg = std::move(*batch);
  auto result = co_await SendDefaultImpl(std::move(batch_msg), CommunicationMode::kSync,
                                         std::move(batch_ids), std::move(no_mq));

  co_return result;
}

Task<StatusOr<SendResult>> DefaultMQProducer::SendBatch(std::vector<Message> msgs,
                                                        MessageQueue mq) {
  std::vector<std::string> ids;
  auto batch = BuildBatch(msgs, ids);
  if (!batch.ok()) {
    ++send_failures_;
    co_return batch.status();
  }
  std::optional<std::vector<std::string>> batch_ids = std::move(ids);
  std::optional<MessageQueue> fixed_mq = std::move(mq);
  Message batch_msg = std::move(*batch);
  auto result = co_await SendDefaultImpl(std::move(batch_msg), CommunicationMode::kSync,
                                         std::move(batch_ids), std::move(fixed_mq));

  co_return result;
}

Task<StatusOr<std::vector<MessageQueue>>> DefaultMQProducer::FetchPublishMessageQueues(
    std::string topic) {
  auto info = co_await TryToFindTopicPublishInfo(topic);
  if (!info || !info->ok()) co_return NoRouteError(topic);
  co_return info->message_queue_list;
}

Task<StatusOr<SendResult>> DefaultMQProducer::SendDefaultImpl(
    Message msg, CommunicationMode mode, std::optional<std::vector<std::string>> batch_ids,
    std::optional<MessageQueue> fixed_mq) {
  Status check = CheckRunning();
  if (check.ok()) check = CheckMessage(msg, config_.max_message_size);
  if (!check.ok()) {
    ++send_failures_;
    co_return check;
  }
  if (!batch_ids && msg.unique_key().empty()) msg.SetUniqueKey(instance_.CreateUniqId());
  const MonoTime begin = rt_.Now();
  const Duration timeout = config_.send_msg_timeout;
  const std::string topic = msg.topic();
  std::shared_ptr<TopicPublishInfo> info;
  if (!fixed_mq) {
    info = co_await TryToFindTopicPublishInfo(topic);
    if (!info || !info->ok()) {
      ++send_failures_;
      co_return NoRouteError(topic);
    }
  }
  const int times_total =
      fixed_mq ? 1
               : (mode == CommunicationMode::kSync ? 1 + config_.retry_times_when_send_failed : 1);
  std::optional<std::string> last_broker;
  std::optional<SendResult> not_stored_result;
  std::string brokers_sent;
  Status last_error = UnavailableError("no attempt was made");
  bool call_timeout = false;
  int times = 0;
  for (; times < times_total; ++times) {
    if (times > 0) {
      Duration pause = RetryBackoff();
      if (pause > Duration::zero()) co_await Sleep(rt_.executor(), pause);
    }
    MessageQueue mq =
        fixed_mq ? *fixed_mq : fault_strategy_.SelectOneMessageQueue(*info, last_broker, rt_.Now());
    brokers_sent += (brokers_sent.empty() ? "" : ", ") + mq.broker_name;
    const MonoTime attempt_begin = rt_.Now();
    const Duration cost = attempt_begin - begin;
    if (timeout < cost) {
      call_timeout = true;
      break;
    }
    if (times > 0) ++send_retries_;
    Attempt a = co_await SendKernelImpl(msg, mq, mode, timeout - cost, batch_ids);
    const int64_t latency_ms = ToMillis(rt_.Now() - attempt_begin);
    last_broker = mq.broker_name;
    if (a.result.ok()) {
      fault_strategy_.UpdateFaultItem(mq.broker_name, latency_ms, false, rt_.Now());
      if (mode == CommunicationMode::kSync && a.result->send_status != SendStatus::SEND_OK &&
          config_.retry_another_broker_when_not_store_ok) {
        not_stored_result = *a.result;
        continue;
      }
      ++sends_ok_;
      co_return std::move(a.result);
    }
    fault_strategy_.UpdateFaultItem(mq.broker_name, latency_ms, true, rt_.Now());
    last_error = a.result.status();
    rt_.Trace(TraceEvent("ProducerSendAttemptFailed", Severity::kInfo)
                  .Detail("Group", config_.producer_group)
                  .Detail("Topic", topic)
                  .Detail("Broker", mq.broker_name)
                  .Detail("Attempt", static_cast<int64_t>(times + 1))
                  .Detail("Error", last_error.ToString()));
    if (a.broker_code >= 0 && !config_.retry_response_codes.contains(a.broker_code)) {
      ++send_failures_;
      co_return last_error;
    }
  }
  if (not_stored_result) {
    ++sends_ok_;
    co_return *not_stored_result;
  }
  ++send_failures_;
  if (call_timeout) {
    co_return TimeoutError(
        "sendDefaultImpl call timeout: " + std::to_string(ToMillis(rt_.Now() - begin)) +
        "ms spent, topic " + topic + ", last error: " + last_error.ToString());
  }
  co_return Status(last_error.code(),
                   "Send [" + std::to_string(times) + "] times, still failed, cost [" +
                       std::to_string(ToMillis(rt_.Now() - begin)) + "]ms, Topic: " + topic +
                       ", BrokersSent: [" + brokers_sent + "]: " + last_error.message());
}

Task<void> DefaultMQProducer::SendAsyncImpl(Message msg, SendCallback callback) {
  Status check = CheckRunning();
  if (check.ok()) check = CheckMessage(msg, config_.max_message_size);
  if (!check.ok()) {
    ++send_failures_;
    callback(check);
    co_return;
  }
  if (msg.unique_key().empty()) msg.SetUniqueKey(instance_.CreateUniqId());
  const MonoTime begin = rt_.Now();
  const Duration timeout = config_.send_msg_timeout;
  const std::string topic = msg.topic();
  auto info = co_await TryToFindTopicPublishInfo(topic);
  if (!info || !info->ok()) {
    ++send_failures_;
    callback(NoRouteError(topic));
    co_return;
  }
  MessageQueue mq = fault_strategy_.SelectOneMessageQueue(*info, std::nullopt, rt_.Now());
  for (int attempt = 0;; ++attempt) {
    const MonoTime attempt_begin = rt_.Now();
    const Duration cost = attempt_begin - begin;
    if (timeout < cost) {
      ++send_failures_;
      callback(TimeoutError("DEFAULT ASYNC send call timeout"));
      co_return;
    }
    if (attempt > 0) ++send_retries_;
    std::optional<std::vector<std::string>> no_batch;
    Attempt a = co_await SendKernelImpl(msg, mq, CommunicationMode::kAsync, timeout - cost,
                                        std::move(no_batch));
    const int64_t latency_ms = ToMillis(rt_.Now() - attempt_begin);
    fault_strategy_.UpdateFaultItem(mq.broker_name, latency_ms, !a.result.ok(), rt_.Now());
    if (a.result.ok()) {
      ++sends_ok_;
      callback(std::move(a.result));
      co_return;
    }
    if (a.broker_code >= 0 || attempt >= config_.retry_times_when_send_async_failed) {
      ++send_failures_;
      callback(a.result.status());
      co_return;
    }
    // onExceptionImpl: another queue, avoiding the broker that just failed.
    auto current = topic_publish_info_table_.find(topic);
    if (current != topic_publish_info_table_.end() && current->second->ok()) info = current->second;
    std::optional<std::string> last = mq.broker_name;
    Duration pause = RetryBackoff();
    if (pause > Duration::zero()) co_await Sleep(rt_.executor(), pause);
    mq = fault_strategy_.SelectOneMessageQueue(*info, last, rt_.Now());
  }
}

Duration DefaultMQProducer::RetryBackoff() {
  // BUGGIFY: a retry starts up to 300 ms after the failed attempt (4.9.8 retries at once, but the
  // sending thread, or the async callback thread for sendAsync, may be descheduled meanwhile).
  // The time spent still counts against sendMsgTimeout, so the send may end in a timeout.
  if (RMQ_BUGGIFY(rt_)) return rt_.random().UniformDuration(milliseconds(1), milliseconds(300));
  return Duration::zero();
}

Task<DefaultMQProducer::Attempt> DefaultMQProducer::SendKernelImpl(
    Message msg, MessageQueue mq, CommunicationMode mode, Duration timeout,
    std::optional<std::vector<std::string>> batch_ids) {
  const MonoTime begin = rt_.Now();
  auto addr = instance_.FindBrokerAddressInPublish(mq.broker_name);
  if (!addr) {
    co_await TryToFindTopicPublishInfo(mq.topic);
    addr = instance_.FindBrokerAddressInPublish(mq.broker_name);
  }
  if (!addr) {
    co_return Attempt{NotFoundError("The broker[" + mq.broker_name + "] not exist"), -1};
  }
  const bool batch = batch_ids.has_value();
  int32_t sys_flag = 0;
  std::string body = common::StringFromBytes(msg.body());
  if (!batch && msg.body().size() >= static_cast<size_t>(config_.compress_msg_body_over_howmuch)) {
    auto compressed = common::ZlibCompress(msg.body(), config_.compress_level);
    if (compressed.ok()) {
      body = common::StringFromBytes(*compressed);
      sys_flag |= common::kCompressedFlag | common::CompressionFlag(common::CompressionType::kZlib);
    }
  }
  if (msg.transaction_prepared()) sys_flag |= common::kTransactionPreparedType;
  auto properties = common::EncodeProperties(msg.properties());
  if (!properties.ok()) co_return Attempt{properties.status(), -1};

  auto req = RemotingCommand::CreateRequest(batch ? RequestCode::SEND_BATCH_MESSAGE
                                                  : RequestCode::SEND_MESSAGE_V2);
  req.SetExtField("a", config_.producer_group);
  req.SetExtField("b", mq.topic);
  req.SetExtField("c", config_.create_topic_key);
  req.SetExtFieldInt("d", config_.default_topic_queue_nums);
  req.SetExtFieldInt("e", mq.queue_id);
  req.SetExtFieldInt("f", sys_flag);
  req.SetExtFieldInt("g", ToUnixMillis(rt_.WallNow()));
  req.SetExtFieldInt("h", msg.flag());
  if (!properties->empty()) req.SetExtField("i", *properties);
  int32_t reconsume_times = 0;
  if (common::IsRetryTopic(mq.topic)) {
    auto rt = msg.ReconsumeTime();
    if (rt.ok() && rt->has_value()) reconsume_times = **rt;
    auto max = msg.MaxReconsumeTimes();
    if (max.ok() && max->has_value()) req.SetExtFieldInt("l", **max);
  }
  req.SetExtFieldInt("j", reconsume_times);
  req.SetExtFieldBool("k", config_.unit_mode);
  req.SetExtFieldBool("m", batch);
  req.SetExtField("n", mq.broker_name);
  req.body = std::move(body);

  const Duration cost = rt_.Now() - begin;
  if (timeout < cost) co_return Attempt{TimeoutError("sendKernelImpl call timeout"), -1};
  const Duration left = timeout - cost;
  ++send_attempts_;
  ++attempts_by_broker_[mq.broker_name];
  auto parsed = Address::Parse(*addr);
  if (!parsed.ok()) co_return Attempt{parsed.status(), -1};
  Address to = *parsed;

  if (mode == CommunicationMode::kOneway) {
    auto start = [client = &instance_.remoting(), to, req = std::move(req),
                  left](std::function<void(Status)> done) mutable {
      client->InvokeOneway(to, std::move(req), left, std::move(done));
    };
    Status sent = co_await AwaitCallback<Status>(rt_.executor(), std::move(start));
    if (!sent.ok()) co_return Attempt{sent, -1};
    co_return Attempt{SendResult{.msg_id = msg.unique_key(), .message_queue = mq}, -1};
  }

  auto response = co_await instance_.remoting().Call(to, std::move(req), left);
  if (!response.ok()) co_return Attempt{response.status(), -1};
  SendResult result;
  switch (response->code) {
    case ResponseCode::SUCCESS:
      result.send_status = SendStatus::SEND_OK;
      break;
    case ResponseCode::FLUSH_DISK_TIMEOUT:
      result.send_status = SendStatus::FLUSH_DISK_TIMEOUT;
      break;
    case ResponseCode::FLUSH_SLAVE_TIMEOUT:
      result.send_status = SendStatus::FLUSH_SLAVE_TIMEOUT;
      break;
    case ResponseCode::SLAVE_NOT_AVAILABLE:
      result.send_status = SendStatus::SLAVE_NOT_AVAILABLE;
      break;
    default:
      co_return Attempt{BrokerError(response->code, response->remark), response->code};
  }
  auto msg_id = response->GetRequiredString("msgId");
  auto queue_id = response->GetRequiredInt32("queueId");
  auto queue_offset = response->GetRequiredInt64("queueOffset");
  if (!msg_id.ok() || !queue_id.ok() || !queue_offset.ok()) {
    Status bad = !msg_id.ok() ? msg_id.status()
                              : (!queue_id.ok() ? queue_id.status() : queue_offset.status());
    co_return Attempt{bad.WithContext("send response"), -1};
  }
  if (batch) {
    for (size_t i = 0; i < batch_ids->size(); ++i) {
      result.msg_id += (i == 0 ? "" : ",") + (*batch_ids)[i];
    }
  } else {
    result.msg_id = msg.unique_key();
  }
  result.offset_msg_id = *msg_id;
  result.message_queue = {mq.topic, mq.broker_name, *queue_id};
  result.queue_offset = *queue_offset;
  result.transaction_id = response->GetOptionalString("transactionId").value_or("");
  result.region_id = response->GetOptionalString("MSG_REGION").value_or("DefaultRegion");
  auto trace_on = response->GetOptionalString("TRACE_ON");
  result.trace_on = !(trace_on && *trace_on == "false");
  co_return Attempt{std::move(result), -1};
}

}  // namespace rmqsim::client
