// The broker's admin-tool requests (AdminBrokerProcessor and QueryMessageProcessor of 4.9.8) in
// the simulated world: one test per request code, plus UPDATE_AND_CREATE_TOPIC's validation and
// the MESSAGE_ILLEGAL remark.
#include <gtest/gtest.h>

#include <set>

#include "system/common/admin_bodies.h"
#include "system/common/register_broker_body.h"
#include "tests/system/broker/broker_test_util.h"

namespace rmqsim::broker::testing {
namespace {

class BrokerAdminTest : public BrokerWorld {
 protected:
  // Sends `n` messages to queue `queue` of `topic` (bodies m0, m1, ...; KEYS k-m0, k-m1, ...).
  void SendSome(const std::string& topic, int n, int32_t queue = 0) {
    for (int i = 0; i < n; ++i) {
      auto r = Ask(SendV2(topic, "m" + std::to_string(i), "TagA", queue));
      ASSERT_TRUE(r.ok());
      ASSERT_EQ(r->code, ResponseCode::SUCCESS) << r->remark.value_or("");
    }
  }
  static RemotingCommand WithTopic(int32_t code, const std::string& topic) {
    auto req = RemotingCommand::CreateRequest(code);
    req.SetExtField("topic", topic);
    return req;
  }
};

TEST_F(BrokerAdminTest, UpdateAndCreateTopicRefusesBadQueueCountsAndPermissions) {
  StartBroker();
  for (auto [read, write] : {std::pair{1000000000, 4}, {4, -5}, {1025, 1}}) {
    auto req = CreateTopic("Bad");
    req.SetExtFieldInt("readQueueNums", read);
    req.SetExtFieldInt("writeQueueNums", write);
    auto r = Ask(req);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->code, ResponseCode::SYSTEM_ERROR);
    EXPECT_NE(r->remark->find("out of range [0, 1024]"), std::string::npos) << *r->remark;
  }
  auto req = CreateTopic("Bad");
  req.SetExtFieldInt("perm", 999);
  auto r = Ask(req);
  EXPECT_EQ(r->code, ResponseCode::SYSTEM_ERROR);
  EXPECT_EQ(*r->remark, "topicPermission value: 999 is invalid.");
  EXPECT_EQ(B()->topics().Select("Bad"), nullptr);
  // The limits themselves are fine.
  auto ok = CreateTopic("Good", 1024);
  ok.SetExtFieldInt("perm", 7);
  EXPECT_EQ(Ask(ok)->code, ResponseCode::SUCCESS);
}

TEST_F(BrokerAdminTest, TooLargeMessageRemarkNamesTheConfiguredLimit) {
  store_config_.max_message_size = 1024;
  StartBroker();
  ASSERT_EQ(Ask(CreateTopic("T"))->code, ResponseCode::SUCCESS);
  auto r = Ask(SendV2("T", std::string(2000, 'x')));
  EXPECT_EQ(r->code, ResponseCode::MESSAGE_ILLEGAL);
  EXPECT_NE(r->remark->find("msg body length limit 1024B, msg properties length limit 32KB."),
            std::string::npos)
      << *r->remark;
}

TEST_F(BrokerAdminTest, DeleteTopicInBroker) {
  StartBroker();
  ASSERT_EQ(Ask(CreateTopic("Gone"))->code, ResponseCode::SUCCESS);
  const int64_t counter = B()->topics().data_version().counter;
  auto r = Ask(WithTopic(RequestCode::DELETE_TOPIC_IN_BROKER, "Gone"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->code, ResponseCode::SUCCESS);
  EXPECT_EQ(B()->topics().Select("Gone"), nullptr);
  EXPECT_GT(B()->topics().data_version().counter, counter);
  // Unknown topics too (Java answers SUCCESS); system topics are refused.
  EXPECT_EQ(Ask(WithTopic(RequestCode::DELETE_TOPIC_IN_BROKER, "Never"))->code,
            ResponseCode::SUCCESS);
  auto sys = Ask(WithTopic(RequestCode::DELETE_TOPIC_IN_BROKER, "SCHEDULE_TOPIC_XXXX"));
  EXPECT_EQ(sys->code, ResponseCode::SYSTEM_ERROR);
  EXPECT_EQ(*sys->remark, "The topic[SCHEDULE_TOPIC_XXXX] is conflict with system topic.");
  EXPECT_NE(B()->topics().Select("SCHEDULE_TOPIC_XXXX"), nullptr);
}

// deleteTopic then cleanUnusedTopic: the topic's consume queues go, so the topic created again
// starts at offset 0 instead of serving the old messages.
TEST_F(BrokerAdminTest, ADeletedTopicCreatedAgainStartsEmpty) {
  StartBroker();
  ASSERT_EQ(Ask(CreateTopic("Again", 1))->code, ResponseCode::SUCCESS);
  SendSome("Again", 5);
  world_.RunFor(milliseconds(100));
  ASSERT_EQ(B()->store().GetMaxOffsetInQueue("Again", 0), 5);
  ASSERT_EQ(Ask(WithTopic(RequestCode::DELETE_TOPIC_IN_BROKER, "Again"))->code,
            ResponseCode::SUCCESS);
  world_.RunFor(seconds(1));
  EXPECT_EQ(B()->store().GetMaxOffsetInQueue("Again", 0), 0);
  ASSERT_EQ(Ask(CreateTopic("Again", 1))->code, ResponseCode::SUCCESS);
  SendSome("Again", 2);
  world_.RunFor(milliseconds(100));
  EXPECT_EQ(B()->store().GetMinOffsetInQueue("Again", 0), 0);
  EXPECT_EQ(B()->store().GetMaxOffsetInQueue("Again", 0), 2);
}

TEST_F(BrokerAdminTest, GetTopicStatsInfo) {
  StartBroker();
  ASSERT_EQ(Ask(CreateTopic("Stats", 2))->code, ResponseCode::SUCCESS);
  SendSome("Stats", 3, 1);
  world_.RunFor(milliseconds(100));
  auto r = Ask(WithTopic(RequestCode::GET_TOPIC_STATS_INFO, "Stats"));
  ASSERT_EQ(r->code, ResponseCode::SUCCESS);
  // The fastjson form: MessageQueue objects as map keys.
  EXPECT_NE(r->body.find("{\"offsetTable\":{{\"brokerName\":\"broker-a\",\"queueId\":0,"),
            std::string::npos)
      << r->body;
  auto t = common::DecodeTopicStatsTable(r->body);
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->offset_table.size(), 2u);
  const auto& q1 = t->offset_table.at({"Stats", "broker-a", 1});
  EXPECT_EQ(q1.min_offset, 0);
  EXPECT_EQ(q1.max_offset, 3);
  EXPECT_GT(q1.last_update_timestamp, 0);
  EXPECT_EQ(t->offset_table.at({"Stats", "broker-a", 0}).last_update_timestamp, 0);
  auto missing = Ask(WithTopic(RequestCode::GET_TOPIC_STATS_INFO, "Nope"));
  EXPECT_EQ(missing->code, ResponseCode::TOPIC_NOT_EXIST);
  EXPECT_EQ(*missing->remark, "topic[Nope] not exist");
}

TEST_F(BrokerAdminTest, GetConsumeStats) {
  StartBroker();
  ASSERT_EQ(Ask(CreateTopic("CS", 2))->code, ResponseCode::SUCCESS);
  SendSome("CS", 3, 0);
  world_.RunFor(milliseconds(100));
  ASSERT_EQ(Ask(Offset(RequestCode::UPDATE_CONSUMER_OFFSET, "G", "CS", 0, 1))->code,
            ResponseCode::SUCCESS);
  auto req = RemotingCommand::CreateRequest(RequestCode::GET_CONSUME_STATS);
  req.SetExtField("consumerGroup", "G");
  auto r = Ask(req);  // no topic: the group's topics from its offsets
  ASSERT_EQ(r->code, ResponseCode::SUCCESS);
  auto s = common::DecodeConsumeStats(r->body);
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->offset_table.size(), 2u);
  const auto& w = s->offset_table.at({"CS", "broker-a", 0});
  EXPECT_EQ(w.broker_offset, 3);
  EXPECT_EQ(w.consumer_offset, 1);
  EXPECT_GT(w.last_timestamp, 0);
  EXPECT_EQ(s->ComputeTotalDiff(), 2);
  req.SetExtField("topic", "Other");
  auto none = common::DecodeConsumeStats(Ask(req)->body);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->offset_table.empty());
}

