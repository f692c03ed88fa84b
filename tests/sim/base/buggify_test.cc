#include "sim/base/buggify.h"

#include <gtest/gtest.h>

namespace rmqsim {
namespace {

TEST(Buggify, DisabledNeverFires) {
  BuggifyRegistry r(1, {.enabled = false});
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(r.Check("site", 1.0));
}

TEST(Buggify, SitesAreEnabledPerRunAndFireWithTheirProbability) {
  int active_sites = 0;
  for (int site = 0; site < 200; ++site) {
    BuggifyRegistry r(static_cast<uint64_t>(site), {.enabled = true,
                                                    .site_enable_probability = 0.25});
    int fired = 0;
    for (int i = 0; i < 100; ++i) fired += r.Check("s", 0.5) ? 1 : 0;
    if (fired > 0) {
      ++active_sites;
      EXPECT_GT(fired, 25);  // an active site fires about half the time
      EXPECT_LT(fired, 75);
    }
  }
  EXPECT_GT(active_sites, 25);  // about a quarter of 200
  EXPECT_LT(active_sites, 80);
}

TEST(Buggify, SameSeedSameDecisions) {
  BuggifyRegistry a(5, {.enabled = true}), b(5, {.enabled = true});
  for (int i = 0; i < 500; ++i) {
    std::string site = "f.cc:" + std::to_string(i % 17);
    EXPECT_EQ(a.Check(site, 0.3), b.Check(site, 0.3));
  }
  EXPECT_EQ(a.sites_seen(), 17u);
}

}  // namespace
}  // namespace rmqsim
