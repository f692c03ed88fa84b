// The delivery checker: every SEND_OK copy reaches every consumer group that subscribes to it,
// intact; losses are either explained by a fault window (the rule table below) or violations.
//
// A scope is what must receive each message: a clustering group as a whole, or each consumer of
// a broadcasting group. For a SEND_OK the acknowledged copy itself (topic, broker, queue,
// queue_offset, carrying the send's key) must be delivered: a copy of the same key stored
// elsewhere by a client-side retry does not count (its delivery would hide the loss).
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <optional>
#include <span>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "scenarios/checkers/checker.h"

namespace rmqsim::checkers {
namespace {

// ------------------------------------------------------------------------------ explanations

// Faults that cut a machine's power (its page cache is gone).
constexpr std::string_view kPowerLossKinds[] = {"POWER_CYCLE", "SLOW_DISK_THEN_POWER_LOSS",
                                                "POWER_CYCLE_AFTER_SEND", "DESTROY",
                                                "DESTROY_GROUP"};
// Faults that also wipe the disk.
constexpr std::string_view kDestroyKinds[] = {"DESTROY", "DESTROY_GROUP"};

enum class FlushIs : uint8_t { kAny, kAsyncFlush };
enum class FaultTiming : uint8_t {
  // The fault started at or after the send was invoked.
  kAfterInvoke,
  // The fault started before the send was invoked, and before the send was invoked a consumer
  // of the scope had read the copy's queue at or past the copy's queue offset (from the master
  // before the power loss, or from its slave during the outage): the offset was handed out twice.
  kAfterReadPastOffset,
  // The fault started before the send was invoked, and a slave of the group ended diverged from
  // its master (flagged, or its log differs while the offsets line up).
  kBeforeSendWithDivergedSlave,
};

// One way a SEND_OK copy may be lost without a bug: a fault of one of `kinds` hit the master of
// the broker group that stored it (the group's flush matching `flush`), timed as `timing` says.
struct LossRule {
  std::string_view name;  // metric "explained.<name>"
  std::span<const std::string_view> kinds;
  FlushIs flush;
  FaultTiming timing;
  std::string_view why;  // completes "lost: <why>"
  // The stored copy itself is gone (a durability loss, a violation where durability is
  // PROMISED); false: the copy is stored but consumers skipped it.
  bool copy_gone;
};

// The table (documented in docs/checkers.md). The first rule that matches explains a loss.
constexpr LossRule kLossRules[] = {
    {"async_flush_power_loss", kPowerLossKinds, FlushIs::kAsyncFlush, FaultTiming::kAfterInvoke,
     "ASYNC_FLUSH and the master lost power after the send (its unflushed tail is gone)", true},
    {"master_destroyed", kDestroyKinds, FlushIs::kAny, FaultTiming::kAfterInvoke,
     "the master's disk was destroyed after the send (4.x has no automatic failover)", true},
    {"queue_offset_reused", kPowerLossKinds, FlushIs::kAny, FaultTiming::kAfterReadPastOffset,
     "a consumer had read this queue past the copy's offset before it was sent, the master had "
     "lost power in between, and "
     "the offset was reused after the recovery (4.x dispatches before the flush)", false},
    {"read_from_diverged_slave", kPowerLossKinds, FlushIs::kAny,
     FaultTiming::kBeforeSendWithDivergedSlave,
     "the master had lost a tail its slave had, so the slave diverged (4.x): the slave's consume "
     "queue no longer matches the master's queue offsets, and consumers that read from it while "
     "the master was away committed offsets past this one",
     false},
};

// Whether a slave of `group` diverged from its master: flagged at the end or in a sample, or its
// log differs from the master's while both are up.
bool SlaveDiverged(const history::History& h, std::string_view group) {
  for (const history::ReplicaState& r : h.replicas()) {
    if (r.group() == group && (r.diverged() || (r.slave_up() && r.master_up() &&
                                                r.first_difference() != -1))) {
      return true;
    }
  }
  for (const history::BrokerSample& b : h.brokers()) {
    if (b.group() == group && b.diverged()) return true;
  }
  return false;
}

bool KindIn(std::string_view kind, std::span<const std::string_view> kinds) {
  for (std::string_view k : kinds) {
    if (k == kind) return true;
  }
  return false;
}

// ------------------------------------------------------------------------------ indexes

// A queue (topic, broker, queue id) and a location in it (plus the queue offset), as map keys
// that view the history's strings (no copies).
using QueueKey = std::tuple<std::string_view, std::string_view, int32_t>;
using LocationKey = std::tuple<std::string_view, std::string_view, int32_t, int64_t>;

// What must receive each message: a clustering group, or one consumer of a broadcasting group.
struct Scope {
  const history::ConsumerGroupConfig* group = nullptr;
  std::string consumer;  // broadcasting: the consumer; clustering: empty
  std::vector<const history::Delivery*> deliveries;  // to real consumers
  std::vector<const history::Delivery*> dlq;         // clustering: the group's %DLQ% records

