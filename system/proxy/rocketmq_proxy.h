// RocketMQProxy: Envoy's rocketmq_proxy network filter (envoy.filters.network.rocketmq_proxy) as a
// Service on a Runtime: a RocketMQ-speaking front for a set of broker clusters, with Envoy's 27
// statistics. docs/proxy.md describes each command, each statistic and where rmqsim differs.
//
// Downstream (clients): frames are decoded as Envoy does (proxy_codec.h). Answered here: HEART_BEAT
// (34), UNREGISTER_CLIENT (35), GET_CONSUMER_LIST_BY_GROUP (38) from the consumer-group table,
// GET_ROUTEINFO_BY_TOPIC (105) from the clusters' hosts (in develop mode every broker address is
// the proxy's). Forwarded to a host of the cluster the route picks: SEND_MESSAGE (10, queueId
// forced to -1), SEND_MESSAGE_V2 (310, likewise), POP (Envoy's 50 and RocketMQ 5's 200050; the
// messages returned leave ack directives), ACK (51 / 200051: routed by its directive, or refused
// with "No ack directive is found") and CHANGE_MESSAGE_INVISIBLETIME (200053, routed like an ack).
// Anything else: SystemError "Request not supported". Each forwarded request holds an upstream
// connection of its own (Envoy's TCP pool: idle connections are reused).
//
// rmqsim's addition for consumers (ProxyConfig::broker_listen): a port per broker name, named in
// route answers as that broker's address. There the broker-bound codes (PULL_MESSAGE with its
// long polling, QUERY/UPDATE_CONSUMER_OFFSET, SEARCH_OFFSET_BY_TIMESTAMP, GET_MAX/MIN_OFFSET,
// GET_EARLIEST_MSG_STORETIME, CONSUMER_SEND_MSG_BACK, LOCK/UNLOCK_BATCH_MQ) go to the broker's
// lowest-id host, and heartbeats and unregisters, still answered here, are also relayed to it
// over a session connection tied to the client's connection (so the broker knows the group, and
// forgets it when the client goes); the broker's NOTIFY_CONSUMER_IDS_CHANGED comes back down.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "sim/base/lifetime.h"
#include "sim/runtime/runtime.h"
#include "sim/runtime/service.h"
#include "system/proxy/proxy_config.h"
#include "system/proxy/proxy_stats.h"
#include "system/remoting/remoting_command.h"

namespace rmqsim::proxy {

// Envoy's pop and ack codes (a pre-5.0 pop protocol; RocketMQ 5 uses 200050 and 200051).
inline constexpr int32_t kEnvoyPopMessage = 50;
inline constexpr int32_t kEnvoyAckMessage = 51;

// Local error remarks (Envoy's wording).
inline constexpr const char* kNoRoute = "No route for current request.";
inline constexpr const char* kNoCluster = "Cluster does not exist.";
inline constexpr const char* kMaintenance = "Cluster under maintenance.";
inline constexpr const char* kNoHost = "No host available";
inline constexpr const char* kNoDirective = "No ack directive is found";
inline constexpr const char* kNotSupported = "Request not supported";
inline constexpr const char* kClusterNotAvailable = "Cluster is not available";
inline constexpr const char* kUpstreamDecodeFailed = "Failed to decode response from upstream";
inline constexpr const char* kUpstreamClosed = "Connection to upstream is closed by remote peer";
inline constexpr const char* kUpstreamTimeout = "Upstream request timeout";  // rmqsim

class RocketMQProxy final : public Service {
 public:
  RocketMQProxy(Runtime& rt, ProxyConfig config);
  ~RocketMQProxy() override;

  Status Start() override;
  void Stop(std::function<void()> done) override;

  const ProxyConfig& config() const { return config_; }
  const ProxyStats& stats() const { return stats_; }
  // The bound listen address (the real port when 0 was configured).
  const Address& address() const { return bound_; }
  // The bound admin address (unset when there is no admin endpoint).
  const Address& admin_address() const { return admin_bound_; }
  // The bound per-broker listeners (ProxyConfig::broker_listen), by broker name.
  const std::map<std::string, Address>& broker_addresses() const { return broker_bound_; }
  // Envoy's runtime key upstream.maintenance_mode.<cluster>: every request routed to the cluster
  // is refused while it is on. kNotFound for an unknown cluster.
  Status SetMaintenance(const std::string& cluster, bool on);

  // Introspection (tests, the history).
  size_t ack_directives() const { return directives_.size(); }
  size_t active_requests() const { return actives_.size(); }
  size_t downstream_connections() const { return downstreams_.size(); }
  // Open session connections (heartbeats relayed to a broker for a client's connection).
  size_t broker_sessions() const;
  // The group's live members, sorted (what GET_CONSUMER_LIST_BY_GROUP answers).
  std::vector<std::string> ConsumerList(const std::string& group) const;

