// PullResult and PullStatus (apache/rocketmq 4.9.8 client/consumer/).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "system/common/stored_message.h"

namespace rmqsim::client {

enum class PullStatus : uint8_t {
  FOUND,           // SUCCESS
  NO_NEW_MSG,      // PULL_NOT_FOUND
  NO_MATCHED_MSG,  // PULL_RETRY_IMMEDIATELY
  OFFSET_ILLEGAL,  // PULL_OFFSET_MOVED
};
std::string_view PullStatusName(PullStatus status);

struct PullResult {
  PullStatus pull_status = PullStatus::NO_NEW_MSG;
  int64_t next_begin_offset = 0;
  int64_t min_offset = 0;
  int64_t max_offset = 0;
  // Decoded, bodies inflated, filtered by the subscription's tags (client side), with the
  // MIN_OFFSET / MAX_OFFSET properties added.
  std::vector<common::MessageExt> msg_found_list;
  int64_t suggest_which_broker_id = 0;
  // Records of the body skipped because one did not decode (Java's MessageDecoder drops the rest
  // of the batch from the first bad record on); the queue still moves to next_begin_offset.
  int32_t undecodable = 0;
};

}  // namespace rmqsim::client
