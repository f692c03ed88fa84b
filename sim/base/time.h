// Typed time. Monotonic time (for timeouts and intervals) and wall time (for timestamps stored in
// messages, retention, CONSUME_FROM_TIMESTAMP) are distinct types and cannot be mixed by accident.
//
// Both are nanosecond time points on tag clocks that have no now(): the only way to read the time
// is through a Runtime's Clock, which is what keeps component code deterministic.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "sim/base/status.h"

namespace rmqsim {

using Duration = std::chrono::nanoseconds;
using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::nanoseconds;
using std::chrono::seconds;

// Tag clock for monotonic time: nanoseconds since the runtime started (simulation: since the
// world was created). Never goes backwards, unaffected by wall-clock offsets and jumps.
struct MonoClock {
  using duration = nanoseconds;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = std::chrono::time_point<MonoClock, duration>;
  static constexpr bool is_steady = true;
};

// Tag clock for wall time: nanoseconds since the Unix epoch, as the machine believes it to be
// (simulation: with the machine's offset, drift and jumps).
struct WallClock {
  using duration = nanoseconds;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = std::chrono::time_point<WallClock, duration>;
  static constexpr bool is_steady = false;
};

using MonoTime = MonoClock::time_point;
using WallTime = WallClock::time_point;

inline constexpr int64_t ToNanos(Duration d) { return d.count(); }
inline constexpr int64_t ToMillis(Duration d) {
  return std::chrono::duration_cast<milliseconds>(d).count();
}
inline constexpr int64_t ToNanos(MonoTime t) { return t.time_since_epoch().count(); }
inline constexpr int64_t ToNanos(WallTime t) { return t.time_since_epoch().count(); }
// Milliseconds since the Unix epoch, as RocketMQ stores timestamps.
inline constexpr int64_t ToUnixMillis(WallTime t) {
  return std::chrono::duration_cast<milliseconds>(t.time_since_epoch()).count();
}
inline constexpr MonoTime MonoFromNanos(int64_t ns) { return MonoTime(nanoseconds(ns)); }
inline constexpr WallTime WallFromNanos(int64_t ns) { return WallTime(nanoseconds(ns)); }
inline constexpr WallTime WallFromUnixMillis(int64_t ms) { return WallTime(milliseconds(ms)); }

// Parses "250ms", "10s", "5m", "1h", "1h30m", "2d", "100us", "0". Errors name the text.
StatusOr<Duration> ParseDuration(std::string_view text);

// "1h02m03.004s"-style rendering for summaries and failure reports.
std::string FormatDuration(Duration d);
// Monotonic time rendered as an offset from the start: "+00:12:03.250".
std::string FormatMonoTime(MonoTime t);

}  // namespace rmqsim
