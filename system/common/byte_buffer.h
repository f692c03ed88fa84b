// Big-endian byte writing and bounds-checked reading, as Java's ByteBuffer does it, plus the
// upper-case hex form RocketMQ uses for message ids (UtilAll.bytes2string / string2bytes).
//
// Every RocketMQ binary layout is big-endian. ByteReader never reads past its span: a short read is
// a Status naming the field, its offset, the bytes needed and the bytes left.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/base/status.h"

namespace rmqsim::common {

using Bytes = std::vector<std::byte>;
using ByteSpan = std::span<const std::byte>;

Bytes BytesFromString(std::string_view s);
std::string StringFromBytes(ByteSpan b);
// Views; the caller keeps the storage alive.
std::string_view AsStringView(ByteSpan b);
ByteSpan AsByteSpan(std::string_view s);

// Appends big-endian values to a Bytes it does not own.
class ByteWriter {
 public:
  explicit ByteWriter(Bytes* out) : out_(out) {}

  void PutU8(uint8_t v);
  void PutI16(int16_t v);
  void PutI32(int32_t v);
  void PutI64(int64_t v);
  void PutBytes(ByteSpan b);
  void PutString(std::string_view s);

  size_t size() const { return out_->size(); }

 private:
  Bytes* out_;
};

// Reads big-endian values from a span it does not own. Errors carry `error_code` (kCorruption for
// stored data, kInvalidArgument for what a peer sent) and the offset `base_offset + position`.
class ByteReader {
 public:
  explicit ByteReader(ByteSpan data, StatusCode error_code = StatusCode::kCorruption,
                      size_t base_offset = 0)
      : data_(data), error_code_(error_code), base_offset_(base_offset) {}

  size_t position() const { return pos_; }
  size_t remaining() const { return data_.size() - pos_; }
  // Offset of the next byte as seen by the caller (base_offset + position).
  size_t offset() const { return base_offset_ + pos_; }

  StatusOr<uint8_t> ReadU8(std::string_view field);
  StatusOr<int8_t> ReadI8(std::string_view field);
  StatusOr<int16_t> ReadI16(std::string_view field);
  StatusOr<int32_t> ReadI32(std::string_view field);
  StatusOr<int64_t> ReadI64(std::string_view field);
  // A view of the next n bytes.
  StatusOr<ByteSpan> ReadBytes(size_t n, std::string_view field);

  // An error of this reader's code naming `field` and its offset: the current offset, or, for a
  // field of `just_read_bytes` that was just read, where that field began.
  Status Error(std::string_view field, std::string_view what, size_t just_read_bytes = 0) const;

 private:
  Status Need(size_t n, std::string_view field) const;

  ByteSpan data_;
  StatusCode error_code_;
  size_t base_offset_;
  size_t pos_ = 0;
};

// Big-endian loads and stores on raw memory whose bounds the caller has already checked.
int32_t LoadI32(const std::byte* p);
int64_t LoadI64(const std::byte* p);
void StoreI32(std::byte* p, int32_t v);
void StoreI64(std::byte* p, int64_t v);

// "0A0B..." with the digits 0-9A-F (UtilAll.bytes2string).
std::string HexEncodeUpper(ByteSpan b);
// Accepts upper- and lower-case digits. Errors name the position and the character; an odd
// length is an error.
StatusOr<Bytes> HexDecode(std::string_view hex);

}  // namespace rmqsim::common
