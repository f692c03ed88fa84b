// NameServer: the RocketMQ 4.9.8 name server (NamesrvController + DefaultRequestProcessor +
// BrokerHousekeepingService) as a Service on a Runtime.
//
// Requests: REGISTER_BROKER, UNREGISTER_BROKER, GET_ROUTEINFO_BY_TOPIC (TOPIC_NOT_EXIST when
// unknown; standard or fastjson-dialect JSON by request version), GET_BROKER_CLUSTER_INFO,
// GET_ALL_TOPIC_LIST_FROM_NAMESERVER, PUT/GET/DELETE_KV_CONFIG. Unknown codes get no answer (as
// 4.9.8's DefaultRequestProcessor). Housekeeping: a scan every 10 s (first after 5 s) removes
// brokers whose last registration is older than 120 s; a broker's routes go at once when its
// channel closes. Name servers never talk to each other.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>

#include "sim/base/lifetime.h"
#include "sim/runtime/runtime.h"
#include "sim/runtime/service.h"
#include "system/common/decode_memo.h"
#include "system/common/register_broker_body.h"
#include "system/namesrv/route_info_manager.h"
#include "system/remoting/remoting_server.h"

namespace rmqsim::namesrv {

struct NamesrvConfig {
  Address listen{"0.0.0.0", 9876};
  Duration scan_not_active_broker_interval = seconds(10);
  Duration scan_first_delay = seconds(5);
  Duration channel_idle_timeout = seconds(120);  // serverChannelMaxIdleTimeSeconds
  bool order_message_enable = false;             // orderMessageEnable: adds orderTopicConf
};

class NameServer final : public Service {
 public:
  NameServer(Runtime& rt, NamesrvConfig config);
  ~NameServer() override;

  Status Start() override;
  void Stop(std::function<void()> done) override;

  const Address& address() const { return server_->address(); }
  const RouteInfoManager& routes() const { return routes_; }
  RouteInfoManager& mutable_routes() { return routes_; }

 private:
  void RegisterProcessors();
  void ScheduleScan(Duration delay);
  void Scan();
  void TraceRemoval(const Removal& r, RemovalReason reason);

  std::optional<remoting::RemotingCommand> RegisterBroker(const remoting::RemotingCommand& req,
                                                          const remoting::Responder& responder);
  std::optional<remoting::RemotingCommand> UnregisterBroker(const remoting::RemotingCommand& req);
  std::optional<remoting::RemotingCommand> GetRouteInfo(const remoting::RemotingCommand& req);

  Runtime& rt_;
  NamesrvConfig config_;
  RouteInfoManager routes_;
  std::map<std::string, std::map<std::string, std::string>> kv_config_;  // namespace -> k -> v
  std::unique_ptr<remoting::RemotingServer> server_;
  TimerId scan_timer_;
  // The last REGISTER_BROKER body of each broker address (and compression), decoded.
  std::map<std::pair<std::string, bool>, common::DecodeMemo<common::RegisterBrokerBody>>
      register_memos_;
  LifetimeGuard guard_;
};

}  // namespace rmqsim::namesrv
