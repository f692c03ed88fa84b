// The checkers on small hand-written histories (Protobuf text format): for each checker a correct
// history that passes and broken ones that fail with the expected sentence.
//
// Times in the texts are written as seconds ("invoke_ns: 12.5s") and expanded to nanoseconds.
#include <gmock/gmock.h>
#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>
#include <regex>
#include <string>

#include "scenarios/checkers/checker.h"

namespace rmqsim::checkers {
namespace {

using ::testing::HasSubstr;

// "*_ns: 12.5s" -> "*_ns: 12500000000".
std::string ExpandSeconds(const std::string& text) {
  static const std::regex kSeconds(R"((_ns:\s*)(-?\d+(?:\.\d+)?)s\b)");
  std::string out;
  auto begin = std::sregex_iterator(text.begin(), text.end(), kSeconds);
  size_t last = 0;
  for (auto it = begin; it != std::sregex_iterator(); ++it) {
    const std::smatch& m = *it;
    out.append(text, last, m.position(0) - last);
    const double seconds = std::stod(m[2].str());
    out += m[1].str() +
           std::to_string(static_cast<int64_t>(seconds * 1e9 + (seconds < 0 ? -0.5 : 0.5)));
    last = m.position(0) + m.length(0);
  }
  out.append(text, last, std::string::npos);
  return out;
}

history::History History(const std::string& text) {
  history::History h;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(ExpandSeconds(text), &h)) << text;
  return h;
}

scenario::Checks Settings(const std::string& text) {
  scenario::Checks c;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &c)) << text;
  return c;
}

CheckResult RunChecker(const std::string& checker, const history::History& h,
                       const scenario::Checks& settings = {}) {
  std::unique_ptr<Checker> c = MakeChecker(checker);
  EXPECT_NE(c, nullptr) << checker;
  return c->Check(h, settings);
}

std::string Dump(const CheckResult& r) {
  std::string s = std::string(VerdictName(r.verdict)) + " " + r.headline + "\n";
  for (const auto& v : r.violations) s += "  violation: " + v + "\n";
  for (const auto& n : r.notes) s += "  note: " + n + "\n";
  for (const auto& [k, v] : r.metrics) s += "  " + k + " = " + std::to_string(v) + "\n";
  return s;
}

// Expects the verdict; on failure prints the whole result (always with CHECKERS_TEST_DUMP set).
#define EXPECT_VERDICT(result, v)                                                \
  do {                                                                           \
    if (std::getenv("CHECKERS_TEST_DUMP") != nullptr) std::cout << Dump(result); \
    EXPECT_EQ((result).verdict, (v)) << Dump(result);                            \
  } while (0)

// One SYNC_FLUSH group (broker-a, master only), one name server, one clustering group on T.
// Chaos [10s, 100s], end 200s.
constexpr char kConfig[] = R"(
config {
  groups { name: "broker-a" role: "SYNC_MASTER" flush: "SYNC_FLUSH" master: "broker-a"
           addresses: "10.0.0.1:10911" }
  consumer_groups { group: "cg" topic: "T" subscription: "*" model: "CLUSTERING"
                    consumers: "consumer-1" max_reconsume_times: 16 }
  name_servers: "namesrv-1"
  producers: "producer-1"
  chaos_start_ns: 10s chaos_end_ns: 100s end_ns: 200s
}
)";

std::string WithFlush(std::string text, const std::string& flush) {
  const std::string from = "flush: \"SYNC_FLUSH\"";
  text.replace(text.find(from), from.size(), "flush: \"" + flush + "\"");
  return text;
}

// ------------------------------------------------------------------------------ registry

TEST(RegistryTest, NamesInOrderAndEveryCheckerMade) {
  const std::vector<std::string> names = CheckerNames();
  EXPECT_EQ(names, (std::vector<std::string>{"delivery", "routes", "liveness", "replicas", "retry",
                                             "metrics", "proxy", "coverage"}));
  for (const std::string& n : names) {
    std::unique_ptr<Checker> c = MakeChecker(n);
    ASSERT_NE(c, nullptr) << n;
    EXPECT_EQ(c->name(), n);
  }
  EXPECT_EQ(MakeChecker("nope"), nullptr);
  EXPECT_EQ(VerdictName(Verdict::kPass), "PASS");
  EXPECT_EQ(VerdictName(Verdict::kFail), "FAIL");
  EXPECT_EQ(VerdictName(Verdict::kSkipped), "SKIP");
}

TEST(RegistryTest, RunsAllWithoutSettingsAndOnlyTheEnabledOnesWithSettings) {
  const history::History h = History(kConfig);
  std::vector<CheckResult> all = RunCheckers(h, {}, /*settings_present=*/false);
  ASSERT_EQ(all.size(), 8u);
  EXPECT_EQ(all[0].checker, "delivery");
  EXPECT_EQ(all[6].checker, "proxy");
  EXPECT_EQ(all[7].checker, "coverage");

  std::vector<CheckResult> some =
      RunCheckers(h, Settings("delivery {} replicas {} require { kind: KILL }"), true);
  ASSERT_EQ(some.size(), 3u);
  EXPECT_EQ(some[0].checker, "delivery");
  EXPECT_EQ(some[1].checker, "replicas");
  EXPECT_EQ(some[2].checker, "coverage");
}

