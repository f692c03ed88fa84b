#include "sim/simulated/world.h"

#include <gtest/gtest.h>

#include "tests/testing/sim_testing.h"

namespace rmqsim::sim {
namespace {

using testing::ScriptedService;

class WorldTest : public testing::TwoMachineWorld {};

TEST_F(WorldTest, KillLeavesNoTimerOrCallback) {
  int fired = 0;
  auto p = Spawn(a_, "p", [&fired](ScriptedService& s) {
    s.rt.executor().ScheduleAfter(seconds(5), [&fired] { ++fired; });
    s.rt.executor().Post([&fired] { ++fired; });
    return Status::Ok();
  });
  // The Post ran inside Spawn's RunFor(0); the 5 s timer is pending.
  EXPECT_EQ(fired, 1);
  world_.KillProcess(p);
  EXPECT_EQ(world_.process_state(p), ProcessState::kKilled);
  EXPECT_EQ(world_.service(p), nullptr);
  world_.RunFor(seconds(10));
  EXPECT_EQ(fired, 1);
}

TEST_F(WorldTest, GracefulStopRunsServiceStop) {
  auto p = Spawn(a_, "p");
  bool stopped_late = false;
  Svc(p)->on_stop = [this, &stopped_late](std::function<void()> done) {
    // Finishes asynchronously, like a broker unregistering from name servers.
    world_.runtime(world_.processes()[0])->executor().ScheduleAfter(
        seconds(1), [done, &stopped_late] {
          stopped_late = true;
          done();
        });
  };
  world_.StopProcess(p);
  EXPECT_EQ(world_.process_state(p), ProcessState::kStopping);
  world_.RunFor(milliseconds(500));
  EXPECT_EQ(world_.process_state(p), ProcessState::kStopping);
  world_.RunFor(seconds(1));
  EXPECT_TRUE(stopped_late);
  EXPECT_EQ(world_.process_state(p), ProcessState::kExited);
}

TEST_F(WorldTest, StopThatNeverFinishesBecomesAKillAfterGrace) {
  auto p = Spawn(a_, "p");
  Svc(p)->on_stop = [](std::function<void()>) {};  // never calls done
  world_.StopProcess(p, seconds(3));
  world_.RunFor(seconds(4));
  EXPECT_EQ(world_.process_state(p), ProcessState::kKilled);
}

TEST_F(WorldTest, StartFailureEndsTheProcess) {
  auto id = *world_.AddProcess(a_, "bad", [](Runtime& rt) {
    return std::make_unique<ScriptedService>(
        rt, [](ScriptedService&) { return InvalidArgumentError("bad config"); });
  });
  ASSERT_TRUE(world_.StartProcess(id).ok());
  world_.RunFor(milliseconds(1));
  EXPECT_EQ(world_.process_state(id), ProcessState::kExited);
  bool found = false;
  for (const auto& e : world_.trace_events()) {
    if (e.event.name() == "ProcessStartFailed") found = true;
  }
  EXPECT_TRUE(found);
}

TEST_F(WorldTest, RestartIsANewIncarnationWithADifferentRandomStream) {
  uint64_t first = 0, second = 0;
  uint64_t* target = &first;
  auto p = Spawn(a_, "p", [&target](ScriptedService& s) {
    *target = s.rt.random().Next64();
    return Status::Ok();
  });
  target = &second;
  ASSERT_TRUE(world_.RestartProcess(p).ok());
  world_.RunFor(Duration::zero());
  EXPECT_EQ(world_.incarnation(p), 2u);
  EXPECT_NE(first, second);
}

TEST_F(WorldTest, BadTopologyIsAnError) {
  EXPECT_EQ(world_.AddMachine({.name = "c", .ip = "10.0.0.1"}).status().code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(world_.AddMachine({.name = "c", .ip = "not-an-ip"}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(world_.AddMachine({.name = "a", .ip = "10.0.0.9"}).status().code(),
            StatusCode::kAlreadyExists);
  auto p = Spawn(a_, "p");
  EXPECT_EQ(world_.StartProcess(p).code(), StatusCode::kFailedPrecondition);
  world_.PowerOff(a_);
  EXPECT_EQ(world_.StartProcess(p).code(), StatusCode::kUnavailable);
}

TEST_F(WorldTest, PowerOffTakesEveryProcessOnTheMachine) {
  auto p1 = Spawn(a_, "p1");
  auto p2 = Spawn(a_, "p2");
  auto p3 = Spawn(b_, "p3");
  world_.PowerOff(a_);
  EXPECT_EQ(world_.process_state(p1), ProcessState::kPoweredOff);
  EXPECT_EQ(world_.process_state(p2), ProcessState::kPoweredOff);
  EXPECT_TRUE(world_.IsRunning(p3));
  world_.PowerOn(a_);
  EXPECT_FALSE(world_.IsRunning(p1));
  EXPECT_TRUE(world_.StartProcess(p1).ok());
}


// ---------------------------------------------------------------- the deep digest

// One run of a tiny world: a process that (optionally) draws a random number, writes `bytes` to
// a file, and schedules two timers of different kinds at one instant in the given order.
uint64_t TinyRunDigest(bool deep, const std::string& bytes, bool swap_timers, bool extra_draw) {
  sim::WorldConfig config;
  config.seed = 7;
  config.deep_digest = deep;
  sim::World world(config);
  int hits = 0;
  auto m = *world.AddMachine({.name = "a", .ip = "10.0.0.1"});
  auto id = *world.AddProcess(m, "p", [&](Runtime& rt) {
    return std::make_unique<ScriptedService>(rt, [&](ScriptedService& s) {
      if (extra_draw) (void)s.rt.random().Next64();
      auto f = s.rt.fs().Open("data.bin", OpenMode::kCreateOrOpen);
      if (!f.ok()) return f.status();
      RMQ_RETURN_IF_ERROR((*f)->Append(std::as_bytes(std::span(bytes.data(), bytes.size()))));
      auto first = [&hits] { ++hits; };
      auto second = [&hits] { hits += 2; };
      if (swap_timers) {
        s.rt.executor().ScheduleAfter(seconds(1), second);
        s.rt.executor().ScheduleAfter(seconds(1), first);
      } else {
        s.rt.executor().ScheduleAfter(seconds(1), first);
        s.rt.executor().ScheduleAfter(seconds(1), second);
      }
      return Status::Ok();
    });
  });
  EXPECT_TRUE(world.StartProcess(id).ok());
  world.RunFor(seconds(2));
  return world.digest();
}

TEST(DeepDigestTest, SameRunSameDigest) {
  EXPECT_EQ(TinyRunDigest(true, "hello", false, false), TinyRunDigest(true, "hello", false, false));
}

TEST(DeepDigestTest, DataAloneChangesTheDeepDigest) {
  // Same events, same traces, different bytes on disk: only the deep digest sees it.
  EXPECT_EQ(TinyRunDigest(false, "hello", false, false), TinyRunDigest(false, "hellp", false, false));
  EXPECT_NE(TinyRunDigest(true, "hello", false, false), TinyRunDigest(true, "hellp", false, false));
}

TEST(DeepDigestTest, SwappedCallbacksAtOneInstantChangeTheDeepDigest) {
  EXPECT_EQ(TinyRunDigest(false, "x", false, false), TinyRunDigest(false, "x", true, false));
  EXPECT_NE(TinyRunDigest(true, "x", false, false), TinyRunDigest(true, "x", true, false));
}

TEST(DeepDigestTest, AnExtraRandomDrawChangesTheDeepDigest) {
  EXPECT_EQ(TinyRunDigest(false, "x", false, false), TinyRunDigest(false, "x", false, true));
  EXPECT_NE(TinyRunDigest(true, "x", false, false), TinyRunDigest(true, "x", false, true));
}

}  // namespace
}  // namespace rmqsim::sim
