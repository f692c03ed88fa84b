#include "system/client/mq_fault_strategy.h"

#include <algorithm>
#include <vector>

#include "system/client/client_limits.h"

namespace rmqsim::client {

void LatencyFaultTolerance::UpdateFaultItem(const std::string& name, int64_t current_latency_ms,
                                            Duration not_available, MonoTime now) {
  auto it = items_.find(name);
  if (it == items_.end()) {
    if (items_.size() >= limits::kFaultItemsMax) return;
    it = items_.emplace(name, FaultItem{}).first;
  }
  it->second.current_latency_ms = current_latency_ms;
  it->second.start = now + not_available;
}

bool LatencyFaultTolerance::IsAvailable(const std::string& name, MonoTime now) const {
  auto it = items_.find(name);
  return it == items_.end() || now >= it->second.start;
}

std::optional<std::string> LatencyFaultTolerance::PickOneAtLeast(MonoTime now) {
  if (items_.empty()) return std::nullopt;
  struct Entry {
    std::string name;
    FaultItem item;
  };
  std::vector<Entry> list;
  for (const auto& [name, item] : items_) list.push_back({name, item});
  for (size_t i = list.size(); i > 1; --i) {  // Collections.shuffle (Fisher-Yates)
    std::swap(list[i - 1], list[random_.Below(i)]);
  }
  std::stable_sort(list.begin(), list.end(), [now](const Entry& a, const Entry& b) {
    bool av = now >= a.item.start;
    bool bv = now >= b.item.start;
    if (av != bv) return av;
    if (a.item.current_latency_ms != b.item.current_latency_ms) {
      return a.item.current_latency_ms < b.item.current_latency_ms;
    }
    return a.item.start < b.item.start;
  });
  size_t half = list.size() / 2;
  if (half == 0) return list[0].name;
  return list[static_cast<size_t>(which_item_worst_.Next()) % half].name;
}

MessageQueue MQFaultStrategy::SelectOneMessageQueue(
    TopicPublishInfo& info, const std::optional<std::string>& last_broker_name, MonoTime now) {
  if (!send_latency_fault_enable_) return info.SelectOneMessageQueue(last_broker_name);
  int32_t index = info.send_which_queue.Next();
  const auto& list = info.message_queue_list;
  for (size_t i = 0; i < list.size(); ++i) {
    int32_t pos = static_cast<int32_t>((static_cast<uint32_t>(index) + i) & 0x7FFFFFFFu) %
                  static_cast<int32_t>(list.size());
    if (fault_tolerance_.IsAvailable(list[pos].broker_name, now)) return list[pos];
  }
  auto not_best = fault_tolerance_.PickOneAtLeast(now);
  if (not_best) {
    int32_t write_queue_nums = info.QueueIdByBroker(*not_best);
    if (write_queue_nums > 0) {
      MessageQueue mq = info.SelectOneMessageQueue();
      mq.broker_name = *not_best;
      mq.queue_id = info.send_which_queue.Next() % write_queue_nums;
      return mq;
    }
    fault_tolerance_.Remove(*not_best);
  }
  return info.SelectOneMessageQueue();
}

void MQFaultStrategy::UpdateFaultItem(const std::string& broker_name, int64_t current_latency_ms,
                                      bool isolation, MonoTime now) {
  if (!send_latency_fault_enable_) return;
  int64_t duration = ComputeNotAvailableDuration(isolation ? 30000 : current_latency_ms);
  fault_tolerance_.UpdateFaultItem(broker_name, current_latency_ms, milliseconds(duration), now);
}

int64_t MQFaultStrategy::ComputeNotAvailableDuration(int64_t current_latency_ms) {
  for (size_t i = kLatencyMax.size(); i-- > 0;) {
    if (current_latency_ms >= kLatencyMax[i]) return kNotAvailableDuration[i];
  }
  return 0;
}

}  // namespace rmqsim::client
