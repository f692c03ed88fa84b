// RemotingClient on the simulated world: pipelining with out-of-order answers, timeouts, failure
// of pending calls on reset, reconnection, oneway sends, bounds, coroutines, lifetime.
#include "system/remoting/remoting_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tests/system/remoting/remoting_test_util.h"

namespace rmqsim::remoting::testing {
namespace {

using ::testing::HasSubstr;

// Answers each request after `delayMs` (an extField), echoing its "i".
void RegisterDelayedEcho(Runtime& rt, RemotingServer& s, int32_t code) {
  s.RegisterProcessor(code, [&rt](RemotingCommand request, Responder responder) {
    auto delay_ms = request.GetOptionalInt64("delayMs");
    RemotingCommand response = request.CreateResponse(ResponseCode::SUCCESS);
    if (const auto* i = request.FindExtField("i")) response.SetExtField("i", *i);
    if (!delay_ms.ok() || !delay_ms->has_value()) return std::optional(response);
    rt.executor().ScheduleAfter(milliseconds(**delay_ms),
                                [responder, response]() mutable { responder.Respond(response); });
    return std::optional<RemotingCommand>();
  });
}

// Never answers.
void RegisterBlackHole(RemotingServer& s, int32_t code) {
  s.RegisterProcessor(code,
                      [](RemotingCommand, Responder) { return std::optional<RemotingCommand>(); });
}

class RemotingClientTest : public RemotingSimTest {};

TEST_F(RemotingClientTest, ManyPipelinedRequestsAnsweredOutOfOrder) {
  constexpr int kRequests = 200;
  auto server = StartServer({}, [](Runtime& rt, RemotingServer& s) {
    RegisterDelayedEcho(rt, s, RequestCode::PULL_MESSAGE);
  });
  auto client = StartClient();
  auto order = std::make_shared<std::vector<int>>();
  auto failures = std::make_shared<int>(0);
  for (int i = 0; i < kRequests; ++i) {
    RemotingCommand req = RemotingCommand::CreateRequest(RequestCode::PULL_MESSAGE);
    req.SetExtFieldInt("i", i);
    req.SetExtFieldInt("delayMs", 10 * (kRequests - i));  // the last sent is answered first
    Client(client).Invoke(kServerAddress, std::move(req), seconds(10),
                          [order, failures, i](StatusOr<RemotingCommand> r) {
                            if (!r.ok() || *r->GetRequiredInt32("i") != i) {
                              ++*failures;
                              return;
                            }
                            order->push_back(i);
                          });
  }
  EXPECT_EQ(Client(client).inflight(), size_t{kRequests});
  world_.RunUntil([&] { return order->size() + *failures == kRequests; },
                  world_.now() + seconds(10));
  EXPECT_EQ(*failures, 0);
  ASSERT_EQ(order->size(), size_t{kRequests});
  for (int k = 0; k < kRequests; ++k) EXPECT_EQ((*order)[k], kRequests - 1 - k);
  // One connection carried them all.
  EXPECT_EQ(Client(client).connects_attempted(), 1u);
  EXPECT_EQ(Server(server).channel_count(), 1u);
  EXPECT_EQ(Client(client).inflight(), 0u);
}

TEST_F(RemotingClientTest, OpaquesAreDistinctAndCountUp) {
  auto seen = std::make_shared<std::vector<int32_t>>();
  StartServer({}, [seen](Runtime&, RemotingServer& s) {
    s.RegisterProcessor(RequestCode::HEART_BEAT, [seen](RemotingCommand request, Responder) {
      seen->push_back(request.opaque);
      return std::optional(request.CreateResponse(ResponseCode::SUCCESS));
    });
  });
  auto client = StartClient();
  for (int i = 0; i < 5; ++i) {
    RemotingCommand req = RemotingCommand::CreateRequest(RequestCode::HEART_BEAT);
    req.opaque = 999;  // replaced by the client's counter
    ASSERT_TRUE(InvokeAndWait(client, req).ok());
  }
  EXPECT_EQ(*seen, (std::vector<int32_t>{0, 1, 2, 3, 4}));
}

TEST_F(RemotingClientTest, PerRequestTimeoutAndLateResponseDropped) {
  StartServer({}, [](Runtime& rt, RemotingServer& s) {
    RegisterDelayedEcho(rt, s, RequestCode::PULL_MESSAGE);
  });
  auto client = StartClient();
  MonoTime t0 = world_.now();
  RemotingCommand slow = RemotingCommand::CreateRequest(RequestCode::PULL_MESSAGE);
  slow.SetExtFieldInt("delayMs", 5000);
  auto late = Invoke(client, slow, seconds(2));
  RemotingCommand quick = RemotingCommand::CreateRequest(RequestCode::PULL_MESSAGE);
  quick.SetExtFieldInt("delayMs", 3000);
  auto fine = Invoke(client, quick, seconds(4));
  world_.RunFor(seconds(6));
  ASSERT_TRUE(late->done());
  EXPECT_EQ(late->result->status().code(), StatusCode::kTimeout);
  EXPECT_THAT(late->result->status().message(),
              HasSubstr("no response to request code 11 (PULL_MESSAGE) opaque 0 to 10.0.0.1:9876 "
                        "within"));
  EXPECT_EQ(late->at - t0, seconds(2));
  ASSERT_TRUE(fine->done());
  EXPECT_TRUE(fine->result->ok());  // the channel survived the timeout
  EXPECT_EQ(EventsNamed("RemotingRequestTimeout").size(), 1u);
  EXPECT_EQ(EventsNamed("RemotingResponseUnmatched").size(), 1u);  // the answer at +5 s
  EXPECT_EQ(Client(client).inflight(), 0u);
}

TEST_F(RemotingClientTest, PendingCallsFailWhenThePeerIsKilled) {
  auto server = StartServer(
      {}, [](Runtime&, RemotingServer& s) { RegisterBlackHole(s, RequestCode::PULL_MESSAGE); });
  auto client = StartClient();
  std::vector<std::shared_ptr<CallResult>> calls;
  for (int i = 0; i < 3; ++i) {
    calls.push_back(
        Invoke(client, RemotingCommand::CreateRequest(RequestCode::PULL_MESSAGE), seconds(30)));
  }
  world_.RunFor(seconds(1));
  MonoTime killed_at = world_.now();
  world_.KillProcess(server);
  world_.RunFor(milliseconds(100));
  for (auto& c : calls) {
    ASSERT_TRUE(c->done());
    EXPECT_EQ(c->result->status().code(), StatusCode::kConnectionReset);
    EXPECT_THAT(c->result->status().message(),
                HasSubstr("to 10.0.0.1:9876 failed: connection reset"));
    EXPECT_LT(c->at - killed_at, milliseconds(100));  // at once, not at the timeout
  }
  EXPECT_FALSE(Client(client).IsConnected(kServerAddress));
  EXPECT_EQ(Client(client).inflight(), 0u);
}

TEST_F(RemotingClientTest, ReconnectsAfterTheServerRestarts) {
  auto setup = [](Runtime&, RemotingServer& s) {
    s.RegisterProcessor(RequestCode::HEART_BEAT, [](RemotingCommand r, Responder) {
      return std::optional(r.CreateResponse(ResponseCode::SUCCESS));
    });
  };
  auto server = StartServer({}, setup);
  auto client = StartClient();
  ASSERT_TRUE(InvokeAndWait(client, RemotingCommand::CreateRequest(RequestCode::HEART_BEAT)).ok());
  world_.KillProcess(server);
  world_.RunFor(milliseconds(10));

  auto down = InvokeAndWait(client, RemotingCommand::CreateRequest(RequestCode::HEART_BEAT));
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.status().code(), StatusCode::kConnectionRefused);
  EXPECT_THAT(down.status().message(), HasSubstr("connect to 10.0.0.1:9876"));
  EXPECT_EQ(EventsNamed("RemotingConnectFailed").size(), 1u);