 private:
  enum class Kind { kRoute, kSendV1, kSendV2, kPop, kAck, kChangeInvisible, kBroker };
  struct Downstream {
    uint64_t id = 0;
    std::string broker_name;  // accepted on that broker's port; empty: the main port
    std::shared_ptr<Connection> conn;
    std::string buffer;
    std::set<uint64_t> actives;  // in-flight requests, in arrival order
  };
  struct UpstreamConn {
    uint64_t id = 0;
    std::string host_key;
    std::shared_ptr<Connection> conn;
    std::string buffer;
    uint64_t active = 0;  // the request it carries; 0: idle
  };
  struct Active {
    uint64_t id = 0;
    uint64_t downstream = 0;
    Kind kind = Kind::kRoute;
    remoting::RemotingCommand request;
    MonoTime start{};
    std::string topic;
    std::string ack_key;                // kAck / kChangeInvisible
    std::string directive_broker_name;  // kAck / kChangeInvisible
    int64_t directive_broker_id = 0;
    const Host* host = nullptr;
    bool pending = false;  // waiting for an upstream connection
    bool reset = false;    // answered or abandoned; destroyed at the end of this turn
    std::shared_ptr<UpstreamConn> upstream;
    TimerId timeout;
  };
  // The heartbeats of one client connection on a broker port, relayed to the broker.
  struct Session {
    std::shared_ptr<Connection> conn;
    bool connecting = false;
    std::vector<std::string> queued;  // frames waiting for the connection
    std::string buffer;
  };
  struct AckDirective {
    std::string broker_name;
    int64_t broker_id = 0;
    MonoTime created{};
  };
  struct Member {
    std::string client_id;
    MonoTime last{};
  };

  // Downstream.
  void OnAccept(std::shared_ptr<Connection> c, const std::string& broker_name);
  void OnDownstreamData(uint64_t id, std::span<const std::byte> data);
  void OnDownstreamClosed(uint64_t id, const Status& st);
  void Dispatch(Downstream& d, remoting::RemotingCommand cmd);
  void ResetAll(Downstream& d, bool count_errors);
  void CloseDownstream(uint64_t id);
  void Write(uint64_t downstream, const remoting::RemotingCommand& cmd, MonoTime start);
  remoting::RemotingCommand LocalError(const remoting::RemotingCommand& req,
                                       const std::string& remark) const;

  // Local answers.
  void OnHeartbeat(Downstream& d, const remoting::RemotingCommand& req, MonoTime start);
  void OnUnregister(Downstream& d, const remoting::RemotingCommand& req, MonoTime start);
  void OnConsumerList(Downstream& d, const remoting::RemotingCommand& req, MonoTime start);
  void OnTopicRoute(Active& a);
  void PurgeDirectives(MonoTime now);

  // Active messages.
  Active& CreateActive(Downstream& d, Kind kind, remoting::RemotingCommand req, MonoTime start);
  void GaugesFor(Kind kind, int64_t delta);
  void Answer(Active& a, const remoting::RemotingCommand& resp);
  void Fail(Active& a, const std::string& remark);
  void Reset(Active& a);
  Active* FindActive(uint64_t id);

  // Upstream.
  const Route* MatchRoute(const std::string& topic, int32_t code, const Active* ack) const;
  void Forward(Active& a);
  void ForwardToBroker(Active& a, const std::string& broker_name);
  void SendUpstream(Active& a, const Cluster& cluster);
  // The lowest-id host named broker_name, and its cluster; {nullptr, nullptr} when none.
  std::pair<const Host*, const Cluster*> BrokerHost(const std::string& broker_name) const;
  void SetPending(Active& a, bool pending);
  void OnUpstreamConnected(uint64_t active_id, const std::string& host_key,
                           StatusOr<std::shared_ptr<Connection>> c);
  void WriteUpstream(Active& a);
  void OnUpstreamData(const std::shared_ptr<UpstreamConn>& u, std::span<const std::byte> data);
  void OnUpstreamClosed(const std::shared_ptr<UpstreamConn>& u);
  void ReleaseUpstream(Active& a, bool reusable);
  void RecordDirectives(const Active& a, const remoting::RemotingCommand& resp);

  // Broker sessions.
  void RelayToSession(const Downstream& d, const remoting::RemotingCommand& cmd);
  void OnSessionConnected(uint64_t downstream, StatusOr<std::shared_ptr<Connection>> c);
  void OnSessionData(uint64_t downstream, std::span<const std::byte> data);

  // Admin endpoint.
  struct AdminConn {
    std::shared_ptr<Connection> conn;
    std::string request;
  };
  static constexpr size_t kAdminRequestMax = 8192;
  void OnAdminAccept(std::shared_ptr<Connection> c);
  void OnAdminData(uint64_t id, std::span<const std::byte> data);

  Runtime& rt_;
  ProxyConfig config_;
  ProxyStats stats_;
  Address bound_;
  std::unique_ptr<Listener> listener_;
  std::unique_ptr<Listener> admin_listener_;
  std::vector<std::unique_ptr<Listener>> broker_listeners_;
  std::map<std::string, Address> broker_bound_;
  std::map<uint64_t, Session> sessions_;  // by downstream id
  Address admin_bound_;
  std::map<uint64_t, AdminConn> admin_conns_;
  bool stopping_ = false;

  std::map<uint64_t, Downstream> downstreams_;
  std::map<uint64_t, Active> actives_;
  std::map<std::string, std::vector<std::shared_ptr<UpstreamConn>>> idle_;  // by host
  std::map<uint64_t, std::shared_ptr<UpstreamConn>> upstreams_;             // every open one
  std::map<std::string, size_t> round_robin_;                               // by cluster
  std::map<std::string, AckDirective> directives_;
  std::map<std::string, std::vector<Member>> groups_;
  uint64_t next_id_ = 0;

  LifetimeGuard guard_;
};

}  // namespace rmqsim::proxy
