#include "system/store/message_store_config.h"

#include <charconv>
#include <cstdio>

#include "system/common/consume_queue_entry.h"

namespace rmqsim::store {
namespace {

std::string Join(const std::string& dir, std::string_view name) {
  if (dir.empty()) return std::string(name);
  if (dir.back() == '/') return dir + std::string(name);
  return dir + "/" + std::string(name);
}

StatusOr<int64_t> ParseInt64(std::string_view text, std::string_view what) {
  int64_t v = 0;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || p != end) {
    return InvalidArgumentError(std::string(what) + ": '" + std::string(text) +
                                "' is not an integer");
  }
  return v;
}

StatusOr<bool> ParseBool(std::string_view text, std::string_view what) {
  if (text == "true") return true;
  if (text == "false") return false;
  return InvalidArgumentError(std::string(what) + ": '" + std::string(text) +
                              "' is not true or false");
}

}  // namespace

std::string_view FlushDiskTypeName(FlushDiskType t) {
  return t == FlushDiskType::kSyncFlush ? "SYNC_FLUSH" : "ASYNC_FLUSH";
}

std::string_view BrokerRoleName(BrokerRole r) {
  switch (r) {
    case BrokerRole::kAsyncMaster:
      return "ASYNC_MASTER";
    case BrokerRole::kSyncMaster:
      return "SYNC_MASTER";
    case BrokerRole::kSlave:
      return "SLAVE";
  }
  return "?";
}

MessageStoreConfig MessageStoreConfig::ForSimulation() {
  MessageStoreConfig c;
  c.mapped_file_size_commit_log = 4ll * 1024 * 1024;
  c.mapped_file_size_consume_queue = 6000ll * 20;
  c.total_physical_memory_bytes = 1024ll * 1024 * 1024;
  return c;
}

std::string MessageStoreConfig::StorePathCommitLog() const {
  return store_path_commit_log.empty() ? Join(store_path_root_dir, "commitlog")
                                       : store_path_commit_log;
}
std::string MessageStoreConfig::StorePathConsumeQueue() const {
  return Join(store_path_root_dir, "consumequeue");
}
std::string MessageStoreConfig::AbortFile() const {
  return Join(store_path_root_dir, "abort");
}
std::string MessageStoreConfig::CheckpointFile() const {
  return Join(store_path_root_dir, "checkpoint");
}
std::string MessageStoreConfig::LockFile() const {
  return Join(store_path_root_dir, "lock");
}
std::string MessageStoreConfig::ConsumerOffsetPath() const {
  return Join(Join(store_path_root_dir, "config"), "consumerOffset.json");
}

int64_t MessageStoreConfig::MappedFileSizeConsumeQueue() const {
  const int64_t unit = static_cast<int64_t>(common::kConsumeQueueUnitSize);
  return (mapped_file_size_consume_queue + unit - 1) / unit * unit;
}

Status MessageStoreConfig::Validate() const {
  if (store_path_root_dir.empty()) return InvalidArgumentError("storePathRootDir is empty");
  if (mapped_file_size_commit_log < 4096) {
    return InvalidArgumentError("mappedFileSizeCommitLog " +
                                std::to_string(mapped_file_size_commit_log) +
                                " is below 4096 bytes");
  }
  if (MappedFileSizeConsumeQueue() < static_cast<int64_t>(common::kConsumeQueueUnitSize) * 2) {
    return InvalidArgumentError("mappedFileSizeConsumeQueue must hold at least two entries");
  }
  if (max_message_size <= 0) return InvalidArgumentError("maxMessageSize must be positive");
  if (flush_interval_commit_log <= Duration::zero() ||
      flush_interval_consume_queue <= Duration::zero() ||
      flush_commit_log_thorough_interval < Duration::zero() ||
      flush_consume_queue_thorough_interval < Duration::zero() ||
      clean_resource_interval <= Duration::zero() || sync_flush_timeout <= Duration::zero()) {
    return InvalidArgumentError("store intervals and timeouts must be positive");
  }
  if (flush_commit_log_least_pages < 0 || flush_consume_queue_least_pages < 0) {
    return InvalidArgumentError("least-pages settings must not be negative");
  }
  if (slave_timeout <= Duration::zero() || ha_send_heartbeat_interval <= Duration::zero() ||
      ha_housekeeping_interval <= Duration::zero()) {
    return InvalidArgumentError(
        "slaveTimeout, haSendHeartbeatInterval and haHousekeepingInterval must be positive");
  }
  if (ha_transfer_batch_size <= 0 || ha_slave_fallbehind_max <= 0) {
    return InvalidArgumentError("haTransferBatchSize and haSlaveFallbehindMax must be positive");
  }
  if (total_physical_memory_bytes <= 0) {
    return InvalidArgumentError("total_physical_memory_bytes must be positive");
  }
  auto levels = ParseDelayLevels(message_delay_level);
  if (!levels.ok()) return levels.status().WithContext("messageDelayLevel");
  return Status::Ok();
}

