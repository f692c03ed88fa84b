// Broker: the RocketMQ 4.9.8 broker (BrokerController and its processors) as a Service on a
// Runtime. A master (brokerId 0, ASYNC_MASTER or SYNC_MASTER) serves slaves on haListenPort
// (store::HAService); a SLAVE (brokerId > 0) replicates from haMasterAddress and refuses sends.
//
// Requests (docs/broker.md has the details and the Java sources):
//   SEND_MESSAGE, SEND_MESSAGE_V2, SEND_BATCH_MESSAGE       SendMessageProcessor
//   PULL_MESSAGE (long polling)                            PullMessageProcessor
//   QUERY_CONSUMER_OFFSET, UPDATE_CONSUMER_OFFSET,         ConsumerManageProcessor
//   GET_CONSUMER_LIST_BY_GROUP
//   HEART_BEAT, UNREGISTER_CLIENT                          ClientManageProcessor
//   CONSUMER_SEND_MSG_BACK                                 SendMessageProcessor
//   GET_MAX_OFFSET, GET_MIN_OFFSET, SEARCH_OFFSET_BY_TIMESTAMP, GET_EARLIEST_MSG_STORETIME,
//   UPDATE_AND_CREATE_TOPIC, GET_ALL_TOPIC_CONFIG,         AdminBrokerProcessor
//   GET_ALL_CONSUMER_OFFSET, GET_ALL_DELAY_OFFSET,
//   GET_ALL_SUBSCRIPTIONGROUP_CONFIG (what a slave syncs),
//   UPDATE_AND_CREATE_SUBSCRIPTIONGROUP
//   VIEW_MESSAGE_BY_ID, QUERY_MESSAGE (a consume-queue scan) QueryMessageProcessor
//   DELETE_TOPIC_IN_BROKER, GET_TOPIC_STATS_INFO,          AdminBrokerProcessor (the requests
//   GET_CONSUME_STATS, GET_BROKER_RUNTIME_INFO,            of mqadmin / rmq-admin; see
//   GET_CONSUMER_CONNECTION_LIST, GET_BROKER_CONFIG,       docs/admin.md)
//   UPDATE_BROKER_CONFIG, INVOKE_BROKER_TO_RESET_OFFSET,
//   QUERY_TOPIC_CONSUME_BY_WHO
//   POP_MESSAGE, ACK_MESSAGE, CHANGE_MESSAGE_INVISIBLETIME PopService (RocketMQ 5.x's pop
//                                                          consumption, an rmqsim addition)
//   anything else: REQUEST_CODE_NOT_SUPPORTED              AdminBrokerProcessor
//
// Timers: REGISTER_BROKER to every name server in parallel at start, every 30 s (first after
// 10 s) and on every topic change; client expiry scan every 10 s; held pulls checked every 5 s;
// consumer offsets persisted every 5 s (store::ConsumerOffsetManager); delayed messages
// delivered by ScheduleMessageService. A slave takes its master's address and HA address from
// the REGISTER_BROKER responses (unless haMasterAddress is set) and copies topic configs,
// consumer offsets, delay offsets and subscription groups from the master every 10 s (first after
// 3 s; SlaveSynchronize). Stop(): UNREGISTER_BROKER everywhere, close the server, persist
// offsets, shut the store down cleanly.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/base/lifetime.h"
#include "sim/runtime/runtime.h"
#include "sim/runtime/service.h"
#include "sim/runtime/task.h"
#include "system/broker/broker_config.h"
#include "system/broker/broker_stats.h"
#include "system/broker/config_file.h"
#include "system/broker/client_manager.h"
#include "system/broker/pop_service.h"
#include "system/broker/pull_request_hold_service.h"
#include "system/broker/schedule_message_service.h"
#include "system/broker/subscription_group_manager.h"
#include "system/broker/topic_config_manager.h"
#include "system/common/decode_memo.h"
#include "system/common/host_address.h"
#include "system/remoting/remoting_client.h"
#include "system/remoting/remoting_server.h"
#include "system/store/consumer_offset_manager.h"
#include "system/store/default_message_store.h"
#include "system/store/ha_service.h"

