// MQFaultStrategy and LatencyFaultToleranceImpl (apache/rocketmq 4.9.8 client/latency/): with
// sendLatencyFaultEnable, a broker whose last send was slow or failed is avoided for a while.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "sim/base/random.h"
#include "sim/base/time.h"
#include "system/client/topic_publish_info.h"

namespace rmqsim::client {

class LatencyFaultTolerance {
 public:
  struct FaultItem {
    int64_t current_latency_ms = 0;
    MonoTime start;  // available again from this time on
  };
  explicit LatencyFaultTolerance(RandomSource& random)
      : random_(random), which_item_worst_(SendWhichQueue::Random(random)) {}

  // Records the latency of `name` and makes it unavailable for `not_available` from `now`.
  // Bounded by limits::kFaultItemsMax (one item per broker name; beyond, the update is dropped).
  void UpdateFaultItem(const std::string& name, int64_t current_latency_ms, Duration not_available,
                       MonoTime now);
  bool IsAvailable(const std::string& name, MonoTime now) const;
  void Remove(const std::string& name) { items_.erase(name); }
  // pickOneAtLeast: shuffles the items, sorts them (available first, then by latency, then by
  // the time they become available) and picks one of the better half round robin.
  std::optional<std::string> PickOneAtLeast(MonoTime now);
  const std::map<std::string, FaultItem>& items() const { return items_; }

 private:
  RandomSource& random_;
  SendWhichQueue which_item_worst_;
  std::map<std::string, FaultItem> items_;
};

class MQFaultStrategy {
 public:
  static constexpr std::array<int64_t, 7> kLatencyMax = {50, 100, 550, 1000, 2000, 3000, 15000};
  static constexpr std::array<int64_t, 7> kNotAvailableDuration = {0,      0,      30000, 60000,
                                                                   120000, 180000, 600000};

  explicit MQFaultStrategy(RandomSource& random) : fault_tolerance_(random) {}

  bool send_latency_fault_enable() const { return send_latency_fault_enable_; }
  void set_send_latency_fault_enable(bool enable) { send_latency_fault_enable_ = enable; }

  // The queue for the next attempt. Requires info.ok().
  MessageQueue SelectOneMessageQueue(TopicPublishInfo& info,
                                     const std::optional<std::string>& last_broker_name,
                                     MonoTime now);
  // After an attempt: `isolation` (a failure) counts as 30 s of latency.
  void UpdateFaultItem(const std::string& broker_name, int64_t current_latency_ms, bool isolation,
                       MonoTime now);
  // The duration of the highest latencyMax threshold `current_latency_ms` reaches.
  static int64_t ComputeNotAvailableDuration(int64_t current_latency_ms);

  const LatencyFaultTolerance& fault_tolerance() const { return fault_tolerance_; }

 private:
  bool send_latency_fault_enable_ = false;
  LatencyFaultTolerance fault_tolerance_;
};

}  // namespace rmqsim::client
