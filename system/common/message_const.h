// Message property names (MessageConst in apache/rocketmq 4.9.8; reference §4.2). RocketMQ names
// stay RocketMQ names: kPropertyTags is MessageConst.PROPERTY_TAGS = "TAGS".
#pragma once

#include <string_view>

namespace rmqsim::common {

inline constexpr std::string_view kPropertyKeys = "KEYS";
inline constexpr std::string_view kPropertyTags = "TAGS";
inline constexpr std::string_view kPropertyWaitStoreMsgOk = "WAIT";
inline constexpr std::string_view kPropertyDelayTimeLevel = "DELAY";
inline constexpr std::string_view kPropertyRetryTopic = "RETRY_TOPIC";
inline constexpr std::string_view kPropertyRealTopic = "REAL_TOPIC";
inline constexpr std::string_view kPropertyRealQueueId = "REAL_QID";
inline constexpr std::string_view kPropertyTransactionPrepared = "TRAN_MSG";
inline constexpr std::string_view kPropertyProducerGroup = "PGROUP";
inline constexpr std::string_view kPropertyMinOffset = "MIN_OFFSET";
inline constexpr std::string_view kPropertyMaxOffset = "MAX_OFFSET";
inline constexpr std::string_view kPropertyBuyerId = "BUYER_ID";
inline constexpr std::string_view kPropertyOriginMessageId = "ORIGIN_MESSAGE_ID";
inline constexpr std::string_view kPropertyTransferFlag = "TRANSFER_FLAG";
inline constexpr std::string_view kPropertyCorrectionFlag = "CORRECTION_FLAG";
inline constexpr std::string_view kPropertyMq2Flag = "MQ2_FLAG";
inline constexpr std::string_view kPropertyReconsumeTime = "RECONSUME_TIME";
inline constexpr std::string_view kPropertyMsgRegion = "MSG_REGION";
inline constexpr std::string_view kPropertyTraceSwitch = "TRACE_ON";
inline constexpr std::string_view kPropertyUniqClientMessageIdKeyidx = "UNIQ_KEY";
inline constexpr std::string_view kPropertyMaxReconsumeTimes = "MAX_RECONSUME_TIMES";
inline constexpr std::string_view kPropertyConsumeStartTimestamp = "CONSUME_START_TIME";
inline constexpr std::string_view kPropertyTransactionPreparedQueueOffset =
    "TRAN_PREPARED_QUEUE_OFFSET";
inline constexpr std::string_view kPropertyTransactionCheckTimes = "TRANSACTION_CHECK_TIMES";
inline constexpr std::string_view kPropertyCheckImmunityTimeInSeconds =
    "CHECK_IMMUNITY_TIME_IN_SECONDS";
inline constexpr std::string_view kPropertyInstanceId = "INSTANCE_ID";
inline constexpr std::string_view kPropertyCorrelationId = "CORRELATION_ID";
inline constexpr std::string_view kPropertyMessageReplyToClient = "REPLY_TO_CLIENT";
inline constexpr std::string_view kPropertyMessageTtl = "TTL";
inline constexpr std::string_view kPropertyReplyMessageArriveTime = "ARRIVE_TIME";
inline constexpr std::string_view kPropertyPushReplyTime = "PUSH_REPLY_TIME";
inline constexpr std::string_view kPropertyCluster = "CLUSTER";
inline constexpr std::string_view kPropertyMessageType = "MSG_TYPE";
inline constexpr std::string_view kPropertyInnerMultiDispatch = "INNER_MULTI_DISPATCH";
inline constexpr std::string_view kPropertyInnerMultiQueueOffset = "INNER_MULTI_QUEUE_OFFSET";

// Separates several keys inside the KEYS property (MessageConst.KEY_SEPARATOR).
inline constexpr char kKeySeparator = ' ';

// True for the names Message.putUserProperty refuses (MessageConst.STRING_HASH_SET: every name
// above except TRAN_PREPARED_QUEUE_OFFSET, TRANSACTION_CHECK_TIMES,
// CHECK_IMMUNITY_TIME_IN_SECONDS and INNER_MULTI_DISPATCH).
bool IsSystemPropertyName(std::string_view name);

}  // namespace rmqsim::common
