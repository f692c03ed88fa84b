#include "sim/simulated/scheduler.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>

#include "sim/base/random.h"

#include "sim/simulated/world.h"

namespace rmqsim::sim {
namespace {

TEST(Scheduler, OrdersByTimeThenSequence) {
  Scheduler s;
  std::vector<int> order;
  s.Schedule(MonoFromNanos(20), {}, [&] { order.push_back(3); }, false);
  s.Schedule(MonoFromNanos(10), {}, [&] { order.push_back(1); }, false);
  s.Schedule(MonoFromNanos(10), {}, [&] { order.push_back(2); }, false);  // tie: FIFO
  s.Schedule(MonoFromNanos(30), {}, [&] { order.push_back(4); }, false);
  Scheduler::Event e;
  while (s.Pop(e, MonoFromNanos(25))) e.fn();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(s.size(), 1u);  // the event at 30 stays
}

TEST(Scheduler, CancelIsExactOnce) {
  Scheduler s;
  int ran = 0;
  TimerId a = s.Schedule(MonoFromNanos(5), {}, [&] { ran += 1; }, true);
  TimerId b = s.Schedule(MonoFromNanos(6), {}, [&] { ran += 10; }, true);
  EXPECT_TRUE(s.Cancel(a));
  EXPECT_FALSE(s.Cancel(a));
  Scheduler::Event e;
  while (s.Pop(e, MonoFromNanos(100))) e.fn();
  EXPECT_EQ(ran, 10);
  EXPECT_FALSE(s.Cancel(b));  // already ran
  // A reused slot does not make an old id cancel a new timer.
  TimerId c = s.Schedule(MonoFromNanos(200), {}, [&] { ran += 100; }, true);
  EXPECT_FALSE(s.Cancel(a));
  while (s.Pop(e, MonoFromNanos(300))) e.fn();
  EXPECT_EQ(ran, 110);
  EXPECT_FALSE(s.Cancel(c));
  EXPECT_FALSE(s.Cancel(TimerId{}));
}

TEST(Scheduler, PurgeDropsOnlyTheOwnersEvents) {
  Scheduler s;
  std::vector<int> ran;
  Owner p1{1, 1}, p2{2, 1};
  for (int i = 0; i < 10; ++i) {
    s.Schedule(MonoFromNanos(i), i % 2 ? p1 : p2, [&ran, i] { ran.push_back(i); }, i % 3 == 0);
  }
  EXPECT_EQ(s.Purge(p1), 5u);
  Scheduler::Event e;
  while (s.Pop(e, MonoFromNanos(100))) e.fn();
  EXPECT_EQ(ran, (std::vector<int>{0, 2, 4, 6, 8}));
}

TEST(Scheduler, CancelTakesTheEventOutOfTheHeapAndDestroysItsClosure) {
  Scheduler s;
  auto held = std::make_shared<int>(7);
  TimerId t = s.Schedule(MonoFromNanos(100), {}, [held] {}, true);
  s.Schedule(MonoFromNanos(200), {}, [] {}, false);
  EXPECT_EQ(held.use_count(), 2);
  EXPECT_EQ(s.size(), 2u);
  EXPECT_TRUE(s.Cancel(t));
  EXPECT_EQ(held.use_count(), 1);  // destroyed at the cancel, not when its time comes
  EXPECT_EQ(s.size(), 1u);
  EXPECT_EQ(s.next_time(), MonoFromNanos(200));
}

TEST(Scheduler, EventsAtTheCurrentInstantKeepTheOrderOfOneHeap) {
  Scheduler s;
  std::vector<int> order;
  Scheduler::Event e;
  // Scheduled before time 10 is reached: these go to the heap.
  s.Schedule(MonoFromNanos(10), {}, [&] {
    order.push_back(1);
    // Now is 10: these go to the lane, after the heap's earlier-sequenced events at 10.
    s.Schedule(MonoFromNanos(10), {}, [&] { order.push_back(4); }, false);
    TimerId c = s.Schedule(MonoFromNanos(10), {}, [&] { order.push_back(-1); }, true);
    s.Cancel(c);  // a cancelled lane event never runs
    s.Schedule(MonoFromNanos(10), {}, [&] { order.push_back(5); }, false);
  }, false);
  s.Schedule(MonoFromNanos(10), {}, [&] { order.push_back(2); }, false);
  s.Schedule(MonoFromNanos(11), {}, [&] { order.push_back(6); }, false);
  s.Schedule(MonoFromNanos(10), {}, [&] { order.push_back(3); }, false);
  while (s.Pop(e, MonoFromNanos(100))) e.fn();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3, 4, 5, 6}));
  EXPECT_TRUE(s.empty());
}

