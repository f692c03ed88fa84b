#include "system/common/byte_buffer.h"

#include <cstring>

namespace rmqsim::common {

Bytes BytesFromString(std::string_view s) {
  Bytes out(s.size());
  if (!s.empty()) std::memcpy(out.data(), s.data(), s.size());
  return out;
}

std::string StringFromBytes(ByteSpan b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

std::string_view AsStringView(ByteSpan b) {
  return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
}

ByteSpan AsByteSpan(std::string_view s) {
  return ByteSpan(reinterpret_cast<const std::byte*>(s.data()), s.size());
}

void ByteWriter::PutU8(uint8_t v) {
  out_->push_back(static_cast<std::byte>(v));
}

void ByteWriter::PutI16(int16_t v) {
  const auto u = static_cast<uint16_t>(v);
  out_->push_back(static_cast<std::byte>(u >> 8));
  out_->push_back(static_cast<std::byte>(u));
}

void ByteWriter::PutI32(int32_t v) {
  const size_t at = out_->size();
  out_->resize(at + 4);
  StoreI32(out_->data() + at, v);
}

void ByteWriter::PutI64(int64_t v) {
  const size_t at = out_->size();
  out_->resize(at + 8);
  StoreI64(out_->data() + at, v);
}

void ByteWriter::PutBytes(ByteSpan b) {
  out_->insert(out_->end(), b.begin(), b.end());
}

void ByteWriter::PutString(std::string_view s) {
  PutBytes(AsByteSpan(s));
}

Status ByteReader::Error(std::string_view field, std::string_view what,
                         size_t just_read_bytes) const {
  return Status(error_code_, std::string(field) + " at offset " +
                                 std::to_string(offset() - just_read_bytes) + ": " +
                                 std::string(what));
}

Status ByteReader::Need(size_t n, std::string_view field) const {
  if (remaining() >= n) return Status::Ok();
  return Error(field, "truncated: needs " + std::to_string(n) + " bytes, " +
                          std::to_string(remaining()) + " left");
}

StatusOr<uint8_t> ByteReader::ReadU8(std::string_view field) {
  RMQ_RETURN_IF_ERROR(Need(1, field));
  return static_cast<uint8_t>(data_[pos_++]);
}

StatusOr<int8_t> ByteReader::ReadI8(std::string_view field) {
  RMQ_RETURN_IF_ERROR(Need(1, field));
  return static_cast<int8_t>(static_cast<uint8_t>(data_[pos_++]));
}

StatusOr<int16_t> ByteReader::ReadI16(std::string_view field) {
  RMQ_RETURN_IF_ERROR(Need(2, field));
  const auto hi = static_cast<uint16_t>(data_[pos_]);
  const auto lo = static_cast<uint16_t>(data_[pos_ + 1]);
  pos_ += 2;
  return static_cast<int16_t>(static_cast<uint16_t>((hi << 8) | lo));
}

StatusOr<int32_t> ByteReader::ReadI32(std::string_view field) {
  RMQ_RETURN_IF_ERROR(Need(4, field));
  const int32_t v = LoadI32(data_.data() + pos_);
  pos_ += 4;
  return v;
}

StatusOr<int64_t> ByteReader::ReadI64(std::string_view field) {
  RMQ_RETURN_IF_ERROR(Need(8, field));
  const int64_t v = LoadI64(data_.data() + pos_);
  pos_ += 8;
  return v;
}

StatusOr<ByteSpan> ByteReader::ReadBytes(size_t n, std::string_view field) {
  RMQ_RETURN_IF_ERROR(Need(n, field));
  ByteSpan out = data_.subspan(pos_, n);
  pos_ += n;
  return out;
}

int32_t LoadI32(const std::byte* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint32_t>(p[i]);
  return static_cast<int32_t>(v);
}

int64_t LoadI64(const std::byte* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint64_t>(p[i]);
  return static_cast<int64_t>(v);
}

void StoreI32(std::byte* p, int32_t v) {
  const auto u = static_cast<uint32_t>(v);
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::byte>(u >> (24 - 8 * i));
}

void StoreI64(std::byte* p, int64_t v) {
  const auto u = static_cast<uint64_t>(v);
  for (int i = 0; i < 8; ++i) p[i] = static_cast<std::byte>(u >> (56 - 8 * i));
}

namespace {
constexpr char kHexDigits[] = "0123456789ABCDEF";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::string Printable(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) return std::string("'") + c + "'";
  static constexpr char kDigits[] = "0123456789ABCDEF";
  return std::string("byte 0x") + kDigits[u >> 4] + kDigits[u & 0xF];
}
}  // namespace

std::string HexEncodeUpper(ByteSpan b) {
  std::string out;
  out.reserve(b.size() * 2);
  for (std::byte x : b) {
    const auto v = static_cast<uint8_t>(x);
    out.push_back(kHexDigits[v >> 4]);
    out.push_back(kHexDigits[v & 0x0F]);
  }
  return out;
}

StatusOr<Bytes> HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) {
    return InvalidArgumentError("hex string has odd length " + std::to_string(hex.size()));
  }
  Bytes out(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); ++i) {
    const int v = HexValue(hex[i]);
    if (v < 0) {
      return InvalidArgumentError("bad hex digit " + Printable(hex[i]) + " at position " +
                                  std::to_string(i) + " (expected 0-9, A-F)");
    }
    auto& byte = out[i / 2];
    byte = static_cast<std::byte>(static_cast<uint8_t>(byte) | (i % 2 == 0 ? v << 4 : v));
  }
  return out;
}

}  // namespace rmqsim::common
