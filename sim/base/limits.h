// Named limits: every queue, buffer, retry loop and in-flight map in the simulation kernel and the
// runtimes is bounded by a constant from here, each with the reason for its value. The simulator
// is meant to hit these bounds on purpose; a bound that is hit shows up as a Status, not a crash.
#pragma once

#include <cstddef>
#include <cstdint>

#include "sim/base/time.h"

namespace rmqsim::limits {

// Bytes a connection may hold that the peer has not yet received (TCP send buffer + the
// application's queue). RocketMQ messages are at most 4 MiB by default and a frame at most
// 16 MiB, so one maximal frame always fits; a stalled peer fills it within a few frames.
inline constexpr size_t kSendBufferBytesDefault = 32 * 1024 * 1024;
inline constexpr size_t kSendBufferBytesMax = 256 * 1024 * 1024;

// Largest segment the simulated network cuts from a send buffer (an MSS-ish unit, but larger so
// that big transfers do not need thousands of events).
inline constexpr size_t kSimSegmentBytesMax = 64 * 1024;


// Largest single file in the simulated file system and the largest read in one call. Commit-log
// segments in simulation are a few MiB; anything near this bound is a bug.
inline constexpr uint64_t kSimFileBytesMax = 1ull << 32;
inline constexpr size_t kReadBytesMax = 64 * 1024 * 1024;

// Simulated disk capacity when a machine's config gives none.
inline constexpr uint64_t kSimDiskBytesDefault = 64ull * 1024 * 1024 * 1024;

// Events the simulated world will run in one run_until before it declares a livelock (for
// example a zero-delay timer that reschedules itself forever).
inline constexpr uint64_t kEventsPerRunMax = 20'000'000'000ull;
// Events allowed at a single virtual instant before the world reports a zero-time livelock.
inline constexpr uint64_t kEventsAtOneInstantMax = 10'000'000;

// Trace events the simulated world keeps in memory for inspection (the digest covers all of them;
// only the newest are kept).
inline constexpr size_t kTraceEventsKeptDefault = 100'000;

// Sector size: power loss tears a write at a multiple of this.
inline constexpr size_t kSectorBytes = 512;

// Real-mode file sync worker queue.
inline constexpr size_t kRealSyncQueueMax = 4096;

}  // namespace rmqsim::limits
