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

// ------------------------------------------------------------------ a process connected to itself

// One process on `a` listens on 9100 and connects to itself, so it holds both ends of one
// connection (a broker's HA client to its own port does this). Its service owns both handles.
class SelfConnectionTest : public testing::TwoMachineWorld {
 protected:
  void SetUp() override {
    self_ = Spawn(a_, "self", [this](testing::ScriptedService& s) {
      auto l = s.rt.network().Listen(Address{"0.0.0.0", 9100}, [this, &s](auto c) {
        s.connections.push_back(c);
        accepted_ = c;
      });
      if (!l.ok()) return l.status();
      s.listener = std::move(*l);
      return Status::Ok();
    });
  }
  // Connects (to 127.0.0.1 or to the machine's own address) and runs until both ends exist.
  void ConnectToSelf(const std::string& host) {
    size_t before = world_.network().open_connections();
    accepted_.reset();
    auto c = ConnectFrom(self_, Address{host, 9100});
    ASSERT_TRUE(c.ok()) << c.status();
    client_ = *c;
    Svc(self_)->connections.push_back(client_);
    world_.RunFor(milliseconds(1));
    ASSERT_NE(accepted_, nullptr);
    ASSERT_EQ(world_.network().open_connections(), before + 1);
  }
  void ReleaseHandles() {
    client_.reset();
    accepted_.reset();
  }

  ProcessId self_;
  std::shared_ptr<Connection> client_, accepted_;
};

TEST_F(SelfConnectionTest, KillWithBothEndsOpen) {
  for (std::string host : {"127.0.0.1", "10.0.0.1"}) {
    SCOPED_TRACE(host);
    if (!world_.IsRunning(self_)) {
      ASSERT_TRUE(world_.StartProcess(self_).ok());
      world_.RunFor(Duration::zero());
    }
    ConnectToSelf(host);
    auto log_c = std::make_shared<StreamLog>(), log_s = std::make_shared<StreamLog>();
    StartLogging(client_, log_c);
    StartLogging(accepted_, log_s);
    ASSERT_TRUE(client_->Send(Bytes("in flight")).ok());
    world_.KillProcess(self_);
    ReleaseHandles();
    world_.RunFor(milliseconds(10));
    EXPECT_FALSE(log_c->closed());  // the dead get no callbacks
    EXPECT_FALSE(log_s->closed());
    EXPECT_EQ(world_.network().open_connections(), 0u);
  }
}

// The endpoint the kill closes first is the last open one, so closing it erases the connection;
// the kill must not look at the erased connection's other end afterwards.
TEST_F(SelfConnectionTest, KillWhenTheAcceptedEndIsAlreadyClosed) {
  ConnectToSelf("127.0.0.1");
  accepted_->Close();  // the client end (side 0) is not started: the FIN waits for it
  world_.RunFor(milliseconds(1));
  ASSERT_EQ(world_.network().open_connections(), 1u);
  world_.KillProcess(self_);
  EXPECT_EQ(world_.network().open_connections(), 0u);
  ReleaseHandles();
  world_.RunFor(milliseconds(10));
  EXPECT_EQ(world_.network().open_connections(), 0u);
}

TEST_F(SelfConnectionTest, KillWhenTheConnectingEndIsAlreadyClosed) {
  ConnectToSelf("10.0.0.1");
  client_->Close();  // the accepted end (side 1) is not started: the FIN waits for it
  world_.RunFor(milliseconds(1));
  ASSERT_EQ(world_.network().open_connections(), 1u);
  world_.KillProcess(self_);
  ReleaseHandles();
  world_.RunFor(milliseconds(10));
  EXPECT_EQ(world_.network().open_connections(), 0u);
}

TEST_F(SelfConnectionTest, GracefulExitWithBothEndsOpenOrHalfClosed) {
  ConnectToSelf("127.0.0.1");
  ConnectToSelf("127.0.0.1");  // a second connection, half closed
  ASSERT_EQ(world_.network().open_connections(), 2u);
  accepted_->Close();
  world_.RunFor(milliseconds(1));
  // The service's destructor drops its handles (closing them), then the exit closes the rest.
  world_.StopProcess(self_);
  ReleaseHandles();
  world_.RunFor(milliseconds(10));
  EXPECT_EQ(world_.process_state(self_), ProcessState::kExited);
  EXPECT_EQ(world_.network().open_connections(), 0u);
}

