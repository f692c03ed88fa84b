#include "system/store/store_checkpoint.h"

#include <algorithm>

#include "sim/base/assert.h"
#include "system/common/byte_buffer.h"
#include "system/common/checksum.h"
#include "system/store/limits.h"

namespace rmqsim::store {
namespace {

constexpr int32_t kExtMagic = 0x524D5143;  // "RMQC"
constexpr int32_t kExtVersion = 1;
constexpr size_t kExtStart = 24;
constexpr size_t kExtCrcPos = 48;
constexpr size_t kUsedBytes = 52;

}  // namespace

StoreCheckpoint::StoreCheckpoint(Runtime& rt, std::string path) : rt_(rt), path_(std::move(path)) {}

std::vector<std::byte> StoreCheckpoint::Encode() const {
  std::vector<std::byte> page(limits::kCheckpointFileBytes);
  std::byte* p = page.data();
  common::StoreI64(p + 0, physic_msg_timestamp_);
  common::StoreI64(p + 8, logics_msg_timestamp_);
  common::StoreI64(p + 16, index_msg_timestamp_);
  if (has_flush_points_) {
    common::StoreI32(p + 24, kExtMagic);
    common::StoreI32(p + 28, kExtVersion);
    common::StoreI64(p + 32, physic_flushed_offset_);
    common::StoreI64(p + 40, logics_flushed_offset_);
    common::StoreI32(p + kExtCrcPos,
                     common::Crc32Masked(common::ByteSpan(p + kExtStart, kExtCrcPos - kExtStart)));
  }
  return page;
}

Status StoreCheckpoint::Decode(std::span<const std::byte> page) {
  if (page.size() < 24) {
    return CorruptionError("checkpoint '" + path_ + "' is " + std::to_string(page.size()) +
                           " bytes, shorter than its 24-byte header");
  }
  const std::byte* p = page.data();
  physic_msg_timestamp_ = common::LoadI64(p + 0);
  logics_msg_timestamp_ = common::LoadI64(p + 8);
  index_msg_timestamp_ = common::LoadI64(p + 16);
  has_flush_points_ = false;
  if (page.size() >= kUsedBytes && common::LoadI32(p + 24) == kExtMagic &&
      common::LoadI32(p + 28) == kExtVersion &&
      common::LoadI32(p + kExtCrcPos) ==
          common::Crc32Masked(common::ByteSpan(p + kExtStart, kExtCrcPos - kExtStart))) {
    has_flush_points_ = true;
    physic_flushed_offset_ = common::LoadI64(p + 32);
    logics_flushed_offset_ = common::LoadI64(p + 40);
  }
  return Status::Ok();
}

Status StoreCheckpoint::Load() {
  auto f = rt_.fs().Open(path_, OpenMode::kCreateOrOpen);
  if (!f.ok()) return f.status().WithContext("open checkpoint");
  file_ = std::move(*f);
  RMQ_ASSIGN_OR_RETURN(uint64_t size, file_->Size());
  if (size == 0) return Status::Ok();
  std::vector<std::byte> page(std::min<uint64_t>(size, limits::kCheckpointFileBytes));
  RMQ_ASSIGN_OR_RETURN(size_t n, file_->ReadAt(0, page));
  page.resize(n);
  if (page.size() < 24) {
    // A checkpoint cut short by a crash is as good as none: recovery then scans from the start.
    rt_.Trace(TraceEvent("StoreCheckpointIgnored", Severity::kWarn)
                  .Detail("Path", path_)
                  .Detail("Bytes", page.size()));
    return Status::Ok();
  }
  return Decode(page);
}

void StoreCheckpoint::SetFlushPoints(int64_t physic, int64_t logics) {
  // Simulation: within one process the flush points only move forward (the commit log's flush
  // point and the dispatch position only grow between recoveries; a re-based start after a
  // crash is a new process, and the values loaded from the file are not compared). The
  // timestamps are not checked: they are store times from the wall clock, which may jump back.
  RMQ_SIM_ASSERT_MSG(physic >= set_physic_mark_ && logics >= set_logics_mark_,
                     "checkpoint flush points went back from (" + std::to_string(set_physic_mark_) +
                         ", " + std::to_string(set_logics_mark_) + ") to (" +
                         std::to_string(physic) + ", " + std::to_string(logics) + ")");
  set_physic_mark_ = physic;
  set_logics_mark_ = logics;
  has_flush_points_ = true;
  physic_flushed_offset_ = physic;
  logics_flushed_offset_ = logics;
}

int64_t StoreCheckpoint::GetMinTimestamp() const {
  int64_t min = std::min(physic_msg_timestamp_, logics_msg_timestamp_);
  min -= limits::kCheckpointTimestampSlackMs;
  return std::max<int64_t>(min, 0);
}

void StoreCheckpoint::Flush(std::function<void(const Status&)> done) {
  if (flushing_) {
    next_requested_ = true;
    if (done) next_.push_back(std::move(done));
    return;
  }
  if (done) current_.push_back(std::move(done));
  StartFlush();
}

void StoreCheckpoint::StartFlush() {
  flushing_ = true;
  auto finish = [this](const Status& st) {
    flushing_ = false;
    auto cbs = std::move(current_);
    current_.clear();
    for (auto& cb : cbs) cb(st);
    if (next_requested_ && !flushing_) {
      next_requested_ = false;
      current_ = std::move(next_);
      next_.clear();
      StartFlush();
    }
  };
  Status st =
      file_ ? file_->WriteAt(0, Encode()) : FailedPreconditionError("checkpoint not loaded");
  if (!st.ok()) {
    rt_.executor().Post(guard_.Wrap([finish, st] { finish(st); }));
    return;
  }
  file_->Sync(guard_.Wrap([finish](const Status& s) { finish(s); }));
}

}  // namespace rmqsim::store
