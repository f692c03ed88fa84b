#include "system/common/route_data.h"

#include <gtest/gtest.h>

#include "system/common/compression.h"
#include "system/common/register_broker_body.h"

namespace rmqsim::common {
namespace {

TopicRouteData SampleRoute() {
  TopicRouteData r;
  r.queue_datas.push_back({"broker-a", 4, 4, 6, 0});
  BrokerData b;
  b.cluster = "DefaultCluster";
  b.broker_name = "broker-a";
  b.broker_addrs = {{0, "10.0.0.1:10911"}, {1, "10.0.0.2:10911"}};
  r.broker_datas.push_back(b);
  return r;
}

TEST(CommonTopicRouteData, StandardJson) {
  EXPECT_EQ(EncodeTopicRouteData(SampleRoute(), JsonDialect::kStandard),
            R"({"brokerDatas":[{"brokerAddrs":{"0":"10.0.0.1:10911","1":"10.0.0.2:10911"},)"
            R"("brokerName":"broker-a","cluster":"DefaultCluster"}],"filterServerTable":{},)"
            R"("queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,)"
            R"("topicSysFlag":0,"writeQueueNums":4}]})");
}

TEST(CommonTopicRouteData, FastjsonJsonHasBareBrokerIdKeys) {
  TopicRouteData r = SampleRoute();
  r.order_topic_conf = "broker-a:4";
  EXPECT_EQ(EncodeTopicRouteData(r, JsonDialect::kFastjson),
            R"({"brokerDatas":[{"brokerAddrs":{0:"10.0.0.1:10911",1:"10.0.0.2:10911"},)"
            R"("brokerName":"broker-a","cluster":"DefaultCluster"}],"filterServerTable":{},)"
            R"("orderTopicConf":"broker-a:4","queueDatas":[{"brokerName":"broker-a","perm":6,)"
            R"("readQueueNums":4,"topicSynFlag":0,"topicSysFlag":0,"writeQueueNums":4}]})");
}

TEST(CommonTopicRouteData, DecodesBothDialects) {
  TopicRouteData r = SampleRoute();
  r.filter_server_table["10.0.0.1:10911"] = {"10.0.0.1:30000"};
  for (JsonDialect d : {JsonDialect::kStandard, JsonDialect::kFastjson}) {
    auto got = DecodeTopicRouteData(EncodeTopicRouteData(r, d));
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, r);
  }
  // What a 4.9.8 name server sends an old client, whitespace and all.
  auto old = DecodeTopicRouteData(
      R"({"brokerDatas":[{"brokerAddrs":{ 0 : "127.0.0.1:10911" , -1:"x"},"brokerName":"b"}],)"
      R"("queueDatas":[{"brokerName":"b","perm":6,"readQueueNums":8,"topicSynFlag":3,)"
      R"("writeQueueNums":8}]})");
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_EQ(old->broker_datas[0].MasterAddr(), "127.0.0.1:10911");
  EXPECT_EQ(old->broker_datas[0].broker_addrs.at(-1), "x");
  EXPECT_EQ(old->queue_datas[0].topic_sys_flag, 3);  // pre-4.9.0 spelling
  EXPECT_FALSE(old->order_topic_conf.has_value());
}

TEST(CommonTopicRouteData, PrePassLeavesStringsAlone) {
  TopicRouteData r = SampleRoute();
  r.order_topic_conf = R"({0:"not a key", "\",1:x)";
  r.broker_datas[0].broker_name = "{7:";
  auto got = DecodeTopicRouteData(EncodeTopicRouteData(r, JsonDialect::kFastjson));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, r);
}

TEST(CommonTopicRouteData, NonAsciiEscapedOnlyInStandard) {
  TopicRouteData r = SampleRoute();
  r.broker_datas[0].cluster = "\xE9\x9B\x86";  // U+96C6
  EXPECT_NE(EncodeTopicRouteData(r, JsonDialect::kStandard).find(R"("cluster":"\u96c6")"),
            std::string::npos);
  EXPECT_NE(EncodeTopicRouteData(r, JsonDialect::kFastjson).find("\"cluster\":\"\xE9\x9B\x86\""),
            std::string::npos);
  EXPECT_EQ(*DecodeTopicRouteData(EncodeTopicRouteData(r, JsonDialect::kStandard)), r);
}

