#include "sim/runtime/address.h"

#include <gtest/gtest.h>

namespace rmqsim {
namespace {

TEST(Address, ParsesHostPort) {
  auto a = Address::Parse("10.0.0.1:10911");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "10.0.0.1");
  EXPECT_EQ(a->port, 10911);
  EXPECT_EQ(a->ToString(), "10.0.0.1:10911");
  EXPECT_EQ(Address::Parse("localhost:9876")->host, "127.0.0.1");
}

TEST(Address, RejectsBadInputWithClearMessages) {
  for (const char* bad : {"10.0.0.1", "10.0.0.1:", "10.0.0.1:70000", "10.0.0:1", "300.0.0.1:1",
                          "host.example:1", ":1", "10.0.0.1:12a"}) {
    auto a = Address::Parse(bad);
    ASSERT_FALSE(a.ok()) << bad;
    EXPECT_EQ(a.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(a.status().message().find("invalid address"), std::string::npos) << bad;
  }
}

}  // namespace
}  // namespace rmqsim
