#include "system/broker/broker_config.h"

#include "system/common/java_string.h"
#include "system/common/topic_validator.h"

namespace rmqsim::broker {

std::string BrokerConfig::BrokerAddr(uint16_t port) const {
  return broker_ip1 + ":" + std::to_string(port);
}

std::string BrokerConfig::HaServerAddr() const {
  return (broker_ip2.empty() ? broker_ip1 : broker_ip2) + ":" + std::to_string(ha_listen_port);
}

Status BrokerConfig::Validate() const {
  if (broker_name.empty()) return InvalidArgumentError("brokerName must not be empty");
  if (broker_cluster_name.empty()) {
    return InvalidArgumentError("brokerClusterName must not be empty");
  }
  if (broker_id < 0) return InvalidArgumentError("brokerId must be >= 0");
  if (!IsIpv4Literal(broker_ip1)) {
    return InvalidArgumentError("brokerIP1 '" + broker_ip1 + "' is not an IPv4 literal");
  }
  if (!broker_ip2.empty() && !IsIpv4Literal(broker_ip2)) {
    return InvalidArgumentError("brokerIP2 '" + broker_ip2 + "' is not an IPv4 literal");
  }
  if (default_topic_queue_nums <= 0) {
    return InvalidArgumentError("defaultTopicQueueNums must be positive");
  }
  if (broker_permission < 0 || broker_permission > 15) {
    return InvalidArgumentError("brokerPermission must be in 0..15");
  }
  for (Duration d : {register_broker_timeout, short_polling_time, long_polling_check_interval,
                     channel_expired_timeout, client_scan_interval, flush_delay_offset_interval}) {
    if (d <= Duration::zero()) return InvalidArgumentError("intervals must be positive");
  }
  return Status::Ok();
}

StatusOr<std::vector<Address>> ParseNamesrvAddr(std::string_view text) {
  std::vector<Address> out;
  while (!text.empty()) {
    size_t semi = text.find(';');
    std::string_view part = common::JavaTrim(text.substr(0, semi));
    text = semi == std::string_view::npos ? std::string_view() : text.substr(semi + 1);
    if (part.empty()) continue;
    auto a = Address::Parse(part);
    if (!a.ok()) {
      return InvalidArgumentError("namesrvAddr: '" + std::string(part) +
                                  "' is not host:port: " + a.status().message());
    }
    out.push_back(*a);
  }
  return out;
}

Status BrokerConfig::SetByName(std::string_view name, std::string_view value) {
  auto bad = [&](std::string_view what) {
    return InvalidArgumentError(std::string(name) + ": '" + std::string(value) + "' " +
                                std::string(what));
  };
  auto set_bool = [&](bool* out) {
    if (value != "true" && value != "false") return bad("is not true or false");
    *out = value == "true";
    return Status::Ok();
  };
  auto set_i64 = [&](int64_t* out) {
    auto v = common::ParseJavaLong(value, name);
    if (!v.ok()) return bad("is not a number");
    *out = *v;
    return Status::Ok();
  };
  auto set_i32 = [&](int32_t* out) {
    auto v = common::ParseJavaInt(value, name);
    if (!v.ok()) return bad("is not a Java int");
    *out = *v;
    return Status::Ok();
  };
  auto set_port = [&](uint16_t* out) {
    auto v = common::ParseJavaInt(value, name);
    if (!v.ok() || *v < 0 || *v > 65535) return bad("is not a port");
    *out = static_cast<uint16_t>(*v);
    return Status::Ok();
  };
  auto set_ms = [&](Duration* out) {
    auto v = common::ParseJavaLong(value, name);
    if (!v.ok() || *v < 0) return bad("is not a number of milliseconds");
    *out = milliseconds(*v);
    return Status::Ok();
  };
  auto set_ip = [&](std::string* out) {
    if (!IsIpv4Literal(value)) return bad("is not an IPv4 literal");
    *out = std::string(value);
    return Status::Ok();
  };
  if (name == "brokerClusterName") {
    if (value.empty()) return bad("must not be empty");
    broker_cluster_name = std::string(value);
    return Status::Ok();
  }
  if (name == "brokerName") {
    if (value.empty()) return bad("must not be empty");
    broker_name = std::string(value);
    return Status::Ok();
  }
  if (name == "brokerId") {
    RMQ_RETURN_IF_ERROR(set_i64(&broker_id));
    return broker_id < 0 ? bad("must be >= 0") : Status::Ok();
  }
  if (name == "brokerIP1") return set_ip(&broker_ip1);
  if (name == "brokerIP2") return set_ip(&broker_ip2);
  if (name == "listenPort") return set_port(&listen_port);
  if (name == "haListenPort") return set_port(&ha_listen_port);
  if (name == "haMasterAddress") {
    ha_master_address = std::string(value);
    return Status::Ok();
  }
  if (name == "slaveReadEnable") return set_bool(&slave_read_enable);
  if (name == "namesrvAddr") {
    auto addrs = ParseNamesrvAddr(value);
    if (!addrs.ok()) return addrs.status();
    namesrv_addrs = *addrs;
    return Status::Ok();
  }
  if (name == "autoCreateTopicEnable") return set_bool(&auto_create_topic_enable);
  if (name == "clusterTopicEnable") return set_bool(&cluster_topic_enable);
  if (name == "brokerTopicEnable") return set_bool(&broker_topic_enable);
  if (name == "autoCreateSubscriptionGroup") return set_bool(&auto_create_subscription_group);
  if (name == "defaultTopicQueueNums") {
    RMQ_RETURN_IF_ERROR(set_i32(&default_topic_queue_nums));
    return default_topic_queue_nums <= 0 ? bad("must be positive") : Status::Ok();
  }
  if (name == "brokerPermission") {
    RMQ_RETURN_IF_ERROR(set_i32(&broker_permission));
    return broker_permission < 0 || broker_permission > 15 ? bad("must be in 0..15") : Status::Ok();
  }
  if (name == "registerNameServerPeriod") return set_ms(&register_name_server_period);
  if (name == "registerBrokerTimeoutMills") return set_ms(&register_broker_timeout);
  if (name == "longPollingEnable") return set_bool(&long_polling_enable);
  if (name == "shortPollingTimeMills") return set_ms(&short_polling_time);
  if (name == "notifyConsumerIdsChangedEnable") {
    return set_bool(&notify_consumer_ids_changed_enable);
  }
  if (name == "rejectTransactionMessage") return set_bool(&reject_transaction_message);
  if (name == "regionId") {
    region_id = std::string(value);
    return Status::Ok();
  }
  if (name == "traceOn") return set_bool(&trace_on);
  if (name == "enablePropertyFilter") return set_bool(&enable_property_filter);
  if (name == "validateSystemTopicWhenUpdateTopic") {
    return set_bool(&validate_system_topic_when_update_topic);
  }
  if (name == "flushConsumerOffsetInterval") return set_ms(&flush_consumer_offset_interval);
  if (name == "flushDelayOffsetInterval") return set_ms(&flush_delay_offset_interval);
  return NotFoundError(std::string(name) + ": not a broker setting");
}

}  // namespace rmqsim::broker
