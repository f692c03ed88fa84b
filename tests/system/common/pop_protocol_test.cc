#include "system/common/pop_protocol.h"

#include <gtest/gtest.h>

namespace rmqsim::common {
namespace {

TEST(PopProtocolTest, CheckpointRoundTripsWithJavaShortKeysSorted) {
  PopCheckPoint ck;
  ck.start_offset = 10;
  ck.pop_time = 1700000000000;
  ck.invisible_time = 60000;
  ck.num = 2;
  ck.queue_id = 3;
  ck.topic = "T";
  ck.cid = "CG";
  ck.queue_offset_diff = {0, 2};
  ck.broker_name = "broker-a";
  std::string json = EncodePopCheckPoint(ck);
  EXPECT_EQ(json,
            R"({"bm":0,"bn":"broker-a","c":"CG","d":[0,2],"it":60000,"n":2,"pt":1700000000000,)"
            R"("q":3,"ro":0,"so":10,"t":"T"})");
  auto back = DecodePopCheckPoint(json);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, ck);
  EXPECT_EQ(back->IndexOf(12), 1);
  EXPECT_EQ(back->IndexOf(11), -1);
  EXPECT_EQ(back->ReviveTime(), 1700000060000);
  // n must agree with d; required keys must be there.
  EXPECT_FALSE(DecodePopCheckPoint(R"({"so":1,"pt":1,"it":1,"n":3,"q":0,"t":"T","c":"G","d":[0]})").ok());
  EXPECT_FALSE(DecodePopCheckPoint(R"({"so":1,"pt":1,"it":1,"n":1,"q":0,"t":"T","d":[0]})").ok());
}

TEST(PopProtocolTest, AckRoundTrips) {
  AckMsg a{.ack_offset = 5, .start_offset = 4, .consumer_group = "CG", .topic = "T",
           .queue_id = 1, .pop_time = 99, .broker_name = "b"};
  auto back = DecodeAckMsg(EncodeAckMsg(a));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, a);
  EXPECT_FALSE(DecodeAckMsg("{\"ao\":1}").ok());
  EXPECT_FALSE(DecodeAckMsg("not json").ok());
}

TEST(PopProtocolTest, ExtraInfoHasEightFieldsInJavasOrder) {
  ExtraInfo e{.ck_queue_offset = 7, .pop_time = 1000, .invisible_time = 60000, .revive_qid = 3,
              .retry_flag = "1", .broker_name = "broker-a", .queue_id = 2, .queue_offset = 9};
  EXPECT_EQ(BuildExtraInfo(e), "7 1000 60000 3 1 broker-a 2 9");
  auto back = ParseExtraInfo("7 1000 60000 3 1 broker-a 2 9");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->queue_offset, 9);
  EXPECT_TRUE(back->retry());
  EXPECT_FALSE(ParseExtraInfo("7 1000 60000 3 1 broker-a 2").ok());
  EXPECT_FALSE(ParseExtraInfo("7 1000 60000 3 5 broker-a 2 9").ok());
  EXPECT_FALSE(ParseExtraInfo("x 1000 60000 3 0 broker-a 2 9").ok());
  EXPECT_FALSE(ParseExtraInfo("7 1000 60000 3 0  2 9").ok());
}

TEST(PopProtocolTest, OffsetInfoStringsRoundTrip) {
  PopOffsetInfo info;
  info.AddStart("0", 1, 10);
  info.AddMessages("0", 1, {10, 12});
  info.AddStart("1", 0, 3);
  info.AddMessages("1", 0, {3});
  EXPECT_EQ(info.StartOffsetInfo(), "0 1 10;1 0 3");
  EXPECT_EQ(info.MsgOffsetInfo(), "0 1 10,12;1 0 3");
  auto back = PopOffsetInfo::Parse(info.StartOffsetInfo(), info.MsgOffsetInfo());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->StartOf("0", 1), 10);
  EXPECT_EQ(back->StartOf("1", 0), 3);
  EXPECT_EQ(back->StartOf("0", 0), -1);
  EXPECT_FALSE(PopOffsetInfo::Parse("0 1", "").ok());
  EXPECT_FALSE(PopOffsetInfo::Parse("", "0 1 a,b").ok());
  EXPECT_EQ(PopRetryTopic("CG", "T"), "%RETRY%CG_T");
  EXPECT_EQ(ReviveTopic("DefaultCluster"), "rmq_sys_REVIVE_LOG_DefaultCluster");
}

}  // namespace
}  // namespace rmqsim::common
