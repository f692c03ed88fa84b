#include "system/common/consume_queue_entry.h"

#include <string>

namespace rmqsim::common {

std::array<std::byte, kConsumeQueueUnitSize> EncodeConsumeQueueEntry(const ConsumeQueueEntry& e) {
  std::array<std::byte, kConsumeQueueUnitSize> out{};
  StoreI64(out.data(), e.commit_log_offset);
  StoreI32(out.data() + 8, e.size);
  StoreI64(out.data() + 12, e.tags_code);
  return out;
}

void AppendConsumeQueueEntry(const ConsumeQueueEntry& e, Bytes* out) {
  const auto unit = EncodeConsumeQueueEntry(e);
  out->insert(out->end(), unit.begin(), unit.end());
}

StatusOr<ConsumeQueueEntry> DecodeConsumeQueueEntry(ByteSpan bytes) {
  if (bytes.size() < kConsumeQueueUnitSize) {
    return CorruptionError("consume queue entry truncated: needs " +
                           std::to_string(kConsumeQueueUnitSize) + " bytes, " +
                           std::to_string(bytes.size()) + " available");
  }
  ConsumeQueueEntry e;
  e.commit_log_offset = LoadI64(bytes.data());
  e.size = LoadI32(bytes.data() + 8);
  e.tags_code = LoadI64(bytes.data() + 12);
  return e;
}

}  // namespace rmqsim::common
