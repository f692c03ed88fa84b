// The real runtime on real loopback sockets, real timers and real files. No fixed ports (every
// listener asks for port 0), no sleeps as assertions: the loop runs until the awaited condition
// holds, with a generous timeout, and the test asserts on the condition.
#include "sim/asio/asio_runtime.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/base/limits.h"
#include "sim/base/random.h"
#include "sim/base/status.h"

namespace rmqsim::real {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr Duration kWait = std::chrono::seconds(10);

std::vector<std::byte> Bytes(std::string_view s) {
  std::vector<std::byte> out(s.size());
  std::memcpy(out.data(), s.data(), s.size());
  return out;
}

std::string Text(std::span<const std::byte> b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

AsioRuntimeOptions TestOptions(std::string data_dir = "/tmp") {
  AsioRuntimeOptions o;
  o.node_name = "test-node";
  o.data_dir = std::move(data_dir);
  o.seed = 7;
  o.trace_to_stderr = false;
  return o;
}

// A temporary directory under /tmp, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/rmqsim-asio-test-XXXXXX";
    char* p = ::mkdtemp(tmpl);
    if (p == nullptr) std::abort();
    path_ = p;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// One end of a connection as a test observes it.
struct End {
  std::shared_ptr<Connection> conn;
  std::string received;
  std::optional<Status> closed;
  int data_calls = 0;

  // Installs handlers that record into this object (which must outlive the connection's use).
  void Start() {
    conn->Start(
        [this](std::span<const std::byte> b) {
          ++data_calls;
          received += Text(b);
        },
        [this](const Status& s) { closed = s; });
  }
  Status Send(std::string_view s) { return conn->Send(Bytes(s)); }
};

class AsioRuntimeTest : public ::testing::Test {
 protected:
  AsioRuntimeTest() : rt_(TestOptions()) {}

  bool RunUntil(const std::function<bool()>& pred) { return rt_.RunUntil(pred, kWait); }

  // Listens on 127.0.0.1:0; each accepted connection is appended to `accepted` (not started).
  std::unique_ptr<Listener> ListenLoopback(std::vector<std::shared_ptr<Connection>>* accepted) {
    auto l = rt_.network().Listen(
        Address{"127.0.0.1", 0},
        [accepted](std::shared_ptr<Connection> c) { accepted->push_back(std::move(c)); });
    EXPECT_TRUE(l.ok()) << l.status();
    return l.ok() ? std::move(l).value() : nullptr;
  }

  std::shared_ptr<Connection> ConnectTo(const Address& a) {
    std::optional<StatusOr<std::shared_ptr<Connection>>> result;
    rt_.network().Connect(
        a, kWait, [&](StatusOr<std::shared_ptr<Connection>> r) { result.emplace(std::move(r)); });
    EXPECT_FALSE(result.has_value()) << "Connect ran its handler inside the call";
    EXPECT_TRUE(RunUntil([&] { return result.has_value(); }));
    if (!result || !result->ok()) {
      ADD_FAILURE() << "connect failed: " << (result ? result->status().ToString() : "no result");
      return nullptr;
    }
    return std::move(*result).value();
  }

  // A connected pair over loopback; neither end is started.
  void MakePair(End* client, End* server) {
    listener_ = ListenLoopback(&accepted_);
    ASSERT_NE(listener_, nullptr);
    client->conn = ConnectTo(listener_->address());
    ASSERT_NE(client->conn, nullptr);
    ASSERT_TRUE(RunUntil([&] { return !accepted_.empty(); }));
    server->conn = accepted_.back();
  }

  AsioRuntime rt_;
  std::vector<std::shared_ptr<Connection>> accepted_;
  std::unique_ptr<Listener> listener_;
};

// ---------------------------------------------------------------------------------------------
// Clock, executor, loop

TEST_F(AsioRuntimeTest, ClockIsMonotonicFromConstructionAndWallIsUnixTime) {
  MonoTime t0 = rt_.Now();
  EXPECT_GE(ToNanos(t0), 0);
  EXPECT_LT(ToNanos(t0), ToNanos(MonoFromNanos(0) + std::chrono::seconds(10)));
  rt_.RunFor(std::chrono::milliseconds(20));
  MonoTime t1 = rt_.Now();
  EXPECT_GE(t1 - t0, std::chrono::milliseconds(20));

  int64_t sys_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  EXPECT_NEAR(static_cast<double>(ToUnixMillis(rt_.WallNow())), static_cast<double>(sys_ms),
              60'000.0);
}

TEST_F(AsioRuntimeTest, TimersFireInDeadlineOrderNeverInline) {
  std::vector<int> order;
  auto& ex = rt_.executor();
  ex.ScheduleAfter(std::chrono::milliseconds(30), [&] { order.push_back(30); });
  ex.ScheduleAfter(std::chrono::milliseconds(10), [&] { order.push_back(10); });
  ex.ScheduleAfter(std::chrono::milliseconds(20), [&] { order.push_back(20); });
  ex.ScheduleAfter(Duration::zero(), [&] { order.push_back(0); });
  ex.ScheduleAfter(std::chrono::milliseconds(-5), [&] { order.push_back(-5); });
  EXPECT_TRUE(order.empty());
  ASSERT_TRUE(RunUntil([&] { return order.size() == 5; }));
  // Negative delays count as zero; equal deadlines would fire in scheduling order, and the
  // negative one was scheduled last but its (clamped) deadline is later than the zero one's.
  EXPECT_THAT(order, ElementsAre(0, -5, 10, 20, 30));
}

TEST_F(AsioRuntimeTest, EqualDelaysFireInSchedulingOrder) {
  std::vector<int> order;
  std::vector<TimerId> ids;
  for (int i = 0; i < 20; ++i) {
    ids.push_back(rt_.executor().ScheduleAfter(Duration::zero(), [&, i] { order.push_back(i); }));
  }
  for (size_t i = 1; i < ids.size(); ++i) EXPECT_GT(ids[i].value, ids[i - 1].value);
  ASSERT_TRUE(RunUntil([&] { return order.size() == 20; }));
  for (int i = 0; i < 20; ++i) EXPECT_EQ(order[i], i);
}

TEST_F(AsioRuntimeTest, CancelPreventsFiringAndSaysWhetherItWasPending) {
  auto& ex = rt_.executor();
  bool a = false, b = false;
  auto token = std::make_shared<int>(1);
  TimerId ta = ex.ScheduleAfter(std::chrono::milliseconds(5), [&, token] { a = true; });
  TimerId tb = ex.ScheduleAfter(std::chrono::milliseconds(20), [&] { b = true; });
  EXPECT_TRUE(ta.valid());
  EXPECT_NE(ta, tb);
  EXPECT_EQ(token.use_count(), 2);
  EXPECT_TRUE(ex.Cancel(ta));
  EXPECT_EQ(token.use_count(), 1) << "a cancelled callback is destroyed at once";
  EXPECT_FALSE(ex.Cancel(ta)) << "already cancelled";
  ASSERT_TRUE(RunUntil([&] { return b; }));
  EXPECT_FALSE(a);
  EXPECT_FALSE(ex.Cancel(tb)) << "already ran";
  EXPECT_FALSE(ex.Cancel(TimerId{}));
  EXPECT_FALSE(ex.Cancel(TimerId{987654}));
}

TEST_F(AsioRuntimeTest, TimerCanCancelAndScheduleFromItsCallback) {
  auto& ex = rt_.executor();
  bool later_ran = false, rescheduled_ran = false, cancel_result = false, self_cancel = true;
  TimerId later = ex.ScheduleAfter(std::chrono::milliseconds(40), [&] { later_ran = true; });
  TimerId first{};
  first = ex.ScheduleAfter(std::chrono::milliseconds(5), [&] {
    cancel_result = ex.Cancel(later);
    self_cancel = ex.Cancel(first);
    ex.ScheduleAfter(std::chrono::milliseconds(1), [&] { rescheduled_ran = true; });
  });
  ASSERT_TRUE(RunUntil([&] { return rescheduled_ran; }));
  EXPECT_TRUE(cancel_result);
  EXPECT_FALSE(self_cancel) << "a running timer is no longer pending";
  rt_.RunFor(std::chrono::milliseconds(60));
  EXPECT_FALSE(later_ran);
}

TEST_F(AsioRuntimeTest, HugeDelaysSaturateInsteadOfOverflowing) {
  bool never = false, soon = false;
  TimerId forever = rt_.executor().ScheduleAfter(Duration::max(), [&] { never = true; });
  rt_.executor().ScheduleAfter(std::chrono::milliseconds(1), [&] { soon = true; });
  EXPECT_TRUE(rt_.RunUntil([&] { return soon; }, Duration::max()));
  EXPECT_FALSE(never);
  EXPECT_TRUE(rt_.executor().Cancel(forever));
}

TEST_F(AsioRuntimeTest, PostIsFifoAndNeverInline) {
  std::vector<int> order;
  for (int i = 0; i < 100; ++i) {
    rt_.executor().Post([&, i] {
      order.push_back(i);
      if (i == 0) rt_.executor().Post([&] { order.push_back(1000); });
    });
  }
  EXPECT_TRUE(order.empty());
  ASSERT_TRUE(RunUntil([&] { return order.size() == 101; }));
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[i], i);
  EXPECT_EQ(order[100], 1000) << "posted from a callback: after the ones already queued";
}

TEST_F(AsioRuntimeTest, RunUntilReturnsFalseOnTimeoutAndTrueWhenAlreadyMet) {
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(rt_.RunUntil([] { return false; }, std::chrono::milliseconds(50)));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(50));
  EXPECT_TRUE(rt_.RunUntil([] { return true; }, Duration::zero()));
}

TEST_F(AsioRuntimeTest, StopEndsRun) {
  int ticks = 0;
  rt_.executor().ScheduleAfter(std::chrono::milliseconds(5), [&] {
    ++ticks;
    rt_.Stop();
  });
  rt_.Run();
  EXPECT_EQ(ticks, 1);

  // Stop while nothing runs: the next Run returns at once, and only that one.
  rt_.Stop();
  rt_.Run();
  bool ran = false;
  rt_.executor().Post([&] { ran = true; });
  EXPECT_TRUE(RunUntil([&] { return ran; }));
}

TEST(AsioRuntimeStandaloneTest, RandomIsSeededAndBuggifyIsOff) {
  AsioRuntime a(TestOptions());
  Xoshiro256 reference(7);
  EXPECT_EQ(a.seed(), 7u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(a.random().Next64(), reference.Next64());
  EXPECT_FALSE(a.Buggify("site", 1.0));

  AsioRuntimeOptions o = TestOptions();
  o.seed.reset();
  AsioRuntime b(o), c(o);
  EXPECT_NE(b.seed(), c.seed()) << "OS seeds differ (fails with probability 2^-64)";
  EXPECT_EQ(b.node_name(), "test-node");
}

TEST(AsioRuntimeStandaloneTest, TraceStampsCountsAndFiltersBySeverity) {
  AsioRuntimeOptions o = TestOptions();
  o.trace_to_stderr = true;
  o.min_severity = Severity::kInfo;
  AsioRuntime rt(o);
  EXPECT_FALSE(rt.trace().Enabled(Severity::kDebug));
  EXPECT_TRUE(rt.trace().Enabled(Severity::kInfo));
  uint64_t digest0 = rt.trace_digest();

  ::testing::internal::CaptureStderr();
  rt.Trace(TraceEvent("DebugThing", Severity::kDebug).Detail("X", 1));
  rt.Trace(TraceEvent("InfoThing").Detail("Peer", "10.0.0.2:10911"));
  rt.Trace(TraceEvent("WarnThing", Severity::kWarn).Detail("Count", uint64_t{3}));
  std::string err = ::testing::internal::GetCapturedStderr();

  EXPECT_EQ(rt.trace_events(), 2u);
  EXPECT_NE(rt.trace_digest(), digest0);
  EXPECT_THAT(err, HasSubstr("test-node InfoThing Peer=10.0.0.2:10911\n"));
  EXPECT_THAT(err, HasSubstr("test-node WarnThing [WARN] Count=3\n"));
  EXPECT_THAT(err, ::testing::Not(HasSubstr("DebugThing")));
}

// ---------------------------------------------------------------------------------------------
// Network

TEST_F(AsioRuntimeTest, EchoBothWaysOverLoopback) {
  std::vector<End> server_ends;
  server_ends.reserve(4);
  auto listener = rt_.network().Listen(Address{"127.0.0.1", 0}, [&](std::shared_ptr<Connection> c) {
    End& e = server_ends.emplace_back();
    e.conn = std::move(c);
    Connection* raw = e.conn.get();
    e.conn->Start(
        [&e, raw](std::span<const std::byte> b) {
          e.received += Text(b);
          EXPECT_TRUE(raw->Send(b).ok());  // echo
        },
        [&e](const Status& s) { e.closed = s; });
    EXPECT_TRUE(e.Send("hi:").ok());  // the server speaks first
  });
  ASSERT_TRUE(listener.ok()) << listener.status();
  const Address addr = (*listener)->address();
  EXPECT_EQ(addr.host, "127.0.0.1");
  EXPECT_NE(addr.port, 0);

  End client;
  client.conn = ConnectTo(addr);
  ASSERT_NE(client.conn, nullptr);
  client.Start();
  ASSERT_TRUE(client.Send("hello").ok());
  ASSERT_TRUE(RunUntil([&] { return client.received == "hi:hello"; })) << client.received;
  ASSERT_EQ(server_ends.size(), 1u);
  EXPECT_EQ(server_ends[0].received, "hello");

  EXPECT_EQ(client.conn->peer_address(), addr);
  EXPECT_EQ(server_ends[0].conn->peer_address(), client.conn->local_address());
  EXPECT_EQ(server_ends[0].conn->local_address(), addr);
  EXPECT_NE(client.conn->id(), server_ends[0].conn->id());
  EXPECT_TRUE(client.conn->is_open());
  EXPECT_TRUE(server_ends[0].conn->is_open());
}

TEST_F(AsioRuntimeTest, FiveMebibytesArriveIntactBothWays) {
  constexpr size_t kSize = 5 * 1024 * 1024;
  std::vector<std::byte> payload(kSize);
  Xoshiro256 rng(99);
  for (auto& b : payload) b = static_cast<std::byte>(rng.Next64());

  std::vector<std::byte> server_got;
  std::shared_ptr<Connection> server;
  auto listener = rt_.network().Listen(Address{"127.0.0.1", 0}, [&](std::shared_ptr<Connection> c) {
    server = std::move(c);
    Connection* raw = server.get();
    server->Start(
        [&, raw](std::span<const std::byte> b) {
          server_got.insert(server_got.end(), b.begin(), b.end());
          Status s = raw->Send(b);
          EXPECT_TRUE(s.ok()) << s;
        },
        [](const Status&) {});
  });
  ASSERT_TRUE(listener.ok());

  std::vector<std::byte> client_got;
  int calls = 0;
  auto client = ConnectTo((*listener)->address());
  ASSERT_NE(client, nullptr);
  client->Start(
      [&](std::span<const std::byte> b) {
        ++calls;
        client_got.insert(client_got.end(), b.begin(), b.end());
      },
      [](const Status&) {});
  ASSERT_TRUE(client->Send(payload).ok());
  EXPECT_EQ(client->buffered_bytes(), kSize);
  ASSERT_TRUE(RunUntil([&] { return client_got.size() >= kSize; }))
      << client_got.size() << " of " << kSize;
  EXPECT_EQ(client_got.size(), kSize);
  EXPECT_TRUE(server_got == payload) << "server received different bytes";
  EXPECT_TRUE(client_got == payload) << "client received different bytes";
  EXPECT_GT(calls, 1) << "a stream: bytes arrive in pieces";
  EXPECT_TRUE(RunUntil([&] { return client->buffered_bytes() == 0; }));
}

TEST_F(AsioRuntimeTest, ConnectToAClosedPortIsRefused) {
  std::vector<std::shared_ptr<Connection>> unused;
  auto listener = ListenLoopback(&unused);
  ASSERT_NE(listener, nullptr);
  Address addr = listener->address();
  listener->Close();
  listener.reset();

  std::optional<StatusOr<std::shared_ptr<Connection>>> result;
  int calls = 0;
  rt_.network().Connect(addr, kWait, [&](StatusOr<std::shared_ptr<Connection>> r) {
    ++calls;
    result.emplace(std::move(r));
  });
  EXPECT_EQ(calls, 0);
  ASSERT_TRUE(RunUntil([&] { return result.has_value(); }));
  EXPECT_EQ(result->status().code(), StatusCode::kConnectionRefused) << result->status();
  EXPECT_THAT(result->status().message(), HasSubstr(addr.ToString()));
  rt_.RunFor(std::chrono::milliseconds(20));
  EXPECT_EQ(calls, 1);
}

TEST_F(AsioRuntimeTest, ConnectWithNoAnswerTimesOut) {
  // A listening socket that never accepts, with a backlog of 0: once its accept queue is full,
  // Linux drops further SYNs, so the next connect gets no answer at all.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  ASSERT_EQ(::listen(fd, 0), 0);
  socklen_t len = sizeof sa;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len), 0);
  Address addr{"127.0.0.1", ntohs(sa.sin_port)};

