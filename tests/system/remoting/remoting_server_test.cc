// RemotingServer on the simulated world: dispatch rules (rocketmq-protocol.md §1.8), asynchronous
// responses, decode errors, idle close, close notifications, server-to-client requests.
#include "system/remoting/remoting_server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/system/remoting/remoting_test_util.h"

namespace rmqsim::remoting::testing {
namespace {

using rmqsim::testing::StartLogging;
using rmqsim::testing::StreamLog;
using ::testing::HasSubstr;

// Answers every request with SUCCESS and the request's "echo" field.
RequestProcessor EchoProcessor() {
  return [](RemotingCommand request, Responder) -> std::optional<RemotingCommand> {
    RemotingCommand r = request.CreateResponse(ResponseCode::SUCCESS);
    if (const auto* v = request.FindExtField("echo")) r.SetExtField("echo", *v);
    r.body = request.body;
    return r;
  };
}

class RemotingServerTest : public RemotingSimTest {
 protected:
  // A raw TCP connection from a plain process on machine b, logging what it receives.
  struct Raw {
    std::shared_ptr<Connection> conn;
    std::shared_ptr<StreamLog> log = std::make_shared<StreamLog>();
  };
  Raw ConnectRaw() {
    if (!raw_process_) raw_process_ = Spawn(b_, "raw");
    Raw raw;
    auto c = ConnectFrom(*raw_process_, kServerAddress);
    EXPECT_TRUE(c.ok()) << c.status();
    raw.conn = *c;
    Svc(*raw_process_)->connections.push_back(raw.conn);
    StartLogging(raw.conn, raw.log);
    return raw;
  }
  void SendRaw(Raw& raw, const RemotingCommand& c) {
    ASSERT_TRUE(raw.conn->Send(AsBytes(EncodeOrDie(c))).ok());
  }

  std::optional<sim::ProcessId> raw_process_;
};

TEST_F(RemotingServerTest, RegisteredProcessorAnswers) {
  StartServer({}, [](Runtime&, RemotingServer& s) {
    s.RegisterProcessor(RequestCode::GET_ROUTEINFO_BY_TOPIC, EchoProcessor());
  });
  auto client = StartClient();
  RemotingCommand req =
      RemotingCommand::CreateRequest(RequestCode::GET_ROUTEINFO_BY_TOPIC, {{"echo", "hi"}});
  req.body = "payload";
  auto r = InvokeAndWait(client, req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->code, ResponseCode::SUCCESS);
  EXPECT_TRUE(r->is_response());
  EXPECT_EQ(*r->FindExtField("echo"), "hi");
  EXPECT_EQ(r->body, "payload");
  EXPECT_EQ(r->language, LanguageCode::JAVA);
  EXPECT_EQ(r->version, MQVersion::V4_9_8);
}

TEST_F(RemotingServerTest, UnknownCodeBrokerPolicyAnswersNotSupported) {
  auto server = StartServer({.unknown_code_policy = UnknownCodePolicy::kRespondNotSupported});
  auto client = StartClient();
  auto r = InvokeAndWait(client, RemotingCommand::CreateRequest(9999));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->code, ResponseCode::REQUEST_CODE_NOT_SUPPORTED);
  EXPECT_EQ(r->remark, " request type 9999 not supported");
  EXPECT_EQ(Server(server).dispatcher().requests_not_supported(), 1u);
  auto events = EventsNamed("RemotingRequestNotSupported");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(StringDetail(events[0], "Policy"), "RespondNotSupported");
}

TEST_F(RemotingServerTest, UnknownCodeIsAnsweredEvenForOnewayRequests) {
  StartServer();
  Raw raw = ConnectRaw();
  RemotingCommand req = RemotingCommand::CreateRequest(4242);
  req.opaque = 77;
  req.MarkOneway();
  SendRaw(raw, req);
  world_.RunFor(milliseconds(100));
  auto got = DecodeAll(raw.log->data);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].code, ResponseCode::REQUEST_CODE_NOT_SUPPORTED);
  EXPECT_EQ(got[0].opaque, 77);
  EXPECT_EQ(got[0].flag, RemotingCommand::kResponseFlag);
  EXPECT_EQ(got[0].remark, " request type 4242 not supported");
}

