#pragma once

#include "sim/base/trace.h"

namespace rmqsim {

// Where a process's trace events go. The sink stamps each event with the node (process name) and
// the current time; in simulation every event also feeds the world's digest.
class TraceSink {
 public:
  virtual ~TraceSink() = default;
  virtual void Emit(TraceEvent event) = 0;
  // False when events of this severity are discarded (lets hot paths skip building them). In
  // simulation every severity is on, because every event feeds the digest.
  virtual bool Enabled(Severity severity) const = 0;
};

}  // namespace rmqsim