TEST(CommonTopicRouteData, MalformedInput) {
  auto unquoted_word = DecodeTopicRouteData(R"({"brokerDatas":[{"brokerAddrs":{master:"x"}}]})");
  EXPECT_EQ(unquoted_word.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(unquoted_word.status().message().rfind("TopicRouteData: malformed JSON: ", 0), 0u)
      << unquoted_word.status();
  auto bad_id = DecodeTopicRouteData(R"({"brokerDatas":[{"brokerAddrs":{"m":"x"}}]})");
  EXPECT_EQ(bad_id.status().message(),
            "TopicRouteData.brokerDatas[0].brokerAddrs[m] key (broker id): expected a decimal "
            "long, saw \"m\"");
  auto bad_perm = DecodeTopicRouteData(R"({"queueDatas":[{"perm":true}]})");
  EXPECT_EQ(bad_perm.status().message(),
            "TopicRouteData.queueDatas[0].perm: expected an integer, saw boolean");
  auto too_big = DecodeTopicRouteData(R"({"queueDatas":[{"perm":4294967296}]})");
  EXPECT_EQ(too_big.status().message(),
            "TopicRouteData.queueDatas[0].perm: 4294967296 is out of range for a Java int");
  EXPECT_EQ(DecodeTopicRouteData(R"({"queueDatas":{}})").status().message(),
            "TopicRouteData.queueDatas: expected an array, saw object");
  EXPECT_FALSE(DecodeTopicRouteData("{").ok());
}

TEST(CommonTopicRouteData, DialectByRequestVersion) {
  EXPECT_EQ(RouteJsonDialectFor(121, false), JsonDialect::kFastjson);  // ali-ons
  EXPECT_EQ(RouteJsonDialectFor(333, false), JsonDialect::kFastjson);  // C++ client
  EXPECT_EQ(RouteJsonDialectFor(400, false), JsonDialect::kFastjson);
  EXPECT_EQ(RouteJsonDialectFor(401, false), JsonDialect::kStandard);  // V4_9_4
  EXPECT_EQ(RouteJsonDialectFor(409, false), JsonDialect::kStandard);
  EXPECT_EQ(RouteJsonDialectFor(121, true), JsonDialect::kStandard);
}

TEST(CommonClusterInfo, JsonBothDialects) {
  ClusterInfo info;
  info.broker_addr_table["broker-a"] = SampleRoute().broker_datas[0];
  info.cluster_addr_table["DefaultCluster"] = {"broker-a"};
  EXPECT_EQ(EncodeClusterInfo(info),
            R"({"brokerAddrTable":{"broker-a":{"brokerAddrs":{0:"10.0.0.1:10911",)"
            R"(1:"10.0.0.2:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"}},)"
            R"("clusterAddrTable":{"DefaultCluster":["broker-a"]}})");
  EXPECT_EQ(*DecodeClusterInfo(EncodeClusterInfo(info)), info);
  EXPECT_EQ(*DecodeClusterInfo(EncodeClusterInfo(info, JsonDialect::kStandard)), info);
  EXPECT_FALSE(DecodeClusterInfo(R"({"clusterAddrTable":{"c":"b"}})").ok());
}

TEST(CommonTopicList, Json) {
  TopicList list;
  list.topic_list = {"TopicTest", "%RETRY%CG"};
  EXPECT_EQ(EncodeTopicList(list), R"({"topicList":["%RETRY%CG","TopicTest"]})");
  list.broker_addr = "10.0.0.1:10911";
  EXPECT_EQ(EncodeTopicList(list),
            R"({"brokerAddr":"10.0.0.1:10911","topicList":["%RETRY%CG","TopicTest"]})");
  EXPECT_EQ(*DecodeTopicList(EncodeTopicList(list)), list);
  EXPECT_EQ(DecodeTopicList(R"({"topicList":[1]})").status().message(),
            "TopicList.topicList[0]: expected a string, saw integer 1");
}

RegisterBrokerBody SampleRegisterBody() {
  RegisterBrokerBody body;
  auto& w = body.topic_config_serialize_wrapper;
  w.data_version = {1700000000000, 12};
  TopicConfig t;
  t.topic_name = "TopicTest";
  t.read_queue_nums = 4;
  t.write_queue_nums = 4;
  w.topic_config_table["TopicTest"] = t;
  TopicConfig retry;
  retry.topic_name = "%RETRY%CG";
  retry.read_queue_nums = 1;
  retry.write_queue_nums = 1;
  w.topic_config_table["%RETRY%CG"] = retry;
  return body;
}

TEST(CommonRegisterBrokerBody, Json) {
  const RegisterBrokerBody body = SampleRegisterBody();
  EXPECT_EQ(EncodeRegisterBrokerBody(body),
            R"({"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":)"
            R"({"counter":12,"timestamp":1700000000000},"topicConfigTable":{"%RETRY%CG":)"
            R"({"order":false,"perm":6,"readQueueNums":1,"topicFilterType":"SINGLE_TAG",)"
            R"("topicName":"%RETRY%CG","topicSysFlag":0,"writeQueueNums":1},"TopicTest":)"
            R"({"order":false,"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG",)"
            R"("topicName":"TopicTest","topicSysFlag":0,"writeQueueNums":4}}}})");
  EXPECT_EQ(*DecodeRegisterBrokerBody(EncodeRegisterBrokerBody(body)), body);

  // Pre-V3_0_11 brokers send the wrapper alone; a config without topicName takes its key.
  auto w = DecodeTopicConfigSerializeWrapper(
      R"({"dataVersion":{"counter":"3","timestamp":5},"topicConfigTable":{"T":{"perm":4}}})");
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(w->data_version, (DataVersion{5, 3}));
  EXPECT_EQ(w->topic_config_table.at("T").topic_name, "T");
  EXPECT_EQ(w->topic_config_table.at("T").perm, 4);

  EXPECT_EQ(EncodeDataVersion({5, 3}), R"({"counter":3,"timestamp":5})");
  EXPECT_EQ(DecodeRegisterBrokerBody(R"({"filterServerList":"x"})").status().message(),
            "RegisterBrokerBody.filterServerList: expected an array, saw string \"x\"");
  EXPECT_EQ(
      DecodeRegisterBrokerBody(
          R"({"topicConfigSerializeWrapper":{"topicConfigTable":{"T":{"topicFilterType":"X"}}}})")
          .status()
          .message(),
      "RegisterBrokerBody.topicConfigSerializeWrapper.topicConfigTable[T]: topicFilterType: "
      "expected SINGLE_TAG or MULTI_TAG, saw \"X\"");
}

TEST(CommonRegisterBrokerBody, CompressedForm) {
  RegisterBrokerBody body = SampleRegisterBody();
  body.filter_server_list = {"10.0.0.1:30000"};
  auto packed = EncodeRegisterBrokerBodyCompressed(body);
  ASSERT_TRUE(packed.ok()) << packed.status();
  auto got = DecodeRegisterBrokerBodyCompressed(*packed);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, body);

  // The inflated stream is length-prefixed chunks (§3.7).
  Bytes plain = *ZlibUncompress(*packed, 1 << 20);
  const std::string version = R"({"counter":12,"timestamp":1700000000000})";
  EXPECT_EQ(LoadI32(plain.data()), static_cast<int32_t>(version.size()));
  EXPECT_EQ(AsStringView(ByteSpan(plain).subspan(4, version.size())), version);
  EXPECT_EQ(LoadI32(plain.data() + 4 + version.size()), 2);  // topic count

  // order / topicSysFlag do not survive the compressed form.
  body.topic_config_serialize_wrapper.topic_config_table["TopicTest"].order = true;
  EXPECT_FALSE(DecodeRegisterBrokerBodyCompressed(*EncodeRegisterBrokerBodyCompressed(body))
                   ->topic_config_serialize_wrapper.topic_config_table.at("TopicTest")
                   .order);

  auto garbage = DecodeRegisterBrokerBodyCompressed(AsByteSpan("garbage"));
  EXPECT_EQ(garbage.status().code(), StatusCode::kInvalidArgument);
  Bytes short_plain = *ZlibCompress(AsByteSpan(std::string("\0\0\0\x40{}", 6)), 9);
  auto truncated = DecodeRegisterBrokerBodyCompressed(short_plain);
  EXPECT_EQ(truncated.status().message(),
            "compressed RegisterBrokerBody: dataVersion at offset 4: truncated: needs 64 bytes, "
            "2 left");
  EXPECT_EQ(DecodeRegisterBrokerBodyCompressed(*packed, 10).status().code(),
            StatusCode::kResourceExhausted);
}

TEST(CommonKvTable, Json) {
  KvTable t{{{"TopicTest", "broker-a:4"}}};
  EXPECT_EQ(EncodeKvTable(t), R"({"table":{"TopicTest":"broker-a:4"}})");
  EXPECT_EQ(*DecodeKvTable(EncodeKvTable(t)), t);
  EXPECT_EQ(*DecodeKvTable("{}"), KvTable{});
}

}  // namespace
}  // namespace rmqsim::common
