// DefaultMessageStore (store/.../DefaultMessageStore.java in 4.9.8): the broker's storage. A
// commit log, one consume queue per topic/queue fed by dispatch (ReputMessageService), the
// checkpoint and the abort file, the flush and clean services, and the read side of pulls.
//
// Lifecycle: Start() loads and recovers (see docs/store.md), catches dispatch up, creates the
// abort file and schedules the services; Shutdown(done) dispatches what is left, flushes the
// commit log and the consume queues, writes the checkpoint and removes the abort file. A store
// destroyed without Shutdown (a kill) runs nothing afterwards; the next Start sees the abort
// file and recovers abnormally.
//
// Everything runs on the runtime's executor; put results and Shutdown completion are delivered
// through callbacks, never inside the call that started them.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "sim/base/lifetime.h"
#include "sim/base/status.h"
#include "sim/runtime/pass_timer.h"
#include "sim/runtime/runtime.h"
#include "sim/runtime/task.h"
#include "system/common/stored_message.h"
#include "system/store/commit_log.h"
#include "system/store/consume_queue.h"
#include "system/store/get_message_result.h"
#include "system/store/message_store_config.h"
#include "system/store/put_message_result.h"
#include "system/store/store_checkpoint.h"

namespace rmqsim::store {

class DefaultMessageStore {
 public:
  using PutCallback = std::function<void(PutMessageResult)>;
  using DoneCallback = std::function<void(const Status&)>;
  // MessageArrivingListener: called after a record's consume-queue entry is written (and for
  // records that get none: prepared / rollback transactional ones), with the entry's queue offset
  // (the queue's max offset is then queue_offset + 1) and tags code. Not on a SLAVE.
  using DispatchListener = std::function<void(const std::string& topic, int32_t queue_id,
                                              int64_t queue_offset, int64_t tags_code)>;
  // Used fraction of the store's disk in [0, 1], or negative when unknown (the FileSystem has no
  // statfs; Java's UtilAll.getDiskPartitionSpaceUsedPercent).
  using DiskUsageProvider = std::function<double()>;

  DefaultMessageStore(Runtime& rt, MessageStoreConfig config);
  DefaultMessageStore(const DefaultMessageStore&) = delete;
  DefaultMessageStore& operator=(const DefaultMessageStore&) = delete;
  ~DefaultMessageStore();

  // load() + start(): recovery, dispatch catch-up, abort file, services. An error means the store
  // cannot be used (bad config, unreadable files, I/O errors during recovery).
  Status Start();
  // Locks storePathRootDir/lock (creating the root directory) for the store's life, so that a
  // second broker on the same store fails instead of writing into it. Start() takes it too; the
  // broker takes it first, before it loads its configuration files. Java takes it in start(),
  // after load() has already recovered (and maybe truncated) the files; rmqsim takes it before
  // touching anything.
  Status AcquireLock();
  // Final dispatch, flushes, checkpoint, abort file removed if all went well. `done` gets the
  // first error (the abort file is then kept, so the next start recovers abnormally).
  void Shutdown(DoneCallback done);
  bool started() const { return started_; }
  bool shutdown() const { return shutdown_; }

  // ------------------------------------------------------------------------------ writes
  void PutMessage(PutMessageRequest request, PutCallback cb);
  void PutMessages(PutMessagesRequest request, PutCallback cb);
  // Slave replication (appendToCommitLog): see CommitLog::AppendData; dispatch follows.
  StatusOr<int64_t> AppendToCommitLog(int64_t offset, common::ByteSpan data);
  // A diverged slave's unvalidated append (CommitLog::AppendRaw). Dispatch follows and, on a
  // slave, stalls at the first bytes that are not a record (ReputMessageService, brokerId != 0).
  StatusOr<int64_t> AppendRawToCommitLog(int64_t offset, common::ByteSpan data);
  // The commit-log offset a slave's dispatch is stuck at (bytes there are not a record), if any.
  std::optional<int64_t> reput_stalled_at() const { return reput_stalled_at_; }