TEST_F(RemotingServerTest, UnknownCodeNameServerPolicySendsNothing) {
  StartServer({.unknown_code_policy = UnknownCodePolicy::kIgnore});
  auto client = StartClient();
  MonoTime t0 = world_.now();
  auto r = InvokeAndWait(client, RemotingCommand::CreateRequest(9999), seconds(3));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kTimeout);
  EXPECT_THAT(r.status().message(), HasSubstr("no response to request code 9999"));
  EXPECT_EQ(world_.now() - t0, seconds(3));
  // Nor for a oneway request.
  Raw raw = ConnectRaw();
  RemotingCommand oneway = RemotingCommand::CreateRequest(9999);
  oneway.MarkOneway();
  SendRaw(raw, oneway);
  world_.RunFor(seconds(1));
  EXPECT_EQ(raw.log->data, "");
}

TEST_F(RemotingServerTest, DefaultProcessorGetsUnregisteredCodes) {
  StartServer({.unknown_code_policy = UnknownCodePolicy::kIgnore}, [](Runtime&, RemotingServer& s) {
    s.RegisterDefaultProcessor([](RemotingCommand request, Responder) {
      return std::optional(request.CreateResponse(ResponseCode::SYSTEM_ERROR, "default"));
    });
  });
  auto client = StartClient();
  auto r = InvokeAndWait(client, RemotingCommand::CreateRequest(31337));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->remark, "default");
}

TEST_F(RemotingServerTest, OnewayRequestGetsNoResponse) {
  auto calls = std::make_shared<std::vector<RemotingCommand>>();
  StartServer({}, [calls](Runtime&, RemotingServer& s) {
    s.RegisterProcessor(RequestCode::UPDATE_CONSUMER_OFFSET,
                        [calls](RemotingCommand request, Responder responder) {
                          calls->push_back(request);
                          EXPECT_TRUE(responder.oneway());
                          // Even a response returned by the processor is dropped.
                          return std::optional(request.CreateResponse(ResponseCode::SUCCESS));
                        });
  });
  Raw raw = ConnectRaw();
  RemotingCommand req =
      RemotingCommand::CreateRequest(RequestCode::UPDATE_CONSUMER_OFFSET, {{"queueId", "1"}});
  req.MarkOneway();
  SendRaw(raw, req);
  world_.RunFor(seconds(1));
  ASSERT_EQ(calls->size(), 1u);
  EXPECT_TRUE((*calls)[0].is_oneway());
  EXPECT_EQ(raw.log->data, "");
}

TEST_F(RemotingServerTest, AnswersInTheRequestsSerializationType) {
  StartServer({}, [](Runtime&, RemotingServer& s) {
    s.RegisterProcessor(RequestCode::HEART_BEAT, [](RemotingCommand request, Responder) {
      // A response made without CreateResponse: the server still fills in the type.
      return std::optional(RemotingCommand::CreateResponseCommand(ResponseCode::SUCCESS));
    });
  });
  Raw raw = ConnectRaw();
  RemotingCommand binary = RemotingCommand::CreateRequest(RequestCode::HEART_BEAT);
  binary.serialize_type = SerializeType::ROCKETMQ;
  binary.opaque = 1;
  RemotingCommand json = RemotingCommand::CreateRequest(RequestCode::HEART_BEAT);
  json.opaque = 2;
  SendRaw(raw, binary);
  SendRaw(raw, json);
  world_.RunFor(milliseconds(100));
  auto got = DecodeAll(raw.log->data);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].opaque, 1);
  EXPECT_EQ(got[0].serialize_type, SerializeType::ROCKETMQ);
  EXPECT_EQ(static_cast<uint8_t>(raw.log->data[4]), 1);  // the type byte on the wire
  EXPECT_EQ(got[1].opaque, 2);
  EXPECT_EQ(got[1].serialize_type, SerializeType::JSON);
}

