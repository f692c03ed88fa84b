// A ConsumeQueue entry (reference §4.7; ConsumeQueue.CQ_STORE_UNIT_SIZE in apache/rocketmq
// 4.9.8): commit-log offset (8) | record size (4) | tags code (8), big-endian. Logical offset n of
// a queue lives at byte n * 20 of the queue's files.
#pragma once

#include <array>
#include <cstdint>

#include "sim/base/status.h"
#include "system/common/byte_buffer.h"

namespace rmqsim::common {

inline constexpr size_t kConsumeQueueUnitSize = 20;

struct ConsumeQueueEntry {
  int64_t commit_log_offset = 0;
  int32_t size = 0;
  // TagsCode(TAGS) for normal topics; the delivery timestamp for SCHEDULE_TOPIC_XXXX.
  int64_t tags_code = 0;

  // A zero-filled slot (never written) reads as offset 0, size 0; real entries have size > 0.
  bool IsWritten() const { return commit_log_offset >= 0 && size > 0; }

  friend bool operator==(const ConsumeQueueEntry&, const ConsumeQueueEntry&) = default;
};

std::array<std::byte, kConsumeQueueUnitSize> EncodeConsumeQueueEntry(const ConsumeQueueEntry& e);
void AppendConsumeQueueEntry(const ConsumeQueueEntry& e, Bytes* out);
// Reads the 20 bytes at the start of `bytes`; kCorruption if fewer are available.
StatusOr<ConsumeQueueEntry> DecodeConsumeQueueEntry(ByteSpan bytes);

}  // namespace rmqsim::common
