#include "system/proxy/proxy_codec.h"

#include <algorithm>

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

bool HeaderHasKey(std::string_view json, std::string_view key) {
  // One pass over the text, which the remoting decoder has already accepted as a JSON object:
  // only strings (with their escapes) and nesting need care.
  int depth = 0;
  bool expect_key = false;
  for (size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (c == '"') {
      size_t j = i + 1;
      bool escaped = false;
      while (j < json.size() && json[j] != '"') {
        escaped = escaped || json[j] == '\\';
        j += json[j] == '\\' ? 2 : 1;
      }
      if (depth == 1 && expect_key) {
        const std::string_view raw = json.substr(i + 1, std::min(j, json.size()) - i - 1);
        if (raw == key) return true;
        if (escaped) {
          // A key written with escapes: let a JSON parser read it.
          auto parsed = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
          return parsed.is_object() && parsed.contains(key);
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
  return false;
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
  for (const char* key : {"code", "version", "opaque", "flag"}) {
    if (!HeaderHasKey(header, key)) return Error(std::string("header lacks ") + key);
  }
  Decoded d;
  d.kind = Decoded::Kind::kFrame;
  d.command = std::move(*cmd);
  d.consumed = size_t{4} + length;
  return d;
}

}  // namespace rmqsim::proxy
