// The real runtime: the seam (sim/runtime/runtime.h) on Boost.Asio sockets and timers and POSIX
// files. Real-mode mains (rmq-namesrv, rmq-broker, rmq-proxy) build one AsioRuntime per process,
// hand it to the component factory and run its loop. See docs/real-runtime.md.
//
// Threading: single-threaded like the simulated world. Every callback (posts, timers, accepts,
// connects, received bytes, close notifications, sync completions) runs on the thread that calls
// Run(), RunUntil() or RunFor(), one at a time. The only other thread is the file-sync worker,
// which runs fdatasync and hands each completion back to the loop; it never runs a callback.
//
// Lifetime: destroying the runtime is the death of the process. Nothing scheduled on it runs
// afterwards; open connections are closed, listeners stop, timers and pending syncs are dropped
// (queued syncs still reach the disk, their callbacks are destroyed unrun). Connections, listeners
// and files that the caller still holds become dead handles: Send returns kClosed, Sync drops its
// callback, Close and Reset do nothing. Destroy the runtime on the thread that runs it, not from
// inside one of its callbacks.
//
// Boost.Asio stays out of this header: everything lives in asio_runtime.cc.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "sim/base/time.h"
#include "sim/base/trace.h"
#include "sim/runtime/runtime.h"
#include "sim/runtime/service.h"

namespace rmqsim::real {

namespace internal {
class AsioCore;
}  // namespace internal

struct AsioRuntimeOptions {
  // The process's name in trace events ("broker-a-0").
  std::string node_name = "node";
  // Relative FileSystem paths resolve against this directory; absolute paths are used as-is. An
  // empty string means the current directory. The runtime does not create it: CreateDirectories
  // does (it creates parents).
  std::string data_dir = ".";
  // Seed of random(). Absent: seeded from the OS (std::random_device).
  std::optional<uint64_t> seed;
  // Print each kept trace event to stderr, one FormatTraceEvent line per event.
  bool trace_to_stderr = true;
  // Events below this severity are discarded (TraceSink::Enabled says false for them); the rest
  // are counted, digested and (with trace_to_stderr) printed.
  Severity min_severity = Severity::kInfo;
  // Log lines (sim/runtime/log.h: "Log" events, and every other event at WARN or above) at or
  // above log_level are written, each prefixed with the wall-clock time and level, to log_file
  // (appended; empty: no file) and, with log_to_stderr, to stderr. The file's directory must
  // exist.
  std::string log_file;
  bool log_to_stderr = false;
  Severity log_level = Severity::kInfo;
};

class AsioRuntime final : public Runtime {
 public:
  using Options = AsioRuntimeOptions;

  explicit AsioRuntime(Options options = {});
  ~AsioRuntime() override;
  AsioRuntime(const AsioRuntime&) = delete;
  AsioRuntime& operator=(const AsioRuntime&) = delete;

  // The seam.
  Clock& clock() override;
  Executor& executor() override;
  Network& network() override;
  FileSystem& fs() override;
  RandomSource& random() override;
  TraceSink& trace() override;
  bool Buggify(std::string_view site, double fire_probability) override;  // always false
  bool BuggifyEnabled() const override { return false; }
  const std::string& node_name() const override;

  // The loop. None of these may be called from inside a callback of this runtime (not
  // reentrant), and all must be called from the same thread.
  //
  // Runs callbacks until Stop().
  void Run();
  // Runs callbacks until `pred()` holds (checked before the first callback and after each one),
  // Stop() is called, or `timeout` passes. Returns whether `pred()` held.
  bool RunUntil(std::function<bool()> pred, Duration timeout);
  // Runs callbacks for `duration` (or until Stop()).
  void RunFor(Duration duration);
  // Makes the running Run*() return once the current callback finishes. Called while nothing
  // runs, it makes the next Run*() return at once. May be called from any thread.
  void Stop();

  // Trace events kept (at or above min_severity) so far, and their running digest.
  uint64_t trace_events() const;
  uint64_t trace_digest() const;
  // The seed random() was built with (the OS-provided one when options.seed was absent).
  uint64_t seed() const;
  const std::string& data_dir() const;

 private:
  friend int RunServiceMain(AsioRuntime& rt,
                            std::function<std::unique_ptr<Service>(Runtime&)> factory,
                            std::string_view logger);

  std::unique_ptr<internal::AsioCore> core_;
};

// The body of a real-mode main: builds the service with `factory`, starts it (on failure prints
// the error to stderr and returns 1), then runs the loop. SIGINT or SIGTERM calls the service's
// Stop(done), and `done` stops the loop; a second signal 2 s or more after the first stops the
// loop at once (one sooner is taken for timeout(1)'s echo to the process group and only logged).
// Each signal and the end of the graceful stop (with its duration) are INFO lines under `logger`,
// in the words of RocketMQ's broker shutdown hook. The service is destroyed before returning 0; signals that arrive after
// the loop has stopped are ignored.
int RunServiceMain(AsioRuntime& rt, std::function<std::unique_ptr<Service>(Runtime&)> factory,
                   std::string_view logger = "RocketmqCommon");

}  // namespace rmqsim::real