TEST_F(RemotingServerTest, AsynchronousResponseAndNoHeadOfLineBlocking) {
  // A parked PULL_MESSAGE (answered 5 s later) does not hold up a HEART_BEAT behind it.
  StartServer({}, [](Runtime& rt, RemotingServer& s) {
    s.RegisterProcessor(
        RequestCode::PULL_MESSAGE, [&rt](RemotingCommand request, Responder responder) {
          rt.executor().ScheduleAfter(seconds(5), [responder, request]() mutable {
            EXPECT_TRUE(responder.Respond(request.CreateResponse(ResponseCode::PULL_NOT_FOUND)));
            EXPECT_FALSE(responder.Respond(  // at most once
                request.CreateResponse(ResponseCode::SUCCESS)));
          });
          return std::optional<RemotingCommand>();
        });
    s.RegisterProcessor(RequestCode::HEART_BEAT, EchoProcessor());
  });
  auto client = StartClient();
  MonoTime t0 = world_.now();
  auto pull =
      Invoke(client, RemotingCommand::CreateRequest(RequestCode::PULL_MESSAGE), seconds(30));
  auto beat = Invoke(client, RemotingCommand::CreateRequest(RequestCode::HEART_BEAT), seconds(3));
  world_.RunUntil([&] { return pull->done(); }, t0 + seconds(31));
  ASSERT_TRUE(beat->done() && pull->done());
  ASSERT_TRUE(beat->result->ok());
  ASSERT_TRUE(pull->result->ok()) << pull->result->status();
  EXPECT_EQ((*pull->result)->code, ResponseCode::PULL_NOT_FOUND);
  EXPECT_LT(beat->at - t0, milliseconds(100));
  EXPECT_GE(pull->at - t0, seconds(5));
  EXPECT_LT(pull->at - t0, seconds(5) + milliseconds(100));
}

TEST_F(RemotingServerTest, ResponseAfterTheChannelClosedIsHarmless) {
  auto parked = std::make_shared<std::vector<std::pair<Responder, RemotingCommand>>>();
  auto server = StartServer({}, [parked](Runtime&, RemotingServer& s) {
    s.RegisterProcessor(RequestCode::PULL_MESSAGE, [parked](RemotingCommand r, Responder resp) {
      parked->emplace_back(resp, r);
      return std::optional<RemotingCommand>();
    });
  });
  auto client = StartClient();
  auto pull =
      Invoke(client, RemotingCommand::CreateRequest(RequestCode::PULL_MESSAGE), seconds(30));
  world_.RunFor(milliseconds(100));
  ASSERT_EQ(parked->size(), 1u);
  Client(client).CloseChannel(kServerAddress);
  world_.RunFor(milliseconds(100));
  ASSERT_TRUE(pull->done());
  EXPECT_EQ(pull->result->status().code(), StatusCode::kClosed);
  EXPECT_EQ(Server(server).channel_count(), 0u);

  auto& [responder, request] = (*parked)[0];
  EXPECT_FALSE(responder.channel()->is_open());
  EXPECT_FALSE(responder.Respond(request.CreateResponse(ResponseCode::SUCCESS)));
  EXPECT_FALSE(responder.Respond(request.CreateResponse(ResponseCode::SUCCESS)));
  world_.RunFor(seconds(1));
  EXPECT_EQ(EventsNamed("RemotingResponseNotSent").size(), 1u);
  // The server goes on serving.
  Server(server).RegisterProcessor(RequestCode::HEART_BEAT, EchoProcessor());
  EXPECT_TRUE(InvokeAndWait(client, RemotingCommand::CreateRequest(RequestCode::HEART_BEAT)).ok());
  // The process factory shares `parked` and outlives the simulated network: drop the handles now.
  parked->clear();
}

