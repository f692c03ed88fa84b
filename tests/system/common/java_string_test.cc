#include "system/common/java_string.h"

#include <gtest/gtest.h>

#include <climits>

namespace rmqsim::common {
namespace {

// Java's formula, spelled out for ASCII so the expected values are computed, not copied.
int32_t ReferenceHash(std::string_view ascii) {
  int32_t h = 0;
  for (char c : ascii) h = static_cast<int32_t>(31u * static_cast<uint32_t>(h) + c);
  return h;
}

TEST(CommonJavaStringHashCode, KnownValues) {
  EXPECT_EQ(JavaStringHashCode(""), 0);
  // 'T'=84: ((84*31 + 97)*31 + 103)*31 + 65.
  EXPECT_EQ(JavaStringHashCode("TagA"), ((84 * 31 + 97) * 31 + 103) * 31 + 65);
  EXPECT_EQ(JavaStringHashCode("TagA"), 2598919);
  EXPECT_EQ(JavaStringHashCode("hello"), 99162322);
  EXPECT_EQ(JavaStringHashCode("TagB"), ReferenceHash("TagB"));
  // The classic string whose hashCode is Integer.MIN_VALUE (32-bit wraparound).
  EXPECT_EQ(JavaStringHashCode("polygenelubricants"), INT32_MIN);
}

TEST(CommonJavaStringHashCode, HashesUtf16CodeUnits) {
  // U+00E9 is one UTF-16 unit (two UTF-8 bytes).
  EXPECT_EQ(JavaStringHashCode("\xC3\xA9"), 0xE9);
  // U+4E2D U+6587: 0x4E2D * 31 + 0x6587.
  EXPECT_EQ(JavaStringHashCode("\xE4\xB8\xAD\xE6\x96\x87"), 0x4E2D * 31 + 0x6587);
  // U+1F600 is the surrogate pair D83D DE00 in Java.
  EXPECT_EQ(JavaStringHashCode("\xF0\x9F\x98\x80"), 0xD83D * 31 + 0xDE00);
  // Malformed bytes decode to U+FFFD as Java's decoder would.
  EXPECT_EQ(JavaStringHashCode("\xFF"), 0xFFFD);
  EXPECT_EQ(Utf8ToJavaUtf16("a\xE4\xB8"
                            "b"),
            (std::u16string{u'a', 0xFFFD, u'b'}));
  EXPECT_EQ(Utf8ToJavaUtf16("\xE0\x80\x80"), (std::u16string{0xFFFD, 0xFFFD, 0xFFFD}));
}

TEST(CommonTagsCode, SignExtendsAndZeroForEmpty) {
  EXPECT_EQ(TagsCode(""), 0);
  EXPECT_EQ(TagsCode("TagA"), 2598919);
  EXPECT_EQ(TagsCode("polygenelubricants"), static_cast<int64_t>(INT32_MIN));
  EXPECT_LT(TagsCode("polygenelubricants"), 0);
}

TEST(CommonJavaString, TrimAndParse) {
  EXPECT_EQ(JavaTrim("  \t TagA \n"), "TagA");
  EXPECT_EQ(JavaTrim("   "), "");
  EXPECT_EQ(*ParseJavaInt("42", "x"), 42);
  EXPECT_EQ(*ParseJavaInt("+7", "x"), 7);
  EXPECT_EQ(*ParseJavaInt("-2147483648", "x"), INT32_MIN);
  EXPECT_FALSE(ParseJavaInt("2147483648", "x").ok());
  EXPECT_FALSE(ParseJavaInt("", "x").ok());
  EXPECT_FALSE(ParseJavaInt("+-1", "x").ok());
  EXPECT_FALSE(ParseJavaInt(" 1", "x").ok());
  auto bad = ParseJavaInt("3a", "property DELAY");
  EXPECT_EQ(bad.status().message(), "property DELAY: expected a decimal int, saw \"3a\"");
  EXPECT_EQ(*ParseJavaLong("-9223372036854775808", "x"), INT64_MIN);
  EXPECT_TRUE(ParseJavaBoolean("TRUE"));
  EXPECT_TRUE(ParseJavaBoolean("true"));
  EXPECT_FALSE(ParseJavaBoolean("yes"));
  EXPECT_FALSE(ParseJavaBoolean(""));
}

}  // namespace
}  // namespace rmqsim::common