namespace rmqsim::broker {

class Broker final : public Service {
 public:
  Broker(Runtime& rt, BrokerConfig config, store::MessageStoreConfig store_config);
  ~Broker() override;
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  Status Start() override;
  void Stop(std::function<void()> done) override;

  // The bound address (the real port when listen_port was 0). Valid after Start().
  const Address& address() const { return server_->address(); }
  // brokerIP1:port, as registered and written as STOREHOST.
  const std::string& broker_addr() const { return broker_addr_; }
  const BrokerConfig& config() const { return config_; }

  // Inspection (tests, checkers).
  store::DefaultMessageStore& store() { return *store_; }
  store::HAService* ha() { return ha_.get(); }
  store::ConsumerOffsetManager& consumer_offsets() { return *offsets_; }
  const TopicConfigManager& topics() const { return *topics_; }
  const ConsumerManager& consumers() const { return consumers_; }
  const ProducerManager& producers() const { return producers_; }
  const PullRequestHoldService& pull_hold() const { return *hold_; }
  const ScheduleMessageService& schedule() const { return *schedule_; }
  const SubscriptionGroupManager& groups() const { return groups_; }
  PopService& pop() { return *pop_; }
  bool is_slave() const { return store_config_.broker_role == store::BrokerRole::kSlave; }
  // A slave's master address as the name servers last told it (SlaveSynchronize's masterAddr);
  // empty when unknown or the master is gone.
  const std::string& master_addr() const { return master_addr_; }
  // Complete SlaveSynchronize rounds (all four requests answered SUCCESS).
  uint64_t slave_syncs_ok() const { return slave_syncs_ok_; }
  // REGISTER_BROKER requests answered SUCCESS, over all name servers.
  uint64_t registrations_ok() const { return registrations_ok_; }
  uint64_t registrations_failed() const { return registrations_failed_; }
  // PULL_MESSAGE requests received (a held pull counts once), for tests and checkers.
  uint64_t pull_requests() const { return pull_requests_; }

  // registerBrokerAll: REGISTER_BROKER to every name server now.
  void RegisterBrokerAll();

  // Fault hook (fault injectors and tests; never set by the broker itself): REGISTER_BROKER to
  // `namesrv` (nullopt: every name server) is skipped, as if the request were lost before it
  // left the broker (a stuck registration thread, a long pause). Lasts for this incarnation
  // only; a restarted broker registers normally.
  void SuppressRegistrations(std::optional<Address> namesrv, bool suppressed);
  uint64_t registrations_suppressed() const { return registrations_suppressed_; }

 private:
  using Command = remoting::RemotingCommand;
  using Reply = std::optional<Command>;

  void RegisterProcessors();
  void ScheduleRegister(Duration delay);
  void ScheduleClientScan(Duration delay);
  // A REGISTER_BROKER response of round `round`; a slave applies the first success of each.
  void OnRegisterResponse(uint64_t round, const Command& response);
  void ScheduleSlaveSync(Duration delay);
  Task<void> SlaveSyncAll();
  void ScanNotActiveChannels();
  void OnChannelClosed(const std::shared_ptr<remoting::RemotingChannel>& channel);
  void NotifyConsumerIdsChanged(
      const std::string& group,
      const std::vector<std::shared_ptr<remoting::RemotingChannel>>& channels);
  Task<void> StopTask(std::function<void()> done);

