// Shared fixture of the broker tests: a simulated world with a real NameServer (10.0.0.1), the
// Broker under test (10.0.0.2) and client processes (10.0.0.3, 10.0.0.4) that speak the
// remoting protocol directly through remoting::RemotingClient.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "system/broker/broker.h"
#include "system/common/batch_body.h"
#include "system/common/heartbeat_data.h"
#include "system/common/java_string.h"
#include "system/common/properties.h"
#include "system/common/route_data.h"
#include "system/common/stored_message.h"
#include "system/namesrv/name_server.h"
#include "system/remoting/remoting_client.h"
#include "tests/testing/sim_testing.h"

namespace rmqsim::broker::testing {

using remoting::RemotingClient;
using remoting::RemotingCommand;
using remoting::RequestCode;
using remoting::ResponseCode;

inline const Address kNamesrv{"10.0.0.1", 9876};
inline const Address kBrokerAddr{"10.0.0.2", 10911};

class BrokerWorld : public rmqsim::testing::TwoMachineWorld {
 public:
  explicit BrokerWorld(sim::WorldConfig config = {}) : TwoMachineWorld(std::move(config)) {}
  void SetUp() override {
    c_ = *world_.AddMachine({.name = "c", .ip = "10.0.0.3"});
    d_ = *world_.AddMachine({.name = "d", .ip = "10.0.0.4"});
    ns_ = *world_.AddProcess(a_, "namesrv", [](Runtime& rt) {
      return std::make_unique<namesrv::NameServer>(
          rt, namesrv::NamesrvConfig{.listen = {"0.0.0.0", 9876}});
    });
    EXPECT_TRUE(world_.StartProcess(ns_).ok());
    world_.RunFor(milliseconds(1));
    broker_config_.broker_ip1 = "10.0.0.2";
    broker_config_.namesrv_addrs = {kNamesrv};
    store_config_ = store::MessageStoreConfig::ForSimulation();
    client_proc_ = Spawn(c_, "client-1");
    client2_proc_ = Spawn(d_, "client-2");
    client_ = std::make_unique<RemotingClient>(*world_.runtime(client_proc_));
    client2_ = std::make_unique<RemotingClient>(*world_.runtime(client2_proc_));
    for (auto& [cl, counter] :
         {std::pair{client_.get(), notified1_}, std::pair{client2_.get(), notified2_}}) {
      cl->RegisterProcessor(RequestCode::NOTIFY_CONSUMER_IDS_CHANGED,
                            [n = counter](RemotingCommand, remoting::Responder) {
                              ++*n;
                              return std::optional<RemotingCommand>();
                            });
    }
  }
  void TearDown() override {
    client_.reset();
    client2_.reset();
  }

  // Starts (or adds and starts) the broker with the current configs.
  void StartBroker() {
    if (!broker_.valid()) {
      broker_ = *world_.AddProcess(b_, "broker-a", [this](Runtime& rt) {
        return std::make_unique<Broker>(rt, broker_config_, store_config_);
      });
    }
    ASSERT_TRUE(world_.StartProcess(broker_).ok());
    world_.RunFor(milliseconds(100));
  }
  Broker* B() { return world_.service_as<Broker>(broker_); }

  StatusOr<RemotingCommand> Ask(RemotingCommand req, Address to = kBrokerAddr,
                                RemotingClient* cl = nullptr, Duration timeout = seconds(3)) {
    std::optional<StatusOr<RemotingCommand>> out;
    (cl ? cl : client_.get())->Invoke(to, std::move(req), timeout, [&](auto r) {
      out = std::move(r);
    });
    world_.RunUntil([&] { return out.has_value(); }, world_.now() + timeout + seconds(1));
    return out.value_or(InternalError("no answer"));
  }
  // Starts a request; the result lands in the returned slot.
  std::shared_ptr<std::optional<StatusOr<RemotingCommand>>> AskLater(
      RemotingCommand req, Duration timeout = seconds(30)) {
    auto slot = std::make_shared<std::optional<StatusOr<RemotingCommand>>>();
    client_->Invoke(kBrokerAddr, std::move(req), timeout, [slot](auto r) { *slot = std::move(r); });
    return slot;
  }

