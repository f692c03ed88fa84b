// RemotingCommand: JSON and ROCKETMQ binary headers, golden bytes built by hand from the
// reference layouts (rocketmq-protocol.md §1.2, §1.5, §1.6), headers shaped like the real
// clients' (Java, C++, Go, ali-ons: real-clients.md §1.3), and the extFields helpers.
#include "system/remoting/remoting_command.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

#include "system/remoting/codes.h"
#include "system/remoting/limits.h"

namespace rmqsim::remoting {
namespace {

using ::testing::HasSubstr;

std::string Bytes(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

// Wraps a header into a frame by hand: length, header word, header, body.
std::string Frame(uint8_t type, const std::string& header, const std::string& body = "") {
  uint32_t length = static_cast<uint32_t>(4 + header.size() + body.size());
  uint32_t word = (uint32_t{type} << 24) | static_cast<uint32_t>(header.size());
  std::string f;
  for (int shift = 24; shift >= 0; shift -= 8) f.push_back(static_cast<char>(length >> shift));
  for (int shift = 24; shift >= 0; shift -= 8) f.push_back(static_cast<char>(word >> shift));
  return f + header + body;
}

StatusOr<RemotingCommand> DecodeJson(const std::string& header, const std::string& body = "") {
  return RemotingCommand::DecodeFrame(AsBytes(Frame(0, header, body)));
}

RemotingCommand RouteRequest() {
  RemotingCommand c =
      RemotingCommand::CreateRequest(RequestCode::GET_ROUTEINFO_BY_TOPIC, {{"topic", "TopicTest"}});
  c.opaque = 7;
  return c;
}

// ------------------------------------------------------------------------------- codes

TEST(CodesTest, NamesAndValues) {
  EXPECT_EQ(RequestCode::SEND_MESSAGE_V2, 310);
  EXPECT_EQ(RequestCode::GET_ROUTEINFO_BY_TOPIC, 105);
  EXPECT_EQ(RequestCode::POP_MESSAGE, 200050);
  EXPECT_EQ(RequestCodeName(310), "SEND_MESSAGE_V2");
  EXPECT_EQ(RequestCodeName(40), "NOTIFY_CONSUMER_IDS_CHANGED");
  EXPECT_EQ(RequestCodeName(200151), "BATCH_ACK_MESSAGE");
  EXPECT_EQ(RequestCodeName(9999), "UNKNOWN");
  EXPECT_EQ(ResponseCodeName(3), "REQUEST_CODE_NOT_SUPPORTED");
  EXPECT_EQ(ResponseCodeName(209), "UPDATE_AND_CREATE_ACL_CONFIG_FAILED");
  EXPECT_EQ(ResponseCode::POLLING_FULL, 209);
  EXPECT_EQ(ResponseCodeName(1500), "GO_AWAY");
  EXPECT_EQ(MQVersion::CURRENT_VERSION, 409);
  EXPECT_EQ(MQVersion::V4_9_4, 401);
  EXPECT_EQ(static_cast<int>(LanguageCode::RUST), 12);
  EXPECT_EQ(LanguageCodeName(LanguageCode::GO), "GO");
  EXPECT_EQ(LanguageCodeName(static_cast<LanguageCode>(99)), "UNKNOWN");
  EXPECT_EQ(ParseLanguageCode("CPP"), LanguageCode::CPP);
  EXPECT_EQ(ParseLanguageCode("cpp"), std::nullopt);  // Enum.valueOf is case-sensitive
  EXPECT_EQ(SerializeTypeName(SerializeType::ROCKETMQ), "ROCKETMQ");
}

// ------------------------------------------------------------------------------- goldens

TEST(RemotingCommandTest, GoldenJsonRouteRequest) {
  // §1.5: fastjson writes bean properties in alphabetical order, nulls left out.
  const std::string header =
      R"({"code":105,"extFields":{"topic":"TopicTest"},"flag":0,"language":"JAVA",)"
      R"("opaque":7,"serializeTypeCurrentRPC":"JSON","version":409})";
  ASSERT_EQ(header.size(), 131u);
  // length = 4 + 131 = 135 = 0x87; header word = type 0 << 24 | 131 (0x83).
  const std::string golden = Bytes({0x00, 0x00, 0x00, 0x87, 0x00, 0x00, 0x00, 0x83}) + header;

  auto encoded = RouteRequest().Encode();
  ASSERT_TRUE(encoded.ok()) << encoded.status();
  EXPECT_EQ(*encoded, golden);

  auto decoded = RemotingCommand::DecodeFrame(AsBytes(golden));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, RouteRequest());
}

TEST(RemotingCommandTest, GoldenBinaryRouteRequest) {
  // §1.6 layout: code(2) language(1) version(2) opaque(4) flag(4) remarkLen(4) extLen(4) entries.
  // clang-format off
  const std::string header = Bytes({
      0x00, 0x69,              // code 105
      0x00,                    // language JAVA
      0x01, 0x99,              // version 409
      0x00, 0x00, 0x00, 0x07,  // opaque 7
      0x00, 0x00, 0x00, 0x00,  // flag 0
      0x00, 0x00, 0x00, 0x00,  // remark length 0 (null)
      0x00, 0x00, 0x00, 0x14,  // extFields length 20 = 2 + 5 + 4 + 9
      0x00, 0x05,              // key length 5
      't', 'o', 'p', 'i', 'c',
      0x00, 0x00, 0x00, 0x09,  // value length 9
      'T', 'o', 'p', 'i', 'c', 'T', 'e', 's', 't',
  });
  // clang-format on
  ASSERT_EQ(header.size(), 41u);
  // length = 4 + 41 = 45 = 0x2D; header word = 1 << 24 | 41 (0x29).
  const std::string golden = Bytes({0x00, 0x00, 0x00, 0x2D, 0x01, 0x00, 0x00, 0x29}) + header;

  RemotingCommand c = RouteRequest();
  c.serialize_type = SerializeType::ROCKETMQ;
  auto encoded = c.Encode();
  ASSERT_TRUE(encoded.ok()) << encoded.status();
  EXPECT_EQ(*encoded, golden);

  auto decoded = RemotingCommand::DecodeFrame(AsBytes(golden));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, c);
}

TEST(RemotingCommandTest, JavaResponseShape) {
  // The exact shape §1.5 quotes for a Java response.
  RemotingCommand request = RouteRequest();
  request.opaque = 0;
  RemotingCommand response = request.CreateResponse(ResponseCode::SUCCESS);
  std::string header;
  AppendJsonHeader(response, header);
  EXPECT_EQ(header,
            R"({"code":0,"flag":1,"language":"JAVA","opaque":0,"serializeTypeCurrentRPC":"JSON",)"
            R"("version":409})");
}

TEST(RemotingCommandTest, CreateResponseCopiesOpaqueAndSerializeType) {
  RemotingCommand request = RouteRequest();
  request.opaque = 12345;
  request.serialize_type = SerializeType::ROCKETMQ;
  request.MarkOneway();
  RemotingCommand r = request.CreateResponse(ResponseCode::TOPIC_NOT_EXIST, "No topic route info");
  EXPECT_EQ(r.opaque, 12345);
  EXPECT_EQ(r.serialize_type, SerializeType::ROCKETMQ);
  EXPECT_TRUE(r.is_response());
  EXPECT_FALSE(r.is_oneway());
  EXPECT_EQ(r.flag, 1);
  EXPECT_EQ(r.code, ResponseCode::TOPIC_NOT_EXIST);
  EXPECT_EQ(r.remark, "No topic route info");
  EXPECT_TRUE(r.ext_fields.empty());
  RemotingCommand standalone = RemotingCommand::CreateResponseCommand(ResponseCode::SYSTEM_ERROR);
  EXPECT_EQ(standalone.flag, 1);
  EXPECT_FALSE(standalone.remark.has_value());
}

TEST(RemotingCommandTest, JsonEscapingLikeFastjson) {
  RemotingCommand c = RemotingCommand::CreateRequest(RequestCode::SEND_MESSAGE_V2);
  c.remark = std::string("q\"b\\s/\b\t\n\f\r") + '\0' + "\x01\x0B\x1F\x7F" + "\xC2\x85" +
             "\xC3\xA9" + "\xE4\xB8\xAD" + "\xF0\x9F\x98\x80";
  c.SetExtField("i", "TAGS\x01TagA\x02KEYS\x01K1\x02");
  c.SetExtField("bad", std::string("a\xFF") + "b\xC3");  // not UTF-8: becomes U+FFFD
  std::string header;
  AppendJsonHeader(c, header);
  EXPECT_THAT(header, HasSubstr(R"("i":"TAGS\u0001TagA\u0002KEYS\u0001K1\u0002")"));
  EXPECT_THAT(header, HasSubstr(R"("remark":"q\"b\\s/\b\t\n\f\r\u0000\u0001\u000B\u001F\u007F)"
                                R"(\u0085)"
                                "\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80\""));
  EXPECT_THAT(header, HasSubstr("\"bad\":\"a\xEF\xBF\xBD"
                                "b\xEF\xBF\xBD\""));
  // And it reads back.
  auto d = DecodeJson(header);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->remark, c.remark);
  EXPECT_EQ(*d->FindExtField("i"), "TAGS\x01TagA\x02KEYS\x01K1\x02");
  EXPECT_EQ(*d->FindExtField("bad"),
            "a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD");
}

