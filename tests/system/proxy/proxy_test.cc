// The proxy in the simulated world between a raw client connection and scripted upstream brokers:
// each command, each statistic (one test per row of docs/proxy.md's table, and rmqsim's
// additions), the decoder on split, coalesced and malformed frames.
#include "system/proxy/rocketmq_proxy.h"

#include <gtest/gtest.h>

#include <optional>

#include <nlohmann/json.hpp>

#include "system/common/consumer_bodies.h"
#include "system/common/heartbeat_data.h"
#include "system/common/route_data.h"
#include "system/common/stored_message.h"
#include "system/proxy/proxy_codec.h"
#include "system/remoting/frame_decoder.h"
#include "tests/testing/sim_testing.h"

namespace rmqsim::proxy {
namespace {

using remoting::RemotingCommand;
using remoting::RequestCode;
using remoting::ResponseCode;
using testing::ScriptedService;
using testing::StreamLog;

// What a scripted broker does with a request.
struct Reply {
  enum class Kind { kRespond, kGarbage, kClose, kSilence } kind = Kind::kRespond;
  RemotingCommand response;  // kRespond: opaque is filled in
  std::vector<RemotingCommand> then;  // kRespond: frames sent after the response, as they are
};
using UpstreamHandler = std::function<Reply(const RemotingCommand&)>;

// Everything the scripted brokers saw, kept outside their processes.
struct UpstreamLog {
  std::vector<RemotingCommand> requests;
  std::vector<uint16_t> ports;  // the port each request arrived on
  int accepted = 0;
  int closed = 0;
};

std::string Frame(const RemotingCommand& c) { return *c.Encode(); }

// A frame with a hand-written header (for malformed cases).
std::string RawFrame(std::string_view header, std::string_view body = {}, uint8_t type = 0) {
  std::string out;
  const uint32_t length = static_cast<uint32_t>(4 + header.size() + body.size());
  for (int s : {24, 16, 8, 0}) out += static_cast<char>((length >> s) & 0xFF);
  const uint32_t mark = (uint32_t{type} << 24) | static_cast<uint32_t>(header.size());
  for (int s : {24, 16, 8, 0}) out += static_cast<char>((mark >> s) & 0xFF);
  out += header;
  out += body;
  return out;
}

class ProxyTest : public ::testing::Test {
 protected:
  ProxyTest() {
    a_ = *world_.AddMachine({.name = "proxy", .ip = "10.0.0.1"});
    b_ = *world_.AddMachine({.name = "brokers", .ip = "10.0.0.2"});
    c_ = *world_.AddMachine({.name = "client", .ip = "10.0.0.3"});
    handler_ = [](const RemotingCommand& req) {
      Reply r;
      r.response = req.CreateResponse(ResponseCode::SUCCESS);
      r.response.SetExtField("msgId", "ABC");
      return r;
    };
  }

  static Host MakeHost(const std::string& name, int64_t id, uint16_t port) {
    return Host{.address = {"10.0.0.2", port},
                .broker_name = name,
                .broker_id = id,
                .cluster_name = "DefaultCluster",
                .read_queue_num = 4,
                .write_queue_num = 4,
                .perm = 6};
  }
  // Two brokers (broker-a on 10911, broker-b on 10921) in one cluster; acks routed by their
  // directive's broker; everything else round robin.
  // rmqsim's broker ports: DefaultConfig plus broker-a on 10001 and broker-b on 10002.
  static ProxyConfig WithBrokerPorts() {
    ProxyConfig c = DefaultConfig();
    c.broker_listen["broker-a"] = {"10.0.0.1", 10001};
    c.broker_listen["broker-b"] = {"10.0.0.1", 10002};
    return c;
  }
  static ProxyConfig DefaultConfig() {
    ProxyConfig c;
    c.listen = {"10.0.0.1", 10000};
    c.stat_prefix = "test";
    c.develop_mode = true;
    c.clusters["brokers"] = Cluster{.name = "brokers",
                                    .hosts = {MakeHost("broker-a", 0, 10911),
                                              MakeHost("broker-b", 0, 10921)}};
    for (const char* b : {"broker-a", "broker-b"}) {
      c.routes.push_back(Route{.topic = {StringMatch::Kind::kPrefix, ""},
                               .headers = {{"code", "51"}, {"broker_name", b}},
                               .cluster = "brokers",
                               .metadata_match = {{"broker_name", b}}});
    }
    c.routes.push_back(Route{.topic = {StringMatch::Kind::kPrefix, "Topic"}, .cluster = "brokers"});
    return c;
  }

