// rmq-admin's verbs (docs/admin.md): mqadmin's commands of the same names against real-mode
// servers, each printing mqadmin's table or, with --json, one line of standard JSON.
//
// Exit status of every verb: 0 success; 1 a server answered with an error (or, for
// consumeMessage, not every message arrived in time); 2 bad usage, or no server answered
// (unreachable, timed out). Errors go to stderr as "rmq-admin: <verb>: <cause>", naming the
// address, the response code's name and the server's remark.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/asio/asio_runtime.h"
#include "system/common/subscription_group.h"

namespace rmqsim::node::admin {

inline constexpr int kExitOk = 0;
inline constexpr int kExitServerError = 1;
inline constexpr int kExitUsageOrUnreachable = 2;

// Every flag of every verb; each verb reads the ones it has.
struct Options {
  std::string verb;
  std::string namesrv = "127.0.0.1:9876";  // ';'-separated list, tried in order
  std::string broker;                      // -b
  std::string cluster;                     // -c (a cluster name)
  std::string topic;                       // -t
  std::string group;                       // -g
  std::string key;                         // -k (message key / config key)
  std::string value;                       // -v (config value)
  std::string msg_id;                      // -i
  std::string timestamp;                   // -s of resetOffsetByTime
  bool json = false;
  bool more = false;           // clusterList -m
  bool cluster_model = false;  // topicList -c
  bool show_all = false;       // queryMsgByUniqueKey -a
  int interval_s = 0;          // clusterList -i: print again every this many seconds
  // updateTopic.
  int32_t read_queues = 8;
  int32_t write_queues = 8;
  int32_t perm = 6;
  bool order = false;
  bool unit = false;
  bool has_unit_sub = false;
  // resetOffsetByTime.
  bool force = true;
  // updateSubGroup.
  common::SubscriptionGroupConfig sub_group;
  // sendMessage / consumeMessage.
  std::string tags;
  std::string keys;
  std::string body = "Hello RocketMQ";
  int count = 1;
  std::string timeout = "30s";
};

// Runs `options.verb`; returns the exit status.
int Run(const Options& options);

}  // namespace rmqsim::node::admin