TEST_F(BrokerAdminTest, GetBrokerRuntimeInfo) {
  StartBroker();
  ASSERT_EQ(Ask(CreateTopic("RT"))->code, ResponseCode::SUCCESS);
  SendSome("RT", 4);
  auto r = Ask(RemotingCommand::CreateRequest(RequestCode::GET_BROKER_RUNTIME_INFO));
  ASSERT_EQ(r->code, ResponseCode::SUCCESS);
  auto kv = common::DecodeKvTable(r->body);
  ASSERT_TRUE(kv.ok()) << kv.status();
  EXPECT_EQ(kv->table.at("brokerVersionDesc"), "V4_9_8");
  EXPECT_EQ(kv->table.at("brokerVersion"), "409");
  EXPECT_EQ(kv->table.at("msgPutTotalTodayNow"), "4");
  EXPECT_EQ(kv->table.at("msgGetTotalTodayNow"), "0");
  EXPECT_EQ(kv->table.at("commitLogMinOffset"), "0");
  EXPECT_NE(kv->table.at("commitLogMaxOffset"), "0");
  EXPECT_EQ(kv->table.at("putTps").find(' ') != std::string::npos, true);
}

TEST_F(BrokerAdminTest, QueryMessageScansForTheKey) {
  StartBroker();
  ASSERT_EQ(Ask(CreateTopic("Q", 2))->code, ResponseCode::SUCCESS);
  SendSome("Q", 3, 0);
  SendSome("Q", 2, 1);
  world_.RunFor(milliseconds(100));
  auto query = [&](const std::string& key, int64_t begin = 0) {
    auto req = RemotingCommand::CreateRequest(RequestCode::QUERY_MESSAGE);
    req.SetExtField("topic", "Q");
    req.SetExtField("key", key);
    req.SetExtFieldInt("maxNum", 64);
    req.SetExtFieldInt("beginTimestamp", begin);
    req.SetExtFieldInt("endTimestamp", INT64_MAX);
    return Ask(req);
  };
  auto r = query("k-m1");  // m1 went to both queues
  ASSERT_EQ(r->code, ResponseCode::SUCCESS) << r->remark.value_or("");
  auto msgs = Decode(*r);
  ASSERT_EQ(msgs.size(), 2u);
  for (const auto& m : msgs) EXPECT_EQ(m.message.keys(), "k-m1");
  EXPECT_NE(r->FindExtField("indexLastUpdatePhyoffset"), nullptr);
  auto none = query("k-none");
  EXPECT_EQ(none->code, ResponseCode::QUERY_NOT_FOUND);
  EXPECT_EQ(*none->remark, "can not find message, maybe time range not correct");
  EXPECT_EQ(query("k-m1", INT64_MAX - 1)->code, ResponseCode::QUERY_NOT_FOUND);
}

