// The proxy's frame decoder: Envoy's rocketmq_proxy codec checks on top of rmqsim's remoting
// decoder, applied to one buffered byte stream (downstream requests or upstream responses).
//
// In order (Envoy codec.cc): 8 bytes or fewer buffered -> underflow; length field above 4 MiB ->
// error; a frame not yet complete -> underflow; length < header length + 4 -> error; a header
// serialization type other than JSON -> error; a header that is not a JSON object with `code`,
// `version`, `opaque` and `flag` -> error. Differences from Envoy (docs/proxy.md): a frame is
// complete when all of its 4 + L bytes are there (Envoy takes the frame as complete up to 4 bytes
// early and truncates its body), and a header field of the wrong JSON type is an error (Envoy
// reads a string `code` as 0).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "system/remoting/remoting_command.h"

namespace rmqsim::proxy {

// Envoy codec.h.
inline constexpr uint32_t kMaxFrameSize = 4 * 1024 * 1024;
inline constexpr size_t kMinFrameSize = 8;

struct Decoded {
  enum class Kind { kUnderflow, kError, kFrame };
  Kind kind = Kind::kUnderflow;
  remoting::RemotingCommand command;  // kFrame
  size_t consumed = 0;                // kFrame: bytes of the frame, length field included
  std::string error;                  // kError
};

// Decodes the first frame of `buffer`.
Decoded DecodeFrame(std::string_view buffer);

// The index of the first of `keys` the top level of `json` (a text already accepted as a JSON
// object) lacks, or nullopt: a single scan that skips strings and nested values and stops once
// every key is seen (a key written with escapes sends the text to a JSON parser).
std::optional<size_t> HeaderMissingKey(std::string_view json,
                                       std::span<const std::string_view> keys);
// Whether the top level of `json` has `key` (HeaderMissingKey for one key).
bool HeaderHasKey(std::string_view json, std::string_view key);

}  // namespace rmqsim::proxy
