// CommitLog (store/.../CommitLog.java in 4.9.8; reference §4.1, §4.8, §5.5): every message of
// the broker, appended to 20-digit-named segments under <storePathRootDir>/commitlog.
//
// Put: the store timestamp comes from the wall clock; DELAY > 0 moves a (non-transactional or
// committed) message to SCHEDULE_TOPIC_XXXX with REAL_TOPIC / REAL_QID, as asyncPutMessage does;
// the queue offset comes from the topic-queue table (0 for prepared and rollback records, which
// do not advance it); a record that does not fit in the current segment (with 8 bytes to spare)
// ends the segment with a blank marker and goes to the next one. Completion: ASYNC_FLUSH answers
// at once; SYNC_FLUSH (and WAIT=true) answers after an fsync covering the record, or
// FLUSH_DISK_TIMEOUT after syncFlushTimeout (the message IS stored); SYNC_MASTER then asks the
// replica hook (none: SLAVE_NOT_AVAILABLE, as a sync master without a slave answers).
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/base/lifetime.h"
#include "sim/base/status.h"
#include "sim/runtime/pass_timer.h"
#include "sim/runtime/runtime.h"
#include "system/common/byte_buffer.h"
#include "system/common/stored_message.h"
#include "system/store/mapped_file_queue.h"
#include "system/store/message_store_config.h"
#include "system/store/put_message_result.h"

namespace rmqsim::store {

class SegmentReader;
class StoreCheckpoint;

// One record as dispatch sees it (DispatchRequest).
struct DispatchRequest {
  std::string topic;
  int32_t queue_id = 0;
  int64_t commit_log_offset = 0;
  int32_t msg_size = 0;
  int64_t tags_code = 0;
  int64_t store_timestamp = 0;
  int64_t consume_queue_offset = 0;
  std::string keys;
  std::string uniq_key;
  int32_t sys_flag = 0;
  int64_t prepared_transaction_offset = 0;
};

// Key of the topic-queue table (Java keys it "topic-queueId").
struct TopicQueueKey {
  std::string topic;
  int32_t queue_id = 0;
  friend auto operator<=>(const TopicQueueKey&, const TopicQueueKey&) = default;
};

class CommitLog {
 public:
  using PutCallback = std::function<void(PutMessageResult)>;
  using StatusCallback = std::function<void(PutMessageStatus)>;
  // SYNC_MASTER: waits until a slave has the commit log up to next_offset (HAService); calls
  // `done` with PUT_OK, FLUSH_SLAVE_TIMEOUT or SLAVE_NOT_AVAILABLE.
  using ReplicaHook = std::function<void(int64_t next_offset, Duration timeout, StatusCallback)>;

  // What CheckMessageAndReturnSize found at a position.
  // kReadError: the bytes could not be read (EIO); nothing is known about the record.
  enum class RecordKind : uint8_t { kMessage, kEndOfFile, kInvalid, kReadError };
  struct Record {
    RecordKind kind = RecordKind::kInvalid;
    int32_t size = 0;  // bytes of the record (messages only)
    DispatchRequest request;
    std::string error;  // why a record is invalid
    Status read_error;  // kReadError only
  };

  // Whole records found after a recovery cut, and the segments they are in.
  struct IntactAfterCut {
    uint64_t records = 0;
    uint64_t segments = 0;
  };
  struct RecoverResult {
    int64_t start_offset = 0;     // where the scan began
    int64_t end_offset = 0;       // the recovered end (first invalid byte)
    uint64_t records = 0;         // valid records scanned
    int64_t truncated_bytes = 0;  // bytes after the end that were cut
  };

  CommitLog(Runtime& rt, const MessageStoreConfig& config);
  CommitLog(const CommitLog&) = delete;
  CommitLog& operator=(const CommitLog&) = delete;
  ~CommitLog();

  Status Load();

  // recoverNormally: validates the last three segments from the start of the third-last.
  StatusOr<RecoverResult> RecoverNormally();
  // recoverAbnormally: validates every record from the segment holding `start_offset` on.
  StatusOr<RecoverResult> RecoverAbnormally(int64_t start_offset);
  // The segment start abnormal recovery begins at: the segment holding the checkpoint's smaller
  // flush point; without flush points, the newest segment whose first message was stored at or
  // before the checkpoint's min timestamp (isMappedFileMatchedRecover); else the first segment.
  int64_t AbnormalRecoveryStartOffset(const StoreCheckpoint& checkpoint) const;

  // Appends (the store has done its own checks). `cb` never runs inside the call.
  void AsyncPutMessage(PutMessageRequest request, PutCallback cb);
  void AsyncPutMessages(PutMessagesRequest request, PutCallback cb);
  // Slave replication (CommitLog.appendData): appends the whole records at the start of `data`
  // at exactly `offset`, which must be the commit log's end (or, for an empty log, a segment
  // start). Each record is validated (magic, sizes, CRC, PHYSICALOFFSET = its position); a blank
  // marker must fill its segment exactly and ends it. Returns the bytes consumed; an incomplete
  // record at the end is left for the caller to complete. kCorruption for an invalid record
  // (nothing from it on is written), kFailedPrecondition for a wrong offset.
  StatusOr<int64_t> AppendData(int64_t offset, common::ByteSpan data);
  // What a 4.x slave really does (HAClient -> CommitLog.appendData writes whatever bytes the master
  // pushed at its end): appends `data` unvalidated at `offset` = the log's end, rolling segments
  // as they fill. Used once the slave's log has diverged from its master's (a master that lost
  // its unflushed tail to power loss while the slave had it): the master then pushes its own,
  // different bytes from the slave's end, usually from the middle of a record. The model's master
  // skips a full segment's blank tail (Java sends its zero bytes), so a frame at the next segment
  // start while the log ends inside the current one fills the rest of that segment first.
  // Returns the bytes appended; kFailedPrecondition for any other offset.
  StatusOr<int64_t> AppendRaw(int64_t offset, common::ByteSpan data);

