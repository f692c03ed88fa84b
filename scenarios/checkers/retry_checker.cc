// The retry checker: in a consumer group whose listener fails on purpose, every message handed
// to it is eventually consumed, or reaches %DLQ%<group> after exactly max_reconsume_times + 1
// failed attempts; and no group receives a tag outside its subscription.
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <set>
#include <map>

#include "scenarios/checkers/checker.h"

namespace rmqsim::checkers {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

// 4.x's default messageDelayLevel ("1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h
// 2h"), in seconds. A message whose attempt with reconsume_times r failed comes back at level
// 3 + r (capped at the last level).
constexpr int64_t kDelayLevelsS[] = {1,   5,   10,  30,  60,  120,  180,  240,  300,
                                     360, 420, 480, 540, 600, 1200, 1800, 3600, 7200};
constexpr int kLevels = static_cast<int>(std::size(kDelayLevelsS));
// Slack for a retry that is due: pull, dispatch and schedule-service delays.
constexpr int64_t kRetrySlackNs = 10 * kSecond;

int64_t RetryDelayNs(int reconsume_times) {
  const int level = std::clamp(3 + reconsume_times, 1, kLevels);
  return kDelayLevelsS[level - 1] * kSecond;
}

class RetryChecker : public Checker {
 public:
  std::string name() const override { return "retry"; }
  CheckResult Check(const history::History& h, const scenario::Checks& settings) const override;
};

struct KeyAttempts {
  bool handed = false;  // handed to a real consumer of the group
  bool consumed = false;
  bool dlq = false;
  uint32_t failed = 0;                 // failed attempts (deliveries with consumed=false)
  std::set<int32_t> failed_reconsume;  // their distinct reconsume_times
  const history::Delivery* last_failed = nullptr;
};

CheckResult RetryChecker::Check(const history::History& h, const scenario::Checks&) const {
  CheckResult r;
  r.checker = name();
  const history::RunConfig& config = h.config();
  const int64_t end = config.end_ns();

  bool any_fails = false, any_filter = false;
  for (const auto& g : config.consumer_groups()) {
    if (g.fails()) any_fails = true;
    // A subscription that filters refuses a message without a tag.
    if (!SubscriptionMatches(g.subscription(), "")) any_filter = true;
  }
  if (!any_fails && !any_filter) {
    r.verdict = Verdict::kSkipped;
    r.headline = "no consumer group fails on purpose or filters by tag";
    return r;
  }

  uint64_t messages = 0, consumed = 0, dlq = 0, pending = 0, failed_attempts = 0, wrong_dlq = 0;
  uint64_t unfinished = 0, outside = 0;
  for (const history::ConsumerGroupConfig& g : config.consumer_groups()) {
    // Tags outside the subscription (every group, every real consumer).
    for (const history::Delivery& d : h.deliveries()) {
      if (GroupOf(d) != g.group() || IsDlqRecord(d)) continue;
      if (SubscriptionMatches(g.subscription(), d.tags())) continue;
      ++outside;
      AddViolation(r, "consumer " + d.consumer() + " of " + g.group() + " (subscription \"" +
                          g.subscription() + "\") received key " + d.key() + " with tag \"" +
                          d.tags() + "\" at " + FormatTime(d.time_ns()) + " from " +
                          std::string(PulledTopic(d)) + " " + d.broker() + " q" +
                          std::to_string(d.queue()) + " (expected only subscribed tags)");
    }
    if (!g.fails()) continue;
    if (g.model() == "BROADCASTING") {
      AddNote(r, "group " + g.group() + " is BROADCASTING: failed messages are not retried");
      continue;
    }
    const int max = g.max_reconsume_times() > 0 ? g.max_reconsume_times() : 16;
    std::map<std::string_view, KeyAttempts> keys;
    std::vector<std::string_view> order;  // keys in first-delivery order
    for (const history::Delivery& d : h.deliveries()) {
      if (GroupOf(d) != g.group()) continue;
      if (IsDlqRecord(d)) {
        keys[d.key()].dlq = true;
        continue;
      }
      KeyAttempts& k = keys[d.key()];
      if (!k.handed) order.push_back(d.key());
      k.handed = true;
      if (d.consumed()) {
        k.consumed = true;
      } else {
        ++k.failed;
        k.failed_reconsume.insert(d.reconsume_times());
        if (k.last_failed == nullptr || d.time_ns() >= k.last_failed->time_ns()) {
          k.last_failed = &d;
        }
      }
    }
    std::set<std::string_view> dlq_only;  // ordered: notes do not depend on hashing
    for (const auto& [key, k] : keys) {
      if (k.dlq && !k.handed) dlq_only.insert(key);
    }
    for (std::string_view key : dlq_only) {
      AddNote(r, "key " + std::string(key) + " is in %DLQ%" + g.group() +
                     " but was never handed to a consumer of the group");
    }
    for (std::string_view key : order) {
      const KeyAttempts& k = keys[key];
      ++messages;
      failed_attempts += k.failed;
      const int distinct = static_cast<int>(k.failed_reconsume.size());
      const int max_seen = k.failed_reconsume.empty() ? -1 : *k.failed_reconsume.rbegin();
      const std::string who = "key " + std::string(key) + " in " + g.group();
      if (max_seen > max) {
        ++wrong_dlq;
        AddViolation(r, who + " failed with reconsume_times " + std::to_string(max_seen) +
                            " (expected at most max_reconsume_times " + std::to_string(max) +
                            ", then %DLQ%)");
        continue;
      }
      if (k.dlq) {
        ++dlq;
        if (distinct != max + 1) {
          ++wrong_dlq;
          AddViolation(r, who + " reached %DLQ%" + g.group() + " after " +
                              std::to_string(distinct) + " failed attempts (expected exactly " +
                              std::to_string(max + 1) + ": max_reconsume_times " +
                              std::to_string(max) + " + 1)");
        }
        continue;
      }
      if (k.consumed) {
        ++consumed;
        continue;
      }
      // Neither consumed nor in %DLQ%: fine only if its next attempt is not due before the end.
      const history::Delivery& last = *k.last_failed;
      const int64_t due = last.reconsume_times() >= max
                              ? last.time_ns()
                              : last.time_ns() + RetryDelayNs(last.reconsume_times());
      if (end > 0 && due + kRetrySlackNs > end) {
        ++pending;
        continue;
      }
      ++unfinished;
      AddViolation(
          r, who + " was neither consumed nor sent to %DLQ%" + g.group() + ": " +
                 std::to_string(k.failed) + " failed attempts, the last (reconsume_times " +
                 std::to_string(last.reconsume_times()) + ") at " + FormatTime(last.time_ns()) +
                 ", its " +
                 (last.reconsume_times() >= max ? std::string("move to %DLQ%")
                                                : std::string("next attempt")) +
                 " due at " + FormatTime(due) + " (the run ended at " + FormatTime(end) + ")");
    }
  }

  r.metrics["messages"] = static_cast<double>(messages);
  r.metrics["consumed"] = static_cast<double>(consumed);
  r.metrics["dlq"] = static_cast<double>(dlq);
  r.metrics["pending_retry"] = static_cast<double>(pending);
  r.metrics["failed_attempts"] = static_cast<double>(failed_attempts);
  r.metrics["wrong_attempt_count"] = static_cast<double>(wrong_dlq);
  r.metrics["unfinished"] = static_cast<double>(unfinished);
  r.metrics["outside_subscription"] = static_cast<double>(outside);
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "%" PRIu64 " messages in failing groups: %" PRIu64 " consumed, %" PRIu64
                " in DLQ, %" PRIu64 " retry pending, %" PRIu64 " unfinished, %" PRIu64
                " wrong attempt counts; %" PRIu64 " deliveries outside the subscription",
                messages, consumed, dlq, pending, unfinished, wrong_dlq, outside);
  r.headline = buf;
  return r;
}

}  // namespace

std::unique_ptr<Checker> MakeRetryChecker() {
  return std::make_unique<RetryChecker>();
}

}  // namespace rmqsim::checkers
