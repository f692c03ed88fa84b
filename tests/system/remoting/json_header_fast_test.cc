// The JSON header's two decoding paths agree: whenever the fast scanner accepts a header, the
// general path (nlohmann's SAX parser) accepts it too and produces the same command; and the fast
// path does accept what Java's fastjson and ali-ons send, so it is the one normally taken.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

#include "system/remoting/remoting_command.h"

namespace rmqsim::remoting {
namespace {

std::span<const std::byte> AsBytes(const std::string& s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

// Both paths on one text: the fast one may give up, but never disagree.
void ExpectAgree(const std::string& text, bool expect_fast) {
  RemotingCommand fast;
  RemotingCommand general;
  const bool took_fast = DecodeJsonHeaderFast(AsBytes(text), fast);
  const Status st = DecodeJsonHeaderGeneral(AsBytes(text), general);
  if (took_fast) {
    RC_ASSERT(st.ok());
    RC_ASSERT(fast == general);
  }
  if (expect_fast) RC_ASSERT(took_fast);
}

// Pieces that exercise the scanner's edges: escapes, UTF-8 (valid and not), controls, numbers
// of every shape, literals, nesting, whitespace, truncation.
rc::Gen<std::string> ValidPiece() {
  return rc::gen::element<std::string>(
      "a", "Z", "0", " ", "/", "\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t", "\\u0001",
      "\\u0002", "\\u00e9", "\\u20AC", "\\u0000", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80",
      "\x7F", "TopicTest", "code", "extFields");
}
rc::Gen<std::string> InvalidPiece() {
  return rc::gen::element<std::string>("\\uD83D", "\\uDE00", "\\x", "\\u12", "\xC3", "\xED\xA0\x80",
                                       "\xC0\xAF", "\x01", "\t");
}
// Mostly valid strings (so that whole headers are often valid and both paths decode them), now
// and then one bad piece.
rc::Gen<std::string> JsonString() {
  auto piece = rc::gen::weightedOneOf<std::string>({{30, ValidPiece()}, {1, InvalidPiece()}});
  return rc::gen::map(
      rc::gen::mapcat(rc::gen::inRange(0, 8),
                      [piece](int n) {
                        return rc::gen::container<std::vector<std::string>>(
                            static_cast<size_t>(n), piece);
                      }),
      [](const std::vector<std::string>& parts) {
        std::string s = "\"";
        for (const auto& p : parts) s += p;
        return s + "\"";
      });
}

rc::Gen<std::string> Number() {
  return rc::gen::oneOf(
      rc::gen::map(rc::gen::inRange(-1000, 1000), [](int v) { return std::to_string(v); }),
      rc::gen::map(rc::gen::arbitrary<int32_t>(), [](int32_t v) { return std::to_string(v); }),
      rc::gen::map(rc::gen::arbitrary<int64_t>(), [](int64_t v) { return std::to_string(v); }),
      rc::gen::element<std::string>("0", "-0", "00", "01", "-", "1.5", "1e3", "2E-1", "-1.0",
                                    "2147483647", "2147483648", "-2147483648", "-2147483649",
                                    "999999999999999999", "1000000000000000000",
                                    "18446744073709551616"));
}

rc::Gen<std::string> Scalar() {
  return rc::gen::weightedOneOf<std::string>(
      {{6, JsonString()},
       {3, Number()},
       {2, rc::gen::element<std::string>("true", "false", "null")},
       {1, rc::gen::element<std::string>("nul", "tru", "{}", "[]", "[1,{\"a\":2}]",
                                         "{\"x\":{\"y\":1}}")}});
}

rc::Gen<std::string> Ws() { return rc::gen::element<std::string>("", "", " ", "\n\t ", "\r"); }

rc::Gen<std::string> ExtObject() {
  return rc::gen::oneOf(
      rc::gen::element<std::string>("null", "{}", "\"s\"", "3"),
      rc::gen::map(rc::gen::container<std::vector<std::pair<std::string, std::string>>>(
                       3, rc::gen::pair(rc::gen::oneOf(JsonString(), rc::gen::element<std::string>(
                                                                      "\"topic\"", "\"queueId\"")),
                                     Scalar())),
                   [](const std::vector<std::pair<std::string, std::string>>& kv) {
                     std::string s = "{";
                     for (size_t i = 0; i < kv.size(); ++i) {
                       if (i > 0) s += ",";
                       s += kv[i].first + ":" + kv[i].second;
                     }
                     return s + "}";
                   }));
}

rc::Gen<std::string> Header() {
  auto member = rc::gen::oneOf(
      rc::gen::map(rc::gen::tuple(rc::gen::element<std::string>("code", "version", "opaque",
                                                                 "flag"),
                                  rc::gen::oneOf(Number(), Scalar())),
                   [](const auto& t) {
                     return "\"" + std::get<0>(t) + "\":" + std::get<1>(t);
                   }),
      rc::gen::map(rc::gen::oneOf(JsonString(),
                                  rc::gen::element<std::string>("\"JAVA\"", "\"NODE\"", "\"GO\"",
                                                                "\"NOPE\"", "2", "null")),
                   [](const std::string& v) { return "\"language\":" + v; }),
      rc::gen::map(Scalar(), [](const std::string& v) { return "\"remark\":" + v; }),
      rc::gen::map(ExtObject(), [](const std::string& v) { return "\"extFields\":" + v; }),
      rc::gen::map(rc::gen::tuple(JsonString(), Scalar()), [](const auto& t) {
        return std::get<0>(t) + ":" + std::get<1>(t);
      }));
  auto code = rc::gen::weightedOneOf<std::string>(
      {{8, rc::gen::map(rc::gen::inRange(0, 400),
                        [](int v) { return "\"code\":" + std::to_string(v); })},
       {1, rc::gen::just(std::string())}});
  auto trailer = rc::gen::weightedOneOf<std::string>(
      {{8, rc::gen::element<std::string>("", " \n")},
       {1, rc::gen::element<std::string>("x", "}", ",")}});
  return rc::gen::map(
      rc::gen::tuple(rc::gen::mapcat(rc::gen::inRange(0, 6),
                                     [member](int n) {
                                       return rc::gen::container<std::vector<std::string>>(
                                           static_cast<size_t>(n), member);
                                     }),
                     Ws(), Ws(), trailer, code),
      [](const auto& t) {
        auto members = std::get<0>(t);
        if (!std::get<4>(t).empty()) members.insert(members.begin(), std::get<4>(t));
        std::string s = std::get<1>(t) + "{";
        for (size_t i = 0; i < members.size(); ++i) {
          if (i > 0) s += "," + std::get<2>(t);
          s += members[i];
        }
        return s + "}" + std::get<3>(t);
      });
}

RC_GTEST_PROP(JsonHeaderFastTest, FastPathNeverDisagreesWithTheGeneralParser, ()) {
  // Twenty headers per case: cheap, and a disagreement hides in rare combinations.
  for (int i = 0; i < 20; ++i) {
    const std::string text = *Header();
    ExpectAgree(text, false);
    // Truncations too (a frame cut short is a corrupt header for both).
    const size_t cut = *rc::gen::inRange<size_t>(0, text.size() + 1);
    ExpectAgree(text.substr(0, cut), false);
  }
}

RC_GTEST_PROP(JsonHeaderFastTest, FastPathTakesEveryHeaderWeEncode, ()) {
  RemotingCommand c;
  c.code = *rc::gen::arbitrary<int32_t>();
  c.opaque = *rc::gen::arbitrary<int32_t>();
  c.flag = *rc::gen::element(0, 1, 2, 3);
  c.version = *rc::gen::inRange(0, 500);
  c.language = *rc::gen::element(LanguageCode::JAVA, LanguageCode::CPP, LanguageCode::GO,
                                 LanguageCode::OTHER);
  if (*rc::gen::arbitrary<bool>()) c.remark = *rc::gen::arbitrary<std::string>();
  const auto fields = *rc::gen::container<std::vector<std::pair<std::string, std::string>>>(
      rc::gen::pair(rc::gen::arbitrary<std::string>(), rc::gen::arbitrary<std::string>()));
  for (const auto& [k, v] : fields) c.ext_fields[k] = v;
  std::string header;
  AppendJsonHeader(c, header);
  // AppendJsonHeader replaces bytes that are not UTF-8 (Java strings cannot hold them), so the
  // decoded command is compared with the general path, and the fast path must be taken.
  ExpectAgree(header, true);
}

TEST(JsonHeaderFastTest, ClientHeadersTakeTheFastPath) {
  const std::vector<std::string> headers = {
      // Java (fastjson), SEND_MESSAGE_V2 with \u0001/\u0002 property separators.
      R"({"code":310,"extFields":{"a":"pg","b":"TopicTest","c":"TBW102","d":"4","e":"1","f":"0","g":"1700000000000","h":"0","i":"KEYS\u0001k1\u0002TAGS\u0001TagA\u0002","j":"0","k":"false","m":"false"},"flag":0,"language":"JAVA","opaque":7,"serializeTypeCurrentRPC":"JSON","version":395})",
      // ali-ons: JS types in extFields, other key order.
      R"({"code":11,"language":"JAVA","opaque":3,"flag":0,"version":121,"extFields":{"consumerGroup":"cg","topic":"TopicTest","queueId":3,"queueOffset":0,"maxMsgNums":32,"sysFlag":2,"commitOffset":0,"suspendTimeoutMillis":15000,"subscription":"*","subVersion":1700000000000,"expressionType":"TAG","isUnitMode":false}})",
      // A response with a remark and no extFields.
      R"({"code":17,"flag":1,"language":"JAVA","opaque":9,"remark":"topic[T] not exist, apply first please!","serializeTypeCurrentRPC":"JSON","version":395})",
  };
  for (const auto& h : headers) {
    RemotingCommand fast;
    RemotingCommand general;
    ASSERT_TRUE(DecodeJsonHeaderFast(AsBytes(h), fast)) << h;
    ASSERT_TRUE(DecodeJsonHeaderGeneral(AsBytes(h), general).ok()) << h;
    EXPECT_EQ(fast, general) << h;
  }
  RemotingCommand c;
  ASSERT_TRUE(DecodeJsonHeaderFast(AsBytes(headers[1]), c));
  EXPECT_EQ(c.ext_fields.at("queueId"), "3");
  EXPECT_EQ(c.ext_fields.at("isUnitMode"), "false");
  EXPECT_EQ(c.version, 121);
}

TEST(JsonHeaderFastTest, FastPathGivesUpOnWhatItDoesNotCover) {
  for (const std::string h : {
           R"({"code":1.5})",                      // not an integer: general path errors
           R"({"code":1,"remark":{"a":1}})",       // wrong type: general path errors
           R"({"code":1,"x":{"nested":[1,2]}})",   // nested ignored value: general path skips
           R"({"code":1,"remark":"\uD83D\uDE00"})",  // surrogate pair
           R"({"code":1} x)",                      // trailing garbage
           R"({"opaque":1})",                      // no code
           "{\"code\":1,\"remark\":\"\xC3\"}",     // bad UTF-8
       }) {
    RemotingCommand c;
    EXPECT_FALSE(DecodeJsonHeaderFast(AsBytes(h), c)) << h;
  }
}

}  // namespace
}  // namespace rmqsim::remoting