TEST(RemotingCommandTest, BodyFollowsHeaderAndIsNotPartOfIt) {
  RemotingCommand c = RouteRequest();
  c.body = std::string("\x00\x01{body}", 8);
  auto e = c.Encode();
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->substr(e->size() - 8), c.body);
  auto d = RemotingCommand::DecodeFrame(AsBytes(*e));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->body, c.body);
}

// ------------------------------------------------------------------------------- real clients

TEST(RemotingCommandTest, DecodesJavaSendMessageV2Sample) {
  // §3.1's illustrative 4.9.8 Java SEND_MESSAGE_V2 header.
  const std::string header =
      R"({"code":310,"extFields":{"a":"pg1","b":"TopicTest","c":"TBW102","d":"4","e":"2","f":"0",)"
      R"("g":"1700000000123","h":"0","i":"TAGS\u0001TagA\u0002UNIQ_KEY\u0001C0A8000112342A9F\u0002)"
      R"(WAIT\u0001true","j":"0","k":"false","m":"false","n":"broker-a"},"flag":0,)"
      R"("language":"JAVA","opaque":17,"serializeTypeCurrentRPC":"JSON","version":409})";
  auto d = DecodeJson(header, "hello");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->code, RequestCode::SEND_MESSAGE_V2);
  EXPECT_EQ(d->opaque, 17);
  EXPECT_EQ(d->version, 409);
  EXPECT_EQ(d->language, LanguageCode::JAVA);
  EXPECT_FALSE(d->remark.has_value());
  EXPECT_EQ(d->ext_fields.size(), 13u);
  EXPECT_EQ(*d->FindExtField("i"),
            "TAGS\x01TagA\x02UNIQ_KEY\x01"
            "C0A8000112342A9F\x02WAIT\x01true");
  EXPECT_EQ(*d->GetRequiredInt64("g"), 1700000000123);
  EXPECT_EQ(*d->GetRequiredInt32("d"), 4);
  EXPECT_EQ(d->body, "hello");
  // Re-encoding gives Java's bytes again (extFields sorted, as fastjson sorts bean keys; the
  // reference's order inside extFields is HashMap order, which happens to be sorted here).
  std::string again;
  AppendJsonHeader(*d, again);
  EXPECT_EQ(again, header);
}

