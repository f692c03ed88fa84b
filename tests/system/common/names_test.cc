#include <gtest/gtest.h>

#include "system/common/message_queue.h"
#include "system/common/mix_all.h"
#include "system/common/perm_name.h"
#include "system/common/sys_flag.h"
#include "system/common/topic_config.h"
#include "system/common/topic_validator.h"

namespace rmqsim::common {
namespace {

TEST(CommonPermName, ValuesAndStrings) {
  EXPECT_EQ(kPermPriority, 8);
  EXPECT_EQ(kPermRead, 4);
  EXPECT_EQ(kPermWrite, 2);
  EXPECT_EQ(kPermInherit, 1);
  EXPECT_EQ(PermToString(6), "RW-");
  EXPECT_EQ(PermToString(4), "R--");
  EXPECT_EQ(PermToString(2), "-W-");
  EXPECT_EQ(PermToString(7), "RWX");
  EXPECT_EQ(PermToString(0), "---");
  EXPECT_TRUE(IsReadable(6));
  EXPECT_TRUE(IsWriteable(6));
  EXPECT_FALSE(IsWriteable(4));
  EXPECT_FALSE(IsReadable(2 | 8));
  EXPECT_TRUE(IsInherited(1));
}

TEST(CommonSysFlag, MessageBits) {
  EXPECT_EQ(kTransactionPreparedType, 0x4);
  EXPECT_EQ(kTransactionCommitType, 0x8);
  EXPECT_EQ(kTransactionRollbackType, 0xC);
  EXPECT_EQ(GetTransactionValue(0x301 | kTransactionCommitType), kTransactionCommitType);
  EXPECT_EQ(ResetTransactionValue(0x1 | kTransactionPreparedType, kTransactionNotType), 0x1);
  EXPECT_EQ(ClearCompressedFlag(0x301), 0x300);
  EXPECT_EQ(*GetCompressionType(0x1), CompressionType::kZlib);  // pre-4.9.4 clients
  EXPECT_EQ(*GetCompressionType(0x301), CompressionType::kZlib);
  EXPECT_EQ(*GetCompressionType(0x101), CompressionType::kLz4);
  EXPECT_EQ(*GetCompressionType(0x201), CompressionType::kZstd);
  EXPECT_EQ(CompressionFlag(CompressionType::kZlib), kCompressionZlibType);
  auto bad = GetCompressionType(0x401);
  EXPECT_EQ(bad.status().message(), "sysFlag compression type bits 8-10 hold unknown value 4");
}

TEST(CommonSysFlag, PullAndTopicBits) {
  EXPECT_EQ(BuildPullSysFlag(true, true, true, false), 7);
  EXPECT_EQ(BuildPullSysFlag(false, true, true, false), 6);
  EXPECT_EQ(BuildPullSysFlag(false, false, false, false, true), 0x10);
  EXPECT_EQ(ClearCommitOffsetFlag(7), 6);
  EXPECT_TRUE(HasSuspendFlag(6));
  EXPECT_TRUE(HasSubscriptionFlag(6));
  EXPECT_FALSE(HasCommitOffsetFlag(6));
  EXPECT_EQ(BuildTopicSysFlag(true, true), 3);
}

TEST(CommonTopicValidator, Rules) {
  EXPECT_TRUE(ValidateTopic("TopicTest").ok());
  EXPECT_TRUE(ValidateTopic("%RETRY%CG").ok());
  EXPECT_TRUE(ValidateTopic("a|b-c_d").ok());
  EXPECT_TRUE(ValidateTopic(std::string(127, 'x')).ok());
  EXPECT_EQ(ValidateTopic(std::string(128, 'x')).message(),
            "the specified topic is 128 characters, longer than 127");
  EXPECT_EQ(ValidateTopic("").message(), "the specified topic is blank");
  EXPECT_EQ(ValidateTopic("   ").message(), "the specified topic is blank");
  EXPECT_EQ(ValidateTopic("a b").message(),
            "the specified topic \"a b\" contains illegal characters, allowing only "
            "^[%|a-zA-Z0-9_-]+$");
  EXPECT_FALSE(ValidateTopic("topic.with.dots").ok());
  EXPECT_FALSE(ValidateTopic("\xC3\xA9").ok());
  EXPECT_TRUE(ValidateGroup(std::string(255, 'g')).ok());
  EXPECT_FALSE(ValidateGroup(std::string(256, 'g')).ok());

  EXPECT_TRUE(IsSystemTopic("TBW102"));
  EXPECT_TRUE(IsSystemTopic("SCHEDULE_TOPIC_XXXX"));
  EXPECT_TRUE(IsSystemTopic("RMQ_SYS_TRANS_HALF_TOPIC"));
  EXPECT_TRUE(IsSystemTopic("rmq_sys_anything"));
  EXPECT_FALSE(IsSystemTopic("TopicTest"));
  EXPECT_TRUE(IsNotAllowedSendTopic("SCHEDULE_TOPIC_XXXX"));
  EXPECT_FALSE(IsNotAllowedSendTopic("TBW102"));
  EXPECT_EQ(kRmqSysTransOpHalfTopic, "RMQ_SYS_TRANS_OP_HALF_TOPIC");
}

TEST(CommonMixAll, RetryAndDlqTopics) {
  EXPECT_EQ(GetRetryTopic("CG"), "%RETRY%CG");
  EXPECT_EQ(GetDlqTopic("CG"), "%DLQ%CG");
  EXPECT_TRUE(IsRetryTopic("%RETRY%CG"));
  EXPECT_FALSE(IsRetryTopic("%DLQ%CG"));
  EXPECT_TRUE(IsDlqTopic("%DLQ%CG"));
  EXPECT_EQ(GroupOfRetryOrDlqTopic("%RETRY%CG"), "CG");
  EXPECT_EQ(GroupOfRetryOrDlqTopic("%DLQ%CG"), "CG");
  EXPECT_EQ(GroupOfRetryOrDlqTopic("TopicTest"), "");
  EXPECT_TRUE(IsSysConsumerGroup("CID_RMQ_SYS_TRANS"));
  EXPECT_EQ(kClientInnerProducerGroup, "CLIENT_INNER_PRODUCER");
}

TEST(CommonTopicConfig, TextAndJson) {
  TopicConfig c;
  c.topic_name = "TopicTest";
  c.read_queue_nums = 4;
  c.write_queue_nums = 4;
  EXPECT_EQ(EncodeTopicConfigText(c), "TopicTest 4 4 6 SINGLE_TAG");
  EXPECT_EQ(*DecodeTopicConfigText("TopicTest 4 4 6 SINGLE_TAG"), c);
  EXPECT_EQ(DecodeTopicConfigText("TopicTest 4 4 6").status().message(),
            "topic config text \"TopicTest 4 4 6\": expected 5 space-separated fields, saw 4");
  EXPECT_FALSE(DecodeTopicConfigText("T 4 x 6 SINGLE_TAG").ok());
  EXPECT_FALSE(DecodeTopicConfigText("T 4 4 6 NO_TAG").ok());

  c.order = true;
  c.topic_filter_type = TopicFilterType::kMultiTag;
  EXPECT_EQ(EncodeTopicConfigJson(c),
            R"({"order":true,"perm":6,"readQueueNums":4,"topicFilterType":"MULTI_TAG",)"
            R"("topicName":"TopicTest","topicSysFlag":0,"writeQueueNums":4})");
  EXPECT_EQ(*DecodeTopicConfigJson(EncodeTopicConfigJson(c)), c);
  // Missing members keep Java's defaults (16 queues, perm 6, SINGLE_TAG).
  TopicConfig d = *DecodeTopicConfigJson(R"({"topicName":"X"})");
  EXPECT_EQ(d.read_queue_nums, 16);
  EXPECT_EQ(d.perm, 6);
  EXPECT_EQ(d.topic_filter_type, TopicFilterType::kSingleTag);
  EXPECT_EQ(DecodeTopicConfigJson(R"({"perm":"rw"})").status().message(),
            "TopicConfig.perm: expected a decimal int, saw \"rw\"");
}

TEST(CommonMessageQueue, OrderAndJson) {
  MessageQueue a{"A", "broker-b", 3};
  MessageQueue b{"A", "broker-b", 10};
  MessageQueue c{"A", "broker-c", 0};
  MessageQueue d{"B", "broker-a", 0};
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_LT(c, d);
  EXPECT_EQ(EncodeMessageQueueJson(a), R"({"brokerName":"broker-b","queueId":3,"topic":"A"})");
  EXPECT_EQ(*DecodeMessageQueueJson(EncodeMessageQueueJson(a)), a);
  EXPECT_EQ(DecodeMessageQueueJson(R"({"topic":"A","brokerName":"b"})").status().message(),
            "MessageQueue.queueId: required member is missing");
  EXPECT_EQ(a.ToString(), "MessageQueue [topic=A, brokerName=broker-b, queueId=3]");
}

}  // namespace
}  // namespace rmqsim::common
