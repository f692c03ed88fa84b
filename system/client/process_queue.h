// ProcessQueue (apache/rocketmq 4.9.8 client/impl/consumer/ProcessQueue.java): the messages of
// one queue pulled but not yet consumed, by queue offset. Its smallest offset is the consumer's
// progress on the queue: what is committed to the broker.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "sim/base/time.h"
#include "system/common/stored_message.h"

namespace rmqsim::client {

class ProcessQueue {
 public:
  // putMessage: adds the messages not already present; returns how many were new.
  size_t PutMessages(const std::vector<common::MessageExt>& msgs);
  // removeMessage: removes the consumed messages and returns the offset to commit: the smallest
  // offset still in flight, or (all consumed) the largest offset seen + 1; -1 if nothing was in
  // flight.
  int64_t RemoveMessages(const std::vector<common::MessageExt>& msgs);
  // getMaxSpan: largest - smallest offset in flight (0 when empty).
  int64_t MaxSpan() const;

  size_t msg_count() const { return msg_tree_map_.size(); }
  int64_t msg_size_bytes() const { return msg_size_bytes_; }
  const std::map<int64_t, common::MessageExt>& messages() const { return msg_tree_map_; }
  bool dropped() const { return dropped_; }
  void set_dropped(bool dropped) { dropped_ = dropped; }
  int64_t queue_offset_max() const { return queue_offset_max_; }

 private:
  std::map<int64_t, common::MessageExt> msg_tree_map_;
  int64_t msg_size_bytes_ = 0;
  int64_t queue_offset_max_ = 0;
  bool dropped_ = false;
};

}  // namespace rmqsim::client
