// RemotingCommand: one RocketMQ remoting request or response, and its wire encodings.
//
// Frame (all integers big-endian; rocketmq-protocol.md §1.2):
//
//   length (4) | headerWord (4) | header (headerLength) | body (length - 4 - headerLength)
//
// where headerWord = serializeType << 24 | headerLength and the header is JSON (type 0, what Java
// sends by default) or the ROCKETMQ binary layout (type 1). The body is opaque bytes.
//
// Encoding follows Java (fastjson defaults): JSON keys in alphabetical order, absent remark and
// empty extFields left out, "serializeTypeCurrentRPC":"JSON" included, the language by name,
// control characters escaped as \u00XX. Decoding is liberal in what real clients send: any key
// order, missing optional keys, extFields values that are JSON numbers or booleans (kept as their
// text: 4 -> "4", true -> "true"), unknown keys ignored. Malformed input is a Status, never an
// exception or a crash.
#pragma once

#include <boost/container/flat_map.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "sim/base/status.h"
#include "system/remoting/codes.h"

namespace rmqsim::remoting {

// Custom-header fields. Ordered (std::less<>: lookups by string_view), so that iteration, and
// with it the encoded bytes, are deterministic. A sorted vector: a header has a dozen fields,
// decoded in key order (fastjson writes keys sorted), so each insert is an append and a lookup
// is a binary search over contiguous memory.
using ExtFields = boost::container::flat_map<std::string, std::string, std::less<>>;

inline std::span<const std::byte> AsBytes(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}
inline std::string_view AsStringView(std::span<const std::byte> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// A value type: plain public fields with the Java names (code, language, version, opaque, flag,
// remark, extFields), the body, and the serialization type of the header.
struct RemotingCommand {
  // Flag bits (RemotingCommand.RPC_TYPE / RPC_ONEWAY).
  static constexpr int32_t kResponseFlag = 1;  // bit 0: this is a response
  static constexpr int32_t kOnewayFlag = 2;    // bit 1: a request that wants no response

  int32_t code = 0;  // RequestCode for a request, ResponseCode for a response
  LanguageCode language = LanguageCode::JAVA;
  int32_t version = MQVersion::CURRENT_VERSION;
  int32_t opaque = 0;  // request id; a response carries its request's
  int32_t flag = 0;
  std::optional<std::string> remark;                   // absent = Java null
  ExtFields ext_fields;                                // empty = Java null (not written)
  std::string body;                                    // bytes, not text; empty = no body
  SerializeType serialize_type = SerializeType::JSON;  // of the header

  // ----------------------------------------------------------------------- construction
  static RemotingCommand CreateRequest(int32_t code, ExtFields ext_fields = {});
  // A response not tied to a request (Java createResponseCommand): the response flag set.
  static RemotingCommand CreateResponseCommand(int32_t code,
                                               std::optional<std::string> remark = std::nullopt);
  // The response to this request: same opaque and serialization type, response flag set.
  RemotingCommand CreateResponse(int32_t code,
                                 std::optional<std::string> remark = std::nullopt) const;

  bool is_response() const { return (flag & kResponseFlag) != 0; }
  bool is_oneway() const { return (flag & kOnewayFlag) != 0; }
  void MarkResponse() { flag |= kResponseFlag; }
  void MarkOneway() { flag |= kOnewayFlag; }

  // ----------------------------------------------------------------------- extFields access
  // Setters write Java's toString() form (numbers in decimal, booleans "true"/"false").
  void SetExtField(std::string key, std::string value);
  void SetExtFieldInt(std::string key, int64_t value);
  void SetExtFieldBool(std::string key, bool value);
  // The raw value, or nullptr.
  const std::string* FindExtField(std::string_view key) const;

  // Typed reads, as Java's decodeCommandCustomHeader converts them. A missing required field is
  // kInvalidArgument "the custom field <key> is null" (Java's wording; a server answers such a
  // request with SYSTEM_ERROR). A present value that does not parse (Integer.parseInt /
  // Long.parseLong rules: optional sign, decimal digits, in range) is kInvalidArgument naming the
  // field and the value. Booleans follow Boolean.parseBoolean: "true" in any case is true,
  // anything else false, so they never fail to parse.
  StatusOr<std::string> GetRequiredString(std::string_view key) const;
  StatusOr<int32_t> GetRequiredInt32(std::string_view key) const;
  StatusOr<int64_t> GetRequiredInt64(std::string_view key) const;
  StatusOr<bool> GetRequiredBool(std::string_view key) const;
  std::optional<std::string> GetOptionalString(std::string_view key) const;
  // nullopt when absent; an error when present but invalid.
  StatusOr<std::optional<int32_t>> GetOptionalInt32(std::string_view key) const;
  StatusOr<std::optional<int64_t>> GetOptionalInt64(std::string_view key) const;
  std::optional<bool> GetOptionalBool(std::string_view key) const;

  // ----------------------------------------------------------------------- wire format
  // Appends the whole frame (length field included) in `serialize_type`. Errors
  // (kInvalidArgument): the frame would exceed limits::kFrameBytesMax; in the binary format, a
  // code or version outside 16 bits, or a key longer than 32767 bytes.
  Status EncodeTo(std::string& out) const;
  StatusOr<std::string> Encode() const;

  // Decodes a frame without its length field (what FrameDecoder hands out, like Netty's
  // length-stripping decoder): header word, header, body.
  static StatusOr<RemotingCommand> DecodePayload(std::span<const std::byte> payload);
  // Decodes one whole frame, length field included; the length must match the bytes given.
  static StatusOr<RemotingCommand> DecodeFrame(std::span<const std::byte> frame);

  // One-line description for logs and test failures (body shown by size only).
  std::string ToString() const;

  friend bool operator==(const RemotingCommand&, const RemotingCommand&) = default;
};

// The header alone, for the fuzzer, benchmarks and golden tests.
// JSON header text exactly as Java's fastjson writes it.
void AppendJsonHeader(const RemotingCommand& command, std::string& out);
// ROCKETMQ binary header (RocketMQSerializable layout).
Status AppendBinaryHeader(const RemotingCommand& command, std::string& out);
// Decode a header into `out` (fields other than body and serialize_type). kCorruption with a
// message naming the problem: bad JSON, a field of the wrong type or range, a length that runs
// past the header.
Status DecodeJsonHeader(std::span<const std::byte> header, RemotingCommand& out);
// The two paths DecodeJsonHeader takes, for the differential test: a fast scanner for the flat
// headers clients send (true: `out` is exactly what the general path gives; false: it gave up,
// `out` is unspecified), and the general path (nlohmann's SAX parser) on its own.
bool DecodeJsonHeaderFast(std::span<const std::byte> header, RemotingCommand& out);
Status DecodeJsonHeaderGeneral(std::span<const std::byte> header, RemotingCommand& out);
Status DecodeBinaryHeader(std::span<const std::byte> header, RemotingCommand& out);

// Parses a Java int / long (optional sign, decimal digits, no spaces, in range).
std::optional<int32_t> ParseJavaInt(std::string_view text);
std::optional<int64_t> ParseJavaLong(std::string_view text);

}  // namespace rmqsim::remoting
