// Configuration of the simulated world: machines, disks, clocks, network.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "sim/base/limits.h"
#include "sim/base/time.h"
#include "sim/base/trace.h"

namespace rmqsim::sim {

struct ClockConfig {
  Duration offset{0};     // wall clock minus true wall time at world start
  double drift_ppm = 0;   // the wall clock runs (1 + drift_ppm / 1e6) times true speed
};

struct DiskConfig {
  uint64_t capacity_bytes = limits::kSimDiskBytesDefault;
  Duration sync_latency_min = microseconds(200);   // an fsync never completes faster
  Duration sync_latency_mean = microseconds(1500); // plus an exponential part with this mean
  // On power loss, the probability that the last unsynced write of a file is torn (a sector-
  // aligned prefix of it survives) rather than lost whole.
  double tear_probability = 0.5;
};

struct MachineConfig {
  std::string name;  // "broker-a"
  std::string ip;    // "10.0.0.2"; must be unique
  DiskConfig disk;
  ClockConfig clock;
};

struct NetworkConfig {
  Duration latency_min = microseconds(100);         // one-way, between machines
  Duration latency_jitter_mean = microseconds(150); // plus an exponential part with this mean
  Duration loopback_latency = microseconds(20);     // within one machine
  uint64_t bandwidth_bytes_per_second = 1'250'000'000;  // 10 Gbit/s per directed link
  // Probability that a transmission is cut to a random length instead of taking what is queued
  // (up to limits::kSimSegmentBytesMax): exercises partial frames.
  double segmentation_probability = 0.3;
  // Probability that a write joins the segment cut just before it in the same instant (as
  // Nagle or a busy NIC would merge them): exercises merged frames. Segments due at the same
  // time are also delivered in one read.
  double coalescing_probability = 0.5;
};

struct WorldConfig {
  uint64_t seed = 1;
  NetworkConfig network;
  bool buggify = false;
  // True wall time at world start (default 2026-01-01T00:00:00Z).
  int64_t start_unix_ms = 1'767'225'600'000;
  size_t trace_events_kept = limits::kTraceEventsKeptDefault;
  bool trace_to_stderr = false;
  // Receives every trace event as it is emitted (text traces to a file, exporters). It must not
  // touch the world: it only observes.
  std::function<void(const StampedTraceEvent&)> trace_listener;
  // The digest also folds in each dispatched event's kind (the type of its callback: which
  // lambda or coroutine step), the bytes every network delivery hands to a process and every disk
  // write stores, and the number of random draws of the processes. Costs a few per cent of run
  // time; without it the digest covers trace events and event times and owners only.
  bool deep_digest = true;
  // Counts dispatched events by kind (World::EventKindCounts): where a run's events go.
  bool count_event_kinds = false;
  // Printed with assertion failures: how to reproduce this run ("rmqsim demo --seed 42").
  std::string replay_command;
};

}  // namespace rmqsim::sim
