#include "system/proxy/proxy_codec.h"

#include <algorithm>
#include <optional>
#include <span>

#include <nlohmann/json.hpp>

namespace rmqsim::proxy {

namespace {

uint32_t LoadU32(std::string_view b, size_t at) {
  return (static_cast<uint32_t>(static_cast<uint8_t>(b[at])) << 24) |
         (static_cast<uint32_t>(static_cast<uint8_t>(b[at + 1])) << 16) |
         (static_cast<uint32_t>(static_cast<uint8_t>(b[at + 2])) << 8) |
         static_cast<uint32_t>(static_cast<uint8_t>(b[at + 3]));
}

Decoded Error(std::string why) {
  Decoded d;
  d.kind = Decoded::Kind::kError;
  d.error = std::move(why);
  return d;
}

}  // namespace

std::optional<size_t> HeaderMissingKey(std::string_view json,
                                       std::span<const std::string_view> keys) {
  // One pass over the text, which the remoting decoder has already accepted as a JSON object:
  // only strings (with their escapes) and nesting need care. Stops once every key is seen.
  uint64_t seen = 0;
  const uint64_t all = keys.size() >= 64 ? ~uint64_t{0} : (uint64_t{1} << keys.size()) - 1;
  auto by_parser = [&]() -> std::optional<size_t> {
    auto parsed = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
    for (size_t k = 0; k < keys.size(); ++k) {
      if (!parsed.is_object() || !parsed.contains(keys[k])) return k;
    }
    return std::nullopt;
  };
  int depth = 0;
  bool expect_key = false;
  for (size_t i = 0; i < json.size() && seen != all; ++i) {
    const char c = json[i];
    if (c == '"') {
      size_t j = i + 1;
      bool escaped = false;
      while (j < json.size() && json[j] != '"') {
        escaped = escaped || json[j] == '\\';
        j += json[j] == '\\' ? 2 : 1;
      }
      if (depth == 1 && expect_key) {
        // A key written with escapes: let a JSON parser read them all.
        if (escaped) return by_parser();
        const std::string_view raw = json.substr(i + 1, std::min(j, json.size()) - i - 1);
        for (size_t k = 0; k < keys.size(); ++k) {
          if (raw.size() == keys[k].size() && raw == keys[k]) seen |= uint64_t{1} << k;
        }
      }
      expect_key = false;
      i = j;
      continue;
    }
    if (c == '{' || c == '[') {
      ++depth;
      expect_key = c == '{' && depth == 1;
    } else if (c == '}' || c == ']') {
      --depth;
    } else if (c == ',' && depth == 1) {
      expect_key = true;
    }
  }
  for (size_t k = 0; k < keys.size(); ++k) {
    if ((seen & (uint64_t{1} << k)) == 0) return k;
  }
  return std::nullopt;
}

bool HeaderHasKey(std::string_view json, std::string_view key) {
  return !HeaderMissingKey(json, std::span<const std::string_view>(&key, 1)).has_value();
}

Decoded DecodeFrame(std::string_view buffer) {
  if (buffer.size() <= kMinFrameSize) return {};
  const uint32_t length = LoadU32(buffer, 0);
  if (length > kMaxFrameSize) {
    return Error("frame length " + std::to_string(length) + " exceeds " +
                 std::to_string(kMaxFrameSize));
  }
  if (buffer.size() < size_t{4} + length) return {};
  const uint32_t mark = LoadU32(buffer, 4);
  const uint32_t header_length = mark & 0xFFFFFFu;
  if (uint64_t{length} < uint64_t{header_length} + 4) {
    return Error("frame length " + std::to_string(length) + " < header length " +
                 std::to_string(header_length) + " + 4");
  }
  if ((mark >> 24) != 0) {
    return Error("Unsupported header serialization type " + std::to_string(mark >> 24));
  }
  auto cmd = remoting::RemotingCommand::DecodePayload(
      remoting::AsBytes(buffer.substr(4, length)));
  if (!cmd.ok()) return Error(cmd.status().message());
  // The remoting decoder fills absent fields with defaults; Envoy requires these four.
  const std::string_view header = buffer.substr(8, header_length);
  static constexpr std::string_view kRequired[] = {"code", "version", "opaque", "flag"};
  if (auto missing = HeaderMissingKey(header, kRequired)) {
    return Error("header lacks " + std::string(kRequired[*missing]));
  }
  Decoded d;
  d.kind = Decoded::Kind::kFrame;
  d.command = std::move(*cmd);
  d.consumed = size_t{4} + length;
  return d;
}

}  // namespace rmqsim::proxy
