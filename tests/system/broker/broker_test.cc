// The broker in the simulated world: a real NameServer, the Broker, and test clients speaking
// the remoting protocol directly.
#include <gtest/gtest.h>

#include <map>

#include "system/common/byte_buffer.h"
#include "system/common/consumer_bodies.h"
#include "system/common/message_id.h"
#include "system/common/mix_all.h"
#include "system/common/register_broker_body.h"
#include "system/common/sys_flag.h"
#include "system/remoting/frame_decoder.h"
#include "tests/system/broker/broker_test_util.h"

namespace rmqsim::broker::testing {
namespace {

class BrokerTest : public BrokerWorld {};

TEST_F(BrokerTest, SendV2V1AndBatchThenPullThemBack) {
  StartBroker();
  ASSERT_EQ(Ask(CreateTopic("TopicTest"))->code, ResponseCode::SUCCESS);
  auto r1 = Ask(SendV2("TopicTest", "hello", "TagA", 1));
  ASSERT_TRUE(r1.ok()) << r1.status();
  ASSERT_EQ(r1->code, ResponseCode::SUCCESS) << r1->remark.value_or("");
  EXPECT_EQ(ExtInt(*r1, "queueId"), 1);
  EXPECT_EQ(ExtInt(*r1, "queueOffset"), 0);
  EXPECT_EQ(*r1->FindExtField("MSG_REGION"), "DefaultRegion");
  EXPECT_EQ(*r1->FindExtField("TRACE_ON"), "true");
  const std::string msg_id = *r1->FindExtField("msgId");

  // V1 header, same queue.
  auto v1 = RemotingCommand::CreateRequest(RequestCode::SEND_MESSAGE);
  v1.SetExtField("producerGroup", "PG");
  v1.SetExtField("topic", "TopicTest");
  v1.SetExtField("defaultTopic", "TBW102");
  v1.SetExtFieldInt("defaultTopicQueueNums", 4);
  v1.SetExtFieldInt("queueId", 1);
  v1.SetExtFieldInt("sysFlag", 0);
  v1.SetExtFieldInt("bornTimestamp", 1767225600999);
  v1.SetExtFieldInt("flag", 7);
  v1.SetExtField("properties", "TAGS\x01TagB\x02");
  v1.body = "v1-body";
  auto r2 = Ask(v1);
  ASSERT_EQ(r2->code, ResponseCode::SUCCESS) << r2->remark.value_or("");
  EXPECT_EQ(ExtInt(*r2, "queueOffset"), 1);

  // A batch of two.
  std::vector<common::Message> batch(2);
  batch[0].set_body(common::BytesFromString("b0"));
  batch[0].SetTags("TagA");
  batch[1].set_body(common::BytesFromString("b1"));
  auto breq = SendV2("TopicTest", "", "", 1);
  breq.code = RequestCode::SEND_BATCH_MESSAGE;
  breq.SetExtField("i", "");
  breq.SetExtFieldBool("m", true);
  auto bb = *common::EncodeBatchBody(batch);
  breq.body = common::StringFromBytes(bb);
  auto r3 = Ask(breq);
  ASSERT_EQ(r3->code, ResponseCode::SUCCESS) << r3->remark.value_or("");
  EXPECT_EQ(ExtInt(*r3, "queueOffset"), 2);
  EXPECT_NE(r3->FindExtField("msgId")->find(','), std::string::npos);

  auto pull = Ask(Pull("CG", "TopicTest", 1, 0));
  ASSERT_TRUE(pull.ok());
  ASSERT_EQ(pull->code, ResponseCode::SUCCESS) << pull->remark.value_or("");
  EXPECT_EQ(*pull->remark, "FOUND");
  EXPECT_EQ(ExtInt(*pull, "nextBeginOffset"), 4);
  EXPECT_EQ(ExtInt(*pull, "minOffset"), 0);
  EXPECT_EQ(ExtInt(*pull, "maxOffset"), 4);
  EXPECT_EQ(ExtInt(*pull, "suggestWhichBrokerId"), 0);
  auto msgs = Decode(*pull);
  ASSERT_EQ(msgs.size(), 4u);
  EXPECT_EQ(common::StringFromBytes(msgs[0].message.body()), "hello");
  EXPECT_EQ(msgs[0].message.tags(), "TagA");
  EXPECT_EQ(msgs[0].message.topic(), "TopicTest");
  EXPECT_EQ(msgs[0].queue_id, 1);
  EXPECT_EQ(msgs[0].OffsetMsgId(), msg_id);
  EXPECT_EQ(msgs[0].store_host.ToString(), "10.0.0.2:10911");
  EXPECT_EQ(msgs[0].born_host.IpString(), "10.0.0.3");
  EXPECT_EQ(msgs[0].born_timestamp_ms, 1767225600123);
  EXPECT_EQ(msgs[0].message.cluster(), "DefaultCluster");
  EXPECT_EQ(msgs[0].message.keys(), "k-hello");
  EXPECT_EQ(msgs[1].message.flag(), 7);
  EXPECT_EQ(msgs[1].message.tags(), "TagB");
  EXPECT_EQ(common::StringFromBytes(msgs[2].message.body()), "b0");
  EXPECT_EQ(msgs[2].message.tags(), "TagA");
  EXPECT_EQ(common::StringFromBytes(msgs[3].message.body()), "b1");
  for (int i = 0; i < 4; ++i) EXPECT_EQ(msgs[i].queue_offset, i);
  // The sysFlag (compression bit) is kept as the producer sent it.
  auto zr = Ask(SendV2("TopicTest", "zzz", "", 2, common::kCompressedFlag));
  ASSERT_EQ(zr->code, ResponseCode::SUCCESS);
  auto zp = Ask(Pull("CG", "TopicTest", 2, 0));
  EXPECT_EQ(Decode(*zp).at(0).sys_flag & common::kCompressedFlag, common::kCompressedFlag);
  // VIEW_MESSAGE_BY_ID with the commit-log offset of the offset msg id.
  auto view = RemotingCommand::CreateRequest(RequestCode::VIEW_MESSAGE_BY_ID);
  view.SetExtFieldInt("offset", common::DecodeOffsetMessageId(msg_id)->commit_log_offset);
  auto vr = Ask(view);
  ASSERT_EQ(vr->code, ResponseCode::SUCCESS);
  EXPECT_EQ(common::StringFromBytes(Decode(*vr).at(0).message.body()), "hello");
}

TEST_F(BrokerTest, TagFilterAndOffsetStatuses) {
  StartBroker();
  ASSERT_EQ(Ask(CreateTopic("T"))->code, ResponseCode::SUCCESS);
  for (const char* tag : {"TagA", "TagB", "TagA"}) {
    ASSERT_EQ(Ask(SendV2("T", tag, tag))->code, ResponseCode::SUCCESS);
  }
  auto p = Ask(Pull("CG", "T", 0, 0, 6, "TagA"));
  auto msgs = Decode(*p);
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[1].queue_offset, 2);
  auto none = Ask(Pull("CG", "T", 0, 0, 6, "TagC"));
  EXPECT_EQ(none->code, ResponseCode::PULL_RETRY_IMMEDIATELY);
  EXPECT_EQ(ExtInt(*none, "nextBeginOffset"), 3);
  auto badly = Ask(Pull("CG", "T", 0, 10));
  EXPECT_EQ(badly->code, ResponseCode::PULL_OFFSET_MOVED);
  EXPECT_EQ(ExtInt(*badly, "nextBeginOffset"), 3);
  auto empty_nonzero = Ask(Pull("CG", "T", 1, 5));
  EXPECT_EQ(empty_nonzero->code, ResponseCode::PULL_OFFSET_MOVED);
  auto no_sub = Ask(Pull("CG", "T", 0, 0, 2));  // no SUBSCRIPTION flag, no heartbeat
  EXPECT_EQ(no_sub->code, ResponseCode::SUBSCRIPTION_NOT_EXIST);
  auto bad_queue = Ask(Pull("CG", "T", 9, 0));
  EXPECT_EQ(bad_queue->code, ResponseCode::SYSTEM_ERROR);
  auto no_topic = Ask(Pull("CG", "Nope", 0, 0));
  EXPECT_EQ(no_topic->code, ResponseCode::TOPIC_NOT_EXIST);
}

TEST_F(BrokerTest, LongPollingWakesOnArrival) {
  StartBroker();
  ASSERT_EQ(Ask(CreateTopic("T"))->code, ResponseCode::SUCCESS);
  auto slot = AskLater(Pull("CG", "T", 0, 0));
  world_.RunFor(seconds(3));
  EXPECT_FALSE(slot->has_value());
  EXPECT_EQ(B()->pull_hold().held(), 1u);
  ASSERT_EQ(Ask(SendV2("T", "late", "TagA"))->code, ResponseCode::SUCCESS);
  MonoTime sent = world_.now();
  world_.RunUntil([&] { return slot->has_value(); }, world_.now() + seconds(20));
  ASSERT_TRUE(slot->has_value());
  EXPECT_LT(world_.now() - sent, milliseconds(50));
  ASSERT_EQ((**slot)->code, ResponseCode::SUCCESS);
  EXPECT_EQ(common::StringFromBytes(Decode(***slot).at(0).message.body()), "late");
  EXPECT_EQ(B()->pull_hold().held(), 0u);
}

TEST_F(BrokerTest, LongPollingAnswersPullNotFoundAtTheSuspendTimeout) {
  StartBroker();
  ASSERT_EQ(Ask(CreateTopic("T"))->code, ResponseCode::SUCCESS);
  ASSERT_EQ(Ask(SendV2("T", "one"))->code, ResponseCode::SUCCESS);
  MonoTime start = world_.now();
  auto slot = AskLater(Pull("CG", "T", 0, 1));
  world_.RunUntil([&] { return slot->has_value(); }, world_.now() + seconds(30));
  ASSERT_TRUE(slot->has_value());
  Duration waited = world_.now() - start;
  // Held 15 s, answered at the next 5-s check of PullRequestHoldService.
  EXPECT_GE(waited, seconds(15));
  EXPECT_LE(waited, seconds(20) + milliseconds(10));
  const RemotingCommand& r = ***slot;
  EXPECT_EQ(r.code, ResponseCode::PULL_NOT_FOUND);
  EXPECT_EQ(*r.remark, "OFFSET_OVERFLOW_ONE");
  EXPECT_EQ(ExtInt(r, "nextBeginOffset"), 1);
  EXPECT_EQ(ExtInt(r, "minOffset"), 0);
  EXPECT_EQ(ExtInt(r, "maxOffset"), 1);
  // Without the suspend flag the answer is immediate.
  auto now = Ask(Pull("CG", "T", 0, 1, 4));
  EXPECT_EQ(now->code, ResponseCode::PULL_NOT_FOUND);
}

TEST_F(BrokerTest, AutoCreatedTopicViaTbw102AppearsInTheRoute) {
  StartBroker();
  EXPECT_EQ(RouteCode("AutoTopic"), ResponseCode::TOPIC_NOT_EXIST);
  auto r = Ask(SendV2("AutoTopic", "x", "", 3));
  ASSERT_EQ(r->code, ResponseCode::SUCCESS) << r->remark.value_or("");
  world_.RunFor(milliseconds(10));
  common::TopicRouteData route;
  ASSERT_EQ(RouteCode("AutoTopic", &route), ResponseCode::SUCCESS);
  ASSERT_EQ(route.queue_datas.size(), 1u);
  EXPECT_EQ(route.queue_datas[0].write_queue_nums, 4);  // min(client 4, TBW102 8)
  EXPECT_EQ(route.queue_datas[0].perm, 6);
  EXPECT_EQ(route.broker_datas.at(0).broker_addrs.at(0), "10.0.0.2:10911");
  // Queue id beyond the topic's queues.
  EXPECT_EQ(Ask(SendV2("AutoTopic", "x", "", 7))->code, ResponseCode::SYSTEM_ERROR);
}

TEST_F(BrokerTest, NoAutoCreateMeansTopicNotExist) {
  broker_config_.auto_create_topic_enable = false;
  StartBroker();
  auto r = Ask(SendV2("AutoTopic", "x"));
  EXPECT_EQ(r->code, ResponseCode::TOPIC_NOT_EXIST);
  EXPECT_NE(r->remark->find("topic[AutoTopic] not exist, apply first please!"), std::string::npos);
}

// Without autoCreateSubscriptionGroup only known groups and system consumer groups (the
// CID_RMQ_SYS_ prefix, MixAll.isSysConsumerGroup) may pull.
TEST_F(BrokerTest, NoAutoCreateGroupRefusesUnknownGroupsButNotSystemOnes) {
  broker_config_.auto_create_subscription_group = false;
  StartBroker();
  ASSERT_EQ(Ask(SendV2("TopicTest", "x"))->code, ResponseCode::SUCCESS);
  EXPECT_EQ(Ask(Pull("cg", "TopicTest", 0, 0))->code, ResponseCode::SUBSCRIPTION_GROUP_NOT_EXIST);
  EXPECT_NE(Ask(Pull("CID_RMQ_SYS_X", "TopicTest", 0, 0))->code,
            ResponseCode::SUBSCRIPTION_GROUP_NOT_EXIST);
  EXPECT_NE(Ask(Pull("CID_RMQ_SYS_TRANS", "TopicTest", 0, 0))->code,
            ResponseCode::SUBSCRIPTION_GROUP_NOT_EXIST);
}

TEST_F(BrokerTest, UpdateAndCreateTopicRegistersAtOnceAndRefusesSystemTopics) {
  StartBroker();
  ASSERT_EQ(Ask(CreateTopic("Admin", 2))->code, ResponseCode::SUCCESS);
  common::TopicRouteData route;
  ASSERT_EQ(RouteCode("Admin", &route), ResponseCode::SUCCESS);
  EXPECT_EQ(route.queue_datas.at(0).read_queue_nums, 2);
  EXPECT_EQ(Ask(CreateTopic("SCHEDULE_TOPIC_XXXX"))->code, ResponseCode::SYSTEM_ERROR);
  EXPECT_EQ(Ask(CreateTopic("TBW102"))->code, ResponseCode::SYSTEM_ERROR);
  EXPECT_EQ(Ask(CreateTopic("bad topic"))->code, ResponseCode::SYSTEM_ERROR);
  auto all = Ask(RemotingCommand::CreateRequest(RequestCode::GET_ALL_TOPIC_CONFIG));
  auto w = common::DecodeTopicConfigSerializeWrapper(all->body);
  ASSERT_TRUE(w.ok());
  EXPECT_TRUE(w->topic_config_table.contains("Admin"));
  EXPECT_TRUE(w->topic_config_table.contains("TBW102"));
  EXPECT_GE(w->data_version.counter, 1);
}

TEST_F(BrokerTest, HeartbeatCreatesRetryTopicAndListsTheClient) {
  StartBroker();
  ASSERT_EQ(Ask(CreateTopic("T"))->code, ResponseCode::SUCCESS);
  auto hb = Ask(Heartbeat("10.0.0.3@1", "CG", "T"));
  ASSERT_EQ(hb->code, ResponseCode::SUCCESS);
  world_.RunFor(milliseconds(10));
  common::TopicRouteData route;
  ASSERT_EQ(RouteCode("%RETRY%CG", &route), ResponseCode::SUCCESS);
  EXPECT_EQ(route.queue_datas.at(0).write_queue_nums, 1);
  EXPECT_EQ(route.queue_datas.at(0).perm, 6);
  auto list = Ask(Offset(RequestCode::GET_CONSUMER_LIST_BY_GROUP, "CG", "T", 0));
  ASSERT_EQ(list->code, ResponseCode::SUCCESS);
  EXPECT_EQ(common::DecodeConsumerListBody(list->body)->consumer_id_list,
            std::vector<std::string>{"10.0.0.3@1"});
  auto other = Ask(Offset(RequestCode::GET_CONSUMER_LIST_BY_GROUP, "Other", "T", 0));
  EXPECT_EQ(other->code, ResponseCode::SYSTEM_ERROR);
  EXPECT_EQ(*other->remark, "no consumer for this group, Other");
  // The registered subscription serves pulls without the SUBSCRIPTION flag (Java's default).
  ASSERT_EQ(Ask(SendV2("T", "m"))->code, ResponseCode::SUCCESS);
  EXPECT_EQ(Ask(Pull("CG", "T", 0, 0, 2))->code, ResponseCode::SUCCESS);
  // UNREGISTER_CLIENT forgets it.
  auto unreg = RemotingCommand::CreateRequest(RequestCode::UNREGISTER_CLIENT);
  unreg.SetExtField("clientID", "10.0.0.3@1");
  unreg.SetExtField("consumerGroup", "CG");
  ASSERT_EQ(Ask(unreg)->code, ResponseCode::SUCCESS);
  EXPECT_EQ(Ask(Offset(RequestCode::GET_CONSUMER_LIST_BY_GROUP, "CG", "T", 0))->code,
            ResponseCode::SYSTEM_ERROR);
}

TEST_F(BrokerTest, SecondConsumerJoiningAndLeavingNotifiesTheFirst) {
  StartBroker();
  ASSERT_EQ(Ask(CreateTopic("T"))->code, ResponseCode::SUCCESS);
  ASSERT_EQ(Ask(Heartbeat("c1", "CG", "T"))->code, ResponseCode::SUCCESS);
  world_.RunFor(milliseconds(10));
  int first_join = *notified1_;  // the first member is told about itself too (Java)
  ASSERT_EQ(Ask(Heartbeat("c2", "CG", "T"), kBrokerAddr, client2_.get())->code,
            ResponseCode::SUCCESS);
  world_.RunFor(milliseconds(10));
  EXPECT_EQ(*notified1_, first_join + 1);
  EXPECT_EQ(*notified2_, 1);
  // A repeated heartbeat changes nothing: no notification.
  ASSERT_EQ(Ask(Heartbeat("c1", "CG", "T"))->code, ResponseCode::SUCCESS);
  world_.RunFor(milliseconds(10));
  EXPECT_EQ(*notified1_, first_join + 1);
  auto list = Ask(Offset(RequestCode::GET_CONSUMER_LIST_BY_GROUP, "CG", "T", 0));
  EXPECT_EQ(common::DecodeConsumerListBody(list->body)->consumer_id_list.size(), 2u);
  // The second client's channel closes: it is removed at once and the first is told.
  client2_->CloseChannel(kBrokerAddr);
  world_.RunFor(milliseconds(10));
  EXPECT_EQ(*notified1_, first_join + 2);
  list = Ask(Offset(RequestCode::GET_CONSUMER_LIST_BY_GROUP, "CG", "T", 0));
  EXPECT_EQ(common::DecodeConsumerListBody(list->body)->consumer_id_list,
            std::vector<std::string>{"c1"});
}

TEST_F(BrokerTest, ClientExpiresAfter120SecondsWithoutHeartbeat) {
  broker_config_.channel_idle_timeout = Duration::zero();  // only the housekeeping scan
  StartBroker();
  ASSERT_EQ(Ask(CreateTopic("T"))->code, ResponseCode::SUCCESS);
  ASSERT_EQ(Ask(Heartbeat("c1", "CG", "T"))->code, ResponseCode::SUCCESS);
  MonoTime last_heartbeat = world_.now();
  // Other traffic does not count: only heartbeats refresh a client.
  for (int i = 0; i < 11; ++i) {
    world_.RunFor(seconds(10));
    auto r = Ask(Offset(RequestCode::GET_CONSUMER_LIST_BY_GROUP, "CG", "T", 0));
    ASSERT_EQ(r->code, ResponseCode::SUCCESS)
        << "at " << FormatDuration(world_.now() - last_heartbeat);
  }
  world_.RunFor(seconds(20));
  auto gone = Ask(Offset(RequestCode::GET_CONSUMER_LIST_BY_GROUP, "CG", "T", 0));
  EXPECT_EQ(gone->code, ResponseCode::SYSTEM_ERROR);
  EXPECT_TRUE(B()->consumers().table().empty());
  EXPECT_TRUE(B()->producers().table().empty());
}

TEST_F(BrokerTest, OffsetsCommitQueryAndNegativeCommitIgnored) {
  StartBroker();
  ASSERT_EQ(Ask(CreateTopic("T"))->code, ResponseCode::SUCCESS);
  // No offset yet, empty queue: 0 (min offset 0, nothing on disk).
  auto q0 = Ask(Offset(RequestCode::QUERY_CONSUMER_OFFSET, "CG", "T", 0));
  ASSERT_EQ(q0->code, ResponseCode::SUCCESS);
  EXPECT_EQ(ExtInt(*q0, "offset"), 0);
  ASSERT_EQ(Ask(Offset(RequestCode::UPDATE_CONSUMER_OFFSET, "CG", "T", 0, 5))->code,
            ResponseCode::SUCCESS);
  EXPECT_EQ(ExtInt(*Ask(Offset(RequestCode::QUERY_CONSUMER_OFFSET, "CG", "T", 0)), "offset"), 5);
  ASSERT_EQ(Ask(Offset(RequestCode::UPDATE_CONSUMER_OFFSET, "CG", "T", 0, -1))->code,
            ResponseCode::SUCCESS);
  EXPECT_EQ(ExtInt(*Ask(Offset(RequestCode::QUERY_CONSUMER_OFFSET, "CG", "T", 0)), "offset"), 5);
  // A oneway update (the Java client's) is applied too.
  auto oneway = Offset(RequestCode::UPDATE_CONSUMER_OFFSET, "CG", "T", 0, 6);
  client_->InvokeOneway(kBrokerAddr, oneway, seconds(3));
  world_.RunFor(milliseconds(10));
  EXPECT_EQ(ExtInt(*Ask(Offset(RequestCode::QUERY_CONSUMER_OFFSET, "CG", "T", 0)), "offset"), 6);
  // The commit flag on a pull commits too (sysFlag 7), -1 is ignored (sysFlag 7, ali-ons).
  ASSERT_EQ(Ask(SendV2("T", "m"))->code, ResponseCode::SUCCESS);
  EXPECT_EQ(Ask(Pull("CG", "T", 0, 0, 7, "*", 1))->code, ResponseCode::SUCCESS);
  EXPECT_EQ(ExtInt(*Ask(Offset(RequestCode::QUERY_CONSUMER_OFFSET, "CG", "T", 0)), "offset"), 1);
  EXPECT_EQ(Ask(Pull("CG", "T", 0, 0, 7, "*", -1))->code, ResponseCode::SUCCESS);
  EXPECT_EQ(ExtInt(*Ask(Offset(RequestCode::QUERY_CONSUMER_OFFSET, "CG", "T", 0)), "offset"), 1);
  // Max / min / by time / earliest.
  auto max = RemotingCommand::CreateRequest(RequestCode::GET_MAX_OFFSET);
  max.SetExtField("topic", "T");
  max.SetExtFieldInt("queueId", 0);
  EXPECT_EQ(ExtInt(*Ask(max), "offset"), 1);
  max.code = RequestCode::GET_MIN_OFFSET;
  EXPECT_EQ(ExtInt(*Ask(max), "offset"), 0);
  max.code = RequestCode::GET_EARLIEST_MSG_STORETIME;
  EXPECT_GT(ExtInt(*Ask(max), "timestamp"), 1767225600000);
  max.code = RequestCode::SEARCH_OFFSET_BY_TIMESTAMP;
  max.SetExtFieldInt("timestamp", 1767225600000);
  EXPECT_EQ(ExtInt(*Ask(max), "offset"), 0);
}

TEST_F(BrokerTest, QueryNotFoundWhenTheFirstMessageIsNoLongerInMemory) {
  store_config_.total_physical_memory_bytes = 1000;  // 40 %: 400 bytes "in memory"
  StartBroker();
  ASSERT_EQ(Ask(CreateTopic("T"))->code, ResponseCode::SUCCESS);
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(Ask(SendV2("T", std::string(200, 'x')))->code, ResponseCode::SUCCESS);
  }
  auto q = Ask(Offset(RequestCode::QUERY_CONSUMER_OFFSET, "CG", "T", 0));
  EXPECT_EQ(q->code, ResponseCode::QUERY_NOT_FOUND);
  EXPECT_EQ(*q->remark, "Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first");
}

