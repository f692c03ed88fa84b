// Fixtures for remoting tests on the simulated world: a process running a RemotingServer, a
// process running a RemotingClient, raw-connection helpers that speak frames by hand.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/runtime/service.h"
#include "system/remoting/frame_decoder.h"
#include "system/remoting/remoting_client.h"
#include "system/remoting/remoting_command.h"
#include "system/remoting/remoting_server.h"
#include "tests/testing/sim_testing.h"

namespace rmqsim::remoting::testing {

inline const Address kServerAddress{"10.0.0.1", 9876};

// A process whose component is a RemotingServer; `setup` registers processors before Start.
class ServerService final : public Service {
 public:
  using Setup = std::function<void(Runtime&, RemotingServer&)>;
  ServerService(Runtime& rt, RemotingServerOptions options, Setup setup)
      : rt_(rt), server(rt, std::move(options)), setup_(std::move(setup)) {}
  Status Start() override {
    if (setup_) setup_(rt_, server);
    return server.Start();
  }
  Runtime& rt_;
  RemotingServer server;

 private:
  Setup setup_;
};

// A process whose component is a RemotingClient. The coroutine scope is for tests that drive the
// client from coroutines; it is declared last, so it is destroyed first.
class ClientService final : public Service {
 public:
  using Setup = std::function<void(Runtime&, RemotingClient&)>;
  ClientService(Runtime& rt, RemotingClientOptions options, Setup setup)
      : rt(rt), client(rt, options), setup_(std::move(setup)) {}
  Status Start() override {
    if (setup_) setup_(rt, client);
    return Status::Ok();
  }
  Runtime& rt;
  RemotingClient client;

 private:
  Setup setup_;

 public:
  TaskScope scope;
};

// The outcome of an asynchronous call, recorded outside any process.
struct CallResult {
  std::optional<StatusOr<RemotingCommand>> result;
  MonoTime at{};
  bool done() const { return result.has_value(); }
};

class RemotingSimTest : public rmqsim::testing::TwoMachineWorld {
 public:
  explicit RemotingSimTest(sim::WorldConfig config = {}) : TwoMachineWorld(std::move(config)) {}

 protected:
  // A server process on machine a (10.0.0.1:9876 unless `options.listen` says otherwise).
  sim::ProcessId StartServer(RemotingServerOptions options = {},
                             ServerService::Setup setup = nullptr,
                             const std::string& name = "server") {
    if (options.listen.host.empty()) options.listen = kServerAddress;
    auto id = world_.AddProcess(a_, name, [options, setup](Runtime& rt) {
      return std::make_unique<ServerService>(rt, options, setup);
    });
    EXPECT_TRUE(id.ok()) << id.status();
    Status s = world_.StartProcess(*id);
    EXPECT_TRUE(s.ok()) << s;
    world_.RunFor(Duration::zero());
    return *id;
  }

  sim::ProcessId StartClient(RemotingClientOptions options = {},
                             ClientService::Setup setup = nullptr,
                             const std::string& name = "client") {
    auto id = world_.AddProcess(b_, name, [options, setup](Runtime& rt) {
      return std::make_unique<ClientService>(rt, options, setup);
    });
    EXPECT_TRUE(id.ok()) << id.status();
    Status s = world_.StartProcess(*id);
    EXPECT_TRUE(s.ok()) << s;
    world_.RunFor(Duration::zero());
    return *id;
  }

  RemotingServer& Server(sim::ProcessId id) {
    auto* s = world_.service_as<ServerService>(id);
    RMQ_ASSERT_MSG(s != nullptr, "not a running server process");
    return s->server;
  }
  RemotingClient& Client(sim::ProcessId id) {
    auto* s = world_.service_as<ClientService>(id);
    RMQ_ASSERT_MSG(s != nullptr, "not a running client process");
    return s->client;
  }
  Runtime& Rt(sim::ProcessId id) { return *world_.runtime(id); }

  // Starts an Invoke whose outcome lands in the returned record.
  std::shared_ptr<CallResult> Invoke(sim::ProcessId client, RemotingCommand request,
                                     Duration timeout = seconds(3), Address to = kServerAddress) {
    auto r = std::make_shared<CallResult>();
    Client(client).Invoke(to, std::move(request), timeout,
                          [r, this](StatusOr<RemotingCommand> result) {
                            r->result = std::move(result);
                            r->at = world_.now();
                          });
    return r;
  }

  // Invoke and run until answered (or the deadline).
  StatusOr<RemotingCommand> InvokeAndWait(sim::ProcessId client, RemotingCommand request,
                                          Duration timeout = seconds(3),
                                          Address to = kServerAddress) {
    auto r = Invoke(client, std::move(request), timeout, to);
    world_.RunUntil([&] { return r->done(); }, world_.now() + timeout + seconds(5));
    if (!r->done()) return InternalError("the callback never ran");
    return std::move(*r->result);
  }

  // Trace events with this name, kept by the world so far.
  std::vector<StampedTraceEvent> EventsNamed(std::string_view name) const {
    std::vector<StampedTraceEvent> out;
    for (const auto& e : world_.trace_events()) {
      if (e.event.name() == name) out.push_back(e);
    }
    return out;
  }
  static std::string StringDetail(const StampedTraceEvent& e, std::string_view key) {
    const auto* v = e.event.Find(key);
    if (v == nullptr || !std::holds_alternative<std::string>(*v)) return "";
    return std::get<std::string>(*v);
  }
};

// Decodes every complete frame of a byte log (a raw connection's received data).
inline std::vector<RemotingCommand> DecodeAll(const std::string& bytes) {
  std::vector<RemotingCommand> out;
  FrameDecoder d;
  Status s = d.Feed(AsBytes(bytes), [&](RemotingCommand c) {
    out.push_back(std::move(c));
    return true;
  });
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

inline std::string EncodeOrDie(const RemotingCommand& c) {
  auto e = c.Encode();
  RMQ_ASSERT_MSG(e.ok(), e.status().ToString());
  return *e;
}

}  // namespace rmqsim::remoting::testing
