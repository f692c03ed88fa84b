#include "system/common/message_id.h"

#include "system/common/byte_buffer.h"

namespace rmqsim::common {
namespace {

StatusOr<Bytes> DecodeHexId(std::string_view id, std::string_view what) {
  if (id.size() != 32 && id.size() != 56) {
    return InvalidArgumentError(std::string(what) + " \"" + std::string(id) + "\": length " +
                                std::to_string(id.size()) +
                                ", expected 32 (IPv4) or 56 (IPv6) hex characters");
  }
  auto bytes = HexDecode(id);
  if (!bytes.ok()) {
    return bytes.status().WithContext(std::string(what) + " \"" + std::string(id) + "\"");
  }
  return bytes;
}

// Days since 1970-01-01 -> civil date, and back (proleptic Gregorian; H. Hinnant's algorithms).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, unsigned* m) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

constexpr int64_t kMillisPerDay = 86'400'000;

int64_t FloorDiv(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

}  // namespace

std::string CreateOffsetMessageId(const HostAddress& store_host, int64_t commit_log_offset) {
  Bytes b;
  ByteWriter w(&b);
  for (size_t i = 0; i < store_host.ip_length(); ++i) w.PutU8(store_host.ip[i]);
  w.PutI32(store_host.port);
  w.PutI64(commit_log_offset);
  return HexEncodeUpper(b);
}

StatusOr<OffsetMessageId> DecodeOffsetMessageId(std::string_view id) {
  RMQ_ASSIGN_OR_RETURN(Bytes bytes, DecodeHexId(id, "offset msg id"));
  OffsetMessageId out;
  out.store_host.ipv6 = id.size() == kOffsetMsgIdLengthIpv6;
  ByteReader r(bytes, StatusCode::kInvalidArgument);
  RMQ_ASSIGN_OR_RETURN(ByteSpan ip, r.ReadBytes(out.store_host.ip_length(), "ip"));
  for (size_t i = 0; i < ip.size(); ++i) out.store_host.ip[i] = static_cast<uint8_t>(ip[i]);
  RMQ_ASSIGN_OR_RETURN(out.store_host.port, r.ReadI32("port"));
  RMQ_ASSIGN_OR_RETURN(out.commit_log_offset, r.ReadI64("offset"));
  return out;
}

std::string CreateUniqId(const UniqIdFields& f) {
  Bytes b;
  ByteWriter w(&b);
  const size_t ip_len = f.ipv6 ? 16 : 4;
  for (size_t i = 0; i < ip_len; ++i) w.PutU8(f.ip[i]);
  w.PutI16(static_cast<int16_t>(f.pid));
  w.PutI32(f.class_loader_hash);
  w.PutI32(f.time_since_month_start_ms);
  w.PutI16(static_cast<int16_t>(f.counter));
  return HexEncodeUpper(b);
}

StatusOr<UniqIdFields> ParseUniqId(std::string_view id) {
  RMQ_ASSIGN_OR_RETURN(Bytes bytes, DecodeHexId(id, "unique msg id"));
  UniqIdFields f;
  f.ipv6 = id.size() == kUniqIdLengthIpv6;
  ByteReader r(bytes, StatusCode::kInvalidArgument);
  RMQ_ASSIGN_OR_RETURN(ByteSpan ip, r.ReadBytes(f.ipv6 ? 16 : 4, "ip"));
  for (size_t i = 0; i < ip.size(); ++i) f.ip[i] = static_cast<uint8_t>(ip[i]);
  RMQ_ASSIGN_OR_RETURN(int16_t pid, r.ReadI16("pid"));
  f.pid = static_cast<uint16_t>(pid);
  RMQ_ASSIGN_OR_RETURN(f.class_loader_hash, r.ReadI32("class loader hash"));
  RMQ_ASSIGN_OR_RETURN(f.time_since_month_start_ms, r.ReadI32("time"));
  RMQ_ASSIGN_OR_RETURN(int16_t counter, r.ReadI16("counter"));
  f.counter = static_cast<uint16_t>(counter);
  return f;
}

int64_t StartOfMonthMillis(int64_t unix_ms, int64_t utc_offset_ms) {
  const int64_t local_days = FloorDiv(unix_ms + utc_offset_ms, kMillisPerDay);
  int64_t y = 0;
  unsigned m = 0;
  CivilFromDays(local_days, &y, &m);
  return DaysFromCivil(y, m, 1) * kMillisPerDay - utc_offset_ms;
}

int64_t AddMonthsToMonthStart(int64_t month_start_unix_ms, int months, int64_t utc_offset_ms) {
  const int64_t local_days = FloorDiv(month_start_unix_ms + utc_offset_ms, kMillisPerDay);
  int64_t y = 0;
  unsigned m = 0;
  CivilFromDays(local_days, &y, &m);
  int64_t index = y * 12 + (m - 1) + months;
  const int64_t ny = FloorDiv(index, 12);
  const auto nm = static_cast<unsigned>(index - ny * 12 + 1);
  return DaysFromCivil(ny, nm, 1) * kMillisPerDay - utc_offset_ms;
}

int64_t NearlyTimeFromUniqId(const UniqIdFields& fields, int64_t now_unix_ms,
                             int64_t utc_offset_ms) {
  const auto span_ms =
      static_cast<int64_t>(static_cast<uint32_t>(fields.time_since_month_start_ms));
  int64_t month_start = StartOfMonthMillis(now_unix_ms, utc_offset_ms);
  if (month_start + span_ms >= now_unix_ms) {
    month_start = AddMonthsToMonthStart(month_start, -1, utc_offset_ms);
  }
  return month_start + span_ms;
}

UniqIdGenerator::UniqIdGenerator(const HostAddress& client_ip, uint16_t pid,
                                 int32_t class_loader_hash, int64_t utc_offset_ms)
    : utc_offset_ms_(utc_offset_ms) {
  fields_.ip = client_ip.ip;
  fields_.ipv6 = client_ip.ipv6;
  fields_.pid = pid;
  fields_.class_loader_hash = class_loader_hash;
}

std::string UniqIdGenerator::Next(int64_t now_unix_ms) {
  if (!started_ || now_unix_ms >= next_start_time_ms_) {
    start_time_ms_ = StartOfMonthMillis(now_unix_ms, utc_offset_ms_);
    next_start_time_ms_ = AddMonthsToMonthStart(start_time_ms_, 1, utc_offset_ms_);
    started_ = true;
  }
  auto diff = static_cast<int32_t>(
      static_cast<uint32_t>(static_cast<uint64_t>(now_unix_ms - start_time_ms_)));
  if (diff < 0 && diff > -1'000'000) diff = 0;  // Java: "may cause by NTP"
  fields_.time_since_month_start_ms = diff;
  fields_.counter = static_cast<uint16_t>(counter_++);
  return CreateUniqId(fields_);
}

}  // namespace rmqsim::common
