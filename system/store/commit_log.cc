#include "system/store/commit_log.h"

#include <algorithm>
#include <memory>

#include "sim/base/buggify.h"
#include "sim/base/planted_bugs.h"
#include "sim/runtime/log.h"
#include "system/common/java_string.h"
#include "system/common/message_const.h"
#include "system/common/message_id.h"
#include "system/common/properties.h"
#include "system/common/sys_flag.h"
#include "system/common/topic_validator.h"
#include "system/store/limits.h"
#include "system/store/segment_reader.h"
#include "system/store/store_checkpoint.h"

namespace rmqsim::store {
namespace {

constexpr size_t kQueueOffsetPos = common::kQueueOffsetPosition;
constexpr size_t kPhysicalOffsetPos = common::kPhysicalOffsetPosition;
// SYSFLAG at 36; the store timestamp follows the born host (8 or 20 bytes) at 48.
constexpr size_t kStoreTimestampReadBytes = 48 + 20 + 8;

int64_t StoreTimestampPosition(int32_t sys_flag) {
  return 48 + ((sys_flag & common::kBornHostV6Flag) == 0 ? 8 : 20);
}

bool IsConsumable(int32_t tran_type) {
  return tran_type == common::kTransactionNotType || tran_type == common::kTransactionCommitType;
}

}  // namespace

CommitLog::CommitLog(Runtime& rt, const MessageStoreConfig& config)
    : rt_(rt),
      config_(config),
      queue_(rt, config.StorePathCommitLog(), config.mapped_file_size_commit_log),
      flush_timer_(rt, guard_.Wrap([this] { FlushTick(); })) {
  auto levels = ParseDelayLevels(config.message_delay_level);
  if (levels.ok()) delay_levels_ = std::move(*levels);
}

CommitLog::~CommitLog() {
  flush_timer_.Cancel();
  for (auto& [id, r] : group_commits_) {
    if (r.timer.valid()) rt_.executor().Cancel(r.timer);
  }
}

Status CommitLog::Load() {
  return queue_.Load();
}

int64_t CommitLog::ComputeDeliverTimestamp(int32_t level, int64_t store_timestamp) const {
  if (level >= 1 && level <= max_delay_level()) {
    return store_timestamp + ToMillis(delay_levels_[static_cast<size_t>(level - 1)]);
  }
  return store_timestamp + 1000;
}

// ------------------------------------------------------------------------------------ records

CommitLog::Record CommitLog::CheckMessageAndReturnSize(SegmentReader& reader, const MappedFile& mf,
                                                       int64_t pos, bool check_crc) const {
  Record rec;
  auto header = reader.View(pos, 8);
  if (!header.ok()) {
    if (header.status().code() != StatusCode::kOutOfRange) {
      rec.kind = RecordKind::kReadError;
      rec.read_error = header.status();
      return rec;
    }
    rec.error = "no record header at " + std::to_string(mf.from() + pos);
    return rec;
  }
  const int32_t total_size = common::LoadI32(header->data());
  const int32_t magic = common::LoadI32(header->data() + 4);
  if (magic == common::kBlankMagicCode) {
    rec.kind = RecordKind::kEndOfFile;
    return rec;
  }
  if (magic != common::kMessageMagicCode) {
    // 4.9.8 accepts only MESSAGE_MAGIC_CODE (the 5.x V2 code is "illegal" to it).
    rec.error = "illegal magic code at " + std::to_string(mf.from() + pos);
    return rec;
  }
  if (total_size <= 0 || pos + total_size > mf.file_size()) {
    rec.error = "TOTALSIZE " + std::to_string(total_size) + " at " +
                std::to_string(mf.from() + pos) + " does not fit the segment";
    return rec;
  }
  auto view = reader.View(pos, static_cast<size_t>(total_size));
  if (!view.ok()) {
    if (view.status().code() != StatusCode::kOutOfRange) {
      rec.kind = RecordKind::kReadError;
      rec.read_error = view.status();
      return rec;
    }
    rec.error = view.status().ToString();
    return rec;
  }
  auto decoded = common::DecodeStoredRecord(
      *view, {.check_crc = check_crc, .base_offset = static_cast<uint64_t>(mf.from() + pos)});
  if (!decoded.ok()) {
    rec.error = decoded.status().ToString();
    return rec;
  }
  const common::MessageExt& m = decoded->message;
  if (m.commit_log_offset != mf.from() + pos) {
    // Stricter than Java: a record must say where it is.
    rec.error = "PHYSICALOFFSET " + std::to_string(m.commit_log_offset) + " of the record at " +
                std::to_string(mf.from() + pos);
    return rec;
  }
  DispatchRequest& d = rec.request;
  d.topic = m.message.topic();
  d.queue_id = m.queue_id;
  d.commit_log_offset = m.commit_log_offset;
  d.msg_size = total_size;
  d.store_timestamp = m.store_timestamp_ms;
  d.consume_queue_offset = m.queue_offset;
  d.keys = m.message.keys();
  d.uniq_key = m.message.unique_key();
  d.sys_flag = m.sys_flag;
  d.prepared_transaction_offset = m.prepared_transaction_offset;
  d.tags_code = common::TagsCode(m.message.tags());
  if (d.topic == common::kRmqSysScheduleTopic) {
    auto level = m.message.DelayTimeLevel();
    if (level.ok() && *level > 0) {
      d.tags_code =
          ComputeDeliverTimestamp(std::min(*level, max_delay_level()), m.store_timestamp_ms);
    }
  }
  rec.kind = RecordKind::kMessage;
  rec.size = total_size;
  return rec;
}

StatusOr<std::optional<common::Bytes>> CommitLog::GetMessage(int64_t offset, int32_t size) const {
  if (size <= 0) return std::optional<common::Bytes>();
  const MappedFile* mf = queue_.FindMappedFileByOffset(offset);
  if (mf == nullptr) return std::optional<common::Bytes>();
  const int64_t pos = offset - mf->from();
  if (pos + size > mf->wrote_position()) return std::optional<common::Bytes>();
  common::Bytes out(static_cast<size_t>(size));
  RMQ_RETURN_IF_ERROR(mf->ReadFully(pos, out));
  return std::optional<common::Bytes>(std::move(out));
}

StatusOr<std::optional<common::Bytes>> CommitLog::GetRecord(int64_t offset) const {
  RMQ_ASSIGN_OR_RETURN(auto head, GetMessage(offset, 4));
  if (!head.has_value()) return std::optional<common::Bytes>();
  const int32_t size = common::LoadI32(head->data());
  if (size < 8) return std::optional<common::Bytes>();
  return GetMessage(offset, size);
}

int64_t CommitLog::PickupStoreTimestamp(int64_t offset, int32_t size) const {
  if (offset < GetMinOffset()) return -1;
  auto bytes = GetMessage(offset, std::min<int32_t>(size, kStoreTimestampReadBytes));
  if (!bytes.ok() || !bytes->has_value()) return -1;
  const common::Bytes& b = **bytes;
  if (b.size() < common::kSysFlagPosition + 4) return -1;
  const int64_t pos = StoreTimestampPosition(common::LoadI32(b.data() + common::kSysFlagPosition));
  if (static_cast<int64_t>(b.size()) < pos + 8) return -1;
  return common::LoadI64(b.data() + pos);
}

int64_t CommitLog::GetMinOffset() const {
  return queue_.GetMinOffset();
}

int64_t CommitLog::RollNextFile(int64_t offset) const {
  const int64_t size = config_.mapped_file_size_commit_log;
  return offset + size - offset % size;
}

void CommitLog::RemoveQueueFromTopicQueueTable(const std::string& topic, int32_t queue_id) {
  topic_queue_table_.erase(TopicQueueKey{topic, queue_id});
}

// ----------------------------------------------------------------------------------- recovery

StatusOr<CommitLog::RecoverResult> CommitLog::RecoverFrom(size_t index, bool check_crc) {
  RecoverResult result;
  const auto& files = queue_.files();
  if (files.empty()) return result;
  const int64_t old_end = files.back()->from() + files.back()->physical_size();
  result.start_offset = files[index]->from();
  int64_t process_offset = files[index]->from();
  int64_t pos = 0;
  std::string stop_reason;
  while (true) {
    MappedFile& mf = *files[index];
    SegmentReader reader(mf);
    pos = 0;
    int64_t newest = 0;
    int64_t last_size = 0;
    bool next_file = false;
    while (true) {
      Record rec = CheckMessageAndReturnSize(reader, mf, pos, check_crc);
      if (rec.kind == RecordKind::kMessage) {
        pos += rec.size;
        last_size = rec.size;
        newest = std::max(newest, rec.request.store_timestamp);
        ++result.records;
        continue;
      }
      if (rec.kind == RecordKind::kReadError) {
        // Never truncate what could not be read.
        return rec.read_error.WithContext("recover commit log");
      }
      if (rec.kind == RecordKind::kEndOfFile) {
        if (index + 1 < files.size()) {
          next_file = true;
        } else {
          pos = mf.file_size();  // a full last segment: the next put starts a new one
        }
      } else {
        stop_reason = rec.error;
      }
      break;
    }
    // PLANTED BUG (tests only): recovery drops the last complete message of the log.
    if (!next_file && last_size > 0 && pos < mf.file_size() &&
        RMQ_PLANTED_BUG("store.recover_drop_last")) {
      pos -= last_size;
      stop_reason = "planted bug store.recover_drop_last";
    }
    if (newest > 0) {
      mf.set_store_timestamp(newest);
      mf.set_last_modified_ms(newest);
    }
    if (!next_file) break;
    ++index;
    process_offset = files[index]->from();
  }
  result.end_offset = process_offset + pos;
  result.truncated_bytes = std::max<int64_t>(0, old_end - result.end_offset);
  queue_.set_flushed_where(result.end_offset);
  // Whole records after the cut mean damage in the middle of the log, not a write torn by a
  // crash. Java cuts the log there too (and deletes what follows); rmqsim keeps what follows
  // aside, and says what the log no longer serves.
  const IntactAfterCut intact =
      stop_reason.empty() ? IntactAfterCut{} : CountIntactAfterCut(index, pos);
  if (intact.records > 0) {
    // One directory per incident, never reused: a later incident cannot overwrite what an
    // earlier one kept.
    std::string dir = config_.store_path_root_dir + "/corrupt/commitlog-" +
                      std::to_string(result.end_offset);
    for (int n = 2; rt_.fs().Exists(dir); ++n) {
      dir = config_.store_path_root_dir + "/corrupt/commitlog-" +
            std::to_string(result.end_offset) + "-" + std::to_string(n);
    }
    std::vector<std::string> kept;
    RMQ_RETURN_IF_ERROR(queue_.SetAsideFrom(result.end_offset, dir, &kept));
    std::string names;
    for (const auto& k : kept) names += (names.empty() ? "" : ", ") + k;
    RMQ_LOG_ERROR(rt_, "RocketmqStore",
                  "commit log damaged at offset {} ({}): the log now ends there; {} intact "
                  "record(s) after it ({} bytes in all, {} segment(s)) are no longer served; "
                  "they are kept in {}",
                  result.end_offset, stop_reason, intact.records, result.truncated_bytes,
                  intact.segments, names);
  } else {
    RMQ_RETURN_IF_ERROR(queue_.TruncateDirtyFiles(result.end_offset));
    if (result.truncated_bytes > 0) {
      RMQ_LOG_WARN(rt_, "RocketmqStore",
                   "commit log truncated at offset {}: {} byte(s) after the last whole record "
                   "dropped ({})",
                   result.end_offset, result.truncated_bytes, stop_reason);
    }
  }
  if (result.truncated_bytes > 0) {
    rt_.Trace(TraceEvent("StoreCommitLogTruncated", Severity::kWarn)
                  .Detail("Offset", result.end_offset)
                  .Detail("Bytes", result.truncated_bytes)
                  .Detail("Reason", stop_reason)
                  .Detail("IntactRecordsAfter", intact.records));
  }
  RefreshLastModified();
  return result;
}

CommitLog::IntactAfterCut CommitLog::CountIntactAfterCut(size_t index, int64_t pos) const {
  IntactAfterCut out;
  const auto& files = queue_.files();
  // Counts the whole records from `at` in segment `i` on, up to the first that is not one.
  auto count_from = [&](size_t i, int64_t at) {
    SegmentReader reader(*files[i]);
    uint64_t n = 0;
    while (true) {
      Record rec = CheckMessageAndReturnSize(reader, *files[i], at, /*check_crc=*/true);
      if (rec.kind != RecordKind::kMessage) break;
      at += rec.size;
      ++n;
    }
    return n;
  };
  // In the cut segment: the bad record's own length, if its header is sound, says where the next
  // one would start.
  {
    SegmentReader reader(*files[index]);
    auto header = reader.View(pos, 8);
    if (header.ok() &&
        common::LoadI32(header->data() + 4) == common::kMessageMagicCode) {
      const int32_t size = common::LoadI32(header->data());
      if (size > 0 && pos + size < files[index]->file_size()) {
        const uint64_t n = count_from(index, pos + size);
        out.records += n;
        if (n > 0) out.segments = 1;
      }
    }
  }
  for (size_t i = index + 1; i < files.size(); ++i) {
    const uint64_t n = count_from(i, 0);
    out.records += n;
    if (n > 0) ++out.segments;
  }
  return out;
}

void CommitLog::RefreshLastModified() {
  // Java retains a segment by its mtime. The segment after a full one starts with the record
  // whose put ended it, so that record's store time is when the full one was last written.
  const auto& files = queue_.files();
  for (size_t i = 0; i + 1 < files.size(); ++i) {
    if (files[i]->last_modified_ms() != 0) continue;
    int64_t ts = PickupStoreTimestamp(files[i + 1]->from(), kStoreTimestampReadBytes);
    if (ts < 0) ts = PickupStoreTimestamp(files[i]->from(), kStoreTimestampReadBytes);
    files[i]->set_last_modified_ms(std::max<int64_t>(ts, 0));
  }
}

StatusOr<CommitLog::RecoverResult> CommitLog::RecoverNormally() {
  const size_t n = queue_.files().size();
  size_t index = n > limits::kRecoverNormallyFiles ? n - limits::kRecoverNormallyFiles : 0;
  return RecoverFrom(index, config_.check_crc_on_recover);
}

StatusOr<CommitLog::RecoverResult> CommitLog::RecoverAbnormally(int64_t start_offset) {
  const auto& files = queue_.files();
  size_t index = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    if (files[i]->from() <= start_offset) index = i;
  }
  return RecoverFrom(index, config_.check_crc_on_recover);
}

