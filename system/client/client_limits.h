// Named bounds and defaults of the RocketMQ client (apache/rocketmq 4.9.8 client/). Every queue,
// in-flight map and retry loop of system/client is bounded by a constant here, with its reason.
#pragma once

#include <cstddef>
#include <cstdint>

#include "sim/base/time.h"

namespace rmqsim::client::limits {

// Name servers in one "a;b;c" list. Real deployments use 1-4; the bound keeps the fail-over loop
// of one name-server call short.
inline constexpr size_t kNamesrvAddrsMax = 16;
// Producer groups plus consumer groups in one MQClientInstance (Java: unbounded maps; a process
// with more groups than this is a configuration bug).
inline constexpr size_t kGroupsPerInstanceMax = 256;
// Topics whose route an instance caches and refreshes every pollNameServerInterval.
inline constexpr size_t kRouteTopicsMax = 4096;
// Entries of the latency fault table: one per broker name, so the number of broker groups.
inline constexpr size_t kFaultItemsMax = 1024;
// Message queues one push consumer may own at once (its ProcessQueue table and pull loops).
inline constexpr size_t kProcessQueuesMax = 8192;
// Messages of one batch send (SEND_BATCH_MESSAGE); the whole batch is also bounded by
// maxMessageSize, so this only stops absurd inputs early.
inline constexpr size_t kBatchMessagesMax = 4096;
// Inflated size of one pulled message body (a compressed body over this is refused as corrupt):
// four times the default maxMessageSize.
inline constexpr size_t kUncompressedBodyBytesMax = 16 * 1024 * 1024;
// pullBatchSize / maxNums of one pull: DefaultMQPushConsumer checks 1..1024.
inline constexpr int32_t kPullBatchSizeMax = 1024;
// Messages sent back for a local re-delivery of one queue at once are bounded by
// pullThresholdForQueue (they stay in the ProcessQueue); this caps a misconfigured threshold.
inline constexpr int32_t kPullThresholdForQueueMax = 65535;
// Rebalances queued behind a running one: at most one more (a flag), like Java's wakeup.
inline constexpr int kPendingRebalancesMax = 1;

// Java defaults (ClientConfig, DefaultMQProducer, DefaultMQPushConsumer, DefaultMQPullConsumer).
inline constexpr Duration kPollNameServerIntervalDefault = seconds(30);
inline constexpr Duration kHeartbeatBrokerIntervalDefault = seconds(30);
inline constexpr Duration kPersistConsumerOffsetIntervalDefault = seconds(5);
inline constexpr Duration kMqClientApiTimeoutDefault = seconds(3);
inline constexpr Duration kRebalanceIntervalDefault = seconds(20);
// MQClientInstance.startScheduledTask initial delays.
inline constexpr Duration kRouteUpdateFirstDelay = milliseconds(10);
inline constexpr Duration kHeartbeatFirstDelay = seconds(1);
inline constexpr Duration kPersistOffsetFirstDelay = seconds(10);
inline constexpr Duration kSendMsgTimeoutDefault = seconds(3);
inline constexpr int32_t kMaxMessageSizeDefault = 4 * 1024 * 1024;
inline constexpr int32_t kCompressMsgBodyOverHowmuchDefault = 4096;
inline constexpr int32_t kDefaultTopicQueueNumsDefault = 4;
// PullAPIWrapper / DefaultMQPushConsumerImpl constants.
inline constexpr Duration kBrokerSuspendMaxTime = seconds(15);
inline constexpr Duration kConsumerTimeoutWhenSuspend = seconds(30);
inline constexpr Duration kPullTimeDelayWhenFlowControl = milliseconds(50);
inline constexpr Duration kPullTimeDelayWhenSuspend = seconds(1);
// ClientConfig.pullTimeDelayMillsWhenException: 1000 ms in 4.9.8 (the impl's own 3000 ms field is
// overwritten from the config in its constructor; reference §5.6).
inline constexpr Duration kPullTimeDelayWhenExceptionDefault = milliseconds(1000);
// OFFSET_ILLEGAL: the queue is dropped and its offset stored after this delay.
inline constexpr Duration kOffsetIllegalFixDelay = seconds(10);
// ConsumeMessageConcurrentlyService.submitConsumeRequestLater.
inline constexpr Duration kConsumeLaterDelay = seconds(5);
// DefaultMQPushConsumerImpl.sendMessageBack timeout; queryConsumerOffset timeout.
inline constexpr Duration kSendBackTimeout = seconds(5);
inline constexpr Duration kQueryConsumerOffsetTimeout = seconds(5);
// GET_ROUTEINFO_BY_TOPIC for TBW102 (updateTopicRouteInfoFromNameServer with isDefault).
inline constexpr Duration kDefaultTopicRouteTimeout = seconds(3);
// DefaultMQPullConsumer.
inline constexpr Duration kPullConsumerBrokerSuspendMaxTime = seconds(20);
inline constexpr Duration kPullConsumerTimeout = seconds(10);

}  // namespace rmqsim::client::limits
