// The client processes of scenarios (and of tests that want a recorded workload): a producer
// that sends at a fixed rate in one of the send modes, a push consumer with optional failures
// and slowness, and a topic admin. Each reports every operation to the HistoryRecorder, which
// lives outside the processes.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "faults/client_hooks.h"
#include "scenarios/history/history_recorder.h"
#include "scenarios/proto/scenario.pb.h"
#include "scenarios/workloads/client_settings.h"
#include "sim/base/lifetime.h"
#include "sim/runtime/runtime.h"
#include "sim/runtime/service.h"
#include "sim/runtime/task.h"
#include "system/client/default_mq_pop_consumer.h"
#include "system/client/default_mq_producer.h"
#include "system/client/default_mq_pull_consumer.h"
#include "system/client/default_mq_push_consumer.h"
#include "system/client/mq_client_instance.h"
#include "system/remoting/remoting_client.h"

namespace rmqsim::scenarios {

struct ProducerSpec {
  std::string name;   // process name (also the key prefix)
  std::string topic;
  Duration interval;  // one send (or batch) every interval
  scenario::SendMode mode = scenario::SYNC;
  int batch_size = 4;
  int body_min = 64;
  int body_max = 64;
  std::vector<std::string> tags;
  int max_in_flight = 256;
  ClientSettings settings;  // settings.producer.producer_group set
};

class ProducerApp final : public Service, public faults::ClientHooks {
 public:
  ProducerApp(Runtime& rt, ProducerSpec spec, HistoryRecorder* recorder);
  Status Start() override;
  void Stop(std::function<void()> done) override;
  client::MQClientInstance* client_instance() override { return &instance_; }
  // The drain phase: no new sends (those in flight finish).
  void set_paused(bool paused) { paused_ = paused; }

 private:
  Task<void> Loop();
  Task<void> SendOne(uint64_t seq);
  Task<void> SendBatch(uint64_t seq);
  common::Message MakeMessage(uint64_t seq, int* index_out);
  Task<void> StopTask(std::function<void()> done);

  Runtime& rt_;
  ProducerSpec spec_;
  client::MQClientInstance instance_;
  std::unique_ptr<client::DefaultMQProducer> producer_;
  HistoryRecorder* recorder_;
  uint64_t nonce_ = 0;
  int in_flight_ = 0;
  bool paused_ = false;
  TaskScope scope_;
};

struct ConsumerSpec {
  std::string name;
  std::string group;
  std::string topic;
  std::string subscription = "*";
  scenario::MessageModel model = scenario::CLUSTERING;
  double failure_rate = 0;
  double slow_rate = 0;
  Duration slow_duration = seconds(2);
  int index = 0;  // pull consumers: this process's position in its group
  int count = 1;  // pull consumers: processes in the group
  Duration invisible_time = seconds(60);  // pop consumers
  Duration poll_time = seconds(15);       // pop consumers
  ClientSettings settings;  // settings.consumer.consumer_group etc. set
};

class PushConsumerApp final : public Service, public faults::ClientHooks {
 public:
  PushConsumerApp(Runtime& rt, ConsumerSpec spec, HistoryRecorder* recorder);
  Status Start() override;
  void Stop(std::function<void()> done) override;
  client::MQClientInstance* client_instance() override { return &instance_; }
  client::DefaultMQPushConsumer* consumer() { return consumer_.get(); }

 private:
  Task<void> StopTask(std::function<void()> done);

  Runtime& rt_;
  ConsumerSpec spec_;
  client::MQClientInstance instance_;
  std::unique_ptr<client::DefaultMQPushConsumer> consumer_;
  HistoryRecorder* recorder_;
  TaskScope scope_;
};

// A pull consumer (DefaultMQPullConsumer) that walks its share of the topic's queues: consumer
// `index` of `count` takes every queue whose position in the sorted queue list is index modulo
// count (a static AllocateMessageQueueAveragely: pull consumers have no rebalance of their own).
// Each queue starts from the offset stored on the broker (0 if none) and is pulled with
// long polling; offsets are committed by the client's persist timer, as Java's would be.
class PullConsumerApp final : public Service, public faults::ClientHooks {
 public:
  PullConsumerApp(Runtime& rt, ConsumerSpec spec, HistoryRecorder* recorder);
  Status Start() override;
  void Stop(std::function<void()> done) override;
  client::MQClientInstance* client_instance() override { return &instance_; }

 private:
  Task<void> Run();
  Task<void> PullQueue(client::MessageQueue mq);
  Task<void> StopTask(std::function<void()> done);

  Runtime& rt_;
  ConsumerSpec spec_;
  client::MQClientInstance instance_;
  std::unique_ptr<client::DefaultMQPullConsumer> consumer_;
  HistoryRecorder* recorder_;
  bool stopping_ = false;
  TaskScope scope_;
};

// A pop consumer (DefaultMQPopConsumer): pops from every broker of the topic's route, records
// each message handed to the listener, acknowledges it, or (failure_rate) makes it visible again
// after the back-off of its reconsume count.
class PopConsumerApp final : public Service, public faults::ClientHooks {
 public:
  PopConsumerApp(Runtime& rt, ConsumerSpec spec, HistoryRecorder* recorder);
  Status Start() override;
  void Stop(std::function<void()> done) override;
  client::MQClientInstance* client_instance() override { return &instance_; }
  client::DefaultMQPopConsumer* consumer() { return consumer_.get(); }

 private:
  Task<void> StopTask(std::function<void()> done);

  Runtime& rt_;
  ConsumerSpec spec_;
  client::MQClientInstance instance_;
  std::unique_ptr<client::DefaultMQPopConsumer> consumer_;
  HistoryRecorder* recorder_;
  TaskScope scope_;
};

// Creates topics on brokers (UPDATE_AND_CREATE_TOPIC), retrying each until it answers SUCCESS.
struct TopicSpec {
  std::string name;
  int queues = 4;
};
class TopicAdminApp final : public Service {
 public:
  TopicAdminApp(Runtime& rt, std::vector<Address> brokers, std::vector<TopicSpec> topics);
  Status Start() override;
  int created() const { return created_; }
  bool done() const { return created_ == static_cast<int>(brokers_.size() * topics_.size()); }

 private:
  void CreateOn(Address broker, TopicSpec topic);
  Runtime& rt_;
  remoting::RemotingClient client_;
  std::vector<Address> brokers_;
  std::vector<TopicSpec> topics_;
  int created_ = 0;
  LifetimeGuard guard_;
};

}  // namespace rmqsim::scenarios
