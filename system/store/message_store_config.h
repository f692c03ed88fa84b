// MessageStoreConfig (store/.../config/MessageStoreConfig.java in apache/rocketmq 4.9.8; reference
// §5.10): the store's settings with RocketMQ's defaults. Field names are the Java property names
// in snake_case (mapped_file_size_commit_log is mappedFileSizeCommitLog); SetByName accepts the
// Java names as they appear in broker.conf.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sim/base/status.h"
#include "sim/base/time.h"

namespace rmqsim::store {

// config/FlushDiskType.java.
enum class FlushDiskType : uint8_t { kAsyncFlush, kSyncFlush };
std::string_view FlushDiskTypeName(FlushDiskType t);  // "ASYNC_FLUSH" / "SYNC_FLUSH"

// config/BrokerRole.java. The store refuses puts on a SLAVE and asks the replica hook (if any)
// on a SYNC_MASTER; replication itself is not part of the store.
enum class BrokerRole : uint8_t { kAsyncMaster, kSyncMaster, kSlave };
std::string_view BrokerRoleName(BrokerRole r);  // "ASYNC_MASTER" / "SYNC_MASTER" / "SLAVE"

struct MessageStoreConfig {
  // Root of every store file; relative paths resolve in the runtime's data directory.
  std::string store_path_root_dir = "store";
  // Commit-log directory; empty means <root>/commitlog.
  std::string store_path_commit_log;

  int64_t mapped_file_size_commit_log = 1024ll * 1024 * 1024;  // 1 GiB
  // 300000 entries of 20 bytes; MappedFileSizeConsumeQueue() rounds up to whole entries.
  int64_t mapped_file_size_consume_queue = 300000ll * 20;
  // Largest body accepted (a whole record may add limits::kEncodeReserveBytes).
  int32_t max_message_size = 1024 * 1024 * 4;

  FlushDiskType flush_disk_type = FlushDiskType::kAsyncFlush;
  BrokerRole broker_role = BrokerRole::kAsyncMaster;

  // ASYNC_FLUSH: FlushRealTimeService sleeps flushIntervalCommitLog between flushes
  // (flushCommitLogTimed is true in 4.9.8), flushes only when flushCommitLogLeastPages pages are
  // dirty, and flushes everything every flushCommitLogThoroughInterval.
  Duration flush_interval_commit_log = milliseconds(500);
  int32_t flush_commit_log_least_pages = 4;
  Duration flush_commit_log_thorough_interval = seconds(10);
  // FlushConsumeQueueService, same scheme; the thorough flush also writes the checkpoint.
  Duration flush_interval_consume_queue = milliseconds(1000);
  int32_t flush_consume_queue_least_pages = 2;
  Duration flush_consume_queue_thorough_interval = seconds(60);
  // SYNC_FLUSH: a put waits at most this long for its fsync (then FLUSH_DISK_TIMEOUT).
  Duration sync_flush_timeout = milliseconds(5000);
  // SYNC_MASTER: a put waits at most this long for the replica hook (then FLUSH_SLAVE_TIMEOUT).
  Duration slave_timeout = milliseconds(3000);
  // HA (store/.../ha): heartbeats (an empty frame from the master, an offset report from the
  // slave) after this long without traffic; a connection silent for the housekeeping interval is
  // closed; at most haTransferBatchSize bytes per frame; a SYNC_MASTER whose best slave lags by
  // haSlaveFallbehindMax or more answers SLAVE_NOT_AVAILABLE. (haListenPort and haMasterAddress
  // live in BrokerConfig.)
  Duration ha_send_heartbeat_interval = milliseconds(5000);
  Duration ha_housekeeping_interval = milliseconds(20000);
  int32_t ha_transfer_batch_size = 32 * 1024;
  int64_t ha_slave_fallbehind_max = 256ll * 1024 * 1024;

  // Retention (CleanCommitLogService).
  int32_t file_reserved_time = 72;         // hours
  std::string delete_when = "04";          // hours of the day, ';'-separated
  int32_t disk_max_used_space_ratio = 75;  // percent
  // System properties rocketmq.broker.diskSpaceWarningLevelRatio / diskSpaceCleanForciblyRatio.
  double disk_space_warning_level_ratio = 0.90;
  double disk_space_clean_forcibly_ratio = 0.85;
  bool clean_file_forcibly_enable = true;
  Duration clean_resource_interval = milliseconds(10000);
  // The broker's local time zone, for deleteWhen (Java uses the JVM default zone).
  Duration utc_offset = Duration::zero();

  // Pull batch limits (DefaultMessageStore.isTheBatchFull).
  int32_t max_transfer_bytes_on_message_in_memory = 1024 * 256;
  int32_t max_transfer_count_on_message_in_memory = 32;
  int32_t max_transfer_bytes_on_message_in_disk = 1024 * 64;
  int32_t max_transfer_count_on_message_in_disk = 8;
  int32_t access_message_in_memory_max_ratio = 40;  // percent of physical memory
  // Model input: Java reads the machine's RAM (StoreUtil.TOTAL_PHYSICAL_MEMORY_SIZE). A message is
  // "in memory" when it is within total_physical_memory_bytes * ratio / 100 of the commit-log end.
  int64_t total_physical_memory_bytes = 16ll * 1024 * 1024 * 1024;

  bool offset_check_in_slave = false;
  bool check_crc_on_recover = true;
  std::string message_delay_level = "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h";

  // Defaults for the simulated world: the same settings with small files (4 MiB commit-log
  // segments, 6000-entry consume-queue files) and 1 GiB of "physical memory". A record must fit a
  // whole segment, so bodies close to 4 MiB are refused there with MESSAGE_ILLEGAL.
  static MessageStoreConfig ForSimulation();

  // Derived paths (StorePathConfigHelper).
  std::string StorePathCommitLog() const;
  std::string StorePathConsumeQueue() const;
  std::string AbortFile() const;
  std::string CheckpointFile() const;
  // StorePathConfigHelper.getLockFile: held locked for the store's life.
  std::string LockFile() const;
  // BrokerPathConfigHelper.getConsumerOffsetPath: <root>/config/consumerOffset.json.
  std::string ConsumerOffsetPath() const;

  // mapped_file_size_consume_queue rounded up to a multiple of 20 bytes.
  int64_t MappedFileSizeConsumeQueue() const;

  // Checks the settings the store relies on (positive sizes and intervals, parseable
  // deleteWhen and messageDelayLevel). kInvalidArgument naming the field.
  Status Validate() const;

  // Sets a field from its Java property name and string value ("mappedFileSizeCommitLog",
  // "flushDiskType" = "SYNC_FLUSH", ...). Durations take milliseconds as Java does.
  // kNotFound for an unknown name, kInvalidArgument for a bad value.
  Status SetByName(std::string_view java_name, std::string_view value);
};

// ScheduleMessageService.parseDelayLevel: "1s 5s 10m 2h 1d" -> delay per level, level 1 first.
StatusOr<std::vector<Duration>> ParseDelayLevels(std::string_view text);

// UtilAll.isItTimeToDo: whether `hour_of_day` (0-23) is one of the ';'-separated hours.
// Unparseable parts never match.
bool IsItTimeToDo(std::string_view when, int hour_of_day);

// "00000000001073741824": a segment's name from its start offset (UtilAll.offset2FileName).
std::string OffsetToFileName(int64_t offset);
// The offset a 20-digit segment name stands for; kInvalidArgument for any other name.
StatusOr<int64_t> FileNameToOffset(std::string_view name);

}  // namespace rmqsim::store
