#include "system/broker/topic_config_manager.h"

#include <algorithm>

#include "system/common/perm_name.h"
#include "system/common/topic_validator.h"

namespace rmqsim::broker {

using common::TopicConfig;

TopicConfigManager::TopicConfigManager(Runtime& rt, const BrokerConfig& config, std::string path)
    : rt_(rt), config_(config), file_(rt, std::move(path)) {
  data_version_ = {.timestamp = ToUnixMillis(rt_.WallNow()), .counter = 0};
  auto make = [](std::string name, int32_t queues, int32_t perm) {
    TopicConfig c;
    c.topic_name = std::move(name);
    c.read_queue_nums = c.write_queue_nums = queues;
    c.perm = perm;
    return c;
  };
  const int32_t rw = common::kPermReadWrite;
  Add(make(std::string(common::kRmqSysSelfTestTopic), 1, rw), true);
  if (config_.auto_create_topic_enable) {
    Add(make(std::string(common::kAutoCreateTopicKeyTopic), config_.default_topic_queue_nums,
             common::kPermInherit | rw),
        true);
  }
  Add(make(std::string(common::kRmqSysBenchmarkTopic), 1024, rw), true);
  Add(make(config_.broker_cluster_name, common::kDefaultTopicQueueNums,
           common::kPermInherit | (config_.cluster_topic_enable ? rw : 0)),
      true);
  Add(make(config_.broker_name, 1, common::kPermInherit | (config_.broker_topic_enable ? rw : 0)),
      true);
  Add(make(std::string(common::kRmqSysOffsetMovedEvent), 1, rw), true);
  Add(make(std::string(common::kRmqSysScheduleTopic), kScheduleTopicQueueNum, rw), true);
  Add(make(config_.broker_cluster_name + "_REPLY_TOPIC", 1, rw), true);
}

void TopicConfigManager::Add(TopicConfig config, bool system) {
  if (system) system_topics_.insert(config.topic_name);
  std::string name = config.topic_name;
  table_[name] = std::move(config);
}

Status TopicConfigManager::Load() {
  return file_.Load([this](const std::string& text) -> Status {
    auto w = common::DecodeTopicConfigSerializeWrapper(text);
    if (!w.ok()) return w.status();
    for (auto& [name, c] : w->topic_config_table) table_[name] = c;
    data_version_ = w->data_version;
    rt_.Trace(TraceEvent("BrokerTopicsLoaded")
                  .Detail("Path", file_.path())
                  .Detail("Topics", static_cast<uint64_t>(w->topic_config_table.size()))
                  .Detail("Counter", data_version_.counter));
    return Status::Ok();
  });
}

const TopicConfig* TopicConfigManager::Select(const std::string& topic) const {
  auto it = table_.find(topic);
  return it == table_.end() ? nullptr : &it->second;
}

bool TopicConfigManager::IsOrderTopic(const std::string& topic) const {
  const TopicConfig* c = Select(topic);
  return c != nullptr && c->order;
}

bool TopicConfigManager::DeleteTopicConfig(const std::string& topic) {
  if (table_.erase(topic) == 0) return false;
  system_topics_.erase(topic);
  NextVersion();
  rt_.Trace(TraceEvent("BrokerTopicDeleted")
                .Detail("Topic", topic)
                .Detail("Counter", data_version_.counter));
  Persist();
  return true;
}

void TopicConfigManager::NextVersion() {
  // DataVersion.nextVersion: timestamp = now, counter + 1.
  data_version_.timestamp = ToUnixMillis(rt_.WallNow());
  ++data_version_.counter;
}

void TopicConfigManager::Changed(const TopicConfig& config, const char* reason) {
  NextVersion();
  rt_.Trace(TraceEvent("BrokerTopicCreated")
                .Detail("Topic", config.topic_name)
                .Detail("ReadQueueNums", config.read_queue_nums)
                .Detail("WriteQueueNums", config.write_queue_nums)
                .Detail("Perm", common::PermToString(config.perm))
                .Detail("Reason", reason)
                .Detail("Counter", data_version_.counter));
  Persist();
  if (on_change_) on_change_(config);
}

std::optional<TopicConfig> TopicConfigManager::CreateTopicInSendMessageMethod(
    const std::string& topic, const std::string& default_topic, int32_t client_queue_nums,
    int32_t topic_sys_flag) {
  if (const TopicConfig* existing = Select(topic)) return *existing;
  auto def = table_.find(default_topic);
  if (def == table_.end()) return std::nullopt;
  if (default_topic == common::kAutoCreateTopicKeyTopic && !config_.auto_create_topic_enable) {
    def->second.perm = common::kPermReadWrite;
  }
  if (!common::IsInherited(def->second.perm)) return std::nullopt;
  TopicConfig c;
  c.topic_name = topic;
  int32_t queues = std::max(0, std::min(client_queue_nums, def->second.write_queue_nums));
  c.read_queue_nums = c.write_queue_nums = queues;
  c.perm = def->second.perm & ~common::kPermInherit;
  c.topic_sys_flag = topic_sys_flag;
  c.topic_filter_type = def->second.topic_filter_type;
  table_[topic] = c;
  Changed(c, "AutoCreate");
  return c;
}

TopicConfig TopicConfigManager::CreateTopicInSendMessageBackMethod(const std::string& topic,
                                                                   int32_t queue_nums, int32_t perm,
                                                                   int32_t topic_sys_flag) {
  if (const TopicConfig* existing = Select(topic)) return *existing;
  TopicConfig c;
  c.topic_name = topic;
  c.read_queue_nums = c.write_queue_nums = queue_nums;
  c.perm = perm;
  c.topic_sys_flag = topic_sys_flag;
  table_[topic] = c;
  Changed(c, "SendBack");
  return c;
}

void TopicConfigManager::UpdateTopicConfig(const TopicConfig& config) {
  table_[config.topic_name] = config;
  Changed(config, "Admin");
}

bool TopicConfigManager::SyncFromMaster(const common::TopicConfigSerializeWrapper& master) {
  if (master.data_version == data_version_) return false;
  table_ = master.topic_config_table;
  data_version_ = master.data_version;
  rt_.Trace(TraceEvent("BrokerTopicsSynced")
                .Detail("Topics", static_cast<uint64_t>(table_.size()))
                .Detail("Counter", data_version_.counter));
  Persist();
  return true;
}

common::TopicConfigSerializeWrapper TopicConfigManager::Wrapper() const {
  common::TopicConfigSerializeWrapper w;
  w.topic_config_table = table_;
  w.data_version = data_version_;
  return w;
}

std::string TopicConfigManager::Encode() const {
  return common::EncodeTopicConfigSerializeWrapper(Wrapper());
}

void TopicConfigManager::Persist(ConfigFile::DoneCallback done) {
  file_.Persist(Encode(), std::move(done));
}

}  // namespace rmqsim::broker
