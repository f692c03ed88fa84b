#include "system/common/message_const.h"

namespace rmqsim::common {

bool IsSystemPropertyName(std::string_view name) {
  static constexpr std::string_view kNames[] = {
      kPropertyTraceSwitch,
      kPropertyMsgRegion,
      kPropertyKeys,
      kPropertyTags,
      kPropertyWaitStoreMsgOk,
      kPropertyDelayTimeLevel,
      kPropertyRetryTopic,
      kPropertyRealTopic,
      kPropertyRealQueueId,
      kPropertyTransactionPrepared,
      kPropertyProducerGroup,
      kPropertyMinOffset,
      kPropertyMaxOffset,
      kPropertyBuyerId,
      kPropertyOriginMessageId,
      kPropertyTransferFlag,
      kPropertyCorrectionFlag,
      kPropertyMq2Flag,
      kPropertyReconsumeTime,
      kPropertyUniqClientMessageIdKeyidx,
      kPropertyMaxReconsumeTimes,
      kPropertyConsumeStartTimestamp,
      kPropertyInstanceId,
      kPropertyCorrelationId,
      kPropertyMessageReplyToClient,
      kPropertyMessageTtl,
      kPropertyReplyMessageArriveTime,
      kPropertyPushReplyTime,
      kPropertyCluster,
      kPropertyMessageType,
      kPropertyInnerMultiQueueOffset,
  };
  for (std::string_view n : kNames) {
    if (n == name) return true;
  }
  return false;
}

}  // namespace rmqsim::common