TEST_F(RemotingServerTest, IdleChannelIsClosedAfter120Seconds) {
  auto closes = std::make_shared<std::vector<Status>>();
  StartServer({}, [closes](Runtime&, RemotingServer& s) {
    s.RegisterProcessor(RequestCode::HEART_BEAT, EchoProcessor());
    s.AddCloseListener([closes](const auto&, const Status& reason) { closes->push_back(reason); });
  });
  MonoTime t0 = world_.now();
  Raw raw = ConnectRaw();
  // Activity at +100 s pushes the deadline to +220 s.
  world_.RunFor(seconds(100));
  SendRaw(raw, RemotingCommand::CreateRequest(RequestCode::HEART_BEAT));
  world_.RunUntil([&] { return raw.log->closed(); }, t0 + seconds(400));
  ASSERT_TRUE(raw.log->closed());
  EXPECT_EQ(raw.log->closes[0].code(), StatusCode::kClosed);  // an orderly close: EOF
  const Duration closed_after = world_.now() - t0;
  EXPECT_GE(closed_after, seconds(220));
  EXPECT_LT(closed_after, seconds(221));
  world_.RunFor(milliseconds(10));
  ASSERT_EQ(closes->size(), 1u);
  EXPECT_EQ((*closes)[0].code(), StatusCode::kTimeout);
  EXPECT_THAT((*closes)[0].message(), HasSubstr("idle"));
  EXPECT_EQ(EventsNamed("RemotingChannelIdle").size(), 1u);
}

TEST_F(RemotingServerTest, IdleTimeoutIsConfigurable) {
  StartServer({.channel_idle_timeout = seconds(10)});
  MonoTime t0 = world_.now();
  Raw raw = ConnectRaw();
  world_.RunUntil([&] { return raw.log->closed(); }, t0 + seconds(60));
  ASSERT_TRUE(raw.log->closed());
  EXPECT_LT(world_.now() - t0, seconds(11));

  // Zero disables it.
  auto other = StartServer({.listen = Address{"10.0.0.1", 9877}, .channel_idle_timeout = {}},
                           nullptr, "server2");
  auto c = ConnectFrom(*raw_process_, Address{"10.0.0.1", 9877});
  ASSERT_TRUE(c.ok());
  world_.RunFor(hours(1));
  EXPECT_EQ(Server(other).channel_count(), 1u);
}

TEST_F(RemotingServerTest, ConnectAndCloseNotifications) {
  struct Log {
    std::vector<uint64_t> opened;
    std::vector<std::pair<uint64_t, StatusCode>> closed;
  };
  auto log = std::make_shared<Log>();
  auto server = StartServer({}, [log](Runtime&, RemotingServer& s) {
    s.RegisterProcessor(RequestCode::HEART_BEAT, EchoProcessor());
    s.AddConnectListener([log](const std::shared_ptr<RemotingChannel>& ch) {
      log->opened.push_back(ch->id());
      EXPECT_EQ(ch->remote_address().host, "10.0.0.2");
      EXPECT_EQ(ch->side(), ChannelSide::kServer);
    });
    s.AddCloseListener([log](const std::shared_ptr<RemotingChannel>& ch, const Status& reason) {
      log->closed.emplace_back(ch->id(), reason.code());
      EXPECT_FALSE(ch->is_open());
    });
  });
  // An orderly close, then a reset (the client process is killed).
  Raw raw = ConnectRaw();
  world_.RunFor(milliseconds(10));
  ASSERT_EQ(log->opened.size(), 1u);
  EXPECT_EQ(Server(server).channel_count(), 1u);
  EXPECT_EQ(Server(server).channels()[0]->id(), log->opened[0]);
  raw.conn->Close();
  world_.RunFor(milliseconds(10));
  ASSERT_EQ(log->closed.size(), 1u);
  EXPECT_EQ(log->closed[0], std::make_pair(log->opened[0], StatusCode::kClosed));

  auto client = StartClient();
  ASSERT_TRUE(InvokeAndWait(client, RemotingCommand::CreateRequest(RequestCode::HEART_BEAT)).ok());
  ASSERT_EQ(log->opened.size(), 2u);
  EXPECT_NE(log->opened[1], log->opened[0]);
  world_.KillProcess(client);
  world_.RunFor(milliseconds(10));
  ASSERT_EQ(log->closed.size(), 2u);
  EXPECT_EQ(log->closed[1], std::make_pair(log->opened[1], StatusCode::kConnectionReset));
  EXPECT_EQ(Server(server).channel_count(), 0u);
}

