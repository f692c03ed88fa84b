// Fixtures for client tests: a world with a name server, scripted brokers (fake_broker.h) and
// client processes (ClientApp) whose producers and consumers are built by a test lambda.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/simulated/world.h"
#include "system/client/default_mq_producer.h"
#include "system/client/default_mq_pull_consumer.h"
#include "system/client/default_mq_push_consumer.h"
#include "system/client/mq_client_instance.h"
#include "system/namesrv/name_server.h"
#include "tests/system/client/fake_broker.h"

namespace rmqsim::client::testing {

// One client process: an MQClientInstance and whatever the setup lambda builds on it.
class ClientApp final : public Service {
 public:
  using Setup = std::function<Status(ClientApp&)>;
  ClientApp(Runtime& rt, ClientConfig config, Setup setup)
      : rt(rt), instance(rt, std::move(config)), setup_(std::move(setup)) {}
  Status Start() override { return setup_ ? setup_(*this) : instance.Start(); }
  void Stop(std::function<void()> done) override { scope.Spawn(StopTask(std::move(done))); }

  Runtime& rt;
  MQClientInstance instance;
  std::unique_ptr<DefaultMQProducer> producer;
  std::unique_ptr<DefaultMQPushConsumer> push;
  std::unique_ptr<DefaultMQPushConsumer> push2;
  std::unique_ptr<DefaultMQPushConsumer> push3;
  std::unique_ptr<DefaultMQPullConsumer> pull;

 private:
  Task<void> StopTask(std::function<void()> done) {
    for (auto* c : {push.get(), push2.get(), push3.get()}) {
      if (c != nullptr) co_await c->Shutdown();
    }
    if (pull) co_await pull->Shutdown();
    if (producer) co_await producer->Shutdown();
    co_await instance.Shutdown();
    rt.executor().Post(std::move(done));
  }
  Setup setup_;

 public:
  TaskScope scope;  // last: destroyed first
};

// What a listener saw, recorded outside the processes.
struct Delivery {
  std::string consumer;
  std::string topic;
  std::string body;
  std::string msg_id;
  std::string tags;
  common::MessageQueue mq;
  int64_t queue_offset = 0;
  int32_t reconsume_times = 0;
  MonoTime at;
};
using Deliveries = std::shared_ptr<std::vector<Delivery>>;

template <typename T>
Task<void> CaptureInto(Task<T> task, std::shared_ptr<std::optional<T>> out) {
  T value = co_await std::move(task);
  *out = std::move(value);
}

// The world and its helpers; ClientWorldTest is the gtest fixture around it.
class ClientWorld {
 public:
  static constexpr char kNamesrv[] = "10.0.0.1:9876";

  explicit ClientWorld(uint64_t seed = 42) : world_(sim::WorldConfig{.seed = seed}) {
    ns_m_ = *world_.AddMachine({.name = "ns", .ip = "10.0.0.1"});
    a_m_ = *world_.AddMachine({.name = "broker-a", .ip = "10.0.0.2"});
    b_m_ = *world_.AddMachine({.name = "broker-b", .ip = "10.0.0.3"});
    c1_m_ = *world_.AddMachine({.name = "client-1", .ip = "10.0.0.11"});
    c2_m_ = *world_.AddMachine({.name = "client-2", .ip = "10.0.0.12"});
    ns_ = *world_.AddProcess(ns_m_, "namesrv", [](Runtime& rt) {
      return std::make_unique<namesrv::NameServer>(rt, namesrv::NamesrvConfig{});
    });
    EXPECT_TRUE(world_.StartProcess(ns_).ok());
    world_.RunFor(milliseconds(10));
  }

  std::shared_ptr<FakeBrokerState> NewBrokerState(const std::string& name) {
    auto s = std::make_shared<FakeBrokerState>();
    s->broker_name = name;
    return s;
  }
  sim::ProcessId StartBroker(sim::MachineId m, const std::string& ip,
                             std::shared_ptr<FakeBrokerState> state) {
    Address listen{ip, 10911};
    auto pid = *world_.AddProcess(m, state->broker_name, [state, listen](Runtime& rt) {
      return std::make_unique<FakeBroker>(rt, state, listen,
                                          std::vector<Address>{Address{"10.0.0.1", 9876}});
    });
    EXPECT_TRUE(world_.StartProcess(pid).ok());
    world_.RunFor(milliseconds(100));
    return pid;
  }
  ClientConfig Config(const std::string& ip, const std::string& instance = "DEFAULT") {
    ClientConfig c;
    c.namesrv_addr = kNamesrv;
    c.client_ip = ip;
    c.instance_name = instance;
    return c;
  }
  sim::ProcessId StartClient(sim::MachineId m, const std::string& name, ClientConfig config,
                             ClientApp::Setup setup) {
    auto pid = *world_.AddProcess(m, name, [config, setup](Runtime& rt) {
      return std::make_unique<ClientApp>(rt, config, setup);
    });
    Status s = world_.StartProcess(pid);
    EXPECT_TRUE(s.ok()) << s;
    world_.RunFor(milliseconds(1));
    return pid;
  }
  ClientApp* App(sim::ProcessId pid) { return world_.service_as<ClientApp>(pid); }

  // Runs `make(app)` as a coroutine inside the process and the world until it finishes.
  template <typename T>
  std::optional<T> Await(sim::ProcessId pid, std::function<Task<T>(ClientApp&)> make,
                         Duration max = seconds(20)) {
    auto out = std::make_shared<std::optional<T>>();
    ClientApp* app = App(pid);
    world_.runtime(pid)->executor().Post(
        [app, make, out] { app->scope.Spawn(CaptureInto<T>(make(*app), out)); });
    world_.RunUntil([&] { return out->has_value(); }, world_.now() + max);
    return *out;
  }

  StatusOr<SendResult> SendSync(sim::ProcessId pid, common::Message msg) {
    auto r =
        Await<StatusOr<SendResult>>(pid, [msg](ClientApp& a) { return a.producer->Send(msg); });
    if (!r) return InternalError("send never finished");
    return std::move(*r);
  }

  static common::Message Msg(const std::string& body, const std::string& tags = "",
                             const std::string& topic = "TopicTest") {
    common::Message m(topic, common::BytesFromString(body));
    if (!tags.empty()) m.SetTags(tags);
    return m;
  }

  static MessageListenerConcurrently Recorder(Deliveries out, std::string name) {
    return
        [out, name](const std::vector<common::MessageExt>& msgs, ConsumeConcurrentlyContext& ctx) {
          for (const auto& m : msgs) {
            out->push_back({name, m.message.topic(), common::StringFromBytes(m.message.body()),
                            ConsumedMessageId(m), m.message.tags(), ctx.message_queue,
                            m.queue_offset, m.reconsume_times, MonoTime{}});
          }
          return ConsumeConcurrentlyStatus::CONSUME_SUCCESS;
        };
  }

  sim::World world_;
  sim::MachineId ns_m_, a_m_, b_m_, c1_m_, c2_m_;
  sim::ProcessId ns_;
};

class ClientWorldTest : public ::testing::Test, public ClientWorld {};

}  // namespace rmqsim::client::testing
