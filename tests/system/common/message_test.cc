#include "system/common/message.h"

#include <gtest/gtest.h>

#include "system/common/message_const.h"
#include "system/common/properties.h"

namespace rmqsim::common {
namespace {

using namespace std::string_literals;

TEST(CommonPropertiesString, EncodesWithSeparatorsInNameOrder) {
  Properties p = {{"WAIT", "true"}, {"TAGS", "TagA"}, {"KEYS", "k"}};
  EXPECT_EQ(*EncodeProperties(p), "KEYS\x01k\x02TAGS\x01TagA\x02WAIT\x01true"s);
  EXPECT_EQ(*EncodeProperties(p, PropertiesStyle::kTrailingSeparator),
            "KEYS\x01k\x02TAGS\x01TagA\x02WAIT\x01true\x02"s);
  EXPECT_EQ(*EncodeProperties({}), "");
}

TEST(CommonPropertiesString, DecodesOldJavaCaptureWithTrailingSeparator) {
  // From the reference §4.2: old Java traffic ends every pair with 0x02.
  Properties p = DecodeProperties("TAGS\x01TagA\x02WAIT\x01true\x02KEYS\x01k\x02"s);
  EXPECT_EQ(p, (Properties{{"TAGS", "TagA"}, {"WAIT", "true"}, {"KEYS", "k"}}));
}

TEST(CommonPropertiesString, DecodeDropsWhat498Drops) {
  // Empty name, empty value, no 0x01, too short: dropped. The value keeps any later 0x01.
  Properties p = DecodeProperties(
      "\x01v\x02k\x01\x02noseparator\x02"
      "ab\x02x\x01y\x01z\x02"s);
  EXPECT_EQ(p, (Properties{{"x", "y\x01z"s}}));
  // A repeated name keeps the last value.
  EXPECT_EQ(DecodeProperties("a\x01"
                             "1\x02"
                             "a\x01"
                             "2"s),
            (Properties{{"a", "2"}}));
  EXPECT_TRUE(DecodeProperties("").empty());
  EXPECT_TRUE(DecodeProperties("\x02\x02\x02"s).empty());
}

TEST(CommonPropertiesString, EncodeRejectsWhatDecodeCannotReturn) {
  auto empty_name = EncodeProperties({{"", "v"}});
  EXPECT_EQ(empty_name.status().code(), StatusCode::kInvalidArgument);
  auto bad_name =
      EncodeProperties({{"a\x01"
                         "b"s,
                         "v"}});
  EXPECT_NE(bad_name.status().message().find("separator"), std::string::npos);
  auto bad_value = EncodeProperties({{"k",
                                      "a\x02"
                                      "b"s}});
  EXPECT_EQ(bad_value.status().message(),
            "value of property k contains the property separator 0x02");
  auto empty_value = EncodeProperties({{"k", ""}});
  EXPECT_NE(empty_value.status().message().find("empty value"), std::string::npos);
  // 0x01 inside a value is fine.
  Properties ok = {{"k",
                    "a\x01"
                    "b"s}};
  EXPECT_EQ(DecodeProperties(*EncodeProperties(ok)), ok);
}

TEST(CommonMessage, WellKnownPropertyAccessors) {
  Message m("TopicTest", BytesFromString("body"));
  EXPECT_EQ(m.tags(), "");
  EXPECT_TRUE(m.wait_store_msg_ok());  // missing WAIT means true
  EXPECT_EQ(*m.DelayTimeLevel(), 0);
  EXPECT_FALSE(m.ReconsumeTime()->has_value());

  m.SetTags("TagA");
  m.SetKeys(std::vector<std::string>{"k1", "k2"});
  m.SetWaitStoreMsgOk(false);
  m.SetDelayTimeLevel(3);
  m.SetUniqueKey("C0A8000112342A9F");
  m.PutProperty(kPropertyReconsumeTime, "2");
  m.PutProperty(kPropertyRealQueueId, "1");
  m.PutProperty(kPropertyTransactionPrepared, "TRUE");
  m.PutProperty(kPropertyRetryTopic, "TopicTest");

  EXPECT_EQ(m.tags(), "TagA");
  EXPECT_EQ(m.keys(), "k1 k2");
  EXPECT_EQ(m.KeyList(), (std::vector<std::string>{"k1", "k2"}));
  EXPECT_FALSE(m.wait_store_msg_ok());
  EXPECT_EQ(*m.DelayTimeLevel(), 3);
  EXPECT_EQ(m.unique_key(), "C0A8000112342A9F");
  EXPECT_EQ(**m.ReconsumeTime(), 2);
  EXPECT_EQ(**m.RealQueueId(), 1);
  EXPECT_TRUE(m.transaction_prepared());
  EXPECT_EQ(m.retry_topic(), "TopicTest");
  EXPECT_EQ(m.properties().at("WAIT"), "false");
  EXPECT_EQ(m.properties().at("DELAY"), "3");
  EXPECT_EQ(m.properties().at("UNIQ_KEY"), "C0A8000112342A9F");

  m.SetKeys("  a  b ");
  EXPECT_EQ(m.KeyList(), (std::vector<std::string>{"a", "b"}));

  m.PutProperty(kPropertyDelayTimeLevel, "x");
  auto bad = m.DelayTimeLevel();
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "property DELAY: expected a decimal int, saw \"x\"");

  m.ClearProperty(kPropertyTags);
  EXPECT_FALSE(m.HasProperty("TAGS"));
}

TEST(CommonMessageConst, SystemPropertyNames) {
  EXPECT_TRUE(IsSystemPropertyName("TAGS"));
  EXPECT_TRUE(IsSystemPropertyName("UNIQ_KEY"));
  EXPECT_TRUE(IsSystemPropertyName("CLUSTER"));
  EXPECT_FALSE(IsSystemPropertyName("TRAN_PREPARED_QUEUE_OFFSET"));
  EXPECT_FALSE(IsSystemPropertyName("myProp"));
}

}  // namespace
}  // namespace rmqsim::common
