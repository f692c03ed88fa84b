#include "system/remoting/remoting_command.h"

#include <charconv>
#include <cstring>

#include "system/remoting/limits.h"

namespace rmqsim::remoting {

namespace {

uint32_t ReadBe32(const std::byte* p) {
  return (static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) |
         (static_cast<uint32_t>(p[2]) << 8) | static_cast<uint32_t>(p[3]);
}

void WriteBe32(char* p, uint32_t v) {
  p[0] = static_cast<char>(v >> 24);
  p[1] = static_cast<char>(v >> 16);
  p[2] = static_cast<char>(v >> 8);
  p[3] = static_cast<char>(v);
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

template <typename Int>
std::optional<Int> ParseJavaInteger(std::string_view text) {
  std::string_view digits = text;
  bool negative = false;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  if (!AllDigits(digits)) return std::nullopt;
  // from_chars takes a leading '-' but not '+': parse the sign-stripped text for '+'.
  std::string_view parse = negative ? text : digits;
  Int value{};
  auto [ptr, ec] = std::from_chars(parse.data(), parse.data() + parse.size(), value);
  if (ec != std::errc() || ptr != parse.data() + parse.size()) return std::nullopt;
  return value;
}

Status MissingField(std::string_view key) {
  return InvalidArgumentError("the custom field <" + std::string(key) + "> is null");
}

Status InvalidField(std::string_view key, std::string_view type, const std::string& value) {
  return InvalidArgumentError("the custom field <" + std::string(key) + "> has an invalid " +
                              std::string(type) + " value \"" + value + "\"");
}

}  // namespace

std::optional<int32_t> ParseJavaInt(std::string_view text) {
  return ParseJavaInteger<int32_t>(text);
}
std::optional<int64_t> ParseJavaLong(std::string_view text) {
  return ParseJavaInteger<int64_t>(text);
}

// ------------------------------------------------------------------------- construction

RemotingCommand RemotingCommand::CreateRequest(int32_t code, ExtFields ext_fields) {
  RemotingCommand c;
  c.code = code;
  c.ext_fields = std::move(ext_fields);
  return c;
}

RemotingCommand RemotingCommand::CreateResponseCommand(int32_t code,
                                                       std::optional<std::string> remark) {
  RemotingCommand c;
  c.code = code;
  c.remark = std::move(remark);
  c.MarkResponse();
  return c;
}

RemotingCommand RemotingCommand::CreateResponse(int32_t response_code,
                                                std::optional<std::string> response_remark) const {
  RemotingCommand c = CreateResponseCommand(response_code, std::move(response_remark));
  c.opaque = opaque;
  c.serialize_type = serialize_type;
  return c;
}

// ------------------------------------------------------------------------- extFields

void RemotingCommand::SetExtField(std::string key, std::string value) {
  ext_fields.insert_or_assign(std::move(key), std::move(value));
}
void RemotingCommand::SetExtFieldInt(std::string key, int64_t value) {
  SetExtField(std::move(key), std::to_string(value));
}
void RemotingCommand::SetExtFieldBool(std::string key, bool value) {
  SetExtField(std::move(key), value ? "true" : "false");
}

const std::string* RemotingCommand::FindExtField(std::string_view key) const {
  auto it = ext_fields.find(key);
  return it == ext_fields.end() ? nullptr : &it->second;
}

StatusOr<std::string> RemotingCommand::GetRequiredString(std::string_view key) const {
  const std::string* v = FindExtField(key);
  if (v == nullptr) return MissingField(key);
  return *v;
}

StatusOr<int32_t> RemotingCommand::GetRequiredInt32(std::string_view key) const {
  const std::string* v = FindExtField(key);
  if (v == nullptr) return MissingField(key);
  auto parsed = ParseJavaInt(*v);
  if (!parsed) return InvalidField(key, "int", *v);
  return *parsed;
}

StatusOr<int64_t> RemotingCommand::GetRequiredInt64(std::string_view key) const {
  const std::string* v = FindExtField(key);
  if (v == nullptr) return MissingField(key);
  auto parsed = ParseJavaLong(*v);
  if (!parsed) return InvalidField(key, "long", *v);
  return *parsed;
}

namespace {
bool JavaParseBoolean(std::string_view s) {
  if (s.size() != 4) return false;
  auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; };
  return lower(s[0]) == 't' && lower(s[1]) == 'r' && lower(s[2]) == 'u' && lower(s[3]) == 'e';
}
}  // namespace

StatusOr<bool> RemotingCommand::GetRequiredBool(std::string_view key) const {
  const std::string* v = FindExtField(key);
  if (v == nullptr) return MissingField(key);
  return JavaParseBoolean(*v);
}

std::optional<std::string> RemotingCommand::GetOptionalString(std::string_view key) const {
  const std::string* v = FindExtField(key);
  if (v == nullptr) return std::nullopt;
  return *v;
}

StatusOr<std::optional<int32_t>> RemotingCommand::GetOptionalInt32(std::string_view key) const {
  const std::string* v = FindExtField(key);
  if (v == nullptr) return std::optional<int32_t>();
  auto parsed = ParseJavaInt(*v);
  if (!parsed) return InvalidField(key, "int", *v);
  return std::optional<int32_t>(*parsed);
}

StatusOr<std::optional<int64_t>> RemotingCommand::GetOptionalInt64(std::string_view key) const {
  const std::string* v = FindExtField(key);
  if (v == nullptr) return std::optional<int64_t>();
  auto parsed = ParseJavaLong(*v);
  if (!parsed) return InvalidField(key, "long", *v);
  return std::optional<int64_t>(*parsed);
}

std::optional<bool> RemotingCommand::GetOptionalBool(std::string_view key) const {
  const std::string* v = FindExtField(key);
  if (v == nullptr) return std::nullopt;
  return JavaParseBoolean(*v);
}

// ------------------------------------------------------------------------- frames

Status RemotingCommand::EncodeTo(std::string& out) const {
  const size_t start = out.size();
  out.append(8, '\0');  // length and header word, filled in below
  if (serialize_type == SerializeType::ROCKETMQ) {
    Status s = AppendBinaryHeader(*this, out);
    if (!s.ok()) {
      out.resize(start);
      return s;
    }
  } else if (serialize_type == SerializeType::JSON) {
    AppendJsonHeader(*this, out);
  } else {
    out.resize(start);
    return InvalidArgumentError("cannot encode serialization type " +
                                std::to_string(static_cast<int>(serialize_type)));
  }
  const uint64_t header_length = out.size() - start - 8;
  const uint64_t length = 4 + header_length + body.size();
  if (length > limits::kFrameLengthMax) {
    out.resize(start);
    return InvalidArgumentError(
        "cannot encode " + std::string(is_response() ? "response" : "request") + " code " +
        std::to_string(code) + ": frame length " + std::to_string(length) + " (header " +
        std::to_string(header_length) + " + body " + std::to_string(body.size()) +
        " bytes) exceeds the limit " + std::to_string(limits::kFrameLengthMax));
  }
  out.append(body);
  WriteBe32(out.data() + start, static_cast<uint32_t>(length));
  WriteBe32(out.data() + start + 4,
            (static_cast<uint32_t>(serialize_type) << 24) | static_cast<uint32_t>(header_length));
  return Status::Ok();
}

StatusOr<std::string> RemotingCommand::Encode() const {
  std::string out;
  out.reserve(128 + body.size());
  RMQ_RETURN_IF_ERROR(EncodeTo(out));
  return out;
}

StatusOr<RemotingCommand> RemotingCommand::DecodePayload(std::span<const std::byte> payload) {
  if (payload.size() < limits::kFrameLengthMin) {
    return InvalidArgumentError("frame length " + std::to_string(payload.size()) +
                                " is less than 4: no room for the header-length word");
  }
  const uint32_t word = ReadBe32(payload.data());
  const uint32_t type = word >> 24;
  const uint32_t header_length = word & limits::kHeaderLengthMax;
  if (header_length > payload.size() - 4) {
    return CorruptionError("header length " + std::to_string(header_length) +
                           " exceeds frame length - 4 = " + std::to_string(payload.size() - 4));
  }
  RemotingCommand c;
  auto header = payload.subspan(4, header_length);
  if (type == static_cast<uint32_t>(SerializeType::JSON)) {
    RMQ_RETURN_IF_ERROR(DecodeJsonHeader(header, c));
  } else if (type == static_cast<uint32_t>(SerializeType::ROCKETMQ)) {
    RMQ_RETURN_IF_ERROR(DecodeBinaryHeader(header, c));
  } else {
    return InvalidArgumentError("unknown serialization type " + std::to_string(type) +
                                " in the header-length word (expected 0 JSON or 1 ROCKETMQ)");
  }
  c.serialize_type = static_cast<SerializeType>(type);
  auto body = payload.subspan(4 + header_length);
  c.body.assign(reinterpret_cast<const char*>(body.data()), body.size());
  return c;
}

StatusOr<RemotingCommand> RemotingCommand::DecodeFrame(std::span<const std::byte> frame) {
  if (frame.size() < 4) {
    return InvalidArgumentError("frame of " + std::to_string(frame.size()) +
                                " bytes has no length field");
  }
  const uint32_t length = ReadBe32(frame.data());
  if (length > limits::kFrameLengthMax) {
    return InvalidArgumentError("frame length " + std::to_string(length) + " exceeds the limit " +
                                std::to_string(limits::kFrameLengthMax));
  }
  if (length != frame.size() - 4) {
    return InvalidArgumentError("frame length field says " + std::to_string(length) +
                                " bytes but " + std::to_string(frame.size() - 4) + " follow it");
  }
  return DecodePayload(frame.subspan(4));
}

std::string RemotingCommand::ToString() const {
  std::string s = is_response() ? "Response{code=" : "Request{code=";
  s += std::to_string(code);
  s += " (";
  s += is_response() ? ResponseCodeName(code) : RequestCodeName(code);
  s += "), language=" + std::string(LanguageCodeName(language));
  s += ", version=" + std::to_string(version);
  s += ", opaque=" + std::to_string(opaque);
  s += ", flag=" + std::to_string(flag);
  if (remark) s += ", remark=\"" + *remark + "\"";
  if (!ext_fields.empty()) {
    s += ", extFields={";
    bool first = true;
    for (const auto& [k, v] : ext_fields) {
      if (!first) s += ", ";
      first = false;
      s += k + "=" + v;
    }
    s += "}";
  }
  s += ", body=" + std::to_string(body.size()) + " bytes";
  s += ", serializeType=" + std::string(SerializeTypeName(serialize_type)) + "}";
  return s;
}

}  // namespace rmqsim::remoting