  std::vector<std::shared_ptr<Connection>> queued;  // connected, waiting in the accept queue
  std::optional<Status> timed_out;
  for (int attempt = 0; attempt < 8 && !timed_out; ++attempt) {
    std::optional<StatusOr<std::shared_ptr<Connection>>> result;
    auto start = std::chrono::steady_clock::now();
    rt_.network().Connect(addr, std::chrono::milliseconds(300),
                          [&](StatusOr<std::shared_ptr<Connection>> r) { result.emplace(r); });
    ASSERT_TRUE(RunUntil([&] { return result.has_value(); }));
    if (result->ok()) {
      queued.push_back(result->value());
      continue;
    }
    timed_out = result->status();
    EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(300));
  }
  ::close(fd);
  ASSERT_TRUE(timed_out.has_value()) << "every connect was answered";
  EXPECT_EQ(timed_out->code(), StatusCode::kTimeout) << *timed_out;
  EXPECT_THAT(timed_out->message(), HasSubstr(addr.ToString()));
}

TEST_F(AsioRuntimeTest, ListeningTwiceOnOnePortIsAlreadyExists) {
  std::vector<std::shared_ptr<Connection>> unused;
  auto first = ListenLoopback(&unused);
  ASSERT_NE(first, nullptr);
  auto second = rt_.network().Listen(first->address(), [](std::shared_ptr<Connection>) {});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kAlreadyExists) << second.status();
  EXPECT_THAT(second.status().message(), HasSubstr("in use"));
  EXPECT_THAT(second.status().message(), HasSubstr(first->address().ToString()));
}

