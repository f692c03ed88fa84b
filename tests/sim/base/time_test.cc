#include "sim/base/time.h"

#include <gtest/gtest.h>

namespace rmqsim {
namespace {

TEST(Time, ParseDuration) {
  EXPECT_EQ(*ParseDuration("250ms"), milliseconds(250));
  EXPECT_EQ(*ParseDuration("1h30m"), minutes(90));
  EXPECT_EQ(*ParseDuration("0"), Duration::zero());
  EXPECT_EQ(*ParseDuration("2d"), hours(48));
  auto bad = ParseDuration("10 parsecs");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("10 parsecs"), std::string::npos);
  EXPECT_FALSE(ParseDuration("ms").ok());
  EXPECT_FALSE(ParseDuration("5").ok());
}

TEST(Time, Format) {
  EXPECT_EQ(FormatDuration(milliseconds(1500)), "1.500s");
  EXPECT_EQ(FormatDuration(minutes(61) + seconds(2)), "1h01m02.000s");
  EXPECT_EQ(FormatMonoTime(MonoTime(seconds(3723))), "+01:02:03.000");
}

TEST(Time, MonoAndWallAreDistinctTypes) {
  static_assert(!std::is_convertible_v<MonoTime, WallTime>);
  static_assert(!std::is_convertible_v<WallTime, MonoTime>);
  EXPECT_EQ(ToUnixMillis(WallFromUnixMillis(1234)), 1234);
}

}  // namespace
}  // namespace rmqsim
