// The POP consumption protocol of RocketMQ 5.x (not in 4.9.8), shared by the broker, the client
// and the proxy: the checkpoint and ack records the broker writes to its revive topic
// (PopCheckPoint.java and AckMsg.java: JSON with short keys), the receipt handle a popped message
// carries ("extraInfo", ExtraInfoUtil.java) and the per-queue offset summaries of a pop response
// (startOffsetInfo, msgOffsetInfo). Names and formats as at apache/rocketmq 5.3.3.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/base/status.h"

namespace rmqsim::common {

// PopAckConstants / KeyBuilder.
inline constexpr std::string_view kReviveTopicPrefix = "rmq_sys_REVIVE_LOG_";
inline constexpr std::string_view kReviveGroup = "CID_RMQ_SYS_REVIVE_GROUP";
inline constexpr std::string_view kCkTag = "ck";
inline constexpr std::string_view kAckTag = "ack";
inline constexpr int32_t kReviveQueueNum = 8;          // BrokerConfig.reviveQueueNum
inline constexpr int32_t kPopRetryQueueNum = 1;        // PopAckConstants.retryQueueNum
inline constexpr int32_t kPopMaxMsgNums = 32;          // PopMessageProcessor's limit
// MessageConst.PROPERTY_POP_CK and PROPERTY_FIRST_POP_TIME.
inline constexpr std::string_view kPropertyPopCk = "POP_CK";
inline constexpr std::string_view kPropertyFirstPopTime = "1ST_POP_TIME";
// ExtraInfoUtil's retry flags.
inline constexpr std::string_view kPopNormalTopic = "0";
inline constexpr std::string_view kPopRetryTopicV1 = "1";

// rmq_sys_REVIVE_LOG_<clusterName>.
std::string ReviveTopic(std::string_view cluster_name);
// KeyBuilder.buildPopRetryTopicV1: %RETRY%<group>_<topic>.
std::string PopRetryTopic(std::string_view group, std::string_view topic);

// PopCheckPoint: one pop of one queue. Message i of the pop is at queue offset
// start_offset + queue_offset_diff[i].
struct PopCheckPoint {
  int64_t start_offset = 0;      // so
  int64_t pop_time = 0;          // pt (wall clock, ms)
  int64_t invisible_time = 0;    // it (ms)
  int32_t bit_map = 0;           // bm (unused by rmqsim's broker, kept for the format)
  int32_t num = 0;               // n
  int32_t queue_id = 0;          // q
  std::string topic;             // t
  std::string cid;               // c: the consumer group
  int64_t revive_offset = 0;     // ro
  std::vector<int32_t> queue_offset_diff;  // d
  std::string broker_name;       // bn

  int64_t ReviveTime() const { return pop_time + invisible_time; }
  // The index of the message at `queue_offset`, or -1.
  int IndexOf(int64_t queue_offset) const;
  bool operator==(const PopCheckPoint&) const = default;
};
std::string EncodePopCheckPoint(const PopCheckPoint& ck);
StatusOr<PopCheckPoint> DecodePopCheckPoint(std::string_view json);

// AckMsg: the acknowledgement of one popped message.
struct AckMsg {
  int64_t ack_offset = 0;     // ao: the message's queue offset
  int64_t start_offset = 0;   // so: its checkpoint's start offset
  std::string consumer_group; // c
  std::string topic;          // t
  int32_t queue_id = 0;       // q
  int64_t pop_time = 0;       // pt
  std::string broker_name;    // bn
  bool operator==(const AckMsg&) const = default;
};
std::string EncodeAckMsg(const AckMsg& ack);
StatusOr<AckMsg> DecodeAckMsg(std::string_view json);

// The key that pairs a checkpoint with its acks (PopReviveService's merge key, without the broker
// name: a broker only reads its own revive topic, and a client behind a proxy may not know the
// name of the broker that served its pop).
std::string PopMergeKey(std::string_view topic, std::string_view group, int32_t queue_id,
                        int64_t start_offset, int64_t pop_time);

// ExtraInfoUtil.buildExtraInfo: "ckQueueOffset popTime invisibleTime reviveQid retryFlag
// brokerName queueId queueOffset".
struct ExtraInfo {
  int64_t ck_queue_offset = 0;
  int64_t pop_time = 0;
  int64_t invisible_time = 0;
  int32_t revive_qid = 0;
  std::string retry_flag = std::string(kPopNormalTopic);
  std::string broker_name;
  int32_t queue_id = 0;
  int64_t queue_offset = 0;
  bool retry() const { return retry_flag != kPopNormalTopic; }
};
std::string BuildExtraInfo(const ExtraInfo& e);
// kInvalidArgument naming the field for anything but eight well-formed fields.
StatusOr<ExtraInfo> ParseExtraInfo(std::string_view text);

// startOffsetInfo ("retryFlag queueId startOffset" joined by ";") and msgOffsetInfo
// ("retryFlag queueId off1,off2,..." joined by ";"), keyed by "retryFlag queueId".
class PopOffsetInfo {
 public:
  void AddStart(std::string_view retry_flag, int32_t queue_id, int64_t start_offset);
  void AddMessages(std::string_view retry_flag, int32_t queue_id,
                   const std::vector<int64_t>& offsets);
  std::string StartOffsetInfo() const;
  std::string MsgOffsetInfo() const;
  // Parses both strings of a response; `start_of` then answers per "retryFlag queueId".
  static StatusOr<PopOffsetInfo> Parse(std::string_view start_info, std::string_view msg_info);
  // The start (ck queue) offset of a message of `queue_id` at `queue_offset`, or -1.
  int64_t StartOf(std::string_view retry_flag, int32_t queue_id) const;

 private:
  std::vector<std::pair<std::string, int64_t>> starts_;
  std::vector<std::pair<std::string, std::vector<int64_t>>> msgs_;
};

}  // namespace rmqsim::common
