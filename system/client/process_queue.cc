#include "system/client/process_queue.h"

namespace rmqsim::client {

size_t ProcessQueue::PutMessages(const std::vector<common::MessageExt>& msgs) {
  size_t added = 0;
  for (const auto& m : msgs) {
    if (msg_tree_map_.emplace(m.queue_offset, m).second) {
      ++added;
      msg_size_bytes_ += static_cast<int64_t>(m.message.body().size());
      queue_offset_max_ = m.queue_offset;
    }
  }
  return added;
}

int64_t ProcessQueue::RemoveMessages(const std::vector<common::MessageExt>& msgs) {
  if (msg_tree_map_.empty()) return -1;
  int64_t result = queue_offset_max_ + 1;
  for (const auto& m : msgs) {
    auto it = msg_tree_map_.find(m.queue_offset);
    if (it == msg_tree_map_.end()) continue;
    msg_size_bytes_ -= static_cast<int64_t>(it->second.message.body().size());
    msg_tree_map_.erase(it);
  }
  if (!msg_tree_map_.empty()) result = msg_tree_map_.begin()->first;
  return result;
}

int64_t ProcessQueue::MaxSpan() const {
  if (msg_tree_map_.empty()) return 0;
  return msg_tree_map_.rbegin()->first - msg_tree_map_.begin()->first;
}

}  // namespace rmqsim::client
