// DefaultMQPullConsumer: statuses, tag filtering, offsets and lookups.
#include <gtest/gtest.h>

#include "system/common/sys_flag.h"
#include "tests/system/client/client_test_util.h"

namespace rmqsim::client::testing {
namespace {

class ClientPullConsumerTest : public ClientWorldTest {
 protected:
  void SetUp() override {
    broker_state_ = NewBrokerState("broker-a");
    StartBroker(a_m_, "10.0.0.2", broker_state_);
    app_ = StartClient(c1_m_, "app", Config("10.0.0.11"), [](ClientApp& app) {
      app.producer =
          std::make_unique<DefaultMQProducer>(app.instance, ProducerConfig{.producer_group = "pg"});
      RMQ_RETURN_IF_ERROR(app.producer->Start());
      app.pull = std::make_unique<DefaultMQPullConsumer>(
          app.instance, PullConsumerConfig{.consumer_group = "pull-cg"});
      return app.pull->Start();
    });
  }
  StatusOr<PullResult> Pull(MessageQueue mq, std::string expr, int64_t offset, int32_t n = 32) {
    auto r = Await<StatusOr<PullResult>>(
        app_, [=](ClientApp& a) { return a.pull->Pull(mq, expr, offset, n); });
    if (!r) return InternalError("pull never finished");
    return std::move(*r);
  }
  std::shared_ptr<FakeBrokerState> broker_state_;
  sim::ProcessId app_;
};

TEST_F(ClientPullConsumerTest, StatusesTagsAndOffsets) {
  auto mqs = Await<StatusOr<std::set<MessageQueue>>>(
      app_, [](ClientApp& a) { return a.pull->FetchSubscribeMessageQueues("TopicTest"); });
  ASSERT_TRUE(mqs && mqs->ok());
  ASSERT_EQ((*mqs)->size(), 4u);
  auto none = Await<StatusOr<std::set<MessageQueue>>>(
      app_, [](ClientApp& a) { return a.pull->FetchSubscribeMessageQueues("Nope"); });
  EXPECT_EQ((*none).status().code(), StatusCode::kNotFound);

  MessageQueue q0{"TopicTest", "broker-a", 0};
  for (int i = 0; i < 10; ++i) {
    common::Message m = Msg("m" + std::to_string(i), i % 2 == 0 ? "TagA" : "TagB");
    auto r = Await<StatusOr<SendResult>>(app_,
                                         [m, q0](ClientApp& a) { return a.producer->Send(m, q0); });
    ASSERT_TRUE(r && r->ok());
  }
  auto all = Pull(q0, "*", 0);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->pull_status, PullStatus::FOUND);
  EXPECT_EQ(all->msg_found_list.size(), 10u);
  EXPECT_EQ(all->next_begin_offset, 10);
  EXPECT_EQ(all->max_offset, 10);
  EXPECT_EQ(all->msg_found_list[3].message.GetProperty("MAX_OFFSET"), "10");
  auto some = Pull(q0, "*", 2, 3);
  ASSERT_TRUE(some.ok());
  EXPECT_EQ(some->msg_found_list.size(), 3u);
  EXPECT_EQ(some->next_begin_offset, 5);

  auto tag_a = Pull(q0, "TagA", 0);
  ASSERT_TRUE(tag_a.ok());
  EXPECT_EQ(tag_a->msg_found_list.size(), 5u);
  for (const auto& m : tag_a->msg_found_list) EXPECT_EQ(m.message.tags(), "TagA");

  auto no_new = Pull(q0, "*", 10);
  ASSERT_TRUE(no_new.ok());
  EXPECT_EQ(no_new->pull_status, PullStatus::NO_NEW_MSG);
  EXPECT_EQ(no_new->next_begin_offset, 10);
  auto no_match = Pull(q0, "TagZ", 0);
  ASSERT_TRUE(no_match.ok());
  EXPECT_EQ(no_match->pull_status, PullStatus::NO_MATCHED_MSG);
  EXPECT_EQ(no_match->next_begin_offset, 10);
  auto illegal = Pull(q0, "*", 100);
  ASSERT_TRUE(illegal.ok());
  EXPECT_EQ(illegal->pull_status, PullStatus::OFFSET_ILLEGAL);
  EXPECT_EQ(illegal->next_begin_offset, 10);
  EXPECT_EQ(Pull(q0, "*", 0, 0).status().code(), StatusCode::kInvalidArgument);

  auto max = Await<StatusOr<int64_t>>(app_, [q0](ClientApp& a) { return a.pull->MaxOffset(q0); });
  EXPECT_EQ(**max, 10);
  auto min = Await<StatusOr<int64_t>>(app_, [q0](ClientApp& a) { return a.pull->MinOffset(q0); });
  EXPECT_EQ(**min, 0);
  int64_t future = ToUnixMillis(world_.runtime(app_)->WallNow()) + 1000;
  auto search = Await<StatusOr<int64_t>>(
      app_, [q0, future](ClientApp& a) { return a.pull->SearchOffset(q0, future); });
  EXPECT_EQ(**search, 10);

