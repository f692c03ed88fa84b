// StoreCheckpoint (store/.../StoreCheckpoint.java in 4.9.8): <storePathRootDir>/checkpoint, one
// 4 KiB page. Java's fields come first, at Java's positions, so either side can read the other's
// file:
//
//   0  8  physicMsgTimestamp   store time of the newest message covered by a commit-log flush
//   8  8  logicsMsgTimestamp   store time of the newest message covered by a consume-queue flush
//  16  8  indexMsgTimestamp    (no index service here: kept as read, 0 when new)
//
// This model adds exact flush points after them (Java leaves these bytes zero):
//
//  24  4  magic 0x524D5143 ("RMQC")
//  28  4  version 1
//  32  8  physic flushed offset   every commit-log byte below it was confirmed by an fsync
//  40  8  logics flushed offset   every record below it has its consume-queue entry on disk
//  48  4  CRC32 (masked) of bytes 24..47
//
// Abnormal recovery starts from the commit-log file holding the smaller flush point; without
// valid flush points (a Java-written or damaged file) it falls back to Java's timestamp rule.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "sim/base/lifetime.h"
#include "sim/base/status.h"
#include "sim/runtime/runtime.h"

namespace rmqsim::store {

class StoreCheckpoint {
 public:
  StoreCheckpoint(Runtime& rt, std::string path);

  // Reads the file if it exists (a missing file leaves everything 0 and no flush points) and
  // opens it for writing.
  Status Load();

  int64_t physic_msg_timestamp() const { return physic_msg_timestamp_; }
  void set_physic_msg_timestamp(int64_t ms) { physic_msg_timestamp_ = ms; }
  int64_t logics_msg_timestamp() const { return logics_msg_timestamp_; }
  void set_logics_msg_timestamp(int64_t ms) { logics_msg_timestamp_ = ms; }
  int64_t index_msg_timestamp() const { return index_msg_timestamp_; }

  bool has_flush_points() const { return has_flush_points_; }
  int64_t physic_flushed_offset() const { return physic_flushed_offset_; }
  int64_t logics_flushed_offset() const { return logics_flushed_offset_; }
  void SetFlushPoints(int64_t physic, int64_t logics);

  // getMinTimestamp: min(physic, logics) - 3 s, at least 0.
  int64_t GetMinTimestamp() const;

  // Writes the page and fsyncs it; `done` runs when durable (or failed), never inside this call.
  // Flushes are serialized; one requested during another runs after it.
  void Flush(std::function<void(const Status&)> done);

  // Encoding of the page (exposed for tests).
  std::vector<std::byte> Encode() const;
  Status Decode(std::span<const std::byte> page);

 private:
  void StartFlush();

  Runtime& rt_;
  std::string path_;
  std::unique_ptr<File> file_;
  int64_t physic_msg_timestamp_ = 0;
  int64_t logics_msg_timestamp_ = 0;
  int64_t index_msg_timestamp_ = 0;
  bool has_flush_points_ = false;
  int64_t physic_flushed_offset_ = 0;
  int64_t logics_flushed_offset_ = 0;
  // The flush points last set by this process (SetFlushPoints' invariant); -1 before the first.
  int64_t set_physic_mark_ = -1;
  int64_t set_logics_mark_ = -1;

  bool flushing_ = false;
  std::vector<std::function<void(const Status&)>> current_;
  std::vector<std::function<void(const Status&)>> next_;
  bool next_requested_ = false;
  LifetimeGuard guard_;
};

}  // namespace rmqsim::store
