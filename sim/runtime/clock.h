#pragma once

#include "sim/base/time.h"

namespace rmqsim {

// Time as the process sees it.
class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time: for timeouts, intervals and deadlines. Never decreases.
  virtual MonoTime Now() const = 0;
  // Wall time of the machine (may jump and drift in simulation): for timestamps that are stored
  // or sent (message born/store timestamps, file names, CONSUME_FROM_TIMESTAMP).
  virtual WallTime WallNow() const = 0;
};

}  // namespace rmqsim
