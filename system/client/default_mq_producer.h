// DefaultMQProducer (apache/rocketmq 4.9.8 client/producer/DefaultMQProducer.java with
// DefaultMQProducerImpl, MQClientAPIImpl.sendMessage/processSendResponse and Validators).
//
//   MQClientInstance instance(rt, {.namesrv_addr = "10.0.0.1:9876", .client_ip = "10.0.0.9"});
//   DefaultMQProducer producer(instance, {.producer_group = "pg"});
//   RMQ_RETURN_IF_ERROR(producer.Start());
//   StatusOr<SendResult> r = co_await producer.Send(msg);   // "sync": retries on other brokers
//   producer.SendAsync(msg, [](StatusOr<SendResult> r) { ... });
//
// Sends are SEND_MESSAGE_V2 with the compact header a..n (SEND_BATCH_MESSAGE for batches). The
// message gets its UNIQ_KEY before the first attempt (SendResult.msg_id); bodies of at least
// compressMsgBodyOverHowmuch bytes are zlib-compressed (sysFlag COMPRESSED | ZLIB type).
// Errors are Status values: kInvalidArgument (validation, Java's texts), kNotFound (no route),
// kTimeout (sendMsgTimeout spent), kUnavailable "CODE: n  DESC: remark" (broker refused), or the
// transport error of the last attempt.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "sim/base/lifetime.h"
#include "sim/runtime/task.h"
#include "system/client/client_limits.h"
#include "system/client/mq_client_instance.h"
#include "system/client/mq_fault_strategy.h"
#include "system/client/send_result.h"
#include "system/client/topic_publish_info.h"
#include "system/common/message.h"
#include "system/remoting/codes.h"

namespace rmqsim::client {

struct ProducerConfig {
  std::string producer_group;
  std::string create_topic_key = "TBW102";
  int32_t default_topic_queue_nums = limits::kDefaultTopicQueueNumsDefault;
  Duration send_msg_timeout = limits::kSendMsgTimeoutDefault;
  int32_t compress_msg_body_over_howmuch = limits::kCompressMsgBodyOverHowmuchDefault;
  int compress_level = 5;  // rocketmq.message.compressLevel
  int32_t retry_times_when_send_failed = 2;
  int32_t retry_times_when_send_async_failed = 2;
  bool retry_another_broker_when_not_store_ok = false;
  int32_t max_message_size = limits::kMaxMessageSizeDefault;
  bool send_latency_fault_enable = false;
  bool unit_mode = false;
  // Broker response codes that make a sync send try again (4.9.8 retryResponseCodes).
  std::set<int32_t> retry_response_codes = {
      remoting::ResponseCode::TOPIC_NOT_EXIST, remoting::ResponseCode::SERVICE_NOT_AVAILABLE,
      remoting::ResponseCode::SYSTEM_ERROR,    remoting::ResponseCode::NO_PERMISSION,
      remoting::ResponseCode::NO_BUYER_ID,     remoting::ResponseCode::NOT_IN_CURRENT_UNIT};
};

// Validators.checkMessage: topic rules, not-allowed topics, body present, non-empty, at most
// `max_message_size`. kInvalidArgument with Java's texts.
Status CheckMessage(const common::Message& msg, int32_t max_message_size);

class DefaultMQProducer final : public MQProducerInner {
 public:
  using SendCallback = std::function<void(StatusOr<SendResult>)>;

  DefaultMQProducer(MQClientInstance& instance, ProducerConfig config);
  ~DefaultMQProducer() override;
  DefaultMQProducer(const DefaultMQProducer&) = delete;
  DefaultMQProducer& operator=(const DefaultMQProducer&) = delete;

  // Checks the group, registers it with the instance (duplicate group: Java's error text) and
  // starts the instance if needed.
  Status Start();
  // Unregisters (UNREGISTER_CLIENT to the brokers). Sends after this fail.
  Task<void> Shutdown();

