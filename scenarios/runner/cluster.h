// The RocketMQ chaos scenario: a simulated cluster (name servers, broker masters, producer and
// push-consumer processes running the real rmqsim components) under the random nemesis, with a
// recorded history and the at-least-once delivery checker. `rmqsim cluster` runs it; it is the
// project's main job.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "faults/nemesis.h"
#include "sim/base/time.h"

namespace rmqsim::scenarios {

struct ClusterOptions {
  uint64_t seed = 1;
  Duration chaos = minutes(30);
  Duration quiet = minutes(3);
  int namesrvs = 2;
  int brokers = 2;            // broker groups (one master each)
  int slaves = 1;             // slaves per broker group (brokerId 1..n, learn the master from
                              // the name servers)
  bool sync_master = true;    // SYNC_MASTER (else ASYNC_MASTER)
  bool slave_read_enable = false;
  int producers = 2;
  double rate_per_producer = 50;  // messages per second, sync sends
  int consumers = 2;          // one clustering group
  bool sync_flush = true;     // SYNC_FLUSH promises no loss of SEND_OK messages
  bool faults = true;
  bool buggify = false;
  bool trace_to_stderr = false;
  Duration fault_mean_interval = seconds(30);
  std::string replay_command;
};

struct ClusterResult {
  uint64_t seed = 0;
  uint64_t digest = 0;
  uint64_t events = 0;
  uint64_t trace_events = 0;
  Duration simulated{0};
  // History.
  uint64_t sends_invoked = 0;
  uint64_t send_ok = 0;            // SEND_OK
  uint64_t send_other_status = 0;  // FLUSH_DISK_TIMEOUT / FLUSH_SLAVE_TIMEOUT / SLAVE_NOT_AVAILABLE
  uint64_t flush_disk_timeout = 0;
  uint64_t flush_slave_timeout = 0;
  uint64_t slave_not_available = 0;
  uint64_t send_failed = 0;        // error: outcome unknown
  uint64_t deliveries = 0;
  // Delivery checker.
  uint64_t lost = 0;           // SEND_OK but never delivered
  uint64_t duplicated = 0;     // delivered more than once (allowed: at-least-once)
  uint64_t recovered = 0;      // failed send that was delivered anyway
  uint64_t unexpected = 0;     // delivered but never sent
  std::vector<std::string> lost_examples;
  uint64_t acked_during_quiet = 0;
  std::vector<faults::FaultWindow> fault_history;
  // HA: slaves known to have diverged at the end (4.x: a master that lost its unflushed tail
  // while a slave had it): the slave found bytes that are not a record, or its dispatch is stuck.
  // A divergence whose offsets happen to line up with the master's records goes unseen, as in
  // Java, so this is a lower bound.
  uint64_t slaves_diverged = 0;
  uint64_t slaves_connected = 0;  // slaves connected to their master at the end
  bool loss_allowed = false;  // ASYNC_FLUSH with power loss may lose acknowledged messages
  bool delivery_ok = false;
  bool liveness_ok = false;
  bool ok() const { return delivery_ok && liveness_ok; }
};

ClusterResult RunCluster(const ClusterOptions& options);
std::string FormatClusterSummary(const ClusterResult& r, const ClusterOptions& options);

}  // namespace rmqsim::scenarios
