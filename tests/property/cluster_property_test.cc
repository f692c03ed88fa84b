// Cluster-level properties over generated scenarios (scenario_gen.h, cluster_property.h): for
// any topology (1-2 name servers, 1-3 broker groups, 0-2 slaves, SYNC/ASYNC master, SYNC/ASYNC
// flush), workload (producers, push and pull clustering groups) and schedule of role-targeted
// faults, a short run (a few simulated minutes, a fraction of a second of wall time) satisfies
//  - at-least-once delivery wherever the configuration promises it (the delivery checker);
//  - route purging on time (the routes checker: expiry + scan, purge on close, routes return);
//  - liveness after healing (the liveness checker).
// Each property is then refuted on a deliberately broken variant, to show that it can fail and
// that RapidCheck shrinks the failure to a small scenario file that replays it.
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <set>

#include "scenarios/runner/scenario_file.h"
#include "tests/property/cluster_property.h"
#include "tests/property/property_check.h"

namespace rmqsim::property {
namespace {

// Wall time of a test, printed (the suite's cost is part of its contract).
class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}  // lint-allow: prints the test's cost
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() -  // lint-allow: ditto
                                         start_)
        .count();
  }

 private:
  std::chrono::steady_clock::time_point start_;  // lint-allow: ditto
};

void Print(const std::string& name, const PropertyResult& r, const Stopwatch& w) {
  std::cout << "[" << name << "] " << r.Report() << "(" << r.runs << " runs, "
            << static_cast<int64_t>(r.simulated_s) << " simulated s, " << w.seconds()
            << " s wall)" << std::endl;
  if (r.failure) {
    ::testing::Test::RecordProperty("counterexample", r.failure->spec);
    ::testing::Test::RecordProperty("replay", r.failure->replay);
  }
}

// Faults that stop a broker's registrations from reaching a name server for a while (and so
// exercise expiry), next to the kills and power cycles that close connections.
std::vector<FaultChoice> RouteMenu() {
  return {
      {.kind = scenario::DROP_REGISTRATIONS, .role = scenario::BROKER, .min_s = 90, .max_s = 200,
       .weight = 3},
      {.kind = scenario::ISOLATE, .role = scenario::BROKER, .min_s = 5, .max_s = 180, .weight = 2},
      {.kind = scenario::PARTITION, .role = scenario::MASTER, .min_s = 5, .max_s = 180,
       .weight = 2, .peer_name_server = true},
      {.kind = scenario::CUT_NAME_SERVER, .role = scenario::NAME_SERVER, .min_s = 5,
       .max_s = 180, .weight = 2},
      {.kind = scenario::KILL, .role = scenario::BROKER, .min_s = 1, .max_s = 60, .weight = 2},
      {.kind = scenario::STOP, .role = scenario::BROKER, .min_s = 1, .max_s = 60, .weight = 1},
      {.kind = scenario::POWER_CYCLE, .role = scenario::BROKER, .min_s = 1, .max_s = 60,
       .weight = 2},
      {.kind = scenario::KILL, .role = scenario::NAME_SERVER, .min_s = 1, .max_s = 60,
       .weight = 1},
  };
}

// The kinds after which a broker's registration can stay listed for the whole expiry window.
bool StopsRegistrations(const std::string& kind) {
  static const std::set<std::string> kKinds = {"DROP_REGISTRATIONS", "ISOLATE", "PARTITION",
                                               "CUT_NAME_SERVER", "POWER_CYCLE"};
  return kKinds.contains(kind);
}

// The counterexample's file loads as `rmqsim run` loads it and fails the same way again.
void ExpectReplays(const Counterexample& c, const ClusterProperty& property,
                   const std::vector<std::string>& planted_bugs = {}) {
  ASSERT_FALSE(c.file.empty()) << "the counterexample file was not written";
  auto loaded = scenarios::LoadScenarioFile(c.file);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  scenarios::RunOptions ro;
  ro.seed = c.seed;
  ro.planted_bugs = planted_bugs;
  const scenarios::RunResult again = scenarios::RunScenario(*loaded, ro);
  const auto violations = property(*loaded, again);
  ASSERT_FALSE(violations.empty()) << "the replay of " << c.file << " passes";
  EXPECT_EQ(violations, c.violations) << "the replay differs from the run that failed";
}

