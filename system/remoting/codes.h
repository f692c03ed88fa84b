// Protocol constants of the RocketMQ remoting layer: request and response codes, the sender's
// language, the MQVersion ordinals sent in the `version` field, and the header serialization
// types. Names are the Java names (RequestCode.SEND_MESSAGE_V2 is RequestCode::SEND_MESSAGE_V2)
// so that the reference documents map one to one onto the code. Values: 4.9.8 unless marked 5.x.
// See /work/shared/reference/rocketmq-protocol.md §0.1, §1.4, §2.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace rmqsim::remoting {

// common/.../protocol/RequestCode.java.
struct RequestCode {
  RequestCode() = delete;
  static constexpr int32_t SEND_MESSAGE = 10;
  static constexpr int32_t PULL_MESSAGE = 11;
  static constexpr int32_t QUERY_MESSAGE = 12;
  static constexpr int32_t QUERY_BROKER_OFFSET = 13;
  static constexpr int32_t QUERY_CONSUMER_OFFSET = 14;
  static constexpr int32_t UPDATE_CONSUMER_OFFSET = 15;
  static constexpr int32_t UPDATE_AND_CREATE_TOPIC = 17;
  static constexpr int32_t GET_ALL_TOPIC_CONFIG = 21;
  static constexpr int32_t UPDATE_BROKER_CONFIG = 25;
  static constexpr int32_t GET_BROKER_CONFIG = 26;
  static constexpr int32_t GET_BROKER_RUNTIME_INFO = 28;
  static constexpr int32_t SEARCH_OFFSET_BY_TIMESTAMP = 29;
  static constexpr int32_t GET_MAX_OFFSET = 30;
  static constexpr int32_t GET_MIN_OFFSET = 31;
  static constexpr int32_t GET_EARLIEST_MSG_STORETIME = 32;
  static constexpr int32_t VIEW_MESSAGE_BY_ID = 33;
  static constexpr int32_t HEART_BEAT = 34;
  static constexpr int32_t UNREGISTER_CLIENT = 35;
  static constexpr int32_t CONSUMER_SEND_MSG_BACK = 36;
  static constexpr int32_t END_TRANSACTION = 37;
  static constexpr int32_t GET_CONSUMER_LIST_BY_GROUP = 38;
  static constexpr int32_t CHECK_TRANSACTION_STATE = 39;
  static constexpr int32_t NOTIFY_CONSUMER_IDS_CHANGED = 40;
  static constexpr int32_t LOCK_BATCH_MQ = 41;
  static constexpr int32_t UNLOCK_BATCH_MQ = 42;
  static constexpr int32_t GET_ALL_CONSUMER_OFFSET = 43;
  static constexpr int32_t GET_ALL_DELAY_OFFSET = 45;
  static constexpr int32_t CHECK_CLIENT_CONFIG = 46;
  static constexpr int32_t PUT_KV_CONFIG = 100;
  static constexpr int32_t GET_KV_CONFIG = 101;
  static constexpr int32_t DELETE_KV_CONFIG = 102;
  static constexpr int32_t REGISTER_BROKER = 103;
  static constexpr int32_t UNREGISTER_BROKER = 104;
  static constexpr int32_t GET_ROUTEINFO_BY_TOPIC = 105;
  static constexpr int32_t GET_BROKER_CLUSTER_INFO = 106;
  static constexpr int32_t UPDATE_AND_CREATE_SUBSCRIPTIONGROUP = 200;
  static constexpr int32_t GET_ALL_SUBSCRIPTIONGROUP_CONFIG = 201;
  static constexpr int32_t GET_TOPIC_STATS_INFO = 202;
  static constexpr int32_t GET_CONSUMER_CONNECTION_LIST = 203;
  static constexpr int32_t WIPE_WRITE_PERM_OF_BROKER = 205;
  static constexpr int32_t GET_ALL_TOPIC_LIST_FROM_NAMESERVER = 206;
  static constexpr int32_t GET_CONSUME_STATS = 208;
  static constexpr int32_t DELETE_TOPIC_IN_BROKER = 215;
  static constexpr int32_t DELETE_TOPIC_IN_NAMESRV = 216;
  static constexpr int32_t RESET_CONSUMER_CLIENT_OFFSET = 220;
  static constexpr int32_t GET_CONSUMER_STATUS_FROM_CLIENT = 221;
  static constexpr int32_t INVOKE_BROKER_TO_RESET_OFFSET = 222;
  static constexpr int32_t GET_TOPICS_BY_CLUSTER = 224;
  static constexpr int32_t QUERY_TOPIC_CONSUME_BY_WHO = 300;
  static constexpr int32_t GET_CONSUMER_RUNNING_INFO = 307;
  static constexpr int32_t CONSUME_MESSAGE_DIRECTLY = 309;
  static constexpr int32_t SEND_MESSAGE_V2 = 310;
  static constexpr int32_t SEND_BATCH_MESSAGE = 320;
  static constexpr int32_t QUERY_DATA_VERSION = 322;
  static constexpr int32_t SEND_REPLY_MESSAGE = 324;
  static constexpr int32_t SEND_REPLY_MESSAGE_V2 = 325;
  static constexpr int32_t PUSH_REPLY_MESSAGE_TO_CLIENT = 326;
  static constexpr int32_t ADD_WRITE_PERM_OF_BROKER = 327;
  // 5.x only (not in 4.9.8).
  static constexpr int32_t LITE_PULL_MESSAGE = 361;
  static constexpr int32_t QUERY_ASSIGNMENT = 400;
  static constexpr int32_t SET_MESSAGE_REQUEST_MODE = 401;
  static constexpr int32_t POP_MESSAGE = 200050;
  static constexpr int32_t ACK_MESSAGE = 200051;
  static constexpr int32_t PEEK_MESSAGE = 200052;
  static constexpr int32_t CHANGE_MESSAGE_INVISIBLETIME = 200053;
  static constexpr int32_t NOTIFICATION = 200054;
  static constexpr int32_t POLLING_INFO = 200055;
  static constexpr int32_t POP_ROLLBACK = 200056;
  static constexpr int32_t BATCH_ACK_MESSAGE = 200151;
};

