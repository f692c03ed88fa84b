// TopicConfigManager (broker/.../topic/TopicConfigManager.java in 4.9.8): the broker's topics,
// their DataVersion, the built-in system topics, automatic creation (from TBW102 in the send path,
// retry / DLQ topics in the send-back path and on heartbeats) and persistence as
// <storePathRootDir>/config/topics.json:
//
//   {"dataVersion":{"counter":3,"timestamp":1767225600000},"topicConfigTable":{"T":{...}}}
//
// Every change bumps the DataVersion (counter + 1, timestamp = now) and persists the file; the
// owner is told (on_change) so that it re-registers with the name servers at once.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "sim/base/status.h"
#include "sim/runtime/runtime.h"
#include "system/broker/broker_config.h"
#include "system/broker/config_file.h"
#include "system/common/register_broker_body.h"
#include "system/common/topic_config.h"

namespace rmqsim::broker {

// ScheduleMessageService: SCHEDULE_TOPIC_XXXX has one queue per delay level (18).
inline constexpr int32_t kScheduleTopicQueueNum = 18;
// MixAll.DLQ_NUMS_PER_GROUP.
inline constexpr int32_t kDlqNumsPerGroup = 1;
// rmqsim's bound on a topic's read and write queue counts in UPDATE_AND_CREATE_TOPIC (Java has
// none; every queue is a consume-queue directory, and 1024 is far above what brokers use).
inline constexpr int32_t kTopicQueueNumsMax = 1024;

class TopicConfigManager {
 public:
  using ChangeListener = std::function<void(const common::TopicConfig& changed)>;

  // Builds the system topics from `config`: SELF_TEST_TOPIC, TBW102 (when auto-create is on),
  // BenchmarkTest, <cluster>, <brokerName>, OFFSET_MOVED_EVENT, SCHEDULE_TOPIC_XXXX,
  // <cluster>_REPLY_TOPIC.
  TopicConfigManager(Runtime& rt, const BrokerConfig& config, std::string path);

  // Loads topics.json (or its .bak) over the built-in table.
  Status Load();
  void set_change_listener(ChangeListener l) { on_change_ = std::move(l); }

  const common::TopicConfig* Select(const std::string& topic) const;
  const std::map<std::string, common::TopicConfig>& table() const { return table_; }
  const common::DataVersion& data_version() const { return data_version_; }
  bool IsSystemTopic(const std::string& topic) const { return system_topics_.contains(topic); }
  // isOrderTopic: the topic exists and is ordered.
  bool IsOrderTopic(const std::string& topic) const;

  // createTopicInSendMessageMethod: the existing config, or a new one inherited from
  // `default_topic` when that exists and carries PERM_INHERIT (queues = min(client's default
  // queue nums, default topic's write queues); perm without INHERIT); nullopt otherwise.
  std::optional<common::TopicConfig> CreateTopicInSendMessageMethod(
      const std::string& topic, const std::string& default_topic, int32_t client_queue_nums,
      int32_t topic_sys_flag);
  // createTopicInSendMessageBackMethod: the existing config or a new one with these settings.
  common::TopicConfig CreateTopicInSendMessageBackMethod(const std::string& topic,
                                                         int32_t queue_nums, int32_t perm,
                                                         int32_t topic_sys_flag);
  // updateTopicConfig (UPDATE_AND_CREATE_TOPIC): replaces or adds.
  void UpdateTopicConfig(const common::TopicConfig& config);
  // deleteTopicConfig (DELETE_TOPIC_IN_BROKER): removes the topic, bumps the data version and
  // persists. False if there was no such topic. No re-registration (as Java: the name servers
  // are told by DELETE_TOPIC_IN_NAMESRV, and the next registration no longer carries it).
  bool DeleteTopicConfig(const std::string& topic);
  // DataVersion.nextVersion without a topic change (a new brokerPermission must reach the name
  // servers, which skip registrations whose version they have seen).
  void BumpDataVersion() { NextVersion(); }
  // UPDATE_BROKER_CONFIG: the broker's settings changed at runtime (autoCreateTopicEnable).
  void set_broker_config(const BrokerConfig& config) { config_ = config; }

  // SlaveSynchronize.syncTopicConfig: the master's table and version when its version differs
  // from ours; persisted. True if replaced. (No re-registration: a slave's topics do not make
  // routes.)
  bool SyncFromMaster(const common::TopicConfigSerializeWrapper& master);

  // The TopicConfigSerializeWrapper JSON (topics.json and GET_ALL_TOPIC_CONFIG).
  std::string Encode() const;
  common::TopicConfigSerializeWrapper Wrapper() const;
  // Persists now (`done` optional).
  void Persist(ConfigFile::DoneCallback done = nullptr);

 private:
  void Add(common::TopicConfig config, bool system);
  void Changed(const common::TopicConfig& config, const char* reason);
  void NextVersion();

  Runtime& rt_;
  BrokerConfig config_;
  ConfigFile file_;
  std::map<std::string, common::TopicConfig> table_;
  std::set<std::string> system_topics_;
  common::DataVersion data_version_;
  ChangeListener on_change_;
};

}  // namespace rmqsim::broker