int64_t CommitLog::AbnormalRecoveryStartOffset(const StoreCheckpoint& checkpoint) const {
  const auto& files = queue_.files();
  if (files.empty()) return 0;
  if (checkpoint.has_flush_points()) {
    const int64_t p =
        std::min(checkpoint.physic_flushed_offset(), checkpoint.logics_flushed_offset());
    int64_t start = files.front()->from();
    for (const auto& f : files) {
      if (f->from() <= p) start = f->from();
    }
    return start;
  }
  // isMappedFileMatchedRecover, newest segment first.
  const int64_t min_ts = checkpoint.GetMinTimestamp();
  for (size_t i = files.size(); i-- > 0;) {
    const MappedFile& mf = *files[i];
    common::Bytes head(kStoreTimestampReadBytes);
    auto n = mf.Read(0, head);
    if (!n.ok() || *n < kStoreTimestampReadBytes) continue;
    if (common::LoadI32(head.data() + common::kMagicCodePosition) != common::kMessageMagicCode) {
      continue;
    }
    const int64_t ts = common::LoadI64(head.data() + StoreTimestampPosition(common::LoadI32(
                                                         head.data() + common::kSysFlagPosition)));
    if (ts != 0 && ts <= min_ts) return mf.from();
  }
  return files.front()->from();
}