TEST_F(SelfConnectionTest, PowerLossWithBothEndsAndRestart) {
  ConnectToSelf("127.0.0.1");
  ASSERT_TRUE(client_->Send(Bytes("lost")).ok());
  ConnectToSelf("10.0.0.1");
  accepted_->Close();
  world_.PowerOff(a_);
  ReleaseHandles();
  world_.RunFor(seconds(1));
  world_.PowerOn(a_);
  ASSERT_TRUE(world_.StartProcess(self_).ok());
  world_.RunFor(seconds(1));
  // Nothing of the old incarnation is left, and the new one can connect to itself again.
  EXPECT_EQ(world_.network().open_connections(), 0u);
  ConnectToSelf("127.0.0.1");
}

// A kill at the instant a delivery was posted to the victim purges that delivery: the connection
// must still go away once the peer has seen the reset.
TEST_F(NetworkTest, KillWithADeliveryPostedLeavesNoConnectionBehind) {
  std::vector<std::shared_ptr<Connection>> held;
  server_ = Spawn(a_, "server", [&held](testing::ScriptedService& s) {
    auto l = s.rt.network().Listen(Address{"10.0.0.1", 9000}, [&held, &s](auto c) {
      held.push_back(c);
      s.connections.push_back(c);
    });
    s.listener = std::move(*l);
    return Status::Ok();
  });
  client_ = Spawn(b_, "client");
  auto c = ConnectFrom(client_);
  ASSERT_TRUE(c.ok());
  auto log = std::make_shared<StreamLog>();
  StartLogging(*c, log);
  ASSERT_TRUE((*c)->Send(Bytes("early")).ok());
  world_.RunFor(milliseconds(10));
  ASSERT_EQ(held.size(), 1u);
  StartLogging(held[0], std::make_shared<StreamLog>());  // posts the delivery of "early"
  world_.KillProcess(server_);                           // ...which dies with the process
  held.clear();
  world_.RunFor(milliseconds(10));
  ASSERT_TRUE(log->closed());
  EXPECT_EQ(log->closes[0].code(), StatusCode::kConnectionReset);
  c->reset();
  EXPECT_EQ(world_.network().open_connections(), 0u);
}

// Power loss on both machines of a connection: nobody is left to tell, and nothing stays behind.
TEST_F(NetworkTest, PowerLossOfBothEndsLeavesNoConnectionBehind) {
  Connect();
  ASSERT_TRUE(conn_->Send(Bytes("on the wire")).ok());
  world_.PowerOff(a_);
  world_.PowerOff(b_);
  conn_.reset();
  accepted_.clear();
  world_.RunFor(seconds(1));
  world_.PowerOn(a_);
  world_.PowerOn(b_);
  world_.RunFor(seconds(1));
  EXPECT_EQ(world_.network().open_connections(), 0u);
}

// ------------------------------------------------------------------ counted link blocks

class LinkBlockTest : public NetworkTest {
 protected:
  LinkBlockTest() { c_ = *world_.AddMachine({.name = "c", .ip = "10.0.0.3"}); }
  uint32_t Blocks(MachineId from, MachineId to) {
    return world_.network().LinkBlockCount(from, to);
  }
  int TraceCount(std::string_view name) {
    int n = 0;
    for (const auto& e : world_.trace_events()) n += e.event.name() == name ? 1 : 0;
    return n;
  }
  MachineId c_;
};

