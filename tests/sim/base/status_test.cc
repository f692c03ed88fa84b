#include "sim/base/status.h"

#include <gtest/gtest.h>

namespace rmqsim {
namespace {

TEST(Status, OkByDefault) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(Status, CarriesCodeAndMessage) {
  Status s = NoSpaceError("disk full");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNoSpace);
  EXPECT_EQ(s.ToString(), "NO_SPACE: disk full");
  EXPECT_EQ(s.WithContext("append commitlog").ToString(), "NO_SPACE: append commitlog: disk full");
}

StatusOr<int> Half(int x) {
  if (x % 2 != 0) return InvalidArgumentError("odd");
  return x / 2;
}

StatusOr<int> Quarter(int x) {
  RMQ_ASSIGN_OR_RETURN(int h, Half(x));
  RMQ_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

TEST(StatusOr, ValueOrError) {
  EXPECT_EQ(*Quarter(8), 2);
  auto bad = Quarter(6);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
}

TEST(StatusOrDeathTest, ValueOfErrorAborts) {
  EXPECT_DEATH({ (void)Half(3).value(); }, "value\\(\\) of a failed StatusOr");
}

}  // namespace
}  // namespace rmqsim