  void StartProxy(ProxyConfig config = DefaultConfig()) {
    proxy_ = *world_.AddProcess(a_, "proxy", [config](Runtime& rt) {
      return std::make_unique<RocketMQProxy>(rt, config);
    });
    ASSERT_TRUE(world_.StartProcess(proxy_).ok());
    world_.RunFor(Duration::zero());
  }
  void StartUpstream(uint16_t port) {
    auto log = upstream_log_;
    UpstreamHandler* handler = &handler_;
    auto id = *world_.AddProcess(b_, "broker-" + std::to_string(port), [=](Runtime& rt) {
      return std::make_unique<ScriptedService>(rt, [=](ScriptedService& s) {
        auto l = s.rt.network().Listen(Address{"10.0.0.2", port}, [=, &s](std::shared_ptr<Connection> c) {
          ++log->accepted;
          s.connections.push_back(c);
          auto decoder = std::make_shared<remoting::FrameDecoder>();
          std::weak_ptr<Connection> weak = c;
          c->Start(
              [=](std::span<const std::byte> b) {
                (void)decoder->Feed(b, [&](RemotingCommand req) {
                  log->requests.push_back(req);
                  log->ports.push_back(port);
                  auto conn = weak.lock();
                  if (!conn) return false;
                  Reply r = (*handler)(req);
                  switch (r.kind) {
                    case Reply::Kind::kRespond:
                      r.response.opaque = req.opaque;
                      (void)conn->Send(remoting::AsBytes(Frame(r.response)));
                      for (const RemotingCommand& t : r.then) {
                        (void)conn->Send(remoting::AsBytes(Frame(t)));
                      }
                      break;
                    case Reply::Kind::kGarbage:
                      (void)conn->Send(remoting::AsBytes(RawFrame("not json")));
                      break;
                    case Reply::Kind::kClose:
                      conn->Close();
                      return false;
                    case Reply::Kind::kSilence:
                      break;
                  }
                  return true;
                });
              },
              [log](const Status&) { ++log->closed; });
        });
        if (!l.ok()) return l.status();
        s.listener = std::move(*l);
        return Status::Ok();
      });
    });
    ASSERT_TRUE(world_.StartProcess(id).ok());
    world_.RunFor(Duration::zero());
  }
  void SetUpAll(ProxyConfig config = DefaultConfig()) {
    StartUpstream(10911);
    StartUpstream(10921);
    StartProxy(std::move(config));
    client_ = *world_.AddProcess(c_, "client", [](Runtime& rt) {
      return std::make_unique<ScriptedService>(rt, nullptr);
    });
    ASSERT_TRUE(world_.StartProcess(client_).ok());
    world_.RunFor(Duration::zero());
  }

  // A client connection to the proxy; its received bytes go to the returned log.
  std::shared_ptr<StreamLog> Connect(uint16_t port = 10000) {
    auto log = std::make_shared<StreamLog>();
    auto* svc = world_.service_as<ScriptedService>(client_);
    svc->rt.network().Connect(Address{"10.0.0.1", port}, seconds(1),
                              [this, log, svc](StatusOr<std::shared_ptr<Connection>> c) {
                                ASSERT_TRUE(c.ok()) << c.status();
                                svc->connections.push_back(*c);
                                conns_.push_back(*c);
                                testing::StartLogging(*c, log);
                              });
    world_.RunFor(milliseconds(10));
    return log;
  }
  void SendRaw(size_t conn, std::string_view bytes) {
    ASSERT_TRUE(conns_.at(conn)->Send(testing::Bytes(bytes)).ok());
  }
  void Send(size_t conn, const RemotingCommand& cmd) { SendRaw(conn, Frame(cmd)); }
  // Every response decoded from a log.
  static std::vector<RemotingCommand> Responses(const StreamLog& log) {
    std::vector<RemotingCommand> out;
    remoting::FrameDecoder d;
    (void)d.Feed(testing::Bytes(log.data), [&](RemotingCommand c) {
      out.push_back(std::move(c));
      return true;
    });
    return out;
  }
  RocketMQProxy& P() { return *world_.service_as<RocketMQProxy>(proxy_); }
  const ProxyStats& S() { return P().stats(); }

  static RemotingCommand Heartbeat(const std::string& client, const std::string& group) {
    common::HeartbeatData hb;
    hb.client_id = client;
    if (!group.empty()) {
      common::ConsumerData cd;
      cd.group_name = group;
      hb.consumer_data_set.push_back(cd);
    }
    auto req = RemotingCommand::CreateRequest(RequestCode::HEART_BEAT);
    req.body = common::EncodeHeartbeatData(hb);
    return req;
  }
  static RemotingCommand SendV1(const std::string& topic, int32_t opaque) {
    auto req = RemotingCommand::CreateRequest(RequestCode::SEND_MESSAGE);
    req.opaque = opaque;
    req.SetExtField("producerGroup", "pg");
    req.SetExtField("topic", topic);
    req.SetExtField("defaultTopic", "TBW102");
    req.SetExtFieldInt("defaultTopicQueueNums", 4);
    req.SetExtFieldInt("queueId", 3);
    req.SetExtFieldInt("sysFlag", 0);
    req.SetExtFieldInt("bornTimestamp", 1);
    req.SetExtFieldInt("flag", 0);
    req.body = "hello";
    return req;
  }
  static RemotingCommand Ack(const std::string& group, const std::string& topic, int queue,
                             int64_t offset) {
    auto req = RemotingCommand::CreateRequest(kEnvoyAckMessage);
    req.SetExtField("consumerGroup", group);
    req.SetExtField("topic", topic);
    req.SetExtFieldInt("queueId", queue);
    req.SetExtField("extraInfo", "x");
    req.SetExtFieldInt("offset", offset);
    return req;
  }