TEST(RemotingCommandTest, DecodesCppClientHeader) {
  // rocketmq-client-cpp: "remark":"" always, no serializeTypeCurrentRPC, several ints as JSON
  // numbers, and empty AccessKey/Signature/OnsChannel.
  const std::string header =
      R"({"code":310,"language":"CPP","version":333,"opaque":5,"flag":0,"remark":"",)"
      R"("extFields":{"a":"pg","b":"TopicTest","c":"TBW102","d":4,"e":0,"f":0,)"
      R"("g":"1700000000000","h":0,"i":"TAGS\u0001TagA\u0002","j":"0","k":"false","l":16,)"
      R"("m":"false","AccessKey":"","Signature":"","OnsChannel":""}})";
  auto d = DecodeJson(header);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->language, LanguageCode::CPP);
  EXPECT_EQ(d->version, MQVersion::V4_6_0);
  ASSERT_TRUE(d->remark.has_value());
  EXPECT_EQ(*d->remark, "");
  EXPECT_EQ(*d->FindExtField("d"), "4");
  EXPECT_EQ(*d->FindExtField("e"), "0");
  EXPECT_EQ(*d->FindExtField("l"), "16");
  EXPECT_EQ(*d->FindExtField("AccessKey"), "");
  EXPECT_EQ(*d->GetRequiredInt32("e"), 0);
  EXPECT_EQ(*d->GetRequiredBool("k"), false);
}