TEST_F(BrokerTest, OffsetsSurviveGracefulRestartAndRollBackAfterKill) {
  StartBroker();
  ASSERT_EQ(Ask(CreateTopic("T"))->code, ResponseCode::SUCCESS);
  ASSERT_EQ(Ask(Offset(RequestCode::UPDATE_CONSUMER_OFFSET, "CG", "T", 0, 20))->code,
            ResponseCode::SUCCESS);
  world_.StopProcess(broker_);
  world_.RunFor(seconds(1));
  ASSERT_FALSE(world_.IsRunning(broker_));
  StartBroker();
  auto q = Ask(Offset(RequestCode::QUERY_CONSUMER_OFFSET, "CG", "T", 0));
  ASSERT_EQ(q->code, ResponseCode::SUCCESS);
  EXPECT_EQ(ExtInt(*q, "offset"), 20);
  EXPECT_EQ(RouteCode("T"), ResponseCode::SUCCESS);  // topics.json survived too
  // Persisted 10 s after start and every 5 s: a kill right after a commit loses it.
  world_.RunFor(seconds(12));
  ASSERT_EQ(Ask(Offset(RequestCode::UPDATE_CONSUMER_OFFSET, "CG", "T", 0, 30))->code,
            ResponseCode::SUCCESS);
  world_.KillProcess(broker_);
  world_.RunFor(seconds(1));
  StartBroker();
  q = Ask(Offset(RequestCode::QUERY_CONSUMER_OFFSET, "CG", "T", 0));
  EXPECT_EQ(ExtInt(*q, "offset"), 20);
}

