#include "system/node/broker_conf.h"

#include <array>
#include <utility>

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
  // Range checks live in Validate(); running it after each key (every check there is about one
  // field) lets an out-of-range value name its line and key, not just the file.
  bool broker_valid = out.broker.Validate().ok();
  bool store_valid = out.store.Validate().ok();
  for (const std::string& key : props->UnknownKeys({})) {  // every key, in name order
    std::string value = props->GetString(key).value_or("");
    std::string_view name = key;
    if (name == "mapedFileSizeCommitLog") name = "mappedFileSizeCommitLog";  // pre-4.9 spelling
    if (name == "haMasterAddress" && !value.empty()) {
      if (auto a = Address::Parse(value); !a.ok()) {
        return InvalidArgumentError(props->Where(key) + ": '" + value +
                                    "' is not host:port: " + a.status().message());
      }
    }
    Status st = out.broker.SetByName(name, value);
    if (st.code() == StatusCode::kNotFound) st = out.store.SetByName(name, value);
    if (st.ok()) {
      for (auto [valid, now] : {std::pair{&broker_valid, out.broker.Validate()},
                                std::pair{&store_valid, out.store.Validate()}}) {
        if (*valid && !now.ok()) {
          return InvalidArgumentError(props->Where(key) + ": " + now.message());
        }
        *valid = now.ok();
      }
      continue;
    }
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
  // BrokerStartup: the HA port is listenPort + 1 (4.9.8 always sets it so; here a haListenPort in
  // the file wins, as in 5.x), a master's brokerId is 0 whatever the file says, and a slave's
  // must be > 0.
  if (!props->Has("haListenPort") && out.broker.listen_port != 0) {
    if (out.broker.listen_port == 65535) {
      return InvalidArgumentError(props->Where("listenPort") +
                                  ": listenPort + 1 is not a port; set haListenPort");
    }
    out.broker.ha_listen_port = static_cast<uint16_t>(out.broker.listen_port + 1);
  }
  if (out.broker.listen_port != 0 && out.broker.ha_listen_port == out.broker.listen_port) {
    return InvalidArgumentError(props->Where("haListenPort") + ": " +
                                std::to_string(out.broker.ha_listen_port) + " is also listenPort");
  }
  if (out.store.broker_role == store::BrokerRole::kSlave) {
    if (out.broker.broker_id <= 0) {
      return InvalidArgumentError(
          (props->Has("brokerId") ? props->Where("brokerId") : props->Where("brokerRole")) +
          ": a SLAVE's brokerId must be > 0");
    }
  } else if (out.broker.broker_id != 0) {
    out.warnings.push_back(props->Where("brokerId") +
                           ": brokerId=" + std::to_string(out.broker.broker_id) + " ignored: a " +
                           std::string(store::BrokerRoleName(out.store.broker_role)) +
                           "'s brokerId is 0");
    out.broker.broker_id = 0;
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
