#include "system/proxy/proxy_codec.h"

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
  const std::string_view header = buffer.substr(8, header_length);
  auto json = nlohmann::json::parse(header, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) return Error("header is not a JSON object");
  for (const char* key : {"code", "version", "opaque", "flag"}) {
    if (!json.contains(key)) return Error(std::string("header lacks ") + key);
  }
  auto cmd = remoting::RemotingCommand::DecodePayload(
      remoting::AsBytes(buffer.substr(4, length)));
  if (!cmd.ok()) return Error(cmd.status().message());
  Decoded d;
  d.kind = Decoded::Kind::kFrame;
  d.command = std::move(*cmd);
  d.consumed = size_t{4} + length;
  return d;
}

}  // namespace rmqsim::proxy
