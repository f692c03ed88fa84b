// The ROCKETMQ binary header (serialization type 1), RocketMQSerializable's layout
// (rocketmq-protocol.md §1.6), all integers big-endian:
//
//   code (2, signed short) | language (1) | version (2, signed short) | opaque (4) | flag (4) |
//   remarkLength R (4) | remark (R) | extFieldsLength E (4) |
//   E bytes of entries: keyLength (2) | key | valueLength (4) | value
//
// A zero-length remark or value decodes as Java null: the remark is absent, the entry is dropped.
// Bytes after the extFields block are ignored, as Java's decoder ignores them.
#include <cstring>
#include <limits>

#include "system/remoting/remoting_command.h"

namespace rmqsim::remoting {

namespace {

// code, language, version, opaque, flag, remarkLength.
constexpr size_t kFixedPrefixBytes = 2 + 1 + 2 + 4 + 4 + 4;

void Put16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v));
}
void Put32(std::string& out, uint32_t v) {
  out.push_back(static_cast<char>(v >> 24));
  out.push_back(static_cast<char>(v >> 16));
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v));
}

class Reader {
 public:
  explicit Reader(std::span<const std::byte> b) : b_(b) {}
  size_t remaining() const { return b_.size() - pos_; }
  size_t pos() const { return pos_; }
  uint8_t U8() { return static_cast<uint8_t>(b_[pos_++]); }
  uint16_t U16() {
    uint16_t v = static_cast<uint16_t>((static_cast<uint16_t>(b_[pos_]) << 8) |
                                       static_cast<uint16_t>(b_[pos_ + 1]));
    pos_ += 2;
    return v;
  }
  uint32_t U32() {
    uint32_t v = (static_cast<uint32_t>(b_[pos_]) << 24) |
                 (static_cast<uint32_t>(b_[pos_ + 1]) << 16) |
                 (static_cast<uint32_t>(b_[pos_ + 2]) << 8) | static_cast<uint32_t>(b_[pos_ + 3]);
    pos_ += 4;
    return v;
  }
  std::string Str(size_t n) {
    std::string s(reinterpret_cast<const char*>(b_.data() + pos_), n);
    pos_ += n;
    return s;
  }

 private:
  std::span<const std::byte> b_;
  size_t pos_ = 0;
};

Status Truncated(std::string_view what, size_t need, size_t at, size_t have) {
  return CorruptionError("ROCKETMQ binary header: " + std::string(what) + " needs " +
                         std::to_string(need) + " bytes at offset " + std::to_string(at) +
                         " but only " + std::to_string(have) + " remain");
}

}  // namespace

Status AppendBinaryHeader(const RemotingCommand& c, std::string& out) {
  constexpr int32_t kShortMin = std::numeric_limits<int16_t>::min();
  constexpr int32_t kShortMax = std::numeric_limits<int16_t>::max();
  if (c.code < kShortMin || c.code > kShortMax) {
    return InvalidArgumentError("code " + std::to_string(c.code) +
                                " does not fit the 16-bit code of the ROCKETMQ binary header; "
                                "use JSON");
  }
  if (c.version < kShortMin || c.version > kShortMax) {
    return InvalidArgumentError("version " + std::to_string(c.version) +
                                " does not fit the 16-bit version of the ROCKETMQ binary header");
  }
  size_t ext_bytes = 0;
  for (const auto& [k, v] : c.ext_fields) {
    if (k.size() > static_cast<size_t>(kShortMax)) {
      return InvalidArgumentError("extFields key of " + std::to_string(k.size()) +
                                  " bytes does not fit the 16-bit key length");
    }
    ext_bytes += 2 + k.size() + 4 + v.size();
  }
  const size_t remark_bytes = c.remark ? c.remark->size() : 0;
  // Anything larger cannot be in a legal frame; refuse before the casts below could wrap.
  if (ext_bytes > std::numeric_limits<int32_t>::max() ||
      remark_bytes > std::numeric_limits<int32_t>::max()) {
    return InvalidArgumentError("ROCKETMQ binary header too large");
  }
  out.reserve(out.size() + kFixedPrefixBytes + remark_bytes + 4 + ext_bytes);
  Put16(out, static_cast<uint16_t>(static_cast<int16_t>(c.code)));
  out.push_back(static_cast<char>(c.language));
  Put16(out, static_cast<uint16_t>(static_cast<int16_t>(c.version)));
  Put32(out, static_cast<uint32_t>(c.opaque));
  Put32(out, static_cast<uint32_t>(c.flag));
  Put32(out, static_cast<uint32_t>(remark_bytes));
  if (c.remark) out.append(*c.remark);
  Put32(out, static_cast<uint32_t>(ext_bytes));
  for (const auto& [k, v] : c.ext_fields) {
    Put16(out, static_cast<uint16_t>(k.size()));
    out.append(k);
    Put32(out, static_cast<uint32_t>(v.size()));
    out.append(v);
  }
  return Status::Ok();
}

