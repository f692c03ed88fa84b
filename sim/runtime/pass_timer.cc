#include "sim/runtime/pass_timer.h"

#include <utility>

namespace rmqsim {

PassTimer::PassTimer(Runtime& rt, Callback pass) : rt_(rt), pass_(std::move(pass)) {}

PassTimer::~PassTimer() { Cancel(); }

void PassTimer::Cancel() {
  if (pending_) rt_.executor().Cancel(timer_);
  timer_ = {};
  pending_ = false;
  skipping_ = false;
}

void PassTimer::Schedule(Duration wait, MonoTime idle_until) {
  Cancel();
  origin_ = rt_.Now();
  wait_ = wait < Duration::zero() ? Duration::zero() : wait;
  MonoTime at = origin_ + wait_;
  skipping_ = false;
  if (wait_ > Duration::zero() && idle_until > at && !rt_.BuggifyEnabled()) {
    skipping_ = true;
    if (idle_until == kNever) {
      at = kNever;
    } else {
      // The first grid point at or after idle_until.
      const int64_t span = (idle_until - origin_).count();
      const int64_t step = wait_.count();
      const int64_t k = (span + step - 1) / step;
      at = origin_ + Duration(k * step);
    }
  }
  Arm(at);
}

void PassTimer::Arm(MonoTime at) {
  at_ = at;
  pending_ = true;
  if (at == kNever) {
    timer_ = {};
    return;
  }
  // The closure holds its own copy of the pass: the pass may destroy this timer's owner.
  timer_ = rt_.executor().ScheduleAfter(at - rt_.Now(), [this, pass = pass_] {
    if (wait_ > Duration::zero()) {
      skipped_ += static_cast<uint64_t>((at_ - origin_) / wait_ - 1);
    }
    pending_ = false;
    skipping_ = false;
    timer_ = {};
    pass();
  });
}

void PassTimer::WakeSlow() {
  const MonoTime now = rt_.Now();
  // The first grid point strictly after now.
  const int64_t step = wait_.count();
  const int64_t k = (now - origin_).count() / step + 1;
  const MonoTime next = origin_ + Duration(k * step);
  if (next < at_) {
    if (at_ != kNever) rt_.executor().Cancel(timer_);
    Arm(next);
  }
  // A later wake cannot move the pass further forward: the first grid point after a later time
  // is not earlier.
  skipping_ = false;
}

}  // namespace rmqsim
