// SubscriptionGroupManager (broker/.../subscription/SubscriptionGroupManager.java in 4.9.8): per
// consumer group settings, created on first use when autoCreateSubscriptionGroup is on (the
// default). Held in memory only: subscriptionGroup.json is not written (every group has the
// defaults anyway until an admin command changes them, which is not modelled).
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace rmqsim::broker {

// SubscriptionGroupConfig defaults.
struct SubscriptionGroupConfig {
  std::string group_name;
  bool consume_enable = true;
  bool consume_from_min_enable = true;
  bool consume_broadcast_enable = true;
  int32_t retry_queue_nums = 1;
  int32_t retry_max_times = 16;
  int64_t broker_id = 0;
  int64_t which_broker_when_consume_slowly = 1;
  bool notify_consumer_ids_changed_enable = true;
};

class SubscriptionGroupManager {
 public:
  explicit SubscriptionGroupManager(bool auto_create) : auto_create_(auto_create) {}

  // findSubscriptionGroupConfig: the group's config, created with the defaults when missing and
  // auto-creation is on; nullptr otherwise.
  const SubscriptionGroupConfig* Find(const std::string& group) {
    auto it = table_.find(group);
    if (it != table_.end()) return &it->second;
    if (!auto_create_) return nullptr;
    SubscriptionGroupConfig c;
    c.group_name = group;
    return &table_.emplace(group, c).first->second;
  }
  void Update(const SubscriptionGroupConfig& c) { table_[c.group_name] = c; }
  const std::map<std::string, SubscriptionGroupConfig>& table() const { return table_; }

 private:
  bool auto_create_;
  std::map<std::string, SubscriptionGroupConfig> table_;
};

}  // namespace rmqsim::broker
