// The demo run: the simulated world under a random nemesis, with the durable echo service as the
// workload, a recorded history, and two checks (durability of acknowledged writes, liveness after
// the faults heal). Until the RocketMQ components land, this is `rmqsim demo`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "faults/machine_nemesis.h"
#include "scenarios/demo/echo_service.h"
#include "sim/base/time.h"

namespace rmqsim::scenarios {

struct DemoOptions {
  uint64_t seed = 1;
  Duration chaos = hours(1);      // faults are injected during this phase
  Duration quiet = minutes(2);    // then everything heals and the system must make progress
  int clients = 2;
  bool faults = true;
  bool buggify = false;
  bool trace_to_stderr = false;
  Duration fault_mean_interval = seconds(30);
  std::string replay_command;     // printed with failures
};

struct DemoResult {
  uint64_t seed = 0;
  uint64_t digest = 0;
  uint64_t events = 0;
  uint64_t trace_events = 0;
  Duration simulated{0};
  // History totals.
  uint64_t invoked = 0, acked = 0, unknown = 0;
  uint64_t acked_during_quiet = 0;
  // Durability check: acknowledged records missing from the log after a final power cycle.
  uint64_t recovered_records = 0;
  uint64_t lost_acked = 0;
  std::vector<std::string> lost_examples;
  // Other observations.
  uint64_t connections = 0;
  uint64_t bytes_delivered = 0;
  uint64_t fsyncs = 0;
  uint64_t torn_writes = 0;
  uint64_t sync_failures = 0;
  std::vector<faults::MachineFaultWindow> fault_history;
  bool liveness_ok = false;
  bool durability_ok = false;
  bool ok() const { return liveness_ok && durability_ok; }
};

DemoResult RunDemo(const DemoOptions& options);

// A readable multi-line summary (what ran, what was injected, what was checked, the digest).
std::string FormatDemoSummary(const DemoResult& r, const DemoOptions& options);

}  // namespace rmqsim::scenarios