// Random schedules, cancels, purges and pops against a reference ordered set of (time, seq).
TEST(Scheduler, MatchesAReferenceOrderUnderRandomOperations) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    Xoshiro256 rng(seed);
    Scheduler s;
    std::set<std::pair<int64_t, uint64_t>> pending;  // the reference: (time, id)
    std::map<uint64_t, std::pair<TimerId, Owner>> by_id;
    std::vector<uint64_t> ran;
    int64_t now = 0;
    uint64_t next_id = 0;
    for (int step = 0; step < 3000; ++step) {
      const uint64_t op = rng.Below(10);
      if (op < 5) {  // schedule, sometimes at the current instant
        const int64_t when = now + (rng.Below(3) == 0 ? 0 : static_cast<int64_t>(rng.Below(50)));
        const uint64_t id = next_id++;
        const Owner owner{1 + rng.Below(3), 1};
        TimerId t = s.Schedule(MonoFromNanos(when), owner, [&ran, id] { ran.push_back(id); },
                               rng.Below(2) == 0);
        pending.insert({when, id});
        by_id[id] = {t, owner};
      } else if (op < 7 && !by_id.empty()) {  // cancel a random pending cancellable event
        auto it = by_id.begin();
        std::advance(it, static_cast<long>(rng.Below(by_id.size())));
        if (it->second.first.valid()) {
          ASSERT_TRUE(s.Cancel(it->second.first));
          std::erase_if(pending, [&](const auto& p) { return p.second == it->first; });
          by_id.erase(it);
        }
      } else if (op == 7) {  // purge an owner
        const Owner owner{1 + rng.Below(3), 1};
        size_t expected = 0;
        for (auto it = by_id.begin(); it != by_id.end();) {
          if (it->second.second == owner) {
            ++expected;
            std::erase_if(pending, [&](const auto& p) { return p.second == it->first; });
            it = by_id.erase(it);
          } else {
            ++it;
          }
        }
        ASSERT_GE(s.Purge(owner), expected);  // plus cancelled ones still in the lane
      } else {  // pop one
        Scheduler::Event e;
        if (s.Pop(e, MonoFromNanos(INT64_MAX))) {
          ASSERT_FALSE(pending.empty());
          const auto first = *pending.begin();
          now = e.time_ns;
          ASSERT_EQ(e.time_ns, first.first) << "seed " << seed << " step " << step;
          e.fn();
          ASSERT_EQ(ran.back(), first.second) << "seed " << seed << " step " << step;
          pending.erase(pending.begin());
          by_id.erase(first.second);
        } else {
          ASSERT_TRUE(pending.empty());
        }
      }
      // A cancelled event at the current instant stays in the lane until it comes up.
      ASSERT_GE(s.size(), pending.size()) << "seed " << seed << " step " << step;
    }
    Scheduler::Event e;
    while (s.Pop(e, MonoFromNanos(INT64_MAX))) {
      ASSERT_FALSE(pending.empty());
      ASSERT_EQ(e.time_ns, pending.begin()->first);
      e.fn();
      ASSERT_EQ(ran.back(), pending.begin()->second);
      pending.erase(pending.begin());
    }
    ASSERT_TRUE(pending.empty());
    ASSERT_TRUE(s.empty());
  }
}

TEST(World, RunUntilVariants) {
  World w({});
  std::vector<int64_t> at;
  for (int i = 1; i <= 5; ++i) {
    w.Schedule(seconds(i), [&] { at.push_back(ToNanos(w.now()) / 1'000'000'000); });
  }
  w.RunUntil(MonoTime(seconds(2)));
  EXPECT_EQ(at, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(w.now(), MonoTime(seconds(2)));
  EXPECT_TRUE(w.RunUntil([&] { return at.size() == 4; }, MonoTime(seconds(100))));
  EXPECT_EQ(w.now(), MonoTime(seconds(4)));
  EXPECT_FALSE(w.RunUntil([&] { return at.size() == 10; }, MonoTime(seconds(50))));
  EXPECT_EQ(w.now(), MonoTime(seconds(50)));
  EXPECT_FALSE(w.Step());
  w.Schedule(seconds(1), [] {});
  EXPECT_TRUE(w.Step());
  EXPECT_EQ(w.now(), MonoTime(seconds(51)));
}

TEST(World, TimersAndCancellationThroughTheExecutor) {
  World w({});
  auto m = *w.AddMachine({.name = "m", .ip = "10.0.0.1"});
  struct Svc : Service {
    explicit Svc(Runtime& rt) : rt(rt) {}
    Status Start() override { return Status::Ok(); }
    Runtime& rt;
  };
  auto p = *w.AddProcess(m, "p", [](Runtime& rt) { return std::make_unique<Svc>(rt); });
  ASSERT_TRUE(w.StartProcess(p).ok());
  w.RunFor(Duration::zero());
  Executor& ex = w.runtime(p)->executor();
  std::vector<std::string> log;
  ex.ScheduleAfter(milliseconds(30), [&] { log.push_back("t30"); });
  TimerId t20 = ex.ScheduleAfter(milliseconds(20), [&] { log.push_back("t20"); });
  ex.ScheduleAfter(milliseconds(10), [&] { log.push_back("t10"); });
  ex.Post([&] { log.push_back("post1"); });
  ex.Post([&] { log.push_back("post2"); });
  ex.ScheduleAfter(-seconds(1), [&] { log.push_back("negative"); });  // counts as zero
  EXPECT_TRUE(log.empty());  // nothing runs inside the call
  EXPECT_TRUE(ex.Cancel(t20));
  w.RunFor(seconds(1));
  EXPECT_EQ(log, (std::vector<std::string>{"post1", "post2", "negative", "t10", "t30"}));
}

TEST(WorldDeathTest, ZeroTimeLivelockIsReported) {
  EXPECT_DEATH(
      {
        World w({.seed = 77, .replay_command = "rmqsim demo --seed 77"});
        std::function<void()> again;
        again = [&] { w.Schedule(Duration::zero(), again); };
        w.Schedule(Duration::zero(), again);
        w.RunFor(seconds(1));
      },
      "zero-time livelock(.|\n)*seed=77(.|\n)*replay: rmqsim demo --seed 77");
}

}  // namespace
}  // namespace rmqsim::sim