TEST_F(LinkBlockTest, OverlappingIsolateAndPartitionEachHealOnlyTheirOwnBlocks) {
  Connect();
  for (bool isolate_heals_first : {true, false}) {
    SCOPED_TRACE(isolate_heals_first ? "isolate heals first" : "partition heals first");
    std::string sent = ServerLog()->data;
    world_.Isolate(a_);
    world_.Partition(a_, b_);
    EXPECT_EQ(Blocks(a_, b_), 2u);
    EXPECT_EQ(Blocks(b_, a_), 2u);
    EXPECT_EQ(Blocks(a_, c_), 1u);
    EXPECT_EQ(Blocks(c_, a_), 1u);
    EXPECT_EQ(Blocks(b_, c_), 0u);
    ASSERT_TRUE(conn_->Send(Bytes("x")).ok());
    if (isolate_heals_first) {
      world_.Unisolate(a_);
      EXPECT_FALSE(world_.network().IsLinkBlocked(a_, c_));
      EXPECT_FALSE(world_.network().IsLinkBlocked(c_, a_));
    } else {
      world_.Unpartition(a_, b_);
      EXPECT_TRUE(world_.network().IsLinkBlocked(a_, c_));
    }
    // The other fault still cuts a <-> b.
    EXPECT_EQ(Blocks(a_, b_), 1u);
    EXPECT_EQ(Blocks(b_, a_), 1u);
    world_.RunFor(seconds(5));
    EXPECT_EQ(ServerLog()->data, sent);
    if (isolate_heals_first) {
      world_.Unpartition(a_, b_);
    } else {
      world_.Unisolate(a_);
    }
    for (MachineId x : {a_, b_, c_}) {
      for (MachineId y : {a_, b_, c_}) EXPECT_EQ(Blocks(x, y), 0u);
    }
    world_.RunFor(milliseconds(10));
    EXPECT_EQ(ServerLog()->data, sent + "x");
  }
}

TEST_F(LinkBlockTest, OneWayInsideTwoWay) {
  Connect();
  world_.Partition(a_, b_);
  world_.PartitionOneWay(b_, a_);
  EXPECT_EQ(Blocks(a_, b_), 1u);
  EXPECT_EQ(Blocks(b_, a_), 2u);
  ASSERT_TRUE(conn_->Send(Bytes("to-a")).ok());
  ASSERT_TRUE(accepted_[0]->Send(Bytes("to-b")).ok());
  world_.Unpartition(a_, b_);
  world_.RunFor(seconds(1));
  EXPECT_EQ(client_log_->data, "to-b");  // a -> b is open again
  EXPECT_EQ(ServerLog()->data, "");      // b -> a is still cut one way
  world_.UnpartitionOneWay(b_, a_);
  world_.RunFor(milliseconds(10));
  EXPECT_EQ(ServerLog()->data, "to-a");
}

TEST_F(LinkBlockTest, HealClearsEveryBlockBetweenTwoMachines) {
  Connect();
  world_.Isolate(a_);
  world_.Partition(a_, b_);
  world_.PartitionOneWay(b_, a_);
  ASSERT_TRUE(conn_->Send(Bytes("healed")).ok());
  world_.Heal(a_, b_);
  EXPECT_EQ(Blocks(a_, b_), 0u);
  EXPECT_EQ(Blocks(b_, a_), 0u);
  EXPECT_EQ(Blocks(a_, c_), 1u);  // Heal(a, b) leaves the isolate's other links alone
  world_.RunFor(milliseconds(10));
  EXPECT_EQ(ServerLog()->data, "healed");
  // The matching Un- calls after a Heal find nothing to remove on a <-> b: counts stay at 0.
  world_.Unpartition(a_, b_);
  world_.UnpartitionOneWay(b_, a_);
  EXPECT_EQ(Blocks(a_, b_), 0u);
  EXPECT_EQ(Blocks(b_, a_), 0u);
  world_.Partition(a_, b_);
  EXPECT_EQ(Blocks(a_, b_), 1u);  // a fresh fault counts from zero
  world_.HealAll();
  for (MachineId x : {a_, b_, c_}) {
    for (MachineId y : {a_, b_, c_}) EXPECT_EQ(Blocks(x, y), 0u);
  }
  // HealAll forgot the isolate: a later Unisolate removes nothing a new fault added.
  world_.Partition(a_, c_);
  world_.Unisolate(a_);
  EXPECT_EQ(Blocks(a_, c_), 1u);
  EXPECT_EQ(Blocks(c_, a_), 1u);
}