  std::string Label() const {
    return consumer.empty() ? group->group() : "consumer " + consumer + " of " + group->group();
  }
};

struct KeyCount {
  uint32_t deliveries = 0;
  uint32_t consumed = 0;
  const history::Delivery* first = nullptr;
};

// The deliveries of one scope, indexed.
struct ScopeIndex {
  // Original-topic copies delivered: location -> keys found there.
  std::map<LocationKey, std::vector<std::string_view>> at_location;
  std::map<std::string_view, KeyCount> keys;
  // Original-topic queue -> (queue offset, time) of every delivery, for the offset-reuse rule.
  std::map<QueueKey, std::vector<std::pair<int64_t, int64_t>>> by_queue;
  // Retry copies: the offsetMsgId of the original each was made from -> its key. A pop's revive
  // makes one of a message popped but never acknowledged, which may never have reached a
  // listener (the pop's answer was lost): the copy delivers the original.
  std::map<std::string_view, std::string_view> by_origin;

  explicit ScopeIndex(const Scope& scope) {
    for (const history::Delivery* d : scope.deliveries) {
      KeyCount& c = keys[d->key()];
      if (c.first == nullptr) c.first = d;
      ++c.deliveries;
      if (d->consumed()) ++c.consumed;
      if (PulledTopic(*d) != d->topic()) {  // a retry copy
        if (!d->origin_msg_id().empty()) by_origin.emplace(d->origin_msg_id(), d->key());
        continue;
      }
      at_location[LocationKey(d->topic(), d->broker(), d->queue(), d->queue_offset())].push_back(
          d->key());
      by_queue[QueueKey(d->topic(), d->broker(), d->queue())].emplace_back(d->queue_offset(),
                                                                           d->time_ns());
    }
  }

  bool ReadPast(const history::Send& s, int64_t before_ns) const {
    auto it = by_queue.find(QueueKey(s.topic(), s.broker(), s.queue()));
    if (it == by_queue.end()) return false;
    for (const auto& [offset, time] : it->second) {
      if (offset >= s.queue_offset() && time <= before_ns) return true;
    }
    return false;
  }
};

std::string Hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, v);
  return buf;
}

std::string CopyLabel(const history::Send& s) {
  return s.broker() + " q" + std::to_string(s.queue()) + " @" + std::to_string(s.queue_offset());
}

// ------------------------------------------------------------------------------ the checker

struct Explanation {
  const LossRule* rule;
  const history::FaultWindow* fault;
};

std::optional<Explanation> Explain(const history::History& h, const ClusterView& view,
                                   const history::Send& s, const ScopeIndex& index) {
  const history::GroupConfig* group = view.Group(s.broker());
  const bool async_flush = group != nullptr && group->flush() == "ASYNC_FLUSH";
  const std::string master = view.MasterOf(s.broker());
  for (const LossRule& rule : kLossRules) {
    if (rule.flush == FlushIs::kAsyncFlush && !async_flush) continue;
    for (const history::FaultWindow& f : h.faults()) {
      if (!KindIn(f.kind(), rule.kinds) || !FaultHitProcess(f, master)) continue;
      bool timed = false;
      switch (rule.timing) {
        case FaultTiming::kAfterInvoke:
          timed = f.start_ns() >= s.invoke_ns();
          break;
        case FaultTiming::kAfterReadPastOffset:
          timed = f.start_ns() <= s.invoke_ns() && index.ReadPast(s, s.invoke_ns());
          break;
        case FaultTiming::kBeforeSendWithDivergedSlave:
          timed = f.start_ns() <= s.invoke_ns() && SlaveDiverged(h, s.broker());
          break;
      }
      if (timed) return Explanation{&rule, &f};
    }
  }
  return std::nullopt;
}

// The copy may still be in its queue, not yet consumed: the group's committed offset (recorded
// at the end) has not reached it and the queue still holds it.
bool StillQueued(const history::History& h, const Scope& scope, const history::Send& s) {
  if (!scope.consumer.empty()) return false;  // broadcasting: offsets are the consumers' own
  for (const history::ConsumerLag& lag : h.lags()) {
    if (lag.group() == scope.group->group() && lag.broker() == s.broker() &&
        lag.queue() == s.queue() && lag.committed_offset() <= s.queue_offset() &&
        s.queue_offset() < lag.max_offset()) {
      return true;
    }
  }
  return false;
}