// Java's broker refuses a store another broker holds ("Lock failed,MQ already started"); without
// the lock two brokers wrote into one commit log and lost acknowledged messages.
TEST_F(BrokerTest, ASecondBrokerOnTheSameStoreRefusesToStartUntilTheFirstIsGone) {
  StartBroker();
  ASSERT_EQ(Ask(CreateTopic("T"))->code, ResponseCode::SUCCESS);
  broker::BrokerConfig other = broker_config_;
  other.listen_port = 10921;
  other.ha_listen_port = 10922;
  auto second = *world_.AddProcess(
      b_, "broker-a-again",
      [other, sc = store_config_](Runtime& rt) { return std::make_unique<Broker>(rt, other, sc); },
      "/data/broker-a");
  ASSERT_TRUE(world_.StartProcess(second).ok());
  world_.RunFor(milliseconds(100));
  EXPECT_FALSE(world_.IsRunning(second));
  std::string error;
  for (const auto& e : world_.trace_events()) {
    if (e.node == "broker-a-again" && e.event.name() == "ProcessStartFailed") {
      error = std::get<std::string>(*e.event.Find("Error"));
    }
  }
  EXPECT_NE(error.find("UNAVAILABLE: Lock failed, MQ already started"), std::string::npos)
      << error;
  // The first broker is untouched and still serves.
  EXPECT_EQ(RouteCode("T"), ResponseCode::SUCCESS);
  ASSERT_EQ(Ask(CreateTopic("T2"))->code, ResponseCode::SUCCESS);
  // Once the first is dead (kill -9: the OS releases its lock), the second starts on its store.
  world_.RunFor(seconds(10));  // topics.json written and synced
  world_.KillProcess(broker_);
  world_.RunFor(seconds(1));
  ASSERT_TRUE(world_.StartProcess(second).ok());
  world_.RunFor(milliseconds(100));
  ASSERT_TRUE(world_.IsRunning(second));
  std::string names;
  for (const auto& [n, c] : world_.service_as<Broker>(second)->topics().table()) names += n + " ";
  EXPECT_EQ(world_.service_as<Broker>(second)->topics().table().count("T2"), 1u) << names;
}

