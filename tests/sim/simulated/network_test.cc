#include "sim/simulated/network.h"

#include <gtest/gtest.h>

#include "tests/testing/sim_testing.h"

namespace rmqsim::sim {
namespace {

using testing::Bytes;
using testing::StartLogging;
using testing::StreamLog;

class NetworkTest : public testing::TwoMachineWorld {
 protected:
  // Server on a:9000, client process on b, one connection; both ends logged.
  void Connect() {
    server_ = SpawnLoggingServer(&server_logs_, &accepted_);
    client_ = Spawn(b_, "client");
    auto c = ConnectFrom(client_);
    ASSERT_TRUE(c.ok()) << c.status();
    conn_ = *c;
    client_log_ = std::make_shared<StreamLog>();
    StartLogging(conn_, client_log_);
    world_.RunFor(milliseconds(10));
    ASSERT_EQ(server_logs_.size(), 1u);
  }
  std::shared_ptr<StreamLog> ServerLog() { return server_logs_.at(0); }

  ProcessId server_, client_;
  std::vector<std::shared_ptr<StreamLog>> server_logs_;
  std::vector<std::shared_ptr<Connection>> accepted_;
  std::shared_ptr<Connection> conn_;
  std::shared_ptr<StreamLog> client_log_;
};

TEST_F(NetworkTest, BytesFlowBothWaysInOrder) {
  Connect();
  std::string big;
  for (int i = 0; i < 200000; ++i) big.push_back(static_cast<char>('a' + i % 26));
  ASSERT_TRUE(conn_->Send(Bytes("hello ")).ok());
  ASSERT_TRUE(conn_->Send(Bytes(big)).ok());
  ASSERT_TRUE(accepted_[0]->Send(Bytes("pong")).ok());
  world_.RunFor(seconds(1));
  EXPECT_EQ(ServerLog()->data, "hello " + big);
  EXPECT_EQ(client_log_->data, "pong");
  EXPECT_EQ(conn_->buffered_bytes(), 0u);
  EXPECT_EQ(conn_->peer_address().ToString(), "10.0.0.1:9000");
  EXPECT_EQ(accepted_[0]->peer_address(), conn_->local_address());
}

TEST_F(NetworkTest, WritesAreSplitAndMergedArbitrarily) {
  Connect();
  // Count the reads the server sees for many small writes sent at different instants.
  for (int i = 0; i < 200; ++i) {
    std::string chunk(1 + (i * 37) % 3000, static_cast<char>('A' + i % 26));
    ASSERT_TRUE(conn_->Send(Bytes(chunk)).ok());
    if (i % 3 == 0) world_.RunFor(microseconds(50));
  }
  size_t before = world_.network().segments_delivered();
  world_.RunFor(seconds(1));
  size_t segments = world_.network().segments_delivered() - before;
  // 200 writes do not map to 200 segments: some were cut, some coalesced.
  EXPECT_NE(segments, 200u);
  EXPECT_GT(segments, 10u);
}

TEST_F(NetworkTest, KillResetsPeersAtOnce) {
  Connect();
  world_.KillProcess(server_);
  world_.RunFor(milliseconds(5));  // one network latency
  ASSERT_TRUE(client_log_->closed());
  EXPECT_EQ(client_log_->closes[0].code(), StatusCode::kConnectionReset);
  EXPECT_FALSE(conn_->is_open());
  EXPECT_EQ(conn_->Send(Bytes("x")).code(), StatusCode::kClosed);
}

TEST_F(NetworkTest, PowerLossIsSilenceThenResetAfterReboot) {
  Connect();
  world_.PowerOff(a_);
  world_.RunFor(seconds(60));
  EXPECT_FALSE(client_log_->closed());  // nobody tells the client
  ASSERT_TRUE(conn_->Send(Bytes("anyone there?")).ok());
  world_.RunFor(seconds(60));
  EXPECT_FALSE(client_log_->closed());  // bytes stall while the machine is off
  EXPECT_GT(conn_->buffered_bytes(), 0u);
  world_.PowerOn(a_);
  world_.RunFor(milliseconds(10));
  ASSERT_TRUE(client_log_->closed());  // the rebooted kernel answers with a reset
  EXPECT_EQ(client_log_->closes[0].code(), StatusCode::kConnectionReset);
}

TEST_F(NetworkTest, PartitionStallsBytesUntilHeal) {
  Connect();
  world_.Partition(a_, b_);
  ASSERT_TRUE(conn_->Send(Bytes("during")).ok());
  world_.RunFor(seconds(30));
  EXPECT_EQ(ServerLog()->data, "");
  EXPECT_FALSE(client_log_->closed());
  EXPECT_FALSE(ServerLog()->closed());
  world_.Heal(a_, b_);
  world_.RunFor(milliseconds(10));
  EXPECT_EQ(ServerLog()->data, "during");
}

TEST_F(NetworkTest, OneWayPartition) {
  Connect();
  world_.PartitionOneWay(b_, a_);
  ASSERT_TRUE(conn_->Send(Bytes("to-a")).ok());
  ASSERT_TRUE(accepted_[0]->Send(Bytes("to-b")).ok());
  world_.RunFor(seconds(1));
  EXPECT_EQ(ServerLog()->data, "");
  EXPECT_EQ(client_log_->data, "to-b");
  world_.HealAll();
  world_.RunFor(seconds(1));
  EXPECT_EQ(ServerLog()->data, "to-a");
}

TEST_F(NetworkTest, ClogDelaysButDelivers) {
  Connect();
  world_.Clog(a_, b_, seconds(5));
  ASSERT_TRUE(conn_->Send(Bytes("slow")).ok());
  world_.RunFor(seconds(4));
  EXPECT_EQ(ServerLog()->data, "");
  world_.RunFor(seconds(2));
  EXPECT_EQ(ServerLog()->data, "slow");
}

TEST_F(NetworkTest, BoundedSendBufferFillsWhenThePeerIsUnreachable) {
  Connect();
  conn_->SetSendBufferLimit(64 * 1024);
  world_.Partition(a_, b_);
  std::string chunk(16 * 1024, 'x');
  int accepted = 0;
  Status last;
  for (int i = 0; i < 10; ++i) {
    last = conn_->Send(Bytes(chunk));
    if (last.ok()) ++accepted;
  }
  EXPECT_EQ(accepted, 4);
  EXPECT_EQ(last.code(), StatusCode::kResourceExhausted);
  world_.Heal(a_, b_);
  world_.RunFor(seconds(1));
  EXPECT_EQ(ServerLog()->data.size(), 4u * chunk.size());
  EXPECT_TRUE(conn_->Send(Bytes(chunk)).ok());  // space again
}

TEST_F(NetworkTest, OrderlyCloseDeliversDataThenEof) {
  Connect();
  ASSERT_TRUE(conn_->Send(Bytes("last words")).ok());
  conn_->Close();
  EXPECT_EQ(conn_->Send(Bytes("more")).code(), StatusCode::kClosed);
  world_.RunFor(seconds(1));
  EXPECT_EQ(ServerLog()->data, "last words");
  ASSERT_TRUE(ServerLog()->closed());
  EXPECT_EQ(ServerLog()->closes[0].code(), StatusCode::kClosed);
  EXPECT_FALSE(client_log_->closed());  // no callbacks after a local close
}

TEST_F(NetworkTest, ResetDropsQueuedData) {
  Connect();
  world_.Partition(a_, b_);
  ASSERT_TRUE(conn_->Send(Bytes("never")).ok());
  conn_->Reset();
  world_.Heal(a_, b_);
  world_.RunFor(seconds(1));
  EXPECT_EQ(ServerLog()->data, "");
  ASSERT_TRUE(ServerLog()->closed());
  EXPECT_EQ(ServerLog()->closes[0].code(), StatusCode::kConnectionReset);
}

TEST_F(NetworkTest, ConnectionRefusedWhenNothingListens) {
  client_ = Spawn(b_, "client");
  auto c = ConnectFrom(client_, Address{"10.0.0.1", 9999});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kConnectionRefused);
}

TEST_F(NetworkTest, ConnectTimesOutWhenHostIsDownOrUnreachable) {
  SpawnLoggingServer(&server_logs_, &accepted_);
  client_ = Spawn(b_, "client");
  world_.Partition(a_, b_);
  MonoTime t0 = world_.now();
  auto c = ConnectFrom(client_, Address{"10.0.0.1", 9000}, seconds(2));
  EXPECT_EQ(c.status().code(), StatusCode::kTimeout);
  EXPECT_EQ(world_.now() - t0, seconds(2));
  world_.HealAll();
  auto nobody = ConnectFrom(client_, Address{"10.9.9.9", 9000}, seconds(1));
  EXPECT_EQ(nobody.status().code(), StatusCode::kTimeout);
  world_.PowerOff(a_);
  auto down = ConnectFrom(client_, Address{"10.0.0.1", 9000}, seconds(1));
  EXPECT_EQ(down.status().code(), StatusCode::kTimeout);
}

TEST_F(NetworkTest, BadListenAndConnectArguments) {
  auto p = Spawn(a_, "p");
  Network& net = world_.runtime(p)->network();
  auto l1 = net.Listen(Address{"10.0.0.1", 9000}, [](auto) {});
  ASSERT_TRUE(l1.ok());
  auto l2 = net.Listen(Address{"0.0.0.0", 9000}, [](auto) {});
  EXPECT_EQ(l2.status().code(), StatusCode::kAlreadyExists);
  EXPECT_NE(l2.status().message().find("already in use"), std::string::npos);
  auto foreign = net.Listen(Address{"10.0.0.2", 9001}, [](auto) {});
  EXPECT_EQ(foreign.status().code(), StatusCode::kInvalidArgument);
  auto ephemeral = net.Listen(Address{"0.0.0.0", 0}, [](auto) {});
  ASSERT_TRUE(ephemeral.ok());
  EXPECT_NE((*ephemeral)->address().port, 0);
  auto c = ConnectFrom(p, Address{"10.0.0.2", 0});
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  // Closing a listener frees the port.
  (*l1)->Close();
  EXPECT_TRUE(net.Listen(Address{"10.0.0.1", 9000}, [](auto) {}).ok());
}

TEST_F(NetworkTest, LoopbackWithinAMachine) {
  SpawnLoggingServer(&server_logs_, &accepted_);
  auto local = Spawn(a_, "local-client");
  auto c = ConnectFrom(local, Address{"127.0.0.1", 9000});
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE((*c)->Send(Bytes("lo")).ok());
  world_.Partition(a_, b_);  // irrelevant to loopback
  world_.RunFor(milliseconds(1));
  EXPECT_EQ(server_logs_.at(0)->data, "lo");
}

TEST_F(NetworkTest, DataBeforeStartIsBuffered) {
  std::vector<std::shared_ptr<Connection>> held;
  auto server = Spawn(a_, "server", [&held](testing::ScriptedService& s) {
    auto l = s.rt.network().Listen(Address{"10.0.0.1", 9000},
                                   [&held](std::shared_ptr<Connection> c) { held.push_back(c); });
    s.listener = std::move(*l);
    return Status::Ok();
  });
  client_ = Spawn(b_, "client");
  auto c = ConnectFrom(client_);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->Send(Bytes("early")).ok());
  (*c)->Close();
  world_.RunFor(seconds(1));
  ASSERT_EQ(held.size(), 1u);
  auto log = std::make_shared<StreamLog>();
  StartLogging(held[0], log);
  EXPECT_EQ(log->data, "");  // delivered on the executor, not inside Start
  world_.RunFor(Duration::zero());
  EXPECT_EQ(log->data, "early");
  ASSERT_TRUE(log->closed());
  (void)server;
}

