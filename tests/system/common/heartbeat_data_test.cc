#include "system/common/heartbeat_data.h"

#include <gtest/gtest.h>

#include "system/common/consumer_bodies.h"
#include "system/common/java_string.h"

namespace rmqsim::common {
namespace {

// The body ali-ons 3.12.0 sends (real-clients.md §1.5), with concrete values filled in.
constexpr std::string_view kAliOnsHeartbeat =
    R"({"clientID":"10.0.0.5@4242","consumerDataSet":[{"groupName":"CG",)"
    R"("consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING",)"
    R"("consumeFromWhere":"CONSUME_FROM_FIRST_OFFSET","subscriptionDataSet":[{"topic":"TopicTest",)"
    R"("subString":"*","classFilterMode":false,"tagsSet":[],"codeSet":[],)"
    R"("subVersion":1700000000123}],"unitMode":false}],"producerDataSet":[{"groupName":"PG"}]})";

TEST(CommonHeartbeatData, DecodesAliOnsBody) {
  auto h = DecodeHeartbeatData(kAliOnsHeartbeat);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->client_id, "10.0.0.5@4242");
  ASSERT_EQ(h->producer_data_set.size(), 1u);
  EXPECT_EQ(h->producer_data_set[0].group_name, "PG");
  ASSERT_EQ(h->consumer_data_set.size(), 1u);
  const ConsumerData& c = h->consumer_data_set[0];
  EXPECT_EQ(c.group_name, "CG");
  EXPECT_EQ(c.consume_type, ConsumeType::kConsumePassively);
  EXPECT_EQ(c.message_model, MessageModel::kClustering);
  EXPECT_EQ(c.consume_from_where, ConsumeFromWhere::kConsumeFromFirstOffset);
  EXPECT_FALSE(c.unit_mode);
  ASSERT_EQ(c.subscription_data_set.size(), 1u);
  const SubscriptionData& s = c.subscription_data_set[0];
  EXPECT_EQ(s.topic, "TopicTest");
  EXPECT_EQ(s.sub_string, "*");
  EXPECT_EQ(s.expression_type, "TAG");  // ali-ons leaves it out for tag subscriptions
  EXPECT_EQ(s.sub_version, 1700000000123);
  EXPECT_TRUE(s.SubscribesAll());
}

TEST(CommonHeartbeatData, DecodesJavaStyleBodyWithTagsAndExtras) {
  // Java writes keys sorted; 5.x adds members we ignore; numbers may be strings.
  constexpr std::string_view kJava =
      R"({"clientID":"10.0.0.6@123#456","consumerDataSet":[{"consumeFromWhere":)"
      R"("CONSUME_FROM_LAST_OFFSET","consumeType":"CONSUME_PASSIVELY","groupName":"CG",)"
      R"("messageModel":"BROADCASTING","subscriptionDataSet":[{"classFilterMode":false,)"
      R"("codeSet":[2598919,2598920],"expressionType":"TAG","subString":"TagA || TagB",)"
      R"("subVersion":"1700000000999","tagsSet":["TagA","TagB"],"topic":"TopicTest"},)"
      R"({"classFilterMode":false,"codeSet":[],"expressionType":"TAG","subString":"*",)"
      R"("subVersion":1,"tagsSet":[],"topic":"%RETRY%CG"}],"unitMode":false}],)"
      R"("heartbeatFingerprint":7,"isWithoutSub":false,)"
      R"("producerDataSet":[{"groupName":"CLIENT_INNER_PRODUCER"}]})";
  auto h = DecodeHeartbeatData(kJava);
  ASSERT_TRUE(h.ok()) << h.status();
  const SubscriptionData& s = h->consumer_data_set[0].subscription_data_set[0];
  EXPECT_EQ(s.tags_set, (std::set<std::string>{"TagA", "TagB"}));
  EXPECT_EQ(s.code_set, (std::set<int32_t>{2598919, 2598920}));
  EXPECT_EQ(s.sub_version, 1700000000999);
  EXPECT_FALSE(s.SubscribesAll());
  EXPECT_EQ(h->consumer_data_set[0].message_model, MessageModel::kBroadcasting);
}

TEST(CommonHeartbeatData, EncodeIsSortedCompactJson) {
  HeartbeatData h;
  h.client_id = "10.0.0.5@4242";
  h.producer_data_set.push_back({"PG"});
  ConsumerData c;
  c.group_name = "CG";
  c.consume_from_where = ConsumeFromWhere::kConsumeFromFirstOffset;
  c.subscription_data_set.push_back(*BuildSubscriptionData("TopicTest", "TagA || TagB", "TAG", 5));
  h.consumer_data_set.push_back(c);
  EXPECT_EQ(EncodeHeartbeatData(h),
            R"({"clientID":"10.0.0.5@4242","consumerDataSet":[{"consumeFromWhere":)"
            R"("CONSUME_FROM_FIRST_OFFSET","consumeType":"CONSUME_PASSIVELY","groupName":"CG",)"
            R"("messageModel":"CLUSTERING","subscriptionDataSet":[{"classFilterMode":false,)"
            R"("codeSet":[2598919,2598920],"expressionType":"TAG","subString":"TagA || TagB",)"
            R"("subVersion":5,"tagsSet":["TagA","TagB"],"topic":"TopicTest"}],"unitMode":false}],)"
            R"("producerDataSet":[{"groupName":"PG"}]})");
  EXPECT_EQ(*DecodeHeartbeatData(EncodeHeartbeatData(h)), h);
}

TEST(CommonHeartbeatData, MalformedBodies) {
  EXPECT_EQ(DecodeHeartbeatData(R"({"consumerDataSet":[]})").status().message(),
            "HeartbeatData.clientID: required member is missing");
  auto bad_enum = DecodeHeartbeatData(
      R"({"clientID":"c","consumerDataSet":[{"groupName":"g","consumeType":"PUSH"}]})");
  EXPECT_EQ(bad_enum.status().message(),
            "HeartbeatData.consumerDataSet[0].consumeType: unknown value \"PUSH\" (expected one "
            "of CONSUME_ACTIVELY, CONSUME_PASSIVELY, CONSUME_POP)");
  auto bad_code = DecodeHeartbeatData(
      R"({"clientID":"c","consumerDataSet":[{"subscriptionDataSet":[{"codeSet":["x"]}]}]})");
  EXPECT_EQ(bad_code.status().message(),
            "HeartbeatData.consumerDataSet[0].subscriptionDataSet[0].codeSet[0]: expected a "
            "decimal int, saw \"x\"");
  auto bad_type = DecodeHeartbeatData(R"({"clientID":5})");
  EXPECT_EQ(bad_type.status().message(),
            "HeartbeatData.clientID: expected a string, saw integer 5");
  auto not_json = DecodeHeartbeatData(R"({"clientID":"c",)");
  EXPECT_EQ(not_json.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(not_json.status().message().rfind("HeartbeatData: malformed JSON: ", 0), 0u)
      << not_json.status();
  EXPECT_FALSE(DecodeHeartbeatData("[]").ok());
  EXPECT_FALSE(DecodeHeartbeatData("").ok());
}

TEST(CommonSubscriptionData, BuildLikeFilterApi) {
  auto all = *BuildSubscriptionData("T", "", "TAG", 1);
  EXPECT_EQ(all.sub_string, "*");
  EXPECT_TRUE(all.tags_set.empty());
  EXPECT_TRUE(all.SubscribesAll());

  auto tags = *BuildSubscriptionData("T", " TagA ||TagB||  || TagA", "", 1);
  EXPECT_EQ(tags.sub_string, " TagA ||TagB||  || TagA");
  EXPECT_EQ(tags.tags_set, (std::set<std::string>{"TagA", "TagB"}));
  EXPECT_EQ(tags.code_set,
            (std::set<int32_t>{JavaStringHashCode("TagA"), JavaStringHashCode("TagB")}));
  EXPECT_EQ(tags.expression_type, "TAG");

  auto odd = *BuildSubscriptionData("T", "a|||b", "TAG", 1);  // Java split: "a", "|b"
  EXPECT_EQ(odd.tags_set, (std::set<std::string>{"a", "|b"}));

  auto sql = *BuildSubscriptionData("T", "a > 1", "SQL92", 1);
  EXPECT_EQ(sql.expression_type, "SQL92");
  EXPECT_TRUE(sql.tags_set.empty());
  EXPECT_FALSE(sql.SubscribesAll());
  EXPECT_FALSE(BuildSubscriptionData("T", "", "SQL92", 1).ok());
}

TEST(CommonConsumerBodies, Json) {
  ConsumerListBody ids{{"10.0.0.5@4242", "10.0.0.6@1"}};
  EXPECT_EQ(EncodeConsumerListBody(ids), R"({"consumerIdList":["10.0.0.5@4242","10.0.0.6@1"]})");
  EXPECT_EQ(*DecodeConsumerListBody(EncodeConsumerListBody(ids)), ids);

  LockBatchRequestBody lock;
  lock.consumer_group = "CG";
  lock.client_id = "c1";
  lock.mq_set = {{"T", "broker-a", 1}, {"T", "broker-a", 0}};
  EXPECT_EQ(EncodeLockBatchRequestBody(lock),
            R"({"clientId":"c1","consumerGroup":"CG","mqSet":[{"brokerName":"broker-a",)"
            R"("queueId":0,"topic":"T"},{"brokerName":"broker-a","queueId":1,"topic":"T"}]})");
  EXPECT_EQ(*DecodeLockBatchRequestBody(EncodeLockBatchRequestBody(lock)), lock);

  LockBatchResponseBody ok{{{"T", "broker-a", 0}}};
  EXPECT_EQ(EncodeLockBatchResponseBody(ok),
            R"({"lockOKMQSet":[{"brokerName":"broker-a","queueId":0,"topic":"T"}]})");
  EXPECT_EQ(*DecodeLockBatchResponseBody(EncodeLockBatchResponseBody(ok)), ok);
  EXPECT_EQ(DecodeLockBatchResponseBody(R"({"lockOKMQSet":[{"topic":"T"}]})").status().message(),
            "LockBatchResponseBody.lockOKMQSet[0].brokerName: required member is missing");
}

}  // namespace
}  // namespace rmqsim::common
