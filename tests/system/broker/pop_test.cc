// Pop consumption on the broker (POP_MESSAGE, ACK_MESSAGE, CHANGE_MESSAGE_INVISIBLETIME and the
// revive service) in the simulated world, including restarts and a power loss between pop and ack.
#include <gtest/gtest.h>

#include <set>

#include "system/common/message_const.h"
#include "system/common/pop_protocol.h"
#include "tests/system/broker/broker_test_util.h"

namespace rmqsim::broker::testing {
namespace {

struct Popped {
  common::MessageExt ext;
  std::string topic;  // as stored
  std::string extra;  // receipt handle
};

class PopTest : public BrokerWorld {
 protected:
  int64_t WallMs() { return ToUnixMillis(world_.runtime(client_proc_)->WallNow()); }

  RemotingCommand PopReq(const std::string& topic, int32_t max = 32, int64_t invisible_ms = 10000,
                         int64_t poll_ms = 0, int32_t queue_id = -1) {
    auto req = RemotingCommand::CreateRequest(RequestCode::POP_MESSAGE);
    req.SetExtField("consumerGroup", "CG");
    req.SetExtField("topic", topic);
    req.SetExtFieldInt("queueId", queue_id);
    req.SetExtFieldInt("maxMsgNums", max);
    req.SetExtFieldInt("invisibleTime", invisible_ms);
    req.SetExtFieldInt("pollTime", poll_ms);
    req.SetExtFieldInt("bornTime", WallMs());
    req.SetExtFieldInt("initMode", 0);
    return req;
  }
  // Pops and builds each message's receipt handle as a client does.
  std::vector<Popped> PopAll(const StatusOr<RemotingCommand>& r) {
    std::vector<Popped> out;
    EXPECT_TRUE(r.ok());
    if (!r.ok() || r->code != ResponseCode::SUCCESS) return out;
    auto info = common::PopOffsetInfo::Parse(*r->FindExtField("startOffsetInfo"),
                                             *r->FindExtField("msgOffsetInfo"));
    EXPECT_TRUE(info.ok()) << info.status();
    for (auto& m : Decode(*r)) {
      Popped p;
      p.topic = m.message.topic();
      common::ExtraInfo e;
      e.retry_flag = p.topic.starts_with("%RETRY%") ? "1" : "0";
      e.ck_queue_offset = info->StartOf(e.retry_flag, m.queue_id);
      e.pop_time = ExtInt(*r, "popTime");
      e.invisible_time = ExtInt(*r, "invisibleTime");
      e.revive_qid = static_cast<int32_t>(ExtInt(*r, "reviveQid"));
      e.broker_name = "broker-a";
      e.queue_id = m.queue_id;
      e.queue_offset = m.queue_offset;
      p.extra = common::BuildExtraInfo(e);
      p.ext = std::move(m);
      out.push_back(std::move(p));
    }
    return out;
  }
  RemotingCommand AckReq(const Popped& p, int32_t code = RequestCode::ACK_MESSAGE,
                         int64_t invisible_ms = 0) {
    auto req = RemotingCommand::CreateRequest(code);
    req.SetExtField("consumerGroup", "CG");
    req.SetExtField("topic", p.topic);
    req.SetExtFieldInt("queueId", p.ext.queue_id);
    req.SetExtField("extraInfo", p.extra);
    req.SetExtFieldInt("offset", p.ext.queue_offset);
    if (code == RequestCode::CHANGE_MESSAGE_INVISIBLETIME) {
      req.SetExtFieldInt("invisibleTime", invisible_ms);
    }
    return req;
  }
  void SendN(int n, const std::string& topic = "T") {
    for (int i = 0; i < n; ++i) {
      auto r = Ask(SendV2(topic, "m" + std::to_string(i), "", i % 4));
      ASSERT_TRUE(r.ok());
      ASSERT_EQ(r->code, ResponseCode::SUCCESS);
    }
  }
  static std::set<std::string> Keys(const std::vector<Popped>& ps) {
    std::set<std::string> out;
    for (const auto& p : ps) out.insert(p.ext.message.keys());
    return out;
  }
  void SetUpTopic() {
    StartBroker();
    ASSERT_EQ(Ask(CreateTopic("T"))->code, ResponseCode::SUCCESS);
  }
};

TEST_F(PopTest, PopThenAckLeavesNothingToRevive) {
  SetUpTopic();
  SendN(10);
  auto popped = PopAll(Ask(PopReq("T")));
  ASSERT_EQ(popped.size(), 10u);
  EXPECT_EQ(Keys(popped).size(), 10u);
  // The group's offsets moved: a second pop finds nothing.
  EXPECT_EQ(Ask(PopReq("T"))->code, ResponseCode::POLLING_TIMEOUT);
  for (const auto& p : popped) EXPECT_EQ(Ask(AckReq(p))->code, ResponseCode::SUCCESS);
  world_.RunFor(seconds(30));
  EXPECT_EQ(B()->pop().revived(), 0u);
  EXPECT_EQ(B()->pop().pending_checkpoints(), 0u);
  EXPECT_EQ(Ask(PopReq("T"))->code, ResponseCode::POLLING_TIMEOUT);
}

TEST_F(PopTest, UnackedMessagesComeBackFromTheRetryTopicWithAReconsumeCount) {
  SetUpTopic();
  SendN(3);
  auto popped = PopAll(Ask(PopReq("T", 32, 5000)));
  ASSERT_EQ(popped.size(), 3u);
  ASSERT_EQ(Ask(AckReq(popped[0]))->code, ResponseCode::SUCCESS);
  world_.RunFor(seconds(3));
  EXPECT_EQ(B()->pop().revived(), 0u);  // still invisible
  world_.RunFor(seconds(5));
  EXPECT_EQ(B()->pop().revived(), 2u);
  std::vector<Popped> again;
  for (int i = 0; i < 10 && again.size() < 2; ++i) {
    auto more = PopAll(Ask(PopReq("T", 32, 5000)));
    again.insert(again.end(), more.begin(), more.end());
  }
  ASSERT_EQ(again.size(), 2u);
  std::set<std::string> expected = {popped[1].ext.message.keys(), popped[2].ext.message.keys()};
  EXPECT_EQ(Keys(again), expected);
  for (const auto& p : again) {
    EXPECT_EQ(p.topic, "%RETRY%CG_T");
    EXPECT_EQ(p.ext.reconsume_times, 1);
    EXPECT_EQ(p.ext.message.GetProperty(common::kPropertyRetryTopic).value_or(""), "T");
    EXPECT_TRUE(p.ext.message.GetProperty(common::kPropertyFirstPopTime).has_value());
    EXPECT_EQ(Ask(AckReq(p))->code, ResponseCode::SUCCESS);
  }
  world_.RunFor(seconds(10));
  EXPECT_EQ(B()->pop().revived(), 2u);
}

TEST_F(PopTest, ChangeInvisibleTimePostponesTheRevive) {
  SetUpTopic();
  SendN(1);
  auto popped = PopAll(Ask(PopReq("T", 32, 5000)));
  ASSERT_EQ(popped.size(), 1u);
  auto r = Ask(AckReq(popped[0], RequestCode::CHANGE_MESSAGE_INVISIBLETIME, 30000));
  ASSERT_EQ(r->code, ResponseCode::SUCCESS);
  EXPECT_EQ(ExtInt(*r, "invisibleTime"), 30000);
  world_.RunFor(seconds(20));
  EXPECT_EQ(B()->pop().revived(), 0u);
  world_.RunFor(seconds(15));
  EXPECT_EQ(B()->pop().revived(), 1u);
}

TEST_F(PopTest, AMessageAckedUnderItsNewHandleIsNotRevived) {
  SetUpTopic();
  SendN(1);
  auto popped = PopAll(Ask(PopReq("T", 32, 5000)));
  ASSERT_EQ(popped.size(), 1u);
  auto r = Ask(AckReq(popped[0], RequestCode::CHANGE_MESSAGE_INVISIBLETIME, 20000));
  ASSERT_EQ(r->code, ResponseCode::SUCCESS);
  auto e = *common::ParseExtraInfo(popped[0].extra);
  e.ck_queue_offset = popped[0].ext.queue_offset;
  e.pop_time = ExtInt(*r, "popTime");
  e.invisible_time = ExtInt(*r, "invisibleTime");
  e.revive_qid = static_cast<int32_t>(ExtInt(*r, "reviveQid"));
  Popped renewed = popped[0];
  renewed.extra = common::BuildExtraInfo(e);
  ASSERT_EQ(Ask(AckReq(renewed))->code, ResponseCode::SUCCESS);
  world_.RunFor(seconds(40));
  EXPECT_EQ(B()->pop().revived(), 0u);
  EXPECT_EQ(B()->pop().pending_checkpoints(), 0u);
}

TEST_F(PopTest, LongPollingWakesOnArrivalAndTimesOut) {
  SetUpTopic();
  auto slot = AskLater(PopReq("T", 32, 10000, 15000));
  world_.RunFor(seconds(2));
  EXPECT_FALSE(slot->has_value());
  EXPECT_EQ(B()->pop().held(), 1u);
  SendN(1);
  world_.RunUntil([&] { return slot->has_value(); }, world_.now() + seconds(1));
  ASSERT_TRUE(slot->has_value());
  auto got = PopAll(**slot);
  ASSERT_EQ(got.size(), 1u);
  ASSERT_EQ(Ask(AckReq(got[0]))->code, ResponseCode::SUCCESS);
  auto empty = AskLater(PopReq("T", 32, 10000, 15000));
  world_.RunFor(seconds(14));
  EXPECT_FALSE(empty->has_value());
  world_.RunFor(seconds(2));
  ASSERT_TRUE(empty->has_value());
  EXPECT_EQ((**empty)->code, ResponseCode::POLLING_TIMEOUT);
}

TEST_F(PopTest, TwoConcurrentPopsNeverShareAMessage) {
  SetUpTopic();
  SendN(40);
  auto a = AskLater(PopReq("T", 16));
  std::optional<StatusOr<RemotingCommand>> b;
  client2_->Invoke(kBrokerAddr, PopReq("T", 16), seconds(3), [&](auto r) { b = std::move(r); });
  world_.RunUntil([&] { return a->has_value() && b.has_value(); }, world_.now() + seconds(3));
  auto pa = PopAll(**a);
  auto pb = PopAll(*b);
  std::set<std::string> all = Keys(pa);
  for (const auto& k : Keys(pb)) EXPECT_FALSE(all.contains(k)) << k;
  EXPECT_FALSE(pa.empty());
  EXPECT_FALSE(pb.empty());
}

TEST_F(PopTest, BadRequestsGetClearErrors) {
  SetUpTopic();
  SendN(1);
  EXPECT_EQ(Ask(PopReq("T", 33))->code, ResponseCode::INVALID_PARAMETER);
  EXPECT_EQ(Ask(PopReq("T", 32, 10000, 0, 4))->code, ResponseCode::INVALID_PARAMETER);
  EXPECT_EQ(Ask(PopReq("NoSuchTopic"))->code, ResponseCode::TOPIC_NOT_EXIST);
  auto late = PopReq("T");
  late.SetExtFieldInt("bornTime", WallMs() - 5000);
  EXPECT_EQ(Ask(late)->code, ResponseCode::POLLING_TIMEOUT);
  auto popped = PopAll(Ask(PopReq("T")));
  ASSERT_EQ(popped.size(), 1u);
  Popped bad = popped[0];
  bad.extra = "1 2 3";
  EXPECT_EQ(Ask(AckReq(bad))->code, ResponseCode::INVALID_PARAMETER);
  bad = popped[0];
  bad.ext.queue_offset = 1000;
  EXPECT_EQ(Ask(AckReq(bad))->code, ResponseCode::NO_MESSAGE);
  bad = popped[0];
  bad.ext.queue_id = 9;
  EXPECT_EQ(Ask(AckReq(bad))->code, ResponseCode::MESSAGE_ILLEGAL);
  auto missing = AckReq(popped[0]);
  missing.ext_fields.erase("extraInfo");
  EXPECT_EQ(Ask(missing)->code, ResponseCode::SYSTEM_ERROR);
}

// Kill (the page cache survives) between pop and ack: the acks sent to the new incarnation count,
// the rest come back; nothing is lost or forgotten.
TEST_F(PopTest, KillBetweenPopAndAckForgetsNothing) {
  SetUpTopic();
  SendN(6);
  auto popped = PopAll(Ask(PopReq("T", 32, 20000)));
  ASSERT_EQ(popped.size(), 6u);
  world_.RunFor(seconds(11));  // the moved offsets are persisted (first after 10 s)
  world_.KillProcess(broker_);
  world_.RunFor(seconds(1));
  StartBroker();
  (void)Ask(AckReq(popped[0]));  // the old connection is reset
  for (int i = 0; i < 2; ++i) EXPECT_EQ(Ask(AckReq(popped[i]))->code, ResponseCode::SUCCESS);
  world_.RunFor(seconds(25));
  EXPECT_EQ(B()->pop().revived(), 4u);
  std::vector<Popped> again;
  for (int i = 0; i < 10; ++i) {
    auto more = PopAll(Ask(PopReq("T")));
    again.insert(again.end(), more.begin(), more.end());
  }
  std::set<std::string> expected;
  for (int i = 2; i < 6; ++i) expected.insert(popped[i].ext.message.keys());
  EXPECT_EQ(Keys(again), expected);
}

// SYNC_FLUSH and a power loss: the checkpoints were on disk before the pop was answered.
TEST_F(PopTest, PowerLossUnderSyncFlushForgetsNoPoppedMessage) {
  store_config_.flush_disk_type = store::FlushDiskType::kSyncFlush;
  SetUpTopic();
  SendN(5);
  world_.RunFor(seconds(12));  // topics and offsets persisted once
  auto popped = PopAll(Ask(PopReq("T", 32, 20000)));
  ASSERT_EQ(popped.size(), 5u);
  world_.RunFor(seconds(6));  // the moved offsets are persisted too
  world_.PowerOff(b_);
  world_.RunFor(seconds(1));
  world_.PowerOn(b_);
  StartBroker();
  (void)Ask(AckReq(popped[0]));  // the old connection is reset
  EXPECT_EQ(Ask(AckReq(popped[0]))->code, ResponseCode::SUCCESS);
  world_.RunFor(seconds(25));
  EXPECT_EQ(B()->pop().revived(), 4u);
  // Nothing is popped twice from the topic itself: the offsets survived.
  std::vector<Popped> again;
  for (int i = 0; i < 10; ++i) {
    auto more = PopAll(Ask(PopReq("T")));
    again.insert(again.end(), more.begin(), more.end());
  }
  EXPECT_EQ(again.size(), 4u);
  for (const auto& p : again) EXPECT_EQ(p.topic, "%RETRY%CG_T");
}

TEST_F(PopTest, PastMaxReconsumeTimesTheMessageGoesToTheDlq) {
  SetUpTopic();
  SendN(1);
  // retryMaxTimes 16: the 17th revive goes to %DLQ%CG.
  for (int round = 0; round < 17; ++round) {
    std::vector<Popped> p;
    for (int i = 0; i < 10 && p.empty(); ++i) p = PopAll(Ask(PopReq("T", 32, 5000)));
    ASSERT_EQ(p.size(), 1u) << "round " << round;
    EXPECT_EQ(p[0].ext.reconsume_times, round);
    world_.RunFor(seconds(7));
  }
  EXPECT_EQ(B()->pop().revived_to_dlq(), 1u);
  EXPECT_EQ(B()->store().GetMaxOffsetInQueue("%DLQ%CG", 0), 1);
}

}  // namespace
}  // namespace rmqsim::broker::testing