TEST_F(BrokerAdminTest, GetConsumerConnectionList) {
  StartBroker();
  ASSERT_EQ(Ask(CreateTopic("CC"))->code, ResponseCode::SUCCESS);
  ASSERT_EQ(Ask(Heartbeat("client-1@1", "GC", "CC", "TagA || TagB"))->code, ResponseCode::SUCCESS);
  auto req = RemotingCommand::CreateRequest(RequestCode::GET_CONSUMER_CONNECTION_LIST);
  req.SetExtField("consumerGroup", "GC");
  auto r = Ask(req);
  ASSERT_EQ(r->code, ResponseCode::SUCCESS);
  auto cc = common::DecodeConsumerConnection(r->body);
  ASSERT_TRUE(cc.ok()) << cc.status();
  ASSERT_EQ(cc->connection_set.size(), 1u);
  EXPECT_EQ(cc->connection_set[0].client_id, "client-1@1");
  EXPECT_EQ(cc->connection_set[0].language, "JAVA");
  EXPECT_EQ(cc->connection_set[0].client_addr.rfind("10.0.0.3:", 0), 0u);
  EXPECT_EQ(cc->subscription_table.at("CC").sub_string, "TagA || TagB");
  EXPECT_EQ(cc->consume_type, common::ConsumeType::kConsumePassively);
  req.SetExtField("consumerGroup", "Nobody");
  auto off = Ask(req);
  EXPECT_EQ(off->code, ResponseCode::CONSUMER_NOT_ONLINE);
  EXPECT_EQ(*off->remark, "the consumer group[Nobody] not online");
  // QUERY_TOPIC_CONSUME_BY_WHO: the online group and groups with offsets.
  ASSERT_EQ(Ask(Offset(RequestCode::UPDATE_CONSUMER_OFFSET, "Offline", "CC", 0, 0))->code,
            ResponseCode::SUCCESS);
  auto who = Ask(WithTopic(RequestCode::QUERY_TOPIC_CONSUME_BY_WHO, "CC"));
  ASSERT_EQ(who->code, ResponseCode::SUCCESS);
  EXPECT_EQ(*common::DecodeGroupList(who->body), (std::set<std::string>{"GC", "Offline"}));
}