TEST(HelpersTest, SubscriptionsTimesAndDurations) {
  EXPECT_TRUE(SubscriptionMatches("*", ""));
  EXPECT_TRUE(SubscriptionMatches("", "TagA"));
  EXPECT_TRUE(SubscriptionMatches("TagA || TagB", "TagB"));
  EXPECT_TRUE(SubscriptionMatches("TagA||TagB", "TagA"));
  EXPECT_FALSE(SubscriptionMatches("TagA || TagB", "TagC"));
  EXPECT_FALSE(SubscriptionMatches("TagA || TagB", ""));
  EXPECT_EQ(FormatTime(312'400'000'000), "t=312.4s");
  EXPECT_EQ(FormatSeconds(12'345'000'000), "12.3s");
  EXPECT_EQ(DurationSetting("", 7), 7);
  EXPECT_EQ(DurationSetting("500ms", 7), 500'000'000);
  std::string error;
  EXPECT_EQ(DurationSetting("soon", 7, &error), 7);
  EXPECT_THAT(error, HasSubstr("soon"));
}

TEST(HelpersTest, ViolationsAreCountedButFewAreKept) {
  CheckResult r;
  for (int i = 0; i < 30; ++i) AddViolation(r, "v" + std::to_string(i));
  EXPECT_EQ(r.verdict, Verdict::kFail);
  EXPECT_EQ(r.violations_total, 30u);
  EXPECT_EQ(r.violations.size(), kMaxViolationExamples);
  for (int i = 0; i < 5; ++i) AddNote(r, "n", 2);
  ASSERT_EQ(r.notes.size(), 3u);
  EXPECT_EQ(r.notes[2], "... and 3 more notes");
}

// ------------------------------------------------------------------------------ delivery

// k1, k2: SEND_OK, delivered at their acknowledged locations (k2 twice: a duplicate); k3:
// FLUSH_DISK_TIMEOUT, delivered (recovered); k4: UNKNOWN, not delivered; k5: tag filtered out by
// no one (subscription "*"), SEND_OK, delivered.
constexpr char kDeliveryOk[] = R"(
sends { key: "k1" producer: "producer-1" topic: "T" body_hash: 11 invoke_ns: 20s complete_ns: 20.1s
        outcome: OK status: "SEND_OK" broker: "broker-a" queue: 0 queue_offset: 0 }
sends { key: "k2" producer: "producer-1" topic: "T" body_hash: 22 invoke_ns: 21s complete_ns: 21.1s
        outcome: OK status: "SEND_OK" broker: "broker-a" queue: 1 queue_offset: 0 }
sends { key: "k3" producer: "producer-1" topic: "T" body_hash: 33 invoke_ns: 22s complete_ns: 27s
        outcome: OK status: "FLUSH_DISK_TIMEOUT" broker: "broker-a" queue: 0 queue_offset: 1 }
sends { key: "k4" producer: "producer-1" topic: "T" body_hash: 44 invoke_ns: 23s complete_ns: 26s
        outcome: UNKNOWN error: "timeout" }
sends { key: "k5" producer: "producer-1" topic: "T" tags: "TagA" body_hash: 55 invoke_ns: 24s
        complete_ns: 24.1s outcome: OK status: "SEND_OK" broker: "broker-a" queue: 2
        queue_offset: 0 }
deliveries { time_ns: 20.5s consumer: "consumer-1" group: "cg" topic: "T" pulled_topic: "T"
             broker: "broker-a" queue: 0 queue_offset: 0 key: "k1" body_hash: 11 consumed: true }
deliveries { time_ns: 21.5s consumer: "consumer-1" group: "cg" topic: "T" pulled_topic: "T"
             broker: "broker-a" queue: 1 queue_offset: 0 key: "k2" body_hash: 22 consumed: true }
deliveries { time_ns: 40s consumer: "consumer-1" group: "cg" topic: "T" pulled_topic: "T"
             broker: "broker-a" queue: 1 queue_offset: 0 key: "k2" body_hash: 22 consumed: true }
deliveries { time_ns: 27.5s consumer: "consumer-1" group: "cg" topic: "T" pulled_topic: "T"
             broker: "broker-a" queue: 0 queue_offset: 1 key: "k3" body_hash: 33 consumed: true }
deliveries { time_ns: 24.5s consumer: "consumer-1" group: "cg" topic: "T" pulled_topic: "T"
             broker: "broker-a" queue: 2 queue_offset: 0 key: "k5" tags: "TagA" body_hash: 55
             consumed: true }
)";

TEST(DeliveryCheckerTest, PassesWhenEverySendOkCopyIsDelivered) {
  CheckResult r = RunChecker("delivery", History(std::string(kConfig) + kDeliveryOk));
  EXPECT_VERDICT(r, Verdict::kPass);
  EXPECT_EQ(r.metrics["lost"], 0);
  EXPECT_EQ(r.metrics["send_ok"], 3);
  EXPECT_EQ(r.metrics["duplicated"], 1);
  EXPECT_EQ(r.metrics["recovered"], 1);
  EXPECT_EQ(r.metrics["unexpected"], 0);
  EXPECT_THAT(r.headline, HasSubstr("0 SEND_OK lost"));
}

constexpr char kLostSendOk[] = R"(
sends { key: "k9" producer: "producer-1" topic: "T" body_hash: 99 invoke_ns: 30s
        complete_ns: 30.1s outcome: OK status: "SEND_OK" broker: "broker-a" queue: 3
        queue_offset: 7 }
)";

TEST(DeliveryCheckerTest, FailsOnALostSendOk) {
  CheckResult r = RunChecker("delivery", History(std::string(kConfig) + kDeliveryOk + kLostSendOk));
  EXPECT_VERDICT(r, Verdict::kFail);
  EXPECT_EQ(r.metrics["lost_unexplained"], 1);
  EXPECT_EQ(r.metrics["lost_hidden"], 0);
  ASSERT_EQ(r.violations.size(), 1u);
  EXPECT_THAT(r.violations[0],
              HasSubstr("SEND_OK key k9 (broker-a q3 @7, sent t=30.0s by producer-1) never "
                        "delivered to cg"));
}

// The producer's first attempt at k7 timed out on broker-b but was stored and delivered; its
// retry on broker-a was acknowledged, and that copy was never delivered.
constexpr char kHiddenLoss[] = R"(
sends { key: "k7" producer: "producer-1" topic: "T" body_hash: 77 invoke_ns: 30s
        complete_ns: 33.1s outcome: OK status: "SEND_OK" broker: "broker-a" queue: 2
        queue_offset: 4 }
deliveries { time_ns: 31s consumer: "consumer-1" group: "cg" topic: "T" pulled_topic: "T"
             broker: "broker-b" queue: 1 queue_offset: 9 key: "k7" body_hash: 77 consumed: true }
)";

TEST(DeliveryCheckerTest, FailsOnAHiddenLossBehindARetriedCopy) {
  CheckResult r = RunChecker("delivery", History(std::string(kConfig) + kDeliveryOk + kHiddenLoss));
  EXPECT_VERDICT(r, Verdict::kFail);
  EXPECT_EQ(r.metrics["lost"], 1);
  EXPECT_EQ(r.metrics["lost_hidden"], 1);
  ASSERT_EQ(r.violations.size(), 1u);
  EXPECT_THAT(r.violations[0], HasSubstr("SEND_OK key k7 (broker-a q2 @4"));
  EXPECT_THAT(r.violations[0],
              HasSubstr("another copy of the key (T broker-b q1 @9) was delivered at "
                        "t=31.0s: a hidden loss"));
  EXPECT_THAT(r.headline, HasSubstr("1 hidden"));
}

TEST(DeliveryCheckerTest, FailsWhenTheAcknowledgedLocationHoldsAnotherKey) {
  // k9's location (broker-a q3 @7) was delivered carrying k8: the offset was reused.
  const std::string other = R"(
deliveries { time_ns: 31s consumer: "consumer-1" group: "cg" topic: "T" pulled_topic: "T"
             broker: "broker-a" queue: 3 queue_offset: 7 key: "k8" body_hash: 88 consumed: true }
sends { key: "k8" producer: "producer-1" topic: "T" body_hash: 88 invoke_ns: 29s
        complete_ns: 32s outcome: UNKNOWN }
)";
  CheckResult r =
      RunChecker("delivery", History(std::string(kConfig) + kDeliveryOk + kLostSendOk + other));
  EXPECT_VERDICT(r, Verdict::kFail);
  ASSERT_EQ(r.violations.size(), 1u);
  EXPECT_THAT(r.violations[0], HasSubstr("that location was delivered with key k8"));
}

// broker-a lost power 2 s after k9 was sent.
constexpr char kPowerCycleAfterK9[] = R"(
faults { id: 1 kind: "POWER_CYCLE" target: "broker-a" processes: "broker-a" roles: "master"
         groups: "broker-a" start_ns: 32s end_ns: 40s }
)";

TEST(DeliveryCheckerTest, AsyncFlushLossExplainedByPowerLossPassesUnlessPromised) {
  const history::History h =
      History(WithFlush(kConfig, "ASYNC_FLUSH") + kDeliveryOk + kLostSendOk + kPowerCycleAfterK9);
  CheckResult r = RunChecker("delivery", h, Settings("delivery { durability: DURABILITY_AUTO }"));
  EXPECT_VERDICT(r, Verdict::kPass);
  EXPECT_EQ(r.metrics["lost_explained"], 1);
  EXPECT_EQ(r.metrics["explained.async_flush_power_loss"], 1);
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_THAT(r.notes[0], HasSubstr("explained: ASYNC_FLUSH and the master lost power"));
  EXPECT_THAT(r.notes[0], HasSubstr("POWER_CYCLE of broker-a at t=32.0s, 2.0s after the send"));

  CheckResult promised = RunChecker("delivery", h, Settings("delivery { durability: PROMISED }"));
  EXPECT_VERDICT(promised, Verdict::kFail);
  ASSERT_EQ(promised.violations.size(), 1u);
  EXPECT_THAT(promised.violations[0], HasSubstr("durability PROMISED allows no loss"));

  CheckResult allowed = RunChecker(
      "delivery", h, Settings("delivery { durability: PROMISED allow_explained_loss: true }"));
  EXPECT_VERDICT(allowed, Verdict::kPass);
}

TEST(DeliveryCheckerTest, PowerLossDoesNotExplainASyncFlushLoss) {
  CheckResult r = RunChecker(
      "delivery", History(std::string(kConfig) + kDeliveryOk + kLostSendOk + kPowerCycleAfterK9));
  EXPECT_VERDICT(r, Verdict::kFail);
  EXPECT_EQ(r.metrics["lost_unexplained"], 1);
}

TEST(DeliveryCheckerTest, PowerLossBeforeTheSendDoesNotExplainIt) {
  const std::string before = R"(
faults { id: 1 kind: "POWER_CYCLE" target: "broker-a" processes: "broker-a" roles: "master"
         groups: "broker-a" start_ns: 15s end_ns: 18s }
)";
  CheckResult r = RunChecker(
      "delivery", History(WithFlush(kConfig, "ASYNC_FLUSH") + kDeliveryOk + kLostSendOk + before));
  EXPECT_VERDICT(r, Verdict::kFail);
}

