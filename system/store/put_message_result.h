// What goes into the store and what comes back from a put: MessageExtBrokerInner /
// MessageExtBatch (the inputs), PutMessageStatus, AppendMessageResult and PutMessageResult
// (store/.../PutMessageStatus.java, AppendMessageResult.java, PutMessageResult.java in 4.9.8).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "system/common/host_address.h"
#include "system/common/message.h"

namespace rmqsim::store {

enum class PutMessageStatus : uint8_t {
  kPutOk,
  kFlushDiskTimeout,
  kFlushSlaveTimeout,
  kSlaveNotAvailable,
  kServiceNotAvailable,
  kCreateMapedFileFailed,  // sic: CREATE_MAPEDFILE_FAILED
  kMessageIllegal,
  kPropertiesSizeExceeded,
  kOsPageCacheBusy,
  kUnknownError,
};
// "PUT_OK", "FLUSH_DISK_TIMEOUT", ... as in Java.
std::string_view PutMessageStatusName(PutMessageStatus s);
// Whether the message is in the commit log: PUT_OK, and the FLUSH_*/SLAVE_* statuses, whose
// messages ARE stored (only the flush or the replica is late or missing).
constexpr bool IsStored(PutMessageStatus s) {
  return s == PutMessageStatus::kPutOk || s == PutMessageStatus::kFlushDiskTimeout ||
         s == PutMessageStatus::kFlushSlaveTimeout || s == PutMessageStatus::kSlaveNotAvailable;
}

// One message as the broker hands it to the store (MessageExtBrokerInner). The store sets the
// store timestamp, body CRC, queue offset, physical offset and the host-family sysFlag bits.
struct PutMessageRequest {
  common::Message message;  // topic, flag, properties (TAGS, KEYS, WAIT, DELAY, ...), body
  int32_t queue_id = 0;
  int32_t sys_flag = 0;
  int64_t born_timestamp_ms = 0;
  common::HostAddress born_host;
  common::HostAddress store_host;
  int32_t reconsume_times = 0;
  int64_t prepared_transaction_offset = 0;
};

// A batch (MessageExtBatch): one topic and queue, many messages stored back to back in one file.
// Each message contributes its flag, body and properties (the broker has already merged the
// batch-level properties into each). Transactional batches and batches with DELAY are illegal.
struct PutMessagesRequest {
  std::string topic;
  int32_t queue_id = 0;
  int32_t sys_flag = 0;
  int64_t born_timestamp_ms = 0;
  common::HostAddress born_host;
  common::HostAddress store_host;
  int32_t reconsume_times = 0;
  std::vector<common::Message> messages;
  // Whether the producer waits for the store (PROPERTY_WAIT of the batch); SYNC_FLUSH only.
  bool wait_store_msg_ok = true;
};

// Where a put landed (AppendMessageResult).
struct AppendMessageResult {
  int64_t wrote_offset = 0;     // physical offset of the first record
  int32_t wrote_bytes = 0;      // bytes of all records written
  std::string msg_id;           // offset message id(s); a batch joins them with ','
  int64_t store_timestamp = 0;  // ms
  int64_t logics_offset = 0;    // queue offset of the first message
  int32_t msg_num = 1;          // messages written
};

struct PutMessageResult {
  PutMessageStatus status = PutMessageStatus::kUnknownError;
  // Set when the records were written (PUT_OK, and the FLUSH_*/SLAVE_* statuses, whose messages
  // ARE stored); absent when nothing was written.
  bool has_append_result = false;
  AppendMessageResult append_result;

  bool ok() const { return status == PutMessageStatus::kPutOk; }
};

}  // namespace rmqsim::store
