// Named limits and fixed constants of the message store, each with the reason for its value.
// Tunables that RocketMQ exposes live in MessageStoreConfig; these are the numbers RocketMQ hard-
// codes, plus the bounds this model adds so that nothing grows without limit.
#pragma once

#include <cstddef>
#include <cstdint>

#include "sim/base/time.h"

namespace rmqsim::store::limits {

// MappedFile.OS_PAGE_SIZE: the unit of flushCommitLogLeastPages / flushConsumeQueueLeastPages.
inline constexpr int64_t kOsPageSize = 4096;

// CommitLog.MessageExtEncoder reserves 64 KiB beyond maxMessageSize for the fields around the
// body: a whole record may be at most maxMessageSize + this.
inline constexpr int64_t kEncodeReserveBytes = 64 * 1024;

// CommitLog.recoverNormally starts from the third-last file; ConsumeQueue.recover likewise.
inline constexpr size_t kRecoverNormallyFiles = 3;

// GroupCommitService.doCommit flushes at most twice for one request before answering
// FLUSH_DISK_TIMEOUT. Here: consecutive failed fsyncs tolerated in one flush pass (each failure
// is followed by a rewrite of the unsynced range from the page cache).
inline constexpr int kFlushAttemptsPerPass = 2;
// GroupCommitService waits 10 ms between passes: the delay before a failed pass is retried while
// SYNC_FLUSH requests wait.
inline constexpr Duration kFlushRetryDelay = milliseconds(10);
// Bytes read back and rewritten per WriteAt after a failed fsync (bounded memory).
inline constexpr size_t kRewriteChunkBytes = 1024 * 1024;

// Read-ahead of recovery and dispatch scans: one buffer per scan, never a whole segment.
inline constexpr size_t kScanBufferBytes = 1024 * 1024;

// SYNC_FLUSH puts waiting for their fsync. Java's GroupCommitService list is unbounded; a broker
// with this many outstanding sync puts is stuck, and further puts are refused with
// OS_PAGECACHE_BUSY ("broker busy") instead of growing memory.
inline constexpr size_t kGroupCommitRequestsMax = 1'000'000;

// MappedFileQueue.DELETE_FILES_BATCH_MAX: files deleted per clean run.
inline constexpr int kDeleteFilesBatchMax = 10;
// CleanCommitLogService.MAX_MANUAL_DELETE_FILE_TIMES.
inline constexpr int kManualDeleteFileTimes = 20;
// DefaultMessageStore.addScheduleTask: the clean service first runs 60 s after start; the disk
// check first runs after 1 s and then every 10 s.
inline constexpr Duration kCleanFirstDelay = seconds(60);
inline constexpr Duration kDiskCheckFirstDelay = seconds(1);
inline constexpr Duration kDiskCheckInterval = seconds(10);

// ConsumeQueue.putMessagePositionInfoWrapper sleeps 1 s between attempts to write an entry:
// the delay before a failed dispatch is retried.
inline constexpr Duration kDispatchRetryDelay = seconds(1);

// StoreCheckpoint.getMinTimestamp subtracts 3 s of slack from the older timestamp.
inline constexpr int64_t kCheckpointTimestampSlackMs = 3000;
// StoreCheckpoint maps one OS page; the fields used are at the start of it.
inline constexpr size_t kCheckpointFileBytes = 4096;

// GetMessage scans at most max(16000, maxMsgNums * 20) bytes of consume queue per call.
inline constexpr int64_t kMaxFilterScanBytesMin = 16000;

// ConsumeQueue.fillPreBlank writes placeholder entries in chunks of this many bytes.
inline constexpr size_t kPreBlankChunkBytes = 64 * 1024;

// Topic-queue pairs with a consume queue. Java has no bound; every pair costs a few file handles
// and a map entry. Dispatch to a new pair beyond this fails like a consume-queue write error.
inline constexpr size_t kConsumeQueuesMax = 1'000'000;

// Dispatch listeners (the broker registers one or two).
inline constexpr size_t kDispatchListenersMax = 64;

// Consumer offsets: BrokerController persists them 10 s after start, then every
// flushConsumerOffsetInterval (5000 ms, BrokerConfig).
inline constexpr Duration kConsumerOffsetPersistFirstDelay = seconds(10);
inline constexpr Duration kConsumerOffsetPersistInterval = milliseconds(5000);
// Largest consumerOffset.json read at load (a broker with 100k topic@group keys of 16 queues
// stays well below).
inline constexpr uint64_t kConsumerOffsetFileBytesMax = 256ull * 1024 * 1024;

// Recovery copies the rest of a damaged segment aside in pieces of this size (a segment is 1 GiB
// in real mode).
inline constexpr int64_t kSetAsideChunkBytes = 1024 * 1024;

}  // namespace rmqsim::store::limits