// ---------------------------------------------------------------------------------------- put

PutMessageStatus CommitLog::DiskErrorStatus(const Status& st, std::string_view what) {
  rt_.Trace(TraceEvent("StorePutFailed", Severity::kWarn)
                .Detail("Step", std::string(what))
                .Detail("Error", st.ToString()));
  // A full disk is what RocketMQ's disk-full flag reports (SERVICE_NOT_AVAILABLE); other I/O
  // errors are UNKNOWN_ERROR (SYSTEM_ERROR to the client).
  return st.code() == StatusCode::kNoSpace ? PutMessageStatus::kServiceNotAvailable
                                           : PutMessageStatus::kUnknownError;
}


MappedFile* CommitLog::NewSegmentOrTrace() {
  auto created = queue_.GetLastMappedFile(0);
  if (!created.ok()) {
    rt_.Trace(TraceEvent("StoreCreateMappedFileFailed", Severity::kWarn)
                  .Detail("Error", created.status().ToString()));
    return nullptr;
  }
  return *created;
}

CommitLog::AppendOutcome CommitLog::AppendRecords(common::Bytes& records,
                                                  const std::vector<size_t>& starts,
                                                  const TopicQueueKey& key, int32_t tran_type,
                                                  int64_t store_ts,
                                                  const common::HostAddress& store_host) {
  AppendOutcome out;
  MappedFile* mf = queue_.last();
  if (mf == nullptr || mf->IsFull()) {
    mf = NewSegmentOrTrace();
    if (mf == nullptr) {
      out.status = PutMessageStatus::kCreateMapedFileFailed;
      return out;
    }
  }
  const int64_t total = static_cast<int64_t>(records.size());
  // BUGGIFY: roll to a new segment early: end this one with the blank marker although the record
  // would fit. The file is what Java writes when the next message is too big for the rest of the
  // segment (only offered when a legal record could have been that big), so the format stays
  // valid: recovery, dispatch, reads and the HA transfer all take the end-of-file path sooner.
  const bool roll_early =
      mf->wrote_position() > 0 &&
      mf->RemainingBytes() < int64_t{config_.max_message_size} + limits::kEncodeReserveBytes +
                                 common::kEndFileMinBlankLength &&
      RMQ_BUGGIFY_WITH_PROB(rt_, 0.005);
  if (roll_early || total + common::kEndFileMinBlankLength > mf->RemainingBytes()) {
    const common::Bytes blank =
        common::EncodeBlankRecord(static_cast<int32_t>(mf->RemainingBytes()));
    Status st = mf->AppendEndOfFile(blank);
    if (!st.ok()) {
      out.status = DiskErrorStatus(st, "blank");
      return out;
    }
    mf->set_last_modified_ms(store_ts);
    mf = NewSegmentOrTrace();
    if (mf == nullptr) {
      out.status = PutMessageStatus::kCreateMapedFileFailed;
      return out;
    }
    RMQ_ASSERT(total + common::kEndFileMinBlankLength <= mf->RemainingBytes());
  }
  const int64_t wrote_offset = mf->from() + mf->wrote_position();
  auto it = topic_queue_table_.find(key);
  const int64_t queue_offset = it == topic_queue_table_.end() ? 0 : it->second;
  const bool consumable = IsConsumable(tran_type);
  std::string msg_ids;
  for (size_t i = 0; i < starts.size(); ++i) {
    std::byte* p = records.data() + starts[i];
    common::StoreI64(p + kQueueOffsetPos, consumable ? queue_offset + static_cast<int64_t>(i) : 0);
    const int64_t phys = wrote_offset + static_cast<int64_t>(starts[i]);
    common::StoreI64(p + kPhysicalOffsetPos, phys);
    if (i > 0) msg_ids += ',';
    msg_ids += common::CreateOffsetMessageId(store_host, phys);
  }
  Status st = mf->Append(records);
  if (!st.ok()) {
    out.status = DiskErrorStatus(st, "append");
    return out;
  }
  mf->set_store_timestamp(store_ts);
  mf->set_last_modified_ms(store_ts);
  const int64_t n = static_cast<int64_t>(starts.size());
  if (consumable) topic_queue_table_[key] = queue_offset + n;
  out.status = PutMessageStatus::kPutOk;
  out.result.wrote_offset = wrote_offset;
  out.result.wrote_bytes = static_cast<int32_t>(total);
  out.result.msg_id = std::move(msg_ids);
  out.result.store_timestamp = store_ts;
  out.result.logics_offset = consumable ? queue_offset : 0;
  out.result.msg_num = static_cast<int32_t>(n);
  queue_.CheckProgress();
  Appended();
  return out;
}