TEST(RemotingCommandTest, DecodesAliOnsHeader) {
  // ali-ons 3.12.0: struct order, version 121, extFields keep their JS types, no remark.
  const std::string header =
      R"({"code":310,"language":"JAVA","opaque":3,"flag":0,"version":121,)"
      R"("extFields":{"a":"PG","b":"TopicTest","c":"TBW102","d":4,"e":3,"f":0,)"
      R"("g":1700000000123,"h":0,"i":"TAGS\u0001TagA\u0002KEYS\u0001KEY0\u0002","j":0,)"
      R"("k":false}})";
  auto d = DecodeJson(header, std::string(1024, 'x'));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->version, MQVersion::V3_4_9);
  EXPECT_EQ(*d->FindExtField("k"), "false");
  EXPECT_EQ(*d->FindExtField("g"), "1700000000123");
  EXPECT_EQ(*d->GetRequiredInt64("g"), 1700000000123);
  EXPECT_EQ(*d->GetRequiredInt32("e"), 3);
  EXPECT_EQ(*d->FindExtField("i"), "TAGS\x01TagA\x02KEYS\x01KEY0\x02");
  EXPECT_EQ(d->body.size(), 1024u);
  // ali-ons "oneway" UPDATE_CONSUMER_OFFSET has flag 0: a normal request.
  EXPECT_FALSE(d->is_oneway());
}

TEST(RemotingCommandTest, DecodesGoClientHeader) {
  const std::string header =
      R"({"code":105,"language":"GO","version":317,"opaque":1,"flag":0,"remark":"",)"
      R"("extFields":{"topic":"TopicTest"}})";
  auto d = DecodeJson(header);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->language, LanguageCode::GO);
  EXPECT_EQ(*d->FindExtField("topic"), "TopicTest");
}

TEST(RemotingCommandTest, LiberalJsonReading) {
  // Any key order, unknown keys (of any shape) ignored, nulls read as absent, missing optional
  // fields at Java's defaults, numbers of any form kept as their text.
  const std::string header =
      R"( { "flag" : 2 , "x":{"deep":[1,[2,{"z":null}],"s"]}, "remark":null, "code":34,)"
      R"("serializeTypeCurrentRPC":"ROCKETMQ", "extFields":{"n":null,"f":1.50,"neg":-7,)"
      R"("big":18446744073709551615,"t":true}, "language":"KOTLIN", "y":[] } )";
  auto d = DecodeJson(header);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->code, RequestCode::HEART_BEAT);
  EXPECT_TRUE(d->is_oneway());
  EXPECT_EQ(d->version, 0);  // Java's default when absent
  EXPECT_EQ(d->opaque, 0);
  EXPECT_EQ(d->language, LanguageCode::OTHER);  // unknown names are accepted
  EXPECT_FALSE(d->remark.has_value());
  EXPECT_EQ(d->FindExtField("n"), nullptr);
  EXPECT_EQ(*d->FindExtField("f"), "1.50");
  EXPECT_EQ(*d->FindExtField("neg"), "-7");
  EXPECT_EQ(*d->FindExtField("big"), "18446744073709551615");
  EXPECT_EQ(*d->FindExtField("t"), "true");
  EXPECT_EQ(d->serialize_type, SerializeType::JSON);  // the frame's type byte decides

  auto numeric_language = DecodeJson(R"({"code":1,"language":9})");
  ASSERT_TRUE(numeric_language.ok());
  EXPECT_EQ(numeric_language->language, LanguageCode::GO);
}