// common/.../protocol/ResponseCode.java (0-4 from remoting/.../RemotingSysResponseCode.java).
struct ResponseCode {
  ResponseCode() = delete;
  static constexpr int32_t SUCCESS = 0;
  static constexpr int32_t SYSTEM_ERROR = 1;
  static constexpr int32_t SYSTEM_BUSY = 2;
  static constexpr int32_t REQUEST_CODE_NOT_SUPPORTED = 3;
  static constexpr int32_t TRANSACTION_FAILED = 4;
  static constexpr int32_t FLUSH_DISK_TIMEOUT = 10;
  static constexpr int32_t SLAVE_NOT_AVAILABLE = 11;
  static constexpr int32_t FLUSH_SLAVE_TIMEOUT = 12;
  static constexpr int32_t MESSAGE_ILLEGAL = 13;
  static constexpr int32_t SERVICE_NOT_AVAILABLE = 14;
  static constexpr int32_t VERSION_NOT_SUPPORTED = 15;
  static constexpr int32_t NO_PERMISSION = 16;
  static constexpr int32_t TOPIC_NOT_EXIST = 17;
  static constexpr int32_t TOPIC_EXIST_ALREADY = 18;
  static constexpr int32_t PULL_NOT_FOUND = 19;
  static constexpr int32_t PULL_RETRY_IMMEDIATELY = 20;
  static constexpr int32_t PULL_OFFSET_MOVED = 21;
  static constexpr int32_t QUERY_NOT_FOUND = 22;
  static constexpr int32_t SUBSCRIPTION_PARSE_FAILED = 23;
  static constexpr int32_t SUBSCRIPTION_NOT_EXIST = 24;
  static constexpr int32_t SUBSCRIPTION_NOT_LATEST = 25;
  static constexpr int32_t SUBSCRIPTION_GROUP_NOT_EXIST = 26;
  static constexpr int32_t FILTER_DATA_NOT_EXIST = 27;
  static constexpr int32_t FILTER_DATA_NOT_LATEST = 28;
  static constexpr int32_t INVALID_PARAMETER = 29;  // 5.x only
  static constexpr int32_t TRANSACTION_SHOULD_COMMIT = 200;
  static constexpr int32_t TRANSACTION_SHOULD_ROLLBACK = 201;
  static constexpr int32_t TRANSACTION_STATE_UNKNOW = 202;
  static constexpr int32_t TRANSACTION_STATE_GROUP_WRONG = 203;
  static constexpr int32_t NO_BUYER_ID = 204;
  static constexpr int32_t NOT_IN_CURRENT_UNIT = 205;
  static constexpr int32_t CONSUMER_NOT_ONLINE = 206;
  static constexpr int32_t CONSUME_MSG_TIMEOUT = 207;
  static constexpr int32_t NO_MESSAGE = 208;
  // 209-211 mean different things in 4.9.8 and 5.x; both spellings are given.
  static constexpr int32_t UPDATE_AND_CREATE_ACL_CONFIG_FAILED = 209;      // 4.9.8
  static constexpr int32_t DELETE_ACL_CONFIG_FAILED = 210;                 // 4.9.8
  static constexpr int32_t UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED = 211;  // 4.9.8
  static constexpr int32_t POLLING_FULL = 209;                             // 5.x
  static constexpr int32_t POLLING_TIMEOUT = 210;                          // 5.x
  static constexpr int32_t BROKER_NOT_EXIST = 211;                         // 5.x
  static constexpr int32_t BROKER_DISPATCH_NOT_COMPLETE = 212;             // 5.x
  static constexpr int32_t BROADCAST_CONSUMPTION = 213;                    // 5.x
  static constexpr int32_t FLOW_CONTROL = 215;
  static constexpr int32_t NOT_LEADER_FOR_QUEUE = 501;  // 5.x
  static constexpr int32_t GO_AWAY = 1500;              // 5.x
};