void CommitLog::PostResult(PutCallback cb, PutMessageResult result) {
  rt_.executor().Post(guard_.Wrap(
      [cb = std::move(cb), result = std::move(result)]() mutable { cb(std::move(result)); }));
}

void CommitLog::AsyncPutMessage(PutMessageRequest req, PutCallback cb) {
  PutMessageResult fail;
  const int64_t store_ts = ToUnixMillis(rt_.WallNow());
  const int32_t tran_type = common::GetTransactionValue(req.sys_flag);
  common::Message& msg = req.message;
  int32_t queue_id = req.queue_id;
  if (IsConsumable(tran_type)) {
    auto level = msg.DelayTimeLevel();
    if (!level.ok()) {
      // Java's getDelayTimeLevel throws NumberFormatException here.
      fail.status = PutMessageStatus::kMessageIllegal;
      return PostResult(std::move(cb), fail);
    }
    if (*level > 0) {
      int32_t l = *level;
      if (l > max_delay_level()) {
        l = max_delay_level();
        msg.SetDelayTimeLevel(l);
      }
      msg.PutProperty(common::kPropertyRealTopic, msg.topic());
      msg.PutProperty(common::kPropertyRealQueueId, std::to_string(queue_id));
      msg.set_topic(std::string(common::kRmqSysScheduleTopic));
      queue_id = l - 1;
    }
  }
  // MessageExtEncoder.encode: properties, body and whole-record limits.
  auto props = common::EncodeProperties(msg.properties());
  if (!props.ok()) {
    fail.status = PutMessageStatus::kMessageIllegal;
    return PostResult(std::move(cb), fail);
  }
  if (props->size() > common::kPropertiesMaxBytes) {
    fail.status = PutMessageStatus::kPropertiesSizeExceeded;
    return PostResult(std::move(cb), fail);
  }
  const int32_t sys_flag = common::SysFlagWithHostBits(req.sys_flag, req.born_host, req.store_host);
  const int64_t body_len = static_cast<int64_t>(msg.body().size());
  const int64_t msg_len =
      common::CalMsgLength(sys_flag, body_len, static_cast<int64_t>(msg.topic().size()),
                           static_cast<int64_t>(props->size()));
  if (body_len > config_.max_message_size ||
      msg_len > int64_t{config_.max_message_size} + limits::kEncodeReserveBytes ||
      msg_len + common::kEndFileMinBlankLength > config_.mapped_file_size_commit_log) {
    fail.status = PutMessageStatus::kMessageIllegal;
    return PostResult(std::move(cb), fail);
  }
  if (config_.flush_disk_type == FlushDiskType::kSyncFlush &&
      group_commits_.size() >= limits::kGroupCommitRequestsMax) {
    fail.status = PutMessageStatus::kOsPageCacheBusy;
    return PostResult(std::move(cb), fail);
  }
  common::MessageExt ext;
  const bool wait = msg.wait_store_msg_ok();
  const std::string topic = msg.topic();
  ext.message = std::move(msg);
  ext.queue_id = queue_id;
  ext.sys_flag = sys_flag;
  ext.born_timestamp_ms = req.born_timestamp_ms;
  ext.born_host = req.born_host;
  ext.store_timestamp_ms = store_ts;
  ext.store_host = req.store_host;
  ext.reconsume_times = req.reconsume_times;
  ext.prepared_transaction_offset = req.prepared_transaction_offset;
  auto encoded = common::EncodeStoredMessage(ext);
  if (!encoded.ok()) {
    fail.status = PutMessageStatus::kMessageIllegal;
    return PostResult(std::move(cb), fail);
  }
  AppendOutcome out = AppendRecords(*encoded, {0}, TopicQueueKey{topic, queue_id}, tran_type,
                                    store_ts, req.store_host);
  if (out.status != PutMessageStatus::kPutOk) {
    fail.status = out.status;
    return PostResult(std::move(cb), fail);
  }
  PutMessageResult result;
  result.status = PutMessageStatus::kPutOk;
  result.has_append_result = true;
  result.append_result = std::move(out.result);
  Complete(std::move(result), wait, std::move(cb));
}