TEST(DeliveryCheckerTest, DestroyedMasterExplainsALossUnderSyncFlush) {
  const std::string destroy = R"(
faults { id: 1 kind: "DESTROY" target: "broker-a" processes: "broker-a" roles: "master"
         groups: "broker-a" start_ns: 50s end_ns: 60s }
)";
  CheckResult r =
      RunChecker("delivery", History(std::string(kConfig) + kDeliveryOk + kLostSendOk + destroy));
  EXPECT_VERDICT(r, Verdict::kPass);
  EXPECT_EQ(r.metrics["explained.master_destroyed"], 1);
}

TEST(DeliveryCheckerTest, QueueOffsetReusedAfterPowerLossIsExplained) {
  // The consumer read broker-a q3 up to @8 (unflushed k8 among them) before the power loss at
  // 25 s; k9 was then acknowledged at the reused offset 7 and skipped.
  const std::string reuse = R"(
deliveries { time_ns: 24s consumer: "consumer-1" group: "cg" topic: "T" pulled_topic: "T"
             broker: "broker-a" queue: 3 queue_offset: 8 key: "k8" body_hash: 88 consumed: true }
sends { key: "k8" producer: "producer-1" topic: "T" body_hash: 88 invoke_ns: 23.9s
        complete_ns: 26s outcome: UNKNOWN }
faults { id: 1 kind: "POWER_CYCLE" target: "broker-a" processes: "broker-a" roles: "master"
         groups: "broker-a" start_ns: 25s end_ns: 28s }
)";
  CheckResult r =
      RunChecker("delivery", History(std::string(kConfig) + kDeliveryOk + kLostSendOk + reuse));
  EXPECT_VERDICT(r, Verdict::kPass);
  EXPECT_EQ(r.metrics["explained.queue_offset_reused"], 1);
  EXPECT_THAT(r.notes[0], HasSubstr("5.0s before the send"));
}

TEST(DeliveryCheckerTest, QueueOffsetReusedAfterAReadFromTheSlaveDuringTheOutage) {
  // The master lost power at 25 s; at 26 s the consumer read q3 @8 from the slave (same
  // brokerName); the restarted master handed @7 to k9, which the consumer's offset had passed.
  // A skip, not a durability loss: it passes even where durability is PROMISED.
  const std::string reuse = R"(
deliveries { time_ns: 26s consumer: "consumer-1" group: "cg" topic: "T" pulled_topic: "T"
             broker: "broker-a" queue: 3 queue_offset: 8 key: "k8" body_hash: 88 consumed: true }
sends { key: "k8" producer: "producer-1" topic: "T" body_hash: 88 invoke_ns: 23.9s
        complete_ns: 24s outcome: OK status: "SEND_OK" broker: "broker-a" queue: 3
        queue_offset: 8 }
faults { id: 1 kind: "POWER_CYCLE" target: "broker-a" processes: "broker-a" roles: "master"
         groups: "broker-a" start_ns: 25s end_ns: 28s }
)";
  const history::History h =
      History(WithFlush(kConfig, "ASYNC_FLUSH") + kDeliveryOk + kLostSendOk + reuse);
  CheckResult r = RunChecker("delivery", h, Settings("delivery { durability: PROMISED }"));
  EXPECT_VERDICT(r, Verdict::kPass);
  EXPECT_EQ(r.metrics["explained.queue_offset_reused"], 1);
  // Without the power loss nothing explains the skip.
  const std::string no_fault = reuse.substr(0, reuse.find("faults {"));
  EXPECT_VERDICT(RunChecker("delivery", History(WithFlush(kConfig, "ASYNC_FLUSH") + kDeliveryOk +
                                                kLostSendOk + no_fault)),
                 Verdict::kFail);
}

TEST(DeliveryCheckerTest, ASkipAfterADivergedSlaveIsExplainedOnlyWithTheDivergence) {
  // broker-a lost power at 25 s (before k9 was sent) and its slave ended differing from it: a
  // consumer that read the slave's misaligned consume queue may have skipped k9.
  const std::string power = R"(
faults { id: 1 kind: "POWER_CYCLE" target: "broker-a" processes: "broker-a" roles: "master"
         groups: "broker-a" start_ns: 25s end_ns: 28s }
)";
  const std::string differs = R"(
replicas { group: "broker-a" slave: "broker-a-s1" connected: true master_max_offset: 4096
           slave_max_offset: 4096 first_difference: 100 slave_up: true master_up: true }
)";
  const std::string base = std::string(kConfig) + kDeliveryOk + kLostSendOk + power;
  CheckResult r = RunChecker("delivery", History(base + differs),
                             Settings("delivery { durability: PROMISED }"));
  EXPECT_VERDICT(r, Verdict::kPass);
  EXPECT_EQ(r.metrics["explained.read_from_diverged_slave"], 1);
  // The same power loss with a slave in sync explains nothing.
  EXPECT_VERDICT(RunChecker("delivery", History(base + R"(
replicas { group: "broker-a" slave: "broker-a-s1" connected: true master_max_offset: 4096
           slave_max_offset: 4096 first_difference: -1 slave_up: true master_up: true }
)")),
                 Verdict::kFail);
}

TEST(DeliveryCheckerTest, FailsWhenASyncFlushLocationIsAcknowledgedTwice) {
  // k8 was SEND_OK at broker-a q3 @7 under SYNC_FLUSH and consumed; a power loss later, k9 was
  // SEND_OK at the same location: the acknowledged k8 was lost from the store.
  const std::string twice = R"(
sends { key: "k8" producer: "producer-1" topic: "T" body_hash: 88 invoke_ns: 23.9s
        complete_ns: 24s outcome: OK status: "SEND_OK" broker: "broker-a" queue: 3
        queue_offset: 7 }
deliveries { time_ns: 24.5s consumer: "consumer-1" group: "cg" topic: "T" pulled_topic: "T"
             broker: "broker-a" queue: 3 queue_offset: 7 key: "k8" body_hash: 88 consumed: true }
deliveries { time_ns: 31s consumer: "consumer-1" group: "cg" topic: "T" pulled_topic: "T"
             broker: "broker-a" queue: 3 queue_offset: 7 key: "k9" body_hash: 99 consumed: true }
faults { id: 1 kind: "POWER_CYCLE" target: "broker-a" processes: "broker-a" roles: "master"
         groups: "broker-a" start_ns: 25s end_ns: 28s }
)";
  CheckResult r =
      RunChecker("delivery", History(std::string(kConfig) + kDeliveryOk + kLostSendOk + twice));
  EXPECT_VERDICT(r, Verdict::kFail);
  EXPECT_EQ(r.metrics["sync_flush_locations_reused"], 1);
  ASSERT_GE(r.violations.size(), 1u);
  EXPECT_THAT(r.violations[0],
              HasSubstr("SEND_OK key k8 (broker-a q3 @7, sent t=23.9s) was lost from the "
                        "SYNC_FLUSH store: SEND_OK key k9 sent t=30.0s was stored at the same "
                        "location"));
  // Under ASYNC_FLUSH the same history is the known loss of an unflushed tail...
  const history::History async =
      History(WithFlush(kConfig, "ASYNC_FLUSH") + kDeliveryOk + kLostSendOk + twice);
  EXPECT_EQ(RunChecker("delivery", async).metrics["sync_flush_locations_reused"], 0);
  // ...unless the scenario promised durability anyway.
  CheckResult promised =
      RunChecker("delivery", async, Settings("delivery { durability: PROMISED }"));
  EXPECT_VERDICT(promised, Verdict::kFail);
  EXPECT_EQ(promised.metrics["sync_flush_locations_reused"], 1);
  EXPECT_THAT(promised.violations[0], HasSubstr("was lost from the store (durability PROMISED)"));
}

TEST(DeliveryCheckerTest, FailsOnABodyHashMismatch) {
  std::string text = std::string(kConfig) + kDeliveryOk;
  text.replace(text.find("key: \"k1\" body_hash: 11"), 23, "key: \"k1\" body_hash: 12");
  CheckResult r = RunChecker("delivery", History(text));
  EXPECT_VERDICT(r, Verdict::kFail);
  EXPECT_EQ(r.metrics["corrupted"], 1);
  ASSERT_EQ(r.violations.size(), 1u);
  EXPECT_THAT(r.violations[0], HasSubstr("key k1 delivered to cg by consumer-1 at t=20.5s"));
  EXPECT_THAT(r.violations[0], HasSubstr("with body hash 000000000000000c"));
  EXPECT_THAT(r.violations[0], HasSubstr("sent with body hash 000000000000000b"));
}