  sim::World world_{sim::WorldConfig{}};
  sim::MachineId a_, b_, c_;
  sim::ProcessId proxy_, client_;
  UpstreamHandler handler_;
  std::shared_ptr<UpstreamLog> upstream_log_ = std::make_shared<UpstreamLog>();
  std::vector<std::shared_ptr<Connection>> conns_;
};

TEST_F(ProxyTest, TwentySevenStatisticsUnderTheirPrefix) {
  ProxyStats s;
  EXPECT_EQ(ListStats(s).size(), kStatCount);
  EXPECT_EQ(StatRoot("test"), "rocketmq.test.");
  const std::string text = PrometheusText(s, "test");
  size_t families = 0;
  for (size_t pos = 0; (pos = text.find("# TYPE ", pos)) != std::string::npos; ++pos) ++families;
  EXPECT_EQ(families, kStatCount);
  EXPECT_NE(text.find("envoy_rocketmq_test_request_time_ms_bucket{le=\"0.5\"} 0"), std::string::npos);
}

TEST_F(ProxyTest, HeartbeatAnsweredLocallyAndCounted) {
  SetUpAll();
  auto log = Connect();
  Send(0, Heartbeat("client-1", "cg"));
  world_.RunFor(milliseconds(10));
  auto rs = Responses(*log);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].code, ResponseCode::SUCCESS);
  EXPECT_EQ(rs[0].remark, "Heartbeat OK");
  EXPECT_EQ(rs[0].version, 0);
  EXPECT_EQ(S().request, 1u);
  EXPECT_EQ(S().request_decoding_success, 1u);
  EXPECT_EQ(S().heartbeat, 1u);
  EXPECT_EQ(S().request_time_ms.count, 1u);
  EXPECT_EQ(upstream_log_->requests.size(), 0u);
}

TEST_F(ProxyTest, HeartbeatWithoutClientIdGetsNoReplyAndNoCount) {
  SetUpAll();
  auto log = Connect();
  auto req = RemotingCommand::CreateRequest(RequestCode::HEART_BEAT);
  req.body = "{\"clientID\": \"127}";
  Send(0, req);
  Send(0, Heartbeat("", "cg"));
  world_.RunFor(milliseconds(10));
  EXPECT_TRUE(Responses(*log).empty());
  EXPECT_EQ(S().request, 2u);
  EXPECT_EQ(S().request_decoding_success, 2u);
  EXPECT_EQ(S().request_decoding_error, 0u);
  EXPECT_EQ(S().heartbeat, 0u);
  EXPECT_FALSE(log->closed());
}

TEST_F(ProxyTest, ConsumerListHasEveryLiveMemberSorted) {
  SetUpAll();
  Connect();
  Connect();
  Send(0, Heartbeat("client-2", "cg"));
  Send(1, Heartbeat("client-1", "cg"));  // another connection, same group: added (Envoy: not)
  world_.RunFor(milliseconds(10));
  EXPECT_EQ(P().ConsumerList("cg"), (std::vector<std::string>{"client-1", "client-2"}));
  auto log = Connect();
  auto req = RemotingCommand::CreateRequest(RequestCode::GET_CONSUMER_LIST_BY_GROUP);
  req.SetExtField("consumerGroup", "cg");
  Send(2, req);
  world_.RunFor(milliseconds(10));
  auto rs = Responses(*log);
  ASSERT_EQ(rs.size(), 1u);
  auto body = common::DecodeConsumerListBody(rs[0].body);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(body->consumer_id_list, (std::vector<std::string>{"client-1", "client-2"}));
  EXPECT_EQ(S().get_consumer_list, 1u);
  // Past the transient object life span without a heartbeat: gone from the list.
  world_.RunFor(seconds(31));
  EXPECT_TRUE(P().ConsumerList("cg").empty());
}

TEST_F(ProxyTest, UnregisterRemovesTheClient) {
  SetUpAll();
  auto log = Connect();
  Send(0, Heartbeat("client-1", "cg"));
  auto req = RemotingCommand::CreateRequest(RequestCode::UNREGISTER_CLIENT);
  req.SetExtField("clientID", "client-1");
  req.SetExtField("consumerGroup", "cg");
  Send(0, req);
  world_.RunFor(milliseconds(10));
  auto rs = Responses(*log);
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[1].remark, "Envoy unregister client OK.");
  EXPECT_EQ(S().unregister, 1u);
  EXPECT_TRUE(P().ConsumerList("cg").empty());
}