// The scopes of a run: one per clustering group, one per consumer of a broadcasting group (its
// configured consumers, else those seen), each with its deliveries.
std::vector<Scope> BuildScopes(const history::History& h) {
  std::vector<Scope> scopes;
  for (const history::ConsumerGroupConfig& g : h.config().consumer_groups()) {
    if (g.model() != "BROADCASTING") {
      scopes.push_back({&g, "", {}, {}});
      continue;
    }
    std::vector<std::string> consumers(g.consumers().begin(), g.consumers().end());
    if (consumers.empty()) {
      for (const history::Delivery& d : h.deliveries()) {
        if (d.group() == g.group() && !IsDlqRecord(d) &&
            std::find(consumers.begin(), consumers.end(), d.consumer()) == consumers.end()) {
          consumers.push_back(d.consumer());
        }
      }
    }
    for (const std::string& c : consumers) scopes.push_back({&g, c, {}, {}});
  }
  for (const history::Delivery& d : h.deliveries()) {
    for (Scope& scope : scopes) {
      if (GroupOf(d) != scope.group->group()) continue;
      if (IsDlqRecord(d)) {
        if (scope.consumer.empty()) scope.dlq.push_back(&d);
      } else if (scope.consumer.empty() || scope.consumer == d.consumer()) {
        scope.deliveries.push_back(&d);
      }
    }
  }
  return scopes;
}

// One run of the delivery checker: checks scope by scope, counts, fills the result.
class DeliveryRun {
 public:
  DeliveryRun(const history::History& h, const scenario::DeliveryCheck& settings,
              CheckResult& result)
      : h_(h),
        view_(h.config()),
        strict_(settings.durability() == scenario::PROMISED && !settings.allow_explained_loss()),
        r_(result) {
    sends_by_key_.reserve(static_cast<size_t>(h_.sends_size()));
    for (const history::Send& s : h_.sends()) sends_by_key_[s.key()].push_back(&s);
  }

  void Run() {
    CheckLocationsUnique();
    const std::vector<Scope> scopes = BuildScopes(h_);
    for (const Scope& scope : scopes) {
      const ScopeIndex index(scope);
      CheckSends(scope, index);
      for (const auto& [key, count] : index.keys) {
        if (count.consumed > 1) {
          ++duplicated_;
          duplicate_deliveries_ += count.consumed - 1;
        }
      }
      reported_.clear();
      for (const history::Delivery* d : scope.deliveries) CheckCopy(scope, *d);
      for (const history::Delivery* d : scope.dlq) CheckCopy(scope, *d);
    }
    Finish(scopes.size());
  }

 private:
  // Every message the scope subscribes to: SEND_OK copies delivered, others recovered or not.
  void CheckSends(const Scope& scope, const ScopeIndex& index) {
    const history::ConsumerGroupConfig& g = *scope.group;
    for (const history::Send& s : h_.sends()) {
      if (s.topic() != g.topic() || !SubscriptionMatches(g.subscription(), s.tags())) continue;
      const bool key_delivered = index.keys.contains(s.key());
      if (!IsSendOk(s)) {
        if (s.outcome() != history::FAIL && key_delivered) ++recovered_;
        continue;
      }
      ++checked_;
      send_ok_seen_.insert(&s);
      std::vector<std::string_view> at;  // keys delivered from the acknowledged location
      if (!s.broker().empty()) {
        auto it =
            index.at_location.find(LocationKey(s.topic(), s.broker(), s.queue(), s.queue_offset()));
        if (it != index.at_location.end()) at = it->second;
      }
      const bool acked_delivered =
          s.broker().empty() ? key_delivered : std::find(at.begin(), at.end(), s.key()) != at.end();
      if (acked_delivered) continue;
      if (!s.msg_id().empty()) {
        auto o = index.by_origin.find(s.msg_id());
        if (o != index.by_origin.end() && o->second == s.key()) continue;  // a revived copy
      }
      if (StillQueued(h_, scope, s)) {
        ++unconsumed_;
        AddNote(r_, "SEND_OK key " + s.key() + " (" + CopyLabel(s) + ") not yet consumed by " +
                        scope.Label() + " at the end: still in its queue (lag)");
        continue;
      }
      Lost(scope, index, s, at, key_delivered);
    }
  }

