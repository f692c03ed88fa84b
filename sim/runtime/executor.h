#pragma once

#include <cstdint>
#include <functional>

#include "sim/base/time.h"

namespace rmqsim {

// Identifies a scheduled timer for cancellation. Default-constructed: no timer.
struct TimerId {
  uint64_t value = 0;
  bool valid() const { return value != 0; }
  friend bool operator==(TimerId, TimerId) = default;
};

// The process's single thread of control. Every callback of a process (timers, network and file
// completions, coroutine resumptions) runs on its executor, one at a time, never concurrently.
// When the process dies (simulation: kill, power loss, stop) nothing scheduled on it ever runs.
class Executor {
 public:
  using Callback = std::function<void()>;
  virtual ~Executor() = default;

  // Runs `cb` as soon as possible, after the callbacks already queued for the current instant
  // (FIFO among posts). Never runs `cb` inside this call.
  virtual void Post(Callback cb) = 0;

  // Runs `cb` once, `delay` from now (negative delays count as zero). Returns an id for Cancel.
  virtual TimerId ScheduleAfter(Duration delay, Callback cb) = 0;

  // Cancels a pending timer. Returns true if it was pending and now will not run; false if it
  // already ran, was already cancelled, or the id is unknown. The callback is destroyed no later
  // than when it would have run.
  virtual bool Cancel(TimerId id) = 0;
};

}  // namespace rmqsim
