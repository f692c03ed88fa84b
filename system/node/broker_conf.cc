#include "system/node/broker_conf.h"

#include <array>

#include "system/node/properties_file.h"

namespace rmqsim::node {

namespace {
// Java settings with no meaning in this model: accepted without a warning.
constexpr std::array<std::string_view, 22> kIgnoredKeys = {"sendMessageThreadPoolNums",
                                                           "pullMessageThreadPoolNums",
                                                           "queryMessageThreadPoolNums",
                                                           "adminBrokerThreadPoolNums",
                                                           "clientManageThreadPoolNums",
                                                           "consumerManageThreadPoolNums",
                                                           "heartbeatThreadPoolNums",
                                                           "endTransactionThreadPoolNums",
                                                           "putMessageFutureThreadPoolNums",
                                                           "processReplyMessageThreadPoolNums",
                                                           "rocketmqHome",
                                                           "storePathIndex",
                                                           "useReentrantLockWhenPutMessage",
                                                           "waitTimeMillsInSendQueue",
                                                           "brokerFastFailureEnable",
                                                           "transientStorePoolEnable",
                                                           "warmMapedFileEnable",
                                                           "aclEnable",
                                                           "storePathEpochFile",
                                                           "serverWorkerThreads",
                                                           "serverSelectorThreads",
                                                           "osPageCacheBusyTimeOutMills"};
}  // namespace

StatusOr<BrokerConf> ParseBrokerConf(std::string_view text, const std::string& origin,
                                     const std::optional<std::string>& namesrv_addr_env,
                                     BrokerConf base) {
  auto props = PropertiesFile::Parse(text, origin);
  if (!props.ok()) return props.status();
  BrokerConf out = std::move(base);
  for (const std::string& key : props->UnknownKeys({})) {  // every key, in name order
    std::string value = props->GetString(key).value_or("");
    std::string_view name = key;
    if (name == "mapedFileSizeCommitLog") name = "mappedFileSizeCommitLog";  // pre-4.9 spelling
    Status st = out.broker.SetByName(name, value);
    if (st.code() == StatusCode::kNotFound) st = out.store.SetByName(name, value);
    if (st.ok()) continue;
    if (st.code() == StatusCode::kNotFound) {
      bool ignored = false;
      for (auto k : kIgnoredKeys) ignored = ignored || k == name;
      if (!ignored) out.warnings.push_back(props->Where(key) + ": unknown key ignored");
      continue;
    }
    return InvalidArgumentError(props->Where(key) + ": " + st.message());
  }
  if (!props->Has("namesrvAddr") && namesrv_addr_env && !namesrv_addr_env->empty()) {
    auto addrs = broker::ParseNamesrvAddr(*namesrv_addr_env);
    if (!addrs.ok()) {
      return InvalidArgumentError("NAMESRV_ADDR environment variable: " + addrs.status().message());
    }
    out.broker.namesrv_addrs = *addrs;
  }
  if (Status st = out.broker.Validate(); !st.ok()) {
    return InvalidArgumentError(origin + ": " + st.message());
  }
  if (Status st = out.store.Validate(); !st.ok()) {
    return InvalidArgumentError(origin + ": " + st.message());
  }
  return out;
}

}  // namespace rmqsim::node