// A 10 MB transfer over a 10 MB/s link takes about a second of virtual time.
TEST(NetworkBandwidth, TransferTimeFollowsTheLinkBandwidth) {
  World w({.seed = 5, .network = {.bandwidth_bytes_per_second = 10'000'000}});
  auto a = *w.AddMachine({.name = "a", .ip = "10.0.0.1"});
  auto b = *w.AddMachine({.name = "b", .ip = "10.0.0.2"});
  std::shared_ptr<Connection> server, client;
  size_t received = 0;
  MonoTime done{};
  auto pa = *w.AddProcess(a, "a", [&](Runtime& rt) {
    return std::make_unique<testing::ScriptedService>(rt, [&](testing::ScriptedService& s) {
      s.listener = std::move(*s.rt.network().Listen(Address{"10.0.0.1", 1}, [&](auto c) {
        server = c;
        c->Start([&](std::span<const std::byte> bytes) {
          received += bytes.size();
          if (received == 10'000'000) done = w.now();
        }, [](const Status&) {});
      }));
      return Status::Ok();
    });
  });
  auto pb = *w.AddProcess(b, "b", [](Runtime& rt) {
    return std::make_unique<testing::ScriptedService>(rt, nullptr);
  });
  ASSERT_TRUE(w.StartProcess(pa).ok());
  ASSERT_TRUE(w.StartProcess(pb).ok());
  w.RunFor(Duration::zero());
  w.runtime(pb)->network().Connect(Address{"10.0.0.1", 1}, seconds(1), [&](auto r) {
    client = *r;
  });
  w.RunFor(milliseconds(10));
  ASSERT_NE(client, nullptr);
  MonoTime start = w.now();
  std::string chunk(1'000'000, 'z');
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(client->Send(Bytes(chunk)).ok());
  w.RunFor(seconds(5));
  ASSERT_EQ(received, 10'000'000u);
  EXPECT_GE(done - start, milliseconds(1000));
  EXPECT_LT(done - start, milliseconds(1100));
  client.reset();
  server.reset();
}

TEST_F(NetworkTest, ResetConnectionsBetweenMachines) {
  Connect();
  world_.ResetConnections(a_, b_);
  world_.RunFor(milliseconds(1));
  ASSERT_TRUE(client_log_->closed());
  ASSERT_TRUE(ServerLog()->closed());
  EXPECT_EQ(client_log_->closes[0].code(), StatusCode::kConnectionReset);
}

}  // namespace
}  // namespace rmqsim::sim