  // Send (broker_send.cc).
  Reply ProcessSend(const Command& request, remoting::Responder responder);
  Reply ProcessSendBatch(const Command& request, remoting::Responder responder);
  Reply ProcessConsumerSendMsgBack(const Command& request, remoting::Responder responder);
  // Pull (broker_pull.cc). `allow_suspend` is false for a re-run of a held request.
  Reply ProcessPull(const Command& request, remoting::Responder responder, bool allow_suspend);
  void RerunPull(PullRequest request);
  // Consumer and client management, admin (broker_admin.cc).
  Reply ProcessHeartbeat(const Command& request, const remoting::Responder& responder);
  Reply ProcessUnregisterClient(const Command& request, const remoting::Responder& responder);
  Reply ProcessGetConsumerList(const Command& request);
  Reply ProcessQueryConsumerOffset(const Command& request);
  Reply ProcessUpdateConsumerOffset(const Command& request, const remoting::Responder& responder);
  Reply ProcessOffsetQuery(const Command& request);
  Reply ProcessUpdateAndCreateTopic(const Command& request);
  Reply ProcessGetAllTopicConfig(const Command& request);
  Reply ProcessGetAllConsumerOffset(const Command& request);
  Reply ProcessGetAllDelayOffset(const Command& request);
  Reply ProcessGetAllSubscriptionGroup(const Command& request);
  Reply ProcessUpdateSubscriptionGroup(const Command& request);
  Reply ProcessViewMessageById(const Command& request);
  // The requests of the admin tools (broker_admin_tools.cc).
  Reply ProcessDeleteTopic(const Command& request);
  Reply ProcessGetTopicStatsInfo(const Command& request);
  Reply ProcessGetConsumeStats(const Command& request);
  Reply ProcessGetBrokerRuntimeInfo(const Command& request);
  Reply ProcessQueryMessage(const Command& request);
  Reply ProcessGetConsumerConnectionList(const Command& request);
  Reply ProcessGetBrokerConfig(const Command& request);
  Reply ProcessUpdateBrokerConfig(const Command& request, const remoting::Responder& responder);
  Reply ProcessResetOffset(const Command& request);
  Reply ProcessQueryTopicConsumeByWho(const Command& request);
  // The settings by their Java names, as GET_BROKER_CONFIG returns them.
  std::map<std::string, std::string> ConfigProperties() const;

  common::HostAddress StoreHost() const { return store_host_; }

  Runtime& rt_;
  BrokerConfig config_;
  store::MessageStoreConfig store_config_;
  std::unique_ptr<store::DefaultMessageStore> store_;
  std::unique_ptr<store::ConsumerOffsetManager> offsets_;
  std::unique_ptr<TopicConfigManager> topics_;
  SubscriptionGroupManager groups_;
  ConsumerManager consumers_;
  ProducerManager producers_;
  std::unique_ptr<PullRequestHoldService> hold_;
  std::unique_ptr<ScheduleMessageService> schedule_;
  std::unique_ptr<PopService> pop_;
  std::unique_ptr<store::HAService> ha_;
  std::unique_ptr<remoting::RemotingServer> server_;
  std::unique_ptr<remoting::RemotingClient> outer_;  // BrokerOuterAPI: to the name servers
  std::string broker_addr_;
  common::HostAddress store_host_;
  bool started_ = false;
  bool stopping_ = false;
  TimerId register_timer_;
  TimerId client_scan_timer_;
  TimerId slave_sync_timer_;
  std::string master_addr_;
  bool update_master_ha_periodically_ = false;
  uint64_t register_round_ = 0;
  bool suppress_all_registrations_ = false;
  std::vector<Address> suppressed_namesrvs_;
  uint64_t registrations_suppressed_ = 0;
  uint64_t register_round_applied_ = 0;
  bool slave_sync_running_ = false;
  // The master's tables as last decoded (they rarely change between two syncs).
  common::DecodeMemo<common::TopicConfigSerializeWrapper> slave_topics_memo_;
  common::DecodeMemo<common::SubscriptionGroupWrapper> slave_groups_memo_;
  uint64_t slave_syncs_ok_ = 0;
  uint64_t registrations_ok_ = 0;
  uint64_t registrations_failed_ = 0;
  uint64_t pull_requests_ = 0;
  // Admin figures (broker_admin_tools.cc): message counters, the construction time (Java's
  // StoreStatsService boot timestamp) and the configuration's data version.
  BrokerStats stats_;
  int64_t boot_timestamp_ms_ = ToUnixMillis(rt_.WallNow());
  MonoTime boot_time_ = rt_.Now();
  common::DataVersion config_version_{.timestamp = boot_timestamp_ms_, .counter = 0};
  // config_.broker_config_path's writer, and the text last handed to it (the base of the next
  // update, so that updates in quick succession all reach the file).
  std::unique_ptr<ConfigFile> broker_config_file_;
  std::optional<std::string> broker_config_text_;
  LifetimeGuard guard_;
  TaskScope scope_;  // last: destroyed first
};

}  // namespace rmqsim::broker
