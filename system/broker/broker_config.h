// BrokerConfig (common/.../BrokerConfig.java in apache/rocketmq 4.9.8): the broker's settings with
// RocketMQ's defaults, field names in snake_case (broker_ip1 is brokerIP1). SetByName accepts the
// Java names as they appear in broker.conf. Store settings live in store::MessageStoreConfig.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sim/base/status.h"
#include "sim/base/time.h"
#include "sim/runtime/address.h"

namespace rmqsim::broker {

struct BrokerConfig {
  std::string broker_cluster_name = "DefaultCluster";
  // Java defaults to the local host name; a model has none, so a fixed name.
  std::string broker_name = "broker-a";
  // 0 is the master (MixAll.MASTER_ID); a slave has brokerId > 0.
  int64_t broker_id = 0;
  // The address published to name servers and written as STOREHOST. Java picks a local address;
  // the model defaults to loopback (real mode binds loopback unless told otherwise).
  std::string broker_ip1 = "127.0.0.1";
  // The HA address host; empty means broker_ip1.
  std::string broker_ip2;
  // The configuration file the broker was started with (BrokerPathConfigHelper's
  // brokerConfigPath, set from -c). UPDATE_BROKER_CONFIG writes the changed settings into it;
  // empty (simulation's default): nothing is written. Not a settable key.
  std::string broker_config_path;
  // Where to listen; empty means broker_ip1. "0.0.0.0" listens on every address.
  std::string bind_host;
  // NettyServerConfig.listenPort (10911); 0 picks a free port (tests), which is then published.
  uint16_t listen_port = 10911;
  // MessageStoreConfig.haListenPort (BrokerStartup sets listenPort + 1). Published as
  // haServerAddr; a master's slaves connect there (store::HAService).
  uint16_t ha_listen_port = 10912;
  // A slave's master HA address "ip:port" (MessageStoreConfig.haMasterAddress in Java). When
  // empty, a slave takes it from its REGISTER_BROKER responses (haServerAddr) and follows it
  // when it changes (updateMasterHAServerAddrPeriodically).
  std::string ha_master_address;
  // A slave serves pulls and suggests where to pull next from the group's brokerId /
  // whichBrokerWhenConsumeSlowly; when false every pull response suggests the master (id 0).
  bool slave_read_enable = false;
  // SlaveSynchronize: a slave copies topic configs, consumer offsets, delay offsets and
  // subscription groups from its master every 10 s, the first time 3 s after start.
  Duration slave_sync_first_delay = seconds(3);
  Duration slave_sync_interval = seconds(10);
  // namesrvAddr, ';'-separated in broker.conf.
  std::vector<Address> namesrv_addrs;

  bool auto_create_topic_enable = true;  // 4.9.8 default
  bool cluster_topic_enable = true;
  bool broker_topic_enable = true;
  bool auto_create_subscription_group = true;
  // Queues of TBW102 (BrokerConfig.defaultTopicQueueNums = 8 in 4.9.8).
  int32_t default_topic_queue_nums = 8;
  int32_t broker_permission = 6;  // PERM_READ | PERM_WRITE

  // BrokerController: registerBrokerAll at start, then every registerNameServerPeriod (clamped
  // to [10 s, 60 s]) starting 10 s after start.
  Duration register_name_server_period = seconds(30);
  Duration register_first_delay = seconds(10);
  Duration register_broker_timeout = milliseconds(6000);  // registerBrokerTimeoutMills

  // Long polling (PullRequestHoldService): held pulls are checked every 5 s, or every
  // shortPollingTimeMills when long polling is off (then a pull is held that long).
  bool long_polling_enable = true;
  Duration short_polling_time = milliseconds(1000);
  Duration long_polling_check_interval = seconds(5);

  bool notify_consumer_ids_changed_enable = true;
  // ClientHousekeepingService: scan every 10 s (first after 10 s); a client channel whose last
  // heartbeat is older than 120 s is closed and forgotten
  // (ConsumerManager.CHANNEL_EXPIRED_TIMEOUT).
  Duration channel_expired_timeout = seconds(120);
  Duration client_scan_interval = seconds(10);
  // NettyServerConfig.serverChannelMaxIdleTimeSeconds.
  Duration channel_idle_timeout = seconds(120);

  bool reject_transaction_message = false;
  std::string region_id = "DefaultRegion";  // MSG_REGION of send responses
  bool trace_on = true;                     // TRACE_ON of send responses
  bool enable_property_filter = false;      // SQL92 filtering is refused when false
  bool validate_system_topic_when_update_topic = true;
  // BrokerConfig.flushConsumerOffsetInterval (the store's ConsumerOffsetManager persists).
  Duration flush_consumer_offset_interval = milliseconds(5000);
  // ScheduleMessageService.flushDelayOffsetInterval.
  Duration flush_delay_offset_interval = milliseconds(10000);

  // The address published to name servers for a bound port.
  std::string BrokerAddr(uint16_t port) const;
  std::string HaServerAddr() const;
  const std::string& BindHost() const { return bind_host.empty() ? broker_ip1 : bind_host; }
  // Checks names, ids and periods. kInvalidArgument naming the field.
  Status Validate() const;
  // Sets a field from its Java name ("brokerName", "listenPort", "autoCreateTopicEnable",
  // "namesrvAddr" = "10.0.0.1:9876;10.0.0.2:9876", ...). Durations take milliseconds as Java does.
  // kNotFound for an unknown name, kInvalidArgument for a bad value.
  Status SetByName(std::string_view java_name, std::string_view value);
};

// "a:1;b:2" -> addresses (empty parts skipped). Errors name the bad part.
StatusOr<std::vector<Address>> ParseNamesrvAddr(std::string_view text);

}  // namespace rmqsim::broker