TEST_F(LinkBlockTest, TraceOnlyWhenALinkChangesState) {
  int blocked0 = TraceCount("LinkBlocked"), healed0 = TraceCount("LinkHealed");
  world_.Partition(a_, b_);  // 0 -> 1 both ways
  EXPECT_EQ(TraceCount("LinkBlocked") - blocked0, 2);
  world_.Partition(a_, b_);  // 1 -> 2: no change of state
  world_.PartitionOneWay(a_, b_);
  EXPECT_EQ(TraceCount("LinkBlocked") - blocked0, 2);
  world_.Unpartition(a_, b_);  // a -> b: 3 -> 2, b -> a: 2 -> 1
  world_.Unpartition(a_, b_);  // a -> b: 2 -> 1, b -> a: 1 -> 0
  EXPECT_EQ(TraceCount("LinkHealed") - healed0, 1);
  world_.UnpartitionOneWay(a_, b_);  // 1 -> 0
  EXPECT_EQ(TraceCount("LinkHealed") - healed0, 2);
  world_.UnpartitionOneWay(a_, b_);  // unmatched: nothing to remove, nothing traced
  world_.Heal(a_, b_);
  EXPECT_EQ(TraceCount("LinkHealed") - healed0, 2);
  EXPECT_EQ(Blocks(a_, b_), 0u);
  // A machine's link to itself is never cut.
  world_.PartitionOneWay(a_, a_);
  world_.Partition(b_, b_);
  EXPECT_EQ(Blocks(a_, a_), 0u);
  EXPECT_EQ(Blocks(b_, b_), 0u);
}

TEST_F(LinkBlockTest, UnisolateUndoesExactlyTheLinksItsIsolateCut) {
  world_.Isolate(a_);  // a, b, c exist: cuts a <-> b, a <-> c
  auto d = *world_.AddMachine({.name = "d", .ip = "10.0.0.4"});
  world_.Isolate(a_);  // now also a <-> d
  world_.Partition(a_, d);
  EXPECT_EQ(Blocks(a_, b_), 2u);
  EXPECT_EQ(Blocks(a_, d), 2u);
  world_.Unisolate(a_);
  world_.Unisolate(a_);
  world_.Unisolate(a_);  // none outstanding: nothing
  EXPECT_EQ(Blocks(a_, b_), 0u);
  EXPECT_EQ(Blocks(c_, a_), 0u);
  EXPECT_EQ(Blocks(a_, d), 1u);  // the partition's block remains
  EXPECT_EQ(Blocks(d, a_), 1u);
}

// Same seed, same overlapping faults: the same run, event for event.
TEST(LinkBlockDeterminism, OverlappingFaultsReplayIdentically) {
  auto run = [](uint64_t seed) {
    World w({.seed = seed});
    auto a = *w.AddMachine({.name = "a", .ip = "10.0.0.1"});
    auto b = *w.AddMachine({.name = "b", .ip = "10.0.0.2"});
    auto c = *w.AddMachine({.name = "c", .ip = "10.0.0.3"});
    std::string received;
    std::shared_ptr<Connection> client;
    auto server = *w.AddProcess(a, "server", [&](Runtime& rt) {
      return std::make_unique<testing::ScriptedService>(rt, [&](testing::ScriptedService& s) {
        s.listener = std::move(*s.rt.network().Listen(Address{"10.0.0.1", 1}, [&](auto conn) {
          s.connections.push_back(conn);
          conn->Start([&](std::span<const std::byte> bytes) {
            received.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
          }, [](const Status&) {});
        }));
        return Status::Ok();
      });
    });
    auto pb = *w.AddProcess(b, "client", [](Runtime& rt) {
      return std::make_unique<testing::ScriptedService>(rt, nullptr);
    });
    EXPECT_TRUE(w.StartProcess(server).ok());
    EXPECT_TRUE(w.StartProcess(pb).ok());
    w.RunFor(Duration::zero());
    w.runtime(pb)->network().Connect(Address{"10.0.0.1", 1}, seconds(1),
                                     [&](auto r) { client = *r; });
    w.RunFor(milliseconds(10));
    EXPECT_NE(client, nullptr);
    for (int i = 0; i < 40; ++i) {
      if (i == 5) w.Isolate(a);
      if (i == 10) w.Partition(a, b);
      if (i == 15) w.Unisolate(a);
      if (i == 20) w.PartitionOneWay(b, a);
      if (i == 25) w.Unpartition(a, b);
      if (i == 30) w.UnpartitionOneWay(b, a);
      if (i == 32) w.Isolate(c);
      (void)client->Send(Bytes("frame-" + std::to_string(i) + ";"));
      w.RunFor(microseconds(300));
    }
    w.HealAll();
    w.RunFor(seconds(1));
    client.reset();
    return std::pair{w.digest(), received};
  };
  auto first = run(11), second = run(11);
  EXPECT_EQ(first, second);
  std::string all;
  for (int i = 0; i < 40; ++i) all += "frame-" + std::to_string(i) + ";";
  EXPECT_EQ(first.second, all);
}

}  // namespace
}  // namespace rmqsim::sim