TEST_F(ProxyTest, TopicRouteInDevelopModePointsAtTheProxyAndIsActiveUntilTheTurnEnds) {
  SetUpAll();
  auto log = Connect();
  auto req = RemotingCommand::CreateRequest(RequestCode::GET_ROUTEINFO_BY_TOPIC);
  req.SetExtField("topic", "TopicA");
  Send(0, req);
  // Up to the event that answers it: the message is reset then, but destroyed (and the gauges
  // lowered) only after that turn of the event loop (Envoy's deferred delete).
  world_.RunUntil([&] { return S().get_topic_route == 1; }, world_.now() + seconds(1));
  EXPECT_EQ(S().get_topic_route_active, 1);
  EXPECT_EQ(S().request_active, 1);
  world_.RunFor(milliseconds(10));
  EXPECT_EQ(S().get_topic_route_active, 0);
  EXPECT_EQ(S().request_active, 0);
  auto rs = Responses(*log);
  ASSERT_EQ(rs.size(), 1u);
  ASSERT_EQ(rs[0].code, ResponseCode::SUCCESS);
  auto data = common::DecodeTopicRouteData(rs[0].body);
  ASSERT_TRUE(data.ok()) << data.status();
  ASSERT_EQ(data->broker_datas.size(), 2u);
  EXPECT_EQ(data->broker_datas[0].broker_addrs.at(0), "10.0.0.1:10000");
  EXPECT_EQ(data->queue_datas.size(), 2u);
  EXPECT_EQ(data->queue_datas[0].write_queue_nums, 4);
}

TEST_F(ProxyTest, TopicRouteWithoutARouteIsClusterNotAvailable) {
  SetUpAll();
  auto log = Connect();
  auto req = RemotingCommand::CreateRequest(RequestCode::GET_ROUTEINFO_BY_TOPIC);
  req.SetExtField("topic", "Other");
  Send(0, req);
  world_.RunFor(milliseconds(10));
  auto rs = Responses(*log);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].code, ResponseCode::SYSTEM_ERROR);
  EXPECT_EQ(rs[0].remark, kClusterNotAvailable);
  EXPECT_EQ(S().get_topic_route, 1u);
}

TEST_F(ProxyTest, SendIsForwardedWithQueueIdMinusOneAndTheResponseRelayed) {
  SetUpAll();
  auto log = Connect();
  Send(0, SendV1("TopicA", 77));
  // Decoded, waiting for the upstream connection: active and pending.
  world_.RunUntil([&] { return S().send_message_v1 == 1; }, world_.now() + seconds(1));
  EXPECT_EQ(S().send_message_v1_active, 1);
  EXPECT_EQ(S().request_active, 1);
  EXPECT_EQ(S().send_message_pending, 1);
  EXPECT_EQ(S().total_pending, 1);
  world_.RunFor(milliseconds(50));
  ASSERT_EQ(upstream_log_->requests.size(), 1u);
  EXPECT_EQ(*upstream_log_->requests[0].FindExtField("queueId"), "-1");
  EXPECT_EQ(upstream_log_->requests[0].body, "hello");
  auto rs = Responses(*log);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].opaque, 77);
  EXPECT_EQ(rs[0].code, ResponseCode::SUCCESS);
  EXPECT_EQ(*rs[0].FindExtField("msgId"), "ABC");
  EXPECT_EQ(S().response, 1u);
  EXPECT_EQ(S().response_decoding_success, 1u);
  EXPECT_EQ(S().response_success, 1u);
  EXPECT_EQ(S().send_message_v1_active, 0);
  EXPECT_EQ(S().request_active, 0);
  EXPECT_EQ(S().send_message_pending, 0);
  EXPECT_EQ(S().total_pending, 0);
  EXPECT_EQ(S().request_time_ms.count, 1u);
  EXPECT_GT(S().request_time_ms.sum, 0.0);
}

TEST_F(ProxyTest, SendV2ForcesItsLetterKeyAndUpstreamConnectionsAreReused) {
  SetUpAll();
  auto log = Connect();
  for (int i = 0; i < 4; ++i) {
    auto req = RemotingCommand::CreateRequest(RequestCode::SEND_MESSAGE_V2);
    req.opaque = i + 1;
    req.SetExtField("a", "pg");
    req.SetExtField("b", "TopicA");
    req.SetExtFieldInt("e", 2);
    Send(0, req);
    world_.RunFor(milliseconds(50));
  }
  ASSERT_EQ(upstream_log_->requests.size(), 4u);
  for (const auto& r : upstream_log_->requests) EXPECT_EQ(*r.FindExtField("e"), "-1");
  EXPECT_EQ(S().send_message_v2, 4u);
  EXPECT_EQ(upstream_log_->accepted, 2);  // one per broker, round robin, then reused
  EXPECT_EQ(Responses(*log).size(), 4u);
}

TEST_F(ProxyTest, ResponseThatDoesNotDecodeIsAnErrorReplyAndCounted) {
  SetUpAll();
  handler_ = [](const RemotingCommand&) { return Reply{Reply::Kind::kGarbage, {}}; };
  auto log = Connect();
  Send(0, SendV1("TopicA", 5));
  world_.RunFor(milliseconds(50));
  auto rs = Responses(*log);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].code, ResponseCode::SYSTEM_ERROR);
  EXPECT_EQ(rs[0].remark, kUpstreamDecodeFailed);
  EXPECT_EQ(rs[0].opaque, 5);
  EXPECT_EQ(S().response, 1u);
  EXPECT_EQ(S().response_decoding_error, 1u);
  EXPECT_EQ(S().response_decoding_success, 0u);
  EXPECT_EQ(S().request_active, 0);
}

