// SubscriptionGroupManager (broker/.../subscription/SubscriptionGroupManager.java in 4.9.8): per
// consumer group settings, created with the defaults on first use when autoCreateSubscriptionGroup
// is on (the default), with a DataVersion bumped by every change and persisted as
// <storePathRootDir>/config/subscriptionGroup.json (SubscriptionGroupWrapper JSON). A slave
// replaces its table with its master's when the versions differ (SlaveSynchronize, code 201).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "sim/base/status.h"
#include "sim/runtime/runtime.h"
#include "system/broker/config_file.h"
#include "system/common/subscription_group.h"

namespace rmqsim::broker {

using SubscriptionGroupConfig = common::SubscriptionGroupConfig;

class SubscriptionGroupManager {
 public:
  // Adds the built-in groups (TOOLS_CONSUMER, FILTERSRV_CONSUMER, SELF_TEST_C_GROUP, ...,
  // CID_RMQ_SYS_TRANS).
  SubscriptionGroupManager(Runtime& rt, bool auto_create, std::string path);

  // Loads subscriptionGroup.json (or its .bak) over the built-in table.
  Status Load();

  // findSubscriptionGroupConfig: the group's config, created with the defaults when missing and
  // auto-creation is on (or the group has the CID_RMQ_SYS_ prefix); nullptr otherwise. The
  // pointer is valid until the table changes (Update, SyncFromMaster): use it at once, never
  // across a co_await.
  const SubscriptionGroupConfig* Find(const std::string& group);
  // updateSubscriptionGroupConfig: replaces or adds.
  void Update(const SubscriptionGroupConfig& c);
  // SlaveSynchronize.syncSubscriptionGroupConfig: the master's table and version when its
  // version differs from ours. True if replaced.
  bool SyncFromMaster(const common::SubscriptionGroupWrapper& master);

  const std::map<std::string, SubscriptionGroupConfig>& table() const { return table_; }
  const common::DataVersion& data_version() const { return data_version_; }
  std::string Encode() const;
  void Persist(ConfigFile::DoneCallback done = nullptr);

 private:
  void NextVersion();

  Runtime& rt_;
  bool auto_create_;
  ConfigFile file_;
  std::map<std::string, SubscriptionGroupConfig> table_;
  common::DataVersion data_version_;
};

}  // namespace rmqsim::broker