TEST_F(BrokerTest, SyncFlushOnASlowDiskAnswersFlushDiskTimeout) {
  store_config_.flush_disk_type = store::FlushDiskType::kSyncFlush;
  store_config_.sync_flush_timeout = milliseconds(100);
  StartBroker();
  ASSERT_EQ(Ask(CreateTopic("T"))->code, ResponseCode::SUCCESS);
  ASSERT_EQ(Ask(SendV2("T", "fast"))->code, ResponseCode::SUCCESS);
  world_.disk(b_).SetFaults({.sync_slowdown = 1000});  // fsync >= 200 ms
  auto r = Ask(SendV2("T", "slow"));
  ASSERT_EQ(r->code, ResponseCode::FLUSH_DISK_TIMEOUT);
  EXPECT_EQ(ExtInt(*r, "queueOffset"), 1);  // stored anyway, header filled
  EXPECT_NE(r->FindExtField("msgId"), nullptr);
  world_.disk(b_).SetFaults({});
}

TEST_F(BrokerTest, SyncMasterWithoutSlaveAnswersSlaveNotAvailable) {
  store_config_.broker_role = store::BrokerRole::kSyncMaster;
  StartBroker();
  ASSERT_EQ(Ask(CreateTopic("T"))->code, ResponseCode::SUCCESS);
  EXPECT_EQ(Ask(SendV2("T", "x"))->code, ResponseCode::SLAVE_NOT_AVAILABLE);
}

