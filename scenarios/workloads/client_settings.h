// Client settings of a scenario (producer and consumer `conf` maps, topology.client_conf) in
// Java's property spelling, applied to the client library's config structs.
#pragma once

#include <string_view>

#include "sim/base/status.h"
#include "system/client/client_config.h"
#include "system/client/default_mq_producer.h"
#include "system/client/default_mq_push_consumer.h"

namespace rmqsim::scenarios {

enum class ClientRole : uint8_t { kAny, kProducer, kConsumer };

struct ClientSettings {
  client::ClientConfig client;
  client::ProducerConfig producer;
  client::PushConsumerConfig consumer;
};

// Client keys (namesrvAddr is set by the runner; pollNameServerInterval, heartbeatBrokerInterval,
// persistConsumerOffsetInterval, mqClientApiTimeout, pullTimeDelayMillsWhenException), producer
// keys (sendMsgTimeout, retryTimesWhenSendFailed, retryTimesWhenSendAsyncFailed,
// retryAnotherBrokerWhenNotStoreOK, sendLatencyFaultEnable, maxMessageSize,
// compressMsgBodyOverHowmuch) and consumer keys (pullBatchSize, consumeMessageBatchMaxSize,
// pullThresholdForQueue, pullThresholdSizeForQueue, consumeConcurrentlyMaxSpan, pullInterval,
// consumeFromWhere, brokerSuspendMaxTimeMillis, consumerTimeoutMillisWhenSuspend,
// postSubscriptionWhenPull). kInvalidArgument names the key and what is wrong with the value.
Status ApplyClientSetting(ClientSettings& s, ClientRole role, std::string_view key,
                          std::string_view value);

}  // namespace rmqsim::scenarios