  void Lost(const Scope& scope, const ScopeIndex& index, const history::Send& s,
            const std::vector<std::string_view>& at, bool key_delivered) {
    std::string what = "SEND_OK key " + s.key() + " (" + CopyLabel(s) + ", sent " +
                       FormatTime(s.invoke_ns()) + " by " + s.producer() + ")";
    std::string seen = " never delivered to " + scope.Label();
    if (!at.empty()) seen += "; that location was delivered with key " + std::string(at[0]);
    if (key_delivered) {
      ++hidden_;
      const history::Delivery& other = *index.keys.at(s.key()).first;
      seen += "; another copy of the key (" + std::string(PulledTopic(other)) + " " +
              other.broker() + " q" + std::to_string(other.queue()) + " @" +
              std::to_string(other.queue_offset()) + ") was delivered at " +
              FormatTime(other.time_ns()) + ": a hidden loss";
    }
    std::optional<Explanation> e = Explain(h_, view_, s, index);
    if (!e) {
      ++lost_unexplained_;
      AddViolation(r_, what + seen + " (expected: delivered; no fault window explains the loss)");
      return;
    }
    ++lost_explained_;
    ++by_rule_[std::string(e->rule->name)];
    const int64_t gap = e->fault->start_ns() - s.invoke_ns();
    std::string line =
        what + seen + ": explained: " + std::string(e->rule->why) + " (" + e->fault->kind() +
        " of " + view_.MasterOf(s.broker()) + " at " + FormatTime(e->fault->start_ns()) + ", " +
        FormatSeconds(gap < 0 ? -gap : gap) + (gap < 0 ? " before" : " after") + " the send)";
    if (strict_ && e->rule->copy_gone) {
      AddViolation(r_, line + "; durability PROMISED allows no loss");
    } else {
      AddNote(r_, line);
    }
  }

  // Under SYNC_FLUSH (or wherever durability is PROMISED) a SEND_OK copy is on disk: no later
  // SEND_OK may be stored at its location (topic, broker, queue, queue offset) unless the
  // master's disk was destroyed in between. A reuse means an acknowledged message was lost, even
  // if consumers read it before.
  void CheckLocationsUnique() {
    std::vector<const history::Send*> ok;
    for (const history::Send& s : h_.sends()) {
      if (IsSendOk(s) && !s.broker().empty()) ok.push_back(&s);
    }
    std::stable_sort(ok.begin(), ok.end(), [](const history::Send* a, const history::Send* b) {
      return a->invoke_ns() < b->invoke_ns();
    });
    std::map<LocationKey, const history::Send*> at;
    for (const history::Send* sp : ok) {
      const history::Send& s = *sp;
      const history::GroupConfig* g = view_.Group(s.broker());
      if (g == nullptr) continue;
      const bool sync_flush = g->flush() == "SYNC_FLUSH";
      if (!sync_flush && !strict_) continue;
      auto [it, fresh] =
          at.try_emplace(LocationKey(s.topic(), s.broker(), s.queue(), s.queue_offset()), &s);
      if (fresh) continue;
      const history::Send& first = *it->second;
      it->second = &s;
      bool destroyed = false;
      for (const history::FaultWindow& f : h_.faults()) {
        destroyed |= KindIn(f.kind(), kDestroyKinds) &&
                     FaultHitProcess(f, view_.MasterOf(s.broker())) &&
                     f.start_ns() >= first.invoke_ns() && f.start_ns() <= s.invoke_ns();
      }
      if (destroyed) continue;
      ++reused_;
      AddViolation(r_, "SEND_OK key " + first.key() + " (" + CopyLabel(first) + ", sent " +
                           FormatTime(first.invoke_ns()) + ") was lost from the " +
                           (sync_flush ? "SYNC_FLUSH store" : "store (durability PROMISED)") +
                           ": " +
                           "SEND_OK key " + s.key() + " sent " + FormatTime(s.invoke_ns()) +
                           " was stored at the same location (expected: acknowledged copies "
                           "survive)");
    }
  }

