#include "sim/simulated/scheduler.h"

#include <gtest/gtest.h>

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