TEST_F(AsioRuntimeTest, BadHostsAreInvalidArgument) {
  EXPECT_EQ(Address::Parse("no-such-host:10911").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Address::Parse("127.0.0.1").status().code(), StatusCode::kInvalidArgument);

  auto l = rt_.network().Listen(Address{"not-an-ip", 0}, [](std::shared_ptr<Connection>) {});
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.status().code(), StatusCode::kInvalidArgument) << l.status();
  EXPECT_THAT(l.status().message(), HasSubstr("not-an-ip"));

  std::optional<Status> connect_status;
  rt_.network().Connect(
      Address{"300.1.2.3", 80}, kWait,
      [&](StatusOr<std::shared_ptr<Connection>> r) { connect_status = r.status(); });
  EXPECT_FALSE(connect_status.has_value()) << "errors also arrive on the executor";
  ASSERT_TRUE(RunUntil([&] { return connect_status.has_value(); }));
  EXPECT_EQ(connect_status->code(), StatusCode::kInvalidArgument) << *connect_status;

  // A well-formed address that is not this machine's.
  std::ifstream nonlocal("/proc/sys/net/ipv4/ip_nonlocal_bind");
  int nonlocal_bind = 0;
  if (nonlocal >> nonlocal_bind; nonlocal_bind == 0) {
    auto foreign =
        rt_.network().Listen(Address{"192.0.2.1", 0}, [](std::shared_ptr<Connection>) {});
    ASSERT_FALSE(foreign.ok());
    EXPECT_EQ(foreign.status().code(), StatusCode::kInvalidArgument) << foreign.status();
  }
}