  // ------------------------------------------------------------------------------ reads
  // getMessage. `max_total_bytes` caps the batch beyond Java's isTheBatchFull (0 = no extra
  // cap); `filter` null matches everything. An error (store shut down, I/O error reading the
  // consume queue or the first message) is what Java's null result means to the broker.
  StatusOr<GetMessageResult> GetMessage(const std::string& group, const std::string& topic,
                                        int32_t queue_id, int64_t offset, int32_t max_msg_nums,
                                        int64_t max_total_bytes, const MessageFilter* filter);
  // 0 for an unknown queue (Java creates an empty one on demand).
  int64_t GetMaxOffsetInQueue(const std::string& topic, int32_t queue_id) const;
  int64_t GetMinOffsetInQueue(const std::string& topic, int32_t queue_id) const;
  int64_t GetMessageTotalInQueue(const std::string& topic, int32_t queue_id) const;
  // The queue offset of the message stored at (or nearest to) `timestamp_ms`; 0 if none.
  int64_t GetOffsetInQueueByTime(const std::string& topic, int32_t queue_id,
                                 int64_t timestamp_ms) const;
  // The commit-log offset of entry `consume_queue_offset`; 0 if none.
  int64_t GetCommitLogOffsetInQueue(const std::string& topic, int32_t queue_id,
                                    int64_t consume_queue_offset) const;
  // Store time of entry `consume_queue_offset` (-1 if none) / of the queue's first entry.
  int64_t GetMessageStoreTimeStamp(const std::string& topic, int32_t queue_id,
                                   int64_t consume_queue_offset) const;
  int64_t GetEarliestMessageTime(const std::string& topic, int32_t queue_id) const;
  // lookMessageByOffset / selectOneMessageByOffset: the record at a commit-log offset. kNotFound
  // when no segment holds it.
  StatusOr<common::MessageExt> LookMessageByOffset(int64_t commit_log_offset) const;
  StatusOr<common::Bytes> SelectOneMessageByOffset(int64_t commit_log_offset) const;
  // checkInDiskByConsumeOffset: whether that entry's message is outside the "in memory" window.
  bool CheckInDiskByConsumeOffset(const std::string& topic, int32_t queue_id,
                                  int64_t consume_offset) const;
  int64_t GetMaxPhyOffset() const { return commit_log_->GetMaxOffset(); }
  int64_t GetMinPhyOffset() const { return commit_log_->GetMinOffset(); }
  // CommitLog.topicQueueTable: the next queue offset of every topic/queue written to.
  const std::map<TopicQueueKey, int64_t>& topic_queue_table() const {
    return commit_log_->topic_queue_table();
  }
  // Commit-log bytes not yet dispatched to consume queues.
  int64_t DispatchBehindBytes() const;
  int64_t reput_from_offset() const { return reput_from_offset_; }

  // ------------------------------------------------------------------------------ hooks
  void AddDispatchListener(DispatchListener listener);
  void set_disk_usage_provider(DiskUsageProvider p) { disk_usage_provider_ = std::move(p); }
  void set_replica_hook(CommitLog::ReplicaHook hook) {
    commit_log_->set_replica_hook(std::move(hook));
  }

  // ------------------------------------------------------------------------------ admin
  // executeDeleteFilesManually: the next 20 clean runs delete expired files regardless of hour.
  void ExecuteDeleteFilesManually();
  // One run of the clean services now (they also run every cleanResourceInterval).
  void CleanFilesPeriodically();
  // RunningFlags.isWriteable: not disk-full, no consume-queue write error, no failed rewrite.
  bool IsWriteable() const;
  bool disk_full() const { return disk_full_; }

  const MessageStoreConfig& config() const { return config_; }
  CommitLog& commit_log() { return *commit_log_; }
  const StoreCheckpoint& checkpoint() const { return *checkpoint_; }
  // The queue, or null when none exists.
  // cleanUnusedTopic: destroys the consume queues (files and offsets) of every topic not in
  // `keep` but the schedule topic, so that a topic created again starts at offset 0 (the commit
  // log keeps the records until retention). A queue in the middle of a flush is destroyed once
  // the flush is over. Returns how many topics went.
  int CleanUnusedTopic(const std::set<std::string>& keep);
  ConsumeQueue* GetConsumeQueue(const std::string& topic, int32_t queue_id) const;
  size_t consume_queue_count() const { return consume_queue_count_; }