TEST_F(BrokerTest, TooLargeMessageIsIllegalAndUnknownCodeIsNotSupported) {
  store_config_.max_message_size = 1024;
  StartBroker();
  ASSERT_EQ(Ask(CreateTopic("T"))->code, ResponseCode::SUCCESS);
  auto r = Ask(SendV2("T", std::string(2000, 'x')));
  EXPECT_EQ(r->code, ResponseCode::MESSAGE_ILLEGAL);
  auto u = Ask(RemotingCommand::CreateRequest(9999));
  EXPECT_EQ(u->code, ResponseCode::REQUEST_CODE_NOT_SUPPORTED);
  EXPECT_EQ(*u->remark, " request type 9999 not supported");
  // A request missing a required header field: SYSTEM_ERROR naming it.
  auto bad = SendV2("T", "x");
  bad.ext_fields.erase("e");
  auto br = Ask(bad);
  EXPECT_EQ(br->code, ResponseCode::SYSTEM_ERROR);
  EXPECT_NE(br->remark->find("<e>"), std::string::npos);
}

TEST_F(BrokerTest, KeepsRegisteringAndUnregistersOnGracefulStop) {
  StartBroker();
  ASSERT_EQ(Ask(CreateTopic("T"))->code, ResponseCode::SUCCESS);
  for (int minute = 0; minute < 10; ++minute) {
    world_.RunFor(minutes(1));
    ASSERT_EQ(RouteCode("T"), ResponseCode::SUCCESS) << "minute " << minute;
  }
  EXPECT_GE(B()->registrations_ok(), 20u);
  EXPECT_EQ(B()->registrations_failed(), 0u);
  world_.StopProcess(broker_);
  world_.RunUntil([&] { return !world_.IsRunning(broker_); }, world_.now() + seconds(10));
  ASSERT_FALSE(world_.IsRunning(broker_));
  bool unregistered = false;
  for (const auto& e : world_.trace_events()) {
    if (e.event.name() == "BrokerUnregistered") unregistered = true;
  }
  EXPECT_TRUE(unregistered);
  EXPECT_EQ(RouteCode("T"), ResponseCode::TOPIC_NOT_EXIST);
}

