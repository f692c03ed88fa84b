// The remoting layer over real TCP: one RemotingServer and one RemotingClient on an AsioRuntime,
// loopback, port 0. The loop runs until the awaited condition holds, with a generous timeout.
#include <gtest/gtest.h>

#include <optional>

#include "sim/asio/asio_runtime.h"
#include "system/remoting/remoting_client.h"
#include "system/remoting/remoting_server.h"

namespace rmqsim::remoting {
namespace {

constexpr Duration kWait = seconds(10);

real::AsioRuntimeOptions Options() {
  real::AsioRuntimeOptions o;
  o.node_name = "remoting-asio-test";
  o.data_dir = "/tmp";
  o.seed = 7;
  o.trace_to_stderr = false;
  return o;
}

TEST(RemotingAsioTest, RequestResponseRoundTripOverLoopback) {
  real::AsioRuntime rt(Options());
  RemotingServer server(rt, {.listen = Address{"127.0.0.1", 0}});
  server.RegisterProcessor(RequestCode::GET_ROUTEINFO_BY_TOPIC,
                           [](RemotingCommand request, Responder) {
                             RemotingCommand r = request.CreateResponse(ResponseCode::SUCCESS);
                             r.body = "route of " + *request.FindExtField("topic");
                             return std::optional(r);
                           });
  ASSERT_TRUE(server.Start().ok());
  ASSERT_NE(server.address().port, 0);

  RemotingClient client(rt);
  std::optional<StatusOr<RemotingCommand>> json, binary, unknown;
  RemotingCommand req =
      RemotingCommand::CreateRequest(RequestCode::GET_ROUTEINFO_BY_TOPIC, {{"topic", "TopicTest"}});
  req.body = std::string(100000, 'x');  // more than one TCP segment
  client.Invoke(server.address(), req, kWait,
                [&](StatusOr<RemotingCommand> r) { json = std::move(r); });
  req.serialize_type = SerializeType::ROCKETMQ;
  client.Invoke(server.address(), req, kWait,
                [&](StatusOr<RemotingCommand> r) { binary = std::move(r); });
  client.Invoke(server.address(), RemotingCommand::CreateRequest(9999), kWait,
                [&](StatusOr<RemotingCommand> r) { unknown = std::move(r); });
  ASSERT_TRUE(rt.RunUntil([&] { return json && binary && unknown; }, kWait));

  ASSERT_TRUE(json->ok()) << json->status();
  EXPECT_EQ((*json)->code, ResponseCode::SUCCESS);
  EXPECT_EQ((*json)->body, "route of TopicTest");
  EXPECT_EQ((*json)->serialize_type, SerializeType::JSON);
  ASSERT_TRUE(binary->ok()) << binary->status();
  EXPECT_EQ((*binary)->serialize_type, SerializeType::ROCKETMQ);
  ASSERT_TRUE(unknown->ok()) << unknown->status();
  EXPECT_EQ((*unknown)->code, ResponseCode::REQUEST_CODE_NOT_SUPPORTED);
  EXPECT_EQ(server.channel_count(), 1u);

  // A reset from the server side fails what is pending.
  server.RegisterProcessor(RequestCode::PULL_MESSAGE, [](RemotingCommand, Responder) {
    return std::optional<RemotingCommand>();
  });
  std::optional<StatusOr<RemotingCommand>> parked;
  client.Invoke(server.address(), RemotingCommand::CreateRequest(RequestCode::PULL_MESSAGE), kWait,
                [&](StatusOr<RemotingCommand> r) { parked = std::move(r); });
  ASSERT_TRUE(rt.RunUntil([&] { return server.dispatcher().requests_dispatched() == 4; }, kWait));
  server.Shutdown();
  ASSERT_TRUE(rt.RunUntil([&] { return parked.has_value(); }, kWait));
  EXPECT_FALSE(parked->ok());
  EXPECT_EQ(parked->status().code(), StatusCode::kClosed) << parked->status();
}

}  // namespace
}  // namespace rmqsim::remoting
