#include <gtest/gtest.h>

#include "tests/testing/sim_testing.h"

namespace rmqsim::sim {
namespace {

TEST(SimClock, WallClockOffsetDriftAndJumps) {
  World w({.start_unix_ms = 1'000'000});
  auto fast = *w.AddMachine({.name = "fast", .ip = "10.0.0.1",
                             .clock = {.offset = seconds(2), .drift_ppm = 1000}});
  auto plain = *w.AddMachine({.name = "plain", .ip = "10.0.0.2"});
  EXPECT_EQ(ToUnixMillis(w.MachineWallTime(plain)), 1'000'000);
  EXPECT_EQ(ToUnixMillis(w.MachineWallTime(fast)), 1'002'000);
  w.RunFor(seconds(1000));
  EXPECT_EQ(ToUnixMillis(w.MachineWallTime(plain)), 2'000'000);
  // 1000 s at +1000 ppm gains 1 s.
  EXPECT_EQ(ToUnixMillis(w.MachineWallTime(fast)), 2'002'000 + 1'000);
  w.JumpWallClock(plain, -seconds(30));  // wall clocks may go backwards
  EXPECT_EQ(ToUnixMillis(w.MachineWallTime(plain)), 1'970'000);
  w.SetClockDrift(fast, 0);
  w.RunFor(seconds(1000));
  EXPECT_EQ(ToUnixMillis(w.MachineWallTime(fast)), 3'003'000);  // the accrued second stays
  // Monotonic time is the same everywhere and unaffected.
  EXPECT_EQ(w.now(), MonoTime(seconds(2000)));
}

TEST(SimClock, ProcessesSeeTheirMachinesClock) {
  World w({});
  auto m = *w.AddMachine({.name = "m", .ip = "10.0.0.1", .clock = {.offset = hours(1)}});
  auto p = *w.AddProcess(m, "p", [](Runtime& rt) {
    return std::make_unique<testing::ScriptedService>(rt, nullptr);
  });
  ASSERT_TRUE(w.StartProcess(p).ok());
  w.RunFor(seconds(5));
  Runtime* rt = w.runtime(p);
  EXPECT_EQ(rt->Now(), MonoTime(seconds(5)));
  EXPECT_EQ(rt->WallNow(), w.MachineWallTime(m));
  EXPECT_EQ(ToUnixMillis(rt->WallNow()) - w.config().start_unix_ms, 3'605'000);
}

}  // namespace
}  // namespace rmqsim::sim