TEST(DeliveryCheckerTest, FailsOnUnexpectedDeliveries) {
  const std::string unexpected = R"(
sends { key: "kf" producer: "producer-1" topic: "T" invoke_ns: 30s complete_ns: 30s
        outcome: FAIL error: "message too large" }
deliveries { time_ns: 31s consumer: "consumer-1" group: "cg" topic: "T" pulled_topic: "T"
             broker: "broker-a" queue: 0 queue_offset: 5 key: "kf" consumed: true }
deliveries { time_ns: 32s consumer: "consumer-1" group: "cg" topic: "T" pulled_topic: "T"
             broker: "broker-a" queue: 0 queue_offset: 6 key: "ghost" consumed: true }
)";
  CheckResult r = RunChecker("delivery", History(std::string(kConfig) + kDeliveryOk + unexpected));
  EXPECT_VERDICT(r, Verdict::kFail);
  EXPECT_EQ(r.metrics["unexpected"], 2);
  EXPECT_THAT(r.violations[0], HasSubstr("key kf delivered"));
  EXPECT_THAT(r.violations[0], HasSubstr("was sent with outcome FAIL"));
  EXPECT_THAT(r.violations[1], HasSubstr("key ghost delivered"));
  EXPECT_THAT(r.violations[1], HasSubstr("was never sent"));
}

TEST(DeliveryCheckerTest, MessagesStillInTheirQueueAreNotLost) {
  const std::string lag = R"(
lags { group: "cg" broker: "broker-a" queue: 3 max_offset: 8 committed_offset: 7 }
)";
  CheckResult r =
      RunChecker("delivery", History(std::string(kConfig) + kDeliveryOk + kLostSendOk + lag));
  EXPECT_VERDICT(r, Verdict::kPass);
  EXPECT_EQ(r.metrics["unconsumed"], 1);
  EXPECT_THAT(r.headline, HasSubstr("1 still queued"));
}

TEST(DeliveryCheckerTest, SubscriptionsAndBroadcastingConsumers) {
  // bc: broadcasting, TagA only: both consumers must get k5 (TagA); consumer-b misses it.
  // Untagged k1 is not for bc.
  std::string config = kConfig;
  config.insert(config.find("  name_servers"), R"(
  consumer_groups { group: "bc" topic: "T" subscription: "TagA" model: "BROADCASTING"
                    consumers: "consumer-a" consumers: "consumer-b" }
)");
  const std::string broadcast = R"(
deliveries { time_ns: 25s consumer: "consumer-a" group: "bc" topic: "T" pulled_topic: "T"
             broker: "broker-a" queue: 2 queue_offset: 0 key: "k5" tags: "TagA" body_hash: 55
             consumed: true }
)";
  CheckResult r = RunChecker("delivery", History(config + kDeliveryOk + broadcast));
  EXPECT_VERDICT(r, Verdict::kFail);
  EXPECT_EQ(r.metrics["lost"], 1);
  EXPECT_EQ(r.metrics["scopes"], 3);
  ASSERT_EQ(r.violations.size(), 1u);
  EXPECT_THAT(r.violations[0], HasSubstr("key k5"));
  EXPECT_THAT(r.violations[0], HasSubstr("never delivered to consumer consumer-b of bc"));
}

TEST(DeliveryCheckerTest, SkipsWithoutConsumerGroups) {
  CheckResult r = RunChecker("delivery", History(kDeliveryOk));
  EXPECT_VERDICT(r, Verdict::kSkipped);
}

// ------------------------------------------------------------------------------ routes

// broker-a registers every 30 s; killed at 70 s (purged at once), back at 80 s.
constexpr char kRoutesConfig[] = R"(
config {
  groups { name: "broker-a" flush: "SYNC_FLUSH" master: "broker-a" addresses: "10.0.0.1:10911" }
  name_servers: "namesrv-1"
  chaos_start_ns: 10s chaos_end_ns: 100s end_ns: 160s
}
)";
constexpr char kRoutesBefore[] = R"(
routes { time_ns: 0s name_server: "namesrv-1" up: true }
routes { time_ns: 1s name_server: "namesrv-1" up: true
         brokers { broker_name: "broker-a" broker_id: 0 address: "10.0.0.1:10911"
                   last_update_ns: 1s } }
routes { time_ns: 31s name_server: "namesrv-1" up: true
         brokers { broker_name: "broker-a" broker_id: 0 address: "10.0.0.1:10911"
                   last_update_ns: 31s } }
routes { time_ns: 61s name_server: "namesrv-1" up: true
         brokers { broker_name: "broker-a" broker_id: 0 address: "10.0.0.1:10911"
                   last_update_ns: 61s } }
)";
constexpr char kRoutesPurged[] = R"(
routes { time_ns: 71s name_server: "namesrv-1" up: true }
)";
constexpr char kRoutesBack[] = R"(
routes { time_ns: 81s name_server: "namesrv-1" up: true
         brokers { broker_name: "broker-a" broker_id: 0 address: "10.0.0.1:10911"
                   last_update_ns: 81s } }
routes { time_ns: 111s name_server: "namesrv-1" up: true
         brokers { broker_name: "broker-a" broker_id: 0 address: "10.0.0.1:10911"
                   last_update_ns: 111s } }
routes { time_ns: 141s name_server: "namesrv-1" up: true
         brokers { broker_name: "broker-a" broker_id: 0 address: "10.0.0.1:10911"
                   last_update_ns: 141s } }
)";
constexpr char kKillAt70[] = R"(
faults { id: 1 kind: "KILL" target: "broker-a" processes: "broker-a" roles: "master"
         groups: "broker-a" start_ns: 70s end_ns: 80s }
)";

TEST(RoutesCheckerTest, PassesWhenAKilledBrokerIsPurgedAtOnceAndComesBack) {
  CheckResult r = RunChecker("routes", History(std::string(kRoutesConfig) + kRoutesBefore +
                                               kRoutesPurged + kRoutesBack + kKillAt70));
  EXPECT_VERDICT(r, Verdict::kPass);
  EXPECT_EQ(r.metrics["purges.connection_close"], 1);
  EXPECT_EQ(r.metrics["purges.early"], 0);
  EXPECT_NEAR(r.metrics["max_staleness_s"], 29, 0.01);
  EXPECT_NEAR(r.metrics["max_close_purge_s"], 1, 0.01);
}

TEST(RoutesCheckerTest, FailsOnAnEarlyPurge) {
  // Same tables, no fault: nothing closed broker-a's connection.
  CheckResult r = RunChecker(
      "routes", History(std::string(kRoutesConfig) + kRoutesBefore + kRoutesPurged + kRoutesBack));
  EXPECT_VERDICT(r, Verdict::kFail);
  EXPECT_EQ(r.metrics["purges.early"], 1);
  EXPECT_EQ(r.headline,
            "1 early purges, 0 stale routes, 0 late close purges, 0 missing after healing; "
            "purges: 0 by expiry, 0 by connection close; max staleness 29.0s");
  ASSERT_EQ(r.violations.size(), 1u);
  EXPECT_THAT(r.violations[0],
              HasSubstr("name server namesrv-1 purged live broker broker-a (10.0.0.1:10911) at "
                        "t=71.0s (last registration t=61.0s, 10.0s earlier"));
}

TEST(RoutesCheckerTest, AWallClockJumpOnTheNameServerExplainsAnEarlyPurge) {
  const std::string jump = R"(
faults { id: 1 kind: "CLOCK_JUMP" target: "namesrv-1" processes: "namesrv-1"
         roles: "name-server" start_ns: 65s end_ns: 65s detail: "+300s" }
)";
  CheckResult r = RunChecker("routes", History(std::string(kRoutesConfig) + kRoutesBefore +
                                               kRoutesPurged + kRoutesBack + jump));
  EXPECT_VERDICT(r, Verdict::kPass);
  EXPECT_EQ(r.metrics["purges.clock_jump"], 1);
}