TEST_F(RemotingServerTest, MalformedFrameClosesThatConnectionOnly) {
  auto server = StartServer({}, [](Runtime&, RemotingServer& s) {
    s.RegisterProcessor(RequestCode::HEART_BEAT, EchoProcessor());
  });
  auto client = StartClient();
  ASSERT_TRUE(InvokeAndWait(client, RemotingCommand::CreateRequest(RequestCode::HEART_BEAT)).ok());

  // Bad JSON, a frame over the limit, an unknown serialization type: each closes its own
  // connection with a traced, detailed event.
  const std::vector<std::pair<std::string, std::string>> garbage = {
      {std::string("\x00\x00\x00\x0C\x00\x00\x00\x08{\"code\":", 16), "not valid JSON"},
      {std::string("\x01\x00\x00\x00", 4), "frame length 16777216 exceeds the limit 16777212"},
      {std::string("\x00\x00\x00\x10\x07\x00\x00\x02{}", 10), "unknown serialization type 7"},
  };
  for (const auto& [bytes, expected] : garbage) {
    Raw raw = ConnectRaw();
    ASSERT_TRUE(raw.conn->Send(AsBytes(bytes)).ok());
    world_.RunFor(milliseconds(50));
    ASSERT_TRUE(raw.log->closed()) << expected;
    EXPECT_EQ(raw.log->closes[0].code(), StatusCode::kClosed);
    auto errors = EventsNamed("RemotingDecodeError");
    ASSERT_FALSE(errors.empty());
    EXPECT_THAT(StringDetail(errors.back(), "Detail"), HasSubstr(expected));
    EXPECT_EQ(StringDetail(errors.back(), "Remote").rfind("10.0.0.2:", 0), 0u);
  }
  EXPECT_EQ(EventsNamed("RemotingDecodeError").size(), 3u);
  // The well-behaved client is still served, on its original channel.
  EXPECT_EQ(Server(server).channel_count(), 1u);
  ASSERT_TRUE(InvokeAndWait(client, RemotingCommand::CreateRequest(RequestCode::HEART_BEAT)).ok());
  EXPECT_EQ(Client(client).connects_attempted(), 1u);
}

