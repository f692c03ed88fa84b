#include "system/common/stored_message.h"

#include <gtest/gtest.h>

#include "system/common/checksum.h"
#include "system/common/sys_flag.h"

namespace rmqsim::common {
namespace {

using namespace std::string_literals;

// Builds expected bytes by hand, independently of ByteWriter, straight from the §4.1 table.
class Golden {
 public:
  Golden& U8(uint8_t v) {
    b_.push_back(std::byte{v});
    return *this;
  }
  Golden& Be(uint64_t v, int width) {
    for (int i = width - 1; i >= 0; --i) U8(static_cast<uint8_t>(v >> (8 * i)));
    return *this;
  }
  Golden& I16(int16_t v) { return Be(static_cast<uint16_t>(v), 2); }
  Golden& I32(int32_t v) { return Be(static_cast<uint32_t>(v), 4); }
  Golden& I64(int64_t v) { return Be(static_cast<uint64_t>(v), 8); }
  Golden& Str(std::string_view s) {
    for (char c : s) U8(static_cast<uint8_t>(c));
    return *this;
  }
  const Bytes& bytes() const { return b_; }

 private:
  Bytes b_;
};

int32_t I32At(const Bytes& b, size_t off) {
  return LoadI32(b.data() + off);
}
int64_t I64At(const Bytes& b, size_t off) {
  return LoadI64(b.data() + off);
}

MessageExt SmallMessage() {
  MessageExt m;
  m.message.set_topic("TopicTest");
  m.message.set_body(BytesFromString("hello"));
  m.message.set_flag(3);
  m.message.SetTags("TagA");
  m.queue_id = 2;
  m.queue_offset = 41;
  m.commit_log_offset = 0x1000;
  m.sys_flag = 0;
  m.born_timestamp_ms = 1700000000123;
  m.born_host = HostAddress::Ipv4(192, 168, 0, 1, 54321);
  m.store_timestamp_ms = 1700000000456;
  m.store_host = HostAddress::Ipv4(10, 0, 0, 1, 10911);
  m.reconsume_times = 1;
  m.prepared_transaction_offset = 0;
  return m;
}

TEST(CommonStoredMessage, GoldenIpv4LayoutFieldByField) {
  const MessageExt m = SmallMessage();
  auto encoded = EncodeStoredMessage(m);
  ASSERT_TRUE(encoded.ok()) << encoded.status();
  const Bytes& b = *encoded;

  const std::string props = "TAGS\x01TagA"s;  // 9 bytes
  const int32_t total = 91 + 5 + 9 + static_cast<int32_t>(props.size());
  ASSERT_EQ(total, 114);
  ASSERT_EQ(b.size(), 114u);

  // Every documented offset of §4.1 (IPv4 born and store hosts).
  EXPECT_EQ(I32At(b, 0), 114);                               // TOTALSIZE
  EXPECT_EQ(I32At(b, 4), static_cast<int32_t>(0xDAA320A7));  // MAGICCODE
  EXPECT_EQ(I32At(b, 4), -626843481);
  EXPECT_EQ(I32At(b, 8), 0x3610A686);                         // BODYCRC of "hello"
  EXPECT_EQ(I32At(b, 12), 2);                                 // QUEUEID
  EXPECT_EQ(I32At(b, 16), 3);                                 // FLAG
  EXPECT_EQ(I64At(b, 20), 41);                                // QUEUEOFFSET
  EXPECT_EQ(I64At(b, 28), 0x1000);                            // PHYSICALOFFSET
  EXPECT_EQ(I32At(b, 36), 0);                                 // SYSFLAG
  EXPECT_EQ(I64At(b, 40), 1700000000123);                     // BORNTIMESTAMP
  EXPECT_EQ(I32At(b, 48), static_cast<int32_t>(0xC0A80001));  // BORNHOST ip
  EXPECT_EQ(I32At(b, 52), 54321);                             // BORNHOST port
  EXPECT_EQ(I64At(b, 56), 1700000000456);                     // STORETIMESTAMP
  EXPECT_EQ(I32At(b, 64), 0x0A000001);                        // STOREHOST ip
  EXPECT_EQ(I32At(b, 68), 10911);                             // STOREHOST port
  EXPECT_EQ(I32At(b, 72), 1);                                 // RECONSUMETIMES
  EXPECT_EQ(I64At(b, 76), 0);                                 // PREPARED TRANSACTION OFFSET
  EXPECT_EQ(I32At(b, 84), 5);                                 // BODYLEN
  EXPECT_EQ(AsStringView(ByteSpan(b).subspan(88, 5)), "hello");
  EXPECT_EQ(static_cast<int>(b[93]), 9);  // TOPICLEN at 88+B
  EXPECT_EQ(AsStringView(ByteSpan(b).subspan(94, 9)), "TopicTest");
  EXPECT_EQ(static_cast<int>(b[103]) << 8 | static_cast<int>(b[104]), 9);  // PROPLEN at 89+B+T
  EXPECT_EQ(AsStringView(ByteSpan(b).subspan(105, 9)), props);

  // And the whole record, built independently.
  Golden g;
  g.I32(114).I32(-626843481).I32(0x3610A686).I32(2).I32(3).I64(41).I64(0x1000).I32(0);
  g.I64(1700000000123).U8(192).U8(168).U8(0).U8(1).I32(54321);
  g.I64(1700000000456).U8(10).U8(0).U8(0).U8(1).I32(10911);
  g.I32(1).I64(0).I32(5).Str("hello").U8(9).Str("TopicTest").I16(9).Str(props);
  EXPECT_EQ(b, g.bytes());

  EXPECT_EQ(CalMsgLength(0, 5, 9, 9), 114);
  EXPECT_EQ(m.OffsetMsgId(), "0A00000100002A9F0000000000001000");
}

TEST(CommonStoredMessage, DecodeGivesBackEveryField) {
  MessageExt m = SmallMessage();
  Bytes b = *EncodeStoredMessage(m);
  auto d = DecodeStoredMessage(b);
  ASSERT_TRUE(d.ok()) << d.status();
  m.body_crc = 0x3610A686;
  m.store_size = 114;
  EXPECT_EQ(*d, m);
}

TEST(CommonStoredMessage, Ipv6HostsShiftOffsetsAndSetSysFlag) {
  MessageExt m = SmallMessage();
  std::array<uint8_t, 16> ip{};
  ip[0] = 0x20;
  ip[1] = 0x01;
  ip[15] = 0x01;
  m.born_host = HostAddress::Ipv6(ip, 1234);
  m.store_host = HostAddress::Ipv6(ip, 10911);
  Bytes b = *EncodeStoredMessage(m);
  ASSERT_EQ(b.size(), 114u + 24);
  EXPECT_EQ(I32At(b, 0), 138);
  EXPECT_EQ(I32At(b, kSysFlagPosition), kBornHostV6Flag | kStoreHostAddressV6Flag);
  EXPECT_EQ(I32At(b, 48 + 16), 1234);      // born port after 16 ip bytes
  EXPECT_EQ(I64At(b, 68), 1700000000456);  // STORETIMESTAMP at 48 + 20
  EXPECT_EQ(I32At(b, 76 + 16), 10911);     // store port
  EXPECT_EQ(I32At(b, 96), 1);              // RECONSUMETIMES at 72 + 24
  EXPECT_EQ(I32At(b, 108), 5);             // BODYLEN at 84 + 24
  auto d = DecodeStoredMessage(b);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->born_host, m.born_host);
  EXPECT_EQ(d->store_host, m.store_host);
  EXPECT_EQ(d->OffsetMsgId().size(), 56u);
}

TEST(CommonStoredMessage, V2MagicAllowsLongTopics) {
  MessageExt m = SmallMessage();
  m.message.set_topic(std::string(128, 't'));
  auto v1 = EncodeStoredMessage(m);
  ASSERT_FALSE(v1.ok());
  EXPECT_EQ(v1.status().message(), "topic is 128 bytes, the stored layout allows at most 127");
  m.magic_code = kMessageMagicCodeV2;
  auto v2 = EncodeStoredMessage(m);
  ASSERT_TRUE(v2.ok()) << v2.status();
  EXPECT_EQ(v2->size(), static_cast<size_t>(CalMsgLength(0, 5, 128, 9, 2)));
  auto d = DecodeStoredMessage(*v2);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->message.topic(), m.message.topic());
  EXPECT_EQ(d->magic_code, kMessageMagicCodeV2);
}