struct BadJsonCase {
  std::string header;
  std::string expected;
};

TEST(RemotingCommandTest, BadJsonHeadersAreClearErrors) {
  const std::vector<BadJsonCase> cases = {
      {R"({"code":105,"opaque":)", "not valid JSON"},
      {"", "not valid JSON"},
      {R"({"code":105} trailing)", "not valid JSON"},
      {R"([1,2])", "top-level JSON value is an array"},
      {R"("text")", "top-level JSON value is a string"},
      {R"({"code":"105"})", R"(field "code" must be an integer, got a string)"},
      {R"({"code":105.5})", R"(field "code" must be an integer, got a non-integer number 105.5)"},
      {R"({"code":true})", R"(field "code" must be an integer, got a boolean)"},
      {R"({"code":[105]})", R"(field "code" must be an integer, got an array)"},
      {R"({"opaque":1})", R"(no integer "code")"},
      {R"({"code":null})", R"(no integer "code")"},
      {R"({"code":1,"opaque":2147483648})", R"(field "opaque" value 2147483648 is out of)"},
      {R"({"code":1,"flag":-2147483649})", R"(field "flag" value -2147483649 is out of)"},
      {R"({"code":1,"remark":5})", R"(field "remark" must be a string, got a number)"},
      {R"({"code":1,"language":{}})", R"(field "language" must be a language name)"},
      {R"({"code":1,"extFields":[]})", R"(field "extFields" must be an object, got an array)"},
      {R"({"code":1,"extFields":"a=b"})", R"(field "extFields" must be an object, got a string)"},
      {R"({"code":1,"extFields":{"k":{"x":1}}})", R"(extFields value for key "k" is an object)"},
      {R"({"code":1,"extFields":{"k":[1]}})", R"(extFields value for key "k" is an array)"},
      {"{\"code\":1,\"remark\":\"\xFF\"}", "not valid JSON"},  // ill-formed UTF-8
  };
  for (const auto& c : cases) {
    auto d = DecodeJson(c.header);
    ASSERT_FALSE(d.ok()) << c.header;
    EXPECT_EQ(d.status().code(), StatusCode::kCorruption) << c.header;
    EXPECT_THAT(d.status().message(), HasSubstr(c.expected)) << c.header;
    EXPECT_THAT(d.status().message(), HasSubstr("JSON header")) << c.header;
  }
}

// ------------------------------------------------------------------------------- binary

TEST(RemotingCommandTest, BinaryNullsAndSignedShorts) {
  RemotingCommand c = RouteRequest();
  c.serialize_type = SerializeType::ROCKETMQ;
  c.remark = "";                                // encodes as length 0 ...
  c.SetExtField("empty", "");                   // ... and so does this value
  c.language = static_cast<LanguageCode>(200);  // unknown bytes survive
  auto d = RemotingCommand::DecodeFrame(AsBytes(*c.Encode()));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_FALSE(d->remark.has_value());  // ... which Java reads as null
  EXPECT_EQ(d->FindExtField("empty"), nullptr);
  EXPECT_EQ(d->language, static_cast<LanguageCode>(200));

  c.code = 32768;  // POP codes do not fit the 16-bit code
  auto too_big = c.Encode();
  ASSERT_FALSE(too_big.ok());
  EXPECT_EQ(too_big.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(too_big.status().message(), HasSubstr("code 32768 does not fit"));
  c.code = -1;  // Java's getShort sign-extends; we do the same both ways
  d = RemotingCommand::DecodeFrame(AsBytes(*c.Encode()));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->code, -1);
}

