// Real mode: a NameServer and a Broker in one AsioRuntime on 127.0.0.1 (ports picked by the OS),
// a temporary store directory, one send and one pull over real loopback TCP.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <optional>

#include "sim/asio/asio_runtime.h"
#include "system/broker/broker.h"
#include "system/common/properties.h"
#include "system/common/stored_message.h"
#include "system/namesrv/name_server.h"
#include "system/remoting/remoting_client.h"

namespace rmqsim::broker {
namespace {

using remoting::RemotingCommand;
using remoting::RequestCode;
using remoting::ResponseCode;

TEST(BrokerAsioTest, SendAndPullOverLoopback) {
  char tmpl[] = "/tmp/rmqsim-broker-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  {
    real::AsioRuntime rt(
        {.node_name = "broker", .data_dir = dir, .seed = 1, .trace_to_stderr = false});
    namesrv::NameServer ns(rt, namesrv::NamesrvConfig{.listen = {"127.0.0.1", 0}});
    ASSERT_TRUE(ns.Start().ok());
    BrokerConfig config;
    config.listen_port = 0;
    config.namesrv_addrs = {ns.address()};
    store::MessageStoreConfig store_config = store::MessageStoreConfig::ForSimulation();
    store_config.store_path_root_dir = dir + "/store";
    Broker broker(rt, config, store_config);
    ASSERT_TRUE(broker.Start().ok());
    remoting::RemotingClient client(rt);
    auto call = [&](RemotingCommand req, Address to) {
      std::optional<StatusOr<RemotingCommand>> out;
      client.Invoke(to, std::move(req), seconds(5), [&](auto r) { out = std::move(r); });
      rt.RunUntil([&] { return out.has_value(); }, seconds(10));
      return out.value_or(InternalError("no answer"));
    };
    auto send = RemotingCommand::CreateRequest(RequestCode::SEND_MESSAGE_V2);
    for (auto [k, v] :
         std::initializer_list<std::pair<const char*, const char*>>{{"a", "PG"},
                                                                    {"b", "RealTopic"},
                                                                    {"c", "TBW102"},
                                                                    {"d", "4"},
                                                                    {"e", "0"},
                                                                    {"f", "0"},
                                                                    {"g", "1"},
                                                                    {"h", "0"},
                                                                    {"i", "TAGS\x01TagA"}}) {
      send.SetExtField(k, v);
    }
    send.body = "over loopback";
    auto sent = call(send, broker.address());
    ASSERT_TRUE(sent.ok()) << sent.status();
    ASSERT_EQ(sent->code, ResponseCode::SUCCESS) << sent->remark.value_or("");
    // The auto-created topic is in the name server's route.
    rt.RunFor(milliseconds(100));
    auto route = RemotingCommand::CreateRequest(RequestCode::GET_ROUTEINFO_BY_TOPIC);
    route.SetExtField("topic", "RealTopic");
    EXPECT_EQ(call(route, ns.address())->code, ResponseCode::SUCCESS);
    auto pull = RemotingCommand::CreateRequest(RequestCode::PULL_MESSAGE);
    for (auto [k, v] : std::initializer_list<std::pair<const char*, const char*>>{
             {"consumerGroup", "CG"},
             {"topic", "RealTopic"},
             {"queueId", "0"},
             {"queueOffset", "0"},
             {"maxMsgNums", "32"},
             {"sysFlag", "6"},
             {"commitOffset", "-1"},
             {"suspendTimeoutMillis", "15000"},
             {"subscription", "*"},
             {"subVersion", "1"}}) {
      pull.SetExtField(k, v);
    }
    auto pulled = call(pull, broker.address());
    ASSERT_TRUE(pulled.ok()) << pulled.status();
    ASSERT_EQ(pulled->code, ResponseCode::SUCCESS) << pulled->remark.value_or("");
    auto msgs = common::DecodeStoredMessages(common::AsByteSpan(pulled->body));
    ASSERT_TRUE(msgs.ok());
    ASSERT_EQ(msgs->size(), 1u);
    EXPECT_EQ(common::StringFromBytes(msgs->at(0).message.body()), "over loopback");
    EXPECT_EQ(msgs->at(0).store_host.ToString(), broker.broker_addr());
    EXPECT_EQ(msgs->at(0).OffsetMsgId(), *sent->FindExtField("msgId"));
    bool stopped = false;
    broker.Stop([&] { stopped = true; });
    rt.RunUntil([&] { return stopped; }, seconds(10));
    EXPECT_TRUE(stopped);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace rmqsim::broker
