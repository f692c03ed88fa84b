// Message ids (reference §4.6).
//
// Offset msg id (the broker's msgId; MessageDecoder.createMessageId / decodeMessageId): store host
// IP (4 or 16 bytes) + port (int32) + commit-log physical offset (int64), as upper-case hex:
// 32 characters for IPv4, 56 for IPv6.
//
// Unique id (UNIQ_KEY, the client's msgId; MessageClientIDSetter): client IP (4 or 16 bytes) +
// pid (short) + class-loader hash (int) + milliseconds since the start of the current month in
// the client's local time (int) + counter (short), as upper-case hex: 32 or 56 characters. Nothing
// here reads a clock: callers pass the time.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "sim/base/status.h"
#include "system/common/host_address.h"

namespace rmqsim::common {

inline constexpr size_t kOffsetMsgIdLengthIpv4 = 32;
inline constexpr size_t kOffsetMsgIdLengthIpv6 = 56;

struct OffsetMessageId {
  HostAddress store_host;
  int64_t commit_log_offset = 0;
  friend bool operator==(const OffsetMessageId&, const OffsetMessageId&) = default;
};

std::string CreateOffsetMessageId(const HostAddress& store_host, int64_t commit_log_offset);
// Length 32 -> IPv4, 56 -> IPv6 (decodeMessageId goes by the length); any other length or a
// non-hex character is kInvalidArgument naming it. Lower-case digits are accepted.
StatusOr<OffsetMessageId> DecodeOffsetMessageId(std::string_view id);

inline constexpr size_t kUniqIdLengthIpv4 = 32;
inline constexpr size_t kUniqIdLengthIpv6 = 56;

struct UniqIdFields {
  std::array<uint8_t, 16> ip{};  // IPv4 in ip[0..3], the rest zero
  bool ipv6 = false;
  uint16_t pid = 0;               // (short) pid
  int32_t class_loader_hash = 0;  // hashCode of the client's class loader
  int32_t time_since_month_start_ms = 0;
  uint16_t counter = 0;  // low 16 bits of a per-process counter
  friend bool operator==(const UniqIdFields&, const UniqIdFields&) = default;
};

std::string CreateUniqId(const UniqIdFields& fields);
// Length 32 -> IPv4, 56 -> IPv6; anything else or a non-hex character is kInvalidArgument.
StatusOr<UniqIdFields> ParseUniqId(std::string_view id);

// Calendar helpers for the time part, in a fixed-offset local time (Java uses the JVM's default
// time zone; pass its UTC offset, 0 for UTC).
// Unix ms of 00:00:00.000 on the 1st of the month containing `unix_ms`.
int64_t StartOfMonthMillis(int64_t unix_ms, int64_t utc_offset_ms = 0);
// Unix ms of the same instant of the month start `months` later (or earlier, if negative).
int64_t AddMonthsToMonthStart(int64_t month_start_unix_ms, int months, int64_t utc_offset_ms = 0);
// MessageClientIDSetter.getNearlyTimeFromID: the time part read as unsigned, added to the start of
// the month of `now`, or of the previous month if that lands at or after `now`.
int64_t NearlyTimeFromUniqId(const UniqIdFields& fields, int64_t now_unix_ms,
                             int64_t utc_offset_ms = 0);

// MessageClientIDSetter.createUniqID for one client process: fixed prefix, cached month window
// (refreshed once `now` reaches the next month), a 16-bit counter, and Java's clamp of small
// negative differences (clock stepped back by under 1000 s) to 0.
class UniqIdGenerator {
 public:
  UniqIdGenerator(const HostAddress& client_ip, uint16_t pid, int32_t class_loader_hash,
                  int64_t utc_offset_ms = 0);

  std::string Next(int64_t now_unix_ms);

 private:
  UniqIdFields fields_;
  int64_t utc_offset_ms_;
  bool started_ = false;
  int64_t start_time_ms_ = 0;
  int64_t next_start_time_ms_ = 0;
  uint32_t counter_ = 0;
};

}  // namespace rmqsim::common