TEST(RoutesCheckerTest, FailsOnAStaleRoute) {
  // broker-a isolated from 40 s: its registration of 31 s stays listed until the end (200 s).
  const std::string isolate = R"(
faults { id: 1 kind: "ISOLATE" target: "broker-a" processes: "broker-a" roles: "master"
         groups: "broker-a" start_ns: 40s end_ns: 100s }
)";
  std::string before = kRoutesBefore;
  before.erase(before.find("routes { time_ns: 61s"));
  std::string config = kRoutesConfig;
  config.replace(config.find("end_ns: 160s"), 12, "end_ns: 200s");
  CheckResult r = RunChecker("routes", History(config + before + isolate));
  EXPECT_VERDICT(r, Verdict::kFail);
  EXPECT_EQ(r.metrics["stale_routes"], 1);
  ASSERT_EQ(r.violations.size(), 1u);
  EXPECT_THAT(r.violations[0],
              HasSubstr("stale route: name server namesrv-1 still listed broker-a "
                        "(10.0.0.1:10911) at t=200.0s (last registration t=31.0s, 169.0s "
                        "earlier; expected a purge within 133.0s"));
  EXPECT_NEAR(r.metrics["max_staleness_s"], 169, 0.01);

  // Until 160 s (129 s after the registration) it is in time with the default expiry, and
  // stale with a 60 s one.
  const history::History shorter = History(std::string(kRoutesConfig) + before + isolate);
  EXPECT_VERDICT(RunChecker("routes", shorter), Verdict::kPass);
  EXPECT_VERDICT(RunChecker("routes", shorter, Settings(R"(routes { expiry: "60s" })")),
                 Verdict::kFail);
}

TEST(RoutesCheckerTest, PassesWhenAnIsolatedBrokerExpiresInTime) {
  const std::string isolate = R"(
faults { id: 1 kind: "ISOLATE" target: "broker-a" processes: "broker-a" roles: "master"
         groups: "broker-a" start_ns: 40s end_ns: 180s }
routes { time_ns: 152s name_server: "namesrv-1" up: true }
)";
  std::string before = kRoutesBefore;
  before.erase(before.find("routes { time_ns: 61s"));
  std::string config = kRoutesConfig;
  config.replace(config.find("chaos_end_ns: 100s end_ns: 160s"), 31,
                 "chaos_end_ns: 200s end_ns: 220s");
  CheckResult r = RunChecker("routes", History(config + before + isolate));
  EXPECT_VERDICT(r, Verdict::kPass);
  EXPECT_EQ(r.metrics["purges.expiry"], 1);
}

// Re-registrations of broker-a after its restart at 90 s.
constexpr char kRoutesBackAt90[] = R"(
routes { time_ns: 120s name_server: "namesrv-1" up: true
         brokers { broker_name: "broker-a" broker_id: 0 address: "10.0.0.1:10911"
                   last_update_ns: 120s } }
routes { time_ns: 150s name_server: "namesrv-1" up: true
         brokers { broker_name: "broker-a" broker_id: 0 address: "10.0.0.1:10911"
                   last_update_ns: 150s } }
)";

TEST(RoutesCheckerTest, FailsWhenAKilledBrokerStaysListed) {
  // The registration of 61 s stays until broker-a registers again at 90 s.
  const std::string late = R"(
routes { time_ns: 90s name_server: "namesrv-1" up: true
         brokers { broker_name: "broker-a" broker_id: 0 address: "10.0.0.1:10911"
                   last_update_ns: 90s } }
)";
  CheckResult r = RunChecker("routes", History(std::string(kRoutesConfig) + kRoutesBefore + late +
                                               kRoutesBackAt90 + kKillAt70));
  EXPECT_VERDICT(r, Verdict::kFail);
  EXPECT_EQ(r.metrics["late_close_purges"], 1);
  ASSERT_EQ(r.violations.size(), 1u);
  EXPECT_THAT(r.violations[0],
              HasSubstr("name server namesrv-1 still listed broker-a (10.0.0.1:10911) at "
                        "t=74.0s, 4.0s after its KILL at t=70.0s (last registration t=61.0s"));
}

TEST(RoutesCheckerTest, APartitionDelaysTheCloseOfAKilledBroker) {
  // The kill's reset stalls on the partition until 88 s.
  const std::string partition = R"(
faults { id: 2 kind: "PARTITION" target: "broker-a" processes: "broker-a" roles: "master"
         peers: "namesrv-1" start_ns: 65s end_ns: 88s }
routes { time_ns: 89s name_server: "namesrv-1" up: true }
routes { time_ns: 90s name_server: "namesrv-1" up: true
         brokers { broker_name: "broker-a" broker_id: 0 address: "10.0.0.1:10911"
                   last_update_ns: 90s } }
)";
  CheckResult r = RunChecker("routes", History(std::string(kRoutesConfig) + kRoutesBefore +
                                               partition + kRoutesBackAt90 + kKillAt70));
  EXPECT_VERDICT(r, Verdict::kPass);
  EXPECT_EQ(r.metrics["purges.connection_close"], 1);
}

TEST(RoutesCheckerTest, FailsOnAMissingRouteAfterHealing) {
  CheckResult r = RunChecker(
      "routes", History(std::string(kRoutesConfig) + kRoutesBefore + kRoutesPurged + kKillAt70));
  EXPECT_VERDICT(r, Verdict::kFail);
  EXPECT_EQ(r.metrics["missing_after_heal"], 1);
  ASSERT_EQ(r.violations.size(), 1u);
  EXPECT_THAT(r.violations[0],
              HasSubstr("name server namesrv-1 does not list broker-a (10.0.0.1:10911) at "
                        "t=133.0s, 33.0s after the faults healed at t=100.0s (expected within "
                        "register interval 30.0s + tolerance 3.0s)"));
}

TEST(RoutesCheckerTest, ARestartedNameServerGetsTimeToRelearn) {
  // namesrv-1 down from 95 s to 125 s (its table starts empty): broker-a must be listed by
  // 125 s + 33 s, not by 133 s; it registers at 150 s.
  const std::string restart = R"(
routes { time_ns: 95s name_server: "namesrv-1" up: false }
routes { time_ns: 125s name_server: "namesrv-1" up: true }
routes { time_ns: 150s name_server: "namesrv-1" up: true
         brokers { broker_name: "broker-a" broker_id: 0 address: "10.0.0.1:10911"
                   last_update_ns: 150s } }
faults { id: 3 kind: "KILL" target: "namesrv-1" processes: "namesrv-1" roles: "name-server"
         start_ns: 95s end_ns: 125s }
)";
  std::string config = kRoutesConfig;
  config.replace(config.find("end_ns: 160s"), 12, "end_ns: 170s");
  CheckResult r = RunChecker("routes", History(config + kRoutesBefore + kRoutesPurged +
                                               R"(
routes { time_ns: 81s name_server: "namesrv-1" up: true
         brokers { broker_name: "broker-a" broker_id: 0 address: "10.0.0.1:10911"
                   last_update_ns: 81s } }
)" + restart + kKillAt70));
  EXPECT_VERDICT(r, Verdict::kPass);
}

// ------------------------------------------------------------------------------ liveness

constexpr char kLivenessOk[] = R"(
sends { key: "q1" producer: "producer-1" topic: "T" invoke_ns: 150s complete_ns: 150.1s
        outcome: OK status: "SEND_OK" broker: "broker-a" queue: 0 queue_offset: 40 }
lags { group: "cg" broker: "broker-a" queue: 0 max_offset: 41 committed_offset: 41 }
routes { time_ns: 190s name_server: "namesrv-1" up: true
         brokers { broker_name: "broker-a" broker_id: 0 address: "10.0.0.1:10911"
                   last_update_ns: 190s } }
)";

TEST(LivenessCheckerTest, PassesWhenTheQuietPhaseMakesProgress) {
  CheckResult r = RunChecker("liveness", History(std::string(kConfig) + kLivenessOk));
  EXPECT_VERDICT(r, Verdict::kPass);
  EXPECT_EQ(r.metrics["quiet_send_ok"], 1);
}

