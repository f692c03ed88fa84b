#include "system/client/default_mq_push_consumer.h"

#include "sim/base/assert.h"
#include "sim/base/buggify.h"

#include <algorithm>
#include <utility>

#include "sim/base/trace.h"
#include "system/common/message_const.h"
#include "system/common/mix_all.h"
#include "system/common/sys_flag.h"
#include "system/common/topic_validator.h"

namespace rmqsim::client {

using common::MessageExt;
using remoting::RemotingCommand;
using remoting::RequestCode;
using remoting::ResponseCode;

DefaultMQPushConsumer::DefaultMQPushConsumer(MQClientInstance& instance, PushConsumerConfig config)
    : instance_(instance),
      rt_(instance.runtime()),
      config_(std::move(config)),
      consume_timestamp_(config_.consume_timestamp.value_or(rt_.WallNow() - minutes(30))),
      pull_api_(instance, config_.consumer_group) {
  if (config_.message_model == common::MessageModel::kBroadcasting) {
    offset_store_ =
        std::make_unique<LocalFileOffsetStore>(rt_, instance.config().local_offset_store_dir,
                                               instance.client_id(), config_.consumer_group);
  } else {
    offset_store_ = std::make_unique<RemoteBrokerOffsetStore>(instance, config_.consumer_group);
  }
}

DefaultMQPushConsumer::~DefaultMQPushConsumer() = default;

Status DefaultMQPushConsumer::Subscribe(const std::string& topic,
                                        const std::string& sub_expression) {
  RMQ_RETURN_IF_ERROR(common::ValidateTopic(topic));
  RMQ_ASSIGN_OR_RETURN(
      auto data, common::BuildSubscriptionData(topic, sub_expression, common::kExpressionTypeTag,
                                               ToUnixMillis(rt_.WallNow())));
  subscriptions_[topic] = std::move(data);
  return Status::Ok();
}

Status DefaultMQPushConsumer::Start() {
  if (running_) return FailedPreconditionError("The PushConsumer service has been started before");
  const std::string& group = config_.consumer_group;
  RMQ_RETURN_IF_ERROR(common::ValidateGroup(group));
  if (group == common::kDefaultConsumerGroup) {
    return InvalidArgumentError("consumerGroup can not equal " +
                                std::string(common::kDefaultConsumerGroup) +
                                ", please specify another one.");
  }
  if (!listener_) return InvalidArgumentError("messageListener is null");
  if (config_.pull_batch_size < 1 || config_.pull_batch_size > limits::kPullBatchSizeMax) {
    return InvalidArgumentError("pullBatchSize Out of range [1, 1024]");
  }
  if (config_.consume_message_batch_max_size < 1 || config_.consume_message_batch_max_size > 1024) {
    return InvalidArgumentError("consumeMessageBatchMaxSize Out of range [1, 1024]");
  }
  if (config_.pull_threshold_for_queue < 1 ||
      config_.pull_threshold_for_queue > limits::kPullThresholdForQueueMax) {
    return InvalidArgumentError("pullThresholdForQueue Out of range [1, 65535]");
  }
  if (config_.message_model == common::MessageModel::kClustering) {
    std::string retry = common::GetRetryTopic(group);
    auto data = common::BuildSubscriptionData(retry, common::kSubAll, common::kExpressionTypeTag,
                                              ToUnixMillis(rt_.WallNow()));
    if (data.ok()) subscriptions_[retry] = std::move(*data);
  }
  RMQ_RETURN_IF_ERROR(offset_store_->Load());
  RMQ_RETURN_IF_ERROR(instance_.RegisterConsumer(group, this));
  registered_ = true;
  Status started = instance_.Start();
  if (!started.ok()) return started;
  running_ = true;
  rt_.Trace(TraceEvent("PushConsumerStarted")
                .Detail("Group", group)
                .Detail("ClientId", instance_.client_id())
                .Detail("Model", std::string(common::MessageModelName(config_.message_model))));
  scope_.Spawn(StartTask());
  return Status::Ok();
}

Task<void> DefaultMQPushConsumer::StartTask() {
  // updateTopicSubscribeInfoWhenSubscriptionChanged, heartbeat, rebalanceImmediately.
  std::vector<std::string> topics;
  for (const auto& [topic, sub] : subscriptions_) topics.push_back(topic);
  for (const auto& topic : topics) {
    co_await instance_.UpdateTopicRouteInfoFromNameServer(topic);
    if (!running_) co_return;
  }
  instance_.SendHeartbeatToAllBrokers();
  instance_.RebalanceImmediately();
}

Task<void> DefaultMQPushConsumer::Shutdown() {
  if (!running_) co_return;
  running_ = false;
  std::set<MessageQueue> mqs;
  for (auto& [mq, e] : process_queue_table_) {
    e.pq->set_dropped(true);
    mqs.insert(mq);
  }
  offset_store_->PersistAll(mqs);
  process_queue_table_.clear();
  scope_.DestroyAll();
  rt_.Trace(TraceEvent("PushConsumerShutdown").Detail("Group", config_.consumer_group));
  if (registered_) {
    registered_ = false;
    co_await instance_.UnregisterConsumer(config_.consumer_group);
  }
}

common::ConsumerData DefaultMQPushConsumer::BuildConsumerData() const {
  common::ConsumerData data;
  data.group_name = config_.consumer_group;
  data.consume_type = common::ConsumeType::kConsumePassively;
  data.message_model = config_.message_model;
  data.consume_from_where = config_.consume_from_where;
  for (const auto& [topic, sub] : subscriptions_) data.subscription_data_set.push_back(sub);
  data.unit_mode = false;
  return data;
}

std::set<std::string> DefaultMQPushConsumer::SubscribedTopics() const {
  std::set<std::string> out;
  for (const auto& [topic, sub] : subscriptions_) out.insert(topic);
  return out;
}

void DefaultMQPushConsumer::UpdateTopicSubscribeInfo(const std::string& topic,
                                                     const std::set<MessageQueue>& mqs) {
  if (subscriptions_.contains(topic)) topic_subscribe_info_[topic] = mqs;
}

void DefaultMQPushConsumer::RebalanceNow() {
  if (!running_) return;
  if (rebalancing_) {
    rebalance_pending_ = true;  // limits::kPendingRebalancesMax: one flag
    return;
  }
  rebalancing_ = true;
  scope_.Spawn(RebalanceTask());
}

Task<void> DefaultMQPushConsumer::RebalanceTask() {
  do {
    rebalance_pending_ = false;
    ++rebalances_;
    std::vector<std::string> topics;
    for (const auto& [topic, sub] : subscriptions_) topics.push_back(topic);
    for (const auto& topic : topics) {
      if (!running_) break;
      co_await RebalanceByTopic(topic);
    }
  } while (rebalance_pending_ && running_);
  rebalancing_ = false;
}

Task<void> DefaultMQPushConsumer::RebalanceByTopic(std::string topic) {
  auto info = topic_subscribe_info_.find(topic);
  if (info == topic_subscribe_info_.end()) co_return;
  const std::set<MessageQueue> mqs = info->second;
  std::set<MessageQueue> allocated;
  if (config_.message_model == common::MessageModel::kBroadcasting) {
    allocated = mqs;
  } else {
    auto cids = co_await instance_.FindConsumerIdList(topic, config_.consumer_group);
    if (!running_) co_return;
    if (!cids.ok() || cids->empty()) {
      rt_.Trace(TraceEvent("ConsumerRebalanceNoConsumerIds", Severity::kInfo)
                    .Detail("Group", config_.consumer_group)
                    .Detail("Topic", topic)
                    .Detail("Error", cids.ok() ? "empty list" : cids.status().ToString()));
      co_return;
    }
    std::vector<std::string> sorted = *cids;
    std::sort(sorted.begin(), sorted.end());
    std::vector<MessageQueue> all(mqs.begin(), mqs.end());
    for (auto& mq : AllocateMessageQueueAveragely(instance_.client_id(), all, sorted)) {
      allocated.insert(mq);
    }
  }
  // updateProcessQueueTableInRebalance: drop what is no longer ours, add what is new.
  bool changed = false;
  for (auto it = process_queue_table_.begin(); it != process_queue_table_.end();) {
    if (it->first.topic == topic && !allocated.contains(it->first)) {
      it->second.pq->set_dropped(true);
      offset_store_->Persist(it->first);
      offset_store_->RemoveOffset(it->first);
      it = process_queue_table_.erase(it);
      changed = true;
    } else {
      ++it;
    }
  }
  for (const auto& mq : allocated) {
    if (process_queue_table_.contains(mq)) continue;
    if (process_queue_table_.size() >= limits::kProcessQueuesMax) {
      rt_.Trace(TraceEvent("ConsumerProcessQueueLimit", Severity::kWarn)
                    .Detail("Group", config_.consumer_group)
                    .Detail("Limit", static_cast<uint64_t>(limits::kProcessQueuesMax)));
      break;
    }
    offset_store_->RemoveOffset(mq);  // removeDirtyOffset
    int64_t next = co_await ComputePullFromWhere(mq);
    if (!running_) co_return;
    if (next < 0 || process_queue_table_.contains(mq)) continue;
    auto current = topic_subscribe_info_.find(topic);
    if (current == topic_subscribe_info_.end()) continue;
    auto pq = std::make_shared<ProcessQueue>();
    process_queue_table_[mq] = Entry{pq, next};
    changed = true;
    scope_.Spawn(PullLoop(mq, pq));
  }
  if (changed) {
    size_t owned = 0;
    for (const auto& [mq, e] : process_queue_table_) owned += mq.topic == topic ? 1 : 0;
    rt_.Trace(TraceEvent("ConsumerRebalanced")
                  .Detail("Group", config_.consumer_group)
                  .Detail("ClientId", instance_.client_id())
                  .Detail("Topic", topic)
                  .Detail("Queues", static_cast<uint64_t>(owned)));
  }
}

Task<int64_t> DefaultMQPushConsumer::ComputePullFromWhere(MessageQueue mq) {
  int64_t last = co_await offset_store_->ReadOffsetFromStore(mq);
  if (last >= 0) co_return last;
  if (last != kOffsetNotFound) co_return -1;  // could not ask: try at the next rebalance
  const bool retry = common::IsRetryTopic(mq.topic);
  switch (config_.consume_from_where) {
    case common::ConsumeFromWhere::kConsumeFromFirstOffset:
      co_return 0;
    case common::ConsumeFromWhere::kConsumeFromTimestamp: {
      if (retry) {
        auto max = co_await instance_.MaxOffset(mq);
        co_return max.ok() ? *max : -1;
      }
      auto found = co_await instance_.SearchOffset(mq, ToUnixMillis(consume_timestamp_));
      co_return found.ok() ? *found : -1;
    }
    default: {  // CONSUME_FROM_LAST_OFFSET and the deprecated variants
      if (retry) co_return 0;
      auto max = co_await instance_.MaxOffset(mq);
      co_return max.ok() ? *max : -1;
    }
  }
}

Task<void> DefaultMQPushConsumer::PullLoop(MessageQueue mq, std::shared_ptr<ProcessQueue> pq) {
  Executor& ex = rt_.executor();
  while (running_ && !pq->dropped()) {
    auto entry = process_queue_table_.find(mq);
    if (entry == process_queue_table_.end() || entry->second.pq != pq) break;
    if (pq->msg_count() > static_cast<size_t>(config_.pull_threshold_for_queue) ||
        pq->msg_size_bytes() >
            static_cast<int64_t>(config_.pull_threshold_size_for_queue_mib) * 1024 * 1024 ||
        pq->MaxSpan() > config_.consume_concurrently_max_span) {
      ++flow_control_times_;
      co_await Sleep(ex, limits::kPullTimeDelayWhenFlowControl);
      continue;
    }
    auto sub = subscriptions_.find(mq.topic);
    if (sub == subscriptions_.end()) {
      co_await Sleep(ex, instance_.config().pull_time_delay_when_exception);
      continue;
    }
    bool commit = false;
    int64_t commit_offset = 0;
    if (config_.message_model == common::MessageModel::kClustering) {
      int64_t in_memory = offset_store_->ReadOffsetFromMemory(mq);
      if (in_memory > 0) {
        commit = true;
        commit_offset = in_memory;
      }
    }
    PullArgs args;
    args.mq = mq;
    if (config_.post_subscription_when_pull) args.sub_expression = sub->second.sub_string;
    args.expression_type = sub->second.expression_type;
    args.sub_version = sub->second.sub_version;
    args.offset = entry->second.next_offset;
    const int64_t args_offset = args.offset;
    args.max_nums = config_.pull_batch_size;
    // BUGGIFY: a smaller pull batch (1..pullBatchSize), as when pullBatchSize is configured
    // smaller or the broker's maxTransferCountOnMessageInMemory caps the batch: more, shorter
    // pulls, and ProcessQueue offsets that arrive in small steps.
    if (RMQ_BUGGIFY(rt_)) {
      args.max_nums = static_cast<int32_t>(rt_.random().UniformInt(1, config_.pull_batch_size));
    }
    args.sys_flag = common::BuildPullSysFlag(commit, true, args.sub_expression.has_value(), false);
    args.commit_offset = commit_offset;
    args.broker_suspend_max_time = config_.broker_suspend_max_time;
    args.timeout = config_.consumer_timeout_when_suspend;
    common::SubscriptionData filter = sub->second;
    ++pulls_;
    auto result = co_await pull_api_.PullKernelImpl(std::move(args), std::move(filter));
    if (!running_ || pq->dropped()) break;
    entry = process_queue_table_.find(mq);
    if (entry == process_queue_table_.end() || entry->second.pq != pq) break;
    if (!result.ok()) {
      ++pull_errors_;
      rt_.Trace(TraceEvent("ConsumerPullFailed", Severity::kInfo)
                    .Detail("Group", config_.consumer_group)
                    .Detail("Queue", mq.ToString())
                    .Detail("Error", result.status().ToString()));
      Duration backoff = instance_.config().pull_time_delay_when_exception;
      // BUGGIFY: the pull after an error waits up to 3 s longer (the impl's own 3000 ms
      // PULL_TIME_DELAY_MILLS_WHEN_EXCEPTION of older clients, or a late scheduled executor).
      if (RMQ_BUGGIFY(rt_)) backoff += rt_.random().UniformDuration(Duration::zero(), seconds(3));
      co_await Sleep(ex, backoff);
      continue;
    }
    const int64_t next = result->next_begin_offset;
    switch (result->pull_status) {
      case PullStatus::FOUND:
        entry->second.next_offset = next;
        if (!result->msg_found_list.empty()) {
          // Messages at offsets the consumer had already passed (the broker moved it back, or
          // served a log that diverged from the one consumed before) are legal, as in Java;
          // the offset-behind-in-flight invariant stops judging this queue.
          const int64_t stored = offset_store_->ReadOffsetFromMemory(mq);
          if (std::any_of(result->msg_found_list.begin(), result->msg_found_list.end(),
                          [&](const MessageExt& m) {
                            return m.queue_offset < args_offset || m.queue_offset < stored;
                          })) {
            pq->set_offsets_diverged();
          }
          pq->PutMessages(result->msg_found_list);
          SubmitConsumeRequest(result->msg_found_list, pq, mq, Duration::zero());
        }
        if (config_.pull_interval > Duration::zero()) co_await Sleep(ex, config_.pull_interval);
        break;
      case PullStatus::NO_NEW_MSG:
      case PullStatus::NO_MATCHED_MSG:
        entry->second.next_offset = next;
        // correctTagsOffset: nothing in flight, so the next offset is the progress.
        if (pq->msg_count() == 0) offset_store_->UpdateOffset(mq, next, true);
        AssertOffsetBehindInFlight(mq, *pq);
        break;
      case PullStatus::OFFSET_ILLEGAL: {
        ++offset_illegal_;
        entry->second.next_offset = next;
        pq->set_dropped(true);
        rt_.Trace(TraceEvent("ConsumerOffsetIllegal", Severity::kWarn)
                      .Detail("Group", config_.consumer_group)
                      .Detail("Queue", mq.ToString())
                      .Detail("NextBeginOffset", next));
        co_await Sleep(ex, limits::kOffsetIllegalFixDelay);
        offset_store_->UpdateOffset(mq, next, false);
        offset_store_->Persist(mq);
        RemoveProcessQueue(mq, pq);
        co_return;
      }
    }
  }
}

void DefaultMQPushConsumer::RemoveProcessQueue(const MessageQueue& mq,
                                               const std::shared_ptr<ProcessQueue>& pq) {
  auto it = process_queue_table_.find(mq);
  if (it == process_queue_table_.end() || it->second.pq != pq) return;
  pq->set_dropped(true);
  process_queue_table_.erase(it);
  offset_store_->Persist(mq);
  offset_store_->RemoveOffset(mq);
}

void DefaultMQPushConsumer::SubmitConsumeRequest(const std::vector<MessageExt>& msgs,
                                                 const std::shared_ptr<ProcessQueue>& pq,
                                                 const MessageQueue& mq, Duration delay) {
  const size_t batch = static_cast<size_t>(config_.consume_message_batch_max_size);
  for (size_t i = 0; i < msgs.size(); i += batch) {
    std::vector<MessageExt> chunk(
        msgs.begin() + static_cast<long>(i),
        msgs.begin() + static_cast<long>(std::min(msgs.size(), i + batch)));
    scope_.Spawn(ConsumeTask(std::move(chunk), pq, mq, delay));
  }
}

Task<void> DefaultMQPushConsumer::ConsumeTask(std::vector<MessageExt> msgs,
                                              std::shared_ptr<ProcessQueue> pq, MessageQueue mq,
                                              Duration delay) {
  // BUGGIFY: the consume pool busy for up to 500 ms before this request runs (Java's
  // consumeExecutor queue behind slow listeners).
  if (RMQ_BUGGIFY(rt_)) delay += rt_.random().UniformDuration(Duration::zero(), milliseconds(500));
  co_await Sleep(rt_.executor(), delay);  // off the pull loop's stack, as Java's consume pool
  if (!running_ || pq->dropped()) co_return;
  const std::string retry_topic = common::GetRetryTopic(config_.consumer_group);
  const std::string start = std::to_string(ToUnixMillis(rt_.WallNow()));
  for (auto& m : msgs) {
    // resetRetryAndNamespace: a retried message shows its original topic.
    std::string original = m.message.retry_topic();
    if (!original.empty() && m.message.topic() == retry_topic) m.message.set_topic(original);
    m.message.PutProperty(common::kPropertyConsumeStartTimestamp, start);
  }
  ConsumeConcurrentlyContext context{.message_queue = mq};
  ConsumeConcurrentlyStatus status = listener_(msgs, context);
  if (context.consume_time > Duration::zero()) {
    co_await Sleep(rt_.executor(), context.consume_time);
    if (!running_) co_return;
  }
  messages_consumed_ += msgs.size();
  if (pq->dropped()) co_return;  // processQueue dropped: the result is not processed
  int64_t ack_index = -1;
  if (status == ConsumeConcurrentlyStatus::CONSUME_SUCCESS) {
    ack_index = std::min<int64_t>(context.ack_index, static_cast<int64_t>(msgs.size()) - 1);
  } else {
    ++reconsume_later_;
  }
  std::vector<MessageExt> back_failed;
  if (config_.message_model == common::MessageModel::kClustering) {
    for (size_t i = static_cast<size_t>(ack_index + 1); i < msgs.size(); ++i) {
      bool ok =
          co_await SendMessageBack(msgs[i], context.delay_level_when_next_consume, mq.broker_name);
      if (!ok) {
        msgs[i].reconsume_times += 1;
        back_failed.push_back(msgs[i]);
      }
    }
  }
  std::vector<MessageExt> done;
  for (const auto& m : msgs) {
    bool failed = std::any_of(back_failed.begin(), back_failed.end(), [&](const MessageExt& f) {
      return f.queue_offset == m.queue_offset;
    });
    if (!failed) done.push_back(m);
  }
  // Send-back failed: consume them again here later; they stay in the ProcessQueue meanwhile.
  if (!back_failed.empty() && running_) {
    SubmitConsumeRequest(back_failed, pq, mq, limits::kConsumeLaterDelay);
  }
  int64_t offset = pq->RemoveMessages(done);
  if (offset >= 0 && !pq->dropped()) {
    offset_store_->UpdateOffset(mq, offset, true);
    AssertOffsetBehindInFlight(mq, *pq);
  }
}

void DefaultMQPushConsumer::AssertOffsetBehindInFlight(const MessageQueue& mq,
                                                       const ProcessQueue& pq) const {
  if (!InSimulation()) return;
  client::AssertOffsetBehindInFlight(offset_store_->ReadOffsetFromMemory(mq), pq,
                                     "push consumer " + config_.consumer_group + ", queue " +
                                         mq.ToString());
}

Task<bool> DefaultMQPushConsumer::SendMessageBack(MessageExt msg, int32_t delay_level,
                                                  std::string broker_name) {
  auto addr = instance_.FindBrokerAddressInPublish(broker_name);
  std::string target = addr ? *addr : msg.store_host.ToString();
  auto req = RemotingCommand::CreateRequest(RequestCode::CONSUMER_SEND_MSG_BACK);
  req.SetExtFieldInt("offset", msg.commit_log_offset);
  req.SetExtField("group", config_.consumer_group);
  req.SetExtFieldInt("delayLevel", delay_level);
  std::string origin = msg.message.origin_message_id();
  req.SetExtField("originMsgId", origin.empty() ? ConsumedMessageId(msg) : origin);
  req.SetExtField("originTopic", msg.message.topic());
  req.SetExtFieldBool("unitMode", false);
  req.SetExtFieldInt("maxReconsumeTimes", max_reconsume_times());
  req.SetExtField("bname", broker_name);
  auto r = co_await instance_.Call(target, std::move(req), limits::kSendBackTimeout);
  bool ok = r.ok() && r->code == ResponseCode::SUCCESS;
  if (ok) {
    ++send_backs_ok_;
  } else {
    ++send_backs_failed_;
    rt_.Trace(TraceEvent("ConsumerSendBackFailed", Severity::kInfo)
                  .Detail("Group", config_.consumer_group)
                  .Detail("Broker", target)
                  .Detail("Error", r.ok() ? std::to_string(r->code) : r.status().ToString()));
  }
  co_return ok;
}

void DefaultMQPushConsumer::PersistConsumerOffset() {
  if (!running_) return;
  std::set<MessageQueue> mqs;
  for (const auto& [mq, e] : process_queue_table_) mqs.insert(mq);
  offset_store_->PersistAll(mqs);
}

std::set<MessageQueue> DefaultMQPushConsumer::AssignedQueues() const {
  std::set<MessageQueue> out;
  for (const auto& [mq, e] : process_queue_table_) out.insert(mq);
  return out;
}

std::vector<QueueState> DefaultMQPushConsumer::QueueStates() const {
  std::vector<QueueState> out;
  for (const auto& [mq, e] : process_queue_table_) {
    out.push_back({mq, e.next_offset, e.pq->msg_count(), offset_store_->ReadOffsetFromMemory(mq),
                   pull_api_.RecalculatePullFromWhichNode(mq), e.pq->dropped()});
  }
  return out;
}

}  // namespace rmqsim::client
