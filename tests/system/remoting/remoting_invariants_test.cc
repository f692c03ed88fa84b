// The remoting invariants: every request a channel sent completes exactly once (RMQ_ASSERT on the
// bookkeeping, RMQ_SIM_ASSERT on a second completion of one opaque), a response answers a request
// that arrived on its channel and is still unanswered (server side), and no request of ours is
// answered twice (client side); a bogus response from a foreign peer is dropped, as in Java. Each fires on a broken state; a
// BUGGIFY run (delayed responses and callbacks, frames in many small writes) answers everything.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/system/remoting/remoting_test_util.h"

namespace rmqsim::remoting::testing {
namespace {

class RemotingInvariantsDeathTest : public RemotingSimTest {
 protected:
  // Echo server: answers HEART_BEAT at once; for PULL_MESSAGE, answers twice (a broken server);
  // for SEND_MESSAGE, answers an opaque nobody asked for.
  sim::ProcessId StartBrokenServer() {
    return StartServer({}, [](Runtime&, RemotingServer& s) {
      s.RegisterProcessor(RequestCode::HEART_BEAT, [](RemotingCommand request, Responder) {
        return std::optional(request.CreateResponse(ResponseCode::SUCCESS));
      });
      s.RegisterProcessor(RequestCode::PULL_MESSAGE, [](RemotingCommand request, Responder r) {
        RemotingCommand response = request.CreateResponse(ResponseCode::SUCCESS);
        response.opaque = request.opaque;
        response.MarkResponse();
        (void)r.channel()->Send(response);  // bypasses the Responder: a second answer follows
        return std::optional(request.CreateResponse(ResponseCode::SUCCESS));
      });
      s.RegisterProcessor(RequestCode::SEND_MESSAGE, [](RemotingCommand request, Responder r) {
        RemotingCommand response = request.CreateResponse(ResponseCode::SUCCESS);
        response.opaque = request.opaque + 1000;
        response.MarkResponse();
        (void)r.channel()->SendResponse(response);
        return std::optional<RemotingCommand>();
      });
    });
  }
};

TEST_F(RemotingInvariantsDeathTest, BookkeepingOfARequestsLife) {
  StartBrokenServer();
  auto client = StartClient();
  auto ok = InvokeAndWait(client, RemotingCommand::CreateRequest(RequestCode::HEART_BEAT));
  ASSERT_TRUE(ok.ok()) << ok.status();
  auto channel = Client(client).FindChannel(kServerAddress);
  ASSERT_NE(channel, nullptr);
  EXPECT_EQ(channel->requests_registered(), 1u);
  EXPECT_EQ(channel->requests_retired(), 1u);
}

TEST_F(RemotingInvariantsDeathTest, ARequestCompletedTwiceFires) {
  StartBrokenServer();
  auto client = StartClient();
  ASSERT_TRUE(InvokeAndWait(client, RemotingCommand::CreateRequest(RequestCode::HEART_BEAT)).ok());
  auto channel = Client(client).FindChannel(kServerAddress);
  ASSERT_NE(channel, nullptr);
  // Opaque 500 times out once (legal), then is registered again and times out a second time.
  channel->InjectPendingForTesting(500, RequestCode::HEART_BEAT, seconds(1), [](auto) {});
  world_.RunFor(seconds(2));
  EXPECT_DEATH(
      {
        channel->InjectPendingForTesting(500, RequestCode::HEART_BEAT, seconds(1), [](auto) {});
        world_.RunFor(seconds(2));
      },
      "request opaque 500 to 10.0.0.1:9876 .* completed twice");
}

TEST_F(RemotingInvariantsDeathTest, AServerAnsweringTwiceFires) {
  StartBrokenServer();
  auto client = StartClient();
  ASSERT_TRUE(InvokeAndWait(client, RemotingCommand::CreateRequest(RequestCode::HEART_BEAT)).ok());
  EXPECT_DEATH(
      (void)InvokeAndWait(client, RemotingCommand::CreateRequest(RequestCode::PULL_MESSAGE)),
      "response with opaque 1 .* answers a request that a response already completed");
}

TEST_F(RemotingInvariantsDeathTest, ABogusResponseFromAForeignPeerIsDropped) {
  auto server = StartBrokenServer();
  // A foreign peer sends a RESPONSE nobody asked for: dropped and traced, as Java does.
  auto raw_process = Spawn(b_, "raw");
  auto conn = ConnectFrom(raw_process, kServerAddress);
  ASSERT_TRUE(conn.ok()) << conn.status();
  Svc(raw_process)->connections.push_back(*conn);
  RemotingCommand bogus = RemotingCommand::CreateResponseCommand(ResponseCode::SUCCESS);
  bogus.opaque = 77;
  ASSERT_TRUE((*conn)->Send(AsBytes(EncodeOrDie(bogus))).ok());
  world_.RunFor(seconds(1));
  EXPECT_EQ(EventsNamed("RemotingResponseUnmatched").size(), 1u);
  EXPECT_EQ(Server(server).channel_count(), 1u);
}

TEST_F(RemotingInvariantsDeathTest, AResponseToNoRequestFires) {
  StartBrokenServer();
  auto client = StartClient();
  EXPECT_DEATH(
      (void)InvokeAndWait(client, RemotingCommand::CreateRequest(RequestCode::SEND_MESSAGE)),
      "response with opaque 1000 .* answers no unanswered request received on this channel");
}

// A world with BUGGIFY on: the channel sites (responses up to 300 ms late, callbacks up to
// 200 ms late, frames in 1..16-byte writes) fire, and every one of many pipelined requests still
// gets its own answer exactly once.
class BuggifyRun : public RemotingSimTest {
 public:
  explicit BuggifyRun(uint64_t seed)
      : RemotingSimTest(sim::WorldConfig{.seed = seed, .buggify = true}) {}
  void TestBody() override {}