TEST(LivenessCheckerTest, FailsOnAProducerWithoutSendOkInTheQuietPhase) {
  std::string config = kConfig;
  config.insert(config.find("  chaos_start_ns"), "  producers: \"producer-2\"\n");
  const std::string stuck = R"(
sends { key: "q2" producer: "producer-2" topic: "T" invoke_ns: 120s complete_ns: 123s
        outcome: UNKNOWN error: "timeout" }
sends { key: "q0" producer: "producer-2" topic: "T" invoke_ns: 50s complete_ns: 50.1s
        outcome: OK status: "SEND_OK" broker: "broker-a" queue: 0 queue_offset: 3 }
)";
  CheckResult r = RunChecker("liveness", History(config + kLivenessOk + stuck));
  EXPECT_VERDICT(r, Verdict::kFail);
  ASSERT_EQ(r.violations.size(), 1u);
  EXPECT_EQ(r.violations[0],
            "producer producer-2 got 0 SEND_OK among 1 sends invoked in the quiet phase "
            "[t=100.0s, t=200.0s] (1 UNKNOWN) (expected at least 1)");
  // A higher bar fails producer-1 too.
  CheckResult two = RunChecker("liveness", History(config + kLivenessOk + stuck),
                               Settings("liveness { min_send_ok_per_producer: 2 }"));
  EXPECT_EQ(two.violations_total, 2u);
}

TEST(LivenessCheckerTest, FailsOnANonZeroLag) {
  const std::string lag = R"(
lags { group: "cg" broker: "broker-a" queue: 1 max_offset: 12 committed_offset: 9 }
)";
  CheckResult r = RunChecker("liveness", History(std::string(kConfig) + kLivenessOk + lag));
  EXPECT_VERDICT(r, Verdict::kFail);
  ASSERT_EQ(r.violations.size(), 1u);
  EXPECT_THAT(r.violations[0], HasSubstr("consumer group cg has lag 3 on broker-a queue 1"));
}

TEST(LivenessCheckerTest, FailsOnAnIdleGroupAndAnUnroutedMaster) {
  std::string config = kConfig;
  config.insert(config.find("  consumer_groups"),
                "  groups { name: \"broker-b\" flush: \"SYNC_FLUSH\" master: \"broker-b\" }\n");
  CheckResult r = RunChecker("liveness", History(config + kLivenessOk));
  EXPECT_VERDICT(r, Verdict::kFail);
  ASSERT_EQ(r.violations.size(), 2u);
  EXPECT_THAT(r.violations[0], HasSubstr("broker group broker-b stored no SEND_OK"));
  EXPECT_THAT(r.violations[1],
              HasSubstr("name server namesrv-1 does not list the master broker-b of broker group "
                        "broker-b in its last sample (t=190.0s"));
}

// ------------------------------------------------------------------------------ replicas

constexpr char kReplicaConfig[] = R"(
config {
  groups { name: "broker-a" role: "SYNC_MASTER" flush: "SYNC_FLUSH" slaves: 1
           master: "broker-a" slave_processes: "broker-a-s1" }
}
)";

TEST(ReplicasCheckerTest, PassesWhenTheSlaveHoldsTheMastersLog) {
  CheckResult r = RunChecker("replicas", History(std::string(kReplicaConfig) + R"(
replicas { group: "broker-a" slave: "broker-a-s1" connected: true master_max_offset: 4096
           slave_max_offset: 4096 first_difference: -1 slave_up: true master_up: true }
)"));
  EXPECT_VERDICT(r, Verdict::kPass);
  EXPECT_EQ(r.metrics["in_sync"], 1);
}

constexpr char kDiverged[] = R"(
replicas { group: "broker-a" slave: "broker-a-s1" connected: true diverged: true
           master_max_offset: 4096 slave_max_offset: 5000 first_difference: 3900
           slave_up: true master_up: true }
)";

TEST(ReplicasCheckerTest, FailsOnADivergedSlaveThatNoPowerLossExplains) {
  CheckResult r = RunChecker("replicas", History(std::string(kReplicaConfig) + kDiverged));
  EXPECT_VERDICT(r, Verdict::kFail);
  ASSERT_EQ(r.violations.size(), 1u);
  EXPECT_EQ(r.violations[0],
            "slave broker-a-s1 of broker-a (group broker-a) diverged (master max offset 4096, "
            "slave max offset 5000, first difference at 3900); expected an identical log: no "
            "power loss of the master explains it");
  // Under ASYNC_FLUSH too: the flush mode alone does not explain a divergence.
  EXPECT_VERDICT(
      RunChecker("replicas", History(WithFlush(kReplicaConfig, "ASYNC_FLUSH") + kDiverged)),
      Verdict::kFail);
  // A kill keeps the page cache: it explains nothing either.
  EXPECT_VERDICT(RunChecker("replicas", History(std::string(kReplicaConfig) + kDiverged + R"(
faults { id: 1 kind: "KILL" target: "broker-a" processes: "broker-a" roles: "master"
         start_ns: 1000000000 end_ns: 2000000000 }
)")),
                 Verdict::kFail);
  EXPECT_VERDICT(RunChecker("replicas", History(std::string(kReplicaConfig) + kDiverged),
                            Settings("replicas { allow_diverged: true }")),
                 Verdict::kPass);
}

constexpr char kMasterPowerCycle[] = R"(
faults { id: 1 kind: "POWER_CYCLE" target: "broker-a" processes: "broker-a" roles: "master"
         start_ns: 1000000000 end_ns: 2000000000 }
)";

TEST(ReplicasCheckerTest, ADivergedSlaveIsAllowedAfterItsMastersPowerLoss) {
  for (const char* flush : {"ASYNC_FLUSH", "SYNC_FLUSH"}) {
    CheckResult r = RunChecker(
        "replicas", History(WithFlush(kReplicaConfig, flush) + kDiverged + kMasterPowerCycle));
    EXPECT_VERDICT(r, Verdict::kPass);
    EXPECT_EQ(r.metrics["diverged_allowed"], 1);
    ASSERT_EQ(r.notes.size(), 1u);
    EXPECT_THAT(r.notes[0], HasSubstr("allowed (POWER_CYCLE of the master at t=1.0s"));
  }
  // The offsets line up but the bytes differ (the slave did not notice): the same 4.x case.
  CheckResult r = RunChecker("replicas", History(std::string(kReplicaConfig) + R"(
replicas { group: "broker-a" slave: "broker-a-s1" connected: true master_max_offset: 4096
           slave_max_offset: 4096 first_difference: 100 slave_up: true master_up: true }
)" + kMasterPowerCycle));
  EXPECT_VERDICT(r, Verdict::kPass);
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_THAT(r.notes[0], HasSubstr("differs from its master"));
}

TEST(ReplicasCheckerTest, FailsOnADisconnectedOrBehindSlave) {
  CheckResult r = RunChecker("replicas", History(std::string(kReplicaConfig) + R"(
replicas { group: "broker-a" slave: "broker-a-s1" connected: false master_max_offset: 4096
           slave_max_offset: 1024 first_difference: -1 slave_up: true master_up: true }
replicas { group: "broker-a" slave: "broker-a-s2" connected: true master_max_offset: 4096
           slave_max_offset: 1024 first_difference: -1 slave_up: true master_up: true }
replicas { group: "broker-a" slave: "broker-a-s3" connected: true master_max_offset: 4096
           slave_max_offset: 4096 first_difference: 100 slave_up: true master_up: true }
replicas { group: "broker-a" slave: "broker-a-s4" master_max_offset: 4096 first_difference: -1
           slave_up: false master_up: true }
)"));
  EXPECT_VERDICT(r, Verdict::kFail);
  ASSERT_EQ(r.violations.size(), 4u);
  EXPECT_THAT(r.violations[0], HasSubstr("is not connected to its master at the end"));
  EXPECT_THAT(r.violations[1], HasSubstr("has not caught up"));
  EXPECT_THAT(r.violations[2], HasSubstr("differs from its master (master max offset 4096, "
                                         "slave max offset 4096, first difference at 100)"));
  EXPECT_THAT(r.violations[3], HasSubstr("the slave is down at the end"));
}

TEST(ReplicasCheckerTest, SkipsWithoutReplicas) {
  EXPECT_VERDICT(RunChecker("replicas", History(kReplicaConfig)), Verdict::kSkipped);
}

// ------------------------------------------------------------------------------ retry

// Group "fg" fails on purpose, max_reconsume_times 2: r1 fails once then is consumed from the
// retry topic; r2 fails three times (reconsume_times 0, 1, 2) and reaches %DLQ%fg.
constexpr char kRetryConfig[] = R"(
config {
  consumer_groups { group: "fg" topic: "T" subscription: "*" model: "CLUSTERING"
                    consumers: "c-1" max_reconsume_times: 2 fails: true }
  end_ns: 600s
}
)";
constexpr char kRetryOk[] = R"(
deliveries { time_ns: 10s consumer: "c-1" group: "fg" topic: "T" pulled_topic: "T" key: "r1"
             reconsume_times: 0 consumed: false }
deliveries { time_ns: 20s consumer: "c-1" group: "fg" topic: "T" pulled_topic: "%RETRY%fg"
             key: "r1" reconsume_times: 1 consumed: true }
deliveries { time_ns: 11s consumer: "c-1" group: "fg" topic: "T" pulled_topic: "T" key: "r2"
             reconsume_times: 0 consumed: false }
deliveries { time_ns: 21s consumer: "c-1" group: "fg" topic: "T" pulled_topic: "%RETRY%fg"
             key: "r2" reconsume_times: 1 consumed: false }
deliveries { time_ns: 51s consumer: "c-1" group: "fg" topic: "T" pulled_topic: "%RETRY%fg"
             key: "r2" reconsume_times: 2 consumed: false }
deliveries { time_ns: 600s consumer: "dlq" group: "fg" topic: "T" pulled_topic: "%DLQ%fg"
             key: "r2" reconsume_times: 3 consumed: false }
)";

