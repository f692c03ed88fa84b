// MappedFileQueue (store/.../MappedFileQueue.java in 4.9.8): the ordered segments of one log (the
// commit log, or one consume queue), with the flush machinery shared by both.
//
// Flushing. One flush pass at a time per queue: a pass fsyncs, file by file, everything written
// before it started (or, with least_pages > 0, only files with at least that many dirty 4 KiB
// pages, as MappedFile.isAbleToFlush). flushed_where() only moves when an fsync that was issued
// after the bytes were written completes OK, so it is always durable. Requests that arrive during
// a pass are merged into the next one (group commit).
//
// A failed fsync: Linux marks the dirty pages clean without writing them. The segment is marked
// for rewrite; before its next fsync the unflushed range is read back from the page cache and
// written again. A pass tolerates limits::kFlushAttemptsPerPass failed fsyncs, then ends with the
// error (waiters get it; the data stays marked for rewrite and a later pass retries). If the
// rewrite itself fails the queue keeps a sticky error (write_error()) until a rewrite succeeds:
// the store then refuses new puts rather than acknowledge data it cannot make durable.
// (RocketMQ 4.9.8 MappedFile.flush logs a failed force() and advances flushedPosition anyway.)
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sim/base/lifetime.h"
#include "sim/base/status.h"
#include "sim/runtime/runtime.h"
#include "system/store/mapped_file.h"

namespace rmqsim::store {

class MappedFileQueue {
 public:
  using FlushDone = std::function<void(const Status&)>;

  MappedFileQueue(Runtime& rt, std::string store_path, int64_t mapped_file_size);
  MappedFileQueue(const MappedFileQueue&) = delete;
  MappedFileQueue& operator=(const MappedFileQueue&) = delete;
  ~MappedFileQueue();

  // Opens every 20-digit segment in the directory (a missing directory is an empty queue). Other
  // names are ignored. Segments must be aligned to the segment size and not larger than it. A
  // segment missing between two others is logged at ERROR with the offsets it held, and the
  // queue goes on without it (as RocketMQ's, whose checkSelf only logs it); see gaps().
  Status Load();
  // The [from, to) ranges of the segments missing in the middle, as found by Load.
  const std::vector<std::pair<int64_t, int64_t>>& gaps() const { return gaps_; }

  const std::string& store_path() const { return store_path_; }
  int64_t mapped_file_size() const { return mapped_file_size_; }
  const std::vector<std::shared_ptr<MappedFile>>& files() const { return files_; }
  bool empty() const { return files_.empty(); }
  MappedFile* first() const { return files_.empty() ? nullptr : files_.front().get(); }
  MappedFile* last() const { return files_.empty() ? nullptr : files_.back().get(); }

  // The segment holding `offset`, or null (the first segment if return_first_on_not_found).
  MappedFile* FindMappedFileByOffset(int64_t offset, bool return_first_on_not_found = false) const;
  // The segment to append to: the last one, or a new one when there is none (starting at the
  // segment holding start_offset) or the last is full. Errors when a segment cannot be created.
  StatusOr<MappedFile*> GetLastMappedFile(int64_t start_offset);

  // Start offset of the first segment, -1 if none.
  int64_t GetMinOffset() const;
  // End of the written data (last segment's start + write position), 0 if none.
  int64_t GetMaxOffset() const;

  // Recovery: data ends at `offset`. Segments wholly past it are removed, the one holding it is
  // cut there (positions and physical size).
  Status TruncateDirtyFiles(int64_t offset);
  // Recovery that cuts intact data: as TruncateDirtyFiles(offset), but nothing is lost for good.
  // The bytes of the segment holding `offset` from there on are first copied to
  // `dir/<segment>.from-<position>`, and the segments wholly past it are moved into `dir`
  // (created). Their names go to `kept`. The copy is synced at once, and no flush pass starts
  // before that sync has ended: nothing written at the cut reaches the disk before the copy.
  Status SetAsideFrom(int64_t offset, const std::string& dir, std::vector<std::string>* kept);
  Status DeleteLastMappedFile();
  // Removes the first `count` segments (never the last one).
  Status DeleteFirstFiles(size_t count);
  // Removes every segment and the directory.
  Status Destroy();

