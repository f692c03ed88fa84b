#include "sim/runtime/pass_timer.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "tests/testing/sim_testing.h"

namespace rmqsim {
namespace {

using testing::ScriptedService;

// A periodic service on a PassTimer: each pass records its time, then asks for the next pass
// `period` later, saying it is idle until `idle_until()` (set by the test).
struct Service {
  Runtime& rt;
  Duration period;
  MonoTime idle_until{};
  std::vector<int64_t> passes_ms;
  std::unique_ptr<PassTimer> timer;

  Service(Runtime& r, Duration p) : rt(r), period(p) {
    timer = std::make_unique<PassTimer>(rt, [this] { Pass(); });
  }
  void Pass() {
    passes_ms.push_back(ToMillis(rt.Now().time_since_epoch()));
    timer->Schedule(period, idle_until);
  }
};

class PassTimerTest : public testing::TwoMachineWorld {
 protected:
  explicit PassTimerTest(sim::WorldConfig config = {}) : TwoMachineWorld(std::move(config)) {}

  Service* Start(Duration period) {
    Spawn(a_, "p", [this, period](ScriptedService& s) {
      svc_ = std::make_unique<Service>(s.rt, period);
      start_ms_ = ToMillis(s.rt.Now().time_since_epoch());
      svc_->timer->Schedule(period, s.rt.Now());
      return Status::Ok();
    });
    return svc_.get();
  }
  std::vector<int64_t> Relative() const {
    std::vector<int64_t> out;
    for (int64_t t : svc_->passes_ms) out.push_back(t - start_ms_);
    return out;
  }

  std::unique_ptr<Service> svc_;
  int64_t start_ms_ = 0;
};

TEST_F(PassTimerTest, WithoutIdleTimeEveryPassRuns) {
  Service* s = Start(milliseconds(100));
  world_.RunFor(milliseconds(450));
  EXPECT_EQ(Relative(), (std::vector<int64_t>{100, 200, 300, 400}));
  EXPECT_EQ(s->timer->skipped(), 0u);
}

TEST_F(PassTimerTest, SkipsToTheFirstGridPointAtOrAfterTheIdleTime) {
  Service* s = Start(milliseconds(100));
  world_.RunFor(milliseconds(150));  // the pass at 100
  s->idle_until = world_.now() + milliseconds(320);  // 470: the grid point is 500
  world_.RunFor(milliseconds(100));  // the pass at 200 skips to 500
  s->idle_until = PassTimer::kNever;
  world_.RunFor(milliseconds(2000));
  // 100 (not idle), 200 (idle until 470: next 500), 500 (idle for ever: parked).
  EXPECT_EQ(Relative(), (std::vector<int64_t>{100, 200, 500}));
  EXPECT_TRUE(s->timer->pending());
  EXPECT_EQ(s->timer->at(), PassTimer::kNever);
}

TEST_F(PassTimerTest, WakeRunsThePassAtTheNextGridPointAfterNow) {
  Service* s = Start(milliseconds(100));
  s->idle_until = PassTimer::kNever;
  world_.RunFor(milliseconds(1050));  // one pass at 100, then parked
  EXPECT_EQ(Relative(), (std::vector<int64_t>{100}));
  s->idle_until = MonoTime{};  // the next passes have work
  svc_->timer->Wake();          // at 1050: the grid point after it is 1100
  world_.RunFor(milliseconds(70));
  EXPECT_EQ(Relative(), (std::vector<int64_t>{100, 1100}));
  EXPECT_EQ(s->timer->skipped(), 9u);  // 200 .. 1000
  // A wake when the next pass is already the next grid point changes nothing.
  s->timer->Wake();
  world_.RunFor(milliseconds(100));
  EXPECT_EQ(Relative(), (std::vector<int64_t>{100, 1100, 1200}));
}

TEST_F(PassTimerTest, WakeNeverMovesAPassLater) {
  Service* s = Start(milliseconds(100));
  world_.RunFor(milliseconds(150));
  s->idle_until = world_.now() + milliseconds(320);  // pass at 200 -> next at 500 (idle to 470)
  world_.RunFor(milliseconds(100));
  s->idle_until = MonoTime{};
  world_.RunFor(milliseconds(180));  // now 430 (start + 430): the next grid point is 500 anyway
  s->timer->Wake();
  world_.RunFor(milliseconds(100));
  EXPECT_EQ(Relative(), (std::vector<int64_t>{100, 200, 500}));
}

TEST_F(PassTimerTest, CancelStopsThePasses) {
  Service* s = Start(milliseconds(100));
  world_.RunFor(milliseconds(150));
  s->timer->Cancel();
  s->timer->Wake();
  world_.RunFor(milliseconds(1000));
  EXPECT_EQ(Relative(), (std::vector<int64_t>{100}));
  EXPECT_FALSE(s->timer->pending());
}

class PassTimerBuggifyTest : public PassTimerTest {
 protected:
  PassTimerBuggifyTest() : PassTimerTest(sim::WorldConfig{.buggify = true}) {}
};

// With BUGGIFY on, a service may delay any pass at random, so nothing is skipped.
TEST_F(PassTimerBuggifyTest, NothingIsSkipped) {
  Service* s = Start(milliseconds(100));
  s->idle_until = PassTimer::kNever;
  world_.RunFor(milliseconds(450));
  EXPECT_EQ(Relative(), (std::vector<int64_t>{100, 200, 300, 400}));
  EXPECT_EQ(s->timer->skipped(), 0u);
}

}  // namespace
}  // namespace rmqsim