TEST_F(ProxyTest, UpstreamCloseIsAnErrorReplyWithoutAResponseCount) {
  SetUpAll();
  handler_ = [](const RemotingCommand&) { return Reply{Reply::Kind::kClose, {}}; };
  auto log = Connect();
  Send(0, SendV1("TopicA", 5));
  world_.RunFor(milliseconds(50));
  auto rs = Responses(*log);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].remark, kUpstreamClosed);
  EXPECT_EQ(S().response, 0u);
  EXPECT_EQ(S().response_error, 0u);
  EXPECT_EQ(S().request_active, 0);
}

TEST_F(ProxyTest, SilentUpstreamKeepsTheRequestActiveUnlessATimeoutIsSet) {
  handler_ = [](const RemotingCommand&) { return Reply{Reply::Kind::kSilence, {}}; };
  SetUpAll();
  auto log = Connect();
  Send(0, SendV1("TopicA", 5));
  world_.RunFor(seconds(60));
  EXPECT_TRUE(Responses(*log).empty());
  EXPECT_EQ(S().send_message_v1_active, 1);  // Envoy: no timeout at all
}

TEST_F(ProxyTest, RequestTimeoutAnswersWithAnError) {
  handler_ = [](const RemotingCommand&) { return Reply{Reply::Kind::kSilence, {}}; };
  ProxyConfig config = DefaultConfig();
  config.request_timeout = seconds(3);
  SetUpAll(config);
  auto log = Connect();
  Send(0, SendV1("TopicA", 5));
  world_.RunFor(seconds(4));
  auto rs = Responses(*log);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].remark, kUpstreamTimeout);
  EXPECT_EQ(S().send_message_v1_active, 0);
  EXPECT_GE(S().request_time_ms.sum, 3000.0);
}

TEST_F(ProxyTest, MaintenanceRefusesForwardedRequestsButNotRoutes) {
  SetUpAll();
  auto log = Connect();
  ASSERT_TRUE(P().SetMaintenance("brokers", true).ok());
  EXPECT_FALSE(P().SetMaintenance("nope", true).ok());
  Send(0, SendV1("TopicA", 5));
  auto route = RemotingCommand::CreateRequest(RequestCode::GET_ROUTEINFO_BY_TOPIC);
  route.SetExtField("topic", "TopicA");
  Send(0, route);
  world_.RunFor(milliseconds(50));
  auto rs = Responses(*log);
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[0].remark, kMaintenance);
  EXPECT_EQ(rs[1].code, ResponseCode::SUCCESS);
  EXPECT_EQ(S().maintenance_failure, 1u);
  EXPECT_EQ(S().send_message_v1, 1u);
  EXPECT_EQ(upstream_log_->requests.size(), 0u);
}

TEST_F(ProxyTest, NoRouteNoHostAndRefusedConnectionAreLocalErrors) {
  ProxyConfig config = DefaultConfig();
  config.clusters["empty"] = Cluster{.name = "empty"};
  config.clusters["down"] = Cluster{.name = "down", .hosts = {MakeHost("broker-c", 0, 10931)}};
  config.routes.insert(config.routes.begin(),
                       Route{.topic = {StringMatch::Kind::kExact, "E"}, .cluster = "empty"});
  config.routes.insert(config.routes.begin(),
                       Route{.topic = {StringMatch::Kind::kExact, "D"}, .cluster = "down"});
  SetUpAll(config);
  auto log = Connect();
  Send(0, SendV1("Nowhere", 1));
  Send(0, SendV1("E", 2));
  Send(0, SendV1("D", 3));
  world_.RunFor(seconds(2));
  auto rs = Responses(*log);
  ASSERT_EQ(rs.size(), 3u);
  EXPECT_EQ(rs[0].remark, kNoRoute);
  EXPECT_EQ(rs[1].remark, kNoHost);
  EXPECT_EQ(rs[2].remark, "remote connection failure");
  EXPECT_EQ(S().send_message_v1, 3u);
  EXPECT_EQ(S().response, 0u);
  EXPECT_EQ(S().total_pending, 0);
  EXPECT_EQ(S().request_active, 0);
}

