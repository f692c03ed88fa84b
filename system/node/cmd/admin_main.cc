// rmq-admin: a small mqadmin for the real-mode servers.
//
//   rmq-admin updateTopic -n 127.0.0.1:9876 -b 127.0.0.1:10911 -t TopicTest [-r 4] [-w 4] [-p 6]
//   rmq-admin topicRoute  -n 127.0.0.1:9876 -t TopicTest
//   rmq-admin clusterList -n 127.0.0.1:9876
//   rmq-admin topicList   -n 127.0.0.1:9876
//
// Exit status: 0 on success, 1 when the server answered with an error, 2 on bad usage or when
// no server answered.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <optional>

#include "sim/asio/asio_runtime.h"
#include "system/common/route_data.h"
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
  auto* route = app.add_subcommand("topicRoute", "Show a topic's route from the name server");
  route->add_option("-n,--namesrvAddr", namesrv);
  route->add_option("-t,--topic", topic)->required();
  auto* cluster = app.add_subcommand("clusterList", "Show the clusters the name server knows");
  cluster->add_option("-n,--namesrvAddr", namesrv);
  auto* topics = app.add_subcommand("topicList", "List the topics the name server knows");
  topics->add_option("-n,--namesrvAddr", namesrv);
  CLI11_PARSE(app, argc, argv);

  rmqsim::real::AsioRuntime rt({.node_name = "admin", .trace_to_stderr = false});
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
