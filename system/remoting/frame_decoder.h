// Streaming decoder of remoting frames: bytes in (split and merged arbitrarily, as a TCP stream
// delivers them), RemotingCommands out.
//
// Checks, in the order the bytes allow them (each failure is a Status naming the offending
// values; the caller then closes the connection, as Java's NettyDecoder does):
//   - length field (first 4 bytes) > frame_length_max (default 16777212)   kInvalidArgument
//   - length field < 4 (no room for the header-length word)                kInvalidArgument
//   - header length (low 24 bits of the next 4 bytes) > length - 4         kCorruption
//   - serialization type (their high byte) not 0 (JSON) or 1 (ROCKETMQ)    kInvalidArgument
//   - the header itself does not decode (bad JSON, wrong field types,      kCorruption
//     a binary length running past the header)
// The first three are checked as soon as their bytes arrive, before the rest of the frame: a peer
// announcing a huge frame is refused at once rather than buffered.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "sim/base/status.h"
#include "system/remoting/limits.h"
#include "system/remoting/remoting_command.h"

namespace rmqsim::remoting {

class FrameDecoder {
 public:
  // Called for each decoded command, in order. Return false to stop decoding (for example
  // because the channel was closed inside the call); undecoded bytes then stay buffered.
  using CommandHandler = std::function<bool(RemotingCommand command)>;

  explicit FrameDecoder(uint32_t frame_length_max = limits::kFrameLengthMax);

  // Appends `bytes` and decodes every complete frame. After an error the decoder is broken: it
  // drops its buffer and every later Feed returns the same error.
  Status Feed(std::span<const std::byte> bytes, const CommandHandler& on_command);

  // Bytes received but not yet decoded (a partial frame).
  size_t buffered_bytes() const { return buffer_.size() - read_pos_; }
  bool failed() const { return !error_.ok(); }
  const Status& error() const { return error_; }
  uint64_t frames_decoded() const { return frames_decoded_; }

 private:
  // Decodes complete frames from `data`; returns how many bytes were consumed, or sets error_.
  // `stopped` is set when the handler asked to stop.
  size_t DecodeFrames(std::span<const std::byte> data, const CommandHandler& on_command,
                      bool& stopped);
  // Validates the prefix of a frame (length field, and the header word when present).
  Status CheckPrefix(std::span<const std::byte> data) const;
  Status Fail(Status s);

  uint32_t frame_length_max_;
  std::string buffer_;
  size_t read_pos_ = 0;
  Status error_;
  uint64_t frames_decoded_ = 0;
};

}  // namespace rmqsim::remoting