void CommitLog::AsyncPutMessages(PutMessagesRequest req, PutCallback cb) {
  PutMessageResult fail;
  fail.status = PutMessageStatus::kMessageIllegal;
  if (req.messages.empty() ||
      common::GetTransactionValue(req.sys_flag) != common::kTransactionNotType) {
    return PostResult(std::move(cb), fail);
  }
  const int64_t store_ts = ToUnixMillis(rt_.WallNow());
  const int32_t sys_flag = common::SysFlagWithHostBits(req.sys_flag, req.born_host, req.store_host);
  common::Bytes records;
  std::vector<size_t> starts;
  starts.reserve(req.messages.size());
  for (common::Message& m : req.messages) {
    auto level = m.DelayTimeLevel();
    if (!level.ok() || *level > 0) return PostResult(std::move(cb), fail);
    if (static_cast<int64_t>(m.body().size()) > config_.max_message_size) {
      return PostResult(std::move(cb), fail);
    }
    common::MessageExt ext;
    m.set_topic(req.topic);
    ext.message = std::move(m);
    ext.queue_id = req.queue_id;
    ext.sys_flag = sys_flag;
    ext.born_timestamp_ms = req.born_timestamp_ms;
    ext.born_host = req.born_host;
    ext.store_timestamp_ms = store_ts;
    ext.store_host = req.store_host;
    ext.reconsume_times = req.reconsume_times;
    starts.push_back(records.size());
    Status st = common::AppendStoredMessage(ext, &records);
    if (!st.ok()) return PostResult(std::move(cb), fail);
  }
  if (static_cast<int64_t>(records.size()) + common::kEndFileMinBlankLength >
      config_.mapped_file_size_commit_log) {
    return PostResult(std::move(cb), fail);
  }
  if (config_.flush_disk_type == FlushDiskType::kSyncFlush &&
      group_commits_.size() >= limits::kGroupCommitRequestsMax) {
    fail.status = PutMessageStatus::kOsPageCacheBusy;
    return PostResult(std::move(cb), fail);
  }
  AppendOutcome out = AppendRecords(records, starts, TopicQueueKey{req.topic, req.queue_id},
                                    common::kTransactionNotType, store_ts, req.store_host);
  if (out.status != PutMessageStatus::kPutOk) {
    fail.status = out.status;
    return PostResult(std::move(cb), fail);
  }
  PutMessageResult result;
  result.status = PutMessageStatus::kPutOk;
  result.has_append_result = true;
  result.append_result = std::move(out.result);
  Complete(std::move(result), req.wait_store_msg_ok, std::move(cb));
}

