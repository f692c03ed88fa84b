// The proof of the seam: the same echo service code, unchanged, in the simulated world and over
// real loopback TCP with real files.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "scenarios/demo/echo_service.h"
#include "sim/asio/asio_runtime.h"
#include "sim/runtime/log.h"
#include "sim/simulated/world.h"
#include "tests/testing/sim_testing.h"

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


TEST(Seam, FileLockInTheSimulatedWorld) {
  sim::World world({.seed = 5});
  auto m = *world.AddMachine({.name = "host", .ip = "10.0.0.1"});
  auto other = *world.AddMachine({.name = "other", .ip = "10.0.0.2"});
  auto idle = [](Runtime& rt) { return std::make_unique<testing::ScriptedService>(rt, nullptr); };
  auto a = *world.AddProcess(m, "a", idle);
  auto b = *world.AddProcess(m, "b", idle);
  auto c = *world.AddProcess(other, "c", idle);
  ASSERT_TRUE(world.StartProcess(a).ok());
  ASSERT_TRUE(world.StartProcess(b).ok());
  ASSERT_TRUE(world.StartProcess(c).ok());
  auto held = world.runtime(a)->fs().TryLock("/store/lock");
  ASSERT_FALSE(held.ok());  // the directory does not exist yet
  ASSERT_TRUE(world.runtime(a)->fs().CreateDirectories("/store").ok());
  held = world.runtime(a)->fs().TryLock("/store/lock");
  ASSERT_TRUE(held.ok()) << held.status().ToString();
  EXPECT_TRUE(world.disk(m).Exists("/store/lock"));
  // Another process on the machine, and another handle in the same process, are refused.
  auto second = world.runtime(b)->fs().TryLock("/store/lock");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(world.runtime(a)->fs().TryLock("/store/lock").status().code(),
            StatusCode::kUnavailable);
  // Another machine has its own disk.
  ASSERT_TRUE(world.runtime(c)->fs().CreateDirectories("/store").ok());
  EXPECT_TRUE(world.runtime(c)->fs().TryLock("/store/lock").ok());
  // Releasing the handle frees it.
  held->reset();
  auto by_b = world.runtime(b)->fs().TryLock("/store/lock");
  ASSERT_TRUE(by_b.ok());
  // So does the death of the holder, though its handle still exists.
  world.KillProcess(b);
  ASSERT_TRUE(world.RestartProcess(a).ok());
  EXPECT_TRUE(world.runtime(a)->fs().TryLock("/store/lock").ok());
}

TEST(Seam, FileLockOverRealFiles) {
  char tmpl[] = "/tmp/rmqsim-lock-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  {
    real::AsioRuntime rt1({.node_name = "one", .data_dir = dir, .trace_to_stderr = false});
    real::AsioRuntime rt2({.node_name = "two", .data_dir = dir, .trace_to_stderr = false});
    auto held = rt1.fs().TryLock("lock");
    ASSERT_TRUE(held.ok()) << held.status().ToString();
    auto second = rt2.fs().TryLock("lock");
    ASSERT_FALSE(second.ok());
    EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
    EXPECT_NE(second.status().message().find("locked by another process"), std::string::npos);
    EXPECT_EQ(rt1.fs().TryLock("lock").status().code(), StatusCode::kUnavailable);
    held->reset();
    EXPECT_TRUE(rt2.fs().TryLock("lock").ok());
  }
  std::filesystem::remove_all(dir);
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(Seam, LogLinesGoToTheLogFileAtTheirLevel) {
  char tmpl[] = "/tmp/rmqsim-log-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string file = std::string(tmpl) + "/broker.log";
  {
    real::AsioRuntime rt({.node_name = "broker-a-0",
                          .trace_to_stderr = false,
                          .min_severity = Severity::kWarn,
                          .log_file = file,
                          .log_level = Severity::kInfo});
    EXPECT_TRUE(rt.trace().Enabled(Severity::kInfo));  // kept for the log
    EXPECT_FALSE(rt.trace().Enabled(Severity::kDebug));
    RMQ_LOG_INFO(rt, "RocketmqBroker", "register broker[{}]to name server {} OK", 0, "ns:9876");
    RMQ_LOG_DEBUG(rt, "RocketmqBroker", "not written {}", 1);
    rt.Trace(TraceEvent("StoreDiskFull", Severity::kWarn).Detail("Ratio", 0.97));
    rt.Trace(TraceEvent("BrokerStarted").Detail("Topics", 8));  // an INFO event: no log line
    EXPECT_EQ(rt.trace_events(), 1u);  // only the WARN event reached the trace
  }
  const std::string text = ReadAll(file);
  EXPECT_NE(text.find(" INFO RocketmqBroker - register broker[0]to name server ns:9876 OK\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(" WARN StoreDiskFull Ratio=0.97\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("not written"), std::string::npos) << text;
  EXPECT_EQ(text.find("BrokerStarted"), std::string::npos) << text;
  std::filesystem::remove_all(tmpl);
}

TEST(Seam, LogLinesInTheSimulatedWorldAreTraceEvents) {
  TraceEvent e("Log", Severity::kWarn);
  e.Detail("Logger", "RocketmqStore").Detail("Msg", "truncated 12 bytes");
  EXPECT_EQ(LogLineText(e), "RocketmqStore - truncated 12 bytes");
  EXPECT_EQ(LogLineText(TraceEvent("BrokerStarted")), std::nullopt);
  EXPECT_EQ(LogLineText(TraceEvent("HAConnectionClosed", Severity::kWarn).Detail("Reason", "x"),
                        "broker-a-1"),
            "broker-a-1 HAConnectionClosed Reason=x");
  EXPECT_EQ(ParseLogLevel("WARN"), Severity::kWarn);
  EXPECT_EQ(ParseLogLevel("verbose"), std::nullopt);
}

}  // namespace
}  // namespace rmqsim
