// Swarm variants: valid for every library file and many seeds, a function of the seed alone,
// varied across seeds, and respectful of what a scenario file pins.
#include "scenarios/runner/swarm.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "scenarios/runner/scenario_file.h"

namespace rmqsim::scenarios {
namespace {

std::string Library(const std::string& name) {
  return std::string(RMQSIM_SOURCE_DIR) + "/scenarios/library/" + name + ".textproto";
}

TEST(SwarmTest, EveryLibraryFileGivesValidVariantsForManySeeds) {
  for (const char* name : {"chaos", "master_failover_sync", "master_failover_async",
                           "slave_destroyed", "heartbeat_drop", "namesrv_loss", "producer_cut",
                           "power_loss_matrix", "clock_jumps", "consumer_rebalance",
                           "broadcasting", "pull_consumers"}) {
    auto base = LoadScenarioFile(Library(name));
    ASSERT_TRUE(base.ok()) << base.status().message();
    for (uint64_t seed = 0; seed < 60; ++seed) {
      auto v = ApplySwarm(*base, seed);
      ASSERT_TRUE(v.ok()) << name << " seed " << seed << ": " << v.status().message();
      EXPECT_FALSE(v->drawn.empty());
      // No SYNC_MASTER without a slave (it never answers SEND_OK).
      for (const auto& g : v->scenario.topology().broker_groups()) {
        if (v->topology_drawn && g.role() == scenario::SYNC_MASTER) {
          EXPECT_GT(g.slaves(), 0);
        }
      }
    }
  }
}

TEST(SwarmTest, TheSeedAloneDecidesTheVariant) {
  auto base = LoadScenarioFile(Library("chaos"));
  ASSERT_TRUE(base.ok());
  std::set<std::string> variants;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    auto a = ApplySwarm(*base, seed);
    auto b = ApplySwarm(*base, seed);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(ScenarioToText(a->scenario), ScenarioToText(b->scenario));
    EXPECT_EQ(a->drawn, b->drawn);
    variants.insert(ScenarioToText(a->scenario));
  }
  EXPECT_EQ(variants.size(), 20u) << "different seeds should draw different variants";
}

TEST(SwarmTest, DrawsTopologyKnobsAndFaultMixWithinRanges) {
  auto base = LoadScenarioFile(Library("chaos"));
  ASSERT_TRUE(base.ok());
  std::set<int> name_servers, groups, slaves;
  std::set<std::string> long_polling;
  std::set<int> kinds_counts;
  for (uint64_t seed = 0; seed < 200; ++seed) {
    auto v = ApplySwarm(*base, seed);
    ASSERT_TRUE(v.ok());
    const auto& s = v->scenario;
    ASSERT_TRUE(v->topology_drawn);
    name_servers.insert(s.topology().name_servers());
    groups.insert(s.topology().broker_groups_size());
    for (const auto& g : s.topology().broker_groups()) slaves.insert(g.slaves());
    const auto& conf = s.topology().broker_conf();
    ASSERT_EQ(conf.count("flushIntervalCommitLog"), 1u);
    const int flush = std::stoi(conf.at("flushIntervalCommitLog"));
    EXPECT_GE(flush, 100);
    EXPECT_LE(flush, 1000);
    EXPECT_EQ(s.checks().routes().register_interval(),
              conf.at("registerNameServerPeriod") + "ms");
    long_polling.insert(conf.at("longPollingEnable"));
    ASSERT_TRUE(s.faults().nemesis().enabled());
    EXPECT_GE(s.faults().nemesis().kinds_size(), 1);
    kinds_counts.insert(s.faults().nemesis().kinds_size());
    for (const auto& t : s.workload().topics()) {
      EXPECT_GE(t.queues(), 1);
      EXPECT_LE(t.queues(), 8);
    }
  }
  EXPECT_EQ(name_servers, (std::set<int>{1, 2, 3}));
  EXPECT_EQ(groups, (std::set<int>{1, 2, 3}));
  EXPECT_EQ(slaves, (std::set<int>{0, 1, 2}));
  EXPECT_EQ(long_polling, (std::set<std::string>{"false", "true"}));
  EXPECT_GT(kinds_counts.size(), 5u) << "the fault mix should vary in size";
}

TEST(SwarmTest, KeepsWhatTheFileSetsAndTopologiesItNames) {
  // heartbeat_drop names its targets: its topology stays; a pinned key stays.
  auto base = LoadScenarioFile(Library("heartbeat_drop"),
                               {"topology.broker_conf[flushIntervalCommitLog]=777"});
  ASSERT_TRUE(base.ok()) << base.status().message();
  for (uint64_t seed = 0; seed < 20; ++seed) {
    auto v = ApplySwarm(*base, seed);
    ASSERT_TRUE(v.ok());
    EXPECT_FALSE(v->topology_drawn);
    EXPECT_EQ(v->scenario.topology().name_servers(), base->topology().name_servers());
    ASSERT_EQ(v->scenario.topology().broker_groups_size(), base->topology().broker_groups_size());
    EXPECT_EQ(v->scenario.topology().broker_conf().at("flushIntervalCommitLog"), "777");
    EXPECT_EQ(v->scenario.faults().timeline_size(), base->faults().timeline_size());
  }
}

}  // namespace
}  // namespace rmqsim::scenarios