TEST_F(BrokerTest, SendBackGoesToRetryAfterTheDelayAndToDlqAfterMaxReconsume) {
  StartBroker();
  ASSERT_EQ(Ask(CreateTopic("T"))->code, ResponseCode::SUCCESS);
  auto sent = Ask(SendV2("T", "fails", "TagA"));
  ASSERT_EQ(sent->code, ResponseCode::SUCCESS);
  int64_t phy = common::DecodeOffsetMessageId(*sent->FindExtField("msgId"))->commit_log_offset;
  auto back = RemotingCommand::CreateRequest(RequestCode::CONSUMER_SEND_MSG_BACK);
  back.SetExtFieldInt("offset", phy);
  back.SetExtField("group", "CG");
  back.SetExtFieldInt("delayLevel", 0);
  back.SetExtField("originMsgId", *sent->FindExtField("msgId"));
  back.SetExtField("originTopic", "T");
  back.SetExtFieldBool("unitMode", false);
  back.SetExtFieldInt("maxReconsumeTimes", 16);
  ASSERT_EQ(Ask(back)->code, ResponseCode::SUCCESS);
  // Level 3 (10 s): first parked in SCHEDULE_TOPIC_XXXX, then in %RETRY%CG.
  auto max_retry = [&] { return B()->store().GetMaxOffsetInQueue("%RETRY%CG", 0); };
  world_.RunFor(seconds(5));
  EXPECT_EQ(max_retry(), 0);
  EXPECT_EQ(B()->store().GetMaxOffsetInQueue("SCHEDULE_TOPIC_XXXX", 2), 1);
  world_.RunFor(seconds(6));
  ASSERT_EQ(max_retry(), 1);
  auto p = Ask(Pull("CG", "%RETRY%CG", 0, 0));
  ASSERT_EQ(p->code, ResponseCode::SUCCESS);
  auto m = Decode(*p).at(0);
  EXPECT_EQ(m.reconsume_times, 1);
  EXPECT_EQ(m.message.retry_topic(), "T");
  EXPECT_EQ(m.message.origin_message_id(), *sent->FindExtField("msgId"));
  EXPECT_EQ(common::StringFromBytes(m.message.body()), "fails");
  EXPECT_FALSE(m.message.HasProperty("DELAY"));
  // The retried message fails again with a maximum of 1: the DLQ, at once.
  back.SetExtFieldInt("offset", m.commit_log_offset);
  back.SetExtFieldInt("maxReconsumeTimes", 1);
  ASSERT_EQ(Ask(back)->code, ResponseCode::SUCCESS);
  world_.RunFor(milliseconds(10));
  EXPECT_EQ(B()->store().GetMaxOffsetInQueue("%DLQ%CG", 0), 1);
  common::TopicRouteData route;
  EXPECT_EQ(RouteCode("%DLQ%CG", &route), ResponseCode::SUCCESS);
  // A producer send to %RETRY%CG with reconsumeTimes >= max also lands in the DLQ.
  auto retry_send = SendV2("%RETRY%CG", "again");
  retry_send.SetExtFieldInt("j", 16);
  retry_send.SetExtFieldInt("l", 16);
  ASSERT_EQ(Ask(retry_send)->code, ResponseCode::SUCCESS);
  world_.RunFor(milliseconds(10));
  EXPECT_EQ(B()->store().GetMaxOffsetInQueue("%DLQ%CG", 0), 2);
}

