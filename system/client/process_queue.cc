#include "system/client/process_queue.h"

#include "sim/base/assert.h"
#include "sim/base/planted_bugs.h"

namespace rmqsim::client {

size_t ProcessQueue::PutMessages(const std::vector<common::MessageExt>& msgs) {
  size_t added = 0;
  for (const auto& m : msgs) {
    if (msg_tree_map_.emplace(m.queue_offset, m).second) {
      ++added;
      ++msg_count_;
      msg_size_bytes_ += static_cast<int64_t>(m.message.body().size());
      queue_offset_max_ = m.queue_offset;
    }
  }
  AssertConsistent();
  return added;
}

int64_t ProcessQueue::RemoveMessages(const std::vector<common::MessageExt>& msgs) {
  if (msg_tree_map_.empty()) return -1;
  int64_t result = queue_offset_max_ + 1;
  for (const auto& m : msgs) {
    auto it = msg_tree_map_.find(m.queue_offset);
    if (it == msg_tree_map_.end()) continue;
    msg_size_bytes_ -= static_cast<int64_t>(it->second.message.body().size());
    --msg_count_;
    msg_tree_map_.erase(it);
  }
  // PLANTED BUG (tests only): the offset to commit skips messages still in flight.
  if (!msg_tree_map_.empty() && !RMQ_PLANTED_BUG("client.commit_on_receipt")) {
    result = msg_tree_map_.begin()->first;
  }
  AssertConsistent();
  return result;
}

int64_t ProcessQueue::MaxSpan() const {
  if (msg_tree_map_.empty()) return 0;
  return msg_tree_map_.rbegin()->first - msg_tree_map_.begin()->first;
}

std::string ProcessQueue::CheckConsistency() const {
  int64_t bytes = 0;
  for (const auto& [offset, m] : msg_tree_map_) {
    if (m.queue_offset != offset) {
      return "the message with queue offset " + std::to_string(m.queue_offset) +
             " is held under offset " + std::to_string(offset);
    }
    bytes += static_cast<int64_t>(m.message.body().size());
  }
  if (msg_count_ != msg_tree_map_.size()) {
    return "msgCount " + std::to_string(msg_count_) + " but " +
           std::to_string(msg_tree_map_.size()) + " messages held";
  }
  if (bytes != msg_size_bytes_) {
    return "msgSize " + std::to_string(msg_size_bytes_) + " but the messages held have " +
           std::to_string(bytes) + " body bytes";
  }
  return "";
}

void ProcessQueue::AssertConsistent() const {
  // Cheap and always on: the counters cannot go negative, and an empty queue holds no bytes.
  RMQ_ASSERT_MSG(msg_size_bytes_ >= 0 && (msg_count_ != 0 || msg_size_bytes_ == 0),
                 "ProcessQueue counters broken: msgCount " + std::to_string(msg_count_) +
                     ", msgSize " + std::to_string(msg_size_bytes_));
  if (!InSimulation()) return;
  std::string problem = CheckConsistency();
  RMQ_SIM_ASSERT_MSG(problem.empty(), "ProcessQueue: " + problem);
}

std::string CheckOffsetBehindInFlight(int64_t offset, const ProcessQueue& pq) {
  if (pq.dropped() || pq.offsets_diverged() || pq.messages().empty()) return "";
  const int64_t first = pq.messages().begin()->first;
  if (offset <= first) return "";
  return "the offset is " + std::to_string(offset) + " but the message at queue offset " +
         std::to_string(first) + " is still in the ProcessQueue (committing it would skip it)";
}

void AssertOffsetBehindInFlight(int64_t offset, const ProcessQueue& pq, const std::string& where) {
  if (!InSimulation()) return;
  std::string problem = CheckOffsetBehindInFlight(offset, pq);
  RMQ_SIM_ASSERT_MSG(problem.empty(), where + ": " + problem);
}

}  // namespace rmqsim::client
