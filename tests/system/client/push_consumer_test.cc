// DefaultMQPushConsumer: long polling, clustering rebalance, broadcasting offsets file,
// CONSUME_FROM_*, send-back, offset commits.
#include <gtest/gtest.h>

#include <set>

#include "system/common/mix_all.h"
#include "tests/system/client/client_test_util.h"

namespace rmqsim::client::testing {
namespace {

using common::ConsumeFromWhere;
using common::MessageModel;

class ClientPushConsumerTest : public ClientWorldTest {
 protected:
  void SetUp() override {
    broker_state_ = NewBrokerState("broker-a");
    broker_ = StartBroker(a_m_, "10.0.0.2", broker_state_);
    producer_ = StartClient(ns_m_, "producer", Config("10.0.0.1"), [](ClientApp& app) {
      app.producer =
          std::make_unique<DefaultMQProducer>(app.instance, ProducerConfig{.producer_group = "pg"});
      return app.producer->Start();
    });
  }

  sim::ProcessId StartConsumer(sim::MachineId m, const std::string& ip, const std::string& name,
                               PushConsumerConfig config, Deliveries out,
                               const std::string& expr = "*",
                               const std::string& instance = "DEFAULT") {
    return StartClient(m, name, Config(ip, instance), [=](ClientApp& app) {
      app.push = std::make_unique<DefaultMQPushConsumer>(app.instance, config);
      RMQ_RETURN_IF_ERROR(app.push->Subscribe("TopicTest", expr));
      app.push->RegisterMessageListener(Recorder(out, name));
      return app.push->Start();
    });
  }

  void Produce(int n, const std::string& prefix, const std::string& tags = "") {
    for (int i = 0; i < n; ++i) {
      auto r = SendSync(producer_, Msg(prefix + std::to_string(i), tags));
      ASSERT_TRUE(r.ok()) << r.status();
    }
  }

  static std::set<std::string> Bodies(const std::vector<Delivery>& d, const std::string& who = "") {
    std::set<std::string> out;
    for (const auto& x : d) {
      if (who.empty() || x.consumer == who) out.insert(x.body);
    }
    return out;
  }

  std::set<MessageQueue> TopicQueues(sim::ProcessId pid) {
    std::set<MessageQueue> out;
    if (!world_.IsRunning(pid) || App(pid) == nullptr || !App(pid)->push) return out;
    for (const auto& mq : App(pid)->push->AssignedQueues()) {
      if (mq.topic == "TopicTest") out.insert(mq);
    }
    return out;
  }