  // Returns the number of BUGGIFY firings; counts wrong or repeated answers in `wrong`.
  uint64_t Go(int* wrong) {
    constexpr int kRequests = 300;
    StartServer({}, [](Runtime&, RemotingServer& s) {
      s.RegisterProcessor(RequestCode::PULL_MESSAGE, [](RemotingCommand request, Responder) {
        RemotingCommand response = request.CreateResponse(ResponseCode::SUCCESS);
        if (const auto* i = request.FindExtField("i")) response.SetExtField("i", *i);
        response.body = std::string(static_cast<size_t>(request.opaque % 50), 'x');
        return std::optional(response);
      });
    });
    auto client = StartClient();
    auto answers = std::make_shared<std::vector<int>>(kRequests, 0);
    for (int i = 0; i < kRequests; ++i) {
      RemotingCommand req = RemotingCommand::CreateRequest(RequestCode::PULL_MESSAGE);
      req.SetExtFieldInt("i", i);
      Client(client).Invoke(kServerAddress, std::move(req), seconds(10),
                            [answers, wrong, i](StatusOr<RemotingCommand> r) {
                              if (!r.ok() || *r->GetRequiredInt32("i") != i) ++*wrong;
                              ++(*answers)[static_cast<size_t>(i)];
                            });
      if (i % 10 == 0) world_.RunFor(milliseconds(7));
    }
    world_.RunFor(seconds(11));
    for (int n : *answers) *wrong += n == 1 ? 0 : 1;
    return world_.buggify().firings();
  }
};

TEST(RemotingBuggify, EveryRequestAnsweredOnceUnderBuggify) {
  uint64_t firings = 0;
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    int wrong = 0;
    firings += BuggifyRun(seed).Go(&wrong);
    EXPECT_EQ(wrong, 0) << "seed " << seed;
  }
  EXPECT_GT(firings, 0u);
}

}  // namespace
}  // namespace rmqsim::remoting::testing
