// ConsumeQueue (store/.../ConsumeQueue.java in 4.9.8; reference §4.7): the index of one
// topic/queue: entry n (20 bytes: commit-log offset, size, tags code) at byte n * 20 of the
// files <storePathRootDir>/consumequeue/<topic>/<queueId>/<20-digit offset>.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "sim/base/status.h"
#include "sim/runtime/runtime.h"
#include "system/common/byte_buffer.h"
#include "system/common/consume_queue_entry.h"
#include "system/store/mapped_file_queue.h"

namespace rmqsim::store {

class ConsumeQueue {
 public:
  // store_path: the consumequeue root; the queue lives in <store_path>/<topic>/<queue_id>.
  ConsumeQueue(Runtime& rt, std::string topic, int32_t queue_id, const std::string& store_path,
               int64_t mapped_file_size);

  const std::string& topic() const { return topic_; }
  int32_t queue_id() const { return queue_id_; }
  MappedFileQueue& mapped_file_queue() { return queue_; }
  const MappedFileQueue& mapped_file_queue() const { return queue_; }

  Status Load() { return queue_.Load(); }
  // ConsumeQueue.recover: from the third-last file, keeps entries while they look written
  // (offset >= 0, size > 0) and, stricter than Java, point past the previous entry's record;
  // cuts the queue after the last one. Written-looking entries after the cut mean the queue was
  // damaged, not merely left unfinished: see entries_dropped().
  Status Recover();
  // Entries after the recovery cut that looked written (0: the queue just ended there). The store
  // then rebuilds the queue from the commit log from max_physic_offset() on.
  uint64_t entries_dropped() const { return entries_dropped_; }
  // The queue offset (entry number) where recovery cut the queue.
  int64_t cut_entry() const { return cut_entry_; }

  // End (offset + size) of the commit-log record of the newest entry; -1 when none.
  int64_t max_physic_offset() const { return max_physic_offset_; }
  int64_t min_logic_offset() const { return min_logic_offset_; }
  int64_t GetMinOffsetInQueue() const;
  int64_t GetMaxOffsetInQueue() const;
  int64_t GetMessageTotalInQueue() const { return GetMaxOffsetInQueue() - GetMinOffsetInQueue(); }

  // putMessagePositionInfo: writes the entry for queue offset `cq_offset`. An entry for a record
  // that is already indexed is skipped (OK). A queue whose first file is created at a non-zero
  // offset is filled with placeholder entries up to it (fillPreBlank) and starts there. An entry
  // past the queue's end goes where the queue ends (Java's "[BUG]logic queue order maybe wrong")
  // unless `fill_gap`: then placeholders fill the queue up to it (the store sets it once dispatch
  // has skipped a missing commit-log range, whose records' entries can never be written).
  Status PutMessagePositionInfo(int64_t offset, int32_t size, int64_t tags_code, int64_t cq_offset,
                                bool fill_gap = false);

  // getIndexBuffer: the entries from `start_index` to the end of the file holding it (at most
  // max_bytes, whole entries). nullopt when start_index is below the minimum or in no file.
  StatusOr<std::optional<common::Bytes>> GetIndexBuffer(int64_t start_index,
                                                        int64_t max_bytes) const;
  // One entry; nullopt as for GetIndexBuffer.
  StatusOr<std::optional<common::ConsumeQueueEntry>> GetEntry(int64_t index) const;
  // The first index of the next file.
  int64_t RollNextFile(int64_t index) const;

  // truncateDirtyLogicFiles: drops the entries that point at or past `phy_offset`.
  Status TruncateDirtyLogicFiles(int64_t phy_offset);
  // correctMinOffset: the minimum becomes the first entry (of the first file) pointing at or past
  // the commit log's minimum.
  Status CorrectMinOffset(int64_t phy_min_offset);
  // deleteExpiredFile: removes files (never the last) whose last entry points below
  // `phy_min_offset`, then corrects the minimum. Returns how many were removed.
  StatusOr<int> DeleteExpiredFile(int64_t phy_min_offset);

  // getOffsetInQueueByTime (4.9.8): picks the first file whose newest message was stored at or
  // after `timestamp_ms` (else the last file) and binary-searches it for the entry stored at that
  // time or, failing that, the nearer neighbour. `store_time_of(offset, size)` is the commit log's
  // pickupStoreTimestamp (-1 when the record is unavailable).
  int64_t GetOffsetInQueueByTime(
      int64_t timestamp_ms, int64_t min_phy_offset,
      const std::function<int64_t(int64_t, int32_t)>& store_time_of) const;

  Status Destroy();

 private:
  Status FillPreBlank(MappedFile& mf, int64_t until_where);
  // Entries [first, first + count) of a file (bounded by its physical size).
  StatusOr<common::Bytes> ReadEntries(const MappedFile& mf, int64_t first_pos, int64_t bytes) const;

  Runtime& rt_;
  std::string topic_;
  int32_t queue_id_;
  MappedFileQueue queue_;
  int64_t max_physic_offset_ = -1;
  uint64_t entries_dropped_ = 0;
  int64_t cut_entry_ = 0;
  int64_t min_logic_offset_ = 0;
};

// Invariant (RMQ_ASSERT): a consume queue is dense. Dispatching one record (at queue offset
// `record_queue_offset`) moves the queue's max offset from `before` to `after`: by at most one
// entry, at the queue's end; only the pre-blank fill of a queue first created at a non-zero offset
// brings it further, exactly to that record's entry.
void CheckConsumeQueueGrowth(const ConsumeQueue& cq, int64_t before, int64_t after,
                             int64_t record_queue_offset);

}  // namespace rmqsim::store
