#include "system/namesrv/route_info_manager.h"

#include <gtest/gtest.h>

#include "system/common/perm_name.h"

namespace rmqsim::namesrv {
namespace {

RegisterBrokerRequest Req(std::string name, std::string addr, int64_t id,
                          std::vector<std::string> topics, int64_t version = 1,
                          uint64_t channel = 1) {
  RegisterBrokerRequest r;
  r.cluster_name = "DefaultCluster";
  r.broker_name = std::move(name);
  r.broker_addr = std::move(addr);
  r.broker_id = id;
  r.ha_server_addr = "ha-" + r.broker_addr;
  common::TopicConfigSerializeWrapper w;
  w.data_version.counter = version;
  for (auto& t : topics) {
    common::TopicConfig tc;
    tc.topic_name = t;
    tc.read_queue_nums = tc.write_queue_nums = 4;
    w.topic_config_table[t] = tc;
  }
  r.topic_config_wrapper = w;
  r.channel_id = channel;
  return r;
}

WallTime T(int64_t s) { return WallFromUnixMillis(s * 1000); }

TEST(RouteInfoManager, RouteNeedsQueueAndBrokerData) {
  RouteInfoManager m;
  EXPECT_FALSE(m.GetTopicRouteData("T").has_value());
  m.RegisterBroker(Req("broker-a", "10.0.0.1:10911", 0, {"T"}), T(0));
  auto route = m.GetTopicRouteData("T");
  ASSERT_TRUE(route.has_value());
  ASSERT_EQ(route->queue_datas.size(), 1u);
  EXPECT_EQ(route->queue_datas[0].write_queue_nums, 4);
  ASSERT_EQ(route->broker_datas.size(), 1u);
  EXPECT_EQ(route->broker_datas[0].broker_addrs.at(0), "10.0.0.1:10911");
}

TEST(RouteInfoManager, SlavesAddAddressesButNotQueues) {
  RouteInfoManager m;
  auto slave = m.RegisterBroker(Req("broker-a", "10.0.0.2:10911", 1, {"OnlyOnSlave"}, 1, 2),
                                T(0));
  EXPECT_TRUE(slave.master_addr.empty());  // no master yet
  EXPECT_FALSE(m.GetTopicRouteData("OnlyOnSlave").has_value());
  m.RegisterBroker(Req("broker-a", "10.0.0.1:10911", 0, {"T"}), T(1));
  auto again = m.RegisterBroker(Req("broker-a", "10.0.0.2:10911", 1, {}, 1, 2), T(2));
  EXPECT_EQ(again.master_addr, "10.0.0.1:10911");
  EXPECT_EQ(again.ha_server_addr, "ha-10.0.0.1:10911");
  auto route = m.GetTopicRouteData("T");
  ASSERT_TRUE(route);
  EXPECT_EQ(route->broker_datas[0].broker_addrs.size(), 2u);
}

TEST(RouteInfoManager, QueueDataOnlyReplacedWhenDataVersionChanges) {
  RouteInfoManager m;
  m.RegisterBroker(Req("broker-a", "10.0.0.1:10911", 0, {"T"}, 1), T(0));
  auto changed = Req("broker-a", "10.0.0.1:10911", 0, {"T"}, 1);
  changed.topic_config_wrapper->topic_config_table["T"].write_queue_nums = 8;
  m.RegisterBroker(changed, T(1));  // same data version: ignored
  EXPECT_EQ(m.GetTopicRouteData("T")->queue_datas[0].write_queue_nums, 4);
  changed.topic_config_wrapper->data_version.counter = 2;
  m.RegisterBroker(changed, T(2));
  EXPECT_EQ(m.GetTopicRouteData("T")->queue_datas[0].write_queue_nums, 8);
}

TEST(RouteInfoManager, ExpiryAfter120Seconds) {
  RouteInfoManager m;
  m.RegisterBroker(Req("broker-a", "10.0.0.1:10911", 0, {"T"}), T(0));
  EXPECT_TRUE(m.ScanNotActiveBroker(T(120)).empty());
  auto removed = m.ScanNotActiveBroker(T(121));
  ASSERT_EQ(removed.size(), 1u);
  EXPECT_TRUE(removed[0].first.broker_name_removed);
  EXPECT_EQ(removed[0].first.topics_removed, std::vector<std::string>{"T"});
  EXPECT_FALSE(m.GetTopicRouteData("T"));
  EXPECT_TRUE(m.GetAllClusterInfo().cluster_addr_table.empty());
}

TEST(RouteInfoManager, DeadMasterLeavesSlaveAddressAndQueues) {
  RouteInfoManager m;
  m.RegisterBroker(Req("broker-a", "10.0.0.1:10911", 0, {"T"}, 1, 1), T(0));
  m.RegisterBroker(Req("broker-a", "10.0.0.2:10911", 1, {}, 1, 2), T(0));
  auto r = m.OnChannelDestroy(1);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->broker_name_removed);
  auto route = m.GetTopicRouteData("T");
  ASSERT_TRUE(route);  // consumers can still read from the slave
  EXPECT_EQ(route->broker_datas[0].broker_addrs.size(), 1u);
  EXPECT_EQ(route->broker_datas[0].broker_addrs.count(0), 0u);
  EXPECT_FALSE(m.OnChannelDestroy(99));  // unknown channel
}

TEST(RouteInfoManager, UnregisterAndSlaveToMasterSwitch) {
  RouteInfoManager m;
  m.RegisterBroker(Req("broker-a", "10.0.0.2:10911", 1, {}, 1, 2), T(0));
  m.RegisterBroker(Req("broker-a", "10.0.0.2:10911", 0, {"T"}, 1, 2), T(1));  // promoted
  auto route = m.GetTopicRouteData("T");
  ASSERT_TRUE(route);
  EXPECT_EQ(route->broker_datas[0].broker_addrs, (std::map<int64_t, std::string>{
                                                     {0, "10.0.0.2:10911"}}));
  ASSERT_TRUE(m.UnregisterBroker("DefaultCluster", "10.0.0.2:10911", "broker-a", 0));
  EXPECT_FALSE(m.GetTopicRouteData("T"));
  EXPECT_EQ(m.GetAllTopicList().topic_list.size(), 0u);
}

TEST(RouteInfoManager, SeveralBrokerGroupsInOneTopic) {
  RouteInfoManager m;
  m.RegisterBroker(Req("broker-a", "10.0.0.1:10911", 0, {"T", "A"}, 1, 1), T(0));
  m.RegisterBroker(Req("broker-b", "10.0.0.3:10911", 0, {"T"}, 1, 3), T(0));
  EXPECT_EQ(m.GetTopicRouteData("T")->queue_datas.size(), 2u);
  m.OnChannelDestroy(1);
  EXPECT_EQ(m.GetTopicRouteData("T")->queue_datas.size(), 1u);
  EXPECT_FALSE(m.GetTopicRouteData("A"));
  EXPECT_EQ(m.GetAllClusterInfo().cluster_addr_table.at("DefaultCluster"),
            std::set<std::string>{"broker-b"});
}

TEST(RouteInfoManager, DeleteTopicWipeWritePermAndTopicsByCluster) {
  RouteInfoManager m;
  // Readable and writeable topics.
  auto rw = [](RegisterBrokerRequest r) {
    for (auto& [name, tc] : r.topic_config_wrapper->topic_config_table) tc.perm = 6;
    return r;
  };
  m.RegisterBroker(rw(Req("broker-a", "10.0.0.1:10911", 0, {"T", "A"}, 1, 1)), T(0));
  m.RegisterBroker(rw(Req("broker-b", "10.0.0.3:10911", 0, {"T"}, 1, 3)), T(0));
  EXPECT_EQ(m.GetTopicsByCluster("DefaultCluster").topic_list, (std::set<std::string>{"A", "T"}));
  EXPECT_TRUE(m.GetTopicsByCluster("nope").topic_list.empty());
  EXPECT_EQ(m.WipeWritePermOfBroker("broker-a"), 2);
  const auto route = m.GetTopicRouteData("T");
  ASSERT_TRUE(route.has_value());
  for (const auto& qd : route->queue_datas) {
    EXPECT_EQ(common::IsWriteable(qd.perm), qd.broker_name != "broker-a") << qd.broker_name;
  }
  // Its next registration with the same data version leaves the queue data as it is (4.9.8).
  m.RegisterBroker(rw(Req("broker-a", "10.0.0.1:10911", 0, {"T", "A"}, 1, 1)), T(30));
  EXPECT_FALSE(common::IsWriteable(m.GetTopicRouteData("A")->queue_datas[0].perm));
  m.RegisterBroker(rw(Req("broker-a", "10.0.0.1:10911", 0, {"T", "A"}, 2, 1)), T(60));
  EXPECT_TRUE(common::IsWriteable(m.GetTopicRouteData("A")->queue_datas[0].perm));
  EXPECT_TRUE(m.DeleteTopic("A"));
  EXPECT_FALSE(m.GetTopicRouteData("A").has_value());
  EXPECT_FALSE(m.DeleteTopic("A"));
  EXPECT_EQ(m.WipeWritePermOfBroker("broker-z"), 0);
}

}  // namespace
}  // namespace rmqsim::namesrv
