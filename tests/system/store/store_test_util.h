// Fixtures for message-store tests on the simulated world: one machine ("broker", 10.0.0.1) and
// one process owning a DefaultMessageStore, with helpers to put, get, kill, power-cycle and
// restart. Everything a test inspects after a crash lives outside the process.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/simulated/world.h"
#include "system/common/message_const.h"
#include "system/common/stored_message.h"
#include "system/store/consumer_offset_manager.h"
#include "system/store/default_message_store.h"
#include "tests/testing/sim_testing.h"

namespace rmqsim::store::testing {

inline const common::HostAddress kBornHost = common::HostAddress::Ipv4(10, 0, 0, 2, 40000);
inline const common::HostAddress kStoreHost = common::HostAddress::Ipv4(10, 0, 0, 1, 10911);

// The process: a store (and a consumer offset manager) built at Start from the fixture's config.
class StoreService final : public Service {
 public:
  struct Shared {
    MessageStoreConfig config;
    bool with_offsets = false;
    std::optional<Status> last_shutdown;
  };
  StoreService(Runtime& rt, std::shared_ptr<Shared> shared) : rt(rt), shared_(std::move(shared)) {}

  Status Start() override {
    store = std::make_unique<DefaultMessageStore>(rt, shared_->config);
    RMQ_RETURN_IF_ERROR(store->Start());
    if (shared_->with_offsets) {
      offsets = std::make_unique<ConsumerOffsetManager>(
          rt,
          ConsumerOffsetManagerOptions{.config_file_path = shared_->config.ConsumerOffsetPath()});
      RMQ_RETURN_IF_ERROR(offsets->Load());
      offsets->Start();
    }
    return Status::Ok();
  }
  void Stop(std::function<void()> done) override {
    auto shared = shared_;
    auto finish = [shared, done](const Status& s) {
      shared->last_shutdown = s;
      done();
    };
    if (offsets) {
      offsets->Shutdown([this, finish](const Status&) { store->Shutdown(finish); });
    } else {
      store->Shutdown(finish);
    }
  }

  Runtime& rt;
  std::unique_ptr<DefaultMessageStore> store;
  std::unique_ptr<ConsumerOffsetManager> offsets;

 private:
  std::shared_ptr<Shared> shared_;
};

inline MessageStoreConfig SmallConfig() {
  MessageStoreConfig c = MessageStoreConfig::ForSimulation();
  c.mapped_file_size_commit_log = 64 * 1024;
  c.mapped_file_size_consume_queue = 200 * 20;
  c.max_message_size = 16 * 1024;
  return c;
}

// A put of `body` to topic/queue, born at the world's start from kBornHost.
inline PutMessageRequest MakeRequest(const std::string& topic, int32_t queue_id,
                                     const std::string& body, const std::string& tags = "") {
  PutMessageRequest r;
  r.message = common::Message(topic, common::BytesFromString(body));
  if (!tags.empty()) r.message.SetTags(tags);
  r.queue_id = queue_id;
  r.born_timestamp_ms = 1'767'225'600'000;
  r.born_host = kBornHost;
  r.store_host = kStoreHost;
  return r;
}

class StoreTest : public ::testing::Test {
 protected:
  explicit StoreTest(sim::WorldConfig world_config = {}, sim::DiskConfig disk = {})
      : world_(std::move(world_config)) {
    shared_ = std::make_shared<StoreService::Shared>();
    shared_->config = SmallConfig();
    m_ = *world_.AddMachine({.name = "broker", .ip = "10.0.0.1", .disk = disk});
    auto shared = shared_;
    p_ = *world_.AddProcess(m_, "broker-a", [shared](Runtime& rt) {
      return std::make_unique<StoreService>(rt, shared);
    });
  }

  MessageStoreConfig& config() { return shared_->config; }

  void StartStore() {
    Status s = world_.StartProcess(p_);
    ASSERT_TRUE(s.ok()) << s;
    world_.RunFor(Duration::zero());
    ASSERT_TRUE(world_.IsRunning(p_)) << "store did not start";
  }
  StoreService& svc() { return *world_.service_as<StoreService>(p_); }
  DefaultMessageStore& store() { return *svc().store; }
  Runtime& rt() { return *world_.runtime(p_); }

