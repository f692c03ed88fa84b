// Property: the delivery checker passes every random correct history (every SEND_OK copy
// delivered, other outcomes delivered or not, duplicates allowed), and fails as soon as the
// deliveries of any one SEND_OK message are dropped.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <string>

#include "scenarios/checkers/checker.h"

namespace rmqsim::checkers {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

// A random history: one SYNC_FLUSH group pair, one clustering group of two consumers on "T",
// and n messages of random outcomes. Every SEND_OK is delivered at its acknowledged location
// (1 to 3 times); FLUSH_DISK_TIMEOUT, UNKNOWN and PENDING messages are delivered or not; FAIL
// messages never. Returns the keys of the SEND_OK messages through `send_ok`.
history::History RandomCorrectHistory(std::vector<std::string>* send_ok) {
  history::History h;
  history::RunConfig* config = h.mutable_config();
  for (const char* name : {"broker-a", "broker-b"}) {
    history::GroupConfig* g = config->add_groups();
    g->set_name(name);
    g->set_flush("SYNC_FLUSH");
    g->set_master(name);
  }
  history::ConsumerGroupConfig* cg = config->add_consumer_groups();
  cg->set_group("cg");
  cg->set_topic("T");
  cg->set_subscription(*rc::gen::element<std::string>("*", "TagA || TagB"));
  cg->set_model("CLUSTERING");
  cg->add_consumers("consumer-1");
  cg->add_consumers("consumer-2");
  config->set_end_ns(1000 * kSecond);

  const int n = *rc::gen::inRange(1, 40);
  std::map<std::pair<int, int>, int64_t> next_offset;  // (broker, queue) -> next queue offset
  int64_t now = 10 * kSecond;
  for (int i = 0; i < n; ++i) {
    // 0-2: SEND_OK, 3: FLUSH_DISK_TIMEOUT, 4: UNKNOWN, 5: PENDING, 6: FAIL.
    const int kind = *rc::gen::inRange(0, 7);
    const int broker = *rc::gen::inRange(0, 2);
    const int queue = *rc::gen::inRange(0, 4);
    const std::string tags = *rc::gen::element<std::string>("", "TagA", "TagB", "TagC");
    history::Send* s = h.add_sends();
    s->set_id(static_cast<uint64_t>(i + 1));
    s->set_producer("producer-1");
    s->set_key("key-" + std::to_string(i));
    s->set_topic("T");
    s->set_tags(tags);
    s->set_body_hash(0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(i + 1));
    s->set_invoke_ns(now);
    now += *rc::gen::inRange(1, 1000) * 1'000'000;
    s->set_complete_ns(now);
    const bool stored = kind <= 5;  // UNKNOWN and PENDING may have been stored: say they were
    if (stored) {
      s->set_broker(broker == 0 ? "broker-a" : "broker-b");
      s->set_queue(queue);
      s->set_queue_offset(next_offset[{broker, queue}]++);
    }
    switch (kind) {
      case 3:
        s->set_outcome(history::OK);
        s->set_status("FLUSH_DISK_TIMEOUT");
        break;
      case 4:
        s->set_outcome(history::UNKNOWN);
        break;
      case 5:
        s->set_outcome(history::PENDING);
        break;
      case 6:
        s->set_outcome(history::FAIL);
        break;
      default:
        s->set_outcome(history::OK);
        s->set_status("SEND_OK");
        s->set_msg_id("MSG" + std::to_string(i));
    }
    if (kind <= 2) send_ok->push_back(s->key());
    if (!stored || !SubscriptionMatches(cg->subscription(), tags)) continue;
    const int copies = kind <= 2 ? *rc::gen::inRange(1, 4) : *rc::gen::inRange(0, 3);
    for (int c = 0; c < copies; ++c) {
      history::Delivery* d = h.add_deliveries();
      d->set_time_ns(now + int64_t{*rc::gen::inRange(1, 100'000)} * 1'000'000);
      d->set_consumer(*rc::gen::element<std::string>("consumer-1", "consumer-2"));
      d->set_group("cg");
      d->set_topic("T");
      d->set_pulled_topic("T");
      d->set_broker(s->broker());
      d->set_queue(s->queue());
      d->set_queue_offset(s->queue_offset());
      d->set_key(s->key());
      d->set_tags(s->tags());
      d->set_body_hash(s->body_hash());
      d->set_consumed(true);
    }
  }
  return h;
}

RC_GTEST_PROP(DeliveryProperty, CorrectHistoriesPass, ()) {
  std::vector<std::string> send_ok;
  const history::History h = RandomCorrectHistory(&send_ok);
  const CheckResult r = MakeChecker("delivery")->Check(h, {});
  RC_ASSERT(r.verdict == Verdict::kPass);
  RC_ASSERT(r.metrics.at("lost") == 0);
  RC_ASSERT(r.violations_total == 0u);
}

RC_GTEST_PROP(DeliveryProperty, DroppingOneSendOksDeliveriesFails, ()) {
  std::vector<std::string> send_ok;
  history::History h = RandomCorrectHistory(&send_ok);
  // Only the SEND_OK messages the group subscribes to must be delivered.
  const std::string subscription = h.config().consumer_groups(0).subscription();
  std::vector<std::string> subscribed;
  for (const history::Send& s : h.sends()) {
    if (IsSendOk(s) && SubscriptionMatches(subscription, s.tags())) subscribed.push_back(s.key());
  }
  RC_PRE(!subscribed.empty());
  const std::string victim = *rc::gen::elementOf(subscribed);

  auto* deliveries = h.mutable_deliveries();
  for (int i = deliveries->size() - 1; i >= 0; --i) {
    if (deliveries->Get(i).key() == victim) deliveries->DeleteSubrange(i, 1);
  }
  const CheckResult r = MakeChecker("delivery")->Check(h, {});
  RC_ASSERT(r.verdict == Verdict::kFail);
  RC_ASSERT(r.metrics.at("lost_unexplained") == 1);
  RC_ASSERT(r.violations_total == 1u);
  RC_ASSERT(r.violations[0].find("SEND_OK key " + victim + " ") != std::string::npos);
}

}  // namespace
}  // namespace rmqsim::checkers