 private:
  struct RecoverySummary {
    bool last_exit_ok = true;
    CommitLog::RecoverResult commit_log;
    int64_t reput_from = 0;
  };

  Status LoadConsumeQueues();
  StatusOr<RecoverySummary> Recover(bool last_exit_ok);
  int64_t RecoverConsumeQueues(Status* error);
  Status TruncateDirtyLogicFiles(int64_t phy_offset);
  // No commit-log segment: consume queues left behind point at nothing (ERROR unless none).
  Status DestroyLogicsWithoutCommitLog();
  Status DestroyLogics();
  void RecoverTopicQueueTable();
  StatusOr<ConsumeQueue*> FindOrCreateConsumeQueue(const std::string& topic, int32_t queue_id);

  PutMessageStatus CheckStoreStatus() const;
  void Reject(PutCallback cb, PutMessageStatus status);

  // ReputMessageService.
  void ScheduleReput();
  // Dispatches from reput_from_offset_ to the commit log's end, or stops before record number
  // max_records + 1 of this call (then *cut, when given, is set true).
  Status DoReput(int64_t max_records = std::numeric_limits<int64_t>::max(), bool* cut = nullptr);
  Status DoDispatch(const DispatchRequest& req);
  void OnDispatchError(const Status& st);

  // FlushConsumeQueueService.
  void FlushConsumeQueueTick();
  bool AnyConsumeQueueToFlush(int least_pages) const;
  void FlushConsumeQueues(int least_pages, bool write_checkpoint, DoneCallback done);

  // Clean services.
  void CleanTick();
  void DiskCheckTick();
  void DeleteExpiredCommitLogFiles();
  void DeleteExpiredConsumeQueueFiles();
  bool IsSpaceToDelete();
  std::optional<double> DiskUsage() const;

  int64_t NextOffsetCorrection(int64_t old_offset, int64_t new_offset) const;
  bool CheckInDiskByCommitOffset(int64_t offset_py, int64_t max_offset_py) const;
  bool IsTheBatchFull(int32_t size_py, int32_t max_msg_nums, int64_t max_total_bytes,
                      int64_t buffer_total, int32_t message_total, bool in_disk) const;

  Task<void> ShutdownTask(DoneCallback done);
  void CancelTimers();

  Runtime& rt_;
  MessageStoreConfig config_;
  std::unique_ptr<CommitLog> commit_log_;
  std::unique_ptr<StoreCheckpoint> checkpoint_;
  std::unique_ptr<FileLock> lock_;
  // The lowest commit-log offset a damaged consume queue needs dispatching from (recovery).
  std::optional<int64_t> rebuild_from_;
  // Dispatch has skipped a missing commit-log range: consume queues fill the entries it held with
  // placeholders so that later entries land at their records' queue offsets.
  bool skipped_log_gap_ = false;
  std::map<std::string, std::map<int32_t, std::unique_ptr<ConsumeQueue>>> consume_queue_table_;
  size_t consume_queue_count_ = 0;

  bool started_ = false;
  bool shutdown_ = false;
  int64_t reput_from_offset_ = 0;
  bool reput_scheduled_ = false;
  bool dispatch_error_ = false;
  std::optional<int64_t> reput_stalled_at_;
  TimerId dispatch_retry_timer_;
  std::vector<DispatchListener> listeners_;

  bool disk_full_ = false;
  bool clean_immediately_ = false;
  int manual_delete_times_ = 0;
  int64_t last_physical_min_offset_ = 0;
  DiskUsageProvider disk_usage_provider_;

  TimerId clean_timer_;
  TimerId disk_check_timer_;
  MonoTime last_cq_thorough_flush_{};

  LifetimeGuard guard_;
  // FlushConsumeQueueService's period; skips passes with nothing to flush.
  PassTimer cq_flush_timer_{rt_, guard_.Wrap([this] { FlushConsumeQueueTick(); })};
  TaskScope scope_;  // last: destroyed first
};

}  // namespace rmqsim::store
