// rmq-admin: a small mqadmin for the real-mode servers.
//
//   rmq-admin updateTopic -n 127.0.0.1:9876 -b 127.0.0.1:10911 -t TopicTest [-r 4] [-w 4] [-p 6]
//   rmq-admin updateSubGroup -b 127.0.0.1:10911 -g group [-i brokerId] [-w whichBrokerWhenConsumeSlowly]
//                            [--consumeEnable true]
//   rmq-admin topicRoute  -n 127.0.0.1:9876 -t TopicTest
//   rmq-admin clusterList -n 127.0.0.1:9876
//   rmq-admin topicList   -n 127.0.0.1:9876
//   rmq-admin sendMessage -n 127.0.0.1:9876 -t TopicTest [--tags TagA] [--keys K] [-c 10] [--body text]
//   rmq-admin consumeMessage -n 127.0.0.1:9876 -t TopicTest [-g group] [-c 10] [--timeout 30s]
//
// -n defaults to the NAMESRV_ADDR environment variable, then 127.0.0.1:9876.
//
// Exit status: 0 on success, 1 when the server answered with an error, 2 on bad usage or when
// no server answered.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <optional>

#include <cstdlib>

#include "sim/asio/asio_runtime.h"
#include "system/client/default_mq_producer.h"
#include "system/client/default_mq_push_consumer.h"
#include "system/common/byte_buffer.h"
#include "system/common/route_data.h"
#include "system/common/subscription_group.h"
#include "system/remoting/remoting_client.h"

namespace {

using rmqsim::Address;
using rmqsim::remoting::RemotingCommand;
using rmqsim::remoting::RequestCode;
using rmqsim::remoting::ResponseCode;

int Fail(const std::string& what) {
  std::fprintf(stderr, "rmq-admin: %s\n", what.c_str());
  return 2;
}

// Sends one request and waits for its answer.
rmqsim::StatusOr<RemotingCommand> Call(rmqsim::real::AsioRuntime& rt,
                                       rmqsim::remoting::RemotingClient& client,
                                       const std::string& addr_text, RemotingCommand req) {
  auto addr = Address::Parse(addr_text);
  if (!addr.ok()) return addr.status();
  std::optional<rmqsim::StatusOr<RemotingCommand>> out;
  client.Invoke(*addr, std::move(req), rmqsim::seconds(5),
                [&out](rmqsim::StatusOr<RemotingCommand> r) { out = std::move(r); });
  if (!rt.RunUntil([&] { return out.has_value(); }, rmqsim::seconds(10))) {
    return rmqsim::TimeoutError("no answer from " + addr_text);
  }
  return std::move(*out);
}

int Report(const rmqsim::StatusOr<RemotingCommand>& r) {
  if (!r.ok()) return Fail(r.status().ToString());
  if (r->code != ResponseCode::SUCCESS) {
    std::fprintf(stderr, "rmq-admin: %s (%d): %s\n",
                 std::string(rmqsim::remoting::ResponseCodeName(r->code)).c_str(), r->code,
                 r->remark.value_or("").c_str());
    return 1;
  }
  return 0;
}

using rmqsim::Task;

// Spawned on the runtime: sends `count` messages and records the outcome.
Task<void> SendAll(rmqsim::client::DefaultMQProducer* producer, std::string topic, std::string tags,
                   std::string keys, std::string body, int count, int* failures, bool* done) {
  for (int i = 0; i < count; ++i) {
    rmqsim::common::Message msg(topic, rmqsim::common::BytesFromString(
                                           count > 1 ? body + " #" + std::to_string(i) : body));
    if (!tags.empty()) msg.SetTags(tags);
    if (!keys.empty()) msg.SetKeys(keys);
    auto r = co_await producer->Send(std::move(msg));
    if (r.ok()) {
      std::printf("SendResult [sendStatus=%s, msgId=%s, offsetMsgId=%s, queue=%s:%d, "
                  "queueOffset=%lld]\n",
                  std::string(rmqsim::client::SendStatusName(r->send_status)).c_str(),
                  r->msg_id.c_str(), r->offset_msg_id.c_str(),
                  r->message_queue.broker_name.c_str(), r->message_queue.queue_id,
                  static_cast<long long>(r->queue_offset));
    } else {
      ++*failures;
      std::fprintf(stderr, "rmq-admin: send failed: %s\n", r.status().ToString().c_str());
    }
  }
  co_await producer->Shutdown();
  *done = true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"rmq-admin: administration of rmqsim real-mode RocketMQ servers"};
  app.require_subcommand(1);
  std::string namesrv = "127.0.0.1:9876", broker, topic;
  int read_queues = 4, write_queues = 4, perm = 6;

