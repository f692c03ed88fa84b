// libFuzzer target: the broker's request handling (system/broker, through system/remoting and
// system/store). Each input is a script of writes over simulated connections to a Broker
// (ASYNC_MASTER, the simulation store config, no name server) in a fresh world; see
// sim_server_fuzz.h for the input format and the checks, docs/fuzzing.md for how to run it.
//
//   RMQ_FUZZ_WRITE_SEEDS=<dir> ./broker_fuzz    writes the seed inputs (tests/fuzz/corpus/) and exits
#include <cstdlib>
#include <string>
#include <vector>

#include "system/broker/broker.h"
#include "system/common/batch_body.h"
#include "system/common/heartbeat_data.h"
#include "system/common/properties.h"
#include "system/common/sys_flag.h"
#include "system/remoting/codes.h"
#include "system/store/message_store_config.h"
#include "tests/fuzz/sim_server_fuzz.h"

namespace {

using rmqsim::remoting::RemotingCommand;
using rmqsim::remoting::RequestCode;
using rmqsim::remoting::SerializeType;
namespace common = rmqsim::common;
namespace fuzz = rmqsim::fuzz;

const rmqsim::Address kBroker{"10.0.0.2", 10911};

fuzz::ServerUnderTest Server() {
  return {.name = "broker-a",
          .address = kBroker,
          .factory =
              [](rmqsim::Runtime& rt) {
                rmqsim::broker::BrokerConfig config;
                config.broker_ip1 = kBroker.host;
                return std::make_unique<rmqsim::broker::Broker>(
                    rt, config, rmqsim::store::MessageStoreConfig::ForSimulation());
              },
          .probe = [] { return RemotingCommand::CreateRequest(RequestCode::GET_ALL_TOPIC_CONFIG); }};
}

RemotingCommand CreateTopic(const std::string& topic) {
  auto req = RemotingCommand::CreateRequest(RequestCode::UPDATE_AND_CREATE_TOPIC);
  req.SetExtField("topic", topic);
  req.SetExtField("defaultTopic", "TBW102");
  req.SetExtFieldInt("readQueueNums", 4);
  req.SetExtFieldInt("writeQueueNums", 4);
  req.SetExtFieldInt("perm", 6);
  req.SetExtField("topicFilterType", "SINGLE_TAG");
  req.SetExtFieldBool("order", false);
  return req;
}

RemotingCommand SendV2(const std::string& topic, const std::string& body, int32_t queue = 0,
                       const std::string& tags = "TagA", int32_t sys_flag = 0) {
  auto req = RemotingCommand::CreateRequest(RequestCode::SEND_MESSAGE_V2);
  req.SetExtField("a", "PG");
  req.SetExtField("b", topic);
  req.SetExtField("c", "TBW102");
  req.SetExtFieldInt("d", 4);
  req.SetExtFieldInt("e", queue);
  req.SetExtFieldInt("f", sys_flag);
  req.SetExtFieldInt("g", 1767225600123);
  req.SetExtFieldInt("h", 0);
  common::Properties props{{"TAGS", tags}, {"KEYS", "k-" + body}, {"WAIT", "true"}};
  req.SetExtField("i", *common::EncodeProperties(props, common::PropertiesStyle::kTrailingSeparator));
  req.SetExtFieldInt("j", 0);
  req.SetExtFieldBool("k", false);
  req.body = body;
  return req;
}

RemotingCommand SendV1(const std::string& topic, const std::string& body) {
  auto req = RemotingCommand::CreateRequest(RequestCode::SEND_MESSAGE);
  req.SetExtField("producerGroup", "PG");
  req.SetExtField("topic", topic);
  req.SetExtField("defaultTopic", "TBW102");
  req.SetExtFieldInt("defaultTopicQueueNums", 4);
  req.SetExtFieldInt("queueId", 1);
  req.SetExtFieldInt("sysFlag", 0);
  req.SetExtFieldInt("bornTimestamp", 1767225600999);
  req.SetExtFieldInt("flag", 7);
  req.SetExtField("properties", "TAGS\x01TagB\x02");
  req.body = body;
  return req;
}

RemotingCommand Pull(const std::string& group, const std::string& topic, int32_t queue,
                     int64_t offset, int64_t suspend_ms = 15000, const std::string& sub = "*") {
  auto req = RemotingCommand::CreateRequest(RequestCode::PULL_MESSAGE);
  req.SetExtField("consumerGroup", group);
  req.SetExtField("topic", topic);
  req.SetExtFieldInt("queueId", queue);
  req.SetExtFieldInt("queueOffset", offset);
  req.SetExtFieldInt("maxMsgNums", 32);
  req.SetExtFieldInt("sysFlag", 6);
  req.SetExtFieldInt("commitOffset", -1);
  req.SetExtFieldInt("suspendTimeoutMillis", suspend_ms);
  req.SetExtField("subscription", sub);
  req.SetExtFieldInt("subVersion", 1);
  return req;
}

RemotingCommand Heartbeat(const std::string& group, const std::string& topic) {
  common::HeartbeatData hb;
  hb.client_id = "10.0.0.9@1";
  hb.producer_data_set.push_back({.group_name = "PG"});
  common::ConsumerData cd;
  cd.group_name = group;
  cd.subscription_data_set.push_back(*common::BuildSubscriptionData(topic, "TagA || TagB", "TAG", 1));
  cd.subscription_data_set.push_back(
      *common::BuildSubscriptionData("%RETRY%" + group, "*", "TAG", 1));
  hb.consumer_data_set.push_back(cd);
  auto req = RemotingCommand::CreateRequest(RequestCode::HEART_BEAT);
  req.body = common::EncodeHeartbeatData(hb);
  return req;
}

RemotingCommand Offset(int32_t code, const std::string& group, const std::string& topic,
                       int32_t queue, int64_t commit = -1) {
  auto req = RemotingCommand::CreateRequest(code);
  req.SetExtField("consumerGroup", group);
  req.SetExtField("topic", topic);
  req.SetExtFieldInt("queueId", queue);
  if (commit >= 0) req.SetExtFieldInt("commitOffset", commit);
  return req;
}

RemotingCommand QueueQuery(int32_t code, const std::string& topic, int32_t queue) {
  auto req = RemotingCommand::CreateRequest(code);
  req.SetExtField("topic", topic);
  req.SetExtFieldInt("queueId", queue);
  if (code == RequestCode::SEARCH_OFFSET_BY_TIMESTAMP) {
    req.SetExtFieldInt("timestamp", 1767225600000);
  }
  return req;
}

std::vector<std::string> Seeds() {
  std::vector<std::string> seeds;
  const auto as = [](RemotingCommand c, SerializeType t) {
    c.serialize_type = t;
    return c;
  };
  for (SerializeType t : {SerializeType::JSON, SerializeType::ROCKETMQ}) {
    // Create, send, pull what was sent.
    seeds.push_back(fuzz::FrameRecord(as(CreateTopic("T"), t)) +
                    fuzz::FrameRecord(as(SendV2("T", "hello"), t)) +
                    fuzz::FrameRecord(as(SendV2("T", "world", 0, "TagB"), t)) +
                    fuzz::FrameRecord(as(Pull("CG", "T", 0, 0), t), 1));
  }
  // A consumer: heartbeat, offsets, consumer list, unregister.
  {
    auto list = RemotingCommand::CreateRequest(RequestCode::GET_CONSUMER_LIST_BY_GROUP);
    list.SetExtField("consumerGroup", "CG");
    auto unreg = RemotingCommand::CreateRequest(RequestCode::UNREGISTER_CLIENT);
    unreg.SetExtField("clientID", "10.0.0.9@1");
    unreg.SetExtField("consumerGroup", "CG");
    unreg.SetExtField("producerGroup", "PG");
    seeds.push_back(fuzz::FrameRecord(Heartbeat("CG", "T")) +
                    fuzz::FrameRecord(SendV2("T", "m0", 1)) +
                    fuzz::FrameRecord(Offset(RequestCode::UPDATE_CONSUMER_OFFSET, "CG", "T", 1, 1)) +
                    fuzz::FrameRecord(Offset(RequestCode::QUERY_CONSUMER_OFFSET, "CG", "T", 1)) +
                    fuzz::FrameRecord(list) + fuzz::FrameRecord(unreg));
  }
  // A batch, a compressed-flag send, a V1 send, then the offset and view queries.
  {
    std::vector<common::Message> batch(2);
    batch[0].set_body(common::BytesFromString("b0"));
    batch[0].SetTags("TagA");
    batch[1].set_body(common::BytesFromString("b1"));
    auto breq = SendV2("T", "", 1);
    breq.code = RequestCode::SEND_BATCH_MESSAGE;
    breq.SetExtField("i", "");
    breq.SetExtFieldBool("m", true);
    breq.body = common::StringFromBytes(*common::EncodeBatchBody(batch));
    auto view = RemotingCommand::CreateRequest(RequestCode::VIEW_MESSAGE_BY_ID);
    view.SetExtFieldInt("offset", 0);
    seeds.push_back(fuzz::FrameRecord(breq) +
                    fuzz::FrameRecord(SendV2("T", "zzz", 2, "TagA", common::kCompressedFlag)) +
                    fuzz::FrameRecord(SendV1("T", "v1-body")) + fuzz::FrameRecord(view) +
                    fuzz::FrameRecord(QueueQuery(RequestCode::GET_MAX_OFFSET, "T", 1)) +
                    fuzz::FrameRecord(QueueQuery(RequestCode::GET_MIN_OFFSET, "T", 1)) +
                    fuzz::FrameRecord(QueueQuery(RequestCode::GET_EARLIEST_MSG_STORETIME, "T", 1)) +
                    fuzz::FrameRecord(QueueQuery(RequestCode::SEARCH_OFFSET_BY_TIMESTAMP, "T", 1)));
  }
  // Send back for retry (delay level 3: 10 s), wait, pull the retry topic.
  {
    auto back = RemotingCommand::CreateRequest(RequestCode::CONSUMER_SEND_MSG_BACK);
    back.SetExtFieldInt("offset", 0);
    back.SetExtField("group", "CG");
    back.SetExtFieldInt("delayLevel", 0);
    back.SetExtField("originTopic", "T");
    back.SetExtFieldBool("unitMode", false);
    back.SetExtFieldInt("maxReconsumeTimes", 1);
    seeds.push_back(fuzz::FrameRecord(CreateTopic("T")) + fuzz::FrameRecord(SendV2("T", "fails")) +
                    fuzz::FrameRecord(back) + fuzz::WaitRecord(11000) +
                    fuzz::FrameRecord(Pull("CG", "%RETRY%CG", 0, 0, 1000)) +
                    fuzz::FrameRecord(back) + fuzz::WaitRecord(1000));
  }
  // A long poll held on an empty queue, answered by a send on another connection.
  seeds.push_back(fuzz::FrameRecord(CreateTopic("T")) +
                  fuzz::FrameRecord(Pull("CG", "T", 3, 0, 3000, "TagA")) +
                  fuzz::ReconnectRecord(false) + fuzz::FrameRecord(SendV2("T", "late", 3), 20) +
                  fuzz::WaitRecord(4000));
  // Admin: the tables a slave syncs, a subscription group.
  {
    auto group = RemotingCommand::CreateRequest(RequestCode::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP);
    group.body =
        R"({"groupName":"CG","consumeEnable":true,"consumeFromMinEnable":true,)"
        R"("consumeBroadcastEnable":true,"retryQueueNums":1,"retryMaxTimes":16,"brokerId":0,)"
        R"("whichBrokerWhenConsumeSlowly":1,"notifyConsumerIdsChangedEnable":true})";
    seeds.push_back(
        fuzz::FrameRecord(group) +
        fuzz::FrameRecord(RemotingCommand::CreateRequest(RequestCode::GET_ALL_CONSUMER_OFFSET)) +
        fuzz::FrameRecord(RemotingCommand::CreateRequest(RequestCode::GET_ALL_DELAY_OFFSET)) +
        fuzz::FrameRecord(
            RemotingCommand::CreateRequest(RequestCode::GET_ALL_SUBSCRIPTIONGROUP_CONFIG)) +
        fuzz::FrameRecord(RemotingCommand::CreateRequest(RequestCode::GET_BROKER_RUNTIME_INFO)));
  }
  // Raw bytes: a frame split across two writes, then one cut by a reset.
  {
    auto frame = *SendV2("T", "raw").Encode();
    seeds.push_back(fuzz::RawRecord(frame.substr(0, 11)) + fuzz::RawRecord(frame.substr(11)) +
                    fuzz::RawRecord(frame.substr(0, 20)) + fuzz::ReconnectRecord(true) +
                    fuzz::RawRecord(frame));
  }
  // A frame length beyond the limit.
  seeds.push_back(fuzz::RawRecord(fuzz::Be32(0x7FFFFFF0) + fuzz::Be32(12) + "{\"code\":10}"));
  return seeds;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* dir = std::getenv("RMQ_FUZZ_WRITE_SEEDS")) {
    fuzz::WriteSeeds("broker_fuzz", dir, Seeds());
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fuzz::ServerUnderTest server = Server();
  fuzz::RunServerInput(server, data, size);
  return 0;
}
