// Shared fixtures for tests of the simulated world.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sim/runtime/runtime.h"
#include "sim/runtime/service.h"
#include "sim/simulated/world.h"

namespace rmqsim::testing {

// A service whose behaviour is a test lambda. It owns whatever the test hands it (listeners,
// connections, files), so a kill destroys them as it would a real component's.
class ScriptedService final : public Service {
 public:
  using StartFn = std::function<Status(ScriptedService&)>;
  ScriptedService(Runtime& rt, StartFn start) : rt(rt), start_(std::move(start)) {}
  Status Start() override { return start_ ? start_(*this) : Status::Ok(); }
  void Stop(std::function<void()> done) override {
    ++stop_calls;
    if (on_stop) {
      on_stop(std::move(done));
    } else {
      done();
    }
  }

  Runtime& rt;
  std::unique_ptr<Listener> listener;
  std::vector<std::shared_ptr<Connection>> connections;
  std::vector<std::unique_ptr<File>> files;
  std::function<void(std::function<void()>)> on_stop;
  int stop_calls = 0;

 private:
  StartFn start_;
};

// Received bytes and close statuses of one connection, recorded outside any process so that
// they survive its death.
struct StreamLog {
  std::string data;
  std::vector<Status> closes;
  bool closed() const { return !closes.empty(); }
};

// Starts a connection's handlers, logging into `log`.
inline void StartLogging(const std::shared_ptr<Connection>& c, std::shared_ptr<StreamLog> log) {
  c->Start(
      [log](std::span<const std::byte> b) {
        log->data.append(reinterpret_cast<const char*>(b.data()), b.size());
      },
      [log](const Status& s) { log->closes.push_back(s); });
}

inline std::span<const std::byte> Bytes(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

inline std::string ToString(const std::vector<std::byte>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size());
}

// A world with two machines (a: 10.0.0.1, b: 10.0.0.2) and helpers to add scripted processes.
class TwoMachineWorld : public ::testing::Test {
 protected:
  explicit TwoMachineWorld(sim::WorldConfig config = {}) : world_(std::move(config)) {
    a_ = *world_.AddMachine({.name = "a", .ip = "10.0.0.1"});
    b_ = *world_.AddMachine({.name = "b", .ip = "10.0.0.2"});
  }

  sim::ProcessId Spawn(sim::MachineId m, const std::string& name,
                       ScriptedService::StartFn start = nullptr) {
    auto id = world_.AddProcess(m, name, [start](Runtime& rt) {
      return std::make_unique<ScriptedService>(rt, start);
    });
    EXPECT_TRUE(id.ok()) << id.status();
    EXPECT_TRUE(world_.StartProcess(*id).ok());
    world_.RunFor(Duration::zero());
    return *id;
  }
  ScriptedService* Svc(sim::ProcessId id) { return world_.service_as<ScriptedService>(id); }

  // A server process on `a` that accepts and logs every connection on port 9000.
  sim::ProcessId SpawnLoggingServer(std::vector<std::shared_ptr<StreamLog>>* logs,
                                    std::vector<std::shared_ptr<Connection>>* accepted) {
    return Spawn(a_, "server", [logs, accepted](ScriptedService& s) {
      auto l = s.rt.network().Listen(Address{"10.0.0.1", 9000},
                                     [&s, logs, accepted](std::shared_ptr<Connection> c) {
                                       auto log = std::make_shared<StreamLog>();
                                       logs->push_back(log);
                                       accepted->push_back(c);
                                       s.connections.push_back(c);
                                       StartLogging(c, log);
                                     });
      if (!l.ok()) return l.status();
      s.listener = std::move(*l);
      return Status::Ok();
    });
  }

  // Connects from process `from` to 10.0.0.1:9000; runs until answered.
  StatusOr<std::shared_ptr<Connection>> ConnectFrom(sim::ProcessId from,
                                                    Address to = Address{"10.0.0.1", 9000},
                                                    Duration timeout = seconds(3)) {
    std::optional<StatusOr<std::shared_ptr<Connection>>> result;
    world_.runtime(from)->network().Connect(
        to, timeout, [&result](StatusOr<std::shared_ptr<Connection>> r) { result = std::move(r); });
    world_.RunUntil([&] { return result.has_value(); }, world_.now() + timeout + seconds(1));
    if (!result) return InternalError("connect never answered");
    return std::move(*result);
  }

  sim::World world_;
  sim::MachineId a_, b_;
};

}  // namespace rmqsim::testing
