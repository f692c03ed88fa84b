// End to end in the simulated world: MQClientInstance + DefaultMQProducer / DefaultMQPushConsumer
// / DefaultMQPullConsumer against two real Broker processes and a real NameServer.
#include <gtest/gtest.h>

#include <set>

#include "system/broker/broker.h"
#include "tests/system/client/client_test_util.h"

namespace rmqsim::client::testing {
namespace {

class EndToEndTest : public ClientWorldTest {
 protected:
  void SetUp() override {
    StartRealBroker(a_m_, "10.0.0.2", "broker-a");
    StartRealBroker(b_m_, "10.0.0.3", "broker-b");
    admin_ = StartClient(c2_m_, "admin", Config("10.0.0.12", "admin"), nullptr);
    for (const char* b : {"10.0.0.2", "10.0.0.3"}) CreateTopic(Address{b, 10911});
    world_.RunFor(milliseconds(100));
  }

  void StartRealBroker(sim::MachineId m, const std::string& ip, const std::string& name) {
    auto pid = *world_.AddProcess(m, name, [ip, name](Runtime& rt) {
      broker::BrokerConfig bc;
      bc.broker_name = name;
      bc.broker_ip1 = ip;
      bc.namesrv_addrs = {Address{"10.0.0.1", 9876}};
      return std::make_unique<broker::Broker>(rt, bc, store::MessageStoreConfig::ForSimulation());
    });
    ASSERT_TRUE(world_.StartProcess(pid).ok());
    world_.RunFor(milliseconds(100));
  }

  void CreateTopic(Address broker) {
    auto req = remoting::RemotingCommand::CreateRequest(
        remoting::RequestCode::UPDATE_AND_CREATE_TOPIC);
    req.SetExtField("topic", "TopicTest");
    req.SetExtField("defaultTopic", "TBW102");
    req.SetExtFieldInt("readQueueNums", 4);
    req.SetExtFieldInt("writeQueueNums", 4);
    req.SetExtFieldInt("perm", 6);
    req.SetExtField("topicFilterType", "SINGLE_TAG");
    req.SetExtFieldBool("order", false);
    std::optional<int> code;
    App(admin_)->instance.remoting().Invoke(broker, req, seconds(3), [&](auto r) {
      code = r.ok() ? r->code : -1;
    });
    world_.RunUntil([&] { return code.has_value(); }, world_.now() + seconds(5));
    ASSERT_EQ(code.value_or(-2), 0);
  }

  sim::ProcessId StartProducer() {
    return StartClient(c1_m_, "producer", Config("10.0.0.11", "producer"), [](ClientApp& app) {
      app.producer = std::make_unique<DefaultMQProducer>(
          app.instance, ProducerConfig{.producer_group = "pg"});
      return app.producer->Start();
    });
  }

  sim::ProcessId StartPush(sim::MachineId m, const std::string& ip, const std::string& name,
                           Deliveries out,
                           common::MessageModel model = common::MessageModel::kClustering) {
    return StartClient(m, name, Config(ip, name), [out, name, model](ClientApp& app) {
      app.push = std::make_unique<DefaultMQPushConsumer>(
          app.instance,
          PushConsumerConfig{
              .consumer_group = "cg",
              .message_model = model,
              .consume_from_where = common::ConsumeFromWhere::kConsumeFromFirstOffset});
      RMQ_RETURN_IF_ERROR(app.push->Subscribe("TopicTest", "*"));
      app.push->RegisterMessageListener(Recorder(out, name));
      return app.push->Start();
    });
  }

  static std::set<std::string> Bodies(const Deliveries& d, const std::string& who = "") {
    std::set<std::string> out;
    for (const auto& x : *d) {
      if (who.empty() || x.consumer == who) out.insert(x.body);
    }
    return out;
  }

