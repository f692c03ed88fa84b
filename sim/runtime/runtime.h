// THE SEAM. Component code (system/) gets time, timers, sockets, files, randomness and tracing
// only through the Runtime it was built with. The simulated world (sim/simulated) and the real
// world (sim/asio) implement it; component code never asks which one it has.
#pragma once

#include <string>
#include <string_view>

#include "sim/base/random.h"
#include "sim/base/trace.h"
#include "sim/runtime/clock.h"
#include "sim/runtime/executor.h"
#include "sim/runtime/file_system.h"
#include "sim/runtime/network.h"
#include "sim/runtime/trace_sink.h"

namespace rmqsim {

class Runtime {
 public:
  virtual ~Runtime() = default;

  virtual Clock& clock() = 0;
  virtual Executor& executor() = 0;
  virtual Network& network() = 0;
  virtual FileSystem& fs() = 0;
  // Seeded per process incarnation in simulation; seeded from the OS in real mode.
  virtual RandomSource& random() = 0;
  virtual TraceSink& trace() = 0;
  // BUGGIFY (see sim/base/buggify.h): whether the rare path at `site` fires now. Always false in
  // real mode. Use through RMQ_BUGGIFY(runtime).
  virtual bool Buggify(std::string_view site, double fire_probability) = 0;
  // Whether BUGGIFY is on for this run (then any site may fire). Always false in real mode.
  virtual bool BuggifyEnabled() const = 0;
  // The process's name, as it appears in trace events ("broker-a-0", "namesrv-1").
  virtual const std::string& node_name() const = 0;

  // Conveniences.
  MonoTime Now() { return clock().Now(); }
  WallTime WallNow() { return clock().WallNow(); }
  void Trace(TraceEvent event) { trace().Emit(std::move(event)); }
};

}  // namespace rmqsim