TEST_F(AsioRuntimeTest, ListenOnAnyAddressAndLocalhost) {
  auto any = rt_.network().Listen(Address{"0.0.0.0", 0}, [](std::shared_ptr<Connection>) {});
  ASSERT_TRUE(any.ok()) << any.status();
  EXPECT_TRUE((*any)->address().is_any());
  EXPECT_NE((*any)->address().port, 0);
  auto local = rt_.network().Listen(Address{"localhost", 0}, [](std::shared_ptr<Connection>) {});
  ASSERT_TRUE(local.ok()) << local.status();
  EXPECT_EQ((*local)->address().host, "127.0.0.1");
}

TEST_F(AsioRuntimeTest, SendAfterCloseIsClosed) {
  End client, server;
  MakePair(&client, &server);
  client.Start();
  server.Start();
  client.conn->Close();
  EXPECT_FALSE(client.conn->is_open());
  Status s = client.Send("x");
  EXPECT_EQ(s.code(), StatusCode::kClosed) << s;
  client.conn->Close();  // idempotent
  client.conn->Reset();
  EXPECT_EQ(client.Send("y").code(), StatusCode::kClosed);
  ASSERT_TRUE(RunUntil([&] { return server.closed.has_value(); }));
  EXPECT_EQ(server.closed->code(), StatusCode::kClosed) << *server.closed;
  EXPECT_FALSE(server.conn->is_open());
  EXPECT_EQ(server.Send("z").code(), StatusCode::kClosed) << "closed by the peer";
  EXPECT_FALSE(client.closed.has_value()) << "no callbacks after a local Close";
}

TEST_F(AsioRuntimeTest, PeerResetIsConnectionReset) {
  End client, server;
  MakePair(&client, &server);
  client.Start();
  server.Start();
  ASSERT_TRUE(server.Send("ping").ok());
  ASSERT_TRUE(RunUntil([&] { return client.received == "ping"; }));
  client.conn->Reset();
  EXPECT_FALSE(client.conn->is_open());
  ASSERT_TRUE(RunUntil([&] { return server.closed.has_value(); }));
  EXPECT_EQ(server.closed->code(), StatusCode::kConnectionReset) << *server.closed;
  EXPECT_THAT(server.closed->message(), HasSubstr(client.conn->local_address().ToString()));
  EXPECT_FALSE(client.closed.has_value());
  EXPECT_EQ(server.Send("late").code(), StatusCode::kClosed);
}

TEST_F(AsioRuntimeTest, OrderlyCloseDeliversEverythingThenClosed) {
  constexpr size_t kSize = 3 * 1024 * 1024 + 17;
  End client, server;
  MakePair(&client, &server);
  client.Start();
  size_t received_at_close = 0;
  server.conn->Start([&](std::span<const std::byte> b) { server.received += Text(b); },
                     [&](const Status& s) {
                       received_at_close = server.received.size();
                       server.closed = s;
                     });
  std::string big(kSize, 'q');
  big[0] = 'A';
  big[kSize - 1] = 'Z';
  ASSERT_TRUE(client.Send(big).ok());
  client.conn->Close();  // the queue is still full: it is flushed before the FIN
  int data_calls_at_close = client.data_calls;
  ASSERT_TRUE(RunUntil([&] { return server.closed.has_value(); }));
  EXPECT_EQ(server.closed->code(), StatusCode::kClosed) << *server.closed;
  EXPECT_EQ(received_at_close, kSize);
  EXPECT_TRUE(server.received == big);
  EXPECT_EQ(client.data_calls, data_calls_at_close);
  EXPECT_FALSE(client.closed.has_value());
}