// ali-ons writes JSON headers with numeric and boolean extFields, version 121, no oneway bit,
// PULL sysFlag 6/7 and commitOffset -1, and needs the response flag bit and JSON responses.
TEST_F(BrokerTest, AliOnsShapedRequestsWork) {
  StartBroker();
  ASSERT_EQ(Ask(CreateTopic("TopicTest"))->code, ResponseCode::SUCCESS);
  auto conn = ConnectFrom(client_proc_, kBrokerAddr);
  ASSERT_TRUE(conn.ok()) << conn.status();
  auto log = std::make_shared<rmqsim::testing::StreamLog>();
  rmqsim::testing::StartLogging(*conn, log);
  auto frame = [](const std::string& header, const std::string& body) {
    std::string f(8, '\0');
    common::StoreI32(reinterpret_cast<std::byte*>(f.data()),
                     static_cast<int32_t>(4 + header.size() + body.size()));
    common::StoreI32(reinterpret_cast<std::byte*>(f.data() + 4),
                     static_cast<int32_t>(header.size()));
    return f + header + body;
  };
  const std::string send =
      R"({"code":310,"language":"JAVA","opaque":1,"flag":0,"version":121,"extFields":)"
      R"({"a":"PG","b":"TopicTest","c":"TBW102","d":4,"e":0,"f":0,"g":1767225600000,"h":0,)"
      R"("i":"TAGS\u0001TagA\u0002KEYS\u0001KEY0\u0002","j":0,"k":false}})";
  const std::string pull =
      R"({"code":11,"language":"JAVA","opaque":2,"flag":0,"version":121,"extFields":)"
      R"({"consumerGroup":"CG","topic":"TopicTest","queueId":0,"queueOffset":0,)"
      R"("maxMsgNums":32,"sysFlag":7,"commitOffset":-1,"suspendTimeoutMillis":15000,)"
      R"("subscription":"TagA","subVersion":1767225600000}})";
  const std::string offset =
      R"({"code":15,"language":"JAVA","opaque":3,"flag":0,"version":121,"extFields":)"
      R"({"consumerGroup":"CG","topic":"TopicTest","queueId":0,"commitOffset":-1}})";
  std::string bytes = frame(send, "hello") + frame(pull, "") + frame(offset, "");
  ASSERT_TRUE((*conn)->Send(rmqsim::testing::Bytes(bytes)).ok());
  std::vector<RemotingCommand> got;
  world_.RunUntil(
      [&] {
        got.clear();
        remoting::FrameDecoder dec;
        (void)dec.Feed(rmqsim::testing::Bytes(log->data), [&](RemotingCommand c) {
          got.push_back(std::move(c));
          return true;
        });
        return got.size() >= 3;
      },
      world_.now() + seconds(5));
  ASSERT_EQ(got.size(), 3u);
  std::map<int32_t, RemotingCommand> by_opaque;
  for (auto& c : got) {
    EXPECT_TRUE(c.is_response());
    EXPECT_EQ(c.serialize_type, remoting::SerializeType::JSON);
    by_opaque[c.opaque] = c;
  }
  EXPECT_EQ(by_opaque[1].code, ResponseCode::SUCCESS);
  EXPECT_NE(by_opaque[1].FindExtField("msgId"), nullptr);
  EXPECT_NE(by_opaque[1].FindExtField("queueOffset"), nullptr);
  ASSERT_EQ(by_opaque[2].code, ResponseCode::SUCCESS) << by_opaque[2].remark.value_or("");
  for (const char* k : {"nextBeginOffset", "minOffset", "maxOffset"}) {
    EXPECT_NE(by_opaque[2].FindExtField(k), nullptr) << k;
  }
  auto msgs = Decode(by_opaque[2]);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].sys_flag & (common::kBornHostV6Flag | common::kStoreHostAddressV6Flag), 0);
  EXPECT_EQ(msgs[0].message.keys(), "KEY0");
  EXPECT_EQ(by_opaque[3].code, ResponseCode::SUCCESS);
  EXPECT_EQ(B()->consumer_offsets().QueryOffset("CG", "TopicTest", 0), -1);
  (*conn)->Close();
}

