// SendResult and SendStatus (apache/rocketmq 4.9.8 client/producer/).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "system/common/message_queue.h"

namespace rmqsim::client {

enum class SendStatus : uint8_t {
  SEND_OK,
  FLUSH_DISK_TIMEOUT,
  FLUSH_SLAVE_TIMEOUT,
  SLAVE_NOT_AVAILABLE,
};
std::string_view SendStatusName(SendStatus status);

struct SendResult {
  SendStatus send_status = SendStatus::SEND_OK;
  // The client's UNIQ_KEY (comma-joined for a batch).
  std::string msg_id;
  // The broker's offset msg id (response header msgId; comma-joined for a batch).
  std::string offset_msg_id;
  common::MessageQueue message_queue;
  int64_t queue_offset = 0;
  std::string transaction_id;
  std::string region_id = "DefaultRegion";  // MSG_REGION extField
  bool trace_on = true;                     // TRACE_ON extField
};

// SEND_OK / the three "stored, but" statuses come back as a SendResult; everything else is an
// error Status. CommunicationMode as in Java.
enum class CommunicationMode : uint8_t { kSync, kAsync, kOneway };

}  // namespace rmqsim::client
