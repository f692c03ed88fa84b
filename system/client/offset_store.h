// Consumer offset stores (apache/rocketmq 4.9.8 client/consumer/store/): RemoteBrokerOffsetStore
// for clustering (offsets live on the broker; UPDATE_CONSUMER_OFFSET oneway when persisted) and
// LocalFileOffsetStore for broadcasting (<dir>/<clientId>/<group>/offsets.json through the
// Runtime's FileSystem: written to a temporary file, synced, renamed over the old one).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "sim/base/lifetime.h"
#include "sim/runtime/task.h"
#include "system/client/mq_client_instance.h"

namespace rmqsim::client {

// readOffset results that are not offsets.
inline constexpr int64_t kOffsetNotFound = -1;   // the group has no offset for the queue
inline constexpr int64_t kOffsetReadError = -2;  // the store could not be asked

class OffsetStore {
 public:
  virtual ~OffsetStore() = default;
  virtual Status Load() { return Status::Ok(); }
  // updateOffset: with `increase_only`, a smaller offset than the one held is ignored.
  void UpdateOffset(const MessageQueue& mq, int64_t offset, bool increase_only);
  // READ_FROM_MEMORY: the offset held, or kOffsetNotFound.
  int64_t ReadOffsetFromMemory(const MessageQueue& mq) const;
  // READ_FROM_STORE: asks the store and keeps the answer in memory; kOffsetNotFound or
  // kOffsetReadError when there is none.
  virtual Task<int64_t> ReadOffsetFromStore(MessageQueue mq) = 0;
  // persistAll: the offsets of `mqs`; offsets of other queues are forgotten (nothing is done
  // for an empty set).
  virtual void PersistAll(const std::set<MessageQueue>& mqs) = 0;
  virtual void Persist(const MessageQueue& mq) = 0;
  void RemoveOffset(const MessageQueue& mq) {
    offset_table_.erase(mq);
    committed_floor_.erase(mq);
  }
  const std::map<MessageQueue, int64_t>& offset_table() const { return offset_table_; }
  // Tests only: sets the in-memory offset bypassing updateOffset (no reset is recorded), to
  // build the broken state the invariant must catch.
  void SetOffsetForTesting(const MessageQueue& mq, int64_t offset) { offset_table_[mq] = offset; }

 protected:
  // Invariant (RMQ_ASSERT): the offset committed for a queue (sent to the broker, or written to
  // the offsets file) never goes backwards, except after an explicit reset: updateOffset with
  // increaseOnly false (the offset read from the store when a queue is taken, the OFFSET_ILLEGAL
  // correction, the pull consumer's updateConsumeOffset) or the queue's offset being removed
  // (rebalance, persistAll forgetting queues no longer owned).
  void NoteCommitted(const MessageQueue& mq, int64_t offset);
  void Forget(std::map<MessageQueue, int64_t>::iterator it) {
    committed_floor_.erase(it->first);
    offset_table_.erase(it);
  }

  std::map<MessageQueue, int64_t> offset_table_;
  // The last offset committed per queue since its last reset.
  std::map<MessageQueue, int64_t> committed_floor_;
};

class RemoteBrokerOffsetStore final : public OffsetStore {
 public:
  RemoteBrokerOffsetStore(MQClientInstance& instance, std::string group)
      : instance_(instance), group_(std::move(group)) {}
  Task<int64_t> ReadOffsetFromStore(MessageQueue mq) override;
  void PersistAll(const std::set<MessageQueue>& mqs) override;
  void Persist(const MessageQueue& mq) override;
  uint64_t offsets_sent() const { return offsets_sent_; }

 private:
  void UpdateConsumeOffsetToBroker(const MessageQueue& mq, int64_t offset);
  MQClientInstance& instance_;
  std::string group_;
  uint64_t offsets_sent_ = 0;
};

// The file: {"offsetTable":[{"brokerName":..,"offset":..,"queueId":..,"topic":..},...]}.
// (Java's fastjson writes MessageQueue objects as map keys, which is not standard JSON; this is
// the same content in a standard shape.)
std::string EncodeOffsetsJson(const std::map<MessageQueue, int64_t>& offsets);
StatusOr<std::map<MessageQueue, int64_t>> DecodeOffsetsJson(std::string_view json);

class LocalFileOffsetStore final : public OffsetStore {
 public:
  LocalFileOffsetStore(Runtime& rt, std::string dir, const std::string& client_id,
                       const std::string& group);
  // Reads the file if it exists (a damaged file is an error, as Java's load fails).
  Status Load() override;
  Task<int64_t> ReadOffsetFromStore(MessageQueue mq) override;
  void PersistAll(const std::set<MessageQueue>& mqs) override;
  void Persist(const MessageQueue& mq) override;
  const std::string& path() const { return path_; }
  uint64_t files_written() const { return files_written_; }

 private:
  // Writes the in-memory offsets of `mqs`. One write in flight; a request during it is redone
  // after it (bounded: one pending flag).
  void WriteFile(std::set<MessageQueue> mqs);
  Runtime& rt_;
  std::string dir_;
  std::string path_;
  std::map<MessageQueue, int64_t> persisted_;
  bool writing_ = false;
  std::optional<std::set<MessageQueue>> pending_;
  uint64_t files_written_ = 0;
  LifetimeGuard guard_;
};

}  // namespace rmqsim::client
