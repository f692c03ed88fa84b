#include "sim/runtime/task.h"

#include <gtest/gtest.h>

#include "tests/testing/sim_testing.h"

namespace rmqsim {
namespace {

using testing::ScriptedService;

Task<int> AddLater(Executor& ex, int a, int b, std::vector<std::string>* log) {
  co_await Sleep(ex, seconds(1));
  log->push_back("added");
  co_return a + b;
}

Task<void> Chain(Executor& ex, std::vector<std::string>* log, int* out) {
  log->push_back("start");
  int x = co_await AddLater(ex, 1, 2, log);
  int y = co_await AddLater(ex, x, 10, log);
  *out = y;
  log->push_back("done");
}

class TaskTest : public testing::TwoMachineWorld {};

TEST_F(TaskTest, AwaitsChainsInVirtualTime) {
  std::vector<std::string> log;
  int out = 0;
  TaskScope scope;
  auto p = Spawn(a_, "p");
  scope.Spawn(Chain(world_.runtime(p)->executor(), &log, &out));
  EXPECT_EQ(log, std::vector<std::string>{"start"});
  EXPECT_EQ(scope.active(), 1u);
  world_.RunFor(seconds(1) + milliseconds(1));
  EXPECT_EQ(log.size(), 2u);
  world_.RunFor(seconds(2));
  EXPECT_EQ(out, 13);
  EXPECT_EQ(log.back(), "done");
  EXPECT_EQ(scope.active(), 0u);  // a finished root frees itself
}

// Destroying the scope destroys the suspended frames; their sleeps are cancelled and nothing
// resumes later.
TEST_F(TaskTest, DestroyingScopeCancelsSuspendedWork) {
  std::vector<std::string> log;
  int out = 0;
  auto p = Spawn(a_, "p");
  {
    TaskScope scope;
    scope.Spawn(Chain(world_.runtime(p)->executor(), &log, &out));
  }
  world_.RunFor(seconds(10));
  EXPECT_EQ(log, std::vector<std::string>{"start"});
  EXPECT_EQ(out, 0);
}

// A service whose coroutine ticks every second until the process is killed: after the kill,
// nothing of it ever runs again, and a restart starts from scratch.
class Ticker final : public Service {
 public:
  Ticker(Runtime& rt, int* ticks) : rt_(rt), ticks_(ticks) {}
  Status Start() override {
    scope_.Spawn(Loop());
    return Status::Ok();
  }

 private:
  Task<void> Loop() {
    while (true) {
      co_await Sleep(rt_.executor(), seconds(1));
      ++*ticks_;
    }
  }
  Runtime& rt_;
  int* ticks_;
  TaskScope scope_;
};

TEST_F(TaskTest, KilledProcessNeverRunsAgain) {
  int ticks = 0;
  auto id = *world_.AddProcess(a_, "ticker", [&](Runtime& rt) {
    return std::make_unique<Ticker>(rt, &ticks);
  });
  ASSERT_TRUE(world_.StartProcess(id).ok());
  world_.RunFor(milliseconds(5500));
  EXPECT_EQ(ticks, 5);
  world_.KillProcess(id);
  world_.RunFor(seconds(100));
  EXPECT_EQ(ticks, 5);
  ASSERT_TRUE(world_.StartProcess(id).ok());
  world_.RunFor(milliseconds(2500));
  EXPECT_EQ(ticks, 7);
  EXPECT_EQ(world_.incarnation(id), 2u);
}

TEST_F(TaskTest, AwaitCallbackIgnoresLateCallbackAfterFrameDestroyed) {
  auto p = Spawn(a_, "p");
  Executor& ex = world_.runtime(p)->executor();
  std::function<void(int)> saved;
  bool resumed = false;
  auto body = [&]() -> Task<void> {
    int v = co_await AwaitCallback<int>(ex, [&](std::function<void(int)> done) {
      saved = std::move(done);
    });
    resumed = v == 7;
  };
  {
    TaskScope scope;
    scope.Spawn(body());
  }
  saved(7);  // the frame is gone: this must do nothing
  world_.RunFor(seconds(1));
  EXPECT_FALSE(resumed);

  TaskScope scope2;
  scope2.Spawn(body());
  saved(7);
  EXPECT_FALSE(resumed);  // resumption goes through the executor, not inline
  world_.RunFor(Duration::zero());
  EXPECT_TRUE(resumed);
}

}  // namespace
}  // namespace rmqsim