// Every producer and every clustering consumer group goes through one proxy; the proxy, like the
// brokers, is killed, stopped and partitioned from the brokers, has its connections to another
// machine reset, is put in maintenance mode and sent malformed frames; its clients are killed
// (the default menu).
void ThroughAProxy(GenParams& gen) {
  gen.finish = [](scenario::Scenario& s) {
    s.mutable_topology()->add_proxies()->set_name("proxy-1");
    for (auto& p : *s.mutable_workload()->mutable_producers()) p.set_via_proxy("proxy-1");
    for (auto& g : *s.mutable_workload()->mutable_consumer_groups()) {
      if (g.model() != scenario::BROADCASTING) g.set_via_proxy("proxy-1");
    }
  };
  gen.menu = DefaultFaultMenu();
  gen.menu.push_back({.kind = scenario::KILL, .role = scenario::PROXY, .min_s = 1, .max_s = 40,
                      .weight = 2});
  gen.menu.push_back({.kind = scenario::STOP, .role = scenario::PROXY, .min_s = 1, .max_s = 40});
  gen.menu.push_back({.kind = scenario::PARTITION, .role = scenario::PROXY, .min_s = 5,
                      .max_s = 60});
  gen.menu.push_back({.kind = scenario::PROXY_MAINTENANCE, .role = scenario::PROXY, .min_s = 1,
                      .max_s = 20});
  gen.menu.push_back({.kind = scenario::MALFORMED_FRAME, .role = scenario::PROXY});
  gen.menu.push_back({.kind = scenario::RESET_CONNECTIONS, .role = scenario::PROXY});
  gen.checks = "delivery {} proxy {}";
}

// ------------------------------------------------------------------------------ properties

// Cases per property in CI: a run is 0.05-0.3 s of wall time.
constexpr int kCases = 80;

TEST(ClusterProperty, AtLeastOnceWhereverPromised) {
  Stopwatch w;
  GenParams gen;
  gen.checks = "delivery {}";
  const auto r = CheckClusterProperty(gen, CheckersPass({"delivery"}),
                                      {.name = "at-least-once delivery", .cases = Cases(kCases)});
  Print("delivery", r, w);
  EXPECT_TRUE(r.passed) << r.Report();
}

TEST(ClusterProperty, RoutesPurgedOnTimeAndRestored) {
  Stopwatch w;
  GenParams gen;
  gen.menu = RouteMenu();
  gen.checks = "routes {}";
  const auto r = CheckClusterProperty(gen, CheckersPass({"routes"}),
                                      {.name = "routes purged on time", .cases = Cases(kCases)});
  Print("routes", r, w);
  EXPECT_TRUE(r.passed) << r.Report();
}

TEST(ClusterProperty, LiveAfterHealing) {
  Stopwatch w;
  GenParams gen;
  gen.checks = "liveness {}";
  const auto r = CheckClusterProperty(gen, CheckersPass({"liveness"}),
                                      {.name = "liveness after healing", .cases = Cases(kCases)});
  Print("liveness", r, w);
  EXPECT_TRUE(r.passed) << r.Report();
}

// Through a proxy, under faults of the brokers and of the proxy: its statistics stay consistent,
// equal the traffic on its links, return to zero at rest, and every SEND_OK is delivered.
TEST(ClusterProperty, ProxyStatisticsAccurate) {
  Stopwatch w;
  GenParams gen;
  ThroughAProxy(gen);
  const auto r = CheckClusterProperty(gen, CheckersPass({"proxy", "delivery"}),
                                      {.name = "proxy statistics accurate", .cases = Cases(40)});
  Print("proxy", r, w);
  EXPECT_TRUE(r.passed) << r.Report();
}

// ------------------------------------------------------------------------------ refutations

// A proxy that counts a refused upstream connection as a response (planted bug
// proxy.refused_upstream_counted): only a send routed to a broker that is down shows it.
// RapidCheck finds a schedule with a master down and shrinks it to one or two faults.
TEST(ClusterPropertyRefuted, ProxyCountingARefusedUpstreamAsAResponse) {
  Stopwatch w;
  GenParams gen;
  ThroughAProxy(gen);
  gen.planted_bugs = {"proxy.refused_upstream_counted"};
  const ClusterProperty property = CheckersPass({"proxy"});
  const auto r = CheckClusterProperty(
      gen, property, {.name = "proxy counting a refused upstream", .cases = 60, .max_runs = 140});
  Print("proxy, planted miscount", r, w);
  ASSERT_FALSE(r.passed) << "no schedule had the proxy connect to a broker that was down";
  ASSERT_TRUE(r.failure.has_value());
  const Counterexample& c = *r.failure;
  ASSERT_GE(c.faults, 1) << "without faults every broker accepts the proxy's connections";
  EXPECT_LE(c.faults, 2) << c.spec;
  bool inconsistent = false;
  for (const auto& v : c.violations) {
    inconsistent |= v.find("!= response_decoding_success") != std::string::npos;
  }
  EXPECT_TRUE(inconsistent) << c.violations.front();
  EXPECT_NE(c.replay.find("--plant proxy.refused_upstream_counted"), std::string::npos);
  ExpectReplays(c, property, gen.planted_bugs);
}