TEST_F(ProxyTest, PopLeavesDirectivesAndAcksFollowThemToTheirBroker) {
  handler_ = [](const RemotingCommand& req) {
    Reply r;
    r.response = req.CreateResponse(ResponseCode::SUCCESS);
    if (req.code == kEnvoyPopMessage) {
      common::Bytes body;
      for (int64_t off : {7, 8}) {
        common::MessageExt m;
        m.message = common::Message("TopicA", common::Bytes(3, std::byte{'x'}));
        m.queue_id = 2;
        m.queue_offset = off;
        EXPECT_TRUE(common::AppendStoredMessage(m, &body).ok());
      }
      r.response.body.assign(reinterpret_cast<const char*>(body.data()), body.size());
    }
    return r;
  };
  SetUpAll();
  auto log = Connect();
  auto pop = RemotingCommand::CreateRequest(kEnvoyPopMessage);
  pop.SetExtField("consumerGroup", "cg");
  pop.SetExtField("topic", "TopicA");
  Send(0, pop);
  world_.RunFor(milliseconds(50));
  EXPECT_EQ(S().pop_message, 1u);
  EXPECT_EQ(P().ack_directives(), 2u);
  // The pop went to broker-a (round robin starts there): the acks must too.
  auto ack = Ack("cg", "TopicA", 2, 7);
  ack.opaque = 11;
  auto stray = Ack("cg", "TopicA", 2, 99);  // no directive
  stray.opaque = 12;
  Send(0, ack);
  Send(0, stray);
  world_.RunFor(milliseconds(50));
  auto rs = Responses(*log);
  ASSERT_EQ(rs.size(), 3u);
  // The refused ack is answered at once, before the forwarded one comes back.
  EXPECT_EQ(rs[1].opaque, 12);
  EXPECT_EQ(rs[1].remark, kNoDirective);
  EXPECT_EQ(rs[2].opaque, 11);
  EXPECT_EQ(rs[2].code, ResponseCode::SUCCESS);
  EXPECT_EQ(S().ack_message, 2u);
  EXPECT_EQ(P().ack_directives(), 1u);  // the acknowledged one is gone
  ASSERT_EQ(upstream_log_->requests.size(), 2u);
  EXPECT_EQ(upstream_log_->accepted, 1);  // the ack reused broker-a's connection
  // Directives older than the life span are purged at the next heartbeat.
  world_.RunFor(seconds(31));
  Send(0, Heartbeat("client-1", "cg"));
  world_.RunFor(milliseconds(10));
  EXPECT_EQ(P().ack_directives(), 0u);
}

TEST_F(ProxyTest, UnsupportedCodeGetsAnErrorAndTheConnectionStays) {
  SetUpAll();
  auto log = Connect();
  auto req = RemotingCommand::CreateRequest(999);
  Send(0, req);
  Send(0, Heartbeat("c", "g"));
  world_.RunFor(milliseconds(10));
  auto rs = Responses(*log);
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[0].remark, kNotSupported);
  EXPECT_EQ(S().request, 2u);
  EXPECT_EQ(S().request_decoding_success, 2u);
  EXPECT_FALSE(log->closed());
}

TEST_F(ProxyTest, SplitAndCoalescedFramesDecodeOnce) {
  SetUpAll();
  auto log = Connect();
  const std::string hb = Frame(Heartbeat("c", "g"));
  SendRaw(0, hb.substr(0, 3));
  world_.RunFor(milliseconds(5));
  SendRaw(0, hb.substr(3, 20));
  world_.RunFor(milliseconds(5));
  EXPECT_EQ(S().request, 0u);  // partial frames count nothing
  SendRaw(0, hb.substr(23) + hb + hb);
  world_.RunFor(milliseconds(10));
  EXPECT_EQ(S().request, 3u);
  EXPECT_EQ(S().heartbeat, 3u);
  EXPECT_EQ(Responses(*log).size(), 3u);
}

TEST_F(ProxyTest, MalformedFramesCloseOnlyTheirConnection) {
  SetUpAll();
  const std::vector<std::string> bad = {
      RawFrame("{\"version\":1,\"opaque\":1,\"flag\":0}"),            // no code
      RawFrame("{\"code\":34,\"opaque\":1,\"flag\":0}"),              // no version
      RawFrame("{a: 3"),                                              // not JSON
      RawFrame("random text suffices", {}, 1),                        // binary header type
      std::string("\x00\x40\x00\x01\x00\x00\x00\x00\x00", 9),         // L > 4 MiB
      std::string(9, '\0'),                                           // L = 0 < H + 4
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    auto log = Connect();
    SendRaw(i, bad[i]);
    world_.RunFor(milliseconds(10));
    EXPECT_TRUE(log->closed()) << i;
    EXPECT_TRUE(Responses(*log).empty()) << i;
  }
  EXPECT_EQ(S().request, bad.size());
  EXPECT_EQ(S().request_decoding_error, bad.size());
  EXPECT_EQ(S().request_decoding_success, 0u);
  // A healthy connection opened meanwhile still works.
  auto good = Connect();
  Send(bad.size(), Heartbeat("c", "g"));
  world_.RunFor(milliseconds(10));
  EXPECT_EQ(Responses(*good).size(), 1u);
}

TEST_F(ProxyTest, DecodeErrorAndHalfCloseResetInFlightRequestsAsResponseErrors) {
  handler_ = [](const RemotingCommand&) { return Reply{Reply::Kind::kSilence, {}}; };
  SetUpAll();
  Connect();
  Send(0, SendV1("TopicA", 1));
  Send(0, SendV1("TopicA", 2));
  world_.RunFor(milliseconds(50));
  EXPECT_EQ(S().request_active, 2);
  SendRaw(0, RawFrame("{a: 3"));
  world_.RunFor(milliseconds(10));
  EXPECT_EQ(S().response_error, 2u);
  EXPECT_EQ(S().request_active, 0);
  // An orderly close from the client (Envoy's end_stream) with one request in flight.
  Connect();
  Send(1, SendV1("TopicA", 3));
  world_.RunFor(milliseconds(50));
  conns_[1]->Close();
  world_.RunFor(milliseconds(10));
  EXPECT_EQ(S().response_error, 3u);
  EXPECT_EQ(S().request_active, 0);
  EXPECT_EQ(P().downstream_connections(), 0u);
}