// "SEND_MESSAGE_V2", or "UNKNOWN" for a code not listed above.
std::string_view RequestCodeName(int32_t code);
// "SUCCESS", or "UNKNOWN". 209-211 give the 4.9.8 names.
std::string_view ResponseCodeName(int32_t code);

// remoting/.../protocol/LanguageCode.java. JSON headers carry the name, binary headers the byte.
// A byte outside the list is kept as it is (the enum holds any uint8_t value).
enum class LanguageCode : uint8_t {
  JAVA = 0,
  CPP = 1,
  DOTNET = 2,
  PYTHON = 3,
  DELPHI = 4,
  ERLANG = 5,
  RUBY = 6,
  OTHER = 7,
  HTTP = 8,
  GO = 9,
  PHP = 10,
  OMS = 11,
  RUST = 12,  // from 4.9.4
};
// "JAVA"; "UNKNOWN" for a value outside the list.
std::string_view LanguageCodeName(LanguageCode language);
// The language with this exact (case-sensitive, like Java's Enum.valueOf) name.
std::optional<LanguageCode> ParseLanguageCode(std::string_view name);

// Ordinals of common/.../MQVersion.java enum Version, sent in every command's `version` field.
struct MQVersion {
  MQVersion() = delete;
  static constexpr int32_t V3_0_0_SNAPSHOT = 0;
  static constexpr int32_t V3_0_11 = 37;  // REGISTER_BROKER body "with filter server" from here
  static constexpr int32_t V3_4_9 = 121;  // broker honours maxReconsumeTimes from here
  static constexpr int32_t V4_0_0 = 213;
  static constexpr int32_t V4_3_0 = 273;
  static constexpr int32_t V4_5_2 = 317;  // hard-coded by the Go client
  static constexpr int32_t V4_6_0 = 333;  // sent by the C++ client
  static constexpr int32_t V4_7_1 = 355;
  static constexpr int32_t V4_9_4 = 401;  // name server returns standard route JSON from here
  static constexpr int32_t V4_9_5 = 403;
  static constexpr int32_t V4_9_8 = 409;
  static constexpr int32_t V5_0_0 = 413;
  static constexpr int32_t V5_1_0 = 433;
  static constexpr int32_t V5_2_0 = 453;
  static constexpr int32_t V5_3_3 = 479;
  // What this model sends by default: a 4.9.8 Java client/broker/name server.
  static constexpr int32_t CURRENT_VERSION = V4_9_8;
};

// remoting/.../protocol/SerializeType.java: the high byte of the header-length word.
enum class SerializeType : uint8_t {
  JSON = 0,
  ROCKETMQ = 1,
};
// "JSON", "ROCKETMQ"; "UNKNOWN" otherwise.
std::string_view SerializeTypeName(SerializeType type);

}  // namespace rmqsim::remoting