  // A delivered copy: sent (and not a FAIL), with the send's body and tags.
  void CheckCopy(const Scope& scope, const history::Delivery& d) {
    auto it = sends_by_key_.find(d.key());
    const history::Send* sent = nullptr;
    bool only_fail = true;
    if (it != sends_by_key_.end()) {
      for (const history::Send* s : it->second) {
        if (s->outcome() != history::FAIL) only_fail = false;
        if (sent == nullptr || (s->broker() == d.broker() && s->queue() == d.queue() &&
                                s->queue_offset() == d.queue_offset())) {
          sent = s;
        }
      }
    }
    auto where = [&] {  // only for a violation
      return " to " + scope.Label() + " by " + d.consumer() + " at " + FormatTime(d.time_ns()) +
             " (" + std::string(PulledTopic(d)) + " " + d.broker() + " q" +
             std::to_string(d.queue()) + " @" + std::to_string(d.queue_offset()) + ")";
    };
    if (sent == nullptr || only_fail) {
      if (reported_.insert(d.key()).second) {
        ++unexpected_;
        AddViolation(r_, "key " + d.key() + " delivered" + where() +
                             (sent == nullptr ? " was never sent"
                                              : " was sent with outcome FAIL (expected: not "
                                                "stored)"));
      }
      return;
    }
    if (d.body_hash() != sent->body_hash() || d.tags() != sent->tags()) {
      ++corrupted_;
      AddViolation(r_, "key " + d.key() + " delivered" + where() + " with body hash " +
                           Hex(d.body_hash()) + " and tags \"" + d.tags() +
                           "\"; it was sent with body hash " + Hex(sent->body_hash()) +
                           " and tags \"" + sent->tags() + "\"");
    }
  }

  void Finish(size_t scopes) {
    const uint64_t lost = lost_unexplained_ + lost_explained_;
    r_.metrics["send_ok"] = static_cast<double>(send_ok_seen_.size());
    r_.metrics["checked"] = static_cast<double>(checked_);
    r_.metrics["lost"] = static_cast<double>(lost);
    r_.metrics["lost_unexplained"] = static_cast<double>(lost_unexplained_);
    r_.metrics["lost_explained"] = static_cast<double>(lost_explained_);
    r_.metrics["lost_hidden"] = static_cast<double>(hidden_);
    r_.metrics["unconsumed"] = static_cast<double>(unconsumed_);
    r_.metrics["duplicated"] = static_cast<double>(duplicated_);
    r_.metrics["duplicate_deliveries"] = static_cast<double>(duplicate_deliveries_);
    r_.metrics["recovered"] = static_cast<double>(recovered_);
    r_.metrics["unexpected"] = static_cast<double>(unexpected_);
    r_.metrics["corrupted"] = static_cast<double>(corrupted_);
    r_.metrics["sync_flush_locations_reused"] = static_cast<double>(reused_);
    r_.metrics["scopes"] = static_cast<double>(scopes);
    for (const auto& [rule, n] : by_rule_) {
      r_.metrics["explained." + rule] = static_cast<double>(n);
    }
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "%" PRIu64 " SEND_OK lost (%" PRIu64 " unexplained, %" PRIu64
                  " explained; %" PRIu64 " hidden), %" PRIu64 " duplicated, %" PRIu64
                  " recovered, %" PRIu64 " unexpected, %" PRIu64 " corrupted",
                  lost, lost_unexplained_, lost_explained_, hidden_, duplicated_, recovered_,
                  unexpected_, corrupted_);
    r_.headline = buf;
    if (unconsumed_ > 0) r_.headline += ", " + std::to_string(unconsumed_) + " still queued";
    if (reused_ > 0) {
      r_.headline += ", " + std::to_string(reused_) + " acknowledged locations stored twice";
    }
  }

  const history::History& h_;
  const ClusterView view_;
  const bool strict_;  // explained losses are violations too
  CheckResult& r_;
  using SendsByKey =
      std::unordered_map<std::string_view, std::vector<const history::Send*>>;  // lint-allow: find only
  SendsByKey sends_by_key_;
  std::set<std::string_view> reported_;  // unexpected keys reported in this scope

  uint64_t checked_ = 0, lost_unexplained_ = 0, lost_explained_ = 0, hidden_ = 0;
  uint64_t unconsumed_ = 0, duplicated_ = 0, duplicate_deliveries_ = 0, recovered_ = 0;
  uint64_t unexpected_ = 0, corrupted_ = 0, reused_ = 0;
  std::map<std::string, uint64_t> by_rule_;
  std::unordered_set<const history::Send*> send_ok_seen_;  // lint-allow: counted, never iterated
};

class DeliveryChecker : public Checker {
 public:
  std::string name() const override { return "delivery"; }
  CheckResult Check(const history::History& h, const scenario::Checks& settings) const override {
    CheckResult r;
    r.checker = name();
    if (h.config().consumer_groups_size() == 0) {
      r.verdict = Verdict::kSkipped;
      r.headline = "no consumer group in the run configuration";
      return r;
    }
    DeliveryRun(h, settings.delivery(), r).Run();
    return r;
  }
};

}  // namespace

std::unique_ptr<Checker> MakeDeliveryChecker() {
  return std::make_unique<DeliveryChecker>();
}

}  // namespace rmqsim::checkers
