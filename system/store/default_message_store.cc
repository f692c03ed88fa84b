#include "system/store/default_message_store.h"

#include <algorithm>
#include <limits>

#include "sim/base/assert.h"
#include "sim/base/buggify.h"
#include "sim/runtime/log.h"
#include "system/common/java_string.h"
#include "system/common/properties.h"
#include "system/common/sys_flag.h"
#include "system/common/topic_validator.h"
#include "system/store/limits.h"
#include "system/store/segment_reader.h"

namespace rmqsim::store {
namespace {

constexpr int64_t kUnit = static_cast<int64_t>(common::kConsumeQueueUnitSize);

// Java String.length(): UTF-16 code units.
size_t JavaLength(std::string_view utf8) {
  return common::Utf8ToJavaUtf16(utf8).size();
}

int HourOfDay(WallTime t, Duration utc_offset) {
  int64_t ms = ToUnixMillis(t) + ToMillis(utc_offset);
  int64_t h = ms / 3'600'000;
  if (ms < 0 && ms % 3'600'000 != 0) --h;  // floor
  return static_cast<int>(((h % 24) + 24) % 24);
}

// The consume-queue entry (offset_py, size_py) of `topic`/`queue_id` at queue offset
// `queue_offset` against the record bytes it led to: empty when they agree, else what differs.
// `queue_offset` < 0 skips the QUEUEOFFSET comparison (a slave's log may not match its queue
// offsets: see the diverged slave in docs/store.md). Only the bytes in hand are parsed (no I/O).
std::string EntryRecordMismatch(const common::Bytes& b, const std::string& topic, int32_t queue_id,
                                int64_t queue_offset, int64_t offset_py, int32_t size_py) {
  auto at = [&] {  // only for a mismatch: this runs for every entry read
    return " (entry " + topic + "/" + std::to_string(queue_id) + "@" +
           std::to_string(queue_offset) + " -> " + std::to_string(offset_py) + ")";
  };
  if (static_cast<int64_t>(b.size()) != size_py || b.size() < common::kSysFlagPosition + 4) {
    return "record of " + std::to_string(b.size()) + " bytes for size " + std::to_string(size_py) +
           at();
  }
  const std::byte* p = b.data();
  if (common::LoadI32(p) != size_py) return "TOTALSIZE " + std::to_string(common::LoadI32(p)) + at();
  if (common::LoadI32(p + common::kMagicCodePosition) != common::kMessageMagicCode) {
    return "not a message record" + at();
  }
  if (common::LoadI64(p + common::kPhysicalOffsetPosition) != offset_py) {
    return "PHYSICALOFFSET " + std::to_string(common::LoadI64(p + common::kPhysicalOffsetPosition)) +
           at();
  }
  if (common::LoadI32(p + common::kQueueIdPosition) != queue_id) {
    return "QUEUEID " + std::to_string(common::LoadI32(p + common::kQueueIdPosition)) + at();
  }
  if (queue_offset >= 0 && common::LoadI64(p + common::kQueueOffsetPosition) != queue_offset) {
    return "QUEUEOFFSET " + std::to_string(common::LoadI64(p + common::kQueueOffsetPosition)) + at();
  }
  const int32_t sys_flag = common::LoadI32(p + common::kSysFlagPosition);
  size_t pos = common::kBornHostPosition + ((sys_flag & common::kBornHostV6Flag) ? 20 : 8) + 8 +
               ((sys_flag & common::kStoreHostAddressV6Flag) ? 20 : 8) + 4 + 8;
  if (pos + 4 > b.size()) return "record too short for BODYLEN" + at();
  const int32_t body_len = common::LoadI32(p + pos);
  pos += 4 + static_cast<size_t>(std::max(body_len, 0));
  if (body_len < 0 || pos + 1 > b.size()) return "BODYLEN " + std::to_string(body_len) + at();
  const size_t topic_len = static_cast<size_t>(static_cast<uint8_t>(p[pos]));
  pos += 1;
  if (pos + topic_len > b.size()) return "TOPICLEN " + std::to_string(topic_len) + at();
  const std::string_view stored(reinterpret_cast<const char*>(p + pos), topic_len);
  if (stored != topic) return "TOPIC " + std::string(stored) + at();
  return std::string();
}

}  // namespace

DefaultMessageStore::DefaultMessageStore(Runtime& rt, MessageStoreConfig config)
    : rt_(rt),
      config_(std::move(config)),
      commit_log_(std::make_unique<CommitLog>(rt, config_)),
      checkpoint_(std::make_unique<StoreCheckpoint>(rt, config_.CheckpointFile())) {
  commit_log_->set_on_appended([this] { ScheduleReput(); });
}

DefaultMessageStore::~DefaultMessageStore() {
  scope_.DestroyAll();
  CancelTimers();
}

void DefaultMessageStore::CancelTimers() {
  for (TimerId* t : {&clean_timer_, &disk_check_timer_, &dispatch_retry_timer_}) {
    if (t->valid()) rt_.executor().Cancel(*t);
    *t = {};
  }
  cq_flush_timer_.Cancel();
}

// ---------------------------------------------------------------------------------- lifecycle

Status DefaultMessageStore::LoadConsumeQueues() {
  const std::string root = config_.StorePathConsumeQueue();
  auto topics = rt_.fs().List(root);
  if (!topics.ok()) {
    if (topics.status().code() == StatusCode::kNotFound) return Status::Ok();
    return topics.status().WithContext("list consume queues");
  }
  for (const std::string& topic : *topics) {
    auto ids = rt_.fs().List(root + "/" + topic);
    if (!ids.ok()) continue;  // a file, not a topic directory
    for (const std::string& id : *ids) {
      auto queue_id = common::ParseJavaInt(id, "queue id");
      if (!queue_id.ok()) continue;  // Integer.parseInt failed: skipped, as in Java
      if (consume_queue_count_ >= limits::kConsumeQueuesMax) {
        return ResourceExhaustedError("more than " + std::to_string(limits::kConsumeQueuesMax) +
                                      " consume queues on disk");
      }
      auto cq = std::make_unique<ConsumeQueue>(rt_, topic, *queue_id, root,
                                               config_.MappedFileSizeConsumeQueue());
      RMQ_RETURN_IF_ERROR(cq->Load());
      consume_queue_table_[topic][*queue_id] = std::move(cq);
      ++consume_queue_count_;
    }
  }
  return Status::Ok();
}

int64_t DefaultMessageStore::RecoverConsumeQueues(Status* error) {
  int64_t max_physic_offset = -1;
  rebuild_from_.reset();
  for (auto& [topic, queues] : consume_queue_table_) {
    for (auto& [id, cq] : queues) {
      Status st = cq->Recover();
      if (!st.ok() && error->ok()) *error = st.WithContext("recover consume queue " + topic);
      max_physic_offset = std::max(max_physic_offset, cq->max_physic_offset());
      if (cq->entries_dropped() > 0) {
        // Damaged, not unfinished: rmqsim rebuilds it from the commit log (Java keeps the cut
        // queue and dispatches only from the furthest point of all queues, so the entries after
        // the damage stay missing). When every entry left points before the commit log's first
        // record (gone with retention), the queue is emptied: dispatch then starts it afresh at
        // the first remaining record's queue offset (placeholders before it), so no entry can
        // land at another record's queue offset.
        const int64_t log_min = std::max<int64_t>(commit_log_->GetMinOffset(), 0);
        if (cq->max_physic_offset() < log_min) {
          Status destroyed = cq->Destroy();
          if (!destroyed.ok() && error->ok()) *error = destroyed.WithContext("empty " + topic);
        }
        const int64_t from = std::max<int64_t>(cq->max_physic_offset(), log_min);
        rebuild_from_ = rebuild_from_ ? std::min(*rebuild_from_, from) : from;
        RMQ_LOG_WARN(rt_, "RocketmqStore",
                     "consume queue {}/{} damaged at entry {}: {} entries after it dropped; it is "
                     "rebuilt from the commit log from offset {}",
                     topic, id, cq->cut_entry(), cq->entries_dropped(), from);
        rt_.Trace(TraceEvent("StoreConsumeQueueDamaged", Severity::kInfo)
                      .Detail("Topic", topic)
                      .Detail("QueueId", id)
                      .Detail("CutEntry", cq->cut_entry())
                      .Detail("EntriesDropped", cq->entries_dropped())
                      .Detail("RebuildFrom", from));
      }
    }
  }
  return max_physic_offset;
}

Status DefaultMessageStore::TruncateDirtyLogicFiles(int64_t phy_offset) {
  for (auto& [topic, queues] : consume_queue_table_) {
    for (auto& [id, cq] : queues) {
      RMQ_RETURN_IF_ERROR(cq->TruncateDirtyLogicFiles(phy_offset));
    }
  }
  return Status::Ok();
}

Status DefaultMessageStore::DestroyLogics() {
  for (auto& [topic, queues] : consume_queue_table_) {
    for (auto& [id, cq] : queues) RMQ_RETURN_IF_ERROR(cq->Destroy());
  }
  return Status::Ok();
}

Status DefaultMessageStore::DestroyLogicsWithoutCommitLog() {
  if (consume_queue_count_ == 0) return Status::Ok();  // a new store
  RMQ_LOG_ERROR(rt_, "RocketmqStore",
                "the commit log has no segments but {} consume queues exist: their entries point "
                "at nothing and are destroyed",
                consume_queue_count_);
  rt_.Trace(TraceEvent("StoreLogicsDestroyed").Detail("Reason", "no commit-log files"));
  return DestroyLogics();
}

void DefaultMessageStore::RecoverTopicQueueTable() {
  std::map<TopicQueueKey, int64_t> table;
  const int64_t min_phy_offset = commit_log_->GetMinOffset();
  for (auto& [topic, queues] : consume_queue_table_) {
    for (auto& [id, cq] : queues) {
      table[TopicQueueKey{topic, id}] = cq->GetMaxOffsetInQueue();
      Status st = cq->CorrectMinOffset(min_phy_offset);
      if (!st.ok()) {
        rt_.Trace(TraceEvent("StoreCorrectMinOffsetFailed", Severity::kWarn)
                      .Detail("Topic", topic)
                      .Detail("QueueId", id)
                      .Detail("Error", st.ToString()));
      }
    }
  }
  commit_log_->set_topic_queue_table(std::move(table));
}

StatusOr<DefaultMessageStore::RecoverySummary> DefaultMessageStore::Recover(bool last_exit_ok) {
  RecoverySummary summary;
  summary.last_exit_ok = last_exit_ok;
  Status cq_error;
  const int64_t max_phy_offset_of_cq = RecoverConsumeQueues(&cq_error);
  RMQ_RETURN_IF_ERROR(cq_error);
  const bool commit_log_empty = commit_log_->mapped_file_queue().empty();
  if (last_exit_ok) {
    RMQ_ASSIGN_OR_RETURN(summary.commit_log, commit_log_->RecoverNormally());
    if (commit_log_empty) {
      RMQ_RETURN_IF_ERROR(DestroyLogicsWithoutCommitLog());
    } else if (max_phy_offset_of_cq >= summary.commit_log.end_offset) {
      RMQ_RETURN_IF_ERROR(TruncateDirtyLogicFiles(summary.commit_log.end_offset));
      rt_.Trace(TraceEvent("StoreConsumeQueuesTruncated")
                    .Detail("Offset", summary.commit_log.end_offset));
    }
    // DefaultMessageStore.start: dispatch from the furthest commit-log offset any consume queue
    // has indexed.
    int64_t reput_from = std::max<int64_t>(commit_log_->GetMinOffset(), 0);
    for (auto& [topic, queues] : consume_queue_table_) {
      for (auto& [id, cq] : queues) reput_from = std::max(reput_from, cq->max_physic_offset());
    }
    summary.reput_from = reput_from;
  } else {
    int64_t start = commit_log_->AbnormalRecoveryStartOffset(*checkpoint_);
    RMQ_ASSIGN_OR_RETURN(summary.commit_log, commit_log_->RecoverAbnormally(start));
    // Only a disk that lost synced data ends before the scan start; never index past the end.
    start = std::min(start, summary.commit_log.end_offset);
    // What the dead process wrote after its last checkpointed flush point may sit in the page
    // cache only, its pages even marked clean by a failed fsync: write it again before the next
    // fsync (fsyncgate), so that acknowledging a later message makes it durable too.
    int64_t durable = start;
    if (checkpoint_->has_flush_points()) {
      durable = std::max(
          start, std::min(checkpoint_->physic_flushed_offset(), summary.commit_log.end_offset));
    }
    commit_log_->mapped_file_queue().MarkUnflushedFrom(durable);
    rt_.Trace(TraceEvent("StoreUnflushedRangeMarked")
                  .Detail("From", durable)
                  .Detail("Bytes", summary.commit_log.end_offset - durable));
    if (commit_log_empty) {
      RMQ_RETURN_IF_ERROR(DestroyLogicsWithoutCommitLog());
    } else {
      // Every entry for a record at or after the scan start is rebuilt from the commit log, so
      // a torn or stale entry there cannot survive.
      RMQ_RETURN_IF_ERROR(TruncateDirtyLogicFiles(start));
      rt_.Trace(TraceEvent("StoreConsumeQueuesTruncated").Detail("Offset", start));
    }
    summary.reput_from = start;
  }
  if (rebuild_from_ && *rebuild_from_ < summary.reput_from) {
    // A damaged consume queue is rebuilt by dispatching again from its cut; the queues that
    // already hold those records skip them ("built repeatedly").
    summary.reput_from = std::max(*rebuild_from_, std::max<int64_t>(commit_log_->GetMinOffset(), 0));
  }
  rt_.Trace(TraceEvent("StoreCommitLogRecovered")
                .Detail("Mode", last_exit_ok ? "normal" : "abnormal")
                .Detail("StartOffset", summary.commit_log.start_offset)
                .Detail("EndOffset", summary.commit_log.end_offset)
                .Detail("Records", summary.commit_log.records)
                .Detail("TruncatedBytes", summary.commit_log.truncated_bytes));
  RecoverTopicQueueTable();
  return summary;
}

Status DefaultMessageStore::AcquireLock() {
  if (lock_ != nullptr) return Status::Ok();
  RMQ_RETURN_IF_ERROR(rt_.fs().CreateDirectories(config_.store_path_root_dir));
  auto lock = rt_.fs().TryLock(config_.LockFile());
  if (!lock.ok()) {
    if (lock.status().code() == StatusCode::kUnavailable) {
      RMQ_LOG_ERROR(rt_, "RocketmqStore", "Lock failed, MQ already started: {} is held",
                    config_.LockFile());
      return UnavailableError("Lock failed, MQ already started: the store '" +
                              config_.store_path_root_dir +
                              "' is in use by another broker (its lock file '" +
                              config_.LockFile() + "' is held)");
    }
    return lock.status().WithContext("lock the store");
  }
  lock_ = std::move(*lock);
  return Status::Ok();
}

Status DefaultMessageStore::Start() {
  if (started_) return FailedPreconditionError("message store already started");
  RMQ_RETURN_IF_ERROR(config_.Validate());
  RMQ_RETURN_IF_ERROR(AcquireLock());
  FileSystem& fs = rt_.fs();
  RMQ_RETURN_IF_ERROR(fs.CreateDirectories(config_.store_path_root_dir));
  RMQ_RETURN_IF_ERROR(fs.CreateDirectories(config_.StorePathCommitLog()));
  RMQ_RETURN_IF_ERROR(fs.CreateDirectories(config_.StorePathConsumeQueue()));
  const bool last_exit_ok = !fs.Exists(config_.AbortFile());

  RMQ_RETURN_IF_ERROR(commit_log_->Load());
  RMQ_RETURN_IF_ERROR(LoadConsumeQueues());
  RMQ_RETURN_IF_ERROR(checkpoint_->Load());
  rt_.Trace(TraceEvent("StoreRecoveryStarted")
                .Detail("LastExitOk", last_exit_ok)
                .Detail("CommitLogFiles", commit_log_->mapped_file_queue().files().size())
                .Detail("ConsumeQueues", consume_queue_count_)
                .Detail("CheckpointFlushPoints", checkpoint_->has_flush_points()));
  RMQ_ASSIGN_OR_RETURN(RecoverySummary summary, Recover(last_exit_ok));

  // start(): dispatch whatever the consume queues lack before anything else runs.
  reput_from_offset_ = std::max<int64_t>(summary.reput_from, 0);
  const uint64_t behind = static_cast<uint64_t>(DispatchBehindBytes());
  Status reput = DoReput();
  if (!reput.ok()) return reput.WithContext("dispatch during recovery");
  RecoverTopicQueueTable();

  // The abort file says "running": it stays if the process dies before a clean shutdown.
  {
    auto abort = fs.Open(config_.AbortFile(), OpenMode::kCreateOrOpen);
    if (!abort.ok()) return abort.status().WithContext("create abort file");
    (*abort)->Close();
  }
  started_ = true;
  shutdown_ = false;
  commit_log_->Start();
  last_cq_thorough_flush_ = rt_.Now();
  cq_flush_timer_.Schedule(config_.flush_interval_consume_queue, rt_.Now());
  clean_timer_ =
      rt_.executor().ScheduleAfter(limits::kCleanFirstDelay, guard_.Wrap([this] { CleanTick(); }));
  disk_check_timer_ = rt_.executor().ScheduleAfter(limits::kDiskCheckFirstDelay,
                                                   guard_.Wrap([this] { DiskCheckTick(); }));
  rt_.Trace(TraceEvent("StoreRecovered")
                .Detail("LastExitOk", last_exit_ok)
                .Detail("MinOffset", commit_log_->GetMinOffset())
                .Detail("MaxOffset", commit_log_->GetMaxOffset())
                .Detail("ReputFrom", summary.reput_from)
                .Detail("DispatchedBytes", behind)
                .Detail("ConsumeQueues", consume_queue_count_)
                .Detail("FlushDiskType", std::string(FlushDiskTypeName(config_.flush_disk_type))));
  return Status::Ok();
}

void DefaultMessageStore::Shutdown(DoneCallback done) {
  if (!started_ || shutdown_) {
    rt_.executor().Post(guard_.Wrap([done = std::move(done)] { done(Status::Ok()); }));
    return;
  }
  shutdown_ = true;
  CancelTimers();
  commit_log_->Shutdown();
  scope_.Spawn(ShutdownTask(std::move(done)));
}

Task<void> DefaultMessageStore::ShutdownTask(DoneCallback done) {
  Executor& ex = rt_.executor();
  // ReputMessageService.shutdown waits for dispatch to catch up.
  Status first = DoReput();
  Status cl = co_await AwaitCallback<Status>(
      ex, [this](std::function<void(Status)> d) { commit_log_->FlushAll(std::move(d)); });
  if (first.ok()) first = cl;
  RMQ_LOG_DEBUG(rt_, "RocketmqStore", "shutdown: commit log flushed to {} ({})",
                commit_log_->mapped_file_queue().flushed_where(), cl.ToString());
  Status cq = co_await AwaitCallback<Status>(ex, [this](std::function<void(Status)> d) {
    FlushConsumeQueues(0, /*write_checkpoint=*/true, std::move(d));
  });
  if (first.ok()) first = cq;
  RMQ_LOG_DEBUG(rt_, "RocketmqStore", "shutdown: consume queues flushed ({})", cq.ToString());
  const bool clean = first.ok() && IsWriteable() && DispatchBehindBytes() == 0;
  if (clean) {
    Status rm = rt_.fs().Remove(config_.AbortFile());
    if (!rm.ok() && rm.code() != StatusCode::kNotFound) first = rm;
  } else if (first.ok()) {
    first = FailedPreconditionError("store not writable or dispatch behind; abort file kept");
  }
  rt_.Trace(TraceEvent("StoreShutdown")
                .Detail("Clean", first.ok())
                .Detail("MaxOffset", commit_log_->GetMaxOffset())
                .Detail("Error", first.ok() ? std::string() : first.ToString()));
  lock_.reset();  // DefaultMessageStore.shutdown releases the lock
  // Posted, not called: the owner may destroy the store (and this frame) in `done`.
  ex.Post([done = std::move(done), first] { done(first); });
}

// ---------------------------------------------------------------------------------- puts

PutMessageStatus DefaultMessageStore::CheckStoreStatus() const {
  if (!started_ || shutdown_) return PutMessageStatus::kServiceNotAvailable;
  if (config_.broker_role == BrokerRole::kSlave) return PutMessageStatus::kServiceNotAvailable;
  if (!IsWriteable()) return PutMessageStatus::kServiceNotAvailable;
  // OS_PAGECACHE_BUSY measures how long another thread holds the put lock: one thread here.
  return PutMessageStatus::kPutOk;
}

bool DefaultMessageStore::IsWriteable() const {
  return !disk_full_ && !dispatch_error_ && commit_log_->mapped_file_queue().write_error().ok();
}

void DefaultMessageStore::Reject(PutCallback cb, PutMessageStatus status) {
  PutMessageResult r;
  r.status = status;
  rt_.executor().Post(guard_.Wrap([cb = std::move(cb), r]() mutable { cb(r); }));
}

StatusOr<int64_t> DefaultMessageStore::AppendToCommitLog(int64_t offset, common::ByteSpan data) {
  if (shutdown_ || !started_) return FailedPreconditionError("store not running");
  return commit_log_->AppendData(offset, data);
}

StatusOr<int64_t> DefaultMessageStore::AppendRawToCommitLog(int64_t offset,
                                                            common::ByteSpan data) {
  if (shutdown_ || !started_) return FailedPreconditionError("store not running");
  return commit_log_->AppendRaw(offset, data);
}

void DefaultMessageStore::PutMessage(PutMessageRequest request, PutCallback cb) {
  PutMessageStatus st = CheckStoreStatus();
  if (st != PutMessageStatus::kPutOk) return Reject(std::move(cb), st);
  // checkMessage: topic and properties-string lengths in Java chars.
  if (JavaLength(request.message.topic()) > 127) {
    return Reject(std::move(cb), PutMessageStatus::kMessageIllegal);
  }
  auto props = common::EncodeProperties(request.message.properties());
  if (!props.ok() || JavaLength(*props) > common::kPropertiesMaxBytes) {
    return Reject(std::move(cb), PutMessageStatus::kMessageIllegal);
  }
  commit_log_->AsyncPutMessage(std::move(request), std::move(cb));
}

void DefaultMessageStore::PutMessages(PutMessagesRequest request, PutCallback cb) {
  PutMessageStatus st = CheckStoreStatus();
  if (st != PutMessageStatus::kPutOk) return Reject(std::move(cb), st);
  if (JavaLength(request.topic) > 127) {
    return Reject(std::move(cb), PutMessageStatus::kMessageIllegal);
  }
  // checkMessages: the batch body (§4.4: 22 bytes + body + properties per message).
  int64_t body_length = 0;
  for (const auto& m : request.messages) {
    auto props = common::EncodeProperties(m.properties());
    if (!props.ok()) return Reject(std::move(cb), PutMessageStatus::kMessageIllegal);
    body_length += 22 + static_cast<int64_t>(m.body().size()) + static_cast<int64_t>(props->size());
  }
  if (body_length > config_.max_message_size) {
    return Reject(std::move(cb), PutMessageStatus::kMessageIllegal);
  }
  commit_log_->AsyncPutMessages(std::move(request), std::move(cb));
}

// ------------------------------------------------------------------------------- dispatch

void DefaultMessageStore::AddDispatchListener(DispatchListener listener) {
  RMQ_ASSERT_MSG(listeners_.size() < limits::kDispatchListenersMax, "too many dispatch listeners");
  listeners_.push_back(std::move(listener));
}

int64_t DefaultMessageStore::DispatchBehindBytes() const {
  return std::max<int64_t>(0, commit_log_->GetMaxOffset() - reput_from_offset_);
}

void DefaultMessageStore::ScheduleReput() {
  if (reput_scheduled_ || dispatch_retry_timer_.valid()) return;
  reput_scheduled_ = true;
  auto round = guard_.Wrap([this] {
    reput_scheduled_ = false;
    int64_t max_records = std::numeric_limits<int64_t>::max();
    // BUGGIFY: a dispatch round handles only 1-8 records and leaves the rest to the next round
    // (ReputMessageService reads what one SelectMappedBufferResult holds, then sleeps 1 ms): the
    // consume queues, the arriving listeners and the HA push trail the commit log for a while.
    if (RMQ_BUGGIFY(rt_)) max_records = 1 + static_cast<int64_t>(rt_.random().Below(8));
    bool cut = false;
    Status st = DoReput(max_records, &cut);
    if (!st.ok()) {
      OnDispatchError(st);
      return;
    }
    if (cut) ScheduleReput();
  });
  // BUGGIFY: the reput thread wakes up to 300 ms late (ReputMessageService descheduled under
  // load): a producer may have PUT_OK before its message can be pulled, and long polling and
  // the HA push see it late.
  if (RMQ_BUGGIFY(rt_)) {
    rt_.executor().ScheduleAfter(rt_.random().UniformDuration(Duration::zero(), milliseconds(300)),
                                 std::move(round));
    return;
  }
  rt_.executor().Post(std::move(round));
}

void DefaultMessageStore::OnDispatchError(const Status& st) {
  rt_.Trace(TraceEvent("StoreDispatchFailed", Severity::kWarn)
                .Detail("Offset", reput_from_offset_)
                .Detail("Error", st.ToString()));
  dispatch_error_ = true;
  if (dispatch_retry_timer_.valid() || shutdown_) return;
  dispatch_retry_timer_ =
      rt_.executor().ScheduleAfter(limits::kDispatchRetryDelay, guard_.Wrap([this] {
        dispatch_retry_timer_ = {};
        Status again = DoReput();
        if (!again.ok()) OnDispatchError(again);
      }));
}

Status DefaultMessageStore::DoReput(int64_t max_records, bool* cut) {
  int64_t dispatched = 0;
  const int64_t min_offset = commit_log_->GetMinOffset();
  if (min_offset >= 0 && reput_from_offset_ < min_offset) {
    rt_.Trace(TraceEvent("StoreReputOffsetCorrected", Severity::kWarn)
                  .Detail("From", reput_from_offset_)
                  .Detail("To", min_offset));
    reput_from_offset_ = min_offset;
  }
  const MappedFileQueue& queue = commit_log_->mapped_file_queue();
  while (reput_from_offset_ < commit_log_->GetMaxOffset()) {
    const MappedFile* mf = queue.FindMappedFileByOffset(reput_from_offset_);
    if (mf == nullptr) {
      // A segment missing in the middle (see MappedFileQueue::gaps): go on at the next one.
      const MappedFile* next = nullptr;
      for (const auto& f : queue.files()) {
        if (f->from() > reput_from_offset_) {
          next = f.get();
          break;
        }
      }
      if (next == nullptr) break;
      RMQ_LOG_WARN(rt_, "RocketmqStore",
                   "dispatch skips the missing commit-log range [{}, {}): no segment holds it",
                   reput_from_offset_, next->from());
      reput_from_offset_ = next->from();
      skipped_log_gap_ = true;
      continue;
    }
    // Bytes appended while this pass runs (a listener may put) are read by the next pass of
    // this loop, with a fresh reader.
    const int64_t end = mf->wrote_position();
    int64_t pos = reput_from_offset_ - mf->from();
    if (pos >= end) {
      if (!mf->IsFull()) break;
      reput_from_offset_ = mf->from() + mf->file_size();
      continue;
    }
    SegmentReader reader(*mf, end);
    while (pos < end) {
      CommitLog::Record rec = commit_log_->CheckMessageAndReturnSize(reader, *mf, pos, false);
      if (rec.kind == CommitLog::RecordKind::kMessage) {
        if (dispatched >= max_records) {
          if (cut != nullptr) *cut = true;
          return Status::Ok();
        }
        RMQ_RETURN_IF_ERROR(DoDispatch(rec.request));
        ++dispatched;
        pos += rec.size;
        reput_from_offset_ = mf->from() + pos;
        continue;
      }
      if (rec.kind == CommitLog::RecordKind::kEndOfFile) {
        reput_from_offset_ = commit_log_->RollNextFile(reput_from_offset_);
        break;
      }
      if (rec.kind == CommitLog::RecordKind::kReadError) return rec.read_error;
      if (config_.broker_role == BrokerRole::kSlave) {
        // ReputMessageService on a slave (brokerId != 0): doNext = false and the offset stays,
        // so dispatch is stuck here until a restart's recovery truncates the bytes (a diverged
        // slave's log: AppendRaw). Consumers of this slave see nothing new meanwhile.
        if (reput_stalled_at_ != reput_from_offset_) {
          reput_stalled_at_ = reput_from_offset_;
          rt_.Trace(TraceEvent("StoreReputStalled", Severity::kError)
                        .Detail("Offset", reput_from_offset_)
                        .Detail("Bytes", end - pos)
                        .Detail("Error", rec.error));
        }
        return Status::Ok();
      }
      // A record the store wrote itself does not parse: as Java on a master, skip the rest of
      // the segment's data.
      rt_.Trace(TraceEvent("StoreDispatchSkipped", Severity::kError)
                    .Detail("Offset", reput_from_offset_)
                    .Detail("Bytes", end - pos)
                    .Detail("Error", rec.error));
      pos = end;
      reput_from_offset_ = mf->from() + pos;
    }
  }
  if (dispatch_error_) {
    dispatch_error_ = false;
    rt_.Trace(TraceEvent("StoreDispatchRecovered").Detail("Offset", reput_from_offset_));
  }
  return Status::Ok();
}

StatusOr<ConsumeQueue*> DefaultMessageStore::FindOrCreateConsumeQueue(const std::string& topic,
                                                                      int32_t queue_id) {
  auto& queues = consume_queue_table_[topic];
  auto it = queues.find(queue_id);
  if (it != queues.end()) return it->second.get();
  if (consume_queue_count_ >= limits::kConsumeQueuesMax) {
    if (queues.empty()) consume_queue_table_.erase(topic);
    return ResourceExhaustedError("more than " + std::to_string(limits::kConsumeQueuesMax) +
                                  " consume queues");
  }
  auto cq = std::make_unique<ConsumeQueue>(rt_, topic, queue_id, config_.StorePathConsumeQueue(),
                                           config_.MappedFileSizeConsumeQueue());
  ConsumeQueue* p = cq.get();
  queues.emplace(queue_id, std::move(cq));
  ++consume_queue_count_;
  return p;
}

int DefaultMessageStore::CleanUnusedTopic(const std::set<std::string>& keep) {
  int cleaned = 0;
  bool busy = false;
  for (auto it = consume_queue_table_.begin(); it != consume_queue_table_.end();) {
    const std::string& topic = it->first;
    if (keep.contains(topic) || topic == common::kRmqSysScheduleTopic) {
      ++it;
      continue;
    }
    bool flushing = false;
    for (const auto& [id, cq] : it->second) flushing |= cq->mapped_file_queue().flushing();
    if (flushing) {  // its flush callbacks still refer to the queues
      busy = true;
      ++it;
      continue;
    }
    for (auto& [id, cq] : it->second) {
      Status st = cq->Destroy();
      if (!st.ok()) {
        RMQ_LOG_WARN(rt_, "RocketmqStore", "cleanUnusedTopic: destroy {}/{}: {}", topic, id,
                     st.ToString());
      }
      commit_log_->RemoveQueueFromTopicQueueTable(topic, id);
      --consume_queue_count_;
    }
    RMQ_LOG_INFO(rt_, "RocketmqStore", "cleanUnusedTopic: {},topic destroyed ({} queues)", topic,
                 it->second.size());
    rt_.Trace(TraceEvent("StoreTopicDestroyed")
                  .Detail("Topic", topic)
                  .Detail("Queues", it->second.size()));
    it = consume_queue_table_.erase(it);
    ++cleaned;
  }
  if (busy && !shutdown_) {
    rt_.executor().ScheduleAfter(milliseconds(100),
                                 guard_.Wrap([this, keep] { CleanUnusedTopic(keep); }));
  }
  return cleaned;
}

ConsumeQueue* DefaultMessageStore::GetConsumeQueue(const std::string& topic,
                                                   int32_t queue_id) const {
  auto t = consume_queue_table_.find(topic);
  if (t == consume_queue_table_.end()) return nullptr;
  auto q = t->second.find(queue_id);
  return q == t->second.end() ? nullptr : q->second.get();
}

Status DefaultMessageStore::DoDispatch(const DispatchRequest& req) {
  const int32_t tran_type = common::GetTransactionValue(req.sys_flag);
  if (tran_type == common::kTransactionNotType || tran_type == common::kTransactionCommitType) {
    RMQ_ASSIGN_OR_RETURN(ConsumeQueue * cq, FindOrCreateConsumeQueue(req.topic, req.queue_id));
    const int64_t before = cq->GetMaxOffsetInQueue();
    Status st = cq->PutMessagePositionInfo(req.commit_log_offset, req.msg_size, req.tags_code,
                                           req.consume_queue_offset, skipped_log_gap_);
    // The consume-queue flush service has work once a queue has enough dirty pages.
    if (cq->mapped_file_queue().NeedsFlush(config_.flush_consume_queue_least_pages)) {
      cq_flush_timer_.Wake();
    }
    if (!st.ok()) {
      return st.WithContext("consume queue " + req.topic + "/" + std::to_string(req.queue_id));
    }
    const int64_t after = cq->GetMaxOffsetInQueue();
    CheckConsumeQueueGrowth(*cq, before, after, req.consume_queue_offset);
    // Simulation: on a master a new entry lands exactly at the record's QUEUEOFFSET (the
    // topic-queue table and the queue agree). A slave may legally differ: a diverged slave's log
    // holds a lost tail whose queue offsets collide with the master's (StoreConsumeQueueOrderWrong).
    RMQ_SIM_ASSERT_MSG(config_.broker_role == BrokerRole::kSlave || after == before ||
                           after - 1 == req.consume_queue_offset,
                       "entry for " + req.topic + "/" + std::to_string(req.queue_id) +
                           " queue offset " + std::to_string(req.consume_queue_offset) +
                           " written at " + std::to_string(after - 1));
    checkpoint_->set_logics_msg_timestamp(req.store_timestamp);
  }
  if (config_.broker_role != BrokerRole::kSlave) {
    for (const auto& l : listeners_)
      l(req.topic, req.queue_id, req.consume_queue_offset, req.tags_code);
  }
  return Status::Ok();
}

// ------------------------------------------------------------------------- consume-queue flush

void DefaultMessageStore::FlushConsumeQueueTick() {
  if (shutdown_) return;
  int least_pages = config_.flush_consume_queue_least_pages;
  bool thorough = false;
  if (rt_.Now() >= last_cq_thorough_flush_ + config_.flush_consume_queue_thorough_interval) {
    last_cq_thorough_flush_ = rt_.Now();
    least_pages = 0;
    thorough = true;
  }
  FlushConsumeQueues(least_pages, thorough, guard_.Wrap([this](const Status&) {
    if (shutdown_) return;
    Duration wait = config_.flush_interval_consume_queue;
    // BUGGIFY: FlushConsumeQueueService runs up to 5 s late (a GC pause, a slow disk): consume
    // queues and the checkpoint lag further behind the commit log, so abnormal recovery has more
    // to rebuild.
    if (RMQ_BUGGIFY(rt_)) wait += rt_.random().UniformDuration(Duration::zero(), seconds(5));
    // The passes before the next thorough one (which writes the checkpoint) find nothing to do
    // unless an entry is written (DoDispatch wakes the timer) or a queue is left dirty now.
    MonoTime idle_until = last_cq_thorough_flush_ + config_.flush_consume_queue_thorough_interval;
    if (AnyConsumeQueueToFlush(config_.flush_consume_queue_least_pages)) idle_until = rt_.Now();
    cq_flush_timer_.Schedule(wait, idle_until);
  }));
}

bool DefaultMessageStore::AnyConsumeQueueToFlush(int least_pages) const {
  for (const auto& [topic, queues] : consume_queue_table_) {
    for (const auto& [id, cq] : queues) {
      const MappedFileQueue& q = cq->mapped_file_queue();
      if (q.flushing() || q.NeedsFlush(least_pages)) return true;
    }
  }
  return false;
}

void DefaultMessageStore::FlushConsumeQueues(int least_pages, bool write_checkpoint,
                                             DoneCallback done) {
  struct Round {
    int pending = 1;  // released after the loop
    Status first_error;
    DoneCallback done;
    bool write_checkpoint;
    int64_t logics_offset;
    int64_t logics_timestamp;
  };
  auto round = std::make_shared<Round>();
  round->done = std::move(done);
  round->write_checkpoint = write_checkpoint && least_pages == 0;
  // Every record below the dispatch position has its entry written to a consume-queue file:
  // once all those files are flushed, the entries are durable.
  round->logics_offset = reput_from_offset_;
  round->logics_timestamp = checkpoint_->logics_msg_timestamp();
  auto finish = [this, round](const Status& st) {
    if (!st.ok() && round->first_error.ok()) round->first_error = st;
    if (--round->pending > 0) return;
    if (!round->write_checkpoint || !round->first_error.ok()) {
      round->done(round->first_error);
      return;
    }
    checkpoint_->set_logics_msg_timestamp(round->logics_timestamp);
    const MappedFileQueue& cl = commit_log_->mapped_file_queue();
    if (cl.store_timestamp() > 0) checkpoint_->set_physic_msg_timestamp(cl.store_timestamp());
    checkpoint_->SetFlushPoints(cl.flushed_where(), round->logics_offset);
    checkpoint_->Flush([round](const Status& s) { round->done(s); });
  };
  for (auto& [topic, queues] : consume_queue_table_) {
    for (auto& [id, cq] : queues) {
      MappedFileQueue& q = cq->mapped_file_queue();
      if (!q.NeedsFlush(least_pages) && !q.flushing()) continue;
      ++round->pending;
      q.Flush(least_pages, guard_.Wrap(finish));
    }
  }
  rt_.executor().Post(guard_.Wrap([finish] { finish(Status::Ok()); }));
}

// --------------------------------------------------------------------------------- cleaning

void DefaultMessageStore::ExecuteDeleteFilesManually() {
  manual_delete_times_ = limits::kManualDeleteFileTimes;
}

void DefaultMessageStore::CleanTick() {
  clean_timer_ = {};
  if (shutdown_) return;
  CleanFilesPeriodically();
  clean_timer_ = rt_.executor().ScheduleAfter(config_.clean_resource_interval,
                                              guard_.Wrap([this] { CleanTick(); }));
}

void DefaultMessageStore::CleanFilesPeriodically() {
  DeleteExpiredCommitLogFiles();
  DeleteExpiredConsumeQueueFiles();
}

std::optional<double> DefaultMessageStore::DiskUsage() const {
  if (!disk_usage_provider_) return std::nullopt;
  return disk_usage_provider_();
}

bool DefaultMessageStore::IsSpaceToDelete() {
  clean_immediately_ = false;
  auto usage = DiskUsage();
  if (!usage.has_value()) return false;  // no statfs: only time and manual deletion
  const double ratio = *usage;
  if (ratio > config_.disk_space_warning_level_ratio) {
    if (!disk_full_) {
      rt_.Trace(TraceEvent("StoreDiskFull", Severity::kWarn).Detail("UsedRatio", ratio));
    }
    disk_full_ = true;
    clean_immediately_ = true;
  } else if (ratio > config_.disk_space_clean_forcibly_ratio) {
    clean_immediately_ = true;
  } else if (disk_full_) {
    disk_full_ = false;
    rt_.Trace(TraceEvent("StoreDiskOk").Detail("UsedRatio", ratio));
  }
  return ratio < 0 || ratio > config_.disk_max_used_space_ratio / 100.0;
}

void DefaultMessageStore::DiskCheckTick() {
  disk_check_timer_ = {};
  if (shutdown_) return;
  // CleanCommitLogService.isSpaceFull.
  auto usage = DiskUsage();
  if (usage.has_value()) {
    const bool full = *usage > config_.disk_space_warning_level_ratio;
    if (full != disk_full_) {
      rt_.Trace(TraceEvent(full ? "StoreDiskFull" : "StoreDiskOk",
                           full ? Severity::kWarn : Severity::kInfo)
                    .Detail("UsedRatio", *usage));
    }
    disk_full_ = full;
  }
  disk_check_timer_ = rt_.executor().ScheduleAfter(limits::kDiskCheckInterval,
                                                   guard_.Wrap([this] { DiskCheckTick(); }));
}

void DefaultMessageStore::DeleteExpiredCommitLogFiles() {
  const WallTime now = rt_.WallNow();
  const bool time_up = IsItTimeToDo(config_.delete_when, HourOfDay(now, config_.utc_offset));
  const bool space_full = IsSpaceToDelete();
  const bool manual = manual_delete_times_ > 0;
  if (!time_up && !space_full && !manual) return;
  if (manual) --manual_delete_times_;
  const bool clean_at_once = config_.clean_file_forcibly_enable && clean_immediately_;
  auto deleted = commit_log_->DeleteExpiredFile(hours(config_.file_reserved_time),
                                                ToUnixMillis(now), clean_at_once);
  if (!deleted.ok()) {
    rt_.Trace(TraceEvent("StoreCleanFailed", Severity::kWarn)
                  .Detail("Error", deleted.status().ToString()));
  }
}

void DefaultMessageStore::DeleteExpiredConsumeQueueFiles() {
  const int64_t min_offset = commit_log_->GetMinOffset();
  if (min_offset <= last_physical_min_offset_) return;
  last_physical_min_offset_ = min_offset;
  for (auto& [topic, queues] : consume_queue_table_) {
    for (auto& [id, cq] : queues) {
      auto deleted = cq->DeleteExpiredFile(min_offset);
      if (!deleted.ok()) {
        rt_.Trace(TraceEvent("StoreCleanFailed", Severity::kWarn)
                      .Detail("Topic", topic)
                      .Detail("QueueId", id)
                      .Detail("Error", deleted.status().ToString()));
      }
    }
  }
}

// ------------------------------------------------------------------------------------ reads

int64_t DefaultMessageStore::NextOffsetCorrection(int64_t old_offset, int64_t new_offset) const {
  if (config_.broker_role != BrokerRole::kSlave || config_.offset_check_in_slave) {
    return new_offset;
  }
  return old_offset;
}

bool DefaultMessageStore::CheckInDiskByCommitOffset(int64_t offset_py,
                                                    int64_t max_offset_py) const {
  const int64_t memory =
      static_cast<int64_t>(static_cast<double>(config_.total_physical_memory_bytes) *
                           (config_.access_message_in_memory_max_ratio / 100.0));
  return max_offset_py - offset_py > memory;
}

bool DefaultMessageStore::IsTheBatchFull(int32_t size_py, int32_t max_msg_nums,
                                         int64_t max_total_bytes, int64_t buffer_total,
                                         int32_t message_total, bool in_disk) const {
  if (buffer_total == 0 || message_total == 0) return false;
  if (max_msg_nums <= message_total) return true;
  if (max_total_bytes > 0 && buffer_total + size_py > max_total_bytes) return true;
  if (in_disk) {
    if (buffer_total + size_py > config_.max_transfer_bytes_on_message_in_disk) return true;
    if (message_total > config_.max_transfer_count_on_message_in_disk - 1) return true;
  } else {
    if (buffer_total + size_py > config_.max_transfer_bytes_on_message_in_memory) return true;
    if (message_total > config_.max_transfer_count_on_message_in_memory - 1) return true;
  }
  return false;
}

StatusOr<GetMessageResult> DefaultMessageStore::GetMessage(
    const std::string& group, const std::string& topic, int32_t queue_id, int64_t offset,
    int32_t max_msg_nums, int64_t max_total_bytes, const MessageFilter* filter) {
  if (!started_ || shutdown_) return UnavailableError("message store is shut down");
  GetMessageResult r;
  r.status = GetMessageStatus::kNoMessageInQueue;
  r.next_begin_offset = offset;
  const int64_t max_offset_py = commit_log_->GetMaxOffset();
  const ConsumeQueue* cq = GetConsumeQueue(topic, queue_id);
  if (cq == nullptr) {
    // Java's findConsumeQueue creates an empty queue here, so NO_MATCHED_LOGIC_QUEUE is never
    // returned: an unknown queue reads as an empty one.
    r.next_begin_offset = NextOffsetCorrection(offset, 0);
    return r;
  }
  r.min_offset = cq->GetMinOffsetInQueue();
  r.max_offset = cq->GetMaxOffsetInQueue();
  if (r.max_offset == 0) {
    r.status = GetMessageStatus::kNoMessageInQueue;
    r.next_begin_offset = NextOffsetCorrection(offset, 0);
  } else if (offset < r.min_offset) {
    r.status = GetMessageStatus::kOffsetTooSmall;
    r.next_begin_offset = NextOffsetCorrection(offset, r.min_offset);
  } else if (offset == r.max_offset) {
    r.status = GetMessageStatus::kOffsetOverflowOne;
    r.next_begin_offset = NextOffsetCorrection(offset, offset);
  } else if (offset > r.max_offset) {
    r.status = GetMessageStatus::kOffsetOverflowBadly;
    r.next_begin_offset = NextOffsetCorrection(offset, r.max_offset);
  } else {
    const int64_t max_filter_bytes =
        std::max<int64_t>(limits::kMaxFilterScanBytesMin, int64_t{max_msg_nums} * kUnit);
    RMQ_ASSIGN_OR_RETURN(auto buffer, cq->GetIndexBuffer(offset, max_filter_bytes));
    if (!buffer.has_value()) {
      r.status = GetMessageStatus::kOffsetFoundNull;
      r.next_begin_offset = NextOffsetCorrection(offset, cq->RollNextFile(offset));
      return r;
    }
    r.status = GetMessageStatus::kNoMatchedMessage;
    int64_t next_phy_file_start = std::numeric_limits<int64_t>::min();
    int64_t max_phy_offset_pulling = 0;
    const common::Bytes& entries = *buffer;
    size_t i = 0;
    for (; i + kUnit <= entries.size(); i += kUnit) {
      const std::byte* p = entries.data() + i;
      const int64_t offset_py = common::LoadI64(p);
      const int32_t size_py = common::LoadI32(p + 8);
      const int64_t tags_code = common::LoadI64(p + 12);
      max_phy_offset_pulling = offset_py;
      if (next_phy_file_start != std::numeric_limits<int64_t>::min() &&
          offset_py < next_phy_file_start) {
        continue;
      }
      const bool in_disk = CheckInDiskByCommitOffset(offset_py, max_offset_py);
      if (IsTheBatchFull(size_py, max_msg_nums, max_total_bytes, r.buffer_total_size,
                         r.message_count(), in_disk)) {
        break;
      }
      if (filter != nullptr && !filter->IsMatchedByConsumeQueue(tags_code)) {
        if (r.buffer_total_size == 0) r.status = GetMessageStatus::kNoMatchedMessage;
        continue;
      }
      auto selected = commit_log_->GetMessage(offset_py, size_py);
      if (!selected.ok()) {
        // An I/O error is not a removed file: stop here and let the consumer come back.
        if (r.message_count() == 0) return selected.status();
        break;
      }
      if (!selected->has_value()) {
        if (r.buffer_total_size == 0) r.status = GetMessageStatus::kMessageWasRemoving;
        next_phy_file_start = commit_log_->RollNextFile(offset_py);
        continue;
      }
      const int64_t queue_offset = offset + static_cast<int64_t>(i) / kUnit;
      // Simulation cross-check: the entry points at a whole message record of this topic and
      // queue, at its own position, and (on a master) with this queue offset.
      if (InSimulation()) {
        const std::string mismatch = EntryRecordMismatch(
            **selected, topic, queue_id,
            config_.broker_role == BrokerRole::kSlave ? -1 : queue_offset, offset_py, size_py);
        RMQ_SIM_ASSERT_MSG(mismatch.empty(), "consume-queue entry mismatch: " + mismatch);
      }
      r.buffer_total_size += size_py;
      r.message_buffers.push_back(std::move(**selected));
      r.message_queue_offsets.push_back(queue_offset);
      r.status = GetMessageStatus::kFound;
      next_phy_file_start = std::numeric_limits<int64_t>::min();
    }
    r.next_begin_offset = offset + static_cast<int64_t>(i) / kUnit;
    const int64_t diff = max_offset_py - max_phy_offset_pulling;
    const int64_t memory =
        static_cast<int64_t>(static_cast<double>(config_.total_physical_memory_bytes) *
                             (config_.access_message_in_memory_max_ratio / 100.0));
    r.suggest_pulling_from_slave = diff > memory;
  }
  (void)group;  // Java records disk-fall-behind statistics per group here
  return r;
}

int64_t DefaultMessageStore::GetMaxOffsetInQueue(const std::string& topic, int32_t queue_id) const {
  const ConsumeQueue* cq = GetConsumeQueue(topic, queue_id);
  return cq == nullptr ? 0 : cq->GetMaxOffsetInQueue();
}

int64_t DefaultMessageStore::GetMinOffsetInQueue(const std::string& topic, int32_t queue_id) const {
  const ConsumeQueue* cq = GetConsumeQueue(topic, queue_id);
  return cq == nullptr ? 0 : cq->GetMinOffsetInQueue();
}

int64_t DefaultMessageStore::GetMessageTotalInQueue(const std::string& topic,
                                                    int32_t queue_id) const {
  const ConsumeQueue* cq = GetConsumeQueue(topic, queue_id);
  return cq == nullptr ? 0 : cq->GetMessageTotalInQueue();
}

int64_t DefaultMessageStore::GetOffsetInQueueByTime(const std::string& topic, int32_t queue_id,
                                                    int64_t timestamp_ms) const {
  const ConsumeQueue* cq = GetConsumeQueue(topic, queue_id);
  if (cq == nullptr) return 0;
  return cq->GetOffsetInQueueByTime(timestamp_ms, commit_log_->GetMinOffset(),
                                    [this](int64_t offset, int32_t size) {
                                      return commit_log_->PickupStoreTimestamp(offset, size);
                                    });
}

int64_t DefaultMessageStore::GetCommitLogOffsetInQueue(const std::string& topic, int32_t queue_id,
                                                       int64_t consume_queue_offset) const {
  const ConsumeQueue* cq = GetConsumeQueue(topic, queue_id);
  if (cq == nullptr) return 0;
  auto e = cq->GetEntry(consume_queue_offset);
  if (!e.ok() || !e->has_value()) return 0;
  return (*e)->commit_log_offset;
}

int64_t DefaultMessageStore::GetMessageStoreTimeStamp(const std::string& topic, int32_t queue_id,
                                                      int64_t consume_queue_offset) const {
  const ConsumeQueue* cq = GetConsumeQueue(topic, queue_id);
  if (cq == nullptr) return -1;
  auto e = cq->GetEntry(consume_queue_offset);
  if (!e.ok() || !e->has_value()) return -1;
  return commit_log_->PickupStoreTimestamp((*e)->commit_log_offset, (*e)->size);
}

int64_t DefaultMessageStore::GetEarliestMessageTime(const std::string& topic,
                                                    int32_t queue_id) const {
  const ConsumeQueue* cq = GetConsumeQueue(topic, queue_id);
  if (cq == nullptr) return -1;
  return GetMessageStoreTimeStamp(topic, queue_id, cq->GetMinOffsetInQueue());
}

StatusOr<common::Bytes> DefaultMessageStore::SelectOneMessageByOffset(
    int64_t commit_log_offset) const {
  RMQ_ASSIGN_OR_RETURN(auto record, commit_log_->GetRecord(commit_log_offset));
  if (!record.has_value()) {
    return NotFoundError("no record at commit-log offset " + std::to_string(commit_log_offset));
  }
  return std::move(*record);
}

StatusOr<common::MessageExt> DefaultMessageStore::LookMessageByOffset(
    int64_t commit_log_offset) const {
  RMQ_ASSIGN_OR_RETURN(common::Bytes record, SelectOneMessageByOffset(commit_log_offset));
  // MessageDecoder.decode(buffer, readBody = true, deCompressBody = false): no CRC check.
  return common::DecodeStoredMessage(
      record, {.check_crc = false, .base_offset = static_cast<uint64_t>(commit_log_offset)});
}

bool DefaultMessageStore::CheckInDiskByConsumeOffset(const std::string& topic, int32_t queue_id,
                                                     int64_t consume_offset) const {
  const ConsumeQueue* cq = GetConsumeQueue(topic, queue_id);
  if (cq == nullptr) return false;
  auto e = cq->GetEntry(consume_offset);
  if (!e.ok() || !e->has_value()) return false;
  return CheckInDiskByCommitOffset((*e)->commit_log_offset, commit_log_->GetMaxOffset());
}

}  // namespace rmqsim::store
