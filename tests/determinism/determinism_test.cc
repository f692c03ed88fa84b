// Determinism: the same seed gives the same trace digest, in one process and across processes
// (different address-space layouts), and different seeds give different digests.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "scenarios/runner/demo.h"
#include "scenarios/runner/scenario_file.h"
#include "scenarios/runner/scenario_runner.h"
#include "scenarios/runner/swarm.h"

namespace rmqsim {
namespace {

scenarios::DemoOptions Options(uint64_t seed) {
  scenarios::DemoOptions o;
  o.seed = seed;
  o.chaos = minutes(10);
  o.quiet = minutes(2);
  o.clients = 2;
  o.buggify = true;
  return o;
}

std::string DigestHex(uint64_t d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(d));
  return buf;
}

// Runs the rmqsim binary in a child process and returns the digest it prints.
std::string DigestFromChildProcess(uint64_t seed) {
  std::string cmd = std::string(RMQSIM_BINARY) + " demo --seed " + std::to_string(seed) +
                    " --chaos 10m --quiet 2m --clients 2 --buggify --digest-only";
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return "popen failed";
  char buf[128] = {};
  std::string out;
  while (fgets(buf, sizeof buf, pipe) != nullptr) out += buf;
  int rc = pclose(pipe);
  if (rc != 0) return "child exited with " + std::to_string(rc) + ": " + out;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

TEST(Determinism, SameSeedSameDigestInOneProcess) {
  auto a = scenarios::RunDemo(Options(11));
  auto b = scenarios::RunDemo(Options(11));
  EXPECT_EQ(a.digest, b.digest);
  EXPECT_EQ(a.events, b.events);
  EXPECT_EQ(a.acked, b.acked);
  EXPECT_GT(a.events, 10'000u);
  EXPECT_GT(a.fault_history.size(), 5u);
}

TEST(Determinism, DifferentSeedsDifferentDigests) {
  auto a = scenarios::RunDemo(Options(11));
  auto b = scenarios::RunDemo(Options(12));
  EXPECT_NE(a.digest, b.digest);
}

TEST(Determinism, SameSeedSameDigestAcrossProcesses) {
  std::string in_process = DigestHex(scenarios::RunDemo(Options(21)).digest);
  std::string child1 = DigestFromChildProcess(21);
  std::string child2 = DigestFromChildProcess(21);
  EXPECT_EQ(child1, in_process);
  EXPECT_EQ(child2, in_process);
  EXPECT_NE(DigestFromChildProcess(22), in_process);
}

// A RocketMQ scenario (name servers, brokers, clients, role-aware faults) is deterministic too:
// in one process (the whole history, not only the digest) and across processes.
TEST(Determinism, ScenarioSameSeedSameHistoryInOneProcess) {
  auto s = scenarios::LoadScenarioFile(std::string(RMQSIM_SOURCE_DIR) +
                                           "/scenarios/library/chaos.textproto",
                                       {"phases.chaos=2m", "phases.quiet=1m"});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  scenarios::RunOptions o;
  o.seed = 5;
  auto a = scenarios::RunScenario(*s, o);
  auto b = scenarios::RunScenario(*s, o);
  EXPECT_EQ(a.digest, b.digest);
  EXPECT_EQ(a.events, b.events);
  EXPECT_EQ(a.history().SerializeAsString(), b.history().SerializeAsString());
  EXPECT_GT(a.history().sends_size(), 1000);
  o.seed = 6;
  EXPECT_NE(scenarios::RunScenario(*s, o).digest, a.digest);
}

// A run driven in pieces (as the Python API drives it: runs to arbitrary times, single steps,
// predicates, a fault injected by hand at the same instant in both) is the same run, event for
// event, as one driven straight through; a broken variant (the extra fault in one of them only)
// differs.
TEST(Determinism, ScenarioRunInPiecesIsTheSameRun) {
  auto s = scenarios::LoadScenarioFile(std::string(RMQSIM_SOURCE_DIR) +
                                           "/scenarios/library/proxy_failover.textproto",
                                       {"phases.chaos=1m", "phases.quiet=1m"});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  scenarios::RunOptions o;
  o.seed = 3;
  auto kill_at_40s = [](scenarios::ScenarioRun& run) {
    run.RunUntil(run.chaos_start() + seconds(10));
    const faults::ProcessInfo* m = run.map().Find("broker-b");
    ASSERT_NE(m, nullptr);
    faults::FaultRequest r;
    r.kind = scenario::KILL;
    r.targets = {m};
    r.duration = seconds(15);
    r.scripted = true;
    ASSERT_TRUE(run.injector().Inject(r).has_value());
  };
  scenarios::ScenarioRun straight(*s, o);
  kill_at_40s(straight);
  const scenarios::RunResult a = straight.Finish();

  scenarios::ScenarioRun pieces(*s, o);
  pieces.RunUntil(pieces.world().now() + milliseconds(1234));
  for (int i = 0; i < 5000; ++i) ASSERT_TRUE(pieces.Step());
  EXPECT_EQ(pieces.PhaseName(), "warmup");
  kill_at_40s(pieces);
  EXPECT_EQ(pieces.PhaseName(), "chaos");
  EXPECT_TRUE(pieces.RunUntil([&] { return pieces.history().sends_size() >= 2000; }, seconds(1),
                              pieces.world().now() + minutes(10)));
  pieces.RunUntil(pieces.chaos_end());
  EXPECT_EQ(pieces.PhaseName(), "quiet");  // the heal ran at the chaos phase's end
  while (pieces.phase() == scenarios::ScenarioRun::Phase::kQuiet) ASSERT_TRUE(pieces.Step());
  pieces.RunUntil(pieces.world().now() + seconds(7));
  const scenarios::RunResult b = pieces.Finish();
  EXPECT_TRUE(pieces.ended());
  EXPECT_FALSE(pieces.Step());
  EXPECT_EQ(a.digest, b.digest);
  EXPECT_EQ(a.events, b.events);
  EXPECT_EQ(a.history().SerializeAsString(), b.history().SerializeAsString());
  EXPECT_TRUE(b.ok());

  scenarios::ScenarioRun other(*s, o);  // no hand-made kill
  EXPECT_NE(other.Finish().digest, a.digest);
}

// The same with BUGGIFY on and the seed's swarm variant (other knobs, topology, fault mix).
TEST(Determinism, SwarmAndBuggifySameSeedSameHistoryInOneProcess) {
  auto base = scenarios::LoadScenarioFile(std::string(RMQSIM_SOURCE_DIR) +
                                              "/scenarios/library/chaos.textproto",
                                          {"phases.chaos=2m", "phases.quiet=1m"});
  ASSERT_TRUE(base.ok()) << base.status().ToString();
  auto variant = scenarios::ApplySwarm(*base, 8);
  ASSERT_TRUE(variant.ok()) << variant.status().ToString();
  scenarios::RunOptions o;
  o.seed = 8;
  o.buggify = true;
  auto a = scenarios::RunScenario(variant->scenario, o);
  auto b = scenarios::RunScenario(scenarios::ApplySwarm(*base, 8)->scenario, o);
  EXPECT_EQ(a.digest, b.digest);
  EXPECT_EQ(a.history().SerializeAsString(), b.history().SerializeAsString());
  uint64_t fired = 0;
  for (const auto& [site, st] : a.buggify_sites) fired += st.fired;
  EXPECT_GT(fired, 0u) << "BUGGIFY should fire somewhere in a 3-minute cluster run";
  o.buggify = false;
  EXPECT_NE(scenarios::RunScenario(variant->scenario, o).digest, a.digest);
}

TEST(Determinism, ScenarioSameSeedSameDigestAcrossProcesses) {
  auto run = [](uint64_t seed) {
    std::string cmd = std::string(RMQSIM_BINARY) + " run " + RMQSIM_SOURCE_DIR +
                      "/scenarios/library/chaos.textproto --set phases.chaos=2m --set "
                      "phases.quiet=1m --digest-only --seed " +
                      std::to_string(seed);
    FILE* pipe = popen(cmd.c_str(), "r");
    if (pipe == nullptr) return std::string("popen failed");
    char buf[128] = {};
    std::string out;
    while (fgets(buf, sizeof buf, pipe) != nullptr) out += buf;
    int rc = pclose(pipe);
    if (rc != 0) return "child exited with " + std::to_string(rc) + ": " + out;
    return out;
  };
  std::string a = run(5), b = run(5), c = run(6);
  EXPECT_FALSE(a.empty());
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

}  // namespace
}  // namespace rmqsim
