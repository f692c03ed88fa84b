// MQClientInstance (apache/rocketmq 4.9.8 client/impl/factory/MQClientInstance.java together with
// the request side of MQClientAPIImpl and MQAdminImpl): one per process (per Runtime). It holds
// the producer and consumer groups of the process, the route cache and broker address table,
// and the client timers:
//
//   route refresh        every pollNameServerInterval (30 s; first after 10 ms), name servers
//                        round robin with fail-over on a transport error
//   heartbeat            every heartbeatBrokerInterval (30 s; first after 1 s) with HeartbeatData
//                        JSON: to masters only when the instance has no consumer, else to every
//                        broker of the cached routes
//   persist offsets      every persistConsumerOffsetInterval (5 s; first after 10 s)
//   rebalance            every rebalance_interval (20 s) and at once on NOTIFY_CONSUMER_IDS_CHANGED
//
// Producers and consumers attach with RegisterProducer / RegisterConsumer and must be destroyed
// before the instance. The instance never awaits a producer's or consumer's coroutine: it calls
// their plain methods, they await the instance's, so destroying either side in the documented
// order is safe. All callbacks are guarded; the TaskScope is the last member.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "sim/base/lifetime.h"
#include "sim/runtime/runtime.h"
#include "sim/runtime/task.h"
#include "system/client/client_config.h"
#include "system/client/topic_publish_info.h"
#include "system/common/heartbeat_data.h"
#include "system/common/message_id.h"
#include "system/common/route_data.h"
#include "system/remoting/remoting_client.h"

namespace rmqsim::client {

// What the instance needs from a producer.
class MQProducerInner {
 public:
  virtual ~MQProducerInner() = default;
  // Topics whose publish info the producer caches (refreshed with the routes).
  virtual std::set<std::string> PublishTopics() const = 0;
  virtual void UpdateTopicPublishInfo(const std::string& topic,
                                      const common::TopicRouteData& route) = 0;
};

// What the instance needs from a consumer (push or pull).
class MQConsumerInner {
 public:
  virtual ~MQConsumerInner() = default;
  virtual common::ConsumerData BuildConsumerData() const = 0;
  virtual std::set<std::string> SubscribedTopics() const = 0;
  virtual void UpdateTopicSubscribeInfo(const std::string& topic,
                                        const std::set<MessageQueue>& mqs) = 0;
  // Starts a rebalance now (the consumer runs it in its own scope). Pull consumers do nothing.
  virtual void RebalanceNow() = 0;
  // Sends the committed offsets of the owned queues (UPDATE_CONSUMER_OFFSET / offsets file).
  virtual void PersistConsumerOffset() = 0;
};

struct FindBrokerResult {
  std::string broker_addr;
  bool slave = false;
};

class MQClientInstance {
 public:
  MQClientInstance(Runtime& rt, ClientConfig config);
  ~MQClientInstance();
  MQClientInstance(const MQClientInstance&) = delete;
  MQClientInstance& operator=(const MQClientInstance&) = delete;

  // Parses the name-server list and starts the timers. Idempotent.
  Status Start();
  // Stops the timers, sends UNREGISTER_CLIENT for the groups still registered, closes the
  // connections once the unregisters are answered (or time out).
  Task<void> Shutdown();
  bool started() const { return started_; }

  Runtime& runtime() { return rt_; }
  const ClientConfig& config() const { return config_; }
  const std::string& client_id() const { return client_id_; }
  const std::string& instance_name() const { return instance_name_; }
  remoting::RemotingClient& remoting() { return client_; }
  const std::vector<Address>& namesrv_addrs() const { return namesrv_addrs_; }

  // Group registries. A second registration of one group fails with RocketMQ's text.
  Status RegisterProducer(const std::string& group, MQProducerInner* producer);
  // Forgets the group and (if started) tells every broker: UNREGISTER_CLIENT.
  Task<void> UnregisterProducer(std::string group);
  Status RegisterConsumer(const std::string& group, MQConsumerInner* consumer);
  Task<void> UnregisterConsumer(std::string group);
  bool HasConsumers() const { return !consumers_.empty(); }

  // ------------------------------------------------------------------ name server
  // GET_ROUTEINFO_BY_TOPIC on the chosen name server; on a transport error the next one is
  // tried (each at most once). TOPIC_NOT_EXIST is kNotFound with the name server's remark.
  Task<StatusOr<common::TopicRouteData>> GetTopicRouteInfoFromNameServer(std::string topic,
                                                                         Duration timeout);
  // updateTopicRouteInfoFromNameServer(topic): fetches and installs the route (broker addresses,
  // producers' publish info, consumers' subscribe info). False if it could not be fetched.
  Task<bool> UpdateTopicRouteInfoFromNameServer(std::string topic);
  // The isDefault variant: installs the route of `default_topic` (TBW102) for `topic`, with
  // read/write queue counts capped at `default_topic_queue_nums`.
  Task<bool> UpdateTopicRouteInfoFromDefaultTopic(std::string topic, std::string default_topic,
                                                  int32_t default_topic_queue_nums);
  // Every topic of every producer and consumer.
  Task<void> UpdateTopicRouteInfoFromNameServerAll();
  const std::map<std::string, common::TopicRouteData>& topic_route_table() const {
    return topic_route_table_;
  }
  const std::map<std::string, std::map<int64_t, std::string>>& broker_addr_table() const {
    return broker_addr_table_;
  }

