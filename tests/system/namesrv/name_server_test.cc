// The name server in the simulated world, against a scripted broker that registers over the real
// protocol, and a client that asks for routes.
#include "system/namesrv/name_server.h"

#include <gtest/gtest.h>

#include "system/common/checksum.h"
#include "system/remoting/remoting_client.h"
#include "tests/testing/sim_testing.h"

namespace rmqsim::namesrv {
namespace {

using remoting::RemotingClient;
using remoting::RemotingCommand;
using remoting::RequestCode;
using remoting::ResponseCode;

// Registers with every name server on start and then every `period` (0: only once).
class FakeBroker final : public Service {
 public:
  FakeBroker(Runtime& rt, std::vector<Address> namesrvs, std::string addr, int64_t id,
             Duration period)
      : rt_(rt), client_(rt), namesrvs_(std::move(namesrvs)), addr_(std::move(addr)), id_(id),
        period_(period) {}
  Status Start() override {
    RegisterAll();
    return Status::Ok();
  }
  void Stop(std::function<void()> done) override {
    auto req = RemotingCommand::CreateRequest(RequestCode::UNREGISTER_BROKER);
    req.SetExtField("brokerName", "broker-a");
    req.SetExtField("brokerAddr", addr_);
    req.SetExtField("clusterName", "DefaultCluster");
    req.SetExtFieldInt("brokerId", id_);
    client_.Invoke(namesrvs_[0], req, seconds(3), [done](auto) { done(); });
  }
  int registrations_ok = 0;

 private:
  void RegisterAll() {
    for (const auto& ns : namesrvs_) {
      common::RegisterBrokerBody body;
      common::TopicConfig tc;
      tc.topic_name = "TopicTest";
      tc.read_queue_nums = tc.write_queue_nums = 4;
      body.topic_config_serialize_wrapper.topic_config_table["TopicTest"] = tc;
      body.topic_config_serialize_wrapper.data_version = {.timestamp = 1, .counter = 1};
      auto req = RemotingCommand::CreateRequest(RequestCode::REGISTER_BROKER);
      req.SetExtField("brokerName", "broker-a");
      req.SetExtField("brokerAddr", addr_);
      req.SetExtField("clusterName", "DefaultCluster");
      req.SetExtField("haServerAddr", addr_);
      req.SetExtFieldInt("brokerId", id_);
      req.body = common::EncodeRegisterBrokerBody(body);
      req.SetExtFieldInt("bodyCrc32", common::Crc32Masked(
          {reinterpret_cast<const std::byte*>(req.body.data()), req.body.size()}));
      client_.Invoke(ns, req, seconds(6), [this](StatusOr<RemotingCommand> r) {
        if (r.ok() && r->code == ResponseCode::SUCCESS) ++registrations_ok;
      });
    }
    if (period_ > Duration::zero()) {
      rt_.executor().ScheduleAfter(period_, guard_.Wrap([this] { RegisterAll(); }));
    }
  }
  Runtime& rt_;
  RemotingClient client_;
  std::vector<Address> namesrvs_;
  std::string addr_;
  int64_t id_;
  Duration period_;
  LifetimeGuard guard_;
};

class NameServerTest : public testing::TwoMachineWorld {
 protected:
  void SetUp() override {
    c_ = *world_.AddMachine({.name = "c", .ip = "10.0.0.3"});
    ns_ = StartNamesrv(a_, "namesrv-1");
    client_proc_ = Spawn(c_, "client");
    client_ = std::make_unique<RemotingClient>(*world_.runtime(client_proc_));
  }
  void TearDown() override { client_.reset(); }