  auto* update = app.add_subcommand("updateTopic", "Create or update a topic on a broker");
  update->add_option("-b,--brokerAddr", broker, "Broker address host:port")->required();
  update->add_option("-t,--topic", topic, "Topic name")->required();
  update->add_option("-r,--readQueueNums", read_queues)->check(CLI::Range(1, 1024));
  update->add_option("-w,--writeQueueNums", write_queues)->check(CLI::Range(1, 1024));
  update->add_option("-p,--perm", perm)->check(CLI::Range(0, 7));
  rmqsim::common::SubscriptionGroupConfig sub_group;
  auto* sub = app.add_subcommand("updateSubGroup",
                                 "Create or update a consumer group's settings on a broker");
  sub->add_option("-b,--brokerAddr", broker, "Broker address host:port")->required();
  sub->add_option("-g,--groupName", sub_group.group_name, "Consumer group")->required();
  sub->add_option("-i,--brokerId", sub_group.broker_id,
                  "Broker id to pull from (with slaveReadEnable)")
      ->check(CLI::Range(0, 1024));
  sub->add_option("-w,--whichBrokerWhenConsumeSlowly", sub_group.which_broker_when_consume_slowly)
      ->check(CLI::Range(0, 1024));
  sub->add_option("-s,--consumeEnable", sub_group.consume_enable);
  sub->add_option("-d,--consumeBroadcastEnable", sub_group.consume_broadcast_enable);
  sub->add_option("-q,--retryQueueNums", sub_group.retry_queue_nums)->check(CLI::Range(0, 1024));
  sub->add_option("-r,--retryMaxTimes", sub_group.retry_max_times)->check(CLI::Range(0, 1024));
  auto* route = app.add_subcommand("topicRoute", "Show a topic's route from the name server");
  route->add_option("-n,--namesrvAddr", namesrv);
  route->add_option("-t,--topic", topic)->required();
  auto* cluster = app.add_subcommand("clusterList", "Show the clusters the name server knows");
  cluster->add_option("-n,--namesrvAddr", namesrv);
  auto* topics = app.add_subcommand("topicList", "List the topics the name server knows");
  topics->add_option("-n,--namesrvAddr", namesrv);
  std::string tags, keys, body = "Hello RocketMQ", group = "rmq_admin_consumer", timeout = "30s";
  int count = 1;
  auto* send = app.add_subcommand("sendMessage", "Send messages with the rmqsim producer");
  send->add_option("-n,--namesrvAddr", namesrv);
  send->add_option("-t,--topic", topic)->required();
  send->add_option("--tags", tags);
  send->add_option("--keys", keys);
  send->add_option("--body", body);
  send->add_option("-c,--count", count)->check(CLI::Range(1, 1000000));
  auto* consume = app.add_subcommand("consumeMessage",
                                     "Consume messages with a push consumer and print them");
  consume->add_option("-n,--namesrvAddr", namesrv);
  consume->add_option("-t,--topic", topic)->required();
  consume->add_option("-g,--group", group);
  consume->add_option("-c,--count", count, "Stop after this many messages")
      ->check(CLI::Range(1, 1000000));
  consume->add_option("--timeout", timeout, "Give up after this long (e.g. 30s)");
  if (const char* env = std::getenv("NAMESRV_ADDR"); env != nullptr && *env != '\0') {
    namesrv = env;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help exits 0; every bad flag or value exits 2 (CLI11's own codes vary).
    return app.exit(e) == 0 ? 0 : 2;
  }

  rmqsim::real::AsioRuntime rt({.node_name = "admin", .trace_to_stderr = false});
  if (send->parsed() || consume->parsed()) {
    rmqsim::client::ClientConfig cc;
    cc.namesrv_addr = namesrv;
    rmqsim::client::MQClientInstance instance(rt, cc);
    if (send->parsed()) {
      rmqsim::client::DefaultMQProducer producer(
          instance, rmqsim::client::ProducerConfig{.producer_group = "rmq_admin_producer"});
      if (auto st = producer.Start(); !st.ok()) return Fail(st.ToString());
      int failures = 0;
      bool done = false;
      rmqsim::TaskScope scope;
      scope.Spawn(SendAll(&producer, topic, tags, keys, body, count, &failures, &done));
      rt.RunUntil([&] { return done; }, rmqsim::seconds(60 + count / 10));
      return done && failures == 0 ? 0 : 1;
    }
    auto wait = rmqsim::ParseDuration(timeout);
    if (!wait.ok()) return Fail("--timeout: " + wait.status().message());
    rmqsim::client::DefaultMQPushConsumer consumer(
        instance, rmqsim::client::PushConsumerConfig{
                      .consumer_group = group,
                      .consume_from_where = rmqsim::common::ConsumeFromWhere::kConsumeFromFirstOffset});
    if (auto st = consumer.Subscribe(topic, "*"); !st.ok()) return Fail(st.ToString());
    int received = 0;
    consumer.RegisterMessageListener([&received](const std::vector<rmqsim::common::MessageExt>& msgs,
                                                 rmqsim::client::ConsumeConcurrentlyContext&) {
      for (const auto& m : msgs) {
        ++received;
        std::printf("MessageExt [queueId=%d, queueOffset=%lld, msgId=%s, tags=%s, keys=%s, "
                    "body=%s]\n",
                    m.queue_id, static_cast<long long>(m.queue_offset),
                    m.message.unique_key().c_str(), m.message.tags().c_str(),
                    m.message.keys().c_str(),
                    rmqsim::common::StringFromBytes(m.message.body()).c_str());
      }
      return rmqsim::client::ConsumeConcurrentlyStatus::CONSUME_SUCCESS;
    });
    if (auto st = consumer.Start(); !st.ok()) return Fail(st.ToString());
    bool got_all = rt.RunUntil([&] { return received >= count; }, *wait);
    bool stopped = false;
    rmqsim::TaskScope scope;
    auto stop = [](rmqsim::client::DefaultMQPushConsumer* c, bool* flag) -> Task<void> {
      co_await c->Shutdown();
      *flag = true;
    };
    scope.Spawn(stop(&consumer, &stopped));
    rt.RunUntil([&] { return stopped; }, rmqsim::seconds(10));
    return got_all ? 0 : 1;
  }
  rmqsim::remoting::RemotingClient client(rt);

  if (update->parsed()) {
    auto req = RemotingCommand::CreateRequest(RequestCode::UPDATE_AND_CREATE_TOPIC);
    req.SetExtField("topic", topic);
    req.SetExtField("defaultTopic", "TBW102");
    req.SetExtFieldInt("readQueueNums", read_queues);
    req.SetExtFieldInt("writeQueueNums", write_queues);
    req.SetExtFieldInt("perm", perm);
    req.SetExtField("topicFilterType", "SINGLE_TAG");
    req.SetExtFieldInt("topicSysFlag", 0);
    req.SetExtFieldBool("order", false);
    auto r = Call(rt, client, broker, std::move(req));
    int rc = Report(r);
    if (rc == 0) std::printf("create topic to %s success.\n", broker.c_str());
    return rc;
  }
  if (sub->parsed()) {
    auto req = RemotingCommand::CreateRequest(RequestCode::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP);
    req.body = rmqsim::common::EncodeSubscriptionGroupConfig(sub_group);
    auto r = Call(rt, client, broker, std::move(req));
    int rc = Report(r);
    if (rc == 0) std::printf("create subscription group to %s success.\n", broker.c_str());
    return rc;
  }
  if (route->parsed()) {
    auto req = RemotingCommand::CreateRequest(RequestCode::GET_ROUTEINFO_BY_TOPIC);
    req.SetExtField("topic", topic);
    auto r = Call(rt, client, namesrv, std::move(req));
    int rc = Report(r);
    if (rc == 0) std::printf("%s\n", r->body.c_str());
    return rc;
  }
  if (cluster->parsed() || topics->parsed()) {
    auto req = RemotingCommand::CreateRequest(cluster->parsed()
                                                  ? RequestCode::GET_BROKER_CLUSTER_INFO
                                                  : RequestCode::GET_ALL_TOPIC_LIST_FROM_NAMESERVER);
    auto r = Call(rt, client, namesrv, std::move(req));
    int rc = Report(r);
    if (rc == 0) std::printf("%s\n", r->body.c_str());
    return rc;
  }
  return 2;
}
