// REGISTER_BROKER (reference §3.7; apache/rocketmq 4.9.8 RegisterBrokerBody,
// TopicConfigSerializeWrapper, DataVersion, KVTable, RegisterBrokerResult).
//
// Body, when the header's `compressed` is false (the default), JSON:
//   {"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":N,
//    "timestamp":T},"topicConfigTable":{"<topic>":<TopicConfig JSON>,...}}}
// When `compressed` is true, a zlib stream of: int32 length + DataVersion JSON; int32 topic
// count; per topic int32 length + TopicConfig text ("name r w perm TYPE"); int32 length +
// filter-server list JSON. Brokers older than V3_0_11 send only the TopicConfigSerializeWrapper
// JSON.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "sim/base/status.h"
#include "system/common/byte_buffer.h"
#include "system/common/topic_config.h"

namespace rmqsim::common {

// Bound on the inflated size of a compressed REGISTER_BROKER body. A topic entry is under 200
// bytes, so 64 MiB holds several hundred thousand topics; a bigger stream is a bomb or garbage.
inline constexpr size_t kRegisterBrokerBodyInflatedBytesMax = 64 * 1024 * 1024;

struct DataVersion {
  int64_t timestamp = 0;  // ms; Java initializes it from the clock, callers pass it here
  int64_t counter = 0;
  friend bool operator==(const DataVersion&, const DataVersion&) = default;
};
// {"counter":N,"timestamp":T}
std::string EncodeDataVersion(const DataVersion& version);
StatusOr<DataVersion> DecodeDataVersion(std::string_view json);

struct TopicConfigSerializeWrapper {
  std::map<std::string, TopicConfig> topic_config_table;  // topic name -> config
  DataVersion data_version;
  friend bool operator==(const TopicConfigSerializeWrapper&,
                         const TopicConfigSerializeWrapper&) = default;
};
std::string EncodeTopicConfigSerializeWrapper(const TopicConfigSerializeWrapper& wrapper);
// A TopicConfig without "topicName" takes its table key.
StatusOr<TopicConfigSerializeWrapper> DecodeTopicConfigSerializeWrapper(std::string_view json);

struct RegisterBrokerBody {
  TopicConfigSerializeWrapper topic_config_serialize_wrapper;
  std::vector<std::string> filter_server_list;
  friend bool operator==(const RegisterBrokerBody&, const RegisterBrokerBody&) = default;
};
std::string EncodeRegisterBrokerBody(const RegisterBrokerBody& body);
StatusOr<RegisterBrokerBody> DecodeRegisterBrokerBody(std::string_view json);

// The compressed form (zlib, best compression). It cannot carry topicSysFlag or order: decoding
// gives their defaults.
StatusOr<Bytes> EncodeRegisterBrokerBodyCompressed(const RegisterBrokerBody& body);
StatusOr<RegisterBrokerBody> DecodeRegisterBrokerBodyCompressed(
    ByteSpan data, size_t max_inflated_bytes = kRegisterBrokerBodyInflatedBytesMax);

// KVTable: {"table":{...}}; the REGISTER_BROKER response body (ORDER_TOPIC_CONFIG namespace).
struct KvTable {
  std::map<std::string, std::string> table;
  friend bool operator==(const KvTable&, const KvTable&) = default;
};
std::string EncodeKvTable(const KvTable& table);
StatusOr<KvTable> DecodeKvTable(std::string_view json);

// What the name server's registerBroker returns; haServerAddr and masterAddr travel in the
// response header (RegisterBrokerResponseHeader), kvTable as the body. Empty strings mean unset.
struct RegisterBrokerResult {
  std::string ha_server_addr;
  std::string master_addr;
  KvTable kv_table;
  friend bool operator==(const RegisterBrokerResult&, const RegisterBrokerResult&) = default;
};

}  // namespace rmqsim::common
