// rmq-admin: mqadmin for the real-mode servers (docs/admin.md). The verbs and flags are
// mqadmin's (RocketMQ 4.9.x tools); every verb also takes --json.
//
//   rmq-admin updateTopic -n 127.0.0.1:9876 (-b 127.0.0.1:10911 | -c DefaultCluster) -t T
//             [-r 8] [-w 8] [-p 6] [-o false]
//   rmq-admin deleteTopic -c DefaultCluster -t T
//   rmq-admin topicStatus -t T            rmq-admin topicRoute -t T       rmq-admin topicList [-c]
//   rmq-admin consumerProgress -g G [-t T]                   rmq-admin consumerConnection -g G
//   rmq-admin brokerStatus (-b addr | -c cluster)            rmq-admin clusterList [-m] [-i s]
//   rmq-admin getBrokerConfig (-b | -c)     rmq-admin updateBrokerConfig (-b | -c) -k key -v value
//   rmq-admin queryMsgById -i offsetMsgId                    rmq-admin queryMsgByKey -t T -k key
//   rmq-admin queryMsgByUniqueKey -i msgId -t T [-a]
//   rmq-admin resetOffsetByTime -g G -t T -s (now | ms | yyyy-MM-dd#HH:mm:ss:SSS) [-f true]
//   rmq-admin updateSubGroup -b addr -g G [-i brokerId] [-w whichBrokerWhenConsumeSlowly] ...
//   rmq-admin sendMessage -t T [--tags A] [--keys K] [-c 10] [--body text]
//   rmq-admin consumeMessage -t T [-g group] [-c 10] [--timeout 30s]
//
// -n defaults to the NAMESRV_ADDR environment variable, then 127.0.0.1:9876.
//
// Exit status: 0 success; 1 a server answered with an error (consumeMessage: not every message
// arrived in time); 2 bad usage (unknown command, bad flag or value) or no server answered.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "system/node/cmd/admin_tool.h"

