// Flag bits: MessageSysFlag (reference §4.3), CompressionType, PullSysFlag (§3.2) and
// TopicSysFlag, as in apache/rocketmq 4.9.8 common/.../sysflag/.
#pragma once

#include <cstdint>
#include <string_view>

#include "sim/base/status.h"

namespace rmqsim::common {

// MessageSysFlag.
inline constexpr int32_t kCompressedFlag = 0x1;
inline constexpr int32_t kMultiTagsFlag = 0x1 << 1;
inline constexpr int32_t kTransactionNotType = 0;
inline constexpr int32_t kTransactionPreparedType = 0x1 << 2;
inline constexpr int32_t kTransactionCommitType = 0x2 << 2;
inline constexpr int32_t kTransactionRollbackType = 0x3 << 2;
inline constexpr int32_t kBornHostV6Flag = 0x1 << 4;
inline constexpr int32_t kStoreHostAddressV6Flag = 0x1 << 5;
inline constexpr int32_t kNeedUnwrapFlag = 0x1 << 6;
inline constexpr int32_t kInnerBatchFlag = 0x1 << 7;
inline constexpr int32_t kCompressionLz4Type = 0x1 << 8;
inline constexpr int32_t kCompressionZstdType = 0x2 << 8;
inline constexpr int32_t kCompressionZlibType = 0x3 << 8;
inline constexpr int32_t kCompressionTypeComparator = 0x7 << 8;

// The transaction type bits (NOT / PREPARED / COMMIT / ROLLBACK).
inline constexpr int32_t GetTransactionValue(int32_t flag) {
  return flag & kTransactionRollbackType;
}
inline constexpr int32_t ResetTransactionValue(int32_t flag, int32_t type) {
  return (flag & ~kTransactionRollbackType) | type;
}
inline constexpr int32_t ClearCompressedFlag(int32_t flag) {
  return flag & ~kCompressedFlag;
}

enum class CompressionType { kLz4 = 1, kZstd = 2, kZlib = 3 };
std::string_view CompressionTypeName(CompressionType type);
// Bits 8-10; 0 means ZLIB (clients before 4.9.4 set only COMPRESSED). 4-7 are errors.
StatusOr<CompressionType> GetCompressionType(int32_t sys_flag);
inline constexpr int32_t CompressionFlag(CompressionType type) {
  return static_cast<int32_t>(type) << 8;
}

// PullSysFlag.
inline constexpr int32_t kPullFlagCommitOffset = 0x1;
inline constexpr int32_t kPullFlagSuspend = 0x1 << 1;
inline constexpr int32_t kPullFlagSubscription = 0x1 << 2;
inline constexpr int32_t kPullFlagClassFilter = 0x1 << 3;
inline constexpr int32_t kPullFlagLitePullMessage = 0x1 << 4;

inline constexpr int32_t BuildPullSysFlag(bool commit_offset, bool suspend, bool subscription,
                                          bool class_filter, bool lite_pull = false) {
  return (commit_offset ? kPullFlagCommitOffset : 0) | (suspend ? kPullFlagSuspend : 0) |
         (subscription ? kPullFlagSubscription : 0) | (class_filter ? kPullFlagClassFilter : 0) |
         (lite_pull ? kPullFlagLitePullMessage : 0);
}
inline constexpr int32_t ClearCommitOffsetFlag(int32_t f) {
  return f & ~kPullFlagCommitOffset;
}
inline constexpr bool HasCommitOffsetFlag(int32_t f) {
  return (f & kPullFlagCommitOffset) != 0;
}
inline constexpr bool HasSuspendFlag(int32_t f) {
  return (f & kPullFlagSuspend) != 0;
}
inline constexpr bool HasSubscriptionFlag(int32_t f) {
  return (f & kPullFlagSubscription) != 0;
}
inline constexpr bool HasClassFilterFlag(int32_t f) {
  return (f & kPullFlagClassFilter) != 0;
}
inline constexpr bool HasLitePullFlag(int32_t f) {
  return (f & kPullFlagLitePullMessage) != 0;
}

// TopicSysFlag (TopicConfig.topicSysFlag, QueueData.topicSysFlag).
inline constexpr int32_t kTopicFlagUnit = 0x1;
inline constexpr int32_t kTopicFlagUnitSub = 0x1 << 1;
inline constexpr int32_t BuildTopicSysFlag(bool unit, bool has_unit_sub) {
  return (unit ? kTopicFlagUnit : 0) | (has_unit_sub ? kTopicFlagUnitSub : 0);
}

}  // namespace rmqsim::common
