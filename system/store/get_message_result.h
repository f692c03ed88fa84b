// What a pull reads from the store: GetMessageStatus, GetMessageResult and the tag filter
// (store/.../GetMessageStatus.java, GetMessageResult.java, and the TAG branch of
// broker/.../filter/ExpressionMessageFilter.java in 4.9.8; reference §5.6).
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "system/common/byte_buffer.h"

namespace rmqsim::store {

enum class GetMessageStatus : uint8_t {
  kFound,
  kNoMatchedMessage,
  kMessageWasRemoving,
  kOffsetFoundNull,
  kOffsetOverflowBadly,
  kOffsetOverflowOne,
  kOffsetTooSmall,
  kNoMatchedLogicQueue,
  kNoMessageInQueue,
};
// "FOUND", "NO_MATCHED_MESSAGE", ... as in Java.
std::string_view GetMessageStatusName(GetMessageStatus s);

// The consume-queue side of a TAG subscription (SubscriptionData + ExpressionMessageFilter):
// "*" (or no subscription) matches everything; otherwise a tags code matches when its low 32
// bits are one of the subscribed tags' String.hashCode values. Entries without a tags code match.
struct MessageFilter {
  bool match_all = true;
  std::set<int32_t> tag_codes;

  static MessageFilter All() { return {}; }
  static MessageFilter Codes(std::set<int32_t> codes) { return {false, std::move(codes)}; }
  // FilterAPI.buildSubscriptionData: "" or "*" matches all; otherwise tags split on "||",
  // trimmed, empty parts dropped, each hashed with Java's String.hashCode.
  static MessageFilter FromTagsExpression(std::string_view sub_string);

  bool IsMatchedByConsumeQueue(std::optional<int64_t> tags_code) const;
};

struct GetMessageResult {
  GetMessageStatus status = GetMessageStatus::kNoMessageInQueue;
  int64_t next_begin_offset = 0;
  int64_t min_offset = 0;
  int64_t max_offset = 0;
  // The stored records found, each as raw bytes (§4.1), with its queue offset. A PULL response
  // body is their concatenation.
  std::vector<common::Bytes> message_buffers;
  std::vector<int64_t> message_queue_offsets;
  int64_t buffer_total_size = 0;
  bool suggest_pulling_from_slave = false;

  int32_t message_count() const { return static_cast<int32_t>(message_buffers.size()); }
  common::Bytes ConcatenatedBody() const;
};

}  // namespace rmqsim::store