StatusOr<int64_t> CommitLog::AppendRaw(int64_t offset, common::ByteSpan data) {
  const int64_t seg = config_.mapped_file_size_commit_log;
  const int64_t max = GetMaxOffset();
  if (queue_.empty()) {
    if (offset % seg != 0) {
      return FailedPreconditionError("raw append to an empty commit log at " +
                                     std::to_string(offset) + ", not a segment start");
    }
  } else if (offset != max) {
    // The last segment holds `max` unless it is full (then max is the next segment's start and
    // only offset == max is acceptable): check before GetLastMappedFile would create one.
    const int64_t seg_start = max - max % seg;
    if (max % seg == 0 || offset != seg_start + seg) {
      return FailedPreconditionError("raw append at " + std::to_string(offset) +
                                     " but the commit log ends at " + std::to_string(max));
    }
    auto last = queue_.GetLastMappedFile(max);
    if (!last.ok()) return last.status();
    MappedFile* mf = *last;
    if (offset != mf->from() + mf->file_size() || mf->IsFull()) {
      return FailedPreconditionError("raw append at " + std::to_string(offset) +
                                     " but the commit log ends at " + std::to_string(max));
    }
    RMQ_RETURN_IF_ERROR(mf->AppendEndOfFile({}));  // the zero tail Java would have received
  }
  size_t consumed = 0;
  while (consumed < data.size()) {
    auto last = queue_.GetLastMappedFile(offset);
    if (!last.ok()) return last.status();
    MappedFile* mf = *last;
    const size_t n =
        std::min<size_t>(data.size() - consumed, static_cast<size_t>(mf->RemainingBytes()));
    RMQ_RETURN_IF_ERROR(mf->Append(data.subspan(consumed, n)));
    mf->set_last_modified_ms(ToUnixMillis(rt_.WallNow()));
    consumed += n;
    offset += static_cast<int64_t>(n);
  }
  queue_.CheckProgress();
  if (consumed > 0) Appended();
  return static_cast<int64_t>(consumed);
}