TEST_F(RemotingServerTest, ServerSendsRequestsToTheClientOverTheAcceptedChannel) {
  // Broker -> consumer: NOTIFY_CONSUMER_IDS_CHANGED (oneway) after a HEART_BEAT, and
  // GET_CONSUMER_RUNNING_INFO (with a response).
  auto server_got = std::make_shared<std::vector<RemotingCommand>>();
  auto server = StartServer({}, [](Runtime&, RemotingServer& s) {
    s.RegisterProcessor(RequestCode::HEART_BEAT, [](RemotingCommand request, Responder responder) {
      RemotingCommand notify = RemotingCommand::CreateRequest(
          RequestCode::NOTIFY_CONSUMER_IDS_CHANGED, {{"consumerGroup", "CG"}});
      EXPECT_TRUE(responder.channel()->InvokeOneway(notify).ok());
      return std::optional(request.CreateResponse(ResponseCode::SUCCESS));
    });
  });
  auto client_got = std::make_shared<std::vector<RemotingCommand>>();
  auto client = StartClient({}, [client_got](Runtime&, RemotingClient& c) {
    c.RegisterProcessor(RequestCode::NOTIFY_CONSUMER_IDS_CHANGED,
                        [client_got](RemotingCommand request, Responder) {
                          client_got->push_back(request);
                          return std::optional<RemotingCommand>();
                        });
    c.RegisterProcessor(RequestCode::GET_CONSUMER_RUNNING_INFO,
                        [](RemotingCommand request, Responder) {
                          RemotingCommand r = request.CreateResponse(ResponseCode::SUCCESS);
                          r.body = "{\"running\":true}";
                          return std::optional(r);
                        });
  });
  ASSERT_TRUE(InvokeAndWait(client, RemotingCommand::CreateRequest(RequestCode::HEART_BEAT)).ok());
  world_.RunFor(milliseconds(10));
  ASSERT_EQ(client_got->size(), 1u);
  EXPECT_EQ((*client_got)[0].code, RequestCode::NOTIFY_CONSUMER_IDS_CHANGED);
  EXPECT_TRUE((*client_got)[0].is_oneway());
  EXPECT_EQ(*(*client_got)[0].FindExtField("consumerGroup"), "CG");

  auto channel = Server(server).channels().at(0);
  std::optional<StatusOr<RemotingCommand>> info;
  channel->Invoke(RemotingCommand::CreateRequest(RequestCode::GET_CONSUMER_RUNNING_INFO),
                  seconds(3), [&info](StatusOr<RemotingCommand> r) { info = std::move(r); });
  std::optional<StatusOr<RemotingCommand>> unknown;
  channel->Invoke(RemotingCommand::CreateRequest(RequestCode::CONSUME_MESSAGE_DIRECTLY), seconds(3),
                  [&unknown](StatusOr<RemotingCommand> r) { unknown = std::move(r); });
  world_.RunUntil([&] { return info && unknown; }, world_.now() + seconds(5));
  ASSERT_TRUE(info && info->ok());
  EXPECT_EQ((*info)->body, "{\"running\":true}");
  ASSERT_TRUE(unknown && unknown->ok());  // the client answers an unknown code as Java does
  EXPECT_EQ((*unknown)->code, ResponseCode::REQUEST_CODE_NOT_SUPPORTED);
}

TEST_F(RemotingServerTest, ShutdownClosesEverything) {
  auto closes = std::make_shared<std::vector<StatusCode>>();
  auto server = StartServer({}, [closes](Runtime&, RemotingServer& s) {
    s.RegisterProcessor(RequestCode::HEART_BEAT, EchoProcessor());
    s.AddCloseListener([closes](const auto&, const Status& r) { closes->push_back(r.code()); });
  });
  auto client = StartClient();
  ASSERT_TRUE(InvokeAndWait(client, RemotingCommand::CreateRequest(RequestCode::HEART_BEAT)).ok());
  Server(server).Shutdown();
  world_.RunFor(milliseconds(10));
  EXPECT_EQ(*closes, std::vector<StatusCode>{StatusCode::kCancelled});
  auto r = InvokeAndWait(client, RemotingCommand::CreateRequest(RequestCode::HEART_BEAT));
  EXPECT_EQ(r.status().code(), StatusCode::kConnectionRefused);
}

TEST_F(RemotingServerTest, ListenErrorsAreReported) {
  StartServer();
  auto id = world_.AddProcess(a_, "second", [](Runtime& rt) {
    return std::make_unique<ServerService>(rt, RemotingServerOptions{.listen = kServerAddress},
                                           nullptr);
  });
  ASSERT_TRUE(id.ok());
  Status s = world_.StartProcess(*id);
  world_.RunFor(Duration::zero());
  // Start() failing ends the process.
  EXPECT_FALSE(world_.IsRunning(*id)) << s;
}

// The first bytes of a frame whose length field promises `length` bytes (a JSON header of 100).
std::string PartialFrame(uint32_t length, size_t filler) {
  std::string out;
  for (uint32_t v : {length, 100u}) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
  }
  out.append(filler, 'x');
  return out;
}