// The key scan of the decoder agrees with a JSON parser on the headers' top-level keys,
// whatever the nesting, the strings and the escapes.
TEST(ProxyCodecTest, HeaderKeyScanAgreesWithAJsonParser) {
  const std::vector<std::string> headers = {
      R"({"code":10,"flag":0,"language":"JAVA","opaque":1,"version":409})",
      R"({"extFields":{"code":"1","version":"2"},"opaque":1,"flag":0})",
      R"({ "remark" : "a \"code\": {", "code" : 3 , "version":[1,{"opaque":2}] })",
      R"({"\u0063ode":3,"version":1,"opaque":1,"flag":0})",
      R"({"a":"}","code":1,"b":["{",",\"version\""],"version":2})",
      R"({})",
      R"({"flag":{"flag":{}},"opaque":"code"})",
  };
  for (const std::string& h : headers) {
    const auto parsed = nlohmann::json::parse(h);
    static constexpr std::string_view kKeys[] = {"code", "version", "opaque", "flag"};
    std::optional<size_t> first_missing;
    for (size_t k = 0; k < 4; ++k) {
      EXPECT_EQ(HeaderHasKey(h, kKeys[k]), parsed.contains(kKeys[k])) << h << " key " << kKeys[k];
      if (!first_missing && !parsed.contains(kKeys[k])) first_missing = k;
    }
    EXPECT_EQ(HeaderMissingKey(h, kKeys), first_missing) << h;
  }
}

RemotingCommand Pull(int32_t opaque, int64_t suspend_ms) {
  auto req = RemotingCommand::CreateRequest(RequestCode::PULL_MESSAGE);
  req.opaque = opaque;
  req.SetExtField("consumerGroup", "cg");
  req.SetExtField("topic", "TopicA");
  req.SetExtFieldInt("queueId", 1);
  req.SetExtFieldInt("queueOffset", 0);
  req.SetExtFieldInt("maxMsgNums", 32);
  req.SetExtFieldInt("sysFlag", 6);
  req.SetExtFieldInt("commitOffset", 0);
  req.SetExtFieldInt("suspendTimeoutMillis", suspend_ms);
  req.SetExtField("subscription", "*");
  req.SetExtFieldInt("subVersion", 0);
  return req;
}

TEST_F(ProxyTest, BrokerPortsAreEachBrokersAddressInRoutes) {
  SetUpAll(WithBrokerPorts());
  EXPECT_EQ(P().broker_addresses().at("broker-b").port, 10002);
  auto log = Connect();
  auto route = RemotingCommand::CreateRequest(RequestCode::GET_ROUTEINFO_BY_TOPIC);
  route.SetExtField("topic", "TopicA");
  Send(0, route);
  world_.RunFor(milliseconds(10));
  auto rs = Responses(*log);
  ASSERT_EQ(rs.size(), 1u);
  auto data = common::DecodeTopicRouteData(rs[0].body);
  ASSERT_TRUE(data.ok()) << data.status();
  ASSERT_EQ(data->broker_datas.size(), 2u);
  for (const auto& bd : data->broker_datas) {
    EXPECT_EQ(bd.broker_addrs.at(0),
              bd.broker_name == "broker-a" ? "10.0.0.1:10001" : "10.0.0.1:10002");
  }
}

TEST_F(ProxyTest, PullsAndOffsetCodesOnABrokerPortGoToThatBroker) {
  SetUpAll(WithBrokerPorts());
  auto main = Connect();
  auto b = Connect(10002);
  Send(0, Pull(1, 15000));  // the main port names no broker: Envoy's reply
  Send(1, Pull(2, 15000));
  auto offset = RemotingCommand::CreateRequest(RequestCode::QUERY_CONSUMER_OFFSET);
  offset.opaque = 3;
  offset.SetExtField("consumerGroup", "cg");
  offset.SetExtField("topic", "TopicA");
  offset.SetExtFieldInt("queueId", 1);
  Send(1, offset);
  world_.RunFor(milliseconds(50));
  auto rs = Responses(*main);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].remark, kNotSupported);
  rs = Responses(*b);
  ASSERT_EQ(rs.size(), 2u);
  for (const auto& r : rs) EXPECT_EQ(r.code, ResponseCode::SUCCESS);
  ASSERT_EQ(upstream_log_->requests.size(), 2u);
  EXPECT_EQ(upstream_log_->ports, (std::vector<uint16_t>{10921, 10921}));
  EXPECT_EQ(upstream_log_->requests[0].code, RequestCode::PULL_MESSAGE);
  EXPECT_EQ(S().response_success, 2u);
  EXPECT_EQ(S().request_decoding_success, 3u);
  EXPECT_EQ(S().request_active, 0);
}

