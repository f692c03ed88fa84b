// DefaultMQProducer against scripted brokers and a real name server in the simulated world.
#include <gtest/gtest.h>

#include "system/common/message_id.h"
#include "system/common/sys_flag.h"
#include "tests/system/client/client_test_util.h"

namespace rmqsim::client::testing {
namespace {

using remoting::ResponseCode;

class ClientProducerTest : public ClientWorldTest {
 protected:
  sim::ProcessId StartProducer(ProducerConfig pc = {.producer_group = "pg"}) {
    return StartClient(c1_m_, "producer", Config("10.0.0.11"), [pc](ClientApp& app) {
      app.producer = std::make_unique<DefaultMQProducer>(app.instance, pc);
      return app.producer->Start();
    });
  }
};

TEST_F(ClientProducerTest, SyncAsyncOnewayBatchReachTheBroker) {
  auto state = NewBrokerState("broker-a");
  StartBroker(a_m_, "10.0.0.2", state);
  auto p = StartProducer();

  auto r = SendSync(p, Msg("hello", "TagA"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->send_status, SendStatus::SEND_OK);
  EXPECT_EQ(r->message_queue.broker_name, "broker-a");
  EXPECT_EQ(r->msg_id.size(), common::kUniqIdLengthIpv4);
  auto offset_id = common::DecodeOffsetMessageId(r->offset_msg_id);
  ASSERT_TRUE(offset_id.ok());
  EXPECT_EQ(offset_id->store_host.ToString(), "10.0.0.2:10911");
  ASSERT_EQ(state->stored("TopicTest"), 1u);
  const auto& stored = state->queues["TopicTest"][r->message_queue.queue_id].msgs.at(0);
  EXPECT_EQ(stored.message.unique_key(), r->msg_id);
  EXPECT_EQ(stored.message.tags(), "TagA");
  EXPECT_EQ(stored.queue_offset, r->queue_offset);
  EXPECT_EQ(state->count(remoting::RequestCode::SEND_MESSAGE_V2), 1u);

  // Async.
  auto async_result = std::make_shared<std::optional<StatusOr<SendResult>>>();
  world_.runtime(p)->executor().Post([this, p, async_result] {
    App(p)->producer->SendAsync(Msg("async"),
                                [async_result](StatusOr<SendResult> r) { *async_result = r; });
  });
  world_.RunUntil([&] { return async_result->has_value(); }, world_.now() + seconds(5));
  ASSERT_TRUE(async_result->has_value());
  EXPECT_TRUE((*async_result)->ok());

  // Oneway.
  auto oneway = Await<Status>(p, [](ClientApp& a) { return a.producer->SendOneway(Msg("one")); });
  ASSERT_TRUE(oneway && oneway->ok());
  world_.RunFor(milliseconds(100));
  EXPECT_EQ(state->stored("TopicTest"), 3u);

  // Batch: one SEND_BATCH_MESSAGE, three stored messages, three ids.
  std::vector<common::Message> batch = {Msg("b1"), Msg("b2"), Msg("b3")};
  auto br = Await<StatusOr<SendResult>>(
      p, [batch](ClientApp& a) { return a.producer->SendBatch(batch); });
  ASSERT_TRUE(br && br->ok()) << (br ? br->status().ToString() : "none");
  EXPECT_EQ(state->count(remoting::RequestCode::SEND_BATCH_MESSAGE), 1u);
  EXPECT_EQ(state->stored("TopicTest"), 6u);
  EXPECT_EQ(std::count((*br)->msg_id.begin(), (*br)->msg_id.end(), ','), 2);
  EXPECT_EQ(std::count((*br)->offset_msg_id.begin(), (*br)->offset_msg_id.end(), ','), 2);

  // To a chosen queue.
  MessageQueue q3{"TopicTest", "broker-a", 3};
  auto chosen = Await<StatusOr<SendResult>>(
      p, [q3](ClientApp& a) { return a.producer->Send(Msg("q3"), q3); });
  ASSERT_TRUE(chosen && chosen->ok());
  EXPECT_EQ((*chosen)->message_queue, q3);
  EXPECT_EQ(App(p)->producer->send_failures(), 0u);
}

TEST_F(ClientProducerTest, BigBodiesAreCompressedAndValidationFailsClearly) {
  auto state = NewBrokerState("broker-a");
  StartBroker(a_m_, "10.0.0.2", state);
  auto p = StartProducer();
  std::string big(5000, 'x');
  auto r = SendSync(p, Msg(big));
  ASSERT_TRUE(r.ok()) << r.status();
  const auto& stored = state->queues["TopicTest"][r->message_queue.queue_id].msgs.back();
  EXPECT_NE(stored.sys_flag & common::kCompressedFlag, 0);
  EXPECT_LT(stored.message.body().size(), 1000u);
  auto small = SendSync(p, Msg(std::string(4095, 'y')));
  ASSERT_TRUE(small.ok());
  EXPECT_EQ(state->queues["TopicTest"][small->message_queue.queue_id].msgs.back().sys_flag &
                common::kCompressedFlag,
            0);

  auto empty = SendSync(p, Msg(""));
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(empty.status().message(), "the message body length is zero");
  auto huge = SendSync(p, Msg(std::string(4 * 1024 * 1024 + 1, 'z')));
  EXPECT_EQ(huge.status().message(), "the message body size over max value, MAX: 4194304");
  auto bad_topic = SendSync(p, Msg("x", "", "bad topic"));
  EXPECT_EQ(bad_topic.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(ClientProducerTest, StoreStatusesAndBrokerErrors) {
  auto state = NewBrokerState("broker-a");
  StartBroker(a_m_, "10.0.0.2", state);
  auto p = StartProducer();
  ASSERT_TRUE(SendSync(p, Msg("warm")).ok());
  state->send_response_code = ResponseCode::FLUSH_DISK_TIMEOUT;
  auto r = SendSync(p, Msg("x"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->send_status, SendStatus::FLUSH_DISK_TIMEOUT);
  uint64_t attempts = App(p)->producer->send_attempts();
  // SYSTEM_BUSY is not in 4.9.8's retry codes: one attempt, the remark in the error.
  state->send_response_code = ResponseCode::SYSTEM_BUSY;
  auto busy = SendSync(p, Msg("x"));
  EXPECT_EQ(BrokerErrorCode(busy.status()), ResponseCode::SYSTEM_BUSY);
  EXPECT_NE(busy.status().message().find("scripted failure"), std::string::npos);
  EXPECT_EQ(App(p)->producer->send_attempts(), attempts + 1);
  // SYSTEM_ERROR is retried: three attempts.
  state->send_response_code = ResponseCode::SYSTEM_ERROR;
  auto err = SendSync(p, Msg("x"));
  EXPECT_FALSE(err.ok());
  EXPECT_EQ(App(p)->producer->send_attempts(), attempts + 4);
  EXPECT_NE(err.status().message().find("Send [3] times"), std::string::npos) << err.status();
}

// A stored-but-not-OK status (SLAVE_NOT_AVAILABLE, FLUSH_SLAVE_TIMEOUT, FLUSH_DISK_TIMEOUT) is a
// result, not a failure: returned to the application after one attempt by default; with
// retryAnotherBrokerWhenNotStoreOK a sync send tries again (on another broker when there is
// one) and, if every attempt was not OK, returns the last result (sendDefaultImpl).
TEST_F(ClientProducerTest, NotStoreOkStatusesAndRetryAnotherBroker) {
  auto sa = NewBrokerState("broker-a");
  auto sb = NewBrokerState("broker-b");
  StartBroker(a_m_, "10.0.0.2", sa);
  StartBroker(b_m_, "10.0.0.3", sb);
  auto plain = StartProducer();
  ASSERT_TRUE(SendSync(plain, Msg("warm")).ok());
  sa->send_response_code = ResponseCode::SLAVE_NOT_AVAILABLE;
  sb->send_response_code = ResponseCode::SLAVE_NOT_AVAILABLE;
  uint64_t before = App(plain)->producer->send_attempts();
  auto r = SendSync(plain, Msg("snap"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->send_status, SendStatus::SLAVE_NOT_AVAILABLE);
  EXPECT_EQ(App(plain)->producer->send_attempts(), before + 1);
  sa->send_response_code = ResponseCode::FLUSH_SLAVE_TIMEOUT;
  sb->send_response_code = ResponseCode::FLUSH_SLAVE_TIMEOUT;
  auto t = SendSync(plain, Msg("fst"));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->send_status, SendStatus::FLUSH_SLAVE_TIMEOUT);

  // With the option: broker-a keeps answering SLAVE_NOT_AVAILABLE, broker-b is fine. Every send
  // ends SEND_OK on broker-b, after moving away from broker-a when it was picked first.
  sa->send_response_code = ResponseCode::SLAVE_NOT_AVAILABLE;
  sb->send_response_code = ResponseCode::SUCCESS;
  auto retrying = StartClient(c2_m_, "retrying", Config("10.0.0.12"), [](ClientApp& app) {
    app.producer = std::make_unique<DefaultMQProducer>(
        app.instance,
        ProducerConfig{.producer_group = "pg2", .retry_another_broker_when_not_store_ok = true});
    return app.producer->Start();
  });
  ASSERT_TRUE(SendSync(retrying, Msg("warm2")).ok());
  uint64_t retries_before = App(retrying)->producer->send_retries();
  for (int i = 0; i < 10; ++i) {
    auto x = SendSync(retrying, Msg("r" + std::to_string(i)));
    ASSERT_TRUE(x.ok()) << x.status();
    EXPECT_EQ(x->send_status, SendStatus::SEND_OK);
    EXPECT_EQ(x->message_queue.broker_name, "broker-b");
  }
  EXPECT_GT(App(retrying)->producer->send_retries(), retries_before);
  // Every broker not OK: three attempts, the last result returned.
  sb->send_response_code = ResponseCode::SLAVE_NOT_AVAILABLE;
  before = App(retrying)->producer->send_attempts();
  auto all = SendSync(retrying, Msg("all"));
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->send_status, SendStatus::SLAVE_NOT_AVAILABLE);
  EXPECT_EQ(App(retrying)->producer->send_attempts(), before + 3);
}

TEST_F(ClientProducerTest, GroupNamesAreUniquePerInstance) {
  auto state = NewBrokerState("broker-a");
  StartBroker(a_m_, "10.0.0.2", state);
  auto pid = StartClient(c1_m_, "app", Config("10.0.0.11"), [](ClientApp& app) {
    app.producer =
        std::make_unique<DefaultMQProducer>(app.instance, ProducerConfig{.producer_group = "pg"});
    return app.producer->Start();
  });
  ClientApp* app = App(pid);
  DefaultMQProducer second(app->instance, {.producer_group = "pg"});
  Status s = second.Start();
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(s.message(),
            "The producer group[pg] has been created before, specify another name please.");
  DefaultMQPushConsumer c1(app->instance, {.consumer_group = "cg"});
  c1.RegisterMessageListener(Recorder(std::make_shared<std::vector<Delivery>>(), "c1"));
  ASSERT_TRUE(c1.Subscribe("TopicTest", "*").ok());
  DefaultMQPushConsumer c2(app->instance, {.consumer_group = "cg"});
  c2.RegisterMessageListener(Recorder(std::make_shared<std::vector<Delivery>>(), "c2"));
  ASSERT_TRUE(c2.Subscribe("TopicTest", "*").ok());
  EXPECT_TRUE(c1.Start().ok());
  Status dup = c2.Start();
  EXPECT_EQ(dup.message(),
            "The consumer group[cg] has been created before, specify another name please.");
  DefaultMQProducer reserved(app->instance, {.producer_group = "DEFAULT_PRODUCER"});
  EXPECT_EQ(reserved.Start().code(), StatusCode::kInvalidArgument);
  // c1 lives on this stack: shut it down before it goes.
  world_.runtime(pid)->executor().Post([&] { app->scope.Spawn(c1.Shutdown()); });
  world_.RunFor(seconds(1));
}

TEST_F(ClientProducerTest, RetriesMoveToTheOtherBrokerWhenOneDies) {
  auto sa = NewBrokerState("broker-a");
  auto sb = NewBrokerState("broker-b");
  auto ba = StartBroker(a_m_, "10.0.0.2", sa);
  StartBroker(b_m_, "10.0.0.3", sb);
  auto p = StartProducer();
  ASSERT_TRUE(SendSync(p, Msg("warm")).ok());
  ASSERT_EQ(App(p)->producer->FindTopicPublishInfo("TopicTest")->message_queue_list.size(), 8u);
  world_.RunFor(seconds(1));  // past the first route refresh (10 ms after start); next at 30 s
  auto a_attempts = [&] {
    const auto& m = App(p)->producer->attempts_by_broker();
    return m.contains("broker-a") ? m.at("broker-a") : 0u;
  };
  uint64_t a_before = a_attempts();
  uint64_t retries_before = App(p)->producer->send_retries();
  world_.KillProcess(ba);
  world_.RunFor(milliseconds(10));
  size_t before_b = sb->stored("TopicTest");
  for (int i = 0; i < 20; ++i) {
    auto r = SendSync(p, Msg("m" + std::to_string(i)));
    ASSERT_TRUE(r.ok()) << i << ": " << r.status();
    EXPECT_EQ(r->message_queue.broker_name, "broker-b");
  }
  EXPECT_EQ(sb->stored("TopicTest"), before_b + 20);
  auto* producer = App(p)->producer.get();
  // Round robin still picks broker-a first about half the time (its route is cached until the
  // next refresh); each such attempt fails at once (connection refused) and is retried on b.
  uint64_t retries = producer->send_retries() - retries_before;

  EXPECT_GT(retries, 0u);
  EXPECT_EQ(producer->send_attempts(), 21u + producer->send_retries());
  EXPECT_EQ(a_attempts() - a_before, retries);  // every attempt on a failed and moved to b
}

TEST_F(ClientProducerTest, PartitionedBrokerTimesOutAfterSendMsgTimeout) {
  auto state = NewBrokerState("broker-a");
  StartBroker(a_m_, "10.0.0.2", state);
  auto p = StartProducer();
  ASSERT_TRUE(SendSync(p, Msg("warm")).ok());
  world_.Partition(c1_m_, a_m_);
  MonoTime begin = world_.now();
  auto r = SendSync(p, Msg("lost"));
  Duration took = world_.now() - begin;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kTimeout) << r.status();
  EXPECT_GE(took, seconds(3));
  EXPECT_LE(took, seconds(3) + milliseconds(100));
}

TEST_F(ClientProducerTest, RouteRefreshPicksUpANewBrokerGroup) {
  auto sa = NewBrokerState("broker-a");
  StartBroker(a_m_, "10.0.0.2", sa);
  auto p = StartProducer();
  ASSERT_TRUE(SendSync(p, Msg("warm")).ok());
  MonoTime started_b = world_.now();
  auto sb = NewBrokerState("broker-b");
  StartBroker(b_m_, "10.0.0.3", sb);
  auto* producer = App(p)->producer.get();
  ASSERT_TRUE(world_.RunUntil(
      [&] { return producer->FindTopicPublishInfo("TopicTest")->message_queue_list.size() == 8; },
      started_b + seconds(31)));
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(SendSync(p, Msg("x")).ok());
  EXPECT_GT(sb->stored("TopicTest"), 0u);
}

TEST_F(ClientProducerTest, UnknownTopicUsesTheDefaultTopicRoute) {
  auto state = NewBrokerState("broker-a");
  StartBroker(a_m_, "10.0.0.2", state);
  auto p = StartProducer();
  auto r = SendSync(p, Msg("new", "", "BrandNewTopic"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(state->stored("BrandNewTopic"), 1u);
  EXPECT_EQ(state->topics.at("BrandNewTopic"), 4);  // min(defaultTopicQueueNums 4, TBW102's 8)
  state->auto_create_topic = false;
  state->topics.erase("TBW102");
  auto none = SendSync(p, Msg("x", "", "NoSuchTopic"));
  EXPECT_FALSE(none.ok());
}

TEST_F(ClientProducerTest, ProducerOnlyHeartbeatsGoToMastersAndShutdownUnregisters) {
  auto state = NewBrokerState("broker-a");
  StartBroker(a_m_, "10.0.0.2", state);
  auto p = StartProducer();
  ASSERT_TRUE(SendSync(p, Msg("warm")).ok());
  world_.RunFor(seconds(31));
  ASSERT_FALSE(state->heartbeats.empty());
  const auto& hb = state->heartbeats.back();
  EXPECT_TRUE(hb.consumer_data_set.empty());
  ASSERT_EQ(hb.producer_data_set.size(), 2u);
  EXPECT_EQ(hb.producer_data_set[0].group_name, "CLIENT_INNER_PRODUCER");
  EXPECT_EQ(hb.producer_data_set[1].group_name, "pg");
  EXPECT_EQ(hb.client_id, App(p)->instance.client_id());
  world_.StopProcess(p);
  world_.RunFor(seconds(1));
  ASSERT_EQ(state->unregistered_clients.size(), 1u);
  EXPECT_EQ(state->unregistered_clients[0], hb.client_id);
}

}  // namespace
}  // namespace rmqsim::client::testing