  auto q = Await<StatusOr<int64_t>>(app_,
                                    [q0](ClientApp& a) { return a.pull->QueryConsumerOffset(q0); });
  EXPECT_EQ((*q).status().code(), StatusCode::kNotFound);  // QUERY_NOT_FOUND
  auto up = Await<Status>(
      app_, [q0](ClientApp& a) { return a.pull->UpdateConsumerOffsetToBroker(q0, 7); });
  ASSERT_TRUE(up && up->ok()) << (up ? up->ToString() : "none");
  auto q2 = Await<StatusOr<int64_t>>(
      app_, [q0](ClientApp& a) { return a.pull->QueryConsumerOffset(q0); });
  EXPECT_EQ(**q2, 7);
  auto from_store =
      Await<int64_t>(app_, [q0](ClientApp& a) { return a.pull->FetchConsumeOffset(q0, true); });
  EXPECT_EQ(*from_store, 7);

  // Offsets kept in memory go out with the persist timer.
  world_.runtime(app_)->executor().Post(
      [this, q0] { App(app_)->pull->UpdateConsumeOffset(q0, 9); });
  world_.RunFor(seconds(11));
  EXPECT_EQ((broker_state_->offsets[{"pull-cg", "TopicTest", 0}]), 9);
  // The pull consumer's heartbeat: CONSUME_ACTIVELY with the topics it pulled.
  bool active = false;
  for (const auto& hb : broker_state_->heartbeats) {
    for (const auto& cd : hb.consumer_data_set) {
      active |= cd.group_name == "pull-cg" &&
                cd.consume_type == common::ConsumeType::kConsumeActively &&
                !cd.subscription_data_set.empty();
    }
  }
  EXPECT_TRUE(active);
}

// A message whose compressed body does not inflate (a broker stores what it is sent): as Java's
// MessageDecoder, the batch ends there, it and the records after it are skipped and counted, and
// the queue moves on to nextBeginOffset; a pull from after it gets the rest.
TEST_F(ClientPullConsumerTest, AnUndecodableMessageEndsTheBatchAndTheQueueMovesOn) {
  MessageQueue q0{"TopicTest", "broker-a", 0};
  auto send = [&](const std::string& body) {
    common::Message m = Msg(body, "TagA");
    auto r = Await<StatusOr<SendResult>>(app_,
                                         [m, q0](ClientApp& a) { return a.producer->Send(m, q0); });
    ASSERT_TRUE(r && r->ok());
  };
  for (int i = 0; i < 3; ++i) send("good" + std::to_string(i));
  auto& q = broker_state_->queues["TopicTest"][0];
  common::MessageExt bad = q.msgs.back();
  bad.sys_flag |= common::kCompressedFlag;
  bad.message.set_body(common::Bytes(16, std::byte{'x'}));  // not zlib
  bad.queue_offset = 3;
  q.msgs.push_back(bad);
  send("good3");
  send("good4");
  auto r = Pull(q0, "*", 0);
  ASSERT_TRUE(r.ok()) << r.status();  // not an error: the queue keeps moving
  EXPECT_EQ(r->pull_status, PullStatus::FOUND);
  EXPECT_EQ(r->msg_found_list.size(), 3u);
  EXPECT_EQ(r->undecodable, 3);  // the bad one and the two after it in this batch
  EXPECT_EQ(r->next_begin_offset, 6);
  auto rest = Pull(q0, "*", 4);
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(rest->msg_found_list.size(), 2u);
  EXPECT_EQ(rest->undecodable, 0);
}

TEST_F(ClientPullConsumerTest, BlockingPullWaitsForANewMessage) {
  MessageQueue q1{"TopicTest", "broker-a", 1};
  auto result = std::make_shared<std::optional<StatusOr<PullResult>>>();
  world_.runtime(app_)->executor().Post([this, q1, result] {
    App(app_)->scope.Spawn(CaptureInto<StatusOr<PullResult>>(
        App(app_)->pull->PullBlockIfNotFound(q1, "*", 0, 32), result));
  });
  world_.RunFor(seconds(2));
  EXPECT_FALSE(result->has_value());  // held by the broker
  auto sent = Await<StatusOr<SendResult>>(
      app_, [q1](ClientApp& a) { return a.producer->Send(Msg("wake"), q1); });
  ASSERT_TRUE(sent && sent->ok());
  world_.RunUntil([&] { return result->has_value(); }, world_.now() + seconds(1));
  ASSERT_TRUE(result->has_value());
  ASSERT_TRUE((*result)->ok());
  EXPECT_EQ((**result)->pull_status, PullStatus::FOUND);
}

}  // namespace
}  // namespace rmqsim::client::testing