// rmqsim's addition: past the cap on incomplete frames held over all connections, the one holding
// the most is closed (Netty grows without bound).
TEST_F(RemotingServerTest, InputBudgetClosesTheConnectionHoldingTheMost) {
  RemotingServerOptions options;
  options.buffered_input_max = 1024 * 1024;
  auto server = StartServer(options);
  Raw a = ConnectRaw();
  Raw b = ConnectRaw();
  Raw c = ConnectRaw();
  world_.RunFor(milliseconds(10));
  ASSERT_TRUE(a.conn->Send(AsBytes(PartialFrame(10'000'000, 300 * 1024))).ok());
  ASSERT_TRUE(b.conn->Send(AsBytes(PartialFrame(10'000'000, 500 * 1024))).ok());
  world_.RunFor(milliseconds(100));
  auto& srv = world_.service_as<ServerService>(server)->server;
  EXPECT_EQ(srv.input_budget_closes(), 0u);
  EXPECT_EQ(srv.buffered_input_bytes(), 800u * 1024 + 16);
  ASSERT_TRUE(c.conn->Send(AsBytes(PartialFrame(10'000'000, 400 * 1024))).ok());
  world_.RunFor(milliseconds(100));
  EXPECT_EQ(srv.input_budget_closes(), 1u);
  EXPECT_FALSE(a.log->closed());
  EXPECT_TRUE(b.log->closed());
  EXPECT_FALSE(c.log->closed());
  EXPECT_EQ(srv.buffered_input_bytes(), 700u * 1024 + 16);
  // Closing a connection gives its bytes back.
  a.conn->Close();
  world_.RunFor(milliseconds(100));
  EXPECT_EQ(srv.buffered_input_bytes(), 400u * 1024 + 8);
}

// A sender that trickles a frame keeps the idle timer quiet; past the partial-frame timeout the
// next bytes close the connection.
TEST_F(RemotingServerTest, AFrameStillIncompleteAfterTheTimeoutClosesTheConnection) {
  StartServer();
  Raw raw = ConnectRaw();
  world_.RunFor(milliseconds(10));
  ASSERT_TRUE(raw.conn->Send(AsBytes(PartialFrame(1000, 10))).ok());
  for (int i = 0; i < 5; ++i) {
    world_.RunFor(seconds(10));
    ASSERT_TRUE(raw.conn->Send(AsBytes(std::string(1, 'y'))).ok());
  }
  world_.RunFor(seconds(1));
  EXPECT_FALSE(raw.log->closed());  // 51 s: still within the limit
  world_.RunFor(seconds(10));
  ASSERT_TRUE(raw.conn->Send(AsBytes(std::string(1, 'y'))).ok());
  world_.RunFor(seconds(1));
  EXPECT_TRUE(raw.log->closed());
  bool traced = false;
  for (const auto& e : world_.trace_events()) traced |= e.event.name() == "RemotingPartialFrameTimeout";
  EXPECT_TRUE(traced);
}

// Bytes that complete an old frame are not refused: a stall (a partition) that ends before the
// idle timeout costs nothing.
TEST_F(RemotingServerTest, BytesCompletingAnOldFrameAreAccepted) {
  StartServer({}, [](Runtime&, RemotingServer& s) { s.RegisterDefaultProcessor(EchoProcessor()); });
  Raw raw = ConnectRaw();
  world_.RunFor(milliseconds(10));
  auto req = RemotingCommand::CreateRequest(9001);
  req.SetExtField("echo", "late");
  const std::string frame = EncodeOrDie(req);
  ASSERT_TRUE(raw.conn->Send(AsBytes(frame.substr(0, 10))).ok());
  world_.RunFor(seconds(90));
  ASSERT_TRUE(raw.conn->Send(AsBytes(frame.substr(10))).ok());
  world_.RunFor(seconds(1));
  EXPECT_FALSE(raw.log->closed());
  auto got = DecodeAll(raw.log->data);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(*got[0].FindExtField("echo"), "late");
}

}  // namespace
}  // namespace rmqsim::remoting::testing