TEST_F(AsioRuntimeTest, NoCallbacksAfterLocalCloseEvenWhenThePeerKeepsSending) {
  End client, server;
  MakePair(&client, &server);
  client.Start();
  server.Start();
  ASSERT_TRUE(server.Send("before").ok());
  ASSERT_TRUE(RunUntil([&] { return client.received == "before"; }));
  client.conn->Close();
  ASSERT_TRUE(server.Send("after-close").ok());  // the server does not know yet
  ASSERT_TRUE(RunUntil([&] { return server.closed.has_value(); }));
  EXPECT_EQ(client.received, "before");
  EXPECT_EQ(client.data_calls, 1);
  EXPECT_FALSE(client.closed.has_value());
}

TEST_F(AsioRuntimeTest, CloseInsideTheDataHandlerIsSafe) {
  End client, server;
  MakePair(&client, &server);
  int calls = 0;
  client.conn->Start(
      [&](std::span<const std::byte>) {
        ++calls;
        client.conn->Close();
      },
      [&](const Status& s) { client.closed = s; });
  server.Start();
  ASSERT_TRUE(server.Send("one").ok());
  ASSERT_TRUE(RunUntil([&] { return server.closed.has_value(); }));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(server.closed->code(), StatusCode::kClosed);
  EXPECT_FALSE(client.closed.has_value());
}

TEST_F(AsioRuntimeTest, DroppingTheLastReferenceClosesGracefully) {
  constexpr size_t kSize = 1024 * 1024;
  End client, server;
  MakePair(&client, &server);
  server.Start();
  ASSERT_TRUE(client.Send(std::string(kSize, 'd')).ok());
  client.conn.reset();  // never started; dropping the handle is Close()
  ASSERT_TRUE(RunUntil([&] { return server.closed.has_value(); }));
  EXPECT_EQ(server.closed->code(), StatusCode::kClosed) << *server.closed;
  EXPECT_EQ(server.received.size(), kSize);
}

TEST_F(AsioRuntimeTest, SendBufferLimitIsResourceExhaustedWithoutPartialQueueing) {
  End client, server;
  MakePair(&client, &server);
  client.Start();
  server.Start();
  client.conn->SetSendBufferLimit(1000);
  ASSERT_TRUE(client.Send(std::string(600, 'a')).ok());
  EXPECT_EQ(client.conn->buffered_bytes(), 600u);
  Status s = client.Send(std::string(600, 'b'));
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << s;
  EXPECT_THAT(s.message(), HasSubstr("1000"));
  EXPECT_EQ(client.conn->buffered_bytes(), 600u) << "nothing of a refused send is queued";
  EXPECT_EQ(client.Send(std::string(1001, 'c')).code(), StatusCode::kResourceExhausted);
  ASSERT_TRUE(client.Send(std::string(400, 'e')).ok()) << "exactly at the limit is fine";
  ASSERT_TRUE(RunUntil([&] { return client.conn->buffered_bytes() == 0; }));
  ASSERT_TRUE(client.Send(std::string(600, 'f')).ok());
  ASSERT_TRUE(RunUntil([&] { return server.received.size() == 1600; }));
  EXPECT_EQ(server.received, std::string(600, 'a') + std::string(400, 'e') + std::string(600, 'f'));
}

TEST_F(AsioRuntimeTest, BytesAndCloseBeforeStartAreDeliveredAfterStart) {
  End client, server;
  MakePair(&client, &server);
  ASSERT_TRUE(client.Send("early bytes").ok());
  ASSERT_TRUE(RunUntil([&] { return client.conn->buffered_bytes() == 0; }));
  client.conn->Close();
  // Give the FIN time to arrive too (not an assertion: the test holds either way).
  rt_.RunFor(std::chrono::milliseconds(20));
  server.Start();
  EXPECT_EQ(server.received, "") << "nothing is delivered inside Start";
  EXPECT_FALSE(server.closed.has_value());
  ASSERT_TRUE(RunUntil([&] { return server.closed.has_value(); }));
  EXPECT_EQ(server.received, "early bytes");
  EXPECT_EQ(server.closed->code(), StatusCode::kClosed);
}

TEST_F(AsioRuntimeTest, ListenerCloseStopsAcceptingButKeepsAcceptedConnections) {
  End client, server;
  MakePair(&client, &server);
  client.Start();
  server.Start();
  Address addr = listener_->address();
  listener_->Close();

  std::optional<Status> second;
  rt_.network().Connect(addr, kWait,
                        [&](StatusOr<std::shared_ptr<Connection>> r) { second = r.status(); });
  ASSERT_TRUE(RunUntil([&] { return second.has_value(); }));
  EXPECT_EQ(second->code(), StatusCode::kConnectionRefused) << *second;
  EXPECT_EQ(accepted_.size(), 1u);

  ASSERT_TRUE(client.Send("still here").ok());
  ASSERT_TRUE(RunUntil([&] { return server.received == "still here"; }));
}

TEST_F(AsioRuntimeTest, ConnectionIdsAreAllocatedInOrder) {
  std::vector<std::shared_ptr<Connection>> accepted;
  auto listener = ListenLoopback(&accepted);
  ASSERT_NE(listener, nullptr);
  auto c1 = ConnectTo(listener->address());
  auto c2 = ConnectTo(listener->address());
  ASSERT_NE(c1, nullptr);
  ASSERT_NE(c2, nullptr);
  ASSERT_TRUE(RunUntil([&] { return accepted.size() == 2; }));
  EXPECT_GT(c1->id(), 0u);
  EXPECT_LT(c1->id(), c2->id());
  std::vector<uint64_t> ids{c1->id(), c2->id(), accepted[0]->id(), accepted[1]->id()};
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(std::unique(ids.begin(), ids.end()), ids.end());
}

