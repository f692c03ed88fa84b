// ProcessQueue (apache/rocketmq 4.9.8 client/impl/consumer/ProcessQueue.java): the messages of
// one queue pulled but not yet consumed, by queue offset. Its smallest offset is the consumer's
// progress on the queue: what is committed to the broker.
#pragma once

#include <cstdint>
#include <map>
#include <string>
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

  // msgCount, kept apart from the map as Java's AtomicLong is (the invariant ties them).
  size_t msg_count() const { return msg_count_; }
  int64_t msg_size_bytes() const { return msg_size_bytes_; }
  const std::map<int64_t, common::MessageExt>& messages() const { return msg_tree_map_; }
  bool dropped() const { return dropped_; }
  void set_dropped(bool dropped) { dropped_ = dropped; }
  // A pull brought messages at queue offsets the consumer had already passed: below the offset
  // it asked for, or below its offset (the broker moved it back, or its log diverged from the
  // one consumed before: a master restarted after losing unflushed messages while its slave
  // served the pulls). Java keys those messages by their queue offset and keeps the offset
  // increase-only too, so the offset may lie past them: legal, and the offset-behind-in-flight
  // invariant no longer judges this queue.
  bool offsets_diverged() const { return offsets_diverged_; }
  void set_offsets_diverged() { offsets_diverged_ = true; }
  int64_t queue_offset_max() const { return queue_offset_max_; }

  // The invariant, checked (RMQ_SIM_ASSERT) after every put and remove: each queue offset is
  // held once (the map's key is the message's own queue offset), and msgCount and msgSize equal
  // the count and the total body size of the messages held. Returns the first violation or "".
  std::string CheckConsistency() const;
  // Tests only: holds `m` under `key` without the bookkeeping, to build a broken state.
  void InjectForTesting(int64_t key, const common::MessageExt& m) { msg_tree_map_[key] = m; }

 private:
  void AssertConsistent() const;

  std::map<int64_t, common::MessageExt> msg_tree_map_;
  size_t msg_count_ = 0;
  int64_t msg_size_bytes_ = 0;
  int64_t queue_offset_max_ = 0;
  bool dropped_ = false;
  bool offsets_diverged_ = false;
};

// The push consumer's invariant between its offset and its ProcessQueue: the offset it would
// commit for a live queue never passes a message still in flight there (committing it would skip
// that message after a restart or a rebalance), unless the queue's offsets diverged (see
// offsets_diverged()). Returns a description of the violation, or "".
std::string CheckOffsetBehindInFlight(int64_t offset, const ProcessQueue& pq);
// RMQ_SIM_ASSERT of it (simulation only); `where` names the consumer and queue in the report.
void AssertOffsetBehindInFlight(int64_t offset, const ProcessQueue& pq, const std::string& where);

}  // namespace rmqsim::client