  ASSERT_TRUE(world_.RestartProcess(server).ok());
  world_.RunFor(Duration::zero());
  auto up = InvokeAndWait(client, RemotingCommand::CreateRequest(RequestCode::HEART_BEAT));
  ASSERT_TRUE(up.ok()) << up.status();
  EXPECT_EQ(Client(client).connects_attempted(), 3u);
  EXPECT_EQ(Client(client).connects_failed(), 1u);
}

TEST_F(RemotingClientTest, ConnectTimeoutWhenTheHostIsUnreachable) {
  StartServer();
  auto client = StartClient({.connect_timeout = seconds(3)});
  world_.Partition(a_, b_);
  MonoTime t0 = world_.now();
  auto r =
      InvokeAndWait(client, RemotingCommand::CreateRequest(RequestCode::HEART_BEAT), seconds(10));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kTimeout);
  EXPECT_THAT(r.status().message(), HasSubstr("connect to 10.0.0.1:9876"));
  EXPECT_EQ(world_.now() - t0, seconds(3));

  // A request timeout shorter than the connect timeout wins.
  t0 = world_.now();
  r = InvokeAndWait(client, RemotingCommand::CreateRequest(RequestCode::HEART_BEAT), seconds(1));
  EXPECT_EQ(r.status().code(), StatusCode::kTimeout);
  EXPECT_THAT(r.status().message(), HasSubstr("timed out while connecting"));
  EXPECT_EQ(world_.now() - t0, seconds(1));
}