TEST(RemotingCommandTest, BadBinaryHeadersAreClearErrors) {
  auto fixed = [](int remark_len) {
    return Bytes({0x00, 0x69, 0x00, 0x01, 0x99, 0, 0, 0, 7, 0, 0, 0, 0, (remark_len >> 24) & 0xFF,
                  (remark_len >> 16) & 0xFF, (remark_len >> 8) & 0xFF, remark_len & 0xFF});
  };
  struct Case {
    std::string header;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {Bytes({0x00, 0x69, 0x00}), "the fixed fields (code..remarkLength) needs 17 bytes"},
      {fixed(-1), "remark length -1 at offset 13 exceeds"},
      {fixed(100) + "abc", "remark length 100 at offset 13 exceeds the 3 header bytes left"},
      {fixed(0), "extFieldsLength needs 4 bytes at offset 17 but only 0 remain"},
      {fixed(0) + Bytes({0, 0, 0, 50}), "extFields length 50 at offset 17 exceeds the 0"},
      {fixed(0) + Bytes({0, 0, 0, 1, 0}), "an extFields key length needs 2 bytes at offset 21"},
      {fixed(0) + Bytes({0, 0, 0, 3, 0, 9, 'k'}), "extFields key length 9 at offset 21"},
      {fixed(0) + Bytes({0, 0, 0, 5, 0, 1, 'k', 0, 0}),
       "the value length of extFields key \"k\" needs 4 bytes"},
      {fixed(0) + Bytes({0, 0, 0, 8, 0, 1, 'k', 0x7F, 0, 0, 0, 'v'}),
       "value length 2130706432 of extFields key \"k\""},
  };
  for (const auto& c : cases) {
    auto d = RemotingCommand::DecodeFrame(AsBytes(Frame(1, c.header)));
    ASSERT_FALSE(d.ok()) << ::testing::PrintToString(c.header);
    EXPECT_EQ(d.status().code(), StatusCode::kCorruption);
    EXPECT_THAT(d.status().message(), HasSubstr("ROCKETMQ binary header"));
    EXPECT_THAT(d.status().message(), HasSubstr(c.expected));
  }
  // Bytes after the extFields block are ignored, as Java ignores them.
  auto trailing =
      RemotingCommand::DecodeFrame(AsBytes(Frame(1, fixed(0) + Bytes({0, 0, 0, 0, 9}))));
  EXPECT_TRUE(trailing.ok()) << trailing.status();
}

// ------------------------------------------------------------------------------- frame level

TEST(RemotingCommandTest, FrameLevelErrors) {
  auto unknown_type = RemotingCommand::DecodeFrame(AsBytes(Frame(2, "{}")));
  ASSERT_FALSE(unknown_type.ok());
  EXPECT_EQ(unknown_type.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(unknown_type.status().message(), HasSubstr("unknown serialization type 2"));

  std::string f = Frame(0, R"({"code":1})");
  f[7] = 0x7F;  // header length 127 > 4 + 10 - 4
  auto bad_header_length = RemotingCommand::DecodeFrame(AsBytes(f));
  ASSERT_FALSE(bad_header_length.ok());
  EXPECT_EQ(bad_header_length.status().code(), StatusCode::kCorruption);
  EXPECT_THAT(bad_header_length.status().message(),
              HasSubstr("header length 127 exceeds frame length - 4 = 10"));

  auto mismatch = RemotingCommand::DecodeFrame(AsBytes(Frame(0, R"({"code":1})") + "x"));
  EXPECT_EQ(mismatch.status().code(), StatusCode::kInvalidArgument);
}

TEST(RemotingCommandTest, EncodeRefusesFramesOverTheLimit) {
  RemotingCommand c = RemotingCommand::CreateRequest(RequestCode::SEND_MESSAGE);
  std::string header;
  AppendJsonHeader(c, header);
  // length = 4 + header + body: exactly the largest legal value ...
  c.body.assign(limits::kFrameLengthMax - 4 - header.size(), 'b');
  auto at_limit = c.Encode();
  ASSERT_TRUE(at_limit.ok()) << at_limit.status();
  EXPECT_EQ(at_limit->size(), size_t{limits::kFrameBytesMax});
  EXPECT_EQ(static_cast<uint8_t>((*at_limit)[0]), 0x00);
  EXPECT_EQ(static_cast<uint8_t>((*at_limit)[1]), 0xFF);
  EXPECT_EQ(static_cast<uint8_t>((*at_limit)[2]), 0xFF);
  EXPECT_EQ(static_cast<uint8_t>((*at_limit)[3]), 0xFC);  // 16777212
  // ... and one byte more is refused.
  c.body.push_back('b');
  std::string out = "keep";
  Status s = c.EncodeTo(out);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("frame length 16777213"));
  EXPECT_THAT(s.message(), HasSubstr("exceeds the limit 16777212"));
  EXPECT_EQ(out, "keep");  // nothing appended on failure
}