TEST_F(BrokerAdminTest, GetAndUpdateBrokerConfig) {
  StartBroker();
  auto get = Ask(RemotingCommand::CreateRequest(RequestCode::GET_BROKER_CONFIG));
  ASSERT_EQ(get->code, ResponseCode::SUCCESS);
  auto props = common::StringToProperties(get->body);
  ASSERT_TRUE(props.ok()) << props.status();
  EXPECT_EQ(props->at("brokerName"), "broker-a");
  EXPECT_EQ(props->at("brokerPermission"), "6");
  EXPECT_EQ(props->at("maxMessageSize"), std::to_string(store_config_.max_message_size));
  auto v0 = common::DecodeDataVersion(*get->FindExtField("version"));
  ASSERT_TRUE(v0.ok());

  auto update = [&](const std::string& body) {
    auto req = RemotingCommand::CreateRequest(RequestCode::UPDATE_BROKER_CONFIG);
    req.body = body;
    return Ask(req);
  };
  const uint64_t registered = B()->registrations_ok();
  auto ok = update("brokerPermission=4\nautoCreateTopicEnable = false\n");
  ASSERT_EQ(ok->code, ResponseCode::SUCCESS) << ok->remark.value_or("");
  EXPECT_EQ(B()->config().broker_permission, 4);
  EXPECT_FALSE(B()->config().auto_create_topic_enable);
  world_.RunFor(milliseconds(100));
  EXPECT_GT(B()->registrations_ok(), registered);  // the new permission is registered at once
  // The name server routes every topic of the broker read-only now.
  ASSERT_EQ(Ask(CreateTopic("RO"))->code, ResponseCode::SUCCESS);
  world_.RunFor(milliseconds(100));
  common::TopicRouteData route;
  ASSERT_EQ(RouteCode("RO", &route), ResponseCode::SUCCESS);
  EXPECT_EQ(route.queue_datas.at(0).perm, 4);
  auto after = Ask(RemotingCommand::CreateRequest(RequestCode::GET_BROKER_CONFIG));
  EXPECT_EQ(common::StringToProperties(after->body)->at("brokerPermission"), "4");
  EXPECT_GT(common::DecodeDataVersion(*after->FindExtField("version"))->counter, v0->counter);

  auto unknown = update("noSuchSetting=1");
  EXPECT_EQ(unknown->code, ResponseCode::SYSTEM_ERROR);
  EXPECT_EQ(*unknown->remark, "updateBrokerConfig: unknown broker setting noSuchSetting");
  auto fixed = update("brokerPermission=6\nlistenPort=1");  // all or nothing
  EXPECT_EQ(fixed->code, ResponseCode::SYSTEM_ERROR);
  EXPECT_NE(fixed->remark->find("listenPort can not be changed while the broker runs"),
            std::string::npos);
  EXPECT_EQ(B()->config().broker_permission, 4);
  auto bad = update("brokerPermission=x");
  EXPECT_EQ(bad->code, ResponseCode::SYSTEM_ERROR);
  auto black = update("rocketmqHome=/tmp");
  EXPECT_EQ(black->code, ResponseCode::NO_PERMISSION);
  EXPECT_EQ(*black->remark, "Can not update config in black list.");
}