  sim::ProcessId StartNamesrv(sim::MachineId m, const std::string& name) {
    auto id = *world_.AddProcess(m, name, [](Runtime& rt) {
      return std::make_unique<NameServer>(rt, NamesrvConfig{.listen = {"0.0.0.0", 9876}});
    });
    EXPECT_TRUE(world_.StartProcess(id).ok());
    world_.RunFor(milliseconds(1));
    return id;
  }
  sim::ProcessId StartBroker(Duration period, int64_t id = 0, std::vector<Address> ns = {}) {
    if (ns.empty()) ns = {Address{"10.0.0.1", 9876}};
    auto pid = *world_.AddProcess(b_, "broker-" + std::to_string(id), [=](Runtime& rt) {
      return std::make_unique<FakeBroker>(rt, ns, "10.0.0.2:1091" + std::to_string(id), id,
                                          period);
    });
    EXPECT_TRUE(world_.StartProcess(pid).ok());
    world_.RunFor(milliseconds(100));
    return pid;
  }
  StatusOr<RemotingCommand> Ask(RemotingCommand req, Address to = {"10.0.0.1", 9876}) {
    std::optional<StatusOr<RemotingCommand>> out;
    client_->Invoke(to, std::move(req), seconds(3), [&](auto r) { out = std::move(r); });
    world_.RunUntil([&] { return out.has_value(); }, world_.now() + seconds(5));
    return out.value_or(InternalError("no answer"));
  }
  int RouteCode(const std::string& topic = "TopicTest", Address to = {"10.0.0.1", 9876}) {
    auto req = RemotingCommand::CreateRequest(RequestCode::GET_ROUTEINFO_BY_TOPIC);
    req.SetExtField("topic", topic);
    auto r = Ask(req, to);
    return r.ok() ? r->code : -1;
  }
  NameServer* Ns() { return world_.service_as<NameServer>(ns_); }

  sim::MachineId c_;
  sim::ProcessId ns_, client_proc_;
  std::unique_ptr<RemotingClient> client_;
};

TEST_F(NameServerTest, RouteAfterRegistrationAndTopicNotExist) {
  auto req = RemotingCommand::CreateRequest(RequestCode::GET_ROUTEINFO_BY_TOPIC);
  req.SetExtField("topic", "TopicTest");
  auto none = Ask(req);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->code, ResponseCode::TOPIC_NOT_EXIST);
  EXPECT_NE(none->remark->find("No topic route info in name server for the topic: TopicTest"),
            std::string::npos);
  StartBroker(Duration::zero());
  auto route = Ask(req);
  ASSERT_TRUE(route.ok());
  ASSERT_EQ(route->code, ResponseCode::SUCCESS);
  auto data = common::DecodeTopicRouteData(route->body);
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->broker_datas.at(0).broker_addrs.at(0), "10.0.0.2:10910");
  // Version 409 gets standard JSON; an old client (121, like ali-ons) gets unquoted map keys.
  EXPECT_NE(route->body.find("\"0\":"), std::string::npos);
  req.version = 121;
  auto old = Ask(req);
  EXPECT_NE(old->body.find("{0:"), std::string::npos);
}

TEST_F(NameServerTest, ClosedConnectionPurgesAtOnce) {
  auto broker = StartBroker(Duration::zero());
  EXPECT_EQ(RouteCode(), ResponseCode::SUCCESS);
  world_.KillProcess(broker);
  world_.RunFor(milliseconds(10));
  EXPECT_EQ(RouteCode(), ResponseCode::TOPIC_NOT_EXIST);
}

TEST_F(NameServerTest, SilentBrokerPurgedWithinExpiryPlusScan) {
  StartBroker(Duration::zero());  // registers once, then goes silent (power loss: no FIN)
  ASSERT_EQ(Ns()->routes().broker_live_table().size(), 1u);
  WallTime last = Ns()->routes().broker_live_table().begin()->second.last_update;
  MonoTime registered = world_.now() - (world_.MachineWallTime(a_) - last);
  world_.PowerOff(b_);
  ASSERT_TRUE(world_.RunUntil([&] { return Ns()->routes().broker_live_table().empty(); },
                              registered + seconds(200)));
  Duration gone_after = world_.now() - registered;
  // The idle-channel close (120 s without traffic) or the 10 s scan, whichever comes first.
  EXPECT_GE(gone_after, seconds(120));
  EXPECT_LE(gone_after, seconds(130) + milliseconds(100));
  EXPECT_EQ(RouteCode(), ResponseCode::TOPIC_NOT_EXIST);
}