  std::shared_ptr<FakeBrokerState> broker_state_;
  sim::ProcessId broker_, producer_;
};

TEST_F(ClientPushConsumerTest, ReceivesEveryMessageSentAfterItStarted) {
  auto out = std::make_shared<std::vector<Delivery>>();
  auto c = StartConsumer(c1_m_, "10.0.0.11", "c1", {.consumer_group = "cg"}, out);
  ASSERT_TRUE(
      world_.RunUntil([&] { return TopicQueues(c).size() == 4; }, world_.now() + seconds(5)));
  Produce(40, "m");
  ASSERT_TRUE(world_.RunUntil([&] { return out->size() >= 40; }, world_.now() + seconds(5)));
  world_.RunFor(seconds(1));
  EXPECT_EQ(out->size(), 40u);  // once each
  EXPECT_EQ(Bodies(*out).size(), 40u);
  // Heartbeats carry the retry topic's subscription too (clustering).
  ASSERT_FALSE(broker_state_->heartbeats.empty());
  bool saw_retry_sub = false;
  for (const auto& hb : broker_state_->heartbeats) {
    for (const auto& cd : hb.consumer_data_set) {
      for (const auto& sd : cd.subscription_data_set) saw_retry_sub |= sd.topic == "%RETRY%cg";
    }
  }
  EXPECT_TRUE(saw_retry_sub);
  // Long polling: pulls are held, not spun.
  uint64_t pulls = App(c)->push->pulls();
  world_.RunFor(seconds(60));
  EXPECT_LE(App(c)->push->pulls() - pulls, 5u * 5u);  // 5 queues, one per 15 s hold
  // The broker created %RETRY%cg at the first heartbeat; the next route refresh and rebalance
  // (within 30 s + 20 s) put its queue in the assignment.
  EXPECT_TRUE(App(c)->push->AssignedQueues().contains(MessageQueue{"%RETRY%cg", "broker-a", 0}));
}

TEST_F(ClientPushConsumerTest, ClusteringSplitsQueuesAndRebalancesWhenOneLeaves) {
  auto out = std::make_shared<std::vector<Delivery>>();
  auto c1 = StartConsumer(c1_m_, "10.0.0.11", "c1", {.consumer_group = "cg"}, out);
  auto c2 = StartConsumer(c2_m_, "10.0.0.12", "c2", {.consumer_group = "cg"}, out);
  auto split = [&] { return TopicQueues(c1).size() == 2 && TopicQueues(c2).size() == 2; };
  ASSERT_TRUE(world_.RunUntil(split, world_.now() + seconds(5)));
  world_.RunFor(seconds(1));  // let both finish rebalancing (one may pass through 4 queues)
  ASSERT_TRUE(split());
  auto q1 = TopicQueues(c1), q2 = TopicQueues(c2);
  for (const auto& mq : q1) EXPECT_FALSE(q2.contains(mq));
  Produce(40, "m");
  ASSERT_TRUE(world_.RunUntil([&] { return out->size() >= 40; }, world_.now() + seconds(5)));
  auto b1 = Bodies(*out, "c1"), b2 = Bodies(*out, "c2");
  EXPECT_FALSE(b1.empty());
  EXPECT_FALSE(b2.empty());
  for (const auto& b : b1) EXPECT_FALSE(b2.contains(b));
  EXPECT_EQ(b1.size() + b2.size(), 40u);

  MonoTime stopped = world_.now();
  world_.StopProcess(c2);
  ASSERT_TRUE(world_.RunUntil([&] { return TopicQueues(c1).size() == 4; }, stopped + seconds(21)));
  // The graceful stop unregistered c2, so the broker notified c1 at once.
  EXPECT_LT(world_.now() - stopped, seconds(2));
  out->clear();
  Produce(20, "n");
  ASSERT_TRUE(world_.RunUntil([&] { return out->size() >= 20; }, world_.now() + seconds(5)));
  EXPECT_EQ(Bodies(*out, "c1").size(), 20u);
}

TEST_F(ClientPushConsumerTest, KilledConsumerIsRebalancedAway) {
  auto out = std::make_shared<std::vector<Delivery>>();
  auto c1 = StartConsumer(c1_m_, "10.0.0.11", "c1", {.consumer_group = "cg"}, out);
  auto c2 = StartConsumer(c2_m_, "10.0.0.12", "c2", {.consumer_group = "cg"}, out);
  ASSERT_TRUE(
      world_.RunUntil([&] { return TopicQueues(c2).size() == 2; }, world_.now() + seconds(5)));
  MonoTime killed = world_.now();
  world_.KillProcess(c2);  // the broker sees the reset, drops the member and notifies c1
  ASSERT_TRUE(world_.RunUntil([&] { return TopicQueues(c1).size() == 4; }, killed + seconds(21)));
}

TEST_F(ClientPushConsumerTest, BroadcastingDeliversToAllAndKeepsOffsetsInAFile) {
  auto out = std::make_shared<std::vector<Delivery>>();
  PushConsumerConfig cfg{.consumer_group = "bg", .message_model = MessageModel::kBroadcasting};
  auto c1 = StartConsumer(c1_m_, "10.0.0.11", "c1", cfg, out, "*", "inst-1");
  auto c2 = StartConsumer(c2_m_, "10.0.0.12", "c2", cfg, out, "*", "inst-2");
  ASSERT_TRUE(
      world_.RunUntil([&] { return TopicQueues(c1).size() == 4 && TopicQueues(c2).size() == 4; },
                      world_.now() + seconds(5)));
  EXPECT_FALSE(App(c1)->push->AssignedQueues().contains(
      MessageQueue{"%RETRY%bg", "broker-a", 0}));  // no retry topic in broadcasting
  Produce(20, "m");
  ASSERT_TRUE(world_.RunUntil([&] { return out->size() >= 40; }, world_.now() + seconds(5)));
  EXPECT_EQ(Bodies(*out, "c1").size(), 20u);
  EXPECT_EQ(Bodies(*out, "c2").size(), 20u);
  world_.RunFor(seconds(11));  // first persist after 10 s
  const auto& store = static_cast<const LocalFileOffsetStore&>(App(c1)->push->offset_store());
  EXPECT_EQ(store.path(), ".rocketmq_offsets/10.0.0.11@inst-1/bg/offsets.json");
  EXPECT_GT(store.files_written(), 0u);
  Runtime* rt = world_.runtime(c1);
  ASSERT_TRUE(rt->fs().Exists(store.path()));
  // No offset reached the broker: broadcasting keeps them locally.
  EXPECT_EQ(broker_state_->count(remoting::RequestCode::UPDATE_CONSUMER_OFFSET), 0u);

  // Restart c1: it reloads its offsets and does not see the 20 again.
  world_.StopProcess(c1);
  world_.RunFor(seconds(1));
  out->clear();
  Status restarted = world_.RestartProcess(c1);
  ASSERT_TRUE(restarted.ok()) << restarted;
  world_.RunFor(milliseconds(1));
  ASSERT_TRUE(world_.IsRunning(c1));
  ASSERT_TRUE(
      world_.RunUntil([&] { return TopicQueues(c1).size() == 4; }, world_.now() + seconds(5)));
  world_.RunFor(seconds(2));
  EXPECT_TRUE(Bodies(*out, "c1").empty());
  Produce(5, "n");
  ASSERT_TRUE(
      world_.RunUntil([&] { return Bodies(*out, "c1").size() >= 5; }, world_.now() + seconds(5)));
  EXPECT_EQ(Bodies(*out, "c1"), (std::set<std::string>{"n0", "n1", "n2", "n3", "n4"}));
}

TEST_F(ClientPushConsumerTest, ConsumeFromLastFirstAndTimestampOnANewGroup) {
  Produce(10, "early");
  world_.RunFor(seconds(60));
  WallTime between = world_.runtime(producer_)->WallNow();
  world_.RunFor(seconds(60));
  Produce(10, "late");
  auto out = std::make_shared<std::vector<Delivery>>();
  auto pid = StartClient(c1_m_, "consumers", Config("10.0.0.11"), [=](ClientApp& app) {
    struct Spec {
      std::unique_ptr<DefaultMQPushConsumer>* slot;
      std::string group;
      ConsumeFromWhere where;
    };
    for (const Spec& s : {Spec{&app.push, "g-last", ConsumeFromWhere::kConsumeFromLastOffset},
                          Spec{&app.push2, "g-first", ConsumeFromWhere::kConsumeFromFirstOffset},
                          Spec{&app.push3, "g-ts", ConsumeFromWhere::kConsumeFromTimestamp}}) {
      PushConsumerConfig cfg{.consumer_group = s.group, .consume_from_where = s.where};
      cfg.consume_timestamp = between;
      *s.slot = std::make_unique<DefaultMQPushConsumer>(app.instance, cfg);
      RMQ_RETURN_IF_ERROR((*s.slot)->Subscribe("TopicTest", "*"));
      (*s.slot)->RegisterMessageListener(Recorder(out, s.group));
      RMQ_RETURN_IF_ERROR((*s.slot)->Start());
    }
    return Status::Ok();
  });
  auto ready = [&] {
    for (auto* c : {App(pid)->push.get(), App(pid)->push2.get(), App(pid)->push3.get()}) {
      int n = 0;
      for (const auto& mq : c->AssignedQueues()) n += mq.topic == "TopicTest";
      if (n != 4) return false;
    }
    return true;
  };
  bool is_ready = world_.RunUntil(ready, world_.now() + seconds(5));
  ASSERT_TRUE(is_ready);
  Produce(5, "after");
  world_.RunFor(seconds(3));
  auto last = Bodies(*out, "g-last"), first = Bodies(*out, "g-first"), ts = Bodies(*out, "g-ts");
  EXPECT_EQ(last.size(), 5u);
  EXPECT_EQ(first.size(), 25u);
  EXPECT_EQ(ts.size(), 15u);
  for (const auto& b : ts) EXPECT_EQ(b.find("early"), std::string::npos) << b;
  for (const auto& b : last) EXPECT_EQ(b.rfind("after", 0), 0u) << b;
  EXPECT_GT(broker_state_->count(remoting::RequestCode::SEARCH_OFFSET_BY_TIMESTAMP), 0u);
  EXPECT_GT(broker_state_->count(remoting::RequestCode::GET_MAX_OFFSET), 0u);
}

TEST_F(ClientPushConsumerTest, ReconsumeLaterSendsTheMessageBack) {
  auto out = std::make_shared<std::vector<Delivery>>();
  auto pid = StartClient(c1_m_, "c1", Config("10.0.0.11"), [=](ClientApp& app) {
    app.push = std::make_unique<DefaultMQPushConsumer>(app.instance,
                                                       PushConsumerConfig{.consumer_group = "cg"});
    RMQ_RETURN_IF_ERROR(app.push->Subscribe("TopicTest", "*"));
    app.push->RegisterMessageListener(
        [out](const std::vector<common::MessageExt>& msgs, ConsumeConcurrentlyContext& ctx) {
          for (const auto& m : msgs) {
            out->push_back({"c1", m.message.topic(), common::StringFromBytes(m.message.body()),
                            ConsumedMessageId(m), "", ctx.message_queue, m.queue_offset,
                            m.reconsume_times, MonoTime{}});
          }
          return msgs[0].reconsume_times == 0 ? ConsumeConcurrentlyStatus::RECONSUME_LATER
                                              : ConsumeConcurrentlyStatus::CONSUME_SUCCESS;
        });
    return app.push->Start();
  });
  ASSERT_TRUE(
      world_.RunUntil([&] { return TopicQueues(pid).size() == 4; }, world_.now() + seconds(5)));
  Produce(3, "m");
  // The retries appear once the client has the route of %RETRY%cg (refresh every 30 s) and has
  // rebalanced it (every 20 s).
  ASSERT_TRUE(world_.RunUntil([&] { return out->size() >= 6; }, world_.now() + seconds(60)));
  ASSERT_EQ(broker_state_->send_backs.size(), 3u);
  for (const auto& sb : broker_state_->send_backs) {
    EXPECT_EQ(sb.group, "cg");
    EXPECT_EQ(sb.delay_level, 0);
    EXPECT_EQ(sb.origin_topic, "TopicTest");
  }
  int retried = 0;
  for (const auto& d : *out) {
    EXPECT_EQ(d.topic, "TopicTest");  // retried messages show their original topic
    if (d.reconsume_times == 1) {
      ++retried;
      EXPECT_EQ(d.mq.topic, "%RETRY%cg");
    }
  }
  EXPECT_EQ(retried, 3);
  EXPECT_EQ(App(pid)->push->send_backs_ok(), 3u);
  EXPECT_EQ(App(pid)->push->reconsume_later(), 3u);
}

TEST_F(ClientPushConsumerTest, FailedSendBackIsConsumedAgainLocally) {
  broker_state_->send_back_response_code = remoting::ResponseCode::SYSTEM_ERROR;
  auto out = std::make_shared<std::vector<Delivery>>();
  auto pid = StartClient(c1_m_, "c1", Config("10.0.0.11"), [=](ClientApp& app) {
    app.push = std::make_unique<DefaultMQPushConsumer>(app.instance,
                                                       PushConsumerConfig{.consumer_group = "cg"});
    RMQ_RETURN_IF_ERROR(app.push->Subscribe("TopicTest", "*"));
    app.push->RegisterMessageListener(
        [out](const std::vector<common::MessageExt>& msgs, ConsumeConcurrentlyContext& ctx) {
          out->push_back({"c1", msgs[0].message.topic(), "", "", "", ctx.message_queue,
                          msgs[0].queue_offset, msgs[0].reconsume_times, MonoTime{}});
          return msgs[0].reconsume_times < 2 ? ConsumeConcurrentlyStatus::RECONSUME_LATER
                                             : ConsumeConcurrentlyStatus::CONSUME_SUCCESS;
        });
    return app.push->Start();
  });
  ASSERT_TRUE(
      world_.RunUntil([&] { return TopicQueues(pid).size() == 4; }, world_.now() + seconds(5)));
  Produce(1, "m");
  ASSERT_TRUE(world_.RunUntil([&] { return out->size() >= 3; }, world_.now() + seconds(20)));
  // Delivered at t, t+5 s, t+10 s with reconsume times 0, 1, 2 (counted locally).
  EXPECT_EQ((*out)[1].reconsume_times, 1);
  EXPECT_EQ((*out)[2].reconsume_times, 2);
  EXPECT_EQ(App(pid)->push->send_backs_failed(), 2u);
  // The message stayed in flight until it succeeded: its offset was not committed early.
  world_.RunFor(seconds(6));
  MessageQueue mq = (*out)[0].mq;
  EXPECT_EQ(App(pid)->push->offset_store().ReadOffsetFromMemory(mq), (*out)[0].queue_offset + 1);
}

TEST_F(ClientPushConsumerTest, OffsetsAreCommittedEveryFiveSecondsAndOnShutdown) {
  auto out = std::make_shared<std::vector<Delivery>>();
  auto c = StartConsumer(c1_m_, "10.0.0.11", "c1", {.consumer_group = "cg"}, out);
  ASSERT_TRUE(
      world_.RunUntil([&] { return TopicQueues(c).size() == 4; }, world_.now() + seconds(5)));
  Produce(20, "m");
  ASSERT_TRUE(world_.RunUntil([&] { return out->size() >= 20; }, world_.now() + seconds(5)));
  world_.RunFor(seconds(31));
  std::vector<MonoTime> times;
  std::map<int32_t, int64_t> last;
  for (const auto& u : broker_state_->offset_updates) {
    if (u.via_pull || u.topic != "TopicTest") continue;
    if (times.empty() || u.at - times.back() > seconds(1)) times.push_back(u.at);
    last[u.queue_id] = u.offset;
  }
  ASSERT_GE(times.size(), 4u);
  for (size_t i = 1; i < times.size(); ++i) {
    EXPECT_GE(times[i] - times[i - 1], milliseconds(4900));
    EXPECT_LE(times[i] - times[i - 1], milliseconds(5100));
  }
  int64_t total = 0;
  for (const auto& [qid, offset] : last) {
    EXPECT_EQ(offset, static_cast<int64_t>(broker_state_->queues["TopicTest"][qid].msgs.size()));
    total += offset;
  }
  EXPECT_EQ(total, 20);
  size_t before = broker_state_->offset_updates.size();
  world_.StopProcess(c);
  world_.RunFor(seconds(1));
  EXPECT_GT(broker_state_->offset_updates.size(), before);  // persisted on shutdown
  EXPECT_EQ(broker_state_->unregistered_clients.size(), 1u);
}

TEST_F(ClientPushConsumerTest, TagFilteringDeliversOnlyMatchingTags) {
  auto out = std::make_shared<std::vector<Delivery>>();
  auto c = StartConsumer(c1_m_, "10.0.0.11", "c1", {.consumer_group = "cg"}, out, "TagA || TagC");
  ASSERT_TRUE(
      world_.RunUntil([&] { return TopicQueues(c).size() == 4; }, world_.now() + seconds(5)));
  Produce(10, "a", "TagA");
  Produce(10, "b", "TagB");
  Produce(10, "c", "TagC");
  world_.RunFor(seconds(3));
  EXPECT_EQ(out->size(), 20u);
  for (const auto& d : *out) EXPECT_NE(d.tags, "TagB");
  // Skipped messages still advance the committed offsets.
  world_.RunFor(seconds(11));
  int64_t committed = 0;
  for (const auto& s : App(c)->push->QueueStates()) {
    if (s.mq.topic == "TopicTest") committed += s.committed_offset;
  }
  EXPECT_EQ(committed, 30);
}

TEST_F(ClientPushConsumerTest, FollowsSuggestWhichBrokerId) {
  broker_state_->suggest_which_broker_id = 1;  // no slave registered: falls back to the master
  auto out = std::make_shared<std::vector<Delivery>>();
  auto c = StartConsumer(c1_m_, "10.0.0.11", "c1", {.consumer_group = "cg"}, out);
  ASSERT_TRUE(
      world_.RunUntil([&] { return TopicQueues(c).size() == 4; }, world_.now() + seconds(5)));
  Produce(4, "m");
  ASSERT_TRUE(world_.RunUntil([&] { return out->size() >= 4; }, world_.now() + seconds(5)));
  int answered = 0;
  for (const auto& s : App(c)->push->QueueStates()) {
    if (s.mq.topic != "TopicTest" || s.next_offset == 0) continue;  // got an answer
    EXPECT_EQ(s.pull_from_broker_id, 1) << s.mq.ToString();
    ++answered;
  }
  EXPECT_GT(answered, 0);
}

// Same seed, same run: a producer and two clustering consumers, one of them killed.
uint64_t RunClusterScenario(uint64_t seed) {
  ClientWorld w(seed);
  auto state = w.NewBrokerState("broker-a");
  w.StartBroker(w.a_m_, "10.0.0.2", state);
  auto producer = w.StartClient(w.ns_m_, "producer", w.Config("10.0.0.1"), [](ClientApp& app) {
    app.producer =
        std::make_unique<DefaultMQProducer>(app.instance, ProducerConfig{.producer_group = "pg"});
    return app.producer->Start();
  });
  auto out = std::make_shared<std::vector<Delivery>>();
  std::vector<sim::ProcessId> consumers;
  for (int i = 0; i < 2; ++i) {
    std::string name = "c" + std::to_string(i + 1);
    consumers.push_back(
        w.StartClient(i == 0 ? w.c1_m_ : w.c2_m_, name,
                      w.Config(i == 0 ? "10.0.0.11" : "10.0.0.12"), [out, name](ClientApp& app) {
                        app.push = std::make_unique<DefaultMQPushConsumer>(
                            app.instance, PushConsumerConfig{.consumer_group = "cg"});
                        RMQ_RETURN_IF_ERROR(app.push->Subscribe("TopicTest", "*"));
                        app.push->RegisterMessageListener(ClientWorld::Recorder(out, name));
                        return app.push->Start();
                      }));
  }
  w.world_.RunFor(seconds(2));
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(w.SendSync(producer, ClientWorld::Msg("m")).ok());
  w.world_.KillProcess(consumers[1]);
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(w.SendSync(producer, ClientWorld::Msg("n")).ok());
  w.world_.RunFor(seconds(40));
  EXPECT_GE(out->size(), 40u);
  return w.world_.digest();
}

TEST(ClientDeterminismTest, SameSeedSameDigest) {
  uint64_t first = RunClusterScenario(7);
  EXPECT_EQ(first, RunClusterScenario(7));
  EXPECT_NE(first, RunClusterScenario(8));
}

}  // namespace
}  // namespace rmqsim::client::testing
