// Pure pieces of the client: config parsing, route conversion, queue selection, latency fault
// tolerance, allocation, ProcessQueue, offsets JSON, error codes.
#include <gtest/gtest.h>

#include "sim/base/random.h"
#include "system/client/client_config.h"
#include "system/client/default_mq_producer.h"
#include "system/client/mq_fault_strategy.h"
#include "system/client/offset_store.h"
#include "system/client/process_queue.h"
#include "system/client/topic_publish_info.h"
#include "system/common/perm_name.h"

namespace rmqsim::client {
namespace {

common::TopicRouteData TwoBrokerRoute() {
  common::TopicRouteData route;
  route.queue_datas = {{.broker_name = "broker-b",
                        .read_queue_nums = 4,
                        .write_queue_nums = 2,
                        .perm = common::kPermReadWrite},
                       {.broker_name = "broker-a",
                        .read_queue_nums = 4,
                        .write_queue_nums = 4,
                        .perm = common::kPermReadWrite},
                       {.broker_name = "broker-c",
                        .read_queue_nums = 2,
                        .write_queue_nums = 2,
                        .perm = common::kPermRead}};
  route.broker_datas = {
      {.cluster = "c", .broker_name = "broker-a", .broker_addrs = {{0, "10.0.0.2:10911"}}},
      {.cluster = "c",
       .broker_name = "broker-b",
       .broker_addrs = {{1, "10.0.0.3:10911"}}},  // slave only
      {.cluster = "c", .broker_name = "broker-c", .broker_addrs = {{0, "10.0.0.4:10911"}}}};
  return route;
}

TEST(ClientConfigTest, ParsesNamesrvListAndClientId) {
  auto list = ParseNamesrvAddr(" 10.0.0.1:9876;10.0.0.2:9876; ;");
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[1].ToString(), "10.0.0.2:9876");
  auto bad = ParseNamesrvAddr("10.0.0.1:9876;nonsense");
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("nonsense"), std::string::npos);
  EXPECT_EQ(BuildMQClientId("10.0.0.9", "inst", ""), "10.0.0.9@inst");
  EXPECT_EQ(BuildMQClientId("10.0.0.9", "inst", "unit"), "10.0.0.9@inst@unit");
  ClientConfig c;
  EXPECT_TRUE(ApplyClientConfigProperty(c, "pollNameServerInterval", "1000").ok());
  EXPECT_EQ(c.poll_name_server_interval, seconds(1));
  EXPECT_EQ(ApplyClientConfigProperty(c, "bogus", "1").code(), StatusCode::kNotFound);
}

TEST(ClientRouteTest, PublishInfoUsesWritableQueuesOfBrokersWithMaster) {
  auto info = TopicRouteDataToPublishInfo("T", TwoBrokerRoute());
  // broker-b has no master, broker-c is read-only: only broker-a's 4 write queues.
  ASSERT_EQ(info.message_queue_list.size(), 4u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(info.message_queue_list[i], (MessageQueue{"T", "broker-a", i}));
  }
  auto sub = TopicRouteDataToSubscribeInfo("T", TwoBrokerRoute());
  EXPECT_EQ(sub.size(), 10u);  // readable: a 4 + b 4 + c 2
}

TEST(ClientRouteTest, OrderTopicConfOverrides) {
  auto route = TwoBrokerRoute();
  route.order_topic_conf = "broker-x:2;broker-y:1";
  auto info = TopicRouteDataToPublishInfo("T", route);
  EXPECT_TRUE(info.order_topic);
  ASSERT_EQ(info.message_queue_list.size(), 3u);
  EXPECT_EQ(info.message_queue_list[2], (MessageQueue{"T", "broker-y", 0}));
}

TEST(ClientRouteTest, SelectionIsRoundRobinAndAvoidsTheLastBroker) {
  TopicPublishInfo info;
  info.message_queue_list = {{"T", "a", 0}, {"T", "a", 1}, {"T", "b", 0}, {"T", "b", 1}};
  info.send_which_queue = SendWhichQueue(-1);  // wraps to 0 first
  EXPECT_EQ(info.SelectOneMessageQueue(), (MessageQueue{"T", "a", 0}));
  EXPECT_EQ(info.SelectOneMessageQueue(), (MessageQueue{"T", "a", 1}));
  std::optional<std::string> last = "b";
  EXPECT_EQ(info.SelectOneMessageQueue(last).broker_name, "a");
  last = "a";
  EXPECT_EQ(info.SelectOneMessageQueue(last).broker_name, "b");
}

TEST(ClientFaultStrategyTest, NotAvailableDurationTable) {
  EXPECT_EQ(MQFaultStrategy::ComputeNotAvailableDuration(10), 0);
  EXPECT_EQ(MQFaultStrategy::ComputeNotAvailableDuration(549), 0);
  EXPECT_EQ(MQFaultStrategy::ComputeNotAvailableDuration(550), 30000);
  EXPECT_EQ(MQFaultStrategy::ComputeNotAvailableDuration(2999), 120000);
  EXPECT_EQ(MQFaultStrategy::ComputeNotAvailableDuration(30000), 600000);
}