  static RemotingCommand SendV2(const std::string& topic, const std::string& body,
                                const std::string& tags = "", int32_t queue_id = 0,
                                int32_t sys_flag = 0) {
    auto req = RemotingCommand::CreateRequest(RequestCode::SEND_MESSAGE_V2);
    req.SetExtField("a", "PG");
    req.SetExtField("b", topic);
    req.SetExtField("c", "TBW102");
    req.SetExtFieldInt("d", 4);
    req.SetExtFieldInt("e", queue_id);
    req.SetExtFieldInt("f", sys_flag);
    req.SetExtFieldInt("g", 1767225600123);
    req.SetExtFieldInt("h", 0);
    common::Properties props;
    if (!tags.empty()) props["TAGS"] = tags;
    props["KEYS"] = "k-" + body;
    props["WAIT"] = "true";
    req.SetExtField("i",
                    *common::EncodeProperties(props, common::PropertiesStyle::kTrailingSeparator));
    req.SetExtFieldInt("j", 0);
    req.SetExtFieldBool("k", false);
    req.body = body;
    return req;
  }
  static RemotingCommand Pull(const std::string& group, const std::string& topic, int32_t queue,
                              int64_t offset, int32_t sys_flag = 6, const std::string& sub = "*",
                              int64_t commit = -1, int64_t suspend_ms = 15000) {
    auto req = RemotingCommand::CreateRequest(RequestCode::PULL_MESSAGE);
    req.SetExtField("consumerGroup", group);
    req.SetExtField("topic", topic);
    req.SetExtFieldInt("queueId", queue);
    req.SetExtFieldInt("queueOffset", offset);
    req.SetExtFieldInt("maxMsgNums", 32);
    req.SetExtFieldInt("sysFlag", sys_flag);
    req.SetExtFieldInt("commitOffset", commit);
    req.SetExtFieldInt("suspendTimeoutMillis", suspend_ms);
    req.SetExtField("subscription", sub);
    req.SetExtFieldInt("subVersion", 1);
    return req;
  }
  static RemotingCommand Heartbeat(const std::string& client_id, const std::string& group,
                                   const std::string& topic, const std::string& sub = "*") {
    common::HeartbeatData hb;
    hb.client_id = client_id;
    hb.producer_data_set.push_back({.group_name = "CLIENT_INNER_PRODUCER"});
    common::ConsumerData cd;
    cd.group_name = group;
    cd.subscription_data_set.push_back(*common::BuildSubscriptionData(topic, sub, "TAG", 1));
    cd.subscription_data_set.push_back(
        *common::BuildSubscriptionData("%RETRY%" + group, "*", "TAG", 1));
    hb.consumer_data_set.push_back(cd);
    auto req = RemotingCommand::CreateRequest(RequestCode::HEART_BEAT);
    req.body = common::EncodeHeartbeatData(hb);
    return req;
  }
  static RemotingCommand Offset(int32_t code, const std::string& group, const std::string& topic,
                                int32_t queue, std::optional<int64_t> commit = std::nullopt) {
    auto req = RemotingCommand::CreateRequest(code);
    req.SetExtField("consumerGroup", group);
    req.SetExtField("topic", topic);
    req.SetExtFieldInt("queueId", queue);
    if (commit) req.SetExtFieldInt("commitOffset", *commit);
    return req;
  }
  static RemotingCommand CreateTopic(const std::string& topic, int32_t queues = 4) {
    auto req = RemotingCommand::CreateRequest(RequestCode::UPDATE_AND_CREATE_TOPIC);
    req.SetExtField("topic", topic);
    req.SetExtField("defaultTopic", "TBW102");
    req.SetExtFieldInt("readQueueNums", queues);
    req.SetExtFieldInt("writeQueueNums", queues);
    req.SetExtFieldInt("perm", 6);
    req.SetExtField("topicFilterType", "SINGLE_TAG");
    req.SetExtFieldBool("order", false);
    return req;
  }
  int RouteCode(const std::string& topic, common::TopicRouteData* out = nullptr) {
    auto req = RemotingCommand::CreateRequest(RequestCode::GET_ROUTEINFO_BY_TOPIC);
    req.SetExtField("topic", topic);
    auto r = Ask(req, kNamesrv);
    if (!r.ok()) return -1;
    if (out != nullptr && r->code == ResponseCode::SUCCESS) {
      *out = *common::DecodeTopicRouteData(r->body);
    }
    return r->code;
  }
  static int64_t ExtInt(const RemotingCommand& r, const char* key) {
    const std::string* v = r.FindExtField(key);
    return v == nullptr ? INT64_MIN : *remoting::ParseJavaLong(*v);
  }
  static std::vector<common::MessageExt> Decode(const RemotingCommand& r) {
    auto msgs = common::DecodeStoredMessages(common::AsByteSpan(r.body));
    EXPECT_TRUE(msgs.ok()) << msgs.status();
    return msgs.ok() ? *msgs : std::vector<common::MessageExt>{};
  }

  sim::MachineId c_, d_;
  sim::ProcessId ns_, broker_, client_proc_, client2_proc_;
  BrokerConfig broker_config_;
  store::MessageStoreConfig store_config_;
  std::unique_ptr<RemotingClient> client_, client2_;
  std::shared_ptr<int> notified1_ = std::make_shared<int>(0);
  std::shared_ptr<int> notified2_ = std::make_shared<int>(0);
};

}  // namespace rmqsim::broker::testing