// ---------------------------------------------------------------------------------------------
// Lifetime

TEST(AsioRuntimeStandaloneTest, DestroyingTheRuntimeRunsNothingAndLeavesDeadHandles) {
  TempDir dir;
  std::shared_ptr<Connection> survivor;  // outlives the runtime
  std::unique_ptr<File> file;            // outlives the runtime
  bool ran = false;
  {
    AsioRuntime rt(TestOptions(dir.path()));
    std::vector<std::shared_ptr<Connection>> accepted;
    auto listener =
        rt.network().Listen(Address{"127.0.0.1", 0}, [&](std::shared_ptr<Connection> c) {
          c->Start([&](std::span<const std::byte>) { ran = true; },
                   [&](const Status&) { ran = true; });
          accepted.push_back(std::move(c));
        });
    ASSERT_TRUE(listener.ok());
    std::optional<StatusOr<std::shared_ptr<Connection>>> connected;
    rt.network().Connect((*listener)->address(), kWait,
                         [&](StatusOr<std::shared_ptr<Connection>> r) { connected.emplace(r); });
    ASSERT_TRUE(rt.RunUntil([&] { return connected && accepted.size() == 1; }, kWait));
    ASSERT_TRUE(connected->ok());
    survivor = connected->value();
    survivor->Start([&](std::span<const std::byte>) { ran = true; },
                    [&](const Status&) { ran = true; });
    ASSERT_TRUE(survivor->Send(Bytes(std::string(4096, 'x'))).ok());
    rt.executor().ScheduleAfter(Duration::zero(), [&] { ran = true; });
    rt.executor().Post([&] { ran = true; });
    rt.network().Connect((*listener)->address(), kWait,
                         [&](StatusOr<std::shared_ptr<Connection>>) { ran = true; });
    auto f = rt.fs().Open("f", OpenMode::kCreateNew);
    ASSERT_TRUE(f.ok()) << f.status();
    file = std::move(f).value();
    ASSERT_TRUE(file->Append(Bytes("data")).ok());
    file->Sync([&](const Status&) { ran = true; });
    // accepted, listener and rt die here, in that order
  }
  EXPECT_FALSE(ran);
  EXPECT_FALSE(survivor->is_open());
  EXPECT_EQ(survivor->Send(Bytes("x")).code(), StatusCode::kClosed);
  survivor->Close();
  survivor->Reset();
  survivor.reset();
  file->Sync([&](const Status&) { ran = true; });  // dropped: the process is gone
  EXPECT_TRUE(file->Append(Bytes("more")).ok()) << "plain file I/O needs no loop";
  file.reset();
  EXPECT_FALSE(ran);
}

// ---------------------------------------------------------------------------------------------
// Files

class AsioFileSystemTest : public ::testing::Test {
 protected:
  AsioFileSystemTest() : rt_(TestOptions(dir_.path())) {}
  FileSystem& fs() { return rt_.fs(); }

  std::unique_ptr<File> MustOpen(const std::string& path, OpenMode mode) {
    auto f = fs().Open(path, mode);
    EXPECT_TRUE(f.ok()) << f.status();
    return f.ok() ? std::move(f).value() : nullptr;
  }

  std::string ReadAll(File& f) {
    auto size = f.Size();
    EXPECT_TRUE(size.ok());
    std::vector<std::byte> buf(*size);
    if (buf.empty()) return "";
    auto n = f.ReadAt(0, buf);
    EXPECT_TRUE(n.ok()) << n.status();
    return Text(std::span<const std::byte>(buf.data(), n.ok() ? *n : 0));
  }

  TempDir dir_;
  AsioRuntime rt_;
};

TEST_F(AsioFileSystemTest, CreateAppendWriteReadSizeTruncate) {
  auto f = MustOpen("a.log", OpenMode::kCreateNew);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->path(), "a.log");
  EXPECT_TRUE(std::filesystem::exists(dir_.path() + "/a.log")) << "relative to data_dir";
  ASSERT_TRUE(f->Append(Bytes("hello")).ok());
  ASSERT_TRUE(f->Append(Bytes(" world")).ok());
  EXPECT_EQ(*f->Size(), 11u);
  ASSERT_TRUE(f->WriteAt(0, Bytes("J")).ok());
  EXPECT_EQ(ReadAll(*f), "Jello world");

  std::vector<std::byte> buf(100);
  auto n = f->ReadAt(6, buf);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 5u) << "a short read at the end returns the count";
  EXPECT_EQ(Text(std::span<const std::byte>(buf.data(), *n)), "world");

  auto at_end = f->ReadAt(11, buf);
  ASSERT_FALSE(at_end.ok());
  EXPECT_EQ(at_end.status().code(), StatusCode::kOutOfRange) << at_end.status();
  EXPECT_THAT(at_end.status().message(), HasSubstr("a.log"));
  EXPECT_THAT(at_end.status().message(), HasSubstr("end of the file"));
  EXPECT_EQ(f->ReadAt(1000, buf).status().code(), StatusCode::kOutOfRange);
  auto empty = f->ReadAt(11, std::span<std::byte>());
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, 0u);

  ASSERT_TRUE(f->WriteAt(14, Bytes("!")).ok());
  EXPECT_EQ(*f->Size(), 15u);
  EXPECT_EQ(ReadAll(*f), std::string("Jello world\0\0\0!", 15)) << "the gap is zero-filled";

  ASSERT_TRUE(f->Truncate(5).ok());
  EXPECT_EQ(ReadAll(*f), "Jello");
  ASSERT_TRUE(f->Truncate(7).ok());
  EXPECT_EQ(ReadAll(*f), std::string("Jello\0\0", 7));
  EXPECT_EQ(*fs().FileSize("a.log"), 7u);
  EXPECT_TRUE(fs().Exists("a.log"));

  f->Close();
  f->Close();
  EXPECT_EQ(f->Append(Bytes("x")).code(), StatusCode::kClosed);
  EXPECT_EQ(f->WriteAt(0, Bytes("x")).code(), StatusCode::kClosed);
  EXPECT_EQ(f->ReadAt(0, buf).status().code(), StatusCode::kClosed);
  EXPECT_EQ(f->Size().status().code(), StatusCode::kClosed);
  EXPECT_EQ(f->Truncate(0).code(), StatusCode::kClosed);
}