  sim::ProcessId admin_;
};

TEST_F(EndToEndTest, EverySendModeReachesThePushConsumer) {
  auto producer = StartProducer();
  auto deliveries = std::make_shared<std::vector<Delivery>>();
  StartPush(c2_m_, "10.0.0.12", "consumer", deliveries);
  std::set<std::string> expected;
  for (int i = 0; i < 20; ++i) {
    auto r = SendSync(producer, Msg("sync-" + std::to_string(i)));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->send_status, SendStatus::SEND_OK);
    expected.insert("sync-" + std::to_string(i));
  }
  auto async_ok = std::make_shared<int>(0);
  for (int i = 0; i < 20; ++i) {
    common::Message m = Msg("async-" + std::to_string(i));
    expected.insert("async-" + std::to_string(i));
    App(producer)->producer->SendAsync(m, [async_ok](StatusOr<SendResult> r) {
      if (r.ok() && r->send_status == SendStatus::SEND_OK) ++*async_ok;
    });
  }
  for (int i = 0; i < 20; ++i) {
    common::Message m = Msg("oneway-" + std::to_string(i));
    expected.insert("oneway-" + std::to_string(i));
    auto st = Await<Status>(producer, [m](ClientApp& a) { return a.producer->SendOneway(m); });
    ASSERT_TRUE(st && st->ok());
  }
  std::vector<common::Message> batch;
  for (int i = 0; i < 10; ++i) {
    batch.push_back(Msg("batch-" + std::to_string(i)));
    expected.insert("batch-" + std::to_string(i));
  }
  auto br = Await<StatusOr<SendResult>>(producer,
                                        [batch](ClientApp& a) { return a.producer->SendBatch(batch); });
  ASSERT_TRUE(br && br->ok()) << (br ? br->status().ToString() : "no result");
  world_.RunFor(seconds(30));
  EXPECT_EQ(*async_ok, 20);
  EXPECT_EQ(Bodies(deliveries), expected);
}

TEST_F(EndToEndTest, ClusteringSplitsQueuesAndRebalancesWhenOneLeaves) {
  auto producer = StartProducer();
  auto deliveries = std::make_shared<std::vector<Delivery>>();
  auto c1 = StartPush(c1_m_, "10.0.0.11", "c1", deliveries);
  auto c2 = StartPush(c2_m_, "10.0.0.12", "c2", deliveries);
  world_.RunFor(seconds(25));  // both heartbeats and a rebalance round
  // AssignedQueues also holds the %RETRY%cg queues (one per broker): count TopicTest's.
  auto topic_queues = [](const std::set<common::MessageQueue>& all) {
    std::set<common::MessageQueue> out;
    for (const auto& q : all) {
      if (q.topic == "TopicTest") out.insert(q);
    }
    return out;
  };
  std::set<common::MessageQueue> q1 = topic_queues(App(c1)->push->AssignedQueues());
  std::set<common::MessageQueue> q2 = topic_queues(App(c2)->push->AssignedQueues());
  EXPECT_EQ(q1.size() + q2.size(), 8u);  // 4 queues on each of two brokers
  for (const auto& q : q1) EXPECT_FALSE(q2.contains(q));
  std::set<std::string> expected;
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(SendSync(producer, Msg("m-" + std::to_string(i))).ok());
    expected.insert("m-" + std::to_string(i));
  }
  world_.RunFor(seconds(5));
  EXPECT_EQ(Bodies(deliveries), expected);
  EXPECT_FALSE(Bodies(deliveries, "c1").empty());
  EXPECT_FALSE(Bodies(deliveries, "c2").empty());
  world_.StopProcess(c2);
  world_.RunFor(seconds(25));
  EXPECT_EQ(topic_queues(App(c1)->push->AssignedQueues()).size(), 8u);
  for (int i = 40; i < 60; ++i) {
    ASSERT_TRUE(SendSync(producer, Msg("m-" + std::to_string(i))).ok());
    expected.insert("m-" + std::to_string(i));
  }
  world_.RunFor(seconds(5));
  EXPECT_EQ(Bodies(deliveries), expected);
}

TEST_F(EndToEndTest, BroadcastingDeliversToEveryConsumer) {
  auto producer = StartProducer();
  auto deliveries = std::make_shared<std::vector<Delivery>>();
  StartPush(c1_m_, "10.0.0.11", "c1", deliveries, common::MessageModel::kBroadcasting);
  StartPush(c2_m_, "10.0.0.12", "c2", deliveries, common::MessageModel::kBroadcasting);
  world_.RunFor(seconds(5));
  std::set<std::string> expected;
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(SendSync(producer, Msg("b-" + std::to_string(i))).ok());
    expected.insert("b-" + std::to_string(i));
  }
  world_.RunFor(seconds(10));
  EXPECT_EQ(Bodies(deliveries, "c1"), expected);
  EXPECT_EQ(Bodies(deliveries, "c2"), expected);
}

TEST_F(EndToEndTest, PullConsumerReadsEveryQueue) {
  auto producer = StartProducer();
  std::set<std::string> expected;
  for (int i = 0; i < 24; ++i) {
    ASSERT_TRUE(SendSync(producer, Msg("p-" + std::to_string(i), i % 2 ? "TagA" : "TagB")).ok());
    expected.insert("p-" + std::to_string(i));
  }
  auto puller = StartClient(c2_m_, "puller", Config("10.0.0.12", "puller"), [](ClientApp& app) {
    app.pull = std::make_unique<DefaultMQPullConsumer>(app.instance,
                                                       PullConsumerConfig{.consumer_group = "pcg"});
    return app.pull->Start();
  });
  auto queues = Await<StatusOr<std::set<common::MessageQueue>>>(
      puller, [](ClientApp& a) { return a.pull->FetchSubscribeMessageQueues("TopicTest"); });
  ASSERT_TRUE(queues && queues->ok());
  ASSERT_EQ((*queues)->size(), 8u);
  std::set<std::string> got;
  for (const common::MessageQueue& queue : **queues) {
    auto r = Await<StatusOr<PullResult>>(
        puller, [queue](ClientApp& a) { return a.pull->Pull(queue, "*", 0, 32); });
    ASSERT_TRUE(r && r->ok()) << (r ? r->status().ToString() : "no result");
    for (const auto& m : (*r)->msg_found_list) got.insert(common::StringFromBytes(m.message.body()));
  }
  EXPECT_EQ(got, expected);
}

}  // namespace
}  // namespace rmqsim::client::testing
