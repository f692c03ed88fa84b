#include "system/broker/subscription_group_manager.h"

#include "system/common/mix_all.h"

namespace rmqsim::broker {

namespace {
// The groups SubscriptionGroupManager.init() creates (MixAll's TOOLS_CONSUMER_GROUP, ...).
constexpr const char* kBuiltInGroups[] = {
    "TOOLS_CONSUMER",     "FILTERSRV_CONSUMER",    "SELF_TEST_C_GROUP", "CID_ONS-HTTP-PROXY",
    "CID_ONSAPI_PULL",    "CID_ONSAPI_PERMISSION", "CID_ONSAPI_OWNER",  "CID_RMQ_SYS_TRANS",
};
}  // namespace

SubscriptionGroupManager::SubscriptionGroupManager(Runtime& rt, bool auto_create,
                                                   std::string path)
    : rt_(rt), auto_create_(auto_create), file_(rt, std::move(path)) {
  data_version_ = {.timestamp = ToUnixMillis(rt_.WallNow()), .counter = 0};
  for (const char* g : kBuiltInGroups) {
    SubscriptionGroupConfig c;
    c.group_name = g;
    table_[g] = c;
  }
}

Status SubscriptionGroupManager::Load() {
  return file_.Load([this](const std::string& text) -> Status {
    auto w = common::DecodeSubscriptionGroupWrapper(text);
    if (!w.ok()) return w.status();
    for (auto& [name, c] : w->subscription_group_table) table_[name] = c;
    data_version_ = w->data_version;
    return Status::Ok();
  });
}

void SubscriptionGroupManager::NextVersion() {
  data_version_.timestamp = ToUnixMillis(rt_.WallNow());
  ++data_version_.counter;
}

const SubscriptionGroupConfig* SubscriptionGroupManager::Find(const std::string& group) {
  auto it = table_.find(group);
  if (it != table_.end()) return &it->second;
  // findSubscriptionGroupConfig: created when auto-creation is on or the group is a system
  // consumer group (MixAll.isSysConsumerGroup: the CID_RMQ_SYS_ prefix).
  if (!auto_create_ && !common::IsSysConsumerGroup(group)) return nullptr;
  SubscriptionGroupConfig c;
  c.group_name = group;
  auto* created = &table_.emplace(group, c).first->second;
  NextVersion();
  rt_.Trace(TraceEvent("BrokerSubscriptionGroupCreated")
                .Detail("Group", group)
                .Detail("Counter", data_version_.counter));
  Persist();
  return created;
}

void SubscriptionGroupManager::Update(const SubscriptionGroupConfig& c) {
  table_[c.group_name] = c;
  NextVersion();
  Persist();
}

bool SubscriptionGroupManager::SyncFromMaster(const common::SubscriptionGroupWrapper& master) {
  if (master.data_version == data_version_) return false;
  table_ = master.subscription_group_table;
  data_version_ = master.data_version;
  Persist();
  return true;
}

std::string SubscriptionGroupManager::Encode() const {
  common::SubscriptionGroupWrapper w;
  w.subscription_group_table = table_;
  w.data_version = data_version_;
  return common::EncodeSubscriptionGroupWrapper(w);
}

void SubscriptionGroupManager::Persist(ConfigFile::DoneCallback done) {
  file_.Persist(Encode(), std::move(done));
}

}  // namespace rmqsim::broker