  void Kill() { world_.KillProcess(p_); }
  void PowerCycle() {
    world_.PowerOff(m_);
    world_.PowerOn(m_);
  }
  // Graceful stop; returns the store's shutdown status.
  Status StopGracefully() {
    shared_->last_shutdown.reset();
    world_.StopProcess(p_, seconds(60));
    world_.RunUntil([&] { return !world_.IsRunning(p_); }, world_.now() + seconds(61));
    return shared_->last_shutdown.value_or(InternalError("no shutdown result"));
  }

  static PutMessageRequest Request(const std::string& topic, int32_t queue_id,
                                   const std::string& body, const std::string& tags = "") {
    return MakeRequest(topic, queue_id, body, tags);
  }

  // Puts and returns a holder filled when the callback runs (it survives a kill).
  std::shared_ptr<std::optional<PutMessageResult>> PutAsync(PutMessageRequest r) {
    auto out = std::make_shared<std::optional<PutMessageResult>>();
    store().PutMessage(std::move(r), [out](PutMessageResult res) { *out = std::move(res); });
    return out;
  }
  PutMessageResult Put(PutMessageRequest r, Duration deadline = seconds(60)) {
    auto out = PutAsync(std::move(r));
    world_.RunUntil([&] { return out->has_value(); }, world_.now() + deadline);
    if (!out->has_value()) {
      ADD_FAILURE() << "put did not complete";
      return {};
    }
    return **out;
  }
  PutMessageResult Put(const std::string& topic, int32_t queue_id, const std::string& body,
                       const std::string& tags = "") {
    return Put(Request(topic, queue_id, body, tags));
  }

  GetMessageResult Get(const std::string& topic, int32_t queue_id, int64_t offset,
                       int32_t max_msg_nums = 32, const MessageFilter* filter = nullptr) {
    auto r = store().GetMessage("group", topic, queue_id, offset, max_msg_nums, 0, filter);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : GetMessageResult{};
  }

  static std::vector<common::MessageExt> Decode(const GetMessageResult& r) {
    std::vector<common::MessageExt> out;
    for (const auto& b : r.message_buffers) {
      auto m = common::DecodeStoredMessage(b);  // CRC checked
      EXPECT_TRUE(m.ok()) << m.status();
      if (m.ok()) out.push_back(std::move(*m));
    }
    return out;
  }

  // Every message of a queue, from its min offset to its max offset.
  std::vector<common::MessageExt> ReadAll(const std::string& topic, int32_t queue_id) {
    std::vector<common::MessageExt> out;
    int64_t offset = store().GetMinOffsetInQueue(topic, queue_id);
    for (int guard = 0; guard < 100000; ++guard) {
      GetMessageResult r = Get(topic, queue_id, offset, 32);
      if (r.status != GetMessageStatus::kFound) break;
      auto msgs = Decode(r);
      out.insert(out.end(), msgs.begin(), msgs.end());
      offset = r.next_begin_offset;
    }
    return out;
  }

  // Trace events of the store process with this name, in order.
  std::vector<const TraceEvent*> Events(std::string_view name) const {
    std::vector<const TraceEvent*> out;
    for (const auto& e : world_.trace_events()) {
      if (e.event.name() == name) out.push_back(&e.event);
    }
    return out;
  }
  template <typename T>
  static T DetailOf(const TraceEvent& e, std::string_view key) {
    const TraceEvent::Value* v = e.Find(key);
    if (v == nullptr || !std::holds_alternative<T>(*v)) {
      ADD_FAILURE() << "event " << e.name() << " has no detail " << key << " of that type";
      return T{};
    }
    return std::get<T>(*v);
  }

  sim::World world_;
  std::shared_ptr<StoreService::Shared> shared_;
  sim::MachineId m_;
  sim::ProcessId p_;
};

}  // namespace rmqsim::store::testing
