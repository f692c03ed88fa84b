#include "sim/base/trace.h"

#include <gtest/gtest.h>

namespace rmqsim {
namespace {

StampedTraceEvent Ev(int64_t t, std::string node, TraceEvent e) {
  return {MonoFromNanos(t), std::move(node), std::move(e)};
}

TEST(Trace, FormatsDetails) {
  auto e = Ev(1'250'000'000, "broker-a",
              TraceEvent("ConnectionReset", Severity::kWarn).Detail("Peer", "10.0.0.2:10911")
                  .Detail("Bytes", uint64_t{12}));
  EXPECT_EQ(FormatTraceEvent(e),
            "+00:00:01.250 broker-a ConnectionReset [WARN] Peer=10.0.0.2:10911 Bytes=12");
}

TEST(Trace, DigestIsOrderAndValueSensitive) {
  auto a = Ev(1, "n", TraceEvent("A").Detail("X", 1));
  auto b = Ev(2, "n", TraceEvent("B").Detail("X", 1));
  auto b2 = Ev(2, "n", TraceEvent("B").Detail("X", 2));
  TraceDigest d1, d2, d3, d4;
  d1.Add(a); d1.Add(b);
  d2.Add(a); d2.Add(b);
  d3.Add(b); d3.Add(a);
  d4.Add(a); d4.Add(b2);
  EXPECT_EQ(d1.value(), d2.value());
  EXPECT_NE(d1.value(), d3.value());
  EXPECT_NE(d1.value(), d4.value());
  EXPECT_EQ(d1.count(), 2u);
}

TEST(Trace, FindDetail) {
  TraceEvent e("X");
  e.Detail("K", std::string("v"));
  ASSERT_NE(e.Find("K"), nullptr);
  EXPECT_EQ(std::get<std::string>(*e.Find("K")), "v");
  EXPECT_EQ(e.Find("missing"), nullptr);
}

}  // namespace
}  // namespace rmqsim
