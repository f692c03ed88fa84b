#include <gtest/gtest.h>

#include "system/common/batch_body.h"
#include "system/common/consume_queue_entry.h"

namespace rmqsim::common {
namespace {

using namespace std::string_literals;

TEST(CommonBatchBody, GoldenItemLayout) {
  Message m;
  m.set_flag(7);
  m.set_body(BytesFromString("ab"));
  m.PutProperty("KEYS", "k");  // "KEYS\x01k": 6 bytes
  auto body = EncodeBatchBody({m});
  ASSERT_TRUE(body.ok()) << body.status();
  // TOTALSIZE 4+4+4+4 + 4+2 + 2+6 = 30.
  EXPECT_EQ(HexEncodeUpper(*body),
            "0000001E"
            "00000000"
            "00000000"
            "00000007"
            "00000002"
            "6162"
            "0006"
            "4B455953016B");
}

TEST(CommonBatchBody, RoundTripDropsTopic) {
  std::vector<Message> in;
  for (int i = 0; i < 3; ++i) {
    Message m("ignored", BytesFromString(std::string(i * 10, 'x')));
    m.set_flag(i);
    m.SetUniqueKey("ID" + std::to_string(i));
    in.push_back(m);
  }
  auto body = EncodeBatchBody(in);
  ASSERT_TRUE(body.ok());
  auto out = DecodeBatchBody(*body);
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->size(), 3u);
  for (int i = 0; i < 3; ++i) {
    Message expected = in[i];
    expected.set_topic("");
    EXPECT_EQ((*out)[i], expected);
  }
  EXPECT_TRUE(DecodeBatchBody({})->empty());
}

TEST(CommonBatchBody, MalformedBodies) {
  Message m;
  m.set_body(BytesFromString("ab"));
  m.PutProperty("KEYS", "k");
  Bytes two = *EncodeBatchBody({m, m});  // items of 30 bytes at 0 and 30

  Bytes truncated(two.begin(), two.end() - 3);
  auto s = DecodeBatchBody(truncated).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(
      s.message(),
      "batch item #1 at offset 30: PROPERTIES at offset 54: truncated: needs 6 bytes, 3 left");

  Bytes wrong_total = two;
  StoreI32(wrong_total.data(), 31);
  s = DecodeBatchBody(wrong_total).status();
  EXPECT_EQ(s.message(),
            "batch item #0 at offset 0: TOTALSIZE 31 does not match the fields (body 2, properties "
            "6 bytes imply 30)");

  Bytes negative = two;
  StoreI32(negative.data() + 16, -5);
  s = DecodeBatchBody(negative).status();
  EXPECT_NE(s.message().find("BODYLEN at offset 16: negative length -5"), std::string::npos) << s;

  Message big;
  big.PutProperty("p", std::string(40000, 'x'));
  EXPECT_NE(EncodeBatchBody({big}).status().message().find("batch item #0: properties are"),
            std::string::npos);
}

TEST(CommonConsumeQueueEntry, GoldenAndRoundTrip) {
  ConsumeQueueEntry e{0x0102030405060708, 0x11, -1};
  const auto unit = EncodeConsumeQueueEntry(e);
  EXPECT_EQ(HexEncodeUpper(unit),
            "0102030405060708"
            "00000011"
            "FFFFFFFFFFFFFFFF");
  auto d = DecodeConsumeQueueEntry(unit);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, e);
  EXPECT_TRUE(d->IsWritten());
  EXPECT_FALSE(ConsumeQueueEntry{}.IsWritten());

  Bytes file;
  AppendConsumeQueueEntry(e, &file);
  AppendConsumeQueueEntry({200, 114, 2598919}, &file);
  ASSERT_EQ(file.size(), 2 * kConsumeQueueUnitSize);
  EXPECT_EQ(DecodeConsumeQueueEntry(ByteSpan(file).subspan(20))->tags_code, 2598919);

  auto s = DecodeConsumeQueueEntry(ByteSpan(file).first(19)).status();
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_EQ(s.message(), "consume queue entry truncated: needs 20 bytes, 19 available");
}

}  // namespace
}  // namespace rmqsim::common