TEST(RetryCheckerTest, PassesWhenEveryMessageIsConsumedOrDeadLettered) {
  CheckResult r = RunChecker("retry", History(std::string(kRetryConfig) + kRetryOk));
  EXPECT_VERDICT(r, Verdict::kPass);
  EXPECT_EQ(r.metrics["consumed"], 1);
  EXPECT_EQ(r.metrics["dlq"], 1);
  EXPECT_EQ(r.metrics["failed_attempts"], 4);
}

TEST(RetryCheckerTest, FailsWhenAMessageReachesTheDlqTooEarly) {
  // max_reconsume_times 16: three failed attempts must not end in %DLQ%.
  std::string config = kRetryConfig;
  config.replace(config.find("max_reconsume_times: 2"), 22, "max_reconsume_times: 16");
  CheckResult r = RunChecker("retry", History(config + kRetryOk));
  EXPECT_VERDICT(r, Verdict::kFail);
  ASSERT_EQ(r.violations.size(), 1u);
  EXPECT_EQ(r.violations[0],
            "key r2 in fg reached %DLQ%fg after 3 failed attempts (expected exactly 17: "
            "max_reconsume_times 16 + 1)");
}

TEST(RetryCheckerTest, FailsWhenAFailedMessageIsNeverRetried) {
  const std::string stuck = R"(
deliveries { time_ns: 30s consumer: "c-1" group: "fg" topic: "T" pulled_topic: "T" key: "r3"
             reconsume_times: 0 consumed: false }
)";
  CheckResult r = RunChecker("retry", History(std::string(kRetryConfig) + kRetryOk + stuck));
  EXPECT_VERDICT(r, Verdict::kFail);
  ASSERT_EQ(r.violations.size(), 1u);
  EXPECT_THAT(r.violations[0],
              HasSubstr("key r3 in fg was neither consumed nor sent to %DLQ%fg: 1 failed "
                        "attempts, the last (reconsume_times 0) at t=30.0s, its next attempt due "
                        "at t=40.0s"));
}

TEST(RetryCheckerTest, ARetryNotYetDueAtTheEndIsPending) {
  const std::string late = R"(
deliveries { time_ns: 595s consumer: "c-1" group: "fg" topic: "T" pulled_topic: "T" key: "r4"
             reconsume_times: 0 consumed: false }
)";
  CheckResult r = RunChecker("retry", History(std::string(kRetryConfig) + kRetryOk + late));
  EXPECT_VERDICT(r, Verdict::kPass);
  EXPECT_EQ(r.metrics["pending_retry"], 1);
}

TEST(RetryCheckerTest, FailsOnATagOutsideTheSubscription) {
  const std::string tagged = R"(
config {
  consumer_groups { group: "tg" topic: "T" subscription: "TagA || TagB" model: "CLUSTERING"
                    consumers: "c-9" }
}
deliveries { time_ns: 12s consumer: "c-9" group: "tg" topic: "T" pulled_topic: "T" key: "t1"
             tags: "TagB" broker: "broker-a" queue: 1 consumed: true }
deliveries { time_ns: 13s consumer: "c-9" group: "tg" topic: "T" pulled_topic: "T" key: "t2"
             tags: "TagC" broker: "broker-a" queue: 2 consumed: true }
)";
  CheckResult r = RunChecker("retry", History(tagged));
  EXPECT_VERDICT(r, Verdict::kFail);
  ASSERT_EQ(r.violations.size(), 1u);
  EXPECT_EQ(r.violations[0],
            "consumer c-9 of tg (subscription \"TagA || TagB\") received key t2 with tag "
            "\"TagC\" at t=13.0s from T broker-a q2 (expected only subscribed tags)");
}

TEST(RetryCheckerTest, SkipsWithoutFailingOrFilteringGroups) {
  EXPECT_VERDICT(RunChecker("retry", History(std::string(kConfig) + kDeliveryOk)),
                 Verdict::kSkipped);
}

// ------------------------------------------------------------------------------ metrics

TEST(MetricsCheckerTest, FiguresPerBrokerFault) {
  const std::string history =
      std::string(kRoutesConfig) + kRoutesBefore + kRoutesPurged + kRoutesBack + kKillAt70 + R"(
sends { key: "m1" producer: "producer-1" topic: "T" invoke_ns: 71s complete_ns: 74s
        outcome: UNKNOWN }
sends { key: "m2" producer: "producer-1" topic: "T" invoke_ns: 81s complete_ns: 82.5s
        outcome: OK status: "SEND_OK" broker: "broker-a" queue: 0 queue_offset: 9 }
deliveries { time_ns: 65s consumer: "c-1" group: "cg" topic: "T" broker: "broker-a" key: "m0"
             consumed: true }
deliveries { time_ns: 83s consumer: "c-1" group: "cg" topic: "T" broker: "broker-a" key: "m0"
             consumed: true }
deliveries { time_ns: 84s consumer: "c-1" group: "cg" topic: "T" broker: "broker-a" key: "m2"
             consumed: true }
)";
  CheckResult r = RunChecker("metrics", History(history));
  EXPECT_VERDICT(r, Verdict::kPass);
  EXPECT_EQ(r.metrics["broker_faults"], 1);
  EXPECT_NEAR(r.metrics["send_unavailable_s.max"], 12.5, 1e-9);
  EXPECT_NEAR(r.metrics["route_purge_s.max"], 1, 1e-9);
  EXPECT_NEAR(r.metrics["consume_resume_s.max"], 13, 1e-9);
  EXPECT_EQ(r.metrics["duplicates_per_fault.max"], 1);
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_EQ(
      r.notes[0],
      "t=70.0s KILL broker-a; broker-a: SEND_OK after 12.5s, read again after 13.0s; "
      "route to broker-a: namesrv-1 purged it after 1.0s; 1 duplicates before the next fault");
}

TEST(MetricsCheckerTest, PassesWithoutFaults) {
  CheckResult r = RunChecker("metrics", History(kConfig));
  EXPECT_VERDICT(r, Verdict::kPass);
  EXPECT_EQ(r.metrics["broker_faults"], 0);
}

// ------------------------------------------------------------------------------ coverage

constexpr char kFaults[] = R"(
faults { id: 1 kind: "KILL" target: "broker-a" processes: "broker-a" roles: "master"
         start_ns: 20s end_ns: 30s }
faults { id: 2 kind: "POWER_CYCLE" target: "m-1" processes: "broker-a-s1"
         processes: "namesrv-1" roles: "slave" roles: "name-server" start_ns: 40s end_ns: 50s }
faults { id: 3 kind: "KILL" target: "namesrv-1" processes: "namesrv-1" roles: "name-server"
         start_ns: 60s end_ns: 70s }
)";