// The routes checker told a wrong purge window (40 s instead of 4.x's 120 s): a broker whose
// registrations stop stays listed past 40 s + scan + tolerance. RapidCheck finds a schedule that
// stops registrations long enough, and shrinks it to that one fault.
TEST(ClusterPropertyRefuted, RoutesWithAWrongPurgeWindow) {
  Stopwatch w;
  GenParams gen;
  gen.menu = RouteMenu();
  gen.checks = "routes { expiry: \"40s\" }";
  const ClusterProperty property = CheckersPass({"routes"});
  const auto r = CheckClusterProperty(
      gen, property, {.name = "routes with a 40s purge window", .cases = 100, .max_runs = 160});
  Print("routes, wrong window", r, w);
  ASSERT_FALSE(r.passed) << "a 40 s purge window was never contradicted";
  ASSERT_TRUE(r.failure.has_value());
  const Counterexample& c = *r.failure;
  ASSERT_GE(c.faults, 1) << "without faults brokers re-register every 30 s";
  EXPECT_LE(c.faults, 2) << c.spec;
  bool stops = false;
  for (const auto& f : c.scenario.faults().timeline()) {
    stops |= StopsRegistrations(scenario::FaultKind_Name(f.kind()));
  }
  EXPECT_TRUE(stops) << c.spec;
  bool stale = false;
  for (const auto& v : c.violations) stale |= v.find("stale route") != std::string::npos;
  EXPECT_TRUE(stale) << c.violations.front();
  ExpectReplays(c, property);
}

// A configuration that does not promise what the property checks: ASYNC_MASTER + ASYNC_FLUSH
// groups judged as if durability were PROMISED. A master's power loss takes acknowledged,
// unflushed messages; the counterexample shrinks to one power loss of a master.
TEST(ClusterPropertyRefuted, DeliveryWhereDurabilityIsNotPromised) {
  Stopwatch w;
  GenParams gen;
  gen.roles = {scenario::ASYNC_MASTER};
  gen.flushes = {scenario::ASYNC_FLUSH};
  gen.checks = "delivery { durability: PROMISED }";
  const ClusterProperty property = CheckersPass({"delivery"});
  const auto r = CheckClusterProperty(
      gen, property, {.name = "ASYNC_FLUSH judged as promised", .cases = 100, .max_runs = 160});
  Print("delivery, not promised", r, w);
  ASSERT_FALSE(r.passed) << "no power loss ever cost an acknowledged ASYNC_FLUSH message";
  ASSERT_TRUE(r.failure.has_value());
  const Counterexample& c = *r.failure;
  ASSERT_GE(c.faults, 1) << "nothing is lost without a fault";
  EXPECT_LE(c.faults, 2) << c.spec;
  bool power_loss = false;
  for (const auto& f : c.scenario.faults().timeline()) {
    power_loss |= f.kind() == scenario::POWER_CYCLE || f.kind() == scenario::POWER_CYCLE_AFTER_SEND;
  }
  EXPECT_TRUE(power_loss) << c.spec;
  ExpectReplays(c, property);
}

// The liveness checker told to expect more than the configuration can give: 1000 SEND_OK per
// producer in a quiet phase of 10 s at 4-12 messages a second. Every case fails, faults or not,
// so RapidCheck shrinks the whole scenario: no faults, one name server, one group, the smallest
// workload. (A fault-driven refutation of liveness is harder: the healed cluster recovered from
// every schedule tried, even a destroyed group and a 3 s quiet phase.)
TEST(ClusterPropertyRefuted, LivenessExpectingMoreThanTheWorkloadSends) {
  Stopwatch w;
  GenParams gen;
  gen.chaos_s = 60;
  gen.quiet = "10s";
  gen.quiet_max = "10s";
  gen.checks = "liveness { min_send_ok_per_producer: 1000 }";
  const ClusterProperty property = CheckersPass({"liveness"});
  const auto r = CheckClusterProperty(
      gen, property, {.name = "liveness expecting 1000 SEND_OK", .cases = 20, .max_runs = 120});
  Print("liveness, expecting too much", r, w);
  ASSERT_FALSE(r.passed);
  ASSERT_TRUE(r.failure.has_value());
  const Counterexample& c = *r.failure;
  EXPECT_EQ(c.faults, 0) << c.spec;
  EXPECT_EQ(c.scenario.topology().name_servers(), 1) << c.spec;
  EXPECT_EQ(c.scenario.topology().broker_groups_size(), 1) << c.spec;
  EXPECT_EQ(c.scenario.workload().producers(0).count(), 1) << c.spec;
  ExpectReplays(c, property);
}

}  // namespace
}  // namespace rmqsim::property
