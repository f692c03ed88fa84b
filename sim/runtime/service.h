#pragma once

#include <functional>

#include "sim/base/status.h"

namespace rmqsim {

// What a process runs: a name server, a broker, a client application, a test service. Built by a
// factory from a Runtime& (which it keeps), started once, stopped at most once, then destroyed.
// Destruction without Stop() is how a kill looks from the inside: nothing runs after it.
class Service {
 public:
  virtual ~Service() = default;
  // Binds ports, opens files, recovers, schedules its timers. An error ends the process.
  virtual Status Start() = 0;
  // Graceful shutdown (unregister from name servers, flush, close connections); calls `done`
  // when finished, possibly later from a callback.
  virtual void Stop(std::function<void()> done) { done(); }
};

}  // namespace rmqsim