  // Starts the periodic flush: FlushRealTimeService under ASYNC_FLUSH; under SYNC_FLUSH puts
  // flush on demand and the tick only retries what is left.
  void Start();
  void Shutdown();
  // Flushes everything written so far; `done` when durable or failed.
  void FlushAll(std::function<void(const Status&)> done);

  // The record bytes at [offset, offset + size), or nullopt when no segment holds all of them.
  StatusOr<std::optional<common::Bytes>> GetMessage(int64_t offset, int32_t size) const;
  // The whole record at `offset` (size read from its TOTALSIZE).
  StatusOr<std::optional<common::Bytes>> GetRecord(int64_t offset) const;
  // pickupStoreTimestamp: the store timestamp of the record at `offset`, -1 if unavailable.
  int64_t PickupStoreTimestamp(int64_t offset, int32_t size) const;
  // checkMessageAndReturnSize on the record at `pos` of `mf`.
  Record CheckMessageAndReturnSize(SegmentReader& reader, const MappedFile& mf, int64_t pos,
                                   bool check_crc) const;

  int64_t GetMinOffset() const;  // -1 when there is no segment
  int64_t GetMaxOffset() const { return queue_.GetMaxOffset(); }
  int64_t RollNextFile(int64_t offset) const;
  int64_t flushed_where() const { return queue_.flushed_where(); }
  // The log's physical bytes in [from, to), segment by segment (a full segment's blank tail is
  // not physical, so it is not part of what a slave receives either). Inspection: tests and the
  // scenarios' replica comparison.
  StatusOr<common::Bytes> ReadBytes(int64_t from, int64_t to) const;
  MappedFileQueue& mapped_file_queue() { return queue_; }
  const MappedFileQueue& mapped_file_queue() const { return queue_; }

  // deleteExpiredFileByTime: removes the oldest segments (never the last, at most
  // limits::kDeleteFilesBatchMax) last written more than `expired` ago, or all but the last if
  // clean_immediately; stops at the first one still live. Returns how many were removed.
  StatusOr<int> DeleteExpiredFile(Duration expired, int64_t now_ms, bool clean_immediately);

  const std::map<TopicQueueKey, int64_t>& topic_queue_table() const { return topic_queue_table_; }
  void set_topic_queue_table(std::map<TopicQueueKey, int64_t> table) {
    topic_queue_table_ = std::move(table);
  }
  void RemoveQueueFromTopicQueueTable(const std::string& topic, int32_t queue_id);

  // Called after every successful append (the store wakes its dispatch).
  void set_on_appended(std::function<void()> f) { on_appended_ = std::move(f); }
  void set_replica_hook(ReplicaHook hook) { replica_hook_ = std::move(hook); }
  size_t pending_group_commits() const { return group_commits_.size(); }
  // ScheduleMessageService.computeDeliverTimestamp.
  int64_t ComputeDeliverTimestamp(int32_t level, int64_t store_timestamp) const;
  int32_t max_delay_level() const { return static_cast<int32_t>(delay_levels_.size()); }

 private:
  // A new last segment, or nullptr after tracing StoreCreateMappedFileFailed.
  MappedFile* NewSegmentOrTrace();

  struct AppendOutcome {
    PutMessageStatus status = PutMessageStatus::kUnknownError;
    AppendMessageResult result;
  };
  struct GroupCommitRequest {
    TimerId timer;
    StatusCallback done;
  };

  IntactAfterCut CountIntactAfterCut(size_t index, int64_t pos) const;
  StatusOr<RecoverResult> RecoverFrom(size_t index, bool check_crc);
  AppendOutcome AppendRecords(common::Bytes& records, const std::vector<size_t>& starts,
                              const TopicQueueKey& key, int32_t tran_type, int64_t store_ts,
                              const common::HostAddress& store_host);
  PutMessageStatus DiskErrorStatus(const Status& st, std::string_view what);
  void Complete(PutMessageResult result, bool wait, PutCallback cb);
  void SubmitFlushRequest(int64_t next_offset, bool wait, StatusCallback done);
  void SubmitReplicaRequest(int64_t next_offset, bool wait, StatusCallback done);
  void CompleteGroupCommit(uint64_t id, PutMessageStatus status);
  void FlushTick();
  int FlushLeastPages() const;
  void Appended();
  void PostResult(PutCallback cb, PutMessageResult result);
  void RefreshLastModified();

  Runtime& rt_;
  const MessageStoreConfig& config_;
  std::vector<Duration> delay_levels_;
  MappedFileQueue queue_;
  std::map<TopicQueueKey, int64_t> topic_queue_table_;
  std::function<void()> on_appended_;
  ReplicaHook replica_hook_;

  std::map<uint64_t, GroupCommitRequest> group_commits_;
  uint64_t last_group_commit_id_ = 0;

  bool started_ = false;
  MonoTime last_thorough_flush_{};

  LifetimeGuard guard_;
  // FlushRealTimeService / GroupCommitService's period; skips passes with nothing to flush.
  PassTimer flush_timer_;
};

}  // namespace rmqsim::store
