#include "sim/base/time.h"

#include <charconv>

#include "sim/base/status.h"

#include <cinttypes>
#include <cstdio>
#include <cstdlib>

namespace rmqsim {

std::string FormatDuration(Duration d) {
  int64_t ns = d.count();
  const char* sign = ns < 0 ? "-" : "";
  uint64_t u = ns < 0 ? static_cast<uint64_t>(-(ns + 1)) + 1 : static_cast<uint64_t>(ns);
  char buf[64];
  if (u < 1'000) {
    std::snprintf(buf, sizeof buf, "%s%" PRIu64 "ns", sign, u);
  } else if (u < 1'000'000) {
    std::snprintf(buf, sizeof buf, "%s%.3fus", sign, u / 1e3);
  } else if (u < 1'000'000'000) {
    std::snprintf(buf, sizeof buf, "%s%.3fms", sign, u / 1e6);
  } else {
    uint64_t total_ms = u / 1'000'000;
    uint64_t h = total_ms / 3'600'000, m = (total_ms / 60'000) % 60, s = (total_ms / 1000) % 60,
             ms = total_ms % 1000;
    if (h > 0) {
      std::snprintf(buf, sizeof buf, "%s%" PRIu64 "h%02" PRIu64 "m%02" PRIu64 ".%03" PRIu64 "s",
                    sign, h, m, s, ms);
    } else if (m > 0) {
      std::snprintf(buf, sizeof buf, "%s%" PRIu64 "m%02" PRIu64 ".%03" PRIu64 "s", sign, m, s, ms);
    } else {
      std::snprintf(buf, sizeof buf, "%s%" PRIu64 ".%03" PRIu64 "s", sign, s, ms);
    }
  }
  return buf;
}

std::string FormatMonoTime(MonoTime t) {
  int64_t ns = ToNanos(t);
  uint64_t total_ms = static_cast<uint64_t>(ns < 0 ? 0 : ns) / 1'000'000;
  char buf[48];
  std::snprintf(buf, sizeof buf, "+%02" PRIu64 ":%02" PRIu64 ":%02" PRIu64 ".%03" PRIu64,
                total_ms / 3'600'000, (total_ms / 60'000) % 60, (total_ms / 1000) % 60,
                total_ms % 1000);
  return buf;
}

StatusOr<Duration> ParseDuration(std::string_view text) {
  auto bad = [&](const std::string& why) {
    return InvalidArgumentError("invalid duration '" + std::string(text) + "': " + why +
                                " (examples: 250ms, 10s, 5m, 1h30m)");
  };
  if (text.empty()) return bad("empty");
  if (text == "0") return Duration::zero();
  int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    int64_t n = 0;
    auto [p, ec] = std::from_chars(text.data() + i, text.data() + text.size(), n);
    if (ec != std::errc() || p == text.data() + i || n < 0) return bad("expected a number");
    i = static_cast<size_t>(p - text.data());
    size_t j = i;
    while (j < text.size() && (text[j] < '0' || text[j] > '9')) ++j;
    std::string_view unit = text.substr(i, j - i);
    int64_t scale;
    if (unit == "ns") scale = 1;
    else if (unit == "us") scale = 1'000;
    else if (unit == "ms") scale = 1'000'000;
    else if (unit == "s") scale = 1'000'000'000;
    else if (unit == "m") scale = 60'000'000'000;
    else if (unit == "h") scale = 3'600'000'000'000;
    else if (unit == "d") scale = 86'400'000'000'000;
    else return bad(unit.empty() ? "missing unit" : "unknown unit '" + std::string(unit) + "'");
    if (n > INT64_MAX / scale || total > INT64_MAX - n * scale) return bad("too large");
    total += n * scale;
    i = j;
  }
  return Duration(total);
}

}  // namespace rmqsim