// Configuration.persist: the changed settings reach the file the broker was started with; its
// other lines, comments and blank lines stay; the old text is kept as .bak; a refused update
// writes nothing.
TEST_F(BrokerAdminTest, UpdateBrokerConfigWritesTheConfigurationFile) {
  broker_config_.broker_config_path = "/conf/broker.conf";
  StartBroker();
  FileSystem& fs = world_.runtime(broker_)->fs();
  const std::string original =
      "# broker-a\nbrokerName=broker-a\nbrokerPermission = 6\n\nlistenPort=10911\n";
  ASSERT_TRUE(fs.CreateDirectories("/conf").ok());
  {
    auto f = fs.Open("/conf/broker.conf", OpenMode::kCreateTruncate);
    ASSERT_TRUE(f.ok()) << f.status();
    ASSERT_TRUE((*f)->Append(std::as_bytes(std::span(original.data(), original.size()))).ok());
  }
  auto update = [&](const std::string& body) {
    auto req = RemotingCommand::CreateRequest(RequestCode::UPDATE_BROKER_CONFIG);
    req.body = body;
    return Ask(req);
  };
  auto ok = update("brokerPermission=4\n autoCreateTopicEnable = false\n");
  ASSERT_EQ(ok->code, ResponseCode::SUCCESS) << ok->remark.value_or("");
  auto text = ReadWholeFile(fs, "/conf/broker.conf");
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text,
            "# broker-a\nbrokerName=broker-a\nbrokerPermission=4\n\nlistenPort=10911\n"
            "autoCreateTopicEnable=false\n");
  EXPECT_EQ(*ReadWholeFile(fs, "/conf/broker.conf.bak"), original);
  // The next update builds on the last one.
  ASSERT_EQ(update("brokerPermission=6")->code, ResponseCode::SUCCESS);
  EXPECT_EQ(*ReadWholeFile(fs, "/conf/broker.conf"),
            "# broker-a\nbrokerName=broker-a\nbrokerPermission=6\n\nlistenPort=10911\n"
            "autoCreateTopicEnable=false\n");
  const std::string kept = *ReadWholeFile(fs, "/conf/broker.conf");
  ASSERT_EQ(update("brokerPermission=2\nlistenPort=1")->code, ResponseCode::SYSTEM_ERROR);
  EXPECT_EQ(*ReadWholeFile(fs, "/conf/broker.conf"), kept);
}

// The tables behind GET_BROKER_CONFIG and UPDATE_BROKER_CONFIG stay in step: every setting
// GET_BROKER_CONFIG lists, sent back with its own value, is either taken (and reads back the
// same) or refused as fixed while the broker runs; exactly these ten are taken.
TEST_F(BrokerAdminTest, EverySettingListedIsEitherChangeableOrFixed) {
  StartBroker();
  auto get = Ask(RemotingCommand::CreateRequest(RequestCode::GET_BROKER_CONFIG));
  auto props = common::StringToProperties(get->body);
  ASSERT_TRUE(props.ok()) << props.status();
  std::set<std::string> changeable;
  for (const auto& [key, value] : *props) {
    auto req = RemotingCommand::CreateRequest(RequestCode::UPDATE_BROKER_CONFIG);
    req.body = key + "=" + value;
    auto r = Ask(req);
    ASSERT_TRUE(r.ok());
    if (r->code == ResponseCode::SUCCESS) {
      changeable.insert(key);
      auto again = Ask(RemotingCommand::CreateRequest(RequestCode::GET_BROKER_CONFIG));
      EXPECT_EQ(common::StringToProperties(again->body)->at(key), value) << key;
      continue;
    }
    EXPECT_EQ(r->remark.value_or(""),
              "updateBrokerConfig: " + key +
                  " can not be changed while the broker runs (rmqsim); set it in the broker's "
                  "configuration file and restart it");
  }
  const std::set<std::string> expected = {"autoCreateTopicEnable",
                                          "brokerPermission",
                                          "enablePropertyFilter",
                                          "notifyConsumerIdsChangedEnable",
                                          "registerNameServerPeriod",
                                          "regionId",
                                          "rejectTransactionMessage",
                                          "slaveReadEnable",
                                          "traceOn",
                                          "validateSystemTopicWhenUpdateTopic"};
  EXPECT_EQ(changeable, expected);
}