TEST(CommonStoredMessage, BlankRecord) {
  Bytes blank = EncodeBlankRecord(4096);
  ASSERT_EQ(blank.size(), 8u);
  EXPECT_EQ(I32At(blank, 0), 4096);
  EXPECT_EQ(I32At(blank, 4), -875286124);
  EXPECT_EQ(I32At(blank, 4), static_cast<int32_t>(0xCBD43194));
  auto h = PeekStoredRecordHeader(blank);
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(h->is_blank());
  blank.resize(4096);
  auto rec = DecodeStoredRecord(blank);
  ASSERT_TRUE(rec.ok()) << rec.status();
  EXPECT_TRUE(rec->is_blank);
  EXPECT_EQ(rec->total_size, 4096);
  auto as_msg = DecodeStoredMessage(blank);
  EXPECT_EQ(as_msg.status().code(), StatusCode::kCorruption);
  EXPECT_NE(as_msg.status().message().find("blank end-of-segment marker"), std::string::npos);
}

TEST(CommonStoredMessage, CorruptInputsGiveClearErrors) {
  const Bytes good = *EncodeStoredMessage(SmallMessage());

  Bytes bad_magic = good;
  StoreI32(bad_magic.data() + 4, 0x12345678);
  auto s = DecodeStoredMessage(bad_magic).status();
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_EQ(s.message(),
            "stored record at offset 0: MAGICCODE at offset 4: expected 0xDAA320A7 (message), "
            "0xDAA320AB (5.x message) or 0xCBD43194 (blank), saw 0x12345678");

  Bytes bad_crc = good;
  bad_crc[88] = std::byte{'j'};  // "jello"
  s = DecodeStoredMessage(bad_crc).status();
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find("BODYCRC mismatch: record says 0x3610A686"), std::string::npos) << s;
  DecodeOptions no_crc;
  no_crc.check_crc = false;
  EXPECT_TRUE(DecodeStoredMessage(bad_crc, no_crc).ok());

  Bytes truncated(good.begin(), good.end() - 1);
  s = DecodeStoredMessage(truncated).status();
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_EQ(s.message(),
            "stored record at offset 0: TOTALSIZE 114 runs past the end of the buffer (113 bytes "
            "available)");

  Bytes huge_size = good;
  StoreI32(huge_size.data(), 1 << 30);
  s = DecodeStoredMessage(huge_size).status();
  EXPECT_NE(s.message().find("TOTALSIZE 1073741824 runs past the end"), std::string::npos) << s;

  Bytes tiny_size = good;
  StoreI32(tiny_size.data(), 10);
  s = DecodeStoredMessage(tiny_size).status();
  EXPECT_NE(s.message().find("below the smallest possible record"), std::string::npos) << s;

  Bytes body_past_record = good;
  StoreI32(body_past_record.data() + 84, 1000);  // BODYLEN beyond TOTALSIZE
  s = DecodeStoredMessage(body_past_record).status();
  EXPECT_EQ(s.message(),
            "stored record at offset 0: BODY at offset 88: truncated: needs 1000 bytes, 26 left");

  Bytes negative_body = good;
  StoreI32(negative_body.data() + 84, -1);
  s = DecodeStoredMessage(negative_body).status();
  EXPECT_NE(s.message().find("BODYLEN at offset 84: negative length -1"), std::string::npos) << s;

  Bytes short_topic = good;
  short_topic[93] = std::byte{8};  // TOPICLEN 9 -> 8: the sizes no longer add up
  Bytes padded = short_topic;
  s = DecodeStoredMessage(padded).status();
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_FALSE(s.ok());

  // A record whose TOTALSIZE says more than its fields, padded so the buffer holds it.
  Bytes inflated = good;
  inflated.resize(120);
  StoreI32(inflated.data(), 120);
  s = DecodeStoredMessage(inflated).status();
  EXPECT_EQ(s.message(),
            "stored record at offset 0: TOTALSIZE 120 does not match the fields (body 5, topic 9, "
            "properties 9 bytes imply 114)");

  EXPECT_EQ(DecodeStoredMessage(Bytes(3)).status().message(),
            "stored record at offset 0: TOTALSIZE at offset 0: truncated: needs 4 bytes, 3 left");
}

