// The broker under BUGGIFY and its long-polling invariant: a run with the BUGGIFY sites on
// (late and early pull-hold passes, delayed and SYSTEM_BUSY sends, delayed responses, small
// writes, late callbacks) differs from the plain run but keeps every message exactly once and in
// order; the hold service's check fires on a request held past its deadline.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "system/broker/pull_request_hold_service.h"
#include "system/common/byte_buffer.h"
#include "tests/system/broker/broker_test_util.h"

namespace rmqsim::broker::testing {
namespace {

class BrokerInvariantsDeathTest : public BrokerWorld {};

TEST_F(BrokerInvariantsDeathTest, APullHeldPastItsDeadlineFires) {
  Runtime& rt = *world_.runtime(client_proc_);
  int reruns = 0;
  PullRequestHoldService hold(
      rt, seconds(5), [](const std::string&, int32_t) -> int64_t { return 0; },
      [&reruns](PullRequest) { ++reruns; });
  hold.Start();
  // A request held legally: released at the first pass after its 15 s, never flagged.
  hold.SuspendPullRequest("T", 0,
                          PullRequest{.suspend_time = rt.Now(), .timeout = seconds(15)});
  world_.RunFor(seconds(21));
  EXPECT_EQ(reruns, 1);
  EXPECT_EQ(hold.CheckNoOverdueRequest(), "");
  ASSERT_TRUE(hold.last_check().has_value());
  // Broken: a request that was due before the last pass is still in the table.
  hold.HoldForTesting("T", 1,
                      PullRequest{.suspend_time = *hold.last_check() - seconds(20),
                                  .timeout = seconds(15)});
  EXPECT_NE(hold.CheckNoOverdueRequest().find("still held after the pass"), std::string::npos);
  EXPECT_DEATH(world_.RunFor(seconds(6)), "pull of T@1 from offset 0 .* still held after the pass");
  hold.Shutdown();
}

// One run: held pulls on 4 queues, 120 sends (SYSTEM_BUSY answers are sent again, as a producer
// would), then pulls until every queue is drained. Returns what each queue delivered.
struct RunResult {
  std::map<int32_t, std::vector<std::string>> sent, pulled;
  std::map<int32_t, std::vector<int64_t>> offsets;
  uint64_t firings = 0;
  uint64_t busy = 0;
  uint64_t early_not_found = 0;
  uint64_t digest = 0;
};

class BuggifyRun : public BrokerWorld {
 public:
  explicit BuggifyRun(uint64_t seed, bool buggify)
      : BrokerWorld(sim::WorldConfig{.seed = seed, .buggify = buggify}) {}
  void TestBody() override {}

  RunResult Go() {
    RunResult out;
    SetUp();
    StartBroker();
    EXPECT_EQ(Ask(CreateTopic("T"))->code, ResponseCode::SUCCESS);
    constexpr int32_t kQueues = 4;
    std::map<int32_t, int64_t> next;
    std::map<int32_t, std::shared_ptr<std::optional<StatusOr<RemotingCommand>>>> slots;
    for (int32_t q = 0; q < kQueues; ++q) {
      next[q] = 0;
      slots[q] = AskLater(Pull("CG", "T", q, 0));
    }
    world_.RunFor(seconds(1));
    for (int i = 0; i < 120; ++i) {
      const int32_t q = i % kQueues;
      const std::string body = "m" + std::to_string(i);
      for (int attempt = 0; attempt < 20; ++attempt) {
        auto r = Ask(SendV2("T", body, "", q));
        EXPECT_TRUE(r.ok()) << r.status();
        if (!r.ok()) break;
        if (r->code == ResponseCode::SYSTEM_BUSY) {
          ++out.busy;
          continue;
        }
        EXPECT_EQ(r->code, ResponseCode::SUCCESS) << r->remark.value_or("");
        break;
      }
      out.sent[q].push_back(body);
    }
    const MonoTime deadline = world_.now() + minutes(5);
    auto done = [&] {
      for (int32_t q = 0; q < kQueues; ++q) {
        if (out.pulled[q].size() < out.sent[q].size()) return false;
      }
      return true;
    };
    while (!done() && world_.now() < deadline) {
      world_.RunUntil(
          [&] {
            for (auto& [q, slot] : slots) {
              if (slot->has_value()) return true;
            }
            return false;
          },
          deadline);
      for (auto& [q, slot] : slots) {
        if (!slot->has_value()) continue;
        auto r = std::move(**slot);
        EXPECT_TRUE(r.ok()) << r.status();
        if (r.ok() && r->code == ResponseCode::SUCCESS) {
          for (const auto& m : Decode(*r)) {
            out.offsets[q].push_back(m.queue_offset);
            out.pulled[q].push_back(common::StringFromBytes(m.message.body()));
          }
          next[q] = ExtInt(*r, "nextBeginOffset");
        } else if (r.ok() && r->code == ResponseCode::PULL_NOT_FOUND &&
                   next[q] < static_cast<int64_t>(out.sent[q].size())) {
          ++out.early_not_found;  // released before its messages were there: pull again
        }
        if (out.pulled[q].size() < out.sent[q].size()) {
          slot = AskLater(Pull("CG", "T", q, next[q]));
        } else {
          slot = std::make_shared<std::optional<StatusOr<RemotingCommand>>>();  // drained
        }
      }
    }
    out.firings = world_.buggify().firings();
    out.digest = world_.digest();
    TearDown();
    return out;
  }
};

TEST(BrokerBuggify, ChangesTheRunButEveryMessageArrivesOnceInOrder) {
  const RunResult plain = BuggifyRun(7, false).Go();
  EXPECT_EQ(plain.firings, 0u);
  uint64_t firings = 0;
  int differing = 0;
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const RunResult r = BuggifyRun(seed, true).Go();
    firings += r.firings;
    if (r.firings > 0 && r.digest != BuggifyRun(seed, false).Go().digest) ++differing;
    for (const auto& [q, bodies] : r.sent) {
      EXPECT_EQ(r.pulled.at(q), bodies) << "queue " << q;
      std::vector<int64_t> expected(bodies.size());
      for (size_t i = 0; i < expected.size(); ++i) expected[i] = static_cast<int64_t>(i);
      EXPECT_EQ(r.offsets.at(q), expected) << "queue " << q;
    }
  }
  EXPECT_GT(firings, 0u);
  EXPECT_GT(differing, 0);
  for (const auto& [q, bodies] : plain.sent) EXPECT_EQ(plain.pulled.at(q), bodies);
}

}  // namespace
}  // namespace rmqsim::broker::testing