// ------------------------------------------------------------------------------- extFields

TEST(RemotingCommandTest, TypedExtFieldReads) {
  RemotingCommand c;
  c.SetExtField("topic", "TopicTest");
  c.SetExtFieldInt("queueId", 3);
  c.SetExtFieldInt("offset", -1700000000000);
  c.SetExtFieldBool("unitMode", false);
  c.SetExtField("plus", "+5");
  c.SetExtField("upper", "TRUE");
  c.SetExtField("yes", "yes");
  c.SetExtField("overflow", "2147483648");
  c.SetExtField("junk", "12a");
  c.SetExtField("empty", "");
  c.SetExtField("spaced", " 1");

  EXPECT_EQ(*c.GetRequiredString("topic"), "TopicTest");
  EXPECT_EQ(*c.GetRequiredInt32("queueId"), 3);
  EXPECT_EQ(*c.FindExtField("offset"), "-1700000000000");
  EXPECT_EQ(*c.GetRequiredInt64("offset"), -1700000000000);
  EXPECT_EQ(*c.GetRequiredInt32("plus"), 5);
  EXPECT_EQ(*c.GetRequiredBool("upper"), true);
  EXPECT_EQ(*c.GetRequiredBool("yes"), false);
  EXPECT_EQ(*c.GetRequiredBool("unitMode"), false);
  EXPECT_EQ(*c.GetRequiredInt64("overflow"), 2147483648);

  auto missing = c.GetRequiredInt32("consumerGroup");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(missing.status().message(), "the custom field <consumerGroup> is null");
  EXPECT_EQ(c.GetRequiredString("x").status().message(), "the custom field <x> is null");
  EXPECT_EQ(c.GetRequiredBool("x").status().message(), "the custom field <x> is null");

  for (const char* key : {"overflow", "junk", "empty", "spaced"}) {
    auto bad = c.GetRequiredInt32(key);
    ASSERT_FALSE(bad.ok()) << key;
    EXPECT_THAT(bad.status().message(), HasSubstr(std::string("<") + key + "> has an invalid int"));
  }
  EXPECT_THAT(c.GetRequiredInt64("junk").status().message(),
              HasSubstr("has an invalid long value \"12a\""));

  EXPECT_EQ(c.GetOptionalString("nope"), std::nullopt);
  EXPECT_EQ(c.GetOptionalString("topic"), "TopicTest");
  auto opt = c.GetOptionalInt32("nope");
  ASSERT_TRUE(opt.ok());
  EXPECT_FALSE(opt->has_value());
  EXPECT_EQ(**c.GetOptionalInt32("queueId"), 3);
  EXPECT_FALSE(c.GetOptionalInt32("junk").ok());
  EXPECT_EQ(**c.GetOptionalInt64("offset"), -1700000000000);
  EXPECT_EQ(c.GetOptionalBool("nope"), std::nullopt);
  EXPECT_EQ(c.GetOptionalBool("upper"), true);

  EXPECT_EQ(ParseJavaInt("-2147483648"), std::numeric_limits<int32_t>::min());
  EXPECT_EQ(ParseJavaInt("+-1"), std::nullopt);
  EXPECT_EQ(ParseJavaInt("-"), std::nullopt);
  EXPECT_EQ(ParseJavaLong("9223372036854775807"), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(ParseJavaLong("9223372036854775808"), std::nullopt);
}

// ------------------------------------------------------------------------------- properties

// Arbitrary commands that survive a round trip in `type`: for the binary format, 16-bit code
// and version and no empty remark or values (those read back as Java null).
rc::Gen<RemotingCommand> ArbitraryCommand(SerializeType type) {
  const bool binary = type == SerializeType::ROCKETMQ;
  auto text = [binary]() {
    // JSON strings must be well-formed UTF-8 to survive; mix ASCII, controls and multibyte.
    auto ch = rc::gen::oneOf(rc::gen::inRange<int>(0, 0x80),
                             rc::gen::element<int>(0xE9, 0x85, 0x4E2D, 0x1F600));
    return rc::gen::map(rc::gen::container<std::vector<int>>(ch), [binary](std::vector<int> cps) {
      std::string s;
      for (int cp : cps) {
        if (cp < 0x80) {
          s.push_back(static_cast<char>(cp));
        } else if (cp < 0x800) {
          s.push_back(static_cast<char>(0xC0 | (cp >> 6)));
          s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        } else if (cp < 0x10000) {
          s.push_back(static_cast<char>(0xE0 | (cp >> 12)));
          s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
          s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        } else {
          s.push_back(static_cast<char>(0xF0 | (cp >> 18)));
          s.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
          s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
          s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        }
      }
      if (binary && s.empty()) s = "x";
      return s;
    });
  };
  return rc::gen::exec([=] {
    RemotingCommand c;
    c.serialize_type = type;
    c.code = binary ? *rc::gen::inRange<int32_t>(-32768, 32768) : *rc::gen::arbitrary<int32_t>();
    c.version = binary ? *rc::gen::inRange<int32_t>(-32768, 32768) : *rc::gen::arbitrary<int32_t>();
    c.language = static_cast<LanguageCode>(*rc::gen::inRange<int>(0, 13));
    c.opaque = *rc::gen::arbitrary<int32_t>();
    c.flag = *rc::gen::arbitrary<int32_t>();
    if (*rc::gen::arbitrary<bool>()) c.remark = *text();
    const int n = *rc::gen::inRange(0, 6);
    for (int i = 0; i < n; ++i) c.ext_fields[*text()] = *text();
    c.body = *rc::gen::arbitrary<std::string>();
    return c;
  });
}

RC_GTEST_PROP(RemotingCommandProperty, JsonRoundTrip, ()) {
  RemotingCommand c = *ArbitraryCommand(SerializeType::JSON);
  auto e = c.Encode();
  RC_ASSERT(e.ok());
  auto d = RemotingCommand::DecodeFrame(AsBytes(*e));
  RC_ASSERT(d.ok());
  RC_ASSERT(*d == c);
}

RC_GTEST_PROP(RemotingCommandProperty, BinaryRoundTrip, ()) {
  RemotingCommand c = *ArbitraryCommand(SerializeType::ROCKETMQ);
  auto e = c.Encode();
  RC_ASSERT(e.ok());
  auto d = RemotingCommand::DecodeFrame(AsBytes(*e));
  RC_ASSERT(d.ok());
  RC_ASSERT(*d == c);
}

RC_GTEST_PROP(RemotingCommandProperty, ArbitraryBytesNeverCrashTheDecoder,
              (const std::string& header, uint8_t type)) {
  auto d = RemotingCommand::DecodeFrame(AsBytes(Frame(type % 3, header)));
  if (d.ok()) {
    // Whatever decodes re-encodes and decodes to the same command.
    auto e = d->Encode();
    RC_ASSERT(e.ok());
    auto again = RemotingCommand::DecodeFrame(AsBytes(*e));
    RC_ASSERT(again.ok());
    RC_ASSERT(*again == *d);
  } else {
    RC_ASSERT(!d.status().message().empty());
  }
}

}  // namespace
}  // namespace rmqsim::remoting