TEST_F(NameServerTest, BrokerThatKeepsRegisteringIsNeverPurged) {
  StartBroker(seconds(30));
  for (int i = 0; i < 20; ++i) {
    world_.RunFor(seconds(30));
    ASSERT_EQ(RouteCode(), ResponseCode::SUCCESS) << "after " << (i + 1) * 30 << " s";
  }
  for (const auto& e : world_.trace_events()) EXPECT_NE(e.event.name(), "BrokerRemoved");
}

TEST_F(NameServerTest, GracefulStopUnregisters) {
  auto broker = StartBroker(Duration::zero());
  world_.StopProcess(broker);
  world_.RunFor(milliseconds(50));
  EXPECT_EQ(RouteCode(), ResponseCode::TOPIC_NOT_EXIST);
  bool unregistered = false;
  for (const auto& e : world_.trace_events()) {
    if (e.event.name() == "BrokerRemoved") {
      unregistered |= std::get<std::string>(*e.event.Find("Reason")) == "unregistered";
    }
  }
  EXPECT_TRUE(unregistered);
}

TEST_F(NameServerTest, NameServersNeverTalkToEachOther) {
  auto ns2 = StartNamesrv(c_, "namesrv-2");
  StartBroker(Duration::zero(), 0, {Address{"10.0.0.1", 9876}});  // registers with the first only
  EXPECT_EQ(RouteCode("TopicTest", {"10.0.0.1", 9876}), ResponseCode::SUCCESS);
  EXPECT_EQ(RouteCode("TopicTest", {"10.0.0.3", 9876}), ResponseCode::TOPIC_NOT_EXIST);
  (void)ns2;
}

// 4.9.8 stays silent (mqadmin-like callers hang until their timeout); rmqsim says so at once.
TEST_F(NameServerTest, UnknownCodeIsAnsweredNotSupported) {
  auto r = Ask(RemotingCommand::CreateRequest(9999));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->code, ResponseCode::REQUEST_CODE_NOT_SUPPORTED);
  EXPECT_NE(r->remark.value_or("").find("9999"), std::string::npos);
}

TEST_F(NameServerTest, BadRegistrationsAreRejectedClearly) {
  auto req = RemotingCommand::CreateRequest(RequestCode::REGISTER_BROKER);
  req.SetExtField("brokerName", "broker-a");
  auto missing = Ask(req);
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->code, ResponseCode::SYSTEM_ERROR);
  EXPECT_NE(missing->remark->find("brokerAddr"), std::string::npos);
  req.SetExtField("brokerAddr", "10.0.0.9:1");
  req.SetExtField("clusterName", "c");
  req.SetExtField("haServerAddr", "10.0.0.9:2");
  req.SetExtFieldInt("brokerId", 0);
  req.body = "{\"topicConfigSerializeWrapper\":";
  auto bad_json = Ask(req);
  EXPECT_EQ(bad_json->code, ResponseCode::SYSTEM_ERROR);
  req.body = "{}";
  req.SetExtFieldInt("bodyCrc32", 12345);
  auto bad_crc = Ask(req);
  EXPECT_EQ(bad_crc->code, ResponseCode::SYSTEM_ERROR);
  EXPECT_EQ(*bad_crc->remark, "crc32 not match");
  req.body = "";
  req.SetExtFieldInt("bodyCrc32", 0);
  req.SetExtFieldInt("brokerId", -1);
  auto negative = Ask(req);
  EXPECT_EQ(negative->code, ResponseCode::SYSTEM_ERROR);
  EXPECT_NE(negative->remark->find("brokerId -1"), std::string::npos);
  req.SetExtFieldInt("brokerId", 0);
  req.SetExtField("brokerAddr", "");
  auto empty = Ask(req);
  EXPECT_EQ(empty->code, ResponseCode::SYSTEM_ERROR);
  EXPECT_NE(empty->remark->find("brokerAddr"), std::string::npos);
  req.SetExtField("brokerAddr", "10.0.0.9:1");
  EXPECT_EQ(Ask(req)->code, ResponseCode::SUCCESS);
}