Status MessageStoreConfig::SetByName(std::string_view name, std::string_view value) {
  auto set_i64 = [&](int64_t* field) -> Status {
    RMQ_ASSIGN_OR_RETURN(*field, ParseInt64(value, name));
    return Status::Ok();
  };
  auto set_i32 = [&](int32_t* field) -> Status {
    RMQ_ASSIGN_OR_RETURN(int64_t v, ParseInt64(value, name));
    if (v < INT32_MIN || v > INT32_MAX) {
      return InvalidArgumentError(std::string(name) + ": " + std::string(value) +
                                  " does not fit a Java int");
    }
    *field = static_cast<int32_t>(v);
    return Status::Ok();
  };
  auto set_ms = [&](Duration* field) -> Status {
    RMQ_ASSIGN_OR_RETURN(int64_t v, ParseInt64(value, name));
    *field = milliseconds(v);
    return Status::Ok();
  };
  auto set_bool = [&](bool* field) -> Status {
    RMQ_ASSIGN_OR_RETURN(*field, ParseBool(value, name));
    return Status::Ok();
  };
  if (name == "storePathRootDir") {
    store_path_root_dir = std::string(value);
    return Status::Ok();
  }
  if (name == "storePathCommitLog") {
    store_path_commit_log = std::string(value);
    return Status::Ok();
  }
  if (name == "mappedFileSizeCommitLog") return set_i64(&mapped_file_size_commit_log);
  if (name == "mappedFileSizeConsumeQueue") return set_i64(&mapped_file_size_consume_queue);
  if (name == "maxMessageSize") return set_i32(&max_message_size);
  if (name == "flushDiskType") {
    if (value == "ASYNC_FLUSH") {
      flush_disk_type = FlushDiskType::kAsyncFlush;
    } else if (value == "SYNC_FLUSH") {
      flush_disk_type = FlushDiskType::kSyncFlush;
    } else {
      return InvalidArgumentError("flushDiskType: '" + std::string(value) + "' is not a type");
    }
    return Status::Ok();
  }
  if (name == "brokerRole") {
    if (value == "ASYNC_MASTER") {
      broker_role = BrokerRole::kAsyncMaster;
    } else if (value == "SYNC_MASTER") {
      broker_role = BrokerRole::kSyncMaster;
    } else if (value == "SLAVE") {
      broker_role = BrokerRole::kSlave;
    } else {
      return InvalidArgumentError("brokerRole: '" + std::string(value) + "' is not a role");
    }
    return Status::Ok();
  }
  if (name == "flushIntervalCommitLog") return set_ms(&flush_interval_commit_log);
  if (name == "flushCommitLogLeastPages") return set_i32(&flush_commit_log_least_pages);
  if (name == "flushCommitLogThoroughInterval") {
    return set_ms(&flush_commit_log_thorough_interval);
  }
  if (name == "flushIntervalConsumeQueue") return set_ms(&flush_interval_consume_queue);
  if (name == "flushConsumeQueueLeastPages") return set_i32(&flush_consume_queue_least_pages);
  if (name == "flushConsumeQueueThoroughInterval") {
    return set_ms(&flush_consume_queue_thorough_interval);
  }
  if (name == "syncFlushTimeout") return set_ms(&sync_flush_timeout);
  if (name == "slaveTimeout") return set_ms(&slave_timeout);
  if (name == "haSendHeartbeatInterval") return set_ms(&ha_send_heartbeat_interval);
  if (name == "haHousekeepingInterval") return set_ms(&ha_housekeeping_interval);
  if (name == "haTransferBatchSize") return set_i32(&ha_transfer_batch_size);
  if (name == "haSlaveFallbehindMax") return set_i64(&ha_slave_fallbehind_max);
  if (name == "fileReservedTime") return set_i32(&file_reserved_time);
  if (name == "deleteWhen") {
    delete_when = std::string(value);
    return Status::Ok();
  }
  if (name == "diskMaxUsedSpaceRatio") return set_i32(&disk_max_used_space_ratio);
  if (name == "cleanFileForciblyEnable") return set_bool(&clean_file_forcibly_enable);
  if (name == "cleanResourceInterval") return set_ms(&clean_resource_interval);
  if (name == "maxTransferBytesOnMessageInMemory") {
    return set_i32(&max_transfer_bytes_on_message_in_memory);
  }
  if (name == "maxTransferCountOnMessageInMemory") {
    return set_i32(&max_transfer_count_on_message_in_memory);
  }
  if (name == "maxTransferBytesOnMessageInDisk") {
    return set_i32(&max_transfer_bytes_on_message_in_disk);
  }
  if (name == "maxTransferCountOnMessageInDisk") {
    return set_i32(&max_transfer_count_on_message_in_disk);
  }
  if (name == "accessMessageInMemoryMaxRatio") {
    return set_i32(&access_message_in_memory_max_ratio);
  }
  if (name == "offsetCheckInSlave") return set_bool(&offset_check_in_slave);
  if (name == "checkCRCOnRecover") return set_bool(&check_crc_on_recover);
  if (name == "messageDelayLevel") {
    message_delay_level = std::string(value);
    return Status::Ok();
  }
  return NotFoundError("unknown message store setting '" + std::string(name) + "'");
}