TEST(UpdatePropertiesTextTest, ReplacesKeysInPlaceAndAppendsNewOnes) {
  EXPECT_EQ(common::UpdatePropertiesText("", {{"a", "1"}}), "a=1\n");
  EXPECT_EQ(common::UpdatePropertiesText("a=0", {{"a", "1"}}), "a=1\n");
  EXPECT_EQ(common::UpdatePropertiesText("#a=0\n! a=0\n  a : 0\r\nab=2\na 3\n",
                                         {{"a", "1"}, {"c", "x y"}}),
            "#a=0\n! a=0\na=1\nab=2\na=1\nc=x y\n");
}

TEST_F(BrokerAdminTest, InvokeBrokerToResetOffset) {
  StartBroker();
  ASSERT_EQ(Ask(CreateTopic("RS", 2))->code, ResponseCode::SUCCESS);
  SendSome("RS", 3, 0);
  world_.RunFor(milliseconds(100));
  for (int32_t q : {0, 1}) {
    ASSERT_EQ(Ask(Offset(RequestCode::UPDATE_CONSUMER_OFFSET, "GR", "RS", q, q == 0 ? 3 : 0))->code,
              ResponseCode::SUCCESS);
  }
  auto reset = [&](int64_t timestamp, bool force) {
    auto req = RemotingCommand::CreateRequest(RequestCode::INVOKE_BROKER_TO_RESET_OFFSET);
    req.SetExtField("topic", "RS");
    req.SetExtField("group", "GR");
    req.SetExtFieldInt("timestamp", timestamp);
    req.SetExtFieldBool("isForce", force);
    return Ask(req);
  };
  // No consumer online: Java's answer, and nothing changes.
  auto offline = reset(0, true);
  EXPECT_EQ(offline->code, ResponseCode::CONSUMER_NOT_ONLINE);
  EXPECT_EQ(*offline->remark,
            "Consumer not online, so can not reset offset, Group: GR Topic: RS Timestamp: 0");
  EXPECT_EQ(B()->consumer_offsets().QueryOffset("GR", "RS", 0), 3);

  auto resets_seen = std::make_shared<std::vector<std::string>>();
  client_->RegisterProcessor(RequestCode::RESET_CONSUMER_CLIENT_OFFSET,
                             [resets_seen](RemotingCommand r, remoting::Responder) {
                               resets_seen->push_back(r.body);
                               return std::optional<RemotingCommand>();
                             });
  ASSERT_EQ(Ask(Heartbeat("client-1@1", "GR", "RS"))->code, ResponseCode::SUCCESS);
  auto r = reset(0, true);
  ASSERT_EQ(r->code, ResponseCode::SUCCESS) << r->remark.value_or("");
  auto body = common::DecodeResetOffsetBody(r->body);
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(body->offset_table.at({"RS", "broker-a", 0}), 0);
  EXPECT_EQ(body->offset_table.at({"RS", "broker-a", 1}), 0);
  world_.RunFor(milliseconds(100));
  ASSERT_EQ(resets_seen->size(), 1u);  // the consumer was told (oneway)
  EXPECT_EQ(*common::DecodeResetOffsetBody(resets_seen->front()), *body);
  EXPECT_EQ(B()->consumer_offsets().QueryOffset("GR", "RS", 0), 0);  // and the broker's offsets
  // Without force an offset only moves back: "now" (-1) is the max offset, 3 > 0 stays 0.
  auto now = reset(-1, false);
  ASSERT_EQ(now->code, ResponseCode::SUCCESS);
  EXPECT_EQ(common::DecodeResetOffsetBody(now->body)->offset_table.at({"RS", "broker-a", 0}), 0);
  auto forced = reset(-1, true);
  EXPECT_EQ(common::DecodeResetOffsetBody(forced->body)->offset_table.at({"RS", "broker-a", 0}), 3);
  // Unknown topic / group.
  auto req = RemotingCommand::CreateRequest(RequestCode::INVOKE_BROKER_TO_RESET_OFFSET);
  req.SetExtField("topic", "Nope");
  req.SetExtField("group", "GR");
  req.SetExtFieldInt("timestamp", 0);
  req.SetExtFieldBool("isForce", true);
  auto nope = Ask(req);
  EXPECT_EQ(nope->code, ResponseCode::SYSTEM_ERROR);
  EXPECT_EQ(*nope->remark,
            "[reset-offset] reset offset failed, no topic in this broker. topic=Nope");
}

}  // namespace
}  // namespace rmqsim::broker::testing