Status DecodeBinaryHeader(std::span<const std::byte> header, RemotingCommand& out) {
  Reader r(header);
  if (r.remaining() < kFixedPrefixBytes) {
    return Truncated("the fixed fields (code..remarkLength)", kFixedPrefixBytes, 0, r.remaining());
  }
  out.code = static_cast<int16_t>(r.U16());  // Java getShort(): sign-extended
  out.language = static_cast<LanguageCode>(r.U8());
  out.version = static_cast<int16_t>(r.U16());
  out.opaque = static_cast<int32_t>(r.U32());
  out.flag = static_cast<int32_t>(r.U32());
  const int32_t remark_length = static_cast<int32_t>(r.U32());
  if (remark_length < 0 || static_cast<size_t>(remark_length) > r.remaining()) {
    return CorruptionError("ROCKETMQ binary header: remark length " +
                           std::to_string(remark_length) + " at offset 13 exceeds the " +
                           std::to_string(r.remaining()) + " header bytes left");
  }
  out.remark.reset();
  if (remark_length > 0) out.remark = r.Str(static_cast<size_t>(remark_length));
  if (r.remaining() < 4) return Truncated("extFieldsLength", 4, r.pos(), r.remaining());
  const size_t ext_at = r.pos();
  const int32_t ext_length = static_cast<int32_t>(r.U32());
  if (ext_length < 0 || static_cast<size_t>(ext_length) > r.remaining()) {
    return CorruptionError("ROCKETMQ binary header: extFields length " +
                           std::to_string(ext_length) + " at offset " + std::to_string(ext_at) +
                           " exceeds the " + std::to_string(r.remaining()) + " header bytes left");
  }
  out.ext_fields.clear();
  Reader e(header.subspan(r.pos(), static_cast<size_t>(ext_length)));
  const size_t base = r.pos();
  while (e.remaining() > 0) {
    if (e.remaining() < 2)
      return Truncated("an extFields key length", 2, base + e.pos(), e.remaining());
    const size_t key_at = base + e.pos();
    const int16_t key_length = static_cast<int16_t>(e.U16());
    if (key_length < 0 || static_cast<size_t>(key_length) > e.remaining()) {
      return CorruptionError("ROCKETMQ binary header: extFields key length " +
                             std::to_string(key_length) + " at offset " + std::to_string(key_at) +
                             " exceeds the " + std::to_string(e.remaining()) +
                             " bytes left in the extFields block");
    }
    std::string key = e.Str(static_cast<size_t>(key_length));
    if (e.remaining() < 4) {
      return Truncated("the value length of extFields key \"" + key + "\"", 4, base + e.pos(),
                       e.remaining());
    }
    const size_t value_at = base + e.pos();
    const int32_t value_length = static_cast<int32_t>(e.U32());
    if (value_length < 0 || static_cast<size_t>(value_length) > e.remaining()) {
      return CorruptionError("ROCKETMQ binary header: value length " +
                             std::to_string(value_length) + " of extFields key \"" + key +
                             "\" at offset " + std::to_string(value_at) + " exceeds the " +
                             std::to_string(e.remaining()) + " bytes left in the extFields block");
    }
    std::string value = e.Str(static_cast<size_t>(value_length));
    if (value.empty()) {
      out.ext_fields.erase(key);  // Java null: the key reads as absent
    } else {
      out.ext_fields.insert_or_assign(std::move(key), std::move(value));
    }
  }
  return Status::Ok();
}

}  // namespace rmqsim::remoting
