#include "system/node/broker_conf.h"

#include <gtest/gtest.h>

namespace rmqsim::node {
namespace {

TEST(BrokerConfTest, ParsesRocketMqKeys) {
  auto c = ParseBrokerConf(
      "# broker-a\n"
      "brokerClusterName = MyCluster\n"
      "brokerName=broker-b\n"
      "brokerId=0\n"
      "brokerIP1=10.1.2.3\n"
      "listenPort=20911\n"
      "haListenPort=20912\n"
      "namesrvAddr=10.0.0.1:9876;10.0.0.2:9876\n"
      "storePathRootDir=/data/store\n"
      "storePathCommitLog=/data/store/commitlog\n"
      "mapedFileSizeCommitLog=1048576\n"
      "flushDiskType=SYNC_FLUSH\n"
      "brokerRole=SYNC_MASTER\n"
      "autoCreateTopicEnable=false\n"
      "deleteWhen=04\n"
      "fileReservedTime=48\n"
      "defaultTopicQueueNums=4\n"
      "sendMessageThreadPoolNums=128\n",
      "broker.conf", std::nullopt);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->broker.broker_cluster_name, "MyCluster");
  EXPECT_EQ(c->broker.broker_name, "broker-b");
  EXPECT_EQ(c->broker.broker_ip1, "10.1.2.3");
  EXPECT_EQ(c->broker.listen_port, 20911);
  EXPECT_EQ(c->broker.ha_listen_port, 20912);
  ASSERT_EQ(c->broker.namesrv_addrs.size(), 2u);
  EXPECT_EQ(c->broker.namesrv_addrs[1].ToString(), "10.0.0.2:9876");
  EXPECT_EQ(c->store.store_path_root_dir, "/data/store");
  EXPECT_EQ(c->store.store_path_commit_log, "/data/store/commitlog");
  EXPECT_EQ(c->store.mapped_file_size_commit_log, 1048576);
  EXPECT_EQ(c->store.flush_disk_type, store::FlushDiskType::kSyncFlush);
  EXPECT_EQ(c->store.broker_role, store::BrokerRole::kSyncMaster);
  EXPECT_FALSE(c->broker.auto_create_topic_enable);
  EXPECT_EQ(c->store.file_reserved_time, 48);
  EXPECT_EQ(c->broker.default_topic_queue_nums, 4);
  EXPECT_TRUE(c->warnings.empty());
}

TEST(BrokerConfTest, DefaultsAndNamesrvFromTheEnvironment) {
  auto c = ParseBrokerConf("", "broker.conf", std::string("127.0.0.1:9876"));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->broker.broker_ip1, "127.0.0.1");
  EXPECT_EQ(c->broker.listen_port, 10911);
  EXPECT_EQ(c->broker.broker_cluster_name, "DefaultCluster");
  EXPECT_TRUE(c->broker.auto_create_topic_enable);
  ASSERT_EQ(c->broker.namesrv_addrs.size(), 1u);
  // The file wins over the environment.
  auto f =
      ParseBrokerConf("namesrvAddr=10.0.0.9:9876\n", "broker.conf", std::string("127.0.0.1:9876"));
  EXPECT_EQ(f->broker.namesrv_addrs.at(0).ToString(), "10.0.0.9:9876");
}

TEST(BrokerConfTest, UnknownKeysWarnAndBadValuesFailWithFileLineAndKey) {
  auto c = ParseBrokerConf("brokerName=b\nbrokerNmae=typo\n", "broker.conf", std::nullopt);
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->warnings.size(), 1u);
  EXPECT_EQ(c->warnings[0], "broker.conf:2 (brokerNmae): unknown key ignored");
  auto bad = ParseBrokerConf("\nlistenPort=abc\n", "broker.conf", std::nullopt);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("broker.conf:2 (listenPort)"), std::string::npos)
      << bad.status();
  auto role = ParseBrokerConf("brokerRole=BOSS\n", "b.conf", std::nullopt);
  ASSERT_FALSE(role.ok());
  EXPECT_NE(role.status().message().find("b.conf:1 (brokerRole)"), std::string::npos);
  auto ns = ParseBrokerConf("namesrvAddr=nohost\n", "b.conf", std::nullopt);
  EXPECT_FALSE(ns.ok());
}

}  // namespace
}  // namespace rmqsim::node
