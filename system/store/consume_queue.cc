#include "system/store/consume_queue.h"

#include <algorithm>
#include <array>
#include <climits>
#include <cstdlib>

#include "sim/base/assert.h"
#include "sim/runtime/log.h"
#include "system/store/limits.h"
#include "system/store/segment_reader.h"

namespace rmqsim::store {
namespace {

constexpr int64_t kUnit = static_cast<int64_t>(common::kConsumeQueueUnitSize);

struct RawEntry {
  int64_t offset;
  int32_t size;
  int64_t tags_code;
  bool written() const { return offset >= 0 && size > 0; }
  // fillPreBlank's placeholders (offset 0, size Integer.MAX_VALUE) point at no record.
  bool pre_blank() const { return offset == 0 && size == INT32_MAX; }
};

RawEntry EntryAt(common::ByteSpan bytes, size_t pos) {
  const std::byte* p = bytes.data() + pos;
  return {common::LoadI64(p), common::LoadI32(p + 8), common::LoadI64(p + 12)};
}

}  // namespace

ConsumeQueue::ConsumeQueue(Runtime& rt, std::string topic, int32_t queue_id,
                           const std::string& store_path, int64_t mapped_file_size)
    : rt_(rt),
      topic_(std::move(topic)),
      queue_id_(queue_id),
      queue_(rt, store_path + "/" + topic_ + "/" + std::to_string(queue_id), mapped_file_size) {}

int64_t ConsumeQueue::GetMinOffsetInQueue() const {
  return min_logic_offset_ / kUnit;
}

int64_t ConsumeQueue::GetMaxOffsetInQueue() const {
  return queue_.GetMaxOffset() / kUnit;
}

Status ConsumeQueue::Recover() {
  const auto& files = queue_.files();
  if (files.empty()) return Status::Ok();
  const int64_t file_size = queue_.mapped_file_size();
  size_t index = files.size() > limits::kRecoverNormallyFiles
                     ? files.size() - limits::kRecoverNormallyFiles
                     : 0;
  int64_t process_offset = files[index]->from();
  int64_t file_offset = 0;
  while (true) {
    const MappedFile& mf = *files[index];
    SegmentReader reader(mf);
    file_offset = 0;
    for (int64_t i = 0; i + kUnit <= file_size; i += kUnit) {
      auto view = reader.View(i, static_cast<size_t>(kUnit));
      if (!view.ok()) {
        if (view.status().code() != StatusCode::kOutOfRange) return view.status();
        break;  // past the physical end: not written
      }
      RawEntry e = EntryAt(*view, 0);
      if (!e.written()) break;
      if (!e.pre_blank() && e.offset < max_physic_offset_) break;  // goes backwards: damaged
      file_offset = i + kUnit;
      if (!e.pre_blank()) max_physic_offset_ = e.offset + e.size;
    }
    if (file_offset == file_size && index + 1 < files.size()) {
      ++index;
      process_offset = files[index]->from();
      continue;
    }
    break;
  }
  process_offset += file_offset;
  cut_entry_ = process_offset / kUnit;
  // What looks written after the cut (this segment's rest, and the segments after it).
  entries_dropped_ = 0;
  for (size_t f = index; f < files.size(); ++f) {
    SegmentReader reader(*files[f]);
    for (int64_t i = f == index ? file_offset : 0; i + kUnit <= file_size; i += kUnit) {
      auto view = reader.View(i, static_cast<size_t>(kUnit));
      if (!view.ok()) break;
      if (EntryAt(*view, 0).written()) ++entries_dropped_;
    }
  }
  queue_.set_flushed_where(process_offset);
  return queue_.TruncateDirtyFiles(process_offset);
}

Status ConsumeQueue::FillPreBlank(MappedFile& mf, int64_t until_where) {
  // Placeholder entries: offset 0, size Integer.MAX_VALUE, tags code 0.
  const int64_t until = until_where - mf.from();  // up to the end of the file at most
  common::Bytes chunk;
  while (mf.wrote_position() < until) {
    int64_t n =
        std::min<int64_t>(until - mf.wrote_position(),
                          static_cast<int64_t>(limits::kPreBlankChunkBytes) / kUnit * kUnit);
    chunk.clear();
    for (int64_t i = 0; i < n; i += kUnit) {
      common::AppendConsumeQueueEntry({0, INT32_MAX, 0}, &chunk);
    }
    RMQ_RETURN_IF_ERROR(mf.Append(chunk));
  }
  return Status::Ok();
}

Status ConsumeQueue::PutMessagePositionInfo(int64_t offset, int32_t size, int64_t tags_code,
                                            int64_t cq_offset, bool fill_gap) {
  if (offset + size <= max_physic_offset_) {
    // Already indexed (ConsumeQueue: "Maybe try to build consume queue repeatedly").
    return Status::Ok();
  }
  const int64_t expect = cq_offset * kUnit;
  RMQ_ASSIGN_OR_RETURN(MappedFile * mf, queue_.GetLastMappedFile(expect));
  if (mf->first_create_in_queue() && cq_offset != 0 && mf->wrote_position() == 0) {
    min_logic_offset_ = expect;
    queue_.set_flushed_where(expect);
    RMQ_RETURN_IF_ERROR(FillPreBlank(*mf, expect));
    rt_.Trace(TraceEvent("StoreConsumeQueuePreBlank")
                  .Detail("Topic", topic_)
                  .Detail("QueueId", queue_id_)
                  .Detail("Until", expect / kUnit));
  }
  if (cq_offset != 0) {
    int64_t current = mf->from() + mf->wrote_position();
    if (expect < current) return Status::Ok();  // built repeatedly
    if (expect > current && fill_gap) {
      RMQ_LOG_WARN(rt_, "RocketmqStore",
                   "consume queue {}/{}: entries [{}, {}) lost with a missing commit-log range; "
                   "placeholders written",
                   topic_, queue_id_, current / kUnit, expect / kUnit);
      while (current < expect) {
        RMQ_ASSIGN_OR_RETURN(MappedFile * gap_file, queue_.GetLastMappedFile(current));
        const int64_t file_end = gap_file->from() + queue_.mapped_file_size();
        RMQ_RETURN_IF_ERROR(FillPreBlank(*gap_file, std::min(expect, file_end)));
        current = std::min(expect, file_end);
      }
      RMQ_ASSIGN_OR_RETURN(mf, queue_.GetLastMappedFile(expect));
      current = mf->from() + mf->wrote_position();
    }
    if (expect != current) {
      // As Java: the entry goes where the queue ends, and the mismatch is reported.
      rt_.Trace(TraceEvent("StoreConsumeQueueOrderWrong", Severity::kWarn)
                    .Detail("Topic", topic_)
                    .Detail("QueueId", queue_id_)
                    .Detail("Expected", cq_offset)
                    .Detail("Current", current / kUnit));
    }
  }
  auto entry = common::EncodeConsumeQueueEntry({offset, size, tags_code});
  RMQ_RETURN_IF_ERROR(mf->Append(entry));
  max_physic_offset_ = offset + size;
  return Status::Ok();
}

StatusOr<common::Bytes> ConsumeQueue::ReadEntries(const MappedFile& mf, int64_t first_pos,
                                                  int64_t bytes) const {
  common::Bytes out(static_cast<size_t>(bytes));
  RMQ_RETURN_IF_ERROR(mf.ReadFully(first_pos, out));
  return out;
}

StatusOr<std::optional<common::Bytes>> ConsumeQueue::GetIndexBuffer(int64_t start_index,
                                                                    int64_t max_bytes) const {
  const int64_t offset = start_index * kUnit;
  if (offset < min_logic_offset_) return std::optional<common::Bytes>();
  const MappedFile* mf = queue_.FindMappedFileByOffset(offset);
  if (mf == nullptr) return std::optional<common::Bytes>();
  const int64_t pos = offset - mf->from();
  const int64_t readable = mf->wrote_position() - pos;
  if (readable <= 0) return std::optional<common::Bytes>();
  const int64_t n = std::min(readable, std::max<int64_t>(max_bytes, kUnit)) / kUnit * kUnit;
  RMQ_ASSIGN_OR_RETURN(common::Bytes b, ReadEntries(*mf, pos, n));
  return std::optional<common::Bytes>(std::move(b));
}

StatusOr<std::optional<common::ConsumeQueueEntry>> ConsumeQueue::GetEntry(int64_t index) const {
  RMQ_ASSIGN_OR_RETURN(auto buf, GetIndexBuffer(index, kUnit));
  if (!buf.has_value()) return std::optional<common::ConsumeQueueEntry>();
  RMQ_ASSIGN_OR_RETURN(auto e, common::DecodeConsumeQueueEntry(*buf));
  return std::optional<common::ConsumeQueueEntry>(e);
}

int64_t ConsumeQueue::RollNextFile(int64_t index) const {
  const int64_t units = queue_.mapped_file_size() / kUnit;
  return index + units - index % units;
}

Status ConsumeQueue::TruncateDirtyLogicFiles(int64_t phy_offset) {
  max_physic_offset_ = -1;
  while (MappedFile* mf = queue_.last()) {
    SegmentReader reader(*mf);
    const int64_t limit = std::min(mf->wrote_position(), mf->physical_size());
    int64_t keep = 0;
    int64_t max_physic = -1;
    for (int64_t i = 0; i + kUnit <= limit; i += kUnit) {
      auto view = reader.View(i, static_cast<size_t>(kUnit));
      if (!view.ok()) {
        if (view.status().code() != StatusCode::kOutOfRange) return view.status();
        break;
      }
      RawEntry e = EntryAt(*view, 0);
      if (!e.written() || e.offset >= phy_offset) break;
      keep = i + kUnit;
      if (!e.pre_blank()) max_physic = e.offset + e.size;
    }
    if (keep == 0) {
      // Nothing in this file points below phy_offset.
      RMQ_RETURN_IF_ERROR(queue_.DeleteLastMappedFile());
      continue;
    }
    mf->SetPositions(keep);
    RMQ_RETURN_IF_ERROR(mf->TruncatePhysical(keep));
    max_physic_offset_ = max_physic;
    break;
  }
  queue_.set_flushed_where(std::min(queue_.flushed_where(), queue_.GetMaxOffset()));
  return Status::Ok();
}

Status ConsumeQueue::CorrectMinOffset(int64_t phy_min_offset) {
  const MappedFile* mf = queue_.first();
  if (mf == nullptr) return Status::Ok();
  SegmentReader reader(*mf);
  const int64_t limit = std::min(mf->wrote_position(), mf->physical_size());
  for (int64_t i = 0; i + kUnit <= limit; i += kUnit) {
    RMQ_ASSIGN_OR_RETURN(common::ByteSpan view, reader.View(i, static_cast<size_t>(kUnit)));
    RawEntry e = EntryAt(view, 0);
    if (e.offset >= phy_min_offset) {
      min_logic_offset_ = mf->from() + i;
      return Status::Ok();
    }
  }
  return Status::Ok();
}

StatusOr<int> ConsumeQueue::DeleteExpiredFile(int64_t phy_min_offset) {
  const auto& files = queue_.files();
  size_t count = 0;
  for (size_t i = 0; i + 1 < files.size(); ++i) {
    const MappedFile& mf = *files[i];
    const int64_t last_pos = queue_.mapped_file_size() - kUnit;
    if (mf.wrote_position() < queue_.mapped_file_size() || mf.physical_size() < last_pos + kUnit) {
      break;
    }
    std::array<std::byte, common::kConsumeQueueUnitSize> buf;
    RMQ_RETURN_IF_ERROR(mf.ReadFully(last_pos, buf));
    RawEntry e = EntryAt(buf, 0);
    if (e.offset >= phy_min_offset) break;
    ++count;
  }
  if (count > 0) {
    RMQ_RETURN_IF_ERROR(queue_.DeleteFirstFiles(count));
    rt_.Trace(TraceEvent("StoreConsumeQueueFilesDeleted")
                  .Detail("Topic", topic_)
                  .Detail("QueueId", queue_id_)
                  .Detail("Files", count));
  }
  RMQ_RETURN_IF_ERROR(CorrectMinOffset(phy_min_offset));
  return static_cast<int>(count);
}

int64_t ConsumeQueue::GetOffsetInQueueByTime(
    int64_t timestamp_ms, int64_t min_phy_offset,
    const std::function<int64_t(int64_t, int32_t)>& store_time_of) const {
  const auto& files = queue_.files();
  if (files.empty()) return 0;
  // MappedFileQueue.getMappedFileByTime: Java compares File.lastModified(); here a file's
  // "last modified" is the store time of the message its newest entry points at.
  const MappedFile* mf = files.back().get();
  for (const auto& f : files) {
    int64_t end = std::min(f->wrote_position(), f->physical_size()) / kUnit * kUnit;
    if (end < kUnit) continue;
    std::array<std::byte, common::kConsumeQueueUnitSize> buf;
    if (!f->ReadFully(end - kUnit, buf).ok()) continue;
    RawEntry e = EntryAt(buf, 0);
    if (store_time_of(e.offset, e.size) >= timestamp_ms) {
      mf = f.get();
      break;
    }
  }
  const int64_t readable = std::min(mf->wrote_position(), mf->physical_size()) / kUnit * kUnit;
  if (readable < kUnit) return mf->from() / kUnit;
  // One 20-byte read per probe: the file is never read whole.
  std::array<std::byte, common::kConsumeQueueUnitSize> probe;
  bool read_failed = false;
  auto entry_at = [&](int64_t pos) {
    if (!mf->ReadFully(pos, probe).ok()) {
      read_failed = true;
      return RawEntry{-1, 0, 0};
    }
    return EntryAt(probe, 0);
  };
  int64_t low = min_logic_offset_ > mf->from() ? min_logic_offset_ - mf->from() : 0;
  int64_t high = readable - kUnit;
  int64_t target = -1, left = -1, right = -1;
  int64_t left_value = -1, right_value = -1;
  while (high >= low) {
    int64_t mid = (low + high) / (2 * kUnit) * kUnit;
    RawEntry e = entry_at(mid);
    if (read_failed) return 0;
    if (e.offset < min_phy_offset) {
      low = mid + kUnit;
      left = mid;
      continue;
    }
    int64_t store_time = store_time_of(e.offset, e.size);
    if (store_time < 0) return 0;
    if (store_time == timestamp_ms) {
      target = mid;
      break;
    }
    if (store_time > timestamp_ms) {
      high = mid - kUnit;
      right = mid;
      right_value = store_time;
    } else {
      low = mid + kUnit;
      left = mid;
      left_value = store_time;
    }
  }
  int64_t offset;
  if (target != -1) {
    offset = target;
  } else if (left_value == -1) {
    offset = right;
  } else if (right_value == -1) {
    offset = left;
  } else {
    offset = std::llabs(timestamp_ms - left_value) > std::llabs(timestamp_ms - right_value) ? right
                                                                                            : left;
  }
  return (mf->from() + offset) / kUnit;
}

void CheckConsumeQueueGrowth(const ConsumeQueue& cq, int64_t before, int64_t after,
                             int64_t record_queue_offset) {
  RMQ_ASSERT_MSG(after == before || after == before + 1 || after == record_queue_offset + 1,
                 "consume queue " + cq.topic() + "/" + std::to_string(cq.queue_id()) +
                     " went from " + std::to_string(before) + " to " + std::to_string(after) +
                     " entries for the record at queue offset " +
                     std::to_string(record_queue_offset));
}

Status ConsumeQueue::Destroy() {
  max_physic_offset_ = -1;
  min_logic_offset_ = 0;
  return queue_.Destroy();
}

}  // namespace rmqsim::store