TEST(CoverageCheckerTest, PassesWhenRequirementsAreMet) {
  CheckResult r = RunChecker("coverage", History(kFaults), Settings(R"(
require { kind: KILL role: MASTER }
require { kind: KILL at_least: 2 }
require { kind: POWER_CYCLE role: BROKER }
)"));
  EXPECT_VERDICT(r, Verdict::kPass);
  EXPECT_EQ(r.headline, "3 of 3 requirements met (3 fault windows)");
  EXPECT_EQ(r.metrics["faults.KILL.master"], 1);
  EXPECT_EQ(r.metrics["faults.KILL.name-server"], 1);
  EXPECT_EQ(r.metrics["faults.KILL.any"], 2);
  EXPECT_EQ(r.metrics["faults.POWER_CYCLE.slave"], 1);
  ASSERT_EQ(r.notes.size(), 3u);  // header, KILL, POWER_CYCLE
  EXPECT_THAT(r.notes[0], HasSubstr("kind x role"));
  EXPECT_THAT(r.notes[1], HasSubstr("KILL"));
}

TEST(CoverageCheckerTest, FailsOnAnUnmetRequirement) {
  CheckResult r = RunChecker("coverage", History(kFaults), Settings(R"(
require { kind: POWER_CYCLE role: MASTER }
require { kind: KILL role: CLIENT at_least: 3 }
)"));
  EXPECT_VERDICT(r, Verdict::kFail);
  ASSERT_EQ(r.violations.size(), 2u);
  EXPECT_EQ(r.violations[0], "required at least 1 POWER_CYCLE on master, got 0");
  EXPECT_EQ(r.violations[1], "required at least 3 KILL on client, got 0");
}

// ------------------------------------------------------------------------------ proxy

// One proxy, one producer through it with two SEND_OKs; a sample mid-run and one at rest.
std::string ProxyHistory(const std::string& mid, const std::string& rest,
                         uint64_t rest_incarnation = 1) {
  return std::string(kConfig).replace(std::string(kConfig).rfind('}'), 1,
                                      "  proxies { name: \"proxy-1\" producers: \"producer-1\" }\n}") +
         R"(
sends { producer: "producer-1" key: "k1" outcome: OK status: "SEND_OK" }
sends { producer: "producer-1" key: "k2" outcome: OK status: "SEND_OK" }
proxies { time_ns: 50s proxy: "proxy-1" up: true incarnation: 1 )" + mid + R"( }
proxies { time_ns: 150s proxy: "proxy-1" up: true at_rest: true incarnation: )" +
         std::to_string(rest_incarnation) + " " + rest + " }\n";
}
std::string Stats(std::initializer_list<std::pair<const char*, int>> values) {
  std::string out;
  for (const auto& [n, v] : values) {
    out += "stats { name: \"" + std::string(n) + "\" value: " + std::to_string(v) + " } ";
  }
  return out;
}
const std::string kMid = Stats({{"request", 5}, {"request_decoding_success", 5},
                                {"send_message_v2", 2}, {"heartbeat", 1}, {"get_topic_route", 1},
                                {"response", 1}, {"response_decoding_success", 1},
                                {"response_success", 1}, {"request_active", 1},
                                {"send_message_v2_active", 1}, {"request_time_ms", 4}});
const std::string kRest = Stats({{"request", 6}, {"request_decoding_success", 6},
                                 {"send_message_v2", 2}, {"heartbeat", 2}, {"get_topic_route", 1},
                                 {"response", 2}, {"response_decoding_success", 2},
                                 {"response_success", 2}, {"request_time_ms", 6}});

TEST(ProxyCheckerTest, SkipsWithoutProxies) {
  EXPECT_VERDICT(RunChecker("proxy", History(kConfig)), Verdict::kSkipped);
}

TEST(ProxyCheckerTest, PassesWhenConsistentAndAtRest) {
  const CheckResult r = RunChecker("proxy", History(ProxyHistory(kMid, kRest)));
  EXPECT_VERDICT(r, Verdict::kPass);
  EXPECT_THAT(r.headline, HasSubstr("2 SEND_OK through proxies that never restarted"));
}

TEST(ProxyCheckerTest, FailsWhenRequestsDoNotAddUp) {
  const std::string bad = Stats({{"request", 7}, {"request_decoding_success", 6}});
  const CheckResult r = RunChecker("proxy", History(ProxyHistory(kMid, bad)));
  EXPECT_VERDICT(r, Verdict::kFail);
  EXPECT_THAT(r.violations.at(0), HasSubstr("request 7 != request_decoding_success 6"));
}

TEST(ProxyCheckerTest, FailsWhenResponsesDoNotAddUp) {
  const std::string bad = Stats({{"request", 6}, {"request_decoding_success", 6},
                                 {"send_message_v2", 2}, {"response", 3},
                                 {"response_decoding_success", 2}, {"response_success", 2}});
  const CheckResult r = RunChecker("proxy", History(ProxyHistory(kMid, bad)));
  EXPECT_VERDICT(r, Verdict::kFail);
  EXPECT_THAT(r.violations.at(0), HasSubstr("response 3 != response_decoding_success 2"));
}

TEST(ProxyCheckerTest, FailsOnAGaugeNotBackAtZeroAtRest) {
  const CheckResult r =
      RunChecker("proxy", History(ProxyHistory(kMid, kRest + Stats({{"get_topic_route_active", 1},
                                                                     {"request_active", 1}}))));
  EXPECT_VERDICT(r, Verdict::kFail);
  EXPECT_THAT(r.violations.at(0), HasSubstr("request_active is 1 at rest"));
}

TEST(ProxyCheckerTest, FailsOnActiveGaugesAboveRequestActiveAndPendingAboveActive) {
  const std::string bad = Stats({{"request", 5}, {"request_decoding_success", 5},
                                 {"send_message_v1_active", 2}, {"request_active", 1},
                                 {"total_pending", 1}, {"send_message_pending", 2}});
  const CheckResult r = RunChecker("proxy", History(ProxyHistory(bad, kRest)));
  EXPECT_VERDICT(r, Verdict::kFail);
  EXPECT_THAT(r.violations.at(0), HasSubstr("active gauges add up to 2 > request_active 1"));
  EXPECT_THAT(r.violations.at(1), HasSubstr("not pending <= total <= active"));
}

TEST(ProxyCheckerTest, FailsWhenACounterGoesDownWithoutARestart) {
  const std::string lower = Stats({{"request", 4}, {"request_decoding_success", 4},
                                   {"send_message_v2", 2}, {"response", 2},
                                   {"response_decoding_success", 2}, {"response_success", 2}});
  const CheckResult r = RunChecker("proxy", History(ProxyHistory(kMid, lower)));
  EXPECT_VERDICT(r, Verdict::kFail);
  EXPECT_THAT(r.violations.at(0), HasSubstr("request went down from 5 to 4 without a restart"));
  // After a restart (another incarnation) counting starts again: no violation, and the
  // producers' SEND_OKs are not compared with a proxy whose counts started over.
  EXPECT_VERDICT(RunChecker("proxy", History(ProxyHistory(kMid, lower, 2))), Verdict::kPass);
}

TEST(ProxyCheckerTest, FailsWhenSendOksThroughTheProxyExceedItsCounts) {
  const std::string few = Stats({{"request", 6}, {"request_decoding_success", 6},
                                 {"send_message_v2", 1}, {"response", 2},
                                 {"response_decoding_success", 2}, {"response_success", 1}});
  const CheckResult r = RunChecker("proxy", History(ProxyHistory(kMid, few)));
  EXPECT_VERDICT(r, Verdict::kFail);
  EXPECT_THAT(r.violations.back(),
              HasSubstr("proxy-1: its producers have 2 SEND_OK but it counted 1 sends"));
}

TEST(ProxyCheckerTest, FailsWhenACounterDisagreesWithTheTrafficOnItsLinks) {
  auto observed = [](int v2) {
    return "observed { name: \"send_message_v2\" value: " + std::to_string(v2) +
           " } observed { name: \"request\" value: 6 }";
  };
  EXPECT_VERDICT(RunChecker("proxy", History(ProxyHistory(kMid, kRest + observed(2)))),
                 Verdict::kPass);
  // The links carried three V2 sends; the proxy counted one of them as V1: every sum still adds
  // up, only the traffic tells.
  const CheckResult r = RunChecker(
      "proxy", History(ProxyHistory(kMid, kRest + Stats({{"send_message_v1", 1}}) + observed(3))));
  EXPECT_VERDICT(r, Verdict::kFail);
  ASSERT_EQ(r.violations_total, 1u) << Dump(r);
  EXPECT_THAT(r.violations.at(0),
              HasSubstr("send_message_v2 is 2 but the traffic on the proxy's links makes it 3"));
}

}  // namespace
}  // namespace rmqsim::checkers
