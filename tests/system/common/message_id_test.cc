#include "system/common/message_id.h"

#include <gtest/gtest.h>

namespace rmqsim::common {
namespace {

constexpr int64_t kHour = 3'600'000;
constexpr int64_t kDay = 24 * kHour;
// 2024-03-01T00:00:00Z: 2024-01-01 (1704067200 s) plus 31 + 29 days.
constexpr int64_t kMarch2024 = 1704067200000 + 60 * kDay;

TEST(CommonOffsetMessageId, GoldenIpv4) {
  // 0A000001 (10.0.0.1) | 00002A9F (10911) | 0000000000001234.
  const HostAddress store = HostAddress::Ipv4(10, 0, 0, 1, 10911);
  EXPECT_EQ(CreateOffsetMessageId(store, 0x1234), "0A00000100002A9F0000000000001234");
  auto id = DecodeOffsetMessageId("0A00000100002A9F0000000000001234");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->store_host, store);
  EXPECT_EQ(id->commit_log_offset, 0x1234);
  EXPECT_EQ(id->store_host.ToString(), "10.0.0.1:10911");
  // Lower-case digits decode too (UtilAll.string2bytes upper-cases first).
  EXPECT_EQ(DecodeOffsetMessageId("0a00000100002a9f0000000000001234")->commit_log_offset, 0x1234);
}

TEST(CommonOffsetMessageId, Ipv6IsFiftySixCharacters) {
  std::array<uint8_t, 16> ip{};
  ip[0] = 0xFE;
  ip[1] = 0x80;
  ip[15] = 0x01;
  const HostAddress store = HostAddress::Ipv6(ip, 10911);
  const std::string id = CreateOffsetMessageId(store, -1);
  EXPECT_EQ(id,
            "FE800000000000000000000000000001"
            "00002A9F"
            "FFFFFFFFFFFFFFFF");
  auto d = DecodeOffsetMessageId(id);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->store_host, store);
  EXPECT_EQ(d->commit_log_offset, -1);
  EXPECT_EQ(store.ToString(), "[fe80:0:0:0:0:0:0:1]:10911");
}

TEST(CommonOffsetMessageId, BadInput) {
  auto bad_hex = DecodeOffsetMessageId("0A00000100002A9F000000000000123Z");
  EXPECT_EQ(bad_hex.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad_hex.status().message(),
            "offset msg id \"0A00000100002A9F000000000000123Z\": bad hex digit 'Z' at position 31 "
            "(expected 0-9, A-F)");
  auto bad_len = DecodeOffsetMessageId("0A000001");
  EXPECT_EQ(bad_len.status().message(),
            "offset msg id \"0A000001\": length 8, expected 32 (IPv4) or 56 (IPv6) hex characters");
  EXPECT_FALSE(DecodeOffsetMessageId("").ok());
}

TEST(CommonUniqId, GoldenLayout) {
  UniqIdFields f;
  f.ip = {192, 168, 0, 1};
  f.pid = 0x1234;
  f.class_loader_hash = 0x2A9F0011;
  f.time_since_month_start_ms = 0x01020304;
  f.counter = 5;
  const std::string id = CreateUniqId(f);
  EXPECT_EQ(id,
            "C0A80001"
            "1234"
            "2A9F0011"
            "01020304"
            "0005");
  auto parsed = ParseUniqId(id);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, f);

  f.pid = 0xFFFF;  // (short) of a large pid; parsed back unsigned as getPidFromID does
  f.counter = 0xFFFF;
  f.class_loader_hash = -1;
  EXPECT_EQ(*ParseUniqId(CreateUniqId(f)), f);

  EXPECT_EQ(ParseUniqId("C0A80001").status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(ParseUniqId("C0A80001"
                        "1234"
                        "2A9F0011"
                        "01020304"
                        "00X5")
                .status()
                .message()
                .find("bad hex digit 'X' at position 30"),
            std::string::npos);
}