TEST(CommonStoredMessage, PullBodyIsRecordsBackToBack) {
  Bytes body;
  std::vector<MessageExt> sent;
  for (int i = 0; i < 3; ++i) {
    MessageExt m = SmallMessage();
    m.queue_offset = 41 + i;
    m.commit_log_offset = static_cast<int64_t>(body.size());
    m.message.set_body(BytesFromString("msg-" + std::to_string(i)));
    ASSERT_TRUE(AppendStoredMessage(m, &body).ok());
    sent.push_back(m);
  }
  auto got = DecodeStoredMessages(body);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ((*got)[i].message, sent[i].message);
    EXPECT_EQ((*got)[i].queue_offset, 41 + i);
  }
  EXPECT_TRUE(DecodeStoredMessages({})->empty());

  // Corrupt the second record's magic: the error names it and its byte offset.
  const size_t second = static_cast<size_t>((*got)[0].store_size);
  StoreI32(body.data() + second + 4, 0);
  auto bad = DecodeStoredMessages(body);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().rfind(
                "message #1: stored record at offset " + std::to_string(second) + ": MAGICCODE", 0),
            0u)
      << bad.status();
}

TEST(CommonStoredMessage, EncodeRejectsOversizeProperties) {
  MessageExt m = SmallMessage();
  m.message.PutProperty("big", std::string(32767, 'x'));
  auto s = EncodeStoredMessage(m).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("at most 32767"), std::string::npos) << s;
  m.message.PutProperty("bad",
                        "a\x02"
                        "b"s);
  EXPECT_NE(EncodeStoredMessage(m).status().message().find("stored message properties"),
            std::string::npos);
}

}  // namespace
}  // namespace rmqsim::common
