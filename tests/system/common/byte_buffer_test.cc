#include "system/common/byte_buffer.h"

#include <gtest/gtest.h>

#include "system/common/checksum.h"
#include "system/common/compression.h"

namespace rmqsim::common {
namespace {

TEST(CommonByteBuffer, WritesBigEndianAndReadsBack) {
  Bytes b;
  ByteWriter w(&b);
  w.PutU8(0xAB);
  w.PutI16(-2);
  w.PutI32(0x01020304);
  w.PutI64(-1);
  w.PutString("hi");
  ASSERT_EQ(b.size(), 1u + 2 + 4 + 8 + 2);
  EXPECT_EQ(HexEncodeUpper(b), "ABFFFE01020304FFFFFFFFFFFFFFFF6869");

  ByteReader r(b);
  EXPECT_EQ(*r.ReadU8("u8"), 0xAB);
  EXPECT_EQ(*r.ReadI16("i16"), -2);
  EXPECT_EQ(*r.ReadI32("i32"), 0x01020304);
  EXPECT_EQ(*r.ReadI64("i64"), -1);
  EXPECT_EQ(StringFromBytes(*r.ReadBytes(2, "s")), "hi");
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(CommonByteBuffer, ShortReadNamesFieldOffsetAndSizes) {
  Bytes b = BytesFromString("abc");
  ByteReader r(b, StatusCode::kCorruption, 100);
  ASSERT_TRUE(r.ReadU8("first").ok());
  auto v = r.ReadI32("QUEUEID");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(v.status().message(), "QUEUEID at offset 101: truncated: needs 4 bytes, 2 left");
}

TEST(CommonByteBuffer, HexRoundTripAndErrors) {
  Bytes b = {std::byte{0x00}, std::byte{0x7F}, std::byte{0xFF}};
  EXPECT_EQ(HexEncodeUpper(b), "007FFF");
  EXPECT_EQ(*HexDecode("007fff"), b);
  auto odd = HexDecode("ABC");
  EXPECT_EQ(odd.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(odd.status().message().find("odd length 3"), std::string::npos);
  auto bad = HexDecode("00G1");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "bad hex digit 'G' at position 2 (expected 0-9, A-F)");
}

TEST(CommonChecksum, MasksToThirtyOneBits) {
  EXPECT_EQ(Crc32Masked({}), 0);
  // crc32("hello") = 0x3610A686 (top bit clear).
  EXPECT_EQ(Crc32Masked(AsByteSpan("hello")), 0x3610A686);
  // crc32("123456789") = 0xCBF43926, masked to 0x4BF43926.
  EXPECT_EQ(Crc32Masked(AsByteSpan("123456789")), 0x4BF43926);
  // crc32("a") = 0xE8B7BE43.
  EXPECT_EQ(Crc32Masked(AsByteSpan("a")), 0x68B7BE43);
}

TEST(CommonCompression, ZlibRoundTripAndLimits) {
  std::string text(10000, 'x');
  auto packed = ZlibCompress(AsByteSpan(text), 5);
  ASSERT_TRUE(packed.ok());
  EXPECT_LT(packed->size(), text.size());
  // zlib header: CMF 0x78.
  EXPECT_EQ(static_cast<uint8_t>((*packed)[0]), 0x78);
  auto unpacked = ZlibUncompress(*packed, text.size());
  ASSERT_TRUE(unpacked.ok()) << unpacked.status();
  EXPECT_EQ(StringFromBytes(*unpacked), text);

  auto too_big = ZlibUncompress(*packed, text.size() - 1);
  EXPECT_EQ(too_big.status().code(), StatusCode::kResourceExhausted);

  Bytes truncated(packed->begin(), packed->begin() + packed->size() / 2);
  auto t = ZlibUncompress(truncated, 1 << 20);
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(t.status().message().find("truncated"), std::string::npos) << t.status();

  auto garbage = ZlibUncompress(AsByteSpan("not zlib at all"), 1 << 20);
  EXPECT_EQ(garbage.status().code(), StatusCode::kInvalidArgument);

  EXPECT_EQ(ZlibCompress(AsByteSpan("x"), 10).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace rmqsim::common