TEST(CommonUniqId, Ipv6Length) {
  UniqIdFields f;
  f.ipv6 = true;
  f.ip[15] = 1;
  f.counter = 1;
  const std::string id = CreateUniqId(f);
  EXPECT_EQ(id.size(), kUniqIdLengthIpv6);
  EXPECT_EQ(*ParseUniqId(id), f);
}

TEST(CommonUniqId, MonthArithmetic) {
  EXPECT_EQ(StartOfMonthMillis(kMarch2024), kMarch2024);
  EXPECT_EQ(StartOfMonthMillis(kMarch2024 + 14 * kDay + 12 * kHour), kMarch2024);
  EXPECT_EQ(StartOfMonthMillis(kMarch2024 - 1), kMarch2024 - 29 * kDay);  // Feb 2024 leap
  // UTC+8: 2024-03-01T01:00Z is 09:00 local on March 1; the local month began at 16:00Z Feb 29.
  EXPECT_EQ(StartOfMonthMillis(kMarch2024 + kHour, 8 * kHour), kMarch2024 - 8 * kHour);
  // December -> January.
  const int64_t dec2023 = 1701388800000;  // 2023-12-01T00:00:00Z
  EXPECT_EQ(AddMonthsToMonthStart(dec2023, 1), 1704067200000);
  EXPECT_EQ(AddMonthsToMonthStart(1704067200000, -1), dec2023);
  // Before 1970.
  EXPECT_EQ(StartOfMonthMillis(-1), -31 * kDay);
}

TEST(CommonUniqId, GeneratorFollowsMessageClientIdSetter) {
  UniqIdGenerator gen(HostAddress::Ipv4(192, 168, 0, 1, 0), 0x1234, 0x2A9F0011);
  const int64_t now = kMarch2024 + 14 * kDay + 12 * kHour;
  auto a = *ParseUniqId(gen.Next(now));
  auto b = *ParseUniqId(gen.Next(now));
  EXPECT_EQ(a.time_since_month_start_ms, 14 * kDay + 12 * kHour);
  EXPECT_EQ(a.counter, 0);
  EXPECT_EQ(b.counter, 1);
  EXPECT_EQ(a.pid, 0x1234);
  EXPECT_EQ(NearlyTimeFromUniqId(a, now + 5000), now);

  // Next month: the window moves.
  auto c = *ParseUniqId(gen.Next(kMarch2024 + 31 * kDay + 7));
  EXPECT_EQ(c.time_since_month_start_ms, 7);
  // The clock steps back across the month start by 200 ms: Java clamps the diff to 0.
  auto d = *ParseUniqId(gen.Next(kMarch2024 + 31 * kDay - 200));
  EXPECT_EQ(d.time_since_month_start_ms, 0);
}

TEST(CommonUniqId, NearlyTimeUsesPreviousMonthWhenAhead) {
  UniqIdFields f;
  f.time_since_month_start_ms = static_cast<int32_t>(20 * kDay);
  // now = March 5: March 1 + 20 days is in the future, so it was February.
  EXPECT_EQ(NearlyTimeFromUniqId(f, kMarch2024 + 5 * kDay), kMarch2024 - 29 * kDay + 20 * kDay);
}

}  // namespace
}  // namespace rmqsim::common

namespace rmqsim::common {
namespace {

TEST(CommonHostAddress, ParseAndFormat) {
  auto h = HostAddress::Parse("10.0.0.1:10911");
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(*h, HostAddress::Ipv4(10, 0, 0, 1, 10911));
  EXPECT_EQ(h->ToString(), "10.0.0.1:10911");
  for (const char* bad : {"10.0.0.1", "10.0.0.-1:1", "10.0.0.256:1", "10.0.0:1", "a.b.c.d:1",
                          "10.0.0.1:70000", "10.0.0.1:", "10.0.0.1.5:1"}) {
    auto r = HostAddress::Parse(bad);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(HostAddress::Parse("x:1").status().message(),
            "bad host address \"x:1\": host is not a dotted IPv4 address (expected a.b.c.d:port)");
}

}  // namespace
}  // namespace rmqsim::common