TEST_F(ProxyTest, AHeldPullTimesOutOnlyAfterItsSuspendTime) {
  handler_ = [](const RemotingCommand& req) {
    if (req.code == RequestCode::PULL_MESSAGE) return Reply{Reply::Kind::kSilence, {}, {}};
    return Reply{Reply::Kind::kRespond, req.CreateResponse(ResponseCode::SUCCESS), {}};
  };
  ProxyConfig config = WithBrokerPorts();
  config.request_timeout = seconds(3);
  SetUpAll(config);
  auto log = Connect(10001);
  Send(0, Pull(1, 15000));
  world_.RunFor(seconds(17));
  EXPECT_TRUE(Responses(*log).empty());
  EXPECT_EQ(S().request_active, 1);
  world_.RunFor(seconds(2));
  auto rs = Responses(*log);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].remark, kUpstreamTimeout);
  EXPECT_EQ(S().request_active, 0);
}

TEST_F(ProxyTest, MaintenanceRefusesPullsOnABrokerPort) {
  SetUpAll(WithBrokerPorts());
  auto log = Connect(10001);
  ASSERT_TRUE(P().SetMaintenance("brokers", true).ok());
  Send(0, Pull(1, 0));
  world_.RunFor(milliseconds(50));
  auto rs = Responses(*log);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].remark, kMaintenance);
  EXPECT_EQ(S().maintenance_failure, 1u);
  EXPECT_TRUE(upstream_log_->requests.empty());
}

TEST_F(ProxyTest, HeartbeatsOnABrokerPortAreRelayedOverASessionThatEndsWithTheClient) {
  handler_ = [](const RemotingCommand& req) {
    Reply r;
    r.response = req.CreateResponse(ResponseCode::SUCCESS);
    if (req.code == RequestCode::HEART_BEAT) {
      // The broker tells the group's clients that its membership changed.
      auto notify = RemotingCommand::CreateRequest(RequestCode::NOTIFY_CONSUMER_IDS_CHANGED);
      notify.SetExtField("consumerGroup", "cg");
      r.then.push_back(notify);
    }
    return r;
  };
  SetUpAll(WithBrokerPorts());
  auto log = Connect(10001);
  Send(0, Heartbeat("client-1", "cg"));
  world_.RunFor(milliseconds(50));
  Send(0, Heartbeat("client-1", "cg"));
  world_.RunFor(milliseconds(50));
  auto rs = Responses(*log);
  // Two local answers ("Heartbeat OK") and the two notifications from the broker.
  ASSERT_EQ(rs.size(), 4u);
  int notifies = 0;
  for (const auto& r : rs) {
    if (r.code == RequestCode::NOTIFY_CONSUMER_IDS_CHANGED && !r.is_response()) ++notifies;
    if (r.is_response()) {
      EXPECT_EQ(r.remark, "Heartbeat OK");
    }
  }
  EXPECT_EQ(notifies, 2);
  EXPECT_EQ(S().heartbeat, 2u);
  // Both relayed to broker-a over one session connection.
  EXPECT_EQ(upstream_log_->ports, (std::vector<uint16_t>{10911, 10911}));
  EXPECT_EQ(upstream_log_->accepted, 1);
  EXPECT_EQ(P().broker_sessions(), 1u);
  // Every frame decoded from upstream counts: two answers and two notifications.
  EXPECT_EQ(S().response, 4u);
  EXPECT_EQ(S().response_success, 2u);
  EXPECT_EQ(P().ConsumerList("cg"), std::vector<std::string>{"client-1"});
  conns_[0]->Close();
  world_.RunFor(milliseconds(50));
  EXPECT_EQ(P().broker_sessions(), 0u);
  EXPECT_EQ(upstream_log_->closed, 1);  // the broker sees its client's channel close
}

TEST_F(ProxyTest, ConfigErrorsNameTheField) {
  ProxyConfig c = DefaultConfig();
  c.stat_prefix = "";
  EXPECT_NE(c.Validate().message().find("stat_prefix"), std::string::npos);
  c = DefaultConfig();
  c.routes[0].cluster = "missing";
  EXPECT_NE(c.Validate().message().find("routes[0].cluster"), std::string::npos);
  c = DefaultConfig();
  c.routes[0].metadata_match["color"] = "red";
  EXPECT_NE(c.Validate().message().find("metadata_match"), std::string::npos);
  c = WithBrokerPorts();
  c.broker_listen["broker-z"] = {"10.0.0.1", 10003};
  EXPECT_NE(c.Validate().message().find("broker_listen['broker-z']: no host"), std::string::npos);
  c = WithBrokerPorts();
  c.develop_mode = false;
  EXPECT_NE(c.Validate().message().find("needs develop_mode"), std::string::npos);
  EXPECT_TRUE(WithBrokerPorts().Validate().ok());
  EXPECT_TRUE(DefaultConfig().Validate().ok());
}

}  // namespace
}  // namespace rmqsim::proxy