TEST(ClientFaultStrategyTest, FailedBrokerIsAvoidedWhileIsolated) {
  Xoshiro256 random(1);
  MQFaultStrategy strategy(random);
  strategy.set_send_latency_fault_enable(true);
  TopicPublishInfo info;
  info.message_queue_list = {{"T", "a", 0}, {"T", "b", 0}};
  info.route.queue_datas = {{.broker_name = "a", .write_queue_nums = 1},
                            {.broker_name = "b", .write_queue_nums = 1}};
  MonoTime t0 = MonoFromNanos(0);
  // Isolation counts as 30 s of latency: >= 15000 in latencyMax, so 600 s unavailable.
  strategy.UpdateFaultItem("a", 100, true, t0);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(strategy.SelectOneMessageQueue(info, std::nullopt, t0 + seconds(59)).broker_name,
              "b");
  }
  strategy.UpdateFaultItem("b", 100, true, t0);
  // Both unavailable: pickOneAtLeast still names one.
  auto mq = strategy.SelectOneMessageQueue(info, std::nullopt, t0 + seconds(1));
  EXPECT_TRUE(mq.broker_name == "a" || mq.broker_name == "b");
  EXPECT_FALSE(strategy.fault_tolerance().IsAvailable("a", t0 + seconds(599)));
  EXPECT_TRUE(strategy.fault_tolerance().IsAvailable("a", t0 + seconds(600)));
}

TEST(ClientAllocateTest, AveragelyMatchesJava) {
  std::vector<MessageQueue> mqs;
  for (int i = 0; i < 5; ++i) mqs.push_back({"T", "a", i});
  std::vector<std::string> cids = {"c1", "c2"};
  auto first = AllocateMessageQueueAveragely("c1", mqs, cids);
  auto second = AllocateMessageQueueAveragely("c2", mqs, cids);
  ASSERT_EQ(first.size(), 3u);
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(first[0].queue_id, 0);
  EXPECT_EQ(second[0].queue_id, 3);
  // More consumers than queues: the extra ones get nothing.
  std::vector<std::string> many = {"c1", "c2", "c3", "c4", "c5", "c6"};
  EXPECT_EQ(AllocateMessageQueueAveragely("c6", mqs, many).size(), 0u);
  EXPECT_EQ(AllocateMessageQueueAveragely("c5", mqs, many).size(), 1u);
  EXPECT_TRUE(AllocateMessageQueueAveragely("nobody", mqs, cids).empty());
}

TEST(ClientProcessQueueTest, CommitOffsetIsSmallestInFlight) {
  ProcessQueue pq;
  std::vector<common::MessageExt> msgs(3);
  for (int i = 0; i < 3; ++i) msgs[i].queue_offset = 10 + i;
  EXPECT_EQ(pq.PutMessages(msgs), 3u);
  EXPECT_EQ(pq.PutMessages({msgs[0]}), 0u);
  EXPECT_EQ(pq.MaxSpan(), 2);
  EXPECT_EQ(pq.RemoveMessages({msgs[1]}), 10);  // 10 still in flight
  EXPECT_EQ(pq.RemoveMessages({msgs[0]}), 12);
  EXPECT_EQ(pq.RemoveMessages({msgs[2]}), 13);  // empty: max + 1
  EXPECT_EQ(pq.RemoveMessages({msgs[2]}), -1);
}

TEST(ClientOffsetsTest, JsonRoundTripAndErrors) {
  std::map<MessageQueue, int64_t> offsets = {{{"T", "a", 0}, 5}, {{"T", "b", 3}, 7}};
  auto back = DecodeOffsetsJson(EncodeOffsetsJson(offsets));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, offsets);
  EXPECT_EQ(DecodeOffsetsJson("{").status().code(), StatusCode::kCorruption);
  EXPECT_EQ(DecodeOffsetsJson("{\"offsetTable\":[{\"topic\":1}]}").status().code(),
            StatusCode::kCorruption);
}

TEST(ClientErrorsTest, BrokerErrorCarriesTheCode) {
  Status s = BrokerError(14, std::string("service not available"));
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_EQ(BrokerErrorCode(s), 14);
  EXPECT_EQ(BrokerErrorCode(TimeoutError("x")), -1);
  EXPECT_EQ(BrokerError(17, std::nullopt).code(), StatusCode::kNotFound);
}

TEST(ClientValidatorsTest, CheckMessage) {
  common::Message ok("TopicTest", common::BytesFromString("x"));
  EXPECT_TRUE(CheckMessage(ok, 10).ok());
  common::Message empty("TopicTest", {});
  EXPECT_EQ(CheckMessage(empty, 10).message(), "the message body length is zero");
  common::Message big("TopicTest", common::BytesFromString("01234567890"));
  EXPECT_EQ(CheckMessage(big, 10).message(), "the message body size over max value, MAX: 10");
  common::Message bad("Topic Test", common::BytesFromString("x"));
  EXPECT_NE(CheckMessage(bad, 10).message().find("illegal characters"), std::string::npos);
  common::Message blank("", common::BytesFromString("x"));
  EXPECT_EQ(CheckMessage(blank, 10).message(), "The specified topic is blank");
  common::Message sys("SCHEDULE_TOPIC_XXXX", common::BytesFromString("x"));
  EXPECT_NE(CheckMessage(sys, 10).message().find("forbidden"), std::string::npos);
}

}  // namespace
}  // namespace rmqsim::client