  // ------------------------------------------------------------------ broker addresses
  std::optional<std::string> FindBrokerAddressInPublish(const std::string& broker_name) const;
  // The address of `broker_id`; for a slave id, id+1 next; unless `only_this_broker`, any
  // address of the broker name (the first, so the master when present).
  std::optional<FindBrokerResult> FindBrokerAddressInSubscribe(const std::string& broker_name,
                                                               int64_t broker_id,
                                                               bool only_this_broker) const;
  // A random broker of the topic's route, its master preferred (findBrokerAddrByTopic).
  std::optional<std::string> FindBrokerAddrByTopic(const std::string& topic);

  // ------------------------------------------------------------------ broker requests
  // Sends to "ip:port"; kInvalidArgument for an unparsable address.
  Task<StatusOr<remoting::RemotingCommand>> Call(std::string broker_addr,
                                                 remoting::RemotingCommand request,
                                                 Duration timeout);
  void InvokeOneway(const std::string& broker_addr, remoting::RemotingCommand request);
  // GET_CONSUMER_LIST_BY_GROUP to a broker of `topic`.
  Task<StatusOr<std::vector<std::string>>> FindConsumerIdList(std::string topic, std::string group);
  // QUERY_CONSUMER_OFFSET; kNotFound for QUERY_NOT_FOUND (the group has no offset).
  Task<StatusOr<int64_t>> QueryConsumerOffset(std::string group, MessageQueue mq);
  // UPDATE_CONSUMER_OFFSET (oneway) to the master of the queue's broker, or any address of it.
  Status UpdateConsumerOffsetOneway(const std::string& group, const MessageQueue& mq,
                                    int64_t offset);
  // The same, waiting for the answer.
  Task<Status> UpdateConsumerOffset(std::string group, MessageQueue mq, int64_t offset);
  // GET_MAX_OFFSET / GET_MIN_OFFSET / SEARCH_OFFSET_BY_TIMESTAMP to the queue's master.
  Task<StatusOr<int64_t>> MaxOffset(MessageQueue mq);
  Task<StatusOr<int64_t>> MinOffset(MessageQueue mq);
  Task<StatusOr<int64_t>> SearchOffset(MessageQueue mq, int64_t timestamp_ms);

  // ------------------------------------------------------------------ heartbeat, rebalance
  common::HeartbeatData PrepareHeartbeatData() const;
  // sendHeartbeatToAllBroker: fire-and-forget HEART_BEAT to the brokers (see above).
  void SendHeartbeatToAllBrokers();
  // Wakes the rebalance of every consumer (RebalanceService.wakeup).
  void RebalanceImmediately();
  void PersistAllConsumerOffset();

  // A fresh UNIQ_KEY (MessageClientIDSetter.createUniqID for this process).
  std::string CreateUniqId();

  // ------------------------------------------------------------------ inspection
  uint64_t heartbeats_sent() const { return heartbeats_sent_; }
  // Fault hook (fault injectors and tests): HEART_BEAT to the brokers is skipped while set, as
  // if every heartbeat were lost before it left the client. This incarnation only.
  void SuppressHeartbeats(bool suppressed) { suppress_heartbeats_ = suppressed; }
  uint64_t heartbeats_suppressed() const { return heartbeats_suppressed_; }
  uint64_t route_updates() const { return route_updates_; }
  uint64_t route_update_failures() const { return route_update_failures_; }
  uint64_t notifies_received() const { return notifies_received_; }
  uint64_t rebalances_triggered() const { return rebalances_triggered_; }

 private:
  Task<StatusOr<remoting::RemotingCommand>> CallNamesrv(remoting::RemotingCommand request,
                                                        Duration timeout);
  void InstallRoute(const std::string& topic, const common::TopicRouteData& route);
  Task<StatusOr<int64_t>> OffsetRequest(int32_t code, MessageQueue mq, int64_t timestamp_ms);
  Task<void> UnregisterClient(std::string producer_group, std::string consumer_group);
  void ScheduleRouteUpdate(Duration delay);
  void ScheduleHeartbeat(Duration delay);
  void SchedulePersist(Duration delay);
  void ScheduleRebalance(Duration delay);

  Runtime& rt_;
  ClientConfig config_;
  std::string instance_name_;
  std::string client_id_;
  remoting::RemotingClient client_;
  std::vector<Address> namesrv_addrs_;
  size_t namesrv_index_ = 0;
  bool started_ = false;
  bool shut_down_ = false;
  bool route_update_running_ = false;
  std::map<std::string, MQProducerInner*> producers_;
  std::map<std::string, MQConsumerInner*> consumers_;
  std::map<std::string, common::TopicRouteData> topic_route_table_;
  std::map<std::string, std::map<int64_t, std::string>> broker_addr_table_;
  std::unique_ptr<common::UniqIdGenerator> uniq_ids_;
  TimerId route_timer_, heartbeat_timer_, persist_timer_, rebalance_timer_;
  uint64_t heartbeats_sent_ = 0;
  bool suppress_heartbeats_ = false;
  uint64_t heartbeats_suppressed_ = 0;
  uint64_t route_updates_ = 0;
  uint64_t route_update_failures_ = 0;
  uint64_t notifies_received_ = 0;
  uint64_t rebalances_triggered_ = 0;
  LifetimeGuard guard_;
  TaskScope scope_;
};

// "CODE: 17  DESC: remark" (MQBrokerException's message) as a Status: kNotFound for
// TOPIC_NOT_EXIST / QUERY_NOT_FOUND, kUnavailable otherwise.
Status BrokerError(int32_t code, const std::optional<std::string>& remark);
// The response code carried by a BrokerError Status, or -1 (a transport or local error).
int32_t BrokerErrorCode(const Status& status);

}  // namespace rmqsim::client