StatusOr<std::vector<Duration>> ParseDelayLevels(std::string_view text) {
  std::vector<Duration> levels;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = text.find(' ', i);
    if (j == std::string_view::npos) j = text.size();
    std::string_view part = text.substr(i, j - i);
    i = j + 1;
    if (part.empty()) continue;
    char unit = part.back();
    Duration unit_d;
    switch (unit) {
      case 's':
        unit_d = seconds(1);
        break;
      case 'm':
        unit_d = minutes(1);
        break;
      case 'h':
        unit_d = hours(1);
        break;
      case 'd':
        unit_d = hours(24);
        break;
      default:
        return InvalidArgumentError("delay level '" + std::string(part) +
                                    "' does not end in s, m, h or d");
    }
    RMQ_ASSIGN_OR_RETURN(int64_t n, ParseInt64(part.substr(0, part.size() - 1), "delay level"));
    levels.push_back(unit_d * n);
  }
  if (levels.empty()) return InvalidArgumentError("no delay levels in '" + std::string(text) + "'");
  return levels;
}

bool IsItTimeToDo(std::string_view when, int hour_of_day) {
  size_t i = 0;
  while (i <= when.size()) {
    size_t j = when.find(';', i);
    if (j == std::string_view::npos) j = when.size();
    std::string_view part = when.substr(i, j - i);
    i = j + 1;
    auto v = ParseInt64(part, "deleteWhen");
    if (v.ok() && *v == hour_of_day) return true;
    if (j == when.size()) break;
  }
  return false;
}

std::string OffsetToFileName(int64_t offset) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%020lld", static_cast<long long>(offset));
  return buf;
}

StatusOr<int64_t> FileNameToOffset(std::string_view name) {
  if (name.size() != 20) {
    return InvalidArgumentError("'" + std::string(name) + "' is not a 20-digit segment name");
  }
  for (char c : name) {
    if (c < '0' || c > '9') {
      return InvalidArgumentError("'" + std::string(name) + "' is not a 20-digit segment name");
    }
  }
  return ParseInt64(name, "segment name");
}

}  // namespace rmqsim::store
