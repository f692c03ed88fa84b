// The name server's invariants (RMQ_SIM_ASSERT, simulation only): consistent tables, and no
// route listing a broker the scan expired. Each fires on a broken state built with the test
// hook, and stays quiet on the legal sequences that come closest (4.9.8's own leftovers).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/base/assert.h"
#include "system/namesrv/route_info_manager.h"

namespace rmqsim::namesrv {
namespace {

RegisterBrokerRequest Req(std::string name, std::string addr, int64_t id,
                          std::vector<std::string> topics, uint64_t channel = 1) {
  RegisterBrokerRequest r;
  r.cluster_name = "DefaultCluster";
  r.broker_name = std::move(name);
  r.broker_addr = std::move(addr);
  r.broker_id = id;
  r.ha_server_addr = "ha-" + r.broker_addr;
  common::TopicConfigSerializeWrapper w;
  w.data_version.counter = 1;
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

// Simulation-only assertions are on while this is alive (as inside a simulated world).
class NamesrvInvariants : public ::testing::Test {
 protected:
  ScopedFailureContext sim_{[] { return std::string("namesrv invariants test"); }, true};
};

using NamesrvInvariantsDeathTest = NamesrvInvariants;

TEST_F(NamesrvInvariantsDeathTest, AnAddressListedWithoutALiveEntryFires) {
  RouteInfoManager m;
  m.RegisterBroker(Req("broker-a", "10.0.0.1:10911", 0, {"T"}), T(0));
  EXPECT_EQ(m.CheckConsistency(), "");
  // A slave slot nobody registered: nothing would ever expire it.
  m.InjectBrokerAddrForTesting("broker-a", 1, "10.0.0.9:10911");
  EXPECT_NE(m.CheckConsistency().find("no entry in brokerLiveTable"), std::string::npos);
  EXPECT_DEATH(m.RegisterBroker(Req("broker-b", "10.0.0.2:10911", 0, {"T"}, 2), T(1)),
               "name server tables inconsistent.*10.0.0.9:10911");
}

TEST_F(NamesrvInvariantsDeathTest, ARouteListingAnExpiredBrokerFires) {
  RouteInfoManager m;
  m.RegisterBroker(Req("broker-a", "10.0.0.1:10911", 0, {"T"}, 1), T(0));
  m.RegisterBroker(Req("broker-a", "10.0.0.2:10911", 1, {}, 2), T(0));
  m.RegisterBroker(Req("broker-a", "10.0.0.1:10911", 0, {"T"}, 1), T(100));  // master alive
  auto removed = m.ScanNotActiveBroker(T(121));                             // slave expires
  ASSERT_EQ(removed.size(), 1u);
  EXPECT_EQ(removed[0].first.broker_addr, "10.0.0.2:10911");
  ASSERT_TRUE(m.GetTopicRouteData("T").has_value());  // the master only: fine
  // Broken: the expired slave back in the broker data without registering.
  m.InjectBrokerAddrForTesting("broker-a", 1, "10.0.0.2:10911");
  EXPECT_DEATH((void)m.GetTopicRouteData("T"),
               "route of T: lists broker-a id 1 at 10.0.0.2:10911, which the scan expired");
  // Registering again makes it fresh.
  m.RegisterBroker(Req("broker-a", "10.0.0.2:10911", 1, {}, 3), T(122));
  EXPECT_TRUE(m.GetTopicRouteData("T").has_value());
}

TEST_F(NamesrvInvariants, ExpiryRemovesTheBrokerFromEveryRoute) {
  RouteInfoManager m;
  m.RegisterBroker(Req("broker-a", "10.0.0.1:10911", 0, {"T", "U"}, 1), T(0));
  m.RegisterBroker(Req("broker-b", "10.0.0.2:10911", 0, {"T"}, 2), T(100));
  m.ScanNotActiveBroker(T(121));  // broker-a expires; the after-scan check passes
  EXPECT_EQ(m.expired().count("10.0.0.1:10911"), 1u);
  EXPECT_FALSE(m.GetTopicRouteData("U").has_value());
  auto t = m.GetTopicRouteData("T");
  ASSERT_TRUE(t.has_value());
  ASSERT_EQ(t->broker_datas.size(), 1u);
  EXPECT_EQ(t->broker_datas[0].broker_name, "broker-b");
  EXPECT_EQ(m.CheckConsistency(), "");
}

// 4.9.8's UNREGISTER_BROKER removes the brokerId's slot whatever address it holds, and a removal
// takes the address out of the first broker name only: the address left behind is "detached",
// which the invariants accept (Java's own behaviour), until it registers again.
TEST_F(NamesrvInvariants, JavasOwnLeftoversAreAcceptedAsDetached) {
  RouteInfoManager m;
  m.RegisterBroker(Req("broker-a", "10.0.0.1:10911", 0, {"T"}, 1), T(0));
  m.RegisterBroker(Req("broker-a", "10.0.0.3:10911", 1, {}, 3), T(1));
  // 10.0.0.3 unregisters naming id 0: the master's slot goes, its own address stays listed.
  m.UnregisterBroker("DefaultCluster", "10.0.0.3:10911", "broker-a", 0);
  EXPECT_EQ(m.detached().count("10.0.0.3:10911"), 1u);
  EXPECT_EQ(m.CheckConsistency(), "");
  m.RegisterBroker(Req("broker-a", "10.0.0.3:10911", 1, {}, 3), T(2));
  EXPECT_EQ(m.detached().count("10.0.0.3:10911"), 0u);

  // One address under two broker names: a channel close removes it from the first only.
  RouteInfoManager two;
  two.RegisterBroker(Req("broker-a", "10.0.0.1:10911", 0, {"T"}, 1), T(0));
  two.RegisterBroker(Req("broker-z", "10.0.0.1:10911", 0, {"T"}, 1), T(0));
  two.OnChannelDestroy(1);
  EXPECT_EQ(two.detached().count("10.0.0.1:10911"), 1u);
  EXPECT_EQ(two.CheckConsistency(), "");
  auto route = two.GetTopicRouteData("T");
  ASSERT_TRUE(route.has_value());
  EXPECT_EQ(route->broker_datas.at(0).broker_name, "broker-z");
  two.RegisterBroker(Req("broker-z", "10.0.0.1:10911", 0, {"T"}, 2), T(3));
  EXPECT_EQ(two.detached().count("10.0.0.1:10911"), 0u);
}

}  // namespace
}  // namespace rmqsim::namesrv
