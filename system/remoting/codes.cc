#include "system/remoting/codes.h"

#include <array>
#include <utility>

namespace rmqsim::remoting {

namespace {

#define RMQ_CODE_ENTRY(holder, name)     \
  std::pair<int32_t, std::string_view> { \
    holder::name, #name                  \
  }

// Sorted by code (checked by a test through the lookups below).
constexpr std::array kRequestCodeNames = {
    RMQ_CODE_ENTRY(RequestCode, SEND_MESSAGE),
    RMQ_CODE_ENTRY(RequestCode, PULL_MESSAGE),
    RMQ_CODE_ENTRY(RequestCode, QUERY_MESSAGE),
    RMQ_CODE_ENTRY(RequestCode, QUERY_BROKER_OFFSET),
    RMQ_CODE_ENTRY(RequestCode, QUERY_CONSUMER_OFFSET),
    RMQ_CODE_ENTRY(RequestCode, UPDATE_CONSUMER_OFFSET),
    RMQ_CODE_ENTRY(RequestCode, UPDATE_AND_CREATE_TOPIC),
    RMQ_CODE_ENTRY(RequestCode, GET_ALL_TOPIC_CONFIG),
    RMQ_CODE_ENTRY(RequestCode, UPDATE_BROKER_CONFIG),
    RMQ_CODE_ENTRY(RequestCode, GET_BROKER_CONFIG),
    RMQ_CODE_ENTRY(RequestCode, GET_BROKER_RUNTIME_INFO),
    RMQ_CODE_ENTRY(RequestCode, SEARCH_OFFSET_BY_TIMESTAMP),
    RMQ_CODE_ENTRY(RequestCode, GET_MAX_OFFSET),
    RMQ_CODE_ENTRY(RequestCode, GET_MIN_OFFSET),
    RMQ_CODE_ENTRY(RequestCode, GET_EARLIEST_MSG_STORETIME),
    RMQ_CODE_ENTRY(RequestCode, VIEW_MESSAGE_BY_ID),
    RMQ_CODE_ENTRY(RequestCode, HEART_BEAT),
    RMQ_CODE_ENTRY(RequestCode, UNREGISTER_CLIENT),
    RMQ_CODE_ENTRY(RequestCode, CONSUMER_SEND_MSG_BACK),
    RMQ_CODE_ENTRY(RequestCode, END_TRANSACTION),
    RMQ_CODE_ENTRY(RequestCode, GET_CONSUMER_LIST_BY_GROUP),
    RMQ_CODE_ENTRY(RequestCode, CHECK_TRANSACTION_STATE),
    RMQ_CODE_ENTRY(RequestCode, NOTIFY_CONSUMER_IDS_CHANGED),
    RMQ_CODE_ENTRY(RequestCode, LOCK_BATCH_MQ),
    RMQ_CODE_ENTRY(RequestCode, UNLOCK_BATCH_MQ),
    RMQ_CODE_ENTRY(RequestCode, GET_ALL_CONSUMER_OFFSET),
    RMQ_CODE_ENTRY(RequestCode, GET_ALL_DELAY_OFFSET),
    RMQ_CODE_ENTRY(RequestCode, CHECK_CLIENT_CONFIG),
    RMQ_CODE_ENTRY(RequestCode, PUT_KV_CONFIG),
    RMQ_CODE_ENTRY(RequestCode, GET_KV_CONFIG),
    RMQ_CODE_ENTRY(RequestCode, DELETE_KV_CONFIG),
    RMQ_CODE_ENTRY(RequestCode, REGISTER_BROKER),
    RMQ_CODE_ENTRY(RequestCode, UNREGISTER_BROKER),
    RMQ_CODE_ENTRY(RequestCode, GET_ROUTEINFO_BY_TOPIC),
    RMQ_CODE_ENTRY(RequestCode, GET_BROKER_CLUSTER_INFO),
    RMQ_CODE_ENTRY(RequestCode, UPDATE_AND_CREATE_SUBSCRIPTIONGROUP),
    RMQ_CODE_ENTRY(RequestCode, GET_ALL_SUBSCRIPTIONGROUP_CONFIG),
    RMQ_CODE_ENTRY(RequestCode, GET_TOPIC_STATS_INFO),
    RMQ_CODE_ENTRY(RequestCode, GET_CONSUMER_CONNECTION_LIST),
    RMQ_CODE_ENTRY(RequestCode, WIPE_WRITE_PERM_OF_BROKER),
    RMQ_CODE_ENTRY(RequestCode, GET_ALL_TOPIC_LIST_FROM_NAMESERVER),
    RMQ_CODE_ENTRY(RequestCode, GET_CONSUME_STATS),
    RMQ_CODE_ENTRY(RequestCode, DELETE_TOPIC_IN_BROKER),
    RMQ_CODE_ENTRY(RequestCode, DELETE_TOPIC_IN_NAMESRV),
    RMQ_CODE_ENTRY(RequestCode, RESET_CONSUMER_CLIENT_OFFSET),
    RMQ_CODE_ENTRY(RequestCode, GET_CONSUMER_STATUS_FROM_CLIENT),
    RMQ_CODE_ENTRY(RequestCode, INVOKE_BROKER_TO_RESET_OFFSET),
    RMQ_CODE_ENTRY(RequestCode, GET_TOPICS_BY_CLUSTER),
    RMQ_CODE_ENTRY(RequestCode, QUERY_TOPIC_CONSUME_BY_WHO),
    RMQ_CODE_ENTRY(RequestCode, GET_CONSUMER_RUNNING_INFO),
    RMQ_CODE_ENTRY(RequestCode, CONSUME_MESSAGE_DIRECTLY),
    RMQ_CODE_ENTRY(RequestCode, SEND_MESSAGE_V2),
    RMQ_CODE_ENTRY(RequestCode, SEND_BATCH_MESSAGE),
    RMQ_CODE_ENTRY(RequestCode, QUERY_DATA_VERSION),
    RMQ_CODE_ENTRY(RequestCode, SEND_REPLY_MESSAGE),
    RMQ_CODE_ENTRY(RequestCode, SEND_REPLY_MESSAGE_V2),
    RMQ_CODE_ENTRY(RequestCode, PUSH_REPLY_MESSAGE_TO_CLIENT),
    RMQ_CODE_ENTRY(RequestCode, ADD_WRITE_PERM_OF_BROKER),
    RMQ_CODE_ENTRY(RequestCode, LITE_PULL_MESSAGE),
    RMQ_CODE_ENTRY(RequestCode, QUERY_ASSIGNMENT),
    RMQ_CODE_ENTRY(RequestCode, SET_MESSAGE_REQUEST_MODE),
    RMQ_CODE_ENTRY(RequestCode, POP_MESSAGE),
    RMQ_CODE_ENTRY(RequestCode, ACK_MESSAGE),
    RMQ_CODE_ENTRY(RequestCode, PEEK_MESSAGE),
    RMQ_CODE_ENTRY(RequestCode, CHANGE_MESSAGE_INVISIBLETIME),
    RMQ_CODE_ENTRY(RequestCode, NOTIFICATION),
    RMQ_CODE_ENTRY(RequestCode, POLLING_INFO),
    RMQ_CODE_ENTRY(RequestCode, POP_ROLLBACK),
    RMQ_CODE_ENTRY(RequestCode, BATCH_ACK_MESSAGE),
};

constexpr std::array kResponseCodeNames = {
    RMQ_CODE_ENTRY(ResponseCode, SUCCESS),
    RMQ_CODE_ENTRY(ResponseCode, SYSTEM_ERROR),
    RMQ_CODE_ENTRY(ResponseCode, SYSTEM_BUSY),
    RMQ_CODE_ENTRY(ResponseCode, REQUEST_CODE_NOT_SUPPORTED),
    RMQ_CODE_ENTRY(ResponseCode, TRANSACTION_FAILED),
    RMQ_CODE_ENTRY(ResponseCode, FLUSH_DISK_TIMEOUT),
    RMQ_CODE_ENTRY(ResponseCode, SLAVE_NOT_AVAILABLE),
    RMQ_CODE_ENTRY(ResponseCode, FLUSH_SLAVE_TIMEOUT),
    RMQ_CODE_ENTRY(ResponseCode, MESSAGE_ILLEGAL),
    RMQ_CODE_ENTRY(ResponseCode, SERVICE_NOT_AVAILABLE),
    RMQ_CODE_ENTRY(ResponseCode, VERSION_NOT_SUPPORTED),
    RMQ_CODE_ENTRY(ResponseCode, NO_PERMISSION),
    RMQ_CODE_ENTRY(ResponseCode, TOPIC_NOT_EXIST),
    RMQ_CODE_ENTRY(ResponseCode, TOPIC_EXIST_ALREADY),
    RMQ_CODE_ENTRY(ResponseCode, PULL_NOT_FOUND),
    RMQ_CODE_ENTRY(ResponseCode, PULL_RETRY_IMMEDIATELY),
    RMQ_CODE_ENTRY(ResponseCode, PULL_OFFSET_MOVED),
    RMQ_CODE_ENTRY(ResponseCode, QUERY_NOT_FOUND),
    RMQ_CODE_ENTRY(ResponseCode, SUBSCRIPTION_PARSE_FAILED),
    RMQ_CODE_ENTRY(ResponseCode, SUBSCRIPTION_NOT_EXIST),
    RMQ_CODE_ENTRY(ResponseCode, SUBSCRIPTION_NOT_LATEST),
    RMQ_CODE_ENTRY(ResponseCode, SUBSCRIPTION_GROUP_NOT_EXIST),
    RMQ_CODE_ENTRY(ResponseCode, FILTER_DATA_NOT_EXIST),
    RMQ_CODE_ENTRY(ResponseCode, FILTER_DATA_NOT_LATEST),
    RMQ_CODE_ENTRY(ResponseCode, INVALID_PARAMETER),
    RMQ_CODE_ENTRY(ResponseCode, TRANSACTION_SHOULD_COMMIT),
    RMQ_CODE_ENTRY(ResponseCode, TRANSACTION_SHOULD_ROLLBACK),
    RMQ_CODE_ENTRY(ResponseCode, TRANSACTION_STATE_UNKNOW),
    RMQ_CODE_ENTRY(ResponseCode, TRANSACTION_STATE_GROUP_WRONG),
    RMQ_CODE_ENTRY(ResponseCode, NO_BUYER_ID),
    RMQ_CODE_ENTRY(ResponseCode, NOT_IN_CURRENT_UNIT),
    RMQ_CODE_ENTRY(ResponseCode, CONSUMER_NOT_ONLINE),
    RMQ_CODE_ENTRY(ResponseCode, CONSUME_MSG_TIMEOUT),
    RMQ_CODE_ENTRY(ResponseCode, NO_MESSAGE),
    RMQ_CODE_ENTRY(ResponseCode, UPDATE_AND_CREATE_ACL_CONFIG_FAILED),
    RMQ_CODE_ENTRY(ResponseCode, DELETE_ACL_CONFIG_FAILED),
    RMQ_CODE_ENTRY(ResponseCode, UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED),
    RMQ_CODE_ENTRY(ResponseCode, BROKER_DISPATCH_NOT_COMPLETE),
    RMQ_CODE_ENTRY(ResponseCode, BROADCAST_CONSUMPTION),
    RMQ_CODE_ENTRY(ResponseCode, FLOW_CONTROL),
    RMQ_CODE_ENTRY(ResponseCode, NOT_LEADER_FOR_QUEUE),
    RMQ_CODE_ENTRY(ResponseCode, GO_AWAY),
};

#undef RMQ_CODE_ENTRY

constexpr std::array<std::string_view, 13> kLanguageNames = {
    "JAVA",  "CPP",  "DOTNET", "PYTHON", "DELPHI", "ERLANG", "RUBY",
    "OTHER", "HTTP", "GO",     "PHP",    "OMS",    "RUST",
};

template <size_t N>
constexpr bool SortedByCode(const std::array<std::pair<int32_t, std::string_view>, N>& a) {
  for (size_t i = 1; i < N; ++i) {
    if (a[i - 1].first >= a[i].first) return false;
  }
  return true;
}
static_assert(SortedByCode(kRequestCodeNames), "kRequestCodeNames must be sorted by code");
static_assert(SortedByCode(kResponseCodeNames), "kResponseCodeNames must be sorted by code");

template <size_t N>
std::string_view Lookup(const std::array<std::pair<int32_t, std::string_view>, N>& table,
                        int32_t code) {
  size_t lo = 0, hi = N;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (table[mid].first < code) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  if (lo < N && table[lo].first == code) return table[lo].second;
  return "UNKNOWN";
}

}  // namespace

std::string_view RequestCodeName(int32_t code) {
  return Lookup(kRequestCodeNames, code);
}
std::string_view ResponseCodeName(int32_t code) {
  return Lookup(kResponseCodeNames, code);
}

std::string_view LanguageCodeName(LanguageCode language) {
  auto i = static_cast<size_t>(language);
  return i < kLanguageNames.size() ? kLanguageNames[i] : std::string_view("UNKNOWN");
}

std::optional<LanguageCode> ParseLanguageCode(std::string_view name) {
  for (size_t i = 0; i < kLanguageNames.size(); ++i) {
    if (kLanguageNames[i] == name) return static_cast<LanguageCode>(i);
  }
  return std::nullopt;
}

std::string_view SerializeTypeName(SerializeType type) {
  switch (type) {
    case SerializeType::JSON:
      return "JSON";
    case SerializeType::ROCKETMQ:
      return "ROCKETMQ";
  }
  return "UNKNOWN";
}

}  // namespace rmqsim::remoting
