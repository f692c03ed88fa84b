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

TEST(BrokerConfTest, ParsesHaKeys) {
  auto c = ParseBrokerConf(
      "brokerName=broker-a\n"
      "brokerId=1\n"
      "brokerRole=SLAVE\n"
      "flushDiskType=SYNC_FLUSH\n"
      "listenPort=30911\n"
      "haListenPort=30999\n"
      "haMasterAddress=10.0.0.5:10912\n"
      "slaveReadEnable=true\n"
      "haSendHeartbeatInterval=1500\n"
      "haHousekeepingInterval=7000\n"
      "haTransferBatchSize=65536\n"
      "haSlaveFallbehindMax=1073741824\n"
      "slaveTimeout=2500\n",
      "slave.conf", std::nullopt);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->warnings.empty());
  EXPECT_EQ(c->broker.broker_id, 1);
  EXPECT_EQ(c->store.broker_role, store::BrokerRole::kSlave);
  EXPECT_EQ(c->store.flush_disk_type, store::FlushDiskType::kSyncFlush);
  EXPECT_EQ(c->broker.listen_port, 30911);
  EXPECT_EQ(c->broker.ha_listen_port, 30999);
  EXPECT_EQ(c->broker.ha_master_address, "10.0.0.5:10912");
  EXPECT_TRUE(c->broker.slave_read_enable);
  EXPECT_EQ(c->store.ha_send_heartbeat_interval, milliseconds(1500));
  EXPECT_EQ(c->store.ha_housekeeping_interval, milliseconds(7000));
  EXPECT_EQ(c->store.ha_transfer_batch_size, 65536);
  EXPECT_EQ(c->store.ha_slave_fallbehind_max, 1073741824);
  EXPECT_EQ(c->store.slave_timeout, milliseconds(2500));

  // Defaults: no haMasterAddress (learnt from the name server), slaveReadEnable=false.
  auto d = ParseBrokerConf("brokerRole=ASYNC_MASTER\n", "m.conf", std::nullopt);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->store.broker_role, store::BrokerRole::kAsyncMaster);
  EXPECT_TRUE(d->broker.ha_master_address.empty());
  EXPECT_FALSE(d->broker.slave_read_enable);
  EXPECT_EQ(d->store.ha_send_heartbeat_interval, milliseconds(5000));
  EXPECT_EQ(d->store.ha_housekeeping_interval, milliseconds(20000));
  EXPECT_EQ(d->store.ha_transfer_batch_size, 32 * 1024);
  EXPECT_EQ(d->store.ha_slave_fallbehind_max, 256ll * 1024 * 1024);
  // An empty haMasterAddress is the default, not an error.
  auto e =
      ParseBrokerConf("brokerId=2\nbrokerRole=SLAVE\nhaMasterAddress=\n", "s.conf", std::nullopt);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_TRUE(e->broker.ha_master_address.empty());
}

TEST(BrokerConfTest, HaListenPortDefaultsToListenPortPlusOne) {
  // BrokerStartup: haListenPort = listenPort + 1, so two brokers on one host need only distinct
  // listenPorts. A haListenPort in the file wins.
  auto c = ParseBrokerConf("listenPort=20911\n", "b.conf", std::nullopt);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->broker.ha_listen_port, 20912);
  auto d = ParseBrokerConf("", "b.conf", std::nullopt);
  EXPECT_EQ(d->broker.ha_listen_port, 10912);
  auto e = ParseBrokerConf("listenPort=20911\nhaListenPort=0\n", "b.conf", std::nullopt);
  EXPECT_EQ(e->broker.ha_listen_port, 0);
  auto same = ParseBrokerConf("listenPort=20911\nhaListenPort=20911\n", "b.conf", std::nullopt);
  ASSERT_FALSE(same.ok());
  EXPECT_NE(same.status().message().find("b.conf:2 (haListenPort)"), std::string::npos)
      << same.status();
  auto f = ParseBrokerConf("listenPort=65535\n", "b.conf", std::nullopt);
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("b.conf:1 (listenPort)"), std::string::npos) << f.status();
}

TEST(BrokerConfTest, RolesAndBrokerIdsAsBrokerStartupChecksThem) {
  // A master's brokerId is 0 whatever the file says (a warning names the line).
  auto m = ParseBrokerConf("brokerRole=SYNC_MASTER\nbrokerId=3\n", "m.conf", std::nullopt);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->broker.broker_id, 0);
  ASSERT_EQ(m->warnings.size(), 1u);
  EXPECT_NE(m->warnings[0].find("m.conf:2 (brokerId)"), std::string::npos) << m->warnings[0];
  // A slave needs brokerId > 0.
  auto s = ParseBrokerConf("brokerRole=SLAVE\nbrokerId=0\n", "s.conf", std::nullopt);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("s.conf:2 (brokerId)"), std::string::npos) << s.status();
  auto t = ParseBrokerConf("\nbrokerRole=SLAVE\n", "s.conf", std::nullopt);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("s.conf:2 (brokerRole)"), std::string::npos) << t.status();
}

TEST(BrokerConfTest, BadHaValuesNameFileLineAndKey) {
  struct Case {
    const char* line;
    const char* key;
  };
  for (const Case& k : {
           Case{"brokerRole=MASTER", "brokerRole"},
           Case{"brokerId=-1", "brokerId"},
           Case{"brokerId=one", "brokerId"},
           Case{"flushDiskType=FAST_FLUSH", "flushDiskType"},
           Case{"haListenPort=70000", "haListenPort"},
           Case{"haListenPort=x", "haListenPort"},
           Case{"haMasterAddress=nohost", "haMasterAddress"},
           Case{"haMasterAddress=10.0.0.1:99999", "haMasterAddress"},
           Case{"slaveReadEnable=yes", "slaveReadEnable"},
           Case{"haSendHeartbeatInterval=soon", "haSendHeartbeatInterval"},
           Case{"haSendHeartbeatInterval=0", "haSendHeartbeatInterval"},
           Case{"haSendHeartbeatInterval=-5", "haSendHeartbeatInterval"},
           Case{"haHousekeepingInterval=0", "haHousekeepingInterval"},
           Case{"haHousekeepingInterval=1.5", "haHousekeepingInterval"},
           Case{"haTransferBatchSize=0", "haTransferBatchSize"},
           Case{"haTransferBatchSize=4294967296", "haTransferBatchSize"},
           Case{"haSlaveFallbehindMax=-1", "haSlaveFallbehindMax"},
           Case{"haSlaveFallbehindMax=lots", "haSlaveFallbehindMax"},
           Case{"slaveTimeout=0", "slaveTimeout"},
       }) {
    // The bad key sits on line 3, after two good ones.
    std::string text = std::string("brokerName=broker-a\nlistenPort=20911\n") + k.line + "\n";
    auto c = ParseBrokerConf(text, "ha.conf", std::nullopt);
    ASSERT_FALSE(c.ok()) << k.line;
    EXPECT_NE(c.status().message().find(std::string("ha.conf:3 (") + k.key + ")"),
              std::string::npos)
        << k.line << " -> " << c.status();
  }
}

}  // namespace
}  // namespace rmqsim::node