namespace {

using rmqsim::node::admin::kExitUsageOrUnreachable;

bool ParseBool(const std::string& text, bool* out) {
  if (text == "true") {
    *out = true;
  } else if (text == "false") {
    *out = false;
  } else {
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  rmqsim::node::admin::Options o;
  if (const char* env = std::getenv("NAMESRV_ADDR"); env != nullptr && *env != '\0') {
    o.namesrv = env;
  }
  CLI::App app{"rmq-admin: mqadmin for rmqsim real-mode RocketMQ servers (docs/admin.md)"};
  app.require_subcommand(1);
  std::vector<CLI::App*> verbs;
  auto verb = [&](const char* name, const char* help) {
    CLI::App* v = app.add_subcommand(name, help);
    v->add_option("-n,--namesrvAddr", o.namesrv, "Name server address(es), ';'-separated");
    v->add_flag("--json", o.json, "Print one line of JSON instead of mqadmin's table");
    verbs.push_back(v);
    return v;
  };
  std::string order = "false", unit = "false", has_unit_sub = "false", force = "true";

  auto* update = verb("updateTopic", "Create or update a topic on a broker or a whole cluster");
  auto* update_target = update->add_option_group("target")->require_option(1);
  update_target->add_option("-b,--brokerAddr", o.broker, "Broker address host:port");
  update_target->add_option("-c,--clusterName", o.cluster, "Every master of this cluster");
  update->add_option("-t,--topic", o.topic, "Topic name")->required();
  update->add_option("-r,--readQueueNums", o.read_queues, "Read queues (default 8)");
  update->add_option("-w,--writeQueueNums", o.write_queues, "Write queues (default 8)");
  update->add_option("-p,--perm", o.perm, "Permission: 2 W, 4 R, 6 RW (default 6)");
  update->add_option("-o,--order", order, "Ordered topic (true|false)");
  update->add_option("-u,--unit", unit, "Unit topic (true|false)");
  update->add_option("-s,--hasUnitSub", has_unit_sub, "Has unit subscriptions (true|false)");

  auto* del = verb("deleteTopic", "Delete a topic from a cluster's masters and the name servers");
  del->add_option("-c,--clusterName", o.cluster, "Cluster name")->required();
  del->add_option("-t,--topic", o.topic, "Topic name")->required();

  auto* status = verb("topicStatus", "Min/max offsets of every queue of a topic");
  status->add_option("-t,--topic", o.topic, "Topic name")->required();

  auto* route = verb("topicRoute", "A topic's route from the name server");
  route->add_option("-t,--topic", o.topic, "Topic name")->required();

  auto* topics = verb("topicList", "The topics the name server knows");
  topics->add_flag("-c,--clusterModel", o.cluster_model, "With cluster and consumer groups");

  auto* progress = verb("consumerProgress", "A consumer group's offsets and lag");
  progress->add_option("-g,--groupName", o.group, "Consumer group")->required();
  progress->add_option("-t,--topic", o.topic, "Only this topic");

  auto* conn = verb("consumerConnection", "The clients of a consumer group");
  conn->add_option("-g,--consumerGroup", o.group, "Consumer group")->required();
  conn->add_option("-b,--brokerAddr", o.broker, "Ask this broker only");

  auto* bstatus = verb("brokerStatus", "A broker's runtime figures");
  auto* bstatus_target = bstatus->add_option_group("target")->require_option(1);
  bstatus_target->add_option("-b,--brokerAddr", o.broker, "Broker address host:port");
  bstatus_target->add_option("-c,--clusterName", o.cluster, "Every broker of this cluster");

  auto* get_conf = verb("getBrokerConfig", "A broker's configuration");
  auto* get_conf_target = get_conf->add_option_group("target")->require_option(1);
  get_conf_target->add_option("-b,--brokerAddr", o.broker, "Broker address host:port");
  get_conf_target->add_option("-c,--clusterName", o.cluster, "Every broker of this cluster");

  auto* set_conf = verb("updateBrokerConfig", "Change a broker setting at runtime");
  auto* set_conf_target = set_conf->add_option_group("target")->require_option(1);
  set_conf_target->add_option("-b,--brokerAddr", o.broker, "Broker address host:port");
  set_conf_target->add_option("-c,--clusterName", o.cluster, "Every master of this cluster");
  set_conf->add_option("-k,--key", o.key, "Setting name")->required();
  set_conf->add_option("-v,--value", o.value, "New value")->required();

  auto* by_id = verb("queryMsgById", "A message by its offset message id");
  by_id->add_option("-i,--msgId", o.msg_id, "Offset message id (offsetMsgId)")->required();

  auto* by_key = verb("queryMsgByKey", "Messages of a topic by key");
  by_key->add_option("-t,--topic", o.topic, "Topic name")->required();
  by_key->add_option("-k,--msgKey", o.key, "Message key")->required();

  auto* by_uniq = verb("queryMsgByUniqueKey", "A message by its client message id (msgId)");
  by_uniq->add_option("-i,--msgId", o.msg_id, "Client message id (UNIQ_KEY)")->required();
  by_uniq->add_option("-t,--topic", o.topic, "Topic name")->required();
  by_uniq->add_flag("-a,--showAll", o.show_all, "Every message with this id, not only the first");

  auto* reset = verb("resetOffsetByTime", "Move a consumer group's offsets to a point in time");
  reset->add_option("-g,--group", o.group, "Consumer group")->required();
  reset->add_option("-t,--topic", o.topic, "Topic name")->required();
  reset
      ->add_option("-s,--timestamp", o.timestamp,
                   "now, milliseconds since the epoch, or yyyy-MM-dd#HH:mm:ss:SSS")
      ->required();
  reset->add_option("-f,--force", force, "Also move offsets forward (true|false, default true)");

  auto* cluster = verb("clusterList", "The clusters and brokers the name server knows");
  cluster->add_flag("-m,--moreStats", o.more, "Message totals instead of rates");
  cluster->add_option("-i,--interval", o.interval_s, "Print again every this many seconds")
      ->check(CLI::Range(1, 86400));

  auto* sub = verb("updateSubGroup", "Create or update a consumer group's settings on a broker");
  sub->add_option("-b,--brokerAddr", o.broker, "Broker address host:port")->required();
  sub->add_option("-g,--groupName", o.sub_group.group_name, "Consumer group")->required();
  sub->add_option("-i,--brokerId", o.sub_group.broker_id,
                  "Broker id to pull from (with slaveReadEnable)")
      ->check(CLI::Range(0, 1024));
  sub->add_option("-w,--whichBrokerWhenConsumeSlowly", o.sub_group.which_broker_when_consume_slowly)
      ->check(CLI::Range(0, 1024));
  sub->add_option("-s,--consumeEnable", o.sub_group.consume_enable);
  sub->add_option("-d,--consumeBroadcastEnable", o.sub_group.consume_broadcast_enable);
  sub->add_option("-q,--retryQueueNums", o.sub_group.retry_queue_nums)->check(CLI::Range(0, 1024));
  sub->add_option("-r,--retryMaxTimes", o.sub_group.retry_max_times)->check(CLI::Range(0, 1024));

  auto* send = verb("sendMessage", "Send messages with the rmqsim producer");
  send->add_option("-t,--topic", o.topic, "Topic name")->required();
  send->add_option("--tags", o.tags);
  send->add_option("--keys", o.keys);
  send->add_option("--body", o.body);
  send->add_option("-c,--count", o.count)->check(CLI::Range(1, 1000000));

  auto* consume = verb("consumeMessage", "Consume messages with a push consumer and print them");
  o.group = "rmq_admin_consumer";
  consume->add_option("-t,--topic", o.topic, "Topic name")->required();
  consume->add_option("-g,--group", o.group);
  consume->add_option("-c,--count", o.count, "Stop after this many messages")
      ->check(CLI::Range(1, 1000000));
  consume->add_option("--timeout", o.timeout, "Give up after this long (e.g. 30s)");

  // An unknown command is named (CLI11 would say only that a subcommand is required).
  if (argc > 1 && argv[1][0] != '-') {
    bool known = false;
    std::string names;
    for (CLI::App* v : verbs) {
      known = known || v->get_name() == argv[1];
      names += (names.empty() ? "" : ", ") + v->get_name();
    }
    if (!known) {
      std::fprintf(stderr, "rmq-admin: unknown command '%s'; commands: %s\n", argv[1],
                   names.c_str());
      return kExitUsageOrUnreachable;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help exits 0; every bad flag or value exits 2 (CLI11's own codes vary).
    return app.exit(e) == 0 ? 0 : kExitUsageOrUnreachable;
  }
  for (CLI::App* v : verbs) {
    if (v->parsed()) o.verb = v->get_name();
  }
  for (const auto& [text, out, flag] :
       {std::tuple{order, &o.order, "-o"}, std::tuple{unit, &o.unit, "-u"},
        std::tuple{has_unit_sub, &o.has_unit_sub, "-s"}, std::tuple{force, &o.force, "-f"}}) {
    if (!ParseBool(text, out)) {
      std::fprintf(stderr, "rmq-admin: %s: %s '%s' is not true or false\n", o.verb.c_str(), flag,
                   text.c_str());
      return kExitUsageOrUnreachable;
    }
  }
  return rmqsim::node::admin::Run(o);
}