  // Sync mode: up to 1 + retryTimesWhenSendFailed attempts within sendMsgTimeout, each on
  // another broker when there is one.
  Task<StatusOr<SendResult>> Send(common::Message msg);
  // To a chosen queue: one attempt.
  Task<StatusOr<SendResult>> Send(common::Message msg, MessageQueue mq);
  // Async mode: transport failures are retried up to retryTimesWhenSendAsyncFailed times on
  // another broker; broker errors are not (as Java's onExceptionImpl). `callback` runs once.
  void SendAsync(common::Message msg, SendCallback callback);
  // One attempt, no response awaited: OK once the request was handed to the connection.
  Task<Status> SendOneway(common::Message msg);
  // SEND_BATCH_MESSAGE: same topic, no delay level, no retry topic; retried as a sync send.
  Task<StatusOr<SendResult>> SendBatch(std::vector<common::Message> msgs);
  Task<StatusOr<SendResult>> SendBatch(std::vector<common::Message> msgs, MessageQueue mq);

  // fetchPublishMessageQueues.
  Task<StatusOr<std::vector<MessageQueue>>> FetchPublishMessageQueues(std::string topic);

  // MQProducerInner.
  std::set<std::string> PublishTopics() const override;
  void UpdateTopicPublishInfo(const std::string& topic,
                              const common::TopicRouteData& route) override;

  const ProducerConfig& config() const { return config_; }
  MQFaultStrategy& fault_strategy() { return fault_strategy_; }
  void set_send_latency_fault_enable(bool enable) {
    fault_strategy_.set_send_latency_fault_enable(enable);
  }
  // The cached publish info of `topic`, or nullptr.
  const TopicPublishInfo* FindTopicPublishInfo(const std::string& topic) const;

  // Inspection counters.
  uint64_t send_attempts() const { return send_attempts_; }  // requests sent to brokers
  uint64_t send_retries() const { return send_retries_; }    // attempts after the first
  uint64_t send_failures() const { return send_failures_; }  // sends that ended in error
  uint64_t sends_ok() const { return sends_ok_; }
  // Attempts per broker name.
  const std::map<std::string, uint64_t>& attempts_by_broker() const { return attempts_by_broker_; }

 private:
  struct Attempt {
    StatusOr<SendResult> result;
    int32_t broker_code = -1;  // response code of a broker refusal; -1: transport/local error
  };
  Status CheckRunning() const;
  Task<std::shared_ptr<TopicPublishInfo>> TryToFindTopicPublishInfo(std::string topic);
  // `batch_ids` is set (the UNIQ_KEYs of the inner messages) for a batch; `fixed_mq` for a
  // send to a chosen queue (one attempt).
  Task<StatusOr<SendResult>> SendDefaultImpl(common::Message msg, CommunicationMode mode,
                                             std::optional<std::vector<std::string>> batch_ids,
                                             std::optional<MessageQueue> fixed_mq);
  // The pause before a retry: none, except under BUGGIFY (see the .cc).
  Duration RetryBackoff();
  Task<Attempt> SendKernelImpl(common::Message msg, MessageQueue mq, CommunicationMode mode,
                               Duration timeout, std::optional<std::vector<std::string>> batch_ids);
  Task<void> SendAsyncImpl(common::Message msg, SendCallback callback);
  // MessageBatch.generateFromList + encode: the batch message (body = the batch body).
  StatusOr<common::Message> BuildBatch(std::vector<common::Message>& msgs,
                                       std::vector<std::string>& ids);
  Status NoRouteError(const std::string& topic) const;

  MQClientInstance& instance_;
  Runtime& rt_;
  ProducerConfig config_;
  MQFaultStrategy fault_strategy_;
  bool running_ = false;
  std::map<std::string, std::shared_ptr<TopicPublishInfo>> topic_publish_info_table_;
  uint64_t send_attempts_ = 0;
  uint64_t send_retries_ = 0;
  uint64_t send_failures_ = 0;
  uint64_t sends_ok_ = 0;
  std::map<std::string, uint64_t> attempts_by_broker_;
  LifetimeGuard guard_;
  TaskScope scope_;
};

}  // namespace rmqsim::client