TEST_F(AsioFileSystemTest, OpenModes) {
  auto missing = fs().Open("missing.dat", OpenMode::kOpenExisting);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound) << missing.status();
  EXPECT_THAT(missing.status().message(), HasSubstr("missing.dat"));
  EXPECT_EQ(fs().Open("no/such/dir/x", OpenMode::kCreateOrOpen).status().code(),
            StatusCode::kNotFound);

  {
    auto f = MustOpen("m.dat", OpenMode::kCreateOrOpen);
    ASSERT_TRUE(f->Append(Bytes("abc")).ok());
  }
  auto again = fs().Open("m.dat", OpenMode::kCreateNew);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists) << again.status();
  EXPECT_THAT(again.status().message(), HasSubstr("m.dat"));

  {
    auto f = MustOpen("m.dat", OpenMode::kCreateOrOpen);
    EXPECT_EQ(ReadAll(*f), "abc") << "kCreateOrOpen keeps the contents";
  }
  {
    auto f = MustOpen("m.dat", OpenMode::kOpenExisting);
    EXPECT_EQ(ReadAll(*f), "abc");
  }
  {
    auto f = MustOpen("m.dat", OpenMode::kCreateTruncate);
    EXPECT_EQ(*f->Size(), 0u);
  }
}

TEST_F(AsioFileSystemTest, DirectoriesRenameRemoveAndSortedList) {
  ASSERT_TRUE(fs().CreateDirectories("d/e/f").ok());
  ASSERT_TRUE(fs().CreateDirectories("d/e/f").ok()) << "OK if it exists";
  ASSERT_TRUE(fs().CreateDirectories("d/e/f/").ok());
  for (const char* name : {"d/b", "d/a", "d/c"}) {
    auto f = MustOpen(name, OpenMode::kCreateNew);
    ASSERT_TRUE(f->Append(Bytes(name)).ok());
  }
  auto list = fs().List("d");
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_THAT(*list, ElementsAre("a", "b", "c", "e"));

  ASSERT_TRUE(fs().Rename("d/a", "d/z").ok());
  EXPECT_THAT(*fs().List("d"), ElementsAre("b", "c", "e", "z"));
  ASSERT_TRUE(fs().Rename("d/z", "d/b").ok()) << "replaces the target atomically";
  EXPECT_THAT(*fs().List("d"), ElementsAre("b", "c", "e"));
  {
    auto f = MustOpen("d/b", OpenMode::kOpenExisting);
    EXPECT_EQ(ReadAll(*f), "d/a");
  }
  EXPECT_EQ(fs().Rename("d/nothing", "d/x").code(), StatusCode::kNotFound);

  ASSERT_TRUE(fs().Remove("d/b").ok());
  EXPECT_FALSE(fs().Exists("d/b"));
  Status gone = fs().Remove("d/b");
  EXPECT_EQ(gone.code(), StatusCode::kNotFound) << gone;
  EXPECT_THAT(gone.message(), HasSubstr("d/b"));
  ASSERT_TRUE(fs().Remove("d/e/f").ok()) << "an empty directory can be removed";
  EXPECT_THAT(*fs().List("d/e"), ElementsAre());

  EXPECT_EQ(fs().List("nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(fs().List("d/c").status().code(), StatusCode::kNotFound) << "a file is no directory";
  EXPECT_EQ(fs().FileSize("nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(*fs().FileSize("d/c"), 3u);
  EXPECT_EQ(fs().CreateDirectories("d/c/sub").code(), StatusCode::kAlreadyExists)
      << "a file is in the way";
  EXPECT_FALSE(fs().Exists("nope"));
  EXPECT_TRUE(fs().Exists("d"));
}

TEST_F(AsioFileSystemTest, AbsolutePathsAreUsedAsIs) {
  TempDir other;
  std::string abs = other.path() + "/abs.txt";
  auto f = MustOpen(abs, OpenMode::kCreateNew);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->path(), abs);
  EXPECT_TRUE(std::filesystem::exists(abs));
  EXPECT_FALSE(fs().Exists("abs.txt"));
  EXPECT_TRUE(fs().Exists(abs));
  EXPECT_THAT(*fs().List(other.path()), ElementsAre("abs.txt"));
}

TEST_F(AsioFileSystemTest, SyncCompletesOnTheLoopInOrder) {
  auto f = MustOpen("s.log", OpenMode::kCreateNew);
  ASSERT_TRUE(f->Append(Bytes("durable")).ok());
  std::vector<int> done;
  std::vector<Status> statuses;
  for (int i = 0; i < 10; ++i) {
    f->Sync([&, i](const Status& s) {
      done.push_back(i);
      statuses.push_back(s);
    });
  }
  EXPECT_TRUE(done.empty()) << "Sync never runs its handler inside the call";
  ASSERT_TRUE(rt_.RunUntil([&] { return done.size() == 10; }, kWait));
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(done[i], i);
    EXPECT_TRUE(statuses[i].ok()) << statuses[i];
  }
}

TEST_F(AsioFileSystemTest, SyncSurvivesCloseAndReportsClosedAfterIt) {
  auto f = MustOpen("c.log", OpenMode::kCreateNew);
  ASSERT_TRUE(f->Append(Bytes("abc")).ok());
  std::optional<Status> during, after;
  f->Sync([&](const Status& s) { during = s; });
  f->Close();  // the sync in flight keeps the descriptor alive
  f->Sync([&](const Status& s) { after = s; });
  EXPECT_FALSE(after.has_value());
  ASSERT_TRUE(rt_.RunUntil([&] { return during && after; }, kWait));
  EXPECT_TRUE(during->ok()) << *during;
  EXPECT_EQ(after->code(), StatusCode::kClosed) << *after;
  f.reset();
}

TEST_F(AsioFileSystemTest, SyncQueueIsBounded) {
  auto f = MustOpen("q.log", OpenMode::kCreateNew);
  ASSERT_TRUE(f->Append(Bytes("q")).ok());
  constexpr size_t kExtra = 5;
  const size_t total = limits::kRealSyncQueueMax + kExtra;
  size_t ok = 0, exhausted = 0, other = 0;
  // Completions only run on the loop, so without running it the queue fills up.
  for (size_t i = 0; i < total; ++i) {
    f->Sync([&](const Status& s) {
      if (s.ok()) {
        ++ok;
      } else if (s.code() == StatusCode::kResourceExhausted) {
        ++exhausted;
      } else {
        ++other;
      }
    });
  }
  EXPECT_EQ(ok + exhausted + other, 0u);
  ASSERT_TRUE(
      rt_.RunUntil([&] { return ok + exhausted + other == total; }, std::chrono::seconds(60)));
  EXPECT_EQ(exhausted, kExtra);
  EXPECT_EQ(ok, limits::kRealSyncQueueMax);
  EXPECT_EQ(other, 0u);
}

// ---------------------------------------------------------------------------------------------
// RunServiceMain

// Raises SIGTERM at each of `signal_at` after a successful start; its graceful stop finishes
// `stop_takes` later, from a callback.
class FakeService final : public Service {
 public:
  FakeService(Runtime& rt, Status start_result, bool* stopped,
              std::vector<Duration> signal_at = {std::chrono::milliseconds(5)},
              Duration stop_takes = Duration::zero())
      : rt_(rt),
        start_result_(std::move(start_result)),
        stopped_(stopped),
        signal_at_(std::move(signal_at)),
        stop_takes_(stop_takes) {}
  Status Start() override {
    if (start_result_.ok()) {
      for (Duration at : signal_at_) rt_.executor().ScheduleAfter(at, [] { std::raise(SIGTERM); });
    }
    return start_result_;
  }
  void Stop(std::function<void()> done) override {
    rt_.executor().ScheduleAfter(stop_takes_, [this, done = std::move(done)] {
      *stopped_ = true;
      done();
    });
  }

 private:
  Runtime& rt_;
  Status start_result_;
  bool* stopped_;
  std::vector<Duration> signal_at_;
  Duration stop_takes_;
};

TEST(RunServiceMainTest, StartFailureReturnsOne) {
  AsioRuntime rt(TestOptions());
  bool stopped = false;
  ::testing::internal::CaptureStderr();
  int rc = RunServiceMain(rt, [&](Runtime& r) {
    return std::make_unique<FakeService>(r, UnavailableError("no disk"), &stopped);
  });
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(rc, 1);
  EXPECT_THAT(err, HasSubstr("no disk"));
  EXPECT_FALSE(stopped);
}

TEST(RunServiceMainTest, SigtermStopsTheServiceGracefully) {
  AsioRuntimeOptions options = TestOptions();
  options.log_to_stderr = true;
  AsioRuntime rt(options);
  bool stopped = false;
  ::testing::internal::CaptureStderr();
  int rc = RunServiceMain(
      rt, [&](Runtime& r) { return std::make_unique<FakeService>(r, Status::Ok(), &stopped); },
      "RocketmqTest");
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(rc, 0);
  EXPECT_TRUE(stopped);
  EXPECT_EQ(rt.trace_events(), 3u) << "SignalReceived and the two log lines";
  EXPECT_THAT(err, HasSubstr("INFO RocketmqTest - Shutdown hook was invoked, 1 (signal 15)"));
  EXPECT_THAT(err, HasSubstr("INFO RocketmqTest - Shutdown hook over, consuming total time(ms): "));
  // A late signal (timeout(1) signals its whole process group too) no longer kills the process.
  // (SIGINT and SIGTERM stay ignored in this test process from here on.)
  std::raise(SIGTERM);
  std::raise(SIGINT);
  SUCCEED() << "still alive after a late SIGTERM and SIGINT";
}

// A repeat within 2 s is timeout(1)'s echo: logged, and the graceful stop still runs to its end.
// (Runs after SigtermStopsTheServiceGracefully has left SIGTERM ignored: RunServiceMain's
// signal_set installs its own handler again.)
TEST(RunServiceMainTest, ASecondSignalSoonAfterTheFirstDoesNotCutTheStopShort) {
  AsioRuntimeOptions options = TestOptions();
  options.log_to_stderr = true;
  AsioRuntime rt(options);
  bool stopped = false;
  ::testing::internal::CaptureStderr();
  int rc = RunServiceMain(
      rt,
      [&](Runtime& r) {
        // SIGTERM twice, 10 ms apart (timeout(1): the child, then its process group); the
        // graceful stop takes 200 ms.
        return std::make_unique<FakeService>(
            r, Status::Ok(), &stopped,
            std::vector<Duration>{std::chrono::milliseconds(5), std::chrono::milliseconds(15)},
            std::chrono::milliseconds(200));
      },
      "RocketmqTest");
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(rc, 0);
  EXPECT_TRUE(stopped) << err;
  EXPECT_THAT(err, HasSubstr("Shutdown hook was invoked, 2 (signal 15)"));
  EXPECT_THAT(err, ::testing::Not(HasSubstr("a second signal")));
  EXPECT_THAT(err, HasSubstr("Shutdown hook over, consuming total time(ms): "));
}

}  // namespace
}  // namespace rmqsim::real
