// ConsumerOffsetManager (broker/.../offset/ConsumerOffsetManager.java with common ConfigManager
// in 4.9.8; reference §5.7): committed consumer offsets per "topic@group" and queue id, kept in
// memory and persisted as <storePathRootDir>/config/consumerOffset.json:
//
//   {"offsetTable":{"TopicTest@group_a":{"0":250,"1":248}}}
//
// (fastjson writes the integer keys bare, {0:250}; Load accepts both forms.) Persisting writes
// "<file>.tmp", fsyncs it, moves the old file to "<file>.bak" and renames the temp file into
// place; Load reads the file, or the .bak when the file is missing, empty or unparseable. A crash
// therefore rolls offsets back to the last persist and consumers see those messages again, as in
// RocketMQ. (Java's MixAll.string2File does not fsync; with fsync_before_rename = false this
// model does the same, and a power loss can then leave an empty file.)
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "sim/base/lifetime.h"
#include "sim/base/status.h"
#include "sim/base/time.h"
#include "sim/runtime/runtime.h"
#include "system/store/limits.h"

namespace rmqsim::store {

struct ConsumerOffsetManagerOptions {
  // BrokerPathConfigHelper.getConsumerOffsetPath (MessageStoreConfig::ConsumerOffsetPath()).
  std::string config_file_path = "store/config/consumerOffset.json";
  // BrokerController: first persist 10 s after start, then every flushConsumerOffsetInterval.
  Duration persist_first_delay = limits::kConsumerOffsetPersistFirstDelay;
  Duration flush_consumer_offset_interval = limits::kConsumerOffsetPersistInterval;
  bool fsync_before_rename = true;
};

class ConsumerOffsetManager {
 public:
  using QueueOffsets = std::map<int32_t, int64_t>;
  using OffsetTable = std::map<std::string, QueueOffsets>;  // "topic@group" -> queue -> offset
  using DoneCallback = std::function<void(const Status&)>;

  ConsumerOffsetManager(Runtime& rt, ConsumerOffsetManagerOptions options);
  ConsumerOffsetManager(const ConsumerOffsetManager&) = delete;
  ConsumerOffsetManager& operator=(const ConsumerOffsetManager&) = delete;
  ~ConsumerOffsetManager();

  // ConfigManager.load. Missing files are an empty table (OK); an unreadable file falls back to
  // the .bak; an error only when the .bak is also unreadable or corrupt.
  Status Load();
  // Schedules the periodic persist.
  void Start();
  // Stops the timer and persists once more; `done` when that persist finished.
  void Shutdown(DoneCallback done);

  // commitOffset. Negative offsets are ignored.
  void CommitOffset(std::string_view client_host, const std::string& group,
                    const std::string& topic, int32_t queue_id, int64_t offset);
  // queryOffset: -1 when unknown.
  int64_t QueryOffset(const std::string& group, const std::string& topic, int32_t queue_id) const;
  // All queues of topic@group, or null.
  const QueueOffsets* QueryOffsets(const std::string& group, const std::string& topic) const;
  std::set<std::string> WhichTopicByConsumer(const std::string& group) const;
  std::set<std::string> WhichGroupByTopic(const std::string& topic) const;
  void CloneOffset(const std::string& src_group, const std::string& dest_group,
                   const std::string& topic);
  void RemoveOffset(const std::string& group);
  const OffsetTable& offset_table() const { return offset_table_; }

  // The JSON document (pretty: tab-indented, as fastjson's pretty format).
  std::string Encode(bool pretty = false) const;
  // Replaces the table from a document. kInvalidArgument naming what is wrong.
  Status Decode(std::string_view json);
  // SlaveSynchronize.syncConsumerOffset: offsetTable.putAll(master's) — each topic@group of the
  // master's document replaces ours, groups only we have stay — then persists.
  Status SyncFromMaster(std::string_view json);

  // ConfigManager.persist; serialized (one requested during another runs after it). `done`
  // (optional) never runs inside the call.
  void Persist(DoneCallback done = nullptr);
  // Persists completed OK (for tests and checkers).
  uint64_t persist_count() const { return persist_count_; }

 private:
  void PersistTick();
  void StartPersist();
  void FinishPersist(const Status& st);
  void InstallTemp(const std::string& tmp);
  StatusOr<std::string> ReadWholeFile(const std::string& path) const;

  Runtime& rt_;
  ConsumerOffsetManagerOptions options_;
  OffsetTable offset_table_;
  TimerId timer_;
  bool started_ = false;
  bool persisting_ = false;
  bool persist_again_ = false;
  std::vector<DoneCallback> current_done_;
  std::vector<DoneCallback> next_done_;
  std::unique_ptr<File> tmp_file_;
  uint64_t persist_count_ = 0;
  LifetimeGuard guard_;
};

}  // namespace rmqsim::store