TEST_F(RemotingClientTest, RequestsWaitingForTheConnectionGoOutInOrder) {
  auto seen = std::make_shared<std::vector<int>>();
  StartServer({}, [seen](Runtime&, RemotingServer& s) {
    s.RegisterProcessor(RequestCode::HEART_BEAT, [seen](RemotingCommand r, Responder) {
      seen->push_back(*r.GetRequiredInt32("i"));
      return std::optional(r.CreateResponse(ResponseCode::SUCCESS));
    });
  });
  auto client = StartClient();
  std::vector<std::shared_ptr<CallResult>> calls;
  for (int i = 0; i < 10; ++i) {
    RemotingCommand req = RemotingCommand::CreateRequest(RequestCode::HEART_BEAT);
    req.SetExtFieldInt("i", i);
    calls.push_back(Invoke(client, req));
  }
  world_.RunFor(seconds(1));
  EXPECT_EQ(*seen, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  for (auto& c : calls) EXPECT_TRUE(c->done() && c->result->ok());
  EXPECT_EQ(Client(client).connects_attempted(), 1u);
}

TEST_F(RemotingClientTest, OnewaySendsAndGetsNothingBack) {
  auto got = std::make_shared<std::vector<RemotingCommand>>();
  StartServer({}, [got](Runtime&, RemotingServer& s) {
    s.RegisterProcessor(RequestCode::UPDATE_CONSUMER_OFFSET, [got](RemotingCommand r, Responder) {
      got->push_back(r);
      return std::optional(r.CreateResponse(ResponseCode::SUCCESS));
    });
  });
  auto client = StartClient();
  auto sent = std::make_shared<std::vector<Status>>();
  for (int i = 0; i < 2; ++i) {
    Client(client).InvokeOneway(
        kServerAddress,
        RemotingCommand::CreateRequest(RequestCode::UPDATE_CONSUMER_OFFSET,
                                       {{"commitOffset", std::to_string(i)}}),
        seconds(3), [sent](const Status& s) { sent->push_back(s); });
  }
  world_.RunFor(seconds(1));
  ASSERT_EQ(sent->size(), 2u);
  EXPECT_TRUE((*sent)[0].ok()) << (*sent)[0];
  EXPECT_TRUE((*sent)[1].ok()) << (*sent)[1];
  ASSERT_EQ(got->size(), 2u);
  EXPECT_TRUE((*got)[0].is_oneway());
  EXPECT_EQ((*got)[0].flag, RemotingCommand::kOnewayFlag);
  EXPECT_EQ(EventsNamed("RemotingResponseUnmatched").size(), 0u);  // nothing came back
  EXPECT_EQ(Client(client).inflight(), 0u);
  // To an address with nothing listening, `sent` reports the failure.
  Client(client).InvokeOneway(Address{"10.0.0.1", 1}, RemotingCommand::CreateRequest(15),
                              seconds(3), [sent](const Status& s) { sent->push_back(s); });
  world_.RunFor(seconds(1));
  ASSERT_EQ(sent->size(), 3u);
  EXPECT_EQ((*sent)[2].code(), StatusCode::kConnectionRefused);
}

TEST_F(RemotingClientTest, InflightMapIsBounded) {
  StartServer({},
              [](Runtime&, RemotingServer& s) { RegisterBlackHole(s, RequestCode::PULL_MESSAGE); });
  auto client = StartClient({.inflight_requests_max = 4});
  std::vector<std::shared_ptr<CallResult>> calls;
  // 6 while connecting (4 wait, 2 refused), then 6 more on the open channel (0 fit).
  for (int i = 0; i < 6; ++i) {
    calls.push_back(
        Invoke(client, RemotingCommand::CreateRequest(RequestCode::PULL_MESSAGE), seconds(30)));
  }
  world_.RunFor(seconds(1));
  for (int i = 0; i < 6; ++i) {
    calls.push_back(
        Invoke(client, RemotingCommand::CreateRequest(RequestCode::PULL_MESSAGE), seconds(30)));
  }
  world_.RunFor(seconds(1));
  int exhausted = 0;
  for (auto& c : calls) {
    if (c->done()) {
      EXPECT_EQ(c->result->status().code(), StatusCode::kResourceExhausted);
      EXPECT_THAT(c->result->status().message(), HasSubstr("(the limit)"));
      ++exhausted;
    }
  }
  EXPECT_EQ(exhausted, 8);
  EXPECT_EQ(Client(client).inflight(), 4u);
  EXPECT_EQ(EventsNamed("RemotingInflightLimit").size(), 8u);
}

TEST_F(RemotingClientTest, CloseChannelFailsPendingAndTheNextCallReconnects) {
  StartServer({}, [](Runtime& rt, RemotingServer& s) {
    RegisterBlackHole(s, RequestCode::PULL_MESSAGE);
    RegisterDelayedEcho(rt, s, RequestCode::HEART_BEAT);
  });
  auto closes = std::make_shared<std::vector<Status>>();
  auto client = StartClient({}, [closes](Runtime&, RemotingClient& c) {
    c.AddCloseListener([closes](const auto& ch, const Status& r) {
      EXPECT_EQ(ch->side(), ChannelSide::kClient);
      closes->push_back(r);
    });
  });
  auto pending =
      Invoke(client, RemotingCommand::CreateRequest(RequestCode::PULL_MESSAGE), seconds(30));
  world_.RunFor(milliseconds(100));
  ASSERT_TRUE(Client(client).IsConnected(kServerAddress));
  Client(client).CloseChannel(kServerAddress);
  world_.RunFor(milliseconds(1));
  ASSERT_TRUE(pending->done());
  EXPECT_EQ(pending->result->status().code(), StatusCode::kClosed);
  EXPECT_THAT(pending->result->status().message(), HasSubstr("closed by CloseChannel"));
  ASSERT_EQ(closes->size(), 1u);
  EXPECT_EQ((*closes)[0].code(), StatusCode::kClosed);
  EXPECT_TRUE(InvokeAndWait(client, RemotingCommand::CreateRequest(RequestCode::HEART_BEAT)).ok());
  EXPECT_EQ(Client(client).connects_attempted(), 2u);
}

TEST_F(RemotingClientTest, ShutdownCancelsEverything) {
  StartServer({},
              [](Runtime&, RemotingServer& s) { RegisterBlackHole(s, RequestCode::PULL_MESSAGE); });
  auto client = StartClient();
  auto pending =
      Invoke(client, RemotingCommand::CreateRequest(RequestCode::PULL_MESSAGE), seconds(30));
  world_.RunFor(milliseconds(100));
  auto waiting = Invoke(client, RemotingCommand::CreateRequest(RequestCode::PULL_MESSAGE),
                        seconds(30), Address{"10.0.0.1", 7777});  // still connecting
  Client(client).Shutdown();
  auto after = Invoke(client, RemotingCommand::CreateRequest(RequestCode::PULL_MESSAGE));
  EXPECT_FALSE(after->done());  // never inside the call
  world_.RunFor(milliseconds(100));
  for (auto* c : {&pending, &waiting, &after}) {
    ASSERT_TRUE((*c)->done());
    EXPECT_EQ((*c)->result->status().code(), StatusCode::kCancelled);
  }
}

TEST_F(RemotingClientTest, CoroutineCall) {
  StartServer({}, [](Runtime& rt, RemotingServer& s) {
    RegisterDelayedEcho(rt, s, RequestCode::GET_ROUTEINFO_BY_TOPIC);
  });
  auto client = StartClient();
  auto codes = std::make_shared<std::vector<int>>();
  auto* svc = world_.service_as<ClientService>(client);
  svc->scope.Spawn([](RemotingClient& c, std::shared_ptr<std::vector<int>> out) -> Task<void> {
    for (int i = 0; i < 3; ++i) {
      RemotingCommand req = RemotingCommand::CreateRequest(RequestCode::GET_ROUTEINFO_BY_TOPIC);
      req.SetExtFieldInt("i", i);
      req.SetExtFieldInt("delayMs", 100);
      StatusOr<RemotingCommand> r = co_await c.Call(kServerAddress, std::move(req), seconds(3));
      out->push_back(r.ok() ? *r->GetRequiredInt32("i") : -1);
    }
    // Named locals, no temporaries inside the co_await expression (GCC 12 coroutine bugs).
    Address nobody{"10.0.0.1", 1};
    RemotingCommand ping = RemotingCommand::CreateRequest(34);
    StatusOr<RemotingCommand> refused = co_await c.Call(nobody, std::move(ping), seconds(3));
    out->push_back(static_cast<int>(refused.status().code()));
  }(svc->client, codes));
  world_.RunFor(seconds(2));
  EXPECT_EQ(*codes, (std::vector<int>{0, 1, 2, static_cast<int>(StatusCode::kConnectionRefused)}));
  EXPECT_EQ(svc->scope.active(), 0u);
}

TEST_F(RemotingClientTest, DestroyedClientRunsNothing) {
  StartServer({},
              [](Runtime&, RemotingServer& s) { RegisterBlackHole(s, RequestCode::PULL_MESSAGE); });
  auto host = Spawn(b_, "host");
  auto client = std::make_unique<RemotingClient>(Rt(host));
  int callbacks = 0;
  client->Invoke(kServerAddress, RemotingCommand::CreateRequest(RequestCode::PULL_MESSAGE),
                 seconds(1), [&callbacks](StatusOr<RemotingCommand>) { ++callbacks; });
  world_.RunFor(milliseconds(100));  // connected, request pending
  client->Invoke(Address{"10.0.0.1", 1}, RemotingCommand::CreateRequest(34), seconds(1),
                 [&callbacks](StatusOr<RemotingCommand>) { ++callbacks; });  // connecting
  client->Invoke(kServerAddress, RemotingCommand::CreateRequest(RequestCode::PULL_MESSAGE),
                 Duration::zero(), [&callbacks](StatusOr<RemotingCommand>) { ++callbacks; });
  client.reset();
  world_.RunFor(seconds(5));
  EXPECT_EQ(callbacks, 0);
}

// Same seed, same history: the digest of a pipelined run with a kill in the middle.
uint64_t RunScenario(uint64_t seed) {
  sim::World world(sim::WorldConfig{.seed = seed});
  auto a = *world.AddMachine({.name = "a", .ip = "10.0.0.1"});
  auto b = *world.AddMachine({.name = "b", .ip = "10.0.0.2"});
  auto server = *world.AddProcess(a, "server", [](Runtime& rt) {
    return std::make_unique<ServerService>(rt, RemotingServerOptions{.listen = kServerAddress},
                                           [](Runtime& r, RemotingServer& s) {
                                             RegisterDelayedEcho(r, s, RequestCode::PULL_MESSAGE);
                                           });
  });
  auto client = *world.AddProcess(b, "client", [](Runtime& rt) {
    return std::make_unique<ClientService>(rt, RemotingClientOptions{}, nullptr);
  });
  EXPECT_TRUE(world.StartProcess(server).ok());
  EXPECT_TRUE(world.StartProcess(client).ok());
  world.RunFor(Duration::zero());
  auto* svc = world.service_as<ClientService>(client);
  for (int i = 0; i < 50; ++i) {
    RemotingCommand req = RemotingCommand::CreateRequest(RequestCode::PULL_MESSAGE);
    req.SetExtFieldInt("i", i);
    req.SetExtFieldInt("delayMs", static_cast<int64_t>(svc->rt.random().Below(200)));
    svc->client.Invoke(kServerAddress, std::move(req), seconds(1), [](auto) {});
  }
  world.RunFor(milliseconds(100));
  world.KillProcess(server);
  world.RunFor(seconds(2));
  return world.digest();
}

TEST(RemotingDeterminismTest, SameSeedSameDigest) {
  EXPECT_EQ(RunScenario(42), RunScenario(42));
  EXPECT_NE(RunScenario(42), RunScenario(43));
}

}  // namespace
}  // namespace rmqsim::remoting::testing