StatusOr<int64_t> CommitLog::AppendData(int64_t offset, common::ByteSpan data) {
  const int64_t seg = config_.mapped_file_size_commit_log;
  if (queue_.empty()) {
    if (offset % seg != 0) {
      return FailedPreconditionError("append to an empty commit log at " +
                                     std::to_string(offset) + ", not a segment start");
    }
  } else if (offset != GetMaxOffset()) {
    return FailedPreconditionError("append at " + std::to_string(offset) +
                                   " but the commit log ends at " +
                                   std::to_string(GetMaxOffset()));
  }
  size_t consumed = 0;
  bool appended = false;
  Status error;
  while (data.size() - consumed >= 8) {
    auto last = queue_.GetLastMappedFile(offset);
    if (!last.ok()) {
      error = last.status();
      break;
    }
    MappedFile* mf = *last;
    if (mf->from() + mf->wrote_position() != offset) {
      error = FailedPreconditionError("segment end " +
                                      std::to_string(mf->from() + mf->wrote_position()) +
                                      " is not the append offset " + std::to_string(offset));
      break;
    }
    const std::byte* p = data.data() + consumed;
    const int32_t total = common::LoadI32(p);
    const int32_t magic = common::LoadI32(p + 4);
    if (magic == common::kBlankMagicCode) {
      if (total != mf->RemainingBytes()) {
        error = CorruptionError("blank marker of " + std::to_string(total) + " bytes at " +
                                std::to_string(offset) + " does not end the segment");
        break;
      }
      Status st = mf->AppendEndOfFile(data.subspan(consumed, 8));
      if (!st.ok()) {
        error = st;
        break;
      }
      consumed += 8;
      offset = mf->from() + mf->file_size();
      appended = true;
      continue;
    }
    if (magic != common::kMessageMagicCode || total <= 0 ||
        total + common::kEndFileMinBlankLength > mf->RemainingBytes()) {
      error = CorruptionError("invalid record header at " + std::to_string(offset));
      break;
    }
    if (data.size() - consumed < static_cast<size_t>(total)) break;  // incomplete
    auto rec = data.subspan(consumed, static_cast<size_t>(total));
    auto decoded = common::DecodeStoredRecord(
        rec, {.check_crc = true, .base_offset = static_cast<uint64_t>(offset)});
    if (!decoded.ok()) {
      error = decoded.status();
      break;
    }
    const common::MessageExt& m = decoded->message;
    if (decoded->is_blank || m.commit_log_offset != offset) {
      error = CorruptionError("PHYSICALOFFSET " + std::to_string(m.commit_log_offset) +
                              " of the record at " + std::to_string(offset));
      break;
    }
    Status st = mf->Append(rec);
    if (!st.ok()) {
      error = st;
      break;
    }
    mf->set_store_timestamp(m.store_timestamp_ms);
    mf->set_last_modified_ms(ToUnixMillis(rt_.WallNow()));
    if (IsConsumable(common::GetTransactionValue(m.sys_flag))) {
      topic_queue_table_[TopicQueueKey{m.message.topic(), m.queue_id}] = m.queue_offset + 1;
    }
    consumed += static_cast<size_t>(total);
    offset += total;
    appended = true;
  }
  queue_.CheckProgress();
  if (appended) Appended();
  if (!error.ok() && consumed == 0) return error;
  if (!error.ok()) {
    rt_.Trace(TraceEvent("StoreAppendDataFailed", Severity::kWarn)
                  .Detail("Offset", offset)
                  .Detail("Error", error.ToString()));
  }
  return static_cast<int64_t>(consumed);
}

void CommitLog::Complete(PutMessageResult result, bool wait, PutCallback cb) {
  // flushOKFuture.thenCombine(replicaOKFuture): a failed flush status, then a failed replica
  // status, replace PUT_OK.
  struct Join {
    PutMessageResult result;
    PutCallback cb;
    int pending = 2;
    PutMessageStatus flush = PutMessageStatus::kPutOk;
    PutMessageStatus replica = PutMessageStatus::kPutOk;
  };
  auto join = std::make_shared<Join>();
  join->result = std::move(result);
  join->cb = std::move(cb);
  const int64_t next_offset =
      join->result.append_result.wrote_offset + join->result.append_result.wrote_bytes;
  auto finish = [join] {
    if (--join->pending > 0) return;
    if (join->flush != PutMessageStatus::kPutOk) join->result.status = join->flush;
    if (join->replica != PutMessageStatus::kPutOk) join->result.status = join->replica;
    join->cb(std::move(join->result));
  };
  SubmitFlushRequest(next_offset, wait, [join, finish](PutMessageStatus s) {
    join->flush = s;
    finish();
  });
  SubmitReplicaRequest(next_offset, wait, [join, finish](PutMessageStatus s) {
    join->replica = s;
    finish();
  });
}

void CommitLog::SubmitFlushRequest(int64_t next_offset, bool wait, StatusCallback done) {
  if (config_.flush_disk_type == FlushDiskType::kSyncFlush) {
    // PLANTED BUG (tests only): acknowledge a SYNC_FLUSH put before its flush.
    if (wait && RMQ_PLANTED_BUG("store.sync_flush_no_wait")) {
      rt_.executor().Post(guard_.Wrap([done = std::move(done)] { done(PutMessageStatus::kPutOk); }));
      return;
    }
    if (wait) {
      const uint64_t id = ++last_group_commit_id_;
      GroupCommitRequest& r = group_commits_[id];
      r.done = std::move(done);
      r.timer = rt_.executor().ScheduleAfter(config_.sync_flush_timeout, guard_.Wrap([this, id] {
        CompleteGroupCommit(id, PutMessageStatus::kFlushDiskTimeout);
      }));
      auto flush = [this, id, next_offset] {
        queue_.FlushTo(next_offset, guard_.Wrap([this, id](const Status& st) {
          CompleteGroupCommit(
              id, st.ok() ? PutMessageStatus::kPutOk : PutMessageStatus::kFlushDiskTimeout);
        }));
      };
      // BUGGIFY: GroupCommitService wakes late: the request waits up to 200 ms before its flush
      // starts (Java's group commit thread swaps request lists every 10 ms and can be descheduled
      // or stuck behind a slow force()). The put's syncFlushTimeout runs from submission, so a
      // long wait can legally end in FLUSH_DISK_TIMEOUT with the message stored.
      if (RMQ_BUGGIFY(rt_)) {
        rt_.executor().ScheduleAfter(
            rt_.random().UniformDuration(Duration::zero(), milliseconds(200)),
            guard_.Wrap(std::move(flush)));
        return;
      }
      flush();
      return;
    }
    queue_.Flush(0);
  }
  rt_.executor().Post(guard_.Wrap([done = std::move(done)] { done(PutMessageStatus::kPutOk); }));
}

