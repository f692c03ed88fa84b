#include "system/client/client_config.h"

#include <string>

#include "system/remoting/remoting_command.h"

namespace rmqsim::client {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

Status ParseMillis(std::string_view key, std::string_view value, Duration& out) {
  auto v = remoting::ParseJavaLong(value);
  if (!v || *v < 0) {
    return InvalidArgumentError(std::string(key) + ": expected milliseconds >= 0, got \"" +
                                std::string(value) + "\"");
  }
  out = milliseconds(*v);
  return Status::Ok();
}

}  // namespace

StatusOr<std::vector<Address>> ParseNamesrvAddr(std::string_view list) {
  std::vector<Address> out;
  while (true) {
    size_t semi = list.find(';');
    std::string_view entry = Trim(list.substr(0, semi));
    if (!entry.empty()) {
      auto addr = Address::Parse(entry);
      if (!addr.ok()) {
        return InvalidArgumentError("namesrvAddr entry \"" + std::string(entry) +
                                    "\": " + addr.status().message());
      }
      out.push_back(*addr);
      if (out.size() > limits::kNamesrvAddrsMax) {
        return InvalidArgumentError("namesrvAddr lists more than " +
                                    std::to_string(limits::kNamesrvAddrsMax) + " name servers");
      }
    }
    if (semi == std::string_view::npos) break;
    list.remove_prefix(semi + 1);
  }
  return out;
}

std::string BuildMQClientId(std::string_view client_ip, std::string_view instance_name,
                            std::string_view unit_name) {
  std::string id = std::string(client_ip) + "@" + std::string(instance_name);
  if (!unit_name.empty()) id += "@" + std::string(unit_name);
  return id;
}

Status ApplyClientConfigProperty(ClientConfig& config, std::string_view key,
                                 std::string_view value) {
  if (key == "namesrvAddr") {
    RMQ_RETURN_IF_ERROR(ParseNamesrvAddr(value).status());
    config.namesrv_addr = std::string(value);
  } else if (key == "clientIP") {
    config.client_ip = std::string(value);
  } else if (key == "instanceName") {
    config.instance_name = std::string(value);
  } else if (key == "unitName") {
    config.unit_name = std::string(value);
  } else if (key == "pollNameServerInterval") {
    return ParseMillis(key, value, config.poll_name_server_interval);
  } else if (key == "heartbeatBrokerInterval") {
    return ParseMillis(key, value, config.heartbeat_broker_interval);
  } else if (key == "persistConsumerOffsetInterval") {
    return ParseMillis(key, value, config.persist_consumer_offset_interval);
  } else if (key == "mqClientApiTimeout") {
    return ParseMillis(key, value, config.mq_client_api_timeout);
  } else if (key == "pullTimeDelayMillsWhenException") {
    return ParseMillis(key, value, config.pull_time_delay_when_exception);
  } else {
    return NotFoundError("unknown client configuration key \"" + std::string(key) + "\"");
  }
  return Status::Ok();
}

}  // namespace rmqsim::client
