// The proof of the seam: the same echo service code, unchanged, in the simulated world and over
// real loopback TCP with real files.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "scenarios/demo/echo_service.h"
#include "sim/asio/asio_runtime.h"
#include "sim/simulated/world.h"

namespace rmqsim {
namespace {

using demo::EchoClient;
using demo::EchoClientOptions;
using demo::EchoServer;
using demo::EchoServerOptions;

TEST(Seam, EchoServiceInTheSimulatedWorld) {
  sim::World world({.seed = 3});
  auto m1 = *world.AddMachine({.name = "server", .ip = "10.0.0.1"});
  auto m2 = *world.AddMachine({.name = "client", .ip = "10.0.0.2"});
  auto server = *world.AddProcess(m1, "echo", [](Runtime& rt) {
    return std::make_unique<EchoServer>(
        rt, EchoServerOptions{.listen = {"10.0.0.1", 7000}, .log_path = "echo.log"});
  });
  auto client = *world.AddProcess(m2, "client", [](Runtime& rt) {
    EchoClientOptions o;
    o.server = {"10.0.0.1", 7000};
    o.requests = 50;
    return std::make_unique<EchoClient>(rt, o);
  });
  ASSERT_TRUE(world.StartProcess(server).ok());
  ASSERT_TRUE(world.StartProcess(client).ok());
  ASSERT_TRUE(world.RunUntil(
      [&] {
        auto* c = world.service_as<EchoClient>(client);
        return c != nullptr && c->finished();
      },
      MonoTime(minutes(1))));
  const auto& stats = world.service_as<EchoClient>(client)->stats();
  EXPECT_EQ(stats.acked, 50u);
  EXPECT_EQ(world.service_as<EchoServer>(server)->records_logged(), 50u);
}

TEST(Seam, EchoServiceOverRealLoopbackTcp) {
  char tmpl[] = "/tmp/rmqsim-seam-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  {
    real::AsioRuntime rt({.node_name = "seam", .data_dir = dir, .seed = 1,
                          .trace_to_stderr = false});
    EchoServer server(rt, EchoServerOptions{.listen = {"127.0.0.1", 0}, .log_path = "echo.log"});
    ASSERT_TRUE(server.Start().ok());
    EchoClientOptions o;
    o.server = server.address();
    o.requests = 50;
    o.interval = milliseconds(1);
    EchoClient client(rt, o);
    ASSERT_TRUE(client.Start().ok());
    ASSERT_TRUE(rt.RunUntil([&] { return client.finished(); }, seconds(30)));
    EXPECT_EQ(client.stats().acked, 50u);
    EXPECT_EQ(server.records_logged(), 50u);
  }
  // The log is on the real disk, and a new server recovers it.
  {
    real::AsioRuntime rt({.node_name = "seam2", .data_dir = dir, .trace_to_stderr = false});
    EchoServer server(rt, EchoServerOptions{.listen = {"127.0.0.1", 0}, .log_path = "echo.log"});
    ASSERT_TRUE(server.Start().ok());
    EXPECT_EQ(server.recovered().size(), 50u);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace rmqsim