// Same seed, same run: the world digest covers every trace event and dispatched event.
uint64_t RunScenario(uint64_t seed) {
  sim::World world(sim::WorldConfig{.seed = seed});
  auto a = *world.AddMachine({.name = "a", .ip = "10.0.0.1"});
  auto b = *world.AddMachine({.name = "b", .ip = "10.0.0.2"});
  auto c = *world.AddMachine({.name = "c", .ip = "10.0.0.3"});
  auto ns = *world.AddProcess(a, "namesrv", [](Runtime& rt) {
    return std::make_unique<namesrv::NameServer>(rt, namesrv::NamesrvConfig{});
  });
  auto broker = *world.AddProcess(b, "broker-a", [](Runtime& rt) {
    BrokerConfig config;
    config.broker_ip1 = "10.0.0.2";
    config.namesrv_addrs = {kNamesrv};
    return std::make_unique<Broker>(rt, config, store::MessageStoreConfig::ForSimulation());
  });
  auto client = *world.AddProcess(c, "client", [](Runtime& rt) {
    return std::make_unique<rmqsim::testing::ScriptedService>(rt, nullptr);
  });
  EXPECT_TRUE(world.StartProcess(ns).ok());
  EXPECT_TRUE(world.StartProcess(broker).ok());
  EXPECT_TRUE(world.StartProcess(client).ok());
  world.RunFor(milliseconds(100));
  {
    RemotingClient cl(*world.runtime(client));
    int answered = 0;
    for (int i = 0; i < 20; ++i) {
      cl.Invoke(kBrokerAddr, BrokerWorld::SendV2("T", "m" + std::to_string(i), "", i % 4),
                seconds(3), [&](auto) { ++answered; });
    }
    cl.Invoke(kBrokerAddr, BrokerWorld::Pull("CG", "T", 0, 100), seconds(30),
              [&](auto) { ++answered; });
    world.RunFor(seconds(40));
    EXPECT_EQ(answered, 21);
  }
  return world.digest();
}

TEST(BrokerDeterminismTest, SameSeedSameDigest) {
  EXPECT_EQ(RunScenario(7), RunScenario(7));
  EXPECT_NE(RunScenario(7), RunScenario(8));
}

}  // namespace
}  // namespace rmqsim::broker::testing