  // After a crash nothing says the bytes from `offset` on reached the disk: a failed fsync of
  // the dead process may have marked their pages clean. Marks them unflushed and for rewrite, so
  // the next flush writes them again before it fsyncs.
  void MarkUnflushedFrom(int64_t offset);

  int64_t flushed_where() const { return flushed_where_; }
  // Recovery / truncation only: moves the flush point anywhere (and re-bases the progress marks).
  void set_flushed_where(int64_t w) {
    flushed_where_ = w;
    RebaseProgress();
  }
  // Store timestamp of the newest message in the segment a completed flush covered (commit log).
  int64_t store_timestamp() const { return store_timestamp_; }
  int64_t RemainHowManyDataToFlush() const;
  // Whether a pass with `least_pages` would fsync anything now.
  bool NeedsFlush(int least_pages) const;

  // Requests a flush pass; `done` (optional) runs when that pass ends, never inside this call.
  void Flush(int least_pages, FlushDone done = nullptr);
  // Runs `done` once flushed_where() >= target (OK), or with the error of a failed pass. Never
  // inside this call.
  void FlushTo(int64_t target, FlushDone done);
  bool flushing() const { return pass_running_ || set_aside_syncs_ > 0; }
  // Sticky rewrite failure (see the header comment), OK otherwise.
  const Status& write_error() const { return write_error_; }

  // Invariant (RMQ_ASSERT, both worlds): the log's end (GetMaxOffset: the write position; there
  // is no transient store pool, so the committed position is the same) and its flush point only
  // move forward, and the flush point never passes the end. Only the explicit recovery and
  // truncation entry points (Load, TruncateDirtyFiles, DeleteLastMappedFile, Destroy,
  // MarkUnflushedFrom, set_flushed_where) may move them back; they re-base the marks checked
  // here. The commit log calls this after every append; flush passes call it on every fsync.
  void CheckProgress();

 private:
  struct Waiter {
    int64_t target;
    FlushDone done;
  };
  bool IsAbleToFlush(const MappedFile& mf, int least_pages) const;
  void StartPass();
  // Starts the pass requested while one ran or while a set-aside copy was syncing, if any.
  void StartRequestedPass();
  void FlushStep();
  void OnSynced(const std::shared_ptr<MappedFile>& mf, int64_t pos, int64_t store_ts,
                const Status& st);
  void FinishPass(const Status& st);
  void NotifyWaiters();
  bool Contains(const MappedFile* mf) const;
  // The marks CheckProgress compares with: the current end and flush point.
  void RebaseProgress();

  Runtime& rt_;
  std::string store_path_;
  int64_t mapped_file_size_;
  std::vector<std::shared_ptr<MappedFile>> files_;
  std::vector<std::pair<int64_t, int64_t>> gaps_;
  int64_t flushed_where_ = 0;
  int64_t store_timestamp_ = 0;

  bool pass_running_ = false;
  int pass_least_pages_ = 0;
  int64_t pass_target_ = 0;
  int pass_failures_ = 0;
  std::vector<FlushDone> pass_done_;
  bool next_pass_requested_ = false;
  int next_pass_least_pages_ = 0;
  std::vector<FlushDone> next_pass_done_;
  // Set-aside copies (SetAsideFrom) whose sync has not ended: flush passes wait for them.
  int set_aside_syncs_ = 0;
  std::vector<Waiter> waiters_;
  Status write_error_;
  // Highest end / flush point seen since the last re-base (CheckProgress).
  int64_t max_offset_mark_ = 0;
  int64_t flushed_mark_ = 0;

  LifetimeGuard guard_;
};

}  // namespace rmqsim::store