TEST_F(NameServerTest, ClusterInfoTopicListAndKvConfig) {
  StartBroker(Duration::zero());
  auto info = Ask(RemotingCommand::CreateRequest(RequestCode::GET_BROKER_CLUSTER_INFO));
  auto ci = common::DecodeClusterInfo(info->body);
  ASSERT_TRUE(ci.ok()) << ci.status();
  EXPECT_TRUE(ci->cluster_addr_table.at("DefaultCluster").contains("broker-a"));
  auto topics = Ask(RemotingCommand::CreateRequest(RequestCode::GET_ALL_TOPIC_LIST_FROM_NAMESERVER));
  auto tl = common::DecodeTopicList(topics->body);
  ASSERT_TRUE(tl.ok());
  EXPECT_TRUE(tl->topic_list.contains("TopicTest"));
  auto put = RemotingCommand::CreateRequest(RequestCode::PUT_KV_CONFIG);
  put.SetExtField("namespace", "ns");
  put.SetExtField("key", "k");
  put.SetExtField("value", "v");
  EXPECT_EQ(Ask(put)->code, ResponseCode::SUCCESS);
  auto get = RemotingCommand::CreateRequest(RequestCode::GET_KV_CONFIG);
  get.SetExtField("namespace", "ns");
  get.SetExtField("key", "k");
  auto got = Ask(get);
  EXPECT_EQ(*got->FindExtField("value"), "v");
  get.SetExtField("key", "nope");
  EXPECT_EQ(Ask(get)->code, ResponseCode::QUERY_NOT_FOUND);
}

// What an mqadmin-style tool sends to change routes: each is answered.
TEST_F(NameServerTest, WipeWritePermDeleteTopicAndTopicsByCluster) {
  StartBroker(Duration::zero());
  auto by_cluster = RemotingCommand::CreateRequest(RequestCode::GET_TOPICS_BY_CLUSTER);
  by_cluster.SetExtField("cluster", "DefaultCluster");
  auto tl = common::DecodeTopicList(Ask(by_cluster)->body);
  ASSERT_TRUE(tl.ok());
  EXPECT_TRUE(tl->topic_list.contains("TopicTest"));
  auto wipe = RemotingCommand::CreateRequest(RequestCode::WIPE_WRITE_PERM_OF_BROKER);
  wipe.SetExtField("brokerName", "broker-a");
  auto wiped = Ask(wipe);
  ASSERT_TRUE(wiped.ok());
  EXPECT_EQ(wiped->code, ResponseCode::SUCCESS);
  EXPECT_GE(std::stoi(*wiped->FindExtField("wipeTopicCount")), 1);
  auto del = RemotingCommand::CreateRequest(RequestCode::DELETE_TOPIC_IN_NAMESRV);
  del.SetExtField("topic", "TopicTest");
  EXPECT_EQ(Ask(del)->code, ResponseCode::SUCCESS);
  auto route = RemotingCommand::CreateRequest(RequestCode::GET_ROUTEINFO_BY_TOPIC);
  route.SetExtField("topic", "TopicTest");
  EXPECT_EQ(Ask(route)->code, ResponseCode::TOPIC_NOT_EXIST);
  EXPECT_EQ(Ask(RemotingCommand::CreateRequest(RequestCode::DELETE_TOPIC_IN_NAMESRV))->code,
            ResponseCode::SYSTEM_ERROR);  // no topic field: an error, not silence
}

}  // namespace
}  // namespace rmqsim::namesrv
