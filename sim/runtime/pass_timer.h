// The timer of a periodic service (a flush service, a transfer loop) that skips the passes which
// would find nothing to do, without moving the passes that do something.
//
// RocketMQ's services wake on a fixed period and usually find nothing: a flush service with
// nothing dirty, an HA transfer loop with nothing new to send and no heartbeat due. Each such pass
// is an event in the simulation, and on an idle cluster they are most of its events. A PassTimer
// keeps the service's grid: after a pass at time T with period P, the service says until when it
// will certainly have nothing to do (`idle_until`), and the timer schedules the next pass at the
// first point T + kP (k >= 1) at or after that time. When something happens that may give the
// service work (new data written), the owner calls Wake(), which moves the pass to the first grid
// point after now. The passes that run are therefore at exactly the times the unskipped service
// would have run them, and the skipped ones would have done nothing.
//
// When BUGGIFY is on for the run, a pass may be delayed at random after each wake-up, so the grid
// is not fixed: the timer then skips nothing (every pass runs, as without it).
#pragma once

#include <functional>
#include <limits>

#include "sim/runtime/runtime.h"

namespace rmqsim {

class PassTimer {
 public:
  using Callback = std::function<void()>;
  // No time: nothing will be due until Wake().
  static constexpr MonoTime kNever = MonoTime::max();

  // `pass` runs on the runtime's executor (wrap it in the owner's LifetimeGuard).
  PassTimer(Runtime& rt, Callback pass);
  ~PassTimer();
  PassTimer(const PassTimer&) = delete;
  PassTimer& operator=(const PassTimer&) = delete;

  // Schedules the next pass `wait` from now, or, when nothing can be due before `idle_until`,
  // the first pass of the grid now + k * wait (k >= 1) at or after `idle_until`. Replaces a
  // pending pass.
  void Schedule(Duration wait, MonoTime idle_until);
  // Something may be due: a pass later than the first grid point after now moves there.
  void Wake() {
    if (pending_ && skipping_) WakeSlow();
  }
  void Cancel();
  bool pending() const { return pending_; }
  // The time of the pending pass (meaningful when pending()).
  MonoTime at() const { return at_; }
  // Passes skipped so far (for the tests and the profile).
  uint64_t skipped() const { return skipped_; }

 private:
  void Arm(MonoTime at);
  void WakeSlow();

  Runtime& rt_;
  Callback pass_;
  TimerId timer_;
  bool pending_ = false;
  bool skipping_ = false;  // a Wake may move the pending pass earlier
  MonoTime origin_{};      // the time Schedule was called
  Duration wait_{};
  MonoTime at_{};
  uint64_t skipped_ = 0;
};

}  // namespace rmqsim