void CommitLog::CompleteGroupCommit(uint64_t id, PutMessageStatus status) {
  auto it = group_commits_.find(id);
  if (it == group_commits_.end()) return;
  GroupCommitRequest r = std::move(it->second);
  group_commits_.erase(it);
  rt_.executor().Cancel(r.timer);
  if (status == PutMessageStatus::kFlushDiskTimeout) {
    rt_.Trace(TraceEvent("StoreFlushDiskTimeout", Severity::kWarn)
                  .Detail("FlushedWhere", queue_.flushed_where())
                  .Detail("MaxOffset", queue_.GetMaxOffset()));
  }
  r.done(status);
}

void CommitLog::SubmitReplicaRequest(int64_t next_offset, bool wait, StatusCallback done) {
  if (config_.broker_role == BrokerRole::kSyncMaster && wait) {
    if (replica_hook_) {
      replica_hook_(next_offset, config_.slave_timeout, std::move(done));
      return;
    }
    rt_.executor().Post(
        guard_.Wrap([done = std::move(done)] { done(PutMessageStatus::kSlaveNotAvailable); }));
    return;
  }
  rt_.executor().Post(guard_.Wrap([done = std::move(done)] { done(PutMessageStatus::kPutOk); }));
}

// -------------------------------------------------------------------------------------- flush

void CommitLog::Start() {
  started_ = true;
  last_thorough_flush_ = rt_.Now();
  flush_timer_.Schedule(config_.flush_interval_commit_log, rt_.Now());
}

void CommitLog::Appended() {
  // New bytes may give the flush service work: its next pass at its next period.
  flush_timer_.Wake();
  if (on_appended_) on_appended_();
}

void CommitLog::Shutdown() {
  started_ = false;
  flush_timer_.Cancel();
}

int CommitLog::FlushLeastPages() const {
  // SYNC_FLUSH flushes on every put; its tick (GroupCommitService flushes every 10 ms even
  // without requests) only catches what is left, e.g. a range to rewrite after a failed fsync.
  return config_.flush_disk_type == FlushDiskType::kSyncFlush ? 0
                                                              : config_.flush_commit_log_least_pages;
}

void CommitLog::FlushTick() {
  if (!started_) return;
  int least_pages = FlushLeastPages();
  if (rt_.Now() >= last_thorough_flush_ + config_.flush_commit_log_thorough_interval) {
    last_thorough_flush_ = rt_.Now();
    least_pages = 0;
  }
  // FlushRealTimeService sleeps, then flushes, then sleeps again.
  queue_.Flush(least_pages, guard_.Wrap([this](const Status&) {
    if (!started_) return;
    Duration wait = config_.flush_interval_commit_log;
    // BUGGIFY: the flush thread runs up to 3 s late (FlushRealTimeService / GroupCommitService
    // behind a GC pause or a stalled disk): more unflushed data for a power loss to take under
    // ASYNC_FLUSH, and SYNC_FLUSH leftovers retried later.
    if (RMQ_BUGGIFY(rt_)) wait += rt_.random().UniformDuration(Duration::zero(), seconds(3));
    // The passes before the next thorough flush find nothing to do unless something is written
    // (Appended wakes the timer) or left dirty now.
    MonoTime idle_until = last_thorough_flush_ + config_.flush_commit_log_thorough_interval;
    if (queue_.flushing() || queue_.NeedsFlush(FlushLeastPages())) idle_until = rt_.Now();
    flush_timer_.Schedule(wait, idle_until);
  }));
}

void CommitLog::FlushAll(std::function<void(const Status&)> done) {
  queue_.FlushTo(queue_.GetMaxOffset(), std::move(done));
}

StatusOr<int> CommitLog::DeleteExpiredFile(Duration expired, int64_t now_ms,
                                           bool clean_immediately) {
  const auto& files = queue_.files();
  size_t count = 0;
  for (size_t i = 0; i + 1 < files.size(); ++i) {
    const int64_t live_max = files[i]->last_modified_ms() + ToMillis(expired);
    if (now_ms >= live_max || clean_immediately) {
      ++count;
      if (count >= static_cast<size_t>(limits::kDeleteFilesBatchMax)) break;
    } else {
      break;  // never delete files in the middle
    }
  }
  if (count == 0) return 0;
  RMQ_RETURN_IF_ERROR(queue_.DeleteFirstFiles(count));
  rt_.Trace(TraceEvent("StoreCommitLogFilesDeleted")
                .Detail("Files", count)
                .Detail("MinOffset", GetMinOffset())
                .Detail("Forcibly", clean_immediately));
  return static_cast<int>(count);
}

StatusOr<common::Bytes> CommitLog::ReadBytes(int64_t from, int64_t to) const {
  common::Bytes out;
  for (const auto& mf : queue_.files()) {
    const int64_t b = std::max(from, mf->from());
    const int64_t e = std::min(to, mf->from() + mf->wrote_position());
    if (b >= e) continue;
    common::Bytes buf(static_cast<size_t>(e - b));
    auto n = mf->Read(b - mf->from(), buf);
    if (!n.ok()) return n.status();
    buf.resize(*n);
    out.insert(out.end(), buf.begin(), buf.end());
  }
  return out;
}

}  // namespace rmqsim::store
